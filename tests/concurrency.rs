//! The org's rules hold under concurrency: the profile limit, unique names, and no reader ever
//! sees a profile half made.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{TestApp, assert_whole_profile};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::Barrier;

/// Sends one clone of `source` per name, all released at the same moment, and returns the
/// answers in the order of `names`.
async fn clone_all_at_once(
    app: &Arc<TestApp>,
    token: &str,
    source: i64,
    names: &[String],
) -> Vec<(StatusCode, Value)> {
    let barrier = Arc::new(Barrier::new(names.len()));
    let tasks: Vec<_> = names
        .iter()
        .map(|name| {
            let (app, barrier) = (app.clone(), barrier.clone());
            let (token, name) = (token.to_owned(), name.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                app.clone_profile(&token, source, &name).await
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.expect("clone task"));
    }
    answers
}

/// The id a 201 answer reports.
fn created_id(body: &Value) -> String {
    body["profiles"][0]["details"]["id"].as_str().expect("created id").to_owned()
}

/// The code of an array-wrapped error answer.
fn error_code(body: &Value) -> &str {
    body["profiles"][0]["code"].as_str().unwrap_or_else(|| panic!("not an error: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_clones_into_an_org_one_short_of_its_limit_create_exactly_one() {
    let app = Arc::new(TestApp::spawn().await);
    let token = app.admin_token().await;
    let (status, list) = app.get("/crm/v8/settings/profiles", &token).await;
    assert_eq!(status, StatusCode::OK);
    let limit = list["info"]["license_limit"].as_u64().unwrap() as usize;
    assert_eq!(limit, 25, "the documented default limit");

    for i in 0..limit - 3 {
        let (status, body) =
            app.clone_profile(&token, app.standard_id(), &format!("Before {i}")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    assert_eq!(app.profiles(&token).await.len(), limit - 1);

    let names: Vec<String> = (0..100).map(|i| format!("Racer {i}")).collect();
    let answers = clone_all_at_once(&app, &token, app.standard_id(), &names).await;

    let winners: Vec<usize> =
        (0..answers.len()).filter(|&i| answers[i].0 == StatusCode::CREATED).collect();
    assert_eq!(winners.len(), 1, "exactly one clone succeeds: {winners:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(error_code(body), "PROFILE_LIMIT_EXCEEDED", "{body}");
        assert_eq!(body["profiles"][0]["details"]["limit"], limit, "{body}");
    }

    let profiles = app.profiles(&token).await;
    assert_eq!(profiles.len(), limit);
    let winner = &answers[winners[0]].1;
    let last = profiles.last().unwrap();
    assert_eq!(last["id"].as_str().unwrap(), created_id(winner));
    assert_eq!(last["name"].as_str().unwrap(), names[winners[0]]);
}

/// Fifty clones asking for `names` (one name, up to case and surrounding spaces) at once.
async fn fifty_clones_of_one_name_create_one(names: Vec<String>) {
    let app = Arc::new(TestApp::spawn().await);
    let token = app.admin_token().await;
    let key = names[0].trim().to_lowercase();
    assert!(names.iter().all(|n| n.trim().to_lowercase() == key));

    let answers = clone_all_at_once(&app, &token, app.standard_id(), &names).await;

    let winners: Vec<usize> =
        (0..answers.len()).filter(|&i| answers[i].0 == StatusCode::CREATED).collect();
    assert_eq!(winners.len(), 1, "exactly one clone succeeds: {winners:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(error_code(body), "DUPLICATE_DATA", "{body}");
        assert_eq!(body["profiles"][0]["details"]["api_name"], "name", "{body}");
    }

    let profiles = app.profiles(&token).await;
    assert_eq!(profiles.len(), 3);
    let same: Vec<&Value> = profiles
        .iter()
        .filter(|p| p["name"].as_str().unwrap().trim().to_lowercase() == key)
        .collect();
    assert_eq!(same.len(), 1, "{profiles:#?}");
    // What is stored is the winner's name, trimmed.
    assert_eq!(same[0]["name"].as_str().unwrap(), names[winners[0]].trim());
    assert_eq!(same[0]["id"].as_str().unwrap(), created_id(&answers[winners[0]].1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_clones_with_the_same_name_create_one() {
    fifty_clones_of_one_name_create_one(vec!["Sales Manager".to_owned(); 50]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_clones_with_names_differing_in_case_and_spaces_create_one() {
    let names: Vec<String> = (0..50u32)
        .map(|i| {
            // Bit n of i decides the case of the n-th letter; i % 3 decides the padding.
            let mut letter = 0;
            let word: String = "sales manager"
                .chars()
                .map(|c| {
                    if c == ' ' {
                        return c;
                    }
                    letter += 1;
                    if i >> (letter - 1) & 1 == 1 { c.to_ascii_uppercase() } else { c }
                })
                .collect();
            match i % 3 {
                0 => word,
                1 => format!("  {word}"),
                _ => format!("{word} \t"),
            }
        })
        .collect();
    let distinct: BTreeSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), 50, "the fifty names all differ");
    fifty_clones_of_one_name_create_one(names).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readers_never_see_a_profile_half_made() {
    const READERS: usize = 3;
    /// Most rounds a reader makes; it stops earlier once it has read the org after the writers
    /// were done.
    const MAX_ROUNDS: usize = 200;
    let app = Arc::new(TestApp::spawn().await);
    let token = app.admin_token().await;
    let profile_path = |id: &str| format!("/crm/v8/settings/profiles/{id}");
    let (_, administrator) =
        app.get(&profile_path(&app.administrator_id().to_string()), &token).await;
    let (_, standard) = app.get(&profile_path(&app.standard_id().to_string()), &token).await;
    let (administrator, standard) = (Arc::new(administrator), Arc::new(standard));

    let (_, list) = app.get("/crm/v8/settings/profiles", &token).await;
    let room = list["info"]["license_limit"].as_u64().unwrap() as usize - 2;
    let names: Vec<String> = (0..room).map(|i| format!("Watched {i}")).collect();

    // Writers and readers start together.
    let writers_done = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(Barrier::new(READERS + 1));
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (app, token, barrier) = (app.clone(), token.clone(), barrier.clone());
            let (administrator, standard) = (administrator.clone(), standard.clone());
            let writers_done = writers_done.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let mut sizes = Vec::new();
                // The system profiles were read whole above.
                let mut verified: BTreeSet<String> =
                    [app.administrator_id(), app.standard_id()].map(|id| id.to_string()).into();
                for _ in 0..MAX_ROUNDS {
                    let last_round = writers_done.load(Ordering::SeqCst);
                    let listed = app.profiles(&token).await;
                    sizes.push(listed.len());
                    // Newest first: a profile just created is the one that could be half made.
                    // Profiles are not changed here, so one read right after a profile first
                    // appears is enough, until the last round which reads them all again.
                    for profile in listed.into_iter().rev() {
                        let id = profile["id"].as_str().unwrap().to_owned();
                        if !verified.insert(id.clone()) && !last_round {
                            continue;
                        }
                        let (status, body) = app.get(&profile_path(&id), &token).await;
                        assert_eq!(
                            status,
                            StatusCode::OK,
                            "listed profile {id} unreadable: {body}"
                        );
                        assert_whole_profile(&body, &administrator);
                        let got = &body["profiles"][0];
                        assert_eq!(got["name"], profile["name"]);
                        if got["custom"] == true {
                            // A clone of Standard carries Standard's permissions from the start.
                            assert_eq!(
                                got["permissions_details"],
                                standard["profiles"][0]["permissions_details"],
                                "clone {id} is missing permissions"
                            );
                        }
                    }
                    if last_round {
                        break;
                    }
                }
                sizes
            })
        })
        .collect();
    // Four writers at once, each cloning its share one after the other, so that the writes
    // last long enough for readers to make several rounds among them.
    let writers = {
        let (app, token, barrier) = (app.clone(), token.clone(), barrier.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            let shares: Vec<_> = names
                .chunks(names.len().div_ceil(4))
                .map(|share| {
                    let (app, token, share) = (app.clone(), token.clone(), share.to_vec());
                    tokio::spawn(async move {
                        let mut answers = Vec::new();
                        for name in share {
                            answers.push(app.clone_profile(&token, app.standard_id(), &name).await);
                        }
                        answers
                    })
                })
                .collect();
            let mut answers = Vec::new();
            for share in shares {
                answers.extend(share.await.unwrap());
            }
            answers
        })
    };

    let answers = writers.await.unwrap();
    writers_done.store(true, Ordering::SeqCst);
    assert_eq!(answers.len(), room);
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::CREATED), "{answers:?}");
    for reader in readers {
        let sizes = reader.await.expect("a reader found a broken profile");
        eprintln!("a reader saw lists of {sizes:?} profiles");
        // Lists only grow, and the first one was read when the writers had barely started.
        assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    }
    assert_eq!(app.profiles(&token).await.len(), 2 + room);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_clone_exists_afterwards_under_a_unique_id() {
    let app = Arc::new(TestApp::spawn().await);
    let token = app.admin_token().await;
    // Sixty requests for thirty names, more than the org has room for: some win, some collide
    // on a name, the rest hit the limit.
    let names: Vec<String> = (0..60).map(|i| format!("Contender {}", i % 30)).collect();
    let sources = [app.standard_id(), app.administrator_id()];
    let barrier = Arc::new(Barrier::new(names.len()));
    let tasks: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (app, token, barrier, name) =
                (app.clone(), token.clone(), barrier.clone(), name.clone());
            let source = sources[i % 2];
            tokio::spawn(async move {
                barrier.wait().await;
                (source, app.clone_profile(&token, source, &name).await)
            })
        })
        .collect();
    let mut created: HashMap<String, (i64, String)> = HashMap::new();
    let mut refusals = HashMap::new();
    for (task, name) in tasks.into_iter().zip(&names) {
        let (source, (status, body)) = task.await.unwrap();
        if status == StatusCode::CREATED {
            let id = created_id(&body);
            assert!(created.insert(id.clone(), (source, name.clone())).is_none(), "{id} twice");
        } else {
            assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
            *refusals.entry(error_code(&body).to_owned()).or_insert(0) += 1;
        }
    }
    let (_, list) = app.get("/crm/v8/settings/profiles", &token).await;
    let limit = list["info"]["license_limit"].as_u64().unwrap() as usize;
    assert_eq!(created.len(), limit - 2, "the org fills up exactly: {refusals:?}");
    assert_eq!(refusals.values().sum::<usize>(), names.len() - created.len());
    assert!(
        refusals.keys().all(|code| code == "DUPLICATE_DATA" || code == "PROFILE_LIMIT_EXCEEDED"),
        "{refusals:?}"
    );
    let won: BTreeSet<&String> = created.values().map(|(_, name)| name).collect();
    assert_eq!(won.len(), created.len(), "one name was created twice");

    let profiles = app.profiles(&token).await;
    assert_eq!(profiles.len(), limit);
    let listed: BTreeSet<&str> = profiles.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(listed.len(), profiles.len(), "ids are unique");
    for (id, (source, name)) in &created {
        assert!(listed.contains(id.as_str()), "{id} acknowledged but not listed");
        let (status, body) = app.get(&format!("/crm/v8/settings/profiles/{id}"), &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["profiles"][0]["name"].as_str().unwrap(), name.as_str());
        let (_, source_body) =
            app.get(&format!("/crm/v8/settings/profiles/{source}"), &token).await;
        assert_eq!(
            body["profiles"][0]["permissions_details"],
            source_body["profiles"][0]["permissions_details"]
        );
    }
}

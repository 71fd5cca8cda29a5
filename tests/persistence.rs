//! What the server acknowledged survives a restart, and a crash (SIGKILL) of the real binary.

mod binary;
mod common;

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;

use binary::{Api, Server, mint_token};
use common::{ADMIN, PROFILES_ALL, TestApp, assert_whole_profile};
use reqwest::StatusCode;
use serde_json::Value;

const VERSIONS: [&str; 2] = ["v2", "v8"];

/// Every list answer and every GET answer of the org, in the versions of [`VERSIONS`].
async fn everything(app: &TestApp, token: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for version in VERSIONS {
        let path = format!("/crm/{version}/settings/profiles");
        let (status, list) = app.get(&path, token).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        for profile in list["profiles"].as_array().unwrap() {
            let path = format!("{path}/{}", profile["id"].as_str().unwrap());
            let (status, body) = app.get(&path, token).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            out.push((path, body));
        }
        out.push((path, list));
    }
    out
}

#[tokio::test]
async fn a_restart_keeps_every_profile_and_every_token() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let reader = app.token_for(ADMIN, &["ZohoCRM.settings.profiles.READ"]).await;

    let mut created = Vec::new();
    for (i, source) in
        [app.standard_id(), app.administrator_id(), app.standard_id()].iter().enumerate()
    {
        let body = serde_json::json!({ "profiles": [{
            "name": format!("Kept {i}"),
            "description": format!("Survives restarts ({i})"),
        }]})
        .to_string();
        let (status, answer) = app.post(&app.clone_path("v7", *source), &admin, &body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        created.push(answer["profiles"][0]["details"]["id"].as_str().unwrap().to_owned());
    }
    let before = everything(&app, &admin).await;
    assert_eq!(before.len(), VERSIONS.len() * (1 + 5), "two lists and ten single reads");

    let app = app.restart().await;

    // Both tokens were minted before the restart; both still work, and everything reads the same.
    assert_eq!(everything(&app, &admin).await, before);
    assert_eq!(everything(&app, &reader).await, before);
    let listed: Vec<_> = app.profiles(&admin).await.iter().map(|p| p["id"].clone()).collect();
    for id in &created {
        assert!(listed.contains(&Value::from(id.as_str())), "{id} missing after restart");
    }

    // Ids keep counting after a restart: a new clone never reuses one.
    let (status, answer) = app.clone_profile(&admin, app.standard_id(), "After restart").await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let new_id = answer["profiles"][0]["details"]["id"].as_str().unwrap();
    assert!(!listed.contains(&Value::from(new_id)), "{new_id} reused");
    assert_eq!(app.profiles(&admin).await.len(), 6);
}

/// Asserts that every acknowledged profile reads, that every listed profile reads whole and
/// that no profile is listed twice; returns the list.
async fn assert_org_holds(api: &Api, acknowledged: &[String]) -> Vec<Value> {
    let (profiles, _) = api.profiles().await;
    assert_eq!(profiles[0]["name"], "Administrator");
    let (status, administrator) = api
        .get(&format!("/crm/v8/settings/profiles/{}", profiles[0]["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK);
    for id in acknowledged {
        let (status, body) = api.get(&format!("/crm/v8/settings/profiles/{id}")).await;
        assert_eq!(status, StatusCode::OK, "acknowledged profile {id} was lost: {body}");
    }
    for profile in &profiles {
        let id = profile["id"].as_str().unwrap();
        let (status, body) = api.get(&format!("/crm/v8/settings/profiles/{id}")).await;
        assert_eq!(status, StatusCode::OK, "listed profile {id} does not read: {body}");
        assert_whole_profile(&body, &administrator);
    }
    let listed: BTreeSet<&str> = profiles.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(listed.len(), profiles.len(), "a profile is listed twice");
    profiles
}

#[tokio::test]
async fn sigkill_loses_no_acknowledged_clone() {
    let dir = tempfile::tempdir().unwrap();
    let database = common::fresh_database(&dir).await;
    let mut server = Server::serve(&["--database", &database]);
    let token = mint_token(&database, ADMIN, PROFILES_ALL);
    let api = Api::new(&server, &token);

    let (profiles, info) = api.profiles().await;
    assert_eq!(profiles.len(), 2);
    let standard = api.profile_id("Standard").await;
    // Fill the org up to its limit (25 by default): every clone is a separate commit.
    let room = info["license_limit"].as_u64().unwrap() as usize - profiles.len();
    assert!(room >= 20, "{info}");
    let mut acknowledged = Vec::new();
    for i in 0..room {
        let (status, body) = api.clone_profile(&standard, &format!("Durable {i}")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        acknowledged.push(body["profiles"][0]["details"]["id"].as_str().unwrap().to_owned());
    }

    let status = server.kill().expect("server was running");
    assert_eq!(status.signal(), Some(9), "killed, not stopped: {status:?}");

    let server = Server::serve(&["--database", &database]);
    let api = Api::new(&server, &token);
    let profiles = assert_org_holds(&api, &acknowledged).await;
    assert_eq!(profiles.len(), 2 + acknowledged.len());
    let listed: Vec<&str> = profiles[2..].iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(listed, acknowledged, "clones listed in creation order");
    let names: Vec<&str> = profiles[2..].iter().map(|p| p["name"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..room).map(|i| format!("Durable {i}")).collect();
    assert_eq!(names, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_with_clones_in_flight_keeps_every_acknowledged_clone_whole() {
    const KILL_AFTER: usize = 3;
    let dir = tempfile::tempdir().unwrap();
    let database = common::fresh_database(&dir).await;
    let mut server = Server::serve(&["--database", &database]);
    let token = mint_token(&database, ADMIN, PROFILES_ALL);
    let api = Api::new(&server, &token);

    let (profiles, info) = api.profiles().await;
    let standard = api.profile_id("Standard").await;
    let room = info["license_limit"].as_u64().unwrap() as usize - profiles.len();
    let names: Vec<String> = (0..room).map(|i| format!("In flight {i}")).collect();

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(room));
    let tasks: Vec<_> = names
        .iter()
        .map(|name| {
            let (api, tx, barrier) = (api.clone(), tx.clone(), barrier.clone());
            let (standard, name) = (standard.clone(), name.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                tx.send(api.try_clone(&standard, &name).await).ok();
            })
        })
        .collect();
    drop(tx);

    let mut answers = Vec::new();
    let mut created = 0;
    while let Some(answer) = rx.recv().await {
        created += usize::from(matches!(&answer, Ok((StatusCode::CREATED, _))));
        answers.push(answer);
        if created == KILL_AFTER {
            break;
        }
    }
    let status = server.kill().expect("server was running");
    assert_eq!(status.signal(), Some(9), "killed, not stopped: {status:?}");
    for task in tasks {
        task.await.unwrap();
    }
    while let Some(answer) = rx.recv().await {
        answers.push(answer);
    }

    let mut acknowledged = Vec::new();
    let mut unanswered = 0;
    for answer in &answers {
        match answer {
            Ok((StatusCode::CREATED, body)) => {
                acknowledged.push(body["profiles"][0]["details"]["id"].as_str().unwrap().to_owned())
            }
            Ok((status, body)) => panic!("clone refused: {status} {body}"),
            Err(_) => unanswered += 1,
        }
    }
    assert_eq!(answers.len(), room);
    assert!(acknowledged.len() >= KILL_AFTER);
    eprintln!("{} acknowledged, {unanswered} cut off by the kill", acknowledged.len());

    let server = Server::serve(&["--database", &database]);
    let api = Api::new(&server, &token);
    let profiles = assert_org_holds(&api, &acknowledged).await;
    eprintln!("{} profiles after the restart", profiles.len());
    // Clones cut off by the kill may or may not have committed; none is half there.
    assert!(profiles.len() >= 2 + acknowledged.len(), "{} listed", profiles.len());
    assert!(profiles.len() <= 2 + room, "{} listed", profiles.len());
    let (_, standard_body) = api.get(&format!("/crm/v8/settings/profiles/{standard}")).await;
    for profile in &profiles[2..] {
        assert!(names.contains(&profile["name"].as_str().unwrap().to_owned()), "{profile}");
        let id = profile["id"].as_str().unwrap();
        let (_, body) = api.get(&format!("/crm/v8/settings/profiles/{id}")).await;
        assert_eq!(
            body["profiles"][0]["permissions_details"],
            standard_body["profiles"][0]["permissions_details"],
            "clone {id} does not carry every permission of its source"
        );
    }
}

/// A steady stream of writes with no limit to run into: 8 clients add users as fast as they
/// can; the node is killed once 200 adds were acknowledged, then restarted on the same database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_a_stream_of_writes_loses_no_acknowledged_write() {
    const CLIENTS: usize = 8;
    const KILL_AFTER: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let database = common::fresh_database(&dir).await;
    let mut server = Server::serve(&["--database", &database]);
    let token = mint_token(&database, ADMIN, "ZohoCRM.users.ALL");
    let api = Api::new(&server, &token);
    let (_, users) = api.get("/crm/v8/users").await;
    let role = users["users"][1]["role"]["id"].as_str().unwrap().to_owned();
    let profile = users["users"][1]["profile"]["id"].as_str().unwrap().to_owned();

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Option<String>>();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (tx, url, token) = (tx.clone(), server.url("/crm/v8/users"), token.clone());
            let (role, profile) = (role.clone(), profile.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                for n in 0.. {
                    let body = serde_json::json!({ "users": [{
                        "email": format!("w{c}x{n}@example.com"), "last_name": format!("W{c} {n}"),
                        "role": role, "profile": profile,
                    }]});
                    let sent = http
                        .post(&url)
                        .header("Authorization", format!("Zoho-oauthtoken {token}"))
                        .body(body.to_string())
                        .send()
                        .await;
                    let Ok(response) = sent else { return };
                    let status = response.status();
                    let Ok(answer) = response.json::<Value>().await else { return };
                    assert_eq!(status, StatusCode::CREATED, "{answer}");
                    let id = answer["users"][0]["details"]["id"].as_str().unwrap().to_owned();
                    if tx.send(Some(id)).is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    drop(tx);

    let mut acknowledged = Vec::new();
    while let Some(Some(id)) = rx.recv().await {
        acknowledged.push(id);
        if acknowledged.len() == KILL_AFTER {
            break;
        }
    }
    let status = server.kill().expect("server was running");
    assert_eq!(status.signal(), Some(9));
    drop(rx);
    for client in clients {
        client.await.unwrap();
    }

    let server = Server::serve(&["--database", &database]);
    let api = Api::new(&server, &token);
    let (status, listed) = api.get("/crm/v8/users?per_page=200").await;
    assert_eq!(status, StatusCode::OK);
    let mut present: BTreeSet<String> = BTreeSet::new();
    let mut page = 1;
    let mut body = listed;
    loop {
        let added = body["users"].as_array().unwrap().iter().filter(|u| u["last_name"] != "Admin");
        for user in added.filter(|u| u["email"].as_str().unwrap().starts_with('w')) {
            // Nothing half-done: every stored user is whole, on the profile it was added to.
            assert_eq!(user["profile"]["id"], profile.as_str(), "{user}");
            assert_eq!(user["role"]["id"], role.as_str(), "{user}");
            present.insert(user["id"].as_str().unwrap().to_owned());
        }
        if body["info"]["more_records"] != true {
            break;
        }
        page += 1;
        body = api.get(&format!("/crm/v8/users?per_page=200&page={page}")).await.1;
    }
    let lost: Vec<_> = acknowledged.iter().filter(|id| !present.contains(*id)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    eprintln!(
        "stream: {} writes acknowledged before SIGKILL, {} users present after restart, 0 lost",
        acknowledged.len(),
        present.len()
    );
}

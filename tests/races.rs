//! Writes that race each other: deletes into a profile being deleted, clones of a profile being
//! deleted, two updates of one profile, and a user moved onto a profile being deleted.
//!
//! Each round starts two requests at the same moment on a multi-threaded runtime; whichever
//! order the server takes them in, the answers must agree with each other and with the final
//! state, and no user may end up without an existing profile.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::{ADMIN, PROFILES_ALL, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Barrier;

const USERS_ALL: &str = "ZohoCRM.users.ALL";
const ROUNDS: usize = 20;

type Answer = (StatusCode, Value);

fn profile_path(id: &str) -> String {
    format!("/crm/v8/settings/profiles/{id}")
}

fn delete_path(id: &str, transfer_to: &str) -> String {
    format!("{}?transfer_to={transfer_to}", profile_path(id))
}

/// admin@example.com with the scopes of both profiles and users.
async fn admin(app: &TestApp) -> String {
    app.token_for(ADMIN, &[PROFILES_ALL, USERS_ALL]).await
}

async fn clone_of(app: &TestApp, token: &str, source: &str, name: &str) -> String {
    let body = json!({ "profiles": [{ "name": name }] }).to_string();
    let (status, answer) =
        app.post(&format!("{}/actions/clone", profile_path(source)), token, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["profiles"][0]["details"]["id"].as_str().unwrap().to_owned()
}

async fn add_user(app: &TestApp, token: &str, email: &str, profile: &str) -> String {
    let body = json!({ "users": [{ "email": email, "last_name": email, "profile": profile,
                                   "role": app.org.role_ids[1].to_string() }] });
    let (status, answer) = app.post("/crm/v8/users", token, &body.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["users"][0]["details"]["id"].as_str().unwrap().to_owned()
}

/// The ids of the org's profiles.
async fn profile_ids(app: &TestApp, token: &str) -> HashSet<String> {
    let profiles = app.profiles(token).await;
    profiles.iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect()
}

/// Each user of the org with the id of the profile it holds, after checking that every one of
/// these profiles exists.
async fn users_profiles(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let (status, body) = app.get("/crm/v8/users", token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let existing = profile_ids(app, token).await;
    let users: Vec<(String, String)> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let id = u["id"].as_str().unwrap().to_owned();
            (id, u["profile"]["id"].as_str().unwrap().to_owned())
        })
        .collect();
    for (user, profile) in &users {
        assert!(existing.contains(profile), "user {user} holds {profile}, which does not exist");
    }
    users
}

fn holder<'a>(users: &'a [(String, String)], user: &str) -> &'a str {
    &users.iter().find(|(id, _)| id == user).unwrap_or_else(|| panic!("no user {user}")).1
}

async fn read_profile(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, body) = app.get(&profile_path(id), token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["profiles"][0].clone()
}

/// A request one of the racing tasks sends.
#[derive(Clone)]
enum Call {
    Post(String, String),
    Put(String, String),
    Delete(String),
}

/// Sends both calls at the same moment, each from its own task.
async fn race(app: &Arc<TestApp>, token: &str, calls: [Call; 2]) -> [Answer; 2] {
    let barrier = Arc::new(Barrier::new(2));
    let tasks = calls.map(|call| {
        let (app, barrier, token) = (app.clone(), barrier.clone(), token.to_owned());
        tokio::spawn(async move {
            barrier.wait().await;
            match call {
                Call::Post(path, body) => app.post(&path, &token, &body).await,
                Call::Put(path, body) => app.put(&path, &token, &body).await,
                Call::Delete(path) => app.delete(&path, &token).await,
            }
        })
    });
    let [first, second] = tasks;
    let (first, second) = tokio::join!(first, second);
    [first.unwrap(), second.unwrap()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delete_into_a_profile_being_deleted_loses_no_user() {
    let app = Arc::new(TestApp::spawn().await);
    let token = admin(&app).await;
    let standard = app.standard_id().to_string();

    for round in 0..ROUNDS {
        let a = clone_of(&app, &token, &standard, &format!("A{round}")).await;
        let b = clone_of(&app, &token, &standard, &format!("B{round}")).await;
        let mut on_a = Vec::new();
        let mut on_b = Vec::new();
        for i in 0..2 {
            on_a.push(add_user(&app, &token, &format!("a{round}.{i}@example.com"), &a).await);
            on_b.push(add_user(&app, &token, &format!("b{round}.{i}@example.com"), &b).await);
        }

        let [(a_status, a_answer), (b_status, b_answer)] = race(
            &app,
            &token,
            [Call::Delete(delete_path(&a, &b)), Call::Delete(delete_path(&b, &standard))],
        )
        .await;

        // B's target always exists, so B's delete always succeeds.
        assert_eq!(b_status, StatusCode::OK, "round {round}: {b_answer}");
        let profiles = profile_ids(&app, &token).await;
        let users = users_profiles(&app, &token).await;
        assert!(!profiles.contains(&b), "round {round}: B acknowledged deleted but listed");
        for user in &on_b {
            assert_eq!(holder(&users, user), standard, "round {round}: B's user {user}");
        }
        if a_status == StatusCode::OK {
            // A went first: its users moved to B, then on to Standard with B's.
            assert!(!profiles.contains(&a), "round {round}: A acknowledged deleted but listed");
            for user in &on_a {
                assert_eq!(holder(&users, user), standard, "round {round}: A's user {user}");
            }
        } else {
            // B went first: A's transfer_to named nothing any more, and nothing happened to A.
            assert_eq!(a_status, StatusCode::BAD_REQUEST, "round {round}: {a_answer}");
            assert_eq!(a_answer["code"], "INVALID_DATA", "round {round}");
            assert_eq!(a_answer["details"], json!({ "id": b }), "round {round}");
            assert!(profiles.contains(&a), "round {round}: A was refused but is gone");
            for user in &on_a {
                assert_eq!(holder(&users, user), a, "round {round}: A's user {user}");
            }
            let (status, answer) = app.delete(&delete_path(&a, &standard), &token).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
        let expected: HashSet<String> =
            [app.administrator_id().to_string(), standard.clone()].into();
        assert_eq!(profile_ids(&app, &token).await, expected, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clone_of_a_profile_being_deleted_copies_it_whole_or_fails() {
    let app = Arc::new(TestApp::spawn().await);
    let token = admin(&app).await;
    let standard = app.standard_id().to_string();
    let administrator = app.administrator_id().to_string();

    for round in 0..ROUNDS {
        // A differs from both system profiles, so a copy of anything else would show.
        let a = clone_of(&app, &token, &administrator, &format!("A{round}")).await;
        let original = read_profile(&app, &token, &a).await;
        let view_leads = original["permissions_details"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "Crm_Implied_View_Leads")
            .unwrap()["id"]
            .clone();
        let body = json!({ "profiles": [{ "permissions_details": [
            { "id": view_leads, "enabled": false },
        ]}]});
        let (status, answer) = app.put(&profile_path(&a), &token, &body.to_string()).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let original = read_profile(&app, &token, &a).await;
        let copy_name = format!("Copy{round}");
        let clone_body = json!({ "profiles": [{ "name": copy_name }] }).to_string();

        let [(clone_status, clone_answer), (delete_status, delete_answer)] = race(
            &app,
            &token,
            [
                Call::Post(format!("{}/actions/clone", profile_path(&a)), clone_body),
                Call::Delete(delete_path(&a, &standard)),
            ],
        )
        .await;

        assert_eq!(delete_status, StatusCode::OK, "round {round}: {delete_answer}");
        let listed = app.profiles(&token).await;
        assert!(listed.iter().all(|p| p["id"] != a.as_str()), "round {round}: A still listed");
        let copies: Vec<&Value> = listed.iter().filter(|p| p["name"] == copy_name).collect();
        if clone_status == StatusCode::CREATED {
            let id = clone_answer["profiles"][0]["details"]["id"].as_str().unwrap();
            assert_eq!(copies.len(), 1, "round {round}");
            assert_eq!(copies[0]["id"], id, "round {round}");
            let copy = read_profile(&app, &token, id).await;
            assert_eq!(
                copy["permissions_details"], original["permissions_details"],
                "round {round}"
            );
            let (status, answer) = app.delete(&delete_path(id, &standard), &token).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
        } else {
            assert_eq!(clone_status, StatusCode::BAD_REQUEST, "round {round}: {clone_answer}");
            assert_eq!(clone_answer["code"], "INVALID_DATA", "round {round}");
            assert_eq!(clone_answer["details"], json!({ "resource_path_index": 2 }));
            assert!(copies.is_empty(), "round {round}: a refused clone left a copy");
        }
        assert_eq!(app.profiles(&token).await.len(), 2, "round {round}");
    }
}

/// The states of `names` in a profile as GET shows it.
fn states(profile: &Value, names: &[&str]) -> Vec<bool> {
    let entries = profile["permissions_details"].as_array().unwrap();
    names
        .iter()
        .map(|name| {
            let entry = entries.iter().find(|p| p["name"] == *name).unwrap();
            entry["enabled"].as_bool().unwrap()
        })
        .collect()
}

/// Permissions both racing updates set, each the opposite way of the other.
const SHARED: [&str; 4] = [
    "Crm_Implied_Delete_Leads",
    "Crm_Implied_Delete_Contacts",
    "Crm_Implied_Delete_Accounts",
    "Crm_Implied_Delete_Deals",
];
/// Permissions only one of them switches off.
const X_ONLY: &str = "Crm_Implied_Edit_Leads";
const Y_ONLY: &str = "Crm_Implied_Edit_Contacts";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_updates_of_one_profile_apply_one_after_the_other_never_mixed() {
    let app = Arc::new(TestApp::spawn().await);
    let token = admin(&app).await;
    let standard = app.standard_id().to_string();
    let x_shared = [false, false, true, true];
    let y_shared = x_shared.map(|on| !on);
    let template = read_profile(&app, &token, &standard).await;
    let id_of = |name: &str| {
        let entries = template["permissions_details"].as_array().unwrap();
        entries.iter().find(|p| p["name"] == name).unwrap()["id"].clone()
    };
    let body = |name: &str, description: &str, shared: &[bool], only: &str| {
        let mut entries: Vec<Value> = SHARED
            .iter()
            .zip(shared)
            .map(|(permission, on)| json!({ "id": id_of(permission), "enabled": on }))
            .collect();
        entries.push(json!({ "id": id_of(only), "enabled": false }));
        json!({ "profiles": [{ "name": name, "description": description,
                               "permissions_details": entries }] })
        .to_string()
    };

    for round in 0..ROUNDS {
        let p = clone_of(&app, &token, &standard, &format!("P{round}")).await;
        let (x_name, y_name) = (format!("X{round}"), format!("Y{round}"));

        let [(x_status, x_answer), (y_status, y_answer)] = race(
            &app,
            &token,
            [
                Call::Put(profile_path(&p), body(&x_name, "by x", &x_shared, X_ONLY)),
                Call::Put(profile_path(&p), body(&y_name, "by y", &y_shared, Y_ONLY)),
            ],
        )
        .await;

        assert_eq!(x_status, StatusCode::OK, "round {round}: {x_answer}");
        assert_eq!(y_status, StatusCode::OK, "round {round}: {y_answer}");
        let profile = read_profile(&app, &token, &p).await;
        // The later update decides everything both set...
        let seen = (&profile["name"], &profile["description"], states(&profile, &SHARED));
        let as_x = (&json!(x_name), &json!("by x"), x_shared.to_vec());
        let as_y = (&json!(y_name), &json!("by y"), y_shared.to_vec());
        assert!(seen == as_x || seen == as_y, "round {round}: a mix of both updates: {seen:?}");
        // ...and the earlier one's own change was not lost.
        assert_eq!(states(&profile, &[X_ONLY, Y_ONLY]), [false, false], "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn user_moved_onto_a_profile_being_deleted_ends_on_an_existing_profile() {
    let app = Arc::new(TestApp::spawn().await);
    let token = admin(&app).await;
    let standard = app.standard_id().to_string();
    let home = clone_of(&app, &token, &standard, "Home").await;
    let user = add_user(&app, &token, "mover@example.com", &home).await;
    let user_path = format!("/crm/v8/users/{user}");

    for round in 0..ROUNDS {
        let p = clone_of(&app, &token, &standard, &format!("P{round}")).await;
        let move_body = json!({ "users": [{ "profile": p }] }).to_string();

        let [(put_status, put_answer), (delete_status, delete_answer)] = race(
            &app,
            &token,
            [Call::Put(user_path.clone(), move_body), Call::Delete(delete_path(&p, &standard))],
        )
        .await;

        assert_eq!(delete_status, StatusCode::OK, "round {round}: {delete_answer}");
        let users = users_profiles(&app, &token).await;
        assert!(!profile_ids(&app, &token).await.contains(&p), "round {round}: P still listed");
        if put_status == StatusCode::OK {
            // The move came first; the delete then took the user along to Standard.
            assert_eq!(holder(&users, &user), standard, "round {round}");
        } else {
            // The delete came first; the move named a profile that no longer existed.
            assert_eq!(put_status, StatusCode::BAD_REQUEST, "round {round}: {put_answer}");
            assert_eq!(put_answer["users"][0]["code"], "INVALID_DATA", "round {round}");
            assert_eq!(put_answer["users"][0]["details"]["api_name"], "profile");
            assert_eq!(holder(&users, &user), home, "round {round}");
        }
        let back = json!({ "users": [{ "profile": home }] }).to_string();
        let (status, answer) = app.put(&user_path, &token, &back).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
}

//! Three nodes on one database, sent conflicting requests at the same time: every invariant
//! holds across them, and every answer agrees with the final state. On SQLite the nodes share
//! one file; with `CRM_PROFILES_TEST_POSTGRES` set they share one PostgreSQL database.

mod common;

use std::collections::{HashMap, HashSet};

use common::TestApp;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

const USERS_ALL: &str = "ZohoCRM.users.ALL";
const PROFILES_ALL: &str = "ZohoCRM.settings.profiles.ALL";

struct Cluster {
    nodes: Vec<TestApp>,
    token: String,
}

impl Cluster {
    async fn start() -> Self {
        let first = TestApp::spawn().await;
        let second = first.another_node().await;
        let third = first.another_node().await;
        // A token minted once works on every node.
        let token = first.token_for(common::ADMIN, &[PROFILES_ALL, USERS_ALL]).await;
        Self { nodes: vec![first, second, third], token }
    }

    fn node(&self, i: usize) -> &TestApp {
        &self.nodes[i % self.nodes.len()]
    }

    fn base(&self, i: usize) -> String {
        self.node(i).url("")
    }

    async fn send(
        &self,
        i: usize,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .node(i)
            .client
            .request(method, format!("{}{path}", self.base(i)))
            .header("Authorization", format!("Zoho-oauthtoken {}", self.token));
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The org's profiles by id, read from the first node.
    async fn profiles(&self) -> HashMap<String, Value> {
        let (_, body) = self.send(0, reqwest::Method::GET, "/crm/v8/settings/profiles", None).await;
        body["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["id"].as_str().unwrap().to_owned(), p.clone()))
            .collect()
    }

    async fn users(&self) -> Vec<Value> {
        let (_, body) = self.send(1, reqwest::Method::GET, "/crm/v8/users", None).await;
        body["users"].as_array().unwrap().clone()
    }

    /// Names unique ignoring case, at most 25 profiles, every user on an existing profile.
    async fn check_invariants(&self) {
        let profiles = self.profiles().await;
        assert!(profiles.len() <= 25, "{} profiles", profiles.len());
        let names: HashSet<String> =
            profiles.values().map(|p| p["name"].as_str().unwrap().to_lowercase()).collect();
        assert_eq!(names.len(), profiles.len(), "names are unique");
        for user in self.users().await {
            let held = user["profile"]["id"].as_str().unwrap();
            assert!(profiles.contains_key(held), "user {} holds a missing profile", user["id"]);
        }
    }
}

fn clone_body(name: &str) -> Option<Value> {
    Some(json!({ "profiles": [{ "name": name }] }))
}

fn new_id(body: &Value) -> String {
    body["profiles"][0]["details"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clones_racing_for_the_last_slot_and_one_name_across_nodes() {
    let cluster = Cluster::start().await;
    let standard = cluster.nodes[0].standard_id();
    let clone_path = format!("/crm/v8/settings/profiles/{standard}/actions/clone");
    for i in 0..21 {
        let (status, _) = cluster
            .send(i, reqwest::Method::POST, &clone_path, clone_body(&format!("Fill {i}")))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }

    // 23 profiles: 30 clones of one name, then 60 of distinct names for the last slots.
    let same_name = join_all(
        (0..30)
            .map(|i| cluster.send(i, reqwest::Method::POST, &clone_path, clone_body("Contested"))),
    )
    .await;
    let created: Vec<_> = same_name.iter().filter(|(s, _)| *s == StatusCode::CREATED).collect();
    assert_eq!(created.len(), 1, "one clone of the contested name");
    assert!(same_name.iter().all(|(s, b)| *s == StatusCode::CREATED || b["profiles"][0]["code"] == "DUPLICATE_DATA"));

    let names: Vec<String> = (0..60).map(|i| format!("Last {i}")).collect();
    let last_slot =
        join_all(names.iter().enumerate().map(|(i, name)| {
            cluster.send(i, reqwest::Method::POST, &clone_path, clone_body(name))
        }))
        .await;
    let won: Vec<_> = last_slot.iter().filter(|(s, _)| *s == StatusCode::CREATED).collect();
    assert_eq!(won.len(), 1, "exactly one clone takes the 25th slot");
    assert!(
        last_slot.iter().all(|(s, b)| *s == StatusCode::CREATED
            || b["profiles"][0]["code"] == "PROFILE_LIMIT_EXCEEDED")
    );

    let profiles = cluster.profiles().await;
    assert_eq!(profiles.len(), 25);
    assert!(profiles.contains_key(&new_id(&created[0].1)));
    assert!(profiles.contains_key(&new_id(&won[0].1)));
    cluster.check_invariants().await;
    println!(
        "multinode: {} clones sent, {} refused as duplicates, {} refused at the limit",
        21 + 30 + 60,
        same_name.len() - 1,
        last_slot.len() - 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletes_race_clones_and_user_moves_across_nodes() {
    let cluster = Cluster::start().await;
    let standard = cluster.nodes[0].standard_id();
    let (_, users) = cluster.send(0, reqwest::Method::GET, "/crm/v8/users", None).await;
    let role = users["users"][1]["role"]["id"].as_str().unwrap().to_owned();
    let mut conflicts = 0;
    let mut sent = 0;

    for round in 0..8 {
        let clone_path = format!("/crm/v8/settings/profiles/{standard}/actions/clone");
        let (_, a) = cluster
            .send(round, reqwest::Method::POST, &clone_path, clone_body(&format!("A{round}")))
            .await;
        let a = new_id(&a);
        let user_body = json!({ "users": [{
            "email": format!("u{round}@example.com"), "last_name": format!("U{round}"),
            "role": role, "profile": a,
        }]});
        let (status, user) =
            cluster.send(round + 1, reqwest::Method::POST, "/crm/v8/users", Some(user_body)).await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        let user_id = user["users"][0]["details"]["id"].as_str().unwrap().to_owned();
        let (_, b) = cluster
            .send(round, reqwest::Method::POST, &clone_path, clone_body(&format!("B{round}")))
            .await;
        let b = new_id(&b);

        // At once: delete A (users to Standard), clone A, move the user onto B, delete B
        // (users to A).
        let delete_a = format!("/crm/v8/settings/profiles/{a}?transfer_to={standard}");
        let clone_a = format!("/crm/v8/settings/profiles/{a}/actions/clone");
        let move_user = format!("/crm/v8/users/{user_id}");
        let delete_b = format!("/crm/v8/settings/profiles/{b}?transfer_to={a}");
        let move_body = Some(json!({ "users": [{ "profile": b }] }));
        let (deleted_a, cloned_a, moved, deleted_b) = tokio::join!(
            cluster.send(round, reqwest::Method::DELETE, &delete_a, None),
            cluster.send(
                round + 1,
                reqwest::Method::POST,
                &clone_a,
                clone_body(&format!("C{round}"))
            ),
            cluster.send(round + 2, reqwest::Method::PUT, &move_user, move_body),
            cluster.send(round + 3, reqwest::Method::DELETE, &delete_b, None),
        );
        sent += 4;
        conflicts += [&deleted_a, &cloned_a, &moved, &deleted_b]
            .iter()
            .filter(|(s, _)| !s.is_success())
            .count();

        let profiles = cluster.profiles().await;
        assert_eq!(deleted_a.0 == StatusCode::OK, !profiles.contains_key(&a), "A gone iff deleted");
        assert_eq!(deleted_b.0 == StatusCode::OK, !profiles.contains_key(&b), "B gone iff deleted");
        if cloned_a.0 == StatusCode::CREATED {
            assert!(profiles.contains_key(&new_id(&cloned_a.1)), "an acknowledged clone exists");
        } else {
            assert_eq!(cloned_a.1["code"], "INVALID_DATA", "{}", cloned_a.1);
        }
        let (_, user) = cluster.send(0, reqwest::Method::GET, &move_user, None).await;
        let held = user["users"][0]["profile"]["id"].as_str().unwrap();
        assert!(profiles.contains_key(held), "the user holds an existing profile");
        cluster.check_invariants().await;
    }
    println!("multinode: {sent} conflicting requests sent, {conflicts} refused");
}

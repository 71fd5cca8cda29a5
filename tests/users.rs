//! /crm/{version}/users: listing, reading, adding users and moving them between profiles; and
//! the wall between orgs, for users and profiles alike.

mod common;

use common::{ADMIN, PROFILES_ALL, STANDARD_USER, TestApp, redact};
use crm_profiles::store::CreatedOrg;
use reqwest::StatusCode;
use serde_json::{Value, json};

const USERS_ALL: &str = "ZohoCRM.users.ALL";
const USERS_READ: &str = "ZohoCRM.users.READ";
const BOSS: &str = "boss@other.example";

async fn users_token(app: &TestApp) -> String {
    app.token_for(ADMIN, &[USERS_ALL, PROFILES_ALL]).await
}

async fn other_org(app: &TestApp) -> CreatedOrg {
    let seed = crm_profiles::domain::seed::new_org("Other", BOSS);
    app.store.create_org(&seed, app.now()).await.unwrap()
}

/// A user body for POST or PUT.
fn user_body(fields: Value) -> String {
    json!({ "users": [fields] }).to_string()
}

/// Fields of a valid new user holding Standard.
fn new_user(app: &TestApp, email: &str) -> Value {
    json!({
        "email": email,
        "first_name": "Carla",
        "last_name": "Clerk",
        "profile": app.standard_id().to_string(),
        "role": app.org.role_ids[1].to_string(),
    })
}

async fn add_user(app: &TestApp, token: &str, email: &str) -> String {
    let (status, body) = app.post("/crm/v8/users", token, &user_body(new_user(app, email))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["users"][0]["details"]["id"].as_str().unwrap().to_owned()
}

fn emails(body: &Value) -> Vec<&str> {
    body["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect()
}

async fn list(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.get("/crm/v8/users", token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// POSTs `body` and checks that the org's users did not change.
async fn refused_post(app: &TestApp, token: &str, body: &str) -> (StatusCode, Value) {
    let observer = users_token(app).await;
    let before = list(app, &observer).await;
    let answer = app.post("/crm/v8/users", token, body).await;
    assert_eq!(list(app, &observer).await, before, "a refused POST changed the users");
    answer
}

/// PUTs `body` to user `id` and checks that the org's users did not change.
async fn refused_put(app: &TestApp, token: &str, id: &str, body: &str) -> (StatusCode, Value) {
    let observer = users_token(app).await;
    let before = list(app, &observer).await;
    app.clock.set(app.now() + 1);
    let answer = app.put(&format!("/crm/v8/users/{id}"), token, body).await;
    assert_eq!(list(app, &observer).await, before, "a refused PUT changed the users");
    answer
}

// --- list --------------------------------------------------------------------------------------

#[tokio::test]
async fn list_shows_every_user_of_the_org() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;

    let body = list(&app, &token).await;

    assert_eq!(body["users"][0]["id"], app.org.user_ids[0].to_string());
    assert_eq!(body["users"][0]["profile"]["id"], app.administrator_id().to_string());
    assert_eq!(body["users"][1]["profile"]["id"], app.standard_id().to_string());
    assert_eq!(body["users"][1]["role"]["id"], app.org.role_ids[1].to_string());
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "users": [
        {
          "country": null,
          "language": "en_US",
          "id": "[id]",
          "created_time": "[time]",
          "profile": {
            "name": "Administrator",
            "id": "[id]"
          },
          "role": {
            "name": "CEO",
            "id": "[id]"
          },
          "created_by": null,
          "full_name": "Ada Admin",
          "status": "active",
          "confirm": true,
          "last_name": "Admin",
          "first_name": "Ada",
          "email": "admin@example.com",
          "Modified_Time": "2026-05-28T20:26:40+00:00",
          "Modified_By": null,
          "time_zone": "UTC",
          "locale": "en_US"
        },
        {
          "country": null,
          "language": "en_US",
          "id": "[id]",
          "created_time": "[time]",
          "profile": {
            "name": "Standard",
            "id": "[id]"
          },
          "role": {
            "name": "Manager",
            "id": "[id]"
          },
          "created_by": null,
          "full_name": "Sam Standard",
          "status": "active",
          "confirm": true,
          "last_name": "Standard",
          "first_name": "Sam",
          "email": "standard@example.com",
          "Modified_Time": "2026-05-28T20:26:40+00:00",
          "Modified_By": null,
          "time_zone": "UTC",
          "locale": "en_US"
        }
      ],
      "info": {
        "per_page": 200,
        "count": 2,
        "page": 1,
        "more_records": false
      }
    }
    "#);
}

#[tokio::test]
async fn type_filters_the_list() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let standard = app.token_for(STANDARD_USER, &[USERS_READ]).await;
    let both = ["admin@example.com", "standard@example.com"];

    let cases = [
        ("AllUsers", &token, &both[..]),
        ("ActiveUsers", &token, &both[..]),
        ("AdminUsers", &token, &both[..1]),
        ("AdminUsers", &standard, &both[..1]),
        ("CurrentUser", &token, &both[..1]),
        ("CurrentUser", &standard, &both[1..]),
    ];
    for (kind, caller, expected) in cases {
        let (status, body) = app.get(&format!("/crm/v8/users?type={kind}"), caller).await;

        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        assert_eq!(emails(&body), expected, "{kind}");
        assert_eq!(body["info"]["count"], expected.len(), "{kind}");
    }
}

#[tokio::test]
async fn deactivated_users_are_none_so_204_without_body() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;

    let (status, content_type, body) =
        app.get_raw("/crm/v8/users?type=DeactiveUsers", &token, &[]).await;

    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(content_type, None);
    assert_eq!(body, "");
}

#[tokio::test]
async fn an_empty_type_is_ignored_like_an_empty_pair() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;

    let (status, body) = app.get("/crm/v8/users?type=&per_page=", &token).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["users"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn unknown_type_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;

    for kind in ["Bogus", "allusers"] {
        let (status, body) = app.get(&format!("/crm/v8/users?type={kind}"), &token).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{kind}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(body, @r#"
            {
              "code": "INVALID_DATA",
              "details": {
                "param_name": "type"
              },
              "message": "invalid data",
              "status": "error"
            }
            "#);
        }
    }
}

#[tokio::test]
async fn page_and_per_page_split_the_list() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    for email in ["c@example.com", "d@example.com", "e@example.com"] {
        add_user(&app, &token, email).await;
    }
    let pages = [
        (1, &["admin@example.com", "standard@example.com"][..], true),
        (2, &["c@example.com", "d@example.com"][..], true),
        (3, &["e@example.com"][..], false),
    ];

    for (page, expected, more) in pages {
        let path = format!("/crm/v8/users?per_page=2&page={page}");
        let (status, body) = app.get(&path, &token).await;

        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(emails(&body), expected, "page {page}");
        let info = json!({ "per_page": 2, "count": expected.len(), "page": page,
                           "more_records": more });
        assert_eq!(body["info"], info, "page {page}");
    }
    let (status, _, body) = app.get_raw("/crm/v8/users?per_page=2&page=4", &token, &[]).await;
    assert_eq!((status, body.as_str()), (StatusCode::NO_CONTENT, ""));
}

#[tokio::test]
async fn page_or_per_page_out_of_range_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let cases = [
        ("page", "0"),
        ("page", "x"),
        ("page", "-1"),
        ("per_page", "0"),
        ("per_page", "201"),
        ("per_page", "x"),
    ];

    for (param, value) in cases {
        let (status, body) = app.get(&format!("/crm/v8/users?{param}={value}"), &token).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{param}={value}");
        assert_eq!(body["code"], "INVALID_DATA");
        assert_eq!(body["details"], json!({ "param_name": param }), "{param}={value}");
    }
}

// --- get ---------------------------------------------------------------------------------------

#[tokio::test]
async fn get_one_user_by_id() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let id = app.org.user_ids[1].to_string();

    let (status, body) = app.get(&format!("/crm/v8/users/{id}"), &token).await;

    assert_eq!(status, StatusCode::OK);
    let users = body["users"].as_array().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0], list(&app, &token).await["users"][1]);
    assert_eq!(users[0]["id"], id);
}

#[tokio::test]
async fn unknown_or_malformed_user_id_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let profile = app.standard_id().to_string();

    for id in [profile.as_str(), "abc", "-1"] {
        let (status, body) = app.get(&format!("/crm/v8/users/{id}"), &token).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{id}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(body, @r#"
            {
              "code": "INVALID_DATA",
              "details": {
                "resource_path_index": 1
              },
              "message": "the id given seems to be invalid or already deleted",
              "status": "error"
            }
            "#);
        }
    }
}

// --- add ---------------------------------------------------------------------------------------

#[tokio::test]
async fn post_adds_a_user() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    app.clock.set(common::START + 60);

    let (status, body) =
        app.post("/crm/v8/users", &token, &user_body(new_user(&app, " carla@example.com "))).await;

    assert_eq!(status, StatusCode::CREATED);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "users": [
        {
          "code": "SUCCESS",
          "details": {
            "id": "[id]"
          },
          "message": "User added",
          "status": "success"
        }
      ]
    }
    "#);
    let id = body["users"][0]["details"]["id"].as_str().unwrap();
    let (status, user) = app.get(&format!("/crm/v8/users/{id}"), &token).await;
    assert_eq!(status, StatusCode::OK);
    let user = &user["users"][0];
    assert_eq!(user["email"], "carla@example.com");
    assert_eq!(user["full_name"], "Carla Clerk");
    assert_eq!(user["profile"], json!({ "name": "Standard", "id": app.standard_id().to_string() }));
    assert_eq!(user["role"], json!({ "name": "Manager", "id": app.org.role_ids[1].to_string() }));
    let ada = json!({ "name": "Ada Admin", "id": app.org.user_ids[0].to_string() });
    assert_eq!(user["created_by"], ada);
    assert_eq!(user["created_time"], "2026-05-28T20:27:40+00:00");
    assert_eq!(emails(&list(&app, &token).await).len(), 3);
}

#[tokio::test]
async fn profile_and_role_may_be_given_as_objects_or_numbers() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let mut fields = new_user(&app, "carla@example.com");
    fields["profile"] = json!({ "id": app.administrator_id().to_string() });
    fields["role"] = json!(app.org.role_ids[0]);

    let (status, body) = app.post("/crm/v8/users", &token, &user_body(fields)).await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["users"][0]["details"]["id"].as_str().unwrap();
    let (_, user) = app.get(&format!("/crm/v8/users/{id}"), &token).await;
    assert_eq!(user["users"][0]["profile"]["name"], "Administrator");
    assert_eq!(user["users"][0]["role"]["name"], "CEO");
}

#[tokio::test]
async fn post_without_a_required_field_is_mandatory_not_found() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let mut answers = Vec::new();

    for field in ["email", "last_name", "profile", "role"] {
        let mut fields = new_user(&app, "carla@example.com");
        fields.as_object_mut().unwrap().remove(field);
        let (status, body) = refused_post(&app, &token, &user_body(fields)).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}");
        answers.push(body);
    }

    insta::assert_json_snapshot!(answers, @r#"
    [
      {
        "users": [
          {
            "code": "MANDATORY_NOT_FOUND",
            "details": {
              "api_name": "email",
              "json_path": "$.users[0].email"
            },
            "message": "required field not found",
            "status": "error"
          }
        ]
      },
      {
        "users": [
          {
            "code": "MANDATORY_NOT_FOUND",
            "details": {
              "api_name": "last_name",
              "json_path": "$.users[0].last_name"
            },
            "message": "required field not found",
            "status": "error"
          }
        ]
      },
      {
        "users": [
          {
            "code": "MANDATORY_NOT_FOUND",
            "details": {
              "api_name": "profile",
              "json_path": "$.users[0].profile"
            },
            "message": "required field not found",
            "status": "error"
          }
        ]
      },
      {
        "users": [
          {
            "code": "MANDATORY_NOT_FOUND",
            "details": {
              "api_name": "role",
              "json_path": "$.users[0].role"
            },
            "message": "required field not found",
            "status": "error"
          }
        ]
      }
    ]
    "#);
}

#[tokio::test]
async fn invalid_email_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;

    for email in ["carla", "carla@example", "carla @example.com", "@example.com"] {
        let body = user_body(new_user(&app, email));
        let (status, answer) = refused_post(&app, &token, &body).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{email}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(answer, @r#"
            {
              "users": [
                {
                  "code": "INVALID_DATA",
                  "details": {
                    "api_name": "email",
                    "json_path": "$.users[0].email"
                  },
                  "message": "invalid data",
                  "status": "error"
                }
              ]
            }
            "#);
        }
    }
}

#[tokio::test]
async fn duplicate_email_ignoring_case_is_duplicate_data() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;

    for email in ["admin@example.com", "ADMIN@Example.COM", " Standard@example.com "] {
        let (status, answer) = refused_post(&app, &token, &user_body(new_user(&app, email))).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{email}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(answer, @r#"
            {
              "users": [
                {
                  "code": "DUPLICATE_DATA",
                  "details": {
                    "api_name": "email",
                    "json_path": "$.users[0].email"
                  },
                  "message": "duplicate data",
                  "status": "error"
                }
              ]
            }
            "#);
        }
    }
}

#[tokio::test]
async fn profile_or_role_of_another_org_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let other = other_org(&app).await;
    let mut answers = Vec::new();

    for (field, id) in [("profile", other.profile_ids[1]), ("role", other.role_ids[0])] {
        let mut fields = new_user(&app, "carla@example.com");
        fields[field] = json!(id.to_string());
        let (status, body) = refused_post(&app, &token, &user_body(fields)).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}");
        answers.push(body);
    }

    insta::assert_json_snapshot!(answers, @r#"
    [
      {
        "users": [
          {
            "code": "INVALID_DATA",
            "details": {
              "api_name": "profile",
              "json_path": "$.users[0].profile"
            },
            "message": "invalid data",
            "status": "error"
          }
        ]
      },
      {
        "users": [
          {
            "code": "INVALID_DATA",
            "details": {
              "api_name": "role",
              "json_path": "$.users[0].role"
            },
            "message": "invalid data",
            "status": "error"
          }
        ]
      }
    ]
    "#);
}

// --- change ------------------------------------------------------------------------------------

#[tokio::test]
async fn put_moves_a_user_to_another_profile() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let (status, clone) = app.clone_profile(&token, app.standard_id(), "Sales").await;
    assert_eq!(status, StatusCode::CREATED);
    let sales = clone["profiles"][0]["details"]["id"].as_str().unwrap();
    let id = app.org.user_ids[1].to_string();

    let body = user_body(json!({ "profile": sales }));
    let (status, answer) = app.put(&format!("/crm/v8/users/{id}"), &token, &body).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["users"][0]["details"]["id"], id);
    insta::assert_json_snapshot!(redact(&answer), @r#"
    {
      "users": [
        {
          "code": "SUCCESS",
          "details": {
            "id": "[id]"
          },
          "message": "User updated",
          "status": "success"
        }
      ]
    }
    "#);
    let (_, user) = app.get(&format!("/crm/v8/users/{id}"), &token).await;
    assert_eq!(user["users"][0]["profile"], json!({ "name": "Sales", "id": sales }));
    assert_eq!(user["users"][0]["email"], "standard@example.com");
}

#[tokio::test]
async fn primary_contact_keeps_its_profile() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let id = app.org.user_ids[0].to_string();
    let body = user_body(json!({ "profile": app.standard_id().to_string() }));

    let (status, answer) = refused_put(&app, &token, &id, &body).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(answer, @r#"
    {
      "users": [
        {
          "code": "NOT_ALLOWED",
          "details": {
            "api_name": "profile",
            "json_path": "$.users[0].profile"
          },
          "message": "the profile of the organization's primary contact cannot be changed",
          "status": "error"
        }
      ]
    }
    "#);
    // Sending the profile it already holds is no change.
    let same = user_body(json!({ "profile": app.administrator_id().to_string() }));
    let (status, answer) = app.put(&format!("/crm/v8/users/{id}"), &token, &same).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn put_to_a_profile_that_does_not_exist_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let other = other_org(&app).await;
    let id = app.org.user_ids[1].to_string();

    for profile in [other.profile_ids[1], app.org.org.id] {
        let body = user_body(json!({ "profile": profile.to_string() }));
        let (status, answer) = refused_put(&app, &token, &id, &body).await;

        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(answer["users"][0]["code"], "INVALID_DATA");
        assert_eq!(answer["users"][0]["details"]["api_name"], "profile");
    }
}

// --- who may --------------------------------------------------------------------------------

#[tokio::test]
async fn users_read_scope_can_list_but_not_add_or_change() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ADMIN, &[USERS_READ]).await;
    list(&app, &token).await;
    let id = app.org.user_ids[1].to_string();
    let (status, _) = app.get(&format!("/crm/v8/users/{id}"), &token).await;
    assert_eq!(status, StatusCode::OK);

    let post = refused_post(&app, &token, &user_body(new_user(&app, "carla@example.com"))).await;
    let body = user_body(json!({ "last_name": "Renamed" }));
    let put = refused_put(&app, &token, &id, &body).await;

    for (status, answer) in [post, put] {
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(answer, @r#"
            {
              "code": "OAUTH_SCOPE_MISMATCH",
              "details": {},
              "message": "invalid oauth scope to access this URL",
              "status": "error"
            }
            "#);
        }
    }
}

#[tokio::test]
async fn profiles_scope_does_not_cover_users() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    let (status, body) = app.get("/crm/v8/users", &token).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "OAUTH_SCOPE_MISMATCH");
}

#[tokio::test]
async fn standard_user_can_list_but_not_add_or_change_users() {
    let app = TestApp::spawn().await;
    let token = app.token_for(STANDARD_USER, &[USERS_ALL]).await;
    assert_eq!(emails(&list(&app, &token).await).len(), 2);
    let id = app.org.user_ids[1].to_string();

    let post = refused_post(&app, &token, &user_body(new_user(&app, "carla@example.com"))).await;
    let body = user_body(json!({ "profile": app.administrator_id().to_string() }));
    let put = refused_put(&app, &token, &id, &body).await;

    for (status, answer) in [post, put] {
        assert_eq!(status, StatusCode::FORBIDDEN);
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(answer, @r#"
            {
              "code": "NO_PERMISSION",
              "details": {
                "permissions": [
                  "Crm_Implied_Manage_Users"
                ]
              },
              "message": "permission denied",
              "status": "error"
            }
            "#);
        }
    }
}

// --- the wall between orgs ---------------------------------------------------------------------

#[tokio::test]
async fn user_of_another_org_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let other = other_org(&app).await;
    let boss = other.user_ids[0].to_string();
    let path = format!("/crm/v8/users/{boss}");

    let (status, get) = app.get(&path, &token).await;
    let body = user_body(json!({ "last_name": "Renamed" }));
    let (put_status, put) = app.put(&path, &token, &body).await;

    for (status, answer) in [(status, get), (put_status, put)] {
        assert_eq!(status, StatusCode::BAD_REQUEST);
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(answer, @r#"
            {
              "code": "INVALID_DATA",
              "details": {
                "resource_path_index": 1
              },
              "message": "the id given seems to be invalid or already deleted",
              "status": "error"
            }
            "#);
        }
    }
    let theirs = app.token_for(BOSS, &[USERS_ALL]).await;
    let (_, user) = app.get(&path, &theirs).await;
    assert_eq!(user["users"][0]["last_name"], "boss");
}

#[tokio::test]
async fn a_token_of_another_org_sees_only_that_org() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let (status, _) = app.clone_profile(&token, app.standard_id(), "Sales").await;
    assert_eq!(status, StatusCode::CREATED);
    let other = other_org(&app).await;
    let boss = app.token_for(BOSS, &[USERS_ALL, PROFILES_ALL]).await;

    let ids: Vec<Value> = app.profiles(&boss).await.iter().map(|p| p["id"].clone()).collect();
    let theirs: Vec<String> = other.profile_ids.iter().map(i64::to_string).collect();
    assert_eq!(ids, theirs);
    assert_eq!(emails(&list(&app, &boss).await), [BOSS]);
    let (_, user) = app.get("/crm/v8/users?type=CurrentUser", &boss).await;
    assert_eq!(user["users"][0]["id"], other.user_ids[0].to_string());
    // And the first org sees none of the other org's.
    assert_eq!(emails(&list(&app, &token).await), ["admin@example.com", "standard@example.com"]);
    assert_eq!(app.profiles(&token).await.len(), 3);
}

#[tokio::test]
async fn a_token_of_another_org_cannot_touch_this_orgs_profiles() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let (_, clone) = app.clone_profile(&token, app.standard_id(), "Sales").await;
    let sales = clone["profiles"][0]["details"]["id"].as_str().unwrap().to_owned();
    let other = other_org(&app).await;
    let boss = app.token_for(BOSS, &[PROFILES_ALL]).await;
    let before = app.profiles(&token).await;
    let their_standard = other.profile_ids[1];
    let standard = app.standard_id();
    let sales_path = format!("/crm/v8/settings/profiles/{sales}");

    let answers = [
        app.get(&sales_path, &boss).await,
        app.clone_profile(&boss, standard, "Copy").await,
        app.put(&sales_path, &boss, r#"{"profiles":[{"name":"Taken"}]}"#).await,
        app.delete(&format!("{sales_path}?transfer_to={standard}"), &boss).await,
        app.delete(&format!("{sales_path}?transfer_to={their_standard}"), &boss).await,
    ];

    for (status, answer) in answers {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(answer, @r#"
            {
              "code": "INVALID_DATA",
              "details": {
                "resource_path_index": 2
              },
              "message": "the id given seems to be invalid or already deleted",
              "status": "error"
            }
            "#);
        }
    }
    assert_eq!(app.profiles(&token).await, before);
    assert_eq!(app.profiles(&boss).await.len(), 2);
}

// --- text the databases could not store alike --------------------------------------------------

#[tokio::test]
async fn control_or_invisible_characters_in_names_and_emails_are_invalid_data() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let id = add_user(&app, &token, "carla@example.com").await;

    for (field, value) in [
        ("last_name", "X\u{0}Y"),
        ("first_name", "a\u{7}b"),
        ("first_name", "Zero\u{200B}width"),
        ("email", "nul\u{0}@example.com"),
    ] {
        let mut fields = new_user(&app, "dora@example.com");
        fields[field] = json!(value);
        let (status, body) = refused_post(&app, &token, &user_body(fields)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field} {body}");
        assert_eq!(body["users"][0]["code"], "INVALID_DATA", "{field} {body}");
        assert_eq!(body["users"][0]["details"]["api_name"], field);

        if field != "email" {
            let (status, _) =
                refused_put(&app, &token, &id, &user_body(json!({ field: value }))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{field}");
        }
    }
}

#[tokio::test]
async fn an_update_may_send_the_users_own_email_but_not_another() {
    let app = TestApp::spawn().await;
    let token = users_token(&app).await;
    let id = add_user(&app, &token, "carla@example.com").await;

    let same = user_body(json!({ "email": "Carla@Example.com", "first_name": "Carlotta" }));
    let (status, body) = app.put(&format!("/crm/v8/users/{id}"), &token, &same).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let other = user_body(json!({ "email": "someone@example.com" }));
    let (status, body) = refused_put(&app, &token, &id, &other).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["users"][0]["code"], "NOT_ALLOWED", "{body}");
    assert_eq!(body["users"][0]["details"]["api_name"], "email");
}

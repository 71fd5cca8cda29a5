//! Every documented refusal of the clone call, and what a successful clone copies.
//!
//! Each refusal is checked for its status, its whole body, and for having created nothing.

mod common;

use common::{ADMIN, TestApp, read, redact};
use crm_profiles::http::error::ErrorStyle;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `{"profiles":[{"name": name}]}`.
fn name_body(name: impl Into<Value>) -> String {
    json!({ "profiles": [{ "name": name.into() }] }).to_string()
}

/// Posts `body` to the clone of Standard (v8) and checks that the org's profiles did not change.
async fn refused(app: &TestApp, token: &str, body: &str) -> (StatusCode, Value) {
    let before = app.profiles(token).await;
    let answer = app.post(&app.clone_path("v8", app.standard_id()), token, body).await;
    assert_eq!(app.profiles(token).await, before, "a refused clone changed the profiles");
    answer
}

/// Clones Standard (v8) with `body`, expects 201 and returns the new id.
async fn created(app: &TestApp, token: &str, body: &str) -> String {
    let (status, answer) = app.post(&app.clone_path("v8", app.standard_id()), token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["profiles"][0]["details"]["id"].as_str().expect("new id").to_owned()
}

/// The profile named `id` as v8 reads it alone.
async fn profile(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, body) = app.get(&format!("/crm/v8/settings/profiles/{id}"), token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["profiles"][0].clone()
}

async fn names(app: &TestApp, token: &str) -> Vec<Value> {
    app.profiles(token).await.iter().map(|p| p["name"].clone()).collect()
}

// --- name: mandatory ---------------------------------------------------------------------------

#[tokio::test]
async fn name_missing_is_mandatory_not_found() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    let (status, body) = refused(&app, &token, r#"{"profiles":[{"description":"x"}]}"#).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "profiles": [
        {
          "code": "MANDATORY_NOT_FOUND",
          "details": {
            "api_name": "name",
            "json_path": "$.profiles[0].name"
          },
          "message": "required field not found",
          "status": "error"
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn name_null_empty_or_blank_is_mandatory_not_found() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for name in [Value::Null, json!(""), json!("   "), json!(" \n\t ")] {
        let (status, body) = refused(&app, &token, &name_body(name.clone())).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&body), @r#"
            {
              "profiles": [
                {
                  "code": "MANDATORY_NOT_FOUND",
                  "details": {
                    "api_name": "name",
                    "json_path": "$.profiles[0].name"
                  },
                  "message": "required field not found",
                  "status": "error"
                }
              ]
            }
            "#);
        }
    }
}

// --- name: length ------------------------------------------------------------------------------

#[tokio::test]
async fn name_of_50_characters_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let name = "n".repeat(50);

    created(&app, &token, &name_body(name.as_str())).await;

    assert_eq!(names(&app, &token).await[2], json!(name));
}

#[tokio::test]
async fn name_of_51_characters_is_too_long() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    let (status, body) = refused(&app, &token, &name_body("n".repeat(51))).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "name",
            "json_path": "$.profiles[0].name",
            "maximum_length": 50
          },
          "message": "invalid data",
          "status": "error"
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn name_length_counts_characters_not_bytes() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let name = "é".repeat(50);

    created(&app, &token, &name_body(name.as_str())).await;
    let (status, body) = refused(&app, &token, &name_body("é".repeat(51))).await;

    assert_eq!(names(&app, &token).await[2], json!(name));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["profiles"][0]["details"]["maximum_length"], 50);
}

#[tokio::test]
async fn surrounding_spaces_do_not_count_towards_the_length() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let name = "n".repeat(50);

    created(&app, &token, &name_body(format!("  {name}  "))).await;

    assert_eq!(names(&app, &token).await[2], json!(name));
}

// --- description -------------------------------------------------------------------------------

#[tokio::test]
async fn description_of_250_characters_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let description = "語".repeat(250);
    let body = json!({ "profiles": [{ "name": "Long", "description": description }] });

    let id = created(&app, &token, &body.to_string()).await;

    assert_eq!(profile(&app, &token, &id).await["description"], json!(description));
}

#[tokio::test]
async fn description_of_251_characters_is_too_long() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let body = json!({ "profiles": [{ "name": "Long", "description": "d".repeat(251) }] });

    let (status, body) = refused(&app, &token, &body.to_string()).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "description",
            "json_path": "$.profiles[0].description",
            "maximum_length": 250
          },
          "message": "invalid data",
          "status": "error"
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn description_of_wrong_type_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    let (status, body) =
        refused(&app, &token, r#"{"profiles":[{"name":"Typed","description":42}]}"#).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "description",
            "json_path": "$.profiles[0].description",
            "expected_data_type": "text"
          },
          "message": "invalid data",
          "status": "error"
        }
      ]
    }
    "#);
}

// --- name: characters and type -----------------------------------------------------------------

#[tokio::test]
async fn forbidden_characters_are_listed_once_in_code_point_order() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    let (status, body) = refused(&app, &token, &name_body("Sales%Manager#%")).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "name",
            "json_path": "$.profiles[0].name"
          },
          "message": "Profile name should not contain the following special character(s) : #, %",
          "status": "error"
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn every_character_the_openapi_file_forbids_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for c in "~`#%^&*()+|,={};[]\"".chars() {
        let (status, body) = refused(&app, &token, &name_body(format!("Sales{c}Manager"))).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{c}");
        let message = body["profiles"][0]["message"].as_str().unwrap();
        assert!(message.ends_with(&format!(" : {c}")), "{c}: {message}");
    }
}

#[tokio::test]
async fn control_character_in_name_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    let (status, body) = refused(&app, &token, &name_body("Sales\tManager")).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "name",
            "json_path": "$.profiles[0].name"
          },
          "message": "Profile name should not contain the following special character(s) : \\u{9}",
          "status": "error"
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn name_of_wrong_type_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for name in [json!(123), json!(true), json!({}), json!([])] {
        let (status, body) = refused(&app, &token, &name_body(name.clone())).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&body), @r#"
            {
              "profiles": [
                {
                  "code": "INVALID_DATA",
                  "details": {
                    "api_name": "name",
                    "json_path": "$.profiles[0].name",
                    "expected_data_type": "text"
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

// --- the profiles array ------------------------------------------------------------------------

#[tokio::test]
async fn profiles_missing_is_mandatory_not_found() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for body in [r#"{}"#, r#"{"profiles":null}"#, r#"{"name":"Sales Manager"}"#] {
        let (status, body) = refused(&app, &token, body).await;

        assert_eq!(status, StatusCode::BAD_REQUEST);
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&body), @r#"
            {
              "profiles": [
                {
                  "code": "MANDATORY_NOT_FOUND",
                  "details": {
                    "api_name": "profiles",
                    "json_path": "$.profiles"
                  },
                  "message": "required field not found",
                  "status": "error"
                }
              ]
            }
            "#);
        }
    }
}

#[tokio::test]
async fn profiles_object_instead_of_array_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    let (status, body) = refused(&app, &token, r#"{"profiles":{"name":"Sales Manager"}}"#).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "profiles",
            "json_path": "$.profiles",
            "expected_data_type": "jsonarray"
          },
          "message": "invalid data",
          "status": "error"
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn profiles_empty_array_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    let (status, body) = refused(&app, &token, r#"{"profiles":[]}"#).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "profiles",
            "json_path": "$.profiles"
          },
          "message": "invalid data",
          "status": "error"
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn profiles_with_two_elements_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let body = r#"{"profiles":[{"name":"One"},{"name":"Two"}]}"#;

    let (status, body) = refused(&app, &token, body).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "profiles",
            "json_path": "$.profiles",
            "maximum_length": 1
          },
          "message": "invalid data",
          "status": "error"
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn profiles_element_not_an_object_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    let (status, body) = refused(&app, &token, r#"{"profiles":["x"]}"#).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "profiles",
            "json_path": "$.profiles[0]",
            "expected_data_type": "jsonobject"
          },
          "message": "invalid data",
          "status": "error"
        }
      ]
    }
    "#);
}

// --- the body as a whole -----------------------------------------------------------------------

#[tokio::test]
async fn body_that_is_not_a_json_object_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for raw in ["not json", "", "[1]", "null", r#""profiles""#, r#"{"profiles":[{"name":"A"}]"#] {
        let (status, body) = refused(&app, &token, raw).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{raw:?}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&body), @r#"
            {
              "code": "INVALID_DATA",
              "details": {
                "api_name": "body",
                "expected_data_type": "jsonobject"
              },
              "message": "the request body is not a valid JSON object",
              "status": "error"
            }
            "#);
        }
    }
}

#[tokio::test]
async fn body_is_parsed_with_or_without_a_json_content_type() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let path = app.clone_path("v8", app.standard_id());

    let with_type = app
        .client
        .post(app.url(&path))
        .header("Authorization", format!("Zoho-oauthtoken {token}"))
        .header("Content-Type", "application/json")
        .body(name_body("Typed"))
        .send()
        .await
        .unwrap();
    let (with_status, _) = read(with_type).await;
    let without_type = app
        .client
        .post(app.url(&path))
        .header("Authorization", format!("Zoho-oauthtoken {token}"))
        .body(name_body("Untyped"))
        .send()
        .await
        .unwrap();
    let (without_status, _) = read(without_type).await;

    assert_eq!(with_status, StatusCode::CREATED);
    assert_eq!(without_status, StatusCode::CREATED);
    assert_eq!(names(&app, &token).await[2..], [json!("Typed"), json!("Untyped")]);
}

// --- duplicate names ---------------------------------------------------------------------------

/// Refusals of names that equal "Sales Manager" or a system profile once trimmed and lower-cased.
async fn duplicates_answer(style: ErrorStyle) -> Vec<(StatusCode, Value)> {
    let app = TestApp::spawn_with(style).await;
    let token = app.admin_token().await;
    created(&app, &token, &name_body("Sales Manager")).await;

    let mut answers = Vec::new();
    for name in ["Sales Manager", " sales manager ", "SALES MANAGER", "administrator"] {
        answers.push(refused(&app, &token, &name_body(name)).await);
    }
    assert_eq!(app.profiles(&token).await.len(), 3);
    answers
}

#[tokio::test]
async fn duplicate_name_is_404_duplicate_data_in_docs_style() {
    for (status, body) in duplicates_answer(ErrorStyle::Docs).await {
        assert_eq!(status, StatusCode::NOT_FOUND);
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&body), @r#"
            {
              "profiles": [
                {
                  "code": "DUPLICATE_DATA",
                  "details": {
                    "api_name": "name",
                    "json_path": "$.profiles[0].name"
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
async fn duplicate_name_is_400_duplicate_data_in_oas_style() {
    for (status, body) in duplicates_answer(ErrorStyle::Oas).await {
        assert_eq!(status, StatusCode::BAD_REQUEST);
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&body), @r#"
            {
              "profiles": [
                {
                  "code": "DUPLICATE_DATA",
                  "details": {
                    "api_name": "name",
                    "json_path": "$.profiles[0].name"
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
async fn stored_name_is_trimmed() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    let id = created(&app, &token, &name_body("  Sales Manager \t")).await;

    assert_eq!(names(&app, &token).await[2], "Sales Manager");
    assert_eq!(profile(&app, &token, &id).await["name"], "Sales Manager");
}

// --- the profile limit -------------------------------------------------------------------------

/// Fills the org to 25 profiles (2 system + 23 clones), then asks for a 26th.
async fn twenty_sixth_clone(style: ErrorStyle) -> (StatusCode, Value) {
    let app = TestApp::spawn_with(style).await;
    let token = app.admin_token().await;
    for n in 1..=23 {
        created(&app, &token, &name_body(format!("Clone {n}"))).await;
    }
    assert_eq!(app.profiles(&token).await.len(), 25);

    let answer = refused(&app, &token, &name_body("Clone 24")).await;
    assert_eq!(app.profiles(&token).await.len(), 25);
    answer
}

#[tokio::test]
async fn profile_limit_is_404_profile_limit_exceeded_in_docs_style() {
    let (status, body) = twenty_sixth_clone(ErrorStyle::Docs).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "profiles": [
        {
          "code": "PROFILE_LIMIT_EXCEEDED",
          "details": {
            "limit": 25
          },
          "message": "the maximum number of profiles for this organization has been reached",
          "status": "error"
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn profile_limit_is_400_license_limit_exceeded_in_oas_style() {
    let (status, body) = twenty_sixth_clone(ErrorStyle::Oas).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "profiles": [
        {
          "code": "LICENSE_LIMIT_EXCEEDED",
          "details": {
            "limit": 25
          },
          "message": "Request exceeds your license limit.",
          "status": "error"
        }
      ]
    }
    "#);
}

// --- the source id -----------------------------------------------------------------------------

/// Clones from the raw path id `source` with a valid body; nothing may be created.
async fn clone_from(app: &TestApp, token: &str, source: &str) -> (StatusCode, Value) {
    let before = app.profiles(token).await;
    let path = format!("/crm/v8/settings/profiles/{source}/actions/clone");
    let answer = app.post(&path, token, &name_body("Sales Manager")).await;
    assert_eq!(app.profiles(token).await, before, "a refused clone changed the profiles");
    answer
}

#[tokio::test]
async fn unknown_source_id_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    // Ids of this org that name no profile: the org itself, and one past the seeded ones.
    let org_id = app.org.org.id.to_string();
    let unused = (app.org.user_ids.iter().max().unwrap() + 1000).to_string();

    for source in [org_id, unused] {
        let (status, body) = clone_from(&app, &token, &source).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{source}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&body), @r#"
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
}

#[tokio::test]
async fn malformed_source_id_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for source in ["abc", "12345678901234567890", "-1", "1e5", "%20"] {
        let (status, body) = clone_from(&app, &token, source).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{source}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&body), @r#"
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
}

// --- what a clone copies -----------------------------------------------------------------------

/// Clones `source` at a moment of the server clock and checks the copy against its source.
async fn check_clone_of(app: &TestApp, token: &str, source: i64, name: &str) {
    let body = name_body(name);
    let (status, answer) = app.post(&app.clone_path("v8", source), token, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let id = answer["profiles"][0]["details"]["id"].as_str().unwrap();

    let original = profile(app, token, &source.to_string()).await;
    let copy = profile(app, token, id).await;
    assert_eq!(copy["permissions_details"], original["permissions_details"]);
    assert_eq!(copy["sections"], original["sections"]);
    assert_eq!(copy["name"], name);
    assert_eq!(copy["custom"], true);
    let caller = json!({ "name": "Ada Admin", "id": app.org.user_ids[0].to_string() });
    assert_eq!(copy["created_by"], caller);
    assert_eq!(copy["modified_by"], caller);
}

#[tokio::test]
async fn clone_copies_every_permission_state_and_the_sections_of_its_source() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ADMIN, &[common::PROFILES_ALL]).await;

    check_clone_of(&app, &token, app.administrator_id(), "Admin Copy").await;
    check_clone_of(&app, &token, app.standard_id(), "Standard Copy").await;

    // The two sources differ, so each copy took its own source's states.
    let admin = profile(&app, &token, &app.administrator_id().to_string()).await;
    let standard = profile(&app, &token, &app.standard_id().to_string()).await;
    assert_ne!(admin["permissions_details"], standard["permissions_details"]);
}

#[tokio::test]
async fn clone_times_are_the_server_clock_in_utc() {
    let app = TestApp::spawn().await;
    app.clock.set(common::START + 3723);
    let token = app.admin_token().await;

    let id = created(&app, &token, &name_body("Timed")).await;

    let copy = profile(&app, &token, &id).await;
    assert_eq!(copy["created_time"], "2026-05-28T21:28:43+00:00");
    assert_eq!(copy["modified_time"], "2026-05-28T21:28:43+00:00");
}

#[tokio::test]
async fn control_characters_in_a_description_are_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for description in ["a\u{0}b", "bell\u{7}"] {
        let body = json!({ "profiles": [{ "name": "Sales", "description": description }] });
        let (status, answer) = refused(&app, &token, &body.to_string()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["profiles"][0]["code"], "INVALID_DATA");
        assert_eq!(answer["profiles"][0]["details"]["api_name"], "description");
    }
    let lines = json!({ "profiles": [{ "name": "Sales", "description": "two\nlines\tok" }] });
    created(&app, &token, &lines.to_string()).await;
}

#[tokio::test]
async fn invisible_characters_in_a_name_are_refused_so_names_cannot_look_alike() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for name in ["Sales\u{200B} Manager", "a\u{202E}b", "\u{FEFF}Sales"] {
        let (status, answer) = refused(&app, &token, &name_body(name)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name:?}");
        assert_eq!(answer["profiles"][0]["code"], "INVALID_DATA", "{answer}");
    }
}

//! DELETE /crm/{version}/settings/profiles/{id}?transfer_to={id}: the profile's users move to
//! `transfer_to` and the profile disappears, in one step; every refusal changes nothing.

mod common;

use common::{ADMIN, PROFILES_ALL, STANDARD_USER, TestApp, redact};
use crm_profiles::http::error::ErrorStyle;
use reqwest::StatusCode;
use serde_json::{Value, json};

const USERS_ALL: &str = "ZohoCRM.users.ALL";

fn profile_path(id: &str) -> String {
    format!("/crm/v8/settings/profiles/{id}")
}

/// admin@example.com with the scopes of both profiles and users.
async fn admin(app: &TestApp) -> String {
    app.token_for(ADMIN, &[PROFILES_ALL, USERS_ALL]).await
}

/// Clones Standard into `name` and returns the new id.
async fn clone_standard(app: &TestApp, token: &str, name: &str) -> String {
    let (status, body) = app.clone_profile(token, app.standard_id(), name).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["profiles"][0]["details"]["id"].as_str().unwrap().to_owned()
}

/// Adds a user holding `profile` and the role of the org's first user; returns its id.
async fn add_user(app: &TestApp, token: &str, email: &str, profile: &str) -> String {
    let (status, users) = app.get("/crm/v8/users", token).await;
    assert_eq!(status, StatusCode::OK, "{users}");
    let role = users["users"][0]["role"]["id"].clone();
    let body = json!({ "users": [{ "email": email, "last_name": email, "profile": profile,
                                   "role": role }] });
    let (status, answer) = app.post("/crm/v8/users", token, &body.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["users"][0]["details"]["id"].as_str().unwrap().to_owned()
}

/// The id of the profile user `id` holds.
async fn profile_of(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, body) = app.get(&format!("/crm/v8/users/{id}"), token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["users"][0]["profile"]["id"].clone()
}

/// "Sales Manager", a clone of Standard, held by two new users.
async fn sales_manager_with_two_users(app: &TestApp, token: &str) -> (String, Vec<String>) {
    let id = clone_standard(app, token, "Sales Manager").await;
    let users = vec![
        add_user(app, token, "ann@example.com", &id).await,
        add_user(app, token, "ben@example.com", &id).await,
    ];
    (id, users)
}

/// The org's profiles and users, as a refused delete must leave them.
async fn state(app: &TestApp, token: &str) -> (Vec<Value>, Value) {
    let (status, users) = app.get("/crm/v8/users", token).await;
    assert_eq!(status, StatusCode::OK, "{users}");
    (app.profiles(token).await, users)
}

/// Sends DELETE `path` with `token` and checks that neither profiles nor users changed.
async fn refused(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let observer = admin(app).await;
    let before = state(app, &observer).await;
    app.clock.set(app.now() + 1);
    let answer = app.delete(path, token).await;
    assert_eq!(state(app, &observer).await, before, "a refused delete changed something");
    answer
}

// --- the story ---------------------------------------------------------------------------------

#[tokio::test]
async fn deleting_sales_manager_moves_its_users_to_standard() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let id = clone_standard(&app, &token, "Sales").await;
    let (status, profile) = app.get(&profile_path(&id), &token).await;
    assert_eq!(status, StatusCode::OK);
    let delete_leads = profile["profiles"][0]["permissions_details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Crm_Implied_Delete_Leads")
        .unwrap()["id"]
        .clone();
    let body = json!({ "profiles": [{ "name": "Sales Manager",
        "permissions_details": [{ "id": delete_leads, "enabled": false }] }] });
    let (status, answer) = app.put(&profile_path(&id), &token, &body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let users = [
        add_user(&app, &token, "ann@example.com", &id).await,
        add_user(&app, &token, "ben@example.com", &id).await,
    ];
    for user in &users {
        assert_eq!(profile_of(&app, &token, user).await, id.as_str());
    }
    let standard = app.standard_id().to_string();

    let path = format!("{}?transfer_to={standard}", profile_path(&id));
    let (status, answer) = app.delete(&path, &token).await;

    assert_eq!(status, StatusCode::OK);
    insta::assert_json_snapshot!(answer, @r#"
    {
      "code": "SUCCESS",
      "details": {},
      "message": "Profile deleted",
      "status": "success"
    }
    "#);
    for user in &users {
        let (_, body) = app.get(&format!("/crm/v8/users/{user}"), &token).await;
        assert_eq!(body["users"][0]["profile"], json!({ "name": "Standard", "id": standard }));
    }
    let (status, gone) = app.get(&profile_path(&id), &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(gone, @r#"
    {
      "code": "INVALID_DATA",
      "details": {
        "resource_path_index": 2
      },
      "message": "the id given seems to be invalid or already deleted",
      "status": "error"
    }
    "#);
    let ids: Vec<Value> = app.profiles(&token).await.iter().map(|p| p["id"].clone()).collect();
    assert_eq!(ids, [app.administrator_id().to_string(), standard]);
}

#[tokio::test]
async fn delete_in_oas_style_answers_the_deleted_id() {
    let app = TestApp::spawn_with(ErrorStyle::Oas).await;
    let token = admin(&app).await;
    let (id, users) = sales_manager_with_two_users(&app, &token).await;

    let path = format!("{}?transfer_to={}", profile_path(&id), app.standard_id());
    let (status, answer) = app.delete(&path, &token).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["details"]["id"], id.as_str());
    insta::assert_json_snapshot!(redact(&answer), @r#"
    {
      "code": "SUCCESS",
      "details": {
        "id": "[id]"
      },
      "message": "Profile deleted",
      "status": "success"
    }
    "#);
    for user in &users {
        assert_eq!(profile_of(&app, &token, user).await, app.standard_id().to_string());
    }
}

#[tokio::test]
async fn users_can_be_moved_to_a_custom_profile() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let (id, users) = sales_manager_with_two_users(&app, &token).await;
    let target = clone_standard(&app, &token, "Field Sales").await;

    let (status, answer) =
        app.delete(&format!("{}?transfer_to={target}", profile_path(&id)), &token).await;

    assert_eq!(status, StatusCode::OK, "{answer}");
    for user in &users {
        assert_eq!(profile_of(&app, &token, user).await, target.as_str());
    }
    // The other users kept their profiles.
    let admin_user = app.org.user_ids[0].to_string();
    let standard_user = app.org.user_ids[1].to_string();
    let admin_profile = app.administrator_id().to_string();
    assert_eq!(profile_of(&app, &token, &admin_user).await, admin_profile.as_str());
    let standard_profile = app.standard_id().to_string();
    assert_eq!(profile_of(&app, &token, &standard_user).await, standard_profile.as_str());
}

#[tokio::test]
async fn deleting_a_profile_twice_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let (id, _) = sales_manager_with_two_users(&app, &token).await;
    let path = format!("{}?transfer_to={}", profile_path(&id), app.standard_id());
    let (status, _) = app.delete(&path, &token).await;
    assert_eq!(status, StatusCode::OK);

    let (status, answer) = refused(&app, &token, &path).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["details"], json!({ "resource_path_index": 2 }));
}

#[tokio::test]
async fn trailing_ampersand_in_the_query_is_accepted() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let standard = app.standard_id();

    for query in [format!("transfer_to={standard}&"), format!("&transfer_to={standard}&&")] {
        let id = clone_standard(&app, &token, "Sales").await;
        let (status, answer) = app.delete(&format!("{}?{query}", profile_path(&id)), &token).await;

        assert_eq!(status, StatusCode::OK, "{query}: {answer}");
        assert_eq!(app.profiles(&token).await.len(), 2, "{query}");
    }
}

// --- transfer_to -------------------------------------------------------------------------------

#[tokio::test]
async fn delete_without_transfer_to_is_required_param_missing() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let (id, _) = sales_manager_with_two_users(&app, &token).await;

    for query in ["", "?", "?transfer_to=", "?transfer_to=&", "?transfer=1", "?Transfer_To=1"] {
        let (status, answer) =
            refused(&app, &token, &format!("{}{query}", profile_path(&id))).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(answer, @r#"
            {
              "code": "REQUIRED_PARAM_MISSING",
              "details": {
                "param_name": "transfer_to"
              },
              "message": "One of the expected parameter is missing",
              "status": "error"
            }
            "#);
        }
    }
}

#[tokio::test]
async fn delete_without_transfer_to_is_mandatory_not_found_in_oas_style() {
    let app = TestApp::spawn_with(ErrorStyle::Oas).await;
    let token = admin(&app).await;
    let (id, _) = sales_manager_with_two_users(&app, &token).await;

    for query in ["", "?transfer_to="] {
        let (status, answer) =
            refused(&app, &token, &format!("{}{query}", profile_path(&id))).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(answer, @r#"
            {
              "code": "MANDATORY_NOT_FOUND",
              "details": {
                "param": "transfer_to"
              },
              "message": "Users in the profile need to be transferred. transfer_to param is mandatory.",
              "status": "error"
            }
            "#);
        }
    }
}

/// Deletes Sales Manager with each `transfer_to` and expects 400 INVALID_DATA naming it.
async fn invalid_transfer_to(app: &TestApp, token: &str, id: &str, values: &[String]) {
    for value in values {
        let path = format!("{}?transfer_to={value}", profile_path(id));
        let (status, answer) = refused(app, token, &path).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
        assert_eq!(answer["details"]["id"], value.as_str());
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&answer), @r#"
            {
              "code": "INVALID_DATA",
              "details": {
                "id": "[id]"
              },
              "message": "the id given seems to be invalid or already deleted",
              "status": "error"
            }
            "#);
        }
    }
}

#[tokio::test]
async fn transfer_to_the_deleted_profile_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let (id, _) = sales_manager_with_two_users(&app, &token).await;

    invalid_transfer_to(&app, &token, &id, std::slice::from_ref(&id)).await;
}

#[tokio::test]
async fn transfer_to_naming_no_profile_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let (id, users) = sales_manager_with_two_users(&app, &token).await;
    // The org's own id, a user's id, and an id past everything created.
    let unused =
        (users.iter().map(|u| u.parse::<i64>().unwrap()).max().unwrap() + 1000).to_string();
    let values = [app.org.org.id.to_string(), users[0].clone(), unused];

    invalid_transfer_to(&app, &token, &id, &values).await;
}

#[tokio::test]
async fn transfer_to_a_profile_of_another_org_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let (id, _) = sales_manager_with_two_users(&app, &token).await;
    let other = app
        .store
        .create_org(&crm_profiles::domain::seed::new_org("Other", "boss@other.example"), app.now())
        .await
        .unwrap();
    let values: Vec<String> = other.profile_ids.iter().map(i64::to_string).collect();

    invalid_transfer_to(&app, &token, &id, &values).await;
}

#[tokio::test]
async fn transfer_to_that_is_not_digits_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let (id, _) = sales_manager_with_two_users(&app, &token).await;
    let values = ["abc", "12a", "-1", "99999999999999999999", "1.5"].map(String::from);

    invalid_transfer_to(&app, &token, &id, &values).await;
}

// --- which profile -----------------------------------------------------------------------------

#[tokio::test]
async fn system_profiles_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let (custom, _) = sales_manager_with_two_users(&app, &token).await;

    for id in [app.administrator_id(), app.standard_id()] {
        let path = format!("{}?transfer_to={custom}", profile_path(&id.to_string()));
        let (status, answer) = refused(&app, &token, &path).await;

        assert_eq!(status, StatusCode::BAD_REQUEST);
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(answer, @r#"
            {
              "code": "NOT_ALLOWED",
              "details": {
                "resource_path_index": 2
              },
              "message": "System profile cannot be deleted",
              "status": "error"
            }
            "#);
        }
    }
}

#[tokio::test]
async fn unknown_or_malformed_profile_id_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let (_, users) = sales_manager_with_two_users(&app, &token).await;
    let unused =
        (users.iter().map(|u| u.parse::<i64>().unwrap()).max().unwrap() + 1000).to_string();
    let org_id = app.org.org.id.to_string();

    for id in [unused.as_str(), &org_id, &users[0], "abc", "12a", "-1"] {
        let path = format!("{}?transfer_to={}", profile_path(id), app.standard_id());
        let (status, answer) = refused(&app, &token, &path).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{id}");
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
}

// --- who may delete ----------------------------------------------------------------------------

#[tokio::test]
async fn delete_needs_the_delete_scope() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let (id, users) = sales_manager_with_two_users(&app, &token).await;
    let path = format!("{}?transfer_to={}", profile_path(&id), app.standard_id());

    for scope in ["READ", "CREATE", "UPDATE"] {
        let scoped = app.token_for(ADMIN, &[&format!("ZohoCRM.settings.profiles.{scope}")]).await;
        let (status, answer) = refused(&app, &scoped, &path).await;

        assert_eq!(status, StatusCode::UNAUTHORIZED, "{scope}");
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

    let scoped = app.token_for(ADMIN, &["ZohoCRM.settings.profiles.DELETE"]).await;
    let (status, answer) = app.delete(&path, &scoped).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(profile_of(&app, &token, &users[0]).await, app.standard_id().to_string());
}

#[tokio::test]
async fn caller_without_manage_profiles_gets_no_permission() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let (id, _) = sales_manager_with_two_users(&app, &token).await;
    let standard_user = app.token_for(STANDARD_USER, &[PROFILES_ALL]).await;

    let path = format!("{}?transfer_to={}", profile_path(&id), app.standard_id());
    let (status, answer) = refused(&app, &standard_user, &path).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    insta::assert_json_snapshot!(answer, @r#"
    {
      "code": "NO_PERMISSION",
      "details": {
        "permissions": [
          "Crm_Implied_Manage_Profiles"
        ]
      },
      "message": "permission denied",
      "status": "error"
    }
    "#);
}

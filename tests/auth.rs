//! Who may call: the Authorization header, token expiry, scopes, the caller's own profile, and the
//! order in which these are checked.

mod common;

use common::{ADMIN, PROFILES_ALL, STANDARD_USER, TestApp, read, redact};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const READ: &str = "ZohoCRM.settings.profiles.READ";
const CREATE: &str = "ZohoCRM.settings.profiles.CREATE";
const WRITE: &str = "ZohoCRM.settings.profiles.WRITE";
const SETTINGS_ALL: &str = "ZohoCRM.settings.ALL";
const MODULES_ALL: &str = "ZohoCRM.modules.ALL";

const CLONE_BODY: &str = r#"{"profiles":[{"name":"Sales Manager"}]}"#;

/// Sends a request with `authorization` as the whole Authorization header, if any.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    authorization: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path)).body(body.to_owned());
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    read(request.send().await.expect("request")).await
}

/// The three profiles calls with `token`: list, get Standard, clone Standard into `name`.
async fn list_get_clone(app: &TestApp, token: &str, name: &str) -> [(StatusCode, Value); 3] {
    let body = json!({ "profiles": [{ "name": name }] }).to_string();
    [
        app.get("/crm/v8/settings/profiles", token).await,
        app.get(&format!("/crm/v8/settings/profiles/{}", app.standard_id()), token).await,
        app.post(&app.clone_path("v8", app.standard_id()), token, &body).await,
    ]
}

async fn profile_count(app: &TestApp) -> usize {
    app.profiles(&app.admin_token().await).await.len()
}

// --- the Authorization header ------------------------------------------------------------------

#[tokio::test]
async fn no_authorization_header_is_authentication_failure() {
    let app = TestApp::spawn().await;

    let (status, body) = call(&app, Method::GET, "/crm/v8/settings/profiles", None, "").await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "code": "AUTHENTICATION_FAILURE",
      "details": {},
      "message": "Authentication failed",
      "status": "error"
    }
    "#);
}

#[tokio::test]
async fn unknown_scheme_or_empty_token_is_authentication_failure() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let headers = [
        "Basic x".to_owned(),
        format!("Basic {token}"),
        "Zoho-oauthtoken ".to_owned(),
        "Zoho-oauthtoken".to_owned(),
        "Bearer ".to_owned(),
        token.clone(),
    ];

    for header in &headers {
        let path = "/crm/v8/settings/profiles";
        let (status, body) = call(&app, Method::GET, path, Some(header), "").await;

        assert_eq!(status, StatusCode::UNAUTHORIZED, "{header}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&body), @r#"
            {
              "code": "AUTHENTICATION_FAILURE",
              "details": {},
              "message": "Authentication failed",
              "status": "error"
            }
            "#);
        }
    }
}

#[tokio::test]
async fn unknown_token_is_invalid_token() {
    let app = TestApp::spawn().await;
    let unknown = format!("1000.{}.{}", "a".repeat(32), "a".repeat(32));

    let (status, body) = app.get("/crm/v8/settings/profiles", &unknown).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "code": "INVALID_TOKEN",
      "details": {},
      "message": "invalid oauth token",
      "status": "error"
    }
    "#);
}

#[tokio::test]
async fn token_works_until_its_hour_is_over_then_is_invalid_token() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let minted_at = app.now();

    app.clock.set(minted_at + 3599);
    let (still_valid, _) = app.get("/crm/v8/settings/profiles", &token).await;
    app.clock.set(minted_at + 3601);
    let (status, body) = app.get("/crm/v8/settings/profiles", &token).await;

    assert_eq!(still_valid, StatusCode::OK);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "code": "INVALID_TOKEN",
      "details": {},
      "message": "invalid oauth token",
      "status": "error"
    }
    "#);
}

#[tokio::test]
async fn bearer_scheme_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let bearer = format!("Bearer {token}");
    let path = app.clone_path("v8", app.standard_id());

    let (list, body) =
        call(&app, Method::GET, "/crm/v8/settings/profiles", Some(&bearer), "").await;
    let (clone, _) = call(&app, Method::POST, &path, Some(&bearer), CLONE_BODY).await;

    assert_eq!(list, StatusCode::OK);
    assert_eq!(body["profiles"].as_array().unwrap().len(), 2);
    assert_eq!(clone, StatusCode::CREATED);
}

#[tokio::test]
async fn token_in_the_query_string_is_not_accepted() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for parameter in ["access_token", "authtoken"] {
        let list = format!("/crm/v8/settings/profiles?{parameter}={token}");
        let clone = format!("{}?{parameter}={token}", app.clone_path("v8", app.standard_id()));

        let (list_status, body) = call(&app, Method::GET, &list, None, "").await;
        let (clone_status, _) = call(&app, Method::POST, &clone, None, CLONE_BODY).await;

        assert_eq!(list_status, StatusCode::UNAUTHORIZED, "{parameter}");
        assert_eq!(body["code"], "AUTHENTICATION_FAILURE", "{parameter}");
        assert_eq!(clone_status, StatusCode::UNAUTHORIZED, "{parameter}");
    }
    assert_eq!(profile_count(&app).await, 2);
}

// --- scopes ------------------------------------------------------------------------------------

#[tokio::test]
async fn read_scope_can_list_and_get_but_not_clone() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ADMIN, &[READ]).await;

    let [list, get, (status, body)] = list_get_clone(&app, &token, "Sales Manager").await;

    assert_eq!(list.0, StatusCode::OK);
    assert_eq!(get.0, StatusCode::OK);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    insta::assert_json_snapshot!(redact(&body), @r#"
    {
      "code": "OAUTH_SCOPE_MISMATCH",
      "details": {},
      "message": "invalid oauth scope to access this URL",
      "status": "error"
    }
    "#);
    assert_eq!(profile_count(&app).await, 2);
}

#[tokio::test]
async fn create_scope_can_clone_but_not_list_or_get() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ADMIN, &[CREATE]).await;

    let [(list, body), (get, _), (clone, _)] = list_get_clone(&app, &token, "Sales Manager").await;

    assert_eq!(list, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "OAUTH_SCOPE_MISMATCH");
    assert_eq!(get, StatusCode::UNAUTHORIZED);
    assert_eq!(clone, StatusCode::CREATED);
    assert_eq!(profile_count(&app).await, 3);
}

#[tokio::test]
async fn settings_all_scope_can_list_get_and_clone() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ADMIN, &[SETTINGS_ALL]).await;

    let statuses = list_get_clone(&app, &token, "Sales Manager").await.map(|(s, _)| s);

    assert_eq!(statuses, [StatusCode::OK, StatusCode::OK, StatusCode::CREATED]);
}

#[tokio::test]
async fn profiles_all_scope_can_list_get_and_clone() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ADMIN, &[PROFILES_ALL]).await;

    let statuses = list_get_clone(&app, &token, "Sales Manager").await.map(|(s, _)| s);

    assert_eq!(statuses, [StatusCode::OK, StatusCode::OK, StatusCode::CREATED]);
}

#[tokio::test]
async fn read_and_create_scopes_together_can_list_get_and_clone() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ADMIN, &[READ, CREATE]).await;

    let statuses = list_get_clone(&app, &token, "Sales Manager").await.map(|(s, _)| s);

    assert_eq!(statuses, [StatusCode::OK, StatusCode::OK, StatusCode::CREATED]);
}

#[tokio::test]
async fn write_scope_can_clone_but_not_list_or_get() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ADMIN, &[WRITE]).await;

    let statuses = list_get_clone(&app, &token, "Sales Manager").await.map(|(s, _)| s);

    assert_eq!(statuses, [StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED, StatusCode::CREATED]);
}

#[tokio::test]
async fn scope_of_another_area_is_scope_mismatch_everywhere() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ADMIN, &[MODULES_ALL, "ZohoCRM.settings.roles.ALL"]).await;

    for (status, body) in list_get_clone(&app, &token, "Sales Manager").await {
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "OAUTH_SCOPE_MISMATCH");
    }
    assert_eq!(profile_count(&app).await, 2);
}

// --- the caller's profile ----------------------------------------------------------------------

#[tokio::test]
async fn caller_without_manage_profiles_is_no_permission_on_every_call() {
    let app = TestApp::spawn().await;
    let token = app.token_for(STANDARD_USER, &[PROFILES_ALL]).await;

    for (status, body) in list_get_clone(&app, &token, "Sales Manager").await {
        assert_eq!(status, StatusCode::FORBIDDEN);
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&body), @r#"
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
    }
    assert_eq!(profile_count(&app).await, 2);
}

// --- order of checks ---------------------------------------------------------------------------

#[tokio::test]
async fn url_is_checked_before_the_token() {
    let app = TestApp::spawn().await;

    let (list, body) = call(&app, Method::GET, "/crm/v9/settings/profiles", None, "").await;
    let clone = format!("/crm/v9/settings/profiles/{}/actions/clone", app.standard_id());
    let (clone, _) = call(&app, Method::POST, &clone, Some("Basic x"), "not json").await;

    assert_eq!(list, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "INVALID_URL_PATTERN");
    assert_eq!(clone, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn token_is_checked_before_the_body() {
    let app = TestApp::spawn().await;
    let path = app.clone_path("v8", app.standard_id());

    let (missing, missing_body) = call(&app, Method::POST, &path, None, "not json").await;
    let (bad, bad_body) = app.post(&path, "1000.unknown", "not json").await;

    assert_eq!(missing, StatusCode::UNAUTHORIZED);
    assert_eq!(missing_body["code"], "AUTHENTICATION_FAILURE");
    assert_eq!(bad, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_body["code"], "INVALID_TOKEN");
}

#[tokio::test]
async fn scope_is_checked_before_the_body() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ADMIN, &[READ]).await;

    let (status, body) = app.post(&app.clone_path("v8", app.standard_id()), &token, "[1]").await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "OAUTH_SCOPE_MISMATCH");
}

#[tokio::test]
async fn scope_is_checked_before_the_path_id() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ADMIN, &[READ]).await;

    let (status, body) = app.post(&app.clone_path("v8", -1), &token, CLONE_BODY).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "OAUTH_SCOPE_MISMATCH");
}

#[tokio::test]
async fn permission_is_checked_before_the_body() {
    let app = TestApp::spawn().await;
    let token = app.token_for(STANDARD_USER, &[PROFILES_ALL]).await;

    let (status, body) = app.post(&app.clone_path("v8", app.standard_id()), &token, "{").await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "NO_PERMISSION");
}

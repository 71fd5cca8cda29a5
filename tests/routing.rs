//! What the server answers for each URL, version and method, and the shape every error shares.

mod common;

use common::{TestApp, read, redact};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CLONE_BODY: &str = r#"{"profiles":[{"name":"Sales Manager"}]}"#;
const VERSIONS: [&str; 8] = ["v2", "v2.1", "v3", "v4", "v5", "v6", "v7", "v8"];

/// Sends a request, with `Authorization: Zoho-oauthtoken <token>` when a token is given.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    read(request(app, method, path, token, body).send().await.expect("request")).await
}

fn request(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> reqwest::RequestBuilder {
    let request = app.client.request(method, app.url(path)).body(body.to_owned());
    match token {
        Some(token) => request.header("Authorization", format!("Zoho-oauthtoken {token}")),
        None => request,
    }
}

/// Every (method, path) of the served tree under `version`.
fn routes(app: &TestApp, version: &str) -> Vec<(Method, String)> {
    let id = app.standard_id();
    vec![
        (Method::GET, format!("/crm/{version}/settings/profiles")),
        (Method::GET, format!("/crm/{version}/settings/profiles/{id}")),
        (Method::POST, format!("/crm/{version}/settings/profiles/{id}/actions/clone")),
    ]
}

// --- unknown URLs ------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_version_is_invalid_url_pattern() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for version in ["v1", "v9", "v2.2", "V8", "v8.0", "8"] {
        for (method, path) in routes(&app, version) {
            for token in [None, Some(token.as_str())] {
                let (status, body) = call(&app, method.clone(), &path, token, CLONE_BODY).await;

                assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path} {token:?}");
                insta::allow_duplicates! {
                    insta::assert_json_snapshot!(redact(&body), @r#"
                    {
                      "code": "INVALID_URL_PATTERN",
                      "details": {},
                      "message": "Please check if the URL trying to access is a correct one",
                      "status": "error"
                    }
                    "#);
                }
            }
        }
    }
    assert_eq!(app.profiles(&token).await.len(), 2);
}

#[tokio::test]
async fn unknown_path_is_invalid_url_pattern() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = app.standard_id();
    let paths = [
        "/crm/v8/settings/profile".to_owned(),
        format!("/crm/v8/settings/profiles/{id}/actions/copy"),
        format!("/crm/v8/settings/profiles/{id}/actions"),
        "/crm/v8/settings".to_owned(),
        "/crm/v8/settings/roles".to_owned(),
        "/foo".to_owned(),
        "/".to_owned(),
    ];

    for path in &paths {
        for method in [Method::GET, Method::POST] {
            for token in [None, Some(token.as_str())] {
                let (status, body) = call(&app, method.clone(), path, token, CLONE_BODY).await;

                assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path} {token:?}");
                insta::allow_duplicates! {
                    insta::assert_json_snapshot!(redact(&body), @r#"
                    {
                      "code": "INVALID_URL_PATTERN",
                      "details": {},
                      "message": "Please check if the URL trying to access is a correct one",
                      "status": "error"
                    }
                    "#);
                }
            }
        }
    }
}

// --- wrong methods -----------------------------------------------------------------------------

#[tokio::test]
async fn wrong_method_on_a_known_path_is_invalid_request_method() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let list = "/crm/v8/settings/profiles".to_owned();
    let clone = app.clone_path("v8", app.standard_id());
    let cases = [
        (Method::DELETE, list.clone()),
        (Method::PUT, list.clone()),
        (Method::PATCH, list.clone()),
        (Method::POST, list.clone()),
        (Method::GET, clone.clone()),
        (Method::PUT, clone.clone()),
        (Method::DELETE, clone),
    ];

    for (method, path) in &cases {
        for token in [None, Some(token.as_str())] {
            let (status, body) = call(&app, method.clone(), path, token, CLONE_BODY).await;

            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path} {token:?}");
            insta::allow_duplicates! {
                insta::assert_json_snapshot!(redact(&body), @r#"
                {
                  "code": "INVALID_REQUEST_METHOD",
                  "details": {},
                  "message": "The http request method type is not a valid one",
                  "status": "error"
                }
                "#);
            }
        }
    }
    assert_eq!(app.profiles(&token).await.len(), 2);
}

// --- versions ----------------------------------------------------------------------------------

#[tokio::test]
async fn every_served_version_answers_list_get_and_clone() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for version in VERSIONS {
        let routes = routes(&app, version);
        let (list, listed) = call(&app, Method::GET, &routes[0].1, Some(&token), "").await;
        let (get, got) = call(&app, Method::GET, &routes[1].1, Some(&token), "").await;
        let body = json!({ "profiles": [{ "name": format!("Clone {version}") }] }).to_string();
        let (clone, cloned) = call(&app, Method::POST, &routes[2].1, Some(&token), &body).await;

        assert_eq!(list, StatusCode::OK, "{version}: {listed}");
        assert!(listed["profiles"].as_array().unwrap().len() >= 2, "{version}: {listed}");
        assert_eq!(get, StatusCode::OK, "{version}: {got}");
        assert_eq!(got["profiles"][0]["id"], app.standard_id().to_string(), "{version}");
        assert_eq!(clone, StatusCode::CREATED, "{version}: {cloned}");
        assert_eq!(cloned["profiles"][0]["code"], "SUCCESS", "{version}");
    }
    assert_eq!(app.profiles(&token).await.len(), 2 + VERSIONS.len());
}

// --- request size ------------------------------------------------------------------------------

#[tokio::test]
async fn body_larger_than_one_mebibyte_is_413() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let padding = "x".repeat(1 << 20);
    let body = json!({ "profiles": [{ "name": "Big", "description": padding }] }).to_string();

    let path = app.clone_path("v8", app.standard_id());
    let (status, answer) = call(&app, Method::POST, &path, Some(&token), &body).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    insta::assert_json_snapshot!(redact(&answer), @r#"
    {
      "code": "INVALID_DATA",
      "details": {
        "maximum_length": 1048576
      },
      "message": "the request body is larger than the server accepts",
      "status": "error"
    }
    "#);
    assert_eq!(app.profiles(&token).await.len(), 2);
}

// --- health ------------------------------------------------------------------------------------

#[tokio::test]
async fn health_answers_200_without_authentication() {
    let app = TestApp::spawn().await;

    let (status, body) = call(&app, Method::GET, "/health", None, "").await;

    assert_eq!(status, StatusCode::OK);
    insta::assert_json_snapshot!(body, @r#"
    {
      "status": "ok"
    }
    "#);
}

// --- the shape of every answer -----------------------------------------------------------------

/// One request of each kind of refusal: (method, path, token, body).
async fn refusals(app: &TestApp) -> Vec<(Method, String, Option<String>, String)> {
    let admin = app.admin_token().await;
    let read_only = app.token_for(common::ADMIN, &["ZohoCRM.settings.profiles.READ"]).await;
    let standard = app.token_for(common::STANDARD_USER, &[common::PROFILES_ALL]).await;
    let clone = app.clone_path("v8", app.standard_id());
    let list = "/crm/v8/settings/profiles".to_owned();
    let name = |n: &str| json!({ "profiles": [{ "name": n }] }).to_string();
    vec![
        (Method::GET, "/crm/v9/settings/profiles".into(), None, String::new()),
        (Method::DELETE, list.clone(), Some(admin.clone()), String::new()),
        (Method::GET, list.clone(), None, String::new()),
        (Method::GET, list.clone(), Some("1000.unknown".into()), String::new()),
        (Method::POST, clone.clone(), Some(read_only), name("A")),
        (Method::GET, list.clone(), Some(standard), String::new()),
        (Method::GET, format!("{list}/abc"), Some(admin.clone()), String::new()),
        (Method::POST, clone.clone(), Some(admin.clone()), "not json".into()),
        (Method::POST, clone.clone(), Some(admin.clone()), "x".repeat((1 << 20) + 1)),
        (Method::POST, clone.clone(), Some(admin.clone()), name("")),
        (Method::POST, clone.clone(), Some(admin.clone()), name("a#b")),
        (Method::POST, clone, Some(admin), name("administrator")),
    ]
}

/// The error object of an answer: the body itself, or the one element of `profiles`.
fn error_object(body: &Value) -> &Value {
    match body.get("profiles") {
        Some(profiles) => {
            assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
            assert_eq!(profiles.as_array().unwrap().len(), 1, "{body}");
            &profiles[0]
        }
        None => body,
    }
}

#[tokio::test]
async fn every_error_has_exactly_code_details_message_and_status() {
    let app = TestApp::spawn().await;

    for (method, path, token, body) in refusals(&app).await {
        let (status, answer) = call(&app, method.clone(), &path, token.as_deref(), &body).await;

        assert!(status.is_client_error(), "{method} {path}: {status}");
        let error = error_object(&answer);
        let keys: Vec<&str> = error.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["code", "details", "message", "status"], "{method} {path}: {answer}");
        assert!(error["code"].is_string(), "{answer}");
        assert!(error["details"].is_object(), "{answer}");
        assert!(error["message"].is_string(), "{answer}");
        assert_eq!(error["status"], "error", "{answer}");
    }
}

#[tokio::test]
async fn every_answer_has_zoho_json_content_type() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let mut requests = vec![
        (Method::GET, "/crm/v8/settings/profiles".to_owned(), Some(token.clone()), String::new()),
        (Method::POST, app.clone_path("v8", app.standard_id()), Some(token), CLONE_BODY.into()),
        (Method::GET, "/health".to_owned(), None, String::new()),
    ];
    requests.extend(refusals(&app).await);

    for (method, path, token, body) in requests {
        let response =
            request(&app, method.clone(), &path, token.as_deref(), &body).send().await.unwrap();

        let content_type = response.headers().get("content-type").map(|v| v.as_bytes().to_vec());
        assert_eq!(
            content_type.as_deref(),
            Some(&b"application/json;charset=UTF-8"[..]),
            "{method} {path}: {}",
            response.status()
        );
    }
}

#[tokio::test]
async fn a_body_cut_short_is_invalid_data_not_too_large() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let path = app.clone_path("v8", app.standard_id());

    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Zoho-oauthtoken {token}\r\n\
         Content-Length: 100\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();

    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("\"code\":\"INVALID_DATA\""), "{answer}");
}

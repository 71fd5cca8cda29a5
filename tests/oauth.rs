//! The accounts server over real HTTP: `POST /oauth/v2/token` (grant codes, refresh tokens,
//! client credentials), `POST /oauth/v2/token/revoke`, and what the API makes of the tokens it
//! hands out: expiry, revocation, the limits per refresh token, `X-CRM-ORG`, one org never
//! seeing another, and `GET /crm/v8/org`.

mod common;

use common::{ADMIN, PROFILES_ALL, STANDARD_USER, TestApp};
use crm_profiles::app::{self, GrantRequest};
use crm_profiles::domain::seed;
use crm_profiles::store::CreatedOrg;
use reqwest::StatusCode;
use serde_json::{Value, json};

const USERS_READ: &str = "ZohoCRM.users.READ";
const ORG_READ: &str = "ZohoCRM.org.READ";

/// How the parameters of an accounts request travel.
#[derive(Debug, Clone, Copy)]
enum Encoding {
    /// `application/x-www-form-urlencoded` body, as the Python SDKs send.
    Form,
    /// `multipart/form-data` body, as the Node and TypeScript SDKs send.
    Multipart,
    /// The query string of an empty POST, as Zoho's docs show.
    Query,
}

/// A self client of an org: id and secret.
struct Client {
    id: String,
    secret: String,
}

/// The answer of a successful code exchange.
struct Tokens {
    access: String,
    refresh: String,
}

async fn new_client(app: &TestApp, org_id: i64) -> Client {
    let (id, secret) = app::add_client(app.store.as_ref(), &org_id.to_string(), "tests", app.now())
        .await
        .expect("client created");
    Client { id, secret }
}

/// A client of the demo org.
async fn demo_client(app: &TestApp) -> Client {
    new_client(app, app.org.org.id).await
}

/// A grant code of `client` for `email` with `scopes`, valid for `secs` seconds.
async fn grant_code_for(
    app: &TestApp,
    client: &Client,
    email: &str,
    scopes: &[&str],
    secs: i64,
) -> String {
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    let request = GrantRequest { client_id: &client.id, email, scopes: &scopes, expires_in: secs };
    app::issue_grant_code(app.store.as_ref(), &request, app.now()).await.expect("grant code")
}

/// A grant code for the demo admin with the profiles scope, valid for three minutes.
async fn grant_code(app: &TestApp, client: &Client) -> String {
    grant_code_for(app, client, ADMIN, &[PROFILES_ALL], 180).await
}

/// POSTs `path` on the accounts server with `params` sent as `encoding` says.
async fn accounts_post(
    app: &TestApp,
    path: &str,
    params: &[(&str, &str)],
    encoding: Encoding,
) -> (StatusCode, Value) {
    let request = match encoding {
        Encoding::Form => {
            let body =
                form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
            app.client
                .post(app.url(path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body)
        }
        Encoding::Multipart => {
            let boundary = "----crmprofilesboundary7MA4YWxkTrZu0gW";
            let mut body = String::new();
            for (name, value) in params {
                body.push_str(&format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n\
                     {value}\r\n"
                ));
            }
            body.push_str(&format!("--{boundary}--\r\n"));
            app.client
                .post(app.url(path))
                .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
                .body(body)
        }
        Encoding::Query => {
            let query =
                form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
            app.client.post(format!("{}?{query}", app.url(path)))
        }
    };
    common::read(request.send().await.expect("request")).await
}

async fn token_endpoint(
    app: &TestApp,
    params: &[(&str, &str)],
    encoding: Encoding,
) -> (StatusCode, Value) {
    accounts_post(app, "/oauth/v2/token", params, encoding).await
}

/// Exchanges `code` as `client`; returns the whole answer.
async fn exchange_with(
    app: &TestApp,
    client: &Client,
    code: &str,
    encoding: Encoding,
) -> (StatusCode, Value) {
    let params = [
        ("client_id", client.id.as_str()),
        ("client_secret", client.secret.as_str()),
        ("grant_type", "authorization_code"),
        ("code", code),
    ];
    token_endpoint(app, &params, encoding).await
}

/// Exchanges `code`, expecting tokens.
async fn exchange(app: &TestApp, client: &Client, code: &str) -> Tokens {
    let (status, body) = exchange_with(app, client, code, Encoding::Form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["access_token"].as_str().unwrap_or_else(|| panic!("no token: {body}"));
    let refresh = body["refresh_token"].as_str().unwrap_or_else(|| panic!("no refresh: {body}"));
    Tokens { access: access.to_owned(), refresh: refresh.to_owned() }
}

/// A client, a code and its tokens, for the demo admin with the profiles scope.
async fn signed_in(app: &TestApp) -> (Client, Tokens) {
    let client = demo_client(app).await;
    let code = grant_code(app, &client).await;
    let tokens = exchange(app, &client, &code).await;
    (client, tokens)
}

async fn refresh_with(
    app: &TestApp,
    client: &Client,
    refresh: &str,
    encoding: Encoding,
) -> (StatusCode, Value) {
    let params = [
        ("client_id", client.id.as_str()),
        ("client_secret", client.secret.as_str()),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
    ];
    token_endpoint(app, &params, encoding).await
}

/// Refreshes, expecting a new access token.
async fn refresh(app: &TestApp, client: &Client, refresh: &str) -> String {
    let (status, body) = refresh_with(app, client, refresh, Encoding::Form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap_or_else(|| panic!("no token: {body}")).to_owned()
}

async fn revoke(app: &TestApp, token: &str) -> (StatusCode, Value) {
    accounts_post(app, "/oauth/v2/token/revoke", &[("token", token)], Encoding::Query).await
}

/// The status and Zoho code of a profiles list with `token`.
async fn list_status(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let (status, body) = app.get("/crm/v8/settings/profiles", token).await;
    (status, body["code"].clone())
}

fn assert_works(answer: (StatusCode, Value)) {
    assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
}

fn assert_invalid_token(answer: (StatusCode, Value)) {
    assert_eq!(answer, (StatusCode::UNAUTHORIZED, json!("INVALID_TOKEN")));
}

/// `1000.` + 32 lower-case hex + `.` + 32 lower-case hex.
fn is_zoho_token(token: &str) -> bool {
    let hex32 =
        |s: &str| s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let parts: Vec<&str> = token.split('.').collect();
    matches!(parts.as_slice(), ["1000", a, b] if hex32(a) && hex32(b))
}

fn keys(body: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn a_code_exchange_answers_zoho_keys_and_its_tokens_work() {
    let app = TestApp::spawn().await;
    let client = demo_client(&app).await;
    let code = grant_code_for(&app, &client, ADMIN, &[PROFILES_ALL, USERS_READ], 180).await;
    assert!(is_zoho_token(&code), "{code}");

    let (status, body) = exchange_with(&app, &client, &code, Encoding::Form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        keys(&body),
        ["access_token", "api_domain", "expires_in", "refresh_token", "scope", "token_type"],
        "{body}"
    );
    assert_eq!(body["scope"], format!("{PROFILES_ALL} {USERS_READ}"));
    assert_eq!(body["api_domain"], app.url(""));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let access = body["access_token"].as_str().unwrap();
    let refresh_token = body["refresh_token"].as_str().unwrap();
    assert!(is_zoho_token(access) && is_zoho_token(refresh_token), "{body}");
    assert_ne!(access, refresh_token);

    // The access token acts for the user the code was for, with the code's scopes.
    assert_eq!(app.profiles(access).await.len(), 2);
    let (status, me) = app.get("/crm/v8/users?type=CurrentUser", access).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["users"][0]["email"], ADMIN);
    let (status, body) = app.get("/crm/v8/org", access).await;
    assert_eq!((status, &body["code"]), (StatusCode::UNAUTHORIZED, &json!("OAUTH_SCOPE_MISMATCH")));
    // The refresh token is no access token.
    assert_invalid_token(list_status(&app, refresh_token).await);
}

#[tokio::test]
async fn a_code_works_once() {
    let app = TestApp::spawn().await;
    let client = demo_client(&app).await;
    let code = grant_code(&app, &client).await;
    let tokens = exchange(&app, &client, &code).await;

    let (status, body) = exchange_with(&app, &client, &code, Encoding::Form).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "error": "invalid_code" })));
    // The failed second exchange takes nothing away from the first.
    assert_works(list_status(&app, &tokens.access).await);
    assert!(is_zoho_token(&refresh(&app, &client, &tokens.refresh).await));
}

#[tokio::test]
async fn a_code_expires() {
    let app = TestApp::spawn().await;
    let client = demo_client(&app).await;
    let expiring = grant_code_for(&app, &client, ADMIN, &[PROFILES_ALL], 60).await;
    let on_time = grant_code_for(&app, &client, ADMIN, &[PROFILES_ALL], 60).await;

    app.clock.set(app.now() + 59);
    exchange(&app, &client, &on_time).await;
    app.clock.set(app.now() + 1);
    let (status, body) = exchange_with(&app, &client, &expiring, Encoding::Form).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "error": "invalid_code" })));
}

#[tokio::test]
async fn a_code_of_another_client_is_refused() {
    let app = TestApp::spawn().await;
    let owner = demo_client(&app).await;
    let other = demo_client(&app).await;
    let code = grant_code(&app, &owner).await;

    let (status, body) = exchange_with(&app, &other, &code, Encoding::Form).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "error": "invalid_code" })));
    // A made-up code is refused the same way.
    let forged = format!("1000.{}.{}", "a".repeat(32), "b".repeat(32));
    let (status, body) = exchange_with(&app, &owner, &forged, Encoding::Form).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "error": "invalid_code" })));
}

#[tokio::test]
async fn a_wrong_secret_or_an_unknown_client_is_invalid_client() {
    let app = TestApp::spawn().await;
    let (client, tokens) = signed_in(&app).await;
    let other = demo_client(&app).await;
    let code = grant_code(&app, &client).await;
    let invalid_client = (StatusCode::OK, json!({ "error": "invalid_client" }));

    let wrong_secret = Client { id: client.id.clone(), secret: other.secret.clone() };
    assert_eq!(exchange_with(&app, &wrong_secret, &code, Encoding::Form).await, invalid_client);
    let unknown = Client { id: format!("1000.{}", "X".repeat(30)), secret: client.secret.clone() };
    assert_eq!(exchange_with(&app, &unknown, &code, Encoding::Form).await, invalid_client);
    let without_secret = [
        ("client_id", client.id.as_str()),
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
    ];
    assert_eq!(token_endpoint(&app, &without_secret, Encoding::Form).await, invalid_client);
    // A refresh with a wrong secret too.
    let refreshed = refresh_with(&app, &wrong_secret, &tokens.refresh, Encoding::Form).await;
    assert_eq!(refreshed, invalid_client);

    // None of these used the code up.
    exchange(&app, &client, &code).await;
}

#[tokio::test]
async fn a_refresh_answers_a_new_access_token_and_no_refresh_token() {
    let app = TestApp::spawn().await;
    let client = demo_client(&app).await;
    let code = grant_code_for(&app, &client, ADMIN, &[PROFILES_ALL, USERS_READ], 180).await;
    let tokens = exchange(&app, &client, &code).await;

    let (status, body) = refresh_with(&app, &client, &tokens.refresh, Encoding::Form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        keys(&body),
        ["access_token", "api_domain", "expires_in", "scope", "token_type"],
        "{body}"
    );
    assert_eq!(body["scope"], format!("{PROFILES_ALL} {USERS_READ}"));
    assert_eq!(body["api_domain"], app.url(""));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let access = body["access_token"].as_str().unwrap();
    assert!(is_zoho_token(access), "{body}");
    assert_ne!(access, tokens.access);
    assert_works(list_status(&app, access).await);
    assert_works(list_status(&app, &tokens.access).await);

    // An unknown refresh token, or another client's, is an invalid code.
    let other = demo_client(&app).await;
    let (status, body) = refresh_with(&app, &other, &tokens.refresh, Encoding::Form).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "error": "invalid_code" })));
    let (status, body) = refresh_with(&app, &client, &tokens.access, Encoding::Form).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "error": "invalid_code" })));
}

#[tokio::test]
async fn parameters_are_read_from_multipart_urlencoded_bodies_and_the_query_string() {
    let app = TestApp::spawn().await;
    let client = demo_client(&app).await;
    for encoding in [Encoding::Multipart, Encoding::Form, Encoding::Query] {
        let code = grant_code(&app, &client).await;
        let (status, body) = exchange_with(&app, &client, &code, encoding).await;
        assert_eq!(status, StatusCode::OK, "{encoding:?}: {body}");
        let access =
            body["access_token"].as_str().unwrap_or_else(|| panic!("{encoding:?}: {body}"));
        assert_works(list_status(&app, access).await);
        let refresh_token = body["refresh_token"].as_str().unwrap().to_owned();

        let (status, body) = refresh_with(&app, &client, &refresh_token, encoding).await;
        assert_eq!(status, StatusCode::OK, "{encoding:?}: {body}");
        let access =
            body["access_token"].as_str().unwrap_or_else(|| panic!("{encoding:?}: {body}"));
        assert_works(list_status(&app, access).await);

        let (status, body) =
            accounts_post(&app, "/oauth/v2/token/revoke", &[("token", access)], encoding).await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({ "status": "success" })),
            "{encoding:?}"
        );
        assert_invalid_token(list_status(&app, access).await);
    }
}

#[tokio::test]
async fn the_eleventh_access_token_ends_the_oldest_and_the_eleventh_refresh_is_denied() {
    let app = TestApp::spawn().await;
    let (client, tokens) = signed_in(&app).await;

    // The exchange's token and ten refreshed ones: one more than a refresh token may keep.
    let mut live = vec![tokens.access.clone()];
    for _ in 0..10 {
        live.push(refresh(&app, &client, &tokens.refresh).await);
    }
    assert_invalid_token(list_status(&app, &live[0]).await);
    for token in &live[1..] {
        assert_works(list_status(&app, token).await);
    }

    // Ten refreshes in the window were the most allowed; the eleventh is denied.
    let (status, body) = refresh_with(&app, &client, &tokens.refresh, Encoding::Form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["error"], "Access Denied", "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("too many requests"), "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
    // The refusal minted nothing and ended nothing.
    assert_works(list_status(&app, &live[1]).await);

    // The window is ten minutes from its first refresh: still denied a second before its end.
    app.clock.set(app.now() + 599);
    let (_, body) = refresh_with(&app, &client, &tokens.refresh, Encoding::Form).await;
    assert_eq!(body["error"], "Access Denied", "{body}");
    app.clock.set(app.now() + 1);
    let newest = refresh(&app, &client, &tokens.refresh).await;
    assert_works(list_status(&app, &newest).await);
    // Again the oldest live one made way.
    assert_invalid_token(list_status(&app, &live[1]).await);
    assert_works(list_status(&app, &live[2]).await);
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_access_tokens_at_once() {
    let app = TestApp::spawn().await;
    let (client, tokens) = signed_in(&app).await;
    let refreshed = refresh(&app, &client, &tokens.refresh).await;
    // Another refresh token of the same user and client is not touched.
    let (_, unrelated) = signed_in(&app).await;
    assert_works(list_status(&app, &tokens.access).await);

    let (status, body) = revoke(&app, &tokens.refresh).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "status": "success" })));
    assert_invalid_token(list_status(&app, &tokens.access).await);
    assert_invalid_token(list_status(&app, &refreshed).await);
    let (status, body) = refresh_with(&app, &client, &tokens.refresh, Encoding::Form).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "error": "invalid_code" })));
    assert_works(list_status(&app, &unrelated.access).await);

    // Revoked once, it is unknown.
    let (status, body) = revoke(&app, &tokens.refresh).await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, json!({ "error": "invalid_token" })));
}

#[tokio::test]
async fn revoking_an_access_token_ends_only_that_token() {
    let app = TestApp::spawn().await;
    let (client, tokens) = signed_in(&app).await;
    let refreshed = refresh(&app, &client, &tokens.refresh).await;

    let (status, body) = revoke(&app, &tokens.access).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "status": "success" })));
    assert_invalid_token(list_status(&app, &tokens.access).await);
    assert_works(list_status(&app, &refreshed).await);
    let newer = refresh(&app, &client, &tokens.refresh).await;
    assert_works(list_status(&app, &newer).await);

    // A token minted by the command line can be revoked too.
    let minted = app.admin_token().await;
    assert_eq!(revoke(&app, &minted).await.0, StatusCode::OK);
    assert_invalid_token(list_status(&app, &minted).await);
}

#[tokio::test]
async fn revoking_an_unknown_token_is_a_bad_request() {
    let app = TestApp::spawn().await;
    let forged = format!("1000.{}.{}", "0".repeat(32), "1".repeat(32));
    let (status, body) = revoke(&app, &forged).await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, json!({ "error": "invalid_token" })));
    let (status, body) = accounts_post(&app, "/oauth/v2/token/revoke", &[], Encoding::Query).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].is_string(), "{body}");
    // A grant code is not a token either.
    let client = demo_client(&app).await;
    let code = grant_code(&app, &client).await;
    assert_eq!(revoke(&app, &code).await.0, StatusCode::BAD_REQUEST);
}

/// A second org, with boss@other.example as its administrator.
async fn other_org(app: &TestApp) -> CreatedOrg {
    let seed = seed::new_org("Other", "boss@other.example");
    app.store.create_org(&seed, app.now()).await.expect("second org")
}

#[tokio::test]
async fn client_credentials_need_the_clients_own_org() {
    let app = TestApp::spawn().await;
    let client = demo_client(&app).await;
    let other = other_org(&app).await;
    let soid = format!("ZohoCRM.{}", app.org.org.id);
    let scopes = format!("{PROFILES_ALL},{USERS_READ}");
    let credentials = |soid: Option<&str>| {
        let mut params = vec![
            ("client_id", client.id.clone()),
            ("client_secret", client.secret.clone()),
            ("grant_type", "client_credentials".to_owned()),
            ("scope", scopes.clone()),
        ];
        if let Some(soid) = soid {
            params.push(("soid", soid.to_owned()));
        }
        params
    };
    let post = |params: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            token_endpoint(app, &params, Encoding::Form).await
        }
    };

    let (status, body) = post(credentials(Some(&soid))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        keys(&body),
        ["access_token", "api_domain", "expires_in", "scope", "token_type"],
        "{body}"
    );
    assert_eq!(body["scope"], format!("{PROFILES_ALL} {USERS_READ}"));
    let access = body["access_token"].as_str().unwrap();
    // The token acts as the org's primary contact.
    assert_eq!(app.profiles(access).await.len(), 2);
    let (status, me) = app.get("/crm/v8/users?type=CurrentUser", access).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["users"][0]["email"], ADMIN);

    let (status, body) = post(credentials(None)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "error": "missing_org_info" })));
    let other_soid = format!("ZohoCRM.{}", other.org.id);
    let (status, body) = post(credentials(Some(&other_soid))).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "error": "invalid_client" })));
    let mut wrong_secret = credentials(Some(&soid));
    wrong_secret[1].1 = "0".repeat(42);
    let (status, body) = post(wrong_secret).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "error": "invalid_client" })));
}

#[tokio::test]
async fn an_unsupported_grant_type_is_named() {
    let app = TestApp::spawn().await;
    let client = demo_client(&app).await;
    for grant_type in ["password", "device_token", ""] {
        let params = [
            ("client_id", client.id.as_str()),
            ("client_secret", client.secret.as_str()),
            ("grant_type", grant_type),
        ];
        let (status, body) = token_endpoint(&app, &params, Encoding::Form).await;
        assert_eq!(body, json!({ "error": "unsupported_grant_type" }), "{grant_type:?}");
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn the_api_refuses_an_expired_access_token_and_a_refresh_replaces_it() {
    let app = TestApp::spawn().await;
    let (client, tokens) = signed_in(&app).await;

    app.clock.set(app.now() + 3599);
    assert_works(list_status(&app, &tokens.access).await);
    app.clock.set(app.now() + 1);
    assert_invalid_token(list_status(&app, &tokens.access).await);

    // The refresh token does not expire.
    let fresh = refresh(&app, &client, &tokens.refresh).await;
    assert_works(list_status(&app, &fresh).await);
}

#[tokio::test]
async fn x_crm_org_must_name_the_tokens_org() {
    let app = TestApp::spawn().await;
    let (_, tokens) = signed_in(&app).await;
    let other = other_org(&app).await;
    let get = |org: String| {
        app.client
            .get(app.url("/crm/v8/settings/profiles"))
            .header("Authorization", format!("Zoho-oauthtoken {}", tokens.access))
            .header("X-CRM-ORG", org)
            .send()
    };

    let (status, body) = common::read(get(app.org.org.id.to_string()).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["profiles"].as_array().unwrap().len(), 2);

    for wrong in [other.org.id.to_string(), "12345".to_owned(), "not-an-org".to_owned()] {
        let (status, body) = common::read(get(wrong.clone()).await.unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{wrong}: {body}");
        assert_eq!(body["code"], "INVALID_DATA", "{body}");
        assert_eq!(body["status"], "error", "{body}");
    }
}

/// An access token of boss@other.example, through the OAuth flow of a client of the other org.
async fn other_org_token(app: &TestApp, other: &CreatedOrg, scopes: &[&str]) -> String {
    let client = new_client(app, other.org.id).await;
    let code = grant_code_for(app, &client, "boss@other.example", scopes, 180).await;
    exchange(app, &client, &code).await.access
}

#[tokio::test]
async fn a_token_of_one_org_neither_sees_nor_touches_another_orgs_profiles() {
    let app = TestApp::spawn().await;
    let other = other_org(&app).await;
    let demo = app.admin_token().await;
    let boss = other_org_token(&app, &other, &[PROFILES_ALL]).await;
    let demo_before =
        app.get(&format!("/crm/v8/settings/profiles/{}", app.standard_id()), &demo).await;

    // Each lists its own two profiles only.
    let ids = |profiles: Vec<Value>| -> Vec<String> {
        profiles.iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect()
    };
    let demo_ids = ids(app.profiles(&demo).await);
    let other_ids = ids(app.profiles(&boss).await);
    let expected: Vec<String> = other.profile_ids.iter().map(i64::to_string).collect();
    assert_eq!(other_ids, expected);
    assert_eq!(demo_ids, app.org.profile_ids.iter().map(i64::to_string).collect::<Vec<_>>());

    let invalid = |answer: (StatusCode, Value)| {
        assert_eq!(answer.0, StatusCode::BAD_REQUEST, "{}", answer.1);
        let code = answer.1["code"].as_str().or(answer.1["profiles"][0]["code"].as_str());
        assert_eq!(code, Some("INVALID_DATA"), "{}", answer.1);
    };
    let standard = app.standard_id();
    let administrator = app.administrator_id();
    let [other_admin, other_standard] = [other.profile_ids[0], other.profile_ids[1]];
    invalid(app.get(&format!("/crm/v8/settings/profiles/{standard}"), &boss).await);
    invalid(app.clone_profile(&boss, standard, "Stolen").await);
    let rename = json!({ "profiles": [{ "name": "Renamed" }] }).to_string();
    invalid(app.put(&format!("/crm/v8/settings/profiles/{standard}"), &boss, &rename).await);
    let delete = format!("/crm/v8/settings/profiles/{standard}?transfer_to={administrator}");
    invalid(app.delete(&delete, &boss).await);

    // Nor can it move its users into the other org's profile.
    let (status, body) = app.clone_profile(&boss, other_standard, "Own").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let own = body["profiles"][0]["details"]["id"].as_str().unwrap().to_owned();
    invalid(
        app.delete(&format!("/crm/v8/settings/profiles/{own}?transfer_to={standard}"), &boss).await,
    );
    let (status, body) = app
        .delete(&format!("/crm/v8/settings/profiles/{own}?transfer_to={other_admin}"), &boss)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The demo org is as it was.
    assert_eq!(ids(app.profiles(&demo).await), demo_ids);
    let demo_after = app.get(&format!("/crm/v8/settings/profiles/{standard}"), &demo).await;
    assert_eq!(demo_after, demo_before);
    assert_eq!(ids(app.profiles(&boss).await), expected);
}

#[tokio::test]
async fn a_token_of_one_org_neither_sees_nor_touches_another_orgs_users() {
    let app = TestApp::spawn().await;
    let other = other_org(&app).await;
    let users_all = "ZohoCRM.users.ALL";
    let demo = app.token_for(ADMIN, &[users_all]).await;
    let boss = other_org_token(&app, &other, &[users_all]).await;

    let emails = |body: &Value| -> Vec<String> {
        let users = body["users"].as_array().unwrap_or_else(|| panic!("{body}"));
        users.iter().map(|u| u["email"].as_str().unwrap().to_owned()).collect()
    };
    let (status, body) = app.get("/crm/v8/users", &boss).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(emails(&body), ["boss@other.example"]);
    let (status, demo_users) = app.get("/crm/v8/users", &demo).await;
    assert_eq!(status, StatusCode::OK, "{demo_users}");
    assert_eq!(emails(&demo_users), [ADMIN, STANDARD_USER]);

    let invalid = |answer: (StatusCode, Value)| {
        assert_eq!(answer.0, StatusCode::BAD_REQUEST, "{}", answer.1);
        let code = answer.1["code"].as_str().or(answer.1["users"][0]["code"].as_str());
        assert_eq!(code, Some("INVALID_DATA"), "{}", answer.1);
    };
    let standard_user = app.org.user_ids[1];
    invalid(app.get(&format!("/crm/v8/users/{standard_user}"), &boss).await);
    let own_profile = json!({ "users": [{ "profile": other.profile_ids[0].to_string() }] });
    let path = format!("/crm/v8/users/{standard_user}");
    invalid(app.put(&path, &boss, &own_profile.to_string()).await);
    // Its own user cannot get a profile or a role of the demo org.
    let boss_id = other.user_ids[0];
    let foreign = json!({ "users": [{ "profile": app.standard_id().to_string() }] });
    invalid(app.put(&format!("/crm/v8/users/{boss_id}"), &boss, &foreign.to_string()).await);
    let new_user = json!({ "users": [{
        "email": "spy@other.example",
        "last_name": "Spy",
        "profile": app.standard_id().to_string(),
        "role": app.org.role_ids[0].to_string(),
    }] });
    invalid(app.post("/crm/v8/users", &boss, &new_user.to_string()).await);

    let (_, after) = app.get("/crm/v8/users", &demo).await;
    assert_eq!(after, demo_users);
    let (_, body) = app.get("/crm/v8/users", &boss).await;
    assert_eq!(emails(&body), ["boss@other.example"]);
}

#[tokio::test]
async fn get_org_answers_the_callers_org_and_needs_the_org_scope() {
    let app = TestApp::spawn().await;
    let other = other_org(&app).await;
    let client = demo_client(&app).await;
    let code = grant_code_for(&app, &client, STANDARD_USER, &[ORG_READ], 180).await;
    let demo = exchange(&app, &client, &code).await.access;
    let boss = other_org_token(&app, &other, &["ZohoCRM.org.ALL"]).await;

    for (token, created, primary) in
        [(&demo, &app.org, ADMIN), (&boss, &other, "boss@other.example")]
    {
        let (status, body) = app.get("/crm/v8/org", token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let orgs = body["org"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(orgs.len(), 1, "{body}");
        let org = &orgs[0];
        assert_eq!(org["id"], created.org.id.to_string(), "{body}");
        assert_eq!(org["zgid"], created.org.prefix.to_string(), "{body}");
        assert_eq!(org["primary_email"], primary, "{body}");
        assert_eq!(org["company_name"], created.org.name, "{body}");
    }
    // Other versions answer the same org.
    let (status, body) = app.get("/crm/v7/org", &demo).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["org"][0]["id"], app.org.org.id.to_string());

    let (status, body) = app.get("/crm/v8/org", &app.admin_token().await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "OAUTH_SCOPE_MISMATCH", "{body}");
}

/// What the database holds, as bytes to search: on SQLite every file it keeps (the file, `-wal`
/// and `-shm`), read raw; on PostgreSQL every row of every table, as text (where a `bytea` shows
/// as `\x` and its hex digits).
async fn stored_bytes(app: &TestApp) -> Vec<u8> {
    if !app.is_postgres() {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            let path = format!("{}{suffix}", app.db_path.display());
            if let Ok(content) = std::fs::read(&path) {
                bytes.extend(content);
            }
        }
        return bytes;
    }
    let pool = sqlx::PgPool::connect(&app.database_url).await.expect("PostgreSQL answers");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&pool)
    .await
    .expect("list tables");
    assert!(tables.iter().any(|t| t == "access_tokens"), "{tables:?}");
    let mut bytes = Vec::new();
    for table in tables {
        let sql = format!("SELECT t::text FROM \"{table}\" t");
        let rows: Vec<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&pool).await.expect("rows");
        for row in rows {
            bytes.extend(row.into_bytes());
            bytes.push(b'\n');
        }
    }
    pool.close().await;
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn no_secret_code_or_token_is_stored_in_clear() {
    let app = TestApp::spawn().await;
    let client = demo_client(&app).await;
    let unused_code = grant_code(&app, &client).await;
    let code = grant_code(&app, &client).await;
    let tokens = exchange(&app, &client, &code).await;
    let refreshed = refresh(&app, &client, &tokens.refresh).await;
    let soid = format!("ZohoCRM.{}", app.org.org.id);
    let params = [
        ("client_id", client.id.as_str()),
        ("client_secret", client.secret.as_str()),
        ("grant_type", "client_credentials"),
        ("scope", PROFILES_ALL),
        ("soid", soid.as_str()),
    ];
    let (_, body) = token_endpoint(&app, &params, Encoding::Form).await;
    let credentials = body["access_token"].as_str().unwrap().to_owned();
    for token in [&tokens.access, &refreshed, &credentials] {
        assert_works(list_status(&app, token).await);
    }

    let bytes = stored_bytes(&app).await;
    // The search can succeed: the client id is stored as it is, and digests are stored (raw in
    // SQLite's files, as hex in PostgreSQL's text form).
    assert!(contains(&bytes, client.id.as_bytes()), "the client id is not in the database");
    let digest = crm_profiles::domain::token::digest(&tokens.refresh);
    let found = contains(&bytes, &digest.0) || contains(&bytes, hex::encode(digest.0).as_bytes());
    assert!(found, "the refresh token's digest is not in the database");

    let secrets = [
        ("client secret", &client.secret),
        ("unused grant code", &unused_code),
        ("used grant code", &code),
        ("refresh token", &tokens.refresh),
        ("first access token", &tokens.access),
        ("refreshed access token", &refreshed),
        ("client-credentials token", &credentials),
    ];
    for (what, secret) in secrets {
        assert!(!contains(&bytes, secret.as_bytes()), "the {what} is stored in clear");
        for part in secret.split('.').filter(|p| p.len() >= 32) {
            assert!(!contains(&bytes, part.as_bytes()), "part of the {what} is stored as text");
            let raw = hex::decode(part).unwrap();
            assert!(!contains(&bytes, &raw), "part of the {what} is stored as bytes");
        }
    }
}

#[tokio::test]
async fn malformed_client_ids_are_invalid_client_never_a_server_error() {
    let app = TestApp::spawn().await;
    for grant_type in ["authorization_code", "refresh_token", "client_credentials"] {
        for client_id in ["a\u{0}b", "é", &"x".repeat(500)] {
            let params = [
                ("client_id", client_id),
                ("client_secret", "s"),
                ("grant_type", grant_type),
                ("code", "c"),
                ("refresh_token", "r"),
                ("scope", PROFILES_ALL),
                ("soid", "ZohoCRM.1"),
            ];
            let (status, body) = token_endpoint(&app, &params, Encoding::Form).await;
            assert_eq!(status, StatusCode::OK, "{grant_type} {body}");
            assert_eq!(body, json!({ "error": "invalid_client" }));
        }
    }
}

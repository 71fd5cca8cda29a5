//! A test app: the real server on 127.0.0.1 port 0, over a fresh database, driven over HTTP.
//!
//! The database is a fresh SQLite file, or, when `CRM_PROFILES_TEST_POSTGRES` holds the URL of
//! a PostgreSQL server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), a fresh database
//! created on it for each test: `scripts/test` runs the suite both ways.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crm_profiles::app::{self, TokenRequest};
use crm_profiles::config::ServeArgs;
use crm_profiles::domain::clock::{Clock, ManualClock};
use crm_profiles::http::error::ErrorStyle;
use crm_profiles::store::{CreatedOrg, Store};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::oneshot;

pub const PROFILES_ALL: &str = "ZohoCRM.settings.profiles.ALL";
pub const ADMIN: &str = "admin@example.com";
pub const STANDARD_USER: &str = "standard@example.com";

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub clock: ManualClock,
    /// The demo org created on the first start; kept across restarts.
    pub org: CreatedOrg,
    pub style: ErrorStyle,
    /// The SQLite file, when the backend is SQLite.
    pub db_path: PathBuf,
    /// The database the server uses, SQLite or PostgreSQL.
    pub database_url: String,
    dir: Arc<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

/// A fixed, recent "now" so that times in answers are predictable.
pub const START: i64 = 1_780_000_000;

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(ErrorStyle::Docs).await
    }

    pub async fn spawn_with(style: ErrorStyle) -> Self {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let database_url = fresh_database(&dir).await;
        Self::start(dir, database_url, style, ManualClock::new(START), None).await
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }

    async fn start(
        dir: Arc<tempfile::TempDir>,
        database_url: String,
        style: ErrorStyle,
        clock: ManualClock,
        org: Option<CreatedOrg>,
    ) -> Self {
        let db_path = dir.path().join("crm-profiles.db");
        let mut args = serve_args(&database_url);
        args.error_style = style;
        let bound = app::bind(&args, Arc::new(clock.clone())).await.expect("server starts");
        let org = match (bound.seeded.clone(), org) {
            (Some(seeded), None) => seeded,
            (None, Some(known)) => known,
            (seeded, known) => {
                panic!("unexpected seeding: {:?} / {:?}", seeded.is_some(), known.is_some())
            }
        };
        let addr = bound.local_addr;
        let store = bound.store();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            bound
                .run(async {
                    stopped.await.ok();
                })
                .await
                .expect("server runs");
        });
        let app = Self {
            addr,
            client: reqwest::Client::new(),
            store,
            clock,
            org,
            style,
            db_path,
            database_url,
            dir,
            stop: Some(stop),
            server: Some(server),
        };
        app.wait_ready().await;
        app
    }

    /// Polls /health until the server answers 200.
    async fn wait_ready(&self) {
        for _ in 0..500 {
            if let Ok(r) = self.client.get(self.url("/health")).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("server never became ready");
    }

    /// Another node serving the same database, as behind a load balancer.
    pub async fn another_node(&self) -> Self {
        let (dir, url) = (self.dir.clone(), self.database_url.clone());
        Self::start(dir, url, self.style, self.clock.clone(), Some(self.org.clone())).await
    }

    /// Stops the server (finishing requests in flight) and starts a new one on the same file.
    pub async fn restart(mut self) -> Self {
        self.stop.take().unwrap().send(()).ok();
        self.server.take().unwrap().await.unwrap();
        let dir = self.dir.clone();
        let url = self.database_url.clone();
        Self::start(dir, url, self.style, self.clock.clone(), Some(self.org.clone())).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn administrator_id(&self) -> i64 {
        self.org.profile_ids[0]
    }

    pub fn standard_id(&self) -> i64 {
        self.org.profile_ids[1]
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// A token for `email` with the given scopes, valid for an hour.
    pub async fn token_for(&self, email: &str, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        let request = TokenRequest { email, org: None, scopes: &scopes, expires_in: 3600 };
        app::issue_token(self.store.as_ref(), &request, self.clock.now()).await.expect("token")
    }

    /// admin@example.com with ZohoCRM.settings.profiles.ALL.
    pub async fn admin_token(&self) -> String {
        self.token_for(ADMIN, &[PROFILES_ALL]).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(self.url(path))
            .header("Authorization", format!("Zoho-oauthtoken {token}"))
            .send()
            .await
            .expect("request");
        read(response).await
    }

    /// POSTs `body` as Zoho's SDKs do: no Content-Type header.
    pub async fn post(&self, path: &str, token: &str, body: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url(path))
            .header("Authorization", format!("Zoho-oauthtoken {token}"))
            .body(body.to_owned())
            .send()
            .await
            .expect("request");
        read(response).await
    }

    pub fn clone_path(&self, version: &str, source: i64) -> String {
        format!("/crm/{version}/settings/profiles/{source}/actions/clone")
    }

    /// Clones `source` into `name` through v7, as Zoho's page shows it.
    pub async fn clone_profile(&self, token: &str, source: i64, name: &str) -> (StatusCode, Value) {
        let body = serde_json::json!({ "profiles": [{ "name": name }] }).to_string();
        self.post(&self.clone_path("v7", source), token, &body).await
    }

    /// The org's profiles as v8 lists them.
    pub async fn profiles(&self, token: &str) -> Vec<Value> {
        let (status, body) = self.get("/crm/v8/settings/profiles", token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["profiles"].as_array().unwrap().clone()
    }
}

/// `serve` options as the tests use them: port 0, the given database, defaults elsewhere.
pub fn serve_args(database_url: &str) -> ServeArgs {
    ServeArgs {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: database_url.to_owned(),
        error_style: ErrorStyle::Docs,
        log_format: crm_profiles::config::LogFormat::Text,
        public_url: None,
        accounts_listen: None,
        access_tokens_per_refresh: 10,
        refreshes_per_window: 10,
        refresh_window_secs: 600,
        access_token_secs: 3600,
        db_max_connections: 10,
        db_statement_timeout_ms: 10_000,
        no_demo: false,
    }
}

/// The environment variable naming the PostgreSQL server to test against.
pub const POSTGRES_ENV: &str = "CRM_PROFILES_TEST_POSTGRES";

/// A URL for an empty database: an SQLite file in `dir`, or a new PostgreSQL database when
/// [`POSTGRES_ENV`] is set.
pub async fn fresh_database(dir: &tempfile::TempDir) -> String {
    let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
        return format!("sqlite://{}", dir.path().join("crm-profiles.db").display());
    };
    use sqlx::Connection;
    // `scripts/test` names its run, so that it drops exactly the databases it created.
    let run = std::env::var("CRM_PROFILES_TEST_RUN").unwrap_or_else(|_| "adhoc".to_owned());
    let name = format!("crm_test_{run}_{}_{:08x}", std::process::id(), rand_suffix());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("PostgreSQL answers");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let (base, _) = admin_url.rsplit_once('/').expect("URL names a database");
    format!("{base}/{name}")
}

fn rand_suffix() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    nanos ^ NEXT.fetch_add(0x9e37_79b9, Ordering::Relaxed)
}

/// Status and JSON body of a response; a body that is not JSON fails the test, since every
/// answer of this server is JSON.
pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.expect("body");
    assert_eq!(content_type.as_deref(), Some("application/json;charset=UTF-8"), "{status} {text}");
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, value)
}

/// Replaces ids and times with placeholders so that snapshots pin only what is stable.
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let redacted = match (k.as_str(), v) {
                        ("id", Value::String(_)) => Value::String("[id]".into()),
                        ("created_time" | "modified_time", Value::String(_)) => {
                            Value::String("[time]".into())
                        }
                        _ => redact(v),
                    };
                    (k.clone(), redacted)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

/// Checks that `body`, the answer of GET /settings/profiles/{id}, holds one whole profile: as
/// many permission entries as `reference` (another such answer, e.g. Administrator's), each with
/// an id and a boolean `enabled`, and the same sections, which every profile shares.
pub fn assert_whole_profile(body: &Value, reference: &Value) {
    let profiles = body["profiles"].as_array().unwrap_or_else(|| panic!("no profiles: {body}"));
    assert_eq!(profiles.len(), 1, "{body}");
    let profile = &profiles[0];
    let reference = &reference["profiles"][0];
    let permissions = profile["permissions_details"].as_array().expect("permissions_details");
    let expected = reference["permissions_details"].as_array().expect("reference permissions");
    assert!(!expected.is_empty());
    assert_eq!(permissions.len(), expected.len(), "profile {}", profile["id"]);
    for entry in permissions {
        assert!(entry["id"].is_string() && entry["enabled"].is_boolean(), "{entry}");
    }
    let sections = profile["sections"].as_array().expect("sections");
    assert!(!sections.is_empty(), "profile {} has no sections", profile["id"]);
    assert_eq!(profile["sections"], reference["sections"], "profile {}", profile["id"]);
}

/// The other write methods, mirroring [`TestApp::post`], and reads of answers without a body.
impl TestApp {
    /// PUTs `body` as Zoho's SDKs do: no Content-Type header.
    pub async fn put(&self, path: &str, token: &str, body: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::PUT, path, token, body).await
    }

    /// PATCHes `body`, with no Content-Type header.
    pub async fn patch(&self, path: &str, token: &str, body: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::PATCH, path, token, body).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::DELETE, path, token, "").await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let response = self
            .client
            .request(method, self.url(path))
            .header("Authorization", format!("Zoho-oauthtoken {token}"))
            .body(body.to_owned())
            .send()
            .await
            .expect("request");
        read(response).await
    }

    /// GETs `path` with extra `headers`; returns the status, the Content-Type if any and the raw
    /// body, for answers that may carry no JSON (204, 304).
    pub async fn get_raw(
        &self,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Option<String>, String) {
        let mut request = self
            .client
            .get(self.url(path))
            .header("Authorization", format!("Zoho-oauthtoken {token}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let content_type =
            response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
        (status, content_type, response.text().await.expect("body"))
    }
}

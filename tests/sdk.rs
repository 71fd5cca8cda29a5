//! Zoho's official SDKs as clients: nodejs-sdk-8.0, typescript-sdk-8.0, nodejs-sdk-7.0 and the
//! Python SDKs for v8 and v7, each driving the real binary through the flow scripts in
//! `sdk-tests/` (grant code → tokens → list → clone → get → update → duplicate clone → delete,
//! and a token without the profiles scope).
//!
//! The SDKs are installed on first use, at the versions pinned in
//! `sdk-tests/node/package-lock.json` and `sdk-tests/python/requirements-*.txt` (`npm ci`;
//! `pip install --target`), and again when those files change. Node.js with npm and Python 3
//! with pip must be on the PATH: without them these tests fail, saying so.
//!
//! The server runs with `--access-token-secs 5`. The SDKs refresh a token whose stored expiry
//! is less than 5 s away before each call, so every call of the flow refreshes: the SDKs' own
//! refresh path is exercised throughout.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_crm-profiles");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

const ADMIN: &str = "admin@example.com";
const FULL_SCOPES: &str = "ZohoCRM.settings.profiles.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ";
const NARROW_SCOPES: &str = "ZohoCRM.users.READ";
const CLONE_NAME: &str = "SDK Clone";
const RENAMED: &str = "SDK Clone Renamed";

/// How long an install or a flow may take before the test gives up.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const FLOW_TIMEOUT: Duration = Duration::from_secs(180);
const START_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// Running commands

/// What a finished command printed.
struct Ran {
    success: bool,
    status: String,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn describe(&self) -> String {
        format!("{}\n--- stdout\n{}\n--- stderr\n{}", self.status, self.stdout, self.stderr)
    }
}

/// Runs `command` to its end, killing it after `timeout`. Its output is drained by threads, so a
/// chatty child never blocks; the end of both pipes tells that it exited.
fn run(mut command: Command, timeout: Duration) -> Ran {
    let shown = format!("{command:?}");
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    let (done_tx, done_rx) = mpsc::channel();
    let drain = |pipe: Box<dyn Read + Send>, done: mpsc::Sender<()>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = BufReader::new(pipe).read_to_end(&mut text);
            done.send(()).ok();
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()), done_tx.clone());
    let stderr = drain(Box::new(child.stderr.take().unwrap()), done_tx);

    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    for _ in 0..2 {
        match done_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {}
            Err(RecvTimeoutError::Timeout) => {
                timed_out = true;
                break;
            }
        }
    }
    if timed_out {
        child.kill().ok();
    }
    let status = child.wait().expect("wait for child");
    Ran {
        success: status.success() && !timed_out,
        status: if timed_out {
            format!("{shown}: killed after {timeout:?}")
        } else {
            format!("{shown}: {status}")
        },
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Fails the test unless `program --version` runs: the SDK tests need it on the PATH.
fn require_tool(program: &str, why: &str) -> String {
    let output = Command::new(program).arg("--version").output();
    match output {
        Ok(output) if output.status.success() => {
            let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            if text.is_empty() {
                String::from_utf8_lossy(&output.stderr).trim().to_owned()
            } else {
                text
            }
        }
        Ok(output) => panic!(
            "`{program} --version` failed ({}): {why}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => panic!(
            "`{program}` cannot be run ({error}): {why}. The official SDK tests (tests/sdk.rs) \
             need Node.js with npm and Python 3 with pip on the PATH."
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Installing the SDKs

fn sdk_dir(sub: &str) -> PathBuf {
    Path::new(ROOT).join("sdk-tests").join(sub)
}

/// The name of the file that records what an install was made from.
const MARKER: &str = ".crm-profiles-installed";

fn fingerprint(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// Makes sure `target` holds an install made from `fingerprint`, running `install` (which must
/// create `target`) when it does not. Serialised across the tests of this process by the caller's
/// `OnceLock`, and across processes (e.g. nextest) by a lock on a file under the target dir.
fn ensure_installed(name: &str, target: &Path, fingerprint: &str, install: impl FnOnce() -> Ran) {
    let lock_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sdk-install-{name}.lock"));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", lock_path.display()));
    lock.lock().unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));

    let marker = target.join(MARKER);
    if std::fs::read_to_string(&marker).is_ok_and(|found| found == fingerprint) {
        return;
    }
    let started = Instant::now();
    eprintln!("sdk tests: installing {name} into {} (first run or changed pins)", target.display());
    let ran = install();
    assert!(ran.success, "installing {name} failed:\n{}", ran.describe());
    std::fs::write(&marker, fingerprint)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", marker.display()));
    eprintln!("sdk tests: installed {name} in {:.1?}", started.elapsed());
    // The lock is released when `lock` is dropped.
}

/// `sdk-tests/node/node_modules`, as `package-lock.json` pins it.
fn node_sdks() -> &'static Path {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let why = "the Node SDK tests run Zoho's Node SDKs";
        let node = require_tool("node", why);
        require_tool("npm", why);
        let dir = sdk_dir("node");
        let lock = std::fs::read(dir.join("package-lock.json")).expect("package-lock.json");
        let manifest = std::fs::read(dir.join("package.json")).expect("package.json");
        let print = fingerprint(&[&lock, &manifest, node.as_bytes()]);
        ensure_installed("node", &dir.join("node_modules"), &print, || {
            // `npm ci` installs exactly the lock file, removing any node_modules first.
            let mut npm = Command::new("npm");
            npm.args(["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]);
            npm.current_dir(&dir);
            run(npm, INSTALL_TIMEOUT)
        });
        dir
    })
}

/// A target directory with the Python SDK of `requirements` installed (`.py8` or `.py7`).
fn python_sdk(slot: &'static OnceLock<PathBuf>, requirements: &str, target: &str) -> &'static Path {
    slot.get_or_init(|| {
        let why = "the Python SDK tests run Zoho's Python SDKs";
        let python = require_tool("python3", why);
        let pip = Command::new("python3").args(["-m", "pip", "--version"]).output();
        assert!(
            pip.as_ref().is_ok_and(|o| o.status.success()),
            "`python3 -m pip` is missing: {why}, installed with pip ({pip:?})"
        );
        let dir = sdk_dir("python");
        let pins = std::fs::read(dir.join(requirements)).expect("requirements file");
        let print = fingerprint(&[&pins, python.as_bytes()]);
        let target_dir = dir.join(target);
        ensure_installed(target, &target_dir, &print, || {
            // A half-finished or outdated install is replaced whole.
            if target_dir.exists() {
                std::fs::remove_dir_all(&target_dir).expect("remove the old install");
            }
            let mut pip = Command::new("python3");
            pip.args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input"]);
            pip.args(["--quiet", "--target"]).arg(&target_dir).arg("-r").arg(requirements);
            pip.current_dir(&dir);
            run(pip, INSTALL_TIMEOUT)
        });
        target_dir
    })
}

// ---------------------------------------------------------------------------------------------
// The server

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind port 0").local_addr().unwrap().port()
}

/// `crm-profiles serve` with an accounts listener, over a fresh SQLite file. Dropping it kills
/// the process and reaps it.
struct Server {
    child: Child,
    api: SocketAddr,
    accounts: SocketAddr,
    database: String,
    dir: tempfile::TempDir,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Server {
    /// Starts the server on two free ports, trying other ports if one was taken meanwhile, and
    /// waits until `/health` answers 200.
    async fn start() -> Server {
        let mut last_log = String::new();
        for _ in 0..5 {
            match Self::try_start().await {
                Ok(server) => return server,
                Err(log) => last_log = log,
            }
        }
        panic!("the server did not start on free ports after 5 attempts:\n{last_log}");
    }

    async fn try_start() -> Result<Server, String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = format!("sqlite://{}", dir.path().join("sdk.db").display());
        let api = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let accounts = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut command = crm_command();
        command
            .arg("serve")
            .args(["--listen", &api.to_string(), "--accounts-listen", &accounts.to_string()])
            .args(["--database", &database])
            .args(["--access-token-secs", "5", "--refreshes-per-window", "1000"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn crm-profiles serve");
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut server = Server { child, api, accounts, database, dir, log };

        let client = reqwest::Client::new();
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = server.child.try_wait().expect("poll the server") {
                return Err(format!("exited with {status}:\n{}", server.log_text()));
            }
            let health = client.get(server.api_url("/health")).send().await;
            if health.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
                return Ok(server);
            }
            // Not listening yet: ask again once the runtime has had a turn.
            tokio::task::yield_now().await;
        }
        panic!("the server was not ready after {START_TIMEOUT:?}:\n{}", server.log_text());
    }

    fn api_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.api)
    }

    /// The token endpoint on the accounts listener, as the SDKs are given it.
    fn token_url(&self) -> String {
        format!("http://{}/oauth/v2/token", self.accounts)
    }

    fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Runs a CLI command of the binary against this server's database; returns its stdout lines.
    fn cli(&self, args: &[&str]) -> Vec<String> {
        let mut command = crm_command();
        command.args(args).args(["--database", &self.database]);
        let ran = run(command, Duration::from_secs(60));
        assert!(ran.success, "{}", ran.describe());
        ran.stdout.lines().map(str::to_owned).collect()
    }

    /// A self client of the demo org: its id and secret, as `client create` prints them.
    fn self_client(&self) -> (String, String) {
        let lines = self.cli(&["client", "create", "--org", "Demo", "--name", "sdk-tests"]);
        match lines.as_slice() {
            [id, secret] => (id.clone(), secret.clone()),
            other => panic!("client create printed {other:?}"),
        }
    }

    fn grant_code(&self, client_id: &str, scopes: &str) -> String {
        let lines =
            self.cli(&["grant", "--client-id", client_id, "--user", ADMIN, "--scope", scopes]);
        match lines.as_slice() {
            [code] => code.clone(),
            other => panic!("grant printed {other:?}"),
        }
    }

    /// GETs `path` with a token minted by the `token` command.
    async fn get(&self, path: &str, token: &str) -> (reqwest::StatusCode, Value) {
        let response = reqwest::Client::new()
            .get(self.api_url(path))
            .header("Authorization", format!("Zoho-oauthtoken {token}"))
            .send()
            .await
            .expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        (status, body)
    }

    /// How many access tokens the database holds.
    async fn access_token_rows(&self) -> i64 {
        let url = format!("{}?mode=ro", self.database);
        let pool = sqlx::SqlitePool::connect(&url).await.expect("open the database read-only");
        let count = sqlx::query_scalar("SELECT COUNT(*) FROM access_tokens")
            .fetch_one(&pool)
            .await
            .expect("count access tokens");
        pool.close().await;
        count
    }
}

/// The binary with none of its environment variables inherited.
fn crm_command() -> Command {
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CRM_PROFILES_") {
            command.env_remove(name);
        }
    }
    command
}

// ---------------------------------------------------------------------------------------------
// The flows

/// One SDK and how to run its flow script.
struct Sdk {
    label: &'static str,
    /// `/crm/v8` or `/crm/v7`: the version the SDK calls.
    version: &'static str,
    runner: Runner,
}

enum Runner {
    /// A script in `sdk-tests/node`.
    Node(&'static str),
    /// `sdk-tests/python/flow.py` with the SDK of a requirements file in a target dir of its own.
    Python { requirements: &'static str, target: &'static str, slot: &'static OnceLock<PathBuf> },
}

impl Sdk {
    /// Installs the SDK unless it is installed already; returns where.
    fn install(&self) -> &'static Path {
        match &self.runner {
            Runner::Node(_) => node_sdks(),
            Runner::Python { requirements, target, slot } => python_sdk(slot, requirements, target),
        }
    }

    /// The flow's command.
    fn command(&self) -> Command {
        let installed = self.install();
        match &self.runner {
            Runner::Node(script) => {
                let mut command = Command::new("node");
                command.arg(installed.join(script));
                command
            }
            Runner::Python { .. } => {
                let mut command = Command::new("python3");
                command.arg(sdk_dir("python").join("flow.py")).arg(self.label);
                command.env("PYTHONPATH", installed).env("PYTHONDONTWRITEBYTECODE", "1");
                command
            }
        }
    }
}

/// Runs the flow script of `sdk` in `mode` with a fresh grant code of `scopes`; returns the
/// JSON line it printed.
fn run_flow(
    sdk: &Sdk,
    server: &Server,
    client: &(String, String),
    mode: &str,
    scopes: &str,
) -> Value {
    let code = server.grant_code(&client.0, scopes);
    let resources = server.dir.path().join(format!("resources-{mode}"));
    std::fs::create_dir_all(&resources).unwrap();
    let mut command = sdk.command();
    command
        .current_dir(server.dir.path())
        .env("CRM_FLOW", mode)
        .env("CRM_API_URL", server.api_url(""))
        .env("CRM_ACCOUNTS_URL", server.token_url())
        .env("CRM_CLIENT_ID", &client.0)
        .env("CRM_CLIENT_SECRET", &client.1)
        .env("CRM_GRANT_CODE", &code)
        .env("CRM_RESOURCE_DIR", &resources);
    let ran = run(command, FLOW_TIMEOUT);
    let line = ran.stdout.lines().rev().find(|l| l.trim_start().starts_with('{'));
    let summary: Value = line
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("{} printed no JSON summary:\n{}", sdk.label, ran.describe()));
    assert!(
        ran.success && summary["ok"] == true,
        "the {} flow ({mode}) failed:\n{}\n--- server log\n{}",
        sdk.label,
        ran.describe(),
        server.log_text()
    );
    summary
}

/// The whole check of one SDK.
async fn check_sdk(sdk: Sdk) {
    sdk.install();
    let server = Server::start().await;
    let client = server.self_client();

    let seen = run_flow(&sdk, &server, &client, "main", FULL_SCOPES);
    eprintln!("{}: {seen}", sdk.label);
    let narrow = run_flow(&sdk, &server, &client, "narrow", NARROW_SCOPES);
    eprintln!("{}: {narrow}", sdk.label);
    // What the SDKs asked for; the checks below add requests of their own.
    let sdk_log = server.log_text();

    // What the server holds, seen with a token of its own.
    let token = server.cli(&["token", "--user", ADMIN, "--scope", FULL_SCOPES]).remove(0);
    let (status, org) = server.get("/crm/v8/org", &token).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{org}");
    let zgid = org["org"][0]["zgid"].as_str().expect("zgid").to_owned();
    let (status, list) = server.get("/crm/v8/settings/profiles", &token).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{list}");
    let profiles = list["profiles"].as_array().expect("profiles");
    let id_of = |name: &str| {
        let found = profiles.iter().find(|p| p["name"] == name);
        found.unwrap_or_else(|| panic!("no {name} in {list}"))["id"].as_str().unwrap().to_owned()
    };
    let (standard, administrator) = (id_of("Standard"), id_of("Administrator"));
    let (status, standard_profile) =
        server.get(&format!("/crm/v8/settings/profiles/{standard}"), &token).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{standard_profile}");
    let permissions = standard_profile["profiles"][0]["permissions_details"].as_array().unwrap();

    // findUser named the token's user from GET users?type=CurrentUser and GET org.
    assert_eq!(seen["user_name"], format!("{ADMIN}:{zgid}"), "{seen}");

    // The list: the demo org's two profiles, ids as the server has them.
    assert_eq!(seen["list"]["status"], 200, "{seen}");
    assert_eq!(seen["list"]["count"], 2, "{seen}");
    assert_eq!(seen["list"]["standard_id"], standard.as_str(), "{seen}");
    assert_eq!(seen["list"]["administrator_id"], administrator.as_str(), "{seen}");

    // The clone, read back whole under its name.
    assert_eq!(seen["clone"]["status"], 201, "{seen}");
    assert_eq!(seen["clone"]["kind"], "success", "{seen}");
    assert_eq!(seen["clone"]["code"], "SUCCESS", "{seen}");
    let clone_id = seen["clone"]["id"].as_str().expect("clone id").to_owned();
    assert!(clone_id != standard && clone_id != administrator, "{seen}");
    assert_eq!(seen["get"]["status"], 200, "{seen}");
    assert_eq!(seen["get"]["id"], clone_id.as_str(), "{seen}");
    assert_eq!(seen["get"]["name"], CLONE_NAME, "{seen}");
    assert!(seen["get"]["permissions"].as_u64().unwrap() > 0, "{seen}");
    assert_eq!(seen["get"]["permissions"], permissions.len(), "{seen}");
    assert_eq!(seen["get"]["disabled_permission"], "Crm_Implied_Delete_Leads", "{seen}");

    // The update renamed it and disabled the permission.
    assert_eq!(seen["update"]["status"], 200, "{seen}");
    assert_eq!(seen["update"]["code"], "SUCCESS", "{seen}");
    assert_eq!(seen["after_update"]["name"], RENAMED, "{seen}");
    assert_eq!(seen["after_update"]["permission_enabled"], false, "{seen}");

    // A second clone under the same name: the docs' error style answers 404 DUPLICATE_DATA.
    assert_eq!(seen["duplicate"]["status"], 404, "{seen}");
    assert_eq!(seen["duplicate"]["kind"], "error", "{seen}");
    assert_eq!(seen["duplicate"]["code"], "DUPLICATE_DATA", "{seen}");

    // The delete, and the clone gone from the server.
    assert_eq!(seen["delete"]["status"], 200, "{seen}");
    assert_eq!(seen["delete"]["code"], "SUCCESS", "{seen}");
    assert_eq!(seen["after_delete"]["clone_listed"], false, "{seen}");
    assert_eq!(profiles.len(), 2, "{list}");
    let (status, gone) = server.get(&format!("/crm/v8/settings/profiles/{clone_id}"), &token).await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST, "{gone}");
    assert_eq!(gone["code"], "INVALID_DATA", "{gone}");

    // Every call refreshed the five-second token: the flow used several access tokens, and the
    // server minted them (the flow's, the narrow flow's and the one above).
    let used = seen["access_tokens"].as_i64().expect("access_tokens");
    assert!(used > 1, "the SDK never refreshed its token: {seen}");
    let rows = server.access_token_rows().await;
    assert!(rows >= used.min(10) + 2, "{rows} access tokens stored; the flow used {used}");

    // The token without the profiles scope.
    assert_eq!(narrow["scope_mismatch"]["status"], 401, "{narrow}");
    assert_eq!(narrow["scope_mismatch"]["kind"], "error", "{narrow}");
    assert_eq!(narrow["scope_mismatch"]["code"], "OAUTH_SCOPE_MISMATCH", "{narrow}");

    // The SDK called its own API version, and nothing else.
    let other = if sdk.version == "/crm/v8" { "/crm/v7" } else { "/crm/v8" };
    assert!(sdk_log.contains(&format!("{}/settings/profiles", sdk.version)), "{sdk_log}");
    assert!(!sdk_log.contains(other), "{} called {other}:\n{sdk_log}", sdk.label);
}

static PY8: OnceLock<PathBuf> = OnceLock::new();
static PY7: OnceLock<PathBuf> = OnceLock::new();

#[tokio::test]
async fn sdk_nodejs_8_0() {
    let runner = Runner::Node("node8.mjs");
    check_sdk(Sdk { label: "nodejs-sdk-8.0", version: "/crm/v8", runner }).await;
}

#[tokio::test]
async fn sdk_typescript_8_0() {
    let runner = Runner::Node("ts8.cjs");
    check_sdk(Sdk { label: "typescript-sdk-8.0", version: "/crm/v8", runner }).await;
}

#[tokio::test]
async fn sdk_nodejs_7_0() {
    let runner = Runner::Node("node7.mjs");
    check_sdk(Sdk { label: "nodejs-sdk-7.0", version: "/crm/v7", runner }).await;
}

#[tokio::test]
async fn sdk_python_8_0() {
    let runner = Runner::Python { requirements: "requirements-8.txt", target: ".py8", slot: &PY8 };
    check_sdk(Sdk { label: "zohocrmsdk8-0", version: "/crm/v8", runner }).await;
}

#[tokio::test]
async fn sdk_python_7_0() {
    let runner = Runner::Python { requirements: "requirements-7.txt", target: ".py7", slot: &PY7 };
    check_sdk(Sdk { label: "zohocrmsdk7-0", version: "/crm/v7", runner }).await;
}

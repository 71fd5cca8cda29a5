//! Driving the real `crm-profiles` binary: `serve` as a child process that is always killed when
//! the test ends (even when it fails), and `token` run to completion.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_crm-profiles");

/// The line `serve` logs once its socket is bound and its database open.
const READY_LOG: &str = "crm-profiles is ready";
/// How long a server may take to say it is ready.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Every variable the binary reads; removed from children so that the developer's own
/// environment cannot change what a test sees.
const ENV_VARS: &[&str] = &[
    "CRM_PROFILES_LISTEN",
    "CRM_PROFILES_DATABASE_URL",
    "CRM_PROFILES_ERROR_STYLE",
    "CRM_PROFILES_LOG_FORMAT",
    "CRM_PROFILES_LOG",
];

/// A command for the binary with a clean `CRM_PROFILES_*` environment.
pub fn command() -> Command {
    let mut command = Command::new(BIN);
    for var in ENV_VARS {
        command.env_remove(var);
    }
    command
}

/// `sqlite://DIR/NAME` for a database in `dir`.
pub fn database_url(dir: &Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}

/// A port nobody listens on right now. Another process may take it before the server binds it;
/// [`Server::start`] then tries another one.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind port 0").local_addr().unwrap().port()
}

/// A running `crm-profiles serve`. Dropping it kills the process (SIGKILL) and reaps it.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    /// Lines the server printed on standard output, as they come.
    pub stdout: Receiver<String>,
    /// Every line the server logged on standard error so far.
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `crm-profiles serve --listen 127.0.0.1:PORT` followed by `args` and waits until it
    /// logs that it is ready, retrying on another port if the chosen one was taken meanwhile.
    pub fn serve(args: &[&str]) -> Server {
        Self::start(|command, port| {
            command.arg("serve").arg("--listen").arg(format!("127.0.0.1:{port}")).args(args);
        })
    }

    /// Starts the server built by `configure` (given a free port, which it must make the server
    /// listen on) and waits until it is ready.
    pub fn start(configure: impl Fn(&mut Command, u16)) -> Server {
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let mut command = command();
            configure(&mut command, port);
            match Self::try_start(command, port) {
                Ok(server) => return server,
                Err(StartError::PortTaken(log)) => last_error = log,
                Err(StartError::Failed(log)) => panic!("server did not start:\n{log}"),
            }
        }
        panic!("no free port after 5 attempts; last log:\n{last_error}");
    }

    fn try_start(mut command: Command, port: u16) -> Result<Server, StartError> {
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn crm-profiles");

        let (stdout_tx, stdout_rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if stdout_tx.send(line).is_err() {
                    break;
                }
            }
        });

        // Standard error is drained for as long as the process lives, so that a chatty server
        // never blocks on a full pipe; the ready line is signalled as it passes.
        let stderr_lines = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = stderr_lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains(READY_LOG) {
                    ready_tx.send(()).ok();
                }
                sink.lock().unwrap().push(line);
            }
        });

        let mut server = Server {
            child: Some(child),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            stdout: stdout_rx,
            stderr: stderr_lines,
        };
        match ready_rx.recv_timeout(START_TIMEOUT) {
            Ok(()) => {
                let health = server.health();
                assert!(health.starts_with("HTTP/1.1 200"), "GET /health: {health}");
                Ok(server)
            }
            // The stderr reader ended: the process exited before it was ready.
            Err(RecvTimeoutError::Disconnected) => {
                let status = server.child.as_mut().unwrap().wait().ok();
                let log = format!("exit status {status:?}\n{}", server.stderr_log());
                if log.contains("cannot listen") {
                    Err(StartError::PortTaken(log))
                } else {
                    Err(StartError::Failed(log))
                }
            }
            Err(RecvTimeoutError::Timeout) => Err(StartError::Failed(format!(
                "not ready after {START_TIMEOUT:?}\n{}",
                server.stderr_log()
            ))),
        }
    }

    /// The raw answer to `GET /health`, over a plain socket so that it works outside a runtime.
    fn health(&self) -> String {
        let mut stream = TcpStream::connect(self.addr).expect("connect to the server");
        stream.set_read_timeout(Some(START_TIMEOUT)).unwrap();
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read /health");
        answer
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// What the server logged so far, for failure messages.
    pub fn stderr_log(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Kills the process with SIGKILL, as a crash would, and reaps it; returns how it ended,
    /// or `None` if it had already been killed.
    pub fn kill(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        child.kill().ok();
        child.wait().ok()
    }

    /// Kills the server, then returns every line it printed on standard output.
    pub fn kill_and_collect_stdout(mut self) -> Vec<String> {
        self.kill();
        // The process is gone, so the reader thread reaches end of file and hangs up.
        self.stdout.iter().collect()
    }

    /// Waits up to `timeout` for a stdout line satisfying `wanted`; returns every line read so
    /// far, the wanted one last, or panics with them.
    pub fn read_stdout_until(
        &self,
        timeout: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => {
                    let done = wanted(&line);
                    lines.push(line);
                    if done {
                        return lines;
                    }
                }
                Err(error) => {
                    panic!("{error:?} before the expected line; stdout so far: {lines:#?}")
                }
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

enum StartError {
    PortTaken(String),
    Failed(String),
}

/// Runs `crm-profiles token` with `args` against `database` and returns its output.
pub fn token_command(database: &str, args: &[&str]) -> Output {
    command().arg("token").arg("--database").arg(database).args(args).output().expect("run token")
}

/// A token for `user` with `scope`, minted by the binary; panics unless it succeeds.
pub fn mint_token(database: &str, user: &str, scope: &str) -> String {
    let output = token_command(database, &["--user", user, "--scope", scope]);
    assert!(output.status.success(), "token failed: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).expect("token output is UTF-8");
    stdout.trim_end_matches('\n').to_owned()
}

/// Whether `token` has Zoho's shape: `1000.` + 32 lower-case hex + `.` + 32 lower-case hex.
pub fn is_zoho_token(token: &str) -> bool {
    let hex32 =
        |s: &str| s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    match token.split('.').collect::<Vec<_>>().as_slice() {
        ["1000", a, b] => hex32(a) && hex32(b),
        _ => false,
    }
}

/// Every file SQLite keeps for the database at `path`: the file itself, `-wal` and `-shm`.
pub fn database_files(path: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
        .filter(|p| p.exists())
        .collect()
}

/// The bytes of every file of the database at `path`.
pub fn database_bytes(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for file in database_files(path) {
        std::fs::File::open(&file).unwrap().read_to_end(&mut bytes).unwrap();
    }
    bytes
}

/// Whether `needle` occurs in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A client for a server started from the binary, acting with one token.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub fn new(server: &Server, token: &str) -> Api {
        Api { client: reqwest::Client::new(), base: server.url(""), token: token.to_owned() }
    }

    pub async fn get(&self, path: &str) -> (reqwest::StatusCode, serde_json::Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Zoho-oauthtoken {}", self.token))
            .send()
            .await
            .expect("request");
        crate::common::read(response).await
    }

    /// Clones `source` into `name` through v7; `Err` when no answer came (the server died).
    pub async fn try_clone(
        &self,
        source: &str,
        name: &str,
    ) -> reqwest::Result<(reqwest::StatusCode, serde_json::Value)> {
        let body = serde_json::json!({ "profiles": [{ "name": name }] }).to_string();
        let response = self
            .client
            .post(format!("{}/crm/v7/settings/profiles/{source}/actions/clone", self.base))
            .header("Authorization", format!("Zoho-oauthtoken {}", self.token))
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        let value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        Ok((status, value))
    }

    pub async fn clone_profile(
        &self,
        source: &str,
        name: &str,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        self.try_clone(source, name).await.expect("request")
    }

    /// The org's profiles as v8 lists them, and the list's `info` block.
    pub async fn profiles(&self) -> (Vec<serde_json::Value>, serde_json::Value) {
        let (status, body) = self.get("/crm/v8/settings/profiles").await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        (body["profiles"].as_array().unwrap().clone(), body["info"].clone())
    }

    /// The id of the profile called `name`.
    pub async fn profile_id(&self, name: &str) -> String {
        let (profiles, _) = self.profiles().await;
        let profile = profiles.iter().find(|p| p["name"] == name);
        profile.unwrap_or_else(|| panic!("no profile {name}"))["id"].as_str().unwrap().to_owned()
    }
}

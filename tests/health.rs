//! Readiness follows the database: `/health` fails while PostgreSQL cannot be reached and
//! recovers by itself once it can. The node reaches PostgreSQL through a TCP proxy that the test
//! cuts and restores. This needs PostgreSQL, so it runs in the PostgreSQL pass of
//! `scripts/test` (with `CRM_PROFILES_TEST_POSTGRES` set); the SQLite pass has nothing to cut.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crm_profiles::app;
use crm_profiles::domain::clock::SystemClock;
use reqwest::StatusCode;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Forwards every connection on `listen` to `target` until dropped; dropping it closes the
/// listener and every forwarded connection, as a network cut would.
struct Proxy {
    tasks: JoinSet<()>,
}

impl Proxy {
    async fn start(listen: SocketAddr, target: SocketAddr) -> Self {
        let listener = TcpListener::bind(listen).await.expect("proxy binds");
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { tasks }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

async fn health(client: &reqwest::Client, addr: SocketAddr) -> Option<StatusCode> {
    let response = client.get(format!("http://{addr}/health")).send().await.ok()?;
    Some(response.status())
}

/// Polls /health until it answers `want`, at most 100 times 100 ms apart.
async fn wait_for(client: &reqwest::Client, addr: SocketAddr, want: StatusCode) -> bool {
    for _ in 0..100 {
        if health(client, addr).await == Some(want) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_fails_while_postgres_is_unreachable_and_recovers() {
    if std::env::var(common::POSTGRES_ENV).is_err() {
        eprintln!("health: runs in the PostgreSQL pass ({} unset)", common::POSTGRES_ENV);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let direct = common::fresh_database(&dir).await;
    let target: SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let proxy_addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let through_proxy = direct.replace("127.0.0.1:5432", &proxy_addr.to_string());
    assert_ne!(through_proxy, direct, "the test database is on 127.0.0.1:5432");

    let proxy = Proxy::start(proxy_addr, target).await;
    let mut args = common::serve_args(&through_proxy);
    args.db_statement_timeout_ms = 2_000;
    let bound = app::bind(&args, Arc::new(SystemClock)).await.expect("node starts");
    let addr = bound.local_addr;
    tokio::spawn(bound.run(std::future::pending()));
    let client = reqwest::Client::new();
    assert_eq!(health(&client, addr).await, Some(StatusCode::OK));

    drop(proxy);
    assert!(wait_for(&client, addr, StatusCode::SERVICE_UNAVAILABLE).await, "503 while cut");
    let (status, body) = common::read(
        client.get(format!("http://{addr}/crm/v8/settings/profiles")).send().await.unwrap(),
    )
    .await;
    assert!(status == StatusCode::INTERNAL_SERVER_ERROR || status == StatusCode::UNAUTHORIZED);
    assert_eq!(body["status"], "error", "{body}");

    let _proxy = Proxy::start(proxy_addr, target).await;
    assert!(wait_for(&client, addr, StatusCode::OK).await, "recovers once PostgreSQL is back");
}

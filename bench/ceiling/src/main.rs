//! The ceiling of `bench/run`: a minimal axum server that answers each route the benchmark
//! loads with a fixed body, read once at start from a file holding crm-profiles' own answer to
//! that route (so the bytes on the wire are the same). No token check, no database, no logging:
//! what is left is the cost of axum, hyper and the socket, which no server built on them can
//! beat.
//!
//! ```text
//! bench-ceiling --listen 127.0.0.1:18090 --bodies DIR
//! ```
//!
//! `DIR` holds `list.json`, `get.json`, `clone.json`, `update.json` and `delete.json`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

/// One fixed answer: a status and a JSON body.
#[derive(Clone)]
struct Fixed {
    status: StatusCode,
    body: Bytes,
}

impl Fixed {
    fn load(dir: &Path, name: &str, status: StatusCode) -> Result<Self, String> {
        let path = dir.join(name);
        let body = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Self { status, body: Bytes::from(body) })
    }

    fn answer(&self) -> Response {
        let mut response = (self.status, self.body.clone()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        );
        response
    }
}

struct Args {
    listen: SocketAddr,
    bodies: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut listen: SocketAddr = "127.0.0.1:18090".parse().map_err(|e| format!("{e}"))?;
    let mut bodies = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => listen = value.parse().map_err(|e| format!("--listen: {e}"))?,
            "--bodies" => bodies = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    let bodies = bodies.ok_or("--bodies DIR is required")?;
    Ok(Args { listen, bodies })
}

fn router(dir: &Path) -> Result<Router, String> {
    let list = Fixed::load(dir, "list.json", StatusCode::OK)?;
    let one = Fixed::load(dir, "get.json", StatusCode::OK)?;
    let cloned = Fixed::load(dir, "clone.json", StatusCode::CREATED)?;
    let updated = Fixed::load(dir, "update.json", StatusCode::OK)?;
    let deleted = Fixed::load(dir, "delete.json", StatusCode::OK)?;
    let health = Fixed { status: StatusCode::OK, body: Bytes::from_static(b"{\"status\":\"ok\"}") };
    Ok(Router::new()
        .route("/crm/{version}/settings/profiles", get(move || async move { list.answer() }))
        .route(
            "/crm/{version}/settings/profiles/{id}",
            get(move || async move { one.answer() })
                .put(move || async move { updated.answer() })
                .delete(move || async move { deleted.answer() }),
        )
        .route(
            "/crm/{version}/settings/profiles/{id}/actions/clone",
            post(move || async move { cloned.answer() }),
        )
        .route("/health", get(move || async move { health.answer() })))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result = async {
        let args = parse_args()?;
        let app = router(&args.bodies)?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench-ceiling: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

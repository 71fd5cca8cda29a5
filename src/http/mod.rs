//! The REST surface. Routes follow Zoho's URL tree; every answer that is not a success is an
//! [`error::ApiError`] rendered in Zoho's format.

pub mod auth;
pub mod detail;
pub mod error;
pub mod oauth;
pub mod org;
pub mod profiles;
pub mod users;
pub mod version;
pub mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::domain::clock::Clock;
use crate::domain::oauth::TokenLimits;
use crate::store::Store;
use error::{ApiError, ErrorStyle, json_response};
use version::Version;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub error_style: ErrorStyle,
    /// This server's URL as clients reach it; handed out as `api_domain` with tokens.
    pub public_url: String,
    pub limits: TokenLimits,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Builds the whole application; tests call it in-process or serve it on port 0.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/crm/{version}/settings/profiles", get(profiles::list))
        .route(
            "/crm/{version}/settings/profiles/{id}",
            get(profiles::get_one)
                .put(profiles::update)
                .patch(profiles::update)
                .delete(profiles::delete),
        )
        .route("/crm/{version}/settings/profiles/{id}/actions/clone", post(profiles::clone))
        .route("/crm/{version}/org", get(org::get))
        .route("/crm/{version}/users", get(users::list).post(users::create))
        .route("/crm/{version}/users/{id}", get(users::get_one).put(users::update))
        .route("/health", get(health))
        .merge(accounts_routes())
        .fallback(invalid_url)
        .method_not_allowed_fallback(invalid_method)
        .layer(DefaultBodyLimit::max(profiles::MAX_BODY_BYTES))
        .layer(middleware::from_fn(request_timeout))
        .layer(middleware::from_fn_with_state(state.clone(), error::render_errors))
        .with_state(state);

    with_common_layers(api)
}

/// Layers every listener shares: panics become Zoho's 500, one span per request with its id,
/// and the Authorization header is marked sensitive.
fn with_common_layers(router: Router) -> Router {
    router
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal(&"a handler panicked").render(ErrorStyle::default())
        }))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, SequentialIds::default()))
        .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION]))
}

/// The accounts server's routes, served on the main listener and, when configured, on one of
/// their own ([`accounts_router`]).
fn accounts_routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/v2/token", post(oauth::token))
        .route("/oauth/v2/token/revoke", post(oauth::revoke))
}

/// The accounts server alone, for a listener of its own.
pub fn accounts_router(state: AppState) -> Router {
    let accounts = accounts_routes()
        .fallback(invalid_url)
        .layer(middleware::from_fn_with_state(state.clone(), error::render_errors))
        .with_state(state);
    with_common_layers(accounts)
}

/// One span per request; ids are filled in as they become known. Neither headers nor the query
/// string are recorded, so no token can reach the log.
fn request_span(request: &Request) -> tracing::Span {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id,
        method = %request.method(),
        path = request.uri().path(),
        org_id = tracing::field::Empty,
        user_id = tracing::field::Empty,
        token_id = tracing::field::Empty,
        profile_id = tracing::field::Empty,
    )
}

/// Request ids: a random prefix per process and a counter, so that ids of several nodes
/// behind one load balancer do not collide in shared logs.
#[derive(Clone)]
struct SequentialIds {
    node: u32,
    next: Arc<AtomicU64>,
}

impl Default for SequentialIds {
    fn default() -> Self {
        Self { node: rand::random(), next: Arc::default() }
    }
}

impl MakeRequestId for SequentialIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        HeaderValue::from_str(&format!("{:08x}-{n}", self.node)).ok().map(RequestId::new)
    }
}

/// Longest a request may take, body upload included. A client that stalls half-way, or a
/// database that stops answering, cannot hold a connection (or a graceful shutdown) forever.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

async fn request_timeout(request: Request, next: middleware::Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::request_timeout().into_response(),
    }
}

/// Any path this server does not serve.
async fn invalid_url() -> ApiError {
    ApiError::invalid_url_pattern()
}

/// A served path with a method it does not take. A path whose version is unknown is still an
/// unknown URL.
async fn invalid_method(uri: axum::http::Uri) -> ApiError {
    let is_crm = uri.path().starts_with("/crm/");
    if is_crm && Version::of_path(uri.path()).is_none() {
        ApiError::invalid_url_pattern()
    } else {
        ApiError::invalid_request_method()
    }
}

/// GET /health: 200 once the database answers, 503 while it does not.
async fn health(State(state): State<AppState>) -> Response {
    let probe = tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await;
    match probe {
        Ok(Ok(())) => json_response(StatusCode::OK, &json!({ "status": "ok" })),
        _ => json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({ "status": "unavailable" })),
    }
}

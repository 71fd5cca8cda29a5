//! Zoho's accounts server: `POST /oauth/v2/token` and `POST /oauth/v2/token/revoke`.
//!
//! Parameters are read from the query string and from the body, URL-encoded or multipart: the
//! Python SDK sends the former, the Node SDKs the latter. Errors are Zoho's: a JSON object with
//! an `error` code, answered with HTTP 200 (the SDKs look only at the body, and Zoho answers
//! token errors that way).

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::AppState;
use super::error::json_response;
use crate::domain::oauth::{self, TokenLimits};
use crate::domain::token::{self, TokenDigest};
use crate::store::{ClientRecord, GrantRecord, NewToken, RefreshRefusal};

/// Parameters of an accounts request, from the query string and the body.
type Params = HashMap<String, String>;

/// An answer of the token endpoint that is not a token.
enum TokenError {
    InvalidClient,
    InvalidCode,
    UnsupportedGrantType,
    InvalidScope,
    MissingOrgInfo,
    TooManyRequests,
    Internal,
}

impl TokenError {
    fn render(self) -> Response {
        let body = match self {
            TokenError::InvalidClient => json!({ "error": "invalid_client" }),
            TokenError::InvalidCode => json!({ "error": "invalid_code" }),
            TokenError::UnsupportedGrantType => json!({ "error": "unsupported_grant_type" }),
            TokenError::InvalidScope => json!({ "error": "invalid_scope" }),
            TokenError::MissingOrgInfo => json!({ "error": "missing_org_info" }),
            TokenError::TooManyRequests => json!({
                "error_description":
                    "You have made too many requests continuously. \
                     Please try again after some time.",
                "error": "Access Denied",
                "status": "failure",
            }),
            TokenError::Internal => {
                return json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &json!({ "error": "internal_error" }),
                );
            }
        };
        json_response(StatusCode::OK, &body)
    }
}

impl From<crate::store::StoreError> for TokenError {
    fn from(error: crate::store::StoreError) -> Self {
        tracing::error!(%error, "accounts request failed inside the server");
        TokenError::Internal
    }
}

/// POST /oauth/v2/token
pub async fn token(State(state): State<AppState>, request: Request) -> Response {
    let params = match read_params(request, &state).await {
        Some(params) => params,
        None => return TokenError::InvalidClient.render(),
    };
    let grant_type = params.get("grant_type").map(String::as_str).unwrap_or_default();
    let result = match grant_type {
        "authorization_code" => exchange_code(&state, &params).await,
        "refresh_token" => refresh(&state, &params).await,
        "client_credentials" => client_credentials(&state, &params).await,
        _ => Err(TokenError::UnsupportedGrantType),
    };
    result.unwrap_or_else(TokenError::render)
}

/// POST /oauth/v2/token/revoke?token=…: ends a refresh token, with every access token minted
/// from it, or a single access token.
pub async fn revoke(State(state): State<AppState>, request: Request) -> Response {
    let Some(params) = read_params(request, &state).await else {
        return json_response(StatusCode::BAD_REQUEST, &json!({ "error": "invalid_request" }));
    };
    let Some(token) = params.get("token") else {
        return json_response(StatusCode::BAD_REQUEST, &json!({ "error": "invalid_request" }));
    };
    match state.store.revoke(&token::digest(token)).await {
        Ok(true) => json_response(StatusCode::OK, &json!({ "status": "success" })),
        Ok(false) => json_response(StatusCode::BAD_REQUEST, &json!({ "error": "invalid_token" })),
        Err(error) => TokenError::from(error).render(),
    }
}

/// `grant_type=authorization_code`: a grant code, once, for a refresh and an access token.
async fn exchange_code(state: &AppState, params: &Params) -> Result<Response, TokenError> {
    let client = authenticate_client(state, params).await?;
    let code = params.get("code").ok_or(TokenError::InvalidCode)?;

    let now = state.clock.now();
    let grant = state.store.consume_grant_code(&token::digest(code), now).await?;
    let grant = grant.filter(|g| g.client_id == client.client_id).ok_or(TokenError::InvalidCode)?;

    let refresh = token::mint();
    let access = token::mint();
    let record = access_record(&grant, access.digest, Some(refresh.digest), now, &state.limits);
    state.store.insert_refresh_token(refresh.digest, &grant, record).await?;
    tracing::info!(
        client_id = %client.client_id,
        token_id = %token::log_id(&access.digest),
        "grant code exchanged"
    );
    Ok(token_answer(state, &grant, &access.token, Some(&refresh.token)))
}

/// `grant_type=refresh_token`: a new access token; the refresh token itself stays.
async fn refresh(state: &AppState, params: &Params) -> Result<Response, TokenError> {
    let client = authenticate_client(state, params).await?;
    let refresh_token = params.get("refresh_token").ok_or(TokenError::InvalidCode)?;
    let refresh_digest = token::digest(refresh_token);

    let grant = state.store.refresh_grant(&refresh_digest).await?;
    let grant = grant.filter(|g| g.client_id == client.client_id).ok_or(TokenError::InvalidCode)?;

    let now = state.clock.now();
    let access = token::mint();
    let record = access_record(&grant, access.digest, Some(refresh_digest), now, &state.limits);
    match state.store.mint_from_refresh(record, state.limits).await? {
        Ok(()) => {}
        Err(RefreshRefusal::Unknown) => return Err(TokenError::InvalidCode),
        Err(RefreshRefusal::Throttled) => return Err(TokenError::TooManyRequests),
    }
    tracing::info!(token_id = %token::log_id(&access.digest), "access token refreshed");
    Ok(token_answer(state, &grant, &access.token, None))
}

/// `grant_type=client_credentials`: an access token for the client's org, acting as its
/// primary contact; the org is named by `soid=ZohoCRM.<org id>`.
async fn client_credentials(state: &AppState, params: &Params) -> Result<Response, TokenError> {
    let client = authenticate_client(state, params).await?;
    let soid = params.get("soid").ok_or(TokenError::MissingOrgInfo)?;
    let org_id = oauth::parse_soid(soid).ok_or(TokenError::MissingOrgInfo)?;
    if org_id != client.org_id {
        return Err(TokenError::InvalidClient);
    }
    let scopes = params.get("scope").and_then(|s| oauth::parse_scopes(s));
    let scopes = scopes.ok_or(TokenError::InvalidScope)?;
    let user_id = state.store.primary_user(org_id).await?.ok_or(TokenError::InvalidClient)?;

    let grant = GrantRecord { client_id: client.client_id.clone(), org_id, user_id, scopes };
    let now = state.clock.now();
    let access = token::mint();
    state
        .store
        .insert_token(access_record(&grant, access.digest, None, now, &state.limits))
        .await?;
    let token_id = token::log_id(&access.digest);
    tracing::info!(client_id = %client.client_id, %token_id, "client-credentials token");
    Ok(token_answer(state, &grant, &access.token, None))
}

/// The client named by `client_id`, if `client_secret` is its secret.
async fn authenticate_client(
    state: &AppState,
    params: &Params,
) -> Result<ClientRecord, TokenError> {
    let id = params.get("client_id").ok_or(TokenError::InvalidClient)?;
    if !oauth::is_client_id(id) {
        return Err(TokenError::InvalidClient);
    }
    let secret = params.get("client_secret").ok_or(TokenError::InvalidClient)?;
    let client = state.store.client(id).await?.ok_or(TokenError::InvalidClient)?;
    if !oauth::secret_matches(secret, &client.secret_digest) {
        return Err(TokenError::InvalidClient);
    }
    Ok(client)
}

fn access_record(
    grant: &GrantRecord,
    digest: TokenDigest,
    refresh_digest: Option<TokenDigest>,
    now: i64,
    limits: &TokenLimits,
) -> NewToken {
    NewToken {
        digest,
        org_id: grant.org_id,
        user_id: grant.user_id,
        scopes: grant.scopes.clone(),
        created_at: now,
        expires_at: now + limits.access_token_secs,
        refresh_digest,
    }
}

/// Zoho's token answer. `api_domain` is this server's own URL: an SDK that sees a Zoho domain
/// there switches all its later calls to Zoho.
fn token_answer(
    state: &AppState,
    grant: &GrantRecord,
    access: &str,
    refresh: Option<&str>,
) -> Response {
    let mut body = json!({ "access_token": access });
    if let Some(refresh) = refresh {
        body["refresh_token"] = refresh.into();
    }
    body["scope"] = grant.scopes.join(" ").into();
    body["api_domain"] = state.public_url.as_str().into();
    body["token_type"] = "Bearer".into();
    body["expires_in"] = state.limits.access_token_secs.into();
    json_response(StatusCode::OK, &body)
}

/// Query string and body parameters; the body's win. `None` when the body cannot be read.
async fn read_params(request: Request, state: &AppState) -> Option<Params> {
    let mut params: Params = request
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, state).await.ok()?;
        while let Some(field) = multipart.next_field().await.ok()? {
            let Some(name) = field.name().map(str::to_owned) else { continue };
            params.insert(name, field.text().await.ok()?);
        }
    } else {
        let body = axum::body::Bytes::from_request(request, state).await.ok()?;
        params.extend(form_urlencoded::parse(&body).into_owned());
    }
    Some(params)
}

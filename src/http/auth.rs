//! Who is calling, and whether they may: token, then scope, then the caller's own profile.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::AppState;
use super::error::ApiError;
use crate::domain::catalogue::MANAGE_PROFILES;
use crate::domain::profile::Caller;
use crate::domain::scope::{self, Operation, Required};
use crate::domain::token;

/// The authenticated caller. Extracting it answers the three 401s:
/// no usable `Authorization` header → `AUTHENTICATION_FAILURE`; a token that is unknown or
/// expired → `INVALID_TOKEN`. Scope checks come after, per route ([`Authed::require`]).
pub struct Authed(pub Caller);

/// Reads the token from `Zoho-oauthtoken <t>` or `Bearer <t>`; never from the query string.
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let known =
        scheme.eq_ignore_ascii_case("Zoho-oauthtoken") || scheme.eq_ignore_ascii_case("Bearer");
    let token = token.trim();
    (known && !token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(ApiError::authentication_failure)?;
        let digest = token::digest(token);
        let grant = state.store.token_grant(&digest).await?.ok_or_else(ApiError::invalid_token)?;
        if grant.expires_at <= state.clock.now() {
            return Err(ApiError::invalid_token());
        }

        let caller = grant.caller;
        if let Some(named) = parts.headers.get("x-crm-org") {
            // Zoho documents X-CRM-ORG for choosing among a user's orgs; a token here belongs
            // to one org, so the header can only confirm it.
            let org_id = caller.org.id.to_string();
            if named.to_str().ok().map(str::trim) != Some(org_id.as_str()) {
                return Err(ApiError::org_mismatch());
            }
        }
        let span = tracing::Span::current();
        span.record("org_id", caller.org.id);
        span.record("user_id", caller.user.id);
        span.record("token_id", caller.token_log_id.as_str());
        Ok(Authed(caller))
    }
}

impl Authed {
    /// Checks, in Zoho's order, that the token's scopes cover a profiles call of `operation`
    /// and that the caller's profile may manage profiles.
    pub fn require_profiles(&self, operation: Operation) -> Result<&Caller, ApiError> {
        self.require(scope::PROFILES_PATH, operation, Some(MANAGE_PROFILES))
    }

    /// Checks that the token's scopes cover `operation` on the scope path `path`, then that the
    /// caller's profile holds `permission`, if one is needed.
    pub fn require(
        &self,
        path: &'static str,
        operation: Operation,
        permission: Option<&'static str>,
    ) -> Result<&Caller, ApiError> {
        let caller = &self.0;
        if !scope::covers(&caller.scopes, Required { path, operation }) {
            return Err(ApiError::scope_mismatch());
        }
        match permission {
            Some(name) if !caller.has_permission(name) => Err(ApiError::no_permission(name)),
            _ => Ok(caller),
        }
    }
}

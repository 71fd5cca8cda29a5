//! `/crm/{version}/org`: the caller's org, which the official SDKs read after getting a token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::AppState;
use super::auth::Authed;
use super::error::{ApiError, json_response};
use super::version::Version;
use crate::domain::scope::{ORG_PATH, Operation};

/// GET /crm/{version}/org
pub async fn get(
    State(state): State<AppState>,
    _version: Version,
    authed: Authed,
) -> Result<Response, ApiError> {
    let caller = authed.require(ORG_PATH, Operation::Read, None)?;
    let org = &caller.org;

    let primary = match state.store.primary_user(org.id).await? {
        Some(id) => state.store.get_user(org, id).await?,
        None => None,
    };

    let body = json!({ "org": [{
        "id": org.id.to_string(),
        "zgid": org.prefix.to_string(),
        "company_name": org.name,
        "domain_name": format!("org{}", org.prefix),
        "primary_zuid": primary.as_ref().map(|u| u.id.to_string()),
        "primary_email": primary.as_ref().map(|u| u.email.clone()),
        "time_zone": "UTC",
        "currency": "US Dollar - USD",
        "iso_code": "USD",
        "currency_symbol": "$",
        "currency_locale": "en_US",
        "country_code": "US",
        "mc_status": false,
        "gapps_enabled": false,
        "privacy_settings": false,
    }]});
    Ok(json_response(StatusCode::OK, &body))
}

//! `/crm/{version}/settings/profiles…`: list, read one, clone.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::AppState;
use super::auth::Authed;
use super::error::{ApiError, json_response};
use super::version::Version;
use super::wire;
use crate::domain::ids;
use crate::domain::profile::{CloneRefusal, CloneRequest};
use crate::domain::scope::Operation;

/// Index of `{id}` in `/crm/{version}/settings/profiles/{id}`, counted from `settings`, as Zoho
/// reports it in `details.resource_path_index`.
const PROFILE_ID_INDEX: u32 = 2;
/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// GET /crm/{version}/settings/profiles
pub async fn list(
    State(state): State<AppState>,
    version: Version,
    authed: Authed,
) -> Result<Response, ApiError> {
    let caller = authed.require_profiles(Operation::Read)?;

    let profiles = state.store.list_profiles(&caller.org).await?;

    let items: Vec<_> =
        profiles.iter().map(|p| wire::profile_json(p, &caller.org, version, false)).collect();
    let count = items.len();
    let mut body = json!({ "profiles": items });
    if version >= Version::V8 {
        body["info"] = wire::list_info(count, &caller.org);
    }
    Ok(json_response(StatusCode::OK, &body))
}

/// GET /crm/{version}/settings/profiles/{id}
pub async fn get_one(
    State(state): State<AppState>,
    version: Version,
    authed: Authed,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let caller = authed.require_profiles(Operation::Read)?;
    let id = ids::parse_id(&id).ok_or_else(|| ApiError::invalid_path_id(PROFILE_ID_INDEX))?;
    tracing::Span::current().record("profile_id", id);

    let profile = state.store.get_profile(&caller.org, id).await?;
    let profile = profile.ok_or_else(|| ApiError::invalid_path_id(PROFILE_ID_INDEX))?;

    let body = json!({ "profiles": [wire::profile_json(&profile, &caller.org, version, true)] });
    Ok(json_response(StatusCode::OK, &body))
}

/// POST /crm/{version}/settings/profiles/{id}/actions/clone
pub async fn clone(
    State(state): State<AppState>,
    _version: Version,
    authed: Authed,
    Path((_, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let caller = authed.require_profiles(Operation::Create)?;
    let source_id =
        ids::parse_id(&id).ok_or_else(|| ApiError::invalid_path_id(PROFILE_ID_INDEX))?;
    tracing::Span::current().record("profile_id", source_id);
    let body = body.map_err(|_| ApiError::payload_too_large(MAX_BODY_BYTES))?;
    let input = wire::parse_clone_body(&body)?;

    let request = CloneRequest {
        source_id,
        name: input.name,
        description: input.description,
        by: caller.user.clone(),
        at: state.clock.now(),
    };
    let new_id = state.store.clone_profile(&caller.org, request).await?.map_err(refusal)?;

    tracing::info!(new_profile_id = new_id, "profile cloned");
    Ok(json_response(
        StatusCode::CREATED,
        &wire::action_success(new_id, "profile created successfully"),
    ))
}

fn refusal(refusal: CloneRefusal) -> ApiError {
    match refusal {
        CloneRefusal::SourceNotFound => ApiError::invalid_path_id(PROFILE_ID_INDEX),
        CloneRefusal::LimitReached { limit } => ApiError::profile_limit(limit),
        CloneRefusal::DuplicateName { .. } => ApiError::duplicate_name("$.profiles[0].name"),
    }
}

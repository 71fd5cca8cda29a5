//! `/crm/{version}/settings/profiles…`: list, read, clone, update and delete profiles.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::auth::Authed;
use super::error::{ApiError, ErrorStyle, json_bytes_response, json_response};
use super::version::Version;
use super::wire;
use crate::domain::clock::UnixTime;
use crate::domain::ids;
use crate::domain::permissions::PermissionRefusal;
use crate::domain::profile::{
    CloneRefusal, CloneRequest, DeleteRefusal, ProfileDeletion, ProfileUpdate, UpdateRefusal,
};
use crate::domain::scope::Operation;

/// Index of `{id}` in `/crm/{version}/settings/profiles/{id}`, counted from `settings`, as Zoho
/// reports it in `details.resource_path_index`.
const PROFILE_ID_INDEX: u32 = 2;
/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

type QueryPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// GET /crm/{version}/settings/profiles
pub async fn list(
    State(state): State<AppState>,
    version: Version,
    authed: Authed,
    query: QueryPairs,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let caller = authed.require_profiles(Operation::Read)?;
    let Query(pairs) = query.map_err(|_| ApiError::invalid_param("query"))?;
    let query = wire::parse_list_query(&pairs)?;
    if let Some(since) = if_modified_since(&headers) {
        let changed_at = state.store.profiles_changed_at(&caller.org).await?;
        if changed_at <= since {
            return Ok(StatusCode::NOT_MODIFIED.into_response());
        }
    }

    let profiles = state.store.list_profiles(&caller.org).await?;

    let matching = if query.other_type_only { &[][..] } else { &profiles[..] };
    let skip = (query.page - 1).saturating_mul(query.per_page);
    let page: Vec<_> = matching.iter().skip(skip).take(query.per_page).collect();
    if page.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let more_records = matching.len() > skip + page.len();
    let items: Vec<_> =
        page.iter().map(|p| wire::profile_json(p, &caller.org, version, false)).collect();
    let mut body = json!({ "profiles": items });
    if version >= Version::V8 {
        body["info"] = wire::page_info(&query, page.len(), more_records, &caller.org);
    }
    Ok(json_response(StatusCode::OK, &body))
}

/// GET /crm/{version}/settings/profiles/{id}
pub async fn get_one(
    State(state): State<AppState>,
    version: Version,
    authed: Authed,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let caller = authed.require_profiles(Operation::Read)?;
    let id = path_id(&id)?;

    let profile = state.store.get_profile(&caller.org, id).await?;
    let profile = profile.ok_or_else(|| ApiError::invalid_path_id(PROFILE_ID_INDEX))?;

    let since = if_modified_since(&headers);
    if since.is_some_and(|since| profile.modified_at.is_some_and(|at| at <= since)) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let body = super::detail::profile_body(&profile, &caller.org, version);
    Ok(json_bytes_response(StatusCode::OK, body))
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
    let source_id = path_id(&id)?;
    let input = wire::parse_clone_body(&read_body(body)?)?;

    let request = CloneRequest {
        source_id,
        name: input.name,
        description: input.description,
        by: caller.user.clone(),
        at: state.clock.now(),
    };
    let new_id = state.store.clone_profile(&caller.org, request).await?.map_err(clone_refusal)?;

    tracing::info!(new_profile_id = new_id, "profile cloned");
    let body = wire::action_success(new_id, "profile created successfully");
    Ok(json_response(StatusCode::CREATED, &body))
}

/// PUT /crm/{version}/settings/profiles/{id}, and PATCH from v8 (Zoho's OpenAPI file has PATCH
/// only in v8; both take the same body and change only the fields sent).
pub async fn update(
    State(state): State<AppState>,
    version: Version,
    method: axum::http::Method,
    authed: Authed,
    Path((_, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if method == axum::http::Method::PATCH && version < Version::V8 {
        return Err(ApiError::invalid_request_method());
    }
    let caller = authed.require_profiles(Operation::Update)?;
    let id = path_id(&id)?;
    let input = wire::parse_update_body(&read_body(body)?, &caller.org)?;

    let update = ProfileUpdate {
        id,
        name: input.name,
        description: input.description,
        permissions: input.permissions,
        by: caller.user.clone(),
        at: state.clock.now(),
    };
    state.store.update_profile(&caller.org, update).await?.map_err(update_refusal)?;

    tracing::info!("profile updated");
    let body = wire::action_success(id, "profile updated successfully");
    Ok(json_response(StatusCode::OK, &body))
}

/// DELETE /crm/{version}/settings/profiles/{id}?transfer_to={id}
pub async fn delete(
    State(state): State<AppState>,
    _version: Version,
    authed: Authed,
    Path((_, id)): Path<(String, String)>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let caller = authed.require_profiles(Operation::Delete)?;
    let id = path_id(&id)?;
    let Query(pairs) = query.map_err(|_| ApiError::invalid_param("query"))?;
    let transfer_to = transfer_to(&pairs)?;

    let deletion = ProfileDeletion { id, transfer_to, at: state.clock.now() };
    let moved = state.store.delete_profile(&caller.org, deletion).await?;
    let moved = moved.map_err(|refusal| delete_refusal(refusal, transfer_to))?;

    tracing::info!(transfer_to, users_moved = moved, "profile deleted");
    // Zoho's docs show empty details, its OpenAPI file the deleted id.
    let details = match state.error_style {
        ErrorStyle::Docs => json!({}),
        ErrorStyle::Oas => json!({ "id": id.to_string() }),
    };
    let body = json!({
        "code": "SUCCESS",
        "details": details,
        "message": "Profile deleted",
        "status": "success",
    });
    Ok(json_response(StatusCode::OK, &body))
}

/// Parses a profile id of the path and records it on the request's span.
fn path_id(text: &str) -> Result<i64, ApiError> {
    let id = ids::parse_id(text).ok_or_else(|| ApiError::invalid_path_id(PROFILE_ID_INDEX))?;
    tracing::Span::current().record("profile_id", id);
    Ok(id)
}

/// The request body, or 413 when it is over the limit and 400 when it could not be read whole
/// (the client hung up half-way).
pub fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    use axum::extract::rejection::FailedToBufferBody;
    body.map_err(|rejection| match rejection {
        BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
            ApiError::payload_too_large(MAX_BODY_BYTES)
        }
        _ => ApiError::body_not_json(),
    })
}

fn if_modified_since(headers: &HeaderMap) -> Option<UnixTime> {
    let value = headers.get(header::IF_MODIFIED_SINCE)?.to_str().ok()?;
    wire::parse_if_modified_since(value)
}

/// `transfer_to` is required on every delete, even of a profile no user holds.
fn transfer_to(pairs: &[(String, String)]) -> Result<i64, ApiError> {
    let value = pairs.iter().find(|(k, v)| k == "transfer_to" && !v.is_empty()).map(|(_, v)| v);
    let value = value.ok_or_else(ApiError::transfer_to_missing)?;
    ids::parse_id(value).ok_or_else(|| ApiError::invalid_transfer_to(value))
}

fn clone_refusal(refusal: CloneRefusal) -> ApiError {
    match refusal {
        CloneRefusal::SourceNotFound => ApiError::invalid_path_id(PROFILE_ID_INDEX),
        CloneRefusal::LimitReached { limit } => ApiError::profile_limit(limit),
        CloneRefusal::DuplicateName { .. } => ApiError::duplicate_name("$.profiles[0].name"),
    }
}

fn update_refusal(refusal: UpdateRefusal) -> ApiError {
    match refusal {
        UpdateRefusal::NotFound => ApiError::invalid_path_id(PROFILE_ID_INDEX),
        UpdateRefusal::SystemProfile => {
            ApiError::not_allowed(PROFILE_ID_INDEX, "System profile cannot be updated")
        }
        UpdateRefusal::DuplicateName { .. } => {
            ApiError::duplicate_name_on_update("$.profiles[0].name")
        }
        UpdateRefusal::Permission(PermissionRefusal::NotCustomizable { position }) => {
            ApiError::permission_entry(
                &wire::permission_id_path(position),
                "Permission is not customizable",
            )
        }
        UpdateRefusal::Permission(PermissionRefusal::ParentDisabled { position }) => {
            ApiError::permission_entry(
                &wire::permission_id_path(position),
                "Child permission can not be enabled, since its parent permission is disabled",
            )
        }
    }
}

fn delete_refusal(refusal: DeleteRefusal, transfer_to: i64) -> ApiError {
    match refusal {
        DeleteRefusal::NotFound => ApiError::invalid_path_id(PROFILE_ID_INDEX),
        DeleteRefusal::SystemProfile => {
            ApiError::not_allowed(PROFILE_ID_INDEX, "System profile cannot be deleted")
        }
        DeleteRefusal::InvalidTransferTarget => {
            ApiError::invalid_transfer_to(&transfer_to.to_string())
        }
    }
}

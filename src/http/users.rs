//! `/crm/{version}/users…`: as much of Zoho's users API as profiles need.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::AppState;
use super::auth::Authed;
use super::error::{ApiError, json_response};
use super::version::Version;
use super::wire;
use crate::domain::catalogue::MANAGE_USERS;
use crate::domain::ids;
use crate::domain::profile::Org;
use crate::domain::scope::{Operation, USERS_PATH};
use crate::domain::user::{self, NewUser, User, UserRefusal, UserType, UserUpdate};

/// Index of `{id}` in `/crm/{version}/users/{id}`, counted from `users`.
const USER_ID_INDEX: u32 = 1;

/// GET /crm/{version}/users
pub async fn list(
    State(state): State<AppState>,
    _version: Version,
    authed: Authed,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let caller = authed.require(USERS_PATH, Operation::Read, None)?;
    let Query(pairs) = query.map_err(|_| ApiError::invalid_param("query"))?;
    let (kind, page, per_page) = parse_list_query(&pairs)?;

    let users = state.store.list_users(&caller.org).await?;

    let matching: Vec<&User> = users.iter().filter(|u| kind.includes(u, caller.user.id)).collect();
    let skip = (page - 1).saturating_mul(per_page);
    let items: Vec<Value> =
        matching.iter().skip(skip).take(per_page).map(|u| user_json(u, &caller.org)).collect();
    if items.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let info = json!({
        "per_page": per_page,
        "count": items.len(),
        "page": page,
        "more_records": matching.len() > skip + items.len(),
    });
    Ok(json_response(StatusCode::OK, &json!({ "users": items, "info": info })))
}

/// GET /crm/{version}/users/{id}
pub async fn get_one(
    State(state): State<AppState>,
    _version: Version,
    authed: Authed,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let caller = authed.require(USERS_PATH, Operation::Read, None)?;
    let id = path_id(&id)?;

    let user = state.store.get_user(&caller.org, id).await?;
    let user = user.ok_or_else(|| ApiError::invalid_path_id(USER_ID_INDEX))?;

    Ok(json_response(StatusCode::OK, &json!({ "users": [user_json(&user, &caller.org)] })))
}

/// POST /crm/{version}/users
pub async fn create(
    State(state): State<AppState>,
    _version: Version,
    authed: Authed,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let caller = authed.require(USERS_PATH, Operation::Create, Some(MANAGE_USERS))?;
    let body = super::profiles::read_body(body)?;
    let element = wire::single_element(&body, "users")?;
    let fields = parse_user_fields(&element, true)?;

    let new_user = NewUser {
        email: fields.email.unwrap_or_default(),
        first_name: fields.first_name.flatten(),
        last_name: fields.last_name.unwrap_or_default(),
        profile_id: fields.profile.unwrap_or_default(),
        role_id: fields.role.unwrap_or_default(),
        by: caller.user.clone(),
        at: state.clock.now(),
    };
    let id = state.store.create_user(&caller.org, new_user).await?.map_err(refusal)?;

    tracing::info!(new_user_id = id, "user added");
    Ok(json_response(StatusCode::CREATED, &user_success(id, "User added")))
}

/// PUT /crm/{version}/users/{id}
pub async fn update(
    State(state): State<AppState>,
    _version: Version,
    authed: Authed,
    Path((_, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let caller = authed.require(USERS_PATH, Operation::Update, Some(MANAGE_USERS))?;
    let id = path_id(&id)?;
    let body = super::profiles::read_body(body)?;
    let element = wire::single_element(&body, "users")?;
    let fields = parse_user_fields(&element, false)?;

    let update = UserUpdate {
        id,
        email: fields.email,
        profile_id: fields.profile,
        role_id: fields.role,
        first_name: fields.first_name,
        last_name: fields.last_name,
        by: caller.user.clone(),
        at: state.clock.now(),
    };
    state.store.update_user(&caller.org, update).await?.map_err(refusal)?;

    tracing::info!(user_id = id, "user updated");
    Ok(json_response(StatusCode::OK, &user_success(id, "User updated")))
}

fn path_id(text: &str) -> Result<i64, ApiError> {
    ids::parse_id(text).ok_or_else(|| ApiError::invalid_path_id(USER_ID_INDEX))
}

fn user_success(id: i64, message: &str) -> Value {
    json!({ "users": [{
        "code": "SUCCESS",
        "details": { "id": id.to_string() },
        "message": message,
        "status": "success",
    }]})
}

fn refusal(refusal: UserRefusal) -> ApiError {
    let at = |field: &str| format!("$.users[0].{field}");
    match refusal {
        UserRefusal::NotFound => ApiError::invalid_path_id(USER_ID_INDEX),
        UserRefusal::DuplicateEmail => {
            ApiError::duplicate_field("email", &at("email")).under("users")
        }
        UserRefusal::ProfileNotFound => {
            ApiError::field_invalid("profile", &at("profile")).under("users")
        }
        UserRefusal::RoleNotFound => ApiError::field_invalid("role", &at("role")).under("users"),
        UserRefusal::EmailChange => ApiError::field_not_allowed(
            "email",
            &at("email"),
            "the email of a user cannot be changed",
        )
        .under("users"),
        UserRefusal::PrimaryContactProfile => ApiError::field_not_allowed(
            "profile",
            &at("profile"),
            "the profile of the organization's primary contact cannot be changed",
        )
        .under("users"),
    }
}

/// `type` (default `AllUsers`), `page` (from 1) and `per_page` (1 to 200).
fn parse_list_query(pairs: &[(String, String)]) -> Result<(UserType, usize, usize), ApiError> {
    let mut kind = UserType::AllUsers;
    let mut page = 1;
    let mut per_page = 200;
    for (key, value) in pairs.iter().filter(|(_, value)| !value.is_empty()) {
        match key.as_str() {
            "type" => {
                kind = UserType::parse(value).ok_or_else(|| ApiError::invalid_param("type"))?
            }
            "page" => {
                page = value
                    .parse()
                    .ok()
                    .filter(|&p| p >= 1)
                    .ok_or_else(|| ApiError::invalid_param("page"))?
            }
            "per_page" => {
                per_page = value
                    .parse()
                    .ok()
                    .filter(|p| (1..=200).contains(p))
                    .ok_or_else(|| ApiError::invalid_param("per_page"))?
            }
            _ => {}
        }
    }
    Ok((kind, page, per_page))
}

/// The fields of a user body; on create, `email`, `last_name`, `profile` and `role` are
/// required. `profile` and `role` take an id, as a string or number or as `{"id": …}`.
struct UserFields {
    email: Option<String>,
    first_name: Option<Option<String>>,
    last_name: Option<String>,
    profile: Option<i64>,
    role: Option<i64>,
}

fn parse_user_fields(element: &Map<String, Value>, creating: bool) -> Result<UserFields, ApiError> {
    let at = |field: &str| format!("$.users[0].{field}");
    let required = |field: &str| ApiError::mandatory_field(field, &at(field)).under("users");

    let email = match text_field(element, "email")? {
        Some(email) if !user::is_valid_email(email.trim()) => {
            return Err(ApiError::field_invalid("email", &at("email")).under("users"));
        }
        // On update the email may be sent back as it is; the store refuses a different one.
        Some(email) => Some(email.trim().to_owned()),
        None if creating => return Err(required("email")),
        None => None,
    };
    let first_name = match element.get("first_name") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(_) => Some(text_field(element, "first_name")?.map(|s| s.trim().to_owned())),
    };
    let last_name = match text_field(element, "last_name")?.map(|s| s.trim().to_owned()) {
        Some(name) if name.is_empty() => return Err(required("last_name")),
        None if creating => return Err(required("last_name")),
        other => other,
    };
    let profile = id_field(element, "profile")?;
    let role = id_field(element, "role")?;
    if creating && profile.is_none() {
        return Err(required("profile"));
    }
    if creating && role.is_none() {
        return Err(required("role"));
    }
    Ok(UserFields { email, first_name, last_name, profile, role })
}

/// A string field at most 50 characters long (100 for emails); `null` counts as absent.
fn text_field<'a>(
    element: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, ApiError> {
    let path = format!("$.users[0].{field}");
    let maximum = if field == "email" { user::EMAIL_MAX_CHARS } else { user::NAME_MAX_CHARS };
    match element.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.chars().count() > maximum => {
            Err(ApiError::too_long(field, &path, maximum).under("users"))
        }
        Some(Value::String(text))
            if text.chars().any(|c| c.is_control() || crate::domain::names::is_invisible(c)) =>
        {
            Err(ApiError::field_invalid(field, &path).under("users"))
        }
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(ApiError::wrong_type(field, &path, "text").under("users")),
    }
}

fn id_field(element: &Map<String, Value>, field: &str) -> Result<Option<i64>, ApiError> {
    let path = format!("$.users[0].{field}");
    let value = match element.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(inner)) => inner.get("id").cloned().unwrap_or(Value::Null),
        Some(other) => other.clone(),
    };
    let id = match &value {
        Value::String(text) => ids::parse_id(text),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    id.map(Some).ok_or_else(|| ApiError::field_invalid(field, &path).under("users"))
}

/// A user as Zoho's users API renders one (the fields a profiles client reads).
fn user_json(user: &User, org: &Org) -> Value {
    let time = |at| wire::format_time(at, org.utc_offset_minutes);
    let reference = |r: &Option<crate::domain::profile::UserRef>| match r {
        Some(u) => json!({ "name": u.name, "id": u.id.to_string() }),
        None => Value::Null,
    };
    json!({
        "country": null,
        "language": "en_US",
        "id": user.id.to_string(),
        "created_time": time(user.created_at),
        "profile": { "name": user.profile.name, "id": user.profile.id.to_string() },
        "role": { "name": user.role.name, "id": user.role.id.to_string() },
        "created_by": reference(&user.created_by),
        "full_name": user.full_name(),
        "status": if user.active { "active" } else { "disabled" },
        "confirm": user.confirmed,
        "last_name": user.last_name,
        "first_name": user.first_name,
        "email": user.email,
        "Modified_Time": time(user.modified_at),
        "Modified_By": reference(&user.modified_by),
        "time_zone": "UTC",
        "locale": "en_US",
    })
}

//! Zoho's JSON shapes: profiles as each API version renders them, and the clone body.

use serde::Serialize;
use serde_json::{Map, Value, json};
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use super::error::ApiError;
use super::version::Version;
use crate::domain::catalogue::{Parents, catalogue};
use crate::domain::clock::UnixTime;
use crate::domain::ids;
use crate::domain::names::{self, FieldError, ProfileName};
use crate::domain::permissions::PermissionChange;
use crate::domain::profile::{Org, Profile, UserRef};

/// ISO-8601 with second precision and an explicit offset, as Zoho writes times.
pub fn format_time(at: UnixTime, utc_offset_minutes: i32) -> Value {
    let format = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    let offset = UtcOffset::from_whole_seconds(utc_offset_minutes * 60).unwrap_or(UtcOffset::UTC);
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.to_offset(offset).format(format).ok())
        .map_or(Value::Null, Value::String)
}

fn user_json(user: &Option<UserRef>) -> Value {
    match user {
        Some(u) => json!({ "name": u.name, "id": u.id.to_string() }),
        None => Value::Null,
    }
}

/// One profile as `version` renders it in a list (`detail == false`) or alone (`true`).
///
/// v2 marks custom profiles with `category`; v2.1 renamed it `custom`; v3 added `type`; v8 added
/// `api_name`. Only a profile read alone carries its permissions and sections.
pub fn profile_json(profile: &Profile, org: &Org, version: Version, detail: bool) -> Value {
    let time =
        |at: Option<UnixTime>| at.map_or(Value::Null, |t| format_time(t, org.utc_offset_minutes));
    let mut out = Map::new();
    out.insert("display_label".into(), profile.name.clone().into());
    out.insert("created_time".into(), time(profile.created_at));
    out.insert("modified_time".into(), time(profile.modified_at));
    if version >= Version::V8 {
        out.insert("api_name".into(), profile.api_name.clone().into());
    }
    if version >= Version::V2_1 {
        out.insert("custom".into(), profile.custom.into());
    }
    out.insert("name".into(), profile.name.clone().into());
    out.insert("modified_by".into(), user_json(&profile.modified_by));
    out.insert("description".into(), profile.description.clone().into());
    out.insert("id".into(), profile.id.to_string().into());
    if version == Version::V2 {
        out.insert("category".into(), profile.custom.into());
    }
    if version >= Version::V3 {
        out.insert("type".into(), "normal_profile".into());
    }
    out.insert("created_by".into(), user_json(&profile.created_by));
    if detail {
        out.insert("permissions_details".into(), permissions_json(profile, org, version));
        out.insert("sections".into(), sections_json(org));
    }
    Value::Object(out)
}

#[derive(Serialize)]
pub(super) struct PermissionEntry<'a> {
    display_label: &'a str,
    module: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    customizable: Option<bool>,
    id: String,
    enabled: bool,
    /// Absent, `null` or a list, as Zoho's example has each of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_permissions: Option<Option<Vec<String>>>,
}

/// Every permission of the catalogue with its state in this profile. v8 adds `customizable` and
/// `parent_permissions`; earlier versions show the five keys their docs show.
fn permissions_json(profile: &Profile, org: &Org, version: Version) -> Value {
    let in_effect = catalogue().effective(&profile.permissions);
    let id = |i: usize| ids::permission_id(org.prefix, i).to_string();
    let entries = permission_entries(version >= Version::V8, &|i| in_effect.is_enabled(i), &id);
    serde_json::to_value(entries).unwrap_or(Value::Null)
}

/// The entries of `permissions_details`, with `enabled(i)` the state of permission `i` and
/// `id(i)` its id as written (the cached rendering of [`super::detail`] passes placeholders).
pub(super) fn permission_entries<'a>(
    v8: bool,
    enabled: &dyn Fn(usize) -> bool,
    id: &dyn Fn(usize) -> String,
) -> Vec<PermissionEntry<'a>> {
    catalogue()
        .permissions
        .iter()
        .enumerate()
        .map(|(i, p)| PermissionEntry {
            display_label: &p.display_label,
            module: p.module.as_deref(),
            name: &p.name,
            customizable: v8.then_some(p.customizable),
            id: id(i),
            enabled: enabled(i),
            parent_permissions: match (&p.parents, v8) {
                (_, false) | (Parents::Absent, _) => None,
                (Parents::None, true) => Some(None),
                (Parents::Some(list), true) => Some(Some(list.iter().map(|&q| id(q)).collect())),
            },
        })
        .collect()
}

#[derive(Serialize)]
struct CategoryEntry<'a> {
    display_label: &'a str,
    permissions_details: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    module: Option<&'a str>,
    name: &'a str,
}

#[derive(Serialize)]
pub(super) struct SectionEntry<'a> {
    name: &'a str,
    categories: Vec<CategoryEntry<'a>>,
}

/// Sections group permission ids for display; they are the catalogue's, so every profile of an
/// org (and every clone) has the same sections.
fn sections_json(org: &Org) -> Value {
    let sections = section_entries(&|i| ids::permission_id(org.prefix, i).to_string());
    serde_json::to_value(sections).unwrap_or(Value::Null)
}

/// The entries of `sections`, with `id(i)` the id of permission `i` as written.
pub(super) fn section_entries<'a>(id: &dyn Fn(usize) -> String) -> Vec<SectionEntry<'a>> {
    catalogue()
        .sections
        .iter()
        .map(|s| SectionEntry {
            name: &s.name,
            categories: s
                .categories
                .iter()
                .map(|c| CategoryEntry {
                    display_label: &c.display_label,
                    permissions_details: c.permissions.iter().map(|&i| id(i)).collect(),
                    module: c.module.as_deref(),
                    name: &c.name,
                })
                .collect(),
        })
        .collect()
}

/// The array-wrapped success answer of clone and update.
pub fn action_success(id: i64, message: &str) -> Value {
    json!({ "profiles": [{
        "code": "SUCCESS",
        "details": { "id": id.to_string() },
        "message": message,
        "status": "success",
    }]})
}

/// A clone body that passed validation.
pub struct CloneInput {
    pub name: ProfileName,
    pub description: Option<String>,
}

/// Parses `{"profiles":[{"name":…,"description":…}]}`, whatever `Content-Type` said: the
/// official SDKs send none.
pub fn parse_clone_body(body: &[u8]) -> Result<CloneInput, ApiError> {
    let element = single_profile(body)?;
    let name = match element.get("name") {
        None | Some(Value::Null) => return Err(ApiError::mandatory_field("name", NAME_PATH)),
        Some(Value::String(raw)) => {
            ProfileName::parse(raw).map_err(|e| field_error("name", NAME_PATH, e))?
        }
        Some(_) => return Err(ApiError::wrong_type("name", NAME_PATH, "text")),
    };
    let description = match element.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(raw)) => names::parse_description(Some(raw))
            .map_err(|e| field_error("description", DESCRIPTION_PATH, e))?,
        Some(_) => return Err(ApiError::wrong_type("description", DESCRIPTION_PATH, "text")),
    };
    Ok(CloneInput { name, description })
}

const NAME_PATH: &str = "$.profiles[0].name";
const DESCRIPTION_PATH: &str = "$.profiles[0].description";

/// The one element of `profiles`, as an object.
fn single_profile(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    single_element(body, "profiles")
}

/// The one element of the body's array `key` (`{"profiles":[{…}]}`), as an object. Errors about
/// the array itself are wrapped under `key`, like errors about its element.
pub fn single_element(body: &[u8], key: &'static str) -> Result<Map<String, Value>, ApiError> {
    let Ok(Value::Object(mut root)) = serde_json::from_slice::<Value>(body) else {
        return Err(ApiError::body_not_json());
    };
    let path = format!("$.{key}");
    let items = match root.remove(key) {
        None | Some(Value::Null) => return Err(ApiError::mandatory_field(key, &path).under(key)),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::wrong_type(key, &path, "jsonarray").under(key)),
    };
    let mut items = items.into_iter();
    let error = match (items.next(), items.next()) {
        (Some(Value::Object(element)), None) => return Ok(element),
        (None, _) => ApiError::empty_array(key, &path),
        (Some(_), Some(_)) => ApiError::too_long(key, &path, 1),
        (Some(_), None) => ApiError::wrong_type(key, &format!("{path}[0]"), "jsonobject"),
    };
    Err(error.under(key))
}

pub fn field_error(api_name: &str, json_path: &str, error: FieldError) -> ApiError {
    match error {
        FieldError::Missing => ApiError::mandatory_field(api_name, json_path),
        FieldError::TooLong { maximum } => ApiError::too_long(api_name, json_path, maximum),
        FieldError::ForbiddenCharacters(chars) if api_name == "name" => {
            ApiError::forbidden_characters(api_name, json_path, &chars)
        }
        FieldError::ForbiddenCharacters(_) => ApiError::field_invalid(api_name, json_path),
    }
}

/// Most `permissions_details` entries one update may carry, as Zoho's OpenAPI file allows.
const MAX_PERMISSION_ENTRIES: usize = 2000;

/// An update body that passed validation; permission ids are resolved to catalogue indices.
pub struct UpdateInput {
    pub name: Option<ProfileName>,
    pub description: Option<Option<String>>,
    pub permissions: Vec<PermissionChange>,
}

/// Parses `{"profiles":[{"name"?, "description"?, "permissions_details"?: [{id, enabled}]}]}`.
/// Every key is optional; `"description": null` clears the description. Permission ids are
/// accepted as strings or numbers (the Python SDK sends numbers) and must belong to `org`.
pub fn parse_update_body(body: &[u8], org: &Org) -> Result<UpdateInput, ApiError> {
    let element = single_profile(body)?;
    let name = match element.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(raw)) => {
            Some(ProfileName::parse(raw).map_err(|e| field_error("name", NAME_PATH, e))?)
        }
        Some(_) => return Err(ApiError::wrong_type("name", NAME_PATH, "text")),
    };
    let description = match element.get("description") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(raw)) => Some(
            names::parse_description(Some(raw))
                .map_err(|e| field_error("description", DESCRIPTION_PATH, e))?,
        ),
        Some(_) => return Err(ApiError::wrong_type("description", DESCRIPTION_PATH, "text")),
    };
    let permissions = match element.get("permissions_details") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(entries)) => permission_changes(entries, org)?,
        Some(_) => {
            return Err(ApiError::wrong_type("permissions_details", PERMISSIONS_PATH, "jsonarray"));
        }
    };
    Ok(UpdateInput { name, description, permissions })
}

const PERMISSIONS_PATH: &str = "$.profiles[0].permissions_details";

fn permission_changes(entries: &[Value], org: &Org) -> Result<Vec<PermissionChange>, ApiError> {
    if entries.len() > MAX_PERMISSION_ENTRIES {
        return Err(ApiError::too_long(
            "permissions_details",
            PERMISSIONS_PATH,
            MAX_PERMISSION_ENTRIES,
        ));
    }
    let mut changes = Vec::with_capacity(entries.len());
    for (position, entry) in entries.iter().enumerate() {
        let path = format!("{PERMISSIONS_PATH}[{position}]");
        let Value::Object(entry) = entry else {
            return Err(ApiError::wrong_type("permissions_details", &path, "jsonobject"));
        };
        let id_path = format!("{path}.id");
        let id = match entry.get("id") {
            None | Some(Value::Null) => return Err(ApiError::mandatory_field("id", &id_path)),
            Some(Value::String(text)) => ids::parse_id(text),
            Some(Value::Number(n)) => n.as_i64(),
            Some(_) => None,
        };
        let index = id.and_then(|id| ids::permission_index(org.prefix, id));
        let index = index
            .filter(|&i| i < catalogue().len())
            .ok_or_else(|| ApiError::permission_entry(&id_path, "Invalid permission ID"))?;
        let enabled_path = format!("{path}.enabled");
        let enabled = match entry.get("enabled") {
            None | Some(Value::Null) => {
                return Err(ApiError::mandatory_field("enabled", &enabled_path));
            }
            Some(Value::Bool(enabled)) => *enabled,
            Some(_) => return Err(ApiError::wrong_type("enabled", &enabled_path, "boolean")),
        };
        changes.push(PermissionChange { position, index, enabled });
    }
    Ok(changes)
}

/// The JSON path of the `id` of entry `position` of an update's `permissions_details`.
pub fn permission_id_path(position: usize) -> String {
    format!("{PERMISSIONS_PATH}[{position}].id")
}

/// The list's query parameters: Zoho's v8 OpenAPI file (`type`, `include_types`, `page`,
/// `per_page`) and the older one and the SDKs (`include_lite_profile`). Unknown parameters are
/// ignored, as Zoho does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListQuery {
    pub page: usize,
    pub per_page: usize,
    /// `type=private_profile` or `portal_profile`: kinds of profile this server never holds.
    pub other_type_only: bool,
}

pub const MAX_PER_PAGE: usize = 200;

pub fn parse_list_query(pairs: &[(String, String)]) -> Result<ListQuery, ApiError> {
    let mut query = ListQuery { page: 1, per_page: MAX_PER_PAGE, other_type_only: false };
    // A parameter with an empty value is ignored, like an empty pair (Node's SDK leaves a
    // trailing `&`).
    for (key, value) in pairs.iter().filter(|(_, value)| !value.is_empty()) {
        match key.as_str() {
            "type" => match value.as_str() {
                "normal_profile" => query.other_type_only = false,
                "private_profile" | "portal_profile" => query.other_type_only = true,
                _ => return Err(ApiError::invalid_param("type")),
            },
            "include_types" if !value.split(',').all(|t| t == "Lite" || t == "Support") => {
                return Err(ApiError::invalid_param("include_types"));
            }
            "include_lite_profile"
                if !value.eq_ignore_ascii_case("true") && !value.eq_ignore_ascii_case("false") =>
            {
                return Err(ApiError::invalid_param("include_lite_profile"));
            }
            "page" => {
                query.page = value
                    .parse()
                    .ok()
                    .filter(|&p| p >= 1)
                    .ok_or_else(|| ApiError::invalid_param("page"))?;
            }
            "per_page" => {
                query.per_page = value
                    .parse()
                    .ok()
                    .filter(|&p| (1..=MAX_PER_PAGE).contains(&p))
                    .ok_or_else(|| ApiError::invalid_param("per_page"))?;
            }
            _ => {}
        }
    }
    Ok(query)
}

/// The `info` block of a v8 list page.
pub fn page_info(query: &ListQuery, count: usize, more_records: bool, org: &Org) -> Value {
    json!({
        "page": query.page,
        "per_page": query.per_page,
        "count": count,
        "more_records": more_records,
        "license_limit": org.profile_limit,
    })
}

/// Reads `If-Modified-Since` as an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`) or as the
/// ISO-8601 time Zoho's SDKs send (`2026-10-21T12:58:00+05:30`). A value in neither form is
/// ignored, as HTTP says.
pub fn parse_if_modified_since(value: &str) -> Option<UnixTime> {
    use time::format_description::well_known::{Rfc2822, Rfc3339};
    let value = value.trim();
    let http_date = value.strip_suffix(" GMT").map(|rest| format!("{rest} +0000"));
    OffsetDateTime::parse(value, &Rfc3339)
        .ok()
        .or_else(|| http_date.and_then(|d| OffsetDateTime::parse(&d, &Rfc2822).ok()))
        .map(OffsetDateTime::unix_timestamp)
}

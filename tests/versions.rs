//! Each API version renders profiles in its own shape (profiles-api.md, "Shape per version"):
//! v2 marks custom profiles with `category`; v2.1 calls it `custom`; v3 to v7 add `type`; v8 adds
//! `api_name`, the list's `info` block, and `customizable` / `parent_permissions` on permissions.
//! Shapes are pinned as snapshots (tests/snapshots/); the invariants are asserted beside them.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{START, TestApp, redact};
use reqwest::StatusCode;
use serde_json::{Value, json};

const BASE_KEYS: [&str; 8] = [
    "display_label",
    "created_time",
    "modified_time",
    "name",
    "modified_by",
    "description",
    "id",
    "created_by",
];

/// The keys of a listed profile in `version`.
fn list_item_keys(version: &str) -> BTreeSet<&'static str> {
    let extra: &[&str] = match version {
        "v2" => &["category"],
        "v2.1" => &["custom"],
        "v3" | "v4" | "v5" | "v6" | "v7" => &["custom", "type"],
        "v8" => &["custom", "type", "api_name"],
        other => panic!("unknown version {other}"),
    };
    BASE_KEYS.iter().chain(extra).copied().collect()
}

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(|k| k.as_str())
        .collect()
}

/// Asserts that `id` is a Zoho-shaped id: a string of 19 digits, above 2^53.
fn assert_zoho_id(id: &Value) {
    let text = id.as_str().unwrap_or_else(|| panic!("id {id} is not a string"));
    assert_eq!(text.len(), 19, "{text}");
    assert!(text.bytes().all(|b| b.is_ascii_digit()), "{text}");
    assert!(text.parse::<u64>().unwrap() > 1 << 53, "{text}");
}

/// Checks every id and time found anywhere in `value`: ids (under `id`, in sections' and
/// parents' id lists) are Zoho-shaped; times are second-precision with the offset `+00:00`.
fn assert_ids_and_times(value: &Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match key.as_str() {
                    "id" => assert_zoho_id(item),
                    "created_time" | "modified_time" if !item.is_null() => {
                        let time = item.as_str().unwrap_or_else(|| panic!("{key}: {item}"));
                        assert_eq!(time.len(), "2026-03-01T10:15:30+00:00".len(), "{time}");
                        assert!(time.ends_with("+00:00"), "{time}");
                    }
                    "permissions_details" | "parent_permissions"
                        if item.as_array().is_some_and(|a| a.iter().all(Value::is_string)) =>
                    {
                        item.as_array().unwrap().iter().for_each(assert_zoho_id);
                    }
                    _ => assert_ids_and_times(item),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(assert_ids_and_times),
        _ => {}
    }
}

/// `value` with every permission id (in sections and in `parent_permissions`) replaced by
/// `[permissions_details[N]]`, N being its position in the profile's `permissions_details`, so
/// that snapshots show which permission is meant without the org's random id prefix.
fn name_permission_ids(value: &Value, positions: &HashMap<String, usize>) -> Value {
    let name = |id: &Value| {
        let position = positions[id.as_str().unwrap()];
        Value::String(format!("[permissions_details[{position}]]"))
    };
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| {
                    let named = match (key.as_str(), item) {
                        ("permissions_details" | "parent_permissions", Value::Array(ids))
                            if ids.iter().all(Value::is_string) =>
                        {
                            Value::Array(ids.iter().map(name).collect())
                        }
                        _ => name_permission_ids(item, positions),
                    };
                    (key.clone(), named)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| name_permission_ids(i, positions)).collect())
        }
        other => other.clone(),
    }
}

/// `profile` with `permissions_details` cut to 3 entries and `sections` to 2, each category
/// keeping 2 permission ids.
fn truncated(profile: &Value) -> Value {
    let mut profile = profile.clone();
    profile["permissions_details"].as_array_mut().unwrap().truncate(3);
    let sections = profile["sections"].as_array_mut().unwrap();
    sections.truncate(2);
    for section in sections {
        for category in section["categories"].as_array_mut().unwrap() {
            category["permissions_details"].as_array_mut().unwrap().truncate(2);
        }
    }
    profile
}

/// The time the test app's clock shows, as profiles render it.
fn start_time() -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+00:00");
    time::OffsetDateTime::from_unix_timestamp(START).unwrap().format(format).unwrap()
}

async fn check_version(version: &str) {
    let snapshot = version.replace('.', "_");
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let body = json!({ "profiles": [{
        "name": "Sales Manager",
        "description": "Manages Sales for the TX region",
    }]});
    let (status, created) =
        app.post(&app.clone_path(version, app.standard_id()), &token, &body.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let clone_id = created["profiles"][0]["details"]["id"].as_str().unwrap().to_owned();

    // The list.
    let (status, list) = app.get(&format!("/crm/{version}/settings/profiles"), &token).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let expected_top: BTreeSet<&str> =
        if version == "v8" { ["profiles", "info"].into() } else { ["profiles"].into() };
    assert_eq!(keys(&list), expected_top);
    let profiles = list["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 3);
    for profile in profiles {
        assert_eq!(keys(profile), list_item_keys(version), "{version}: {profile}");
    }
    assert_ids_and_times(&list);
    let custom_key = if version == "v2" { "category" } else { "custom" };
    let custom: Vec<&Value> = profiles.iter().map(|p| &p[custom_key]).collect();
    assert_eq!(custom, [&json!(false), &json!(false), &json!(true)]);
    assert_eq!(profiles[2]["id"].as_str().unwrap(), clone_id);
    assert_eq!(profiles[2]["created_time"].as_str().unwrap(), start_time());
    assert!(profiles[0]["created_time"].is_null(), "system profiles have no creation time");
    if version == "v8" {
        assert_eq!(
            list["info"],
            json!({"page": 1, "per_page": 200, "count": 3, "more_records": false, "license_limit": 25})
        );
    }
    insta::assert_json_snapshot!(format!("list_{snapshot}"), redact(&list));

    // One profile.
    let (status, one) =
        app.get(&format!("/crm/{version}/settings/profiles/{clone_id}"), &token).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(keys(&one), ["profiles"].into());
    assert_eq!(one["profiles"].as_array().unwrap().len(), 1);
    let profile = &one["profiles"][0];
    let mut expected = list_item_keys(version);
    expected.extend(["permissions_details", "sections"]);
    assert_eq!(keys(profile), expected);
    assert_ids_and_times(&one);
    // The profile reads as it was listed, apart from its permissions and sections.
    let mut alone = profile.clone();
    alone.as_object_mut().unwrap().retain(|k, _| k != "permissions_details" && k != "sections");
    assert_eq!(&alone, &profiles[2]);

    let permissions = profile["permissions_details"].as_array().unwrap();
    assert!(permissions.len() > 100, "{} permissions", permissions.len());
    let positions: HashMap<String, usize> = permissions
        .iter()
        .enumerate()
        .map(|(i, p)| (p["id"].as_str().unwrap().to_owned(), i))
        .collect();
    assert_eq!(positions.len(), permissions.len(), "permission ids are unique");

    let always: BTreeSet<&str> = ["display_label", "module", "name", "id", "enabled"].into();
    for entry in permissions {
        let entry_keys = keys(entry);
        if version == "v8" {
            let mut v8_keys = always.clone();
            v8_keys.insert("customizable");
            assert!(entry_keys.is_superset(&v8_keys), "{entry}");
            v8_keys.insert("parent_permissions");
            assert!(entry_keys.is_subset(&v8_keys), "{entry}");
            assert!(entry["customizable"].is_boolean(), "{entry}");
        } else {
            assert_eq!(entry_keys, always, "{version}: {entry}");
        }
        assert!(entry["enabled"].is_boolean(), "{entry}");
        for parent in entry["parent_permissions"].as_array().into_iter().flatten() {
            assert!(positions.contains_key(parent.as_str().unwrap()), "unknown parent {parent}");
        }
    }
    if version == "v8" {
        let with_parents = permissions.iter().filter(|p| p["parent_permissions"].is_array());
        assert!(with_parents.count() > 0, "v8 shows parent permissions");
    }

    let sections = profile["sections"].as_array().unwrap();
    assert!(!sections.is_empty());
    for section in sections {
        assert_eq!(keys(section), ["name", "categories"].into(), "{section}");
        for category in section["categories"].as_array().unwrap() {
            for id in category["permissions_details"].as_array().unwrap() {
                let id = id.as_str().unwrap();
                assert!(positions.contains_key(id), "section id {id} is not a permission");
            }
        }
    }

    let shown = name_permission_ids(&truncated(profile), &positions);
    insta::assert_json_snapshot!(format!("profile_{snapshot}"), redact(&shown));
}

#[tokio::test]
async fn v2_marks_custom_profiles_with_category() {
    check_version("v2").await;
}

#[tokio::test]
async fn v2_1_marks_custom_profiles_with_custom() {
    check_version("v2.1").await;
}

#[tokio::test]
async fn v3_adds_type() {
    check_version("v3").await;
}

#[tokio::test]
async fn v4_has_the_v3_shape() {
    check_version("v4").await;
}

#[tokio::test]
async fn v5_has_the_v3_shape() {
    check_version("v5").await;
}

#[tokio::test]
async fn v6_has_the_v3_shape() {
    check_version("v6").await;
}

#[tokio::test]
async fn v7_has_the_v3_shape() {
    check_version("v7").await;
}

#[tokio::test]
async fn v8_adds_api_name_info_and_permission_parents() {
    check_version("v8").await;
}

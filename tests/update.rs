//! PUT and PATCH /crm/{version}/settings/profiles/{id}: what an update changes, and every refusal.
//!
//! Each refusal is checked for its status, its whole body, and for having changed nothing: the
//! profile reads the same before and after, although the clock moved in between.

mod common;

use common::{ADMIN, PROFILES_ALL, STANDARD_USER, TestApp, redact};
use crm_profiles::http::error::ErrorStyle;
use reqwest::StatusCode;
use serde_json::{Value, json};

const USERS_ALL: &str = "ZohoCRM.users.ALL";

fn profile_path(version: &str, id: &str) -> String {
    format!("/crm/{version}/settings/profiles/{id}")
}

/// Clones Standard into `name` and returns the new id.
async fn clone_standard(app: &TestApp, token: &str, name: &str) -> String {
    let (status, body) = app.clone_profile(token, app.standard_id(), name).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["profiles"][0]["details"]["id"].as_str().unwrap().to_owned()
}

/// The whole answer of GET /crm/v8/settings/profiles/{id}.
async fn read_profile(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, body) = app.get(&profile_path("v8", id), token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The permission entry named `name` of a GET answer.
fn permission<'a>(body: &'a Value, name: &str) -> &'a Value {
    let entries = body["profiles"][0]["permissions_details"].as_array().expect("permissions");
    entries.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("no {name}"))
}

fn permission_id(body: &Value, name: &str) -> String {
    permission(body, name)["id"].as_str().unwrap().to_owned()
}

fn enabled(body: &Value, name: &str) -> bool {
    permission(body, name)["enabled"].as_bool().unwrap()
}

/// `{"profiles":[{"permissions_details":[{"id","enabled"}…]}]}` for permissions of `body`.
fn permissions_body(body: &Value, changes: &[(&str, bool)]) -> String {
    let entries: Vec<Value> = changes
        .iter()
        .map(|&(name, on)| json!({ "id": permission_id(body, name), "enabled": on }))
        .collect();
    json!({ "profiles": [{ "permissions_details": entries }] }).to_string()
}

/// PUTs `body` to profile `id` through v8, one second after the last change, and checks that
/// the profile reads exactly as before.
async fn refused(app: &TestApp, token: &str, id: &str, body: &str) -> (StatusCode, Value) {
    let before = read_profile(app, token, id).await;
    app.clock.set(app.now() + 1);
    let answer = app.put(&profile_path("v8", id), token, body).await;
    assert_eq!(read_profile(app, token, id).await, before, "a refused update changed the profile");
    answer
}

/// PUTs `body` to profile `id` through v8 and expects 200.
async fn updated(app: &TestApp, token: &str, id: &str, body: &str) {
    let (status, answer) = app.put(&profile_path("v8", id), token, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["profiles"][0]["details"]["id"], id);
}

// --- success -----------------------------------------------------------------------------------

#[tokio::test]
async fn put_renames_describes_and_changes_permissions_at_once() {
    let app = TestApp::spawn().await;
    let token = app.token_for(ADMIN, &[PROFILES_ALL, USERS_ALL]).await;
    let id = clone_standard(&app, &token, "Sales").await;
    // A second administrator makes the update, so modified_by visibly changes.
    let role = app.org.role_ids[0].to_string();
    let admin = app.administrator_id().to_string();
    let user = json!({ "users": [{ "email": "bob@example.com", "first_name": "Bob",
        "last_name": "Boss", "profile": admin, "role": role }] });
    let (status, answer) = app.post("/crm/v8/users", &token, &user.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let bob_id = answer["users"][0]["details"]["id"].as_str().unwrap().to_owned();
    let before = read_profile(&app, &token, &id).await;
    app.clock.set(common::START + 1800);
    let bob = app.token_for("bob@example.com", &[PROFILES_ALL]).await;

    let body = json!({ "profiles": [{
        "name": "Sales Manager",
        "description": "Manages Sales for the TX region",
        "permissions_details": [{ "id": permission_id(&before, "Crm_Implied_Delete_Leads"),
                                  "enabled": false }],
    }]});
    let (status, answer) = app.put(&profile_path("v7", &id), &bob, &body.to_string()).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["profiles"][0]["details"]["id"], id.as_str());
    insta::assert_json_snapshot!(redact(&answer), @r#"
    {
      "profiles": [
        {
          "code": "SUCCESS",
          "details": {
            "id": "[id]"
          },
          "message": "profile updated successfully",
          "status": "success"
        }
      ]
    }
    "#);
    let after = read_profile(&app, &token, &id).await;
    let profile = &after["profiles"][0];
    assert_eq!(profile["name"], "Sales Manager");
    assert_eq!(profile["display_label"], "Sales Manager");
    assert_eq!(profile["description"], "Manages Sales for the TX region");
    assert_eq!(profile["api_name"], "Sales", "api_name never changes");
    assert_eq!(profile["modified_time"], "2026-05-28T20:56:40+00:00");
    assert_eq!(profile["modified_by"], json!({ "name": "Bob Boss", "id": bob_id }));
    assert_eq!(profile["created_time"], before["profiles"][0]["created_time"]);
    assert_eq!(profile["created_by"], before["profiles"][0]["created_by"]);
    assert!(!enabled(&after, "Crm_Implied_Delete_Leads"));
    assert!(enabled(&after, "Crm_Implied_View_Leads"));
    // Nothing but Delete_Leads changed among the permissions, with Mass Delete, whose parent
    // it is.
    let changed: Vec<&Value> = before["profiles"][0]["permissions_details"]
        .as_array()
        .unwrap()
        .iter()
        .zip(profile["permissions_details"].as_array().unwrap())
        .filter(|(old, new)| old != new)
        .map(|(_, new)| &new["name"])
        .collect();
    assert_eq!(changed, ["Crm_Implied_Delete_Leads", "Crm_Implied_Mass_Delete_Leads"]);
    // The list shows the new name too.
    let listed = app.profiles(&token).await;
    assert_eq!(listed[2]["name"], "Sales Manager");
    assert_eq!(listed[2]["modified_time"], "2026-05-28T20:56:40+00:00");
}

#[tokio::test]
async fn patch_on_v8_changes_only_the_fields_sent() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let body = json!({ "profiles": [{ "name": "Sales", "description": "Kept" }] });
    updated(&app, &token, &id, &body.to_string()).await;
    let before = read_profile(&app, &token, &id).await;

    let body = r#"{"profiles":[{"name":"Field Sales"}]}"#;
    let (status, answer) = app.patch(&profile_path("v8", &id), &token, body).await;

    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["profiles"][0]["message"], "profile updated successfully");
    let after = read_profile(&app, &token, &id).await;
    assert_eq!(after["profiles"][0]["name"], "Field Sales");
    assert_eq!(after["profiles"][0]["description"], "Kept");
    assert_eq!(
        after["profiles"][0]["permissions_details"],
        before["profiles"][0]["permissions_details"]
    );
}

#[tokio::test]
async fn patch_before_v8_is_invalid_request_method() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let before = read_profile(&app, &token, &id).await;

    for version in ["v2", "v2.1", "v3", "v5", "v7"] {
        let body = r#"{"profiles":[{"name":"Renamed"}]}"#;
        let (status, answer) = app.patch(&profile_path(version, &id), &token, body).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{version}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&answer), @r#"
            {
              "code": "INVALID_REQUEST_METHOD",
              "details": {},
              "message": "The http request method type is not a valid one",
              "status": "error"
            }
            "#);
        }
    }
    assert_eq!(read_profile(&app, &token, &id).await, before);
}

// --- permissions_details: ids ------------------------------------------------------------------

#[tokio::test]
async fn unknown_permission_id_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let current = read_profile(&app, &token, &id).await;
    // The same permission in another org has another id.
    let other = app
        .store
        .create_org(&crm_profiles::domain::seed::new_org("Other", "boss@other.example"), app.now())
        .await
        .unwrap();
    let boss = app.token_for("boss@other.example", &[PROFILES_ALL]).await;
    let foreign = read_profile(&app, &boss, &other.profile_ids[1].to_string()).await;
    let foreign_id = permission_id(&foreign, "Crm_Implied_Delete_Leads");
    assert_ne!(foreign_id, permission_id(&current, "Crm_Implied_Delete_Leads"));
    let own_profile_id = id.clone();

    for bad in [json!("1"), json!(foreign_id), json!(own_profile_id), json!("x1"), json!(true)] {
        // A valid change and a rename come first: neither may be applied.
        let body = json!({ "profiles": [{ "name": "Renamed", "permissions_details": [
            { "id": permission_id(&current, "Crm_Implied_Edit_Leads"), "enabled": false },
            { "id": bad, "enabled": false },
        ]}]});
        let (status, answer) = refused(&app, &token, &id, &body.to_string()).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&answer), @r#"
            {
              "profiles": [
                {
                  "code": "INVALID_DATA",
                  "details": {
                    "api_name": "id",
                    "json_path": "$.profiles[0].permissions_details[1].id"
                  },
                  "message": "Invalid permission ID",
                  "status": "error"
                }
              ]
            }
            "#);
        }
    }
}

#[tokio::test]
async fn permission_id_as_a_json_number_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let before = read_profile(&app, &token, &id).await;
    let number: i64 = permission_id(&before, "Crm_Implied_Delete_Leads").parse().unwrap();

    let body = json!({ "profiles": [{ "permissions_details": [
        { "id": number, "enabled": false },
    ]}]});
    assert!(body.to_string().contains(&format!(r#""id":{number}"#)), "sent as a number");
    updated(&app, &token, &id, &body.to_string()).await;

    assert!(!enabled(&read_profile(&app, &token, &id).await, "Crm_Implied_Delete_Leads"));
}

// --- permissions_details: rules ----------------------------------------------------------------

#[tokio::test]
async fn changing_a_non_customizable_permission_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let current = read_profile(&app, &token, &id).await;
    let entry = permission(&current, "Crm_Implied_Manage_Profiles");
    assert_eq!((&entry["customizable"], &entry["enabled"]), (&json!(false), &json!(false)));
    let body = json!({ "profiles": [{ "name": "Renamed", "permissions_details": [
        { "id": permission_id(&current, "Crm_Implied_Delete_Leads"), "enabled": false },
        { "id": permission_id(&current, "Crm_Implied_Manage_Profiles"), "enabled": true },
    ]}]});

    let (status, answer) = refused(&app, &token, &id, &body.to_string()).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&answer), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "id",
            "json_path": "$.profiles[0].permissions_details[1].id"
          },
          "message": "Permission is not customizable",
          "status": "error"
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn non_customizable_permission_sent_with_its_current_state_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let before = read_profile(&app, &token, &id).await;

    let body = permissions_body(&before, &[("Crm_Implied_Manage_Profiles", false)]);
    updated(&app, &token, &id, &body).await;

    let after = read_profile(&app, &token, &id).await;
    assert_eq!(
        after["profiles"][0]["permissions_details"],
        before["profiles"][0]["permissions_details"]
    );
}

#[tokio::test]
async fn every_permission_as_read_can_be_sent_back() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let before = read_profile(&app, &token, &id).await;

    let entries = before["profiles"][0]["permissions_details"].clone();
    let body = json!({ "profiles": [{ "permissions_details": entries }] });
    updated(&app, &token, &id, &body.to_string()).await;

    let after = read_profile(&app, &token, &id).await;
    assert_eq!(
        after["profiles"][0]["permissions_details"],
        before["profiles"][0]["permissions_details"]
    );
}

#[tokio::test]
async fn enabling_a_child_under_a_disabled_parent_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let current = read_profile(&app, &token, &id).await;
    updated(&app, &token, &id, &permissions_body(&current, &[("Crm_Implied_View_Leads", false)]))
        .await;

    let body = json!({ "profiles": [{ "name": "Renamed", "description": "d", "permissions_details": [
        { "id": permission_id(&current, "Crm_Implied_Delete_Leads"), "enabled": true },
    ]}]});
    let (status, answer) = refused(&app, &token, &id, &body.to_string()).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&answer), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "id",
            "json_path": "$.profiles[0].permissions_details[0].id"
          },
          "message": "Child permission can not be enabled, since its parent permission is disabled",
          "status": "error"
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn enabling_a_child_with_its_parent_in_the_same_request_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let current = read_profile(&app, &token, &id).await;
    updated(&app, &token, &id, &permissions_body(&current, &[("Crm_Implied_View_Leads", false)]))
        .await;

    // The child comes first: the parent's entry later in the request still counts.
    let changes = [("Crm_Implied_Delete_Leads", true), ("Crm_Implied_View_Leads", true)];
    updated(&app, &token, &id, &permissions_body(&current, &changes)).await;

    let after = read_profile(&app, &token, &id).await;
    assert!(enabled(&after, "Crm_Implied_View_Leads"));
    assert!(enabled(&after, "Crm_Implied_Delete_Leads"));
    assert!(!enabled(&after, "Crm_Implied_Create_Leads"), "children not asked for stay off");
}

#[tokio::test]
async fn disabling_a_parent_disables_its_enabled_children() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let before = read_profile(&app, &token, &id).await;
    let children = [
        "Crm_Implied_Create_Leads",
        "Crm_Implied_Edit_Leads",
        "Crm_Implied_Delete_Leads",
        "Crm_Implied_AccessTimeline_Leads",
    ];
    for child in children {
        assert!(enabled(&before, child), "{child}");
    }

    updated(&app, &token, &id, &permissions_body(&before, &[("Crm_Implied_View_Leads", false)]))
        .await;

    let after = read_profile(&app, &token, &id).await;
    assert!(!enabled(&after, "Crm_Implied_View_Leads"));
    for child in children {
        assert!(!enabled(&after, child), "{child}");
    }
    assert!(enabled(&after, "Crm_Implied_View_Contacts"));
    // Only View_Leads and permissions below it changed.
    let view_leads = permission_id(&before, "Crm_Implied_View_Leads");
    let entries = |body: &Value| body["profiles"][0]["permissions_details"].clone();
    let (old, new) = (entries(&before), entries(&after));
    let below_view_leads = |entry: &Value| -> bool {
        let mut ids = vec![entry["id"].as_str().unwrap().to_owned()];
        while let Some(current) = ids.pop() {
            if current == view_leads {
                return true;
            }
            let found = old.as_array().unwrap().iter().find(|e| e["id"] == current.as_str());
            if let Some(parents) = found.and_then(|e| e["parent_permissions"].as_array()) {
                ids.extend(parents.iter().map(|p| p.as_str().unwrap().to_owned()));
            }
        }
        false
    };
    for (o, n) in old.as_array().unwrap().iter().zip(new.as_array().unwrap()) {
        if o != n {
            assert!(below_view_leads(n), "{} changed", n["name"]);
        }
    }
}

// --- permissions_details: shape ----------------------------------------------------------------

#[tokio::test]
async fn re_enabling_a_parent_restores_non_customizable_children_only() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let before = read_profile(&app, &token, &id).await;
    let off = permissions_body(&before, &[("Crm_Implied_View_Leads", false)]);
    updated(&app, &token, &id, &off).await;

    let on = permissions_body(&before, &[("Crm_Implied_View_Leads", true)]);
    updated(&app, &token, &id, &on).await;

    let after = read_profile(&app, &token, &id).await;
    assert!(enabled(&after, "Crm_Implied_View_Leads"));
    // Not customizable: it follows View, since no request could switch it on again.
    assert!(enabled(&after, "Crm_Implied_AccessTimeline_Leads"));
    // Customizable: switched off with View, it stays off until asked for.
    assert!(!enabled(&after, "Crm_Implied_Delete_Leads"));
}

#[tokio::test]
async fn permissions_details_of_wrong_type_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;

    for value in [json!({}), json!("x"), json!(1), json!(true)] {
        let body = json!({ "profiles": [{ "name": "Renamed", "permissions_details": value }] });
        let (status, answer) = refused(&app, &token, &id, &body.to_string()).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&answer), @r#"
            {
              "profiles": [
                {
                  "code": "INVALID_DATA",
                  "details": {
                    "api_name": "permissions_details",
                    "json_path": "$.profiles[0].permissions_details",
                    "expected_data_type": "jsonarray"
                  },
                  "message": "invalid data",
                  "status": "error"
                }
              ]
            }
            "#);
        }
    }
}

#[tokio::test]
async fn permission_entry_not_an_object_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;

    for value in [json!("x"), json!(1), json!([]), json!(null)] {
        let body = json!({ "profiles": [{ "permissions_details": [value] }] });
        let (status, answer) = refused(&app, &token, &id, &body.to_string()).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&answer), @r#"
            {
              "profiles": [
                {
                  "code": "INVALID_DATA",
                  "details": {
                    "api_name": "permissions_details",
                    "json_path": "$.profiles[0].permissions_details[0]",
                    "expected_data_type": "jsonobject"
                  },
                  "message": "invalid data",
                  "status": "error"
                }
              ]
            }
            "#);
        }
    }
}

#[tokio::test]
async fn permission_entry_without_id_is_mandatory_not_found() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let current = read_profile(&app, &token, &id).await;
    let valid =
        json!({ "id": permission_id(&current, "Crm_Implied_Edit_Leads"), "enabled": false });

    for entry in [json!({ "enabled": false }), json!({ "id": null, "enabled": false })] {
        let body = json!({ "profiles": [{ "permissions_details": [valid, valid, entry] }] });
        let (status, answer) = refused(&app, &token, &id, &body.to_string()).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{entry}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&answer), @r#"
            {
              "profiles": [
                {
                  "code": "MANDATORY_NOT_FOUND",
                  "details": {
                    "api_name": "id",
                    "json_path": "$.profiles[0].permissions_details[2].id"
                  },
                  "message": "required field not found",
                  "status": "error"
                }
              ]
            }
            "#);
        }
    }
}

#[tokio::test]
async fn permission_entry_without_enabled_is_mandatory_not_found() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let current = read_profile(&app, &token, &id).await;
    let permission = permission_id(&current, "Crm_Implied_Edit_Leads");

    for entry in [json!({ "id": permission }), json!({ "id": permission, "enabled": null })] {
        let body = json!({ "profiles": [{ "permissions_details": [entry] }] });
        let (status, answer) = refused(&app, &token, &id, &body.to_string()).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{entry}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&answer), @r#"
            {
              "profiles": [
                {
                  "code": "MANDATORY_NOT_FOUND",
                  "details": {
                    "api_name": "enabled",
                    "json_path": "$.profiles[0].permissions_details[0].enabled"
                  },
                  "message": "required field not found",
                  "status": "error"
                }
              ]
            }
            "#);
        }
    }
}

#[tokio::test]
async fn enabled_that_is_not_a_boolean_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let current = read_profile(&app, &token, &id).await;
    let permission = permission_id(&current, "Crm_Implied_Edit_Leads");

    for value in [json!("false"), json!(0), json!("no"), json!([false])] {
        let body = json!({ "profiles": [{ "permissions_details": [
            { "id": permission, "enabled": value },
        ]}]});
        let (status, answer) = refused(&app, &token, &id, &body.to_string()).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&answer), @r#"
            {
              "profiles": [
                {
                  "code": "INVALID_DATA",
                  "details": {
                    "api_name": "enabled",
                    "json_path": "$.profiles[0].permissions_details[0].enabled",
                    "expected_data_type": "boolean"
                  },
                  "message": "invalid data",
                  "status": "error"
                }
              ]
            }
            "#);
        }
    }
}

// --- name and description ----------------------------------------------------------------------

#[tokio::test]
async fn duplicate_name_is_400_duplicate_data_in_both_styles() {
    for style in [ErrorStyle::Docs, ErrorStyle::Oas] {
        let app = TestApp::spawn_with(style).await;
        let token = app.admin_token().await;
        clone_standard(&app, &token, "Sales").await;
        let id = clone_standard(&app, &token, "Support").await;

        for name in [" sales ", "SALES", "administrator", "Standard"] {
            let body = json!({ "profiles": [{ "name": name }] }).to_string();
            let (status, answer) = refused(&app, &token, &id, &body).await;

            assert_eq!(status, StatusCode::BAD_REQUEST, "{style:?} {name}");
            insta::allow_duplicates! {
                insta::assert_json_snapshot!(redact(&answer), @r#"
                {
                  "profiles": [
                    {
                      "code": "DUPLICATE_DATA",
                      "details": {
                        "api_name": "name",
                        "json_path": "$.profiles[0].name"
                      },
                      "message": "duplicate data",
                      "status": "error"
                    }
                  ]
                }
                "#);
            }
        }
    }
}

#[tokio::test]
async fn renaming_to_its_own_name_in_other_case_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;

    updated(&app, &token, &id, r#"{"profiles":[{"name":" SALES "}]}"#).await;

    let after = read_profile(&app, &token, &id).await;
    assert_eq!(after["profiles"][0]["name"], "SALES");
    assert_eq!(after["profiles"][0]["display_label"], "SALES");
}

#[tokio::test]
async fn name_of_51_characters_is_too_long() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let body = json!({ "profiles": [{ "name": "é".repeat(51) }] }).to_string();

    let (status, answer) = refused(&app, &token, &id, &body).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&answer), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "name",
            "json_path": "$.profiles[0].name",
            "maximum_length": 50
          },
          "message": "invalid data",
          "status": "error"
        }
      ]
    }
    "#);
    updated(&app, &token, &id, &json!({ "profiles": [{ "name": "é".repeat(50) }] }).to_string())
        .await;
}

#[tokio::test]
async fn name_with_forbidden_characters_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;

    let (status, answer) =
        refused(&app, &token, &id, r#"{"profiles":[{"name":"Sales & (Marketing)"}]}"#).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&answer), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "name",
            "json_path": "$.profiles[0].name"
          },
          "message": "Profile name should not contain the following special character(s) : &, (, )",
          "status": "error"
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn blank_name_is_mandatory_not_found() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;

    let (status, answer) = refused(&app, &token, &id, r#"{"profiles":[{"name":"  "}]}"#).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&answer), @r#"
    {
      "profiles": [
        {
          "code": "MANDATORY_NOT_FOUND",
          "details": {
            "api_name": "name",
            "json_path": "$.profiles[0].name"
          },
          "message": "required field not found",
          "status": "error"
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn description_null_clears_it() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    updated(&app, &token, &id, r#"{"profiles":[{"description":"Sells"}]}"#).await;
    assert_eq!(read_profile(&app, &token, &id).await["profiles"][0]["description"], "Sells");

    updated(&app, &token, &id, r#"{"profiles":[{"description":null}]}"#).await;

    let after = read_profile(&app, &token, &id).await;
    assert_eq!(after["profiles"][0]["description"], Value::Null);
    assert_eq!(after["profiles"][0]["name"], "Sales");
}

#[tokio::test]
async fn description_of_251_characters_is_too_long() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, "Sales").await;
    let body = json!({ "profiles": [{ "description": "d".repeat(251) }] }).to_string();

    let (status, answer) = refused(&app, &token, &id, &body).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&answer), @r#"
    {
      "profiles": [
        {
          "code": "INVALID_DATA",
          "details": {
            "api_name": "description",
            "json_path": "$.profiles[0].description",
            "maximum_length": 250
          },
          "message": "invalid data",
          "status": "error"
        }
      ]
    }
    "#);
}

// --- which profile -----------------------------------------------------------------------------

#[tokio::test]
async fn system_profiles_cannot_be_updated() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for id in [app.administrator_id(), app.standard_id()] {
        let body = r#"{"profiles":[{"name":"Renamed"}]}"#;
        let (status, answer) = refused(&app, &token, &id.to_string(), body).await;

        assert_eq!(status, StatusCode::BAD_REQUEST);
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&answer), @r#"
            {
              "code": "NOT_ALLOWED",
              "details": {
                "resource_path_index": 2
              },
              "message": "System profile cannot be updated",
              "status": "error"
            }
            "#);
        }
    }
}

#[tokio::test]
async fn unknown_or_malformed_profile_id_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    clone_standard(&app, &token, "Sales").await;
    let before = app.profiles(&token).await;
    let org_id = app.org.org.id.to_string();
    let unused = (app.org.user_ids.iter().max().unwrap() + 1000).to_string();

    for id in [org_id.as_str(), &unused, "abc", "12a", "-1", "99999999999999999999"] {
        let body = r#"{"profiles":[{"name":"Renamed"}]}"#;
        let (status, answer) = app.put(&profile_path("v8", id), &token, body).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{id}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&answer), @r#"
            {
              "code": "INVALID_DATA",
              "details": {
                "resource_path_index": 2
              },
              "message": "the id given seems to be invalid or already deleted",
              "status": "error"
            }
            "#);
        }
    }
    assert_eq!(app.profiles(&token).await, before);
}

#[tokio::test]
async fn profile_of_another_org_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let other = app
        .store
        .create_org(&crm_profiles::domain::seed::new_org("Other", "boss@other.example"), app.now())
        .await
        .unwrap();
    let boss = app.token_for("boss@other.example", &[PROFILES_ALL]).await;
    let (status, answer) = app.clone_profile(&boss, other.profile_ids[1], "Sales").await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let theirs = answer["profiles"][0]["details"]["id"].as_str().unwrap().to_owned();
    let before = read_profile(&app, &boss, &theirs).await;

    let body = r#"{"profiles":[{"name":"Renamed"}]}"#;
    let (status, answer) = app.put(&profile_path("v8", &theirs), &token, body).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    insta::assert_json_snapshot!(redact(&answer), @r#"
    {
      "code": "INVALID_DATA",
      "details": {
        "resource_path_index": 2
      },
      "message": "the id given seems to be invalid or already deleted",
      "status": "error"
    }
    "#);
    assert_eq!(read_profile(&app, &boss, &theirs).await, before);
}

// --- who may update ----------------------------------------------------------------------------

#[tokio::test]
async fn update_needs_the_update_scope() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let id = clone_standard(&app, &admin, "Sales").await;
    let body = r#"{"profiles":[{"name":"Renamed"}]}"#;

    for scope in ["ZohoCRM.settings.profiles.READ", "ZohoCRM.settings.profiles.CREATE"] {
        let token = app.token_for(ADMIN, &[scope]).await;
        let before = read_profile(&app, &admin, &id).await;
        let (status, answer) = app.put(&profile_path("v8", &id), &token, body).await;

        assert_eq!(status, StatusCode::UNAUTHORIZED, "{scope}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&answer), @r#"
            {
              "code": "OAUTH_SCOPE_MISMATCH",
              "details": {},
              "message": "invalid oauth scope to access this URL",
              "status": "error"
            }
            "#);
        }
        assert_eq!(read_profile(&app, &admin, &id).await, before);
    }

    let token = app.token_for(ADMIN, &["ZohoCRM.settings.profiles.UPDATE"]).await;
    let (status, answer) = app.put(&profile_path("v8", &id), &token, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(read_profile(&app, &admin, &id).await["profiles"][0]["name"], "Renamed");
}

#[tokio::test]
async fn caller_without_manage_profiles_gets_no_permission() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let id = clone_standard(&app, &admin, "Sales").await;
    let token = app.token_for(STANDARD_USER, &[PROFILES_ALL]).await;
    let before = read_profile(&app, &admin, &id).await;

    let body = r#"{"profiles":[{"name":"Renamed"}]}"#;
    let (status, answer) = app.put(&profile_path("v8", &id), &token, body).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    insta::assert_json_snapshot!(redact(&answer), @r#"
    {
      "code": "NO_PERMISSION",
      "details": {
        "permissions": [
          "Crm_Implied_Manage_Profiles"
        ]
      },
      "message": "permission denied",
      "status": "error"
    }
    "#);
    assert_eq!(read_profile(&app, &admin, &id).await, before);
}

#[tokio::test]
async fn a_name_taken_in_another_org_is_free_in_this_one() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let other = app
        .store
        .create_org(&crm_profiles::domain::seed::new_org("Other", "boss@other.example"), app.now())
        .await
        .unwrap();
    let boss = app.token_for("boss@other.example", &[PROFILES_ALL]).await;
    let (status, answer) = app.clone_profile(&boss, other.profile_ids[1], "Sales Manager").await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let id = clone_standard(&app, &token, "Sales").await;

    updated(&app, &token, &id, r#"{"profiles":[{"name":"Sales Manager"}]}"#).await;

    assert_eq!(read_profile(&app, &token, &id).await["profiles"][0]["name"], "Sales Manager");
}

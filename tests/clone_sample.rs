//! The sample request and response of Zoho's "Create a Profile" page, end to end.

mod common;

use common::{TestApp, redact};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn zoho_sample_clone_creates_a_profile_with_the_source_permissions() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    let body = r#"{"profiles":[{"name":"Sales Manager","description":"Manages Sales for the TX region"}]}"#;
    let (status, created) = app.post(&app.clone_path("v7", app.standard_id()), &token, body).await;

    assert_eq!(status, StatusCode::CREATED);
    insta::assert_json_snapshot!(redact(&created), @r#"
    {
      "profiles": [
        {
          "code": "SUCCESS",
          "details": {
            "id": "[id]"
          },
          "message": "profile created successfully",
          "status": "success"
        }
      ]
    }
    "#);
    let new_id = created["profiles"][0]["details"]["id"].as_str().unwrap().to_owned();

    let names: Vec<_> = app.profiles(&token).await.iter().map(|p| p["name"].clone()).collect();
    assert_eq!(names, vec![json!("Administrator"), json!("Standard"), json!("Sales Manager")]);

    let (_, standard) =
        app.get(&format!("/crm/v8/settings/profiles/{}", app.standard_id()), &token).await;
    let (status, clone) = app.get(&format!("/crm/v8/settings/profiles/{new_id}"), &token).await;
    assert_eq!(status, StatusCode::OK);
    let clone = &clone["profiles"][0];
    let standard = &standard["profiles"][0];
    assert_eq!(clone["permissions_details"], standard["permissions_details"]);
    assert_eq!(clone["sections"], standard["sections"]);
    assert_eq!(clone["description"], "Manages Sales for the TX region");
    assert_eq!(clone["custom"], true);
}

//! The v8 list's query parameters (`page`, `per_page`, `type`, `include_types`,
//! `include_lite_profile`) and `If-Modified-Since` on the list and on one profile.

mod common;

use common::{START, TestApp, redact};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::{OffsetDateTime, UtcOffset};

const LIST: &str = "/crm/v8/settings/profiles";

/// `at` as an HTTP date: `Thu, 28 May 2026 20:26:40 GMT`.
fn http_date(at: i64) -> String {
    let text = OffsetDateTime::from_unix_timestamp(at).unwrap().format(&Rfc2822).unwrap();
    text.strip_suffix(" +0000").map(|t| format!("{t} GMT")).unwrap()
}

/// `at` as ISO-8601 in India's time zone: `2026-05-29T01:56:40+05:30`.
fn iso(at: i64) -> String {
    let india = UtcOffset::from_hms(5, 30, 0).unwrap();
    let time = OffsetDateTime::from_unix_timestamp(at).unwrap().to_offset(india);
    time.format(&Rfc3339).unwrap()
}

/// Clones Standard into each of `names`, returning the new ids.
async fn clone_standard(app: &TestApp, token: &str, names: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for name in names {
        let (status, body) = app.clone_profile(token, app.standard_id(), name).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.push(body["profiles"][0]["details"]["id"].as_str().unwrap().to_owned());
    }
    ids
}

fn names(body: &Value) -> Vec<&str> {
    body["profiles"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect()
}

/// GETs `path` with `If-Modified-Since: since` and returns the status and raw body.
async fn get_since(app: &TestApp, token: &str, path: &str, since: &str) -> (StatusCode, String) {
    let (status, _, body) = app.get_raw(path, token, &[("If-Modified-Since", since)]).await;
    (status, body)
}

/// Expects 304 with an empty body for each of `times`, and 200 with JSON for each of `before`.
async fn check_since(app: &TestApp, token: &str, path: &str, unchanged: &[i64], changed: &[i64]) {
    for &at in unchanged {
        for since in [http_date(at), iso(at)] {
            let (status, body) = get_since(app, token, path, &since).await;
            assert_eq!(status, StatusCode::NOT_MODIFIED, "{path} since {since}: {body}");
            assert_eq!(body, "", "{path} since {since}");
        }
    }
    for &at in changed {
        for since in [http_date(at), iso(at)] {
            let (status, body) = get_since(app, token, path, &since).await;
            assert_eq!(status, StatusCode::OK, "{path} since {since}");
            let body: Value = serde_json::from_str(&body).unwrap();
            assert!(body["profiles"].is_array(), "{body}");
        }
    }
}

// --- page and per_page -------------------------------------------------------------------------

#[tokio::test]
async fn page_and_per_page_split_the_list() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    clone_standard(&app, &token, &["One", "Two", "Three"]).await;
    let pages = [
        (1, &["Administrator", "Standard"][..], true),
        (2, &["One", "Two"][..], true),
        (3, &["Three"][..], false),
    ];

    for (page, expected, more) in pages {
        let (status, body) = app.get(&format!("{LIST}?per_page=2&page={page}"), &token).await;

        assert_eq!(status, StatusCode::OK, "page {page}");
        assert_eq!(names(&body), expected, "page {page}");
        let info = json!({ "page": page, "per_page": 2, "count": expected.len(),
                           "more_records": more, "license_limit": 25 });
        assert_eq!(body["info"], info, "page {page}");
    }
}

#[tokio::test]
async fn per_page_of_1_and_200_are_accepted() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    let (status, body) = app.get(&format!("{LIST}?per_page=1"), &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&body), ["Administrator"]);
    assert_eq!(body["info"]["more_records"], true);

    let (status, body) = app.get(&format!("{LIST}?per_page=200&page=1"), &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&body), ["Administrator", "Standard"]);
    insta::assert_json_snapshot!(body["info"], @r#"
    {
      "page": 1,
      "per_page": 200,
      "count": 2,
      "more_records": false,
      "license_limit": 25
    }
    "#);
}

#[tokio::test]
async fn page_past_the_end_is_204_without_body() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    clone_standard(&app, &token, &["One", "Two", "Three"]).await;

    for query in ["per_page=2&page=4", "page=2", "per_page=5&page=2"] {
        let (status, content_type, body) =
            app.get_raw(&format!("{LIST}?{query}"), &token, &[]).await;

        assert_eq!(status, StatusCode::NO_CONTENT, "{query}");
        assert_eq!(content_type, None, "{query}");
        assert_eq!(body, "", "{query}");
    }
}

#[tokio::test]
async fn per_page_out_of_range_or_not_a_number_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for value in ["0", "201", "x", "-1", "2.5"] {
        let (status, body) = app.get(&format!("{LIST}?per_page={value}"), &token).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(body, @r#"
            {
              "code": "INVALID_DATA",
              "details": {
                "param_name": "per_page"
              },
              "message": "invalid data",
              "status": "error"
            }
            "#);
        }
    }
}

#[tokio::test]
async fn page_below_1_or_not_a_number_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for value in ["0", "x", "-1", "1.5"] {
        let (status, body) = app.get(&format!("{LIST}?page={value}"), &token).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(body, @r#"
            {
              "code": "INVALID_DATA",
              "details": {
                "param_name": "page"
              },
              "message": "invalid data",
              "status": "error"
            }
            "#);
        }
    }
}

// --- type, include_types, include_lite_profile -------------------------------------------------

#[tokio::test]
async fn type_normal_profile_lists_every_profile() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    clone_standard(&app, &token, &["One"]).await;
    let (_, all) = app.get(LIST, &token).await;

    let (status, body) = app.get(&format!("{LIST}?type=normal_profile"), &token).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, all);
    assert_eq!(names(&body), ["Administrator", "Standard", "One"]);
}

#[tokio::test]
async fn type_portal_or_private_profile_is_204() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for kind in ["portal_profile", "private_profile"] {
        let (status, _, body) = app.get_raw(&format!("{LIST}?type={kind}"), &token, &[]).await;

        assert_eq!((status, body.as_str()), (StatusCode::NO_CONTENT, ""), "{kind}");
    }
}

#[tokio::test]
async fn unknown_type_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for kind in ["bogus", "lite_profile", "Normal_Profile"] {
        let (status, body) = app.get(&format!("{LIST}?type={kind}"), &token).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{kind}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(body, @r#"
            {
              "code": "INVALID_DATA",
              "details": {
                "param_name": "type"
              },
              "message": "invalid data",
              "status": "error"
            }
            "#);
        }
    }
}

#[tokio::test]
async fn include_types_lite_and_support_are_accepted() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let (_, all) = app.get(LIST, &token).await;

    for value in ["Lite,Support", "Support,Lite", "Lite", "Support"] {
        let (status, body) = app.get(&format!("{LIST}?include_types={value}"), &token).await;

        assert_eq!(status, StatusCode::OK, "{value}");
        assert_eq!(body, all, "{value}");
    }
}

#[tokio::test]
async fn include_types_other_than_lite_or_support_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for value in ["Foo", "Lite,Foo", "lite", "Lite,"] {
        let (status, body) = app.get(&format!("{LIST}?include_types={value}"), &token).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(body, @r#"
            {
              "code": "INVALID_DATA",
              "details": {
                "param_name": "include_types"
              },
              "message": "invalid data",
              "status": "error"
            }
            "#);
        }
    }
}

#[tokio::test]
async fn include_lite_profile_takes_a_boolean_in_any_case() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let (_, all) = app.get(LIST, &token).await;

    for query in
        ["include_lite_profile=True", "include_lite_profile=true&", "include_lite_profile=FALSE"]
    {
        let (status, body) = app.get(&format!("{LIST}?{query}"), &token).await;

        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(body, all, "{query}");
    }
}

#[tokio::test]
async fn include_lite_profile_other_than_a_boolean_is_invalid_data() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    for value in ["maybe", "1", "yes"] {
        let (status, body) = app.get(&format!("{LIST}?include_lite_profile={value}"), &token).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
        insta::allow_duplicates! {
            insta::assert_json_snapshot!(redact(&body), @r#"
            {
              "code": "INVALID_DATA",
              "details": {
                "param_name": "include_lite_profile"
              },
              "message": "invalid data",
              "status": "error"
            }
            "#);
        }
    }
}

// --- If-Modified-Since -------------------------------------------------------------------------

#[tokio::test]
async fn list_unchanged_since_the_time_given_is_304_without_body() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    check_since(&app, &token, LIST, &[START, START + 1, START + 86_400], &[START - 1]).await;

    // The same moments written by hand, in both forms.
    for (since, expected) in [
        ("Thu, 28 May 2026 20:26:40 GMT", StatusCode::NOT_MODIFIED),
        ("Wed, 21 Oct 2026 07:28:00 GMT", StatusCode::NOT_MODIFIED),
        ("2026-05-29T01:56:40+05:30", StatusCode::NOT_MODIFIED),
        ("2026-05-28T20:26:40+00:00", StatusCode::NOT_MODIFIED),
        ("Thu, 28 May 2026 20:26:39 GMT", StatusCode::OK),
        ("2026-05-29T01:56:39+05:30", StatusCode::OK),
    ] {
        assert_eq!(get_since(&app, &token, LIST, since).await.0, expected, "{since}");
    }
}

#[tokio::test]
async fn unreadable_if_modified_since_is_ignored() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let (_, all) = app.get(LIST, &token).await;

    for since in ["yesterday", "", "2026-05-29", "Thu, 28 May 2026 20:26:40"] {
        let (status, body) = get_since(&app, &token, LIST, since).await;

        assert_eq!(status, StatusCode::OK, "{since:?}");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), all);
    }
}

#[tokio::test]
async fn clone_update_and_delete_each_modify_the_list_again() {
    let app = TestApp::spawn().await;
    // Tokens last an hour; this one outlives the changes below.
    app.clock.set(START + 100);
    let token = app.admin_token().await;

    let id = clone_standard(&app, &token, &["Sales"]).await.remove(0);
    check_since(&app, &token, LIST, &[START + 100], &[START, START + 99]).await;

    app.clock.set(START + 200);
    let path = format!("{LIST}/{id}");
    let (status, _) = app.put(&path, &token, r#"{"profiles":[{"name":"Sales Manager"}]}"#).await;
    assert_eq!(status, StatusCode::OK);
    check_since(&app, &token, LIST, &[START + 200], &[START + 100, START + 199]).await;

    // A refused update is no change.
    app.clock.set(START + 250);
    let (status, _) = app.put(&path, &token, r#"{"profiles":[{"name":"Standard"}]}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    check_since(&app, &token, LIST, &[START + 200], &[START + 199]).await;

    app.clock.set(START + 300);
    let delete = format!("{path}?transfer_to={}", app.standard_id());
    let (status, _) = app.delete(&delete, &token).await;
    assert_eq!(status, StatusCode::OK);
    check_since(&app, &token, LIST, &[START + 300], &[START + 200, START + 299]).await;
}

#[tokio::test]
async fn get_is_304_while_that_profile_is_unchanged() {
    let app = TestApp::spawn().await;
    app.clock.set(START + 100);
    let token = app.admin_token().await;
    let ids = clone_standard(&app, &token, &["Sales", "Support"]).await;
    let path = format!("{LIST}/{}", ids[0]);
    check_since(&app, &token, &path, &[START + 100, START + 500], &[START + 99]).await;

    // A change to another profile leaves this one unmodified.
    app.clock.set(START + 200);
    let other = format!("{LIST}/{}", ids[1]);
    let (status, _) = app.put(&other, &token, r#"{"profiles":[{"name":"Helpdesk"}]}"#).await;
    assert_eq!(status, StatusCode::OK);
    check_since(&app, &token, &path, &[START + 100], &[START + 99]).await;

    app.clock.set(START + 300);
    let (status, _) = app.put(&path, &token, r#"{"profiles":[{"description":"d"}]}"#).await;
    assert_eq!(status, StatusCode::OK);
    check_since(&app, &token, &path, &[START + 300], &[START + 100, START + 299]).await;

    // System profiles were last changed when the org was made.
    let standard = format!("{LIST}/{}", app.standard_id());
    check_since(&app, &token, &standard, &[START], &[START - 1]).await;
}

#[tokio::test]
async fn get_of_a_deleted_profile_is_invalid_data_whatever_the_time_given() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let id = clone_standard(&app, &token, &["Sales"]).await.remove(0);
    let path = format!("{LIST}/{id}");
    let (status, _) =
        app.delete(&format!("{path}?transfer_to={}", app.standard_id()), &token).await;
    assert_eq!(status, StatusCode::OK);

    let (status, content_type, body) =
        app.get_raw(&path, &token, &[("If-Modified-Since", &http_date(START + 86_400))]).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(content_type.is_some());
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["details"], json!({ "resource_path_index": 2 }));
}

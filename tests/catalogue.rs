//! The permission catalogue, as served, against the Administrator example of Zoho's OpenAPI
//! file: same permission names, labels, modules, parents, customizable flags and sections.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use common::TestApp;
use serde_json::Value;

fn zoho_administrator() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/zoho-oas/profiles.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let spec: Value = serde_norway::from_str(&text).expect("profiles.yaml parses");
    let example = &spec["paths"]["/settings/profiles/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
        ["examples"]["Sample"]["value"];
    example["profiles"][0].clone()
}

/// Each permission of a profile body, keyed by name, with parents and sections rewritten as
/// names so that two orgs' ids compare equal.
struct Named {
    permissions: HashMap<String, Value>,
    order: Vec<String>,
    sections: Value,
}

fn named(profile: &Value) -> Named {
    let entries = profile["permissions_details"].as_array().unwrap();
    let names: HashMap<&str, &str> =
        entries.iter().map(|e| (e["id"].as_str().unwrap(), e["name"].as_str().unwrap())).collect();
    let name_of = |id: &Value| Value::from(names[id.as_str().unwrap()]);

    let mut permissions = HashMap::new();
    let mut order = Vec::new();
    for e in entries {
        let name = e["name"].as_str().unwrap().to_owned();
        if permissions.contains_key(&name) {
            continue;
        }
        let mut e = e.clone();
        let map = e.as_object_mut().unwrap();
        map.remove("id");
        map.remove("enabled");
        map.remove("tooltip_msg");
        if let Some(Value::Array(parents)) = map.get_mut("parent_permissions") {
            *parents = parents.iter().map(name_of).collect();
        }
        order.push(name.clone());
        permissions.insert(name, e);
    }

    let mut sections = profile["sections"].clone();
    for section in sections.as_array_mut().unwrap() {
        for category in section["categories"].as_array_mut().unwrap() {
            let ids = category["permissions_details"].as_array().unwrap();
            category["permissions_details"] = ids.iter().map(name_of).collect();
        }
    }
    Named { permissions, order, sections }
}

#[tokio::test]
async fn administrator_matches_zoho_catalogue() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let path = format!("/crm/v8/settings/profiles/{}", app.administrator_id());
    let (_, body) = app.get(&path, &token).await;
    let ours = named(&body["profiles"][0]);
    let zoho = named(&zoho_administrator());

    assert_eq!(ours.order, zoho.order, "same permissions in the same order");
    for name in &zoho.order {
        assert_eq!(ours.permissions[name], zoho.permissions[name], "{name}");
    }
    assert_eq!(ours.sections, zoho.sections);
}

#[tokio::test]
async fn administrator_holds_every_permission_and_standard_no_administrative_one() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let get = |id: i64| format!("/crm/v8/settings/profiles/{id}");
    let (_, admin) = app.get(&get(app.administrator_id()), &token).await;
    let (_, standard) = app.get(&get(app.standard_id()), &token).await;
    let enabled = |body: &Value, name: &str| {
        body["profiles"][0]["permissions_details"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .map(|e| e["enabled"].as_bool().unwrap())
            .unwrap()
    };

    let all = admin["profiles"][0]["permissions_details"].as_array().unwrap();
    assert!(all.iter().all(|e| e["enabled"] == true));
    for admin_only in [
        "Crm_Implied_Manage_Profiles",
        "Crm_Implied_Manage_Users",
        "Crm_Implied_Manage_Roles",
        "Crm_Implied_Customize_Leads",
    ] {
        assert!(!enabled(&standard, admin_only), "{admin_only}");
    }
    for everyday in ["Crm_Implied_View_Leads", "Crm_Implied_Delete_Deals", "Crm_Implied_Api_Access"]
    {
        assert!(enabled(&standard, everyday), "{everyday}");
    }
}

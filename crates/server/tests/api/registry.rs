use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn count(nodes: &Value, kind: &str) -> usize {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| usize::from(n["kind"] == kind) + count(&n["children"], kind))
        .sum()
}

#[tokio::test]
async fn the_institution_tree_has_the_city_community() {
    let app = spawn_app().await;
    let t = app.token("admin").await;
    let (s, tree) = app.get(&t, "/api/v1/institutions/tree").await;
    assert_eq!(s, StatusCode::OK);
    assert!(tree.as_array().unwrap().len() >= 3, "at least three counties");
    let city = &tree[0];
    assert_eq!(city["division_code"], "652301");
    let members = &city["communities"][0]["members"];
    assert_eq!(count(members, "village_clinic"), 35);
    assert_eq!(count(members, "community_health_centre"), 2);
    assert_eq!(
        count(members, "township_health_centre") + count(members, "central_township_health_centre"),
        6
    );
    assert_eq!(members[0]["is_lead"], true, "the lead hospital comes first");
    // Village clinics hang under their township centre.
    let township = members
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["tier"] == "township" && !n["children"].as_array().unwrap().is_empty())
        .unwrap();
    assert_eq!(township["children"][0]["kind"], "village_clinic");
    // A village doctor sees their own county only.
    let v = app.token("village_doctor").await;
    let (_, tree) = app.get(&v, "/api/v1/institutions/tree").await;
    assert_eq!(tree.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn institutions_are_edited_with_versions_and_validated_codes() {
    let app = spawn_app().await;
    let t = app.token("admin").await;
    let (_, tree) = app.get(&t, "/api/v1/institutions/tree").await;
    let lead = tree[0]["communities"][0]["members"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/institutions/{lead}");
    let (s, inst) = app.get(&t, &path).await;
    assert_eq!(s, StatusCode::OK);
    let body = |version: &Value, credit: &str| {
        json!({"version": version, "name": inst["name"], "legal_person": inst["legal_person"], "licence_holder": "昌吉市医共体总院",
               "contract_holder": inst["contract_holder"], "credit_code": credit, "nhsa_code": inst["nhsa_code"]})
    };
    let credit = inst["credit_code"].as_str().unwrap().to_owned();
    let mut broken = credit.clone();
    broken.pop();
    broken.push(if credit.ends_with('0') { '1' } else { '0' });
    let (s, p) = app.put(&t, &path, &body(&inst["version"], &broken)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "credit_code");
    assert_eq!(p["errors"][0]["rule"], "gb32100.check_character");
    let (s, updated) = app.put(&t, &path, &body(&inst["version"], &credit)).await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    assert_eq!(updated["licence_holder"], "昌吉市医共体总院");
    assert_eq!(
        updated["legal_person"], inst["legal_person"],
        "legal person and licence holder are separate"
    );
    let (s, p) = app.put(&t, &path, &body(&inst["version"], &credit)).await;
    assert_eq!(s, StatusCode::CONFLICT, "stale version");
    assert_eq!(p["current_version"], updated["version"]);
    // Non-administrators cannot edit.
    let d = app.token("specialist").await;
    let (s, _) = app.put(&d, &path, &body(&updated["version"], &credit)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Departments and staff (with post-owner vs working institution).
    let (s, depts) = app.get(&t, &format!("{path}/departments")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(depts.as_array().unwrap().iter().any(|d| d["specialty"] == "neurology"));
    let township = tree[0]["communities"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "central_township_health_centre")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, staff) = app.get(&t, &format!("/api/v1/institutions/{township}/staff")).await;
    assert!(
        staff
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["post_institution_id"] == lead.as_str() && s["working_institution_id"] == township.as_str()),
        "staffing pool: county post, township work"
    );
}

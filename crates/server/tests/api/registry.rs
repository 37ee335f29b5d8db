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
    // Another institution's NHSA code: 409 naming the field (was a 500 from the constraint);
    // another county's code: 422 by the county rule; nothing changes either way.
    let other = tree[0]["communities"][0]["members"][1]["id"].as_str().unwrap();
    let (_, other) = app.get(&t, &format!("/api/v1/institutions/{other}")).await;
    let mut taken = body(&updated["version"], &credit);
    taken["nhsa_code"] = other["nhsa_code"].clone();
    let (s, p) = app.put(&t, &path, &taken).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(
        (p["errors"][0]["field"].as_str(), p["errors"][0]["rule"].as_str()),
        (Some("nhsa_code"), Some("unique"))
    );
    let own = inst["nhsa_code"].as_str().unwrap();
    let mut foreign = body(&updated["version"], &credit);
    foreign["nhsa_code"] = json!(format!("H652302{}", &own[7..]));
    let (s, p) = app.put(&t, &path, &foreign).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["rule"], "nhsa.county");
    assert_eq!(app.get(&t, &path).await.1["version"], updated["version"]);
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

#[tokio::test]
async fn administrators_create_institutions_departments_and_staff() {
    let app = spawn_app().await;
    let t = app.token("county_admin").await;
    let (_, tree) = app.get(&t, "/api/v1/institutions/tree").await;
    let community = tree[0]["communities"][0]["id"].as_str().unwrap().to_owned();
    let township = tree[0]["communities"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "central_township_health_centre")
        .unwrap()
        .clone();
    let village_area = township["children"][0]["area_code"].as_str().unwrap().to_owned();
    let body = json!({"name": "新建村卫生室", "tier": "village", "kind": "village_clinic", "area_code": village_area, "community_id": community,
        "parent_id": township["id"], "legal_person": "卫生院", "licence_holder": "新建村卫生室", "contract_holder": "卫生院"});
    let (s, inst) = app.post(&t, "/api/v1/institutions", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{inst}");
    let mut bad = body.clone();
    bad["tier"] = json!("province");
    bad["area_code"] = json!("652302101201");
    bad["nhsa_code"] = json!("X1");
    let (s, p) = app.post(&t, "/api/v1/institutions", &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["tier", "nhsa_code"], "{p}");
    let mut other = body.clone();
    other["area_code"] = json!("652302101201");
    let (s, p) = app.post(&t, "/api/v1/institutions", &other).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let id = inst["id"].as_str().unwrap();
    let (s, d) = app
        .post(
            &t,
            &format!("/api/v1/institutions/{id}/departments"),
            &json!({"name": "全科", "specialty": "general_practice"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let (s, st) = app
        .post(&t, &format!("/api/v1/institutions/{id}/staff"), &json!({"name": "新医生", "profession": "village_doctor", "title": "乡村医生", "qualifications": ["乡村医生执业证书"], "post_institution_id": township["id"], "department_id": d["id"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{st}");
    assert_eq!(st["post_institution_id"], township["id"]);
    let nurse = app.token("nurse").await;
    let (s, _) = app.post(&nurse, "/api/v1/institutions", &body).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

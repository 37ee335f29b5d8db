use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{new_id_number, spawn_app, with_wrong_check};

#[tokio::test]
async fn a_village_doctor_registers_and_finds_a_resident() {
    let app = spawn_app().await;
    let t = app.token("village_doctor").await;
    let village = app.me(&t).await["scope"].as_str().unwrap().to_owned();
    assert_eq!(village.len(), 12);
    let id = new_id_number("652301", 517);
    let before = app.resident_count().await;
    // Wrong check digit: 422 naming the field, the rule and the expected character; nothing written.
    let (s, p) = app
        .post(
            &t,
            "/api/v1/residents",
            &json!({"id_number": with_wrong_check(&id), "name": "马建军", "village_code": village}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "id_number");
    assert_eq!(p["errors"][0]["rule"], "gb11643.check_digit");
    assert_eq!(
        p["errors"][0]["expected"],
        format!("check character {}", id.chars().last().unwrap())
    );
    assert_eq!(app.resident_count().await, before);
    // Correct it.
    let (s, r) = app
        .post(
            &t,
            "/api/v1/residents",
            &json!({"id_number": id, "name": "马建军", "village_code": village, "phone": "13912345678", "household_no": "H-77"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["sex"], "male");
    assert_eq!(r["birth_date"], "1961-03-09");
    assert_eq!(r["id_number"], id);
    // Duplicate: 409.
    let (s, p) = app
        .post(
            &t,
            "/api/v1/residents",
            &json!({"id_number": id, "name": "马建军", "village_code": village}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(p["errors"][0]["rule"], "unique");
    // Found by ID number, masked in the list.
    let list = app.residents(&t, &format!("id_number={id}")).await;
    assert_eq!(list["total"], 1);
    let item = &list["items"][0];
    assert_eq!(item["id_number_masked"], format!("{}********{}", &id[..6], &id[14..]));
    assert_eq!(item["phone_masked"], "139****5678");
    assert!(!list.to_string().contains(&id), "the full ID number never appears in a list");
    // By name prefix and by village.
    assert!(app.residents(&t, "name=马建").await["total"].as_i64().unwrap() >= 1);
    assert!(app.residents(&t, &format!("area={village}")).await["total"].as_i64().unwrap() >= 1);
    // Full record.
    let (s, detail) = app.get(&t, &format!("/api/v1/residents/{}", r["id"].as_str().unwrap())).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(detail["phone"], "13912345678");
    assert_eq!(detail["household_no"], "H-77");
}

#[tokio::test]
async fn bad_fields_are_all_reported() {
    let app = spawn_app().await;
    let t = app.token("township_doctor").await;
    let township = app.me(&t).await["scope"].as_str().unwrap().to_owned();
    let cases = [
        (
            json!({"id_number": "65230119610309", "name": "甲", "village_code": format!("{township}201")}),
            "id_number",
            "gb11643.length",
        ),
        (
            json!({"id_number": "652301196102300011", "name": "甲", "village_code": format!("{township}201")}),
            "id_number",
            "gb11643.birth_date",
        ),
        (
            json!({"id_number": new_id_number("652301", 1), "name": "甲", "village_code": "65230110"}),
            "village_code",
            "area.format",
        ),
        (
            json!({"id_number": new_id_number("652301", 1), "name": "甲", "village_code": format!("{township}999")}),
            "village_code",
            "area.registered",
        ),
        (
            json!({"id_number": new_id_number("652301", 1), "name": "甲", "village_code": "652302101201"}),
            "village_code",
            "scope.area",
        ),
        (
            json!({"id_number": new_id_number("652301", 1), "name": "  ", "village_code": format!("{township}201")}),
            "name",
            "required",
        ),
        (
            json!({"id_number": new_id_number("652301", 1), "name": "甲", "phone": "12345", "village_code": format!("{township}201")}),
            "phone",
            "phone.format",
        ),
    ];
    let before = app.resident_count().await;
    for (body, field, rule) in cases {
        let (s, p) = app.post(&t, "/api/v1/residents", &body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {p}");
        assert!(
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field && e["rule"] == rule),
            "{body} → {p}"
        );
    }
    assert_eq!(app.resident_count().await, before, "nothing written");
}

#[tokio::test]
async fn scope_hides_other_villages_like_missing_records() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let doctor = app.token("village_doctor").await;
    let village = app.me(&doctor).await["scope"].as_str().unwrap().to_owned();
    let all = app.residents(&admin, "limit=500").await;
    let own = app.residents(&doctor, "limit=500").await;
    assert!(own["total"].as_i64().unwrap() > 0);
    assert!(own["total"].as_i64().unwrap() < all["total"].as_i64().unwrap());
    assert!(
        own["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["village_code"] == village.as_str())
    );
    let other = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["village_code"] != village.as_str())
        .unwrap();
    let (s1, b1) = app
        .get(&doctor, &format!("/api/v1/residents/{}", other["id"].as_str().unwrap()))
        .await;
    let (s2, b2) = app.get(&doctor, "/api/v1/residents/00000000-0000-7000-8000-000000000000").await;
    assert_eq!(s1, StatusCode::NOT_FOUND);
    assert_eq!((s1, b1), (s2, b2), "out of scope is indistinguishable from missing");
    // A county specialist sees the whole county; the pool administrator every county.
    let specialist = app.token("specialist").await;
    let county = app.residents(&specialist, "limit=1").await["total"].as_i64().unwrap();
    assert!(county > own["total"].as_i64().unwrap() && county < all["total"].as_i64().unwrap());
}

#[tokio::test]
async fn concurrent_edits_do_not_lose_a_write() {
    let app = spawn_app().await;
    let t = app.token("village_doctor").await;
    let list = app.residents(&t, "limit=1").await;
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, r) = app.get(&t, &format!("/api/v1/residents/{id}")).await;
    let edit = |name: &str| json!({"version": r["version"], "name": name, "village_code": r["village_code"], "address": r["address"], "phone": r["phone"]});
    let (s1, a) = app.put(&t, &format!("/api/v1/residents/{id}"), &edit("甲")).await;
    let (s2, b) = app.put(&t, &format!("/api/v1/residents/{id}"), &edit("乙")).await;
    assert_eq!(s1, StatusCode::OK, "{a}");
    assert_eq!(s2, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["current_version"], a["version"]);
    let (_, now) = app.get(&t, &format!("/api/v1/residents/{id}")).await;
    assert_eq!(now["name"], "甲");
}

#[tokio::test]
async fn duplicates_are_merged_with_history() {
    let app = spawn_app().await;
    let doctor = app.token("village_doctor").await;
    let admin = app.token("admin").await;
    let village = app.me(&doctor).await["scope"].as_str().unwrap().to_owned();
    let mk = |seq: u16| json!({"id_number": new_id_number("652301", seq), "name": "重复人", "village_code": village});
    let (_, a) = app.post(&doctor, "/api/v1/residents", &mk(601)).await;
    let (_, b) = app.post(&doctor, "/api/v1/residents", &mk(603)).await;
    let (a, b) = (a["id"].as_str().unwrap().to_owned(), b["id"].as_str().unwrap().to_owned());
    let (s, _) = app
        .post(&doctor, &format!("/api/v1/residents/{a}/merge"), &json!({"merged_id": b}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only administrators merge");
    let (s, survivor) = app
        .post(&admin, &format!("/api/v1/residents/{a}/merge"), &json!({"merged_id": b}))
        .await;
    assert_eq!(s, StatusCode::OK, "{survivor}");
    assert_eq!(survivor["merges"][0]["merged_id"], b.as_str());
    let (_, merged) = app.get(&admin, &format!("/api/v1/residents/{b}")).await;
    assert_eq!(merged["status"], "merged");
    assert_eq!(merged["merged_into_id"], a.as_str());
    assert_eq!(
        app.residents(&admin, "name=重复人").await["total"],
        1,
        "merged records leave searches"
    );
    let (s, _) = app
        .post(&admin, &format!("/api/v1/residents/{a}/merge"), &json!({"merged_id": a}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a record cannot absorb itself");
}

#[tokio::test]
async fn the_insurance_bureau_records_enrolment() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let doctor = app.token("village_doctor").await;
    let id = app.residents(&officer, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/residents/{id}/enrolments");
    let (s, _) = app.post(&doctor, &path, &json!({"insurance_type": "390", "year": 2020})).await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND);
    let (s, p) = app.post(&officer, &path, &json!({"insurance_type": "999", "year": 1800})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"].as_array().unwrap().len(), 2, "{p}");
    let (s, r) = app
        .post(
            &officer,
            &path,
            &json!({"insurance_type": "390", "year": 2020, "enrolled_on": "2019-12-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert!(
        r["enrolments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["year"] == 2020 && e["insurance_type_zh"] == "城乡居民基本医疗保险")
    );
    let (s, _) = app.post(&officer, &path, &json!({"insurance_type": "390", "year": 2020})).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

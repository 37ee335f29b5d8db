//! Mutual recognition of results (检查检验结果互认): the check, orders with decisions, the savings
//! ledger, pushes and CSV imports, scope and audit.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, new_id_number, rejected_lines, spawn_app};

const BLOOD_COUNT: &str = "250101015";
const POTASSIUM: &str = "250301001";
const SODIUM: &str = "250301002";
const GLUCOSE: &str = "250302001";
const IMPORT: &str = "/api/v1/results/import";

/// The institutions and people of a scenario: a new resident of the village doctor's village, the
/// lead hospital (producer), the village clinic (orderer), a centre that failed its quality control
/// and one outside the list's scope.
struct Scene {
    admin: String,
    doctor: String,
    resident: String,
    lead: String,
    lead_name: String,
    clinic: String,
    failed: String,
    elsewhere: String,
}

async fn institution_of(app: &TestApp, username: &str) -> String {
    sanyi_store::users::by_username(&app.db, username)
        .await
        .unwrap()
        .and_then(|u| u.institution_id)
        .unwrap()
}

async fn scene(app: &TestApp, seq: u16) -> Scene {
    let admin = app.token("admin").await;
    let doctor = app.token("village_doctor").await;
    let village = app.me(&doctor).await["scope"].as_str().unwrap().to_owned();
    let (s, r) = app
        .post(
            &doctor,
            "/api/v1/residents",
            &json!({"id_number": new_id_number("652301", seq), "name": "互认测试", "village_code": village}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let lead = institution_of(app, "specialist").await;
    let clinic = institution_of(app, "village_doctor").await;
    let institutions = sanyi_store::registry::institutions(&app.db, "652301").await.unwrap();
    let lead_name = institutions.iter().find(|i| i.id == lead).unwrap().name.clone();
    let mut townships = institutions
        .iter()
        .filter(|i| i.tier == "township" && i.id != clinic)
        .map(|i| i.id.clone());
    let failed = townships.next().unwrap();
    let elsewhere = townships.next().unwrap();
    let (s, v) = app
        .put(
            &admin,
            "/api/v1/recognition/participants",
            &json!({"participants": [
                {"institution_id": lead, "scopes": ["昌吉州HR"], "qc_passed": true, "qc_date": "2026-01-10"},
                {"institution_id": clinic, "scopes": ["昌吉州HR"], "qc_passed": true},
                {"institution_id": failed, "scopes": ["昌吉州HR"], "qc_passed": false, "qc_date": "2026-01-10"},
                {"institution_id": elsewhere, "scopes": ["新疆HR"], "qc_passed": true},
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    Scene {
        admin,
        doctor,
        resident: r["id"].as_str().unwrap().to_owned(),
        lead,
        lead_name,
        clinic,
        failed,
        elsewhere,
    }
}

fn days_ago(d: i64) -> String {
    (Utc::now() - Duration::days(d)).to_rfc3339()
}

async fn push(app: &TestApp, token: &str, body: &Value) -> Value {
    let (s, v) = app.post(token, "/api/v1/results", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn check(app: &TestApp, token: &str, resident: &str, item: &str) -> Value {
    let (s, v) = app
        .post(
            token,
            "/api/v1/recognition/check",
            &json!({"resident_id": resident, "item_code": item}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn price_village(app: &TestApp, token: &str, item: &str) -> i64 {
    let (_, cat) = app.get(token, "/api/v1/recognition/items").await;
    cat["items"].as_array().unwrap().iter().find(|i| i["code"] == item).unwrap()["price_village"]
        .as_i64()
        .unwrap()
}

/// The check holds the catalogue and participants in memory: a change through the API reaches
/// the very next check (QC withdrawn → no candidate; a shorter window → no candidate).
#[tokio::test]
async fn catalogue_and_participant_changes_reach_the_next_check() {
    let app = spawn_app().await;
    let s = scene(&app, 611).await;
    push(
        &app,
        &s.admin,
        &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT, "value": "WBC 6.1", "reported_at": days_ago(3), "institution_id": s.lead}),
    )
    .await;
    assert_eq!(
        check(&app, &s.doctor, &s.resident, BLOOD_COUNT).await["candidates"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (st, v) = app
        .put(
            &s.admin,
            "/api/v1/recognition/participants",
            &json!({"participants": [{"institution_id": s.lead, "scopes": ["昌吉州HR"], "qc_passed": false}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        check(&app, &s.doctor, &s.resident, BLOOD_COUNT).await["candidates"],
        json!([]),
        "QC withdrawn"
    );
    let (st, _) = app
        .put(
            &s.admin,
            "/api/v1/recognition/participants",
            &json!({"participants": [{"institution_id": s.lead, "scopes": ["昌吉州HR"], "qc_passed": true}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        check(&app, &s.doctor, &s.resident, BLOOD_COUNT).await["candidates"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (_, cat) = app.get(&s.admin, "/api/v1/recognition/items").await;
    let mut item = cat["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == BLOOD_COUNT)
        .unwrap()
        .clone();
    item["window_days"] = json!(2);
    let (st, v) = app.put(&s.admin, "/api/v1/recognition/items", &json!({"items": [item]})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        check(&app, &s.doctor, &s.resident, BLOOD_COUNT).await["candidates"],
        json!([]),
        "window now 2 days"
    );
}

#[tokio::test]
async fn the_check_finds_recent_results_of_qualified_producers_in_scope_only() {
    let app = spawn_app().await;
    let s = scene(&app, 601).await;
    let pushed = push(
        &app,
        &s.admin,
        &json!({"results": [
            {"resident_id": s.resident, "item_code": BLOOD_COUNT, "value": "WBC 6.1", "reported_at": days_ago(3), "institution_id": s.lead, "report_no": "L-1"},
            {"resident_id": s.resident, "item_code": POTASSIUM, "value": "4.0", "unit": "mmol/L", "reported_at": days_ago(9), "institution_id": s.lead},
            {"resident_id": s.resident, "item_code": SODIUM, "value": "140", "reported_at": days_ago(1), "institution_id": s.failed},
            {"resident_id": s.resident, "item_code": GLUCOSE, "value": "5.4", "reported_at": days_ago(1), "institution_id": s.elsewhere},
        ]}),
    )
    .await;
    assert_eq!(pushed["inserted"], 4);
    let blood = pushed["results"][0]["id"].as_str().unwrap();
    assert_eq!(
        pushed["results"][0]["hr_mark"], "昌吉州HR",
        "a QC-passed participant's result carries the mark"
    );
    assert_eq!(pushed["results"][2]["hr_mark"], Value::Null, "a QC-failed producer's does not");

    let c = check(&app, &s.doctor, &s.resident, BLOOD_COUNT).await;
    assert_eq!(c["decision_required"], true);
    let only = c["candidates"].as_array().unwrap();
    assert_eq!(only.len(), 1, "{c}");
    assert_eq!(only[0]["result_id"], blood);
    assert_eq!(only[0]["age_days"], 3);
    assert_eq!(only[0]["institution_name"], s.lead_name.as_str());
    assert_eq!(only[0]["scope"], "昌吉州HR");
    assert_eq!(only[0]["value"], "WBC 6.1");
    // The older code of the item is recognised as the same item.
    assert_eq!(
        check(&app, &s.doctor, &s.resident, "250101001").await["candidates"][0]["result_id"],
        blood
    );
    // Out of the 7-day window, from a producer that failed QC, from one outside the list's scope.
    for item in [POTASSIUM, SODIUM, GLUCOSE] {
        let c = check(&app, &s.doctor, &s.resident, item).await;
        assert_eq!(c["candidates"], json!([]), "{item}: {c}");
        assert_eq!(c["decision_required"], false);
    }
    // Sending the same report again stores nothing new.
    let again = push(
        &app,
        &s.admin,
        &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT, "value": "WBC 6.1", "reported_at": days_ago(3), "institution_id": s.lead, "report_no": "L-1"}),
    )
    .await;
    assert_eq!((again["inserted"].as_i64(), again["already_present"].as_i64()), (Some(0), Some(1)));
    assert_eq!(again["results"][0]["id"], blood);
    // An unknown item is a field error.
    let (st, p) = app
        .post(
            &s.doctor,
            "/api/v1/recognition/check",
            &json!({"resident_id": s.resident, "item_code": "999"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["rule"], "recognition.item");
}

async fn order_count(app: &TestApp, s: &Scene) -> usize {
    let (_, v) = app.get(&s.doctor, &format!("/api/v1/residents/{}/results", s.resident)).await;
    v["orders"].as_array().unwrap().len()
}

#[tokio::test]
async fn an_order_needs_a_decision_and_a_recognition_books_the_orderers_price() {
    let app = spawn_app().await;
    let s = scene(&app, 602).await;
    let pushed = push(
        &app,
        &s.admin,
        &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT, "value": "Hb 128", "reported_at": days_ago(2), "institution_id": s.lead}),
    )
    .await;
    let blood = pushed["results"][0]["id"].as_str().unwrap().to_owned();

    // No decision: refused with the candidates, nothing stored.
    let (st, p) = app
        .post(
            &s.doctor,
            "/api/v1/orders",
            &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["type"], "urn:sanyi:problem:decision-required");
    assert_eq!(p["candidates"][0]["result_id"], blood.as_str());
    assert_eq!(p["candidates"][0]["age_days"], 2);
    assert_eq!(order_count(&app, &s).await, 0);

    // A result that is not a candidate, a repeat for "other necessity" without a note: refused.
    let (st, p) = app
        .post(
            &s.doctor,
            "/api/v1/orders",
            &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT, "decision": {"recognised": {"result": "not-a-result"}}}),
        )
        .await;
    assert_eq!(
        (st, p["errors"][0]["rule"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("recognition.candidate"))
    );
    let (st, p) = app
        .post(
            &s.doctor,
            "/api/v1/orders",
            &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT, "decision": {"repeated": {"reason": "clinically_necessary", "note": " "}}}),
        )
        .await;
    assert_eq!(
        (st, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("decision.repeated.note"))
    );
    let (st, _) = app
        .post(
            &s.doctor,
            "/api/v1/orders",
            &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT, "decision": {"repeated": {"reason": "because"}}}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "an unknown reason is a shape error");
    assert_eq!(order_count(&app, &s).await, 0);

    // Recognised: the saving is the avoided item at the village clinic's price level, although the
    // county hospital produced the result.
    let (st, o) = app
        .post(
            &s.doctor,
            "/api/v1/orders",
            &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT, "decision": {"recognised": {"result": blood}}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_eq!(o["decision"], "recognised");
    assert_eq!(o["recognised_result_id"], blood.as_str());
    assert_eq!(o["price_level"], "village");
    let village_price = price_village(&app, &s.doctor, BLOOD_COUNT).await;
    assert!(village_price > 0);
    assert_eq!(o["saving_fen"], village_price);

    // Ordered anyway with a reason: written to the record, no saving.
    let (st, o) = app
        .post(
            &s.doctor,
            "/api/v1/orders",
            &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT, "decision": {"repeated": {"reason": "emergency", "note": "急性胸痛"}}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_eq!(
        (o["decision"].as_str(), o["retest_reason"].as_str()),
        (Some("repeated"), Some("emergency"))
    );
    assert_eq!(o["retest_reason_zh"], "急诊、急救");
    assert_eq!(o["note"], "急性胸痛");
    assert_eq!(o["saving_fen"], Value::Null);

    // Nothing recognisable: a plain order needs no decision.
    let (st, o) = app
        .post(
            &s.doctor,
            "/api/v1/orders",
            &json!({"resident_id": s.resident, "item_code": POTASSIUM}),
        )
        .await;
    assert_eq!((st, o["decision"].as_str()), (StatusCode::CREATED, Some("ordered")));
    assert_eq!(order_count(&app, &s).await, 3);

    // The clinic's subtree: one recognition, one repeat, the saving.
    let (st, ind) = app
        .get(&s.admin, &format!("/api/v1/recognition/indicators?institution_id={}", s.clinic))
        .await;
    assert_eq!(st, StatusCode::OK, "{ind}");
    assert_eq!((ind["recognitions"].as_i64(), ind["repeats"].as_i64()), (Some(1), Some(1)));
    assert_eq!(ind["rate"]["basis_points"], 5_000);
    assert_eq!(ind["savings_fen"], village_price);
    assert_eq!(ind["by_institution"][0]["institution_id"], s.clinic.as_str());
    let this_month = Utc::now().format("%Y-%m").to_string();
    let month = ind["by_month"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == this_month.as_str())
        .unwrap();
    assert!(month["recognitions"].as_i64().unwrap() >= 1);
    // The whole pool counts the demo's past orders too.
    let (_, all) = app.get(&s.admin, "/api/v1/recognition/indicators").await;
    assert!(
        all["recognitions"].as_i64().unwrap() > 1 && all["savings_fen"].as_i64().unwrap() > village_price,
        "{all}"
    );
}

#[tokio::test]
async fn pushes_are_checked_whole_and_csv_imports_report_each_bad_row() {
    let app = spawn_app().await;
    let s = scene(&app, 603).await;
    // A batch with one bad result stores nothing.
    let (st, p) = app
        .post(
            &s.admin,
            "/api/v1/results",
            &json!({"results": [
                {"resident_id": s.resident, "item_code": BLOOD_COUNT, "value": "ok", "reported_at": days_ago(1), "institution_id": s.lead},
                {"resident_id": s.resident, "item_code": "999999", "value": "", "reported_at": "tomorrow", "institution_id": s.lead},
            ]}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["results[1].item_code", "results[1].value", "results[1].reported_at"]);
    let (_, mine) = app.get(&s.doctor, &format!("/api/v1/residents/{}/results", s.resident)).await;
    assert_eq!(mine["results"], json!([]));
    // A doctor records results of their own institution only.
    let (st, p) = app
        .post(
            &s.doctor,
            "/api/v1/results",
            &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT, "value": "x", "reported_at": days_ago(1), "institution_id": s.lead}),
        )
        .await;
    assert_eq!(
        (st, p["errors"][0]["rule"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("institution.own"))
    );

    let id_number = new_id_number("652301", 603);
    let unknown = new_id_number("652301", 699);
    let future = (Utc::now() + Duration::days(2)).format("%Y-%m-%d").to_string();
    let csv = format!(
        "id_number,item_code,value,unit,reported_at,report_no,institution_id\n\
         {id_number},{POTASSIUM},4.2,mmol/L,{today},R-1,{lead}\n\
         {id_number},999999,1,,{today},R-2,{lead}\n\
         {unknown},{POTASSIUM},4.2,,{today},R-3,{lead}\n\
         {id_number},{SODIUM},139,,{future},R-4,{lead}\n\
         {id_number},{SODIUM},139,,{today},R-1,{lead}\n\
         too,few\n\
         {id_number},{GLUCOSE},5.1,,{yesterday} 08:30,R-5,{lead}\n",
        today = Utc::now().format("%Y-%m-%d"),
        // A local time that is in the past whatever the hour: 08:30 today (Asia/Shanghai) is still
        // ahead before 00:30 UTC.
        yesterday = (Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%d"),
        lead = s.lead
    );
    let (st, report) = app.post_csv(&s.admin, IMPORT, &csv).await;
    assert_eq!(st, StatusCode::OK, "{report}");
    assert_eq!((report["rows"].as_i64(), report["inserted"].as_i64()), (Some(7), Some(2)));
    let lines = rejected_lines(&report);
    assert_eq!(
        lines,
        vec![
            (3, "recognition.item".into()),
            (4, "resident.unknown".into()),
            (5, "date.past".into()),
            (6, "csv.duplicate".into()),
            (7, "csv.columns".into()),
        ]
    );
    let (_, mine) = app.get(&s.doctor, &format!("/api/v1/residents/{}/results", s.resident)).await;
    let sources: Vec<&str> = mine["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, vec!["csv", "csv"]);
    // Importing the same file again stores nothing new.
    let (_, again) = app.post_csv(&s.admin, IMPORT, &csv).await;
    assert_eq!((again["inserted"].as_i64(), again["already_present"].as_i64()), (Some(0), Some(2)));
    // Only administrators import; a missing column is named.
    let (st, _) = app.post_csv(&s.doctor, IMPORT, "id_number,item_code\n").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, p) = app.post_csv(&s.admin, IMPORT, "id_number,item_code,value\n").await;
    assert_eq!(
        (st, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reported_at"))
    );
}

#[tokio::test]
async fn scope_comes_first_and_reads_and_orders_are_audited() {
    let app = spawn_app().await;
    let s = scene(&app, 604).await;
    push(
        &app,
        &s.admin,
        &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT, "value": "Hb 140", "reported_at": days_ago(1), "institution_id": s.lead}),
    )
    .await;
    // A resident of another county looks missing to the village doctor.
    let other = sanyi_store::residents::search(
        &app.db,
        &sanyi_store::residents::ResidentScope::new("652302").unwrap(),
        &Default::default(),
        sanyi_store::Page { offset: 0, limit: 1 },
    )
    .await
    .unwrap()
    .items[0]
        .id
        .clone();
    let (st, _) = app.get(&s.doctor, &format!("/api/v1/residents/{other}/results")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = app
        .post(
            &s.doctor,
            "/api/v1/recognition/check",
            &json!({"resident_id": other, "item_code": BLOOD_COUNT}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Nurses read results but do not order; the catalogue is edited by the pool's administrators.
    let nurse = app.token("nurse").await;
    let (st, _) = app
        .post(
            &nurse,
            "/api/v1/recognition/check",
            &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let county_admin = app.token("county_admin").await;
    let item = json!({"items": [{"code": "X1", "name": "测试", "class": "routine_lab", "window_days": 7, "scope": "昌吉州HR", "price_county": 1, "price_township": 1, "price_village": 1}]});
    let (st, _) = app.put(&county_admin, "/api/v1/recognition/items", &item).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, p) = app
        .put(
            &s.admin,
            "/api/v1/recognition/items",
            &json!({"items": [{"code": "X1", "name": "", "class": "blood", "window_days": 400, "scope": "昌吉州HR", "price_county": -1, "price_township": 1, "price_village": 1}]}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let rules: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["required", "enum", "range", "money.non_negative"]);
    let (st, cat) = app.put(&s.admin, "/api/v1/recognition/items", &item).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        cat["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == "X1" && i["class_zh"] == "常规检验")
    );

    check(&app, &s.doctor, &s.resident, BLOOD_COUNT).await;
    let (st, _) = app
        .post(
            &s.doctor,
            "/api/v1/orders",
            &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT, "decision": {"repeated": {"reason": "patient_request", "note": ""}}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    app.get(&s.doctor, &format!("/api/v1/residents/{}/results", s.resident)).await;
    let (_, log) = app.get(&s.admin, &format!("/api/v1/audit?resident_id={}", s.resident)).await;
    let seen: Vec<(String, String, String)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let f = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (f("username"), f("action"), f("entity"))
        })
        .collect();
    for want in [
        ("admin", "create", "result"),
        ("village_doctor", "read", "result"),
        ("village_doctor", "order", "test_order"),
    ] {
        assert!(
            seen.iter().any(|(u, a, e)| (u.as_str(), a.as_str(), e.as_str()) == want),
            "{want:?} missing from {seen:?}"
        );
    }
}

#[tokio::test]
async fn the_pages_show_results_with_marks_prompt_at_ordering_and_chart_the_dashboard() {
    let app = spawn_app().await;
    let s = scene(&app, 605).await;
    let pushed = push(
        &app,
        &s.admin,
        &json!({"resident_id": s.resident, "item_code": BLOOD_COUNT, "value": "Hb 131", "reported_at": days_ago(4), "institution_id": s.lead}),
    )
    .await;
    let blood = pushed["results"][0]["id"].as_str().unwrap().to_owned();
    app.submit("/login", &[("username", "village_doctor"), ("password", crate::helpers::PASSWORD)])
        .await;
    let page = |path: String| {
        let req = app.client.get(app.url(&path));
        async move {
            let r = req.send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (st, html) = page(format!("/residents/{}/results", s.resident)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("检查检验结果（跨机构）") && html.contains("昌吉州HR") && html.contains(&s.lead_name),
        "{html}"
    );
    let (st, html) = page(format!("/residents/{}", s.resident)).await;
    assert!(st == StatusCode::OK && html.contains("id=\"order-link\""));

    // The order form prompts with the candidate, its age and source.
    let orders = format!("/residents/{}/orders", s.resident);
    let r = app.submit(&orders, &[("item_code", BLOOD_COUNT), ("ordered_on", "")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"rec-prompt\"") && html.contains(&blood) && html.contains("<td>4</td>"),
        "{html}"
    );
    // Ordering anyway without a reason is refused on the form.
    let r = app
        .submit(&orders, &[("item_code", BLOOD_COUNT), ("choice", "repeat"), ("reason", "")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("请选择复查理由"));
    let r = app
        .submit(
            &orders,
            &[("item_code", BLOOD_COUNT), ("choice", "recognise"), ("result_id", blood.as_str())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(r.headers()["location"].to_str().unwrap().to_owned()).await;
    assert!(html.contains("已互认") && html.contains("互认（未重复检查）"), "{html}");

    let (st, html) = page("/recognition".into()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("<svg") && html.contains("互认率") && html.contains("血细胞分析"),
        "{html}"
    );
    app.client.get(app.url("/lang/en")).send().await.unwrap();
    let (_, html) = page("/recognition".into()).await;
    assert!(html.contains("Recognition rate by institution"));
}

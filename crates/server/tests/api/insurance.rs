//! Medical insurance through the API: the demo year settled from the pool budget to year-end with
//! money conserved at every level, one-stop settlement at the point of care with coded rejections,
//! reversal and re-settlement, policy validation, fraud review, and the officer's pages.

use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn demo_year() -> i32 {
    crate::helpers::demo_params().today.year() - 1
}

/// Runs the year's settlement as `officer` and returns the report.
async fn settle_year(app: &crate::helpers::TestApp, officer: &str, year: i32) -> Value {
    let (s, r) = app
        .post(officer, &format!("/api/v1/insurance/settlements?year={year}"), &json!(null))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

/// Stores a changed fund year of `year` as `officer`, which must be accepted.
async fn put_fund_year(app: &crate::helpers::TestApp, officer: &str, year: i32, fy: &Value) {
    let (s, p) = app.put(officer, &format!("/api/v1/insurance/fund-years/{year}"), fy).await;
    assert_eq!(s, StatusCode::OK, "{p}");
}

/// The institutions' gross payments of a point line add up to its pool exactly.
fn assert_distributes_the_pool(drg: &Value) {
    assert_eq!(
        sum(&drg["institutions"], "gross"),
        drg["pool"].as_i64().unwrap(),
        "points × value distribute the pool exactly"
    );
}

fn sum_i64(v: &Value) -> i64 {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).sum()
}

fn sum(v: &Value, key: &str) -> i64 {
    v.as_array().unwrap().iter().map(|x| x[key].as_i64().unwrap()).sum()
}

#[tokio::test]
async fn the_demo_year_settles_from_budget_to_year_end_and_money_is_conserved() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let year = demo_year();
    let r = settle_year(&app, &officer, year).await;
    // A = F − R − rigid; Σ B_c = A exactly.
    assert_eq!(
        r["distributable"].as_i64().unwrap(),
        r["fund"].as_i64().unwrap() - r["reserve"].as_i64().unwrap() - r["rigid"].as_i64().unwrap()
    );
    let counties = &r["counties"];
    assert_eq!(counties.as_array().unwrap().len(), 3);
    assert_eq!(
        sum(counties, "budget"),
        r["distributable"].as_i64().unwrap(),
        "county budgets add up to A"
    );
    let mut bed_day_cases = 0;
    for c in counties.as_array().unwrap() {
        let (budget, spent) = (c["budget"].as_i64().unwrap(), c["spent"].as_i64().unwrap());
        assert_eq!(spent, c["spent_inside"].as_i64().unwrap() + c["spent_outside"].as_i64().unwrap());
        assert_eq!(c["months"].as_array().unwrap().len(), 12);
        assert_eq!(
            c["months"][11]["cumulative"].as_i64().unwrap(),
            spent,
            "the monthly burn ends at E_c"
        );
        assert!(
            spent > 0 && c["outpatient_claims"].as_i64().unwrap() > 0 && c["inpatient_claims"].as_i64().unwrap() > 0,
            "{c}"
        );
        // Year-end parts add up to the budget difference.
        let y = &c["year_end"];
        let f = |k: &str| y[k].as_i64().unwrap();
        assert_eq!(f("surplus") - f("overspend"), budget - spent, "{y}");
        assert_eq!(f("retained") + f("fund_keeps"), f("surplus"));
        assert_eq!(f("fund_pays") + f("community_bears"), f("overspend"));
        // Communities split the county budget and prepayment exactly and carry their own lines;
        // with one community per county its package is the county's.
        assert_eq!(sum(&c["communities"], "budget"), budget);
        assert_eq!(sum(&c["communities"], "prepaid"), c["prepaid"].as_i64().unwrap());
        let communities = c["communities"].as_array().unwrap();
        if let [only] = communities.as_slice() {
            assert_eq!(only["spent_inside"], c["spent_inside"]);
            assert_eq!(only["spent_outside"], c["spent_outside"]);
            assert_eq!(only["drg_points"], c["drg"]["total_points"]);
            assert_eq!(only["year_end"]["surplus"], y["surplus"]);
        }
        for m in communities {
            let g = |k: &str| m["year_end"][k].as_i64().unwrap();
            assert_eq!(
                g("surplus") - g("overspend"),
                m["budget"].as_i64().unwrap() - m["spent_inside"].as_i64().unwrap() - m["spent_outside"].as_i64().unwrap()
            );
        }
        // Attribution by the insured person's township (used when a county has several
        // communities) accounts for the county's whole spending.
        let by_township = sanyi_store::insurance::spending_by_township(&app.db, c["code"].as_str().unwrap(), i64::from(year), 12)
            .await
            .unwrap();
        let inside: i64 = by_township.iter().filter(|t| t.1).map(|t| t.2).sum();
        let outside: i64 = by_township.iter().filter(|t| !t.1).map(|t| t.2).sum();
        // Capitation is paid monthly to the primary members and charged to the package inside
        // the county: the claims' spending plus capitation paid and released.
        let cap = &c["capitation"];
        let capitation = cap["paid_now"].as_i64().unwrap() + cap["released"].as_i64().unwrap();
        assert!(capitation > 0, "{cap}");
        assert_eq!(
            (inside + capitation, outside),
            (c["spent_inside"].as_i64().unwrap(), c["spent_outside"].as_i64().unwrap())
        );
        let cap_members = c["capitation_members"].as_array().unwrap();
        assert!(!cap_members.is_empty());
        assert_eq!(sum(&c["capitation_members"], "paid"), cap["paid_now"].as_i64().unwrap());
        assert_eq!(sum(&c["capitation_members"], "released"), cap["released"].as_i64().unwrap());
        for m in cap_members {
            assert_eq!(m["monthly"].as_array().unwrap().len(), 12);
            assert_eq!(sum_i64(&m["monthly"]), m["paid"].as_i64().unwrap(), "{m}");
        }
        // The retained surplus, or the overspend borne, is split over the member institutions exactly.
        let members = c["members"].as_array().unwrap();
        assert!(members.len() > 3, "{c}");
        assert_eq!(sum(&c["members"], "retained"), f("retained"));
        assert_eq!(sum(&c["members"], "borne"), f("community_bears"));
        // DRG payments distribute the point pool exactly.
        let drg = &c["drg"];
        bed_day_cases += drg["bed_day_cases"].as_i64().unwrap();
        if drg["bed_day_cases"].as_i64().unwrap() > 0 {
            assert!(
                drg["bed_day_payment"].as_i64().unwrap() > 0 && drg["bed_days"].as_i64().unwrap() > 0,
                "{drg}"
            );
        }
        assert!(
            drg["cases"].as_i64().unwrap() > 0 && drg["point_value_e4_fen"].as_i64().unwrap() > 0,
            "{drg}"
        );
        assert_distributes_the_pool(drg);
    }
    assert!(
        r["flags"].as_object().is_some_and(|f| !f.is_empty()),
        "planted misuse is flagged: {}",
        r["flags"]
    );
    // The small test demo may draw no long rehabilitation stay; the stays' pricing is tested in
    // the engine (payment::bed_day_stays).
    let _ = bed_day_cases;
    // Re-running gives the identical report; the stored one is served; Excel export works.
    let (_, again) = app
        .post(&officer, &format!("/api/v1/insurance/settlements?year={year}"), &json!(null))
        .await;
    assert_eq!(again["digest"], r["digest"]);
    let (s, stored) = app.get(&officer, &format!("/api/v1/insurance/settlements/{year}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(stored["digest"], r["digest"]);
    let x = app
        .client
        .get(app.url(&format!("/api/v1/insurance/settlements/{year}/xlsx")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(x.status(), StatusCode::OK);
    assert!(x.bytes().await.unwrap().starts_with(b"PK"), "an xlsx is a zip");
    // An interim month; clinicians may not run settlements.
    let (s, m) = app
        .post(
            &officer,
            &format!("/api/v1/insurance/settlements?year={year}&month=6"),
            &json!(null),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(m["counties"][0]["months"].as_array().unwrap().len(), 6);
    assert!(m["counties"][0]["year_end"].is_null());
    let doctor = app.token("township_doctor").await;
    let (s, _) = app
        .post(&doctor, &format!("/api/v1/insurance/settlements?year={year}"), &json!(null))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The fund year's worked example (docs/rules/global-budget.md#budget-construction): F 1 000 M, r 5 %, rigid 120 M → A = 830 M yuan.
    let (_, mut fy) = app.get(&officer, &format!("/api/v1/insurance/fund-years/{year}")).await;
    fy["fund"] = json!(100_000_000_000i64);
    fy["rigid"] = json!([{"name": "大病保险保费", "amount": 12_000_000_000i64}]);
    let (s, body) = app.put(&officer, &format!("/api/v1/insurance/fund-years/{year}"), &fy).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, r) = app
        .post(&officer, &format!("/api/v1/insurance/settlements?year={year}"), &json!(null))
        .await;
    assert_eq!(r["distributable"], json!(83_000_000_000i64));
    assert_eq!(sum(&r["counties"], "budget"), 83_000_000_000);
    // The year-end reads every county's appraisal score: a missing one is refused with the county
    // named, never replaced by the pass mark (docs/rules/global-budget.md#year-end-settlement).
    let mut without = fy.clone();
    let (county, _) = fy["scores"].as_object().unwrap().iter().next().unwrap();
    without["scores"].as_object_mut().unwrap().remove(county);
    let (s, body) = app.put(&officer, &format!("/api/v1/insurance/fund-years/{year}"), &without).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, p) = app
        .post(&officer, &format!("/api/v1/insurance/settlements?year={year}"), &json!(null))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], json!(format!("scores.{county}")), "{p}");
    assert_eq!(p["errors"][0]["rule"], "appraisal.score_missing");
    assert!(p["errors"][0]["message_zh"].as_str().unwrap().contains("考核得分"), "{p}");
    let (s, body) = app.put(&officer, &format!("/api/v1/insurance/fund-years/{year}"), &fy).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // A broken fund year is refused with the rule named.
    fy["budget"]["weight_elderly"] = json!(9_000);
    let (s, p) = app.put(&officer, &format!("/api/v1/insurance/fund-years/{year}"), &fy).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p["errors"][0]["field"].as_str().unwrap().starts_with("budget."), "{p}");

    // Pages: the overview with its charts, the flags queue.
    let cookie_app = &app;
    let page = cookie_app
        .client
        .get(app.url(&format!("/insurance?year={year}")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<polyline")
            && html.contains("<rect")
            && html.contains("ins-counties")
            && html.contains("ins-communities")
            && html.contains("ins-members"),
        "charts and table"
    );
    let policy = app
        .client
        .get(app.url("/insurance/policy"))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The policy in force reads as a sheet: named parameters, yuan and percent, no TOML keys.
    assert!(policy.contains("id=\"policy-sheet\""), "{policy}");
    assert!(policy.contains("乙类先行自付比例") && policy.contains("10.00%"), "{policy}");
    assert!(policy.contains("起付标准") && policy.contains(" 元"), "{policy}");
    assert!(
        !policy.contains("effective_from") && !policy.contains("class_b_preselfpay"),
        "{policy}"
    );
}

#[tokio::test]
async fn one_stop_settlement_at_the_point_of_care() {
    let app = spawn_app().await;
    let doctor = app.token("township_doctor").await;
    let resident = app.residents(&doctor, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let today = chrono::Utc::now().date_naive().to_string();
    let claim =
        |key: &str, charges: Value| json!({"claim_key": key, "resident_id": resident, "med_type": "11", "date": today, "charges": charges});
    let (s, c) = app.post(&doctor, "/api/v1/claims", &claim("MZ-1", json!([{"code": "110200001", "quantity": 1}, {"code": "XC08CAA001", "quantity": 30}, {"code": "XZZ0000001", "quantity": 1}]))).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let st = &c["settlement"];
    let f = |k: &str| st[k].as_i64().unwrap();
    assert_eq!(f("medfee_sumamt"), 500 + 360 + 2_000);
    assert_eq!(
        f("hifp_pay") + f("hifmi_pay") + f("maf_pay") + f("acct_pay") + f("psn_cash_pay"),
        f("medfee_sumamt"),
        "parts add up"
    );
    assert!(f("fulamt_ownpay_amt") >= 2_000, "class C is self-paid");
    assert!(!st["trace"]["steps"].as_array().unwrap().is_empty());
    let first_fund = f("hifp_pay");
    // Duplicate key, unknown item, bad quantity, negative price: refused with coded reasons, nothing stored.
    let (s, p) = app
        .post(
            &doctor,
            "/api/v1/claims",
            &claim("MZ-1", json!([{"code": "110200001", "quantity": 1}])),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(p["errors"][0]["rule"], "claim.rejected.Duplicate");
    let (s, p) = app
        .post(&doctor, "/api/v1/claims", &claim("MZ-2", json!([{"code": "NOPE", "quantity": 1}, {"code": "110200001", "quantity": -1}, {"code": "110200001", "quantity": 1, "unit_price": -5}])))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let rules: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["item.unknown", "quantity.positive", "price.non_negative"]);
    let (s, p) = app.post(&doctor, "/api/v1/claims", &json!({"claim_key": "MZ-3", "resident_id": resident, "med_type": "11", "date": "2001-01-01", "charges": [{"code": "110200001", "quantity": 1}]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["rule"], "claim.rejected.OutsideCoverage");
    // Someone not enrolled.
    let (s, fresh) = app
        .post(&doctor, "/api/v1/residents", &json!({"id_number": crate::helpers::new_id_number("652301", 7), "name": "新居民", "village_code": app.residents(&doctor, "limit=1").await["items"][0]["village_code"]}))
        .await;
    if s == StatusCode::CREATED {
        let (s, p) = app.post(&doctor, "/api/v1/claims", &json!({"claim_key": "MZ-4", "resident_id": fresh["id"], "med_type": "11", "date": today, "charges": [{"code": "110200001", "quantity": 1}]})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["errors"][0]["rule"], "claim.rejected.NotEnrolled");
    }
    // Reverse, then settle the same key again: the accumulators were restored, so the fund pays the same.
    let id = c["id"].as_str().unwrap();
    let (s, r) = app.post(&doctor, &format!("/api/v1/claims/{id}/reverse"), &json!(null)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "reversed");
    let (s, _) = app.post(&doctor, &format!("/api/v1/claims/{id}/reverse"), &json!(null)).await;
    assert_eq!(s, StatusCode::CONFLICT, "a claim is reversed once");
    let (s, again) = app.post(&doctor, "/api/v1/claims", &claim("MZ-1", json!([{"code": "110200001", "quantity": 1}, {"code": "XC08CAA001", "quantity": 30}, {"code": "XZZ0000001", "quantity": 1}]))).await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert_eq!(again["settlement"]["hifp_pay"].as_i64().unwrap(), first_fund);
    // Another institution's clinician does not see the claim.
    let village = app.token("village_doctor").await;
    let (s, _) = app
        .get(&village, &format!("/api/v1/claims/{}", again["id"].as_str().unwrap()))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn policies_are_validated_versioned_and_flags_reviewed() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let (s, list) = app.get(&officer, "/api/v1/insurance/policies").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2, "last year's and this year's demo policies");
    let mut p = list[1]["policy"].clone();
    // Same start day as an existing version: overlapping validity.
    p["version"] = json!("again");
    let (s, e) = app.post(&officer, "/api/v1/insurance/policies", &p).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["errors"].as_array().unwrap().iter().any(|x| x["rule"] == "policy.overlap"), "{e}");
    // A ratio above 100 %.
    let year = p["year"].as_i64().unwrap();
    p["effective_from"] = json!(format!("{year}-07-01"));
    p["schemes"][0]["inpatient"]["ratio"]["county"] = json!(12_000);
    let (s, e) = app.post(&officer, "/api/v1/insurance/policies", &p).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["field"].as_str().unwrap().contains("ratio")),
        "{e}"
    );
    // A valid mid-year version, in TOML; settled claims keep their version.
    p["schemes"][0]["inpatient"]["ratio"]["county"] = json!(8_000);
    let typed: sanyi_insurance::Policy = serde_json::from_value(p.clone()).unwrap();
    let toml_text = toml::to_string(&typed).unwrap();
    let r = app
        .client
        .post(app.url("/api/v1/insurance/policies"))
        .bearer_auth(&officer)
        .header("content-type", "application/toml")
        .body(toml_text)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // Flags: run the year, review one, a second review is a conflict, a review needs a note.
    let y = demo_year();
    app.post(&officer, &format!("/api/v1/insurance/settlements?year={y}"), &json!(null))
        .await;
    let (_, flags) = app.get(&officer, &format!("/api/v1/insurance/flags?year={y}&status=open")).await;
    let open_total = flags["total"].as_i64().unwrap();
    let flags = &flags["items"];
    let flag = flags[0]["id"].as_str().expect("at least one flag").to_owned();
    assert!(!flags[0]["evidence"].as_array().unwrap().is_empty());
    let path = format!("/api/v1/insurance/flags/{flag}/review");
    let (s, _) = app.post(&officer, &path, &json!({"outcome": "confirmed", "note": " "})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = app
        .post(&officer, &path, &json!({"outcome": "confirmed", "note": "病历无医嘱记录，追回"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "confirmed");
    let (s, _) = app.post(&officer, &path, &json!({"outcome": "dismissed", "note": "x"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Re-running the screening never reopens or duplicates it.
    app.post(&officer, &format!("/api/v1/insurance/settlements?year={y}"), &json!(null))
        .await;
    let (_, confirmed) = app
        .get(&officer, &format!("/api/v1/insurance/flags?year={y}&status=confirmed"))
        .await;
    assert_eq!(confirmed["items"].as_array().unwrap().len(), 1);
    assert_eq!(confirmed["total"], 1);
    let (_, open) = app
        .get(&officer, &format!("/api/v1/insurance/flags?year={y}&status=open&limit=1"))
        .await;
    assert_eq!(open["total"].as_i64().unwrap(), open_total - 1, "paged with the total");
}

#[tokio::test]
async fn the_bureau_marks_a_case_for_special_review_and_the_run_pays_its_points() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let year = demo_year();
    let before = settle_year(&app, &officer, year).await;
    let cases = sanyi_store::insurance::inpatient_cases(&app.db, "652300", i64::from(year), 12)
        .await
        .unwrap();
    let case = cases
        .iter()
        .find(|c| c.in_county && c.institution_id.is_some())
        .expect("an in-county inpatient case");
    let county = |r: &Value| {
        r["counties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == json!(case.division_code))
            .unwrap()["drg"]
            .clone()
    };
    let drg_before = county(&before);
    assert_eq!(drg_before["special_reviews"], 0);
    let path = format!("/api/v1/claims/{}/special-review", case.id);
    // Bad input is refused field by field and nothing is stored; clinicians may not review.
    let (s, p) = app.put(&officer, &path, &json!({"points": "-3", "reason": " "})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["points", "reason"]);
    let doctor = app.token("township_doctor").await;
    let (s, _) = app.put(&doctor, &path, &json!({"points": "100", "reason": "x"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let outpatient = sanyi_store::insurance::claims_of(&app.db, &case.division_code, &case.resident_id, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.med_type != "inpatient");
    if let Some(o) = outpatient {
        let (s, p) = app
            .put(
                &officer,
                &format!("/api/v1/claims/{}/special-review", o.id),
                &json!({"points": "100", "reason": "罕见病"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["errors"][0]["rule"], "special_review.case");
    }
    // The agreed points replace the case's DRG points in the next run.
    let (s, v) = app
        .put(&officer, &path, &json!({"points": "5000.5", "reason": "罕见病，住院费用极高"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["special_review"]["points_e4"], 50_005_000);
    let (s, after) = app
        .post(&officer, &format!("/api/v1/insurance/settlements?year={year}"), &json!(null))
        .await;
    assert_eq!(s, StatusCode::OK);
    let drg_after = county(&after);
    assert_eq!(drg_after["special_reviews"], 1);
    assert_eq!(drg_after["cases"], drg_before["cases"]);
    assert_ne!(drg_after["total_points"], drg_before["total_points"]);
    assert!(drg_after["total_points"].as_i64().unwrap() >= 50_005_000);
    assert_ne!(after["digest"], before["digest"]);
    // Audited, and shown with the claim on its page.
    let admin = app.token("admin").await;
    let (s, audit) = app.get(&admin, "/api/v1/audit?action=special_review").await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    assert!(audit.to_string().contains(&case.id), "{audit}");
    let page = app
        .client
        .get(app.url(&format!("/claims/{}", case.id)))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("claim-special-review") && page.contains("5000.5000"), "{page}");
}

/// Source: docs/rules/global-budget.md#budget-construction worked example, end to end on the database: F = 1 000 M yuan, r = 5 %,
/// rigid 120 M → A = 830 M; county X holds 18 % of the enrollees and 22 % of the 65+, a = 0.7,
/// b = 0.3 → w = 0.126 + 0.066 = 0.192 → B = 159.36 M yuan, to the fen.
#[tokio::test]
async fn the_worked_example_of_domain_6_2_allocates_159_36_million_to_county_x() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let year = demo_year();
    let (_, r) = app
        .post(&officer, &format!("/api/v1/insurance/settlements?year={year}"), &json!(null))
        .await;
    let x = r["counties"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|c| c["enrollees"].as_i64().unwrap())
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    // Keep 18 enrollees in X and 82 elsewhere (Σ N = 100); 11 of X's and 39 of the others' aged
    // 65+ (Σ E = 50): 18 % and 22 %.
    let keep = |cond: &str, n: i64| {
        format!(
            "UPDATE enrolments SET status = 'suspended' WHERE year = {year} AND {cond} AND id NOT IN \
             (SELECT id FROM enrolments WHERE year = {year} AND {cond} AND status = 'active' ORDER BY id LIMIT {n})"
        )
    };
    let elderly = |cond: &str, n: i64| {
        format!(
            "UPDATE residents SET birth_date = '1950-01-01' WHERE id IN (SELECT resident_id FROM enrolments \
             WHERE year = {year} AND {cond} AND status = 'active' ORDER BY id LIMIT {n})"
        )
    };
    let in_x = format!("division_code = '{x}'");
    let not_x = format!("division_code <> '{x}'");
    for sql in [
        keep(&in_x, 18),
        keep(&not_x, 82),
        "UPDATE residents SET birth_date = '1990-01-01'".to_owned(),
        elderly(&in_x, 11),
        elderly(&not_x, 39),
    ] {
        app.db.execute_unprepared(&sql).await.unwrap();
    }
    let (_, mut fy) = app.get(&officer, &format!("/api/v1/insurance/fund-years/{year}")).await;
    fy["fund"] = json!(100_000_000_000i64);
    fy["rigid"] = json!([{"name": "大病保险保费", "amount": 12_000_000_000i64}]);
    fy["budget"]["risk_reserve"] = json!(500);
    fy["budget"]["weight_enrollees"] = json!(7_000);
    fy["budget"]["weight_elderly"] = json!(3_000);
    let (s, body) = app.put(&officer, &format!("/api/v1/insurance/fund-years/{year}"), &fy).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let r = settle_year(&app, &officer, year).await;
    assert_eq!(r["reserve"], json!(5_000_000_000i64));
    assert_eq!(r["distributable"], json!(83_000_000_000i64));
    let cx = r["counties"].as_array().unwrap().iter().find(|c| c["code"] == json!(x)).unwrap();
    assert_eq!((cx["enrollees"].as_i64(), cx["elderly"].as_i64()), (Some(18), Some(11)));
    assert_eq!(cx["weight_bp"], 1_920);
    assert_eq!(cx["budget"], json!(15_936_000_000i64), "B = 159.36 M yuan exactly");
    assert_eq!(sum(&r["counties"], "budget"), 83_000_000_000);
}

/// A run interrupted after its fraud screening was stored but before its report: re-running ends
/// in the same state as an uninterrupted run — same digest, no flag twice.
#[tokio::test]
async fn an_interrupted_run_re_runs_to_the_same_digest_without_duplicate_flags() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let year = demo_year();
    // The pieces: screening stored, no report yet.
    let screened = sanyi_app::insurance::fraud::screen(&app.app, "652300", year).await.unwrap();
    let flags_after_screen = sanyi_store::insurance::flags(
        &app.db,
        "65",
        i64::from(year),
        &sanyi_store::insurance::FlagQuery::default(),
        sanyi_store::Page { offset: 0, limit: 100_000 },
    )
    .await
    .unwrap()
    .items;
    assert!(!flags_after_screen.is_empty());
    let (s, _) = app.get(&officer, &format!("/api/v1/insurance/settlements/{year}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no report was stored");
    // The re-run completes; flags are not duplicated.
    let first = settle_year(&app, &officer, year).await;
    assert_eq!(serde_json::to_value(&screened).unwrap(), first["flags"]);
    let flags = sanyi_store::insurance::flags(
        &app.db,
        "65",
        i64::from(year),
        &sanyi_store::insurance::FlagQuery::default(),
        sanyi_store::Page { offset: 0, limit: 100_000 },
    )
    .await
    .unwrap()
    .items;
    assert_eq!(flags.len(), flags_after_screen.len());
    let keys: std::collections::BTreeSet<(String, String)> = flags.iter().map(|f| (f.kind.clone(), f.claim_id.clone())).collect();
    assert_eq!(keys.len(), flags.len(), "no flag twice");
    // Same digest as a run on an identical database that was never interrupted.
    let other = spawn_app().await;
    let token = other.token("insurance").await;
    let (_, clean) = other
        .post(&token, &format!("/api/v1/insurance/settlements?year={year}"), &json!(null))
        .await;
    assert_eq!(clean["digest"], first["digest"]);
    let (_, again) = app
        .post(&officer, &format!("/api/v1/insurance/settlements?year={year}"), &json!(null))
        .await;
    assert_eq!(again["digest"], first["digest"]);
}

#[tokio::test]
async fn the_readmission_window_is_a_parameter_of_the_fund_year() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let year = demo_year();
    // Two stays of one person for the same condition, readmitted 20 days after discharge.
    let doctor = app.token("township_doctor").await;
    let resident = app.residents(&doctor, "limit=1").await["items"][0]["id"].clone();
    for (key, from, to) in [("SA-1", "03-01", "03-06"), ("SA-2", "03-26", "03-30")] {
        let claim = json!({"claim_key": key, "resident_id": resident, "med_type": "21", "date": format!("{year}-{from}"),
            "discharge_date": format!("{year}-{to}"), "diagnoses": ["J18.900"],
            "charges": [{"code": "110900002", "quantity": 5}, {"code": "121100002", "quantity": 5}, {"code": "XJ01DDA001", "quantity": 10}]});
        let (s, c) = app.post(&doctor, "/api/v1/claims", &claim).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
    }
    let path = format!("/api/v1/insurance/settlements?year={year}");
    let (_, r) = app.post(&officer, &path, &json!(null)).await;
    let default = r["flags"]["split_admission"].as_u64().unwrap_or(0);
    let (_, mut fy) = app.get(&officer, &format!("/api/v1/insurance/fund-years/{year}")).await;
    assert_eq!(fy["fraud"]["readmission_days"], 15, "the default window of docs/rules/fraud.md");
    fy["fraud"]["readmission_days"] = json!(0);
    let (s, p) = app.put(&officer, &format!("/api/v1/insurance/fund-years/{year}"), &fy).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "fraud.readmission_days", "{p}");
    fy["fraud"]["readmission_days"] = json!(30);
    put_fund_year(&app, &officer, year, &fy).await;
    let (_, r) = app.post(&officer, &path, &json!(null)).await;
    let wide = r["flags"]["split_admission"].as_u64().unwrap_or(0);
    assert!(
        wide > default,
        "a 30-day window also finds the readmission after 20 days: {wide} vs {default}"
    );
}

/// Every community line of a settlement report.
fn community_lines(r: &Value) -> impl Iterator<Item = &Value> {
    r["counties"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["communities"].as_array().unwrap().iter())
}

/// Justified overspend (合理超支申报, docs/rules/global-budget.md#year-end-settlement): under a
/// shared band that needs justification, a community that overspent files its reasons, the
/// bureau accepts part of it, and the year-end shares only the accepted part; the community's
/// side files, the bureau decides, once.
#[tokio::test]
async fn only_the_accepted_part_of_a_justified_overspend_is_shared() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let admin = app.token("admin").await;
    let year = chrono::Datelike::year(&sanyi_domain::time::today()) - 1;
    let (_, mut fy) = app.get(&officer, &format!("/api/v1/insurance/fund-years/{year}")).await;
    fy["budget"]["overspend"] = json!({"SharedBand": {"band": 800, "fund_share": 5_000, "justified_only": true}});
    let (s, body) = app.put(&officer, &format!("/api/v1/insurance/fund-years/{year}"), &fy).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let run = || settle_year(&app, &officer, year);
    let r = run().await;
    // A community that overspent: nothing filed, nothing shared.
    let over = community_lines(&r)
        .find(|c| c["year_end"]["overspend"].as_i64().unwrap_or(0) > 0)
        .cloned()
        .expect("the demo has a community that overspent");
    let id = over["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (over["year_end"]["reasonable"].as_i64(), over["year_end"]["fund_pays"].as_i64()),
        (Some(0), Some(0))
    );
    let path = format!("/api/v1/insurance/overspend-justifications/{year}");
    // Bad filings are refused with the field and rule named; the bureau cannot file.
    let (s, e) = app
        .post(
            &admin,
            &path,
            &json!({"community_id": id, "reasons": [{"kind": "flood", "amount": 0}, {"kind": "other", "amount": 5}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["reasons[0].kind", "reasons[0].amount", "reasons[1].note"]);
    // Claimed: the whole overspend; accepted: half of the band, so that the acceptance binds.
    let (o, b) = (over["year_end"]["overspend"].as_i64().unwrap(), over["budget"].as_i64().unwrap());
    let band = (b * 800 + 5_000) / 10_000;
    let accepted = band / 2;
    let filing = json!({"community_id": id, "reasons": [
        {"kind": "epidemic", "amount": o / 2, "note": "流感高发季住院增加"},
        {"kind": "new_service", "amount": o - o / 2, "note": "开展胸痛中心"}]});
    let (s, _) = app.post(&officer, &path, &filing).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, j) = app.post(&admin, &path, &filing).await;
    assert_eq!(s, StatusCode::CREATED, "{j}");
    assert_eq!(j["claimed"].as_i64(), Some(o));
    // The bureau decides; the filer cannot; more than claimed, or part without a note, is refused.
    let decision = format!("{path}/{id}/decision");
    let (s, _) = app.post(&admin, &decision, &json!({"accepted": 1_000_000, "note": "x"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = app.post(&officer, &decision, &json!({"accepted": o + 1})).await;
    assert_eq!(
        (s, e["errors"][0]["rule"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("overspend.accepted_range"))
    );
    let (s, e) = app.post(&officer, &decision, &json!({"accepted": accepted})).await;
    assert_eq!(
        (s, e["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("note"))
    );
    let (s, j) = app
        .post(
            &officer,
            &decision,
            &json!({"accepted": accepted, "note": "疫情部分按实认定，新项目未经备案"}),
        )
        .await;
    assert_eq!((s, j["accepted"].as_i64()), (StatusCode::OK, Some(accepted)), "{j}");
    let (s, e) = app
        .post(&officer, &decision, &json!({"accepted": 3_000_000, "note": "again"}))
        .await;
    assert_eq!(
        (s, e["errors"][0]["rule"].as_str()),
        (StatusCode::CONFLICT, Some("overspend.decided_once"))
    );
    let (s, _) = app.post(&admin, &path, &filing).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The year-end shares min(O, β × B, accepted), the fund paying half.
    let r = run().await;
    let line = community_lines(&r).find(|c| c["id"] == id.as_str()).unwrap();
    let ye = &line["year_end"];
    assert_eq!(ye["overspend"].as_i64(), Some(o));
    assert_eq!(ye["reasonable"].as_i64(), Some(o.min(band).min(accepted)), "{ye}");
    assert_eq!(ye["fund_pays"].as_i64(), Some((accepted.min(o) + 1) / 2), "{ye}");
    assert_eq!(ye["fund_pays"].as_i64().unwrap() + ye["community_bears"].as_i64().unwrap(), o);
    assert!(ye["fund_pays"].as_i64().unwrap() > 0);
    // Listed for both sides.
    let (s, list) = app.get(&officer, &path).await;
    assert_eq!((s, list.as_array().unwrap().len()), (StatusCode::OK, 1));
    assert!(!list[0]["community"].as_str().unwrap().is_empty(), "{list}");
    // And on the insurance page, in words.
    let html = app
        .client
        .get(app.url(&format!("/insurance?year={year}")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("合理超支申报与认定") && html.contains("重大疫情或突发公共卫生事件"),
        "{html}"
    );
    assert!(html.contains("疫情部分按实认定"));
}

/// Runs are ledgers (#16 part 4): each run of a period is a new numbered run with its inputs;
/// a re-run on the same inputs has the same digest and no differences, a run on changed inputs
/// shows exactly the changed figures; a second officer (never the one who ran it) approves the
/// latest run, which posts the fund's payments to the ledger — prepayments and the year-end
/// settlement add up to each community's year-end amount to the fen, and a corrected run posts
/// only the differences. Running and approving are audited.
#[tokio::test]
async fn runs_are_numbered_compared_and_approved_by_a_second_officer_into_the_ledger() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let chief = app.token("insurance_chief").await;
    let year = demo_year();
    let run_url = format!("/api/v1/insurance/settlements?year={year}");
    let approve = |n: i64| format!("/api/v1/insurance/settlements/{year}/runs/{n}/approval");
    let (s, first) = app.post(&officer, &run_url, &json!(null)).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["run"]["number"], 1);
    assert_eq!(first["run"]["status"], "pending");
    assert!(first["run"]["inputs"]["claims"].as_i64().unwrap() > 0);
    // The officer who ran it cannot approve it.
    let (s, p) = app.post(&officer, &approve(1), &json!({"note": "自己复核"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["rule"], "settlement.four_eyes");
    // A re-run on the same inputs: run 2, same digest, nothing changed; run 1 is superseded.
    let (_, second) = app.post(&officer, &run_url, &json!(null)).await;
    assert_eq!(second["run"]["number"], 2);
    assert_eq!(second["digest"], first["digest"]);
    let (s, d) = app.get(&chief, &format!("/api/v1/insurance/settlements/{year}/runs/2")).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["previous"], 1);
    assert_eq!(d["diff"], json!([]));
    let (s, p) = app.post(&chief, &approve(1), &json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["rule"], "settlement.superseded");
    // The second officer approves the latest; once.
    let (s, m) = app.post(&chief, &approve(2), &json!({"note": "已核对"})).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["status"], "approved");
    assert_eq!(m["approved_by"], "医保复核 郑敏");
    let (s, _) = app.post(&chief, &approve(2), &json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, runs) = app.get(&officer, &format!("/api/v1/insurance/settlements/{year}/runs")).await;
    let statuses: Vec<&str> = runs.as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["approved", "superseded"]);
    // The ledger: 12 prepayments and a year-end entry per community, adding up to its year-end
    // amount; the prepayments to what the run says was prepaid.
    let payable = |r: &Value| -> std::collections::BTreeMap<String, (i64, i64)> {
        community_lines(r)
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_owned(),
                    (c["payable"].as_i64().unwrap(), c["prepaid"].as_i64().unwrap()),
                )
            })
            .collect()
    };
    let check_ledger = |ledger: &Value, expected: &std::collections::BTreeMap<String, (i64, i64)>| {
        let totals = ledger["totals"].as_array().unwrap();
        assert_eq!(totals.len(), expected.len());
        for t in totals {
            let (y, prepaid) = expected[t["community_id"].as_str().unwrap()];
            assert_eq!(t["total"].as_i64().unwrap(), y, "{t}");
            assert_eq!(t["prepaid"].as_i64().unwrap(), prepaid, "{t}");
            assert_eq!(t["prepaid"].as_i64().unwrap() + t["year_end"].as_i64().unwrap(), y);
        }
    };
    let (_, ledger) = app.get(&officer, &format!("/api/v1/insurance/ledger/{year}")).await;
    check_ledger(&ledger, &payable(&second));
    let entries = ledger["entries"].as_array().unwrap().len();
    assert_eq!(entries, payable(&second).len() * 13, "12 prepayments and a year-end entry each");
    // Changed input: one county's appraisal score falls below the pass mark. The new run differs
    // only in that county's figures.
    let (_, mut fy) = app.get(&officer, &format!("/api/v1/insurance/fund-years/{year}")).await;
    let county = first["counties"][0]["code"].as_str().unwrap().to_owned();
    fy["scores"][&county] = json!(1_000);
    put_fund_year(&app, &officer, year, &fy).await;
    let (_, third) = app.post(&officer, &run_url, &json!(null)).await;
    assert_eq!(third["run"]["number"], 3);
    assert_ne!(third["digest"], second["digest"]);
    let (_, d) = app.get(&chief, &format!("/api/v1/insurance/settlements/{year}/runs/3")).await;
    let diff = d["diff"].as_array().unwrap();
    assert!(!diff.is_empty());
    let c0 = &third["counties"][0];
    let ids_of_county: std::collections::BTreeSet<&str> = std::iter::once(county.as_str())
        .chain(c0["communities"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()))
        .chain(c0["members"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()))
        .collect();
    for line in diff {
        assert!(
            ids_of_county.contains(line["id"].as_str().unwrap()),
            "only county {county} changed: {line}"
        );
        assert_ne!(line["before"], line["after"]);
    }
    assert!(
        diff.iter()
            .any(|l| l["item"] == "score" && l["before"] != 1_000 && l["after"] == 1_000)
    );
    // Approving the corrected run posts only the differences: the ledger ends at its amounts.
    let (s, m) = app.post(&chief, &approve(3), &json!({"note": "考核得分更正"})).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let (_, ledger) = app.get(&officer, &format!("/api/v1/insurance/ledger/{year}")).await;
    check_ledger(&ledger, &payable(&third));
    let added: Vec<&Value> = ledger["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["run_number"] == 3)
        .collect();
    assert!(added.len() < entries, "only differences are posted");
    assert!(added.iter().all(|e| e["kind"] == "year_end" && e["seq"] == 2), "{added:?}");
    // Audited: two runs by the officer… three, and two approvals by the chief.
    let admin = app.token("admin").await;
    let (_, log) = app.get(&admin, "/api/v1/audit?username=insurance&action=run").await;
    assert_eq!(log["items"].as_array().map_or(0, Vec::len), 3, "{log}");
    let (_, log) = app.get(&admin, "/api/v1/audit?username=insurance_chief&action=approve").await;
    assert_eq!(log["items"].as_array().map_or(0, Vec::len), 2, "{log}");
}

/// Per bed-day payment across the whole stay (#16 part 3): with every main diagnosis on the
/// bed-day list and a small annual cap, each county's bed-day payment is what the engine pays
/// for its cases taken per person across stays (readmissions merged) under the cap, and no
/// person is paid more than the cap.
#[tokio::test]
async fn bed_day_cases_are_paid_across_the_stay_under_the_annual_cap() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let year = demo_year();
    let (_, mut fy) = app.get(&officer, &format!("/api/v1/insurance/fund-years/{year}")).await;
    fy["bed_day_diagnoses"] = json!(('A'..='Z').map(|c| c.to_string()).collect::<Vec<_>>());
    fy["bed_day"]["annual_cap"] = json!(50_000);
    put_fund_year(&app, &officer, year, &fy).await;
    let r = settle_year(&app, &officer, year).await;
    let policy: sanyi_insurance::payment::BedDayPolicy = serde_json::from_value(fy["bed_day"].clone()).unwrap();
    let cases = sanyi_store::insurance::inpatient_cases(&app.db, "652300", i64::from(year), 12)
        .await
        .unwrap();
    let reviewed = sanyi_store::insurance::special_review_points(&app.db, "652300", i64::from(year))
        .await
        .unwrap();
    let mut total_cases = 0;
    for c in r["counties"].as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        let mine: Vec<sanyi_insurance::payment::BedDayCase> = cases
            .iter()
            .filter(|k| k.division_code == code && k.in_county && k.institution_id.is_some())
            .filter(|k| !reviewed.iter().any(|(id, _)| id == &k.id))
            .filter(|k| k.drg_input.as_deref().is_some_and(|d| d.contains("\"diagnoses\":[\"")))
            .map(|k| sanyi_insurance::payment::BedDayCase {
                id: k.id.clone(),
                person: k.resident_id.clone(),
                admission: k.service_date,
                discharge: k.discharge_date.unwrap_or(k.service_date),
            })
            .collect();
        let priced = sanyi_insurance::payment::bed_day_stays(&policy, &mine).unwrap();
        let expected: i64 = priced.iter().map(|p| p.amount.get()).sum();
        assert_eq!(c["drg"]["bed_day_cases"].as_u64().unwrap(), mine.len() as u64, "{code}");
        assert_eq!(c["drg"]["bed_day_payment"].as_i64().unwrap(), expected, "{code}");
        let mut per_person: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
        for p in &priced {
            let person = mine.iter().find(|m| m.id == p.id).unwrap().person.as_str();
            *per_person.entry(person).or_default() += p.amount.get();
        }
        assert!(per_person.values().all(|v| *v <= 50_000), "the annual cap binds per person");
        total_cases += mine.len();
    }
    assert!(total_cases > 0);
}

/// DIP (按病种分值, #16 part 3): a pool that chooses DIP scores its inpatient cases by its
/// disease-group catalogue instead of DRG groups; the point value distributes the pool exactly.
/// Choosing DIP without a catalogue, or with a broken one, is refused naming the fields.
#[tokio::test]
async fn a_pool_on_dip_scores_cases_by_its_disease_groups() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let year = demo_year();
    let (_, mut fy) = app.get(&officer, &format!("/api/v1/insurance/fund-years/{year}")).await;
    fy["point_method"] = json!("dip");
    let (s, p) = app.put(&officer, &format!("/api/v1/insurance/fund-years/{year}"), &fy).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["rule"], "dip.required");
    // A catalogue from the year's own cases: each three-character principal diagnosis with its
    // mean cost (conservative groups).
    let cases = sanyi_store::insurance::inpatient_cases(&app.db, "652300", i64::from(year), 12)
        .await
        .unwrap();
    let mut by_dx: std::collections::BTreeMap<String, (i64, i64)> = std::collections::BTreeMap::new();
    for c in &cases {
        let input: Value = c
            .drg_input
            .as_deref()
            .map(|d| serde_json::from_str(d).unwrap())
            .unwrap_or(json!({}));
        if let Some(dx) = input["diagnoses"][0].as_str() {
            let e = by_dx.entry(dx[..3.min(dx.len())].to_owned()).or_default();
            e.0 += c.medfee_sumamt;
            e.1 += 1;
        }
    }
    let groups: Vec<Value> = by_dx
        .iter()
        .map(|(dx, (sum, n))| json!({"code": format!("{dx}-C"), "diagnosis": dx, "mean_cost": (sum / n).max(1)}))
        .collect();
    fy["dip"] = json!({"base_cost": 0, "high_ratio": 20_000, "low_ratio": 5_000, "groups": groups});
    let (s, p) = app.put(&officer, &format!("/api/v1/insurance/fund-years/{year}"), &fy).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(p["errors"].as_array().unwrap().iter().any(|e| e["field"] == "dip.base_cost"), "{p}");
    fy["dip"]["base_cost"] = json!(500_000);
    put_fund_year(&app, &officer, year, &fy).await;
    let r = settle_year(&app, &officer, year).await;
    assert!(r["run"]["inputs"]["drg_scheme"].as_str().unwrap().starts_with("DIP"));
    for c in r["counties"].as_array().unwrap() {
        let drg = &c["drg"];
        assert_eq!(drg["method"], "dip", "{drg}");
        assert!(drg["cases"].as_i64().unwrap() > 0);
        // Every case fits a group of the catalogue built from them (bed-day and reviewed cases
        // are priced their own way).
        assert_eq!(
            drg["grouped"].as_i64().unwrap() + drg["bed_day_cases"].as_i64().unwrap() + drg["special_reviews"].as_i64().unwrap(),
            drg["cases"].as_i64().unwrap(),
            "{drg}"
        );
        assert_distributes_the_pool(drg);
    }
}

/// Capitation charged for care used elsewhere (#16 part 7): with `charge_outside_care` the
/// outpatient fund payments of a township's persons outside their township are charged to its
/// primary members; each member's net is paid + released − charged, the charges add up to what
/// the claims say, and the county's spending inside counts the net.
#[tokio::test]
async fn capitation_is_charged_for_outpatient_care_used_elsewhere() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let year = demo_year();
    let (_, mut fy) = app.get(&officer, &format!("/api/v1/insurance/fund-years/{year}")).await;
    fy["capitation"]["charge_outside_care"] = json!(true);
    put_fund_year(&app, &officer, year, &fy).await;
    let r = settle_year(&app, &officer, year).await;
    let mut charged_somewhere = false;
    for c in r["counties"].as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        let members = c["capitation_members"].as_array().unwrap();
        for m in members {
            let f = |k: &str| m[k].as_i64().unwrap();
            assert_eq!(f("net"), f("paid") + f("released") - f("charged_outside"), "{m}");
        }
        let charged = sum(&c["capitation_members"], "charged_outside");
        charged_somewhere |= charged > 0;
        // What is charged is the outpatient care elsewhere of the townships that have members.
        let outside = sanyi_store::insurance::outpatient_outside_township(&app.db, code, i64::from(year), 12)
            .await
            .unwrap();
        let townships: std::collections::BTreeSet<String> = sanyi_store::registry::institutions(&app.db, &code[..4])
            .await
            .unwrap()
            .into_iter()
            .filter(|i| members.iter().any(|m| m["id"] == json!(i.id)))
            .filter_map(|i| i.area_code.get(..9).map(str::to_owned))
            .collect();
        let expected: i64 = outside.iter().filter(|(t, _, _)| townships.contains(t)).map(|(_, _, f)| f).sum();
        assert_eq!(charged, expected, "{code}");
        // Spending inside the county: the claims' plus the members' net capitation.
        let by_township = sanyi_store::insurance::spending_by_township(&app.db, code, i64::from(year), 12)
            .await
            .unwrap();
        let inside: i64 = by_township.iter().filter(|t| t.1).map(|t| t.2).sum();
        assert_eq!(
            c["spent_inside"].as_i64().unwrap(),
            inside + sum(&c["capitation_members"], "net"),
            "{code}"
        );
    }
    assert!(charged_somewhere, "the demo's insured use outpatient care outside their township");
}

/// The officer's list of eligibility approvals due for review (#16 part 2): overdue and coming
/// reviews of the area, earliest first, audited as a search; a window beyond a year is refused.
/// Retirement is recorded as an eligibility too (kind `retired`, code `yes`).
#[tokio::test]
async fn eligibility_approvals_due_for_review_are_listed_for_the_officer() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let (s, p) = app.get(&officer, "/api/v1/insurance/eligibility-reviews?within_days=400").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, page) = app
        .get(&officer, "/api/v1/insurance/eligibility-reviews?within_days=366&limit=20")
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert!(page["total"].as_i64().unwrap() > 0 && !items.is_empty(), "{page}");
    let days: Vec<i64> = items.iter().map(|i| i["days_left"].as_i64().unwrap()).collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]) && days.iter().all(|d| *d <= 366), "{days:?}");
    assert!(items.iter().all(|i| !i["resident_name"].as_str().unwrap().is_empty()));
    let admin = app.token("admin").await;
    let (_, log) = app.get(&admin, "/api/v1/audit?username=insurance&action=search").await;
    assert!(
        log["items"].as_array().unwrap().iter().any(|e| e["entity"] == "eligibility"),
        "{log}"
    );
    // Retirement as a record.
    let resident = items[0]["resident_id"].as_str().unwrap();
    let y = crate::helpers::demo_params().today.format("%Y").to_string();
    let retired = |code: &str| json!({"kind": "retired", "code": code, "valid_from": format!("{y}-01-01"), "valid_to": format!("{y}-12-31"), "evidence": "退休证 2019-0087"});
    let (s, p) = app
        .post(&officer, &format!("/api/v1/residents/{resident}/eligibility"), &retired("no"))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["rule"], "eligibility.retired");
    let (s, p) = app
        .post(&officer, &format!("/api/v1/residents/{resident}/eligibility"), &retired("yes"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
}

/// A county-scoped officer reads a run of the pool cut to its county: its county's lines, and of
/// the run's inputs only its own county's score (the other counties' scores stay with the pool).
#[tokio::test]
async fn a_county_officer_reads_the_run_of_its_county_only() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let year = demo_year();
    let r = settle_year(&app, &officer, year).await;
    assert!(r["run"]["inputs"]["scores"].as_object().unwrap().len() > 1);
    let admin = app.token("county_admin").await;
    let prefix = app.me(&admin).await["scope"].as_str().unwrap().to_owned();
    let (s, d) = app.get(&admin, &format!("/api/v1/insurance/settlements/{year}/runs/1")).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let scores = d["run"]["inputs"]["scores"].as_object().unwrap();
    assert!(!scores.is_empty() && scores.keys().all(|k| k.starts_with(&prefix)), "{scores:?}");
    assert!(
        d["report"]["counties"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["code"].as_str().unwrap().starts_with(&prefix))
    );
}

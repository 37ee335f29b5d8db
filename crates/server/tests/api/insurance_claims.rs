//! One-stop settlement edge cases through the API: a stay across New Year and its accumulators,
//! the enrolment date and the waiting period, unknown persons, policy versions that never rewrite
//! settled claims, and the inpatient (21) and chronic (14) claim types.

use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::{Value, json};

use sanyi_insurance::Accumulators;
use sanyi_store::insurance as repo;

use crate::helpers::{TestApp, spawn_app};

fn demo_year() -> i32 {
    crate::helpers::demo_params().today.year() - 1
}

async fn acc(app: &TestApp, county: &str, resident: &str, year: i32) -> Option<Accumulators> {
    repo::accumulators(&app.db, county, resident, i64::from(year))
        .await
        .unwrap()
        .map(|(body, _)| serde_json::from_str(&body).unwrap())
}

/// A resident the township doctor sees who was insured in the demo year: `(id, county)`.
async fn insured_resident(app: &TestApp, doctor: &str) -> (String, String) {
    let list = app.residents(doctor, "limit=50").await;
    for r in list["items"].as_array().unwrap() {
        let (id, county) = (r["id"].as_str().unwrap(), r["division_code"].as_str().unwrap());
        if acc(app, county, id, demo_year()).await.is_some() {
            return (id.to_owned(), county.to_owned());
        }
    }
    panic!("no insured resident among the first 50");
}

fn inpatient(key: &str, resident: &str, admission: String, discharge: String) -> Value {
    json!({"claim_key": key, "resident_id": resident, "med_type": "21", "date": admission, "discharge_date": discharge,
           "diagnoses": ["K35.800"], "charges": [{"code": "110900002", "quantity": 16}, {"code": "250000001", "quantity": 1},
           {"code": "XJ01DDA001", "quantity": 20}]})
}

#[tokio::test]
async fn a_stay_across_new_year_counts_in_the_admission_year_and_reverses() {
    let app = spawn_app().await;
    let doctor = app.token("township_doctor").await;
    let (resident, county) = insured_resident(&app, &doctor).await;
    let y = demo_year();
    let before = acc(&app, &county, &resident, y).await.unwrap();
    let next_before = acc(&app, &county, &resident, y + 1).await;
    let body = inpatient("ZY-NEWYEAR", &resident, format!("{y}-12-20"), format!("{}-01-05", y + 1));
    let (s, c) = app.post(&doctor, "/api/v1/claims", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["settlement"]["med_type"], "21");
    let hifp = c["settlement"]["hifp_pay"].as_i64().unwrap();
    assert!(hifp > 0, "{c}");
    // The stay is settled in the discharge period (January) but its deductible, ceiling and
    // admission count belong to the admission year, whose policy settled it.
    let row = repo::claim(&app.db, c["id"].as_str().unwrap()).await.unwrap().unwrap();
    assert_eq!((row.year, row.month), (i64::from(y + 1), 1));
    let after = acc(&app, &county, &resident, y).await.unwrap();
    assert_eq!(after.admissions, before.admissions + 1);
    assert_eq!(after.fund_paid.get(), before.fund_paid.get() + hifp);
    assert_eq!(
        acc(&app, &county, &resident, y + 1).await,
        next_before,
        "the discharge year is untouched"
    );
    // Reversal restores the admission year's accumulators; the key settles again to the same amount.
    let id = c["id"].as_str().unwrap();
    let (s, r) = app.post(&doctor, &format!("/api/v1/claims/{id}/reverse"), &json!(null)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(acc(&app, &county, &resident, y).await.unwrap(), before);
    let (s, again) = app.post(&doctor, "/api/v1/claims", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert_eq!(again["settlement"]["hifp_pay"].as_i64().unwrap(), hifp);
}

#[tokio::test]
async fn coverage_starts_on_the_enrolment_date_and_after_a_waiting_period() {
    let app = spawn_app().await;
    let doctor = app.token("township_doctor").await;
    let officer = app.token("insurance").await;
    let y = demo_year();
    let village = app.residents(&doctor, "limit=1").await["items"][0]["village_code"].clone();
    let (s, fresh) = app
        .post(
            &doctor,
            "/api/v1/residents",
            &json!({"id_number": crate::helpers::new_id_number("652301", 9), "name": "新参保人", "village_code": village}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{fresh}");
    let rid = fresh["id"].as_str().unwrap().to_owned();
    // Enrolled late, on 1 June of the demo year.
    let (s, e) = app
        .post(
            &officer,
            &format!("/api/v1/residents/{rid}/enrolments"),
            &json!({"insurance_type": "390", "year": y, "enrolled_on": format!("{y}-06-01")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let visit = |key: &str, date: String| json!({"claim_key": key, "resident_id": rid, "med_type": "11", "date": date, "charges": [{"code": "110200001", "quantity": 1}]});
    let (s, p) = app.post(&doctor, "/api/v1/claims", &visit("EN-1", format!("{y}-05-10"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["rule"], "claim.rejected.OutsideCoverage");
    assert_eq!(p["errors"][0]["field"], "date");
    let (s, first) = app.post(&doctor, "/api/v1/claims", &visit("EN-2", format!("{y}-06-02"))).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");

    // A mid-year version with the national waiting period (3 months after a late enrolment) and a
    // higher township ratio: the claim settled under the first version keeps its version and money.
    let (_, list) = app.get(&officer, "/api/v1/insurance/policies").await;
    let v1 = list.as_array().unwrap().iter().find(|p| p["year"] == json!(y)).unwrap().clone();
    let mut p = v1["policy"].clone();
    p["version"] = json!("h2-waiting");
    p["effective_from"] = json!(format!("{y}-07-01"));
    p["waiting_period"] = json!({"window_end": format!("{}-12-31", y - 1), "months": 3, "extra_months_per_gap_year": 1});
    p["schemes"][0]["outpatient"]["ratio"]["township"] = json!(9_000);
    let (s, v2) = app.post(&officer, "/api/v1/insurance/policies", &p).await;
    assert_eq!(s, StatusCode::CREATED, "{v2}");
    let id = first["id"].as_str().unwrap();
    let (_, reread) = app.get(&doctor, &format!("/api/v1/claims/{id}")).await;
    assert_eq!(reread["policy_id"], v1["id"]);
    assert_eq!(
        reread["settlement"], first["settlement"],
        "a new version never rewrites a settled claim"
    );
    // Under the new version the waiting period runs to 1 September.
    let (s, p) = app.post(&doctor, "/api/v1/claims", &visit("EN-3", format!("{y}-08-01"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["rule"], "claim.rejected.OutsideCoverage");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("BeforeCoverage"), "{p}");
    let (s, later) = app.post(&doctor, "/api/v1/claims", &visit("EN-4", format!("{y}-09-01"))).await;
    assert_eq!(s, StatusCode::CREATED, "{later}");
    assert_eq!(later["policy_id"], v2["id"]);
}

#[tokio::test]
async fn unknown_persons_are_rejected_with_a_code_and_nothing_is_stored() {
    let app = spawn_app().await;
    let doctor = app.token("township_doctor").await;
    let today = chrono::Utc::now().date_naive().to_string();
    let (s, p) = app
        .post(
            &doctor,
            "/api/v1/claims",
            &json!({"claim_key": "UK-1", "resident_id": "no-such-person", "med_type": "11", "date": today,
                    "charges": [{"code": "110200001", "quantity": 1}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["rule"], "claim.rejected.UnknownPerson");
    assert_eq!(p["errors"][0]["field"], "resident_id");
    let (s, _) = app.get(&doctor, "/api/v1/claims/no-such-claim").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn inpatient_and_chronic_claims_settle_with_their_own_rules() {
    let app = spawn_app().await;
    let doctor = app.token("township_doctor").await;
    let (resident, county) = insured_resident(&app, &doctor).await;
    let y = demo_year();
    let before = acc(&app, &county, &resident, y).await.unwrap();
    // Inpatient (21): a per-admission deductible, counted as an admission.
    let (s, c) = app
        .post(
            &doctor,
            "/api/v1/claims",
            &inpatient("ZY-21", &resident, format!("{y}-03-02"), format!("{y}-03-08")),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let st = &c["settlement"];
    let f = |k: &str| st[k].as_i64().unwrap();
    assert_eq!(st["med_type"], "21");
    assert_eq!(f("act_pay_dedc") + f("hifp_pay") + f("pool_prop_selfpay"), f("inscp_amt"));
    assert_eq!(f("fund_pay_sumamt") + f("acct_pay") + f("psn_cash_pay"), f("medfee_sumamt"));
    assert_eq!(st["delta"]["admissions"], 1);
    // Chronic (14): an approved disease of the list, against the chronic limit.
    let chronic = |key: &str, disease: &str| {
        json!({"claim_key": key, "resident_id": resident, "med_type": "14", "date": format!("{y}-04-10"), "chronic_disease": disease,
               "charges": [{"code": "XC09CAL001", "quantity": 60}, {"code": "250301001", "quantity": 1}]})
    };
    // Only with an approval of the disease on the day of care (eligibility records).
    let (s, p) = app.post(&doctor, "/api/v1/claims", &chronic("MT-14", "N18")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["rule"], "claim.rejected.ChronicNotApproved");
    let officer = app.token("insurance").await;
    let approval = json!({"kind": "chronic_disease", "code": "N18", "valid_from": format!("{y}-01-01"), "valid_to": format!("{y}-12-31"),
                          "review_on": format!("{y}-12-01"), "evidence": "透析记录 2024-118"});
    let (s, e) = app
        .post(&officer, &format!("/api/v1/residents/{resident}/eligibility"), &approval)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let (s, bad) = app
        .post(
            &officer,
            &format!("/api/v1/residents/{resident}/eligibility"),
            &json!({"kind": "chronic_disease", "code": "J45",
            "valid_from": format!("{y}-02-01"), "valid_to": format!("{y}-01-01"), "evidence": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["code", "valid_to", "evidence"]);
    let (s, ch) = app.post(&doctor, "/api/v1/claims", &chronic("MT-14", "N18")).await;
    assert_eq!(s, StatusCode::CREATED, "{ch}");
    assert_eq!(ch["settlement"]["med_type"], "14");
    let hifp = ch["settlement"]["hifp_pay"].as_i64().unwrap();
    assert_eq!(ch["settlement"]["delta"]["chronic_fund_paid"].as_i64().unwrap(), hifp);
    let after = acc(&app, &county, &resident, y).await.unwrap();
    assert_eq!(after.admissions, before.admissions + 1);
    assert_eq!(after.chronic_fund_paid.get(), before.chronic_fund_paid.get() + hifp);
    // A disease not on the list, or none: outside coverage.
    let (s, p) = app.post(&doctor, "/api/v1/claims", &chronic("MT-15", "J45")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["rule"], "claim.rejected.OutsideCoverage");
    // A revoked approval no longer covers the disease.
    let (s, list) = app.get(&officer, &format!("/api/v1/residents/{resident}/eligibility")).await;
    assert_eq!(s, StatusCode::OK);
    let id = list.as_array().unwrap().iter().find(|e| e["code"] == "N18").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _) = app
        .post(
            &officer,
            &format!("/api/v1/residents/{resident}/eligibility/{id}/revoke"),
            &json!({"reason": "复审不符合"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, p) = app.post(&doctor, "/api/v1/claims", &chronic("MT-16", "N18")).await;
    assert_eq!(
        (s, p["errors"][0]["rule"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("claim.rejected.ChronicNotApproved"))
    );
}

/// Five levels of care (#16 part 7): a stay at a hospital outside the pool's registry in another
/// province is care outside the province, stored as such and settled with the policy's
/// out-of-province ratio (50 % for residents in the example, against 60 % inside the province);
/// a malformed province code is refused naming the field, nothing stored.
#[tokio::test]
async fn care_outside_the_province_is_its_own_level() {
    let app = spawn_app().await;
    let doctor = app.token("township_doctor").await;
    let (resident, _) = insured_resident(&app, &doctor).await;
    let y = demo_year();
    let outside = |key: &str, province: &str| {
        let mut c = inpatient(key, &resident, format!("{y}-05-02"), format!("{y}-05-08"));
        c["outside_name"] = json!("外省某三甲医院");
        c["outside_province"] = json!(province);
        c["filed"] = json!(true);
        // A longer, costlier stay, so that the pooled fund pays above either deductible.
        c["charges"] = json!([{"code": "110900002", "quantity": 200}, {"code": "250000001", "quantity": 1}]);
        c
    };
    let (s, p) = app.post(&doctor, "/api/v1/claims", &outside("YD-0", "1")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "outside_province");
    let (s, far) = app.post(&doctor, "/api/v1/claims", &outside("YD-1", "11")).await;
    assert_eq!(s, StatusCode::CREATED, "{far}");
    let row = repo::claim(&app.db, far["id"].as_str().unwrap()).await.unwrap().unwrap();
    assert_eq!(row.care_level, "out_of_province");
    let (s, near) = app.post(&doctor, "/api/v1/claims", &outside("YD-2", "65")).await;
    assert_eq!(s, StatusCode::CREATED, "{near}");
    let row = repo::claim(&app.db, near["id"].as_str().unwrap()).await.unwrap().unwrap();
    assert_eq!(row.care_level, "out_of_county");
    // The pooled share of what is above the deductible: 50 % − 10 points (filed) outside the
    // province against 60 % − 10 points inside it.
    let ratio = |c: &Value| {
        let st = &c["settlement"];
        let paid = st["hifp_pay"].as_i64().unwrap();
        let base = paid + st["pool_prop_selfpay"].as_i64().unwrap();
        paid * 10_000 / base.max(1)
    };
    assert!((3_990..=4_010).contains(&ratio(&far)), "{} {far}", ratio(&far));
    assert!((4_990..=5_010).contains(&ratio(&near)), "{}", ratio(&near));
}

/// Price caps by level of care (分级定价, #16 part 1): a catalogue item may cap its price per
/// level; a claim at a township centre is priced and capped at the township's cap (what it
/// charges above is self-paid), a bad cap is refused naming its row and column.
#[tokio::test]
async fn a_catalogue_caps_prices_by_level_of_care() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let today = sanyi_domain::time::today();
    let import = |csv: &'static str| {
        let app = &app;
        let officer = officer.clone();
        async move {
            let res = app
                .client
                .post(app.url(&format!(
                    "/api/v1/catalogue/versions?version=T-{today}&effective_from={today}&file_name=t.csv"
                )))
                .bearer_auth(&officer)
                .header("content-type", "text/csv")
                .body(csv)
                .send()
                .await
                .unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        }
    };
    let (s, e) = import("code,kind,name_zh,category,price_cap_yuan,unit,zero_markup,price_cap_township_yuan,price_cap_village_yuan\nT0001,service,分级诊查,A,10.00,次,否,8.00,0\n").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["errors"][0]["field"], "rows[2].price_cap_village_yuan");
    let (s, e) = import("code,kind,name_zh,category,price_cap_yuan,unit,zero_markup,price_cap_township_yuan,price_cap_village_yuan\nT0001,service,分级诊查,A,10.00,次,否,8.00,6.00\n").await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let doctor = app.token("township_doctor").await;
    let resident = app.residents(&doctor, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let claim = |key: &str, charge: Value| json!({"claim_key": key, "resident_id": resident, "med_type": "11", "date": today.to_string(), "charges": [charge]});
    let (s, c) = app
        .post(&doctor, "/api/v1/claims", &claim("FJ-1", json!({"code": "T0001", "quantity": 2})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["settlement"]["medfee_sumamt"], 1_600, "priced at the township's cap");
    let (s, c) = app
        .post(
            &doctor,
            "/api/v1/claims",
            &claim("FJ-2", json!({"code": "T0001", "quantity": 2, "unit_price": 900})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["settlement"]["overlmt_selfpay"], 200, "above the township's cap is self-paid");
}

//! Medicines through the API (issue #15): the pool's catalogue as versioned data, a procurement
//! project from demand to contract and prepayment, the central pharmacy from order to paid
//! invoice and transfer, prescriptions dispensed from stock at zero mark-up and charged on the
//! claim at the payment standard, racing dispensers, and the report with its Excel export.

use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

fn rules(p: &Value) -> Vec<String> {
    p["errors"].as_array().map_or_else(Vec::new, |e| {
        e.iter().map(|x| x["rule"].as_str().unwrap_or_default().to_owned()).collect()
    })
}

fn fields(p: &Value) -> Vec<String> {
    p["errors"].as_array().map_or_else(Vec::new, |e| {
        e.iter().map(|x| x["field"].as_str().unwrap_or_default().to_owned()).collect()
    })
}

/// The current year's project of the national batch (demand reported, waiting for its contract).
async fn renewal(app: &TestApp, token: &str) -> Value {
    let (s, list) = app.get(token, "/api/v1/procurement/projects").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["state"] == "reporting" && p["level"] == "national")
        .cloned()
        .expect("the demo's renewal waiting for its contract")
}

/// Contracts the renewal of the procurement officer's county; returns it.
async fn contracted(app: &TestApp, token: &str) -> Value {
    let p = renewal(app, token).await;
    let (s, c) = app
        .post(
            token,
            &format!("/api/v1/procurement/projects/{}/contract", p["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    c
}

/// Units of `item` in stock at `institution`.
async fn stock_of(app: &TestApp, token: &str, institution: &str, item: &str) -> i64 {
    let (s, lots) = app
        .get(token, &format!("/api/v1/pharmacy/stock?institution_id={institution}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{lots}");
    lots.as_array()
        .unwrap()
        .iter()
        .filter(|l| l["item_code"] == item && l["expired"] == false)
        .map(|l| l["quantity"].as_i64().unwrap())
        .sum()
}

async fn institution_of(app: &TestApp, token: &str) -> String {
    app.me(token).await["institution_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_project_goes_from_demand_to_contract_and_the_pharmacy_from_order_to_paid_invoice() {
    let app = spawn_app().await;
    let officer = app.token("procurement").await;
    let p = renewal(&app, &officer).await;
    let id = p["id"].as_str().unwrap().to_owned();
    // Demand: a generic outside the project and a negative demand are named; nothing changes.
    let member = p["demands"][0]["institution_id"].as_str().unwrap().to_owned();
    let (s, e) = app
        .put(
            &officer,
            &format!("/api/v1/procurement/projects/{id}/demand"),
            &json!({"rows": [{"institution_id": member, "generic_name": "阿莫西林", "dosage_form": "胶囊剂", "reported_units": 10},
                              {"institution_id": member, "generic_name": "苯磺酸氨氯地平", "dosage_form": "片剂", "reported_units": -1}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(rules(&e), vec!["generic.in_project", "input.negative"]);
    // A demand of 1 000 with one winner agrees 500 (docs/rules/procurement.md#agreed-volume).
    let (s, v) = app
        .put(
            &officer,
            &format!("/api/v1/procurement/projects/{id}/demand"),
            &json!({"rows": [{"institution_id": member, "generic_name": "苯磺酸氨氯地平", "dosage_form": "片剂", "reported_units": 1000}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let row = v["demands"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["institution_id"] == member.as_str() && d["generic_name"] == "苯磺酸氨氯地平")
        .unwrap();
    assert_eq!(
        (row["reported_units"].as_i64(), row["agreed_units"].as_i64()),
        (Some(1000), Some(500))
    );
    // The contract fixes the volumes and credits at least 30 % of the agreed amount.
    let c = contracted(&app, &officer).await;
    let (prepaid, agreed) = (
        c["prepayment"]["amount"].as_i64().unwrap(),
        c["prepayment"]["agreed_amount"].as_i64().unwrap(),
    );
    assert!(agreed > 0 && prepaid * 10_000 >= agreed * 3_000 && prepaid <= agreed, "{c}");
    let (s, e) = app
        .post(&officer, &format!("/api/v1/procurement/projects/{id}/contract"), &json!({}))
        .await;
    assert_eq!((s, rules(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["contract.once".to_owned()]));
    let (s, e) = app
        .put(
            &officer,
            &format!("/api/v1/procurement/projects/{id}/demand"),
            &json!({"rows": [{"institution_id": member, "generic_name": "苯磺酸氨氯地平", "dosage_form": "片剂", "reported_units": 5}]}),
        )
        .await;
    assert_eq!(
        (s, rules(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["demand.reporting".to_owned()])
    );

    // Orders: the selected product at its contract price; other prices, unknown codes and prices
    // above the cap are named line by line, and nothing is stored.
    let lead = institution_of(&app, &officer).await;
    let bad = json!({"order_no": "CG-T-1", "supplier": "示例配送", "lines": [
        {"item_code": "XC08CAA001", "quantity": 100, "unit_price": 11},
        {"item_code": "NOPE", "quantity": 1},
        {"item_code": "XC08CAA002", "quantity": 1, "unit_price": 99_999},
        {"item_code": "110200001", "quantity": 1}]});
    let (s, e) = app.post(&officer, "/api/v1/pharmacy/orders", &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        rules(&e),
        vec!["procurement.selected_price", "item.unknown", "price.cap", "item.unknown"]
    );
    let (s, o) = app
        .post(
            &officer,
            "/api/v1/pharmacy/orders",
            &json!({"order_no": "CG-T-1", "supplier": "示例配送", "lines": [{"item_code": "XC08CAA001", "quantity": 100}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(o["lines"][0]["unit_price"], 12);
    assert_eq!(o["lines"][0]["project_id"], id.as_str());
    let order = o["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .post(
            &officer,
            "/api/v1/pharmacy/orders",
            &json!({"order_no": "CG-T-1", "supplier": "x", "lines": [{"item_code": "XC08CAA001", "quantity": 1}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // A delivery with an expired lot is refused; a good one is accepted once and paid once.
    let today = sanyi_domain::time::today();
    let (s, e) = app
        .post(
            &officer,
            &format!("/api/v1/pharmacy/orders/{order}/deliveries"),
            &json!({"delivery_no": "PS-T-1", "lines": [{"item_code": "XC08CAA001", "lot_no": "OLD", "expires_on": "2020-01-01", "quantity": 100}]}),
        )
        .await;
    assert_eq!((s, rules(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["lot.expired".to_owned()]));
    let before = stock_of(&app, &officer, &lead, "XC08CAA001").await;
    let expiry = (today + chrono::Duration::days(500)).to_string();
    let (s, d) = app
        .post(
            &officer,
            &format!("/api/v1/pharmacy/orders/{order}/deliveries"),
            &json!({"delivery_no": "PS-T-1", "lines": [{"item_code": "XC08CAA001", "lot_no": "T1", "expires_on": expiry, "quantity": 100}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_eq!(d["amount"], 1_200);
    let delivery = d["id"].as_str().unwrap().to_owned();
    let (s, e) = app
        .post(&officer, &format!("/api/v1/pharmacy/deliveries/{delivery}/pay"), &json!({}))
        .await;
    assert_eq!((s, rules(&e)), (StatusCode::CONFLICT, vec!["delivery.paid_once".to_owned()]));
    let (s, a) = app
        .post(
            &officer,
            &format!("/api/v1/pharmacy/deliveries/{delivery}/accept"),
            &json!({"on": today}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["due_on"], (today + chrono::Duration::days(30)).to_string());
    let (s, e) = app
        .post(&officer, &format!("/api/v1/pharmacy/deliveries/{delivery}/accept"), &json!({}))
        .await;
    assert_eq!((s, rules(&e)), (StatusCode::CONFLICT, vec!["delivery.accepted_once".to_owned()]));
    assert_eq!(stock_of(&app, &officer, &lead, "XC08CAA001").await, before + 100);
    let (s, due) = app.get(&officer, "/api/v1/pharmacy/deliveries?unpaid=true").await;
    assert_eq!(s, StatusCode::OK);
    assert!(due["items"].as_array().unwrap().iter().any(|x| x["id"] == delivery.as_str()));
    let (s, paid) = app
        .post(&officer, &format!("/api/v1/pharmacy/deliveries/{delivery}/pay"), &json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{paid}");
    assert_eq!(paid["overdue_days"], 0);
    // Transfers go down to members of the community, never more than the unexpired stock.
    let (s, e) = app
        .post(
            &officer,
            "/api/v1/pharmacy/transfers",
            &json!({"transfer_no": "DB-T-1", "to_institution_id": member, "item_code": "XC08CAA001", "quantity": 10_000_000}),
        )
        .await;
    assert_eq!(
        (s, rules(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["dispensing.shortage".to_owned()])
    );
    let target = if member == lead {
        p["demands"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["institution_id"] != lead.as_str())
            .unwrap()["institution_id"]
            .as_str()
            .unwrap()
            .to_owned()
    } else {
        member.clone()
    };
    let had = stock_of(&app, &officer, &target, "XC08CAA001").await;
    let (s, t) = app
        .post(
            &officer,
            "/api/v1/pharmacy/transfers",
            &json!({"transfer_no": "DB-T-1", "to_institution_id": target, "item_code": "XC08CAA001", "quantity": 40}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(stock_of(&app, &officer, &target, "XC08CAA001").await, had + 40);
    assert_eq!(stock_of(&app, &officer, &lead, "XC08CAA001").await, before + 60);

    // The report counts the receipt against the agreed volume of the contracted renewal.
    let (s, r) = app.get(&officer, "/api/v1/procurement/report").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let proj = r["projects"].as_array().unwrap().iter().find(|x| x["id"] == id.as_str()).unwrap();
    let amlodipine = proj["generics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["generic_name"] == "苯磺酸氨氯地平")
        .unwrap();
    assert_eq!(amlodipine["purchased_units"], 100);
    assert!(proj["saving"].as_i64().unwrap() == (45 - 12) * 100, "{proj}");
    let res = app
        .client
        .get(app.url("/api/v1/procurement/report/xlsx"))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    assert!(res.bytes().await.unwrap().starts_with(b"PK"));
}

/// A resident of the village doctor's area enrolled this year.
async fn patient(app: &TestApp, doctor: &str) -> String {
    let list = app.residents(doctor, "limit=20").await;
    list["items"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_prescription_is_dispensed_at_zero_mark_up_and_charged_at_the_payment_standard() {
    let app = spawn_app().await;
    let officer = app.token("procurement").await;
    contracted(&app, &officer).await;
    let doctor = app.token("village_doctor").await;
    let clinic = institution_of(&app, &doctor).await;
    // The central pharmacy sends the clinic the selected amlodipine and the originator: 30 units
    // each, or what the demo left in stock by this day of the year.
    let lead = institution_of(&app, &officer).await;
    let q = stock_of(&app, &officer, &lead, "XC08CAA001")
        .await
        .min(stock_of(&app, &officer, &lead, "XC08CAA002").await)
        .min(30);
    assert!(q > 0, "the lead hospital holds both products");
    for (n, item) in ["XC08CAA001", "XC08CAA002"].iter().enumerate() {
        let (s, t) = app
            .post(
                &officer,
                "/api/v1/pharmacy/transfers",
                &json!({"transfer_no": format!("DB-V-{n}"), "to_institution_id": clinic, "item_code": item, "quantity": q}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{item}: {t}");
    }
    let resident = patient(&app, &doctor).await;
    // Choices put the selected product first and say why the originator is not.
    let (s, ch) = app.get(&doctor, "/api/v1/prescriptions/choices?q=氨氯地平").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ch[0]["code"], "XC08CAA001");
    assert_eq!(ch[0]["selected"], true);
    assert!(ch[1]["advice_zh"].as_str().unwrap().contains("中选"), "{ch}");
    // Bad prescriptions: a chronic one beyond 12 weeks, a service item, no diagnosis.
    let (s, e) = app
        .post(
            &doctor,
            "/api/v1/prescriptions",
            &json!({"resident_id": resident, "kind": "chronic", "diagnosis": "", "days_supply": 90,
            "lines": [{"item_code": "110200005", "quantity": 1}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), vec!["days_supply", "diagnosis", "lines[0].item_code"]);
    assert_eq!(rules(&e)[0], "prescription.days_exceeded");
    let (s, rx) = app
        .post(
            &doctor,
            "/api/v1/prescriptions",
            &json!({"resident_id": resident, "kind": "chronic", "diagnosis": "I10", "days_supply": 84,
            "lines": [{"item_code": "XC08CAA002", "quantity": q}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{rx}");
    let rx_id = rx["id"].as_str().unwrap().to_owned();
    assert!(rx["lines"][0]["advice_zh"].as_str().is_some());
    // Zero mark-up: a stated sale price above the purchase cost is refused and nothing is taken.
    let (s, e) = app
        .post(
            &doctor,
            &format!("/api/v1/prescriptions/{rx_id}/dispense"),
            &json!({"sale_prices": [{"line_no": 1, "unit_price": 461}]}),
        )
        .await;
    assert_eq!(
        (s, rules(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["zero_markup.violated".to_owned()])
    );
    assert_eq!(stock_of(&app, &officer, &clinic, "XC08CAA002").await, q);
    let (s, d) = app
        .post(&doctor, &format!("/api/v1/prescriptions/{rx_id}/dispense"), &json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(
        (d["state"].as_str(), d["amount"].as_i64(), d["lines"][0]["selected"].as_bool()),
        (Some("dispensed"), Some(460 * q), Some(false))
    );
    assert_eq!(stock_of(&app, &officer, &clinic, "XC08CAA002").await, 0);
    let (s, e) = app
        .post(&doctor, &format!("/api/v1/prescriptions/{rx_id}/dispense"), &json!({}))
        .await;
    assert_eq!(
        (s, rules(&e)),
        (StatusCode::CONFLICT, vec!["prescription.dispensed_once".to_owned()])
    );
    // The claim charges the dispensed drugs; the originator's price above the selected price
    // (the payment standard, 0.12 yuan) is self-paid (docs/rules/procurement.md#payment-standard).
    let today = sanyi_domain::time::today().to_string();
    let claim = |key: &str| {
        json!({"claim_key": key, "resident_id": resident, "med_type": "11", "date": today,
        "charges": [{"code": "110200005", "quantity": 1}], "prescriptions": [rx_id]})
    };
    let (s, c) = app.post(&doctor, "/api/v1/claims", &claim("MZ-RX-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let st = &c["settlement"];
    assert_eq!(st["medfee_sumamt"].as_i64(), Some(1_000 + 460 * q));
    assert_eq!(st["overlmt_selfpay"].as_i64(), Some((460 - 12) * q), "{st}");
    let (s, e) = app.post(&doctor, "/api/v1/claims", &claim("MZ-RX-2")).await;
    assert_eq!(
        (s, fields(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["prescriptions[0]".to_owned()])
    );
    // A reversal frees the prescription for the claim that replaces it.
    let (s, _) = app
        .post(
            &doctor,
            &format!("/api/v1/claims/{}/reverse", c["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, c2) = app.post(&doctor, "/api/v1/claims", &claim("MZ-RX-2")).await;
    assert_eq!(s, StatusCode::CREATED, "{c2}");
    let (s, v) = app.get(&doctor, &format!("/api/v1/prescriptions/{rx_id}")).await;
    assert_eq!((s, v["claim_key"].as_str()), (StatusCode::OK, Some("MZ-RX-2")));
    // The monthly usage kept at write time (the demo year's bulk load, this dispensing) answers
    // as the dispensed lines do, over whole months, part months and a single day.
    use sanyi_store::pharmacy::{usage, usage_from_lines};
    let day = sanyi_domain::time::today();
    let d = |y: i32, m: u32, dd: u32| chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap();
    let last = day.year() - 1;
    for (from, to) in [
        (d(last, 1, 1), day),
        (d(last, 1, 1), d(last, 12, 31)),
        (d(last, 3, 15), d(last, 11, 3)),
        (d(last, 6, 1), d(last, 6, 30)),
        (d(last, 6, 2), d(last, 6, 29)),
        (day, day),
    ] {
        let kept = usage(&app.db, "65", from, to).await.unwrap();
        assert_eq!(kept, usage_from_lines(&app.db, "65", from, to).await.unwrap(), "{from}..{to}");
        assert!(!kept.is_empty(), "{from}..{to}");
    }
    let today_units: i64 = usage(&app.db, "65", day, day).await.unwrap().iter().map(|u| u.units).sum();
    assert_eq!(today_units, q);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_dispensers_never_take_the_same_unit_twice() {
    let app = spawn_app().await;
    let officer = app.token("procurement").await;
    let doctor = app.token("village_doctor").await;
    let clinic = institution_of(&app, &doctor).await;
    let (s, t) = app
        .post(
            &officer,
            "/api/v1/pharmacy/transfers",
            &json!({"transfer_no": "DB-R", "to_institution_id": clinic, "item_code": "XA10BAM001", "quantity": 10}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let start = stock_of(&app, &officer, &clinic, "XA10BAM001").await;
    let resident = patient(&app, &doctor).await;
    let mut ids = Vec::new();
    for _ in 0..8 {
        let (s, rx) = app
            .post(
                &doctor,
                "/api/v1/prescriptions",
                &json!({"resident_id": resident, "kind": "outpatient", "diagnosis": "E11", "days_supply": 3,
                "lines": [{"item_code": "XA10BAM001", "quantity": 2}]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{rx}");
        ids.push(rx["id"].as_str().unwrap().to_owned());
    }
    // Every dispensing on its own task: they race at the server.
    let mut set = tokio::task::JoinSet::new();
    for id in &ids {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/v1/prescriptions/{id}/dispense")),
            doctor.clone(),
        );
        set.spawn(async move {
            let r = client.post(url).bearer_auth(token).json(&json!({})).send().await.unwrap();
            let s = r.status();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        });
    }
    let mut results = Vec::new();
    while let Some(r) = set.join_next().await {
        results.push(r.unwrap());
    }
    let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count() as i64;
    let short = results
        .iter()
        .filter(|(s, p)| *s == StatusCode::UNPROCESSABLE_ENTITY && rules(p) == ["dispensing.shortage"])
        .count() as i64;
    assert_eq!(ok + short, 8, "{results:?}");
    assert_eq!(ok, start / 2, "{results:?}");
    assert_eq!(stock_of(&app, &officer, &clinic, "XA10BAM001").await, start - 2 * ok);
}

#[tokio::test]
async fn catalogue_versions_are_imported_whole_or_not_at_all() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let (s, before) = app.get(&officer, "/api/v1/catalogue/versions").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(before[0]["illustrative"], true);
    let bad = "code,kind,name_zh,category,price_cap_yuan,unit,zero_markup\nA1,drug,甲,A,1.00,片,是\nA1,drug,重复,X,abc,,maybe\n";
    let res = app
        .client
        .post(app.url("/api/v1/catalogue/versions?version=2030-v1&effective_from=2030-01-01&file_name=c.csv"))
        .bearer_auth(&officer)
        .header("content-type", "text/csv")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = res.json().await.unwrap();
    let f = fields(&e);
    assert!(
        f.contains(&"rows[2].generic_name".to_owned())
            && f.contains(&"rows[3].code".to_owned())
            && f.contains(&"rows[3].price_cap_yuan".to_owned()),
        "{e}"
    );
    let (_, after) = app.get(&officer, "/api/v1/catalogue/versions").await;
    assert_eq!(after.as_array().unwrap().len(), before.as_array().unwrap().len());
    let good = "code,kind,name_zh,category,price_cap_yuan,unit,zero_markup,generic_name,dosage_form\nA1,drug,甲药,A,1.00,片,是,甲,片剂\nS1,service,诊查,A,5,次,否,,\n";
    let res = app
        .client
        .post(app.url("/api/v1/catalogue/versions?version=2030-v1&effective_from=2030-01-01&file_name=c.csv"))
        .bearer_auth(&officer)
        .header("content-type", "text/csv")
        .body(good)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["item_count"], 2);
    let (s, found) = app
        .get(
            &officer,
            &format!("/api/v1/catalogue/items?version={}&q=甲", v["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(found["items"]["total"], 1);
    // Today the demo version is still in force: the default search reads it.
    let (_, now) = app.get(&officer, "/api/v1/catalogue/items?q=氨氯地平").await;
    assert_eq!(now["items"]["total"], 2);
    assert_eq!(now["version"]["illustrative"], true);
}

#[tokio::test]
async fn the_retained_saving_lands_in_the_year_end_settlement_and_on_the_board() {
    let app = spawn_app().await;
    let officer = app.token("insurance").await;
    let year = crate::helpers::demo_params().today.year() - 1;
    let (s, r) = app
        .post(&officer, &format!("/api/v1/insurance/settlements?year={year}"), &json!(null))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let mut retained = std::collections::BTreeMap::new();
    for county in r["counties"].as_array().unwrap() {
        for c in county["communities"].as_array().unwrap() {
            let p = &c["procurement"];
            let (prepaid, offset, outstanding) = (
                p["prepaid"].as_i64().unwrap(),
                p["offset"].as_i64().unwrap(),
                p["outstanding"].as_i64().unwrap(),
            );
            // docs/rules/procurement.md#prepayment: Σ offsets + outstanding = prepaid.
            assert!(prepaid > 0 && offset + outstanding == prepaid, "{p}");
            for project in p["projects"].as_array().unwrap() {
                let code = project["code"].as_str().unwrap().to_owned();
                let (saving, kept) = (
                    project["saving_within_agreed"].as_i64().unwrap(),
                    project["retained"].as_i64().unwrap(),
                );
                if code.starts_with("GJ") {
                    // On track: half the saving within the agreed volume is retained.
                    assert_eq!(
                        (project["gate_passed"].as_bool(), kept),
                        (Some(true), (saving + 1) / 2),
                        "{project}"
                    );
                } else {
                    // Behind: the gate fails, named by generic; nothing is retained.
                    assert_eq!((project["gate_passed"].as_bool(), kept), (Some(false), 0), "{project}");
                    assert!(project["reasons_zh"][0].as_str().unwrap().contains("未完成约定采购量"));
                }
                retained.insert(code, kept);
            }
            assert_eq!(
                p["retained"].as_i64().unwrap(),
                p["projects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x["retained"].as_i64().unwrap())
                    .sum::<i64>()
            );
        }
    }
    assert!(!retained.is_empty());
    let steps = r["trace"]["steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["rule"] == "procurement.retained_saving"));
    // The procurement board shows the same figure for each ended project.
    let procurement = app.token("procurement").await;
    let (s, board) = app.get(&procurement, "/api/v1/procurement/report").await;
    assert_eq!(s, StatusCode::OK);
    for p in board["projects"].as_array().unwrap().iter().filter(|p| p["retained"].is_object()) {
        assert_eq!(
            p["retained"]["retained"].as_i64(),
            retained.get(p["code"].as_str().unwrap()).copied(),
            "{p}"
        );
    }
}

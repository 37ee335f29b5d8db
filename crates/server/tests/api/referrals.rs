use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

/// The village doctor, the county specialist, a resident of the doctor's village and the lead
/// hospital that receives referrals.
struct Parties {
    doctor: String,
    specialist: String,
    resident: String,
    lead: String,
}

async fn parties(app: &crate::helpers::TestApp) -> Parties {
    let doctor = app.token("village_doctor").await;
    let specialist = app.token("specialist").await;
    let resident = app.residents(&doctor, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lead = lead_hospital(app, &doctor).await;
    Parties {
        doctor,
        specialist,
        resident,
        lead,
    }
}

/// The patient's own signed consent (required to submit a referral).
fn consent() -> Value {
    json!({"given_by": "patient", "method": "signed_form", "date": "2026-01-05"})
}

async fn lead_hospital(app: &crate::helpers::TestApp, token: &str) -> String {
    let (_, tree) = app.get(token, "/api/v1/institutions/tree").await;
    tree[0]["communities"][0]["members"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_village_doctor_refers_up_and_the_county_hospital_receives() {
    let app = spawn_app().await;
    let Parties {
        doctor,
        specialist,
        resident,
        lead,
    } = parties(&app).await;
    let body = json!({"resident_id": resident, "receiver_institution_id": lead, "reason": "血压控制不佳，两次随访未达标", "summary": "高血压 10 年",
        "diagnoses": ["I10.x00x002"], "criterion": "chronic_uncontrolled", "consent": consent()});
    let (s, r) = app.post(&doctor, "/api/v1/referrals", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["state"], "pending_receiver");
    // A double submission is refused, naming the open referral; nothing is duplicated.
    let (s, p) = app.post(&doctor, "/api/v1/referrals", &body).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["errors"][0]["rule"], "referral.open_exists");
    assert_eq!(r["direction"], "upward");
    assert_eq!(r["insurance_status"], "none", "not yet accepted: no referral treatment");
    let id = r["id"].as_str().unwrap().to_owned();
    let cmd = |c: Value| c;
    // Only the receiver accepts: the sender is refused whatever the state.
    let accept = cmd(
        json!({"accept": {"placement": {"slot": {"department": "心血管内科", "at": "2099-01-02T01:00:00Z"}}, "valid_until": "2099-01-09T00:00:00Z"}}),
    );
    let (s, p) = app.post(&doctor, &format!("/api/v1/referrals/{id}/commands"), &accept).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    // Arrival before acceptance is a state conflict for the receiver.
    let (s, p) = app
        .post(&specialist, &format!("/api/v1/referrals/{id}/commands"), &json!("arrive"))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    let (s, r) = app.post(&specialist, &format!("/api/v1/referrals/{id}/commands"), &accept).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "accepted");
    assert_eq!(r["state_zh"], "接收");
    assert_eq!(
        r["insurance_status"], "upward",
        "an accepted upward referral changes the next encounter's treatment"
    );
    // Only the sender cancels.
    let (s, _) = app
        .post(
            &specialist,
            &format!("/api/v1/referrals/{id}/commands"),
            &json!({"cancel": {"reason": "x"}}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for c in [
        json!("arrive"),
        json!("start_care"),
        json!({"discharge_home": {"feedback": "血压已控制，继续原方案"}}),
    ] {
        let (s, r) = app.post(&specialist, &format!("/api/v1/referrals/{id}/commands"), &c).await;
        assert_eq!(s, StatusCode::OK, "{c}: {r}");
    }
    let (_, r) = app.get(&doctor, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(r["state"], "feedback_sent");
    let steps: Vec<&str> = r["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(steps, vec!["pending_receiver", "accepted", "arrived", "in_care", "feedback_sent"]);
    // Boxes.
    let (_, inbox) = app.get(&specialist, "/api/v1/referrals?box=in").await;
    assert!(inbox["items"].as_array().unwrap().iter().any(|x| x["id"] == id.as_str()));
    let (_, outbox) = app.get(&doctor, "/api/v1/referrals").await;
    assert_eq!(outbox["items"][0]["id"], id.as_str());
    assert!(!outbox.to_string().contains("\"id_number\""), "lists never carry full ID numbers");
    // Other institutions see nothing; every read and change was audited.
    let nurse = app.token("nurse").await;
    let (s, _) = app.get(&nurse, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let admin = app.token("admin").await;
    let (_, log) = app.get(&admin, &format!("/api/v1/audit?resident_id={resident}")).await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"refer") && actions.contains(&"update") && actions.contains(&"read"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn bad_referrals_and_commands_are_refused_and_timers_escalate() {
    let app = spawn_app().await;
    let doctor = app.token("village_doctor").await;
    let resident = app.residents(&doctor, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lead = lead_hospital(&app, &doctor).await;
    let (s, p) = app
        .post(
            &doctor,
            "/api/v1/referrals",
            &json!({"resident_id": resident, "receiver_institution_id": "nope", "reason": " ", "diagnoses": ["bad"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["receiver_institution_id", "reason", "diagnoses[0]", "consent"]);
    // An upward referral names the criterion it meets (docs/rules/referral.md#criteria); nothing is stored without.
    let before = app.get(&doctor, "/api/v1/referrals").await.1["total"].as_u64().unwrap();
    let (s, p) = app
        .post(
            &doctor,
            "/api/v1/referrals",
            &json!({"resident_id": resident, "receiver_institution_id": lead, "reason": "诊断不明", "consent": consent()}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "criterion");
    assert_eq!(p["errors"][0]["rule"], "criterion.required");
    assert_eq!(app.get(&doctor, "/api/v1/referrals").await.1["total"].as_u64().unwrap(), before);
    let (s, _) = app
        .post(
            &doctor,
            "/api/v1/referrals",
            &json!({"resident_id": "00000000-0000-7000-8000-000000000000", "receiver_institution_id": lead, "reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, r) = app
        .post(
            &doctor,
            "/api/v1/referrals",
            &json!({"resident_id": resident, "receiver_institution_id": lead, "criterion": "uncertain_diagnosis", "reason": "诊断不明", "consent": consent()}),
        )
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    let (s, p) = app
        .post(&doctor, &format!("/api/v1/referrals/{id}/commands"), &json!({"teleport": {}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "command");
    // No answer within the response SLA (24 working hours): the timer escalates it.
    let later = chrono::Utc::now() + chrono::Duration::days(5);
    let changed = sanyi_app::referrals::tick(&app.app, later).await.unwrap();
    assert!(changed >= 1, "{changed}");
    let (_, r) = app.get(&doctor, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(r["state"], "escalated", "{r}");
    assert_eq!(r["timeline"].as_array().unwrap().last().unwrap()["actor_user_id"], Value::Null);
}

/// A command sent with `If-Match: <version>`.
async fn post_if_match(app: &crate::helpers::TestApp, token: &str, path: &str, version: i64, body: &Value) -> (StatusCode, Value) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("if-match", format!("\"{version}\""))
        .json(body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn concurrent_accept_and_cancel_lose_no_update() {
    let app = spawn_app().await;
    let Parties {
        doctor,
        specialist,
        resident,
        lead,
    } = parties(&app).await;
    for round in 0..5 {
        let (_, r) = app
            .post(
                &doctor,
                "/api/v1/referrals",
                &json!({"resident_id": resident, "receiver_institution_id": lead, "criterion": "uncertain_diagnosis", "reason": format!("round {round}"), "consent": consent()}),
            )
            .await;
        let id = r["id"].as_str().unwrap().to_owned();
        let read = r["version"].as_i64().unwrap();
        let path = format!("/api/v1/referrals/{id}/commands");
        let accept = json!({"accept": {"placement": {"bed": {"ward": "3病区", "bed": "12"}}, "valid_until": "2099-01-09T00:00:00Z"}});
        let cancel = json!({"cancel": {"reason": "患者改变主意"}});
        // Both act on the version they read: exactly one wins, the other learns it changed.
        let ((s1, b1), (s2, b2)) = tokio::join!(
            post_if_match(&app, &specialist, &path, read, &accept),
            post_if_match(&app, &doctor, &path, read, &cancel)
        );
        let wins = [s1, s2].iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(wins, 1, "exactly one winner: {s1} {b1} / {s2} {b2}");
        for (s, b) in [(s1, &b1), (s2, &b2)] {
            if s != StatusCode::OK {
                assert_eq!(s, StatusCode::CONFLICT, "{b}");
                assert_eq!(b["current_version"], read + 1, "{b}");
            }
        }
        let (_, now) = app.get(&doctor, &format!("/api/v1/referrals/{id}")).await;
        // The winner's command is in the timeline after the submission: nothing lost, nothing extra.
        assert_eq!(now["timeline"].as_array().unwrap().len(), 2, "{now}");
        assert_eq!(now["version"].as_i64().unwrap(), read + 1);
        // Close the round so the next one may refer the same resident again.
        if now["state"] != "cancelled" {
            let (s, _) = post_if_match(&app, &doctor, &path, read + 1, &cancel).await;
            assert_eq!(s, StatusCode::OK);
        }
    }
    // A stale version is refused and changes nothing; a malformed one is a field error.
    let (_, r) = app
        .post(
            &doctor,
            "/api/v1/referrals",
            &json!({"resident_id": resident, "receiver_institution_id": lead, "criterion": "uncertain_diagnosis", "reason": "stale", "consent": consent()}),
        )
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/referrals/{id}/commands");
    let (s, _) = post_if_match(&app, &doctor, &path, 7, &json!({"cancel": {"reason": "x"}})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let r = app
        .client
        .post(app.url(&path))
        .bearer_auth(&doctor)
        .header("if-match", "yesterday")
        .json(&json!({"cancel": {"reason": "x"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(&doctor, &format!("/api/v1/referrals/{id}")).await.1["version"], 1);
    // The database itself refuses a second open referral of the resident from the same sender to
    // the same receiver (a race past the application's check).
    let row = sanyi_store::referrals::get(&app.db, &id).await.unwrap().unwrap();
    let twin = sanyi_store::referrals::ReferralRow {
        id: sanyi_store::new_id(),
        ..row.clone()
    };
    let audit = sanyi_store::audit::AuditEntry {
        division_code: row.division_code.clone(),
        id: sanyi_store::new_id(),
        at: chrono::Utc::now(),
        user_id: "test".into(),
        username: "test".into(),
        role: "village_doctor".into(),
        action: "refer".into(),
        entity: "referral".into(),
        entity_id: twin.id.clone(),
        resident_id: Some(row.resident_id.clone()),
        ip: "test".into(),
        detail: "twin".into(),
    };
    let e = sanyi_store::referrals::insert(&app.db, &twin, &[], None, &audit).await.unwrap_err();
    assert!(e.is_unique_violation(), "{e}");
    assert!(sanyi_store::referrals::get(&app.db, &twin.id).await.unwrap().is_none());
}

#[tokio::test]
async fn green_channel_pre_review_alternative_reassignment_and_down_target() {
    let app = spawn_app().await;
    let doctor = app.token("village_doctor").await;
    let specialist = app.token("specialist").await;
    let centre = app.token("county_admin").await;
    let township = app.token("township_doctor").await;
    let lead = lead_hospital(&app, &doctor).await;
    let town = app.me(&township).await["institution_id"].as_str().unwrap().to_owned();
    let (_, tree) = app.get(&doctor, "/api/v1/institutions/tree").await;
    let other_county = tree[0]["communities"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["tier"] == "county" && m["id"] != lead.as_str())
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .expect("a second county-tier hospital");
    let people: Vec<String> = app.residents(&doctor, "limit=5").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let refer = |resident: &str, extra: Value| {
        let mut body = json!({"resident_id": resident, "receiver_institution_id": lead, "criterion": "uncertain_diagnosis",
            "reason": "脑卒中待排", "consent": consent()});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };

    // Green channel: the centre is required; then accepted at once by the receiving team.
    let (s, p) = app
        .post(&doctor, "/api/v1/referrals", &refer(&people[0], json!({"urgency": "emergency"})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "centre");
    let (s, r) = app
        .post(
            &doctor,
            "/api/v1/referrals",
            &refer(&people[0], json!({"urgency": "emergency", "centre": "stroke"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!((r["state"].as_str(), r["urgency"].as_str()), (Some("accepted"), Some("emergency")));
    assert_eq!(r["insurance_status"], "emergency");
    assert_eq!(r["centre_zh"], "卒中中心");
    assert_eq!(r["paperwork_complete"], false);
    let green = r["id"].as_str().unwrap().to_owned();
    let (s, r) = app
        .post(
            &doctor,
            &format!("/api/v1/referrals/{green}/commands"),
            &json!("complete_paperwork"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["paperwork_complete"], true);

    // Rejected with an alternative: the alternative is looked up, and the referral to it created.
    let (_, r) = app.post(&doctor, "/api/v1/referrals", &refer(&people[1], json!({}))).await;
    let first = r["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/referrals/{first}/commands");
    let (s, p) = app
        .post(
            &specialist,
            &path,
            &json!({"reject": {"reason": "本院无床位", "alternative": "nowhere"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "command.reject.alternative");
    assert_eq!(
        app.get(&doctor, &format!("/api/v1/referrals/{first}")).await.1["state"],
        "pending_receiver"
    );
    // The client's tier and county claims are ignored.
    let spoofed = json!({"institution": other_county, "tier": "village", "in_county": false});
    let (s, r) = app
        .post(
            &specialist,
            &path,
            &json!({"reject": {"reason": "本院无床位", "alternative": spoofed}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "rejected");
    let (_, outbox) = app.get(&doctor, "/api/v1/referrals").await;
    let alt = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["resident_id"] == people[1].as_str() && x["receiver_institution_id"] == other_county.as_str())
        .expect("the referral to the alternative receiver")
        .clone();
    assert_eq!(alt["state"], "pending_receiver");
    assert!(alt.get("timeline").is_none(), "the list is slim: {alt}");
    let (_, alt) = app
        .get(&doctor, &format!("/api/v1/referrals/{}", alt["id"].as_str().unwrap()))
        .await;
    assert_eq!(alt["detail"]["receiver"]["tier"], "county", "from the registry: {alt}");
    assert_eq!(alt["timeline"][0]["reason"], format!("alternative of {first}"));

    // Escalated after the response SLA: the receiver's referral centre reassigns it (page and API).
    let (_, r) = app.post(&doctor, "/api/v1/referrals", &refer(&people[2], json!({}))).await;
    let late = r["id"].as_str().unwrap().to_owned();
    sanyi_app::referrals::tick(&app.app, chrono::Utc::now() + chrono::Duration::days(5))
        .await
        .unwrap();
    let client = app.browser("county_admin").await;
    let html = app.html(&client, &format!("/referrals/{late}")).await;
    assert!(html.contains("id=\"ref-reassign\""), "the referral centre may reassign: {html}");
    let (s, _) = app
        .post(
            &specialist,
            &format!("/api/v1/referrals/{late}/commands"),
            &json!({"reassign": {"receiver": other_county}}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a doctor is not the referral centre");
    let (s, r) = app
        .post(
            &centre,
            &format!("/api/v1/referrals/{late}/commands"),
            &json!({"reassign": {"receiver": spoofed}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "pending_receiver");
    assert_eq!(r["receiver_institution_id"], other_county.as_str());
    assert_eq!(r["detail"]["receiver"]["tier"], "county");

    // Down to the village's township centre, named with a wrong tier: looked up, so accepted; the
    // township centre sees it, lists it and receives the patient, the village clinic may not.
    let (_, r) = app.post(&doctor, "/api/v1/referrals", &refer(&people[3], json!({}))).await;
    let up = r["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/referrals/{up}/commands");
    let accept = json!({"accept": {"placement": {"bed": {"ward": "神经内科", "bed": "2"}}, "valid_until": "2099-01-09T00:00:00Z"}});
    for c in [accept, json!("arrive"), json!("start_care")] {
        assert_eq!(app.post(&specialist, &path, &c).await.0, StatusCode::OK);
    }
    let plan = |target: Value| {
        json!({"discharge_with_down_referral": {"plan": {"target": target, "items": ["血压监测"], "interval_days": 14,
            "targets": [], "family_doctor": "刘建国", "visits_required": 1, "high_risk": false}}})
    };
    let (s, p) = app.post(&specialist, &path, &plan(json!("nowhere"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "command.plan.target");
    let (s, p) = app.post(&specialist, &path, &plan(json!(other_county))).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a county hospital is no down-referral target: {p}"
    );
    assert_eq!(
        app.get(&township, &format!("/api/v1/referrals/{up}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, r) = app
        .post(
            &specialist,
            &path,
            &plan(json!({"institution": town, "tier": "county", "in_county": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["down_target_institution_id"], town.as_str());
    let (s, seen) = app.get(&township, &format!("/api/v1/referrals/{up}")).await;
    assert_eq!(s, StatusCode::OK, "the down-referral target sees it");
    assert_eq!(seen["state"], "down_submitted");
    let (_, down) = app.get(&township, "/api/v1/referrals?box=down").await;
    assert!(down["items"].as_array().unwrap().iter().any(|x| x["id"] == up.as_str()), "{down}");
    let (_, notes) = app.get(&township, "/api/v1/notifications").await;
    assert!(
        notes.as_array().unwrap().iter().any(|n| n["kind"] == "referral.down_to_receive"),
        "{notes}"
    );
    assert_eq!(app.post(&doctor, &path, &json!("receive_down")).await.0, StatusCode::FORBIDDEN);
    let (s, r) = app.post(&township, &path, &json!("receive_down")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    // The insurance flag follows the patient to the township centre.
    let today = chrono::Utc::now().date_naive().to_string();
    let (s, c) = app
        .post(
            &township,
            "/api/v1/claims",
            &json!({"claim_key": "XZ-T1", "resident_id": people[3], "med_type": "11", "date": today,
            "charges": [{"code": "110200001", "quantity": 1}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["settlement"]["refd_setl_flag"], true, "{c}");

    // Pre-review: the lead hospital's referral centre refers a patient down to the township
    // centre; it waits for its own review before the receiver sees it as pending.
    let county_resident = app.residents(&centre, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, r) = app
        .post(
            &centre,
            "/api/v1/referrals",
            &json!({"resident_id": county_resident, "receiver_institution_id": town,
            "reason": "康复期回基层", "consent": consent(), "pre_review": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(
        (r["state"].as_str(), r["direction"].as_str()),
        (Some("submitted"), Some("downward"))
    );
    let path = format!("/api/v1/referrals/{}/commands", r["id"].as_str().unwrap());
    let accept = json!({"accept": {"placement": {"bed": {"ward": "康复", "bed": "1"}}, "valid_until": "2099-01-09T00:00:00Z"}});
    assert_eq!(
        app.post(&township, &path, &accept).await.0,
        StatusCode::CONFLICT,
        "not reviewed yet"
    );
    let (s, r) = app.post(&centre, &path, &json!("pre_review")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "pending_receiver");
    assert_eq!(app.post(&township, &path, &accept).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_demo_has_referrals_in_every_state() {
    let app = spawn_app().await;
    let specialist = app.token("specialist").await;
    let (s, inbox) = app.get(&specialist, "/api/v1/referrals?box=in&limit=500").await;
    assert_eq!(s, StatusCode::OK);
    let items = inbox["items"].as_array().unwrap();
    assert_eq!(inbox["total"].as_u64().unwrap() as usize, items.len(), "{inbox}");
    let states: std::collections::BTreeSet<&str> = items.iter().map(|r| r["state"].as_str().unwrap()).collect();
    let every: std::collections::BTreeSet<&str> = [
        "draft",
        "submitted",
        "pending_receiver",
        "accepted",
        "rejected",
        "escalated",
        "expired",
        "no_show",
        "cancelled",
        "arrived",
        "in_care",
        "down_submitted",
        "down_received",
        "follow_up",
        "feedback_sent",
        "closed",
    ]
    .into_iter()
    .collect();
    assert_eq!(states, every);
    // The list is slim; the full records say more.
    let mut full = Vec::new();
    for r in items {
        let (s, one) = app
            .get(&specialist, &format!("/api/v1/referrals/{}", r["id"].as_str().unwrap()))
            .await;
        assert_eq!(s, StatusCode::OK, "{one}");
        assert!(r.get("detail").is_none() && r.get("timeline").is_none(), "slim list shape: {r}");
        full.push(one);
    }
    let items = &full;
    assert!(
        items
            .iter()
            .any(|r| r["urgency"] == "emergency" && r["insurance_status"] == "emergency"),
        "a green-channel referral"
    );
    // The down-referred ones are listed at the institutions that take the patients back.
    let doctor = app.token("village_doctor").await;
    let (_, down) = app.get(&doctor, "/api/v1/referrals?box=down").await;
    let township = app.token("township_doctor").await;
    let (_, down_t) = app.get(&township, "/api/v1/referrals?box=down").await;
    let n = down["items"].as_array().unwrap().len() + down_t["items"].as_array().unwrap().len();
    let downs = items.iter().filter(|r| r["detail"]["down_plan"].is_object()).count();
    assert!(n >= 1 && n <= downs, "{n} of {downs}");
}

#[tokio::test]
async fn down_referral_and_follow_up_close_the_loop() {
    let app = spawn_app().await;
    let Parties {
        doctor,
        specialist,
        resident,
        lead,
    } = parties(&app).await;
    let (_, r) = app
        .post(
            &doctor,
            "/api/v1/referrals",
            &json!({"resident_id": resident, "receiver_institution_id": lead, "criterion": "uncertain_diagnosis", "reason": "血糖控制不佳", "consent": consent()}),
        )
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/referrals/{id}/commands");
    let accept = json!({"accept": {"placement": {"bed": {"ward": "内分泌科", "bed": "8"}}, "valid_until": "2099-01-09T00:00:00Z"}});
    for c in [accept, json!("arrive"), json!("start_care")] {
        let (s, r) = app.post(&specialist, &path, &c).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
    // Down to the sending village clinic with a plan, through the receiver's page.
    let client = app.browser("specialist").await;
    let page = format!("/referrals/{id}");
    let html = app.html(&client, &page).await;
    assert!(html.contains("id=\"ref-down\""));
    let r = client
        .post(app.url(&format!("{page}/act")))
        .form(&[
            ("action", "down_refer"),
            ("items", "血糖监测；胰岛素剂量调整"),
            ("interval_days", "14"),
            ("visits", "2"),
            ("family_doctor", "王秀兰"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, now) = app.get(&doctor, &page.replace("/referrals", "/api/v1/referrals")).await;
    assert_eq!(now["state"], "down_submitted", "{now}");
    // The down-referral changes the insurance treatment where the patient went back to (the
    // sending village clinic), not at the county hospital that discharged them.
    let today = chrono::Utc::now().date_naive().to_string();
    let claim = |key: &str| json!({"claim_key": key, "resident_id": resident, "med_type": "11", "date": today, "charges": [{"code": "110200001", "quantity": 1}]});
    let (s, c) = app.post(&doctor, "/api/v1/claims", &claim("XZ-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["settlement"]["refd_setl_flag"], true, "down-referred: {c}");
    // The village clinic receives the patient back, follows up twice and closes.
    let (s, r) = app.post(&specialist, &path, &json!("receive_down")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the down-referral target receives: {r}");
    let (s, r) = app.post(&doctor, &path, &json!("receive_down")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    // The first follow-up comes due a week after discharge (docs/rules/referral.md#timeliness), not before.
    let village = sanyi_app::auth::authenticate(&app.app, &doctor, sanyi_app::auth::TokenKind::Bearer, "test")
        .await
        .unwrap();
    let due = |notes: Vec<sanyi_app::notifications::Notification>| notes.iter().any(|n| n.kind == "referral.follow_up_due");
    let now = chrono::Utc::now();
    let at_once = sanyi_app::notifications::for_actor(&app.app, &village, now).await.unwrap();
    assert!(!due(at_once), "not yet due");
    let week = sanyi_app::notifications::for_actor(&app.app, &village, now + chrono::Duration::days(8))
        .await
        .unwrap();
    assert!(due(week), "due a week after discharge");
    let (s, r) = app.post(&doctor, &path, &json!("record_follow_up")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, _) = app.post(&doctor, &path, &json!("close")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the plan asks for two follow-ups");
    let (s, _) = app.post(&doctor, &path, &json!("record_follow_up")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, r) = app.post(&doctor, &path, &json!("close")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "closed");
    // Once the loop is closed the next encounter is an ordinary one again.
    let (s, c) = app.post(&doctor, "/api/v1/claims", &claim("XZ-2")).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["settlement"]["refd_setl_flag"], false, "closed: {c}");
    // The outcome stands in the resident's record.
    let (_, record) = app.get(&doctor, &format!("/api/v1/residents/{resident}")).await;
    let outcome = record["referral_outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["referral_id"] == id.as_str())
        .unwrap_or_else(|| panic!("{record}"))
        .clone();
    assert_eq!(
        (outcome["state"].as_str(), outcome["state_zh"].as_str()),
        (Some("closed"), Some("结案"))
    );
}

#[tokio::test]
async fn consent_results_and_attachments_travel_with_the_referral() {
    let app = spawn_app().await;
    let Parties {
        doctor,
        specialist,
        resident,
        lead,
    } = parties(&app).await;
    let before = app.get(&doctor, "/api/v1/referrals").await.1["total"].as_u64().unwrap();
    // No consent: refused, naming the field and the rule; nothing stored.
    let body = json!({"resident_id": resident, "receiver_institution_id": lead, "criterion": "acute_critical", "reason": "胸痛待查"});
    let (s, p) = app.post(&doctor, "/api/v1/referrals", &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "consent");
    assert_eq!(p["errors"][0]["rule"], "consent.required");
    // A relative consents without being named; a result dated in the future.
    let body = json!({"resident_id": resident, "receiver_institution_id": lead, "criterion": "acute_critical", "reason": "胸痛待查",
        "consent": {"given_by": "relative", "method": "signed_form", "date": "2026-01-05"},
        "results": [{"item": "肌钙蛋白I", "value": "0.02", "date": "2999-01-01"}]});
    let (s, p) = app.post(&doctor, "/api/v1/referrals", &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["consent", "results[0]"]);
    assert_eq!(
        app.get(&doctor, "/api/v1/referrals").await.1["total"].as_u64().unwrap(),
        before,
        "nothing stored"
    );
    // Complete: the receiver sees consent and results on the referral.
    let body = json!({"resident_id": resident, "receiver_institution_id": lead, "criterion": "acute_critical", "reason": "胸痛待查",
        "consent": {"given_by": "relative", "signer_name": "王芳", "method": "signed_form", "date": "2026-01-05"},
        "results": [{"item": "肌钙蛋白I", "value": "0.02", "unit": "ng/mL", "date": "2026-01-04", "recognition_mark": "HR"}]});
    let (s, r) = app.post(&doctor, "/api/v1/referrals", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let id = r["id"].as_str().unwrap().to_owned();
    let (_, seen) = app.get(&specialist, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(seen["consent"]["signer_name"], "王芳");
    assert_eq!(seen["results"][0]["recognition_mark"], "HR");

    // Attachments: checked by content, type and size; the receiver opens them; every view audited.
    let url = |name: &str| app.url(&format!("/api/v1/referrals/{id}/attachments?filename={name}"));
    let upload = |token: &str, name: &str, kind: &str, bytes: Vec<u8>| {
        app.client
            .post(url(name))
            .bearer_auth(token.to_owned())
            .header("content-type", kind.to_owned())
            .body(bytes)
            .send()
    };
    let pdf = b"%PDF-1.4\n% sanyi test\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let r = upload(&doctor, "%E5%BF%83%E7%94%B5%E5%9B%BE.pdf", "application/pdf", pdf.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let meta: Value = r.json().await.unwrap();
    assert_eq!(meta["filename"], "心电图.pdf");
    assert_eq!(meta["content_type"], "application/pdf");
    for (name, kind, bytes, rule, status) in [
        (
            "a.exe",
            "application/octet-stream",
            b"MZ\x90\x00".to_vec(),
            "attachment.type",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "a.png",
            "image/png",
            pdf.clone(),
            "attachment.type_mismatch",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "big.pdf",
            "application/pdf",
            [pdf.clone(), vec![b' '; 11 * 1024 * 1024]].concat(),
            "attachment.size",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "huge.pdf",
            "application/pdf",
            [pdf.clone(), vec![b' '; 21 * 1024 * 1024]].concat(),
            "attachment.size",
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ] {
        let r = upload(&doctor, name, kind, bytes).await.unwrap();
        assert_eq!(r.status(), status, "{name}");
        assert_eq!(r.headers()["content-type"], "application/problem+json", "{name}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["rule"], rule, "{name}: {p}");
    }
    let (_, list) = app.get(&specialist, &format!("/api/v1/referrals/{id}/attachments")).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "only the valid file is stored: {list}");
    let aid = list[0]["id"].as_str().unwrap();
    let r = app
        .client
        .get(app.url(&format!("/api/v1/referrals/{id}/attachments/{aid}")))
        .bearer_auth(&specialist)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
    // Someone outside the referral sees neither the list nor the file.
    let outsider = app.token("township_doctor").await;
    assert_eq!(
        app.get(&outsider, &format!("/api/v1/referrals/{id}/attachments")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&outsider, &format!("/api/v1/referrals/{id}/attachments/{aid}")).await.0,
        StatusCode::NOT_FOUND
    );
    app.app.audit.flush().await;
    let admin = app.token("admin").await;
    let (_, log) = app.get(&admin, "/api/v1/audit?username=specialist&action=read&limit=500").await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["entity"] == "attachment" && e["entity_id"] == aid),
        "the view is audited: {log}"
    );
}

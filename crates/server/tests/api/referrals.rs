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
    assert!(inbox.as_array().unwrap().iter().any(|x| x["id"] == id.as_str()));
    let (_, outbox) = app.get(&doctor, "/api/v1/referrals").await;
    assert_eq!(outbox[0]["id"], id.as_str());
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
            &json!({"resident_id": resident, "receiver_institution_id": lead, "reason": "诊断不明", "consent": consent()}),
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
                &json!({"resident_id": resident, "receiver_institution_id": lead, "reason": format!("round {round}"), "consent": consent()}),
            )
            .await;
        let id = r["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/referrals/{id}/commands");
        let accept = json!({"accept": {"placement": {"bed": {"ward": "3病区", "bed": "12"}}, "valid_until": "2099-01-09T00:00:00Z"}});
        let cancel = json!({"cancel": {"reason": "患者改变主意"}});
        let ((s1, _), (s2, _)) = tokio::join!(app.post(&specialist, &path, &accept), app.post(&doctor, &path, &cancel));
        let wins = [s1, s2].iter().filter(|s| **s == StatusCode::OK).count();
        assert!(wins >= 1, "{s1} {s2}");
        for s in [s1, s2] {
            assert!(s == StatusCode::OK || s == StatusCode::CONFLICT, "{s}");
        }
        let (_, now) = app.get(&doctor, &format!("/api/v1/referrals/{id}")).await;
        // Every successful command is in the timeline after the submission: nothing was lost.
        assert_eq!(now["timeline"].as_array().unwrap().len(), 1 + wins, "{now}");
        assert_eq!(now["version"].as_i64().unwrap(), 1 + wins as i64);
        // Close the round so the next one may refer the same resident again.
        if now["state"] != "cancelled" {
            let (s, _) = app.post(&doctor, &path, &cancel).await;
            assert_eq!(s, StatusCode::OK);
        }
    }
}

#[tokio::test]
async fn the_demo_has_referrals_in_many_states() {
    let app = spawn_app().await;
    let specialist = app.token("specialist").await;
    let (s, inbox) = app.get(&specialist, "/api/v1/referrals?box=in").await;
    assert_eq!(s, StatusCode::OK);
    let states: std::collections::BTreeSet<&str> = inbox.as_array().unwrap().iter().map(|r| r["state"].as_str().unwrap()).collect();
    assert!(states.len() >= 5, "{states:?}");
    assert!(
        states.contains("pending_receiver") && states.contains("feedback_sent"),
        "{states:?}"
    );
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
            &json!({"resident_id": resident, "receiver_institution_id": lead, "reason": "血糖控制不佳", "consent": consent()}),
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
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    client
        .post(app.url("/login"))
        .form(&[("username", "specialist"), ("password", crate::helpers::PASSWORD)])
        .send()
        .await
        .unwrap();
    let page = format!("/referrals/{id}");
    let html = client.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
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
    // The village clinic receives the patient back, follows up twice and closes.
    let (s, r) = app.post(&specialist, &path, &json!("receive_down")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the down-referral target receives: {r}");
    for c in [json!("receive_down"), json!("record_follow_up")] {
        let (s, r) = app.post(&doctor, &path, &c).await;
        assert_eq!(s, StatusCode::OK, "{c}: {r}");
    }
    let (s, _) = app.post(&doctor, &path, &json!("close")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the plan asks for two follow-ups");
    let (s, _) = app.post(&doctor, &path, &json!("record_follow_up")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, r) = app.post(&doctor, &path, &json!("close")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "closed");
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
    let before = app.get(&doctor, "/api/v1/referrals").await.1.as_array().unwrap().len();
    // No consent: refused, naming the field and the rule; nothing stored.
    let body = json!({"resident_id": resident, "receiver_institution_id": lead, "reason": "胸痛待查"});
    let (s, p) = app.post(&doctor, "/api/v1/referrals", &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "consent");
    assert_eq!(p["errors"][0]["rule"], "consent.required");
    // A relative consents without being named; a result dated in the future.
    let body = json!({"resident_id": resident, "receiver_institution_id": lead, "reason": "胸痛待查",
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
        app.get(&doctor, "/api/v1/referrals").await.1.as_array().unwrap().len(),
        before,
        "nothing stored"
    );
    // Complete: the receiver sees consent and results on the referral.
    let body = json!({"resident_id": resident, "receiver_institution_id": lead, "reason": "胸痛待查",
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

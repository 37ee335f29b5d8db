use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

/// The first resident the requesting doctor sees and the lead hospital (invited institution).
async fn resident_and_lead(app: &TestApp, doctor: &str) -> (String, String) {
    let resident = app.residents(doctor, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, tree) = app.get(doctor, "/api/v1/institutions/tree").await;
    let lead = tree[0]["communities"][0]["members"][0]["id"].as_str().unwrap().to_owned();
    (resident, lead)
}

/// Source: docs/rules/remote-services.md#consultation: request → triage → assign → schedule → session → signed opinion →
/// acknowledgement → close → rating, each step by the side entitled to it.
#[tokio::test]
async fn a_township_doctor_consults_a_county_expert() {
    let app = spawn_app().await;
    let doctor = app.token("township_doctor").await;
    let centre = app.token("county_admin").await;
    let expert = app.token("specialist").await;
    let expert_id = {
        let users = sanyi_store::users::by_username(&app.db, "specialist").await.unwrap().unwrap();
        users.id
    };
    let (resident, lead) = resident_and_lead(&app, &doctor).await;
    let body = json!({"resident_id": resident, "invited_institution_id": lead, "specialty": "neurology", "question": "头晕伴言语不清 2 小时，是否需溶栓？", "summary": "高血压史"});
    let (s, c) = app.post(&doctor, "/api/v1/consultations", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["state"], "requested");
    let id = c["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/consultations/{id}/commands");
    // The requester cannot triage its own request; the centre can.
    let (s, _) = app.post(&doctor, &path, &json!("triage")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let steps = [
        (&centre, json!("triage"), "triaged"),
        (&centre, json!({"assign": {"experts": [expert_id], "chair": null}}), "assigned"),
        (&centre, json!({"schedule": {"at": "2099-01-01T02:00:00Z"}}), "scheduled"),
    ];
    for (who, cmd, state) in steps {
        let (s, r) = app.post(who, &path, &cmd).await;
        assert_eq!(s, StatusCode::OK, "{cmd}: {r}");
        assert_eq!(r["state"], state);
    }
    // The assigned expert sees it and may open the session and sign.
    let (s, _) = app.get(&expert, &format!("/api/v1/consultations/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.post(&doctor, &path, &json!("start_session")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only an assigned expert opens the session");
    for cmd in [
        json!("start_session"),
        json!({"submit_opinion": {"impression": "疑似急性脑梗死", "advice": "立即上转卒中中心", "recommend_referral": true}}),
    ] {
        let (s, r) = app.post(&expert, &path, &cmd).await;
        assert_eq!(s, StatusCode::OK, "{cmd}: {r}");
    }
    let (_, r) = app.get(&doctor, &format!("/api/v1/consultations/{id}")).await;
    assert_eq!(r["state"], "opinion_issued", "{r}");
    // The signed opinion is written back to the resident's record (API and page); reads audited.
    let (s, record) = app.get(&doctor, &format!("/api/v1/residents/{resident}")).await;
    assert_eq!(s, StatusCode::OK);
    let opinion = record["consultation_opinions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["consultation_id"] == id.as_str())
        .unwrap_or_else(|| panic!("the opinion is on the record: {record}"))
        .clone();
    assert_eq!(opinion["impression"], "疑似急性脑梗死");
    assert_eq!(opinion["expert_name"], "神经内科主任 陈明");
    assert_eq!(opinion["recommend_referral"], true);
    let browser = app.browser("township_doctor").await;
    let html = app.html(&browser, &format!("/residents/{resident}")).await;
    assert!(
        html.contains("id=\"resident-opinions\"") && html.contains("立即上转卒中中心"),
        "{html}"
    );
    app.app.audit.flush().await;
    let admin = app.token("admin").await;
    let (_, log) = app
        .get(
            &admin,
            &format!("/api/v1/audit?resident_id={resident}&username=township_doctor&action=read"),
        )
        .await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["entity"] == "resident")
            .count()
            >= 2,
        "both record reads are audited: {log}"
    );
    for cmd in [
        json!({"acknowledge": {"decision": "同意上转"}}),
        json!("close"),
        json!({"rate": {"stars": 5}}),
    ] {
        let (s, r) = app.post(&doctor, &path, &cmd).await;
        assert_eq!(s, StatusCode::OK, "{cmd}: {r}");
    }
    let (_, r) = app.get(&doctor, &format!("/api/v1/consultations/{id}")).await;
    assert_eq!(r["state"], "rated");
    assert!(r["timeline"].as_array().unwrap().len() >= 8);
    // Lists on both sides; outsiders see nothing.
    let (_, inbox) = app.get(&centre, "/api/v1/consultations?box=in").await;
    assert!(inbox["items"].as_array().unwrap().iter().any(|x| x["id"] == id.as_str()));
    let village = app.token("village_doctor").await;
    let (s, _) = app.get(&village, &format!("/api/v1/consultations/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, p) = app
        .post(
            &doctor,
            "/api/v1/consultations",
            &json!({"resident_id": resident, "invited_institution_id": lead, "specialty": "Neuro!", "question": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"].as_array().unwrap().len(), 2, "{p}");
}

/// The demo holds consultations in every state of the engine, an MDT with its chair's summary, a
/// written (asynchronous) one, an emergency one and a rated one.
#[tokio::test]
async fn the_demo_has_consultations_in_every_state() {
    let app = spawn_app().await;
    let centre = app.token("county_admin").await;
    let (s, board) = app.get(&centre, "/api/v1/consultations?box=in&limit=500").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        board["total"].as_u64().unwrap() as usize,
        board["items"].as_array().unwrap().len(),
        "one page holds all"
    );
    let board = board["items"].as_array().unwrap();
    let states: std::collections::BTreeSet<&str> = board.iter().map(|c| c["state"].as_str().unwrap()).collect();
    let all: std::collections::BTreeSet<String> = sanyi_care::consultation::ConsultationState::ALL
        .iter()
        .map(|s| serde_json::to_value(s).unwrap().as_str().unwrap().to_owned())
        .collect();
    assert_eq!(states, all.iter().map(String::as_str).collect(), "every state of the engine");
    let mdt = board
        .iter()
        .find(|c| c["mdt"] == true && c["chair_summary"].is_string())
        .expect("an MDT with a chair's summary");
    assert!(mdt["opinions"].as_array().unwrap().len() >= 2, "{mdt}");
    assert!(
        board.iter().any(|c| c["mode"] == "async" && c["state"] == "closed"),
        "a written consultation"
    );
    assert!(board.iter().any(|c| c["urgency"] == "emergency"), "an emergency consultation");
    assert!(
        board
            .iter()
            .any(|c| c["state"] == "rated" && c["detail"]["rating"].as_u64().is_some())
    );
    let expired = board.iter().find(|c| c["state"] == "expired").unwrap();
    let (_, one) = app
        .get(&centre, &format!("/api/v1/consultations/{}", expired["id"].as_str().unwrap()))
        .await;
    assert_eq!(one["timeline"].as_array().unwrap().last().unwrap()["command"], "timer", "{one}");
}

/// Invited guests (docs/rules/remote-services.md#consultation video): a party invites, the guest joins the call's socket and reads
/// the consultation but cannot act on it; outsiders are refused before the WebSocket upgrade.
#[tokio::test]
async fn invited_guests_join_the_call_and_outsiders_are_refused() {
    let app = spawn_app().await;
    let centre = app.token("county_admin").await;
    let expert = app.token("specialist").await;
    let village = app.token("village_doctor").await;
    let (_, board) = app.get(&centre, "/api/v1/consultations?box=in&state=scheduled").await;
    let id = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["mode"] == "sync")
        .expect("a booked video consultation")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ws = format!("/consultations/{id}/call/ws");
    let guests = format!("/api/v1/consultations/{id}/guests");
    // An outsider is refused before the upgrade, and cannot invite.
    assert_eq!(app.ws_handshake(&village, &ws).await, StatusCode::NOT_FOUND);
    assert_eq!(
        app.ws_handshake(&expert, &ws).await,
        StatusCode::SWITCHING_PROTOCOLS,
        "the expert joins"
    );
    let (s, _) = app.post(&village, &guests, &json!({"username": "village_doctor"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "an outsider does not even see it");
    // Bad invitations name the rule and change nothing.
    for (username, status, rule) in [
        ("nobody", StatusCode::UNPROCESSABLE_ENTITY, "guest.user"),
        ("insurance", StatusCode::UNPROCESSABLE_ENTITY, "guest.role"),
        ("procurement", StatusCode::UNPROCESSABLE_ENTITY, "guest.role"),
        ("county_admin", StatusCode::CONFLICT, "guest.party"),
    ] {
        let (s, p) = app.post(&expert, &guests, &json!({"username": username})).await;
        assert_eq!(s, status, "{username}: {p}");
        assert_eq!(p["errors"][0]["rule"], rule, "{p}");
    }
    let (s, list) = app.post(&expert, &guests, &json!({"username": "village_doctor"})).await;
    assert_eq!(s, StatusCode::CREATED, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["username"], "village_doctor");
    let guest_id = list[0]["user_id"].as_str().unwrap().to_owned();
    let (s, p) = app.post(&expert, &guests, &json!({"username": "village_doctor"})).await;
    assert_eq!(
        (s, p["errors"][0]["rule"].as_str()),
        (StatusCode::CONFLICT, Some("guest.duplicate")),
        "{p}"
    );
    // The guest: told, admitted, may read, may not act or invite.
    let (_, n) = app.get(&village, "/api/v1/notifications").await;
    assert!(
        n.as_array().unwrap().iter().any(|x| x["kind"] == "consultation.call_invited"),
        "{n}"
    );
    let (_, mine) = app.get(&village, "/api/v1/consultations?box=guest").await;
    assert!(mine["items"].as_array().unwrap().iter().any(|c| c["id"] == id.as_str()), "{mine}");
    assert_eq!(
        app.ws_handshake(&village, &ws).await,
        StatusCode::SWITCHING_PROTOCOLS,
        "the guest joins"
    );
    let (s, one) = app.get(&village, &format!("/api/v1/consultations/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(one["guests"][0]["user_id"], guest_id.as_str());
    let (s, _) = app
        .post(&village, &format!("/api/v1/consultations/{id}/commands"), &json!("start_session"))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.post(&village, &guests, &json!({"username": "nurse"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a guest does not invite others");
    let browser = app.browser("specialist").await;
    let html = app.html(&browser, &format!("/consultations/{id}")).await;
    assert!(html.contains("id=\"con-guests\"") && html.contains("乡村医生 王秀兰"), "{html}");
    // Withdrawn: refused again.
    let (s, list) = app.delete(&expert, &format!("{guests}/{guest_id}")).await;
    assert_eq!((s, list), (StatusCode::OK, json!([])));
    assert_eq!(app.ws_handshake(&village, &ws).await, StatusCode::NOT_FOUND);
    let (s, _) = app.delete(&expert, &format!("{guests}/{guest_id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Both changes are audited.
    app.app.audit.flush().await;
    let admin = app.token("admin").await;
    let (_, log) = app.get(&admin, "/api/v1/audit?username=specialist&action=update").await;
    let details: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["detail"].as_str())
        .collect();
    assert!(details.iter().any(|d| d.starts_with("invited guest village_doctor")), "{details:?}");
    assert!(details.iter().any(|d| d.starts_with("withdrew guest")), "{details:?}");
    // At most eight guests: the ninth is refused by rule.
    let me = app.me(&village).await;
    for n in 0..9 {
        let user = sanyi_store::users::User {
            division_code: "652301".into(),
            id: sanyi_store::new_id(),
            username: format!("guest{n}"),
            display_name: format!("进修医生 {n}"),
            password_hash: String::new(),
            role: "village_doctor".into(),
            institution_id: me["institution_id"].as_str().map(str::to_owned),
            scope_area: me["scope"].as_str().unwrap().to_owned(),
            active: true,
        };
        sanyi_store::users::insert(&app.db, &user).await.unwrap();
        let (s, p) = app.post(&expert, &guests, &json!({"username": user.username})).await;
        if n < 8 {
            assert_eq!(s, StatusCode::CREATED, "{p}");
        } else {
            assert_eq!(
                (s, p["errors"][0]["rule"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("guest.limit")),
                "{p}"
            );
        }
    }
    // A finished consultation takes no guests.
    let (_, done) = app.get(&centre, "/api/v1/consultations?box=in&state=closed").await;
    let closed = done["items"].as_array().unwrap().iter().find(|c| c["mode"] == "sync").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, p) = app
        .post(
            &expert,
            &format!("/api/v1/consultations/{closed}/guests"),
            &json!({"username": "village_doctor"}),
        )
        .await;
    assert_eq!(
        (s, p["errors"][0]["rule"].as_str()),
        (StatusCode::CONFLICT, Some("guest.state")),
        "{p}"
    );
}

/// Notification counts come from every matching row, not from the first page of a list: 205
/// more booked video consultations than a list page holds are all counted.
#[tokio::test]
async fn notification_counts_are_not_capped() {
    let app = spawn_app().await;
    let doctor = app.token("township_doctor").await;
    let expert = app.token("specialist").await;
    let count = |n: &serde_json::Value, kind: &str| {
        n.as_array()
            .unwrap()
            .iter()
            .find(|x| x["kind"] == kind)
            .map_or(0, |x| x["count"].as_u64().unwrap())
    };
    let (_, before) = app.get(&doctor, "/api/v1/notifications").await;
    let (_, before_expert) = app.get(&expert, "/api/v1/notifications").await;
    let centre = app.token("county_admin").await;
    let (resident, lead) = resident_and_lead(&app, &doctor).await;
    let body = json!({"resident_id": resident, "invited_institution_id": lead, "specialty": "neurology", "question": "请会诊"});
    let (_, c) = app.post(&doctor, "/api/v1/consultations", &body).await;
    let id = c["id"].as_str().unwrap().to_owned();
    let expert_id = sanyi_store::users::by_username(&app.db, "specialist").await.unwrap().unwrap().id;
    for cmd in [
        json!("triage"),
        json!({"assign": {"experts": [expert_id], "chair": null}}),
        json!({"schedule": {"at": "2099-01-01T02:00:00Z"}}),
    ] {
        let (s, r) = app.post(&centre, &format!("/api/v1/consultations/{id}/commands"), &cmd).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
    // 204 copies of the booked consultation, written straight to the store.
    let row = sanyi_store::consultations::get(&app.db, &id).await.unwrap().unwrap();
    for _ in 0..204 {
        let copy = sanyi_store::consultations::ConsultationRow {
            id: sanyi_store::new_id(),
            ..row.clone()
        };
        let audit = sanyi_store::audit::AuditEntry {
            division_code: row.division_code.clone(),
            id: sanyi_store::new_id(),
            at: row.created_at,
            user_id: "system".into(),
            username: "system".into(),
            role: "administrator".into(),
            action: "consult".into(),
            entity: "consultation".into(),
            entity_id: copy.id.clone(),
            resident_id: Some(row.resident_id.clone()),
            ip: "test".into(),
            detail: "copy".into(),
        };
        sanyi_store::consultations::insert(&app.db, &copy, &[], &audit).await.unwrap();
    }
    let (_, after) = app.get(&doctor, "/api/v1/notifications").await;
    assert_eq!(
        count(&after, "consultation.call_scheduled"),
        count(&before, "consultation.call_scheduled") + 205,
        "{after}"
    );
    let (_, after_expert) = app.get(&expert, "/api/v1/notifications").await;
    assert_eq!(
        count(&after_expert, "consultation.to_hold"),
        count(&before_expert, "consultation.to_hold") + 205,
        "{after_expert}"
    );
}

#[tokio::test]
async fn notifications_tell_each_side_what_waits() {
    let app = spawn_app().await;
    let centre = app.token("county_admin").await;
    let (s, n) = app.get(&centre, "/api/v1/notifications").await;
    assert_eq!(s, StatusCode::OK);
    let kinds: Vec<&str> = n.as_array().unwrap().iter().map(|x| x["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"consultation.to_triage") && kinds.contains(&"referral.to_accept"),
        "{kinds:?}"
    );
    let expert = app.token("specialist").await;
    let (_, n) = app.get(&expert, "/api/v1/notifications").await;
    assert!(n.as_array().unwrap().iter().any(|x| x["kind"] == "consultation.to_hold"), "{n}");
    let insurance = app.token("insurance").await;
    let (_, n) = app.get(&insurance, "/api/v1/notifications").await;
    assert_eq!(n, json!([]), "no institution, nothing waits");
}

#[tokio::test]
async fn indicators_count_the_demo_workflows() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let (s, r) = app.get(&admin, "/api/v1/indicators").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert!(r["upward"].as_u64().unwrap() >= 5, "{r}");
    assert!(r["consultations"].as_u64().unwrap() >= 10, "{r}");
    assert!(r["acceptance_time"]["count"].as_u64().unwrap() >= 1, "{r}");
    assert!(r["no_show_rate"]["denominator"].as_u64().unwrap() >= 1);
    let months: u64 = r["by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["upward"].as_u64().unwrap())
        .sum();
    assert_eq!(months, r["upward"].as_u64().unwrap(), "months add up");
    // The demo's loop down-referrals (down-submitted, down-received, follow-up, closed) count as
    // downward referrals, and give the down-referral rate on the referral discharges.
    let looped = r["down_referred"].as_u64().unwrap();
    assert!(looped >= 4, "{r}");
    assert!(r["downward"].as_u64().unwrap() >= looped, "{r}");
    let rate = &r["downward_rate"];
    assert_eq!(rate["numerator"].as_u64().unwrap(), looped);
    assert!(
        rate["denominator"].as_u64().unwrap() > looped,
        "feedback-sent discharges too: {rate}"
    );
    let months_down: u64 = r["by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["downward"].as_u64().unwrap())
        .sum();
    assert_eq!(months_down, r["downward"].as_u64().unwrap(), "months add up");
    // Visit-based rates from the demo year's settled claims (a whole year back from today).
    let year = crate::helpers::demo_params().today.format("%Y").to_string().parse::<i32>().unwrap() - 1;
    let (_, v) = app
        .get(
            &admin,
            &format!("/api/v1/indicators?from={year}-01-01T00:00:00Z&to={year}-12-31T23:59:59Z"),
        )
        .await;
    let share = &v["primary_visit_share"];
    assert!(
        share["denominator"].as_u64().unwrap() > 0 && share["numerator"].as_u64().unwrap() > 0,
        "{v}"
    );
    let county = &v["county_admission_rate"];
    assert!(
        county["numerator"].as_u64().unwrap() < county["denominator"].as_u64().unwrap(),
        "some admissions outside the county: {county}"
    );
    let (s, p) = app
        .get(&admin, "/api/v1/indicators?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    app.client
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", crate::helpers::PASSWORD)])
        .send()
        .await
        .unwrap();
    let html = app.client.get(app.url("/indicators")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<svg id=\"ind-chart\"") && html.contains("<rect"), "{html}");
    assert!(html.contains("id=\"ind-downward-rate\""), "the down-referral rate is shown: {html}");
}

/// Indicators over an institution's subtree (the community under its lead hospital; a centre or a
/// clinic alone) and over a chosen period, by API and on the page.
#[tokio::test]
async fn indicators_narrow_to_an_institution_subtree_and_a_period() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let centre = app.token("county_admin").await;
    let (_, whole) = app.get(&admin, "/api/v1/indicators").await;
    let (_, lead) = app.get(&centre, "/api/v1/me").await;
    let lead_id = lead["institution_id"].as_str().unwrap().to_owned();
    // Every demo referral and consultation involves the lead hospital: its community holds them all.
    let (s, community) = app.get(&admin, &format!("/api/v1/indicators?institution_id={lead_id}")).await;
    assert_eq!(s, StatusCode::OK, "{community}");
    assert_eq!(community["institution_id"], lead_id.as_str());
    assert!(community["institution_name"].as_str().unwrap().contains("医院"), "{community}");
    for k in ["upward", "downward", "consultations"] {
        assert_eq!(community[k], whole[k], "{k}");
    }
    // One sender alone: some of the referrals, not all.
    let (_, inbox) = app.get(&centre, "/api/v1/referrals?box=in").await;
    let sender = inbox["items"][0]["sender_institution_id"].as_str().unwrap().to_owned();
    let (_, one) = app.get(&admin, &format!("/api/v1/indicators?institution_id={sender}")).await;
    let (n, all) = (one["upward"].as_u64().unwrap(), whole["upward"].as_u64().unwrap());
    assert!(n > 0 && n < all, "{n} of {all}");
    assert!(one["notes"].as_array().unwrap().len() == 2, "the subtree note: {one}");
    // A period with nothing in it; an unknown institution.
    let (_, old) = app
        .get(&admin, "/api/v1/indicators?from=2000-01-01T00:00:00Z&to=2001-01-01T00:00:00Z")
        .await;
    assert_eq!((old["upward"].as_u64(), old["consultations"].as_u64()), (Some(0), Some(0)), "{old}");
    let (s, _) = app.get(&admin, "/api/v1/indicators?institution_id=nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The page: period and institution chosen by a GET form.
    let browser = app.browser("admin").await;
    let html = app
        .html(
            &browser,
            &format!("/indicators?from=2000-01-01&to=2000-12-31&institution_id={lead_id}"),
        )
        .await;
    assert!(
        html.contains("id=\"ind-filter\"") && html.contains("value=\"2000-01-01\""),
        "{html}"
    );
    assert!(html.contains(&format!("value=\"{lead_id}\" selected")), "{html}");
    assert!(html.contains("id=\"ind-upward\">0<"), "{html}");
    let r = browser.get(app.url("/indicators?from=2000-13-01")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("YYYY-MM-DD"));
}

/// docs/rules/remote-services.md#consultation assignment rule through the roster: the on-duty expert of the specialty with
/// title ≥ attending and the shortest queue; nobody qualifying is a clear 422 and no change.
#[tokio::test]
async fn the_centre_assigns_by_rule_from_its_roster() {
    let app = spawn_app().await;
    let doctor = app.token("township_doctor").await;
    let centre = app.token("county_admin").await;
    let expert_id = sanyi_store::users::by_username(&app.db, "specialist").await.unwrap().unwrap().id;
    let (resident, lead) = resident_and_lead(&app, &doctor).await;
    let (s, roster) = app.get(&centre, "/api/v1/consultation-roster").await;
    assert_eq!(s, StatusCode::OK, "{roster}");
    assert!(
        roster
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["user_id"] == expert_id.as_str() && e["specialty"] == "neurology")
    );
    let request =
        |specialty: &str| json!({"resident_id": resident, "invited_institution_id": lead, "specialty": specialty, "question": "请会诊"});
    // Dermatology: nobody on the roster.
    let (_, c) = app.post(&doctor, "/api/v1/consultations", &request("dermatology")).await;
    let path = format!("/api/v1/consultations/{}/commands", c["id"].as_str().unwrap());
    assert_eq!(app.post(&centre, &path, &json!("triage")).await.0, StatusCode::OK);
    let (s, p) = app.post(&centre, &path, &json!("auto_assign")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["rule"], "assign.none");
    // A resident-grade physician on duty for dermatology does not qualify either.
    let (s, r) = app
        .put(
            &centre,
            "/api/v1/consultation-roster",
            &json!({"user_id": expert_id, "specialty": "dermatology", "title": "resident", "on_duty": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        app.post(&centre, &path, &json!("auto_assign")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Neurology: the specialist is on duty as associate chief and is chosen.
    let (_, c) = app.post(&doctor, "/api/v1/consultations", &request("neurology")).await;
    let path = format!("/api/v1/consultations/{}/commands", c["id"].as_str().unwrap());
    app.post(&centre, &path, &json!("triage")).await;
    let (s, r) = app.post(&centre, &path, &json!("auto_assign")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "assigned");
    assert_eq!(r["detail"]["experts"][0], expert_id.as_str());
    let (_, roster) = app.get(&centre, "/api/v1/consultation-roster").await;
    let queue = roster.as_array().unwrap().iter().find(|e| e["specialty"] == "neurology").unwrap()["queue"]
        .as_u64()
        .unwrap();
    assert!(queue >= 1, "the queue counts the new assignment: {roster}");
    // Bad roster input names the field.
    let (s, p) = app
        .put(
            &centre,
            "/api/v1/consultation-roster",
            &json!({"user_id": "nobody", "specialty": "Neuro Logy", "title": "chief", "on_duty": true}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["specialty", "user_id"]);
}

/// Source: docs/rules/remote-services.md#consultation: the centre may return an incomplete request (RETURN_FOR_INFO); an MDT
/// request gets one opinion per expert plus the chair's summary; a missed deadline expires.
#[tokio::test]
async fn mdt_return_for_info_and_a_missed_deadline() {
    let app = spawn_app().await;
    let doctor = app.token("township_doctor").await;
    let centre = app.token("county_admin").await;
    // A second specialist of the lead hospital for the MDT.
    let mut second = sanyi_store::users::by_username(&app.db, "specialist").await.unwrap().unwrap();
    let chair_id = second.id.clone();
    second.id = sanyi_store::new_id();
    second.username = "specialist2".into();
    second.display_name = "心内科主任 孙磊".into();
    sanyi_store::users::insert(&app.db, &second).await.unwrap();
    let (chair, member) = (app.token("specialist").await, app.token("specialist2").await);
    let (resident, lead) = resident_and_lead(&app, &doctor).await;
    let (s, c) = app
        .post(
            &doctor,
            "/api/v1/consultations",
            &json!({"resident_id": resident, "invited_institution_id": lead, "specialty": "neurology",
            "mode": "async", "mdt": true, "question": "脑梗死后继发癫痫，用药方案？"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["mdt"], true);
    let id = c["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/consultations/{id}/commands");
    // Returned for information, supplied, triaged (the centre's page offers the return).
    let browser = app.browser("county_admin").await;
    let html = app.html(&browser, &format!("/consultations/{id}")).await;
    assert!(html.contains("id=\"con-return\""), "{html}");
    let (s, _) = app
        .post(&doctor, &path, &json!({"return_for_info": {"reason": "请补充头颅CT"}}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the centre returns a request");
    let (s, r) = app
        .post(&centre, &path, &json!({"return_for_info": {"reason": "请补充头颅CT"}}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "returned_for_info");
    let (_, notes) = app.get(&doctor, "/api/v1/notifications").await;
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "consultation.returned_for_info"),
        "the inviting side is told: {notes}"
    );
    let (s, r) = app.post(&doctor, &path, &json!("provide_info")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "requested");
    assert_eq!(app.post(&centre, &path, &json!("triage")).await.0, StatusCode::OK);
    // An MDT needs two experts and a chair among them; the page offers both.
    let html = app.html(&browser, &format!("/consultations/{id}")).await;
    assert!(html.contains("name=\"expert2\"") && html.contains("name=\"chair\""), "{html}");
    let (s, p) = app
        .post(&centre, &path, &json!({"assign": {"experts": [chair_id], "chair": chair_id}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let r = browser
        .post(app.url(&format!("/consultations/{id}/act")))
        .form(&[
            ("action", "assign"),
            ("expert", chair_id.as_str()),
            ("expert2", second.id.as_str()),
            ("chair", chair_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, r) = app.get(&doctor, &format!("/api/v1/consultations/{id}")).await;
    assert_eq!(
        (r["state"].as_str(), r["chair"].as_str()),
        (Some("assigned"), Some(chair_id.as_str())),
        "{r}"
    );
    // One opinion per expert, then the chair's summary issues the opinion.
    let opinion = |text: &str| json!({"submit_opinion": {"impression": text, "advice": "丙戊酸钠", "recommend_referral": false}});
    assert_eq!(app.post(&member, &path, &opinion("继发性癫痫")).await.0, StatusCode::OK);
    let (s, _) = app.post(&member, &path, &json!({"chair_summary": {"summary": "同意"}})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the chair summarises");
    let (s, p) = app.post(&chair, &path, &json!({"chair_summary": {"summary": "同意"}})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the chair's own opinion is missing: {p}");
    assert_eq!(app.post(&chair, &path, &opinion("脑梗死后癫痫")).await.0, StatusCode::OK);
    let browser_chair = app.browser("specialist").await;
    let html = app.html(&browser_chair, &format!("/consultations/{id}")).await;
    assert!(
        html.contains("id=\"con-chair-summary\""),
        "the chair's page offers the summary: {html}"
    );
    let (s, r) = app
        .post(
            &chair,
            &path,
            &json!({"chair_summary": {"summary": "MDT 共识：丙戊酸钠，3 个月复查脑电图"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "opinion_issued");
    assert_eq!(r["opinions"].as_array().unwrap().len(), 2);
    assert_eq!(r["chair_summary"], "MDT 共识：丙戊酸钠，3 个月复查脑电图");
    // A routine request nobody answers expires when its opinion deadline passes.
    let (_, late) = app
        .post(
            &doctor,
            "/api/v1/consultations",
            &json!({"resident_id": resident, "invited_institution_id": lead, "specialty": "neurology",
            "mode": "async", "question": "头痛原因？"}),
        )
        .await;
    let late = late["id"].as_str().unwrap().to_owned();
    let changed = sanyi_app::consultations::tick(&app.app, chrono::Utc::now() + chrono::Duration::days(10))
        .await
        .unwrap();
    assert!(changed >= 1, "{changed}");
    let (_, r) = app.get(&doctor, &format!("/api/v1/consultations/{late}")).await;
    assert_eq!(r["state"], "expired", "{r}");
    assert_eq!(r["timeline"].as_array().unwrap().last().unwrap()["command"], "timer");
}

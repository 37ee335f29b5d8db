use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{new_id_number, spawn_app};

#[tokio::test]
async fn reads_and_writes_of_a_record_are_audited() {
    let app = spawn_app().await;
    let doctor = app.token("village_doctor").await;
    let admin = app.token("admin").await;
    let village = app.me(&doctor).await["scope"].as_str().unwrap().to_owned();
    let id_number = new_id_number("652301", 811);
    let (_, r) = app
        .post(
            &doctor,
            "/api/v1/residents",
            &json!({"id_number": id_number, "name": "审计", "village_code": village, "phone": "13700001234"}),
        )
        .await;
    let rid = r["id"].as_str().unwrap().to_owned();
    app.get(&doctor, &format!("/api/v1/residents/{rid}")).await;
    app.residents(&doctor, &format!("id_number={id_number}")).await;
    let (s, log) = app.get(&admin, &format!("/api/v1/audit?resident_id={rid}")).await;
    assert_eq!(s, StatusCode::OK);
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"create") && actions.contains(&"read") && actions.contains(&"lookup"),
        "{actions:?}"
    );
    for e in log["items"].as_array().unwrap() {
        assert_eq!(e["username"], "village_doctor");
        assert_eq!(e["ip"], "127.0.0.1");
    }
    assert!(!log.to_string().contains(&id_number), "no ID number in the audit log");
    assert!(!log.to_string().contains("13700001234"), "no phone number in the audit log");
    // Filter by user and action.
    let (_, reads) = app.get(&admin, "/api/v1/audit?username=village_doctor&action=read").await;
    assert!(reads["items"].as_array().unwrap().iter().all(|e| e["action"] == "read"));
}

#[tokio::test]
async fn the_audit_log_is_append_only() {
    let app = spawn_app().await;
    let doctor = app.token("village_doctor").await;
    app.residents(&doctor, "name=王").await;
    app.app.audit.flush().await;
    assert!(app.db.execute_unprepared("UPDATE audit_log SET ip = 'forged'").await.is_err());
    assert!(app.db.execute_unprepared("DELETE FROM audit_log").await.is_err());
}

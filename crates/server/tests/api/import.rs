use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{new_id_number, rejected_lines, spawn_app, with_wrong_check};

async fn import(app: &crate::helpers::TestApp, token: &str, csv: &str) -> (StatusCode, Value) {
    app.post_csv(token, "/api/v1/residents/import", csv).await
}

#[tokio::test]
async fn import_reports_each_bad_row_and_is_idempotent() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let doctor = app.token("village_doctor").await;
    let village = app.me(&doctor).await["scope"].as_str().unwrap().to_owned();
    let ok1 = new_id_number("652301", 701);
    let ok2 = new_id_number("652301", 702);
    let csv = format!(
        "id_number,name,phone,village_code,address,household_no,household_role,extra\n\
         {ok1},张三,13800001111,{village},1组1号,HH1,户主,x\n\
         {},李四,,{village},,,,\n\
         {ok2},王五,,{village},1组1号,HH1,配偶,\n\
         {ok1},张三重复,,{village},,,,\n\
         {},赵六,,652301999999,,,,\n\
         too,few\n",
        with_wrong_check(&new_id_number("652301", 703)),
        new_id_number("652301", 704)
    );
    let before = app.resident_count().await;
    let (s, report) = import(&app, &admin, &csv).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["rows"], 6);
    assert_eq!(report["inserted"], 2);
    assert_eq!(report["rejected_count"], 4);
    let lines = rejected_lines(&report);
    assert_eq!(
        lines,
        vec![
            (3, "gb11643.check_digit".into()),
            (5, "csv.duplicate".into()),
            (6, "area.registered".into()),
            (7, "csv.columns".into())
        ]
    );
    assert_eq!(app.resident_count().await, before + 2);
    // The two good rows share a household.
    let list = app.residents(&admin, &format!("id_number={ok2}")).await;
    let (_, detail) = app
        .get(&admin, &format!("/api/v1/residents/{}", list["items"][0]["id"].as_str().unwrap()))
        .await;
    assert_eq!(detail["household_members"].as_array().unwrap().len(), 1);
    // Importing the same file again changes nothing.
    let (_, again) = import(&app, &admin, &csv).await;
    assert_eq!(again["inserted"], 0);
    assert_eq!(again["already_present"], 2);
    assert_eq!(app.resident_count().await, before + 2);
}

#[tokio::test]
async fn import_rejects_bad_files_whole() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let (s, p) = import(&app, &admin, "name,village_code\n张三,652301101201\n").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "id_number");
    assert_eq!(p["errors"][0]["rule"], "csv.column");
    let (s, _) = import(&app, &admin, "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .client
        .post(app.url("/api/v1/residents/import"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doctor = app.token("village_doctor").await;
    let (s, _) = import(&app, &doctor, "id_number,name,village_code\n").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

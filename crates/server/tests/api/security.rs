//! Security properties that must keep holding (issue #12): pool-level authority, reads answered
//! only with a durable audit row, the audit hash chain, login throttling, exact credential
//! expiry and deactivation, cross-site request refusal and the security headers, paged lists.

use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// Creates an account of `role` over area `scope` (no institution) and returns its token.
async fn account(app: &TestApp, username: &str, role: &str, scope: &str) -> String {
    let division: String = scope.chars().chain(std::iter::repeat('0')).take(6).collect();
    let user = sanyi_store::users::User {
        division_code: division,
        id: sanyi_store::new_id(),
        username: username.into(),
        display_name: username.into(),
        password_hash: sanyi_app::auth::hash_password(PASSWORD).unwrap(),
        role: role.into(),
        institution_id: None,
        scope_area: scope.into(),
        active: true,
    };
    sanyi_store::users::insert(&app.db, &user).await.unwrap();
    app.token(username).await
}

async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn county_officers_cannot_change_or_run_pool_level_money_and_see_only_their_county() {
    let app = spawn_app().await;
    let year = crate::helpers::demo_params().today.year() - 1;
    let pool_officer = app.token("insurance").await;
    let county_officer = account(&app, "county_insurance", "insurance_officer", "652301").await;
    let county_admin = app.token("county_admin").await;
    let (_, fund_year) = app.get(&pool_officer, &format!("/api/v1/insurance/fund-years/{year}")).await;
    for token in [&county_officer, &county_admin] {
        let (s, p) = app.put(token, &format!("/api/v1/insurance/fund-years/{year}"), &fund_year).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
        assert_eq!(p["type"], "urn:sanyi:problem:forbidden-level", "{p}");
        let (s, p) = app
            .post(token, &format!("/api/v1/insurance/settlements?year={year}&month=1"), &json!(null))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
        let (s, _) = app.post(token, "/api/v1/insurance/policies", &json!({})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, p) = app.put(&county_admin, "/api/v1/recognition/items", &json!({"items": []})).await;
    assert_eq!(
        (s, p["type"].as_str()),
        (StatusCode::FORBIDDEN, Some("urn:sanyi:problem:forbidden-level"))
    );
    // The pool officer runs the year; the county officer reads its own county's lines only.
    let (s, full) = app
        .post(&pool_officer, &format!("/api/v1/insurance/settlements?year={year}"), &json!(null))
        .await;
    assert_eq!(s, StatusCode::OK, "{full}");
    assert_eq!(full["counties"].as_array().unwrap().len(), 3);
    let (s, mine) = app.get(&county_officer, &format!("/api/v1/insurance/settlements/{year}")).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    let codes: Vec<&str> = mine["counties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["652301"]);
    assert!(mine["flags"].as_object().unwrap().is_empty());
    let (_, fy) = app.get(&county_officer, &format!("/api/v1/insurance/fund-years/{year}")).await;
    assert!(fy["scores"].as_object().unwrap().keys().all(|k| k.starts_with("652301")), "{fy}");
    // A pool officer's document for another year than the path's: refused, nothing stored.
    let mut other = fund_year.clone();
    other["fund"] = json!(1);
    let (s, p) = app
        .put(&pool_officer, &format!("/api/v1/insurance/fund-years/{}", year + 1), &other)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (_, after) = app.get(&pool_officer, &format!("/api/v1/insurance/fund-years/{year}")).await;
    assert_eq!(after, fund_year, "nothing changed");
}

/// Makes every audit insert fail (a stand-in for a full disk or a lost database) until undone.
async fn break_audit_writes(app: &TestApp, broken: bool) {
    let sql = match (app.db.backend(), broken) {
        (sanyi_store::Backend::Sqlite, true) => {
            "CREATE TRIGGER audit_test_fail BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        }
        (sanyi_store::Backend::Sqlite, false) => "DROP TRIGGER audit_test_fail",
        (sanyi_store::Backend::Postgres, true) => {
            "CREATE FUNCTION audit_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END; $$; \
             CREATE TRIGGER audit_test_fail BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_test_fail()"
        }
        (sanyi_store::Backend::Postgres, false) => "DROP TRIGGER audit_test_fail ON audit_log; DROP FUNCTION audit_test_fail()",
    };
    app.db.execute_unprepared(sql).await.unwrap();
}

#[tokio::test]
async fn a_read_whose_audit_cannot_be_stored_is_not_answered() {
    let app = spawn_app().await;
    let doctor = app.token("village_doctor").await;
    let list = app.residents(&doctor, "").await;
    let rid = list["items"][0]["id"].as_str().unwrap().to_owned();
    let reads = |log: &Value| log["total"].as_i64().unwrap();
    let admin = app.token("admin").await;
    let (_, before) = app.get(&admin, &format!("/api/v1/audit?resident_id={rid}&action=read")).await;
    break_audit_writes(&app, true).await;
    let (s, p) = app.get(&doctor, &format!("/api/v1/residents/{rid}")).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{p}");
    assert!(
        p.get("name").is_none() && p["type"] == "urn:sanyi:problem:unavailable",
        "nothing disclosed: {p}"
    );
    break_audit_writes(&app, false).await;
    let (s, r) = app.get(&doctor, &format!("/api/v1/residents/{rid}")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (_, after) = app.get(&admin, &format!("/api/v1/audit?resident_id={rid}&action=read")).await;
    assert_eq!(reads(&after), reads(&before) + 1, "one answered read, one audit row");
}

#[tokio::test]
async fn the_audit_log_is_a_hash_chain_that_shows_any_rewrite() {
    let app = spawn_app().await;
    let doctor = app.token("village_doctor").await;
    app.residents(&doctor, "name=王").await;
    let report = sanyi_app::audit::verify_chain(&app.app).await.unwrap();
    assert!(report.breaks.is_empty(), "{report:?}");
    let rows: i64 = report.counties.iter().map(|c| c.rows).sum();
    assert!(rows > 10, "{report:?}");
    // INSERT OR REPLACE would delete the old row without the DELETE trigger (SQLite).
    if app.db.backend() == sanyi_store::Backend::Sqlite {
        let replace = "INSERT OR REPLACE INTO audit_log (division_code, id, at, user_id, username, role, action, entity, entity_id, ip, detail) \
                       SELECT division_code, id, at, user_id, username, role, 'forged', entity, entity_id, ip, detail FROM audit_log LIMIT 1";
        assert!(app.db.execute_unprepared(replace).await.is_err(), "REPLACE is refused");
    }
    // Someone with the database's owner rights drops the guard and rewrites one row.
    let drop = match app.db.backend() {
        sanyi_store::Backend::Sqlite => "DROP TRIGGER audit_log_no_update",
        sanyi_store::Backend::Postgres => "DROP TRIGGER audit_log_no_update ON audit_log",
    };
    app.db.execute_unprepared(drop).await.unwrap();
    app.db
        .execute_unprepared(
            "UPDATE audit_log SET ip = '10.9.9.9' WHERE id = (SELECT id FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1)",
        )
        .await
        .unwrap();
    let report = sanyi_app::audit::verify_chain(&app.app).await.unwrap();
    assert_eq!(report.breaks.len(), 1, "{report:?}");
    assert!(report.breaks[0].reason.contains("rewritten"), "{report:?}");
}

#[tokio::test]
async fn each_committed_import_batch_carries_its_audit() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let doctor = app.token("village_doctor").await;
    let village = app.me(&doctor).await["scope"].as_str().unwrap().to_owned();
    let mut csv = String::from("id_number,name,village_code\n");
    for i in 0..30 {
        csv.push_str(&format!("{},导入{i},{village}\n", crate::helpers::new_id_number("652301", 700 + i)));
    }
    let (s, r) = app.post_csv(&admin, "/api/v1/residents/import", &csv).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (_, log) = app.get(&admin, "/api/v1/audit?action=import&username=admin&limit=500").await;
    let inserted: i64 = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            let d = e["detail"].as_str()?;
            let n = d.split("; inserted ").nth(1)?.split(' ').next()?;
            n.parse::<i64>().ok()
        })
        .sum();
    assert_eq!(inserted, r["inserted"].as_i64().unwrap(), "{log}");
}

#[tokio::test]
async fn logins_back_off_lock_and_are_unlocked_by_an_administrator() {
    let app = spawn_app().await;
    for name in ["nurse", "nobody_here"] {
        for _ in 0..3 {
            assert_eq!(login(&app, name, "wrong password").await.status(), StatusCode::UNAUTHORIZED);
        }
        let r = login(&app, name, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{name} waits before its next try");
        assert!(r.headers().get("retry-after").is_some());
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["type"], "urn:sanyi:problem:too-many-attempts");
    }
    // Nine failures so far: the tenth locks the account, and the right password is refused.
    let user = sanyi_store::users::by_username(&app.db, "reader").await.unwrap().unwrap();
    app.db
        .execute_unprepared(&format!("UPDATE users SET failed_logins = 9 WHERE id = '{}'", user.id))
        .await
        .unwrap();
    assert_eq!(login(&app, "reader", "wrong password").await.status(), StatusCode::UNAUTHORIZED);
    let r = login(&app, "reader", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 60, "locked for minutes, not seconds: {wait}");
    let admin = app.token("admin").await;
    let (s, _) = app.post(&admin, "/api/v1/users/reader/unlock", &json!(null)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(login(&app, "reader", PASSWORD).await.status(), StatusCode::OK);
    let doctor = app.token("village_doctor").await;
    assert_eq!(
        app.post(&doctor, "/api/v1/users/reader/unlock", &json!(null)).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, log) = app.get(&admin, "/api/v1/audit?username=reader&action=lock").await;
    assert_eq!(log["total"], 1, "{log}");
    // One client address failing for many names backs off for every name.
    for i in 0..20 {
        login(&app, &format!("guess{i}"), "x").await;
    }
    assert_eq!(
        login(&app, "township_doctor", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn expiry_and_deactivation_take_effect_at_the_next_request() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let nurse = app.token("nurse").await;
    assert_eq!(app.get(&nurse, "/api/v1/me").await.0, StatusCode::OK);
    let (s, _) = app.post(&admin, "/api/v1/users/nurse/deactivate", &json!(null)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&nurse, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "at once, no cache");
    assert_eq!(login(&app, "nurse", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    app.post(&admin, "/api/v1/users/nurse/activate", &json!(null)).await;
    let nurse = app.token("nurse").await;
    assert_eq!(app.get(&nurse, "/api/v1/me").await.0, StatusCode::OK);
    let hash = sanyi_app::auth::token_hash(&nurse);
    let past = match app.db.backend() {
        sanyi_store::Backend::Sqlite => "'2000-01-01T00:00:00Z'",
        sanyi_store::Backend::Postgres => "'2000-01-01T00:00:00Z'::timestamptz",
    };
    app.db
        .execute_unprepared(&format!("UPDATE sessions SET expires_at = {past} WHERE token_hash = '{hash}'"))
        .await
        .unwrap();
    assert_eq!(app.get(&nurse, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "expiry is exact");
    let (s, _) = app.post(&admin, "/api/v1/users/admin/deactivate", &json!(null)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "not one's own account");
}

#[tokio::test]
async fn cross_site_cookie_writes_are_refused_and_pages_carry_security_headers() {
    let app = spawn_app().await;
    let browser = app.browser("village_doctor").await;
    let village = {
        let v: Value = browser.get(app.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
        v["scope"].as_str().unwrap().to_owned()
    };
    let body = json!({"id_number": crate::helpers::new_id_number("652301", 931), "name": "跨站", "village_code": village});
    let r = browser
        .post(app.url("/api/v1/residents"))
        .header("origin", "http://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["rule"], "csrf.origin", "{p}");
    let r = browser
        .post(app.url("/api/v1/residents"))
        .header("sec-fetch-site", "cross-site")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let own = app.base.clone();
    let r = browser
        .post(app.url("/api/v1/residents"))
        .header("origin", own)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "the page's own origin passes");
    // A bearer client is not a browser session: no Origin rule.
    let token = app.token("village_doctor").await;
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = browser.get(app.url("/residents")).send().await.unwrap();
    let h = page.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self' 'nonce-"),
        "{csp}"
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(h.get("strict-transport-security").is_none(), "HSTS only over TLS");
}

#[tokio::test]
async fn referral_lists_page_with_totals() {
    let app = spawn_app().await;
    let specialist = app.token("specialist").await;
    let (s, all) = app.get(&specialist, "/api/v1/referrals?box=in&limit=500").await;
    assert_eq!(s, StatusCode::OK);
    let total = all["total"].as_i64().unwrap();
    assert!(total > 10, "{all}");
    let (_, first) = app.get(&specialist, "/api/v1/referrals?box=in&limit=4").await;
    let (_, second) = app.get(&specialist, "/api/v1/referrals?box=in&limit=4&offset=4").await;
    assert_eq!((first["total"].as_i64(), first["limit"].as_i64()), (Some(total), Some(4)));
    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert_eq!((a.len(), b.len()), (4, 4));
    assert!(a.iter().all(|x| !b.contains(x)), "pages do not overlap");
    assert_eq!(ids(&all)[..8], [a, b].concat()[..]);
    let (_, pending) = app
        .get(&specialist, "/api/v1/referrals?box=in&state=pending_receiver&limit=1")
        .await;
    let expected = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["state"] == "pending_receiver")
        .count();
    assert_eq!(pending["total"].as_u64().unwrap() as usize, expected);
    for bad in ["limit=0", "limit=501", "offset=-1", "state=nope"] {
        let (s, p) = app.get(&specialist, &format!("/api/v1/referrals?box=in&{bad}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {p}");
    }
}

#[tokio::test]
async fn an_oversized_import_is_refused_at_once_as_problem_json() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    // Declares 300 MiB but sends a few bytes: refused from the header, before any reading.
    let r = app
        .client
        .post(app.url("/api/v1/residents/import"))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .header("content-length", (300_u64 * 1024 * 1024).to_string())
        .body("id_number,name,village_code\n")
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["rule"], "body.size", "{p}");
}

#[tokio::test]
async fn text_with_a_nul_character_is_refused_on_every_backend() {
    // PostgreSQL cannot store U+0000 in text: found by the generated API test as a 500.
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let (_, tree) = app.get(&admin, "/api/v1/institutions/tree").await;
    let lead = tree[0]["communities"][0]["members"][0]["id"].as_str().unwrap().to_owned();
    let (s, p) = app
        .post(
            &admin,
            &format!("/api/v1/institutions/{lead}/staff"),
            &json!({"name": "a\u{0}b", "profession": "doctor", "title": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["rule"], "text.nul");
    let (s, _) = app.get(&admin, "/api/v1/residents?name=%00").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, r) = app
        .post_csv(&admin, "/api/v1/residents/import", "id_number,name,village_code\n1,a\u{0},2\n")
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["rejected"][0]["errors"][0]["rule"], "text.nul", "{r}");
    // Field paths still name the field of a body of the wrong shape.
    let (s, p) = app
        .post(
            &admin,
            "/api/v1/residents",
            &json!({"id_number": 1, "name": "x", "village_code": "1"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "id_number", "{p}");
}

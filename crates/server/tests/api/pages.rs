use reqwest::StatusCode;

use crate::helpers::{PASSWORD, new_id_number, spawn_app, with_wrong_check};

#[tokio::test]
async fn pages_require_login_and_show_the_community() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/residents")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=/residents");
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", "nope"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("用户名或密码错误"));
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let home = app.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("昌吉市人民医院") && home.contains("牵头医院") && home.contains("村卫生室"));
    // English on request.
    app.client.get(app.url("/lang/en")).send().await.unwrap();
    let home = app.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("Medical communities and institutions"));
}

#[tokio::test]
async fn the_registration_form_shows_inline_errors_and_lists_are_masked() {
    let app = spawn_app().await;
    app.client
        .post(app.url("/login"))
        .form(&[("username", "village_doctor"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let form = app
        .client
        .get(app.url("/residents/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("身份证号"));
    let village = app.me_cookie().await;
    let id = new_id_number("652301", 905);
    let r = app
        .client
        .post(app.url("/residents"))
        .form(&[
            ("id_number", with_wrong_check(&id).as_str()),
            ("name", "页面测试"),
            ("village_code", village.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"error-id_number\"") && html.contains("校验码错误"), "{html}");
    assert!(html.contains("页面测试"), "the form keeps what was typed");
    let r = app
        .client
        .post(app.url("/residents"))
        .form(&[
            ("id_number", id.as_str()),
            ("name", "页面测试"),
            ("village_code", village.as_str()),
            ("phone", "13800138000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let record_url = r.headers()["location"].to_str().unwrap().to_owned();
    let record = app.client.get(app.url(&record_url)).send().await.unwrap().text().await.unwrap();
    assert!(
        record.contains(&id) && record.contains("13800138000"),
        "full values on the record page"
    );
    let list = app
        .client
        .get(app.url(&format!("/residents?name={}", "页面")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("页面测试") && !list.contains(&id) && list.contains("138****8000"),
        "{list}"
    );
    // Cross-site form posts are refused.
    let r = app
        .client
        .post(app.url("/residents"))
        .header("origin", "http://evil.example")
        .form(&[("id_number", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_audit_page_is_for_administrators() {
    let app = spawn_app().await;
    app.client
        .post(app.url("/login"))
        .form(&[("username", "nurse"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let r = app.client.get(app.url("/audit")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.client.post(app.url("/logout")).send().await.unwrap();
    app.client
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    app.client.get(app.url("/residents?name=王")).send().await.unwrap();
    let r = app.client.get(app.url("/audit")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("search"));
}

#[tokio::test]
async fn the_coder_page_groups_a_case_with_its_trace() {
    let app = spawn_app().await;
    app.client
        .post(app.url("/login"))
        .form(&[("username", "specialist"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let html = app.client.get(app.url("/drg")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"illustrative\""), "the illustrative scheme is labelled");
    let r = app
        .client
        .post(app.url("/drg"))
        .form(&[
            ("sex", "1"),
            ("age_years", "45"),
            ("main_dx", "K35.800x001"),
            ("main_proc", "47.0901"),
            ("other_dx", ""),
            ("other_procs", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"drg-code\"") && html.contains("id=\"drg-trace\"") && html.contains("id=\"illustrative\""),
        "{html}"
    );
}

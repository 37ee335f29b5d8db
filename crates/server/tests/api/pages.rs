use reqwest::StatusCode;

use crate::helpers::{PASSWORD, new_id_number, spawn_app, with_wrong_check};

#[tokio::test]
async fn pages_require_login_and_show_the_community() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/residents")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=/residents");
    let r = app
        .submit("/login", &[("username", "admin"), ("password", "nope"), ("next", "/")])
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("用户名或密码错误"));
    let r = app
        .submit("/login", &[("username", "admin"), ("password", PASSWORD), ("next", "/")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    // The administrator lands on the workbench; the institution tree is one link away.
    let home = app.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("id=\"wb-todo\"") && home.contains("href=\"/institutions\""), "{home}");
    let tree = app.client.get(app.url("/institutions")).send().await.unwrap().text().await.unwrap();
    assert!(tree.contains("昌吉市人民医院") && tree.contains("牵头医院") && tree.contains("村卫生室"));
    // English on request.
    app.client.get(app.url("/lang/en")).send().await.unwrap();
    let tree = app.client.get(app.url("/institutions")).send().await.unwrap().text().await.unwrap();
    assert!(tree.contains("Medical communities and institutions"));
}

/// Every main page has its own `<title>` (tabs, bookmarks and screen readers tell them apart).
#[tokio::test]
async fn every_main_page_has_its_own_title() {
    let app = spawn_app().await;
    let r = app
        .submit("/login", &[("username", "admin"), ("password", PASSWORD), ("next", "/")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut seen = std::collections::HashMap::new();
    for path in [
        "/",
        "/institutions",
        "/residents",
        "/residents/new",
        "/indicators",
        "/drg",
        "/recognition",
        "/audit",
        "/insurance",
        "/insurance/policy",
        "/insurance/runs",
        "/insurance/eligibility-reviews",
        "/catalogue",
        "/procurement",
        "/procurement/projects/new",
        "/pharmacy",
    ] {
        let html = app.client.get(app.url(path)).send().await.unwrap().text().await.unwrap();
        let title = html
            .split("<title>")
            .nth(1)
            .and_then(|t| t.split("</title>").next())
            .unwrap_or_default()
            .to_owned();
        assert!(title.contains("三医"), "{path}: {title}");
        if let Some(other) = seen.insert(title.clone(), path) {
            panic!("{path} and {other} share the title {title:?}");
        }
    }
}

#[tokio::test]
async fn the_registration_form_shows_inline_errors_and_lists_are_masked() {
    let app = spawn_app().await;
    app.submit("/login", &[("username", "village_doctor"), ("password", PASSWORD)])
        .await;
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
        .submit(
            "/residents",
            &[
                ("id_number", with_wrong_check(&id).as_str()),
                ("name", "页面测试"),
                ("village_code", village.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"error-id_number\"") && html.contains("校验码错误"), "{html}");
    assert!(html.contains("页面测试"), "the form keeps what was typed");
    let r = app
        .submit(
            "/residents",
            &[
                ("id_number", id.as_str()),
                ("name", "页面测试"),
                ("village_code", village.as_str()),
                ("phone", "13800138000"),
            ],
        )
        .await;
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
    app.submit("/login", &[("username", "nurse"), ("password", PASSWORD)]).await;
    let r = app.client.get(app.url("/audit")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.client.post(app.url("/logout")).send().await.unwrap();
    app.submit("/login", &[("username", "admin"), ("password", PASSWORD)]).await;
    app.client.get(app.url("/residents?name=王")).send().await.unwrap();
    let r = app.client.get(app.url("/audit")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("search"));
}

#[tokio::test]
async fn the_coder_page_groups_a_case_with_its_trace() {
    let app = spawn_app().await;
    app.submit("/login", &[("username", "specialist"), ("password", PASSWORD)]).await;
    let html = app.client.get(app.url("/drg")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"illustrative\""), "the illustrative scheme is labelled");
    let r = app
        .submit(
            "/drg",
            &[
                ("sex", "1"),
                ("age_years", "45"),
                ("main_dx", "K35.800x001"),
                ("main_proc", "47.0901"),
                ("other_dx", ""),
                ("other_procs", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"drg-code\"") && html.contains("id=\"drg-trace\"") && html.contains("id=\"illustrative\""),
        "{html}"
    );
}

#[tokio::test]
async fn referral_pages_from_outbox_to_inbox() {
    let app = spawn_app().await;
    app.submit("/login", &[("username", "village_doctor"), ("password", PASSWORD)])
        .await;
    let doctor = app.token("village_doctor").await;
    let resident = app.residents(&doctor, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let form = app
        .client
        .get(app.url(&format!("/referrals/new?resident={resident}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("昌吉市人民医院"), "receivers are listed");
    assert!(
        form.contains("name=\"criterion\"") && form.contains("慢病规范治疗后控制不满意"),
        "the upward criteria are offered"
    );
    let (_, tree) = app.get(&doctor, "/api/v1/institutions/tree").await;
    let lead = tree[0]["communities"][0]["members"][0]["id"].as_str().unwrap().to_owned();
    let r = app
        .submit(
            "/referrals",
            &[
                ("resident_id", resident.as_str()),
                ("receiver_institution_id", lead.as_str()),
                ("reason", ""),
                ("summary", ""),
                ("diagnoses", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "the reason is required");
    let text = r.text().await.unwrap();
    assert!(
        text.contains("上转须选择符合的上转指征"),
        "an upward referral needs its criterion: {text}"
    );
    let r = app
        .submit(
            "/referrals",
            &[
                ("resident_id", resident.as_str()),
                ("receiver_institution_id", lead.as_str()),
                ("criterion", "uncertain_diagnosis"),
                ("reason", "胸痛待查"),
                ("summary", "反复胸闷"),
                ("diagnoses", "I20.900"),
                ("consent_by", "patient"),
                ("consent_method", "signed_form"),
                ("result_item", "肌钙蛋白I"),
                ("result_value", "0.02"),
                ("result_unit", "ng/mL"),
                ("result_date", "2026-01-05"),
                ("result_mark", "HR"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        r.text()
            .await
            .unwrap_or_default()
            .split("id=\"ref-error\"")
            .nth(1)
            .map(|e| e.chars().take(300).collect::<String>())
    );
    let page = r.headers()["location"].to_str().unwrap().to_owned();
    let outbox = app.client.get(app.url("/referrals")).send().await.unwrap().text().await.unwrap();
    assert!(outbox.contains("胸痛待查") || outbox.contains("id=\"ref-list\""), "{outbox}");
    assert!(outbox.contains("审核") || outbox.contains("pending_receiver"), "counts by state");
    // The county specialist sees it in the inbox and accepts it from the page.
    let specialist = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    specialist
        .post(app.url("/login"))
        .form(&[("username", "specialist"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let inbox = specialist
        .get(app.url("/referrals?box=in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(inbox.contains(page.trim_start_matches("/referrals/")), "{inbox}");
    let r = specialist
        .post(app.url(&format!("{page}/act")))
        .form(&[("action", "accept"), ("department", "心血管内科"), ("slot", "2099-03-01T09:30")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let detail = specialist.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
    assert!(detail.contains("id=\"ref-arrive\""), "the next action is offered");
    assert!(
        detail.contains("审核 → 接收 · 接收"),
        "the timeline names states and actions in Chinese: {detail}"
    );
    assert!(!detail.contains("pending_receiver"), "no raw state code on the page: {detail}");
    assert!(
        detail.contains("id=\"ref-criterion\">诊断不明或疑难复杂"),
        "the receiver sees the criterion: {detail}"
    );
    // The sender's page offers cancel, not accept, and shows the appointment in Beijing time as
    // entered (stored as 01:30 UTC), with the slip's validity.
    let mine = app.client.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
    assert!(mine.contains("id=\"ref-cancel\"") && !mine.contains("id=\"ref-accept\""));
    assert!(
        mine.contains("id=\"ref-appointment\">心血管内科 · 2099-03-01 09:30"),
        "the sender sees where and when: {mine}"
    );
    assert!(mine.contains("（上转）"), "the direction in Chinese: {mine}");
    let home = app.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("已被接收、待患者就诊的转诊"), "the sender is told: {home}");
    // An accept without a slot is refused with the field's message, and changes nothing.
    let r = specialist
        .post(app.url(&format!("{page}/act")))
        .form(&[("action", "accept"), ("department", "心血管内科"), ("slot", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("请选择就诊时间"));
}

#[tokio::test]
async fn consultation_pages_from_request_to_acknowledgement() {
    let app = spawn_app().await;
    let client = || {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap()
    };
    let (doctor, centre, expert) = (client(), client(), client());
    for (c, user) in [(&doctor, "township_doctor"), (&centre, "county_admin"), (&expert, "specialist")] {
        let r = c
            .post(app.url("/login"))
            .form(&[("username", user), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let token = app.token("township_doctor").await;
    let resident = app.residents(&token, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let form = doctor
        .get(app.url(&format!("/consultations/new?resident={resident}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("昌吉市人民医院"));
    let (_, tree) = app.get(&token, "/api/v1/institutions/tree").await;
    let lead = tree[0]["communities"][0]["members"][0]["id"].as_str().unwrap().to_owned();
    let r = doctor
        .post(app.url("/consultations"))
        .form(&[
            ("resident_id", resident.as_str()),
            ("invited_institution_id", lead.as_str()),
            ("specialty", "neurology"),
            ("question", "言语不清 1 小时"),
            ("summary", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = r.headers()["location"].to_str().unwrap().to_owned();
    let act = |c: &reqwest::Client, fields: Vec<(&'static str, String)>| {
        let url = app.url(&format!("{page}/act"));
        let c = c.clone();
        async move { c.post(url).form(&fields).send().await.unwrap().status() }
    };
    let board = centre
        .get(app.url("/consultations?view=in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(board.contains("言语不清"), "the triage board lists it");
    assert_eq!(act(&centre, vec![("action", "triage".into())]).await, StatusCode::SEE_OTHER);
    let html = centre.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("id=\"con-assign\"") && html.contains("神经内科主任"),
        "experts offered"
    );
    let expert_id = sanyi_store::users::by_username(&app.db, "specialist").await.unwrap().unwrap().id;
    assert_eq!(
        act(&centre, vec![("action", "assign".into()), ("expert", expert_id)]).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        act(&centre, vec![("action", "schedule".into()), ("at", "2099-05-01T10:00".into())]).await,
        StatusCode::SEE_OTHER
    );
    let queue = expert
        .get(app.url("/consultations?view=mine"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(queue.contains("言语不清"), "the expert's queue lists it");
    let html = expert.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("id=\"con-call\"") && html.contains("id=\"con-start\""),
        "call link and session start offered"
    );
    assert_eq!(act(&expert, vec![("action", "start_session".into())]).await, StatusCode::SEE_OTHER);
    assert_eq!(
        act(
            &expert,
            vec![
                ("action", "opinion".into()),
                ("text", "考虑急性脑梗死".into()),
                ("advice", "立即上转".into())
            ]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    // The wrong side is refused; the inviting doctor acknowledges.
    let refused = act(&expert, vec![("action", "acknowledge".into()), ("text", "x".into())]).await;
    assert_eq!(refused, StatusCode::FORBIDDEN);
    assert_eq!(
        act(&doctor, vec![("action", "acknowledge".into()), ("text", "同意上转".into())]).await,
        StatusCode::SEE_OTHER
    );
    let html = doctor.get(app.url(&page)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("考虑急性脑梗死") && html.contains("id=\"con-close\""), "{html}");
    // The session time in Beijing time as entered, the expert by name, no user id in the opinion.
    assert!(html.contains("id=\"con-scheduled\">2099-05-01 10:00"), "{html}");
    let opinions = html.split("id=\"con-opinions\"").nth(1).unwrap_or_default();
    let opinions = opinions.split("</ul>").next().unwrap_or_default();
    assert!(opinions.contains("神经内科主任 陈明"), "the opinion names its expert: {opinions}");
    let uuid_like = |w: &str| w.len() == 36 && w.matches('-').count() == 4;
    assert!(
        !opinions.split(|c: char| c.is_whitespace() || c == '<' || c == '>').any(uuid_like),
        "no user id in the opinions: {opinions}"
    );
}

/// A form that comes back with an error keeps what was typed and marks the field in the user's
/// words; the receiver picker groups institutions by county and tier.
#[tokio::test]
async fn a_rejected_referral_form_keeps_every_value_and_names_the_field_in_words() {
    let app = spawn_app().await;
    app.submit("/login", &[("username", "village_doctor"), ("password", PASSWORD)])
        .await;
    let doctor = app.token("village_doctor").await;
    let resident = app.residents(&doctor, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, tree) = app.get(&doctor, "/api/v1/institutions/tree").await;
    let lead = tree[0]["communities"][0]["members"][0]["id"].as_str().unwrap().to_owned();
    let form = app.html(&app.client, &format!("/referrals/new?resident={resident}")).await;
    assert!(form.contains("<optgroup label=\"昌吉市 · 县级\">"), "receivers grouped: {form}");
    assert!(form.contains("id=\"picked-resident\""), "the resident is named on the form");
    let r = app
        .submit(
            "/referrals",
            &[
                ("resident_id", resident.as_str()),
                ("receiver_institution_id", lead.as_str()),
                ("criterion", "uncertain_diagnosis"),
                ("reason", ""),
                ("summary", "反复胸闷三天"),
                ("diagnoses", "I20.900"),
                ("consent_by", "patient"),
                ("consent_method", "signed_form"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("value=\"反复胸闷三天\"") && text.contains("value=\"I20.900\""),
        "{text}"
    );
    assert!(text.contains(&format!("value=\"{lead}\" selected")), "the receiver stays chosen");
    assert!(
        text.contains("value=\"uncertain_diagnosis\" selected"),
        "the criterion stays chosen"
    );
    let reason = text.split("id=\"error-reason\">").nth(1).unwrap_or_default();
    assert!(reason.starts_with("请填写原因"), "the field is named in words: {reason}");
    assert!(!text.contains("reason 不能为空"));
    // Without a resident the form offers the search, whose rows choose the resident for it.
    let form = app.html(&app.client, "/referrals/new").await;
    assert!(form.contains("href=\"/residents?pick=/referrals/new\""), "{form}");
    let list = app.html(&app.client, "/residents?pick=/referrals/new").await;
    assert!(list.contains("href=\"/referrals/new?resident="), "{list}");
}

/// Residents are found by any part of the name and by pinyin initials, the area by name.
#[tokio::test]
async fn residents_are_found_by_part_of_the_name_and_by_pinyin_initials() {
    let app = spawn_app().await;
    let doctor = app.token("village_doctor").await;
    let first = app.residents(&doctor, "limit=1").await["items"][0].clone();
    let name = first["name"].as_str().unwrap().to_owned();
    let tail: String = name.chars().skip(1).collect();
    let initials = sanyi_domain::name_search::initials(&name);
    let by_tail = app.residents(&doctor, &format!("name={}", crate::crawl::crawl_encode(&tail))).await;
    assert!(
        by_tail["items"].as_array().unwrap().iter().any(|r| r["id"] == first["id"]),
        "{tail} finds {name}"
    );
    let by_initials = app.residents(&doctor, &format!("name={}", initials.to_uppercase())).await;
    assert!(
        by_initials["items"].as_array().unwrap().iter().any(|r| r["id"] == first["id"]),
        "{initials} finds {name}"
    );
    // A name typed with a wildcard matches only itself.
    assert_eq!(app.residents(&doctor, "name=%25").await["total"], 0);
    // The page offers the villages by name.
    app.submit("/login", &[("username", "village_doctor"), ("password", PASSWORD)])
        .await;
    let page = app.html(&app.client, "/residents").await;
    assert!(page.contains("<select id=\"q-area\"") && page.contains("村"), "{page}");
}

/// The clerk settles a claim by typing the insured person's ID number; a wrong number is named.
#[tokio::test]
async fn a_claim_is_entered_with_the_id_number() {
    let app = spawn_app().await;
    let doctor = app.token("township_doctor").await;
    let resident = app.residents(&doctor, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, detail) = app.get(&doctor, &format!("/api/v1/residents/{resident}")).await;
    let id_number = detail["id_number"].as_str().unwrap().to_owned();
    app.submit("/login", &[("username", "township_doctor"), ("password", PASSWORD)])
        .await;
    let today = crate::helpers::demo_params().today.to_string();
    let fields = |id: &str| {
        vec![
            ("claim_key".to_owned(), format!("MZ-T-{}", id.len())),
            ("id_number".to_owned(), id.to_owned()),
            ("med_type".to_owned(), "11".to_owned()),
            ("date".to_owned(), today.clone()),
            ("charges".to_owned(), "110200001 1".to_owned()),
        ]
    };
    let wrong = format!("{}0", &id_number[..17]);
    let wrong = if wrong == id_number {
        format!("{}1", &id_number[..17])
    } else {
        wrong
    };
    let r = app.client.post(app.url("/claims")).form(&fields(&wrong)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("id=\"error-id_number\">") && text.contains(&format!("value=\"{wrong}\"")),
        "{text}"
    );
    let r = app.client.post(app.url("/claims")).form(&fields(&id_number)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap_or_default());
}

/// The claims list filters by kind of care and status, sorts by amount, pages with numbers and
/// links each row to its slip; a clerk sees the claims of their own institution only. The fraud
/// flags filter by kind.
#[tokio::test]
async fn claims_and_flags_lists_filter_sort_and_page() {
    let app = spawn_app().await;
    let year = crate::helpers::demo_params().today.format("%Y").to_string().parse::<i32>().unwrap() - 1;
    let officer = app.browser("insurance").await;
    let all = app.html(&officer, &format!("/claims?year={year}")).await;
    assert!(
        all.contains("id=\"claims-list\"") && all.contains("aria-current=\"page\">1<"),
        "{all}"
    );
    let table = |html: &str| {
        html.split("id=\"claims-list\"")
            .nth(1)
            .unwrap_or_default()
            .split("</table>")
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let inpatient = table(&app.html(&officer, &format!("/claims?year={year}&med_type=inpatient")).await);
    assert!(inpatient.contains("普通住院") && !inpatient.contains("普通门诊"), "{inpatient}");
    assert!(inpatient.contains("href=\"/claims/"), "rows link to their slips");
    // A slip prints on A4 or on an 80 mm receipt, with the patient and a QR code.
    let slip_path = inpatient.split("href=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let slip = app.html(&officer, &slip_path).await;
    assert!(
        slip.contains("id=\"claim-patient\"") && slip.contains("<svg") && slip.contains("id=\"print-80\""),
        "{slip}"
    );
    let receipt = app.html(&officer, &format!("{slip_path}?paper=80")).await;
    assert!(receipt.contains("size: 80mm"), "{receipt}");
    // A demo outpatient claim is kept with its totals only: its slip shows those, not zeros.
    let outpatient = table(&app.html(&officer, &format!("/claims?year={year}&med_type=outpatient")).await);
    let op_path = outpatient.split("href=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let op_slip = app.html(&officer, &op_path).await;
    let fields = op_slip
        .split("id=\"claim-fields\"")
        .nth(1)
        .unwrap_or_default()
        .split("</table>")
        .next()
        .unwrap_or_default();
    let first_amount = fields.split("<td>").nth(2).and_then(|c| c.split('<').next()).unwrap_or_default();
    assert!(!first_amount.is_empty() && first_amount != "0.00", "{fields}");
    // The officer's workbench lists the flags to review as due work.
    let home = app.html(&officer, "/").await;
    assert!(home.contains("待审核的疑点："), "{home}");
    // Largest first: the first row's total is not smaller than the second's.
    let by_amount = table(&app.html(&officer, &format!("/claims?year={year}&sort=amount")).await);
    let totals: Vec<f64> = by_amount
        .split("<tr>")
        .skip(2)
        .filter_map(|row| {
            row.split("<td>")
                .nth(4)
                .and_then(|c| c.split('<').next())
                .map(|v| v.replace(',', "").parse().unwrap_or(0.0))
        })
        .take(2)
        .collect();
    assert!(totals.len() == 2 && totals[0] >= totals[1], "{totals:?}");
    let bad = officer.get(app.url("/claims?med_type=dental")).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The clerk's list holds their institution's claims only.
    let clerk = app.browser("township_doctor").await;
    let own = table(&app.html(&clerk, &format!("/claims?year={year}")).await);
    let doctor = app.token("township_doctor").await;
    let me = app.me(&doctor).await;
    let inst_id = me["institution_id"].as_str().unwrap().to_owned();
    let (_, inst) = app.get(&doctor, &format!("/api/v1/institutions/{inst_id}")).await;
    let name = inst["name"].as_str().unwrap().to_owned();
    let rows: Vec<&str> = own.split("<tr>").skip(2).collect();
    assert!(!rows.is_empty(), "the demo's township centre has settled claims");
    for row in rows {
        assert!(row.contains(name.as_str()), "{name}: {row}");
    }
    // Fraud flags of one kind.
    let flags = app
        .html(&officer, &format!("/insurance/flags?year={year}&status=open&kind=split_admission"))
        .await;
    let rows = flags
        .split("id=\"flag-list\"")
        .nth(1)
        .unwrap_or_default()
        .split("</table>")
        .next()
        .unwrap_or_default();
    assert!(!rows.contains("挂床住院") && !rows.contains("重复收费"), "{rows}");
}

/// The procurement board shows each project's completion against the time elapsed, marks the
/// provincial batch behind schedule, and offers the Excel report; the project's page names its
/// state and products.
#[tokio::test]
async fn the_procurement_board_marks_generics_behind_schedule() {
    let app = spawn_app().await;
    let officer = app.browser("procurement").await;
    let board = app.html(&officer, "/procurement").await;
    assert!(board.contains("进度滞后") && board.contains("时间进度"), "{board}");
    assert!(
        board.contains("<svg class=\"chart\"") && board.contains("stroke-dasharray"),
        "{board}"
    );
    assert!(
        board.contains("国家集采") && board.contains("省级集采") && board.contains("已签约"),
        "{board}"
    );
    let xlsx = officer.get(app.url("/procurement/report.xlsx")).send().await.unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let bad = officer.get(app.url("/procurement?as_of=yesterday")).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("id=\"error-as_of\">请填写日期"));
    // The renewal waiting for its contract offers the demand form and the 签约 button.
    let renewal = board
        .split("href=\"/procurement/projects/")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .find(|id| id != "new")
        .unwrap();
    let page = app.html(&officer, &format!("/procurement/projects/{renewal}")).await;
    assert!(
        page.contains("报量中") && page.contains("id=\"demand-form\"") && page.contains("id=\"contract-submit\""),
        "{page}"
    );
    // The workbench lists the project behind schedule as due work.
    let home = app.html(&officer, "/").await;
    assert!(home.contains("进度滞后的品种") && home.contains("id=\"wb-procurement\""), "{home}");
}

/// A prescription beyond the policy's days of supply comes back with the message under the
/// field and every value kept; within the limit it is written and waits for dispensing.
#[tokio::test]
async fn a_prescription_beyond_the_days_of_supply_comes_back_with_the_message() {
    let app = spawn_app().await;
    let doctor = app.token("township_doctor").await;
    let resident = app.residents(&doctor, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let browser = app.browser("township_doctor").await;
    let form = app.html(&browser, &format!("/prescriptions/new?resident_id={resident}")).await;
    assert!(
        form.contains("id=\"picked-resident\"") && form.contains("id=\"choice-list\""),
        "{form}"
    );
    let fields = |days: &str| {
        vec![
            ("resident_id", resident.clone()),
            ("kind", "outpatient".to_owned()),
            ("diagnosis", "I10 高血压".to_owned()),
            ("days_supply", days.to_owned()),
            ("lines", "XC08CAA001 30".to_owned()),
        ]
    };
    let r = browser.post(app.url("/prescriptions")).form(&fields("30")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await.unwrap();
    let under = text
        .split("id=\"error-days_supply\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_default();
    assert!(!under.trim().is_empty(), "no message under the days of supply: {text}");
    assert!(
        text.contains("value=\"30\"") && text.contains("value=\"I10 高血压\"") && text.contains(">XC08CAA001 30</textarea>"),
        "{text}"
    );
    assert!(text.contains("id=\"picked-resident\""), "the resident stays chosen");
    let r = browser.post(app.url("/prescriptions")).form(&fields("7")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let page = app.html(&browser, &to).await;
    assert!(page.contains("待发药") && page.contains("id=\"rx-dispense\""), "{page}");
    let list = app.html(&browser, "/prescriptions?state=written").await;
    assert!(list.contains(&format!("href=\"{to}\"")), "{list}");
}

/// The catalogue search finds a drug by part of its name; the demo's catalogue says it is not
/// the national list; an import with bad rows names every one and stores nothing.
#[tokio::test]
async fn the_catalogue_is_searched_and_a_bad_import_names_every_row() {
    let app = spawn_app().await;
    let doctor = app.browser("village_doctor").await;
    let page = app
        .html(&doctor, &format!("/catalogue?q={}", crate::crawl::crawl_encode("氨氯地平")))
        .await;
    let table = page.split("id=\"cat-items\"").nth(1).unwrap_or_default();
    assert!(table.contains("苯磺酸氨氯地平片") && !table.contains("阿莫西林"), "{page}");
    assert!(page.contains("示例目录，非国家目录"), "{page}");
    assert!(!page.contains("id=\"cat-import\""), "only pool-level officers import");
    let officer = app.browser("insurance").await;
    let boundary = "sanyiboundary7d1";
    let csv = "code,kind,name_zh,category,price_cap_yuan,unit\nA1,drug,甲药,A,1.00,片\nB1,pill,乙,X,-1,片\n";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n2099-v1\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"effective_from\"\r\n\r\n2099-01-01\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bad.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n\
         --{boundary}--\r\n"
    );
    let r = officer
        .post(app.url("/catalogue"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await.unwrap();
    let rows = text.split("id=\"import-rows\"").nth(1).unwrap_or_default();
    assert!(
        rows.contains("第 3 行 kind") && rows.contains("第 3 行 category") && rows.contains("第 3 行 price_cap_yuan"),
        "{text}"
    );
    assert!(
        text.contains("value=\"2099-v1\"") && text.contains("value=\"2099-01-01\""),
        "{text}"
    );
    let versions = app.html(&officer, "/catalogue").await;
    assert!(!versions.contains("2099-v1"), "nothing was imported");
}

/// From the pages alone: a project is loaded (a bad line named), its demand reported and its
/// contract signed; the central pharmacy orders, records the delivery, accepts and pays it and
/// transfers to a township centre, whose doctor prescribes and dispenses and is offered the
/// settlement.
#[tokio::test]
async fn procurement_pharmacy_and_dispensing_work_from_the_pages() {
    let app = spawn_app().await;
    let officer = app.browser("procurement").await;
    let next_year = crate::helpers::demo_params().today.format("%Y").to_string().parse::<i32>().unwrap() + 1;
    let project = |products: &str| {
        vec![
            ("code", "GJ-T-1".to_owned()),
            ("name", "测试批次".to_owned()),
            ("level", "national".to_owned()),
            ("starts_on", format!("{next_year}-01-01")),
            ("ends_on", format!("{next_year}-12-31")),
            ("products", products.to_owned()),
        ]
    };
    let r = officer
        .post(app.url("/procurement/projects"))
        .form(&project("XC08CAA001 示例药业甲 abc 0.45"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await.unwrap();
    assert!(text.contains("第 1 行中选价") && text.contains("value=\"GJ-T-1\""), "{text}");
    let r = officer
        .post(app.url("/procurement/projects"))
        .form(&project("XC08CAA001 示例药业甲 0.12 0.45"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap_or_default());
    let project_path = r.headers()["location"].to_str().unwrap().to_owned();
    let page = app.html(&officer, &project_path).await;
    let input = page
        .split("name=\"u:")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|s| format!("u:{s}"))
        .expect("a demand input");
    let r = officer
        .post(app.url(&format!("{project_path}/demand")))
        .form(&[(input.as_str(), "1000")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = officer.post(app.url(&format!("{project_path}/contract"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.html(&officer, &project_path).await;
    assert!(
        page.contains("已签约") && page.contains("<td>1000</td><td>500</td>") && page.contains("id=\"project-prepayment\""),
        "{page}"
    );
    let r = officer
        .post(app.url(&format!("{project_path}/renewal")))
        .form(&[
            ("code", "GJ-T-2"),
            ("starts_on", &format!("{next_year}-06-01")),
            ("ends_on", &format!("{next_year}-12-31")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await.unwrap();
    assert!(text.contains("id=\"error-starts_on\">续约期须在原协议期结束后开始"), "{text}");

    // The central pharmacy orders a non-selected product, records its delivery, accepts and pays.
    let order = |lines: &str| {
        vec![
            ("order_no", "CG-T-1".to_owned()),
            ("supplier", "示例配送".to_owned()),
            ("ordered_on", String::new()),
            ("lines", lines.to_owned()),
        ]
    };
    let r = officer
        .post(app.url("/pharmacy/orders"))
        .form(&order("XC08CAA002 x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("第 1 行：请填写编码和整数数量"));
    let r = officer
        .post(app.url("/pharmacy/orders"))
        .form(&order("XC08CAA002 40"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap_or_default());
    let order_path = r.headers()["location"].to_str().unwrap().to_owned();
    let r = officer
        .post(app.url(&format!("{order_path}/deliveries")))
        .form(&[
            ("delivery_no", "PS-T-1"),
            ("delivered_on", ""),
            ("lines", "XC08CAA002 LT1 2030-01-01 40"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap_or_default());
    for step in ["accept", "pay"] {
        let page = app.html(&officer, &order_path).await;
        let action = page
            .split("action=\"/pharmacy/deliveries/")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map(|s| format!("/pharmacy/deliveries/{s}"))
            .unwrap_or_else(|| panic!("no {step} button: {page}"));
        assert!(action.ends_with(step), "{action}");
        let r = officer
            .post(app.url(&action))
            .form(&[("on", ""), ("back", order_path.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let page = app.html(&officer, &order_path).await;
    assert!(!page.contains("action=\"/pharmacy/deliveries/"), "accepted and paid: {page}");

    // Down to the township centre, where the doctor prescribes and dispenses.
    let doctor = app.token("township_doctor").await;
    let township = app.me(&doctor).await["institution_id"].as_str().unwrap().to_owned();
    let r = officer
        .post(app.url("/pharmacy/transfers"))
        .form(&[
            ("transfer_no", "DB-T-1"),
            ("from_institution_id", ""),
            ("to_institution_id", township.as_str()),
            ("item_code", "XC08CAA002"),
            ("quantity", "20"),
            ("on", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap_or_default());
    let stock = app.html(&officer, r.headers()["location"].to_str().unwrap()).await;
    // First expiry first out: the older lots of the lead hospital go down before the new one.
    let lots = stock.split("id=\"stock-list\"").nth(1).unwrap_or_default();
    assert!(stock.contains("id=\"transfer-done\"") && lots.contains("XC08CAA002"), "{stock}");
    let resident = app.residents(&doctor, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let browser = app.browser("township_doctor").await;
    let r = browser
        .post(app.url("/prescriptions"))
        .form(&[
            ("resident_id", resident.as_str()),
            ("kind", "outpatient"),
            ("diagnosis", "I10"),
            ("days_supply", "7"),
            ("lines", "XC08CAA002 7"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let rx = r.headers()["location"].to_str().unwrap().to_owned();
    let r = browser.post(app.url(&format!("{rx}/dispense"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap_or_default());
    let page = app.html(&browser, &rx).await;
    assert!(page.contains("已发药") && page.contains("id=\"rx-settle\""), "{page}");
    let settle = page
        .split("id=\"rx-settle\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let form = browser.get(app.url(&settle)).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.unwrap().contains("id=\"claim-prescription\""));
}

/// The insurance officer approves a chronic disease on the resident's record; a form with a
/// period out of order and no evidence comes back with the messages and the values typed.
#[tokio::test]
async fn the_officer_records_and_revokes_an_eligibility_on_the_record_page() {
    let app = spawn_app().await;
    let token = app.token("insurance").await;
    let resident = app.residents(&token, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.submit("/login", &[("username", "insurance"), ("password", PASSWORD)]).await;
    let path = format!("/residents/{resident}");
    let page = app.client.get(app.url(&path)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("待遇资格认定") && page.contains("登记认定"), "{page}");
    let r = app
        .submit(
            &format!("{path}/eligibility"),
            &[
                ("kind", "chronic_disease"),
                ("code", "N18"),
                ("valid_from", "2026-03-01"),
                ("valid_to", "2026-01-01"),
                ("evidence", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("有效期结束日早于开始日") && text.contains("请填写") && text.contains("value=\"2026-03-01\""),
        "{text}"
    );
    let r = app
        .submit(
            &format!("{path}/eligibility"),
            &[
                ("kind", "chronic_disease"),
                ("code", "N18"),
                ("valid_from", "2026-01-01"),
                ("valid_to", "2026-12-31"),
                ("evidence", "透析记录"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.client.get(app.url(&path)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("尿毒症透析") && page.contains("透析记录") && page.contains("有效"),
        "{page}"
    );
    let (_, list) = app.get(&token, &format!("/api/v1/residents/{resident}/eligibility")).await;
    let id = list.as_array().unwrap().iter().find(|e| e["code"] == "N18").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .submit(&format!("{path}/eligibility/{id}/revoke"), &[("reason", "复审不符合")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.client.get(app.url(&path)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已撤销：复审不符合"), "{page}");
}

/// Settlement runs from the pages (#16 part 4): the officer runs the year twice and sees the second
/// run identical to the first; approving their own run is refused in words with the note kept;
/// the second officer finds the run on the workbench, approves it, and the ledger fills in.
#[tokio::test]
async fn settlement_runs_are_compared_and_approved_from_the_pages() {
    let app = spawn_app().await;
    let year = crate::helpers::demo_params().today.format("%Y").to_string().parse::<i32>().unwrap() - 1;
    let officer = app.browser("insurance").await;
    for _ in 0..2 {
        let r = officer
            .post(app.url("/insurance/run"))
            .form(&[("year", year.to_string())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let history = app.html(&officer, &format!("/insurance/runs?year={year}")).await;
    assert!(
        history.contains("id=\"runs-list\"") && history.contains("待复核") && history.contains("已被重算取代"),
        "{history}"
    );
    assert!(history.contains("id=\"ledger-empty\""), "{history}");
    let run = app.html(&officer, &format!("/insurance/runs/{year}/2")).await;
    assert!(run.contains("id=\"run-diff-empty\"") && run.contains("id=\"run-approve\""), "{run}");
    let r = officer
        .post(app.url(&format!("/insurance/runs/{year}/2")))
        .form(&[("note", "我自己复核")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await.unwrap();
    assert!(text.contains("运行人不能复核") && text.contains("我自己复核"), "{text}");
    let chief = app.browser("insurance_chief").await;
    let home = app.html(&chief, "/").await;
    assert!(home.contains("待复核的结算批次"), "{home}");
    let r = chief
        .post(app.url(&format!("/insurance/runs/{year}/2")))
        .form(&[("note", "已核对预算与得分")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let history = app.html(&chief, &format!("/insurance/runs?year={year}")).await;
    assert!(
        history.contains("id=\"ledger-totals\"") && history.contains("已复核") && history.contains("医保复核 郑敏"),
        "{history}"
    );
    let overview = app.html(&chief, &format!("/insurance?year={year}")).await;
    assert!(
        overview.contains("id=\"ins-run-status\"") && overview.contains("已复核"),
        "{overview}"
    );
    let home = app.html(&chief, "/").await;
    assert!(!home.contains("待复核的结算批次"), "nothing left to approve");
}

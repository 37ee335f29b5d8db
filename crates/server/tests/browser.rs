//! Drives headless Chromium through chromedriver as a village doctor would: log in, register a
//! resident, see the inline error for a wrong check digit, correct it, find the resident; then the
//! institution tree and the coder's DRG page.
//! Skips with a message when Chromium or chromedriver is missing (fails instead when `CI=true`).

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};

use helpers::{PASSWORD, new_id_number, spawn_app, with_wrong_check};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver(Child);

impl Driver {
    /// Starts chromedriver on `port`; it stops when the value is dropped.
    fn start(port: u16) -> Driver {
        Driver(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start chromedriver"),
        )
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn shot(c: &fantoccini::Client, name: &str) -> Result<(), fantoccini::error::CmdError> {
    if let Ok(dir) = std::env::var("SANYI_SCREENSHOTS") {
        std::fs::write(format!("{dir}/{name}.png"), c.screenshot().await?).ok();
    }
    Ok(())
}

async fn wait_for_path(c: &fantoccini::Client, path: &str) -> Result<(), fantoccini::error::CmdError> {
    wait_until(c, |u| u.path() == path).await
}

/// Polls the current URL until `pred` holds (10 s at most), then lets the page settle.
async fn wait_until(c: &fantoccini::Client, pred: impl Fn(&url::Url) -> bool) -> Result<(), fantoccini::error::CmdError> {
    for _ in 0..100 {
        if pred(&c.current_url().await?) {
            // The URL changes before the new document is ready: wait for it to be complete.
            for _ in 0..50 {
                if c.execute("return document.readyState", vec![]).await?.as_str() == Some("complete") {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(fantoccini::error::CmdError::WaitTimeout)
}

/// A new Chromium session (fake camera and microphone, permission prompts accepted).
async fn session(port: u16, profile: &std::path::Path) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                     format!("--user-data-dir={}", profile.display())]
        }),
    );
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return c,
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    panic!("cannot connect to chromedriver on port {port}");
}

/// axe-core from the npm registry (`npm ci --prefix crates/server/tests/a11y`), or `None` with a
/// visible message (a failure in CI).
fn axe_source() -> Option<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/a11y/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "axe-core is required in CI (npm ci --prefix crates/server/tests/a11y)"
            );
            eprintln!("SKIPPED: accessibility check needs {path} (npm ci --prefix crates/server/tests/a11y)");
            None
        }
    }
}

/// The serious and critical WCAG 2 A/AA violations axe-core finds on the current page.
async fn axe_violations(c: &fantoccini::Client, axe: &str) -> Result<Vec<String>, fantoccini::error::CmdError> {
    c.execute(axe, vec![]).await?;
    let found = c
        .execute_async(
            "var done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
               .then(function (r) {
                 done(r.violations.filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; })
                   .map(function (v) { return v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); }).join(' | '); }));
               })
               .catch(function (e) { done(['axe failed: ' + e]); });",
            vec![],
        )
        .await?;
    Ok(found
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn browser_available() -> bool {
    if std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "Chromium and chromedriver are required in CI"
    );
    eprintln!("SKIPPED: browser test needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)");
    false
}

#[tokio::test]
async fn register_a_resident_in_the_browser() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let port = free_port();
    let _driver = Driver::start(port);
    let profile = tempfile::tempdir().unwrap();
    let c = session(port, profile.path()).await;
    let result = async {
        // Log in as the village doctor.
        c.goto(&app.url("/residents/new")).await?;
        assert!(c.current_url().await?.path().starts_with("/login"));
        c.find(Locator::Id("username")).await?.send_keys("village_doctor").await?;
        c.find(Locator::Id("password")).await?.send_keys(PASSWORD).await?;
        c.find(Locator::Id("login-submit")).await?.click().await?;
        // Back on the registration form.
        wait_for_path(&c, "/residents/new").await?;
        c.wait().for_element(Locator::Id("id_number")).await?;
        let id = new_id_number("652301", 951);
        c.find(Locator::Id("id_number")).await?.send_keys(&with_wrong_check(&id)).await?;
        c.find(Locator::Id("name")).await?.send_keys("浏览器测试").await?;
        c.find(Locator::Id("register-submit")).await?.click().await?;
        wait_for_path(&c, "/residents").await?;
        // The inline error names the check digit.
        let err = c.wait().for_element(Locator::Id("error-id_number")).await?.text().await?;
        assert!(err.contains("校验码错误"), "{err}");
        assert!(err.contains(id.chars().last().unwrap()), "{err}");
        // Correct it.
        let field = c.find(Locator::Id("id_number")).await?;
        field.clear().await?;
        field.send_keys(&id).await?;
        c.find(Locator::Id("register-submit")).await?.click().await?;
        wait_until(&c, |u| u.path().starts_with("/residents/") && u.path() != "/residents/new").await?;
        let name = c.wait().for_element(Locator::Id("resident-name")).await?.text().await?;
        assert_eq!(name, "浏览器测试");
        assert_eq!(c.find(Locator::Id("resident-id-number")).await?.text().await?, id);
        // Find the resident by ID number: the list shows it masked.
        c.goto(&app.url("/residents")).await?;
        c.find(Locator::Id("q-id")).await?.send_keys(&id).await?;
        c.find(Locator::Id("search-submit")).await?.click().await?;
        wait_until(&c, |u| u.query().is_some_and(|q| q.contains("id_number"))).await?;
        let table = c.wait().for_element(Locator::Id("results")).await?.text().await?;
        assert!(table.contains("浏览器测试"), "{table}");
        assert!(table.contains(&format!("{}********{}", &id[..6], &id[14..])), "{table}");
        assert!(!table.contains(&id));
        shot(&c, "residents").await?;
        // The community's institution tree.
        c.goto(&app.url("/institutions")).await?;
        let home = c.find(Locator::Css("main")).await?.text().await?;
        assert!(home.contains("昌吉市人民医院") && home.contains("村卫生室"), "{home}");
        shot(&c, "home").await?;
        // The coder's page groups the prefilled example with a trace, labelled illustrative.
        c.goto(&app.url("/drg")).await?;
        c.find(Locator::Id("illustrative")).await?;
        c.find(Locator::Id("drg-submit")).await?.click().await?;
        let code = c.wait().for_element(Locator::Id("drg-code")).await?.text().await?;
        assert_eq!(code.len(), 4, "{code}");
        assert!(!c.find(Locator::Id("drg-trace")).await?.text().await?.is_empty());
        shot(&c, "drg").await?;
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    c.close().await.ok();
    result.expect("browser steps");
}

async fn login(c: &fantoccini::Client, app: &helpers::TestApp, user: &str) -> Result<(), fantoccini::error::CmdError> {
    c.goto(&app.url("/login")).await?;
    c.find(Locator::Id("username")).await?.send_keys(user).await?;
    c.find(Locator::Id("password")).await?.send_keys(PASSWORD).await?;
    c.find(Locator::Id("login-submit")).await?.click().await?;
    wait_for_path(c, "/").await
}

/// A township doctor and the county expert hold a video call: WebRTC media flows between two
/// headless Chromium pages with fake camera and microphone, signalled through sanyi; an outsider is
/// refused until the expert invites her as a guest, then she joins the mesh and receives video from
/// both; the session is recorded when the call ends.
#[tokio::test]
async fn a_consultation_video_call_connects_two_browsers_and_a_guest() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    // The consultation, scheduled with the specialist assigned (through the API).
    let doctor = app.token("township_doctor").await;
    let centre = app.token("county_admin").await;
    let expert_id = sanyi_store::users::by_username(&app.db, "specialist").await.unwrap().unwrap().id;
    let resident = app.residents(&doctor, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, tree) = app.get(&doctor, "/api/v1/institutions/tree").await;
    let lead = tree[0]["communities"][0]["members"][0]["id"].as_str().unwrap().to_owned();
    let (_, c) = app
        .post(
            &doctor,
            "/api/v1/consultations",
            &serde_json::json!({"resident_id": resident, "invited_institution_id": lead, "specialty": "neurology", "question": "视频会诊"}),
        )
        .await;
    let id = c["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/consultations/{id}/commands");
    for cmd in [
        serde_json::json!("triage"),
        serde_json::json!({"assign": {"experts": [expert_id], "chair": null}}),
        serde_json::json!({"schedule": {"at": "2099-01-01T02:00:00Z"}}),
    ] {
        let (s, r) = app.post(&centre, &path, &cmd).await;
        assert!(s.is_success(), "{r}");
    }
    let port = free_port();
    let _driver = Driver::start(port);
    let (pa, pb, pc) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let a = session(port, pa.path()).await;
    let b = session(port, pb.path()).await;
    let outsider = session(port, pc.path()).await;
    let result = async {
        login(&a, &app, "township_doctor").await?;
        login(&b, &app, "specialist").await?;
        login(&outsider, &app, "village_doctor").await?;
        outsider.goto(&app.url(&format!("/consultations/{id}/call"))).await?;
        let refused = outsider.find(Locator::Id("error-message")).await?.text().await?;
        assert!(!refused.is_empty(), "an outsider gets the not-found page");
        a.goto(&app.url(&format!("/consultations/{id}/call"))).await?;
        b.goto(&app.url(&format!("/consultations/{id}/call"))).await?;
        // Media flows both ways.
        let mut received = (0, 0);
        for _ in 0..100 {
            let ra = a
                .execute_async(
                    "window.sanyiVideoBytes ? window.sanyiVideoBytes().then(arguments[0]) : arguments[0](0)",
                    vec![],
                )
                .await?;
            let rb = b
                .execute_async(
                    "window.sanyiVideoBytes ? window.sanyiVideoBytes().then(arguments[0]) : arguments[0](0)",
                    vec![],
                )
                .await?;
            received = (ra.as_u64().unwrap_or(0), rb.as_u64().unwrap_or(0));
            if received.0 > 10_000 && received.1 > 10_000 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(received.0 > 10_000 && received.1 > 10_000, "video bytes received: {received:?}");
        // The expert invites the outsider as a guest: she joins and receives video from both.
        let expert = app.token("specialist").await;
        let (s, r) = app
            .post(
                &expert,
                &format!("/api/v1/consultations/{id}/guests"),
                &serde_json::json!({"username": "village_doctor"}),
            )
            .await;
        assert!(s.is_success(), "{r}");
        outsider.goto(&app.url(&format!("/consultations/{id}/call"))).await?;
        let mut per_peer = Vec::new();
        for _ in 0..100 {
            let v = outsider
                .execute_async(
                    "window.sanyiVideoBytesByPeer ? window.sanyiVideoBytesByPeer().then(arguments[0]) : arguments[0]([])",
                    vec![],
                )
                .await?;
            per_peer = v
                .as_array()
                .map(|a| a.iter().filter_map(serde_json::Value::as_u64).collect())
                .unwrap_or_default();
            if per_peer.len() == 2 && per_peer.iter().all(|b| *b > 10_000) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            per_peer.len() == 2 && per_peer.iter().all(|b| *b > 10_000),
            "the guest receives video from both parties: {per_peer:?}"
        );
        let a_peers = a.execute_async("window.sanyiVideoBytesByPeer().then(arguments[0])", vec![]).await?;
        assert_eq!(a_peers.as_array().map(Vec::len), Some(2), "the doctor sees two peers: {a_peers}");
        shot(&outsider, "call").await?;
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    a.close().await.ok();
    b.close().await.ok();
    outsider.close().await.ok();
    result.expect("browser steps");
    // The session was recorded when the call ended.
    let row = sanyi_store::consultations::get(&app.db, &id).await.unwrap().unwrap();
    let mut sessions = Vec::new();
    for _ in 0..50 {
        sessions = sanyi_store::consultations::call_sessions(&app.db, &row.division_code, &id)
            .await
            .unwrap();
        if !sessions.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sessions.len(), 1, "one recorded session");
    let who = &sessions[0].participants;
    assert!(
        who.contains("township_doctor") && who.contains("specialist") && who.contains("village_doctor"),
        "{who}"
    );
}

/// The insurance officer settles the demo year from the page and sees the charts; a township
/// clerk settles a claim at the point of care and reads its trace.
#[tokio::test]
async fn the_bureau_settles_the_year_and_a_clerk_settles_a_claim_in_the_browser() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let doctor_token = app.token("township_doctor").await;
    let resident = app.residents(&doctor_token, "limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let port = free_port();
    let _driver = Driver::start(port);
    let year = chrono::Datelike::year(&helpers::demo_params().today) - 1;
    let profile = tempfile::tempdir().unwrap();
    let c = session(port, profile.path()).await;
    let result = async {
        login(&c, &app, "insurance").await?;
        c.goto(&app.url(&format!("/insurance?year={year}"))).await?;
        c.wait().for_element(Locator::Id("ins-empty")).await?;
        c.find(Locator::Id("ins-run")).await?.click().await?;
        wait_until(&c, |u| u.path() == "/insurance" && u.query().is_some_and(|q| q.contains("year"))).await?;
        let table = c.wait().for_element(Locator::Id("ins-counties")).await?.text().await?;
        assert!(table.contains("昌吉市") && table.contains("阜康市"), "{table}");
        assert!(c.find_all(Locator::Css("svg.chart")).await?.len() >= 3, "three charts");
        assert!(!c.find_all(Locator::Css("svg.chart polyline")).await?.is_empty());
        shot(&c, "insurance").await?;
        c.goto(&app.url(&format!("/insurance/flags?year={year}"))).await?;
        c.wait().for_element(Locator::Id("flag-list")).await?;
        shot(&c, "flags").await?;
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    c.close().await.ok();
    result.expect("officer steps");
    let profile = tempfile::tempdir().unwrap();
    let c = session(port, profile.path()).await;
    let result = async {
        login(&c, &app, "township_doctor").await?;
        c.goto(&app.url(&format!("/claims/new?resident_id={resident}"))).await?;
        c.wait().for_element(Locator::Id("claim-submit")).await?.click().await?;
        wait_until(&c, |u| u.path().starts_with("/claims/") && u.path() != "/claims/new").await?;
        let fields = c.wait().for_element(Locator::Id("claim-fields")).await?.text().await?;
        // The slip names the fund lines in Chinese and prints the patient.
        assert!(
            fields.contains("基本医疗保险统筹基金支出") && fields.contains("个人现金支出"),
            "{fields}"
        );
        assert!(!fields.contains("hifp_pay"), "{fields}");
        assert!(!c.find(Locator::Id("claim-patient")).await?.text().await?.is_empty());
        assert!(!c.find(Locator::Id("claim-trace")).await?.text().await?.is_empty());
        assert_eq!(c.find(Locator::Id("claim-status")).await?.text().await?, "已结算");
        shot(&c, "claim").await?;
        c.find(Locator::Id("claim-reverse")).await?.click().await?;
        // The page reloads on the same address: wait for the new status.
        let mut status = String::new();
        for _ in 0..50 {
            // Mid-reload the element may be missing or stale: try again.
            if let Ok(e) = c.find(Locator::Id("claim-status")).await {
                status = e.text().await.unwrap_or_default();
            }
            if status == "已冲销" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status, "已冲销");
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    c.close().await.ok();
    result.expect("clerk steps");
}

/// Each role lands on its workbench and walks its main pages on a 390 px phone and a desktop
/// screen: no page is wider than the screen (no horizontal scrolling), axe-core finds no serious
/// or critical WCAG 2.1 A/AA violation (labels, contrast, names, structure), the menu opens from
/// its button on the phone, and a screenshot of every page is kept when `SANYI_SCREENSHOTS` names
/// a directory.
#[tokio::test]
async fn every_role_works_on_a_phone_and_a_desktop_without_horizontal_scrolling() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    sanyi_app::demo::seed_readings(&app.app).await.expect("seed readings");
    sanyi_app::demo::settle_insurance_year(&app.app, &helpers::demo_params())
        .await
        .expect("settle the demo year");
    let port = free_port();
    let _driver = Driver::start(port);
    // One record of each kind the specialist and the reader open (their detail pages).
    let first_id = |v: serde_json::Value| v["items"][0]["id"].as_str().unwrap_or_default().to_owned();
    let specialist = app.token("specialist").await;
    let referral = first_id(app.get(&specialist, "/api/v1/referrals?box=in").await.1);
    let consultation = first_id(app.get(&specialist, "/api/v1/consultations?box=in").await.1);
    let reader = app.token("reader").await;
    let reading = first_id(app.get(&reader, "/api/v1/readings?box=in").await.1);
    let resident = first_id(app.residents(&specialist, "limit=1").await);
    let specialist_pages = [
        "/".to_owned(),
        "/referrals?box=in".to_owned(),
        "/consultations?view=mine".to_owned(),
        "/readings".to_owned(),
        format!("/referrals/{referral}"),
        format!("/consultations/{consultation}"),
        format!("/residents/{resident}"),
    ];
    let reader_pages = ["/".to_owned(), "/readings".to_owned(), format!("/readings/{reading}")];
    let specialist_pages: Vec<&str> = specialist_pages.iter().map(String::as_str).collect();
    let reader_pages: Vec<&str> = reader_pages.iter().map(String::as_str).collect();
    let walks: [(&str, &[&str]); 7] = [
        (
            "village_doctor",
            &[
                "/",
                "/residents",
                "/residents/new",
                "/referrals",
                "/referrals/new",
                "/consultations",
                "/readings",
                "/claims/new",
            ],
        ),
        ("township_doctor", &["/", "/referrals", "/consultations/new", "/readings"]),
        ("specialist", &specialist_pages),
        ("reader", &reader_pages),
        ("nurse", &["/", "/residents", "/readings"]),
        ("insurance", &["/", "/insurance", "/insurance/flags", "/insurance/policy", "/drg"]),
        ("admin", &["/", "/institutions", "/audit", "/indicators", "/recognition"]),
    ];
    let axe = axe_source();
    let mut problems = Vec::new();
    for (user, pages) in walks {
        let profile = tempfile::tempdir().unwrap();
        let c = session(port, profile.path()).await;
        let result = async {
            login(&c, &app, user).await?;
            c.find(Locator::Id("wb-todo")).await?;
            for (width, label) in [(390u32, "phone"), (1280, "desktop")] {
                c.set_window_size(width, 860).await?;
                for path in pages.iter() {
                    c.goto(&app.url(path)).await?;
                    c.wait().for_element(Locator::Css("main")).await?;
                    let widths = c
                        .execute("return [document.documentElement.scrollWidth, window.innerWidth]", vec![])
                        .await?;
                    let (scroll, inner) = (widths[0].as_i64().unwrap_or(0), widths[1].as_i64().unwrap_or(0));
                    if scroll > inner {
                        problems.push(format!("{user} {label}: {path} is {scroll} px wide on a {inner} px screen"));
                    }
                    let name = format!("{user}-{label}{}", path.replace(['/', '?', '=', '&'], "_"));
                    shot(&c, &name).await?;
                    if let Some(axe) = axe.as_deref() {
                        for v in axe_violations(&c, axe).await? {
                            problems.push(format!("{user} {label}: {path}: {v}"));
                        }
                    }
                }
            }
            // On the phone the navigation is behind the menu button, which opens it.
            c.set_window_size(390, 860).await?;
            c.goto(&app.url("/")).await?;
            let nav = c.find(Locator::Id("main-nav")).await?;
            assert!(!nav.is_displayed().await?, "{user}: the phone menu starts closed");
            c.find(Locator::Id("menu-toggle")).await?.click().await?;
            assert!(nav.is_displayed().await?, "{user}: the menu button opens the navigation");
            Ok::<_, fantoccini::error::CmdError>(())
        }
        .await;
        c.close().await.ok();
        result.unwrap_or_else(|e| panic!("{user}: {e}"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

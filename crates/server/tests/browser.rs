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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn register_a_resident_in_the_browser() {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "Chromium and chromedriver are required in CI"
        );
        eprintln!("SKIPPED: browser test needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)");
        return;
    }
    let app = spawn_app().await;
    let port = free_port();
    let _driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,900",
                     format!("--user-data-dir={}", profile.path().display())]
        }),
    );
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("connect to chromedriver");
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
        c.goto(&app.url("/")).await?;
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

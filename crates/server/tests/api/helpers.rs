//! The integration harness: a fresh database (SQLite file, or a new PostgreSQL database when
//! `SANYI_TEST_POSTGRES_URL` names a server), the small demo prefecture, and the real server on an
//! ephemeral port.

use std::net::SocketAddr;

use reqwest::StatusCode;
use serde_json::Value;

use sanyi_app::App;
use sanyi_server::{Application, Settings};
use sanyi_sim::DemoParams;
use sanyi_store::Db;

pub const PASSWORD: &str = sanyi_app::demo::DEMO_PASSWORD;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub app: App,
    _dir: Option<tempfile::TempDir>,
    _files: tempfile::TempDir,
}

/// A fresh, migrated database for one test.
pub async fn fresh_db() -> (Db, Option<tempfile::TempDir>) {
    match std::env::var("SANYI_TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let admin = Db::connect(&admin_url).await.expect("connect to the PostgreSQL test server");
            let name = format!("sanyi_test_{}", uuid_simple());
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await;
            let url = match admin_url.rfind('/') {
                Some(i) if admin_url[..i].contains("://") && i > admin_url.find("://").unwrap() + 2 => {
                    format!("{}/{name}", &admin_url[..i])
                }
                _ => format!("{admin_url}/{name}"),
            };
            let db = Db::connect(&url).await.expect("connect to test database");
            db.migrate().await.expect("migrate");
            (db, None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("test.db");
            let db = Db::connect(path.to_str().unwrap()).await.expect("open sqlite");
            db.migrate().await.expect("migrate");
            (db, Some(dir))
        }
    }
}

fn uuid_simple() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let n = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{n:x}{:x}", std::process::id())
}

/// Demo parameters used by tests: small and fixed.
pub fn demo_params() -> DemoParams {
    DemoParams {
        residents: 400,
        seed: 11,
        share_65_bp: 1_300,
        today: chrono::Utc::now().date_naive(),
    }
}

pub async fn spawn_app() -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = tracing_subscriber_init();
    }
    let (db, dir) = fresh_db().await;
    let files = tempfile::tempdir().expect("file store directory");
    let app = App::new(db.clone()).with_files(files.path());
    sanyi_app::demo::seed(&app, &demo_params(), None, &|_, _| {})
        .await
        .expect("seed demo");
    let server = Application::build(
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            secure_cookies: false,
            ice_servers: "[]".into(),
        },
        app.clone(),
    )
    .await
    .expect("build");
    let base = format!("http://127.0.0.1:{}", server.port());
    tokio::spawn(server.run_until(std::future::pending()));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    TestApp {
        base,
        client,
        db,
        app,
        _dir: dir,
        _files: files,
    }
}

fn tracing_subscriber_init() -> Option<()> {
    None
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn token(&self, username: &str) -> String {
        let r = self
            .client
            .post(self.url("/api/v1/auth/token"))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "login {username}");
        r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let r = self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let r = self.client.post(self.url(path)).bearer_auth(token).json(body).send().await.unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn put(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let r = self.client.put(self.url(path)).bearer_auth(token).json(body).send().await.unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn delete(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let r = self.client.delete(self.url(path)).bearer_auth(token).send().await.unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// Opens a WebSocket handshake on `path` as `token`; the status tells whether the server
    /// upgraded (101) or refused (4xx) the connection.
    pub async fn ws_handshake(&self, token: &str, path: &str) -> StatusCode {
        let client = reqwest::Client::builder().http1_only().build().unwrap();
        client
            .get(self.url(path))
            .bearer_auth(token)
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .send()
            .await
            .unwrap()
            .status()
    }

    /// Posts a CSV body (the imports).
    pub async fn post_csv(&self, token: &str, path: &str, csv: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(csv.to_owned())
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// Residents visible to a user (first page).
    pub async fn residents(&self, token: &str, query: &str) -> Value {
        let (s, v) = self.get(token, &format!("/api/v1/residents?{query}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    /// A browser-like client (cookies kept, redirects not followed) logged in as `username`.
    pub async fn browser(&self, username: &str) -> reqwest::Client {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        let r = client
            .post(self.url("/login"))
            .form(&[("username", username), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login {username}");
        client
    }

    /// The HTML of a page as `client` sees it.
    pub async fn html(&self, client: &reqwest::Client, path: &str) -> String {
        client.get(self.url(path)).send().await.unwrap().text().await.unwrap()
    }

    /// The server's OpenAPI document.
    pub async fn openapi(&self) -> Value {
        self.client
            .get(self.url("/api/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The scope of a user.
    pub async fn me(&self, token: &str) -> Value {
        self.get(token, "/api/v1/me").await.1
    }

    /// Number of residents in the database (bypassing scope).
    pub async fn resident_count(&self) -> i64 {
        sanyi_store::residents::count_by_county(&self.db, "")
            .await
            .unwrap()
            .iter()
            .map(|(_, n)| n)
            .sum()
    }
}

/// A valid, unused ID number in `county` with a given order code.
pub fn new_id_number(county: &str, seq: u16) -> String {
    let d = sanyi_domain::DivisionCode::parse(county).unwrap();
    sanyi_domain::ResidentId::from_parts(&d, chrono::NaiveDate::from_ymd_opt(1961, 3, 9).unwrap(), seq)
        .unwrap()
        .as_str()
        .to_owned()
}

/// Same number with a wrong check character.
pub fn with_wrong_check(id: &str) -> String {
    let last = id.chars().last().unwrap();
    let wrong = if last == '0' { '1' } else { '0' };
    format!("{}{wrong}", &id[..17])
}

impl TestApp {
    /// Posts a form with the cookie session (redirects are not followed).
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).form(fields).send().await.unwrap()
    }

    /// The area scope of the user logged in with the cookie.
    pub async fn me_cookie(&self) -> String {
        let v: Value = self.client.get(self.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
        v["scope"].as_str().unwrap().to_owned()
    }
}

/// The rejected rows of an import report as (line, first rule).
pub fn rejected_lines(report: &Value) -> Vec<(i64, String)> {
    report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["errors"][0]["rule"].as_str().unwrap().to_owned()))
        .collect()
}

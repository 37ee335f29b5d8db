//! Crash test through the real binary (issue #12): `kill -9` of the server during a burst of
//! audited reads, during a CSV import and during a settlement run; after each restart nothing
//! acknowledged is lost, the audit accounts for every answered read and every committed import
//! row, and `sanyi audit verify` finds every hash chain intact. On SQLite, and on PostgreSQL when
//! `SANYI_TEST_POSTGRES_URL` names a server.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const PASSWORD: &str = "sanyi2026";

fn sanyi() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sanyi"));
    c.env("SANYI_LOG", "error");
    c
}

/// A database for the test: a SQLite file in `dir`, or a new PostgreSQL database.
async fn database(dir: &std::path::Path) -> String {
    match std::env::var("SANYI_TEST_POSTGRES_URL") {
        Ok(admin) if !admin.is_empty() => {
            let name = format!(
                "sanyi_crash_{}_{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_millis()
            );
            let db = sanyi_store::Db::connect(&admin).await.unwrap();
            db.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
            db.close().await;
            let i = admin.rfind('/').unwrap();
            format!("{}/{name}", &admin[..i])
        }
        _ => dir.join("crash.db").to_str().unwrap().to_owned(),
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(db: &str, files: &std::path::Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = sanyi()
            .args(["serve", "--database", db, "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(files)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sanyi serve");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(60) {
            if client
                .get(format!("{base}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Server { child, base };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server did not come up");
    }

    /// `kill -9` (dropping the server sends SIGKILL): no shutdown, no flush.
    fn kill9(self) {}
}

impl Drop for Server {
    /// SIGKILL (what `Child::kill` sends on Unix), also when a test fails half-way.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn token(base: &str, user: &str) -> String {
    let r: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap_or_else(|| panic!("login {user}: {r}")).to_owned()
}

async fn get(base: &str, token: &str, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Residents in the whole pool (as the pool administrator sees them).
async fn resident_total(base: &str, admin: &str) -> i64 {
    get(base, admin, "/api/v1/residents?limit=1").await["total"].as_i64().unwrap()
}

/// Residents inserted according to the import batches' audit rows.
async fn audited_imports(base: &str, admin: &str) -> i64 {
    let log = get(base, admin, "/api/v1/audit?action=import&username=admin&limit=500").await;
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            e["detail"]
                .as_str()?
                .split("; inserted ")
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<i64>()
                .ok()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_loses_nothing_acknowledged_and_the_audit_accounts_for_everything() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path()).await;
    let files = dir.path().join("files");
    let out = sanyi()
        .args(["demo", "--database", &db, "--residents", "300", "--seed", "5"])
        .arg("--data-dir")
        .arg(&files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // 1. A burst of audited reads, killed in the middle.
    let server = Server::start(&db, &files).await;
    let base = server.base.clone();
    let doctor = token(&base, "village_doctor").await;
    let list = get(&base, &doctor, "/api/v1/residents?limit=5").await;
    let ids: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!ids.is_empty(), "{list}");
    let answered: Arc<Vec<AtomicUsize>> = Arc::new(ids.iter().map(|_| AtomicUsize::new(0)).collect());
    let mut burst = Vec::new();
    for w in 0..8 {
        let (base, doctor, ids, answered) = (base.clone(), doctor.clone(), ids.clone(), answered.clone());
        burst.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for n in 0.. {
                let k = (w + n) % ids.len();
                let Ok(r) = client
                    .get(format!("{base}/api/v1/residents/{}", ids[k]))
                    .bearer_auth(&doctor)
                    .send()
                    .await
                else {
                    break;
                };
                if r.status().is_success() && r.json::<Value>().await.is_ok_and(|v| v["id"] == ids[k].as_str()) {
                    answered[k].fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill9();
    for b in burst {
        let _ = b.await;
    }
    let server = Server::start(&db, &files).await;
    let base = server.base.clone();
    let admin = token(&base, "admin").await;
    let mut total_answered = 0;
    for (k, id) in ids.iter().enumerate() {
        let n = answered[k].load(Ordering::SeqCst) as i64;
        total_answered += n;
        let log = get(&base, &admin, &format!("/api/v1/audit?resident_id={id}&action=read&limit=1")).await;
        let audited = log["total"].as_i64().unwrap();
        assert!(audited >= n, "resident {k}: {n} reads answered, {audited} audited");
    }
    assert!(total_answered > 20, "the burst answered {total_answered} reads before the kill");
    eprintln!("crash test: {total_answered} reads answered before kill -9, each with its audit row");

    // 2. A CSV import, killed once its first batch is committed.
    let csv = dir.path().join("import.csv");
    let out = sanyi()
        .args(["bench", "residents-csv", "--count", "250000", "--seed", "77", "--out"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let before = resident_total(&base, &admin).await;
    let audited_before = audited_imports(&base, &admin).await;
    let body = std::fs::read(&csv).unwrap();
    let upload = {
        let (base, admin) = (base.clone(), admin.clone());
        tokio::spawn(async move {
            let _ = reqwest::Client::new()
                .post(format!("{base}/api/v1/residents/import"))
                .bearer_auth(&admin)
                .header("content-type", "text/csv")
                .body(body)
                .send()
                .await;
        })
    };
    let t = Instant::now();
    while resident_total(&base, &admin).await == before && t.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill9();
    let _ = upload.await;
    let server = Server::start(&db, &files).await;
    let base = server.base.clone();
    let admin = token(&base, "admin").await;
    let committed = resident_total(&base, &admin).await - before;
    assert!(
        committed > 0 && committed < 250_000,
        "killed mid-import: {committed} rows committed"
    );
    assert_eq!(
        audited_imports(&base, &admin).await - audited_before,
        committed,
        "every committed row is accounted for by its batch's audit row"
    );
    eprintln!("crash test: import killed after {committed} of 250000 rows, all audited");

    // 3. A settlement run, killed while it runs: all or nothing, and it runs again.
    let officer = token(&base, "insurance").await;
    let year = chrono::Utc::now().date_naive().format("%Y").to_string().parse::<i32>().unwrap() - 1;
    let run = {
        let (base, officer) = (base.clone(), officer.clone());
        tokio::spawn(async move {
            let _ = reqwest::Client::new()
                .post(format!("{base}/api/v1/insurance/settlements?year={year}"))
                .bearer_auth(&officer)
                .send()
                .await;
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill9();
    let _ = run.await;
    let server = Server::start(&db, &files).await;
    let base = server.base.clone();
    let officer = token(&base, "insurance").await;
    let stored = reqwest::Client::new()
        .get(format!("{base}/api/v1/insurance/settlements/{year}"))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    let status = stored.status().as_u16();
    assert!(status == 200 || status == 404, "a run is there whole or not at all: {status}");
    if status == 200 {
        let v: Value = stored.json().await.unwrap();
        assert_eq!(v["counties"].as_array().unwrap().len(), 3, "{v}");
    }
    let again: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/insurance/settlements?year={year}"))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["counties"].as_array().map(Vec::len), Some(3), "{again}");
    server.kill9();

    // 4. The audit log's chains hold after three crashes.
    let out = sanyi().args(["audit", "verify", "--database", &db]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("every chain holds"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

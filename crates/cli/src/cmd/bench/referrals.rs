//! `sanyi bench referrals`: the referral benchmarks of docs/PERFORMANCE.md on a fresh database —
//! a lead hospital's inbox and a year of indicators over many referrals (server time, through the
//! application services), then concurrent transitions over HTTP against the real server, checked
//! for lost updates.

use std::time::Instant;

use anyhow::{Context, bail};

use sanyi_app::{Actor, App};
use sanyi_sim::DemoParams;
use sanyi_store::workflow::{Side, Workflow};

use super::{LiveServer, stats};

/// What to run.
pub struct Params {
    /// Database (an empty SQLite file or PostgreSQL database); `None`: a temporary SQLite file.
    pub database: Option<String>,
    /// Referrals to seed.
    pub count: usize,
    /// Concurrent transitions to fire (half accept, half reject, racing in pairs).
    pub concurrent: usize,
}

async fn actor(db: &sanyi_store::Db, username: &str) -> anyhow::Result<Actor> {
    let u = sanyi_store::users::by_username(db, username).await?.context("demo user missing")?;
    Ok(Actor::from_user(&u, "bench")?)
}

/// Runs the benchmark and prints the figures.
///
/// # Errors
/// When the database is not empty or a check fails (a lost update is an error).
pub async fn run(p: Params) -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    let url = p.database.clone().unwrap_or_else(|| dir.join("bench.db").display().to_string());
    let db = sanyi_store::Db::connect(&url).await?;
    db.migrate().await?;
    let params = DemoParams {
        residents: 5_000,
        ..DemoParams::default()
    };
    let t = Instant::now();
    let app = App::new(db.clone());
    sanyi_app::demo::seed(&app, &params, None, &|_, _| {}).await?;
    let world = sanyi_sim::generate(&params);
    let demo = sanyi_app::demo::Demo::new(&app, &world, &params);
    let now = demo.now;
    let n = sanyi_app::demo::referrals::seed_many(&demo, p.count, 365).await?;
    println!("seeded {n} referrals over a year in {:.1} s ({url})", t.elapsed().as_secs_f64());

    // Inbox: the specialist's lead hospital, first page (server time through the service).
    let specialist = actor(&db, "specialist").await?;
    let mut d = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let page = sanyi_app::referrals::list(
            &app,
            &specialist,
            sanyi_app::referrals::ReferralBox::In,
            None,
            sanyi_app::Page { offset: 0, limit: 50 },
        )
        .await?;
        d.push(t.elapsed());
        if page.items.is_empty() {
            bail!("the inbox is empty");
        }
    }
    println!("inbox first page (50 rows with the total): {}", stats(d));

    // Indicators of the prefecture over the past year.
    let admin = actor(&db, "admin").await?;
    let mut d = Vec::new();
    let mut referrals = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let r = sanyi_app::indicators::compute(
            &app,
            &admin,
            now - chrono::Duration::days(366),
            now + chrono::Duration::minutes(1),
            None,
        )
        .await?;
        d.push(t.elapsed());
        referrals = r.upward + r.downward + r.lateral;
    }
    println!("indicators over a year ({referrals} referrals): {}", stats(d));

    // Concurrent transitions over HTTP: pairs of accept and reject race on pending referrals.
    let server = LiveServer::start(&app).await?;
    let base = server.base.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(1024).build()?;
    let token = server.token(&client, "specialist").await?;
    // The inbox's first page over HTTP at 16 connections (issue #12 target: p99 ≤ 50 ms).
    let inbox_url = format!("{base}/api/v1/referrals?box=in&limit=50");
    let started = Instant::now();
    let mut readers = Vec::new();
    for _ in 0..16 {
        let (client, url, token) = (client.clone(), inbox_url.clone(), token.clone());
        readers.push(tokio::spawn(async move {
            let mut d = Vec::with_capacity(50);
            for _ in 0..50 {
                let t = Instant::now();
                let ok = client
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                d.push((ok, t.elapsed()));
            }
            d
        }));
    }
    let mut d = Vec::new();
    for r in readers {
        for (ok, t) in r.await? {
            if !ok {
                bail!("an inbox request failed");
            }
            d.push(t);
        }
    }
    let wall = started.elapsed();
    println!(
        "inbox first page over HTTP, 16 connections, {} requests in {:.2} s ({:.0}/s): {}",
        d.len(),
        wall.as_secs_f64(),
        d.len() as f64 / wall.as_secs_f64(),
        stats(d)
    );
    let lead = specialist.institution_id.clone().context("specialist without institution")?;
    let division = sanyi_store::registry::institution(&db, &lead).await?.context("lead")?.division_code;
    let pairs = p.concurrent / 2;
    let pending = sanyi_store::workflow::list::<sanyi_store::referrals::ReferralRow>(
        &db,
        &division,
        &lead,
        Side::In,
        Some("pending_receiver"),
        pairs as i64,
    )
    .await?;
    if pending.len() < pairs {
        bail!("only {} pending referrals for {pairs} pairs; seed more with --count", pending.len());
    }
    let accept = serde_json::json!({"accept": {"placement": {"slot": {"department": "神经内科", "at": "2099-01-02T01:00:00Z"}}, "valid_until": "2099-01-09T00:00:00Z"}});
    let reject = serde_json::json!({"reject": {"reason": "本院床位已满", "alternative": null}});
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(pairs * 2);
    for r in &pending {
        for body in [&accept, &reject] {
            let (client, url, token, body) = (
                client.clone(),
                format!("{base}/api/v1/referrals/{}/commands", r.id),
                token.clone(),
                body.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let t = Instant::now();
                let s = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                (s, t.elapsed())
            }));
        }
    }
    let mut results = Vec::with_capacity(tasks.len());
    for t in tasks {
        results.push(t.await?);
    }
    let wall = started.elapsed();
    let mut latencies = Vec::new();
    let mut lost = 0;
    for (i, r) in pending.iter().enumerate() {
        let (a, b) = (&results[2 * i], &results[2 * i + 1]);
        latencies.extend([a.1, b.1]);
        let codes = (a.0.as_ref().copied().unwrap_or(0), b.0.as_ref().copied().unwrap_or(0));
        let after = sanyi_store::referrals::get(&db, &r.id).await?.context("referral vanished")?;
        let events = sanyi_store::workflow::events(&db, Workflow::Referral, &r.division_code, &r.id).await?;
        let expected_state = match codes {
            (200, 409) => "accepted",
            (409, 200) => "rejected",
            _ => {
                lost += 1;
                eprintln!(
                    "referral {}: accept → {}, reject → {} (expected one 200 and one 409)",
                    r.id, codes.0, codes.1
                );
                continue;
            }
        };
        let before_events = usize::try_from(r.version).unwrap_or(0).saturating_sub(1);
        if after.state != expected_state || after.version != r.version + 1 || events.len() != before_events + 1 {
            lost += 1;
            eprintln!(
                "referral {}: state {} version {} → {} events {} (lost update)",
                r.id,
                after.state,
                r.version,
                after.version,
                events.len()
            );
        }
    }
    println!(
        "{} concurrent transitions on {} referrals over HTTP in {:.2} s ({:.0}/s): {}",
        results.len(),
        pending.len(),
        wall.as_secs_f64(),
        results.len() as f64 / wall.as_secs_f64(),
        stats(latencies)
    );
    server.stop().await?;
    if lost > 0 {
        bail!("{lost} referrals lost an update or had no single winner");
    }
    println!("every pair had exactly one winner; versions and timelines agree (no lost update)");
    if p.database.is_none() {
        app.audit.flush().await;
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// A scratch directory for the temporary database, removed after a successful run.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("sanyi-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

//! `sanyi bench claims`: one-stop settlement of single claims over HTTP against the real server on
//! a fresh demo database, `--concurrency` clients in parallel; prints throughput and latency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;

use sanyi_app::App;
use sanyi_sim::DemoParams;

use super::stats;

/// Runs the benchmark.
///
/// # Errors
/// On set-up failures or when a claim is refused.
pub async fn run(count: usize, concurrency: usize, residents: usize) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("sanyi-bench-claims-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = dir.join("bench.db").display().to_string();
    let db = sanyi_store::Db::connect(&url).await?;
    db.migrate().await?;
    let params = DemoParams {
        residents,
        ..DemoParams::default()
    };
    let t = Instant::now();
    let app = App::new(db.clone());
    sanyi_app::demo::seed(&app, &params, None, &|_, _| {}).await?;
    println!(
        "demo with {residents} residents and its insurance year seeded in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let server = super::LiveServer::start(&app).await?;
    let base = server.base.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let token = server.token(&client, "township_doctor").await?;
    let page: serde_json::Value = client
        .get(format!("{base}/api/v1/residents?limit=200"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let residents: Vec<String> = page["items"]
        .as_array()
        .context("no residents")?
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    let today = Utc::now().date_naive().to_string();
    // Warm-up (not timed): one claim per resident keeps those enrolled this year.
    let mut enrolled = Vec::new();
    for r in &residents {
        let body = serde_json::json!({"claim_key": format!("WARM-{r}"), "resident_id": r, "med_type": "11", "date": today,
            "charges": [{"code": "110200001", "quantity": 1}]});
        if client
            .post(format!("{base}/api/v1/claims"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await?
            .status()
            .as_u16()
            == 201
        {
            enrolled.push(r.clone());
        }
    }
    let residents = enrolled;
    anyhow::ensure!(!residents.is_empty(), "the township doctor sees no enrolled residents");
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, base, token, residents, today, next) = (
            client.clone(),
            base.clone(),
            token.clone(),
            residents.clone(),
            today.clone(),
            next.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut lat: Vec<Duration> = Vec::new();
            let mut refused = 0usize;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let body = serde_json::json!({
                    "claim_key": format!("BENCH-{i}"), "resident_id": residents[i % residents.len()], "med_type": "11", "date": today,
                    "charges": [{"code": "110200001", "quantity": 1}, {"code": "XC08CAA001", "quantity": 30}, {"code": "250101001", "quantity": 1}]
                });
                let t = Instant::now();
                let ok = client.post(format!("{base}/api/v1/claims")).bearer_auth(&token).json(&body).send().await.map(|r| r.status().as_u16() == 201);
                lat.push(t.elapsed());
                if !matches!(ok, Ok(true)) {
                    refused += 1;
                }
            }
            (lat, refused)
        }));
    }
    let mut all = Vec::with_capacity(count);
    let mut refused = 0;
    for w in workers {
        let (l, r) = w.await?;
        all.extend(l);
        refused += r;
    }
    let wall = started.elapsed().as_secs_f64();
    println!(
        "{count} claims settled over HTTP with {concurrency} clients in {wall:.2} s ({:.0}/s): {}",
        count as f64 / wall,
        stats(all)
    );
    server.stop().await?;
    app.audit.flush().await;
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    anyhow::ensure!(refused == 0, "{refused} claims were refused");
    Ok(())
}

//! `sanyi bench imaging`: the remote-reading benchmarks of docs/PERFORMANCE.md on a fresh
//! database — DR instances ingested over HTTP by the real server (parse, hash, file store, index,
//! match), checked afterwards for lost or duplicated instances; then a shared centre's worklist
//! with many open studies (server time, through the application service).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use sanyi_app::{Actor, App};
use sanyi_imaging::dicom::{Sex, SyntheticDr, synthetic_dr};
use sanyi_sim::DemoParams;

use super::{LiveServer, stats};

/// What to run.
pub struct Params {
    /// Database (an empty SQLite file or PostgreSQL database); `None`: a temporary SQLite file.
    pub database: Option<String>,
    /// DR instances to ingest.
    pub images: usize,
    /// Clients sending in parallel.
    pub concurrency: usize,
    /// Open studies in the worklist.
    pub open: usize,
}

async fn actor(db: &sanyi_store::Db, username: &str) -> anyhow::Result<Actor> {
    let u = sanyi_store::users::by_username(db, username).await?.context("demo user missing")?;
    Ok(Actor::from_user(&u, "bench")?)
}

/// Runs the benchmark and prints the figures.
///
/// # Errors
/// When the database is not empty or a check fails (a lost or duplicated instance is an error).
pub async fn run(p: Params) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("sanyi-bench-imaging-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = p.database.clone().unwrap_or_else(|| dir.join("bench.db").display().to_string());
    let db = sanyi_store::Db::connect(&url).await?;
    db.migrate().await?;
    let params = DemoParams {
        residents: 5_000,
        ..DemoParams::default()
    };
    let app = App::new(db.clone()).with_files(dir.join("files"));
    sanyi_app::demo::seed_registry(&app, &params, None, &|_, _| {}).await?;
    let site = actor(&db, "township_doctor").await?;
    let people = sanyi_store::residents::search(
        &db,
        &site.scope,
        &sanyi_store::residents::ResidentQuery::default(),
        sanyi_store::Page { offset: 0, limit: 500 },
    )
    .await?
    .items;
    if people.is_empty() {
        bail!("the demo township has no residents");
    }

    // Inputs: distinct 512×512 16-bit DR files (≈ 0.5 MB each) of the township's residents.
    let t = Instant::now();
    let files: Vec<Vec<u8>> = (0..p.images)
        .map(|k| {
            let person = &people[k % people.len()];
            synthetic_dr(&SyntheticDr {
                seed: 1_000_000 + k as u64,
                patient_id: person.id_number.clone(),
                patient_name: person.name.clone(),
                sex: if person.sex == "female" { Sex::Female } else { Sex::Male },
                birth_date: person.birth_date,
                accession_number: format!("BENCH{k:07}"),
                ..SyntheticDr::default()
            })
        })
        .collect();
    let bytes: usize = files.iter().map(Vec::len).sum();
    println!(
        "generated {} DR files ({:.0} MB) in {:.1} s ({url})",
        files.len(),
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let server = LiveServer::start(&app).await?;
    let base = server.base.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let token = server.token(&client, "township_doctor").await?;

    // Ingest over HTTP with `concurrency` clients, each taking the next file.
    let files = std::sync::Arc::new(files);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..p.concurrency.max(1) {
        let (client, files, next, token, url) = (
            client.clone(),
            files.clone(),
            next.clone(),
            token.clone(),
            format!("{base}/api/v1/imaging/instances"),
        );
        clients.push(tokio::spawn(async move {
            let mut out: Vec<(u16, Duration)> = Vec::new();
            loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(f) = files.get(k) else { break };
                let t = Instant::now();
                let s = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/dicom")
                    .body(f.clone())
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                out.push((s, t.elapsed()));
            }
            out
        }));
    }
    let mut latencies = Vec::new();
    let mut failed = 0;
    for c in clients {
        for (s, d) in c.await? {
            if s != 201 {
                failed += 1;
            }
            latencies.push(d);
        }
    }
    let wall = started.elapsed();
    println!(
        "ingest over HTTP, {} clients: {} instances in {:.2} s = {:.0} instances/s ({:.0} MB/s); per request {}",
        p.concurrency,
        files.len(),
        wall.as_secs_f64(),
        files.len() as f64 / wall.as_secs_f64(),
        bytes as f64 / 1e6 / wall.as_secs_f64(),
        stats(latencies)
    );
    if failed > 0 {
        bail!("{failed} uploads were not stored");
    }
    // The same files again: answered as duplicates, nothing added.
    for f in files.iter().take(20) {
        let s = client
            .post(format!("{base}/api/v1/imaging/instances"))
            .bearer_auth(&token)
            .header("content-type", "application/dicom")
            .body(f.clone())
            .send()
            .await?
            .status();
        if s.as_u16() != 200 {
            bail!("a re-sent instance answered {s}, not 200 (duplicate)");
        }
    }
    let stored = sanyi_store::readings::find_studies(&db, "", &Default::default(), 1_000_000, 0).await?;
    let instances: i64 = stored.iter().map(|s| s.instance_count).sum();
    if instances != files.len() as i64 {
        bail!("{instances} instances indexed for {} sent", files.len());
    }
    println!("checked: {instances} instances indexed once each; 20 re-sent files answered as duplicates");
    server.stop().await?;

    // The centre's worklist with many open studies.
    let t = Instant::now();
    let n = sanyi_app::demo::readings::seed_open(&app, &site, p.open).await?;
    println!("seeded {n} open readings in {:.1} s", t.elapsed().as_secs_f64());
    let reader = actor(&db, "reader").await?;
    let q = sanyi_app::readings::ReadingListQuery {
        r#box: Some("in".into()),
        open: Some(true),
        limit: Some(100),
        ..Default::default()
    };
    let mut d = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let page = sanyi_app::readings::list(&app, &reader, &q).await?;
        d.push(t.elapsed());
        if page.items.len() < 100.min(n) {
            bail!("the worklist shows {} rows", page.items.len());
        }
    }
    println!("worklist first page (100 of {n} open, with counts by state): {}", stats(d));
    app.audit.flush().await;
    db.close().await;
    if p.database.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        let _ = std::fs::remove_dir_all(dir.join("files"));
    }
    Ok(())
}

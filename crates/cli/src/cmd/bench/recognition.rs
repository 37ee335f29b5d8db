//! `sanyi bench recognition`: the order-time recognition check of docs/PERFORMANCE.md on a fresh
//! database — a demo prefecture plus `--results` results over the past year, then the check (the
//! application service a `POST /api/v1/recognition/check` runs) for many random residents and items.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use sanyi_app::recognition::{self, CheckInput};
use sanyi_app::{Actor, App};
use sanyi_sim::DemoParams;
use sanyi_store::recognition::ResultRow;

use super::stats;

/// What to run.
pub struct Params {
    /// Database (an empty SQLite file or PostgreSQL database); `None`: a temporary SQLite file.
    pub database: Option<String>,
    /// Results to seed.
    pub results: usize,
    /// Residents of the demo prefecture.
    pub residents: usize,
    /// Checks to time.
    pub checks: usize,
}

/// Runs the benchmark and prints the figures.
///
/// # Errors
/// When the database is not empty or a check fails.
pub async fn run(p: Params) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("sanyi-bench-recognition-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = p.database.clone().unwrap_or_else(|| dir.join("bench.db").display().to_string());
    let db = sanyi_store::Db::connect(&url).await?;
    db.migrate().await?;
    let params = DemoParams {
        residents: p.residents,
        ..DemoParams::default()
    };
    let t = Instant::now();
    let app = App::new(db.clone());
    sanyi_app::demo::seed_registry(&app, &params, None, &|_, _| {}).await?;
    let world = sanyi_sim::generate(&params);
    println!(
        "demo prefecture with {} residents seeded in {:.1} s ({url})",
        world.residents.len(),
        t.elapsed().as_secs_f64()
    );

    // Results over the past year: random residents, items of the list, producers of the resident's county.
    let pool = world.pool.as_ref().context("demo without pool")?.division_code.clone();
    let items = sanyi_app::demo::recognition::demo_items(&pool);
    let mut producers: std::collections::HashMap<&str, Vec<&sanyi_store::registry::Institution>> = Default::default();
    for i in world.institutions.iter().filter(|i| i.tier != "village") {
        producers.entry(i.division_code.as_str()).or_default().push(i);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let today = Utc::now().date_naive();
    let t = Instant::now();
    let mut written = 0usize;
    let bulk = db.single_connection().await?;
    while written < p.results {
        let n = (p.results - written).min(50_000);
        let mut rows = Vec::with_capacity(n);
        for _ in 0..n {
            let r = &world.residents[rng.random_range(0..world.residents.len())];
            let Some(local) = producers.get(r.division_code.as_str()) else {
                continue;
            };
            let producer = local[rng.random_range(0..local.len())];
            let item = &items[rng.random_range(0..items.len())];
            let on = today - chrono::Duration::days(rng.random_range(0..365));
            let id = sanyi_store::new_id();
            rows.push(ResultRow {
                division_code: r.division_code.clone(),
                report_no: id.clone(),
                id,
                resident_id: r.id.clone(),
                item_code: item.code.clone(),
                value: "4.2".into(),
                unit: None,
                reference_range: None,
                abnormal: None,
                producer_division_code: producer.division_code.clone(),
                producer_institution_id: producer.id.clone(),
                reported_at: Utc.from_utc_datetime(&on.and_hms_opt(2, 0, 0).unwrap_or_default()),
                reported_on: on,
                source: "csv".into(),
                created_at: Utc::now(),
            });
        }
        written += sanyi_store::recognition::insert_results(&bulk, &rows, &[]).await? as usize;
    }
    // On PostgreSQL `bulk` is the pool itself: let it go without closing it.
    drop(bulk);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{written} results seeded in {secs:.1} s ({:.0} rows/s)",
        written as f64 / secs.max(1e-9)
    );
    if let sanyi_store::Db::Postgres(_) = db {
        db.execute_unprepared("ANALYZE results").await?;
    }

    // The check, as the county specialist ordering for residents of the county.
    let user = sanyi_store::users::by_username(&db, "specialist")
        .await?
        .context("demo user missing")?;
    let specialist = Actor::from_user(&user, "bench")?;
    let county: Vec<_> = world
        .residents
        .iter()
        .filter(|r| specialist.scope.contains(&r.village_code))
        .collect();
    if county.is_empty() {
        bail!("no residents in the specialist's county");
    }
    let mut durations: Vec<Duration> = Vec::with_capacity(p.checks);
    let mut with_candidates = 0;
    for k in 0..p.checks + 50 {
        let r = county[rng.random_range(0..county.len())];
        let item = &items[rng.random_range(0..items.len())];
        let input = CheckInput {
            resident_id: r.id.clone(),
            item_code: item.code.clone(),
            on: None,
        };
        let t = Instant::now();
        let c = recognition::check(&app, &specialist, &input).await?;
        // The first 50 warm the caches and are not counted.
        if k >= 50 {
            durations.push(t.elapsed());
            with_candidates += usize::from(!c.candidates.is_empty());
        }
    }
    println!(
        "order-time check over {written} results, {} random residents × items ({with_candidates} with candidates): {}",
        p.checks,
        stats(durations)
    );
    app.audit.flush().await;
    if p.database.is_none() {
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

//! `sanyi demo`: create or refresh a demo database (the demo prefecture and its remote readings).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;

use sanyi_app::{App, demo};
use sanyi_sim::DemoParams;

use super::common::{DbArgs, bar, explain, init_logs, open, redact, runtime};

/// `sanyi demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Number of residents.
    #[arg(long, default_value_t = 20_000)]
    residents: usize,
    /// Random seed (same seed, same prefecture).
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// CHS-DRG scheme directory for the demo pool (default: a small illustrative scheme).
    #[arg(long)]
    drg_scheme: Option<PathBuf>,
    /// Share of residents aged 65 or over, in percent.
    #[arg(long, default_value_t = 13.0)]
    share_65: f64,
}

/// `sanyi demo`.
pub fn run(a: DemoArgs) -> anyhow::Result<()> {
    init_logs();
    if !(0.0..=100.0).contains(&a.share_65) {
        bail!("--share-65 must be a percentage between 0 and 100, got {}", a.share_65);
    }
    let url = a.db.database.clone();
    let is_pg = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !is_pg {
        // Refresh: a demo SQLite file is recreated from scratch.
        for suffix in ["", "-wal", "-shm"] {
            let p = format!("{url}{suffix}");
            if std::path::Path::new(&p).exists() {
                std::fs::remove_file(&p).with_context(|| format!("cannot remove {p}"))?;
            }
        }
    }
    runtime()?.block_on(async move {
        let db = open(&url).await?;
        let params = DemoParams {
            residents: a.residents,
            seed: a.seed,
            share_65_bp: (a.share_65 * 100.0).round() as u32,
            ..DemoParams::default()
        };
        let pb = bar(a.residents as u64, "residents");
        let started = Instant::now();
        let drg = a
            .drg_scheme
            .as_deref()
            .map(sanyi_app::drg::read_scheme_dir)
            .transpose()
            .map_err(explain)?;
        let app = App::new(db.clone()).with_files(a.db.files_dir());
        let summary = demo::seed(&app, &params, drg, &|_, n| pb.set_position(n as u64))
            .await
            .map_err(explain)?;
        pb.finish_and_clear();
        let readings = demo::seed_readings(&app).await.map_err(explain)?;
        // The demo year settled as an officer would, so that the insurance pages show it.
        demo::settle_insurance_year(&app, &params).await.map_err(explain)?;
        app.audit.flush().await;
        db.close().await;
        println!(
            "demo prefecture written to {} in {:.1} s: {} counties, {} institutions, {} residents",
            redact(&url),
            started.elapsed().as_secs_f64(),
            summary.counties,
            summary.institutions,
            summary.residents
        );
        println!(
            "remote readings: {} ({} DICOM images, {} ECGs) in {}",
            readings.readings,
            readings.images,
            readings.ecgs,
            a.db.files_dir().display()
        );
        println!("logins (password: {}):", demo::DEMO_PASSWORD);
        for (user, role, name, _) in summary.logins {
            println!("  {user:<16} {role:<20} {name}");
        }
        Ok(())
    })
}

//! `sanyi tick`: fire the due workflow timers once, as the server does every minute.

use clap::Args;

use sanyi_app::App;

use super::common::{DbArgs, explain, init_logs, open, runtime};

/// `sanyi tick`.
#[derive(Debug, Args)]
pub struct TickArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The instant to evaluate timers at (RFC 3339; default now) — lets tests and drills move time.
    #[arg(long)]
    now: Option<chrono::DateTime<chrono::Utc>>,
}

/// `sanyi tick`.
pub fn run(a: TickArgs) -> anyhow::Result<()> {
    init_logs();
    runtime()?.block_on(async move {
        let db = open(&a.db.database).await?;
        let app = App::new(db.clone());
        let now = a.now.unwrap_or_else(chrono::Utc::now);
        let n = sanyi_app::referrals::tick(&app, now).await.map_err(explain)?;
        let m = sanyi_app::consultations::tick(&app, now).await.map_err(explain)?;
        db.close().await;
        println!("{n} referral(s) and {m} consultation(s) changed at {now}");
        Ok(())
    })
}

//! `sanyi migrate`: apply the database migrations.

use super::common::{DbArgs, init_logs, open, redact, runtime};

/// `sanyi migrate`.
pub fn run(a: DbArgs) -> anyhow::Result<()> {
    init_logs();
    runtime()?.block_on(async move {
        let db = open(&a.database).await?;
        db.close().await;
        println!("migrations applied to {}", redact(&a.database));
        Ok(())
    })
}

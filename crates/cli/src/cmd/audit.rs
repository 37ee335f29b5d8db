//! `sanyi audit …`: the operator's checks of the audit log (审计日志).

use clap::Subcommand;

use sanyi_app::App;

use super::common::{DbArgs, explain, init_logs, open, runtime};

/// `sanyi audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every county's hash chain of the audit log and report any row that was rewritten,
    /// removed or moved (exit status 1 when a chain is broken); prints each chain's head, to be
    /// kept outside the database (校验审计日志).
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs an audit command.
pub fn run(c: AuditCommand) -> anyhow::Result<()> {
    init_logs();
    runtime()?.block_on(async move {
        match c {
            AuditCommand::Verify { db, json } => {
                let app = App::new(open(&db.database).await?);
                let report = sanyi_app::audit::verify_chain(&app).await.map_err(explain)?;
                app.close().await;
                if json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    let rows: i64 = report.counties.iter().map(|c| c.rows).sum();
                    println!(
                        "audit log: {rows} chained rows in {} counties, {} rows from before the chain",
                        report.counties.len(),
                        report.unchained
                    );
                    for c in &report.counties {
                        println!("  {}: {} rows, head {} {}", c.division_code, c.rows, c.head_seq, c.head_hash);
                    }
                    for b in &report.breaks {
                        println!(
                            "BROKEN {} at place {}{}: {}",
                            b.division_code,
                            b.seq,
                            b.id.as_deref().map(|i| format!(" (row {i})")).unwrap_or_default(),
                            b.reason
                        );
                    }
                    if report.breaks.is_empty() {
                        println!("every chain holds");
                    }
                }
                if !report.breaks.is_empty() {
                    std::process::exit(1);
                }
                Ok(())
            }
        }
    })
}

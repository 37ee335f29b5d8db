//! `sanyi import …`: bulk imports of residents and of results from CSV files.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;

use sanyi_app::{Actor, App, import};

use super::common::{DbArgs, bar, explain, init_logs, open, runtime};

/// `sanyi import ...`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import residents from a CSV file (header: id_number,name,village_code[,phone,address,household_no,household_role]).
    Residents {
        /// The CSV file (`-` for standard input).
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import results into the cross-institution index (header: id_number or resident_id,item_code,value,reported_at[,unit,reference_range,abnormal,report_no,institution_id]).
    Results {
        /// The CSV file (`-` for standard input).
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `sanyi import residents`.
pub fn run(c: ImportCommand) -> anyhow::Result<()> {
    init_logs();
    let (results, file, db, json) = match c {
        ImportCommand::Residents { file, db, json } => (false, file, db, json),
        ImportCommand::Results { file, db, json } => (true, file, db, json),
    };
    runtime()?.block_on(async move {
        let database = open(&db.database).await?;
        let app = App::new(database.clone());
        let actor = Actor::system("");
        let started = Instant::now();
        let input: Box<dyn std::io::Read> = if file.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            let len = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {}", file.display()))?
                .len();
            let _ = len;
            Box::new(std::io::BufReader::with_capacity(
                1 << 20,
                std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?,
            ))
        };
        let pb = bar(0, "rows");
        pb.set_length(u64::MAX);
        let progress = |n| pb.set_position(n);
        let report = if results {
            sanyi_app::recognition::results::results_csv(&app, &actor, input, &progress).await
        } else {
            import::residents_csv(&app, &actor, input, &progress).await
        }
        .map_err(explain)?;
        pb.finish_and_clear();
        app.audit.flush().await;
        database.close().await;
        let secs = started.elapsed().as_secs_f64();
        if json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            println!(
                "{} rows in {:.1} s ({:.0} rows/s): {} inserted, {} already present, {} rejected",
                report.rows,
                secs,
                report.rows as f64 / secs.max(1e-9),
                report.inserted,
                report.already_present,
                report.rejected_count
            );
            for r in &report.rejected {
                for e in &r.errors {
                    println!(
                        "  line {}: {}: {} (rule {}, expected {})",
                        r.line, e.field, e.message, e.rule, e.expected
                    );
                }
            }
            if report.rejected_count as usize > report.rejected.len() {
                println!("  … {} more rejected rows", report.rejected_count as usize - report.rejected.len());
            }
        }
        Ok(())
    })
}

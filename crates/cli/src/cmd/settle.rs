//! `sanyi settle`: settle a pool's year or month — a progress bar and a report (text or JSON, all
//! money in fen in JSON), optionally an Excel workbook.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};

use sanyi_app::App;
use sanyi_app::insurance::{export, run};

use super::common::{DbArgs, bar, explain, init_logs, open, runtime};
use super::insurance::pool_of;

/// Output format.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// A table for people.
    Text,
    /// The full report, money in fen.
    Json,
}

/// `sanyi settle`.
#[derive(Debug, Args)]
pub struct SettleArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Year to settle.
    #[arg(long)]
    year: i32,
    /// Settle through this month only (interim); default: the whole year with the year-end.
    #[arg(long)]
    month: Option<u32>,
    /// Pool (default: the only pool of the database).
    #[arg(long)]
    pool: Option<String>,
    /// Output.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Also write the report as an Excel workbook.
    #[arg(long)]
    xlsx: Option<PathBuf>,
}

fn yuan(fen: i64) -> String {
    sanyi_domain::Fen::new(fen).to_yuan_string()
}

fn print_text(r: &run::RunReport, secs: f64) {
    println!(
        "pool {} · {} {} · settled in {secs:.1} s",
        r.pool,
        r.year,
        if r.year_end {
            "year-end".to_owned()
        } else {
            format!("through month {}", r.through_month)
        }
    );
    println!(
        "fund F {} − reserve {} − rigid {} = distributable A {} yuan",
        yuan(r.fund),
        yuan(r.reserve),
        yuan(r.rigid),
        yuan(r.distributable)
    );
    println!(
        "{:<10} {:>9} {:>7} {:>16} {:>14} {:>16} {:>16} {:>16} {:>12} {:>18}",
        "county", "enrollees", "w(bp)", "budget", "prepaid", "spent inside", "spent outside", "balance", "DRG points", "point value(fen)"
    );
    for c in &r.counties {
        println!(
            "{:<10} {:>9} {:>7} {:>16} {:>14} {:>16} {:>16} {:>16} {:>12} {:>18}",
            c.code,
            c.enrollees,
            c.weight_bp,
            yuan(c.budget),
            yuan(c.prepaid),
            yuan(c.spent_inside),
            yuan(c.spent_outside),
            yuan(c.budget - c.spent),
            c.drg.total_points / 10_000,
            format!("{:.4}", c.drg.point_value_e4_fen as f64 / 10_000.0)
        );
        if let Some(y) = &c.year_end {
            if y.surplus.get() > 0 {
                println!(
                    "  surplus {} → retained {} · returned to the fund {}",
                    y.surplus, y.retained, y.fund_keeps
                );
            } else if y.overspend.get() > 0 {
                println!(
                    "  overspend {} → fund shares {} · community bears {}",
                    y.overspend, y.fund_pays, y.community_bears
                );
            }
        }
        if let Some(k) = &c.capitation {
            println!(
                "  capitation {} yuan paid monthly to {} members for {} persons · withheld {} · released {}",
                yuan(k.paid_now.get()),
                c.capitation_members.len(),
                c.capitation_members.iter().map(|m| m.persons).sum::<u64>(),
                yuan(k.withheld.get()),
                yuan(k.released.get())
            );
        }
        if c.drg.bed_day_cases > 0 {
            println!(
                "  bed-day payment {} yuan for {} cases, {} days (across stays, annual caps applied)",
                yuan(c.drg.bed_day_payment),
                c.drg.bed_day_cases,
                c.drg.bed_days
            );
        }
        for m in &c.communities {
            println!(
                "  community {} · {} enrollees · budget {} · prepaid {} · inside {} · outside {} · DRG points {}",
                m.name,
                m.enrollees,
                yuan(m.budget),
                yuan(m.prepaid),
                yuan(m.spent_inside),
                yuan(m.spent_outside),
                m.drg_points / 10_000
            );
            if let Some(p) = m.payable {
                println!("    year-end amount {} yuan (prepayments + year-end settlement)", yuan(p));
            }
        }
        if !c.members.is_empty() {
            let (kind, total) = if c.members.iter().any(|m| m.retained > 0) {
                ("retained surplus", c.members.iter().map(|m| m.retained).sum::<i64>())
            } else {
                ("overspend borne", c.members.iter().map(|m| m.borne).sum::<i64>())
            };
            println!("  {kind} {} split over {} member institutions", yuan(total), c.members.len());
        }
    }
    println!("digest {}", r.digest);
    if let Some(m) = &r.run {
        println!(
            "stored as run {} of {}{}: awaiting a second insurance officer's approval (/insurance/runs)",
            m.number,
            m.year,
            if m.month == 0 {
                " year-end".to_owned()
            } else {
                format!(" month {}", m.month)
            }
        );
    }
}

/// `sanyi settle`.
pub fn run(a: SettleArgs) -> anyhow::Result<()> {
    init_logs();
    runtime()?.block_on(async move {
        let db = open(&a.db.database).await?;
        let app = App::new(db.clone());
        let pool = pool_of(&app, a.pool).await?;
        let started = Instant::now();
        // A bar by step and county; hidden when stderr is not a terminal.
        let pb = bar(6, "settling");
        let report = run::run(&app, &pool, a.year, a.month, None, &|done, total, step| {
            pb.set_length(total);
            pb.set_position(done);
            pb.set_message(step.to_owned());
        })
        .await
        .map_err(explain)?;
        pb.finish_and_clear();
        let secs = started.elapsed().as_secs_f64();
        if let Some(path) = &a.xlsx {
            std::fs::write(path, export::xlsx(&app, &report).await.map_err(explain)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        match a.format {
            Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            Format::Text => print_text(&report, secs),
        }
        app.audit.flush().await;
        db.close().await;
        Ok(())
    })
}

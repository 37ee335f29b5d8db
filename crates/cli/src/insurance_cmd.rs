//! `sanyi settle` and `sanyi insurance …`: the bureau's commands — settlement runs with a progress
//! bar and a report (text or JSON, all money in fen in JSON), Excel export, policy and fund-year
//! import, one-stop settlement and reversal of a claim.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use sanyi_app::insurance::{claims, export, fund_year, policies, run};
use sanyi_app::{Actor, App};

use crate::platform::{DbArgs, bar, explain, open, runtime};

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

/// `sanyi insurance …`.
#[derive(Debug, Subcommand)]
pub enum InsuranceCommand {
    /// Register a benefit policy version from a TOML or JSON file (by extension).
    PolicyImport {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
        /// Pool (default: the only pool).
        #[arg(long)]
        pool: Option<String>,
    },
    /// Print the demo policy of a year as TOML (a starting point for a real one).
    PolicyExample {
        /// Pool.
        #[arg(long, default_value = "652300")]
        pool: String,
        /// Year.
        #[arg(long, default_value_t = 2026)]
        year: i32,
    },
    /// Store the fund year (budget and payment parameters) from a TOML or JSON file.
    FundYearImport {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
        /// Pool (default: the only pool).
        #[arg(long)]
        pool: Option<String>,
    },
    /// Settle one claim from a JSON file (the API's claim shape), as the pool's officer.
    Claim {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
        /// Pool (default: the only pool).
        #[arg(long)]
        pool: Option<String>,
    },
    /// Reverse a settled claim by id.
    Reverse {
        /// Claim id.
        id: String,
        #[command(flatten)]
        db: DbArgs,
        /// Pool (default: the only pool).
        #[arg(long)]
        pool: Option<String>,
    },
}

async fn pool_of(app: &App, pool: Option<String>) -> anyhow::Result<String> {
    if let Some(p) = pool {
        return Ok(p);
    }
    let pools = sanyi_app::registry::pools(app).await?;
    match pools.as_slice() {
        [one] => Ok(one.clone()),
        [] => anyhow::bail!("the database has no insurance pool (seed the demo or create the registry first)"),
        _ => anyhow::bail!("the database has several pools: name one with --pool"),
    }
}

fn officer(pool: &str) -> Actor {
    Actor::system(&pool[..pool.len().min(4)])
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
}

/// `sanyi settle`.
pub fn settle(a: SettleArgs) -> anyhow::Result<()> {
    crate::platform::init_logs();
    runtime()?.block_on(async move {
        let db = open(&a.db.database).await?;
        let app = App::new(db.clone());
        let pool = pool_of(&app, a.pool).await?;
        let started = Instant::now();
        // A bar by step and county; hidden when stderr is not a terminal.
        let pb = bar(6, "settling");
        let report = run::run(&app, &pool, a.year, a.month, &|done, total, step| {
            pb.set_length(total);
            pb.set_position(done);
            pb.set_message(step.to_owned());
        })
        .await
        .map_err(explain)?;
        pb.finish_and_clear();
        let secs = started.elapsed().as_secs_f64();
        if let Some(path) = &a.xlsx {
            std::fs::write(path, export::xlsx(&report).map_err(explain)?).with_context(|| format!("cannot write {}", path.display()))?;
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

fn read(file: &PathBuf) -> anyhow::Result<(String, bool)> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    Ok((text, file.extension().is_some_and(|e| e == "toml")))
}

/// `sanyi insurance …`.
pub fn insurance(c: InsuranceCommand) -> anyhow::Result<()> {
    crate::platform::init_logs();
    if let InsuranceCommand::PolicyExample { pool, year } = &c {
        let p = sanyi_app::insurance::demo::demo_policy(pool, *year);
        println!("{}", toml::to_string_pretty(&p)?);
        return Ok(());
    }
    runtime()?.block_on(async move {
        let (db_args, pool) = match &c {
            InsuranceCommand::PolicyImport { db, pool, .. }
            | InsuranceCommand::FundYearImport { db, pool, .. }
            | InsuranceCommand::Claim { db, pool, .. }
            | InsuranceCommand::Reverse { db, pool, .. } => (db, pool.clone()),
            InsuranceCommand::PolicyExample { .. } => unreachable!("handled above"),
        };
        let db = open(&db_args.database).await?;
        let app = App::new(db.clone());
        let pool = pool_of(&app, pool).await?;
        let actor = officer(&pool);
        let out = match &c {
            InsuranceCommand::PolicyImport { file, .. } => {
                let (text, toml) = read(file)?;
                let v = policies::import(&app, &actor, &text, toml).await.map_err(explain)?;
                format!(
                    "policy {} of {} registered, in force from {} (id {})",
                    v.version, v.pool, v.effective_from, v.id
                )
            }
            InsuranceCommand::FundYearImport { file, .. } => {
                let (text, toml) = read(file)?;
                let v = fund_year::import(&app, &actor, &text, toml, None).await.map_err(explain)?;
                format!("fund year {} of {} stored: fund {} fen", v.year, v.pool, v.fund)
            }
            InsuranceCommand::Claim { file, .. } => {
                let (text, _) = read(file)?;
                let input: claims::ClaimInput =
                    serde_json::from_str(&text).context("the claim file is not a claim (see the API's ClaimInput)")?;
                let v = claims::settle(&app, &actor, &input).await.map_err(explain)?;
                serde_json::to_string_pretty(&v)?
            }
            InsuranceCommand::Reverse { id, .. } => {
                let v = claims::reverse(&app, &actor, id).await.map_err(explain)?;
                format!("claim {} ({}) reversed", v.id, v.claim_key)
            }
            InsuranceCommand::PolicyExample { .. } => String::new(),
        };
        app.audit.flush().await;
        db.close().await;
        println!("{out}");
        Ok(())
    })
}

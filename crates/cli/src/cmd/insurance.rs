//! `sanyi insurance …`: the bureau's commands besides settlement runs — policy and fund-year
//! import, the example policy, one-stop settlement and reversal of a claim.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use sanyi_app::insurance::{claims, fund_year, policies};
use sanyi_app::{Actor, App};

use super::common::{DbArgs, explain, init_logs, open, runtime};

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

/// The pool named, else the database's only pool.
pub(crate) async fn pool_of(app: &App, pool: Option<String>) -> anyhow::Result<String> {
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

fn read(file: &PathBuf) -> anyhow::Result<(String, bool)> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    Ok((text, file.extension().is_some_and(|e| e == "toml")))
}

/// `sanyi insurance …`.
pub fn run(c: InsuranceCommand) -> anyhow::Result<()> {
    init_logs();
    if let InsuranceCommand::PolicyExample { pool, year } = &c {
        let p = sanyi_app::demo::insurance::demo_policy(pool, *year);
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

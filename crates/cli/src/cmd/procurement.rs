//! `sanyi procurement …`: the medicines side from the command line — a catalogue version
//! imported from CSV or Excel, a procurement project loaded from JSON, and the completion, usage
//! and savings report as text, JSON or Excel.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;

use sanyi_app::medicines::{catalogue, export, projects, report};
use sanyi_app::{Actor, App};

use super::common::{DbArgs, explain, init_logs, open, runtime};
use super::insurance::pool_of;

/// `sanyi procurement …`.
#[derive(Debug, Subcommand)]
pub enum ProcurementCommand {
    /// Import a whole catalogue version of the pool (drugs, consumables, service items) from a
    /// CSV or Excel file; a file with any bad row is refused with every bad row named.
    CatalogueImport {
        /// The file (`.csv` or `.xlsx`).
        file: PathBuf,
        /// Version label.
        #[arg(long)]
        version: String,
        /// First day in force (YYYY-MM-DD).
        #[arg(long)]
        from: NaiveDate,
        #[command(flatten)]
        db: DbArgs,
        /// Pool (default: the only pool).
        #[arg(long)]
        pool: Option<String>,
    },
    /// Load a procurement project of a county's community from a JSON file (the API's
    /// ProjectInput; `community_id` may be left out when the county has one community).
    ProjectImport {
        /// The file.
        file: PathBuf,
        /// County code.
        #[arg(long)]
        county: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// The completion, usage and savings report of a county (or the pool).
    Report {
        /// County code (default: the whole pool).
        #[arg(long)]
        county: Option<String>,
        /// As of this day (default: today, Beijing time).
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Also write the report as an Excel workbook to this file.
        #[arg(long)]
        xlsx: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn yuan(fen: i64) -> String {
    sanyi_domain::Fen::new(fen).to_yuan_string()
}

fn pct(bp: Option<i64>) -> String {
    bp.map_or_else(|| "—".into(), |b| format!("{}.{:02}%", b / 100, b % 100))
}

/// `sanyi procurement …`.
pub fn run(c: ProcurementCommand) -> anyhow::Result<()> {
    init_logs();
    runtime()?.block_on(async move {
        let db_args = match &c {
            ProcurementCommand::CatalogueImport { db, .. }
            | ProcurementCommand::ProjectImport { db, .. }
            | ProcurementCommand::Report { db, .. } => db,
        };
        let db = open(&db_args.database).await?;
        let app = App::new(db.clone());
        let out = match &c {
            ProcurementCommand::CatalogueImport {
                file, version, from, pool, ..
            } => {
                let pool = pool_of(&app, pool.clone()).await?;
                let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
                let input = catalogue::ImportInput {
                    version: version.clone(),
                    effective_from: *from,
                    file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                    illustrative: false,
                };
                let v = catalogue::import(&app, &Actor::system(&pool[..4]), &input, &bytes)
                    .await
                    .map_err(explain)?;
                format!(
                    "catalogue {} of {} imported: {} items, in force from {} (id {})",
                    v.version, v.pool, v.item_count, v.effective_from, v.id
                )
            }
            ProcurementCommand::ProjectImport { file, county, .. } => {
                let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
                let mut input: projects::ProjectInput =
                    serde_json::from_str(&text).context("the file is not a project (see the API's ProjectInput)")?;
                let actor = Actor::system(county);
                if input.community_id.is_none() {
                    input.community_id = sanyi_app::registry::communities_of(&app, county).await?.into_iter().next();
                }
                let v = projects::create(&app, &actor, &input).await.map_err(explain)?;
                format!(
                    "project {} ({}) loaded with {} products, open for demand (id {})",
                    v.code,
                    v.name,
                    v.products.len(),
                    v.id
                )
            }
            ProcurementCommand::Report {
                county, as_of, json, xlsx, ..
            } => {
                let scope = match county {
                    Some(c) => c.clone(),
                    None => pool_of(&app, None).await?[..4].to_owned(),
                };
                let r = report::report(&app, &Actor::system(&scope), &report::ReportQuery { as_of: *as_of })
                    .await
                    .map_err(explain)?;
                if let Some(path) = xlsx {
                    std::fs::write(path, export::xlsx(&r).map_err(explain)?).with_context(|| format!("cannot write {}", path.display()))?;
                }
                if *json {
                    serde_json::to_string_pretty(&r)?
                } else {
                    let mut s = format!("集采报告 procurement report as of {}\n", r.as_of);
                    for p in &r.projects {
                        s.push_str(&format!(
                            "{} {} [{}] {}–{} elapsed {} · agreed {} yuan · prepaid {} yuan · price cut {} · saving {} yuan · behind {}\n",
                            p.code,
                            p.name,
                            p.state,
                            p.starts_on,
                            p.ends_on,
                            pct(Some(p.elapsed_bp)),
                            yuan(p.agreed_amount),
                            yuan(p.prepayment),
                            pct(p.price_cut_bp),
                            yuan(p.saving),
                            p.behind
                        ));
                        for g in &p.generics {
                            s.push_str(&format!(
                                "    {} {}: agreed {} · purchased {} · completion {}{}\n",
                                g.generic_name,
                                g.dosage_form,
                                g.agreed_units,
                                g.purchased_units,
                                pct(g.completion_bp),
                                if g.behind { " · BEHIND 进度滞后" } else { "" }
                            ));
                        }
                    }
                    for u in &r.by_institution {
                        s.push_str(&format!(
                            "usage {} {}: selected {} · other {} · {}\n",
                            u.name,
                            u.generic_name,
                            u.selected_units,
                            u.other_units,
                            pct(u.usage_bp)
                        ));
                    }
                    s.push_str(&format!(
                        "total saving {} yuan · unpaid invoices {} (overdue {}, {} yuan)",
                        yuan(r.total_saving),
                        r.unpaid_invoices,
                        r.overdue_invoices,
                        yuan(r.overdue_amount)
                    ));
                    s
                }
            }
        };
        app.audit.flush().await;
        db.close().await;
        println!("{out}");
        Ok(())
    })
}

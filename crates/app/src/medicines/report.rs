//! What procurement comes to (docs/rules/procurement.md#completion, #usage-rate,
//! #price-cut-and-savings, #retained-saving, #prepayment): completion of the agreed volumes per
//! generic and institution against the time elapsed, with the alarm; usage rate of selected
//! products by generic, institution and prescriber; the volume-weighted price cut and the saving
//! of each project; invoices due; and the money that ties procurement to the fund — the
//! prepayment offset against the community's later settlements and the retained saving posted to
//! its year-end settlement.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_domain::Fen;
use sanyi_procurement::{
    Rational, RetainedInput, RetainedLine, behind, completion, elapsed, offset, retained_saving, saving, usage_rate, weighted_price_cut,
};
use sanyi_store::medicines::{self as med_repo, DemandRow, ProductRow, ProjectRow};
use sanyi_store::pharmacy::{self as repo, ReceivedRow, UsageRow};
use sanyi_store::registry;

use super::projects::{ContractRules, agreed_amount};
use super::{covers_county, pharmacy::area_prefix};
use crate::{Actor, App, Page, Permission, ServiceError};

fn bp(r: Option<Rational>) -> Option<i64> {
    r.and_then(|r| r.to_bp().ok())
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("procurement report: {e}"))
}

/// Completion of one generic's agreed volume (community or one institution).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CompletionLine {
    /// Institution (none: the whole community).
    pub institution_id: Option<String>,
    /// Institution name.
    pub institution: Option<String>,
    /// Generic name.
    pub generic_name: String,
    /// Dosage form.
    pub dosage_form: String,
    /// Agreed volume, units.
    pub agreed_units: i64,
    /// Selected units received (purchased, or transferred in), units.
    pub purchased_units: i64,
    /// Completion, basis points.
    pub completion_bp: Option<i64>,
    /// Below the alarm threshold of the time elapsed.
    pub behind: bool,
}

/// One project's figures.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProjectFigures {
    /// Project id.
    pub id: String,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// `national`, `provincial`, `alliance`.
    pub level: String,
    /// County.
    pub division_code: String,
    /// Contract start.
    pub starts_on: NaiveDate,
    /// Contract end.
    pub ends_on: NaiveDate,
    /// `reporting` or `contracted`.
    pub state: String,
    /// Share of the contract period elapsed, basis points.
    pub elapsed_bp: i64,
    /// Annual agreed purchase amount, fen.
    pub agreed_amount: i64,
    /// Insurance prepayment, fen.
    pub prepayment: i64,
    /// Community completion by generic.
    pub generics: Vec<CompletionLine>,
    /// Completion by institution and generic.
    pub institutions: Vec<CompletionLine>,
    /// Volume-weighted price cut, basis points.
    pub price_cut_bp: Option<i64>,
    /// Saving on the selected units received: (baseline − selected) × units, fen.
    pub saving: i64,
    /// Generics behind schedule.
    pub behind: usize,
    /// For a contract year that has ended: the retained saving as the year-end settlement posts
    /// it (none while the period runs, or before the pool's fund year is registered).
    pub retained: Option<RetainedProject>,
}

/// Usage of selected products of one generic (by institution, or prescriber).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UsageLine {
    /// Who (institution or prescriber id).
    pub who: String,
    /// Their name.
    pub name: String,
    /// Generic name.
    pub generic_name: String,
    /// Dosage form.
    pub dosage_form: String,
    /// Selected units dispensed.
    pub selected_units: i64,
    /// Non-selected units of the same generic dispensed.
    pub other_units: i64,
    /// Usage rate, basis points.
    pub usage_bp: Option<i64>,
}

/// The procurement report of the actor's area.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProcurementReport {
    /// As of.
    pub as_of: NaiveDate,
    /// Projects, newest first.
    pub projects: Vec<ProjectFigures>,
    /// Usage rate by institution and generic (generics with selected products only).
    pub by_institution: Vec<UsageLine>,
    /// Usage rate by prescriber and generic.
    pub by_prescriber: Vec<UsageLine>,
    /// Σ saving of every project, fen.
    pub total_saving: i64,
    /// Invoices accepted and unpaid.
    pub unpaid_invoices: i64,
    /// Of which past due.
    pub overdue_invoices: i64,
    /// Amount past due, fen.
    pub overdue_amount: i64,
}

/// Which report.
#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct ReportQuery {
    /// As of this day (default: today).
    pub as_of: Option<NaiveDate>,
}

/// Σ net selected units received per (project, generic) and per (project, institution, generic).
struct Received {
    community: HashMap<(String, String, String), (i64, i64)>,
    institution: HashMap<(String, String, String, String), i64>,
    by_item: HashMap<(String, String), i64>,
}

fn received_by_generic(rows: &[ReceivedRow], products: &[ProductRow]) -> Received {
    let generic: HashMap<(&str, &str), (&str, &str)> = products
        .iter()
        .map(|p| {
            (
                (p.project_id.as_str(), p.item_code.as_str()),
                (p.generic_name.as_str(), p.dosage_form.as_str()),
            )
        })
        .collect();
    let mut out = Received {
        community: HashMap::new(),
        institution: HashMap::new(),
        by_item: HashMap::new(),
    };
    for r in rows {
        *out.by_item.entry((r.project_id.clone(), r.item_code.clone())).or_insert(0) += r.units;
        let Some((g, f)) = generic.get(&(r.project_id.as_str(), r.item_code.as_str())) else {
            continue;
        };
        *out.institution
            .entry((r.project_id.clone(), r.institution_id.clone(), (*g).to_owned(), (*f).to_owned()))
            .or_insert(0) += r.units;
        let e = out
            .community
            .entry((r.project_id.clone(), (*g).to_owned(), (*f).to_owned()))
            .or_insert((0, 0));
        // Transfers net out inside the community: only receipts count for it.
        e.0 += r.units;
        e.1 += r.amount;
    }
    out
}

/// Figures of one project as of a day.
fn project_figures(
    p: &ProjectRow,
    products: &[ProductRow],
    demands: &[DemandRow],
    received: &Received,
    prepayment: i64,
    names: &HashMap<String, String>,
    as_of: NaiveDate,
) -> Result<ProjectFigures, ServiceError> {
    let rules: ContractRules = serde_json::from_str(&p.rules).unwrap_or_default();
    let el = elapsed(p.starts_on, p.ends_on, as_of).map_err(internal)?;
    let mut agreed_by_generic: BTreeMap<(String, String), i64> = BTreeMap::new();
    for d in demands {
        *agreed_by_generic
            .entry((d.generic_name.clone(), d.dosage_form.clone()))
            .or_insert(0) += d.agreed_units;
    }
    let line = |inst: Option<&String>, g: &str, f: &str, agreed: i64, purchased: i64| -> Result<CompletionLine, ServiceError> {
        let c = if agreed > 0 {
            Some(completion(purchased, agreed).map_err(internal)?)
        } else {
            None
        };
        Ok(CompletionLine {
            institution_id: inst.cloned(),
            institution: inst.map(|i| names.get(i).cloned().unwrap_or_default()),
            generic_name: g.to_owned(),
            dosage_form: f.to_owned(),
            agreed_units: agreed,
            purchased_units: purchased,
            completion_bp: bp(c),
            behind: p.state == "contracted" && c.is_some_and(|c| behind(c, el, rules.behind_threshold)),
        })
    };
    let mut generics = Vec::new();
    let mut cut_lines = Vec::new();
    let mut total_saving = Fen::ZERO;
    for ((g, f), agreed) in &agreed_by_generic {
        let purchased = received.community.get(&(p.id.clone(), g.clone(), f.clone())).map_or(0, |x| x.0);
        generics.push(line(None, g, f, *agreed, purchased)?);
    }
    for pr in products {
        let agreed = agreed_by_generic
            .get(&(pr.generic_name.clone(), pr.dosage_form.clone()))
            .copied()
            .unwrap_or(0);
        let winners = products
            .iter()
            .filter(|x| x.generic_name == pr.generic_name && x.dosage_form == pr.dosage_form)
            .count() as i64;
        cut_lines.push((Fen::new(pr.baseline_price), Fen::new(pr.selected_price), agreed / winners.max(1)));
    }
    // The saving counts the selected units received, each at its own product's prices.
    for pr in products {
        let units = received.by_item.get(&(p.id.clone(), pr.item_code.clone())).copied().unwrap_or(0);
        total_saving = total_saving
            .checked_add(saving(Fen::new(pr.baseline_price), Fen::new(pr.selected_price), units).map_err(internal)?)
            .map_err(internal)?;
    }
    let mut institutions = Vec::new();
    for d in demands {
        let purchased = received
            .institution
            .get(&(
                p.id.clone(),
                d.institution_id.clone(),
                d.generic_name.clone(),
                d.dosage_form.clone(),
            ))
            .copied()
            .unwrap_or(0);
        institutions.push(line(
            Some(&d.institution_id),
            &d.generic_name,
            &d.dosage_form,
            d.agreed_units,
            purchased,
        )?);
    }
    Ok(ProjectFigures {
        id: p.id.clone(),
        code: p.code.clone(),
        name: p.name.clone(),
        level: p.level.clone(),
        division_code: p.division_code.clone(),
        starts_on: p.starts_on,
        ends_on: p.ends_on,
        state: p.state.clone(),
        elapsed_bp: el.to_bp().map_err(internal)?,
        agreed_amount: agreed_amount(products, demands)?.get(),
        prepayment,
        behind: generics.iter().filter(|g| g.behind).count(),
        generics,
        institutions,
        price_cut_bp: bp(weighted_price_cut(&cut_lines).map_err(internal)?),
        saving: total_saving.get(),
        retained: None,
    })
}

fn usage_lines(
    rows: &[UsageRow],
    by: impl Fn(&UsageRow) -> String,
    names: &HashMap<String, String>,
    generics: &std::collections::BTreeSet<(String, String)>,
) -> Vec<UsageLine> {
    let mut acc: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| generics.contains(&(r.generic_name.clone(), r.dosage_form.clone())))
    {
        let e = acc.entry((by(r), r.generic_name.clone(), r.dosage_form.clone())).or_insert((0, 0));
        if r.selected {
            e.0 += r.units;
        } else {
            e.1 += r.units;
        }
    }
    acc.into_iter()
        .map(|((who, g, f), (sel, other))| UsageLine {
            name: names.get(&who).cloned().unwrap_or_else(|| who.clone()),
            who,
            generic_name: g,
            dosage_form: f,
            selected_units: sel,
            other_units: other,
            usage_bp: bp(usage_rate(sel, other).ok().flatten()),
        })
        .collect()
}

/// The completion, usage and savings report of the actor's area as of a day.
///
/// # Errors
/// `Forbidden` without the permission to read procurement.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn report(app: &App, actor: &Actor, q: &ReportQuery) -> Result<ProcurementReport, ServiceError> {
    build(app, actor, q, true).await
}

/// The report without the usage rates (which read every dispensed line): projects, completion,
/// savings and invoices, cheap enough for the workbench.
///
/// # Errors
/// As [`report`].
pub async fn board(app: &App, actor: &Actor, q: &ReportQuery) -> Result<ProcurementReport, ServiceError> {
    build(app, actor, q, false).await
}

async fn build(app: &App, actor: &Actor, q: &ReportQuery, with_usage: bool) -> Result<ProcurementReport, ServiceError> {
    actor.require(Permission::ProcurementRead)?;
    let as_of = q.as_of.unwrap_or_else(sanyi_domain::time::today);
    let prefix = area_prefix(actor);
    let projects: Vec<ProjectRow> = med_repo::projects(&app.db, &prefix)
        .await?
        .into_iter()
        .filter(|p| covers_county(actor, &p.division_code))
        .collect();
    let (from, to) = projects
        .iter()
        .fold((as_of, as_of), |(f, t), p| (f.min(p.starts_on), t.max(p.ends_on.min(as_of))));
    let received_rows = repo::received(&app.db, &prefix, from, as_of).await?;
    let usage_rows = if with_usage {
        repo::usage(&app.db, &prefix, from, to.min(as_of)).await?
    } else {
        Vec::new()
    };
    let prepayments: HashMap<String, i64> = med_repo::prepayments(&app.db, &prefix)
        .await?
        .into_iter()
        .map(|p| (p.project_id, p.amount))
        .collect();
    let mut all_products = Vec::new();
    let mut all_demands = Vec::new();
    for county in projects
        .iter()
        .map(|p| p.division_code.clone())
        .collect::<std::collections::BTreeSet<_>>()
    {
        all_products.extend(med_repo::products(&app.db, &county, None).await?);
        all_demands.extend(med_repo::demands(&app.db, &county, None).await?);
    }
    let received = received_by_generic(&received_rows, &all_products);
    let mut ids: Vec<String> = all_demands.iter().map(|d| d.institution_id.clone()).collect();
    ids.extend(usage_rows.iter().map(|u| u.institution_id.clone()));
    let names = registry::names(&app.db, &ids).await?;
    let mut figures = Vec::new();
    for p in &projects {
        let products: Vec<ProductRow> = all_products.iter().filter(|x| x.project_id == p.id).cloned().collect();
        let demands: Vec<DemandRow> = all_demands.iter().filter(|x| x.project_id == p.id).cloned().collect();
        let mut f = project_figures(
            p,
            &products,
            &demands,
            &received,
            prepayments.get(&p.id).copied().unwrap_or(0),
            &names,
            as_of,
        )?;
        if p.state == "contracted"
            && p.ends_on < as_of
            && let Some(passed) = appraisal_passed(app, &p.division_code, p.ends_on.year()).await?
        {
            f.retained = Some(retained_for(p, &products, &demands, &received_rows, passed)?);
        }
        figures.push(f);
    }
    let generics: std::collections::BTreeSet<(String, String)> = all_products
        .iter()
        .map(|p| (p.generic_name.clone(), p.dosage_form.clone()))
        .collect();
    let prescriber_names: HashMap<String, String> =
        crate::audit::names_of_users(app, usage_rows.iter().map(|u| u.prescriber.clone()).collect()).await?;
    let invoices = repo::deliveries(&app.db, &prefix, true, Page { offset: 0, limit: 100_000 }).await?;
    let overdue: Vec<_> = invoices.items.iter().filter(|d| d.due_on.is_some_and(|due| due < as_of)).collect();
    Ok(ProcurementReport {
        as_of,
        total_saving: figures.iter().map(|f| f.saving).sum(),
        by_institution: usage_lines(&usage_rows, |r| r.institution_id.clone(), &names, &generics),
        by_prescriber: usage_lines(&usage_rows, |r| r.prescriber.clone(), &prescriber_names, &generics),
        projects: figures,
        unpaid_invoices: invoices.total,
        overdue_invoices: overdue.len() as i64,
        overdue_amount: overdue.iter().map(|d| d.amount).sum(),
    })
}

/// The procurement money of one community in a settlement run (docs/rules/procurement.md#prepayment,
/// docs/rules/procurement.md#retained-saving).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommunityProcurement {
    /// Insurance prepayments of the community's contracted projects credited in the year through
    /// the period, fen.
    pub prepaid: i64,
    /// Offset against its monthly settlements after each credit, fen.
    pub offset: i64,
    /// Still to offset, fen (prepaid = offset + outstanding).
    pub outstanding: i64,
    /// Retained saving of the projects whose contract year ended in the year (year-end only), fen.
    pub retained: i64,
    /// Each such project: code, saving within the agreed volumes, gate passed, retained.
    pub projects: Vec<RetainedProject>,
}

/// The retained saving of one project at year-end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RetainedProject {
    /// Project code.
    pub code: String,
    /// Saving on the units within the agreed volumes, fen.
    pub saving_within_agreed: i64,
    /// Completion and quality gates passed.
    pub gate_passed: bool,
    /// Retained by the community, fen.
    pub retained: i64,
    /// Why the gate failed (Chinese).
    pub reasons_zh: Vec<String>,
}

/// The retained saving of a project whose contract year ended (docs/rules/procurement.md#retained-saving):
/// the saving on the selected units received within each product's part of the agreed volume,
/// times the share, when every generic reached the completion gate and the appraisal passed.
fn retained_for(
    p: &ProjectRow,
    products: &[ProductRow],
    demands: &[DemandRow],
    received: &[ReceivedRow],
    quality_ok: bool,
) -> Result<RetainedProject, ServiceError> {
    let rules: ContractRules = serde_json::from_str(&p.rules).unwrap_or_default();
    let mut lines = Vec::new();
    for pr in products {
        let same = |g: &str, f: &str| g == pr.generic_name && f == pr.dosage_form;
        let agreed: i64 = demands
            .iter()
            .filter(|d| same(&d.generic_name, &d.dosage_form))
            .map(|d| d.agreed_units)
            .sum();
        let winners = products.iter().filter(|x| same(&x.generic_name, &x.dosage_form)).count() as i64;
        let purchased: i64 = received
            .iter()
            .filter(|r| r.project_id == p.id && r.item_code == pr.item_code)
            .map(|r| r.units)
            .sum();
        lines.push(RetainedLine {
            baseline: Fen::new(pr.baseline_price),
            selected: Fen::new(pr.selected_price),
            purchased_units: purchased,
            agreed_units: agreed / winners.max(1),
        });
    }
    let r = retained_saving(&RetainedInput {
        lines,
        share_bp: rules.retained_share,
        completion_gate_bp: rules.completion_gate,
        quality_ok,
    })
    .map_err(internal)?;
    Ok(RetainedProject {
        code: p.code.clone(),
        saving_within_agreed: r.saving_within_agreed.get(),
        gate_passed: r.gate_passed,
        retained: r.retained.get(),
        reasons_zh: r
            .reasons
            .iter()
            .map(|reason| match reason {
                sanyi_procurement::GateReason::CompletionBelowGate { line, .. } => products.get(*line).map_or_else(
                    || reason.message_zh(),
                    |pr| format!("{}（{}）未完成约定采购量", pr.generic_name, pr.dosage_form),
                ),
                other => other.message_zh(),
            })
            .collect(),
    })
}

/// Whether a county's appraisal of `year` passed, from the pool's fund year (none: not known yet —
/// no fund year, or no score of the county in it).
async fn appraisal_passed(app: &App, county: &str, year: i32) -> Result<Option<bool>, ServiceError> {
    let pool = super::projects::pool_of_county(county);
    let Some(body) = sanyi_store::insurance::fund_year(&app.db, &pool, i64::from(year)).await? else {
        return Ok(None);
    };
    let fy: crate::insurance::fund_year::FundYear = serde_json::from_str(&body).map_err(|e| ServiceError::Internal(e.into()))?;
    Ok(fy.scores.get(county).map(|score| *score >= fy.budget.pass_mark))
}

/// The prepayment offsets and (at year-end) the retained saving of a community in `year`
/// through `through` (a month), given its monthly package payment and whether its appraisal
/// passed (the quality gate).
///
/// # Errors
/// On a database error or an amount out of range.
pub async fn community_money(
    app: &App,
    county: &str,
    community: &str,
    year: i32,
    through: u32,
    monthly_payment: Fen,
    quality_ok: bool,
) -> Result<CommunityProcurement, ServiceError> {
    let projects: Vec<ProjectRow> = med_repo::projects(&app.db, county)
        .await?
        .into_iter()
        .filter(|p| p.division_code == county && p.community_id == community && p.state == "contracted")
        .collect();
    if projects.is_empty() {
        return Ok(CommunityProcurement::default());
    }
    let period_end = NaiveDate::from_ymd_opt(year, through, 1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .and_then(|d| d.pred_opt())
        .unwrap_or_default();
    let mut out = CommunityProcurement::default();
    let prepayments = med_repo::prepayments(&app.db, county).await?;
    for p in &projects {
        let Some(pre) = prepayments
            .iter()
            .find(|x| x.project_id == p.id && x.credited_on.year() == year && x.credited_on <= period_end)
        else {
            continue;
        };
        // Offset against the community's monthly settlements after the month of the credit.
        let months = through.saturating_sub(pre.credited_on.month());
        let settlements = vec![monthly_payment; months as usize];
        let o = offset(Fen::new(pre.amount), &settlements).map_err(internal)?;
        out.prepaid += pre.amount;
        out.outstanding += o.remaining.get();
        out.offset += pre.amount - o.remaining.get();
    }
    if through == 12 {
        let ending: Vec<&ProjectRow> = projects.iter().filter(|p| p.ends_on.year() == year).collect();
        if !ending.is_empty() {
            let from = ending.iter().map(|p| p.starts_on).min().unwrap_or(period_end);
            let received = repo::received(&app.db, county, from, period_end).await?;
            for p in ending {
                let products = med_repo::products(&app.db, county, Some(&p.id)).await?;
                let demands = med_repo::demands(&app.db, county, Some(&p.id)).await?;
                let r = retained_for(p, &products, &demands, &received, quality_ok)?;
                out.retained += r.retained;
                out.projects.push(r);
            }
        }
    }
    Ok(out)
}

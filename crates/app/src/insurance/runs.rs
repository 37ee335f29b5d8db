//! Settlement runs as ledgers (结算批次与基金拨付台账, docs/rules/global-budget.md#runs-and-ledger).
//!
//! Every run of a period (a month's interim, or the year-end) is stored as a new numbered run
//! with its inputs (the fund year's digest, scores, DRG scheme, accepted overspend, claims), its
//! report and digest; nothing is overwritten. A re-run is compared with the run before it
//! ([`super::run_diff`]). A run becomes final when a second insurance officer, not the one who
//! ran it, approves it; the approval posts the fund's payments to each community — the monthly
//! prepayments and, at the year-end, the settlement or clawback that brings the community's total
//! to its year-end amount — to an append-only ledger, as differences to what earlier approvals
//! posted. Running and approving are audited in the same transaction as what they store.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_domain::Fen;
use sanyi_insurance::ledger::{self, EntryKey, EntryKind, Posted};
use sanyi_store::settlement::{self as repo, Approval, LedgerRow, NewRun, RunRow, SUPERSEDED};
use sanyi_store::{StoreError, registry};

use super::run::RunReport;
use super::run_diff::{self, DiffLine};
use crate::{Actor, App, FieldError, Permission, ServiceError, audit};

/// What a run was computed from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RunInputs {
    /// SHA-256 of the fund year (budget, payment parameters, scores, splits) as used.
    #[serde(default)]
    pub fund_year: String,
    /// Appraisal score per county, hundredths of a point.
    #[serde(default)]
    pub scores: BTreeMap<String, u32>,
    /// The DRG scheme in force at the year's end (name and version), if any.
    #[serde(default)]
    pub drg_scheme: Option<String>,
    /// Overspend the bureau accepted per community, fen.
    #[serde(default)]
    pub accepted_overspend: BTreeMap<String, i64>,
    /// Claims settled through the period.
    #[serde(default)]
    pub claims: i64,
}

/// A run's place in its period's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RunMeta {
    /// Year.
    pub year: i32,
    /// Month of an interim run; 0 for the year-end.
    pub month: u32,
    /// Number within the period, from 1.
    pub number: i64,
    /// Digest of its report.
    pub digest: String,
    /// `pending` (waiting for a second officer), `approved` (final) or `superseded` (a later run
    /// of the period exists and it was never approved).
    pub status: String,
    /// Who ran it (name; none for the system, e.g. the command line).
    pub run_by: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Who approved it (name).
    pub approved_by: Option<String>,
    /// When.
    pub approved_at: Option<DateTime<Utc>>,
    /// The approver's note.
    pub note: Option<String>,
    /// Inputs (in the run's own view only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<RunInputs>,
}

/// A run with its report and what changed against the run before it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RunDetail {
    /// The run.
    pub run: RunMeta,
    /// Its report.
    pub report: RunReport,
    /// The run it is compared with (the previous number of the period), if any.
    pub previous: Option<i64>,
    /// Changed figures against the previous run (empty when equal or first).
    pub diff: Vec<DiffLine>,
}

/// One ledger entry as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct LedgerEntry {
    /// Community id.
    pub community_id: String,
    /// Its name.
    pub community: String,
    /// County code.
    pub county: String,
    /// Month 1–12.
    pub month: i64,
    /// `prepayment` or `year_end`.
    pub kind: String,
    /// Posting number of its (community, month, kind).
    pub seq: i64,
    /// Amount, fen (negative: a correction or clawback).
    pub amount: i64,
    /// The run whose approval posted it: month (0 year-end) and number.
    pub run_month: i64,
    /// Number of that run.
    pub run_number: i64,
    /// When.
    pub posted_at: DateTime<Utc>,
}

/// A community's ledger totals of the year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct LedgerTotal {
    /// Community id.
    pub community_id: String,
    /// Its name.
    pub community: String,
    /// Σ prepayments, fen.
    pub prepaid: i64,
    /// The year-end settlement (negative: clawed back), fen.
    pub year_end: i64,
    /// Total paid, fen.
    pub total: i64,
}

/// The fund's ledger of a year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Ledger {
    /// Year.
    pub year: i32,
    /// Totals per community.
    pub totals: Vec<LedgerTotal>,
    /// Every entry, by community, month, kind and posting.
    pub entries: Vec<LedgerEntry>,
}

/// The approval's note.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[schema(as = RunApproval)]
pub struct ApproveInput {
    /// What the second officer checked.
    #[serde(default)]
    pub note: String,
}

/// The system's name as a run's author.
const SYSTEM: &str = "system";

fn period(month: Option<u32>) -> i64 {
    i64::from(month.unwrap_or(0))
}

/// Stores a run of `report` made from `inputs` by `by` (`None`: the system) as the next number of
/// its period, audited, and returns its place.
pub(crate) async fn store(app: &App, report: &RunReport, inputs: &RunInputs, by: Option<&Actor>) -> Result<RunMeta, ServiceError> {
    let body = to_json(report)?;
    let inputs_json = to_json(inputs)?;
    let month = if report.year_end { 0 } else { report.through_month };
    let entity = format!("{}/{month}", report.year);
    let detail = format!("digest={} claims={}", &report.digest[..12.min(report.digest.len())], inputs.claims);
    let a = match by {
        Some(actor) => audit::entry(actor, &report.pool, "run", "settlement_run", &entity, None, &detail),
        None => audit::system_entry(&report.pool, "run", "settlement_run", &entity, &detail),
    };
    let run_by = by.map_or(SYSTEM, |a| a.user_id.as_str());
    let number = repo::put_run(
        &app.db,
        &NewRun {
            pool: &report.pool,
            year: i64::from(report.year),
            month: i64::from(month),
            inputs: &inputs_json,
            report: &body,
            digest: &report.digest,
            run_by,
        },
        &a,
    )
    .await
    .map_err(|e| match e {
        StoreError::Constraint { .. } => ServiceError::Conflict(vec![FieldError::new(
            "year",
            "settlement.run_concurrent",
            "one run of a period at a time",
            "Another run of this period was stored at the same moment; run again",
            "同一期间的另一次结算同时完成，请重新运行",
        )]),
        other => other.into(),
    })?;
    Ok(RunMeta {
        year: report.year,
        month,
        number,
        digest: report.digest.clone(),
        status: "pending".into(),
        run_by: by.map(|a| a.display_name.clone()),
        created_at: Utc::now(),
        approved_by: None,
        approved_at: None,
        note: None,
        inputs: Some(inputs.clone()),
    })
}

fn to_json<T: Serialize>(v: &T) -> Result<String, ServiceError> {
    serde_json::to_string(v).map_err(|e| ServiceError::Internal(e.into()))
}

fn metas(rows: Vec<RunRow>, names: &HashMap<String, String>) -> Vec<RunMeta> {
    // Rows come newest first within each period: the first of a period is its latest run.
    let mut latest: HashMap<i64, i64> = HashMap::new();
    for r in &rows {
        latest.entry(r.month).or_insert(r.number);
    }
    rows.into_iter()
        .map(|r| {
            let status = if r.approved_at.is_some() {
                "approved"
            } else if latest.get(&r.month) == Some(&r.number) {
                "pending"
            } else {
                "superseded"
            };
            let name = |id: &str| (id != SYSTEM).then(|| names.get(id).cloned().unwrap_or_else(|| id.to_owned()));
            RunMeta {
                year: i32::try_from(r.year).unwrap_or_default(),
                month: u32::try_from(r.month).unwrap_or_default(),
                number: r.number,
                status: status.into(),
                run_by: name(&r.run_by),
                created_at: r.created_at,
                approved_by: r.approved_by.as_deref().and_then(name),
                approved_at: r.approved_at,
                note: r.note,
                digest: r.digest,
                inputs: None,
            }
        })
        .collect()
}

async fn names(app: &App, rows: &[RunRow]) -> Result<HashMap<String, String>, ServiceError> {
    let ids = rows
        .iter()
        .flat_map(|r| std::iter::once(r.run_by.clone()).chain(r.approved_by.clone()))
        .filter(|id| id != SYSTEM)
        .collect();
    audit::names_of_users(app, ids).await
}

/// Every run of the actor's pool in `year`, the year-end's first, newest first within a period.
///
/// # Errors
/// `Forbidden` without insurance read permission.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(app: &App, actor: &Actor, year: i32) -> Result<Vec<RunMeta>, ServiceError> {
    actor.require(Permission::InsuranceRead)?;
    let pool = super::actor_pool(actor, None)?;
    let rows = repo::runs_of_year(&app.db, &pool, i64::from(year)).await?;
    let names = names(app, &rows).await?;
    let mut out = metas(rows, &names);
    // The year-end (month 0) first, then the months from the latest.
    out.sort_by_key(|m| (m.month != 0, std::cmp::Reverse(m.month), std::cmp::Reverse(m.number)));
    Ok(out)
}

/// How many runs of `year` wait for the actor's approval: the latest run of a period, not
/// approved, run by someone else (none for a role that cannot approve).
///
/// # Errors
/// On a database error.
pub async fn awaiting_approval(app: &App, actor: &Actor, year: i32) -> Result<i64, ServiceError> {
    if !actor.role.can(Permission::SettlementApprove) || !actor.is_pool_level() {
        return Ok(0);
    }
    let pool = super::actor_pool(actor, None)?;
    let rows = repo::runs_of_year(&app.db, &pool, i64::from(year)).await?;
    let mut seen = std::collections::HashSet::new();
    // Newest first within a period: the first row of each period is its latest run.
    Ok(rows
        .iter()
        .filter(|r| seen.insert(r.month))
        .filter(|r| r.approved_at.is_none() && r.run_by != actor.user_id)
        .count()
        .try_into()
        .unwrap_or(i64::MAX))
}

async fn meta_of(app: &App, pool: &str, year: i32, month: i64, number: i64) -> Result<RunMeta, ServiceError> {
    let rows = repo::runs(&app.db, pool, i64::from(year), month).await?;
    let names = names(app, &rows).await?;
    metas(rows, &names)
        .into_iter()
        .find(|m| m.number == number)
        .ok_or(ServiceError::NotFound)
}

fn parse_report(body: &str) -> Result<RunReport, ServiceError> {
    serde_json::from_str(body).map_err(|e| ServiceError::Internal(e.into()))
}

/// The report of a run (`number` `None`: the latest of the period), with its run, cut to the
/// actor's county when the actor is county-scoped.
///
/// # Errors
/// `NotFound` when the period (or that run) does not exist; `Forbidden` without read permission.
pub async fn report_of(app: &App, actor: &Actor, year: i32, month: Option<u32>, number: Option<i64>) -> Result<RunReport, ServiceError> {
    actor.require(Permission::InsuranceRead)?;
    let pool = super::actor_pool(actor, None)?;
    let (n, body, inputs) = repo::report(&app.db, &pool, i64::from(year), period(month), number)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut report = parse_report(&body)?;
    let mut meta = meta_of(app, &pool, year, period(month), n).await?;
    meta.inputs = serde_json::from_str(&inputs).ok();
    report.run = Some(meta);
    Ok(if actor.is_pool_level() {
        report
    } else {
        report.for_county(actor.scope.division_prefix())
    })
}

/// A run with its report and its differences to the previous run of the period.
///
/// # Errors
/// As [`report_of`].
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn detail(app: &App, actor: &Actor, year: i32, month: Option<u32>, number: i64) -> Result<RunDetail, ServiceError> {
    let report = report_of(app, actor, year, month, Some(number)).await?;
    // The run before it is compared figure by figure: its report only (no run, no names).
    let pool = super::actor_pool(actor, None)?;
    let previous = match number {
        n if n > 1 => repo::report(&app.db, &pool, i64::from(year), period(month), Some(n - 1))
            .await?
            .map(|(_, body, _)| parse_report(&body))
            .transpose()?
            .map(|r| {
                if actor.is_pool_level() {
                    r
                } else {
                    r.for_county(actor.scope.division_prefix())
                }
            }),
        _ => None,
    };
    let diff = previous.as_ref().map(|p| run_diff::diff(p, &report)).unwrap_or_default();
    let run = report.run.clone().ok_or(ServiceError::NotFound)?;
    Ok(RunDetail {
        run,
        previous: previous.map(|_| number - 1),
        diff,
        report,
    })
}

fn refused(field: &str, rule: &str, expected: &str, en: &str, zh: &str) -> ServiceError {
    ServiceError::Validation(vec![FieldError::new(field, rule, expected, en, zh)])
}

/// The ledger targets a report states, per community: the monthly prepayments through its
/// period and, for the year-end, the settlement to the year-end amount.
/// A run's ledger targets, and the county of each community.
type Targets = (BTreeMap<EntryKey, Fen>, HashMap<String, String>);

fn targets(report: &RunReport) -> Result<Targets, ServiceError> {
    let mut out = BTreeMap::new();
    let mut county_of = HashMap::new();
    for county in &report.counties {
        for c in &county.communities {
            county_of.insert(c.id.clone(), county.code.clone());
            let months: Vec<Fen> = c.prepayments.iter().map(|f| Fen::new(*f)).collect();
            let y = if report.year_end { c.payable.map(Fen::new) } else { None };
            if report.year_end && y.is_none() {
                return Err(refused(
                    "number",
                    "settlement.run_without_ledger",
                    "a run made by this version (with monthly prepayments and year-end amounts)",
                    "This run was stored before runs carried their ledger figures; run the period again",
                    "该批次生成于台账功能之前，缺少拨付数据，请重新运行结算",
                ));
            }
            out.extend(ledger::community_targets(&c.id, &months, y).map_err(|e| ServiceError::Internal(e.into()))?);
        }
    }
    Ok((out, county_of))
}

/// A second officer approves run `number` of a period (复核): it must be the latest run of the
/// period, not yet approved, and run by someone else; approving posts its payments to the
/// ledger (differences to what is posted) in the same transaction as the approval and its audit.
///
/// # Errors
/// `Forbidden` without [`Permission::SettlementApprove`]; `PoolLevelOnly` for a county officer;
/// `NotFound` for an unknown run; `Validation` when the approver ran it, it is superseded, or the
/// year-end of the year is approved already (for a month); `Conflict` when approved already or
/// another approval posted meanwhile.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn approve(
    app: &App,
    actor: &Actor,
    year: i32,
    month: Option<u32>,
    number: i64,
    input: &ApproveInput,
) -> Result<RunMeta, ServiceError> {
    actor.require_pool_level(Permission::SettlementApprove)?;
    let pool = super::actor_pool(actor, None)?;
    let rows = repo::runs(&app.db, &pool, i64::from(year), period(month)).await?;
    let row = rows.iter().find(|r| r.number == number).ok_or(ServiceError::NotFound)?;
    if row.approved_at.is_some() {
        return Err(already_approved());
    }
    if row.run_by == actor.user_id {
        return Err(refused(
            "number",
            "settlement.four_eyes",
            "an insurance officer other than the one who ran it",
            "A run is approved by a second officer, not by the one who ran it",
            "结算须由另一名经办人员复核，运行人不能复核自己的结算",
        ));
    }
    if rows.first().map(|r| r.number) != Some(number) {
        return Err(superseded());
    }
    if month.is_some() {
        let year_end = repo::runs(&app.db, &pool, i64::from(year), 0).await?;
        if year_end.iter().any(|r| r.approved_at.is_some()) {
            return Err(refused(
                "month",
                "settlement.year_closed",
                "an interim month of a year whose year-end is not approved",
                "The year-end of this year is approved; its months can no longer be approved",
                "该年度的年终清算已复核，不能再复核月度结算",
            ));
        }
    }
    let (_, body, _) = repo::report(&app.db, &pool, i64::from(year), period(month), Some(number))
        .await?
        .ok_or(ServiceError::NotFound)?;
    let report = parse_report(&body)?;
    let (targets, county_of) = targets(&report)?;
    let mut posted: BTreeMap<EntryKey, Posted> = BTreeMap::new();
    for e in repo::ledger(&app.db, &pool, i64::from(year)).await? {
        let Some(kind) = EntryKind::parse(&e.kind) else { continue };
        let p = posted
            .entry(EntryKey {
                community: e.community_id.clone(),
                month: u32::try_from(e.month).unwrap_or_default(),
                kind,
            })
            .or_default();
        p.amount = p
            .amount
            .checked_add(Fen::new(e.amount))
            .map_err(|e| ServiceError::Internal(e.into()))?;
        p.count += 1;
    }
    let now = Utc::now();
    let entries: Vec<LedgerRow> = ledger::postings(&targets, &posted)
        .map_err(|e| ServiceError::Internal(e.into()))?
        .into_iter()
        .map(|p| LedgerRow {
            division_code: county_of.get(&p.key.community).cloned().unwrap_or_default(),
            id: sanyi_store::new_id(),
            pool: pool.clone(),
            year: i64::from(year),
            month: i64::from(p.key.month),
            community_id: p.key.community,
            kind: p.key.kind.code().into(),
            seq: i64::from(p.seq),
            amount: p.amount.get(),
            run_month: period(month),
            run_number: number,
            posted_by: actor.user_id.clone(),
            posted_at: now,
        })
        .collect();
    let total = Fen::sum(entries.iter().map(|e| Fen::new(e.amount))).map_err(|e| ServiceError::Internal(e.into()))?;
    let a = audit::entry(
        actor,
        &pool,
        "approve",
        "settlement_run",
        &format!("{year}/{}/{number}", period(month)),
        None,
        &format!(
            "digest={} entries={} net={}",
            &report.digest[..12.min(report.digest.len())],
            entries.len(),
            total.get()
        ),
    );
    let note = input.note.trim();
    match repo::approve(
        &app.db,
        &Approval {
            pool: &pool,
            year: i64::from(year),
            month: period(month),
            number,
            by: &actor.user_id,
            note,
        },
        &entries,
        &a,
    )
    .await
    {
        Ok(()) => {}
        Err(StoreError::Constraint { constraint, .. }) if constraint == SUPERSEDED => return Err(superseded()),
        Err(StoreError::Constraint {
            kind: sanyi_store::ConstraintKind::Unique,
            ..
        }) => return Err(already_approved()),
        Err(e) => return Err(e.into()),
    }
    let rows = vec![RunRow {
        approved_by: Some(actor.user_id.clone()),
        approved_at: Some(now),
        note: Some(note.to_owned()),
        ..row.clone()
    }];
    let names = names(app, &rows).await?;
    metas(rows, &names).pop().ok_or(ServiceError::NotFound)
}

fn already_approved() -> ServiceError {
    ServiceError::Conflict(vec![FieldError::new(
        "number",
        "settlement.approved_once",
        "a run not approved yet",
        "This run is approved already (or another approval was posted at the same moment)",
        "该批次已复核（或另一复核同时入账），请刷新后查看",
    )])
}

fn superseded() -> ServiceError {
    refused(
        "number",
        "settlement.superseded",
        "the latest run of the period",
        "A later run of this period exists; approve the latest",
        "该期间已有更新的结算批次，请复核最新批次",
    )
}

/// The fund's ledger of the actor's pool in `year` (a county officer sees its county's
/// communities).
///
/// # Errors
/// `Forbidden` without insurance read permission.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn ledger_of(app: &App, actor: &Actor, year: i32) -> Result<Ledger, ServiceError> {
    actor.require(Permission::InsuranceRead)?;
    let pool = super::actor_pool(actor, None)?;
    let names: HashMap<String, String> = registry::communities(&app.db, actor.scope.prefix())
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let prefix = actor.scope.division_prefix().to_owned();
    let entries: Vec<LedgerEntry> = repo::ledger(&app.db, &pool, i64::from(year))
        .await?
        .into_iter()
        .filter(|e| actor.is_pool_level() || e.division_code.starts_with(&prefix))
        .map(|e| LedgerEntry {
            community: names.get(&e.community_id).cloned().unwrap_or_default(),
            community_id: e.community_id,
            county: e.division_code,
            month: e.month,
            kind: e.kind,
            seq: e.seq,
            amount: e.amount,
            run_month: e.run_month,
            run_number: e.run_number,
            posted_at: e.posted_at,
        })
        .collect();
    let mut totals: BTreeMap<String, LedgerTotal> = BTreeMap::new();
    for e in &entries {
        let t = totals.entry(e.community_id.clone()).or_insert_with(|| LedgerTotal {
            community_id: e.community_id.clone(),
            community: e.community.clone(),
            prepaid: 0,
            year_end: 0,
            total: 0,
        });
        if e.kind == EntryKind::YearEnd.code() {
            t.year_end += e.amount;
        } else {
            t.prepaid += e.amount;
        }
        t.total += e.amount;
    }
    Ok(Ledger {
        year,
        totals: totals.into_values().collect(),
        entries,
    })
}

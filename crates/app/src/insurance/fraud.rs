//! Fraud and misuse screening of a pool's year (医保基金监管疑点) and the review of each flag: the
//! engine's checks run over the stored claims; new flags are queued (a flag already raised for the
//! same claim and kind is never duplicated, a reviewed one never reopened); reviews are audited.

use std::collections::BTreeMap;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_domain::Fen;
use sanyi_insurance::fraud::{self, Elsewhere, FraudPolicy, ReviewOutcome, Stay};
use sanyi_store::insurance::{self as repo, FlagRow};

use super::claims::ChargeInput;
use crate::{Actor, App, FieldError, Permission, ServiceError, audit};

/// Runs the checks over the settled claims of `year` with the thresholds of the pool's fund year
/// (the defaults without one) and queues new flags. Returns the number of flags per kind found by
/// this run (new or already queued).
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all)]
pub async fn screen(app: &App, pool: &str, year: i32) -> Result<BTreeMap<String, usize>, ServiceError> {
    let policy = match super::fund_year::load(app, pool, year).await {
        Ok(fy) => fy.fraud,
        Err(ServiceError::NotFound) => FraudPolicy::default(),
        Err(e) => return Err(e),
    };
    let cases = repo::inpatient_cases(&app.db, pool, i64::from(year), 12).await?;
    screen_cases(app, pool, year, &policy, &cases).await
}

/// [`screen`] over inpatient cases already loaded (the settlement run shares them with the DRG step).
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all)]
pub async fn screen_cases(
    app: &App,
    pool: &str,
    year: i32,
    policy: &FraudPolicy,
    cases: &[repo::InpatientCase],
) -> Result<BTreeMap<String, usize>, ServiceError> {
    let outpatient = repo::outpatient_days(&app.db, pool, i64::from(year)).await?;
    let scheme = crate::drg::in_force(app, pool, chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default())
        .await
        .ok()
        .map(|(_, s)| s);
    let catalogues = crate::medicines::catalogue::Timeline::load(app, pool).await?;
    let county_of: BTreeMap<String, String> = cases.iter().map(|c| (c.id.clone(), c.division_code.clone())).collect();
    let resident_of: BTreeMap<String, String> = cases.iter().map(|c| (c.id.clone(), c.resident_id.clone())).collect();
    let stays: Vec<Stay> = cases
        .iter()
        .map(|c| {
            let input: Option<crate::drg::CaseInput> = c.drg_input.as_deref().and_then(|d| serde_json::from_str(d).ok());
            let diagnosis = input.as_ref().and_then(|i| i.diagnoses.first().cloned()).unwrap_or_default();
            let adrg = scheme
                .as_ref()
                .zip(input.as_ref())
                .and_then(|(s, i)| s.group(&crate::drg::case_of(i)).adrg.map(str::to_owned));
            let charges: Vec<ChargeInput> = serde_json::from_str(&c.charges).unwrap_or_default();
            let catalogue = catalogues.at(c.service_date).map(|k| &k.engine);
            Stay {
                id: c.id.clone(),
                person: c.resident_id.clone(),
                institution: c.institution_id.clone(),
                admission: c.service_date,
                discharge: c.discharge_date.unwrap_or(c.service_date),
                group: adrg.unwrap_or_else(|| diagnosis.chars().take(3).collect()),
                diagnosis,
                cost: Fen::new(c.medfee_sumamt),
                charges: charges
                    .iter()
                    .map(|x| {
                        let price = x
                            .unit_price
                            .or_else(|| catalogue.and_then(|k| k.get(&x.code)).map(|i| i.price.get()))
                            .unwrap_or(0);
                        (x.code.clone(), x.quantity, Fen::new(price.saturating_mul(x.quantity)))
                    })
                    .collect(),
            }
        })
        .collect();
    let elsewhere: Vec<Elsewhere> = outpatient
        .into_iter()
        .map(|(person, date, institution)| Elsewhere { person, date, institution })
        .collect();
    let flags = fraud::check(policy, &stays, &elsewhere);
    let now = Utc::now();
    let mut counts = BTreeMap::new();
    let rows: Vec<FlagRow> = flags
        .into_iter()
        .map(|f| {
            *counts.entry(f.kind.code().to_owned()).or_insert(0) += 1;
            FlagRow {
                division_code: county_of.get(&f.claim_id).cloned().unwrap_or_default(),
                id: sanyi_store::new_id(),
                year: i64::from(year),
                kind: f.kind.code().into(),
                resident_id: resident_of.get(&f.claim_id).cloned().unwrap_or_default(),
                claim_id: f.claim_id,
                amount: f.amount.get(),
                evidence: serde_json::to_string(&f.evidence).unwrap_or_default(),
                status: "open".into(),
                review_note: None,
                reviewed_by: None,
                reviewed_at: None,
                created_at: now,
            }
        })
        .collect();
    repo::add_flags(&app.db, &rows).await?;
    Ok(counts)
}

/// A flag as the reviewer sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FlagView {
    /// Id.
    pub id: String,
    /// Kind code.
    pub kind: String,
    /// Kind in Chinese.
    pub kind_zh: String,
    /// Claim flagged.
    pub claim_id: String,
    /// Resident.
    pub resident_id: String,
    /// Amount at stake (fen).
    pub amount: i64,
    /// Evidence lines (`zh`, `en`).
    #[schema(value_type = Vec<Object>)]
    pub evidence: serde_json::Value,
    /// `open`, `confirmed`, `dismissed`, `needs_more_info`.
    pub status: String,
    /// Reviewer's note.
    pub review_note: Option<String>,
    /// Reviewer.
    pub reviewed_by: Option<String>,
}

fn view(f: FlagRow) -> FlagView {
    let kind_zh = match f.kind.as_str() {
        "bed_hanging" => "挂床住院",
        "split_admission" => "分解住院",
        "low_standard_admission" => "低标准入院",
        "duplicate_charge" => "重复收费",
        _ => "",
    };
    FlagView {
        kind_zh: kind_zh.into(),
        evidence: serde_json::from_str(&f.evidence).unwrap_or_default(),
        id: f.id,
        kind: f.kind,
        claim_id: f.claim_id,
        resident_id: f.resident_id,
        amount: f.amount,
        status: f.status,
        review_note: f.review_note,
        reviewed_by: f.reviewed_by,
    }
}

/// One page of the flags of the actor's area and a year, optionally of one status, with the
/// number of all matching flags.
///
/// # Errors
/// `Forbidden` without read permission.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(
    app: &App,
    actor: &Actor,
    year: i32,
    status: Option<&str>,
    page: sanyi_store::Page,
) -> Result<sanyi_store::Paged<FlagView>, ServiceError> {
    let filter = FlagFilter {
        status: status.map(str::to_owned),
        ..FlagFilter::default()
    };
    list_filtered(app, actor, year, &filter, page).await
}

/// The review list's filters: status, kind of flag, and the order.
#[derive(Clone, Debug, Default)]
pub struct FlagFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only this kind (`bed_hanging`, …).
    pub kind: Option<String>,
    /// Largest amount first (otherwise by kind, then amount).
    pub by_amount: bool,
}

/// As [`list`], with the kind filter and the order of the review page.
///
/// # Errors
/// `Forbidden` without read permission; `Validation` for an unknown kind.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list_filtered(
    app: &App,
    actor: &Actor,
    year: i32,
    f: &FlagFilter,
    page: sanyi_store::Page,
) -> Result<sanyi_store::Paged<FlagView>, ServiceError> {
    actor.require(Permission::InsuranceRead)?;
    if let Some(k) = f.kind.as_deref().filter(|k| !k.is_empty())
        && crate::labels::of("flag_kind", k).is_none()
    {
        return Err(ServiceError::Validation(vec![crate::FieldError::new(
            "kind",
            "enum",
            "bed_hanging, split_admission, low_standard_admission or duplicate_charge",
            &format!("Unknown kind of flag {k:?}"),
            "未知的疑点类型",
        )]));
    }
    let prefix = actor.scope.division_prefix().to_owned();
    let q = repo::FlagQuery {
        status: f.status.clone().filter(|s| !s.is_empty()),
        kind: f.kind.clone().filter(|s| !s.is_empty()),
        by_amount: f.by_amount,
    };
    Ok(repo::flags(&app.db, &prefix, i64::from(year), &q, page).await?.map(view))
}

/// A review decision.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ReviewInput {
    /// `confirmed`, `dismissed` or `needs_more_info`.
    #[schema(value_type = String)]
    pub outcome: ReviewOutcome,
    /// Why (required).
    pub note: String,
}

/// Records the outcome of a review.
///
/// # Errors
/// `Validation` without a note; `NotFound` outside scope; `Conflict` when already closed.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn review(app: &App, actor: &Actor, id: &str, input: &ReviewInput) -> Result<FlagView, ServiceError> {
    actor.require(Permission::InsuranceManage)?;
    if input.note.trim().is_empty() {
        return Err(ServiceError::Validation(vec![FieldError::required("note")]));
    }
    let f = repo::flag(&app.db, id)
        .await?
        .filter(|f| f.division_code.starts_with(actor.scope.division_prefix()))
        .ok_or(ServiceError::NotFound)?;
    let a = audit::entry(
        actor,
        &f.division_code,
        "review",
        "fraud_flag",
        &f.id,
        Some(&f.resident_id),
        input.outcome.code(),
    );
    match repo::review_flag(&app.db, id, input.outcome.code(), input.note.trim(), &actor.username, &a).await {
        Ok(()) => {}
        Err(sanyi_store::StoreError::VersionConflict { .. }) => {
            return Err(ServiceError::Conflict(vec![FieldError::new(
                "status",
                "flag.closed",
                "an open flag",
                "The flag was already reviewed",
                "该疑点已复核",
            )]));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(view(repo::flag(&app.db, id).await?.ok_or(ServiceError::NotFound)?))
}

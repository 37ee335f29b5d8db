//! Overspend justification (合理超支申报, the Dongying model; docs/rules/global-budget.md#year-end-settlement):
//! a community that overspent its budget files its reasons with amounts (an epidemic, a policy
//! change, new services …), the insurance bureau accepts part of it, and where the pool's shared
//! band needs justification (`justified_only`) the year-end shares only the accepted part, still
//! within the band. The community's side files, the bureau decides: never the same person.

use std::collections::HashMap;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_domain::Fen;
use sanyi_store::overspend::{self as repo, DECIDED, JustificationRow};
use sanyi_store::{StoreError, registry};

use crate::medicines::{covers_county, require_county};
use crate::{Actor, App, FieldError, Permission, ServiceError, audit};

/// Kinds of reasons a community may give (their names: `labels`, kind `overspend_reason`).
pub const REASONS: &[&str] = &["epidemic", "policy_change", "new_service", "case_mix", "other"];

/// One reason of a justification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = OverspendReason)]
pub struct Reason {
    /// `epidemic`, `policy_change`, `new_service`, `case_mix` or `other`.
    pub kind: String,
    /// Amount of overspend the reason explains, fen.
    pub amount: i64,
    /// What happened (required for `other`).
    #[serde(default)]
    pub note: String,
}

/// A justification to file.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[schema(as = OverspendFiling)]
pub struct FileInput {
    /// The community.
    pub community_id: String,
    /// Its reasons, at least one.
    pub reasons: Vec<Reason>,
}

/// The bureau's decision.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[schema(as = OverspendDecision)]
pub struct DecideInput {
    /// Amount accepted as reasonable, fen (0 … the amount claimed).
    pub accepted: i64,
    /// Why (required when less than claimed is accepted).
    #[serde(default)]
    pub note: String,
}

/// A justification as shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = OverspendJustification)]
pub struct JustificationView {
    /// County.
    pub division_code: String,
    /// Year.
    pub year: i64,
    /// Community.
    pub community_id: String,
    /// Its name.
    pub community: String,
    /// Reasons.
    pub reasons: Vec<Reason>,
    /// Sum claimed, fen.
    pub claimed: i64,
    /// Filed when.
    pub filed_at: chrono::DateTime<Utc>,
    /// Accepted, fen (none: not decided yet).
    pub accepted: Option<i64>,
    /// The bureau's note.
    pub decision_note: Option<String>,
    /// Decided when.
    pub decided_at: Option<chrono::DateTime<Utc>>,
}

fn reason_errors(reasons: &[Reason]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if reasons.is_empty() {
        errs.push(FieldError::new(
            "reasons",
            "overspend.reasons_required",
            "at least one reason with its amount",
            "Give at least one reason",
            "请至少填写一项超支原因",
        ));
    }
    for (i, r) in reasons.iter().enumerate() {
        if !REASONS.contains(&r.kind.as_str()) {
            errs.push(FieldError::new(
                &format!("reasons[{i}].kind"),
                "overspend.reason_kind",
                &REASONS.join(", "),
                &format!("Unknown reason kind {}", r.kind),
                "超支原因类别不正确",
            ));
        }
        if r.amount <= 0 {
            errs.push(FieldError::new(
                &format!("reasons[{i}].amount"),
                "overspend.amount_positive",
                "an amount above 0 fen",
                "The amount must be above zero",
                "金额须大于 0",
            ));
        }
        if r.kind == "other" && r.note.trim().is_empty() {
            errs.push(FieldError::new(
                &format!("reasons[{i}].note"),
                "overspend.note_required",
                "what happened",
                "Describe the reason",
                "“其他”原因须说明具体情况",
            ));
        }
    }
    errs
}

fn view(row: JustificationRow, names: &HashMap<String, String>) -> JustificationView {
    JustificationView {
        community: names.get(&row.community_id).cloned().unwrap_or_default(),
        reasons: serde_json::from_str(&row.reasons).unwrap_or_default(),
        division_code: row.division_code,
        year: row.year,
        community_id: row.community_id,
        claimed: row.claimed,
        filed_at: row.filed_at,
        accepted: row.accepted,
        decision_note: row.decision_note,
        decided_at: row.decided_at,
    }
}

async fn community(app: &App, actor: &Actor, id: &str) -> Result<registry::Community, ServiceError> {
    let c = registry::communities(&app.db, actor.scope.prefix())
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(ServiceError::NotFound)?;
    require_county(actor, &c.division_code)?;
    Ok(c)
}

fn decided_conflict() -> ServiceError {
    ServiceError::Conflict(vec![FieldError::new(
        "year",
        "overspend.decided_once",
        "a justification the bureau has not decided yet",
        "The bureau has decided on this justification already",
        "医保部门已作出认定，不能再修改",
    )])
}

/// Files (or refiles, until decided) a community's justification of its overspend in `year`.
///
/// # Errors
/// `Forbidden` without [`Permission::OverspendFile`]; `NotFound` for a community outside the
/// area; field errors on the reasons; `Conflict` once decided.
pub async fn file(app: &App, actor: &Actor, year: i32, input: &FileInput) -> Result<JustificationView, ServiceError> {
    actor.require(Permission::OverspendFile)?;
    let c = community(app, actor, &input.community_id).await?;
    let errs = reason_errors(&input.reasons);
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let claimed = Fen::sum(input.reasons.iter().map(|r| Fen::new(r.amount)))
        .map_err(|e| ServiceError::Internal(e.into()))?
        .get();
    let row = JustificationRow {
        division_code: c.division_code.clone(),
        year: i64::from(year),
        community_id: c.id.clone(),
        reasons: serde_json::to_string(&input.reasons).map_err(|e| ServiceError::Internal(e.into()))?,
        claimed,
        filed_by: actor.user_id.clone(),
        filed_at: Utc::now(),
        accepted: None,
        decision_note: None,
        decided_by: None,
        decided_at: None,
    };
    let a = audit::entry(
        actor,
        &c.division_code,
        "file",
        "overspend_justification",
        &format!("{}/{year}", c.id),
        None,
        &format!("claimed={claimed} reasons={}", input.reasons.len()),
    );
    match repo::file(&app.db, &row, &a).await {
        Err(StoreError::Constraint { constraint, .. }) if constraint == DECIDED => return Err(decided_conflict()),
        other => other?,
    }
    Ok(view(row, &HashMap::from([(c.id.clone(), c.name.clone())])))
}

/// The bureau accepts `accepted` of a filed justification as reasonable, once.
///
/// # Errors
/// `Forbidden` without [`Permission::OverspendDecide`]; `NotFound` when nothing was filed or the
/// community is outside the area; a field error when `accepted` is outside 0 … claimed or a
/// partial acceptance has no note; `Conflict` when decided already.
pub async fn decide(
    app: &App,
    actor: &Actor,
    year: i32,
    community_id: &str,
    input: &DecideInput,
) -> Result<JustificationView, ServiceError> {
    actor.require(Permission::OverspendDecide)?;
    let c = community(app, actor, community_id).await?;
    let filed = repo::of_year(&app.db, &c.division_code, i64::from(year))
        .await?
        .into_iter()
        .find(|j| j.community_id == c.id)
        .ok_or(ServiceError::NotFound)?;
    if filed.decided_at.is_some() {
        return Err(decided_conflict());
    }
    let mut errs = Vec::new();
    if !(0..=filed.claimed).contains(&input.accepted) {
        errs.push(FieldError::new(
            "accepted",
            "overspend.accepted_range",
            &format!("0 … {} fen (the amount claimed)", filed.claimed),
            "The accepted amount must lie between zero and the amount claimed",
            &format!("认定金额须在 0 至申报金额 {} 元之间", Fen::new(filed.claimed).to_yuan_string()),
        ));
    } else if input.accepted < filed.claimed && input.note.trim().is_empty() {
        errs.push(FieldError::new(
            "note",
            "overspend.note_required",
            "why part of the claim is not accepted",
            "Say why part of the claim is not accepted",
            "部分认定须说明理由",
        ));
    }
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let a = audit::entry(
        actor,
        &c.division_code,
        "decide",
        "overspend_justification",
        &format!("{}/{year}", c.id),
        None,
        &format!("claimed={} accepted={}", filed.claimed, input.accepted),
    );
    match repo::decide(
        &app.db,
        &c.division_code,
        i64::from(year),
        &c.id,
        input.accepted,
        input.note.trim(),
        &actor.user_id,
        &a,
    )
    .await
    {
        Ok(true) => {}
        Ok(false) => return Err(ServiceError::NotFound),
        Err(StoreError::Constraint { constraint, .. }) if constraint == DECIDED => return Err(decided_conflict()),
        Err(e) => return Err(e.into()),
    }
    // The answer from what was just written, not read back.
    let row = JustificationRow {
        accepted: Some(input.accepted),
        decision_note: Some(input.note.trim().to_owned()),
        decided_by: Some(actor.user_id.clone()),
        decided_at: Some(Utc::now()),
        ..filed
    };
    Ok(view(row, &HashMap::from([(c.id.clone(), c.name.clone())])))
}

/// The justifications of `year` in the actor's area.
///
/// # Errors
/// `Forbidden` for a role that neither files nor decides nor reads insurance.
pub async fn list(app: &App, actor: &Actor, year: i32) -> Result<Vec<JustificationView>, ServiceError> {
    if !actor.role.can(Permission::OverspendFile) && !actor.role.can(Permission::OverspendDecide) {
        actor.require(Permission::InsuranceRead)?;
    }
    let names: HashMap<String, String> = registry::communities(&app.db, actor.scope.prefix())
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    Ok(repo::of_year(&app.db, actor.scope.prefix(), i64::from(year))
        .await?
        .into_iter()
        .filter(|j| covers_county(actor, &j.division_code))
        .map(|j| view(j, &names))
        .collect())
}

/// The accepted amounts of a pool's year by community (decided justifications only), for the
/// year-end.
///
/// # Errors
/// On a database error.
pub(crate) async fn accepted_by_community(app: &App, pool: &str, year: i32) -> Result<HashMap<String, Fen>, ServiceError> {
    Ok(repo::of_year(&app.db, &pool[..pool.len().min(4)], i64::from(year))
        .await?
        .into_iter()
        .filter_map(|j| j.accepted.map(|a| (j.community_id, Fen::new(a))))
        .collect())
}

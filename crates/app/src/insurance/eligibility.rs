//! Eligibility records (待遇资格认定, docs/rules/benefits.md#outpatient-pooling and
//! docs/rules/benefits.md#critical-illness-and-assistance): the approval of a resident for a
//! chronic or special disease (门诊慢特病), a medical-assistance category (医疗救助对象) and
//! critical-illness status, each with the approving institution, a validity period, a review date
//! and its evidence. Settlement reads them: a chronic-disease claim needs an approval of its
//! disease on the day of care, and the person category of critical illness and assistance comes
//! from the records, never from what a form says.

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_insurance::PersonCategory;
use sanyi_store::eligibility::{self as repo, EligibilityRow};
use sanyi_store::registry;
use sanyi_store::residents as residents_repo;

use crate::{Actor, App, FieldError, Permission, ServiceError, audit};

/// An eligibility to record.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct EligibilityInput {
    /// `chronic_disease`, `assistance` or `critical_illness`.
    pub kind: String,
    /// Disease code of the pool's chronic list (e.g. `I10`), an assistance category
    /// (`extreme_poverty`, `subsistence`, `low_income`, `at_risk`), or `yes` for critical illness.
    pub code: String,
    /// Approving institution (e.g. the county hospital that assessed the disease).
    #[serde(default)]
    pub institution_id: Option<String>,
    /// First day valid.
    pub valid_from: NaiveDate,
    /// Last day valid.
    pub valid_to: NaiveDate,
    /// Review due.
    #[serde(default)]
    pub review_on: Option<NaiveDate>,
    /// Evidence (diagnosis, assessment or certificate reference).
    pub evidence: String,
}

/// An eligibility record as shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EligibilityView {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Code.
    pub code: String,
    /// Approving institution.
    pub institution_id: Option<String>,
    /// Its name.
    pub institution: Option<String>,
    /// First day valid.
    pub valid_from: NaiveDate,
    /// Last day valid.
    pub valid_to: NaiveDate,
    /// Review due.
    pub review_on: Option<NaiveDate>,
    /// Evidence.
    pub evidence: String,
    /// `active` or `revoked`.
    pub status: String,
    /// Why it was revoked.
    pub revoke_reason: Option<String>,
}

/// The assistance category of a code.
pub fn category_of(code: &str) -> Option<PersonCategory> {
    match code {
        "extreme_poverty" => Some(PersonCategory::ExtremePoverty),
        "subsistence" => Some(PersonCategory::Subsistence),
        "low_income" => Some(PersonCategory::LowIncome),
        "at_risk" => Some(PersonCategory::AtRisk),
        _ => None,
    }
}

fn view(e: EligibilityRow, names: &std::collections::HashMap<String, String>) -> EligibilityView {
    EligibilityView {
        institution: e.institution_id.as_ref().and_then(|i| names.get(i).cloned()),
        id: e.id,
        kind: e.kind,
        code: e.code,
        institution_id: e.institution_id,
        valid_from: e.valid_from,
        valid_to: e.valid_to,
        review_on: e.review_on,
        evidence: e.evidence,
        status: e.status,
        revoke_reason: e.revoke_reason,
    }
}

/// Records an eligibility of a resident of the officer's area.
///
/// # Errors
/// `NotFound` for a resident outside the area; `Validation` naming each bad field (an unknown
/// kind, a disease off the pool's chronic list in force on the first day, an unknown category, a
/// period ending before it starts, no evidence, an institution outside the pool).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn record(app: &App, actor: &Actor, resident_id: &str, input: &EligibilityInput) -> Result<EligibilityView, ServiceError> {
    actor.require(Permission::EnrolmentWrite)?;
    let r = residents_repo::get(&app.db, &actor.scope, resident_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let pool = format!("{}00", &r.division_code[..4]);
    let mut errs = Vec::new();
    match input.kind.as_str() {
        "chronic_disease" => {
            let policy = super::policies::in_force(app, &pool, input.valid_from).await?;
            let listed = policy.as_ref().is_some_and(|(_, p)| {
                p.schemes
                    .iter()
                    .any(|s| s.chronic.diseases.iter().any(|d| d.code == input.code.trim()))
            });
            if !listed {
                errs.push(FieldError::new(
                    "code",
                    "eligibility.chronic_listed",
                    "a disease of the pool's chronic and special-disease list in force on the first day",
                    &format!("{} is not on the pool's chronic-disease list", input.code),
                    &format!("{} 不在统筹区门诊慢特病病种目录中", input.code),
                ));
            }
        }
        "assistance" if category_of(input.code.trim()).is_none() => errs.push(FieldError::new(
            "code",
            "eligibility.category",
            "extreme_poverty, subsistence, low_income or at_risk",
            "Unknown assistance category",
            "救助对象类别须为 特困人员、低保对象、低收入人口 或 防返贫监测对象",
        )),
        "assistance" => {}
        "critical_illness" if input.code.trim() != "yes" => errs.push(FieldError::new(
            "code",
            "eligibility.critical",
            "yes",
            "Critical-illness status is recorded as yes",
            "大病状态填写 yes",
        )),
        "critical_illness" => {}
        "retired" if input.code.trim() != "yes" => errs.push(FieldError::new(
            "code",
            "eligibility.retired",
            "yes",
            "Retirement is recorded as yes",
            "退休人员填写 yes",
        )),
        "retired" => {}
        _ => errs.push(FieldError::new(
            "kind",
            "eligibility.kind",
            "chronic_disease, assistance, critical_illness or retired",
            "Unknown kind of eligibility",
            "资格类别须为 门诊慢特病、医疗救助、大病 或 退休人员",
        )),
    }
    if input.valid_to < input.valid_from {
        errs.push(FieldError::new(
            "valid_to",
            "period.order",
            "an end on or after the start",
            "The period ends before it starts",
            "有效期结束日早于开始日",
        ));
    }
    if input.review_on.is_some_and(|d| d < input.valid_from) {
        errs.push(FieldError::new(
            "review_on",
            "review.after_start",
            "a review on or after the start",
            "Review before the start",
            "复审日期早于生效日期",
        ));
    }
    if input.evidence.trim().is_empty() {
        errs.push(FieldError::required("evidence"));
    }
    let institution = match input.institution_id.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => match registry::institution(&app.db, id)
            .await?
            .filter(|i| i.division_code.get(..4) == r.division_code.get(..4))
        {
            Some(i) => Some(i),
            None => {
                errs.push(FieldError::new(
                    "institution_id",
                    "institution.pool",
                    "an institution of the pool",
                    "Unknown institution",
                    "认定机构不存在或不在本统筹区",
                ));
                None
            }
        },
        None => None,
    };
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let row = EligibilityRow {
        division_code: r.division_code.clone(),
        id: sanyi_store::new_id(),
        resident_id: r.id.clone(),
        kind: input.kind.clone(),
        code: input.code.trim().to_owned(),
        institution_division_code: institution.as_ref().map(|i| i.division_code.clone()),
        institution_id: institution.as_ref().map(|i| i.id.clone()),
        valid_from: input.valid_from,
        valid_to: input.valid_to,
        review_on: input.review_on,
        evidence: input.evidence.trim().to_owned(),
        status: "active".into(),
        recorded_by: actor.user_id.clone(),
        created_at: Utc::now(),
        revoked_at: None,
        revoke_reason: None,
    };
    let a = audit::entry(
        actor,
        &r.division_code,
        "create",
        "eligibility",
        &row.id,
        Some(&r.id),
        &format!("{}={}", row.kind, row.code),
    );
    repo::insert(&app.db, &[(row.clone(), a)]).await?;
    let names = registry::names(&app.db, &row.institution_id.iter().cloned().collect::<Vec<_>>()).await?;
    Ok(view(row, &names))
}

/// A resident's eligibility records (the read is audited).
///
/// # Errors
/// `NotFound` outside the area.
pub async fn of_resident(app: &App, actor: &Actor, resident_id: &str) -> Result<Vec<EligibilityView>, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let r = residents_repo::get(&app.db, &actor.scope, resident_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    app.audit
        .record(audit::entry(
            actor,
            &r.division_code,
            "read",
            "eligibility",
            &r.id,
            Some(&r.id),
            "eligibility",
        ))
        .await?;
    let rows = repo::of_resident(&app.db, &r.division_code, &r.id).await?;
    let ids: Vec<String> = rows.iter().filter_map(|e| e.institution_id.clone()).collect();
    let names = registry::names(&app.db, &ids).await?;
    Ok(rows.into_iter().map(|e| view(e, &names)).collect())
}

/// Why a record is revoked.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct RevokeInput {
    /// Reason (required).
    pub reason: String,
}

/// Revokes an active record (e.g. the review found the disease no longer qualifies).
///
/// # Errors
/// `NotFound` for an unknown or already revoked record; `Validation` without a reason.
pub async fn revoke(
    app: &App,
    actor: &Actor,
    resident_id: &str,
    id: &str,
    input: &RevokeInput,
) -> Result<Vec<EligibilityView>, ServiceError> {
    actor.require(Permission::EnrolmentWrite)?;
    let r = residents_repo::get(&app.db, &actor.scope, resident_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if input.reason.trim().is_empty() {
        return Err(ServiceError::Validation(vec![FieldError::required("reason")]));
    }
    let a = audit::entry(
        actor,
        &r.division_code,
        "revoke",
        "eligibility",
        id,
        Some(&r.id),
        input.reason.trim(),
    );
    repo::revoke(&app.db, &r.division_code, id, input.reason.trim(), &a).await?;
    of_resident(app, actor, resident_id).await
}

/// What settlement learns from the records for a claim: the person category and whether the
/// chronic disease of a `14` claim is approved on the day.
///
/// # Errors
/// Field errors (`claim.rejected.ChronicNotApproved` on `chronic_disease`,
/// `claim.rejected.CategoryNotRecorded` on `person`); database errors.
pub(crate) async fn for_claim(
    app: &App,
    county: &str,
    resident: &str,
    day: NaiveDate,
    chronic: Option<&str>,
    stated: Option<PersonCategory>,
) -> Result<(PersonCategory, bool, Vec<FieldError>), ServiceError> {
    let active = repo::active_on(&app.db, county, resident, day).await?;
    let mut errs = Vec::new();
    if let Some(code) = chronic
        && !active.iter().any(|e| e.kind == "chronic_disease" && e.code == code)
    {
        errs.push(FieldError::new(
            "chronic_disease",
            "claim.rejected.ChronicNotApproved",
            "a chronic-disease approval of the insured person for this disease, valid on the day of care",
            &format!("No approval of {code} for this person on {day}"),
            &format!("该参保人在 {day} 没有有效的 {code} 门诊慢特病认定"),
        ));
    }
    // The most protective recorded category (extreme poverty before subsistence before …).
    let recorded = active
        .iter()
        .filter(|e| e.kind == "assistance")
        .filter_map(|e| category_of(&e.code))
        .min_by_key(|c| match c {
            PersonCategory::ExtremePoverty => 0,
            PersonCategory::Subsistence => 1,
            PersonCategory::AtRisk => 2,
            PersonCategory::LowIncome => 3,
            PersonCategory::Ordinary => 4,
        })
        .unwrap_or(PersonCategory::Ordinary);
    if let Some(s) = stated
        && s != PersonCategory::Ordinary
        && s != recorded
    {
        errs.push(FieldError::new(
            "person",
            "claim.rejected.CategoryNotRecorded",
            "the assistance category recorded for the person on the day of care",
            "The stated category is not recorded for this person",
            "该参保人没有所填医疗救助类别的有效认定",
        ));
    }
    let retired = active.iter().any(|e| e.kind == "retired");
    Ok((recorded, retired, errs))
}

/// An approval whose review is due (待复审), as the officer's list shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DueReview {
    /// Resident record id.
    pub resident_id: String,
    /// Resident's name.
    pub resident_name: String,
    /// The record.
    pub eligibility: EligibilityView,
    /// Days until the review date (negative: overdue).
    pub days_left: i64,
}

/// The approvals in the actor's area whose review is due within `within_days` (overdue ones
/// included), the earliest first; the list is audited as a search of eligibility records.
///
/// # Errors
/// `Forbidden` without insurance read permission; a field error for a negative or too long
/// window.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn due_for_review(
    app: &App,
    actor: &Actor,
    within_days: i64,
    page: crate::Page,
) -> Result<sanyi_store::Paged<DueReview>, ServiceError> {
    actor.require(Permission::InsuranceRead)?;
    if !(0..=366).contains(&within_days) {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "within_days",
            "range",
            "0..=366",
            "The window is 0 to 366 days",
            "天数须在 0 至 366 之间",
        )]));
    }
    let today = sanyi_domain::time::today();
    let by = today + chrono::Duration::days(within_days);
    let rows = repo::due_for_review(&app.db, actor.scope.prefix(), by, page).await?;
    app.audit
        .record(audit::entry(
            actor,
            actor.scope.division_prefix(),
            "search",
            "eligibility",
            "-",
            None,
            &format!("review due within {within_days} days: {} records", rows.total),
        ))
        .await?;
    let resident_ids: Vec<String> = rows.items.iter().map(|e| e.resident_id.clone()).collect();
    let people = sanyi_store::residents::names(&app.db, &resident_ids).await?;
    let inst_ids: Vec<String> = rows.items.iter().filter_map(|e| e.institution_id.clone()).collect();
    let names = registry::names(&app.db, &inst_ids).await?;
    Ok(rows.map(|e| DueReview {
        resident_name: people.get(&e.resident_id).map(|p| p.0.clone()).unwrap_or_default(),
        resident_id: e.resident_id.clone(),
        days_left: e.review_on.map_or(0, |d| (d - today).num_days()),
        eligibility: view(e, &names),
    }))
}

/// How many approvals in the actor's area are due for review within 30 days (the workbench asks
/// on every visit: a count of records, no patient data read, so not audited).
///
/// # Errors
/// On a database error.
pub async fn reviews_due_count(app: &App, actor: &Actor) -> Result<i64, ServiceError> {
    if !actor.role.can(Permission::EnrolmentWrite) {
        return Ok(0);
    }
    let by = sanyi_domain::time::today() + chrono::Duration::days(30);
    Ok(repo::due_count(&app.db, actor.scope.prefix(), by).await?)
}

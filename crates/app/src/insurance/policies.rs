//! Benefit policy versions (医保待遇政策版本) of a pool: imported from TOML or JSON, validated by
//! the engine (every ratio ≤ 100 %, money non-negative, ordered bands …), stored with the date they
//! take effect. A new version never rewrites settled claims: each claim keeps the id of the version
//! it was settled under.

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use sanyi_insurance::Policy;
use sanyi_store::insurance::{self as repo, PolicyRow};

use super::{actor_pool, parse_document, problems};
use crate::{Actor, App, FieldError, Permission, ServiceError, audit};

/// A stored policy version.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PolicyView {
    /// Id.
    pub id: String,
    /// Pool.
    pub pool: String,
    /// Year.
    pub year: i64,
    /// Version label.
    pub version: String,
    /// First day in force.
    pub effective_from: NaiveDate,
    /// The policy document.
    #[schema(value_type = Object)]
    pub policy: serde_json::Value,
}

impl PolicyView {
    /// The policy document as the engine reads it.
    ///
    /// # Errors
    /// `Internal` when the stored document does not read as a policy.
    pub fn policy(&self) -> Result<sanyi_insurance::policy::Policy, ServiceError> {
        serde_json::from_value(self.policy.clone()).map_err(|e| ServiceError::Internal(e.into()))
    }

    /// The policy as the TOML document an officer edits and re-imports.
    ///
    /// # Errors
    /// `Internal` when the stored document no longer reads as a policy.
    pub fn toml(&self) -> Result<String, ServiceError> {
        toml::to_string_pretty(&self.policy()?).map_err(|e| ServiceError::Internal(e.into()))
    }
}

fn view(r: PolicyRow) -> PolicyView {
    PolicyView {
        policy: serde_json::from_str(&r.body).unwrap_or_default(),
        id: r.id,
        pool: r.division_code,
        year: r.year,
        version: r.version,
        effective_from: r.effective_from,
    }
}

/// Checks a policy document against the engine's rules and the pool's other versions.
fn check(policy: &Policy, pool: &str, existing: &[PolicyRow]) -> Vec<FieldError> {
    let mut errs = problems("", policy.validate());
    if policy.pool != pool {
        errs.push(FieldError::new(
            "pool",
            "policy.pool",
            pool,
            &format!("The policy is for pool {}, not {pool}", policy.pool),
            &format!("政策所属统筹区 {} 与 {pool} 不符", policy.pool),
        ));
    }
    if policy.effective_from.format("%Y").to_string() != policy.year.to_string() {
        errs.push(FieldError::new(
            "effective_from",
            "policy.effective_from.year",
            "a date inside the policy year",
            &format!("{} lies outside policy year {}", policy.effective_from, policy.year),
            &format!("生效日期 {} 不在政策年度 {} 内", policy.effective_from, policy.year),
        ));
    }
    if existing.iter().any(|r| r.effective_from == policy.effective_from) {
        errs.push(FieldError::new(
            "effective_from",
            "policy.overlap",
            "a day on which no other version of the pool starts",
            &format!("Another version of pool {pool} already takes effect on {}", policy.effective_from),
            &format!("统筹区 {pool} 已有 {} 生效的政策版本（有效期重叠）", policy.effective_from),
        ));
    }
    if existing
        .iter()
        .any(|r| i64::from(policy.year) == r.year && r.version == policy.version)
    {
        errs.push(FieldError::new(
            "version",
            "policy.version.unique",
            "a new version label for the year",
            &format!("Version {} of {} already exists", policy.version, policy.year),
            &format!("{} 年已有版本 {}", policy.year, policy.version),
        ));
    }
    errs
}

/// Validates and registers a policy version from a TOML (`toml = true`) or JSON document.
///
/// # Errors
/// `Validation` naming every broken rule (parse error, ratio above 100 %, overlapping validity,
/// duplicate label, other pool); nothing is stored then.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn import(app: &App, actor: &Actor, text: &str, toml: bool) -> Result<PolicyView, ServiceError> {
    actor.require_pool_level(Permission::InsuranceManage)?;
    let pool = actor_pool(actor, None)?;
    let policy: Policy = parse_document(text, toml, "policy")?;
    let existing = repo::policies(&app.db, &pool).await?;
    let errs = check(&policy, &pool, &existing);
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let row = PolicyRow {
        division_code: pool.clone(),
        id: sanyi_store::new_id(),
        year: i64::from(policy.year),
        version: policy.version.clone(),
        effective_from: policy.effective_from,
        body: serde_json::to_string(&policy).map_err(|e| ServiceError::Internal(e.into()))?,
        created_at: Utc::now(),
    };
    let a = audit::entry(
        actor,
        &pool,
        "create",
        "insurance_policy",
        &row.id,
        None,
        &format!("{} from {}", row.version, row.effective_from),
    );
    match repo::insert_policy(&app.db, &row, &a).await {
        Ok(()) => Ok(view(row)),
        Err(e) if e.is_unique_violation() => Err(ServiceError::Conflict(vec![FieldError::new(
            "effective_from",
            "policy.overlap",
            "a day on which no other version of the pool starts",
            "Another version was registered meanwhile for the same day or label",
            "同日或同名的政策版本已被登记",
        )])),
        Err(e) => Err(e.into()),
    }
}

/// Every version of the actor's pool, oldest first.
///
/// # Errors
/// `Forbidden` without read permission.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<PolicyView>, ServiceError> {
    actor.require(Permission::InsuranceRead)?;
    let pool = actor_pool(actor, None)?;
    Ok(repo::policies(&app.db, &pool).await?.into_iter().map(view).collect())
}

/// The version of `pool` in force on `date` with its id: the latest `effective_from` ≤ `date`.
///
/// # Errors
/// On a database error or a corrupt stored document.
#[tracing::instrument(skip_all)]
pub async fn in_force(app: &App, pool: &str, date: NaiveDate) -> Result<Option<(String, Policy)>, ServiceError> {
    let rows = repo::policies(&app.db, pool).await?;
    let Some(row) = rows
        .into_iter()
        .filter(|r| r.effective_from <= date)
        .max_by_key(|r| r.effective_from)
    else {
        return Ok(None);
    };
    let p: Policy = serde_json::from_str(&row.body).map_err(|e| ServiceError::Internal(e.into()))?;
    Ok(Some((row.id, p)))
}

/// Every version of a pool with its id (for bulk settlement, which picks per claim date).
///
/// # Errors
/// On a database error or a corrupt stored document.
#[tracing::instrument(skip_all)]
pub async fn versions(app: &App, pool: &str) -> Result<Vec<(String, Policy)>, ServiceError> {
    repo::policies(&app.db, pool)
        .await?
        .into_iter()
        .map(|r| {
            serde_json::from_str::<Policy>(&r.body)
                .map(|p| (r.id, p))
                .map_err(|e| ServiceError::Internal(e.into()))
        })
        .collect()
}

/// Registers a policy without an actor (demo seeding), checked like [`import`].
///
/// # Errors
/// `Validation` as for [`import`].
#[tracing::instrument(skip_all)]
pub async fn seed(app: &App, policy: &Policy) -> Result<String, ServiceError> {
    let existing = repo::policies(&app.db, &policy.pool).await?;
    let errs = check(policy, &policy.pool, &existing);
    if !errs.is_empty() {
        return Err(ServiceError::Validation(errs));
    }
    let row = PolicyRow {
        division_code: policy.pool.clone(),
        id: sanyi_store::new_id(),
        year: i64::from(policy.year),
        version: policy.version.clone(),
        effective_from: policy.effective_from,
        body: serde_json::to_string(policy).map_err(|e| ServiceError::Internal(e.into()))?,
        created_at: Utc::now(),
    };
    let a = audit::system_entry(&policy.pool, "create", "insurance_policy", &row.id, "demo policy");
    repo::insert_policy(&app.db, &row, &a).await?;
    Ok(row.id)
}

//! Eligibility records of residents (待遇资格认定): chronic and special-disease approvals,
//! medical-assistance categories and critical-illness status, each valid over a period.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::audit::AuditEntry;
use crate::{Db, StoreError, audit_insert_in_tx, dispatch, transaction};

/// One eligibility record.
#[derive(Clone, Debug, Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct EligibilityRow {
    /// Resident's county.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Resident.
    pub resident_id: String,
    /// `chronic_disease`, `assistance`, `critical_illness`.
    pub kind: String,
    /// Disease code (ICD-10), assistance category, or `yes`.
    pub code: String,
    /// County of the approving institution.
    pub institution_division_code: Option<String>,
    /// Approving institution.
    pub institution_id: Option<String>,
    /// First day valid.
    pub valid_from: NaiveDate,
    /// Last day valid.
    pub valid_to: NaiveDate,
    /// Review due (复审日期).
    pub review_on: Option<NaiveDate>,
    /// Evidence (diagnosis documents, certificate numbers).
    pub evidence: String,
    /// `active` or `revoked`.
    pub status: String,
    /// Recorded by (user id).
    pub recorded_by: String,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
    /// Revoked at.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why it was revoked.
    pub revoke_reason: Option<String>,
}

const COLUMNS: &str = "division_code, id, resident_id, kind, code, institution_division_code, institution_id, valid_from, valid_to, \
                       review_on, evidence, status, recorded_by, created_at, revoked_at, revoke_reason";

/// Stores records (one approval, or the demo's in bulk) with one audit entry each, in one transaction.
///
/// # Errors
/// On a database error (unknown resident or institution).
pub async fn insert(db: &Db, rows: &[(EligibilityRow, AuditEntry)]) -> Result<(), StoreError> {
    let sql =
        format!("INSERT INTO eligibilities ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)");
    transaction!(db, tx => {
        for (e, audit) in rows {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(&e.division_code).bind(&e.id).bind(&e.resident_id).bind(&e.kind).bind(&e.code)
                .bind(&e.institution_division_code).bind(&e.institution_id).bind(e.valid_from).bind(e.valid_to).bind(e.review_on)
                .bind(&e.evidence).bind(&e.status).bind(&e.recorded_by).bind(e.created_at).bind(e.revoked_at).bind(&e.revoke_reason)
                .execute(&mut *tx).await?;
            audit_insert_in_tx!(tx, audit);
        }
    });
    Ok(())
}

/// Every record of a resident, newest first.
///
/// # Errors
/// On a database error.
pub async fn of_resident(db: &Db, county: &str, resident: &str) -> Result<Vec<EligibilityRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM eligibilities WHERE division_code = $1 AND resident_id = $2 ORDER BY valid_from DESC, created_at DESC"
    );
    Ok(dispatch!(db, p => sqlx::query_as::<_, EligibilityRow>(sqlx::AssertSqlSafe(sql)).bind(county).bind(resident).fetch_all(p).await)?)
}

/// The active records of a resident valid on `day`.
///
/// # Errors
/// On a database error.
pub async fn active_on(db: &Db, county: &str, resident: &str, day: NaiveDate) -> Result<Vec<EligibilityRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM eligibilities WHERE division_code = $1 AND resident_id = $2 AND status = 'active' \
         AND valid_from <= $3 AND valid_to >= $3 ORDER BY kind, code"
    );
    Ok(
        dispatch!(db, p => sqlx::query_as::<_, EligibilityRow>(sqlx::AssertSqlSafe(sql)).bind(county).bind(resident).bind(day).fetch_all(p).await)?,
    )
}

/// Revokes an active record with its reason and audit entry.
///
/// # Errors
/// `NotFound` when no active record has that id.
pub async fn revoke(db: &Db, county: &str, id: &str, reason: &str, audit: &AuditEntry) -> Result<(), StoreError> {
    transaction!(db, tx => {
        let n = sqlx::query("UPDATE eligibilities SET status = 'revoked', revoked_at = $1, revoke_reason = $2 \
                             WHERE division_code = $3 AND id = $4 AND status = 'active'")
            .bind(Utc::now()).bind(reason).bind(county).bind(id)
            .execute(&mut *tx).await?.rows_affected();
        if n != 1 {
            return Err(StoreError::NotFound);
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// Active records of the counties under `prefix` whose review is due on or before `by`, the
/// earliest first.
///
/// # Errors
/// On a database error.
pub async fn due_for_review(db: &Db, prefix: &str, by: NaiveDate, page: crate::Page) -> Result<crate::Paged<EligibilityRow>, StoreError> {
    let like = format!("{prefix}%");
    let filter = "FROM eligibilities WHERE status = 'active' AND review_on IS NOT NULL AND review_on <= $1 AND division_code LIKE $2";
    let count_sql = format!("SELECT COUNT(*) {filter}");
    let sql = format!("SELECT {COLUMNS} {filter} ORDER BY review_on, division_code, id LIMIT $3 OFFSET $4");
    let (items, total) = dispatch!(db, p => {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql)).bind(by).bind(&like).fetch_one(p).await?;
        let items = sqlx::query_as::<_, EligibilityRow>(sqlx::AssertSqlSafe(sql)).bind(by).bind(&like)
            .bind(page.limit).bind(page.offset).fetch_all(p).await?;
        Ok::<_, sqlx::Error>((items, total))
    })?;
    Ok(crate::Paged::new(items, total, page))
}

/// How many active records of the counties under `prefix` are due for review on or before `by`.
///
/// # Errors
/// On a database error.
pub async fn due_count(db: &Db, prefix: &str, by: NaiveDate) -> Result<i64, StoreError> {
    let like = format!("{prefix}%");
    Ok(dispatch!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM eligibilities WHERE status = 'active' AND review_on IS NOT NULL AND review_on <= $1 AND division_code LIKE $2")
        .bind(by).bind(&like).fetch_one(p).await)?)
}

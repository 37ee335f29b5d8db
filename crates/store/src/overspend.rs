//! Overspend justifications (合理超支申报): a community's reasons for its overspend of a year, and
//! the part the insurance bureau accepted.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::AuditEntry;
use crate::{ConstraintKind, Db, StoreError, audit_insert_in_tx, dispatch, transaction};

/// The constraint reported when a decided justification is refiled or decided again.
pub const DECIDED: &str = "overspend_justifications.decided_once";

/// A justification row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct JustificationRow {
    /// County.
    pub division_code: String,
    /// Year.
    pub year: i64,
    /// Community.
    pub community_id: String,
    /// Reasons, a JSON array of `{kind, amount, note}`.
    pub reasons: String,
    /// Sum of the reasons' amounts, fen.
    pub claimed: i64,
    /// Who filed it (user id).
    pub filed_by: String,
    /// When.
    pub filed_at: DateTime<Utc>,
    /// Accepted by the bureau, fen (none until decided).
    pub accepted: Option<i64>,
    /// The bureau's note.
    pub decision_note: Option<String>,
    /// Who decided (user id).
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "division_code, year, community_id, reasons, claimed, filed_by, filed_at, accepted, decision_note, decided_by, decided_at";

fn decided() -> StoreError {
    StoreError::Constraint {
        kind: ConstraintKind::Check,
        constraint: DECIDED.into(),
        columns: vec!["decided_at".into()],
    }
}

/// Files (or refiles, until decided) a community's justification, with its audit entry.
///
/// # Errors
/// [`DECIDED`] once the bureau has decided; a database error.
pub async fn file(db: &Db, row: &JustificationRow, audit: &AuditEntry) -> Result<(), StoreError> {
    transaction!(db, tx => {
        let n = sqlx::query("INSERT INTO overspend_justifications (division_code, year, community_id, reasons, claimed, filed_by, filed_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             ON CONFLICT (division_code, year, community_id) DO UPDATE SET reasons = excluded.reasons, claimed = excluded.claimed, \
                             filed_by = excluded.filed_by, filed_at = excluded.filed_at WHERE overspend_justifications.decided_at IS NULL")
            .bind(&row.division_code).bind(row.year).bind(&row.community_id).bind(&row.reasons).bind(row.claimed)
            .bind(&row.filed_by).bind(row.filed_at)
            .execute(&mut *tx).await?.rows_affected();
        if n != 1 {
            return Err(decided());
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// Records the bureau's decision on a filed justification, once.
///
/// # Errors
/// `NotFound`-like `Ok(false)` when nothing was filed; [`DECIDED`] when decided already; the
/// `accepted <= claimed` check.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    db: &Db,
    county: &str,
    year: i64,
    community: &str,
    accepted: i64,
    note: &str,
    by: &str,
    audit: &AuditEntry,
) -> Result<bool, StoreError> {
    transaction!(db, tx => {
        let state: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(
            "SELECT decided_at FROM overspend_justifications WHERE division_code = $1 AND year = $2 AND community_id = $3")
            .bind(county).bind(year).bind(community)
            .fetch_optional(&mut *tx).await?;
        match state {
            None => return Ok(false),
            Some(Some(_)) => return Err(decided()),
            Some(None) => {}
        }
        sqlx::query("UPDATE overspend_justifications SET accepted = $1, decision_note = $2, decided_by = $3, decided_at = $4 \
                     WHERE division_code = $5 AND year = $6 AND community_id = $7 AND decided_at IS NULL")
            .bind(accepted).bind(note).bind(by).bind(Utc::now())
            .bind(county).bind(year).bind(community)
            .execute(&mut *tx).await?;
        audit_insert_in_tx!(tx, audit);
    });
    Ok(true)
}

/// The justifications of a year in the counties under `prefix`.
///
/// # Errors
/// On a database error.
pub async fn of_year(db: &Db, prefix: &str, year: i64) -> Result<Vec<JustificationRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM overspend_justifications WHERE division_code LIKE $1 AND year = $2 ORDER BY division_code, community_id"
    );
    let like = format!("{prefix}%");
    Ok(
        dispatch!(db, p => sqlx::query_as::<_, JustificationRow>(sqlx::AssertSqlSafe(sql.clone())).bind(&like).bind(year).fetch_all(p).await)?,
    )
}

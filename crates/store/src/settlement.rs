//! Settlement runs as an append-only history (结算批次), their approvals by a second officer
//! (复核) and the fund's ledger of payments to each community (基金拨付台账). Nothing here is
//! ever updated or deleted: the tables refuse it (migration 0026).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::AuditEntry;
use crate::{ConstraintKind, Db, StoreError, audit_insert_in_tx, dispatch, transaction};

/// The constraint reported when a run that is not the latest of its period is approved.
pub const SUPERSEDED: &str = "settlement_runs.superseded";

/// A run to store (its number is given by the store).
#[derive(Clone, Debug)]
pub struct NewRun<'a> {
    /// Pool.
    pub pool: &'a str,
    /// Year.
    pub year: i64,
    /// Month of an interim run, 0 for the year-end.
    pub month: i64,
    /// Inputs, JSON.
    pub inputs: &'a str,
    /// Report, JSON.
    pub report: &'a str,
    /// Its digest.
    pub digest: &'a str,
    /// Who ran it (user id, or `system`).
    pub run_by: &'a str,
}

/// A stored run without its report and inputs, with its approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RunRow {
    /// Year.
    pub year: i64,
    /// Month (0: year-end).
    pub month: i64,
    /// Number within the period, from 1.
    pub number: i64,
    /// Digest of the report.
    pub digest: String,
    /// Who ran it.
    pub run_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Who approved it.
    pub approved_by: Option<String>,
    /// When.
    pub approved_at: Option<DateTime<Utc>>,
    /// The approver's note.
    pub note: Option<String>,
}

const RUN_COLUMNS: &str = "r.year, r.month, r.number, r.digest, r.run_by, r.created_at, a.approved_by, a.approved_at, a.note";
const RUN_FROM: &str = "settlement_runs r LEFT JOIN settlement_run_approvals a \
    ON a.division_code = r.division_code AND a.year = r.year AND a.month = r.month AND a.number = r.number";

/// A ledger entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LedgerRow {
    /// The community's county.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Pool.
    pub pool: String,
    /// Year.
    pub year: i64,
    /// Month 1–12.
    pub month: i64,
    /// Community.
    pub community_id: String,
    /// `prepayment` or `year_end`.
    pub kind: String,
    /// Posting number of its (community, year, month, kind).
    pub seq: i64,
    /// Amount, fen (negative: correction or clawback).
    pub amount: i64,
    /// Month of the run whose approval posted it (0: year-end).
    pub run_month: i64,
    /// Number of that run.
    pub run_number: i64,
    /// Who approved (user id).
    pub posted_by: String,
    /// When.
    pub posted_at: DateTime<Utc>,
}

const LEDGER_COLUMNS: &str =
    "division_code, id, pool, year, month, community_id, kind, seq, amount, run_month, run_number, posted_by, posted_at";

/// Stores a new run of a period as the next number, with its audit entry (whose entity id the
/// store completes with the number: `audit.entity_id` + `/` + number). Returns the number.
///
/// # Errors
/// A unique violation when another run of the period was stored at the same moment; a
/// database error.
pub async fn put_run(db: &Db, run: &NewRun<'_>, audit: &AuditEntry) -> Result<i64, StoreError> {
    let number = transaction!(db, tx => {
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(number) FROM settlement_runs WHERE division_code = $1 AND year = $2 AND month = $3")
            .bind(run.pool).bind(run.year).bind(run.month)
            .fetch_one(&mut *tx).await?;
        let number = last.unwrap_or(0) + 1;
        sqlx::query("INSERT INTO settlement_runs (division_code, year, month, number, inputs, report, digest, run_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(run.pool).bind(run.year).bind(run.month).bind(number).bind(run.inputs).bind(run.report)
            .bind(run.digest).bind(run.run_by).bind(Utc::now())
            .execute(&mut *tx).await?;
        let mut a = audit.clone();
        a.entity_id = format!("{}/{number}", a.entity_id);
        audit_insert_in_tx!(tx, &a);
        number
    });
    Ok(number)
}

/// The runs of a period, newest first.
///
/// # Errors
/// On a database error.
pub async fn runs(db: &Db, pool: &str, year: i64, month: i64) -> Result<Vec<RunRow>, StoreError> {
    let sql =
        format!("SELECT {RUN_COLUMNS} FROM {RUN_FROM} WHERE r.division_code = $1 AND r.year = $2 AND r.month = $3 ORDER BY r.number DESC");
    Ok(dispatch!(db, p => sqlx::query_as::<_, RunRow>(sqlx::AssertSqlSafe(sql.clone()))
        .bind(pool).bind(year).bind(month).fetch_all(p).await)?)
}

/// The runs of every period of a year, newest first within each period.
///
/// # Errors
/// On a database error.
pub async fn runs_of_year(db: &Db, pool: &str, year: i64) -> Result<Vec<RunRow>, StoreError> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM {RUN_FROM} WHERE r.division_code = $1 AND r.year = $2 ORDER BY r.month, r.number DESC");
    Ok(dispatch!(db, p => sqlx::query_as::<_, RunRow>(sqlx::AssertSqlSafe(sql.clone()))
        .bind(pool).bind(year).fetch_all(p).await)?)
}

/// The report and inputs of a run (`number` `None`: the latest of the period).
///
/// # Errors
/// On a database error.
pub async fn report(db: &Db, pool: &str, year: i64, month: i64, number: Option<i64>) -> Result<Option<(i64, String, String)>, StoreError> {
    Ok(match number {
        Some(n) => dispatch!(db, p => sqlx::query_as::<_, (i64, String, String)>(
            "SELECT number, report, inputs FROM settlement_runs WHERE division_code = $1 AND year = $2 AND month = $3 AND number = $4")
            .bind(pool).bind(year).bind(month).bind(n).fetch_optional(p).await)?,
        None => dispatch!(db, p => sqlx::query_as::<_, (i64, String, String)>(
            "SELECT number, report, inputs FROM settlement_runs WHERE division_code = $1 AND year = $2 AND month = $3 \
             ORDER BY number DESC LIMIT 1")
            .bind(pool).bind(year).bind(month).fetch_optional(p).await)?,
    })
}

/// Whether a period has a run (without reading its report).
///
/// # Errors
/// On a database error.
pub async fn run_exists(db: &Db, pool: &str, year: i64, month: i64) -> Result<bool, StoreError> {
    // COUNT(*) is a 64-bit integer on both backends (a bare `SELECT 1` is int4 on PostgreSQL).
    let n: i64 = dispatch!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM settlement_runs WHERE division_code = $1 AND year = $2 AND month = $3")
        .bind(pool).bind(year).bind(month).fetch_one(p).await)?;
    Ok(n > 0)
}

/// The ledger of a pool's year, in posting order per key.
///
/// # Errors
/// On a database error.
pub async fn ledger(db: &Db, pool: &str, year: i64) -> Result<Vec<LedgerRow>, StoreError> {
    let sql = format!(
        "SELECT {LEDGER_COLUMNS} FROM fund_ledger WHERE pool = $1 AND year = $2 ORDER BY division_code, community_id, month, kind, seq"
    );
    Ok(dispatch!(db, p => sqlx::query_as::<_, LedgerRow>(sqlx::AssertSqlSafe(sql.clone()))
        .bind(pool).bind(year).fetch_all(p).await)?)
}

/// An approval to record.
#[derive(Clone, Debug)]
pub struct Approval<'a> {
    /// Pool.
    pub pool: &'a str,
    /// Year.
    pub year: i64,
    /// Month (0: year-end).
    pub month: i64,
    /// Run number.
    pub number: i64,
    /// Approver (user id).
    pub by: &'a str,
    /// Note.
    pub note: &'a str,
}

/// Records the approval of the latest run of its period and posts its ledger entries (numbered
/// by the caller from the ledger it read), with the audit entry, in one transaction.
///
/// # Errors
/// [`SUPERSEDED`] when a later run of the period exists; a unique violation when the run is
/// approved already or another approval posted the same entries meanwhile; a database error.
pub async fn approve(db: &Db, approval: &Approval<'_>, entries: &[LedgerRow], audit: &AuditEntry) -> Result<(), StoreError> {
    transaction!(db, tx => {
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(number) FROM settlement_runs WHERE division_code = $1 AND year = $2 AND month = $3")
            .bind(approval.pool).bind(approval.year).bind(approval.month)
            .fetch_one(&mut *tx).await?;
        if last != Some(approval.number) {
            return Err(StoreError::Constraint {
                kind: ConstraintKind::Check,
                constraint: SUPERSEDED.into(),
                columns: vec!["number".into()],
            });
        }
        sqlx::query("INSERT INTO settlement_run_approvals (division_code, year, month, number, approved_by, approved_at, note) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(approval.pool).bind(approval.year).bind(approval.month).bind(approval.number)
            .bind(approval.by).bind(Utc::now()).bind(approval.note)
            .execute(&mut *tx).await?;
        for e in entries {
            let sql = format!("INSERT INTO fund_ledger ({LEDGER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&e.division_code).bind(&e.id).bind(&e.pool).bind(e.year).bind(e.month).bind(&e.community_id)
                .bind(&e.kind).bind(e.seq).bind(e.amount).bind(e.run_month).bind(e.run_number).bind(&e.posted_by).bind(e.posted_at)
                .execute(&mut *tx).await?;
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

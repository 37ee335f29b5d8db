//! Two-way referrals (双向转诊) and their transition history.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::AuditEntry;
use crate::workflow::{Side, Workflow, WorkflowEvent, insert_event};
use crate::{Db, Page, Paged, StoreError, audit_insert_in_tx, dispatch, transaction};

/// Referral row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ReferralRow {
    /// Sender's county.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Resident referred.
    pub resident_id: String,
    /// Sending institution.
    pub sender_institution_id: String,
    /// Receiver's county.
    pub receiver_division_code: String,
    /// Receiving institution.
    pub receiver_institution_id: String,
    /// `upward`, `downward`, `lateral`.
    pub direction: String,
    /// `routine` or `emergency`.
    pub urgency: String,
    /// Engine state (snake_case).
    pub state: String,
    /// Reason for the referral.
    pub reason: String,
    /// Clinical summary.
    pub summary: String,
    /// JSON array of ICD-10 codes.
    pub diagnoses: String,
    /// The care engine's referral, JSON.
    pub engine: String,
    /// Patient consent, JSON (`null` when not recorded yet).
    pub consent: String,
    /// Recent results sent with the referral, JSON array.
    pub results: String,
    /// The care engine's indicator summary, JSON (empty on rows written before it existed).
    pub digest: String,
    /// Optimistic version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "division_code, id, resident_id, sender_institution_id, receiver_division_code, receiver_institution_id, \
     direction, urgency, state, reason, summary, diagnoses, engine, consent, results, digest, version, created_at, updated_at";

impl crate::workflow::WorkflowRow for ReferralRow {
    const WORKFLOW: Workflow = Workflow::Referral;
    const COLUMNS: &'static str = COLUMNS;
}

impl crate::workflow::HasVersion for ReferralRow {
    fn version(&self) -> i64 {
        self.version
    }
}

/// Inserts one referral row with the transaction `$tx`.
macro_rules! insert_row {
    ($tx:ident, $r:expr) => {{
        let r: &ReferralRow = $r;
        let sql = format!(
            "INSERT INTO referrals ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&r.division_code).bind(&r.id).bind(&r.resident_id).bind(&r.sender_institution_id)
            .bind(&r.receiver_division_code).bind(&r.receiver_institution_id).bind(&r.direction).bind(&r.urgency)
            .bind(&r.state).bind(&r.reason).bind(&r.summary).bind(&r.diagnoses).bind(&r.engine)
            .bind(&r.consent).bind(&r.results).bind(&r.digest).bind(r.version)
            .bind(r.created_at).bind(r.updated_at)
            .execute(&mut *$tx).await?;
    }};
}

/// Records the down-referral target of a referral with the transaction `$tx`.
macro_rules! insert_down_target {
    ($tx:ident, $r:expr, $t:expr) => {{
        let (r, t): (&ReferralRow, &DownTarget) = ($r, $t);
        sqlx::query(
            "INSERT INTO referral_down_targets (division_code, referral_id, target_division_code, target_institution_id) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&r.division_code)
        .bind(&r.id)
        .bind(&t.division_code)
        .bind(&t.institution_id)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Stores a new referral with its first events and audit entry, atomically.
///
/// # Errors
/// On a constraint or database error (nothing is written then); `Constraint` (unique) for a
/// second open referral of the resident from the sender to the receiver.
pub async fn insert(
    db: &Db,
    r: &ReferralRow,
    events: &[WorkflowEvent],
    down_target: Option<&DownTarget>,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    transaction!(db, tx => {
        insert_row!(tx, r);
        for e in events {
            insert_event!(tx, Workflow::Referral, e);
        }
        if let Some(t) = down_target {
            insert_down_target!(tx, r, t);
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// The institution a down-referral plan sends the patient back to (下转接收机构).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownTarget {
    /// The target's county.
    pub division_code: String,
    /// The target institution.
    pub institution_id: String,
}

/// One transition of a referral as stored by [`update`].
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    /// The referral after the transition.
    pub row: &'a ReferralRow,
    /// The version it was read at.
    pub expected_version: i64,
    /// The transition.
    pub event: &'a WorkflowEvent,
    /// The down-referral target, when the transition sets the plan.
    pub down_target: Option<&'a DownTarget>,
    /// A referral the transition creates (the alternative receiver of a rejection), with its
    /// first events.
    pub spawned: Option<(&'a ReferralRow, &'a [WorkflowEvent])>,
    /// The audit entry, for actions by people.
    pub audit: Option<&'a AuditEntry>,
}

/// Saves a transition if the referral is still at `expected_version`, with its event, the
/// down-referral target and the spawned referral when the transition has them, and the audit
/// entry, atomically.
///
/// # Errors
/// `VersionConflict` when someone else changed it first; `Constraint` (unique) when the change
/// would make a second open referral of the resident from the sender to the receiver; a database
/// error. Nothing is written then.
pub async fn update(db: &Db, c: &Change<'_>) -> Result<(), StoreError> {
    let r = c.row;
    let changed = transaction!(db, tx => {
        let n = sqlx::query(
            "UPDATE referrals SET state = $1, engine = $2, receiver_division_code = $3, receiver_institution_id = $4, \
             version = version + 1, updated_at = $5, digest = $6, consent = $7, direction = $8 \
             WHERE division_code = $9 AND id = $10 AND version = $11")
            .bind(&r.state).bind(&r.engine).bind(&r.receiver_division_code).bind(&r.receiver_institution_id)
            .bind(r.updated_at).bind(&r.digest).bind(&r.consent).bind(&r.direction).bind(&r.division_code).bind(&r.id)
            .bind(c.expected_version)
            .execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            insert_event!(tx, Workflow::Referral, c.event);
            if let Some(t) = c.down_target {
                insert_down_target!(tx, r, t);
            }
            if let Some((new, events)) = c.spawned {
                insert_row!(tx, new);
                for e in events {
                    insert_event!(tx, Workflow::Referral, e);
                }
            }
            if let Some(a) = c.audit {
                audit_insert_in_tx!(tx, a);
            }
        }
        n == 1
    });
    if changed {
        Ok(())
    } else {
        Err(crate::workflow::version_conflict::<ReferralRow>(db, &r.id).await)
    }
}

/// A referral by id.
///
/// # Errors
/// On a database error.
pub async fn get(db: &Db, id: &str) -> Result<Option<ReferralRow>, StoreError> {
    crate::workflow::get(db, id).await
}

/// One line of a referral list: what a list shows, without the engine state, consent or results.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReferralLine {
    /// Sender's county.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Resident.
    pub resident_id: String,
    /// Sender.
    pub sender_institution_id: String,
    /// Receiver.
    pub receiver_institution_id: String,
    /// `upward`, `downward`, `lateral`.
    pub direction: String,
    /// `routine` or `emergency`.
    pub urgency: String,
    /// State code.
    pub state: String,
    /// Reason.
    pub reason: String,
    /// Optimistic version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

const LINE_COLUMNS: &str = "r.division_code, r.id, r.resident_id, r.sender_institution_id, r.receiver_institution_id, r.direction, r.urgency, r.state, \
     r.reason, r.version, r.created_at, r.updated_at";

/// One page of the referrals sent or received by an institution (or, with `down`, down-referred to
/// it), newest change first, with the number of all matching rows. The state filter is its own
/// SQL text so that the (institution, state) index answers it.
///
/// # Errors
/// On a database error.
pub async fn page(
    db: &Db,
    division: &str,
    institution_id: &str,
    side: Option<Side>,
    state: Option<&str>,
    page: Page,
) -> Result<Paged<ReferralLine>, StoreError> {
    let (from, county, who) = match side {
        Some(side) => {
            let (county, who) = Workflow::Referral.side_columns(side);
            ("referrals r".to_owned(), format!("r.{county}"), format!("r.{who}"))
        }
        None => (
            "referrals r JOIN referral_down_targets d ON d.division_code = r.division_code AND d.referral_id = r.id".to_owned(),
            "d.target_division_code".to_owned(),
            "d.target_institution_id".to_owned(),
        ),
    };
    let filter = if state.is_some() { " AND r.state = $3" } else { " AND $3 = ''" };
    // The total: from the counters the triggers keep (a few rows), or counted for the down box.
    let count_sql = match side {
        Some(side) => format!(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM referral_counts r WHERE r.division_code = $1 AND r.institution_id = $2 \
             AND r.side = '{}'{filter}",
            if side == Side::In { "in" } else { "out" }
        ),
        None => format!("SELECT COUNT(*) FROM {from} WHERE {county} = $1 AND {who} = $2{filter}"),
    };
    let rows_sql = format!(
        "SELECT {LINE_COLUMNS} FROM {from} WHERE {county} = $1 AND {who} = $2{filter} ORDER BY r.updated_at DESC, r.id DESC LIMIT $4 OFFSET $5"
    );
    let state = state.unwrap_or("");
    let (total, items) = dispatch!(db, pool => {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(division).bind(institution_id).bind(state).fetch_one(pool).await?;
        let items = sqlx::query_as::<_, ReferralLine>(sqlx::AssertSqlSafe(rows_sql))
            .bind(division).bind(institution_id).bind(state).bind(page.limit).bind(page.offset)
            .fetch_all(pool).await?;
        Ok::<_, sqlx::Error>((total, items))
    })?;
    Ok(crate::Paged::new(items, total, page))
}

/// The indicator digest of one referral.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DigestRow {
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Sending institution.
    pub sender_institution_id: String,
    /// Receiving institution.
    pub receiver_institution_id: String,
    /// The engine's indicator summary, JSON.
    pub digest: String,
    /// The engine's referral, JSON: filled only for rows without a digest (written before digests).
    pub engine: String,
}

/// Indicator digests of the referrals created in `[from, to)` in an area: read from the covering
/// index `referrals_digest`, plus the engine state of any row written before digests existed.
///
/// # Errors
/// On a database error.
pub async fn digests_between(db: &Db, division_prefix: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<DigestRow>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(division_prefix);
    let range = "FROM referrals WHERE division_code >= $1 AND division_code < $2 AND created_at >= $3 AND created_at < $4";
    let with_digest =
        format!("SELECT created_at, sender_institution_id, receiver_institution_id, digest, '' AS engine {range} AND digest <> ''");
    let without = format!("SELECT created_at, sender_institution_id, receiver_institution_id, digest, engine {range} AND digest = ''");
    let mut rows = Vec::new();
    for sql in [with_digest, without] {
        rows.extend(dispatch!(db, pool => sqlx::query_as::<_, DigestRow>(sqlx::AssertSqlSafe(sql))
            .bind(&lo).bind(&hi).bind(from).bind(to).fetch_all(pool).await)?);
    }
    Ok(rows)
}

/// The referrals of a resident, newest change first.
///
/// # Errors
/// On a database error.
pub async fn of_resident(db: &Db, resident_id: &str) -> Result<Vec<ReferralRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM referrals WHERE resident_id = $1 ORDER BY updated_at DESC LIMIT 50");
    Ok(dispatch!(db, pool => sqlx::query_as::<_, ReferralRow>(sqlx::AssertSqlSafe(sql)).bind(resident_id).fetch_all(pool).await)?)
}

/// The down-referral target of a referral, once a plan names one.
///
/// # Errors
/// On a database error.
pub async fn down_target(db: &Db, division: &str, referral_id: &str) -> Result<Option<DownTarget>, StoreError> {
    let sql = "SELECT target_division_code, target_institution_id FROM referral_down_targets WHERE division_code = $1 AND referral_id = $2";
    let row =
        dispatch!(db, pool => sqlx::query_as::<_, (String, String)>(sql).bind(division).bind(referral_id).fetch_optional(pool).await)?;
    Ok(row.map(|(division_code, institution_id)| DownTarget {
        division_code,
        institution_id,
    }))
}

/// Referrals down-referred to an institution (下转接收), newest change first (at most `limit`).
///
/// # Errors
/// On a database error.
pub async fn list_down(
    db: &Db,
    division: &str,
    institution_id: &str,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<ReferralRow>, StoreError> {
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("r.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns} FROM referrals r JOIN referral_down_targets d ON d.division_code = r.division_code AND d.referral_id = r.id \
         WHERE d.target_division_code = $1 AND d.target_institution_id = $2 AND ($3 = '' OR r.state = $3) ORDER BY r.updated_at DESC LIMIT $4"
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, ReferralRow>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(institution_id).bind(state.unwrap_or("")).bind(limit).fetch_all(pool).await)?)
}

/// Number of the referrals down-referred to an institution, per state.
///
/// # Errors
/// On a database error.
pub async fn count_down_by_state(db: &Db, division: &str, institution_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
    let sql = "SELECT r.state, COUNT(*) FROM referrals r JOIN referral_down_targets d ON d.division_code = r.division_code AND d.referral_id = r.id \
               WHERE d.target_division_code = $1 AND d.target_institution_id = $2 GROUP BY r.state ORDER BY r.state";
    Ok(dispatch!(db, pool => sqlx::query_as::<_, (String, i64)>(sql).bind(division).bind(institution_id).fetch_all(pool).await)?)
}

//! Remote consultations (远程会诊) and their transition history.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::AuditEntry;
use crate::workflow::{Side, Workflow, WorkflowEvent, insert_event};
use crate::{Db, StoreError, audit_insert_in_tx, dispatch, transaction, write_one};

/// Consultation row.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ConsultationRow {
    /// Inviting institution's county.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Resident concerned.
    pub resident_id: String,
    /// Inviting institution (邀请方).
    pub inviting_institution_id: String,
    /// Invited institution's county.
    pub invited_division_code: String,
    /// Invited institution (受邀方).
    pub invited_institution_id: String,
    /// Requested specialty.
    pub specialty: String,
    /// `routine` or `emergency`.
    pub urgency: String,
    /// `sync` (video session) or `async`.
    pub mode: String,
    /// Engine state (snake_case).
    pub state: String,
    /// The question asked.
    pub question: String,
    /// Clinical summary.
    pub summary: String,
    /// The care engine's consultation, JSON.
    pub engine: String,
    /// Optimistic version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "division_code, id, resident_id, inviting_institution_id, invited_division_code, invited_institution_id, \
     specialty, urgency, mode, state, question, summary, engine, version, created_at, updated_at";

impl crate::workflow::WorkflowRow for ConsultationRow {
    const WORKFLOW: Workflow = Workflow::Consultation;
    const COLUMNS: &'static str = COLUMNS;
}

impl crate::workflow::HasVersion for ConsultationRow {
    fn version(&self) -> i64 {
        self.version
    }
}

/// Stores a new consultation with its first events and audit entry, atomically.
///
/// # Errors
/// On a constraint or database error (nothing is written then).
pub async fn insert(db: &Db, r: &ConsultationRow, events: &[WorkflowEvent], audit: &AuditEntry) -> Result<(), StoreError> {
    let sql =
        format!("INSERT INTO consultations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)");
    transaction!(db, tx => {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&r.division_code).bind(&r.id).bind(&r.resident_id).bind(&r.inviting_institution_id)
            .bind(&r.invited_division_code).bind(&r.invited_institution_id).bind(&r.specialty).bind(&r.urgency)
            .bind(&r.mode).bind(&r.state).bind(&r.question).bind(&r.summary).bind(&r.engine).bind(r.version)
            .bind(r.created_at).bind(r.updated_at)
            .execute(&mut *tx).await?;
        for e in events {
            insert_event!(tx, Workflow::Consultation, e);
        }
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// Saves a transition if the consultation is still at `expected_version`, with its event and (for
/// actions by people) the audit entry, atomically.
///
/// # Errors
/// `VersionConflict` when someone else changed it first; a database error.
pub async fn update(
    db: &Db,
    r: &ConsultationRow,
    expected_version: i64,
    event: &WorkflowEvent,
    audit: Option<&AuditEntry>,
) -> Result<(), StoreError> {
    let changed = transaction!(db, tx => {
        let n = sqlx::query(
            "UPDATE consultations SET state = $1, engine = $2, invited_division_code = $3, invited_institution_id = $4, \
             version = version + 1, updated_at = $5 WHERE division_code = $6 AND id = $7 AND version = $8")
            .bind(&r.state).bind(&r.engine).bind(&r.invited_division_code).bind(&r.invited_institution_id)
            .bind(r.updated_at).bind(&r.division_code).bind(&r.id).bind(expected_version)
            .execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            insert_event!(tx, Workflow::Consultation, event);
            if let Some(a) = audit {
                audit_insert_in_tx!(tx, a);
            }
        }
        n == 1
    });
    if changed {
        Ok(())
    } else {
        Err(crate::workflow::version_conflict::<ConsultationRow>(db, &r.id).await)
    }
}

/// A consultation by id.
///
/// # Errors
/// On a database error.
pub async fn get(db: &Db, id: &str) -> Result<Option<ConsultationRow>, StoreError> {
    crate::workflow::get(db, id).await
}

/// One page of the consultations requested or received by an institution, newest change first,
/// with the number of all matching rows.
///
/// # Errors
/// On a database error.
pub async fn page(
    db: &Db,
    division: &str,
    institution_id: &str,
    side: Side,
    state: Option<&str>,
    page: crate::Page,
) -> Result<crate::Paged<ConsultationRow>, StoreError> {
    let (county, who) = Workflow::Consultation.side_columns(side);
    let filter = if state.is_some() { "state = $3" } else { "$3 = ''" };
    let count = format!("SELECT COUNT(*) FROM consultations WHERE {county} = $1 AND {who} = $2 AND {filter}");
    let sql = format!(
        "SELECT {COLUMNS} FROM consultations WHERE {county} = $1 AND {who} = $2 AND {filter} ORDER BY updated_at DESC, id DESC LIMIT $4 OFFSET $5"
    );
    let state = state.unwrap_or("");
    let (total, items) = dispatch!(db, pool => {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count))
            .bind(division).bind(institution_id).bind(state).fetch_one(pool).await?;
        let items = sqlx::query_as::<_, ConsultationRow>(sqlx::AssertSqlSafe(sql))
            .bind(division).bind(institution_id).bind(state).bind(page.limit).bind(page.offset)
            .fetch_all(pool).await?;
        Ok::<_, sqlx::Error>((total, items))
    })?;
    Ok(crate::Paged::new(items, total, page))
}

/// A recorded video session of a consultation (for billing in 30-minute units).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct CallSessionRow {
    /// Inviting institution's county.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// Consultation.
    pub consultation_id: String,
    /// When the second participant connected.
    pub started_at: DateTime<Utc>,
    /// When fewer than two remained.
    pub ended_at: DateTime<Utc>,
    /// Duration in seconds.
    pub duration_seconds: i64,
    /// JSON array of the usernames that took part.
    pub participants: String,
}

/// Records a video session.
///
/// # Errors
/// On a database error.
pub async fn insert_call_session(db: &Db, s: &CallSessionRow) -> Result<(), StoreError> {
    write_one!(db, pool => sqlx::query(
        "INSERT INTO call_sessions (division_code, id, consultation_id, started_at, ended_at, duration_seconds, participants) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&s.division_code).bind(&s.id).bind(&s.consultation_id).bind(s.started_at).bind(s.ended_at)
        .bind(s.duration_seconds).bind(&s.participants)
        .execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Video sessions of a consultation, oldest first.
///
/// # Errors
/// On a database error.
pub async fn call_sessions(db: &Db, division: &str, consultation_id: &str) -> Result<Vec<CallSessionRow>, StoreError> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, CallSessionRow>(
        "SELECT division_code, id, consultation_id, started_at, ended_at, duration_seconds, participants FROM call_sessions \
         WHERE division_code = $1 AND consultation_id = $2 ORDER BY started_at")
        .bind(division).bind(consultation_id).fetch_all(pool).await)?)
}

/// Consultations of counties under `division_prefix` requested in `[from, to)`.
///
/// # Errors
/// On a database error.
pub async fn created_between(
    db: &Db,
    division_prefix: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ConsultationRow>, StoreError> {
    let (lo, hi) = crate::registry::prefix_range(division_prefix);
    let sql = format!(
        "SELECT {COLUMNS} FROM consultations WHERE division_code >= $1 AND division_code < $2 AND created_at >= $3 AND created_at < $4"
    );
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, ConsultationRow>(sqlx::AssertSqlSafe(sql)).bind(lo).bind(hi).bind(from).bind(to).fetch_all(pool).await)?,
    )
}

/// One line of a consultation centre's expert roster (会诊专家排班).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct RosterEntry {
    /// County of the centre.
    pub division_code: String,
    /// The consultation centre's institution.
    pub institution_id: String,
    /// The expert's user id.
    pub user_id: String,
    /// Specialty code.
    pub specialty: String,
    /// Title code (`resident`, `attending`, `associate_chief`, `chief`).
    pub title: String,
    /// On duty now.
    pub on_duty: bool,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Adds or replaces a roster line.
///
/// # Errors
/// On a constraint (unknown user or institution) or database error.
pub async fn upsert_roster(db: &Db, e: &RosterEntry) -> Result<(), StoreError> {
    let sql = "INSERT INTO consultation_experts (division_code, institution_id, user_id, specialty, title, on_duty, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (division_code, user_id, specialty) DO UPDATE SET \
               institution_id = excluded.institution_id, title = excluded.title, on_duty = excluded.on_duty, updated_at = excluded.updated_at";
    write_one!(db, pool => sqlx::query(sql).bind(&e.division_code).bind(&e.institution_id).bind(&e.user_id).bind(&e.specialty)
        .bind(&e.title).bind(e.on_duty).bind(e.updated_at).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// The roster of a centre, for one specialty or all (`None`).
///
/// # Errors
/// On a database error.
pub async fn roster(db: &Db, division_code: &str, institution_id: &str, specialty: Option<&str>) -> Result<Vec<RosterEntry>, StoreError> {
    let sql = "SELECT division_code, institution_id, user_id, specialty, title, on_duty, updated_at FROM consultation_experts \
               WHERE division_code = $1 AND institution_id = $2 AND ($3 IS NULL OR specialty = $3) ORDER BY specialty, user_id";
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, RosterEntry>(sql).bind(division_code).bind(institution_id).bind(specialty).fetch_all(pool).await)?,
    )
}

/// The consultations received by an institution in one of `open_states` (the experts' current
/// queues are counted from them).
///
/// # Errors
/// On a database error.
pub async fn open_received(
    db: &Db,
    division_code: &str,
    institution_id: &str,
    open_states: &[&str],
) -> Result<Vec<ConsultationRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM consultations WHERE invited_division_code = $1 AND invited_institution_id = $2 AND state IN ({})",
        crate::workflow::state_list(open_states)
    );
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, ConsultationRow>(sqlx::AssertSqlSafe(sql)).bind(division_code).bind(institution_id).fetch_all(pool).await)?,
    )
}

/// The consultations of a resident in a county, newest change first (at most 50).
///
/// # Errors
/// On a database error.
pub async fn of_resident(db: &Db, division: &str, resident_id: &str) -> Result<Vec<ConsultationRow>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM consultations WHERE division_code = $1 AND resident_id = $2 ORDER BY updated_at DESC LIMIT 50");
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, ConsultationRow>(sqlx::AssertSqlSafe(sql)).bind(division).bind(resident_id).fetch_all(pool).await)?,
    )
}

/// An invited guest of a consultation's video call (受邀参会人员).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct GuestRow {
    /// The consultation's county (inviting institution's).
    pub division_code: String,
    /// Consultation.
    pub consultation_id: String,
    /// The guest's county (or the pool's code).
    pub user_division_code: String,
    /// The guest's user id.
    pub user_id: String,
    /// Who invited (username).
    pub invited_by: String,
    /// When.
    pub invited_at: DateTime<Utc>,
}

/// Adds a guest with its audit entry, atomically.
///
/// # Errors
/// A unique violation when the user is already a guest; a database error.
pub async fn insert_guest(db: &Db, g: &GuestRow, audit: &AuditEntry) -> Result<(), StoreError> {
    transaction!(db, tx => {
        sqlx::query(
            "INSERT INTO consultation_guests (division_code, consultation_id, user_division_code, user_id, invited_by, invited_at) \
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&g.division_code).bind(&g.consultation_id).bind(&g.user_division_code).bind(&g.user_id).bind(&g.invited_by).bind(g.invited_at)
            .execute(&mut *tx).await?;
        audit_insert_in_tx!(tx, audit);
    });
    Ok(())
}

/// Removes a guest with its audit entry, atomically. Returns whether the user was a guest
/// (nothing is written otherwise).
///
/// # Errors
/// On a database error.
pub async fn delete_guest(db: &Db, division: &str, consultation_id: &str, user_id: &str, audit: &AuditEntry) -> Result<bool, StoreError> {
    let removed = transaction!(db, tx => {
        let n = sqlx::query("DELETE FROM consultation_guests WHERE division_code = $1 AND consultation_id = $2 AND user_id = $3")
            .bind(division).bind(consultation_id).bind(user_id)
            .execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            audit_insert_in_tx!(tx, audit);
        }
        n == 1
    });
    Ok(removed)
}

/// The guests of a consultation, in the order they were invited.
///
/// # Errors
/// On a database error.
pub async fn guests(db: &Db, division: &str, consultation_id: &str) -> Result<Vec<GuestRow>, StoreError> {
    Ok(dispatch!(db, pool => sqlx::query_as::<_, GuestRow>(
        "SELECT division_code, consultation_id, user_division_code, user_id, invited_by, invited_at FROM consultation_guests \
         WHERE division_code = $1 AND consultation_id = $2 ORDER BY invited_at, user_id")
        .bind(division).bind(consultation_id).fetch_all(pool).await)?)
}

/// Whether a user is a guest of a consultation.
///
/// # Errors
/// On a database error.
pub async fn is_guest(db: &Db, division: &str, consultation_id: &str, user_id: &str) -> Result<bool, StoreError> {
    let n: i64 = dispatch!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM consultation_guests WHERE division_code = $1 AND consultation_id = $2 AND user_id = $3")
        .bind(division).bind(consultation_id).bind(user_id).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// The consultations a user is invited to as a guest (only those in one of `states`, the states
/// whose call can be joined, when not empty), newest change first.
///
/// # Errors
/// On a database error.
pub async fn as_guest(db: &Db, user_id: &str, states: &[&str]) -> Result<Vec<ConsultationRow>, StoreError> {
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("c.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let filter = if states.is_empty() {
        String::new()
    } else {
        format!(" AND c.state IN ({})", crate::workflow::state_list(states))
    };
    let sql = format!(
        "SELECT {columns} FROM consultations c JOIN consultation_guests g ON g.division_code = c.division_code AND g.consultation_id = c.id \
         WHERE g.user_id = $1{filter} ORDER BY c.updated_at DESC"
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, ConsultationRow>(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(pool).await)?)
}

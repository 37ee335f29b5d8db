//! What the workflow tables (referrals, consultations, readings) share: their transition history,
//! the per-institution views, reading by id and the timers' scan, parametrised by [`Workflow`] and
//! [`WorkflowRow`].

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Db, StoreError, dispatch};

/// A workflow table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workflow {
    /// Two-way referrals (`referrals`, `referral_events`).
    Referral,
    /// Remote consultations (`consultations`, `consultation_events`).
    Consultation,
    /// Remote readings of images and ECGs (`readings`, `reading_events`).
    Reading,
}

/// Which side of an institution's workflows: the ones it started or the ones addressed to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Sent or requested by the institution (转出 / 申请).
    Out,
    /// Received by the institution (转入 / 受邀).
    In,
}

impl Workflow {
    /// The main table.
    pub(crate) fn table(self) -> &'static str {
        match self {
            Workflow::Referral => "referrals",
            Workflow::Consultation => "consultations",
            Workflow::Reading => "readings",
        }
    }

    fn events_table(self) -> &'static str {
        match self {
            Workflow::Referral => "referral_events",
            Workflow::Consultation => "consultation_events",
            Workflow::Reading => "reading_events",
        }
    }

    pub(crate) fn subject_column(self) -> &'static str {
        match self {
            Workflow::Referral => "referral_id",
            Workflow::Consultation => "consultation_id",
            Workflow::Reading => "reading_id",
        }
    }

    /// The county and institution columns of one side.
    pub(crate) fn side_columns(self, side: Side) -> (&'static str, &'static str) {
        match (self, side) {
            (Workflow::Referral, Side::Out) => ("division_code", "sender_institution_id"),
            (Workflow::Referral, Side::In) => ("receiver_division_code", "receiver_institution_id"),
            (Workflow::Consultation, Side::Out) => ("division_code", "inviting_institution_id"),
            (Workflow::Consultation, Side::In) => ("invited_division_code", "invited_institution_id"),
            (Workflow::Reading, Side::Out) => ("division_code", "ordering_institution_id"),
            (Workflow::Reading, Side::In) => ("reading_division_code", "reading_institution_id"),
        }
    }

    /// SQL inserting one event (parameters in [`WorkflowEvent`] field order).
    pub(crate) fn insert_event_sql(self) -> String {
        format!(
            "INSERT INTO {} (division_code, id, {}, from_state, to_state, command, actor_user_id, institution_id, at, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            self.events_table(),
            self.subject_column()
        )
    }
}

/// One transition of a referral or consultation.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct WorkflowEvent {
    /// County of the workflow.
    pub division_code: String,
    /// Id.
    pub id: String,
    /// The referral or consultation.
    pub subject_id: String,
    /// State before.
    pub from_state: String,
    /// State after.
    pub to_state: String,
    /// Command (or timer) that caused it.
    pub command: String,
    /// Acting user (none for timers).
    pub actor_user_id: Option<String>,
    /// Institution the user acted for.
    pub institution_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// Reason given.
    pub reason: Option<String>,
}

/// Inserts one [`WorkflowEvent`] of `$workflow` with the transaction `$tx`.
macro_rules! insert_event {
    ($tx:ident, $workflow:expr, $e:expr) => {{
        let e: &$crate::workflow::WorkflowEvent = $e;
        sqlx::query(sqlx::AssertSqlSafe($workflow.insert_event_sql()))
            .bind(&e.division_code)
            .bind(&e.id)
            .bind(&e.subject_id)
            .bind(&e.from_state)
            .bind(&e.to_state)
            .bind(&e.command)
            .bind(&e.actor_user_id)
            .bind(&e.institution_id)
            .bind(e.at)
            .bind(&e.reason)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use insert_event;

/// The transitions of one referral or consultation, oldest first.
///
/// # Errors
/// On a database error.
pub async fn events(db: &Db, workflow: Workflow, division: &str, subject_id: &str) -> Result<Vec<WorkflowEvent>, StoreError> {
    let sql = format!(
        "SELECT division_code, id, {subject} AS subject_id, from_state, to_state, command, actor_user_id, institution_id, at, reason \
         FROM {table} WHERE division_code = $1 AND {subject} = $2 ORDER BY at, id",
        subject = workflow.subject_column(),
        table = workflow.events_table()
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, WorkflowEvent>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(subject_id).fetch_all(pool).await)?)
}

/// Number of an institution's referrals or consultations per state, on one side.
///
/// # Errors
/// On a database error.
pub async fn count_by_state(
    db: &Db,
    workflow: Workflow,
    division: &str,
    institution_id: &str,
    side: Side,
) -> Result<Vec<(String, i64)>, StoreError> {
    let (county, who) = workflow.side_columns(side);
    let sql = format!(
        "SELECT state, COUNT(*) FROM {} WHERE {county} = $1 AND {who} = $2 GROUP BY state ORDER BY state",
        workflow.table()
    );
    Ok(
        dispatch!(db, pool => sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql)).bind(division).bind(institution_id).fetch_all(pool).await)?,
    )
}

/// A row of a workflow table: what the shared queries of [`get`], [`list`] and [`not_final`]
/// need to know about it.
pub trait WorkflowRow:
    for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin + 'static
{
    /// Its workflow.
    const WORKFLOW: Workflow;
    /// The columns read into the row, in order.
    const COLUMNS: &'static str;
}

/// A workflow row by id.
///
/// # Errors
/// On a database error.
pub async fn get<R: WorkflowRow>(db: &Db, id: &str) -> Result<Option<R>, StoreError> {
    let sql = format!("SELECT {} FROM {} WHERE id = $1", R::COLUMNS, R::WORKFLOW.table());
    Ok(dispatch!(db, pool => sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await)?)
}

/// The rows an institution started (`Out`) or received (`In`), newest change first (at most
/// `limit`), optionally in one state.
///
/// # Errors
/// On a database error.
pub async fn list<R: WorkflowRow>(
    db: &Db,
    division: &str,
    institution_id: &str,
    side: Side,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<R>, StoreError> {
    let (county, who) = R::WORKFLOW.side_columns(side);
    let sql = format!(
        "SELECT {} FROM {} WHERE {county} = $1 AND {who} = $2 AND ($3 = '' OR state = $3) ORDER BY updated_at DESC LIMIT $4",
        R::COLUMNS,
        R::WORKFLOW.table()
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql))
        .bind(division).bind(institution_id).bind(state.unwrap_or("")).bind(limit).fetch_all(pool).await)?)
}

/// The rows not in one of `final_states` (the workflow's final states, from `sanyi-care`), for
/// the timers.
///
/// # Errors
/// On a database error.
pub async fn not_final<R: WorkflowRow>(db: &Db, final_states: &[&str]) -> Result<Vec<R>, StoreError> {
    let sql = format!(
        "SELECT {} FROM {} WHERE state NOT IN ({})",
        R::COLUMNS,
        R::WORKFLOW.table(),
        state_list(final_states)
    );
    Ok(dispatch!(db, pool => sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await)?)
}

/// The error of an update that found the row at another version than expected.
pub(crate) async fn version_conflict<R: WorkflowRow + HasVersion>(db: &Db, id: &str) -> StoreError {
    match get::<R>(db, id).await {
        Ok(row) => StoreError::VersionConflict {
            current: row.map_or(0, |r| r.version()),
        },
        Err(e) => e,
    }
}

/// A row with an optimistic version.
pub(crate) trait HasVersion {
    /// The stored version.
    fn version(&self) -> i64;
}

/// State codes as an SQL list (`'a', 'b'`). The codes come from the state enums of `sanyi-care`,
/// never from input; anything but lower-case letters and underscores is refused all the same.
pub(crate) fn state_list(codes: &[&str]) -> String {
    let quoted: Vec<String> = codes
        .iter()
        .map(|c| {
            assert!(
                !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "state code {c:?} is not snake case"
            );
            format!("'{c}'")
        })
        .collect();
    if quoted.is_empty() { "''".to_owned() } else { quoted.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::state_list;

    #[test]
    fn state_lists_are_quoted_codes() {
        assert_eq!(state_list(&["closed", "no_show"]), "'closed', 'no_show'");
        assert_eq!(state_list(&[]), "''");
    }

    #[test]
    #[should_panic(expected = "not snake case")]
    fn anything_else_is_refused() {
        let _ = state_list(&["x') OR 1=1 --"]);
    }
}

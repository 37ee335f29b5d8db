//! What the workflow tables (referrals, consultations) share: their transition history and the
//! per-institution views, parametrised by [`Workflow`].

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

//! Audit: building entries, the batched writer for reads, and the query.
//!
//! Changes are audited inside their own transaction (see `sanyi_store::residents`). Reads are
//! sent to [`AuditSink`], whose task writes the reads of many concurrent requests in one
//! transaction (group commit); each read is answered only after its row is stored, and refused
//! when that fails within [`AUDIT_DEADLINE`]. [`AuditSink::flush`] waits until everything sent so
//! far is stored.

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

pub use sanyi_store::audit::AuditEntry;
use sanyi_store::audit::{self as store_audit, AuditQuery};
use sanyi_store::{Db, Page, Paged};

use crate::{Actor, App, Permission, ServiceError};

/// Now, in whole microseconds (what both databases store, so that the chain hash computed at
/// insert matches the row read back).
fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// Builds an audit entry for `actor`.
pub fn entry(
    actor: &Actor,
    division: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    resident_id: Option<&str>,
    detail: &str,
) -> AuditEntry {
    AuditEntry {
        division_code: division.to_owned(),
        id: sanyi_store::new_id(),
        at: now_micros(),
        user_id: actor.user_id.clone(),
        username: actor.username.clone(),
        role: actor.role.code().to_owned(),
        action: action.to_owned(),
        entity: entity.to_owned(),
        entity_id: entity_id.to_owned(),
        resident_id: resident_id.map(str::to_owned),
        ip: actor.ip.clone(),
        detail: detail.to_owned(),
    }
}

/// An audit entry for work done by the platform itself (demo seeding, scheduled runs).
pub fn system_entry(division: &str, action: &str, entity: &str, entity_id: &str, detail: &str) -> AuditEntry {
    AuditEntry {
        division_code: division.to_owned(),
        id: sanyi_store::new_id(),
        at: now_micros(),
        user_id: "system".into(),
        username: "system".into(),
        role: "system".into(),
        action: action.to_owned(),
        entity: entity.to_owned(),
        entity_id: entity_id.to_owned(),
        resident_id: None,
        ip: "local".into(),
        detail: detail.to_owned(),
    }
}

/// How long a read waits for its audit row to be stored before it is refused (503) instead of
/// answered. Reads are answered only after their audit row is durable (committed; with SQLite in
/// WAL mode a commit survives a killed process, with PostgreSQL a crash of the server).
pub const AUDIT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

enum Msg {
    Entry(Box<AuditEntry>, oneshot::Sender<bool>),
    Flush(oneshot::Sender<()>),
}

/// Handle to the background writer of read audits. It stores what many concurrent reads queued in
/// one transaction (group commit) and tells each read whether its row is stored.
#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<Msg>,
}

impl AuditSink {
    /// Starts the writer task on the current Tokio runtime.
    pub fn start(db: Db) -> AuditSink {
        let (tx, mut rx) = mpsc::channel::<Msg>(65_536);
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(1024);
            let mut batch: Vec<AuditEntry> = Vec::with_capacity(1024);
            let mut acks: Vec<oneshot::Sender<bool>> = Vec::with_capacity(1024);
            let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
            while rx.recv_many(&mut buf, 1024).await > 0 {
                for m in buf.drain(..) {
                    match m {
                        Msg::Entry(e, ack) => {
                            batch.push(*e);
                            acks.push(ack);
                        }
                        Msg::Flush(w) => waiters.push(w),
                    }
                }
                // Retry a failed write a few times within the deadline; the reads waiting for it
                // are refused when it cannot be stored (nothing is answered without its audit).
                let mut attempt = 0;
                let stored = loop {
                    if batch.is_empty() {
                        break true;
                    }
                    match store_audit::insert_batch(&db, &batch).await {
                        Ok(()) => break true,
                        Err(e) if attempt < 3 => {
                            attempt += 1;
                            tracing::warn!(error = %e, attempt, "audit batch write failed; retrying");
                            tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, refused = batch.len(), "audit batch write failed; the reads are refused");
                            break false;
                        }
                    }
                };
                batch.clear();
                for a in acks.drain(..) {
                    let _ = a.send(stored);
                }
                for w in waiters.drain(..) {
                    let _ = w.send(());
                }
            }
        });
        AuditSink { tx }
    }

    /// Stores the audit entry of a read and returns once it is durable.
    ///
    /// # Errors
    /// `Unavailable` when it could not be stored within [`AUDIT_DEADLINE`]: the caller must not
    /// answer the read then.
    pub async fn record(&self, e: AuditEntry) -> Result<(), ServiceError> {
        let refused = ServiceError::Unavailable("the audit entry of this read could not be stored");
        let (ack, stored) = oneshot::channel();
        let wait = async {
            self.tx.send(Msg::Entry(Box::new(e), ack)).await.ok()?;
            stored.await.ok()
        };
        match tokio::time::timeout(AUDIT_DEADLINE, wait).await {
            Ok(Some(true)) => Ok(()),
            _ => Err(refused),
        }
    }

    /// Waits until every entry queued before this call is stored.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

/// Filter given by a user.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Resident id.
    pub resident_id: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// Action.
    pub action: Option<String>,
    /// From (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// To (exclusive).
    pub to: Option<DateTime<Utc>>,
}

/// Audit entries in the actor's scope.
///
/// # Errors
/// `Forbidden` without the audit permission; a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn query(app: &App, actor: &Actor, f: AuditFilter, page: Page) -> Result<Paged<AuditEntry>, ServiceError> {
    actor.require(Permission::AuditRead)?;
    app.audit.flush().await;
    let q = AuditQuery {
        division_prefix: actor.scope.division_prefix().to_owned(),
        resident_id: f.resident_id,
        username: f.username,
        action: f.action,
        from: f.from,
        to: f.to,
    };
    Ok(store_audit::query(&app.db, &q, page).await?)
}

/// The display names of the users of some audit entries, by user id (the audit page shows people
/// by name; the log keeps the username as it was).
///
/// # Errors
/// On a database error.
pub async fn user_names(app: &App, entries: &[AuditEntry]) -> Result<std::collections::BTreeMap<String, String>, ServiceError> {
    let mut names = std::collections::BTreeMap::new();
    for e in entries {
        if !names.contains_key(&e.user_id)
            && let Some(u) = sanyi_store::users::by_id(&app.db, &e.user_id).await?
        {
            names.insert(u.id, u.display_name);
        }
    }
    Ok(names)
}

/// Display names of users by id (unknown ids are left out).
///
/// # Errors
/// On a database error.
pub async fn names_of_users(app: &App, mut ids: Vec<String>) -> Result<std::collections::HashMap<String, String>, ServiceError> {
    ids.sort();
    ids.dedup();
    let mut names = std::collections::HashMap::new();
    for id in ids {
        if let Some(u) = sanyi_store::users::by_id(&app.db, &id).await? {
            names.insert(u.id, u.display_name);
        }
    }
    Ok(names)
}

/// Recomputes the audit log's hash chains (the operator's `sanyi audit verify`): waits for queued
/// reads, then reports every county's rows and any break.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all)]
pub async fn verify_chain(app: &App) -> Result<store_audit::ChainReport, ServiceError> {
    app.audit.flush().await;
    Ok(store_audit::verify(&app.db).await?)
}

//! Audit: building entries, the batched writer for reads, and the query.
//!
//! Changes are audited inside their own transaction (see `sanyi_store::residents`). Reads are
//! sent to [`AuditSink`], whose task writes them in batches (at most a few milliseconds later),
//! so that a lookup does not wait for a disk write; [`AuditSink::flush`] waits until everything
//! sent so far is stored.

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use sanyi_store::audit::{self as store_audit, AuditEntry, AuditQuery};
use sanyi_store::{Db, Page, Paged};

use crate::{Actor, App, Permission, ServiceError};

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
        at: Utc::now(),
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
        at: Utc::now(),
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

enum Msg {
    Entry(Box<AuditEntry>),
    Flush(oneshot::Sender<()>),
}

/// Handle to the background writer of read audits.
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
            let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
            while rx.recv_many(&mut buf, 1024).await > 0 {
                for m in buf.drain(..) {
                    match m {
                        Msg::Entry(e) => batch.push(*e),
                        Msg::Flush(w) => waiters.push(w),
                    }
                }
                // Retry a failed write a few times; an audit entry is never silently dropped
                // while the database is reachable.
                let mut attempt = 0;
                while !batch.is_empty() {
                    match store_audit::insert_batch(&db, &batch).await {
                        Ok(()) => batch.clear(),
                        Err(e) if attempt < 5 => {
                            attempt += 1;
                            tracing::warn!(error = %e, attempt, "audit batch write failed; retrying");
                            tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, lost = batch.len(), "audit batch write failed");
                            batch.clear();
                        }
                    }
                }
                for w in waiters.drain(..) {
                    let _ = w.send(());
                }
            }
        });
        AuditSink { tx }
    }

    /// Queues an entry (waits only when the queue is full).
    pub async fn record(&self, e: AuditEntry) {
        if self.tx.send(Msg::Entry(Box::new(e))).await.is_err() {
            tracing::error!("audit writer stopped; entry lost");
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

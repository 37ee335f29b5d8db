//! Application services: the use cases of sanyi, shared by the HTTP server and the CLI, and the
//! only door to the store (`App`'s database is private to this crate).
//!
//! Each module is a thin layer over the store and the pure engines: it parses input into domain
//! values (reporting every failing field), checks the actor's role and scope, writes through the
//! store in one transaction together with the audit entry, and returns views that mask resident
//! ID numbers and phone numbers wherever a list is shown. Every public service runs in a
//! `tracing` span named after it (inside the HTTP request's span with its id). A workflow area is
//! a folder: `mod.rs` (its types and shared helpers), `commands.rs` (writes), `queries.rs`
//! (reads), `indicators.rs`, and `forms.rs` where pages post plain text fields.
//!
//! - [`roles`]: roles and permissions; [`actor`]: who is acting, from where, over which area.
//! - [`auth`]: password hashing (Argon2), login, session cookies and bearer tokens, account
//!   lock and deactivation; [`throttle`]: the back-off of failed logins.
//! - [`audit`]: the group-committing writer of read audits (a read is answered only once its
//!   audit row is stored), the hash-chained log and its verification, the audit query.
//! - [`registry`]: the institution tree; [`residents`]: the master patient index;
//!   [`import`]: bulk CSV import of residents.
//! - [`referrals`]: two-way referral (双向转诊); [`consultations`]: remote consultation (远程会诊)
//!   with guests and video calls; [`attachments`] of both; [`indicators`]: their indicators;
//!   [`notifications`]: what waits for the actor, derived from the workflows' states.
//! - [`readings`]: remote reading of images and ECGs (远程影像/心电), with [`imaging`] (DICOM
//!   and ECG ingest, rendering).
//! - [`recognition`]: mutual recognition of results (检查检验结果互认): catalogue, participants,
//!   the results index, the order-time check, orders with decisions, savings and indicators.
//! - [`drg`]: DRG schemes per pool and grouping; [`insurance`]: policies, claims, the settlement
//!   run, fraud review, the Excel export.
//! - [`medicines`] (医药): the pool's item catalogue as versioned data, volume-based procurement
//!   projects, the central pharmacy (orders, deliveries, stock, transfers), prescriptions and
//!   dispensing, the completion, usage and savings report with the prepayment and retained saving.
//! - [`workbench`]: the modules each role may open and the work waiting for it (工作台);
//!   [`labels`]: the one registry naming every code in Chinese and English.
//! - [`demo`]: seeding the demo prefecture, one module per area with one signature.

pub mod actor;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod consultations;
pub mod demo;
pub mod drg;
mod error;
pub mod import;
pub mod indicators;
pub mod insurance;
pub mod labels;
pub mod medicines;
pub mod notifications;
pub mod readings;
pub use readings::imaging;
pub mod recognition;
pub mod referrals;
pub mod registry;
pub mod residents;
pub mod roles;
pub mod throttle;
pub mod workbench;
mod workflow;

pub use actor::Actor;
pub use error::{Errors, FieldError, ServiceError};
pub use roles::{Permission, Role};
pub use sanyi_store::{Page, Paged};

use sanyi_store::Db;

/// The services' shared state: the database, the audit writer, loaded DRG schemes and the
/// workflow policies.
#[derive(Clone)]
pub struct App {
    /// The database: only the services reach it.
    pub(crate) db: Db,
    /// Writer of read-audit entries.
    pub audit: audit::AuditSink,
    /// DRG schemes loaded in memory.
    pub drg: std::sync::Arc<drg::SchemeCache>,
    /// Timing policies of the workflows (one place for every use: timers, forms, indicators).
    pub policies: std::sync::Arc<WorkflowPolicies>,
    /// Where DICOM instances and ECG files are kept (content-addressed).
    pub files: sanyi_store::files::FileStore,
    /// The recognition catalogues and participants, held for the order-time check.
    pub recognition: std::sync::Arc<recognition::reference::ReferenceCache>,
    /// Failed-login counts of client addresses and unknown usernames.
    pub throttle: std::sync::Arc<throttle::LoginThrottle>,
    /// Catalogue versions and contracted projects, held for prescribing and dispensing.
    pub medicines: std::sync::Arc<medicines::cache::MedicinesCache>,
}

/// Timing policies of referrals and consultations (docs/rules/referral.md#timeliness, docs/rules/remote-services.md#consultation defaults).
#[derive(Clone, Debug, Default)]
pub struct WorkflowPolicies {
    /// Referral SLAs, slip validity, follow-up deadlines.
    pub referral: sanyi_care::referral::ReferralPolicy,
    /// Consultation deadlines.
    pub consultation: sanyi_care::consultation::ConsultationPolicy,
    /// Attachment limits (type by content, size, count).
    pub attachments: sanyi_care::documents::AttachmentPolicy,
    /// Reading turnaround targets and the remote-diagnosis fee split.
    pub reading: sanyi_care::reading::ReadingPolicy,
}

impl App {
    /// Wraps a migrated database and starts the audit writer (needs a Tokio runtime).
    pub fn new(db: Db) -> App {
        let audit = audit::AuditSink::start(db.clone());
        App {
            db,
            audit,
            drg: Default::default(),
            policies: Default::default(),
            files: sanyi_store::files::FileStore::new("sanyi-files"),
            recognition: Default::default(),
            throttle: Default::default(),
            medicines: Default::default(),
        }
    }

    /// Whether the database answers (health checks).
    ///
    /// # Errors
    /// When it does not.
    pub async fn ping(&self) -> Result<(), ServiceError> {
        Ok(self.db.ping().await?)
    }

    /// Closes the database connections (a command-line run ends).
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// The same services keeping their files under `root`.
    pub fn with_files(self, root: impl Into<std::path::PathBuf>) -> App {
        App {
            files: sanyi_store::files::FileStore::new(root),
            ..self
        }
    }
}

//! Care coordination engine of sanyi (县域医共体协同诊疗引擎).
//!
//! A pure crate: no async, IO, web or SQL. Every function takes plain values and, where time
//! matters, the current instant `now: DateTime<Utc>` as an argument, so callers (and tests)
//! control the clock. Every configurable duration lives in a policy struct whose `Default` follows
//! docs/rules/referral.md and docs/rules/remote-services.md.
//!
//! Organisation:
//! - [`actor`]: identifiers and the acting user ([`ActorRef`]).
//! - [`calendar`]: working-day arithmetic for SLAs ([`WorkCalendar`]).
//! - [`criteria`]: referral criteria (docs/rules/referral.md#criteria) and the urgent red-flag checker.
//! - [`referral`]: the two-way referral state machine (双向转诊, docs/rules/referral.md).
//! - [`consultation`]: remote consultation workflow and expert assignment (远程会诊, docs/rules/remote-services.md#consultation).
//! - [`documents`]: attachments, consent and recent results that travel with a referral (docs/rules/referral.md#what-travels).
//! - [`reading`]: remote reading of images and ECGs (远程阅片/心电, docs/rules/remote-services.md#remote-reading) with critical values.
//! - [`recognition`]: mutual recognition of results (检查检验结果互认, docs/rules/recognition.md): candidates,
//!   re-test reasons, decisions and the recognition rate.
//! - [`state`]: the [`WorkflowState`] trait: codes, labels and final states of every workflow.
//! - [`indicators`]: referral and consultation indicators as exact ratios (docs/rules/referral.md#indicators).
//!
//! Permission checks always come before state checks: a wrong actor receives `NotAllowed`
//! whatever the current state, so an error never leaks the state to someone without access.
#![deny(missing_docs)]

pub mod actor;
pub mod calendar;
pub mod consultation;
pub mod criteria;
pub mod documents;
pub mod indicators;
pub mod reading;
pub mod recognition;
pub mod referral;
pub mod state;

pub use actor::{ActorRef, ConsultationId, ExpertId, InstitutionId, ReferralId, Role, UserId};
pub use calendar::WorkCalendar;
pub use consultation::{Consultation, ConsultationCommand, ConsultationError, ConsultationPolicy};
pub use criteria::{RedFlag, RedFlagPolicy, VitalSigns};
pub use indicators::Ratio;
pub use referral::{Direction, InsuranceReferralStatus, Referral, ReferralCommand, ReferralError, ReferralPolicy, ReferralState};
pub use state::WorkflowState;

/// A timer armed by a state machine: what it is and when it falls due.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Timer<K> {
    /// What the timer is for.
    pub kind: K,
    /// The instant at which it falls due.
    pub due_at: chrono::DateTime<chrono::Utc>,
}

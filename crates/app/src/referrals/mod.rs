//! Two-way referral (双向转诊) as a use case: the care engine decides, the store keeps the referral,
//! its transitions and the audit entries, and timers fire from [`tick`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_care::WorkflowState;
use sanyi_care::actor::{ActorRef, Role as CareRole};
use sanyi_care::criteria::{GreenChannelCentre, UpwardCriterion};
use sanyi_care::documents::{Consent, RecentResult};
use sanyi_care::indicators::ReferralSummary;
use sanyi_care::referral::ReferralState;
use sanyi_care::referral::{
    Direction, EmergencyReferral, NewReferral, Party, Placement, Referral, ReferralCommand, ReferralError, Urgency,
};
use sanyi_domain::{Icd10, Tier};
use sanyi_store::referrals::{self as repo, Change, DownTarget, ReferralRow};
use sanyi_store::registry::{self, Institution};
use sanyi_store::workflow::{self as workflow_repo, Workflow, WorkflowEvent};

mod forms;

pub use crate::workflow::TimelineEntry;
use crate::workflow::{self, Names, Refusal, care_actor, code, event_row};
use crate::{Actor, App, FieldError, Permission, Role, ServiceError, audit};
pub use forms::{ReferralAction, ReferralForm, centres, criteria};

mod commands;
mod queries;
pub use commands::*;
pub use queries::*;

/// Input to refer a resident.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ReferralInput {
    /// Resident record id (in the sender's area).
    pub resident_id: String,
    /// Receiving institution.
    pub receiver_institution_id: String,
    /// Reason for the referral.
    pub reason: String,
    /// Clinical summary (history, treatment given, allergies, medication).
    #[serde(default)]
    pub summary: String,
    /// Preliminary diagnoses, ICD-10 医保版.
    #[serde(default)]
    pub diagnoses: Vec<String>,
    /// Upward criterion (docs/rules/referral.md#criteria), e.g. `uncertain_diagnosis`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub criterion: Option<UpwardCriterion>,
    /// Patient consent (知情同意): required to submit; a draft may be saved without it.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub consent: Option<Consent>,
    /// Recent results sent with the referral, with their mutual-recognition marks.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<RecentResult>,
    /// Submit at once (default) or keep as a draft.
    #[serde(default = "yes")]
    pub submit: bool,
    /// `routine` (default) or `emergency`: the green channel (绿色通道), accepted at once with the
    /// receiver's emergency team (docs/rules/referral.md#states); needs `centre`.
    #[serde(default = "routine")]
    #[schema(value_type = String)]
    pub urgency: Urgency,
    /// Green-channel centre of an emergency: `chest_pain`, `stroke`, `trauma`,
    /// `critical_maternal`, `critical_neonatal`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub centre: Option<GreenChannelCentre>,
    /// The sending department head or referral centre reviews the referral before the receiver
    /// sees it (审核): it waits in `submitted` until the `pre_review` command.
    #[serde(default)]
    pub pre_review: bool,
}

fn routine() -> Urgency {
    Urgency::Routine
}

fn yes() -> bool {
    true
}

/// Where and when the receiver takes the patient (接诊安排), once the referral is accepted.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AppointmentView {
    /// Department of an outpatient slot, ward of a bed, or the green channel's receiving team.
    pub department: String,
    /// Appointment time of a slot, or the expected arrival on the green channel (none for a bed).
    pub at: Option<DateTime<Utc>>,
    /// Bed number (none for a slot).
    pub bed: Option<String>,
    /// The slip's validity (转诊单有效期): arrival after it is a no-show.
    pub valid_until: DateTime<Utc>,
}

/// A referral as shown to its sender and receiver.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReferralView {
    /// Id.
    pub id: String,
    /// The receiver's appointment or bed, once accepted.
    pub appointment: Option<AppointmentView>,
    /// State code.
    pub state: String,
    /// State in Chinese (申请, 接收, 到诊, …).
    pub state_zh: String,
    /// `upward`, `downward`, `lateral`.
    pub direction: String,
    /// Direction in Chinese (上转, 下转, 平转).
    pub direction_zh: String,
    /// `routine` or `emergency`.
    pub urgency: String,
    /// Resident record id.
    pub resident_id: String,
    /// Resident name.
    pub resident_name: String,
    /// Masked ID number of the resident.
    pub resident_id_number_masked: String,
    /// Sending institution.
    pub sender_institution_id: String,
    /// Sender name.
    pub sender_name: String,
    /// Receiving institution.
    pub receiver_institution_id: String,
    /// Receiver name.
    pub receiver_name: String,
    /// Reason.
    pub reason: String,
    /// Summary.
    pub summary: String,
    /// Diagnoses.
    pub diagnoses: Vec<String>,
    /// Patient consent, when recorded.
    #[schema(value_type = Option<Object>)]
    pub consent: Option<Consent>,
    /// Recent results sent with the referral.
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<RecentResult>,
    /// Version (optimistic concurrency).
    pub version: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Transitions, oldest first (only on the single-referral read).
    pub timeline: Vec<TimelineEntry>,
    /// The engine's full state (acceptance, plan, timestamps).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// How the referral changes the insurance treatment of the next encounter (docs/rules/referral.md#insurance-linkage):
    /// `upward`, `downward`, `emergency` or `none` — read by the settlement engine.
    pub insurance_status: String,
    /// Upward criterion met (docs/rules/referral.md#criteria).
    #[schema(value_type = Option<String>)]
    pub criterion: Option<UpwardCriterion>,
    /// Upward criterion in Chinese.
    pub criterion_zh: String,
    /// Green-channel centre of an emergency.
    #[schema(value_type = Option<String>)]
    pub centre: Option<GreenChannelCentre>,
    /// Green-channel centre in Chinese.
    pub centre_zh: String,
    /// Green-channel paperwork done (always true for routine referrals).
    pub paperwork_complete: bool,
    /// The institution that takes the patient back (the down-referral plan's target; the sender
    /// until a plan names another).
    pub down_target_institution_id: String,
    /// Its name.
    pub down_target_name: String,
}

/// Loads a referral the actor may see: their institution sends or receives it, or is the
/// down-referral plan's target (administrators: in their area).
pub(crate) async fn visible(app: &App, actor: &Actor, id: &str) -> Result<ReferralRow, ServiceError> {
    let row = repo::get(&app.db, id).await?.ok_or(ServiceError::NotFound)?;
    if may_see(actor, &row) {
        Ok(row)
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Whether the actor may open a referral (see [`visible`]).
pub(crate) fn may_see(actor: &Actor, row: &ReferralRow) -> bool {
    let own = actor.institution_id.as_deref().is_some_and(|i| {
        i == row.sender_institution_id
            || i == row.receiver_institution_id
            || serde_json::from_str::<Referral>(&row.engine).is_ok_and(|r| r.down_target().as_str() == i)
    });
    let admin = actor.role == Role::Administrator
        && (row.division_code.starts_with(actor.scope.division_prefix())
            || row.receiver_division_code.starts_with(actor.scope.division_prefix()));
    own || admin
}

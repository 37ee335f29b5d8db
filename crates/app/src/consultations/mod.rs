//! Remote consultation (远程会诊) as a use case: the inviting doctor asks, the lead hospital's
//! consultation centre triages and assigns experts, experts sign opinions, the inviting side
//! acknowledges. The care engine decides; the store keeps the consultation, its transitions and the
//! audit entries; timers fire from [`tick`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_care::WorkflowState;
pub use sanyi_care::actor::ExpertId;
use sanyi_care::actor::{ConsultationId, Role as CareRole};
use sanyi_care::consultation::{AssignmentRequest, ConsultMode, Consultation, ConsultationError, NewConsultation, Specialty};
pub use sanyi_care::consultation::{ConsultUrgency, ConsultationCommand, ConsultationState};
pub use sanyi_store::consultations::ConsultationRow;
use sanyi_store::consultations::{self as repo};
use sanyi_store::registry;
use sanyi_store::residents as residents_repo;
use sanyi_store::workflow::{self as workflow_repo, Workflow, WorkflowEvent};

use crate::error::Errors;
use crate::workflow::{self, Refusal, TimelineEntry, care_actor, code, event_row};
use crate::{Actor, App, FieldError, Permission, Role, ServiceError, audit};

mod forms;
pub mod guests;

pub use forms::ConsultationAction;
pub use guests::{GuestInput, GuestView};

mod commands;
mod queries;
pub use commands::*;
pub use queries::*;

/// Input to request a consultation.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ConsultationInput {
    /// Resident record id (in the requester's area).
    pub resident_id: String,
    /// Invited institution (usually the lead hospital's consultation centre).
    pub invited_institution_id: String,
    /// Requested specialty code (e.g. `neurology`).
    pub specialty: String,
    /// A named expert (user id), optional.
    #[serde(default)]
    pub named_expert: Option<String>,
    /// `routine` (default) or `emergency`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub urgency: Option<ConsultUrgency>,
    /// `sync` (video session, default) or `async`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub mode: Option<ConsultMode>,
    /// Multidisciplinary (several experts and a chair's summary).
    #[serde(default)]
    pub mdt: bool,
    /// The question.
    pub question: String,
    /// Clinical summary.
    #[serde(default)]
    pub summary: String,
}

/// A consultation as shown to both sides.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConsultationView {
    /// Id.
    pub id: String,
    /// State code.
    pub state: String,
    /// State in Chinese.
    pub state_zh: String,
    /// Resident record id.
    pub resident_id: String,
    /// Resident name.
    pub resident_name: String,
    /// Resident ID number, masked.
    pub resident_id_number_masked: String,
    /// Inviting institution.
    pub inviting_institution_id: String,
    /// Invited institution.
    pub invited_institution_id: String,
    /// Specialty.
    pub specialty: String,
    /// Urgency.
    pub urgency: String,
    /// Mode.
    pub mode: String,
    /// Question.
    pub question: String,
    /// Summary.
    pub summary: String,
    /// Version.
    pub version: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Transitions, oldest first (single-consultation read only).
    pub timeline: Vec<TimelineEntry>,
    /// The engine's full state (experts, opinions, schedule, rating).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// Multidisciplinary (several experts and a chair's summary).
    pub mdt: bool,
    /// The MDT chair (user id), once assigned.
    pub chair: Option<String>,
    /// The MDT chair's summary, once written.
    pub chair_summary: Option<String>,
    /// Signed opinions so far.
    #[schema(value_type = Vec<Object>)]
    pub opinions: Vec<sanyi_care::consultation::Opinion>,
    /// Invited guests of the video call (single-consultation read only).
    pub guests: Vec<GuestView>,
    /// When the session is scheduled, once it is.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Display names (with title) of the assigned experts, the chair and the opinions' authors,
    /// by user id (single-consultation read only).
    pub expert_names: std::collections::BTreeMap<String, String>,
    /// Names of the inviting and invited institutions by id (single-consultation read only).
    #[serde(default)]
    pub institution_names: std::collections::BTreeMap<String, String>,
}

impl ConsultationView {
    /// The name of the invited institution, which gives the opinion (empty when unknown).
    pub fn invited_name(&self) -> &str {
        self.institution_names.get(&self.invited_institution_id).map_or("", String::as_str)
    }

    /// The display name of an expert of this consultation (the id when unknown).
    pub fn name_of<'a>(&'a self, user_id: &'a str) -> &'a str {
        self.expert_names.get(user_id).map_or(user_id, String::as_str)
    }
}

/// A specialty is a lowercase code such as `neurology`.
fn refusal(actor: &Actor, e: ConsultationError) -> ServiceError {
    let r = match e {
        ConsultationError::NotAllowed { .. } => Refusal::NotAllowed,
        ConsultationError::InvalidTransition { from, command } => Refusal::State(code(&from), from.label_zh(), code(&command)),
        other => Refusal::Invalid(other.to_string()),
    };
    workflow::refusal(actor, r, "consultation", "会诊")
}

pub(crate) async fn visible(app: &App, actor: &Actor, id: &str) -> Result<ConsultationRow, ServiceError> {
    let row = repo::get(&app.db, id).await?.ok_or(ServiceError::NotFound)?;
    if may_see(actor, &row) || repo::is_guest(&app.db, &row.division_code, &row.id, &actor.user_id).await? {
        Ok(row)
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Whether the actor's institution is a party to the consultation or the actor is one of its
/// experts (guests are checked against the store in [`visible`]).
pub(crate) fn may_see(actor: &Actor, row: &ConsultationRow) -> bool {
    let own = actor
        .institution_id
        .as_deref()
        .is_some_and(|i| i == row.inviting_institution_id || i == row.invited_institution_id);
    let expert = serde_json::from_str::<serde_json::Value>(&row.engine)
        .ok()
        .and_then(|v| v.get("experts").cloned())
        .and_then(|e| e.as_array().cloned())
        .is_some_and(|e| e.iter().any(|x| x.as_str() == Some(actor.user_id.as_str())));
    own || expert
}

/// The display names of the experts a consultation names (assigned, chair, opinion authors), by
/// user id: read for the single-consultation view only, not per row of a list.
async fn expert_names(app: &App, row: &ConsultationRow) -> Result<std::collections::BTreeMap<String, String>, ServiceError> {
    let mut names = std::collections::BTreeMap::new();
    if let Ok(c) = serde_json::from_str::<Consultation>(&row.engine) {
        let ids = c.experts().iter().chain(c.chair()).chain(c.opinions().iter().map(|o| &o.expert));
        for id in ids {
            if !names.contains_key(id.as_str())
                && let Some(u) = sanyi_store::users::by_id(&app.db, id.as_str()).await?
            {
                names.insert(u.id, u.display_name);
            }
        }
    }
    Ok(names)
}

async fn view(app: &App, row: ConsultationRow, timeline: Vec<WorkflowEvent>) -> Result<ConsultationView, ServiceError> {
    let resident = residents_repo::get(&app.db, &sanyi_store::residents::ResidentScope::all(), &row.resident_id).await?;
    let state: Option<sanyi_care::consultation::ConsultationState> =
        serde_json::from_value(serde_json::Value::String(row.state.clone())).ok();
    let engine = serde_json::from_str::<Consultation>(&row.engine).ok();
    Ok(ConsultationView {
        scheduled_at: engine.as_ref().and_then(Consultation::scheduled_at),
        expert_names: std::collections::BTreeMap::new(),
        institution_names: std::collections::BTreeMap::new(),
        mdt: engine.as_ref().is_some_and(Consultation::is_mdt),
        chair: engine.as_ref().and_then(|c| c.chair().map(|x| x.as_str().to_owned())),
        chair_summary: engine.as_ref().and_then(|c| c.chair_summary().map(str::to_owned)),
        opinions: engine.as_ref().map(|c| c.opinions().to_vec()).unwrap_or_default(),
        guests: Vec::new(),
        state_zh: state.map(|s| s.label_zh().to_owned()).unwrap_or_default(),
        resident_id_number_masked: resident
            .as_ref()
            .map(|r| sanyi_domain::mask_id_like(&r.id_number))
            .unwrap_or_default(),
        resident_name: resident.map(|r| r.name).unwrap_or_default(),
        detail: serde_json::from_str(&row.engine).unwrap_or_default(),
        timeline: workflow::timeline::<ConsultationState>(timeline, |c| {
            workflow::kind_label(c, sanyi_care::consultation::ConsultCommandKind::label_zh)
        }),
        id: row.id,
        state: row.state,
        resident_id: row.resident_id,
        inviting_institution_id: row.inviting_institution_id,
        invited_institution_id: row.invited_institution_id,
        specialty: row.specialty,
        urgency: row.urgency,
        mode: row.mode,
        question: row.question,
        summary: row.summary,
        version: row.version,
        updated_at: row.updated_at,
    })
}

/// A roster line as set by the consultation centre.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct RosterInput {
    /// The expert's user id (a user of the centre's county).
    pub user_id: String,
    /// Specialty code.
    pub specialty: String,
    /// `resident`, `attending`, `associate_chief` or `chief`.
    #[schema(value_type = String)]
    pub title: sanyi_care::consultation::Title,
    /// On duty now.
    pub on_duty: bool,
}

/// A roster line with the expert's current queue.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RosterView {
    /// Expert's user id.
    pub user_id: String,
    /// Specialty.
    pub specialty: String,
    /// Title code.
    pub title: String,
    /// On duty.
    pub on_duty: bool,
    /// Open consultations assigned to the expert.
    pub queue: u32,
}

/// A signed consultation opinion as written back to the resident's record (会诊意见回写).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecordOpinion {
    /// Consultation id.
    pub consultation_id: String,
    /// Consultation state now.
    pub state: String,
    /// Specialty.
    pub specialty: String,
    /// Invited institution's name.
    pub institution_name: String,
    /// Signing expert's user id.
    pub expert_id: String,
    /// Signing expert's name.
    pub expert_name: String,
    /// Impression.
    pub impression: String,
    /// Advice.
    pub advice: String,
    /// Whether the expert recommends referral.
    pub recommend_referral: bool,
    /// Signed at.
    pub signed_at: DateTime<Utc>,
    /// The MDT chair's summary, when there is one.
    pub chair_summary: Option<String>,
    /// Whether the viewer may open the consultation itself.
    pub openable: bool,
}

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

mod demo;
mod forms;
pub mod guests;

pub use demo::seed_demo;
pub use forms::ConsultationAction;
pub use guests::{GuestInput, GuestView};

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

/// Requests a consultation for a resident of the actor's area.
///
/// # Errors
/// `Forbidden`, `NotFound` (resident outside the area), `Validation` (unknown invited institution,
/// empty question or specialty).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn request(app: &App, actor: &Actor, input: &ConsultationInput) -> Result<ConsultationView, ServiceError> {
    actor.require(Permission::ReferralWrite)?;
    let who = care_actor(actor, CareRole::ConsultCentre)?;
    let mut errs = Errors::default();
    let (resident, inviting, invited) = workflow::parties(
        app,
        actor,
        &who,
        &input.resident_id,
        &input.invited_institution_id,
        ("invited_institution_id", "Unknown invited institution", "受邀机构不存在"),
        &mut errs,
    )
    .await?;
    if input.question.trim().is_empty() {
        errs.push(FieldError::required("question"));
    }
    let specialty = errs.field("specialty", Specialty::parse(&input.specialty));
    errs.finish()?;
    let invited = invited.ok_or(ServiceError::NotFound)?;
    let now = Utc::now();
    let id = sanyi_store::new_id();
    let new = NewConsultation {
        id: ConsultationId::new(id.clone()),
        inviting: who.institution.clone(),
        invited: sanyi_care::actor::InstitutionId::new(invited.id.clone()),
        urgency: input.urgency.unwrap_or(ConsultUrgency::Routine),
        mode: input.mode.unwrap_or(ConsultMode::Sync),
        request: AssignmentRequest {
            specialty: specialty.ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("specialty checked above")))?,
            named_expert: input.named_expert.clone().map(ExpertId::new),
        },
        mdt: input.mdt,
        question: input.question.trim().to_owned(),
    };
    let c = Consultation::request(new, &who, now).map_err(|e| refusal(actor, e))?;
    let row = ConsultationRow {
        division_code: inviting.division_code.clone(),
        id: id.clone(),
        resident_id: resident.id.clone(),
        inviting_institution_id: inviting.id.clone(),
        invited_division_code: invited.division_code.clone(),
        invited_institution_id: invited.id.clone(),
        specialty: input.specialty.trim().to_owned(),
        urgency: code(&c.urgency()),
        mode: code(&c.mode()),
        state: code(&c.state()),
        question: input.question.trim().to_owned(),
        summary: input.summary.trim().to_owned(),
        engine: serde_json::to_string(&c).map_err(|e| ServiceError::Internal(e.into()))?,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let a = audit::entry(
        actor,
        &resident.division_code,
        "consult",
        "consultation",
        &id,
        Some(&resident.id),
        &format!("to {}", invited.id),
    );
    repo::insert(&app.db, &row, &[], &a).await?;
    view(app, row, Vec::new()).await
}

pub(crate) async fn visible(app: &App, actor: &Actor, id: &str) -> Result<ConsultationRow, ServiceError> {
    let row = repo::get(&app.db, id).await?.ok_or(ServiceError::NotFound)?;
    let own = actor
        .institution_id
        .as_deref()
        .is_some_and(|i| i == row.inviting_institution_id || i == row.invited_institution_id);
    let expert = serde_json::from_str::<serde_json::Value>(&row.engine)
        .ok()
        .and_then(|v| v.get("experts").cloned())
        .and_then(|e| e.as_array().cloned())
        .is_some_and(|e| e.iter().any(|x| x.as_str() == Some(actor.user_id.as_str())));
    if own || expert || repo::is_guest(&app.db, &row.division_code, &row.id, &actor.user_id).await? {
        Ok(row)
    } else {
        Err(ServiceError::NotFound)
    }
}

/// A consultation with its timeline; the read is audited.
///
/// # Errors
/// `NotFound` unless the actor's institution takes part or the actor is an assigned expert.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<ConsultationView, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let row = visible(app, actor, id).await?;
    let timeline = workflow_repo::events(&app.db, Workflow::Consultation, &row.division_code, &row.id).await?;
    app.audit
        .record(audit::entry(
            actor,
            &row.division_code,
            "read",
            "consultation",
            &row.id,
            Some(&row.resident_id),
            "consultation page",
        ))
        .await?;
    let guests = guests::of(app, &row).await?;
    Ok(ConsultationView {
        guests,
        ..view(app, row, timeline).await?
    })
}

/// The institutions the actor may invite to a consultation: the county-tier institutions among
/// those they may refer to (the lead hospital's consultation centre, the TCM hospital).
///
/// # Errors
/// `Forbidden` without referral permission; a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn consultants(app: &App, actor: &Actor) -> Result<Vec<registry::Institution>, ServiceError> {
    Ok(crate::referrals::receivers(app, actor)
        .await?
        .into_iter()
        .filter(|i| i.tier == sanyi_domain::Tier::County.code())
        .collect())
}

/// What the viewer of a consultation may do there, decided once for every page that shows it.
#[derive(Clone, Debug, Default)]
pub struct ViewerRights {
    /// The viewer works at the inviting institution.
    pub is_inviting: bool,
    /// The viewer administers the invited institution (the consultation centre that triages).
    pub is_centre: bool,
    /// The viewer is an assigned expert.
    pub is_expert: bool,
    /// The viewer is an invited guest of the video call.
    pub is_guest: bool,
    /// The viewer may invite and withdraw guests (a party, while the video consultation is open).
    pub can_invite: bool,
    /// The experts the centre may assign: county specialists of the invited institution (empty
    /// unless the viewer is the centre).
    pub experts: Vec<ExpertChoice>,
}

/// An expert the consultation centre may assign.
#[derive(Clone, Debug)]
pub struct ExpertChoice {
    /// User id.
    pub id: String,
    /// Display name.
    pub display_name: String,
}

/// The viewer's rights on a consultation they may read (see [`get`]).
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn viewer_rights(app: &App, actor: &Actor, c: &ConsultationView) -> Result<ViewerRights, ServiceError> {
    let own = actor.institution_id.as_deref();
    let is_inviting = own == Some(c.inviting_institution_id.as_str());
    let is_centre = own == Some(c.invited_institution_id.as_str()) && actor.role == Role::Administrator;
    let is_expert = c
        .detail
        .get("experts")
        .and_then(|e| e.as_array())
        .is_some_and(|e| e.iter().any(|x| x.as_str() == Some(actor.user_id.as_str())));
    let is_guest = c.guests.iter().any(|g| g.user_id == actor.user_id);
    let open = ConsultationState::parse(&c.state).is_some_and(ConsultationState::is_open);
    let can_invite = c.mode == "sync" && open && (is_inviting || is_centre || is_expert);
    let experts = if is_centre {
        sanyi_store::users::all(&app.db)
            .await?
            .into_iter()
            .filter(|u| {
                Role::parse(&u.role) == Some(Role::CountySpecialist)
                    && u.active
                    && u.institution_id.as_deref() == Some(c.invited_institution_id.as_str())
            })
            .map(|u| ExpertChoice {
                id: u.id,
                display_name: u.display_name,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ViewerRights {
        is_inviting,
        is_centre,
        is_expert,
        is_guest,
        can_invite,
        experts,
    })
}

/// The consultations the actor is invited to as a guest, newest change first.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn as_guest(app: &App, actor: &Actor) -> Result<Vec<ConsultationView>, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let mut out = Vec::new();
    for r in repo::as_guest(&app.db, &actor.user_id, false).await? {
        out.push(view(app, r, Vec::new()).await?);
    }
    Ok(out)
}

/// Applies a command (triage, assign, schedule, opinion, acknowledge, …) as the actor.
///
/// # Errors
/// `Forbidden` (wrong side, checked before the state), `Conflict` (state or concurrent change),
/// `Validation` (incomplete command).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn apply(app: &App, actor: &Actor, id: &str, command: ConsultationCommand) -> Result<ConsultationView, ServiceError> {
    actor.require(Permission::ReferralWrite)?;
    let who = care_actor(actor, CareRole::ConsultCentre)?;
    let row = visible(app, actor, id).await?;
    let c: Consultation = serde_json::from_str(&row.engine).map_err(|e| ServiceError::Internal(e.into()))?;
    let now = Utc::now();
    let (next, event) = c.apply(&who, command, now).map_err(|e| refusal(actor, e))?;
    let updated = ConsultationRow {
        state: code(&next.state()),
        engine: serde_json::to_string(&next).map_err(|e| ServiceError::Internal(e.into()))?,
        updated_at: now,
        ..row.clone()
    };
    let e = event_row(&row.division_code, &row.id, &event);
    let a = audit::entry(
        actor,
        &row.division_code,
        "update",
        "consultation",
        &row.id,
        Some(&row.resident_id),
        &format!("{} -> {}", e.from_state, e.to_state),
    );
    repo::update(&app.db, &updated, row.version, &e, Some(&a)).await?;
    get(app, actor, id).await
}

/// Counts by state of the consultations requested (`inbox = false`) or received (`inbox = true`)
/// by the actor's institution: (state code, Chinese label, count).
///
/// # Errors
/// `Forbidden` without an institution.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn counts(app: &App, actor: &Actor, inbox: bool) -> Result<Vec<(String, String, i64)>, ServiceError> {
    let institution = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "consultation.institution",
    })?;
    let inst = registry::institution(&app.db, &institution).await?.ok_or(ServiceError::NotFound)?;
    let side = workflow::side(inbox);
    let rows = workflow_repo::count_by_state(&app.db, Workflow::Consultation, &inst.division_code, &inst.id, side).await?;
    Ok(workflow::labelled(rows, sanyi_care::consultation::ConsultationState::label_zh))
}

/// One page of the consultations requested (`inbox = false`) or received (`inbox = true`) by the
/// actor's institution, newest change first, with the number of all matching ones.
///
/// # Errors
/// `Forbidden` without an institution; `Validation` for an unknown state.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(
    app: &App,
    actor: &Actor,
    inbox: bool,
    state: Option<&str>,
    page: sanyi_store::Page,
) -> Result<sanyi_store::Paged<ConsultationView>, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    if let Some(s) = state
        && serde_json::from_value::<sanyi_care::consultation::ConsultationState>(serde_json::Value::String(s.to_owned())).is_err()
    {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "state",
            "enum",
            "a consultation state code",
            &format!("Unknown consultation state {s:?}"),
            "未知的会诊状态",
        )]));
    }
    let institution = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "consultation.institution",
    })?;
    let inst = registry::institution(&app.db, &institution).await?.ok_or(ServiceError::NotFound)?;
    let rows = repo::page(&app.db, &inst.division_code, &inst.id, workflow::side(inbox), state, page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for r in rows.items {
        items.push(view(app, r, Vec::new()).await?);
    }
    Ok(sanyi_store::Paged {
        items,
        total: rows.total,
        offset: rows.offset,
        limit: rows.limit,
    })
}

/// Every consultation of one state requested (`inbox = false`) or received (`inbox = true`) by the
/// actor's institution, as stored (no cap, no resident lookups): for notification counts.
///
/// # Errors
/// `Forbidden` without an institution; a database error.
pub(crate) async fn rows_in_state(app: &App, actor: &Actor, inbox: bool, state: &str) -> Result<Vec<ConsultationRow>, ServiceError> {
    let institution = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "consultation.institution",
    })?;
    let inst = registry::institution(&app.db, &institution).await?.ok_or(ServiceError::NotFound)?;
    Ok(
        workflow_repo::list::<ConsultationRow>(&app.db, &inst.division_code, &inst.id, workflow::side(inbox), Some(state), i64::MAX)
            .await?,
    )
}

/// Fires due timers (missed opinion deadline → expired). Returns how many changed.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all)]
pub async fn tick(app: &App, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let policy = &app.policies.consultation;
    let mut changed = 0;
    for row in workflow_repo::not_final::<ConsultationRow>(&app.db, &ConsultationState::final_codes()).await? {
        let Ok(c) = serde_json::from_str::<Consultation>(&row.engine) else {
            continue;
        };
        if let Some((next, event)) = c.tick(policy, now) {
            let updated = ConsultationRow {
                state: code(&next.state()),
                engine: serde_json::to_string(&next).map_err(|e| ServiceError::Internal(e.into()))?,
                updated_at: now,
                ..row.clone()
            };
            match repo::update(
                &app.db,
                &updated,
                row.version,
                &event_row(&row.division_code, &row.id, &event),
                None,
            )
            .await
            {
                Ok(()) => changed += 1,
                Err(sanyi_store::StoreError::VersionConflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(changed)
}

async fn view(app: &App, row: ConsultationRow, timeline: Vec<WorkflowEvent>) -> Result<ConsultationView, ServiceError> {
    let resident = residents_repo::get(&app.db, &sanyi_store::residents::ResidentScope::all(), &row.resident_id).await?;
    let state: Option<sanyi_care::consultation::ConsultationState> =
        serde_json::from_value(serde_json::Value::String(row.state.clone())).ok();
    let engine = serde_json::from_str::<Consultation>(&row.engine).ok();
    Ok(ConsultationView {
        mdt: engine.as_ref().is_some_and(Consultation::is_mdt),
        chair: engine.as_ref().and_then(|c| c.chair().map(|x| x.as_str().to_owned())),
        chair_summary: engine.as_ref().and_then(|c| c.chair_summary().map(str::to_owned)),
        opinions: engine.as_ref().map(|c| c.opinions().to_vec()).unwrap_or_default(),
        guests: Vec::new(),
        state_zh: state.map(|s| s.label_zh().to_owned()).unwrap_or_default(),
        resident_name: resident.map(|r| r.name).unwrap_or_default(),
        detail: serde_json::from_str(&row.engine).unwrap_or_default(),
        timeline: timeline.into_iter().map(TimelineEntry::from).collect(),
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

/// Who may join the video call of a consultation: the inviting institution's staff, the assigned
/// experts and the invited guests, while a synchronous consultation is scheduled or in session. Returns the row.
///
/// # Errors
/// `NotFound` for outsiders (indistinguishable from a missing consultation); `Conflict` when the
/// consultation is not a synchronous one in a callable state.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn call_access(app: &App, actor: &Actor, id: &str) -> Result<ConsultationRow, ServiceError> {
    let row = repo::get(&app.db, id).await?.ok_or(ServiceError::NotFound)?;
    let c: Consultation = serde_json::from_str(&row.engine).map_err(|e| ServiceError::Internal(e.into()))?;
    let inviting = actor.institution_id.as_deref() == Some(row.inviting_institution_id.as_str());
    let expert = c.experts().iter().any(|e| e.as_str() == actor.user_id);
    if !(inviting || expert || repo::is_guest(&app.db, &row.division_code, &row.id, &actor.user_id).await?) {
        return Err(ServiceError::NotFound);
    }
    let callable = c.mode() == ConsultMode::Sync && matches!(row.state.as_str(), "scheduled" | "in_session");
    if !callable {
        return Err(ServiceError::Conflict(vec![FieldError::new(
            "state",
            "consultation.call",
            "a synchronous consultation that is scheduled or in session",
            "This consultation has no video session open",
            "该会诊当前没有可加入的视频会话",
        )]));
    }
    app.audit
        .record(audit::entry(
            actor,
            &row.division_code,
            "call",
            "consultation",
            &row.id,
            Some(&row.resident_id),
            "joined the video call",
        ))
        .await?;
    Ok(row)
}

/// Records a finished video session.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all)]
pub async fn record_call(
    app: &App,
    row: &ConsultationRow,
    started: DateTime<Utc>,
    ended: DateTime<Utc>,
    participants: &[String],
) -> Result<(), ServiceError> {
    let s = sanyi_store::consultations::CallSessionRow {
        division_code: row.division_code.clone(),
        id: sanyi_store::new_id(),
        consultation_id: row.id.clone(),
        started_at: started,
        ended_at: ended,
        duration_seconds: (ended - started).num_seconds().max(0),
        participants: serde_json::to_string(participants).unwrap_or_else(|_| "[]".into()),
    };
    repo::insert_call_session(&app.db, &s).await?;
    Ok(())
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

async fn centre(app: &App, actor: &Actor) -> Result<registry::Institution, ServiceError> {
    actor.require(Permission::ReferralWrite)?;
    let id = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "consultation.institution",
    })?;
    registry::institution(&app.db, &id).await?.ok_or(ServiceError::NotFound)
}

/// Open consultations per assigned expert at a centre.
async fn queues(app: &App, inst: &registry::Institution) -> Result<std::collections::HashMap<String, u32>, ServiceError> {
    let mut q = std::collections::HashMap::new();
    let open: Vec<&str> = ConsultationState::ALL.iter().filter(|s| s.is_open()).map(|s| s.code()).collect();
    for row in repo::open_received(&app.db, &inst.division_code, &inst.id, &open).await? {
        if let Ok(c) = serde_json::from_str::<Consultation>(&row.engine) {
            for e in c.experts() {
                *q.entry(e.as_str().to_owned()).or_insert(0) += 1;
            }
        }
    }
    Ok(q)
}

/// The expert roster of the actor's consultation centre, with current queues.
///
/// # Errors
/// `Forbidden` without write permission or institution.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn roster(app: &App, actor: &Actor) -> Result<Vec<RosterView>, ServiceError> {
    let inst = centre(app, actor).await?;
    let q = queues(app, &inst).await?;
    Ok(repo::roster(&app.db, &inst.division_code, &inst.id, None)
        .await?
        .into_iter()
        .map(|e| RosterView {
            queue: q.get(&e.user_id).copied().unwrap_or(0),
            user_id: e.user_id,
            specialty: e.specialty,
            title: e.title,
            on_duty: e.on_duty,
        })
        .collect())
}

/// Adds or changes a line of the actor's centre roster.
///
/// # Errors
/// `Validation` for a bad specialty or a user outside the centre's county.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn set_roster(app: &App, actor: &Actor, input: &RosterInput) -> Result<Vec<RosterView>, ServiceError> {
    // The centre's administrators keep its roster.
    actor.require(Permission::RegistryWrite)?;
    let inst = centre(app, actor).await?;
    let mut errs = Errors::default();
    let specialty = errs.field("specialty", Specialty::parse(&input.specialty));
    let user = sanyi_store::users::by_id(&app.db, &input.user_id).await?;
    if user.as_ref().is_none_or(|u| u.division_code != inst.division_code) {
        errs.push(FieldError::new(
            "user_id",
            "roster.user",
            "a user of the centre's county",
            "Unknown user for this centre",
            "该用户不属于本会诊中心所在县",
        ));
    }
    errs.finish()?;
    repo::upsert_roster(
        &app.db,
        &repo::RosterEntry {
            division_code: inst.division_code.clone(),
            institution_id: inst.id.clone(),
            user_id: input.user_id.clone(),
            specialty: specialty.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            title: code(&input.title),
            on_duty: input.on_duty,
            updated_at: Utc::now(),
        },
    )
    .await?;
    roster(app, actor).await
}

/// Assigns the expert the rule chooses (docs/rules/remote-services.md#consultation): the named expert if on duty, otherwise the
/// on-duty expert of the specialty with title ≥ attending and the shortest queue.
///
/// # Errors
/// `Conflict`/`Forbidden` as for [`apply`]; `Validation` when nobody on the roster qualifies or the
/// request is an MDT (which needs a chosen panel and chair).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn auto_assign(app: &App, actor: &Actor, id: &str) -> Result<ConsultationView, ServiceError> {
    let inst = centre(app, actor).await?;
    let row = visible(app, actor, id).await?;
    let c: Consultation = serde_json::from_str(&row.engine).map_err(|e| ServiceError::Internal(e.into()))?;
    let invalid = |rule: &str, en: &str, zh: &str| {
        ServiceError::Validation(vec![FieldError::new("experts", rule, "an expert on the roster", en, zh)])
    };
    if c.is_mdt() {
        return Err(invalid(
            "assign.mdt",
            "An MDT consultation needs its panel and chair chosen by the centre",
            "多学科会诊须由会诊中心指定专家组和主持人",
        ));
    }
    let q = queues(app, &inst).await?;
    let loads: Vec<sanyi_care::consultation::ExpertLoad> = repo::roster(&app.db, &inst.division_code, &inst.id, None)
        .await?
        .into_iter()
        .filter_map(|e| {
            let title = serde_json::from_value(serde_json::Value::String(e.title.clone())).ok()?;
            Some(sanyi_care::consultation::ExpertLoad {
                queue: q.get(&e.user_id).copied().unwrap_or(0),
                expert: ExpertId::new(e.user_id),
                specialty: Specialty::new(e.specialty),
                title,
                on_duty: e.on_duty,
            })
        })
        .collect();
    let expert = sanyi_care::consultation::assign(c.assignment_request(), &loads).ok_or_else(|| {
        invalid(
            "assign.none",
            "No expert of the requested specialty is on duty with title attending or above",
            "该专科暂无在岗的主治及以上职称专家",
        )
    })?;
    apply(
        app,
        actor,
        id,
        ConsultationCommand::Assign {
            experts: vec![expert],
            chair: None,
        },
    )
    .await
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
}

/// The signed opinions of a resident's consultations, newest first, for the resident's record
/// (read as part of the record, whose read is audited).
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all)]
pub async fn opinions_of(app: &App, division: &str, resident_id: &str) -> Result<Vec<RecordOpinion>, ServiceError> {
    let mut out = Vec::new();
    for row in repo::of_resident(&app.db, division, resident_id).await? {
        let Ok(c) = serde_json::from_str::<Consultation>(&row.engine) else {
            continue;
        };
        if c.opinions().is_empty() {
            continue;
        }
        let institution_name = sanyi_store::registry::names(&app.db, std::slice::from_ref(&row.invited_institution_id))
            .await?
            .remove(&row.invited_institution_id)
            .unwrap_or_default();
        for o in c.opinions() {
            let expert_name = sanyi_store::users::by_id(&app.db, o.expert.as_str())
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default();
            out.push(RecordOpinion {
                consultation_id: row.id.clone(),
                state: row.state.clone(),
                specialty: row.specialty.clone(),
                institution_name: institution_name.clone(),
                expert_id: o.expert.as_str().to_owned(),
                expert_name,
                impression: o.impression.clone(),
                advice: o.advice.clone(),
                recommend_referral: o.recommend_referral,
                signed_at: o.signed_at,
                chair_summary: c.chair_summary().map(str::to_owned),
            });
        }
    }
    out.sort_by_key(|o| std::cmp::Reverse(o.signed_at));
    Ok(out)
}

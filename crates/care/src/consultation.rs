//! Remote consultation (远程会诊) workflow, expert assignment and deadlines, docs/rules/remote-services.md#consultation.
//!
//! The inviting side (邀请方, the patient's institution) asks the invited side (受邀方, whose
//! consultation centre triages and assigns experts). As for referrals, [`Consultation::apply`]
//! checks the actor before the state, and time is always passed in.
//!
//! ```text
//! Requested ─triage─▶ Triaged ─assign─▶ Assigned ─schedule─▶ Scheduled ─start_session─▶ InSession (sync)
//! Requested|Triaged ─return_for_info─▶ ReturnedForInfo ─provide_info─▶ Requested
//! Assigned|Scheduled (async) or InSession (sync) ─opinions (+ MDT chair summary)─▶ OpinionIssued
//! OpinionIssued ─acknowledge─▶ Acknowledged ─close─▶ Closed ─rate─▶ Rated
//! Requested|Triaged|Assigned|Scheduled ─reject─▶ Rejected
//! Requested|Triaged|ReturnedForInfo|Assigned|Scheduled ─cancel─▶ Cancelled
//! any open state ─opinion deadline missed─▶ Expired
//! ```

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::state::WorkflowState;

use crate::Timer;
use crate::actor::{ActorRef, ConsultationId, ExpertId, InstitutionId, Role, UserId};
use crate::calendar::WorkCalendar;

/// State of a remote consultation (会诊状态).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationState {
    /// Requested by the inviting doctor.
    Requested,
    /// Checked complete by the consultation centre.
    Triaged,
    /// Returned to the inviting side for more information.
    ReturnedForInfo,
    /// Expert(s) assigned.
    Assigned,
    /// Slot or deadline agreed.
    Scheduled,
    /// Synchronous session running.
    InSession,
    /// Signed opinion issued.
    OpinionIssued,
    /// Inviting doctor confirmed and recorded the decision.
    Acknowledged,
    /// Closed.
    Closed,
    /// Rated by the inviting side (terminal).
    Rated,
    /// Rejected by the invited side (terminal).
    Rejected,
    /// Cancelled by the inviting side (terminal).
    Cancelled,
    /// Deadline missed (terminal; escalated to the centre).
    Expired,
}

impl ConsultationState {
    /// All states.
    pub const ALL: [ConsultationState; 13] = [
        ConsultationState::Requested,
        ConsultationState::Triaged,
        ConsultationState::ReturnedForInfo,
        ConsultationState::Assigned,
        ConsultationState::Scheduled,
        ConsultationState::InSession,
        ConsultationState::OpinionIssued,
        ConsultationState::Acknowledged,
        ConsultationState::Closed,
        ConsultationState::Rated,
        ConsultationState::Rejected,
        ConsultationState::Cancelled,
        ConsultationState::Expired,
    ];

    /// The states in which the video call of a synchronous consultation can be joined.
    pub const CALLABLE: [ConsultationState; 2] = [ConsultationState::Scheduled, ConsultationState::InSession];

    /// Whether the video call of a synchronous consultation can be joined in this state.
    pub fn is_callable(self) -> bool {
        Self::CALLABLE.contains(&self)
    }

    /// Whether the consultation is still open: its opinion is still to come and the deadline runs.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ConsultationState::Requested
                | ConsultationState::Triaged
                | ConsultationState::ReturnedForInfo
                | ConsultationState::Assigned
                | ConsultationState::Scheduled
                | ConsultationState::InSession
        )
    }
}

impl WorkflowState for ConsultationState {
    const ALL: &'static [ConsultationState] = &ConsultationState::ALL;

    fn code(self) -> &'static str {
        match self {
            ConsultationState::Requested => "requested",
            ConsultationState::Triaged => "triaged",
            ConsultationState::ReturnedForInfo => "returned_for_info",
            ConsultationState::Assigned => "assigned",
            ConsultationState::Scheduled => "scheduled",
            ConsultationState::InSession => "in_session",
            ConsultationState::OpinionIssued => "opinion_issued",
            ConsultationState::Acknowledged => "acknowledged",
            ConsultationState::Closed => "closed",
            ConsultationState::Rated => "rated",
            ConsultationState::Rejected => "rejected",
            ConsultationState::Cancelled => "cancelled",
            ConsultationState::Expired => "expired",
        }
    }

    /// Chinese label.
    fn label_zh(self) -> &'static str {
        match self {
            ConsultationState::Requested => "已申请",
            ConsultationState::Triaged => "已分诊",
            ConsultationState::ReturnedForInfo => "退回补充",
            ConsultationState::Assigned => "已分配专家",
            ConsultationState::Scheduled => "已排期",
            ConsultationState::InSession => "会诊中",
            ConsultationState::OpinionIssued => "已出具意见",
            ConsultationState::Acknowledged => "已确认",
            ConsultationState::Closed => "已结束",
            ConsultationState::Rated => "已评价",
            ConsultationState::Rejected => "已拒绝",
            ConsultationState::Cancelled => "已取消",
            ConsultationState::Expired => "已超时",
        }
    }

    fn is_final(self) -> bool {
        matches!(
            self,
            ConsultationState::Rated | ConsultationState::Rejected | ConsultationState::Cancelled | ConsultationState::Expired
        )
    }
}

/// Every allowed `(from, to)` pair; self-pairs record a partial MDT opinion.
pub const TRANSITIONS: &[(ConsultationState, ConsultationState)] = {
    use ConsultationState::*;
    &[
        (Requested, Triaged),
        (Requested, ReturnedForInfo),
        (Triaged, ReturnedForInfo),
        (ReturnedForInfo, Requested),
        (Triaged, Assigned),
        (Assigned, Scheduled),
        (Scheduled, InSession),
        (Assigned, Assigned),
        (Scheduled, Scheduled),
        (InSession, InSession),
        (Assigned, OpinionIssued),
        (Scheduled, OpinionIssued),
        (InSession, OpinionIssued),
        (OpinionIssued, Acknowledged),
        (Acknowledged, Closed),
        (Closed, Rated),
        (Requested, Rejected),
        (Triaged, Rejected),
        (Assigned, Rejected),
        (Scheduled, Rejected),
        (Requested, Cancelled),
        (Triaged, Cancelled),
        (ReturnedForInfo, Cancelled),
        (Assigned, Cancelled),
        (Scheduled, Cancelled),
        (Requested, Expired),
        (Triaged, Expired),
        (ReturnedForInfo, Expired),
        (Assigned, Expired),
        (Scheduled, Expired),
        (InSession, Expired),
    ]
};

/// Whether `from → to` is in [`TRANSITIONS`].
pub fn is_allowed_transition(from: ConsultationState, to: ConsultationState) -> bool {
    TRANSITIONS.contains(&(from, to))
}

/// Urgency of a consultation (会诊紧急程度).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultUrgency {
    /// Emergency (急会诊).
    Emergency,
    /// Routine (普通会诊).
    Routine,
}

/// Synchronous (video) or asynchronous (written) consultation (会诊方式).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultMode {
    /// Video session (同步视频会诊).
    Sync,
    /// Written opinion by a deadline (异步会诊).
    Async,
}

/// Professional title (职称), ordered by seniority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Title {
    /// Resident (住院医师).
    Resident,
    /// Attending (主治医师).
    Attending,
    /// Associate chief (副主任医师).
    AssociateChief,
    /// Chief (主任医师).
    Chief,
}

/// Clinical specialty code (专科), e.g. `cardiology`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Specialty(String);

impl Specialty {
    /// A specialty code from input: trimmed, non-empty, lower-case letters and underscores
    /// (`neurology`, `general_surgery`).
    ///
    /// # Errors
    /// `specialty.code` otherwise.
    pub fn parse(code: &str) -> Result<Specialty, sanyi_domain::InvalidValue> {
        let code = code.trim();
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(sanyi_domain::InvalidValue::new(
                "specialty.code",
                "a lowercase code such as neurology",
                "Bad specialty code",
                "专科代码格式不正确",
            ));
        }
        Ok(Specialty(code.to_owned()))
    }

    /// Wraps a specialty code.
    pub fn new(code: impl Into<String>) -> Specialty {
        Specialty(code.into())
    }
    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An expert's current availability and load (专家排班与负荷).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpertLoad {
    /// Expert.
    pub expert: ExpertId,
    /// Specialty.
    pub specialty: Specialty,
    /// Title.
    pub title: Title,
    /// On duty (在岗/排班中).
    pub on_duty: bool,
    /// Open consultations in the expert's queue.
    pub queue: u32,
}

/// What assignment needs to know about a request (会诊需求).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentRequest {
    /// Requested specialty.
    pub specialty: Specialty,
    /// Named expert, if any.
    pub named_expert: Option<ExpertId>,
}

/// Expert assignment rule (专家分配规则), docs/rules/remote-services.md#consultation: the named expert if on duty; otherwise the
/// on-duty expert of the requested specialty with title ≥ attending (主治) and the lowest current
/// queue; ties go to the smaller [`ExpertId`], so the result is deterministic. `None` if nobody
/// qualifies.
///
/// # Example
/// ```
/// use sanyi_care::ExpertId;
/// use sanyi_care::consultation::{assign, AssignmentRequest, ExpertLoad, Specialty, Title};
/// let e = |id: &str, q| ExpertLoad { expert: ExpertId::new(id), specialty: Specialty::new("cardio"),
///     title: Title::Attending, on_duty: true, queue: q };
/// let req = AssignmentRequest { specialty: Specialty::new("cardio"), named_expert: None };
/// assert_eq!(assign(&req, &[e("b", 2), e("a", 3), e("c", 2)]), Some(ExpertId::new("b")));
/// ```
pub fn assign(request: &AssignmentRequest, experts: &[ExpertLoad]) -> Option<ExpertId> {
    if let Some(named) = &request.named_expert
        && experts.iter().any(|e| &e.expert == named && e.on_duty)
    {
        return Some(named.clone());
    }
    experts
        .iter()
        .filter(|e| e.on_duty && e.specialty == request.specialty && e.title >= Title::Attending)
        .min_by(|a, b| a.queue.cmp(&b.queue).then_with(|| a.expert.cmp(&b.expert)))
        .map(|e| e.expert.clone())
}

/// Deadlines policy of remote consultation (会诊时限策略); defaults from docs/rules/remote-services.md#consultation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationPolicy {
    /// Working calendar for the synchronous slot window.
    pub calendar: WorkCalendar,
    /// Emergency: respond (triage or assign) within (30 min).
    pub emergency_response: Duration,
    /// Emergency: opinion within (2 h).
    pub emergency_opinion: Duration,
    /// Routine asynchronous: opinion within (48 h; usual range 24–48 h, docs/rules/remote-services.md#consultation).
    pub routine_opinion: Duration,
    /// Routine synchronous: session slot within this many working days (3).
    pub sync_slot_working_days: u32,
    /// Routine synchronous: opinion due this long after the slot (sanyi default 24 h).
    pub sync_opinion_after_slot: Duration,
    /// Billing unit of a synchronous session (30 min).
    pub session_unit: Duration,
}

impl Default for ConsultationPolicy {
    fn default() -> Self {
        ConsultationPolicy {
            calendar: WorkCalendar::default(),
            emergency_response: Duration::minutes(30),
            emergency_opinion: Duration::hours(2),
            routine_opinion: Duration::hours(48),
            sync_slot_working_days: 3,
            sync_opinion_after_slot: Duration::hours(24),
            session_unit: Duration::minutes(30),
        }
    }
}

impl ConsultationPolicy {
    /// Number of billing units for a session of `length` (rounded up; at least 1).
    pub fn session_units(&self, length: Duration) -> i64 {
        let unit = self.session_unit.num_seconds().max(1);
        let secs = length.num_seconds().max(1);
        (secs + unit - 1) / unit
    }
}

/// An expert's structured opinion (会诊意见).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opinion {
    /// Signing expert.
    pub expert: ExpertId,
    /// Impression.
    pub impression: String,
    /// Advice.
    pub advice: String,
    /// Whether the expert recommends referral.
    pub recommend_referral: bool,
    /// Signed at.
    pub signed_at: DateTime<Utc>,
}

/// Fields of a new consultation request (会诊申请).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewConsultation {
    /// Identifier.
    pub id: ConsultationId,
    /// Inviting institution (邀请方).
    pub inviting: InstitutionId,
    /// Invited institution (受邀方).
    pub invited: InstitutionId,
    /// Urgency.
    pub urgency: ConsultUrgency,
    /// Mode.
    pub mode: ConsultMode,
    /// Requested specialty and named expert.
    pub request: AssignmentRequest,
    /// Multidisciplinary (多学科会诊, MDT).
    pub mdt: bool,
    /// Clinical question.
    pub question: String,
}

/// Command on a consultation (会诊操作).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationCommand {
    /// Centre confirms the request is complete.
    Triage,
    /// Centre returns the request for more information.
    ReturnForInfo {
        /// What is missing.
        reason: String,
    },
    /// Inviting side supplies the missing information.
    ProvideInfo,
    /// Centre assigns experts (one, or several plus a chair for MDT).
    Assign {
        /// Experts.
        experts: Vec<ExpertId>,
        /// MDT chair (must be one of `experts`).
        chair: Option<ExpertId>,
    },
    /// Slot (sync) or written deadline (async) agreed.
    Schedule {
        /// Slot or deadline.
        at: DateTime<Utc>,
    },
    /// Synchronous session starts.
    StartSession,
    /// An assigned expert signs an opinion.
    SubmitOpinion {
        /// Impression.
        impression: String,
        /// Advice.
        advice: String,
        /// Recommends referral.
        recommend_referral: bool,
    },
    /// MDT chair's summary.
    ChairSummary {
        /// Summary text.
        summary: String,
    },
    /// Inviting doctor acknowledges and records the decision.
    Acknowledge {
        /// Decision recorded.
        decision: String,
    },
    /// Close.
    Close,
    /// Optional satisfaction rating 1–5.
    Rate {
        /// Stars.
        stars: u8,
    },
    /// Invited side rejects.
    Reject {
        /// Reason.
        reason: String,
    },
    /// Inviting side cancels.
    Cancel {
        /// Reason.
        reason: String,
    },
}

/// Kind of a consultation command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultCommandKind {
    /// New request ([`Consultation::request`]).
    Request,
    /// Triage.
    Triage,
    /// Return for info.
    ReturnForInfo,
    /// Provide info.
    ProvideInfo,
    /// Assign.
    Assign,
    /// Schedule.
    Schedule,
    /// Start session.
    StartSession,
    /// Submit opinion.
    SubmitOpinion,
    /// Chair summary.
    ChairSummary,
    /// Acknowledge.
    Acknowledge,
    /// Close.
    Close,
    /// Rate.
    Rate,
    /// Reject.
    Reject,
    /// Cancel.
    Cancel,
    /// Timer fired.
    Timer,
}

impl ConsultCommandKind {
    /// Chinese label of the action, as timelines show it.
    pub fn label_zh(self) -> &'static str {
        match self {
            ConsultCommandKind::Request => "申请会诊",
            ConsultCommandKind::Triage => "分诊",
            ConsultCommandKind::ReturnForInfo => "退回补充资料",
            ConsultCommandKind::ProvideInfo => "补充资料",
            ConsultCommandKind::Assign => "分配专家",
            ConsultCommandKind::Schedule => "排期",
            ConsultCommandKind::StartSession => "开始会诊",
            ConsultCommandKind::SubmitOpinion => "出具意见",
            ConsultCommandKind::ChairSummary => "主持人总结",
            ConsultCommandKind::Acknowledge => "确认意见",
            ConsultCommandKind::Close => "结束",
            ConsultCommandKind::Rate => "评价",
            ConsultCommandKind::Reject => "拒绝",
            ConsultCommandKind::Cancel => "取消",
            ConsultCommandKind::Timer => "系统超时处理",
        }
    }
}

impl ConsultationCommand {
    /// The command's kind.
    pub fn kind(&self) -> ConsultCommandKind {
        use ConsultationCommand as C;
        match self {
            C::Triage => ConsultCommandKind::Triage,
            C::ReturnForInfo { .. } => ConsultCommandKind::ReturnForInfo,
            C::ProvideInfo => ConsultCommandKind::ProvideInfo,
            C::Assign { .. } => ConsultCommandKind::Assign,
            C::Schedule { .. } => ConsultCommandKind::Schedule,
            C::StartSession => ConsultCommandKind::StartSession,
            C::SubmitOpinion { .. } => ConsultCommandKind::SubmitOpinion,
            C::ChairSummary { .. } => ConsultCommandKind::ChairSummary,
            C::Acknowledge { .. } => ConsultCommandKind::Acknowledge,
            C::Close => ConsultCommandKind::Close,
            C::Rate { .. } => ConsultCommandKind::Rate,
            C::Reject { .. } => ConsultCommandKind::Reject,
            C::Cancel { .. } => ConsultCommandKind::Cancel,
        }
    }
}

/// A recorded consultation transition (会诊流转记录).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationEvent {
    /// State before.
    pub from: ConsultationState,
    /// State after.
    pub to: ConsultationState,
    /// Cause.
    pub command: ConsultCommandKind,
    /// Acting user; `None` for a timer.
    pub actor: Option<UserId>,
    /// Acting institution; `None` for a timer.
    pub institution: Option<InstitutionId>,
    /// When.
    pub at: DateTime<Utc>,
    /// Reason or note.
    pub reason: Option<String>,
}

/// Refusal of a consultation command (会诊操作错误).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConsultationError {
    /// The actor may not perform this command (checked before the state).
    #[error("not allowed to {command:?} this consultation")]
    NotAllowed {
        /// Command.
        command: ConsultCommandKind,
    },
    /// Not valid in the current state.
    #[error("cannot {command:?} a consultation in state {from:?}")]
    InvalidTransition {
        /// Current state.
        from: ConsultationState,
        /// Command.
        command: ConsultCommandKind,
    },
    /// A reason or text is mandatory.
    #[error("a reason is required to {command:?}")]
    ReasonRequired {
        /// Command.
        command: ConsultCommandKind,
    },
    /// Assignment invalid (no expert, MDT without chair, chair not among experts).
    #[error("invalid assignment: {problem}")]
    InvalidAssignment {
        /// What is wrong.
        problem: &'static str,
    },
    /// The expert already signed an opinion.
    #[error("opinion already submitted")]
    DuplicateOpinion,
    /// Chair summary before every expert's opinion.
    #[error("{missing} expert opinion(s) missing")]
    OpinionsMissing {
        /// Count missing.
        missing: usize,
    },
    /// Rating outside 1–5.
    #[error("rating must be 1 to 5")]
    InvalidRating,
    /// Schedule instant not after now.
    #[error("schedule must be in the future")]
    ScheduleInPast,
}

/// A consultation timer (会诊计时器).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationTimer {
    /// Emergency response deadline (alert, escalate to the centre).
    ResponseDue,
    /// Synchronous slot not yet agreed by the window (alert).
    SlotDue,
    /// Opinion deadline; fires `→ Expired`.
    OpinionDue,
}

/// A remote consultation (远程会诊).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    id: ConsultationId,
    state: ConsultationState,
    inviting: InstitutionId,
    invited: InstitutionId,
    urgency: ConsultUrgency,
    mode: ConsultMode,
    request: AssignmentRequest,
    mdt: bool,
    question: String,
    requested_at: DateTime<Utc>,
    clock_start: DateTime<Utc>,
    responded_at: Option<DateTime<Utc>>,
    experts: Vec<ExpertId>,
    chair: Option<ExpertId>,
    scheduled_at: Option<DateTime<Utc>>,
    opinions: Vec<Opinion>,
    chair_summary: Option<String>,
    opinion_issued_at: Option<DateTime<Utc>>,
    rating: Option<u8>,
}

fn need_text(text: &str, command: ConsultCommandKind) -> Result<(), ConsultationError> {
    if text.trim().is_empty() {
        Err(ConsultationError::ReasonRequired { command })
    } else {
        Ok(())
    }
}

impl Consultation {
    /// Creates a request (state `Requested`).
    ///
    /// # Errors
    /// `NotAllowed` when the actor is not at the inviting institution; `ReasonRequired` for an
    /// empty question.
    pub fn request(new: NewConsultation, actor: &ActorRef, now: DateTime<Utc>) -> Result<Consultation, ConsultationError> {
        if actor.institution != new.inviting {
            return Err(ConsultationError::NotAllowed {
                command: ConsultCommandKind::Request,
            });
        }
        need_text(&new.question, ConsultCommandKind::Request)?;
        Ok(Consultation {
            id: new.id,
            state: ConsultationState::Requested,
            inviting: new.inviting,
            invited: new.invited,
            urgency: new.urgency,
            mode: new.mode,
            request: new.request,
            mdt: new.mdt,
            question: new.question,
            requested_at: now,
            clock_start: now,
            responded_at: None,
            experts: Vec::new(),
            chair: None,
            scheduled_at: None,
            opinions: Vec::new(),
            chair_summary: None,
            opinion_issued_at: None,
            rating: None,
        })
    }

    /// Identifier.
    pub fn id(&self) -> &ConsultationId {
        &self.id
    }
    /// State.
    pub fn state(&self) -> ConsultationState {
        self.state
    }
    /// Urgency.
    pub fn urgency(&self) -> ConsultUrgency {
        self.urgency
    }
    /// Mode.
    pub fn mode(&self) -> ConsultMode {
        self.mode
    }
    /// Assignment request (specialty, named expert).
    pub fn assignment_request(&self) -> &AssignmentRequest {
        &self.request
    }
    /// Whether this is an MDT consultation.
    pub fn is_mdt(&self) -> bool {
        self.mdt
    }
    /// Clinical question.
    pub fn question(&self) -> &str {
        &self.question
    }
    /// First request time.
    pub fn requested_at(&self) -> DateTime<Utc> {
        self.requested_at
    }
    /// Start of the deadline clock (reset when information is supplied after a return).
    pub fn clock_start(&self) -> DateTime<Utc> {
        self.clock_start
    }
    /// When the session is scheduled, once it is.
    pub fn scheduled_at(&self) -> Option<DateTime<Utc>> {
        self.scheduled_at
    }
    /// Assigned experts.
    pub fn experts(&self) -> &[ExpertId] {
        &self.experts
    }
    /// MDT chair.
    pub fn chair(&self) -> Option<&ExpertId> {
        self.chair.as_ref()
    }
    /// Signed opinions.
    pub fn opinions(&self) -> &[Opinion] {
        &self.opinions
    }
    /// Chair's summary.
    pub fn chair_summary(&self) -> Option<&str> {
        self.chair_summary.as_deref()
    }
    /// When the opinion was issued.
    pub fn opinion_issued_at(&self) -> Option<DateTime<Utc>> {
        self.opinion_issued_at
    }
    /// Rating.
    pub fn rating(&self) -> Option<u8> {
        self.rating
    }

    /// Response deadline (emergency only).
    pub fn respond_by(&self, policy: &ConsultationPolicy) -> Option<DateTime<Utc>> {
        (self.urgency == ConsultUrgency::Emergency).then(|| self.clock_start + policy.emergency_response)
    }

    /// Synchronous slot window (routine sync only).
    pub fn slot_by(&self, policy: &ConsultationPolicy) -> Option<DateTime<Utc>> {
        (self.urgency == ConsultUrgency::Routine && self.mode == ConsultMode::Sync)
            .then(|| policy.calendar.add_working_days(self.clock_start, policy.sync_slot_working_days))
    }

    /// Opinion deadline.
    pub fn opinion_by(&self, policy: &ConsultationPolicy) -> DateTime<Utc> {
        match (self.urgency, self.mode) {
            (ConsultUrgency::Emergency, _) => self.clock_start + policy.emergency_opinion,
            (ConsultUrgency::Routine, ConsultMode::Async) => self.clock_start + policy.routine_opinion,
            (ConsultUrgency::Routine, ConsultMode::Sync) => {
                let slot = match self.scheduled_at {
                    Some(s) => s,
                    None => self.slot_by(policy).unwrap_or(self.clock_start),
                };
                slot + policy.sync_opinion_after_slot
            }
        }
    }

    fn is_expert(&self, user: &UserId) -> bool {
        self.experts.iter().any(|e| e.is_user(user))
    }

    fn permitted(&self, actor: &ActorRef, command: &ConsultationCommand) -> bool {
        use ConsultationCommand as C;
        let inviting = actor.institution == self.inviting;
        let invited = actor.institution == self.invited;
        let centre = invited && actor.role == Role::ConsultCentre;
        match command {
            C::Triage | C::ReturnForInfo { .. } | C::Assign { .. } => centre,
            C::Schedule { .. } => centre || (invited && self.is_expert(&actor.user)),
            C::Reject { .. } => invited,
            C::ProvideInfo | C::Acknowledge { .. } | C::Close | C::Rate { .. } | C::Cancel { .. } => inviting,
            C::StartSession | C::SubmitOpinion { .. } => invited && self.is_expert(&actor.user),
            C::ChairSummary { .. } => invited && self.chair.as_ref().is_some_and(|c| c.is_user(&actor.user)),
        }
    }

    fn opinions_complete(&self) -> bool {
        self.experts.iter().all(|e| self.opinions.iter().any(|o| &o.expert == e))
    }

    /// Applies `command` by `actor` at `now`: authority first, then state, then payload.
    ///
    /// Authority: the invited side's consultation centre triages, returns and assigns; assigned
    /// experts run the session and sign opinions; the MDT chair writes the summary; the inviting
    /// institution supplies information, acknowledges, closes, rates and cancels; the invited
    /// institution may reject. An MDT consultation reaches `OpinionIssued` only with every
    /// expert's opinion and the chair's summary.
    ///
    /// # Errors
    /// `NotAllowed` (whatever the state), then `InvalidTransition`, then payload errors.
    pub fn apply(
        &self,
        actor: &ActorRef,
        command: ConsultationCommand,
        now: DateTime<Utc>,
    ) -> Result<(Consultation, ConsultationEvent), ConsultationError> {
        use ConsultationCommand as C;
        use ConsultationState::*;
        let kind = command.kind();
        if !self.permitted(actor, &command) {
            return Err(ConsultationError::NotAllowed { command: kind });
        }
        let invalid = || ConsultationError::InvalidTransition {
            from: self.state,
            command: kind,
        };
        let mut next = self.clone();
        let mut reason = None;
        let to = match (self.state, command) {
            (Requested, C::Triage) => {
                next.responded_at.get_or_insert(now);
                Triaged
            }
            (Requested | Triaged, C::ReturnForInfo { reason: r }) => {
                need_text(&r, kind)?;
                next.responded_at.get_or_insert(now);
                reason = Some(r);
                ReturnedForInfo
            }
            (ReturnedForInfo, C::ProvideInfo) => {
                next.clock_start = now;
                Requested
            }
            (Triaged, C::Assign { experts, chair }) => {
                if experts.is_empty() {
                    return Err(ConsultationError::InvalidAssignment { problem: "no expert" });
                }
                let mut dedup = experts.clone();
                dedup.sort();
                dedup.dedup();
                if dedup.len() != experts.len() {
                    return Err(ConsultationError::InvalidAssignment {
                        problem: "duplicate expert",
                    });
                }
                if self.mdt {
                    if experts.len() < 2 {
                        return Err(ConsultationError::InvalidAssignment {
                            problem: "MDT needs at least two experts",
                        });
                    }
                    match &chair {
                        Some(c) if experts.contains(c) => {}
                        _ => {
                            return Err(ConsultationError::InvalidAssignment {
                                problem: "MDT chair must be one of the experts",
                            });
                        }
                    }
                } else if experts.len() != 1 || chair.is_some() {
                    return Err(ConsultationError::InvalidAssignment {
                        problem: "single consultation takes one expert and no chair",
                    });
                }
                next.experts = experts;
                next.chair = chair;
                next.responded_at.get_or_insert(now);
                Assigned
            }
            (Assigned, C::Schedule { at }) => {
                if at <= now {
                    return Err(ConsultationError::ScheduleInPast);
                }
                next.scheduled_at = Some(at);
                Scheduled
            }
            (Scheduled, C::StartSession) if self.mode == ConsultMode::Sync => InSession,
            (
                state,
                C::SubmitOpinion {
                    impression,
                    advice,
                    recommend_referral,
                },
            ) if (self.mode == ConsultMode::Sync && state == InSession)
                || (self.mode == ConsultMode::Async && matches!(state, Assigned | Scheduled)) =>
            {
                let expert = self
                    .experts
                    .iter()
                    .find(|e| e.is_user(&actor.user))
                    .cloned()
                    .ok_or(ConsultationError::NotAllowed { command: kind })?;
                if self.opinions.iter().any(|o| o.expert == expert) {
                    return Err(ConsultationError::DuplicateOpinion);
                }
                need_text(&impression, kind)?;
                next.opinions.push(Opinion {
                    expert,
                    impression,
                    advice,
                    recommend_referral,
                    signed_at: now,
                });
                if !self.mdt && next.opinions_complete() {
                    next.opinion_issued_at = Some(now);
                    OpinionIssued
                } else {
                    state
                }
            }
            (state, C::ChairSummary { summary })
                if self.mdt
                    && ((self.mode == ConsultMode::Sync && state == InSession)
                        || (self.mode == ConsultMode::Async && matches!(state, Assigned | Scheduled))) =>
            {
                if !self.opinions_complete() {
                    let missing = self
                        .experts
                        .iter()
                        .filter(|e| !self.opinions.iter().any(|o| &o.expert == *e))
                        .count();
                    return Err(ConsultationError::OpinionsMissing { missing });
                }
                need_text(&summary, kind)?;
                next.chair_summary = Some(summary);
                next.opinion_issued_at = Some(now);
                OpinionIssued
            }
            (OpinionIssued, C::Acknowledge { decision }) => {
                need_text(&decision, kind)?;
                reason = Some(decision);
                Acknowledged
            }
            (Acknowledged, C::Close) => Closed,
            (Closed, C::Rate { stars }) => {
                if !(1..=5).contains(&stars) {
                    return Err(ConsultationError::InvalidRating);
                }
                next.rating = Some(stars);
                Rated
            }
            (Requested | Triaged | Assigned | Scheduled, C::Reject { reason: r }) => {
                need_text(&r, kind)?;
                reason = Some(r);
                Rejected
            }
            (Requested | Triaged | ReturnedForInfo | Assigned | Scheduled, C::Cancel { reason: r }) => {
                need_text(&r, kind)?;
                reason = Some(r);
                Cancelled
            }
            _ => return Err(invalid()),
        };
        next.state = to;
        let event = ConsultationEvent {
            from: self.state,
            to,
            command: kind,
            actor: Some(actor.user.clone()),
            institution: Some(actor.institution.clone()),
            at: now,
            reason,
        };
        Ok((next, event))
    }

    /// Timers armed in the current state.
    pub fn timers(&self, policy: &ConsultationPolicy) -> Vec<Timer<ConsultationTimer>> {
        use ConsultationState::*;
        let mut out = Vec::new();
        if !self.state.is_open() {
            return out;
        }
        if self.responded_at.is_none()
            && self.state == Requested
            && let Some(due_at) = self.respond_by(policy)
        {
            out.push(Timer {
                kind: ConsultationTimer::ResponseDue,
                due_at,
            });
        }
        if self.scheduled_at.is_none()
            && matches!(self.state, Requested | Triaged | ReturnedForInfo | Assigned)
            && let Some(due_at) = self.slot_by(policy)
        {
            out.push(Timer {
                kind: ConsultationTimer::SlotDue,
                due_at,
            });
        }
        out.push(Timer {
            kind: ConsultationTimer::OpinionDue,
            due_at: self.opinion_by(policy),
        });
        out
    }

    /// Timers due at `now`.
    pub fn due_timers(&self, policy: &ConsultationPolicy, now: DateTime<Utc>) -> Vec<Timer<ConsultationTimer>> {
        self.timers(policy).into_iter().filter(|t| t.due_at <= now).collect()
    }

    /// Fires the opinion deadline: an open consultation past it becomes `Expired` (the centre is
    /// alerted by the event). Response and slot timers are alerts only.
    pub fn tick(&self, policy: &ConsultationPolicy, now: DateTime<Utc>) -> Option<(Consultation, ConsultationEvent)> {
        self.due_timers(policy, now)
            .iter()
            .find(|t| t.kind == ConsultationTimer::OpinionDue)?;
        let mut next = self.clone();
        next.state = ConsultationState::Expired;
        let event = ConsultationEvent {
            from: self.state,
            to: ConsultationState::Expired,
            command: ConsultCommandKind::Timer,
            actor: None,
            institution: None,
            at: now,
            reason: Some("opinion_due".to_owned()),
        };
        Some((next, event))
    }

    /// Whether the opinion was issued by its deadline (`None` while no opinion exists).
    pub fn on_time(&self, policy: &ConsultationPolicy) -> Option<bool> {
        self.opinion_issued_at.map(|t| t <= self.opinion_by(policy))
    }
}

//! Two-way referral (双向转诊) as a pure state machine, docs/rules/referral.md.
//!
//! A [`Referral`] is a plain value. [`Referral::apply`] checks the actor's authority first, then
//! the current state, and returns the next value with an [`Event`]; the caller stores both.
//! Timers ([`Referral::due_timers`], [`Referral::tick`]) take `now` as an argument.
//!
//! Transitions (docs/rules/referral.md#states), listed in [`TRANSITIONS`]:
//! ```text
//! Draft ─submit─▶ Submitted ─pre_review─▶ PendingReceiver   (without pre-review: Draft ─submit─▶ PendingReceiver)
//! PendingReceiver ─accept─▶ Accepted ─arrive─▶ Arrived ─start_care─▶ InCare
//! PendingReceiver ─reject─▶ Rejected        PendingReceiver ─SLA─▶ Escalated ─reassign─▶ PendingReceiver
//! Escalated ─timeout─▶ Expired              Accepted ─validity─▶ NoShow
//! Submitted|PendingReceiver|Accepted ─cancel─▶ Cancelled
//! InCare ─discharge_with_down_referral─▶ DownSubmitted ─receive_down─▶ DownReceived ─follow_up─▶ FollowUp ─close─▶ Closed
//! InCare ─discharge_home─▶ FeedbackSent ─close─▶ Closed
//! (green channel) Draft ─submit_emergency─▶ Accepted
//! ```

use chrono::{DateTime, Duration, Utc};
use sanyi_domain::Tier;
use serde::{Deserialize, Serialize};

use crate::state::WorkflowState;

use crate::Timer;
use crate::actor::{ActorRef, InstitutionId, ReferralId, Role, UserId};
use crate::calendar::WorkCalendar;
use crate::criteria::{GreenChannelCentre, UpwardCriterion};

/// State of a referral (转诊状态), docs/rules/referral.md#states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralState {
    /// Being written by the sender, not yet sent.
    Draft,
    /// Submitted, waiting for pre-review at the sender.
    Submitted,
    /// Waiting for the receiving institution.
    PendingReceiver,
    /// Accepted with a slot or bed.
    Accepted,
    /// Rejected by the receiver (terminal).
    Rejected,
    /// Response SLA elapsed; the referral centre must reassign.
    Escalated,
    /// Escalation not resolved in time (terminal).
    Expired,
    /// Patient did not arrive within validity (terminal).
    NoShow,
    /// Cancelled by the sender (terminal).
    Cancelled,
    /// Patient arrived at the receiver.
    Arrived,
    /// Patient under care at the receiver.
    InCare,
    /// Discharged with a down-referral order.
    DownSubmitted,
    /// Down-referral received by the primary institution.
    DownReceived,
    /// Primary follow-up in progress.
    FollowUp,
    /// Discharged home with feedback to the sender (结果回传).
    FeedbackSent,
    /// Episode closed (terminal).
    Closed,
}

impl ReferralState {
    /// All states.
    pub const ALL: [ReferralState; 16] = [
        ReferralState::Draft,
        ReferralState::Submitted,
        ReferralState::PendingReceiver,
        ReferralState::Accepted,
        ReferralState::Rejected,
        ReferralState::Escalated,
        ReferralState::Expired,
        ReferralState::NoShow,
        ReferralState::Cancelled,
        ReferralState::Arrived,
        ReferralState::InCare,
        ReferralState::DownSubmitted,
        ReferralState::DownReceived,
        ReferralState::FollowUp,
        ReferralState::FeedbackSent,
        ReferralState::Closed,
    ];
}

impl WorkflowState for ReferralState {
    const ALL: &'static [ReferralState] = &ReferralState::ALL;

    /// Stable code (as stored and in the API).
    fn code(self) -> &'static str {
        match self {
            ReferralState::Draft => "draft",
            ReferralState::Submitted => "submitted",
            ReferralState::PendingReceiver => "pending_receiver",
            ReferralState::Accepted => "accepted",
            ReferralState::Rejected => "rejected",
            ReferralState::Escalated => "escalated",
            ReferralState::Expired => "expired",
            ReferralState::NoShow => "no_show",
            ReferralState::Cancelled => "cancelled",
            ReferralState::Arrived => "arrived",
            ReferralState::InCare => "in_care",
            ReferralState::DownSubmitted => "down_submitted",
            ReferralState::DownReceived => "down_received",
            ReferralState::FollowUp => "follow_up",
            ReferralState::FeedbackSent => "feedback_sent",
            ReferralState::Closed => "closed",
        }
    }

    /// Screen label of docs/rules/referral.md#states (several states share a label there).
    fn label_zh(self) -> &'static str {
        match self {
            ReferralState::Draft => "草稿",
            ReferralState::Submitted => "申请",
            ReferralState::PendingReceiver => "审核",
            ReferralState::Accepted => "接收",
            ReferralState::Rejected => "拒绝/退回",
            ReferralState::Escalated | ReferralState::Expired => "超时",
            ReferralState::NoShow => "爽约",
            ReferralState::Cancelled => "作废",
            ReferralState::Arrived => "到诊",
            ReferralState::InCare => "诊疗中",
            ReferralState::DownSubmitted | ReferralState::DownReceived => "下转",
            ReferralState::FollowUp => "随访",
            ReferralState::FeedbackSent => "结果回传",
            ReferralState::Closed => "结案",
        }
    }

    /// Whether no further transition is possible.
    fn is_final(self) -> bool {
        matches!(
            self,
            ReferralState::Rejected | ReferralState::Expired | ReferralState::NoShow | ReferralState::Cancelled | ReferralState::Closed
        )
    }
}

/// Every allowed `(from, to)` pair. `(FollowUp, FollowUp)` records a further follow-up visit and
/// `(Accepted, Accepted)` completes green-channel paperwork.
pub const TRANSITIONS: &[(ReferralState, ReferralState)] = {
    use ReferralState::*;
    &[
        (Draft, Submitted),
        (Draft, PendingReceiver),
        (Draft, Accepted),
        (Submitted, PendingReceiver),
        (PendingReceiver, Accepted),
        (PendingReceiver, Rejected),
        (PendingReceiver, Escalated),
        (Escalated, PendingReceiver),
        (Escalated, Expired),
        (Accepted, NoShow),
        (Accepted, Accepted),
        (Submitted, Cancelled),
        (PendingReceiver, Cancelled),
        (Accepted, Cancelled),
        (Accepted, Arrived),
        (Arrived, InCare),
        (InCare, DownSubmitted),
        (DownSubmitted, DownReceived),
        (DownReceived, FollowUp),
        (FollowUp, FollowUp),
        (FollowUp, Closed),
        (InCare, FeedbackSent),
        (FeedbackSent, Closed),
    ]
};

/// Whether `from → to` is in [`TRANSITIONS`].
pub fn is_allowed_transition(from: ReferralState, to: ReferralState) -> bool {
    TRANSITIONS.contains(&(from, to))
}

/// Direction of a referral (转诊方向), docs/rules/institutions.md#tiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Upward (上转): to a higher tier or out of the county.
    Upward,
    /// Downward (下转): to a lower tier.
    Downward,
    /// Lateral (平转): between same-tier members.
    Lateral,
}

impl Direction {
    /// Direction from `sender` to `receiver`: out of county counts as upward.
    pub fn between(sender: &Party, receiver: &Party) -> Direction {
        if !receiver.in_county {
            return Direction::Upward;
        }
        match receiver.tier.cmp(&sender.tier) {
            std::cmp::Ordering::Greater => Direction::Upward,
            std::cmp::Ordering::Less => Direction::Downward,
            std::cmp::Ordering::Equal => Direction::Lateral,
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Direction::Upward => "上转",
            Direction::Downward => "下转",
            Direction::Lateral => "平转",
        }
    }
}

/// One side of a referral (转诊机构): institution, tier and whether it lies in the county.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Institution.
    pub institution: InstitutionId,
    /// Tier.
    pub tier: Tier,
    /// Inside the county community.
    pub in_county: bool,
}

impl Party {
    /// An in-county party.
    pub fn in_county(institution: impl Into<String>, tier: Tier) -> Party {
        Party {
            institution: InstitutionId::new(institution),
            tier,
            in_county: true,
        }
    }
}

/// Urgency of a referral (紧急程度).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Routine (普通).
    Routine,
    /// Green channel emergency (急诊绿色通道).
    Emergency,
}

/// Where the receiver places the patient (接收安排).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// Outpatient slot (号源).
    Slot {
        /// Department.
        department: String,
        /// Appointment time.
        at: DateTime<Utc>,
    },
    /// Inpatient bed (床位).
    Bed {
        /// Ward.
        ward: String,
        /// Bed number.
        bed: String,
    },
    /// Green-channel receiving team (急救接诊团队).
    EmergencyTeam {
        /// Team name.
        team: String,
        /// Estimated arrival.
        eta: DateTime<Utc>,
    },
}

/// Acceptance record (接收记录).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    /// Placement.
    pub placement: Placement,
    /// Slip validity deadline (转诊单有效期); arrival after it is a no-show.
    pub valid_until: DateTime<Utc>,
}

/// Down-referral plan (下转随访计划), docs/rules/referral.md#what-travels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownReferralPlan {
    /// Receiving primary institution.
    pub target: Party,
    /// Follow-up items (e.g. blood pressure, wound check).
    pub items: Vec<String>,
    /// Days between follow-up visits.
    pub interval_days: u32,
    /// Clinical targets (e.g. "BP < 140/90").
    pub targets: Vec<String>,
    /// Named family doctor who receives the patient.
    pub family_doctor: UserId,
    /// Follow-up visits required before closure (at least 1).
    pub visits_required: u32,
    /// High-risk chronic patient (first follow-up window of the policy differs).
    pub high_risk: bool,
}

/// Command on a referral (转诊操作).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralCommand {
    /// Send the draft.
    Submit,
    /// Pre-review by the sending head or referral centre.
    PreReview,
    /// Accept with a placement and validity deadline.
    Accept {
        /// Slot or bed.
        placement: Placement,
        /// Validity deadline, after `now`.
        valid_until: DateTime<Utc>,
    },
    /// Reject with a mandatory reason and an optional alternative receiver.
    Reject {
        /// Reason (non-empty).
        reason: String,
        /// Alternative receiver; see [`Referral::spawn_alternative`].
        alternative: Option<Party>,
    },
    /// Cancel by the sender.
    Cancel {
        /// Reason (non-empty).
        reason: String,
    },
    /// Referral centre puts an escalated referral back to a (possibly new) receiver.
    Reassign {
        /// New receiver; `None` keeps the current one.
        receiver: Option<Party>,
    },
    /// Patient arrived.
    Arrive,
    /// Care started.
    StartCare,
    /// Discharge with a down-referral order.
    DischargeWithDownReferral {
        /// Follow-up plan.
        plan: DownReferralPlan,
    },
    /// Discharge home with feedback to the sender.
    DischargeHome {
        /// Feedback summary (non-empty).
        feedback: String,
    },
    /// Down-referral received by the primary institution.
    ReceiveDown,
    /// A follow-up visit done.
    RecordFollowUp,
    /// Close the episode.
    Close,
    /// Green channel: paperwork completed.
    CompletePaperwork,
}

/// Kind of a [`ReferralCommand`], for events and errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// [`ReferralCommand::Submit`].
    Submit,
    /// [`ReferralCommand::PreReview`].
    PreReview,
    /// [`ReferralCommand::Accept`].
    Accept,
    /// [`ReferralCommand::Reject`].
    Reject,
    /// [`ReferralCommand::Cancel`].
    Cancel,
    /// [`ReferralCommand::Reassign`].
    Reassign,
    /// [`ReferralCommand::Arrive`].
    Arrive,
    /// [`ReferralCommand::StartCare`].
    StartCare,
    /// [`ReferralCommand::DischargeWithDownReferral`].
    DischargeWithDownReferral,
    /// [`ReferralCommand::DischargeHome`].
    DischargeHome,
    /// [`ReferralCommand::ReceiveDown`].
    ReceiveDown,
    /// [`ReferralCommand::RecordFollowUp`].
    RecordFollowUp,
    /// [`ReferralCommand::Close`].
    Close,
    /// [`ReferralCommand::CompletePaperwork`].
    CompletePaperwork,
    /// [`Referral::submit_emergency`].
    SubmitEmergency,
    /// A timer fired ([`Referral::tick`]).
    Timer,
}

impl CommandKind {
    /// Chinese label of the action, as timelines show it.
    pub fn label_zh(self) -> &'static str {
        match self {
            CommandKind::Submit => "提交",
            CommandKind::PreReview => "预审通过",
            CommandKind::Accept => "接收",
            CommandKind::Reject => "拒绝",
            CommandKind::Cancel => "作废",
            CommandKind::Reassign => "改派",
            CommandKind::Arrive => "到诊",
            CommandKind::StartCare => "开始诊疗",
            CommandKind::DischargeWithDownReferral => "出院下转",
            CommandKind::DischargeHome => "出院回传",
            CommandKind::ReceiveDown => "接收下转",
            CommandKind::RecordFollowUp => "记录随访",
            CommandKind::Close => "结案",
            CommandKind::CompletePaperwork => "补全手续",
            CommandKind::SubmitEmergency => "急诊绿色通道转诊",
            CommandKind::Timer => "系统超时处理",
        }
    }
}

impl ReferralCommand {
    /// The command's kind.
    pub fn kind(&self) -> CommandKind {
        match self {
            ReferralCommand::Submit => CommandKind::Submit,
            ReferralCommand::PreReview => CommandKind::PreReview,
            ReferralCommand::Accept { .. } => CommandKind::Accept,
            ReferralCommand::Reject { .. } => CommandKind::Reject,
            ReferralCommand::Cancel { .. } => CommandKind::Cancel,
            ReferralCommand::Reassign { .. } => CommandKind::Reassign,
            ReferralCommand::Arrive => CommandKind::Arrive,
            ReferralCommand::StartCare => CommandKind::StartCare,
            ReferralCommand::DischargeWithDownReferral { .. } => CommandKind::DischargeWithDownReferral,
            ReferralCommand::DischargeHome { .. } => CommandKind::DischargeHome,
            ReferralCommand::ReceiveDown => CommandKind::ReceiveDown,
            ReferralCommand::RecordFollowUp => CommandKind::RecordFollowUp,
            ReferralCommand::Close => CommandKind::Close,
            ReferralCommand::CompletePaperwork => CommandKind::CompletePaperwork,
        }
    }
}

/// A recorded transition (转诊流转记录): every transition records actor, institution, time and
/// reason (docs/rules/referral.md#states).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// State before.
    pub from: ReferralState,
    /// State after.
    pub to: ReferralState,
    /// What caused it.
    pub command: CommandKind,
    /// Acting user; `None` for a timer.
    pub actor: Option<UserId>,
    /// Acting institution; `None` for a timer.
    pub institution: Option<InstitutionId>,
    /// When.
    pub at: DateTime<Utc>,
    /// Reason or note, when the command carries one (timers name the timer).
    pub reason: Option<String>,
}

/// Refusal of a referral command (转诊操作错误).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReferralError {
    /// The actor may not perform this command on this referral (checked before the state).
    #[error("not allowed to {command:?} this referral")]
    NotAllowed {
        /// Command.
        command: CommandKind,
    },
    /// The command is not valid in the current state.
    #[error("cannot {command:?} a referral in state {from:?}")]
    InvalidTransition {
        /// Current state.
        from: ReferralState,
        /// Command.
        command: CommandKind,
    },
    /// A reason or feedback text is mandatory.
    #[error("a reason is required to {command:?}")]
    ReasonRequired {
        /// Command.
        command: CommandKind,
    },
    /// The validity deadline is not after now.
    #[error("validity deadline must be in the future")]
    ValidityInPast,
    /// Sender and receiver are the same institution.
    #[error("sender and receiver are the same institution")]
    SameInstitution,
    /// The down-referral target is not a lower tier than the discharging institution.
    #[error("down-referral target must be a lower tier")]
    NotDownward,
    /// The down-referral plan is incomplete.
    #[error("invalid down-referral plan: {field}")]
    InvalidPlan {
        /// Offending field.
        field: &'static str,
    },
    /// Closing before the planned follow-up visits are done.
    #[error("follow-up incomplete: {done} of {required} visits")]
    FollowUpIncomplete {
        /// Visits done.
        done: u32,
        /// Visits required.
        required: u32,
    },
}

/// Timing policy of referrals (转诊时限策略); defaults from docs/rules/referral.md#timeliness.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralPolicy {
    /// Working calendar for working-time SLAs.
    pub calendar: WorkCalendar,
    /// Routine response SLA of the receiver, in working time (24 h).
    pub response_sla: Duration,
    /// Default referral slip validity after acceptance (7 days; range 3–30, docs/rules/referral.md#timeliness).
    pub slip_validity: Duration,
    /// Time an escalated referral may wait for reassignment before it expires, working time
    /// (sanyi default 24 h; left to the county, docs/rules/referral.md#timeliness).
    pub escalation_timeout: Duration,
    /// Down-referral receipt deadline after discharge, working days (3).
    pub down_receipt_working_days: u32,
    /// First follow-up after down-referral discharge (7 days).
    pub first_follow_up: Duration,
    /// First follow-up for high-risk chronic patients (2 weeks).
    pub first_follow_up_high_risk: Duration,
    /// Green-channel paperwork completion window (24 h).
    pub emergency_paperwork: Duration,
    /// Referral-desk overdue alert without any progress (48 h).
    pub desk_overdue: Duration,
}

impl Default for ReferralPolicy {
    fn default() -> Self {
        ReferralPolicy {
            calendar: WorkCalendar::default(),
            response_sla: Duration::hours(24),
            slip_validity: Duration::days(7),
            escalation_timeout: Duration::hours(24),
            down_receipt_working_days: 3,
            first_follow_up: Duration::days(7),
            first_follow_up_high_risk: Duration::weeks(2),
            emergency_paperwork: Duration::hours(24),
            desk_overdue: Duration::hours(48),
        }
    }
}

/// An invalid policy value (策略配置错误).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid referral policy: {field} must be {expected}")]
pub struct PolicyError {
    /// Offending field.
    pub field: &'static str,
    /// What is expected.
    pub expected: &'static str,
}

impl ReferralPolicy {
    /// Checks the policy: every duration positive, slip validity within the docs/rules/referral.md#timeliness range of
    /// 3–30 days.
    ///
    /// # Errors
    /// The first offending field.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let positive = [
            ("response_sla", self.response_sla),
            ("escalation_timeout", self.escalation_timeout),
            ("first_follow_up", self.first_follow_up),
            ("first_follow_up_high_risk", self.first_follow_up_high_risk),
            ("emergency_paperwork", self.emergency_paperwork),
            ("desk_overdue", self.desk_overdue),
        ];
        if let Some((field, _)) = positive.iter().find(|(_, d)| *d <= Duration::zero()) {
            return Err(PolicyError {
                field,
                expected: "positive",
            });
        }
        if self.slip_validity < Duration::days(3) || self.slip_validity > Duration::days(30) {
            return Err(PolicyError {
                field: "slip_validity",
                expected: "between 3 and 30 days",
            });
        }
        if self.down_receipt_working_days == 0 {
            return Err(PolicyError {
                field: "down_receipt_working_days",
                expected: "at least 1",
            });
        }
        Ok(())
    }

    /// Default validity deadline for an acceptance at `accepted_at`.
    pub fn default_valid_until(&self, accepted_at: DateTime<Utc>) -> DateTime<Utc> {
        accepted_at + self.slip_validity
    }
}

/// A referral timer (转诊计时器).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralTimer {
    /// Receiver response SLA; fires `PendingReceiver → Escalated`.
    ResponseSla,
    /// Acceptance validity; fires `Accepted → NoShow`.
    AcceptanceValidity,
    /// Escalation unresolved; fires `Escalated → Expired`.
    EscalationTimeout,
    /// Down-referral not received in time (alert only).
    DownReceiptOverdue,
    /// Next follow-up visit due (alert only).
    FollowUpDue,
    /// Green-channel paperwork overdue (alert only).
    EmergencyPaperwork,
    /// No progress at the referral desk (alert only).
    DeskOverdue,
}

impl ReferralTimer {
    /// Whether the timer changes state when it fires (others are alerts).
    pub fn transitions(self) -> bool {
        matches!(
            self,
            ReferralTimer::ResponseSla | ReferralTimer::AcceptanceValidity | ReferralTimer::EscalationTimeout
        )
    }
}

/// Timestamps of a referral (时间节点).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralTimes {
    /// Submitted by the sender.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Last entered `PendingReceiver`.
    pub pending_since: Option<DateTime<Utc>>,
    /// Escalated.
    pub escalated_at: Option<DateTime<Utc>>,
    /// Accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// Arrived.
    pub arrived_at: Option<DateTime<Utc>>,
    /// Care started.
    pub care_started_at: Option<DateTime<Utc>>,
    /// Discharged (either way).
    pub discharged_at: Option<DateTime<Utc>>,
    /// Down-referral received.
    pub down_received_at: Option<DateTime<Utc>>,
    /// First follow-up visit.
    pub first_follow_up_at: Option<DateTime<Utc>>,
    /// Latest follow-up visit.
    pub last_follow_up_at: Option<DateTime<Utc>>,
    /// Reached a terminal state or feedback.
    pub closed_at: Option<DateTime<Utc>>,
    /// Last transition of any kind.
    pub last_progress_at: Option<DateTime<Utc>>,
}

/// Fields of a new referral draft (新建转诊单).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewReferral {
    /// Identifier.
    pub id: ReferralId,
    /// Sending institution.
    pub sender: Party,
    /// Receiving institution.
    pub receiver: Party,
    /// Upward criterion, when upward.
    pub criterion: Option<UpwardCriterion>,
    /// Whether the sender requires pre-review before the receiver sees it.
    pub requires_pre_review: bool,
}

/// Fields of a green-channel referral (绿色通道转诊).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyReferral {
    /// Identifier.
    pub id: ReferralId,
    /// Sending institution.
    pub sender: Party,
    /// Receiving institution.
    pub receiver: Party,
    /// Centre of the green channel.
    pub centre: GreenChannelCentre,
    /// Auto-assigned receiving team.
    pub team: String,
    /// Estimated arrival.
    pub eta: DateTime<Utc>,
}

/// A two-way referral (双向转诊单).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    id: ReferralId,
    state: ReferralState,
    sender: Party,
    receiver: Party,
    urgency: Urgency,
    criterion: Option<UpwardCriterion>,
    centre: Option<GreenChannelCentre>,
    requires_pre_review: bool,
    paperwork_complete: bool,
    created_at: DateTime<Utc>,
    acceptance: Option<Acceptance>,
    rejection_alternative: Option<Party>,
    down_plan: Option<DownReferralPlan>,
    follow_ups_done: u32,
    times: ReferralTimes,
}

fn require_reason(text: &str, command: CommandKind) -> Result<(), ReferralError> {
    if text.trim().is_empty() {
        Err(ReferralError::ReasonRequired { command })
    } else {
        Ok(())
    }
}

impl Referral {
    /// Starts a draft at the sender.
    ///
    /// # Errors
    /// `NotAllowed` when the actor is not at the sender; `SameInstitution`.
    pub fn draft(new: NewReferral, actor: &ActorRef, now: DateTime<Utc>) -> Result<Referral, ReferralError> {
        if actor.institution != new.sender.institution {
            return Err(ReferralError::NotAllowed {
                command: CommandKind::Submit,
            });
        }
        if new.sender.institution == new.receiver.institution {
            return Err(ReferralError::SameInstitution);
        }
        Ok(Referral {
            id: new.id,
            state: ReferralState::Draft,
            sender: new.sender,
            receiver: new.receiver,
            urgency: Urgency::Routine,
            criterion: new.criterion,
            centre: None,
            requires_pre_review: new.requires_pre_review,
            paperwork_complete: true,
            created_at: now,
            acceptance: None,
            rejection_alternative: None,
            down_plan: None,
            follow_ups_done: 0,
            times: ReferralTimes {
                last_progress_at: Some(now),
                ..ReferralTimes::default()
            },
        })
    }

    /// Green channel (绿色通道): creates the referral directly `Accepted` with the receiving team
    /// and ETA; paperwork is completed later with [`ReferralCommand::CompletePaperwork`].
    ///
    /// # Errors
    /// `NotAllowed` when the actor is not at the sender; `SameInstitution`.
    pub fn submit_emergency(new: EmergencyReferral, actor: &ActorRef, now: DateTime<Utc>) -> Result<(Referral, Event), ReferralError> {
        if actor.institution != new.sender.institution {
            return Err(ReferralError::NotAllowed {
                command: CommandKind::SubmitEmergency,
            });
        }
        if new.sender.institution == new.receiver.institution {
            return Err(ReferralError::SameInstitution);
        }
        let referral = Referral {
            id: new.id,
            state: ReferralState::Accepted,
            sender: new.sender,
            receiver: new.receiver,
            urgency: Urgency::Emergency,
            criterion: Some(UpwardCriterion::AcuteCritical),
            centre: Some(new.centre),
            requires_pre_review: false,
            paperwork_complete: false,
            created_at: now,
            acceptance: Some(Acceptance {
                placement: Placement::EmergencyTeam {
                    team: new.team,
                    eta: new.eta,
                },
                valid_until: new.eta,
            }),
            rejection_alternative: None,
            down_plan: None,
            follow_ups_done: 0,
            times: ReferralTimes {
                submitted_at: Some(now),
                accepted_at: Some(now),
                last_progress_at: Some(now),
                ..ReferralTimes::default()
            },
        };
        let event = Event {
            from: ReferralState::Draft,
            to: ReferralState::Accepted,
            command: CommandKind::SubmitEmergency,
            actor: Some(actor.user.clone()),
            institution: Some(actor.institution.clone()),
            at: now,
            reason: Some(new.centre.label_zh().to_owned()),
        };
        Ok((referral, event))
    }

    /// Identifier.
    pub fn id(&self) -> &ReferralId {
        &self.id
    }
    /// Current state.
    pub fn state(&self) -> ReferralState {
        self.state
    }
    /// Sending institution.
    pub fn sender(&self) -> &Party {
        &self.sender
    }
    /// Receiving institution.
    pub fn receiver(&self) -> &Party {
        &self.receiver
    }
    /// Urgency.
    pub fn urgency(&self) -> Urgency {
        self.urgency
    }
    /// Upward criterion.
    pub fn criterion(&self) -> Option<UpwardCriterion> {
        self.criterion
    }
    /// Green-channel centre, for emergencies.
    pub fn centre(&self) -> Option<GreenChannelCentre> {
        self.centre
    }
    /// Whether green-channel paperwork is complete (always true for routine referrals).
    pub fn paperwork_complete(&self) -> bool {
        self.paperwork_complete
    }
    /// Creation time.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    /// Acceptance, once accepted.
    pub fn acceptance(&self) -> Option<&Acceptance> {
        self.acceptance.as_ref()
    }
    /// Down-referral plan, once discharged downward.
    pub fn down_plan(&self) -> Option<&DownReferralPlan> {
        self.down_plan.as_ref()
    }
    /// Follow-up visits done.
    pub fn follow_ups_done(&self) -> u32 {
        self.follow_ups_done
    }
    /// Timestamps.
    pub fn times(&self) -> &ReferralTimes {
        &self.times
    }
    /// Direction sender → receiver.
    pub fn direction(&self) -> Direction {
        Direction::between(&self.sender, &self.receiver)
    }

    /// Insurance linkage flag (转诊结算标识) read by the insurance engine for the next encounter,
    /// docs/rules/referral.md#insurance-linkage: `Emergency` for a live green-channel referral, `Upward` for an agreed
    /// upward referral (accepted through care), `Downward` after a down-referral order, else `None`.
    pub fn insurance_status(&self) -> InsuranceReferralStatus {
        use ReferralState::*;
        match self.state {
            DownSubmitted | DownReceived | FollowUp => InsuranceReferralStatus::Downward,
            Accepted | Arrived | InCare if self.urgency == Urgency::Emergency => InsuranceReferralStatus::Emergency,
            Accepted | Arrived | InCare => match self.direction() {
                Direction::Upward => InsuranceReferralStatus::Upward,
                Direction::Downward => InsuranceReferralStatus::Downward,
                Direction::Lateral => InsuranceReferralStatus::None,
            },
            _ => InsuranceReferralStatus::None,
        }
    }

    /// Institution expected to take the patient back (down-referral target, or the sender before
    /// a plan exists).
    pub fn down_target(&self) -> &InstitutionId {
        self.down_plan.as_ref().map_or(&self.sender.institution, |p| &p.target.institution)
    }

    /// The institution whose encounters [`Referral::insurance_status`] applies to: the
    /// down-referral target once the patient is referred down (docs/rules/referral.md#insurance-linkage: the second deductible
    /// is waived *there*), the receiver otherwise.
    pub fn insurance_institution(&self) -> &InstitutionId {
        use ReferralState::*;
        match self.state {
            DownSubmitted | DownReceived | FollowUp => self.down_target(),
            _ => &self.receiver.institution,
        }
    }

    fn permitted(&self, actor: &ActorRef, command: &ReferralCommand) -> bool {
        let at_sender = actor.institution == self.sender.institution;
        let at_receiver = actor.institution == self.receiver.institution;
        match command {
            ReferralCommand::Submit | ReferralCommand::Cancel { .. } => at_sender,
            ReferralCommand::CompletePaperwork => at_sender,
            ReferralCommand::PreReview => at_sender && matches!(actor.role, Role::DepartmentHead | Role::ReferralCentre),
            ReferralCommand::Accept { .. }
            | ReferralCommand::Reject { .. }
            | ReferralCommand::Arrive
            | ReferralCommand::StartCare
            | ReferralCommand::DischargeWithDownReferral { .. }
            | ReferralCommand::DischargeHome { .. } => at_receiver,
            ReferralCommand::Reassign { .. } => actor.role == Role::ReferralCentre && (at_sender || at_receiver),
            ReferralCommand::ReceiveDown | ReferralCommand::RecordFollowUp => &actor.institution == self.down_target(),
            ReferralCommand::Close => &actor.institution == self.down_target(),
        }
    }

    /// Applies `command` by `actor` at `now`.
    ///
    /// The actor's authority is checked first (only the receiver may accept, reject, mark arrival,
    /// treat and discharge; only the sender may submit, cancel and complete green-channel
    /// paperwork; pre-review needs a department head or referral centre at the sender;
    /// reassignment needs referral-centre staff at the sender or receiver; down-referral receipt,
    /// follow-up and closure belong to the down-referral target, which is the sender until a
    /// down-referral plan names another institution), then the state, then the payload.
    ///
    /// # Errors
    /// `NotAllowed` (whatever the state), then `InvalidTransition`, then payload errors
    /// (`ReasonRequired`, `ValidityInPast`, `NotDownward`, `InvalidPlan`, `FollowUpIncomplete`,
    /// `SameInstitution`).
    ///
    /// # Example
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use sanyi_care::referral::{NewReferral, Party, ReferralCommand, ReferralState};
    /// use sanyi_care::{ActorRef, Referral, ReferralError, ReferralId, Role};
    /// use sanyi_domain::Tier;
    /// let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    /// let doctor = ActorRef::new("u1", "township-a", Role::Doctor);
    /// let new = NewReferral {
    ///     id: ReferralId::new("R1"),
    ///     sender: Party::in_county("township-a", Tier::Township),
    ///     receiver: Party::in_county("county-h", Tier::County),
    ///     criterion: None,
    ///     requires_pre_review: false,
    /// };
    /// let r = Referral::draft(new, &doctor, now).unwrap();
    /// let (r, ev) = r.apply(&doctor, ReferralCommand::Submit, now).unwrap();
    /// assert_eq!((ev.from, ev.to), (ReferralState::Draft, ReferralState::PendingReceiver));
    /// // The sender cannot accept its own referral, whatever the state.
    /// let cmd = ReferralCommand::Accept { placement: sanyi_care::referral::Placement::Bed {
    ///     ward: "ICU".into(), bed: "3".into() }, valid_until: now };
    /// assert!(matches!(r.apply(&doctor, cmd, now), Err(ReferralError::NotAllowed { .. })));
    /// ```
    pub fn apply(&self, actor: &ActorRef, command: ReferralCommand, now: DateTime<Utc>) -> Result<(Referral, Event), ReferralError> {
        let kind = command.kind();
        if !self.permitted(actor, &command) {
            return Err(ReferralError::NotAllowed { command: kind });
        }
        let mut next = self.clone();
        let (to, reason) = self.effect(&mut next, command, now)?;
        next.state = to;
        next.times.last_progress_at = Some(now);
        let event = Event {
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

    /// The state a permitted command leads to from the current one, with its effects on `next`
    /// (times, acceptance, plan, receiver) and the reason it records.
    fn effect(
        &self,
        next: &mut Referral,
        command: ReferralCommand,
        now: DateTime<Utc>,
    ) -> Result<(ReferralState, Option<String>), ReferralError> {
        use ReferralState::*;
        let kind = command.kind();
        let invalid = || ReferralError::InvalidTransition {
            from: self.state,
            command: kind,
        };
        let mut recorded = None;
        let reason = &mut recorded;
        let to = match (self.state, command) {
            (Draft, ReferralCommand::Submit) => {
                next.times.submitted_at = Some(now);
                if self.requires_pre_review {
                    Submitted
                } else {
                    next.times.pending_since = Some(now);
                    PendingReceiver
                }
            }
            (Submitted, ReferralCommand::PreReview) => {
                next.times.pending_since = Some(now);
                PendingReceiver
            }
            (PendingReceiver, ReferralCommand::Accept { placement, valid_until }) => {
                if valid_until <= now {
                    return Err(ReferralError::ValidityInPast);
                }
                next.acceptance = Some(Acceptance { placement, valid_until });
                next.times.accepted_at = Some(now);
                Accepted
            }
            (PendingReceiver, ReferralCommand::Reject { reason: r, alternative }) => {
                require_reason(&r, kind)?;
                if alternative.as_ref().is_some_and(|a| a.institution == self.sender.institution) {
                    return Err(ReferralError::SameInstitution);
                }
                next.rejection_alternative = alternative;
                next.times.closed_at = Some(now);
                *reason = Some(r);
                Rejected
            }
            (Submitted | PendingReceiver | Accepted, ReferralCommand::Cancel { reason: r }) => {
                require_reason(&r, kind)?;
                next.times.closed_at = Some(now);
                *reason = Some(r);
                Cancelled
            }
            (Escalated, ReferralCommand::Reassign { receiver }) => {
                if let Some(receiver) = receiver {
                    if receiver.institution == self.sender.institution {
                        return Err(ReferralError::SameInstitution);
                    }
                    next.receiver = receiver;
                }
                next.times.pending_since = Some(now);
                PendingReceiver
            }
            (Accepted, ReferralCommand::Arrive) => {
                next.times.arrived_at = Some(now);
                Arrived
            }
            (Accepted, ReferralCommand::CompletePaperwork) if !self.paperwork_complete => {
                next.paperwork_complete = true;
                Accepted
            }
            (Arrived, ReferralCommand::StartCare) => {
                next.times.care_started_at = Some(now);
                InCare
            }
            (InCare, ReferralCommand::DischargeWithDownReferral { plan }) => {
                self.check_down_plan(&plan)?;
                next.down_plan = Some(plan);
                next.times.discharged_at = Some(now);
                DownSubmitted
            }
            (InCare, ReferralCommand::DischargeHome { feedback }) => {
                require_reason(&feedback, kind)?;
                next.times.discharged_at = Some(now);
                next.times.closed_at = Some(now);
                *reason = Some(feedback);
                FeedbackSent
            }
            (DownSubmitted, ReferralCommand::ReceiveDown) => {
                next.times.down_received_at = Some(now);
                DownReceived
            }
            (DownReceived | FollowUp, ReferralCommand::RecordFollowUp) => {
                next.follow_ups_done = self.follow_ups_done.saturating_add(1);
                if next.times.first_follow_up_at.is_none() {
                    next.times.first_follow_up_at = Some(now);
                }
                next.times.last_follow_up_at = Some(now);
                FollowUp
            }
            (FollowUp, ReferralCommand::Close) => {
                let required = self.down_plan.as_ref().map_or(1, |p| p.visits_required);
                if self.follow_ups_done < required {
                    return Err(ReferralError::FollowUpIncomplete {
                        done: self.follow_ups_done,
                        required,
                    });
                }
                next.times.closed_at = Some(now);
                Closed
            }
            (FeedbackSent, ReferralCommand::Close) => Closed,
            _ => return Err(invalid()),
        };
        Ok((to, recorded))
    }

    /// A down-referral plan goes to an institution of the county below the receiver's tier, with
    /// follow-up items, an interval and a number of visits (docs/rules/referral.md#what-travels).
    fn check_down_plan(&self, plan: &DownReferralPlan) -> Result<(), ReferralError> {
        if !plan.target.in_county || plan.target.tier >= self.receiver.tier {
            return Err(ReferralError::NotDownward);
        }
        if plan.visits_required == 0 {
            return Err(ReferralError::InvalidPlan { field: "visits_required" });
        }
        if plan.interval_days == 0 {
            return Err(ReferralError::InvalidPlan { field: "interval_days" });
        }
        if plan.items.is_empty() {
            return Err(ReferralError::InvalidPlan { field: "items" });
        }
        Ok(())
    }

    /// For a referral rejected with an alternative receiver, the new referral to that receiver
    /// (docs/rules/referral.md#states: a rejection with an alternative receiver spawns a new referral). It starts `Submitted` when the
    /// sender requires pre-review, otherwise directly `PendingReceiver`.
    pub fn spawn_alternative(&self, id: ReferralId, now: DateTime<Utc>) -> Option<Referral> {
        if self.state != ReferralState::Rejected {
            return None;
        }
        let receiver = self.rejection_alternative.clone()?;
        let state = if self.requires_pre_review {
            ReferralState::Submitted
        } else {
            ReferralState::PendingReceiver
        };
        Some(Referral {
            id,
            state,
            sender: self.sender.clone(),
            receiver,
            urgency: self.urgency,
            criterion: self.criterion,
            centre: self.centre,
            requires_pre_review: self.requires_pre_review,
            paperwork_complete: true,
            created_at: now,
            acceptance: None,
            rejection_alternative: None,
            down_plan: None,
            follow_ups_done: 0,
            times: ReferralTimes {
                submitted_at: Some(now),
                pending_since: (state == ReferralState::PendingReceiver).then_some(now),
                last_progress_at: Some(now),
                ..ReferralTimes::default()
            },
        })
    }

    /// All timers armed in the current state, with their due instants.
    pub fn timers(&self, policy: &ReferralPolicy) -> Vec<Timer<ReferralTimer>> {
        use ReferralState::*;
        let cal = &policy.calendar;
        let mut out = Vec::new();
        let mut push = |kind, due_at| out.push(Timer { kind, due_at });
        match self.state {
            PendingReceiver => {
                if let Some(since) = self.times.pending_since {
                    push(ReferralTimer::ResponseSla, cal.add_working_time(since, policy.response_sla));
                }
            }
            Accepted if self.urgency == Urgency::Routine => {
                if let Some(a) = &self.acceptance {
                    push(ReferralTimer::AcceptanceValidity, a.valid_until);
                }
            }
            Escalated => {
                if let Some(at) = self.times.escalated_at {
                    push(
                        ReferralTimer::EscalationTimeout,
                        cal.add_working_time(at, policy.escalation_timeout),
                    );
                }
            }
            DownSubmitted => {
                if let Some(at) = self.times.discharged_at {
                    push(
                        ReferralTimer::DownReceiptOverdue,
                        cal.add_working_days(at, policy.down_receipt_working_days),
                    );
                }
            }
            DownReceived | FollowUp => {
                if let (Some(plan), Some(discharged)) = (&self.down_plan, self.times.discharged_at)
                    && self.follow_ups_done < plan.visits_required
                {
                    let due = match self.times.last_follow_up_at {
                        None if plan.high_risk => discharged + policy.first_follow_up_high_risk,
                        None => discharged + policy.first_follow_up,
                        Some(last) => last + Duration::days(i64::from(plan.interval_days)),
                    };
                    push(ReferralTimer::FollowUpDue, due);
                }
            }
            _ => {}
        }
        if !self.paperwork_complete && !self.state.is_final() {
            push(ReferralTimer::EmergencyPaperwork, self.created_at + policy.emergency_paperwork);
        }
        if matches!(self.state, Submitted | PendingReceiver | Escalated | DownSubmitted)
            && let Some(last) = self.times.last_progress_at
        {
            push(ReferralTimer::DeskOverdue, last + policy.desk_overdue);
        }
        out
    }

    /// Timers that have fallen due at `now` (due instant ≤ `now`).
    pub fn due_timers(&self, policy: &ReferralPolicy, now: DateTime<Utc>) -> Vec<Timer<ReferralTimer>> {
        self.timers(policy).into_iter().filter(|t| t.due_at <= now).collect()
    }

    /// Fires the first due state-changing timer: response SLA → `Escalated`, acceptance validity
    /// → `NoShow`, escalation timeout → `Expired`. Alert-only timers never change state; read them
    /// with [`Referral::due_timers`]. `None` when nothing fires.
    pub fn tick(&self, policy: &ReferralPolicy, now: DateTime<Utc>) -> Option<(Referral, Event)> {
        let timer = self.due_timers(policy, now).into_iter().find(|t| t.kind.transitions())?;
        let mut next = self.clone();
        let (to, reason) = match timer.kind {
            ReferralTimer::ResponseSla => {
                next.times.escalated_at = Some(now);
                (ReferralState::Escalated, "response_sla")
            }
            ReferralTimer::AcceptanceValidity => {
                next.times.closed_at = Some(now);
                (ReferralState::NoShow, "acceptance_validity")
            }
            ReferralTimer::EscalationTimeout => {
                next.times.closed_at = Some(now);
                (ReferralState::Expired, "escalation_timeout")
            }
            _ => return None,
        };
        next.state = to;
        next.times.last_progress_at = Some(now);
        let event = Event {
            from: self.state,
            to,
            command: CommandKind::Timer,
            actor: None,
            institution: None,
            at: now,
            reason: Some(reason.to_owned()),
        };
        Some((next, event))
    }
}

/// Referral flag for insurance settlement (转诊结算标识, sets `refd_setl_flag`), docs/rules/referral.md#insurance-linkage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InsuranceReferralStatus {
    /// Agreed upward referral: pay only the deductible difference.
    Upward,
    /// Down-referral: second deductible waived.
    Downward,
    /// No referral in force.
    None,
    /// Green-channel emergency.
    Emergency,
}

impl InsuranceReferralStatus {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            InsuranceReferralStatus::Upward => "上转",
            InsuranceReferralStatus::Downward => "下转",
            InsuranceReferralStatus::None => "无转诊",
            InsuranceReferralStatus::Emergency => "急诊转诊",
        }
    }

    /// Whether a referral is on record (转诊备案).
    pub fn is_referred(self) -> bool {
        self != InsuranceReferralStatus::None
    }
}

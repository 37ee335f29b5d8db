//! Remote reading of images and ECGs (远程影像/心电诊断, docs/rules/remote-services.md#remote-reading) as a use case: the ordering
//! site orders a reading at the community's shared centre, the study or ECG arrives
//! ([`crate::imaging`]), a reader of the centre claims it and writes the preliminary report, a
//! second doctor signs imaging, the centre delivers the report to the ordering site; critical values
//! are notified, acknowledged and resolved. The care engine decides; the store keeps the reading,
//! its transitions and audit entries.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_care::WorkflowState;
use sanyi_care::reading::{CriticalValue, Reader, Reading, ReadingCommand, ReadingError, ReadingState};
pub use sanyi_care::reading::{Modality, Report, TemplateField};
use sanyi_store::readings::{self as repo, ListFilter, ReadingRow, Transition};
use sanyi_store::registry::{self, Institution};
use sanyi_store::residents as residents_repo;
use sanyi_store::workflow::{self as workflow_repo, Side, Workflow, WorkflowEvent};

use crate::error::Errors;
pub use crate::workflow::TimelineEntry;
use crate::workflow::{Names, Refusal, code};
use crate::{Actor, App, FieldError, Permission, Role, ServiceError, audit};

mod commands;
pub mod imaging;
mod indicators;
mod queries;
pub use commands::*;
pub use indicators::*;
pub use queries::*;

/// Input to order a reading.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ReadingOrderInput {
    /// Resident record id (in the orderer's area).
    pub resident_id: String,
    /// `dr`, `ct`, `mr` or `ecg`.
    pub modality: String,
    /// `routine` (default) or `emergency`.
    #[serde(default)]
    pub urgency: Option<String>,
    /// Reading centre; default: the lead institution of the orderer's medical community.
    #[serde(default)]
    pub reading_institution_id: Option<String>,
    /// The ordering doctor's question (临床问题).
    pub clinical_question: String,
    /// Body part (检查部位), e.g. `胸部`.
    #[serde(default)]
    pub body_part: String,
    /// The exam's code in the pool's recognition catalogue (互认项目, e.g. chest DR): the order is
    /// checked for recognisable prior results first, and the delivered report becomes the
    /// resident's result under this code.
    #[serde(default)]
    pub item_code: Option<String>,
    /// When recognisable results exist: the re-test reason of ordering anyway
    /// (`{"repeated": {"reason": "condition_changed", "note": "…"}}`); recognising a prior result
    /// needs no reading and is done on the test order (`POST /api/v1/orders`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub decision: Option<sanyi_care::recognition::Decision>,
}

/// A command on a reading, as sent by a client.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ReadingCommandInput {
    /// `claim`, `preliminary`, `sign`, `deliver`, `critical`, `acknowledge` or `resolve`.
    pub command: String,
    /// The report (`preliminary`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub report: Option<Report>,
    /// What was found (`critical`).
    #[serde(default)]
    pub finding: Option<String>,
    /// Action taken (`resolve`).
    #[serde(default)]
    pub action: Option<String>,
    /// The version the client read; when given, a reading changed meanwhile is refused (409).
    #[serde(default)]
    pub expected_version: Option<i64>,
}

impl ReadingCommandInput {
    fn parse(&self) -> Result<ReadingCommand, ServiceError> {
        let text = |v: &Option<String>, field: &str| {
            v.clone()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| ServiceError::Validation(vec![FieldError::required(field)]))
        };
        Ok(match self.command.as_str() {
            "claim" => ReadingCommand::Claim,
            "preliminary" => ReadingCommand::Preliminary {
                report: self
                    .report
                    .clone()
                    .ok_or_else(|| ServiceError::Validation(vec![FieldError::required("report")]))?,
            },
            "sign" => ReadingCommand::Sign,
            "deliver" => ReadingCommand::Deliver,
            "critical" => ReadingCommand::Critical {
                finding: text(&self.finding, "finding")?,
            },
            "acknowledge" => ReadingCommand::Acknowledge,
            "resolve" => ReadingCommand::Resolve {
                action: text(&self.action, "action")?,
            },
            other => {
                return Err(ServiceError::Validation(vec![FieldError::new(
                    "command",
                    "reading.command",
                    "one of claim, preliminary, sign, deliver, critical, acknowledge, resolve",
                    &format!("Unknown command {other}"),
                    "未知的操作",
                )]));
            }
        })
    }
}

/// A reading as shown to the ordering site and the reading centre.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReadingView {
    /// Id.
    pub id: String,
    /// County of the ordering site.
    pub division_code: String,
    /// Accession number (检查号).
    pub accession_number: String,
    /// State code.
    pub state: String,
    /// State in Chinese.
    pub state_zh: String,
    /// `dr`, `ct`, `mr`, `ecg`.
    pub modality: String,
    /// Modality in Chinese.
    pub modality_zh: String,
    /// `routine` or `emergency`.
    pub urgency: String,
    /// Resident record id.
    pub resident_id: String,
    /// Resident name.
    pub resident_name: String,
    /// Masked ID number.
    pub resident_id_number_masked: String,
    /// Ordering institution.
    pub ordering_institution_id: String,
    /// Its name.
    pub ordering_name: String,
    /// Reading centre.
    pub reading_institution_id: String,
    /// Its name.
    pub reading_name: String,
    /// The clinical question.
    pub clinical_question: String,
    /// Body part.
    pub body_part: String,
    /// The report, once written.
    #[schema(value_type = Option<Object>)]
    pub report: Option<Report>,
    /// Reporting doctor (user id).
    pub reader: Option<String>,
    /// Signing (reviewing) doctor.
    pub reviewer: Option<String>,
    /// Display name of the reporting doctor (on the single-reading read).
    pub reader_name: Option<String>,
    /// Display name of the signing doctor (on the single-reading read).
    pub reviewer_name: Option<String>,
    /// Critical value, if any.
    #[schema(value_type = Option<Object>)]
    pub critical: Option<CriticalValue>,
    /// A critical value is open.
    pub critical_open: bool,
    /// Images or waveform received at.
    pub acquired_at: Option<DateTime<Utc>>,
    /// Final signature at.
    pub signed_at: Option<DateTime<Utc>>,
    /// Turnaround target, minutes.
    pub target_minutes: i64,
    /// Minutes from acquisition to signature.
    pub turnaround_minutes: Option<i64>,
    /// Met the target.
    pub met_target: Option<bool>,
    /// Acquired, not yet signed and past the target now.
    pub overdue: bool,
    /// Remote-diagnosis fee, fen.
    pub fee_fen: i64,
    /// The ordering site's part, fen.
    pub acquisition_share_fen: i64,
    /// The reading centre's part, fen.
    pub reading_share_fen: i64,
    /// Version (optimistic concurrency).
    pub version: i64,
    /// Ordered at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Transitions, oldest first (only on the single-reading read).
    pub timeline: Vec<TimelineEntry>,
}

/// Parses a modality code.
pub fn parse_modality(s: &str) -> Option<Modality> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

fn parse_state(s: &str) -> Option<ReadingState> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

pub(crate) fn engine_of(row: &ReadingRow) -> Result<Reading, ServiceError> {
    serde_json::from_str(&row.engine).map_err(|e| ServiceError::Internal(e.into()))
}

/// The row after the engine moved to `next` at `now`, and its event.
pub(crate) fn transition(
    app: &App,
    row: &ReadingRow,
    next: &Reading,
    command: &str,
    actor: Option<&Actor>,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Transition {
    let turnaround = next.turnaround(&app.policies.reading);
    let updated = ReadingRow {
        state: code(&next.state),
        engine: serde_json::to_string(next).unwrap_or_default(),
        report: next
            .report
            .as_ref()
            .map(|r| serde_json::to_string(r).unwrap_or_default())
            .unwrap_or_default(),
        critical_open: next.open_alarm(),
        acquired_at: next.acquired_at,
        signed_at: next.signed_at,
        turnaround_minutes: turnaround.map(|(t, _)| t.num_minutes()),
        met_target: turnaround.map(|(_, ok)| ok),
        updated_at: now,
        ..row.clone()
    };
    let event = WorkflowEvent {
        division_code: row.division_code.clone(),
        id: sanyi_store::new_id(),
        subject_id: row.id.clone(),
        from_state: row.state.clone(),
        to_state: updated.state.clone(),
        command: command.to_owned(),
        actor_user_id: actor.map(|a| a.user_id.clone()),
        institution_id: actor.and_then(|a| a.institution_id.clone()),
        at: now,
        reason,
    };
    Transition {
        row: updated,
        expected_version: row.version,
        event,
    }
}

fn refusal(actor: &Actor, e: ReadingError) -> ServiceError {
    let r = match e {
        ReadingError::NotAllowed(_) => Refusal::NotAllowed,
        ReadingError::InvalidTransition { state, command } => Refusal::State(code(&state), state.label_zh(), command.to_owned()),
        other => Refusal::Invalid(other.to_string()),
    };
    crate::workflow::refusal(actor, r, "reading", "阅片")
}

/// Loads a reading the actor may see: their institution orders or reads it (administrators: in
/// their area).
pub(crate) async fn visible(app: &App, actor: &Actor, id: &str) -> Result<ReadingRow, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let row = repo::get(&app.db, id).await?.ok_or(ServiceError::NotFound)?;
    if may_see(actor, &row) {
        Ok(row)
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Whether the actor may sign a reading's preliminary report: a reader of the reading centre who,
/// for images, did not write it (a second doctor signs) and, for an ECG, did (the engine's rule,
/// so the page does not offer a button the engine refuses).
pub fn may_sign(actor: &Actor, v: &ReadingView) -> bool {
    let at_centre = actor.institution_id.as_deref() == Some(v.reading_institution_id.as_str());
    let own = v.reader.as_deref() == Some(actor.user_id.as_str());
    let needs_review = serde_json::from_value::<sanyi_care::reading::Modality>(serde_json::Value::String(v.modality.clone()))
        .is_ok_and(|m| m.needs_review());
    v.state == "preliminary" && at_centre && actor.role.can(Permission::ReadingReport) && needs_review != own
}

/// Whether the actor may open a reading shown in a view (its own sites, or its administrator).
pub fn openable(actor: &Actor, v: &ReadingView) -> bool {
    let own = actor
        .institution_id
        .as_deref()
        .is_some_and(|i| i == v.ordering_institution_id || i == v.reading_institution_id);
    own || actor.role == Role::Administrator && v.division_code.starts_with(actor.scope.division_prefix())
}

pub(crate) fn may_see(actor: &Actor, row: &ReadingRow) -> bool {
    let own = actor
        .institution_id
        .as_deref()
        .is_some_and(|i| i == row.ordering_institution_id || i == row.reading_institution_id);
    let admin = actor.role == Role::Administrator
        && (row.division_code.starts_with(actor.scope.division_prefix())
            || row.reading_division_code.starts_with(actor.scope.division_prefix()));
    own || admin
}

/// The names a list of readings shows: ordering site, reading centre, resident.
async fn names_of(app: &App, rows: &[ReadingRow]) -> Result<Names, ServiceError> {
    let institutions: Vec<String> = rows
        .iter()
        .flat_map(|r| [r.ordering_institution_id.clone(), r.reading_institution_id.clone()])
        .collect();
    let residents: Vec<String> = rows.iter().map(|r| r.resident_id.clone()).collect();
    Names::load(app, institutions, residents).await
}

async fn view(app: &App, row: ReadingRow, timeline: Vec<WorkflowEvent>) -> Result<ReadingView, ServiceError> {
    let names = names_of(app, std::slice::from_ref(&row)).await?;
    Ok(render(row, timeline, &names, app, Utc::now()))
}

pub(crate) fn render(row: ReadingRow, timeline: Vec<WorkflowEvent>, names: &Names, app: &App, now: DateTime<Utc>) -> ReadingView {
    let name = |id: &str| names.institutions.get(id).cloned().unwrap_or_default();
    let resident = names.residents.get(&row.resident_id);
    let engine: Option<Reading> = serde_json::from_str(&row.engine).ok();
    let modality = parse_modality(&row.modality);
    let emergency = row.urgency == "emergency";
    let target = modality.map_or(Duration::zero(), |m| app.policies.reading.target(m, emergency));
    let overdue = row.signed_at.is_none() && row.acquired_at.is_some_and(|a| now - a > target);
    ReadingView {
        state_zh: parse_state(&row.state).map(ReadingState::label_zh).unwrap_or_default().to_owned(),
        modality_zh: modality.map(Modality::label_zh).unwrap_or_default().to_owned(),
        resident_name: resident.map(|r| r.0.clone()).unwrap_or_default(),
        resident_id_number_masked: resident.map(|r| sanyi_domain::mask_id_like(&r.1)).unwrap_or_default(),
        ordering_name: name(&row.ordering_institution_id),
        reading_name: name(&row.reading_institution_id),
        report: engine.as_ref().and_then(|e| e.report.clone()),
        reader: engine.as_ref().and_then(|e| e.reader.clone()),
        reviewer: engine.as_ref().and_then(|e| e.reviewer.clone()),
        reader_name: None,
        reviewer_name: None,
        critical: engine.as_ref().and_then(|e| e.critical.clone()),
        target_minutes: target.num_minutes(),
        overdue,
        timeline: crate::workflow::timeline::<ReadingState>(timeline, sanyi_care::reading::command_label_zh),
        id: row.id,
        division_code: row.division_code,
        accession_number: row.accession_number,
        state: row.state,
        modality: row.modality,
        urgency: row.urgency,
        resident_id: row.resident_id,
        ordering_institution_id: row.ordering_institution_id,
        reading_institution_id: row.reading_institution_id,
        clinical_question: row.clinical_question,
        body_part: row.body_part,
        critical_open: row.critical_open,
        acquired_at: row.acquired_at,
        signed_at: row.signed_at,
        turnaround_minutes: row.turnaround_minutes,
        met_target: row.met_target,
        fee_fen: row.fee_fen,
        acquisition_share_fen: row.acquisition_share_fen,
        reading_share_fen: row.reading_share_fen,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

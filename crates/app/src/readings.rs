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

/// The reading centre of an ordering institution: the lead institution of its medical community.
async fn default_centre(app: &App, ordering: &Institution) -> Result<Option<Institution>, ServiceError> {
    let Some(community) = &ordering.community_id else { return Ok(None) };
    let lead = registry::communities(&app.db, &ordering.division_code)
        .await?
        .into_iter()
        .find(|c| &c.id == community)
        .and_then(|c| c.lead_institution_id);
    Ok(match lead {
        Some(id) => registry::institution(&app.db, &id).await?,
        None => None,
    })
}

/// A fresh accession number: modality letters, the date and a short random part (unique per
/// county by constraint).
fn accession(modality: Modality, now: DateTime<Utc>) -> String {
    let prefix = match modality {
        Modality::Dr => "DR",
        Modality::Ct => "CT",
        Modality::Mr => "MR",
        Modality::Ecg => "EC",
    };
    let id = uuid::Uuid::now_v7().simple().to_string();
    let tail = id.get(id.len() - 8..).unwrap_or_default().to_uppercase();
    format!("{prefix}{}{tail}", now.format("%Y%m%d"))
}

/// What a new reading row is made of besides the engine state.
struct NewRow<'a> {
    ordering: &'a Institution,
    centre: &'a Institution,
    resident_id: &'a str,
    accession_number: String,
    question: &'a str,
    body_part: &'a str,
    item_code: &'a str,
    split: sanyi_care::reading::FeeSplit,
}

/// The row of a new reading in the engine state `reading`, and its first event (`order`).
fn new_row(n: NewRow<'_>, reading: &Reading, actor: &Actor, now: DateTime<Utc>) -> Result<(ReadingRow, WorkflowEvent), ServiceError> {
    let id = sanyi_store::new_id();
    let row = ReadingRow {
        division_code: n.ordering.division_code.clone(),
        id: id.clone(),
        resident_id: n.resident_id.to_owned(),
        ordering_institution_id: n.ordering.id.clone(),
        reading_division_code: n.centre.division_code.clone(),
        reading_institution_id: n.centre.id.clone(),
        accession_number: n.accession_number,
        modality: code(&reading.modality),
        urgency: if reading.emergency { "emergency" } else { "routine" }.into(),
        state: code(&reading.state),
        clinical_question: n.question.to_owned(),
        body_part: n.body_part.to_owned(),
        item_code: n.item_code.to_owned(),
        engine: serde_json::to_string(reading).map_err(|e| ServiceError::Internal(e.into()))?,
        report: String::new(),
        critical_open: false,
        acquired_at: reading.acquired_at,
        signed_at: None,
        turnaround_minutes: None,
        met_target: None,
        fee_fen: n.split.fee.get(),
        acquisition_share_fen: n.split.ordering_site.get(),
        reading_share_fen: n.split.reading_centre.get(),
        ordered_by: actor.user_id.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let event = WorkflowEvent {
        division_code: row.division_code.clone(),
        id: sanyi_store::new_id(),
        subject_id: id,
        from_state: String::new(),
        to_state: row.state.clone(),
        command: "order".into(),
        actor_user_id: Some(actor.user_id.clone()),
        institution_id: Some(n.ordering.id.clone()),
        at: now,
        reason: None,
    };
    Ok((row, event))
}

/// Orders a reading of a resident of the actor's area from the actor's institution.
///
/// # Errors
/// `Forbidden` without the permission or an institution; `NotFound` for a resident outside the
/// area; `Validation` for an unknown modality, urgency or reading centre, or an empty question.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn order(app: &App, actor: &Actor, input: &ReadingOrderInput) -> Result<ReadingView, ServiceError> {
    actor.require(Permission::ReadingOrder)?;
    let ordering_id = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "reading.institution",
    })?;
    let resident = residents_repo::get(&app.db, &actor.scope, &input.resident_id)
        .await?
        .filter(|r| r.status == "active")
        .ok_or(ServiceError::NotFound)?;
    let ordering = registry::institution(&app.db, &ordering_id).await?.ok_or(ServiceError::NotFound)?;
    let mut errs = Errors::default();
    let modality = parse_modality(&input.modality);
    if modality.is_none() {
        errs.push(FieldError::new(
            "modality",
            "reading.modality",
            "dr, ct, mr or ecg",
            &format!("Unknown modality {}", input.modality),
            "检查类型应为 dr、ct、mr 或 ecg",
        ));
    }
    let emergency = match input.urgency.as_deref().unwrap_or("routine") {
        "routine" => false,
        "emergency" => true,
        other => {
            errs.push(FieldError::new(
                "urgency",
                "reading.urgency",
                "routine or emergency",
                &format!("Unknown urgency {other}"),
                "紧急程度应为 routine 或 emergency",
            ));
            false
        }
    };
    if input.clinical_question.trim().is_empty() {
        errs.push(FieldError::required("clinical_question"));
    }
    let centre = match &input.reading_institution_id {
        Some(id) => registry::institution(&app.db, id)
            .await?
            .filter(|i| i.division_code.get(..4) == ordering.division_code.get(..4)),
        None => default_centre(app, &ordering).await?,
    };
    if centre.is_none() {
        errs.push(FieldError::new(
            "reading_institution_id",
            "institution.pool",
            "a reading centre of the same insurance pool",
            "Unknown reading centre (and no lead institution of the community to default to)",
            "阅片中心不存在（且本医共体无牵头医院可默认）",
        ));
    }
    let item_code = input.item_code.as_deref().map(str::trim).unwrap_or_default().to_owned();
    if !item_code.is_empty() {
        let pool = sanyi_store::recognition::pool_of(&app.db, &ordering.division_code).await?;
        let known = match &pool {
            Some(pool) => sanyi_store::recognition::item(&app.db, pool, &item_code).await?.is_some(),
            None => false,
        };
        if !known {
            errs.push(FieldError::new(
                "item_code",
                "recognition.item",
                "a code of the pool's recognition catalogue",
                &format!("Unknown exam code {item_code}"),
                "互认目录中没有该检查项目",
            ));
        }
    }
    if matches!(input.decision, Some(sanyi_care::recognition::Decision::Recognised { .. })) {
        errs.push(FieldError::new(
            "decision",
            "reading.recognised",
            "a re-test reason (recognising a prior result needs no new reading)",
            "A recognised prior result needs no reading: record it on the test order instead",
            "互认既往结果无需再次检查，请在检查检验申请中办理互认",
        ));
    }
    errs.finish()?;
    let (Some(modality), Some(centre)) = (modality, centre) else {
        return Err(ServiceError::NotFound);
    };
    // Mutual recognition first: with recognisable prior results the doctor must give a re-test
    // reason (409 with the candidates otherwise), which is written to the record.
    if !item_code.is_empty() {
        crate::recognition::order(
            app,
            actor,
            &crate::recognition::OrderInput {
                resident_id: resident.id.clone(),
                item_code: item_code.clone(),
                ordered_on: None,
                decision: input.decision.clone(),
            },
        )
        .await?;
    }
    let now = Utc::now();
    let split = app
        .policies
        .reading
        .split(modality)
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("fee split: {e}")))?;
    let reading = Reading::order(modality, emergency);
    let (row, event) = new_row(
        NewRow {
            ordering: &ordering,
            centre: &centre,
            resident_id: &resident.id,
            accession_number: accession(modality, now),
            question: input.clinical_question.trim(),
            body_part: input.body_part.trim(),
            item_code: &item_code,
            split,
        },
        &reading,
        actor,
        now,
    )?;
    let id = row.id.clone();
    let a = audit::entry(
        actor,
        &resident.division_code,
        "order",
        "reading",
        &id,
        Some(&resident.id),
        &format!("{} at {}", row.modality, centre.id),
    );
    repo::insert(&app.db, &row, &event, &a).await?;
    view(app, row, Vec::new()).await
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

/// A reading with its timeline; the read is audited as a read of the resident's record.
///
/// # Errors
/// `NotFound` unless the actor's institution orders or reads it.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<ReadingView, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let row = visible(app, actor, id).await?;
    shown(app, actor, row).await
}

/// The reading page: the reading with its studies and ECGs, found visible once for all of it; the
/// reads are audited.
///
/// # Errors
/// `NotFound` unless the actor's institution ordered or reads it.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn detail(app: &App, actor: &Actor, id: &str) -> Result<(ReadingView, crate::imaging::ReadingMedia), ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let row = visible(app, actor, id).await?;
    let media = crate::imaging::media_of(app, actor, &row).await?;
    Ok((shown(app, actor, row).await?, media))
}

/// A visible reading as shown, with its timeline and the names of its doctors; the read is audited.
async fn shown(app: &App, actor: &Actor, row: ReadingRow) -> Result<ReadingView, ServiceError> {
    let timeline = workflow_repo::events(&app.db, Workflow::Reading, &row.division_code, &row.id).await?;
    app.audit
        .record(audit::entry(
            actor,
            &row.division_code,
            "read",
            "reading",
            &row.id,
            Some(&row.resident_id),
            "reading page",
        ))
        .await?;
    let mut v = view(app, row, timeline).await?;
    let name = |id: Option<String>| async move {
        match id {
            Some(id) => sanyi_store::users::by_id(&app.db, &id).await.map(|u| u.map(|u| u.display_name)),
            None => Ok(None),
        }
    };
    v.reader_name = name(v.reader.clone()).await?;
    v.reviewer_name = name(v.reviewer.clone()).await?;
    Ok(v)
}

/// Applies a command as the actor. The engine checks the person and side before the state.
///
/// # Errors
/// `Forbidden` when the actor's side or role may not do it; `Conflict` when the state does not
/// allow it or someone changed the reading meanwhile; `Validation` for an incomplete command.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn apply(app: &App, actor: &Actor, id: &str, input: &ReadingCommandInput) -> Result<ReadingView, ServiceError> {
    let command = input.parse()?;
    let row = visible(app, actor, id).await?;
    let ordering_site = actor.institution_id.as_deref() == Some(row.ordering_institution_id.as_str());
    let at_centre = actor.institution_id.as_deref() == Some(row.reading_institution_id.as_str());
    let needed = match command {
        ReadingCommand::Acknowledge | ReadingCommand::Resolve { .. } | ReadingCommand::Acquire => Permission::ReadingOrder,
        _ => Permission::ReadingReport,
    };
    actor.require(needed)?;
    if !ordering_site && !at_centre {
        return Err(ServiceError::Forbidden {
            role: actor.role.code(),
            permission: "workflow.act",
        });
    }
    if let Some(v) = input.expected_version
        && v != row.version
    {
        return Err(sanyi_store::StoreError::VersionConflict { current: row.version }.into());
    }
    let reading = engine_of(&row)?;
    let who = Reader {
        user: actor.user_id.clone(),
        // Someone of the centre acts as the centre even when the centre orders for itself.
        ordering_site: ordering_site && !(at_centre && needed == Permission::ReadingReport),
    };
    let now = Utc::now();
    let reason = match &command {
        ReadingCommand::Critical { finding } => Some(finding.clone()),
        ReadingCommand::Resolve { action } => Some(action.clone()),
        _ => None,
    };
    let next = reading.apply(&who, command, now).map_err(|e| refusal(actor, e))?;
    let t = transition(app, &row, &next, &input.command, Some(actor), reason, now);
    let result = match (&next.state, &next.report) {
        (ReadingState::Delivered, Some(report)) if !row.item_code.is_empty() => delivered_result(app, &row, report, now).await?,
        _ => None,
    };
    let a = audit::entry(
        actor,
        &row.division_code,
        "update",
        "reading",
        &row.id,
        Some(&row.resident_id),
        &format!("{} -> {}", t.event.from_state, t.event.to_state),
    );
    repo::update(&app.db, &t, &a, result.as_ref()).await?;
    get(app, actor, id).await
}

/// The delivered report as the resident's result in the cross-institution index (mutual
/// recognition): the exam's catalogue code, the impression as its value, produced by the ordering
/// site where the images were taken, the accession number as the report number.
async fn delivered_result(
    app: &App,
    row: &ReadingRow,
    report: &Report,
    now: DateTime<Utc>,
) -> Result<Option<sanyi_store::recognition::ResultRow>, ServiceError> {
    let input = crate::recognition::ResultInput {
        resident_id: Some(row.resident_id.clone()),
        id_number: None,
        item_code: row.item_code.clone(),
        value: report.impression.clone(),
        unit: None,
        reference_range: None,
        abnormal: None,
        reported_at: now.to_rfc3339(),
        report_no: Some(row.accession_number.clone()),
        institution_id: None,
    };
    match crate::recognition::results::result_row(app, &row.ordering_institution_id, &input, crate::recognition::ResultSource::Reading)
        .await
    {
        Ok(r) => Ok(Some(r)),
        // The catalogue changed since the order: deliver the report without indexing it.
        Err(ServiceError::Validation(errs)) => {
            tracing::warn!(reading = %row.id, rule = %errs.first().map(|e| e.rule.as_str()).unwrap_or(""), "delivered report not indexed as a result");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Which readings of a list.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ReadingListQuery {
    /// `in` (the centre's worklist, default for readers) or `out` (ordered by the institution).
    #[serde(default, rename = "box")]
    pub r#box: Option<String>,
    /// One state.
    #[serde(default)]
    pub state: Option<String>,
    /// Only the open worklist (acquired, claimed, preliminary).
    #[serde(default)]
    pub open: Option<bool>,
    /// Only open critical values.
    #[serde(default)]
    pub critical: Option<bool>,
    /// One modality.
    #[serde(default)]
    pub modality: Option<String>,
    /// At most this many (default 100, at most 500).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A list of readings with the counts by state of the same side.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReadingList {
    /// `in` or `out`.
    pub r#box: String,
    /// The readings.
    pub items: Vec<ReadingView>,
    /// (state, Chinese label, count) of the side.
    pub counts: Vec<(String, String, i64)>,
}

/// The actor's institution's readings: the centre's worklist (`in`) or the ordering site's (`out`).
///
/// # Errors
/// `Forbidden` without an institution; `Validation` for an unknown box or state.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(app: &App, actor: &Actor, q: &ReadingListQuery) -> Result<ReadingList, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let institution = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "reading.institution",
    })?;
    let inst = registry::institution(&app.db, &institution).await?.ok_or(ServiceError::NotFound)?;
    let default_box = if actor.role.can(Permission::ReadingReport) { "in" } else { "out" };
    let side = match q.r#box.as_deref().unwrap_or(default_box) {
        "in" => Side::In,
        "out" => Side::Out,
        other => {
            return Err(ServiceError::Validation(vec![FieldError::new(
                "box",
                "reading.box",
                "in or out",
                &format!("Unknown box {other}"),
                "列表应为 in 或 out",
            )]));
        }
    };
    if let Some(s) = &q.state
        && parse_state(s).is_none()
    {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "state",
            "reading.state",
            "ordered, acquired, claimed, preliminary, final or delivered",
            &format!("Unknown state {s}"),
            "未知的状态",
        )]));
    }
    let filter = ListFilter {
        state: q.state.clone(),
        among_states: if q.open.unwrap_or(false) {
            ReadingState::WORKLIST.iter().map(|s| s.code()).collect()
        } else {
            Vec::new()
        },
        critical_open: q.critical.unwrap_or(false),
        modality: q.modality.clone(),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let rows = repo::list(&app.db, &inst.division_code, &inst.id, side, &filter, limit).await?;
    let names = names_of(app, &rows).await?;
    let now = Utc::now();
    let items = rows.into_iter().map(|r| render(r, Vec::new(), &names, app, now)).collect();
    let counts = workflow_repo::count_by_state(&app.db, Workflow::Reading, &inst.division_code, &inst.id, side)
        .await?
        .into_iter()
        .map(|(state, n)| {
            let zh = parse_state(&state).map(ReadingState::label_zh).unwrap_or_default().to_owned();
            (state, zh, n)
        })
        .collect();
    Ok(ReadingList {
        r#box: if side == Side::In { "in" } else { "out" }.into(),
        items,
        counts,
    })
}

/// The readings of a resident the actor may see, newest change first.
///
/// # Errors
/// `NotFound` for a resident outside the area.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn of_resident(app: &App, actor: &Actor, resident_id: &str) -> Result<Vec<ReadingView>, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let resident = residents_repo::get(&app.db, &actor.scope, resident_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    // The resident is in the actor's area: their readings are part of the record the actor sees.
    let rows = repo::of_resident(&app.db, &resident.division_code, &resident.id).await?;
    let names = names_of(app, &rows).await?;
    let now = Utc::now();
    Ok(rows.into_iter().map(|r| render(r, Vec::new(), &names, app, now)).collect())
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
        timeline: timeline.into_iter().map(TimelineEntry::from).collect(),
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

/// Reading indicators of one modality over a period.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ModalityIndicators {
    /// Modality code.
    pub modality: String,
    /// Modality in Chinese.
    pub modality_zh: String,
    /// Readings ordered.
    pub ordered: i64,
    /// Finalised reports (each counts once as a telemedicine service, docs/rules/remote-services.md#billing).
    pub finalised: i64,
    /// Finalised within the turnaround target.
    pub within_target: i64,
    /// Share within target, basis points of the finalised (none when nothing was finalised).
    pub within_target_bp: Option<i64>,
    /// Median turnaround, minutes.
    pub median_turnaround_minutes: Option<i64>,
    /// Critical values still open.
    pub open_critical: i64,
    /// Fees credited to the ordering sites, fen (finalised readings).
    pub acquisition_share_fen: i64,
    /// Fees credited to the reading centres, fen (finalised readings).
    pub reading_share_fen: i64,
}

/// Reading indicators of the actor's area over `[from, to)`.
///
/// # Errors
/// `Forbidden` without read permission.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn indicators(app: &App, actor: &Actor, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ModalityIndicators>, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let stats = repo::stats_between(&app.db, actor.scope.division_prefix(), from, to).await?;
    let mut out = Vec::new();
    for m in [Modality::Dr, Modality::Ct, Modality::Mr, Modality::Ecg] {
        let c = code(&m);
        let rows: Vec<_> = stats.iter().filter(|s| s.modality == c).collect();
        if rows.is_empty() && matches!(m, Modality::Ct | Modality::Mr) {
            continue;
        }
        let finalised: Vec<_> = rows.iter().filter(|s| s.turnaround_minutes.is_some()).collect();
        let mut times: Vec<i64> = finalised.iter().filter_map(|s| s.turnaround_minutes).collect();
        times.sort_unstable();
        let within = finalised.iter().filter(|s| s.met_target == Some(true)).count() as i64;
        out.push(ModalityIndicators {
            modality: c,
            modality_zh: m.label_zh().to_owned(),
            ordered: rows.len() as i64,
            finalised: finalised.len() as i64,
            within_target: within,
            within_target_bp: (!finalised.is_empty()).then(|| within * 10_000 / finalised.len() as i64),
            median_turnaround_minutes: times.get(times.len() / 2).copied(),
            open_critical: rows.iter().filter(|s| s.critical_open).count() as i64,
            acquisition_share_fen: finalised.iter().map(|s| s.acquisition_share_fen).sum(),
            reading_share_fen: finalised.iter().map(|s| s.reading_share_fen).sum(),
        });
    }
    Ok(out)
}

/// Seeds `count` acquired readings of residents of the actor's area ordered by the actor's
/// institution at its community's centre (each waiting for a reader), for `sanyi bench imaging`.
/// Returns how many were written.
///
/// # Errors
/// `Forbidden` without an institution; on a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn seed_open(app: &App, actor: &Actor, count: usize) -> Result<usize, ServiceError> {
    let ordering_id = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "reading.institution",
    })?;
    let ordering = registry::institution(&app.db, &ordering_id).await?.ok_or(ServiceError::NotFound)?;
    let centre = default_centre(app, &ordering).await?.ok_or(ServiceError::NotFound)?;
    let people = residents_repo::search(
        &app.db,
        &actor.scope,
        &residents_repo::ResidentQuery::default(),
        sanyi_store::Page { offset: 0, limit: 500 },
    )
    .await?
    .items;
    if people.is_empty() {
        return Ok(0);
    }
    let who = Reader {
        user: actor.user_id.clone(),
        ordering_site: true,
    };
    for k in 0..count {
        let person = &people[k % people.len()];
        let now = Utc::now();
        let modality = if k % 4 == 3 { Modality::Ecg } else { Modality::Dr };
        let emergency = k % 9 == 0;
        let reading = Reading::order(modality, emergency)
            .apply(&who, ReadingCommand::Acquire, now)
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("acquire: {e}")))?;
        let split = app
            .policies
            .reading
            .split(modality)
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("fee split: {e}")))?;
        let (row, event) = new_row(
            NewRow {
                ordering: &ordering,
                centre: &centre,
                resident_id: &person.id,
                accession_number: format!("{}{k:07}", accession(modality, now)),
                question: "胸部正位",
                body_part: "胸部",
                item_code: "",
                split,
            },
            &reading,
            actor,
            now,
        )?;
        let id = row.id.clone();
        let a = audit::entry(actor, &row.division_code, "order", "reading", &id, Some(&person.id), "bench");
        repo::insert(&app.db, &row, &event, &a).await?;
    }
    Ok(count)
}

/// What waits for the actor in remote reading: studies to read and reports to sign at the centre,
/// critical values to acknowledge or resolve at the ordering site, orders still waiting for their
/// images or ECG.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn notifications(app: &App, actor: &Actor) -> Result<Vec<crate::notifications::Notification>, ServiceError> {
    let Some(institution) = actor.institution_id.clone() else {
        return Ok(Vec::new());
    };
    let Some(inst) = registry::institution(&app.db, &institution).await? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut push = |kind: &str, count: i64, zh: &str, en: &str, link: &str| {
        if count > 0 {
            out.push(crate::notifications::Notification {
                kind: kind.into(),
                count: count as usize,
                text_zh: format!("{zh}：{count}"),
                text_en: format!("{en}: {count}"),
                link: link.into(),
            });
        }
    };
    let count = |counts: &[(String, i64)], state: &str| counts.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
    if actor.role.can(Permission::ReadingReport) {
        let centre = workflow_repo::count_by_state(&app.db, Workflow::Reading, &inst.division_code, &inst.id, Side::In).await?;
        push(
            "reading.to_read",
            count(&centre, "acquired"),
            "待阅片的检查",
            "Studies waiting for a reader",
            "/readings?box=in&state=acquired",
        );
        push(
            "reading.to_sign",
            count(&centre, "preliminary"),
            "待审核签发的报告",
            "Reports waiting for a signature",
            "/readings?box=in&state=preliminary",
        );
        push(
            "reading.to_deliver",
            count(&centre, "final"),
            "待发送的报告",
            "Signed reports to deliver",
            "/readings?box=in&state=final",
        );
    }
    if actor.role.can(Permission::ReadingOrder) {
        let ordered = workflow_repo::count_by_state(&app.db, Workflow::Reading, &inst.division_code, &inst.id, Side::Out).await?;
        push(
            "reading.to_acquire",
            count(&ordered, "ordered"),
            "待上传影像/心电图的申请",
            "Orders waiting for their images or ECG",
            "/readings?box=out&state=ordered",
        );
        let critical = repo::list(
            &app.db,
            &inst.division_code,
            &inst.id,
            Side::Out,
            &ListFilter {
                critical_open: true,
                ..ListFilter::default()
            },
            500,
        )
        .await?;
        push(
            "reading.critical",
            critical.len() as i64,
            "未处置的危急值",
            "Open critical values",
            "/readings/critical?box=out",
        );
    }
    Ok(out)
}

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
    Direction, EmergencyReferral, NewReferral, Party, Placement, Referral, ReferralCommand, ReferralError, ReferralPolicy, Urgency,
};
use sanyi_domain::{Icd10, Tier};
use sanyi_store::referrals::{self as repo, Change, DownTarget, ReferralRow};
use sanyi_store::registry::{self, Institution};
use sanyi_store::workflow::{self as workflow_repo, Workflow, WorkflowEvent};

use crate::error::Errors;
mod forms;

pub use crate::workflow::TimelineEntry;
use crate::workflow::{self, Names, Refusal, care_actor, code, event_row};
use crate::{Actor, App, FieldError, Permission, Role, ServiceError, audit};
pub use forms::{ReferralAction, ReferralForm, centres, criteria};

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

/// A referral as shown to its sender and receiver.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReferralView {
    /// Id.
    pub id: String,
    /// State code.
    pub state: String,
    /// State in Chinese (申请, 接收, 到诊, …).
    pub state_zh: String,
    /// `upward`, `downward`, `lateral`.
    pub direction: String,
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

/// The engine state as stored.
fn engine_json(r: &Referral) -> Result<String, ServiceError> {
    serde_json::to_string(r).map_err(|e| ServiceError::Internal(e.into()))
}

/// The indicator digest stored beside the engine state, so indicators never parse engine states.
fn digest_json(r: &Referral) -> String {
    serde_json::to_string(&ReferralSummary::from(r)).unwrap_or_default()
}

fn party(i: &Institution, home_county: &str) -> Result<Party, ServiceError> {
    let tier = Tier::parse(&i.tier).map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored tier: {e}")))?;
    let mut p = Party::in_county(i.id.clone(), tier);
    p.in_county = i.division_code == home_county;
    Ok(p)
}

/// The party named by `id`, as the registry knows it (tier and county are never taken from the
/// client): an institution of the insurance pool of `home_county`.
async fn registered_party(app: &App, id: &str, home_county: &str, field: &str) -> Result<(Party, Institution), ServiceError> {
    let found = registry::institution(&app.db, id)
        .await?
        .filter(|i| i.division_code.get(..4) == home_county.get(..4));
    match found {
        Some(i) => Ok((party(&i, home_county)?, i)),
        None => Err(ServiceError::Validation(vec![FieldError::new(
            field,
            "institution.pool",
            "an institution of the same insurance pool",
            &format!("Unknown institution {id:?}"),
            "机构不存在或不属于本统筹区",
        )])),
    }
}

/// Replaces every institution a command names (reassignment, alternative receiver, down-referral
/// target) by the registry's party; a down-referral plan without a target goes back to the sender.
/// Returns the command and the down-referral target when the command sets one.
async fn resolve_parties(
    app: &App,
    row: &ReferralRow,
    command: ReferralCommand,
) -> Result<(ReferralCommand, Option<DownTarget>), ServiceError> {
    let home = row.division_code.as_str();
    Ok(match command {
        ReferralCommand::Reassign { receiver: Some(p) } => {
            let (p, _) = registered_party(app, p.institution.as_str(), home, "command.reassign.receiver").await?;
            (ReferralCommand::Reassign { receiver: Some(p) }, None)
        }
        ReferralCommand::Reject {
            reason,
            alternative: Some(p),
        } => {
            let (p, _) = registered_party(app, p.institution.as_str(), home, "command.reject.alternative").await?;
            (
                ReferralCommand::Reject {
                    reason,
                    alternative: Some(p),
                },
                None,
            )
        }
        ReferralCommand::DischargeWithDownReferral { mut plan } => {
            let id = match plan.target.institution.as_str() {
                "" => row.sender_institution_id.clone(),
                other => other.to_owned(),
            };
            let (target, inst) = registered_party(app, &id, home, "command.plan.target").await?;
            plan.target = target;
            let down = DownTarget {
                division_code: inst.division_code,
                institution_id: inst.id,
            };
            (ReferralCommand::DischargeWithDownReferral { plan }, Some(down))
        }
        other => (other, None),
    })
}

/// A referral command from its JSON body. Institutions are named by id, as a string or as an
/// object's `institution` (`{"reassign": {"receiver": "…"}}`, `{"reject": {"reason": "…",
/// "alternative": "…"}}`, a down-referral plan's `target`, which defaults to the sender); their
/// tier and county are looked up in the registry when the command is applied, whatever the
/// client sends.
///
/// # Errors
/// `Validation` naming `command` when the body is none of the documented commands.
pub fn parse_command(mut body: serde_json::Value) -> Result<ReferralCommand, ServiceError> {
    for path in [
        &["reassign", "receiver"][..],
        &["reject", "alternative"][..],
        &["discharge_with_down_referral", "plan", "target"][..],
    ] {
        let (last, parents) = path.split_last().unwrap_or((&"", &[]));
        let mut at = Some(&mut body);
        for p in parents {
            at = at.and_then(|v| v.get_mut(*p));
        }
        let Some(obj) = at.and_then(|v| v.as_object_mut()) else { continue };
        let named = match obj.get(*last) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Object(o)) => Some(o.get("institution").and_then(|v| v.as_str()).unwrap_or_default().to_owned()),
            Some(serde_json::Value::Null) | None if *last == "target" => Some(String::new()),
            _ => None,
        };
        if let Some(id) = named {
            // Placeholders: `resolve_parties` replaces tier and county from the registry.
            obj.insert(
                (*last).to_owned(),
                serde_json::json!({"institution": id, "tier": "county", "in_county": false}),
            );
        }
    }
    serde_json::from_value(body).map_err(|e| {
        ServiceError::Validation(vec![FieldError::new(
            "command",
            "referral.command",
            "one of the documented commands",
            &format!("Not a referral command: {e}"),
            "不是有效的转诊操作",
        )])
    })
}

/// The refusal of a second open referral of a resident from the same sender to the same receiver
/// (found by the application, or by the database's unique index under a race).
fn open_exists(twin: Option<&str>) -> ServiceError {
    let message = match twin {
        Some(id) => format!("Referral {id} of this resident to this institution is still open"),
        None => "A referral of this resident to this institution is still open".to_owned(),
    };
    ServiceError::Conflict(vec![FieldError::new(
        "resident_id",
        "referral.open_exists",
        "no open referral of the resident to the same receiver",
        &message,
        "该居民已有转往同一机构、尚未结束的转诊单",
    )])
}

/// Maps the unique index on open referrals to [`open_exists`].
fn store_error(e: sanyi_store::StoreError) -> ServiceError {
    if e.is_unique_violation() { open_exists(None) } else { e.into() }
}

fn refusal(actor: &Actor, e: ReferralError) -> ServiceError {
    let r = match e {
        ReferralError::NotAllowed { .. } => Refusal::NotAllowed,
        ReferralError::InvalidTransition { from, command } => Refusal::State(code(&from), from.label_zh(), code(&command)),
        other => Refusal::Invalid(other.to_string()),
    };
    workflow::refusal(actor, r, "referral", "转诊")
}

/// Refers a resident of the actor's area from the actor's institution.
///
/// # Errors
/// `Forbidden` without write permission or institution; `NotFound` for a resident outside the
/// area; `Validation` for an unknown receiver, bad diagnoses or an empty reason.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create(app: &App, actor: &Actor, input: &ReferralInput) -> Result<ReferralView, ServiceError> {
    actor.require(Permission::ReferralWrite)?;
    let who = care_actor(actor, CareRole::ReferralCentre)?;
    let mut errs = Errors::default();
    let (resident, sender, receiver) = workflow::parties(
        app,
        actor,
        &who,
        &input.resident_id,
        &input.receiver_institution_id,
        ("receiver_institution_id", "Unknown receiving institution", "接收机构不存在"),
        &mut errs,
    )
    .await?;
    if input.reason.trim().is_empty() {
        errs.push(FieldError::required("reason"));
    }
    let mut diagnoses = Vec::new();
    for (i, d) in input.diagnoses.iter().enumerate() {
        if let Some(c) = errs.field(&format!("diagnoses[{i}]"), Icd10::parse(d)) {
            diagnoses.push(c.as_str().to_owned());
        }
    }
    let now = Utc::now();
    let today = now.date_naive();
    match &input.consent {
        Some(c) => {
            if let Err(e) = c.check(today) {
                errs.push(FieldError::new(
                    "consent",
                    "consent",
                    "a complete consent record",
                    &e.to_string(),
                    "知情同意记录不完整或日期无效",
                ));
            }
        }
        None if input.submit || input.urgency == Urgency::Emergency => errs.push(FieldError::new(
            "consent",
            "consent.required",
            "the patient's consent before submission",
            "Record the patient's consent before submitting the referral",
            "提交转诊前须记录患者知情同意",
        )),
        None => {}
    }
    for (i, r) in input.results.iter().enumerate() {
        if let Err(e) = r.check(today) {
            errs.push(FieldError::new(
                &format!("results[{i}]"),
                "result",
                "item, value and a past date",
                &e.to_string(),
                "检查检验结果须有项目、结果和不晚于今天的日期",
            ));
        }
    }
    let emergency = input.urgency == Urgency::Emergency;
    if emergency && input.centre.is_none() {
        errs.push(FieldError::new(
            "centre",
            "referral.centre_required",
            "the green-channel centre of an emergency (chest_pain, stroke, trauma, critical_maternal, critical_neonatal)",
            "Name the green-channel centre of an emergency referral",
            "急诊绿色通道转诊须选择救治中心",
        ));
    }
    let parties = match &receiver {
        Some(r) => Some((party(&sender, &sender.division_code)?, party(r, &sender.division_code)?)),
        None => None,
    };
    // An upward referral names the criterion it meets (docs/rules/referral.md#criteria); the green channel's is acute
    // critical illness.
    if let Some((from, to)) = &parties
        && Direction::between(from, to) == Direction::Upward
        && input.criterion.is_none()
        && !emergency
    {
        errs.push(FieldError::new(
            "criterion",
            "criterion.required",
            "an upward criterion of docs/rules/referral.md#criteria (e.g. uncertain_diagnosis)",
            "Name the upward referral criterion the patient meets",
            "上转须选择符合的上转指征",
        ));
    }
    errs.finish()?;
    let receiver = receiver.ok_or(ServiceError::NotFound)?;
    let (from, to) = parties.ok_or(ServiceError::NotFound)?;
    // A double submission (the same resident to the same receiver while a referral is still open)
    // is refused rather than duplicated; the database's unique index catches a race.
    let open_twin = repo::of_resident(&app.db, &resident.id).await?.into_iter().find(|r| {
        r.receiver_institution_id == receiver.id
            && r.sender_institution_id == sender.id
            && serde_json::from_value::<sanyi_care::referral::ReferralState>(serde_json::Value::String(r.state.clone()))
                .is_ok_and(|s| !s.is_final())
    });
    if let Some(twin) = open_twin {
        return Err(open_exists(Some(&twin.id)));
    }
    let id = sanyi_store::new_id();
    let rid = sanyi_care::actor::ReferralId::new(id.clone());
    let mut events = Vec::new();
    let referral = match input.centre.filter(|_| emergency) {
        // Green channel: accepted at once by the receiver's team of that centre, expected within
        // the hour; the paperwork follows (CompletePaperwork).
        Some(centre) => {
            let new = EmergencyReferral {
                id: rid,
                sender: from,
                receiver: to,
                centre,
                team: format!("{}急救团队", centre.label_zh()),
                eta: now + chrono::Duration::hours(1),
            };
            let (referral, event) = Referral::submit_emergency(new, &who, now).map_err(|e| refusal(actor, e))?;
            events.push(event_row(&sender.division_code, &id, &event));
            referral
        }
        None => {
            let new = NewReferral {
                id: rid,
                sender: from,
                receiver: to,
                criterion: input.criterion,
                requires_pre_review: input.pre_review,
            };
            let mut referral = Referral::draft(new, &who, now).map_err(|e| refusal(actor, e))?;
            if input.submit {
                let (next, event) = referral.apply(&who, ReferralCommand::Submit, now).map_err(|e| refusal(actor, e))?;
                referral = next;
                events.push(event_row(&sender.division_code, &id, &event));
            }
            referral
        }
    };
    let row = ReferralRow {
        division_code: sender.division_code.clone(),
        id: id.clone(),
        resident_id: resident.id.clone(),
        sender_institution_id: sender.id.clone(),
        receiver_division_code: receiver.division_code.clone(),
        receiver_institution_id: receiver.id.clone(),
        direction: code(&referral.direction()),
        urgency: code(&referral.urgency()),
        state: code(&referral.state()),
        reason: input.reason.trim().to_owned(),
        summary: input.summary.trim().to_owned(),
        diagnoses: serde_json::to_string(&diagnoses).unwrap_or_else(|_| "[]".into()),
        engine: engine_json(&referral)?,
        digest: digest_json(&referral),
        consent: serde_json::to_string(&input.consent).unwrap_or_else(|_| "null".into()),
        results: serde_json::to_string(&input.results).unwrap_or_else(|_| "[]".into()),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let a = audit::entry(
        actor,
        &resident.division_code,
        "refer",
        "referral",
        &id,
        Some(&resident.id),
        &format!("to {}", receiver.id),
    );
    repo::insert(&app.db, &row, &events, None, &a).await.map_err(store_error)?;
    view(app, row, Vec::new()).await
}

/// Loads a referral the actor may see: their institution sends or receives it, or is the
/// down-referral plan's target (administrators: in their area).
pub(crate) async fn visible(app: &App, actor: &Actor, id: &str) -> Result<ReferralRow, ServiceError> {
    let row = repo::get(&app.db, id).await?.ok_or(ServiceError::NotFound)?;
    let own = actor.institution_id.as_deref().is_some_and(|i| {
        i == row.sender_institution_id
            || i == row.receiver_institution_id
            || serde_json::from_str::<Referral>(&row.engine).is_ok_and(|r| r.down_target().as_str() == i)
    });
    let admin = actor.role == Role::Administrator
        && (row.division_code.starts_with(actor.scope.division_prefix())
            || row.receiver_division_code.starts_with(actor.scope.division_prefix()));
    if own || admin { Ok(row) } else { Err(ServiceError::NotFound) }
}

/// A referral with its timeline; the read is audited as a read of the resident's record.
///
/// # Errors
/// `NotFound` unless the actor's institution sends or receives it.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<ReferralView, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let row = visible(app, actor, id).await?;
    let timeline = workflow_repo::events(&app.db, Workflow::Referral, &row.division_code, &row.id).await?;
    app.audit
        .record(audit::entry(
            actor,
            &row.division_code,
            "read",
            "referral",
            &row.id,
            Some(&row.resident_id),
            "referral page",
        ))
        .await?;
    view(app, row, timeline).await
}

/// Applies a command as the actor. The engine checks the actor's side before the state. Every
/// institution the command names is looked up in the registry. With `expected_version` (the
/// version the actor read, `If-Match` in the API) the command applies only to that version, so of
/// two people acting on what they both saw exactly one wins. A rejection naming an alternative
/// receiver creates the referral to it in the same transaction (docs/rules/referral.md#states).
///
/// # Errors
/// `Forbidden` when the actor's side may not do it; `Conflict` when the state does not allow it;
/// `VersionConflict` when someone changed the referral meanwhile; `Validation` for an incomplete
/// command or an unknown institution.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn apply(
    app: &App,
    actor: &Actor,
    id: &str,
    command: ReferralCommand,
    expected_version: Option<i64>,
) -> Result<ReferralView, ServiceError> {
    actor.require(Permission::ReferralWrite)?;
    let who = care_actor(actor, CareRole::ReferralCentre)?;
    let row = visible(app, actor, id).await?;
    if let Some(v) = expected_version
        && v != row.version
    {
        return Err(ServiceError::VersionConflict { current: row.version });
    }
    let referral: Referral = serde_json::from_str(&row.engine).map_err(|e| ServiceError::Internal(e.into()))?;
    if matches!(command, ReferralCommand::Submit) && row.consent == "null" {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "consent",
            "consent.required",
            "the patient's consent before submission",
            "Record the patient's consent before submitting the referral",
            "提交转诊前须记录患者知情同意",
        )]));
    }
    let (command, down_target) = resolve_parties(app, &row, command).await?;
    let now = Utc::now();
    let (next, event) = referral.apply(&who, command, now).map_err(|e| refusal(actor, e))?;
    let receiver = registry::institution(&app.db, next.receiver().institution.as_str())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let updated = ReferralRow {
        state: code(&next.state()),
        direction: code(&next.direction()),
        engine: engine_json(&next)?,
        digest: digest_json(&next),
        receiver_division_code: receiver.division_code.clone(),
        receiver_institution_id: receiver.id.clone(),
        updated_at: now,
        ..row.clone()
    };
    let e = event_row(&row.division_code, &row.id, &event);
    let a = audit::entry(
        actor,
        &row.division_code,
        "update",
        "referral",
        &row.id,
        Some(&row.resident_id),
        &format!("{} -> {}", e.from_state, e.to_state),
    );
    // Rejected with an alternative: the new referral to the alternative receiver (退回并建议改转).
    let spawned = match next.spawn_alternative(sanyi_care::actor::ReferralId::new(sanyi_store::new_id()), now) {
        Some(alt) => Some(alternative_row(app, &row, &alt, &who, now).await?),
        None => None,
    };
    repo::update(
        &app.db,
        &Change {
            row: &updated,
            expected_version: row.version,
            event: &e,
            down_target: down_target.as_ref(),
            spawned: spawned.as_ref().map(|(r, ev)| (r, std::slice::from_ref(ev))),
            audit: Some(&a),
        },
    )
    .await
    .map_err(store_error)?;
    get(app, actor, id).await
}

/// The stored form of the referral spawned to a rejection's alternative receiver, with its first
/// event (submitted by the rejecting institution's actor on the sender's behalf).
async fn alternative_row(
    app: &App,
    from: &ReferralRow,
    alt: &Referral,
    who: &ActorRef,
    now: DateTime<Utc>,
) -> Result<(ReferralRow, sanyi_store::workflow::WorkflowEvent), ServiceError> {
    let receiver = registry::institution(&app.db, alt.receiver().institution.as_str())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let id = alt.id().as_str().to_owned();
    let event = sanyi_care::referral::Event {
        from: sanyi_care::referral::ReferralState::Draft,
        to: alt.state(),
        command: sanyi_care::referral::CommandKind::Submit,
        actor: Some(who.user.clone()),
        institution: Some(who.institution.clone()),
        at: now,
        reason: Some(format!("alternative of {}", from.id)),
    };
    let row = ReferralRow {
        id: id.clone(),
        receiver_division_code: receiver.division_code.clone(),
        receiver_institution_id: receiver.id.clone(),
        direction: code(&alt.direction()),
        urgency: code(&alt.urgency()),
        state: code(&alt.state()),
        engine: engine_json(alt)?,
        digest: digest_json(alt),
        version: 1,
        created_at: now,
        updated_at: now,
        ..from.clone()
    };
    Ok((row, event_row(&from.division_code, &id, &event)))
}

/// Which of an institution's referral lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferralBox {
    /// Sent by the institution (转出).
    Out,
    /// Addressed to it (转入).
    In,
    /// Down-referred to it by a plan (下转接收).
    Down,
}

impl ReferralBox {
    /// From the `box` parameter: `out` (default), `in` or `down`.
    ///
    /// # Errors
    /// `Validation` naming `box` otherwise.
    pub fn parse(side: Option<&str>) -> Result<ReferralBox, ServiceError> {
        match side {
            None | Some("" | "out") => Ok(ReferralBox::Out),
            Some("in") => Ok(ReferralBox::In),
            Some("down") => Ok(ReferralBox::Down),
            Some(_) => Err(ServiceError::Validation(vec![FieldError::new(
                "box",
                "enum",
                "out, in or down",
                "box must be out, in or down",
                "box 应为 out、in 或 down",
            )])),
        }
    }

    /// The parameter's code.
    pub fn code(self) -> &'static str {
        match self {
            ReferralBox::Out => "out",
            ReferralBox::In => "in",
            ReferralBox::Down => "down",
        }
    }
}

/// One page of the actor's institution's referrals (sent, received or down-referred to it), newest
/// change first, in the slim list shape, with the number of all matching rows.
///
/// # Errors
/// `Forbidden` without an institution; `Validation` for an unknown state.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(
    app: &App,
    actor: &Actor,
    which: ReferralBox,
    state: Option<&str>,
    page: sanyi_store::Page,
) -> Result<sanyi_store::Paged<ReferralListItem>, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    if let Some(s) = state
        && sanyi_care::referral::ReferralState::parse(s).is_none()
    {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "state",
            "enum",
            "a referral state code (draft, submitted, pending_receiver, accepted, …)",
            &format!("Unknown referral state {s:?}"),
            "未知的转诊状态",
        )]));
    }
    let inst = own_institution(app, actor).await?;
    let side = match which {
        ReferralBox::Out | ReferralBox::In => Some(workflow::side(which == ReferralBox::In)),
        ReferralBox::Down => None,
    };
    let lines = repo::page(&app.db, &inst.division_code, &inst.id, side, state, page).await?;
    let institutions = lines
        .items
        .iter()
        .flat_map(|r| [r.sender_institution_id.clone(), r.receiver_institution_id.clone()]);
    let residents = lines.items.iter().map(|r| r.resident_id.clone());
    let names = Names::load(app, institutions.collect(), residents.collect()).await?;
    Ok(lines.map(|r| summarize(r, &names)))
}

/// A referral as a list shows it (二级列表): who, from where to where, state; the full record is
/// `GET /api/v1/referrals/{id}`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReferralListItem {
    /// Id.
    pub id: String,
    /// State code.
    pub state: String,
    /// State in Chinese.
    pub state_zh: String,
    /// `upward`, `downward`, `lateral`.
    pub direction: String,
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
    /// Version (optimistic concurrency).
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn summarize(row: repo::ReferralLine, names: &Names) -> ReferralListItem {
    let name = |id: &str| names.institutions.get(id).cloned().unwrap_or_default();
    let resident = names.residents.get(&row.resident_id);
    ReferralListItem {
        state_zh: sanyi_care::referral::ReferralState::parse(&row.state)
            .map(|s| s.label_zh().to_owned())
            .unwrap_or_default(),
        resident_name: resident.map(|r| r.0.clone()).unwrap_or_default(),
        resident_id_number_masked: resident.map(|r| sanyi_domain::mask_id_like(&r.1)).unwrap_or_default(),
        sender_name: name(&row.sender_institution_id),
        receiver_name: name(&row.receiver_institution_id),
        id: row.id,
        state: row.state,
        direction: row.direction,
        urgency: row.urgency,
        resident_id: row.resident_id,
        sender_institution_id: row.sender_institution_id,
        receiver_institution_id: row.receiver_institution_id,
        reason: row.reason,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Every referral of one state in one of the actor's institution's lists, as stored (no cap, no
/// names): for counts the engine must decide, such as follow-ups due.
///
/// # Errors
/// `Forbidden` without an institution; a database error.
pub(crate) async fn rows_in_state(app: &App, actor: &Actor, which: ReferralBox, state: &str) -> Result<Vec<ReferralRow>, ServiceError> {
    let inst = own_institution(app, actor).await?;
    Ok(match which {
        ReferralBox::Out | ReferralBox::In => {
            let side = workflow::side(which == ReferralBox::In);
            workflow_repo::list::<ReferralRow>(&app.db, &inst.division_code, &inst.id, side, Some(state), i64::MAX).await?
        }
        ReferralBox::Down => repo::list_down(&app.db, &inst.division_code, &inst.id, Some(state), i64::MAX).await?,
    })
}

async fn own_institution(app: &App, actor: &Actor) -> Result<Institution, ServiceError> {
    let institution = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "referral.institution",
    })?;
    registry::institution(&app.db, &institution).await?.ok_or(ServiceError::NotFound)
}

/// Counts by state of one of the actor's institution's lists: (state code, Chinese label, count).
///
/// # Errors
/// `Forbidden` without an institution.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn counts(app: &App, actor: &Actor, which: ReferralBox) -> Result<Vec<(String, String, i64)>, ServiceError> {
    let inst = own_institution(app, actor).await?;
    let rows = match which {
        ReferralBox::Out | ReferralBox::In => {
            let side = workflow::side(which == ReferralBox::In);
            workflow_repo::count_by_state(&app.db, Workflow::Referral, &inst.division_code, &inst.id, side).await?
        }
        ReferralBox::Down => repo::count_down_by_state(&app.db, &inst.division_code, &inst.id).await?,
    };
    Ok(workflow::labelled(rows, sanyi_care::referral::ReferralState::label_zh))
}

/// Institutions of the actor's pool a referral may go to (other than the actor's own).
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn receivers(app: &App, actor: &Actor) -> Result<Vec<Institution>, ServiceError> {
    let own = actor.institution_id.clone().unwrap_or_default();
    let pool = actor
        .scope
        .division_prefix()
        .get(..4)
        .unwrap_or(actor.scope.division_prefix())
        .to_owned();
    Ok(registry::institutions(&app.db, &pool)
        .await?
        .into_iter()
        .filter(|i| i.id != own)
        .collect())
}

/// Fires due timers of every open referral at `now` (response SLA → escalated, acceptance
/// validity → no-show, escalation timeout → expired). Returns how many referrals changed.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all)]
pub async fn tick(app: &App, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let policy = &app.policies.referral;
    let mut changed = 0;
    for row in workflow_repo::not_final::<ReferralRow>(&app.db, &ReferralState::final_codes()).await? {
        let Ok(referral) = serde_json::from_str::<Referral>(&row.engine) else {
            continue;
        };
        if let Some((next, event)) = referral.tick(policy, now) {
            let updated = ReferralRow {
                state: code(&next.state()),
                engine: engine_json(&next)?,
                digest: digest_json(&next),
                updated_at: now,
                ..row.clone()
            };
            let e = event_row(&row.division_code, &row.id, &event);
            let change = Change {
                row: &updated,
                expected_version: row.version,
                event: &e,
                down_target: None,
                spawned: None,
                audit: None,
            };
            match repo::update(&app.db, &change).await {
                Ok(()) => changed += 1,
                Err(sanyi_store::StoreError::VersionConflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(changed)
}

/// The names a list of referrals shows: sender, receiver, down-referral target, resident.
async fn names_of(app: &App, rows: &[ReferralRow]) -> Result<Names, ServiceError> {
    let institutions = rows.iter().flat_map(|r| {
        let down = serde_json::from_str::<Referral>(&r.engine).map(|e| e.down_target().as_str().to_owned());
        [
            Some(r.sender_institution_id.clone()),
            Some(r.receiver_institution_id.clone()),
            down.ok(),
        ]
    });
    let institutions: Vec<String> = institutions.flatten().collect();
    let residents: Vec<String> = rows.iter().map(|r| r.resident_id.clone()).collect();
    Names::load(app, institutions, residents).await
}

async fn view(app: &App, row: ReferralRow, timeline: Vec<WorkflowEvent>) -> Result<ReferralView, ServiceError> {
    let names = names_of(app, std::slice::from_ref(&row)).await?;
    Ok(render(row, timeline, &names))
}

fn render(row: ReferralRow, timeline: Vec<WorkflowEvent>, names: &Names) -> ReferralView {
    let name = |id: &str| names.institutions.get(id).cloned().unwrap_or_default();
    let resident = names.residents.get(&row.resident_id);
    let engine: serde_json::Value = serde_json::from_str(&row.engine).unwrap_or_default();
    let referral = serde_json::from_value::<Referral>(engine.clone()).ok();
    let state: Option<sanyi_care::referral::ReferralState> = serde_json::from_value(serde_json::Value::String(row.state.clone())).ok();
    let criterion = referral.as_ref().and_then(Referral::criterion);
    let down_target = referral
        .as_ref()
        .map_or_else(|| row.sender_institution_id.clone(), |r| r.down_target().as_str().to_owned());
    ReferralView {
        criterion,
        criterion_zh: criterion.map(|c| c.label_zh().to_owned()).unwrap_or_default(),
        centre: referral.as_ref().and_then(Referral::centre),
        centre_zh: referral
            .as_ref()
            .and_then(Referral::centre)
            .map(|c| c.label_zh().to_owned())
            .unwrap_or_default(),
        paperwork_complete: referral.as_ref().is_none_or(Referral::paperwork_complete),
        down_target_name: name(&down_target),
        down_target_institution_id: down_target,
        state_zh: state.map(|s| s.label_zh().to_owned()).unwrap_or_default(),
        resident_name: resident.map(|r| r.0.clone()).unwrap_or_default(),
        resident_id_number_masked: resident.map(|r| sanyi_domain::mask_id_like(&r.1)).unwrap_or_default(),
        sender_name: name(&row.sender_institution_id),
        receiver_name: name(&row.receiver_institution_id),
        diagnoses: serde_json::from_str(&row.diagnoses).unwrap_or_default(),
        consent: serde_json::from_str(&row.consent).unwrap_or_default(),
        results: serde_json::from_str(&row.results).unwrap_or_default(),
        timeline: timeline.into_iter().map(TimelineEntry::from).collect(),
        insurance_status: referral.as_ref().map(|r| code(&r.insurance_status())).unwrap_or_default(),
        detail: engine,
        id: row.id,
        state: row.state,
        direction: row.direction,
        urgency: row.urgency,
        resident_id: row.resident_id,
        sender_institution_id: row.sender_institution_id,
        receiver_institution_id: row.receiver_institution_id,
        reason: row.reason,
        summary: row.summary,
        version: row.version,
        updated_at: row.updated_at,
    }
}

/// Seeds demo referrals of the first county: from village clinics and township centres to the
/// lead hospital, in every state of the engine (draft, submitted for pre-review, pending, accepted,
/// arrived, in care, feedback sent, rejected, cancelled, escalated, expired, no-show, down-referral
/// submitted and received, follow-up, closed) and through the emergency green channel. Returns
/// how many were written.
///
/// # Errors
/// On a database error.
pub async fn seed_demo(db: &sanyi_store::Db, world: &sanyi_sim::DemoWorld, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    seed_many(db, world, now, 54, 30).await
}

/// How many demo branches [`seed_many`] cycles through (`k % DEMO_BRANCHES`).
pub const DEMO_BRANCHES: usize = 18;

/// Seeds `count` referrals like [`seed_demo`], spread over the `days` before `now` (two in
/// eighteen sent two hours ago and still pending). A resident already holding an open referral
/// gets a cancelled one, so the seed never breaks the one-open-referral rule. Used by the demo and
/// by `sanyi bench referrals`.
///
/// # Errors
/// On a database error.
pub async fn seed_many(
    db: &sanyi_store::Db,
    world: &sanyi_sim::DemoWorld,
    now: DateTime<Utc>,
    count: usize,
    days: i64,
) -> Result<usize, ServiceError> {
    let days = days.max(1);
    let Some(community) = world.communities.first() else { return Ok(0) };
    let Some(lead) = world
        .institutions
        .iter()
        .find(|i| Some(&i.id) == community.lead_institution_id.as_ref())
    else {
        return Ok(0);
    };
    let county = lead.division_code.clone();
    // The institution serving a village: its clinic, else the centre of its township.
    let serving = |village: &str| {
        world.institutions.iter().find(|i| i.area_code == village).or_else(|| {
            world
                .institutions
                .iter()
                .find(|i| i.tier == "township" && i.area_code.get(..9) == village.get(..9))
        })
    };
    let policy = ReferralPolicy::default();
    let mut written = 0;
    let mut open = std::collections::HashSet::new();
    let residents = world
        .residents
        .iter()
        .filter(|r| r.division_code == county)
        .cycle()
        .step_by(37)
        .take(count);
    for (k, r) in residents.enumerate() {
        let Some(sender) = serving(&r.village_code) else { continue };
        let branch = if open.contains(&r.id) { 6 } else { k % DEMO_BRANCHES };
        let id = sanyi_store::new_id();
        // Pending ones were sent this morning (their response SLA has not run out); the others over the
        // past month, the ones whose timers must have run out at least three weeks ago.
        let start = match branch {
            0 | 9 => now - chrono::Duration::hours(2),
            8 | 10 => now - chrono::Duration::days((days - (k as i64 % days)).max(21)) - chrono::Duration::hours(3),
            _ => now - chrono::Duration::days(days - (k as i64 % days)) - chrono::Duration::hours(3),
        };
        let who_sender = ActorRef::new("demo-sender", sender.id.clone(), CareRole::ReferralCentre);
        let who_receiver = ActorRef::new("demo-receiver", lead.id.clone(), CareRole::Doctor);
        let rid = sanyi_care::actor::ReferralId::new(id.clone());
        let mut events = Vec::new();
        let (from, to) = (party(sender, &county)?, party(lead, &county)?);
        let mut referral = if branch == 17 {
            let new = EmergencyReferral {
                id: rid,
                sender: from,
                receiver: to,
                centre: GreenChannelCentre::ChestPain,
                team: format!("{}急救团队", GreenChannelCentre::ChestPain.label_zh()),
                eta: start + chrono::Duration::hours(1),
            };
            let Ok((referral, e)) = Referral::submit_emergency(new, &who_sender, start) else {
                continue;
            };
            events.push(event_row(&county, &id, &e));
            referral
        } else {
            let new = NewReferral {
                id: rid,
                sender: from,
                receiver: to,
                criterion: Some(UpwardCriterion::UncertainDiagnosis),
                requires_pre_review: branch == 12,
            };
            let Ok(referral) = Referral::draft(new, &who_sender, start) else {
                continue;
            };
            referral
        };
        let mut step = |referral: &mut Referral, who: &ActorRef, cmd: ReferralCommand, at: DateTime<Utc>| -> bool {
            match referral.apply(who, cmd, at) {
                Ok((next, e)) => {
                    events.push(event_row(&county, &id, &e));
                    *referral = next;
                    true
                }
                Err(_) => false,
            }
        };
        let h = |n: i64| start + chrono::Duration::hours(n);
        if !matches!(branch, 11 | 17) {
            step(&mut referral, &who_sender, ReferralCommand::Submit, h(0));
        }
        let accept = ReferralCommand::Accept {
            placement: Placement::Slot {
                department: "心血管内科".into(),
                at: h(30),
            },
            valid_until: if branch == 10 { h(72) } else { policy.default_valid_until(now) },
        };
        let plan = sanyi_care::referral::DownReferralPlan {
            target: party(sender, &county)?,
            items: vec!["血压监测".into(), "规律服药".into()],
            interval_days: 14,
            targets: vec!["血压 < 140/90 mmHg".into()],
            family_doctor: sanyi_care::actor::UserId::new("demo-family-doctor"),
            visits_required: 1,
            high_risk: false,
        };
        match branch {
            1 | 2 | 3 | 4 | 10 | 13..=16 => {
                step(&mut referral, &who_receiver, accept, h(5));
                if branch != 1 && branch != 10 {
                    step(&mut referral, &who_receiver, ReferralCommand::Arrive, h(30));
                }
                if branch >= 3 && branch != 10 {
                    step(&mut referral, &who_receiver, ReferralCommand::StartCare, h(31));
                }
                if branch == 4 {
                    step(
                        &mut referral,
                        &who_receiver,
                        ReferralCommand::DischargeHome {
                            feedback: "病情稳定，回基层随访".into(),
                        },
                        h(120),
                    );
                }
                if branch >= 13 {
                    step(
                        &mut referral,
                        &who_receiver,
                        ReferralCommand::DischargeWithDownReferral { plan },
                        h(120),
                    );
                }
                if branch >= 14 {
                    step(&mut referral, &who_sender, ReferralCommand::ReceiveDown, h(130));
                }
                if branch >= 15 {
                    step(&mut referral, &who_sender, ReferralCommand::RecordFollowUp, h(200));
                }
                if branch == 16 {
                    step(&mut referral, &who_sender, ReferralCommand::Close, h(201));
                }
            }
            5 => {
                step(
                    &mut referral,
                    &who_receiver,
                    ReferralCommand::Reject {
                        reason: "建议转上级专科医院".into(),
                        alternative: None,
                    },
                    h(6),
                );
            }
            6 => {
                step(
                    &mut referral,
                    &who_sender,
                    ReferralCommand::Cancel {
                        reason: "患者选择暂不转诊".into(),
                    },
                    h(2),
                );
            }
            _ => {}
        }
        // Timers: the response SLA escalates (7), then the escalation timeout expires (8); a slip
        // not used in time is a no-show (10).
        if matches!(branch, 7 | 8 | 10) {
            let first = if branch == 8 { h(24 * 5) } else { now };
            if let Some((next, e)) = referral.tick(&policy, first) {
                events.push(event_row(&county, &id, &e));
                referral = next;
            }
            if branch == 8
                && let Some((next, e)) = referral.tick(&policy, now)
            {
                events.push(event_row(&county, &id, &e));
                referral = next;
            }
        }
        if !referral.state().is_final() {
            open.insert(r.id.clone());
        }
        let down = referral.down_plan().map(|_| DownTarget {
            division_code: sender.division_code.clone(),
            institution_id: sender.id.clone(),
        });
        let row = ReferralRow {
            division_code: county.clone(),
            id: id.clone(),
            resident_id: r.id.clone(),
            sender_institution_id: sender.id.clone(),
            receiver_division_code: lead.division_code.clone(),
            receiver_institution_id: lead.id.clone(),
            direction: code(&referral.direction()),
            urgency: code(&referral.urgency()),
            state: code(&referral.state()),
            reason: "诊断不明确，需上级医院进一步检查".into(),
            summary: "反复胸闷、头晕".into(),
            diagnoses: "[\"I10.x00x002\"]".into(),
            engine: engine_json(&referral)?,
            digest: digest_json(&referral),
            consent: serde_json::to_string(&Consent {
                given_by: sanyi_care::documents::ConsentGiver::Patient,
                signer_name: None,
                method: sanyi_care::documents::ConsentMethod::SignedForm,
                date: start.date_naive(),
            })
            .unwrap_or_else(|_| "null".into()),
            results: "[]".into(),
            version: 1 + events.len() as i64,
            created_at: start,
            updated_at: events.last().map_or(start, |e| e.at),
        };
        let a = sanyi_store::audit::AuditEntry {
            at: start,
            resident_id: Some(r.id.clone()),
            ..crate::audit::system_entry(&county, "refer", "referral", &id, "demo data")
        };
        match repo::insert(db, &row, &events, down.as_ref(), &a).await {
            Ok(()) => written += 1,
            // Seeded before (a second `seed_many` over the demo): the resident's referral is still open.
            Err(e) if e.is_unique_violation() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(written)
}

/// A referral as it stands in the resident's record (转诊结果): where it went and how it ended.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecordReferral {
    /// Referral id.
    pub referral_id: String,
    /// `upward`, `downward`, `lateral`.
    pub direction: String,
    /// State code.
    pub state: String,
    /// State in Chinese.
    pub state_zh: String,
    /// Sender name.
    pub sender_name: String,
    /// Receiver name.
    pub receiver_name: String,
    /// The latest note: feedback to the sender, reason of a rejection or cancellation.
    pub note: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The referrals of a resident with their outcome, newest change first, for the resident's record
/// (read as part of the record, whose read is audited).
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all)]
pub async fn outcomes_of(app: &App, resident_id: &str) -> Result<Vec<RecordReferral>, ServiceError> {
    let rows = repo::of_resident(&app.db, resident_id).await?;
    let names = names_of(app, &rows).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let events = workflow_repo::events(&app.db, Workflow::Referral, &row.division_code, &row.id).await?;
        let view = render(row, Vec::new(), &names);
        out.push(RecordReferral {
            note: events.into_iter().rev().find_map(|e| e.reason).filter(|r| !r.is_empty()),
            referral_id: view.id,
            direction: view.direction,
            state: view.state,
            state_zh: view.state_zh,
            sender_name: view.sender_name,
            receiver_name: view.receiver_name,
            updated_at: view.updated_at,
        });
    }
    Ok(out)
}

//! Two-way referral (双向转诊) as a use case: the care engine decides, the store keeps the referral,
//! its transitions and the audit entries, and timers fire from [`tick`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sanyi_care::actor::{ActorRef, Role as CareRole};
use sanyi_care::criteria::UpwardCriterion;
use sanyi_care::documents::{Consent, RecentResult};
use sanyi_care::indicators::ReferralSummary;
use sanyi_care::referral::{NewReferral, Party, Placement, Referral, ReferralCommand, ReferralError, ReferralPolicy};
use sanyi_domain::{Icd10, Tier};
use sanyi_store::referrals::{self as repo, ReferralRow};
use sanyi_store::registry::{self, Institution};
use sanyi_store::residents as residents_repo;
use sanyi_store::workflow::{self as workflow_repo, Workflow, WorkflowEvent};

use crate::error::Errors;
pub use crate::workflow::TimelineEntry;
use crate::workflow::{self, Refusal, care_actor, code, event_row};
use crate::{Actor, App, FieldError, Permission, Role, ServiceError, audit};

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
    /// Upward criterion (DOMAIN §2.3), e.g. `uncertain_diagnosis`.
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
    /// How the referral changes the insurance treatment of the next encounter (DOMAIN §2.6):
    /// `upward`, `downward`, `emergency` or `none` — read by the settlement engine.
    pub insurance_status: String,
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
pub async fn create(app: &App, actor: &Actor, input: &ReferralInput) -> Result<ReferralView, ServiceError> {
    actor.require(Permission::ReferralWrite)?;
    let who = care_actor(actor, CareRole::ReferralCentre)?;
    let resident = residents_repo::get(&app.db, &actor.scope, &input.resident_id)
        .await?
        .filter(|r| r.status == "active")
        .ok_or(ServiceError::NotFound)?;
    let sender = registry::institution(&app.db, who.institution.as_str())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut errs = Errors::default();
    let receiver = registry::institution(&app.db, &input.receiver_institution_id)
        .await?
        .filter(|i| i.division_code.get(..4) == sender.division_code.get(..4));
    if receiver.is_none() {
        errs.push(FieldError::new(
            "receiver_institution_id",
            "institution.pool",
            "an institution of the same insurance pool",
            "Unknown receiving institution",
            "接收机构不存在",
        ));
    }
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
        None if input.submit => errs.push(FieldError::new(
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
    errs.finish()?;
    let receiver = receiver.ok_or(ServiceError::NotFound)?;
    // A double submission (the same resident to the same receiver while a referral is still open)
    // is refused rather than duplicated.
    let open_twin = repo::of_resident(&app.db, &resident.id).await?.into_iter().find(|r| {
        r.receiver_institution_id == receiver.id
            && r.sender_institution_id == sender.id
            && serde_json::from_value::<sanyi_care::referral::ReferralState>(serde_json::Value::String(r.state.clone()))
                .is_ok_and(|s| !s.is_terminal())
    });
    if let Some(twin) = open_twin {
        return Err(ServiceError::Conflict(vec![FieldError::new(
            "resident_id",
            "referral.open_exists",
            "no open referral of the resident to the same receiver",
            &format!("Referral {} of this resident to this institution is still open", twin.id),
            "该居民已有转往同一机构、尚未结束的转诊单",
        )]));
    }
    let id = sanyi_store::new_id();
    let new = NewReferral {
        id: sanyi_care::actor::ReferralId::new(id.clone()),
        sender: party(&sender, &sender.division_code)?,
        receiver: party(&receiver, &sender.division_code)?,
        criterion: input.criterion,
        requires_pre_review: false,
    };
    let mut referral = Referral::draft(new, &who, now).map_err(|e| refusal(actor, e))?;
    let mut events = Vec::new();
    if input.submit {
        let (next, event) = referral.apply(&who, ReferralCommand::Submit, now).map_err(|e| refusal(actor, e))?;
        referral = next;
        events.push(event_row(&sender.division_code, &id, &event));
    }
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
    repo::insert(&app.db, &row, &events, &a).await?;
    view(app, row, Vec::new()).await
}

/// Loads a referral the actor may see: their institution sends or receives it (administrators: in
/// their area).
pub(crate) async fn visible(app: &App, actor: &Actor, id: &str) -> Result<ReferralRow, ServiceError> {
    let row = repo::get(&app.db, id).await?.ok_or(ServiceError::NotFound)?;
    let own = actor
        .institution_id
        .as_deref()
        .is_some_and(|i| i == row.sender_institution_id || i == row.receiver_institution_id);
    let admin = actor.role == Role::Administrator
        && (row.division_code.starts_with(actor.scope.division_prefix())
            || row.receiver_division_code.starts_with(actor.scope.division_prefix()));
    if own || admin { Ok(row) } else { Err(ServiceError::NotFound) }
}

/// A referral with its timeline; the read is audited as a read of the resident's record.
///
/// # Errors
/// `NotFound` unless the actor's institution sends or receives it.
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
        .await;
    view(app, row, timeline).await
}

/// Applies a command as the actor. The engine checks the actor's side before the state.
///
/// # Errors
/// `Forbidden` when the actor's side may not do it; `Conflict` when the state does not allow it
/// or someone changed the referral meanwhile; `Validation` for an incomplete command.
pub async fn apply(app: &App, actor: &Actor, id: &str, command: ReferralCommand) -> Result<ReferralView, ServiceError> {
    actor.require(Permission::ReferralWrite)?;
    let who = care_actor(actor, CareRole::ReferralCentre)?;
    let row = visible(app, actor, id).await?;
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
    let now = Utc::now();
    let (next, event) = referral.apply(&who, command, now).map_err(|e| refusal(actor, e))?;
    let receiver = registry::institution(&app.db, next.receiver().institution.as_str())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let updated = ReferralRow {
        state: code(&next.state()),
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
    repo::update(&app.db, &updated, row.version, &e, Some(&a)).await?;
    get(app, actor, id).await
}

/// Referrals sent (`out`) or received (`in`) by the actor's institution.
///
/// # Errors
/// `Forbidden` without an institution.
pub async fn list(app: &App, actor: &Actor, inbox: bool, state: Option<&str>) -> Result<Vec<ReferralView>, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    let institution = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "referral.institution",
    })?;
    let inst = registry::institution(&app.db, &institution).await?.ok_or(ServiceError::NotFound)?;
    let side = workflow::side(inbox);
    let rows = repo::list(&app.db, &inst.division_code, &inst.id, side, state, 200).await?;
    let names = Names::load(app, &rows).await?;
    Ok(rows.into_iter().map(|r| render(r, Vec::new(), &names)).collect())
}

/// Counts by state of the actor's institution's referrals: (state code, Chinese label, count).
///
/// # Errors
/// `Forbidden` without an institution.
pub async fn counts(app: &App, actor: &Actor, inbox: bool) -> Result<Vec<(String, String, i64)>, ServiceError> {
    let institution = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "referral.institution",
    })?;
    let inst = registry::institution(&app.db, &institution).await?.ok_or(ServiceError::NotFound)?;
    let side = workflow::side(inbox);
    Ok(
        workflow_repo::count_by_state(&app.db, Workflow::Referral, &inst.division_code, &inst.id, side)
            .await?
            .into_iter()
            .map(|(state, n)| {
                let zh = serde_json::from_value::<sanyi_care::referral::ReferralState>(serde_json::Value::String(state.clone()))
                    .map(|s| s.label_zh().to_owned())
                    .unwrap_or_default();
                (state, zh, n)
            })
            .collect(),
    )
}

/// Institutions of the actor's pool a referral may go to (other than the actor's own).
///
/// # Errors
/// On a database error.
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
pub async fn tick(app: &App, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let policy = &app.policies.referral;
    let mut changed = 0;
    for row in repo::open(&app.db).await? {
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

/// Institution and resident names of the rows of a list, loaded in two queries.
struct Names {
    institutions: std::collections::HashMap<String, String>,
    residents: std::collections::HashMap<String, (String, String)>,
}

impl Names {
    async fn load(app: &App, rows: &[ReferralRow]) -> Result<Names, ServiceError> {
        let mut ids: Vec<String> = rows
            .iter()
            .flat_map(|r| [r.sender_institution_id.clone(), r.receiver_institution_id.clone()])
            .collect();
        ids.sort();
        ids.dedup();
        let mut people: Vec<String> = rows.iter().map(|r| r.resident_id.clone()).collect();
        people.sort();
        people.dedup();
        Ok(Names {
            institutions: registry::names(&app.db, &ids).await?,
            residents: residents_repo::names(&app.db, &people).await?,
        })
    }
}

async fn view(app: &App, row: ReferralRow, timeline: Vec<WorkflowEvent>) -> Result<ReferralView, ServiceError> {
    let names = Names::load(app, std::slice::from_ref(&row)).await?;
    Ok(render(row, timeline, &names))
}

fn render(row: ReferralRow, timeline: Vec<WorkflowEvent>, names: &Names) -> ReferralView {
    let name = |id: &str| names.institutions.get(id).cloned().unwrap_or_default();
    let resident = names.residents.get(&row.resident_id);
    let engine: serde_json::Value = serde_json::from_str(&row.engine).unwrap_or_default();
    let state: Option<sanyi_care::referral::ReferralState> = serde_json::from_value(serde_json::Value::String(row.state.clone())).ok();
    ReferralView {
        state_zh: state.map(|s| s.label_zh().to_owned()).unwrap_or_default(),
        resident_name: resident.map(|r| r.0.clone()).unwrap_or_default(),
        resident_id_number_masked: resident.map(|r| sanyi_domain::mask_id_like(&r.1)).unwrap_or_default(),
        sender_name: name(&row.sender_institution_id),
        receiver_name: name(&row.receiver_institution_id),
        diagnoses: serde_json::from_str(&row.diagnoses).unwrap_or_default(),
        consent: serde_json::from_str(&row.consent).unwrap_or_default(),
        results: serde_json::from_str(&row.results).unwrap_or_default(),
        timeline: timeline.into_iter().map(TimelineEntry::from).collect(),
        insurance_status: serde_json::from_value::<Referral>(engine.clone())
            .map(|r| code(&r.insurance_status()))
            .unwrap_or_default(),
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
/// lead hospital, in every early state (pending, accepted, arrived, in care, feedback sent,
/// rejected, cancelled, escalated). Returns how many were written.
///
/// # Errors
/// On a database error.
pub async fn seed_demo(db: &sanyi_store::Db, world: &sanyi_sim::DemoWorld, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    seed_many(db, world, now, 48, 30).await
}

/// Seeds `count` referrals like [`seed_demo`], spread over the `days` before `now` (one in eight
/// sent two hours ago and still pending). Used by the demo and by `sanyi bench referrals`.
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
    let residents = world
        .residents
        .iter()
        .filter(|r| r.division_code == county)
        .cycle()
        .step_by(37)
        .take(count);
    for (k, r) in residents.enumerate() {
        let Some(sender) = serving(&r.village_code) else { continue };
        let id = sanyi_store::new_id();
        // Pending ones were sent this morning (their response SLA has not run out); the others over the
        // past month.
        let start = if k % 8 == 0 {
            now - chrono::Duration::hours(2)
        } else {
            now - chrono::Duration::days(days - (k as i64 % days)) - chrono::Duration::hours(3)
        };
        let who_sender = ActorRef::new("demo-sender", sender.id.clone(), CareRole::Doctor);
        let who_receiver = ActorRef::new("demo-receiver", lead.id.clone(), CareRole::Doctor);
        let new = NewReferral {
            id: sanyi_care::actor::ReferralId::new(id.clone()),
            sender: party(sender, &county)?,
            receiver: party(lead, &county)?,
            criterion: Some(UpwardCriterion::UncertainDiagnosis),
            requires_pre_review: false,
        };
        let Ok(mut referral) = Referral::draft(new, &who_sender, start) else {
            continue;
        };
        let mut events = Vec::new();
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
        step(&mut referral, &who_sender, ReferralCommand::Submit, h(0));
        let accept = ReferralCommand::Accept {
            placement: Placement::Slot {
                department: "心血管内科".into(),
                at: h(30),
            },
            valid_until: policy.default_valid_until(now),
        };
        match k % 8 {
            0 => {}
            1 => {
                step(&mut referral, &who_receiver, accept, h(5));
            }
            2..=4 => {
                step(&mut referral, &who_receiver, accept, h(5));
                step(&mut referral, &who_receiver, ReferralCommand::Arrive, h(30));
                if k % 8 >= 3 {
                    step(&mut referral, &who_receiver, ReferralCommand::StartCare, h(31));
                }
                if k % 8 == 4 {
                    step(
                        &mut referral,
                        &who_receiver,
                        ReferralCommand::DischargeHome {
                            feedback: "病情稳定，回基层随访".into(),
                        },
                        h(120),
                    );
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
            _ => {
                if let Some((next, e)) = referral.tick(&policy, now) {
                    events.push(event_row(&county, &id, &e));
                    referral = next;
                }
            }
        }
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
            division_code: county.clone(),
            id: sanyi_store::new_id(),
            at: start,
            user_id: "system".into(),
            username: "system".into(),
            role: "administrator".into(),
            action: "refer".into(),
            entity: "referral".into(),
            entity_id: id.clone(),
            resident_id: Some(r.id.clone()),
            ip: "demo".into(),
            detail: "demo data".into(),
        };
        repo::insert(db, &row, &events, &a).await?;
        written += 1;
    }
    Ok(written)
}

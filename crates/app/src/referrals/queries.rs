//! Referral reads: one referral, the boxes with counts, receivers, a resident's referral outcomes.

use super::*;

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
    /// Version (optimistic concurrency).
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

pub(super) fn summarize(row: repo::ReferralLine, names: &Names) -> ReferralListItem {
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
        direction_zh: workflow::kind_label(&row.direction, Direction::label_zh).map_or_else(|| row.direction.clone(), str::to_owned),
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

pub(super) async fn own_institution(app: &App, actor: &Actor) -> Result<Institution, ServiceError> {
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

/// The names a list of referrals shows: sender, receiver, down-referral target, resident.
pub(super) async fn names_of(app: &App, rows: &[ReferralRow]) -> Result<Names, ServiceError> {
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

pub(super) async fn view(app: &App, row: ReferralRow, timeline: Vec<WorkflowEvent>) -> Result<ReferralView, ServiceError> {
    let names = names_of(app, std::slice::from_ref(&row)).await?;
    Ok(render(row, timeline, &names))
}

pub(super) fn render(row: ReferralRow, timeline: Vec<WorkflowEvent>, names: &Names) -> ReferralView {
    let name = |id: &str| names.institutions.get(id).cloned().unwrap_or_default();
    let resident = names.residents.get(&row.resident_id);
    let engine: serde_json::Value = serde_json::from_str(&row.engine).unwrap_or_default();
    let referral = serde_json::from_value::<Referral>(engine.clone()).ok();
    let state: Option<sanyi_care::referral::ReferralState> = serde_json::from_value(serde_json::Value::String(row.state.clone())).ok();
    let criterion = referral.as_ref().and_then(Referral::criterion);
    let down_target = referral
        .as_ref()
        .map_or_else(|| row.sender_institution_id.clone(), |r| r.down_target().as_str().to_owned());
    let appointment = referral.as_ref().and_then(Referral::acceptance).map(|a| match &a.placement {
        Placement::Slot { department, at } => AppointmentView {
            department: department.clone(),
            at: Some(*at),
            bed: None,
            valid_until: a.valid_until,
        },
        Placement::Bed { ward, bed } => AppointmentView {
            department: ward.clone(),
            at: None,
            bed: Some(bed.clone()),
            valid_until: a.valid_until,
        },
        // Green channel: the receiving team and the expected arrival.
        Placement::EmergencyTeam { team, eta } => AppointmentView {
            department: team.clone(),
            at: Some(*eta),
            bed: None,
            valid_until: a.valid_until,
        },
    });
    ReferralView {
        appointment,
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
        timeline: workflow::timeline::<ReferralState>(timeline, |c| workflow::kind_label(c, sanyi_care::referral::CommandKind::label_zh)),
        insurance_status: referral.as_ref().map(|r| code(&r.insurance_status())).unwrap_or_default(),
        detail: engine,
        id: row.id,
        state: row.state,
        direction_zh: workflow::kind_label(&row.direction, Direction::label_zh).map_or_else(|| row.direction.clone(), str::to_owned),
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
    /// Whether the viewer may open the referral itself (a party to it, or its administrator).
    pub openable: bool,
}

/// The referrals of a resident with their outcome, newest change first, for the resident's record
/// (read as part of the record, whose read is audited).
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all)]
pub async fn outcomes_of(app: &App, actor: &Actor, resident_id: &str) -> Result<Vec<RecordReferral>, ServiceError> {
    let rows = repo::of_resident(&app.db, resident_id).await?;
    let names = names_of(app, &rows).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let events = workflow_repo::events(&app.db, Workflow::Referral, &row.division_code, &row.id).await?;
        let openable = super::may_see(actor, &row);
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
            openable,
        });
    }
    Ok(out)
}

//! Consultation commands: request, apply a transition, the timers, recorded calls, the centre's roster and the assignment rule.

use super::*;

/// Requests a consultation for a resident of the actor's area.
///
/// # Errors
/// `Forbidden`, `NotFound` (resident outside the area), `Validation` (unknown invited institution,
/// empty question or specialty).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn request(app: &App, actor: &Actor, input: &ConsultationInput) -> Result<ConsultationView, ServiceError> {
    let workflow::Opening {
        who,
        mut errs,
        resident,
        own: inviting,
        counterpart: invited,
    } = workflow::open(
        app,
        actor,
        CareRole::ConsultCentre,
        &input.resident_id,
        &input.invited_institution_id,
        ("invited_institution_id", "Unknown invited institution", "受邀机构不存在"),
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
    let a = workflow::opened_audit(actor, &resident, ("consult", "consultation"), &id, &invited.id);
    repo::insert(&app.db, &row, &[], &a).await?;
    view(app, row, Vec::new()).await
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
    let a = workflow::transition_audit(actor, "consultation", &e, &row.resident_id);
    repo::update(&app.db, &updated, row.version, &e, Some(&a)).await?;
    get(app, actor, id).await
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

pub(super) async fn centre(app: &App, actor: &Actor) -> Result<registry::Institution, ServiceError> {
    actor.require(Permission::ReferralWrite)?;
    let id = actor.institution_id.clone().ok_or(ServiceError::Forbidden {
        role: actor.role.code(),
        permission: "consultation.institution",
    })?;
    registry::institution(&app.db, &id).await?.ok_or(ServiceError::NotFound)
}

/// Open consultations per assigned expert at a centre.
pub(super) async fn queues(app: &App, inst: &registry::Institution) -> Result<std::collections::HashMap<String, u32>, ServiceError> {
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

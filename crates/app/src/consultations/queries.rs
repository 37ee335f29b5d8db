//! Consultation reads: one consultation, the viewer's rights, boxes with counts, guests' calls, call access, the roster, a resident's opinions.

use super::*;

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
    let expert_names = expert_names(app, &row).await?;
    let institution_names =
        sanyi_store::registry::names(&app.db, &[row.inviting_institution_id.clone(), row.invited_institution_id.clone()])
            .await?
            .into_iter()
            .collect();
    Ok(ConsultationView {
        guests,
        expert_names,
        institution_names,
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
    for r in repo::as_guest(&app.db, &actor.user_id, &[]).await? {
        out.push(view(app, r, Vec::new()).await?);
    }
    Ok(out)
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
    let callable = c.mode() == ConsultMode::Sync && ConsultationState::parse(&row.state).is_some_and(ConsultationState::is_callable);
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

/// The signed opinions of a resident's consultations, newest first, for the resident's record
/// (read as part of the record, whose read is audited).
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all)]
pub async fn opinions_of(app: &App, actor: &Actor, division: &str, resident_id: &str) -> Result<Vec<RecordOpinion>, ServiceError> {
    let mut out = Vec::new();
    for row in repo::of_resident(&app.db, division, resident_id).await? {
        let Ok(c) = serde_json::from_str::<Consultation>(&row.engine) else {
            continue;
        };
        if c.opinions().is_empty() {
            continue;
        }
        let openable = super::may_see(actor, &row);
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
                openable,
            });
        }
    }
    out.sort_by_key(|o| std::cmp::Reverse(o.signed_at));
    Ok(out)
}

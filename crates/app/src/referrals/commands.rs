//! Referral commands: create, apply a transition, the timers, and the parties a command names.

use super::*;

/// The engine state as stored.
pub(crate) fn engine_json(r: &Referral) -> Result<String, ServiceError> {
    serde_json::to_string(r).map_err(|e| ServiceError::Internal(e.into()))
}

/// The indicator digest stored beside the engine state, so indicators never parse engine states.
pub(crate) fn digest_json(r: &Referral) -> String {
    serde_json::to_string(&ReferralSummary::from(r)).unwrap_or_default()
}

pub(crate) fn party(i: &Institution, home_county: &str) -> Result<Party, ServiceError> {
    let tier = Tier::parse(&i.tier).map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored tier: {e}")))?;
    let mut p = Party::in_county(i.id.clone(), tier);
    p.in_county = i.division_code == home_county;
    Ok(p)
}

/// The party named by `id`, as the registry knows it (tier and county are never taken from the
/// client): an institution of the insurance pool of `home_county`.
pub(super) async fn registered_party(app: &App, id: &str, home_county: &str, field: &str) -> Result<(Party, Institution), ServiceError> {
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
pub(super) async fn resolve_parties(
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
pub(super) fn open_exists(twin: Option<&str>) -> ServiceError {
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
pub(super) fn store_error(e: sanyi_store::StoreError) -> ServiceError {
    if e.is_unique_violation() { open_exists(None) } else { e.into() }
}

pub(super) fn refusal(actor: &Actor, e: ReferralError) -> ServiceError {
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
    let workflow::Opening {
        who,
        mut errs,
        resident,
        own: sender,
        counterpart: receiver,
    } = workflow::open(
        app,
        actor,
        CareRole::ReferralCentre,
        &input.resident_id,
        &input.receiver_institution_id,
        ("receiver_institution_id", "Unknown receiving institution", "接收机构不存在"),
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
    // The consent's date is the pool's day (Beijing time), as the form writes it: between 00:00
    // and 08:00 in Beijing the UTC date is still yesterday.
    let today = sanyi_domain::time::today();
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
    let a = workflow::opened_audit(actor, &resident, ("refer", "referral"), &id, &receiver.id);
    repo::insert(&app.db, &row, &events, None, &a).await.map_err(store_error)?;
    view(app, row, Vec::new()).await
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
    let a = workflow::transition_audit(actor, "referral", &e, &row.resident_id);
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
pub(super) async fn alternative_row(
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

//! In-application notifications (待办提醒): what waits for the actor's action, derived from the
//! workflows' current states (nothing to store, nothing to go stale).

use serde::Serialize;
use utoipa::ToSchema;

use sanyi_care::WorkflowState;
use sanyi_care::consultation::ConsultationState;

use crate::{Actor, App, Role, ServiceError, consultations, referrals};

/// One kind of pending work.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Notification {
    /// Stable kind, e.g. `referral.to_accept`.
    pub kind: String,
    /// How many.
    pub count: usize,
    /// Chinese text.
    pub text_zh: String,
    /// English text.
    pub text_en: String,
    /// Page that lists them.
    pub link: String,
}

/// What waits for the actor at `now`: referrals to accept or receive, down-referred patients to
/// take back and follow up, escalated referrals (referral centre), consultations returned for
/// information, to triage, assign, schedule, hold or acknowledge, expired ones (centre), video
/// calls booked (inviting doctor) and calls the actor is invited to as a guest. Actors without an
/// institution have none.
///
/// # Errors
/// On a database error.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn for_actor(app: &App, actor: &Actor, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<Notification>, ServiceError> {
    if actor.institution_id.is_none() || !actor.role.can(crate::Permission::ResidentRead) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut push = |kind: &str, count: usize, zh: &str, en: &str, link: &str| {
        if count > 0 {
            out.push(Notification {
                kind: kind.into(),
                count,
                text_zh: format!("{zh}：{count}"),
                text_en: format!("{en}: {count}"),
                link: link.into(),
            });
        }
    };
    // Counts per state from the store (GROUP BY, not capped lists), per side of the institution;
    // where the engine decides (follow-ups due, the expert's own sessions), every row of the state.
    let per_state = |counts: Vec<(String, String, i64)>| {
        move |states: &[&str]| {
            counts
                .iter()
                .filter(|(s, _, _)| states.contains(&s.as_str()))
                .map(|(_, _, n)| usize::try_from(*n).unwrap_or(0))
                .sum::<usize>()
        }
    };
    use referrals::ReferralBox;
    // Referral work only for the roles that act on referrals (not readers, nurses' counts alone).
    let refers = actor.role.can(crate::Permission::ReferralWrite);
    let counts = |b: ReferralBox| async move {
        if refers {
            referrals::counts(app, actor, b).await
        } else {
            Ok(Vec::new())
        }
    };
    let inbox = per_state(counts(ReferralBox::In).await?);
    let outbox = per_state(counts(ReferralBox::Out).await?);
    // Down-referrals whose plan sends the patient back to the actor's institution.
    let down = per_state(counts(ReferralBox::Down).await?);
    push(
        "referral.to_accept",
        inbox(&["pending_receiver"]),
        "待接收的上转/平转",
        "Referrals waiting for your answer",
        "/referrals?box=in&state=pending_receiver",
    );
    push(
        "referral.to_receive",
        inbox(&["accepted"]),
        "已接收待到诊",
        "Accepted referrals not yet arrived",
        "/referrals?box=in&state=accepted",
    );
    push(
        "referral.down_to_receive",
        down(&["down_submitted"]),
        "待接收的下转",
        "Down-referrals to receive",
        "/referrals?box=down&state=down_submitted",
    );
    // The sender learns that its patient has an appointment (the page shows where and when).
    push(
        "referral.accepted",
        outbox(&["accepted"]),
        "已被接收、待患者就诊的转诊",
        "Your referrals accepted: patients to send",
        "/referrals?box=out&state=accepted",
    );
    push(
        "referral.rejected",
        outbox(&["rejected"]),
        "被退回的转诊",
        "Referrals rejected by the receiver",
        "/referrals?box=out&state=rejected",
    );
    if actor.role == Role::Administrator {
        push(
            "referral.escalated",
            inbox(&["escalated"]) + outbox(&["escalated"]),
            "超时待改派的转诊",
            "Escalated referrals to reassign",
            "/referrals?box=in&state=escalated",
        );
    }
    // Down-referred patients whose follow-up is due at the actor's institution at `now`: the
    // engine's timers decide, so these rows are read (only the two states concerned).
    let policy = &app.policies.referral;
    let mut due = 0;
    let follow_states: &[&str] = if refers { &["down_received", "follow_up"] } else { &[] };
    for state in follow_states.iter().copied() {
        due += referrals::rows_in_state(app, actor, ReferralBox::Down, state)
            .await?
            .iter()
            .filter_map(|r| serde_json::from_str::<sanyi_care::referral::Referral>(&r.engine).ok())
            .filter(|r| {
                r.due_timers(policy, now)
                    .iter()
                    .any(|t| t.kind == sanyi_care::referral::ReferralTimer::FollowUpDue)
            })
            .count();
    }
    push(
        "referral.follow_up_due",
        due,
        "下转患者随访到期",
        "Follow-ups of down-referred patients due",
        "/referrals?box=down&state=down_received",
    );
    let asked = per_state(consultations::counts(app, actor, false).await?);
    push(
        "consultation.returned_for_info",
        asked(&["returned_for_info"]),
        "会诊申请被退回补充资料",
        "Consultation requests returned for information",
        "/consultations?view=out",
    );
    push(
        "consultation.to_acknowledge",
        asked(&["opinion_issued"]),
        "专家意见待确认",
        "Expert opinions to acknowledge",
        "/consultations?view=out",
    );
    // Video calls booked: the inviting doctor joins with the patient.
    let calls = consultations::rows_in_state(app, actor, false, "scheduled")
        .await?
        .iter()
        .filter(|c| c.mode == "sync")
        .count();
    push(
        "consultation.call_scheduled",
        calls,
        "已预约的视频会诊",
        "Video consultations booked",
        "/consultations?view=out",
    );
    if actor.role == Role::Administrator {
        let received = per_state(consultations::counts(app, actor, true).await?);
        push(
            "consultation.to_triage",
            received(&["requested"]),
            "待分诊的会诊",
            "Consultations to triage",
            "/consultations?view=in",
        );
        push(
            "consultation.to_assign",
            received(&["triaged"]),
            "待指派专家的会诊",
            "Consultations to assign",
            "/consultations?view=in",
        );
        push(
            "consultation.expired",
            received(&["expired"]),
            "超时未出具意见的会诊",
            "Consultations past their deadline",
            "/consultations?view=in",
        );
        push(
            "consultation.to_schedule",
            received(&["assigned"]),
            "待预约的会诊",
            "Consultations to schedule",
            "/consultations?view=in",
        );
    }
    // The expert's own sessions: the assigned experts live in the engine state.
    let callable: Vec<&str> = ConsultationState::CALLABLE.iter().map(|s| s.code()).collect();
    let mut mine = 0;
    for state in &callable {
        mine += consultations::rows_in_state(app, actor, true, state)
            .await?
            .iter()
            .filter_map(|c| serde_json::from_str::<sanyi_care::consultation::Consultation>(&c.engine).ok())
            .filter(|c| c.experts().iter().any(|x| x.as_str() == actor.user_id))
            .count();
    }
    push(
        "consultation.call_invited",
        sanyi_store::consultations::as_guest(&app.db, &actor.user_id, &callable)
            .await?
            .len(),
        "受邀参加的视频会诊",
        "Video consultations you are invited to",
        "/consultations?view=guest",
    );
    push(
        "consultation.to_hold",
        mine,
        "待进行的会诊",
        "Consultations to hold",
        "/consultations?view=mine",
    );
    out.extend(readings(app, actor).await?);
    Ok(out)
}

/// What waits for the actor in remote reading: studies to read and reports to sign at the centre,
/// critical values to acknowledge or resolve at the ordering site, orders still waiting for their
/// images or ECG.
///
/// # Errors
/// On a database error.
async fn readings(app: &App, actor: &Actor) -> Result<Vec<Notification>, ServiceError> {
    let Some(institution) = actor.institution_id.clone() else {
        return Ok(Vec::new());
    };
    let Some(inst) = sanyi_store::registry::institution(&app.db, &institution).await? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut push = |kind: &str, count: i64, zh: &str, en: &str, link: &str| {
        if count > 0 {
            out.push(Notification {
                kind: kind.into(),
                count: count as usize,
                text_zh: format!("{zh}：{count}"),
                text_en: format!("{en}: {count}"),
                link: link.into(),
            });
        }
    };
    let count = |counts: &[(String, i64)], state: &str| counts.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
    if actor.role.can(crate::Permission::ReadingReport) {
        let centre = sanyi_store::workflow::count_by_state(
            &app.db,
            sanyi_store::workflow::Workflow::Reading,
            &inst.division_code,
            &inst.id,
            sanyi_store::workflow::Side::In,
        )
        .await?;
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
    if actor.role.can(crate::Permission::ReadingOrder) {
        let ordered = sanyi_store::workflow::count_by_state(
            &app.db,
            sanyi_store::workflow::Workflow::Reading,
            &inst.division_code,
            &inst.id,
            sanyi_store::workflow::Side::Out,
        )
        .await?;
        push(
            "reading.to_acquire",
            count(&ordered, "ordered"),
            "待上传影像/心电图的申请",
            "Orders waiting for their images or ECG",
            "/readings?box=out&state=ordered",
        );
        let critical = sanyi_store::readings::list(
            &app.db,
            &inst.division_code,
            &inst.id,
            sanyi_store::workflow::Side::Out,
            &sanyi_store::readings::ListFilter {
                critical_open: true,
                ..Default::default()
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

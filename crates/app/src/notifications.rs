//! In-application notifications (待办提醒): what waits for the actor's action, derived from the
//! workflows' current states (nothing to store, nothing to go stale).

use serde::Serialize;
use utoipa::ToSchema;

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
/// information, to triage, assign, schedule, hold or acknowledge, expired ones (centre) and video
/// calls booked (inviting doctor). Actors without an institution have none.
///
/// # Errors
/// On a database error.
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
    let inbox = referrals::list(app, actor, referrals::ReferralBox::In, None).await?;
    let outbox = referrals::list(app, actor, referrals::ReferralBox::Out, None).await?;
    // Down-referrals whose plan sends the patient back to the actor's institution.
    let down = referrals::list(app, actor, referrals::ReferralBox::Down, None).await?;
    let count = |v: &[referrals::ReferralView], states: &[&str]| v.iter().filter(|r| states.contains(&r.state.as_str())).count();
    push(
        "referral.to_accept",
        count(&inbox, &["pending_receiver", "escalated"]),
        "待接收的上转/平转",
        "Referrals waiting for your answer",
        "/referrals?box=in&state=pending_receiver",
    );
    push(
        "referral.to_receive",
        count(&inbox, &["accepted"]),
        "已接收待到诊",
        "Accepted referrals not yet arrived",
        "/referrals?box=in&state=accepted",
    );
    push(
        "referral.down_to_receive",
        count(&down, &["down_submitted"]),
        "待接收的下转",
        "Down-referrals to receive",
        "/referrals?box=down&state=down_submitted",
    );
    push(
        "referral.rejected",
        count(&outbox, &["rejected"]),
        "被退回的转诊",
        "Referrals rejected by the receiver",
        "/referrals?box=out&state=rejected",
    );
    // Down-referred patients whose follow-up is due at the actor's institution.
    let policy = &app.policies.referral;
    let due = down
        .iter()
        .filter(|r| matches!(r.state.as_str(), "down_received" | "follow_up"))
        .filter_map(|r| serde_json::from_value::<sanyi_care::referral::Referral>(r.detail.clone()).ok())
        .filter(|r| {
            r.due_timers(policy, now)
                .iter()
                .any(|t| t.kind == sanyi_care::referral::ReferralTimer::FollowUpDue)
        })
        .count();
    push(
        "referral.follow_up_due",
        due,
        "下转患者随访到期",
        "Follow-ups of down-referred patients due",
        "/referrals?box=down&state=down_received",
    );
    if actor.role == Role::Administrator {
        push(
            "referral.escalated",
            count(&inbox, &["escalated"]) + count(&outbox, &["escalated"]),
            "超时待改派的转诊",
            "Escalated referrals to reassign",
            "/referrals?box=in&state=escalated",
        );
    }
    let asked = consultations::list(app, actor, false, None).await?;
    push(
        "consultation.returned_for_info",
        asked.iter().filter(|c| c.state == "returned_for_info").count(),
        "会诊申请被退回补充资料",
        "Consultation requests returned for information",
        "/consultations?view=out",
    );
    push(
        "consultation.call_scheduled",
        asked.iter().filter(|c| c.state == "scheduled" && c.mode == "sync").count(),
        "已预约的视频会诊",
        "Video consultations booked",
        "/consultations?view=out",
    );
    push(
        "consultation.to_acknowledge",
        asked.iter().filter(|c| c.state == "opinion_issued").count(),
        "专家意见待确认",
        "Expert opinions to acknowledge",
        "/consultations?view=out",
    );
    let received = consultations::list(app, actor, true, None).await?;
    if actor.role == Role::Administrator {
        push(
            "consultation.to_triage",
            received.iter().filter(|c| c.state == "requested").count(),
            "待分诊的会诊",
            "Consultations to triage",
            "/consultations?view=in",
        );
        push(
            "consultation.to_assign",
            received.iter().filter(|c| c.state == "triaged").count(),
            "待指派专家的会诊",
            "Consultations to assign",
            "/consultations?view=in",
        );
        push(
            "consultation.expired",
            received.iter().filter(|c| c.state == "expired").count(),
            "超时未出具意见的会诊",
            "Consultations past their deadline",
            "/consultations?view=in",
        );
        push(
            "consultation.to_schedule",
            received.iter().filter(|c| c.state == "assigned").count(),
            "待预约的会诊",
            "Consultations to schedule",
            "/consultations?view=in",
        );
    }
    let mine = received
        .iter()
        .filter(|c| {
            c.detail
                .get("experts")
                .and_then(|e| e.as_array())
                .is_some_and(|e| e.iter().any(|x| x.as_str() == Some(actor.user_id.as_str())))
        })
        .filter(|c| matches!(c.state.as_str(), "scheduled" | "in_session"))
        .count();
    push(
        "consultation.to_hold",
        mine,
        "待进行的会诊",
        "Consultations to hold",
        "/consultations?view=mine",
    );
    Ok(out)
}

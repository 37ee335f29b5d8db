use chrono::Duration;
use sanyi_care::WorkflowState;
use sanyi_care::criteria::GreenChannelCentre;
use sanyi_care::referral::{
    CommandKind, DownReferralPlan, EmergencyReferral, NewReferral, Party, Placement, ReferralCommand as C, ReferralTimer, TRANSITIONS,
    Urgency, is_allowed_transition,
};
use sanyi_care::{
    ActorRef, Direction, InsuranceReferralStatus, Referral, ReferralError, ReferralId, ReferralPolicy, ReferralState as S, Role, UserId,
};
use sanyi_domain::Tier;

use crate::t;

pub fn sender() -> ActorRef {
    ActorRef::new("dr-wang", "th-a", Role::Doctor)
}
pub fn sender_head() -> ActorRef {
    ActorRef::new("head-li", "th-a", Role::DepartmentHead)
}
pub fn receiver() -> ActorRef {
    ActorRef::new("dr-zhao", "county-h", Role::Doctor)
}
pub fn outsider() -> ActorRef {
    ActorRef::new("dr-x", "th-b", Role::Doctor)
}
pub fn centre() -> ActorRef {
    ActorRef::new("desk", "county-h", Role::ReferralCentre)
}
pub fn village() -> ActorRef {
    ActorRef::new("fd-chen", "vc-1", Role::FamilyDoctor)
}

pub fn new_referral(pre_review: bool) -> NewReferral {
    NewReferral {
        id: ReferralId::new("R1"),
        sender: Party::in_county("th-a", Tier::Township),
        receiver: Party::in_county("county-h", Tier::County),
        criterion: None,
        requires_pre_review: pre_review,
    }
}

fn draft() -> Referral {
    Referral::draft(new_referral(false), &sender(), t(0, 9)).unwrap()
}

fn pending() -> Referral {
    draft().apply(&sender(), C::Submit, t(0, 9)).unwrap().0
}

pub fn accept_cmd() -> C {
    C::Accept {
        placement: Placement::Bed {
            ward: "cardio".into(),
            bed: "12".into(),
        },
        valid_until: t(7, 9),
    }
}

fn accepted() -> Referral {
    pending().apply(&receiver(), accept_cmd(), t(0, 10)).unwrap().0
}

fn in_care() -> Referral {
    let r = accepted().apply(&receiver(), C::Arrive, t(1, 9)).unwrap().0;
    r.apply(&receiver(), C::StartCare, t(1, 10)).unwrap().0
}

pub fn plan(target: &str, tier: Tier) -> DownReferralPlan {
    DownReferralPlan {
        target: Party::in_county(target, tier),
        items: vec!["blood pressure".into()],
        interval_days: 14,
        targets: vec!["BP < 140/90".into()],
        family_doctor: UserId::new("fd-chen"),
        visits_required: 2,
        high_risk: false,
    }
}

fn down_submitted() -> Referral {
    in_care()
        .apply(
            &receiver(),
            C::DischargeWithDownReferral {
                plan: plan("vc-1", Tier::Village),
            },
            t(5, 9),
        )
        .unwrap()
        .0
}

fn not_allowed(r: &Referral, who: &ActorRef, cmd: C) {
    let kind = cmd.kind();
    assert_eq!(
        r.apply(who, cmd, t(2, 0)),
        Err(ReferralError::NotAllowed { command: kind }),
        "{who:?} in {:?}",
        r.state()
    );
}

fn invalid(r: &Referral, who: &ActorRef, cmd: C) {
    let kind = cmd.kind();
    assert_eq!(
        r.apply(who, cmd, t(2, 0)),
        Err(ReferralError::InvalidTransition {
            from: r.state(),
            command: kind
        })
    );
}

/// Source: docs/rules/referral.md#states — the whole upward and down-referral path, each event recorded.
#[test]
fn happy_path_up_and_down() {
    let r = draft();
    assert_eq!(r.state(), S::Draft);
    let (r, ev) = r.apply(&sender(), C::Submit, t(0, 9)).unwrap();
    assert_eq!((ev.from, ev.to), (S::Draft, S::PendingReceiver));
    assert_eq!(ev.actor, Some(UserId::new("dr-wang")));
    assert_eq!(ev.at, t(0, 9));
    let (r, ev) = r.apply(&receiver(), accept_cmd(), t(0, 10)).unwrap();
    assert_eq!((ev.from, ev.to), (S::PendingReceiver, S::Accepted));
    assert_eq!(r.insurance_status(), InsuranceReferralStatus::Upward);
    let (r, _) = r.apply(&receiver(), C::Arrive, t(1, 9)).unwrap();
    assert_eq!(r.state(), S::Arrived);
    let (r, _) = r.apply(&receiver(), C::StartCare, t(1, 10)).unwrap();
    assert_eq!(r.state(), S::InCare);
    let (r, ev) = r
        .apply(
            &receiver(),
            C::DischargeWithDownReferral {
                plan: plan("vc-1", Tier::Village),
            },
            t(5, 9),
        )
        .unwrap();
    assert_eq!(ev.to, S::DownSubmitted);
    assert_eq!(r.insurance_status(), InsuranceReferralStatus::Downward);
    // The original sender is no longer the down target; the village clinic is.
    not_allowed(&r, &sender(), C::ReceiveDown);
    let (r, _) = r.apply(&village(), C::ReceiveDown, t(6, 9)).unwrap();
    assert_eq!(r.state(), S::DownReceived);
    let (r, ev) = r.apply(&village(), C::RecordFollowUp, t(8, 9)).unwrap();
    assert_eq!((ev.from, ev.to), (S::DownReceived, S::FollowUp));
    assert_eq!(
        r.apply(&village(), C::Close, t(9, 0)),
        Err(ReferralError::FollowUpIncomplete { done: 1, required: 2 })
    );
    let (r, ev) = r.apply(&village(), C::RecordFollowUp, t(22, 9)).unwrap();
    assert_eq!((ev.from, ev.to), (S::FollowUp, S::FollowUp));
    let (r, ev) = r.apply(&village(), C::Close, t(22, 10)).unwrap();
    assert_eq!((ev.from, ev.to), (S::FollowUp, S::Closed));
    assert_eq!(r.follow_ups_done(), 2);
    assert_eq!(r.times().first_follow_up_at, Some(t(8, 9)));
    assert_eq!(r.insurance_status(), InsuranceReferralStatus::None);
}

#[test]
fn pre_review_path_and_its_permissions() {
    let r = Referral::draft(new_referral(true), &sender(), t(0, 9)).unwrap();
    let (r, ev) = r.apply(&sender(), C::Submit, t(0, 9)).unwrap();
    assert_eq!(ev.to, S::Submitted);
    // An ordinary doctor at the sender cannot pre-review; nor can the receiver.
    not_allowed(&r, &sender(), C::PreReview);
    not_allowed(&r, &receiver(), C::PreReview);
    // Receiver cannot accept before pre-review: permitted actor, wrong state.
    invalid(&r, &receiver(), accept_cmd());
    let (r, ev) = r.apply(&sender_head(), C::PreReview, t(0, 11)).unwrap();
    assert_eq!((ev.from, ev.to), (S::Submitted, S::PendingReceiver));
    assert_eq!(r.times().pending_since, Some(t(0, 11)));
}

#[test]
fn discharge_home_sends_feedback_and_sender_closes() {
    let (r, ev) = in_care()
        .apply(
            &receiver(),
            C::DischargeHome {
                feedback: "PCI done".into(),
            },
            t(4, 9),
        )
        .unwrap();
    assert_eq!((ev.from, ev.to), (S::InCare, S::FeedbackSent));
    assert_eq!(ev.reason.as_deref(), Some("PCI done"));
    assert_eq!(
        in_care().apply(&receiver(), C::DischargeHome { feedback: " ".into() }, t(4, 9)),
        Err(ReferralError::ReasonRequired {
            command: CommandKind::DischargeHome
        })
    );
    not_allowed(&r, &outsider(), C::Close);
    let (r, _) = r.apply(&sender(), C::Close, t(5, 0)).unwrap();
    assert_eq!(r.state(), S::Closed);
}

#[test]
fn reject_needs_reason_and_spawns_alternative() {
    let r = pending();
    assert_eq!(
        r.apply(
            &receiver(),
            C::Reject {
                reason: "".into(),
                alternative: None
            },
            t(0, 10)
        ),
        Err(ReferralError::ReasonRequired {
            command: CommandKind::Reject
        })
    );
    let alt = Party::in_county("county-tcm", Tier::County);
    let (r, ev) = r
        .apply(
            &receiver(),
            C::Reject {
                reason: "no bed".into(),
                alternative: Some(alt.clone()),
            },
            t(0, 10),
        )
        .unwrap();
    assert_eq!((ev.from, ev.to), (S::PendingReceiver, S::Rejected));
    assert_eq!(ev.reason.as_deref(), Some("no bed"));
    let spawned = r.spawn_alternative(ReferralId::new("R2"), t(0, 11)).unwrap();
    assert_eq!(spawned.state(), S::PendingReceiver);
    assert_eq!(spawned.receiver(), &alt);
    assert_eq!(spawned.sender(), r.sender());
    assert!(pending().spawn_alternative(ReferralId::new("R3"), t(0, 11)).is_none());
    // With pre-review the spawned referral starts Submitted (docs/rules/referral.md#states: the alternative becomes a new referral).
    let r = Referral::draft(new_referral(true), &sender(), t(0, 9)).unwrap();
    let r = r.apply(&sender(), C::Submit, t(0, 9)).unwrap().0;
    let r = r.apply(&sender_head(), C::PreReview, t(0, 9)).unwrap().0;
    let r = r
        .apply(
            &receiver(),
            C::Reject {
                reason: "x".into(),
                alternative: Some(alt),
            },
            t(0, 10),
        )
        .unwrap()
        .0;
    let s = r.spawn_alternative(ReferralId::new("R4"), t(0, 11)).unwrap();
    assert_eq!(s.state(), S::Submitted);
}

#[test]
fn cancel_only_by_sender_with_reason_from_allowed_states() {
    let cancel = || C::Cancel {
        reason: "patient declined".into(),
    };
    for r in [pending(), accepted()] {
        not_allowed(&r, &receiver(), cancel());
        let (c, ev) = r.apply(&sender(), cancel(), t(1, 0)).unwrap();
        assert_eq!(ev.to, S::Cancelled);
        assert_eq!(c.state(), S::Cancelled);
    }
    let r = Referral::draft(new_referral(true), &sender(), t(0, 9)).unwrap();
    let r = r.apply(&sender(), C::Submit, t(0, 9)).unwrap().0;
    assert_eq!(r.apply(&sender(), cancel(), t(0, 10)).unwrap().1.from, S::Submitted);
    assert_eq!(
        pending().apply(&sender(), C::Cancel { reason: "".into() }, t(1, 0)),
        Err(ReferralError::ReasonRequired {
            command: CommandKind::Cancel
        })
    );
    invalid(&in_care(), &sender(), cancel());
    invalid(&draft(), &sender(), cancel());
}

/// Source: docs/rules/referral.md#states — "authority check precedes the state check": a wrong actor gets
/// `NotAllowed` in every state, so the error does not leak the state.
#[test]
fn wrong_actor_is_refused_before_the_state_in_every_state() {
    let states = [draft(), pending(), accepted(), in_care(), down_submitted()];
    for r in &states {
        not_allowed(r, &sender(), accept_cmd());
        not_allowed(
            r,
            &sender(),
            C::Reject {
                reason: "x".into(),
                alternative: None,
            },
        );
        not_allowed(r, &sender(), C::Arrive);
        not_allowed(r, &outsider(), C::Arrive);
        not_allowed(r, &sender(), C::StartCare);
        not_allowed(r, &receiver(), C::Submit);
        not_allowed(r, &receiver(), C::Cancel { reason: "x".into() });
        not_allowed(r, &outsider(), C::Cancel { reason: "".into() });
        not_allowed(r, &receiver(), C::Reassign { receiver: None });
        not_allowed(r, &outsider(), C::Close);
        not_allowed(r, &outsider(), C::RecordFollowUp);
        not_allowed(r, &receiver(), C::CompletePaperwork);
        not_allowed(r, &sender(), C::DischargeHome { feedback: "x".into() });
    }
}

#[test]
fn right_actor_wrong_state_is_invalid_transition() {
    invalid(&draft(), &receiver(), accept_cmd());
    invalid(&accepted(), &receiver(), accept_cmd());
    invalid(&pending(), &receiver(), C::Arrive);
    invalid(&accepted(), &receiver(), C::StartCare);
    invalid(&pending(), &sender(), C::Submit);
    invalid(&accepted(), &sender(), C::CompletePaperwork);
    invalid(&pending(), &centre(), C::Reassign { receiver: None });
    invalid(&in_care(), &sender(), C::ReceiveDown);
    invalid(&in_care(), &sender(), C::Close);
    invalid(&down_submitted(), &village(), C::RecordFollowUp);
    invalid(&pending(), &receiver(), C::DischargeHome { feedback: "x".into() });
}

#[test]
fn accept_validity_must_be_future_and_draft_checks() {
    assert_eq!(
        pending().apply(
            &receiver(),
            C::Accept {
                placement: Placement::Slot {
                    department: "neuro".into(),
                    at: t(1, 9)
                },
                valid_until: t(0, 9)
            },
            t(0, 9)
        ),
        Err(ReferralError::ValidityInPast)
    );
    assert_eq!(
        Referral::draft(new_referral(false), &receiver(), t(0, 9)),
        Err(ReferralError::NotAllowed {
            command: CommandKind::Submit
        })
    );
    let mut same = new_referral(false);
    same.receiver = same.sender.clone();
    assert_eq!(Referral::draft(same, &sender(), t(0, 9)), Err(ReferralError::SameInstitution));
    let policy = ReferralPolicy::default();
    assert_eq!(policy.default_valid_until(t(0, 9)), t(7, 9));
}

#[test]
fn down_referral_plan_is_validated() {
    let r = in_care();
    let discharge = |p| C::DischargeWithDownReferral { plan: p };
    assert_eq!(
        r.apply(&receiver(), discharge(plan("county-tcm", Tier::County)), t(5, 0)),
        Err(ReferralError::NotDownward)
    );
    let mut p = plan("vc-1", Tier::Village);
    p.visits_required = 0;
    assert_eq!(
        r.apply(&receiver(), discharge(p), t(5, 0)),
        Err(ReferralError::InvalidPlan { field: "visits_required" })
    );
    let mut p = plan("vc-1", Tier::Village);
    p.items.clear();
    assert_eq!(
        r.apply(&receiver(), discharge(p), t(5, 0)),
        Err(ReferralError::InvalidPlan { field: "items" })
    );
    let mut p = plan("vc-1", Tier::Village);
    p.interval_days = 0;
    assert!(matches!(
        r.apply(&receiver(), discharge(p), t(5, 0)),
        Err(ReferralError::InvalidPlan { .. })
    ));
}

/// Source: docs/rules/referral.md#states , docs/rules/referral.md#timeliness — green channel is created ACCEPTED with team and ETA;
/// paperwork within 24 h.
#[test]
fn emergency_green_channel() {
    let policy = ReferralPolicy::default();
    let new = EmergencyReferral {
        id: ReferralId::new("E1"),
        sender: Party::in_county("th-a", Tier::Township),
        receiver: Party::in_county("county-h", Tier::County),
        centre: GreenChannelCentre::ChestPain,
        team: "chest-pain team".into(),
        eta: t(0, 10),
    };
    assert!(matches!(
        Referral::submit_emergency(new.clone(), &receiver(), t(0, 9)),
        Err(ReferralError::NotAllowed { .. })
    ));
    let (r, ev) = Referral::submit_emergency(new, &sender(), t(0, 9)).unwrap();
    assert_eq!((ev.from, ev.to), (S::Draft, S::Accepted));
    assert_eq!(ev.command, CommandKind::SubmitEmergency);
    assert_eq!(r.urgency(), Urgency::Emergency);
    assert_eq!(r.insurance_status(), InsuranceReferralStatus::Emergency);
    assert!(!r.paperwork_complete());
    // No no-show for the green channel, even long after the ETA.
    assert!(r.tick(&policy, t(30, 0)).is_none());
    let due = r.due_timers(&policy, t(1, 9));
    assert_eq!(
        due.iter().map(|x| x.kind).collect::<Vec<_>>(),
        vec![ReferralTimer::EmergencyPaperwork]
    );
    assert_eq!(due[0].due_at, t(1, 9));
    assert!(r.due_timers(&policy, t(1, 8)).is_empty());
    let (r, ev) = r.apply(&sender(), C::CompletePaperwork, t(0, 20)).unwrap();
    assert_eq!((ev.from, ev.to), (S::Accepted, S::Accepted));
    assert!(r.paperwork_complete());
    assert!(r.due_timers(&policy, t(2, 0)).is_empty());
    let (r, _) = r.apply(&receiver(), C::Arrive, t(0, 21)).unwrap();
    assert_eq!(r.insurance_status(), InsuranceReferralStatus::Emergency);
}

/// Source: docs/rules/referral.md#timeliness — receiver responds within 24 h (working days), escalation at SLA.
#[test]
fn response_sla_escalates_then_expires_or_reassigns() {
    let policy = ReferralPolicy::default();
    // Submitted Monday 09:00 UTC (17:00 CST): SLA due Tuesday 09:00 UTC.
    let r = pending();
    assert!(r.tick(&policy, t(1, 8)).is_none());
    let (esc, ev) = r.tick(&policy, t(1, 9)).unwrap();
    assert_eq!((ev.from, ev.to), (S::PendingReceiver, S::Escalated));
    assert_eq!(ev.actor, None);
    assert_eq!(ev.reason.as_deref(), Some("response_sla"));
    // Reassignment by the referral centre only.
    not_allowed(&esc, &receiver(), C::Reassign { receiver: None });
    let alt = Party::in_county("county-tcm", Tier::County);
    let (back, ev) = esc
        .apply(
            &centre(),
            C::Reassign {
                receiver: Some(alt.clone()),
            },
            t(1, 10),
        )
        .unwrap();
    assert_eq!((ev.from, ev.to), (S::Escalated, S::PendingReceiver));
    assert_eq!(back.receiver(), &alt);
    // Escalated for 24 working hours → expired.
    assert!(esc.tick(&policy, t(2, 8)).is_none());
    let (exp, ev) = esc.tick(&policy, t(2, 9)).unwrap();
    assert_eq!(ev.to, S::Expired);
    assert!(exp.tick(&policy, t(60, 0)).is_none());
}

#[test]
fn response_sla_skips_the_weekend() {
    let policy = ReferralPolicy::default();
    // Friday 27 Nov 02:00 UTC = 10:00 CST; 24 working hours later = Monday 30 Nov 02:00 UTC.
    let r = draft().apply(&sender(), C::Submit, t(4, 2)).unwrap().0;
    let timers = r.timers(&policy);
    let sla = timers.iter().find(|x| x.kind == ReferralTimer::ResponseSla).unwrap();
    assert_eq!(sla.due_at, t(7, 2));
    assert!(r.tick(&policy, t(6, 23)).is_none());
}

/// Source: docs/rules/referral.md#timeliness — slip validity; `NO_SHOW` after validity.
#[test]
fn acceptance_validity_gives_no_show() {
    let policy = ReferralPolicy::default();
    let r = accepted(); // valid until t(7, 9)
    assert!(r.tick(&policy, t(7, 8)).is_none());
    let (ns, ev) = r.tick(&policy, t(7, 9)).unwrap();
    assert_eq!((ev.from, ev.to), (S::Accepted, S::NoShow));
    assert_eq!(ns.state(), S::NoShow);
    invalid(&ns, &receiver(), C::Arrive);
}

/// Source: docs/rules/referral.md#timeliness — down-referral received within 3 working days; first follow-up
/// within 7 days (high-risk chronic: 2 weeks); desk alert after 48 h without progress.
#[test]
fn alert_timers_do_not_change_state() {
    let policy = ReferralPolicy::default();
    let r = down_submitted(); // discharged Saturday 28 Nov 09:00 UTC (17:00 CST)
    let due = |r: &Referral, now| r.due_timers(&policy, now).into_iter().map(|x| x.kind).collect::<Vec<_>>();
    // Weekend: counting starts Monday 00:00 CST (Sunday 16:00 UTC); 3 working days → Thursday
    // 3 Dec 16:00 UTC. Desk alert 48 h after discharge: Monday 30 Nov 09:00 UTC.
    assert_eq!(due(&r, t(7, 8)), vec![]);
    assert_eq!(due(&r, t(7, 9)), vec![ReferralTimer::DeskOverdue]);
    assert_eq!(
        due(&r, t(10, 16)),
        vec![ReferralTimer::DownReceiptOverdue, ReferralTimer::DeskOverdue]
    );
    assert!(r.tick(&policy, t(30, 0)).is_none());

    let rec = r.apply(&village(), C::ReceiveDown, t(6, 0)).unwrap().0;
    let fu = rec.timers(&policy);
    assert_eq!(fu.len(), 1);
    assert_eq!(fu[0].kind, ReferralTimer::FollowUpDue);
    assert_eq!(fu[0].due_at, t(12, 9));
    let one = rec.apply(&village(), C::RecordFollowUp, t(10, 0)).unwrap().0;
    assert_eq!(one.timers(&policy)[0].due_at, t(24, 0)); // + interval 14 days
    let two = one.apply(&village(), C::RecordFollowUp, t(24, 0)).unwrap().0;
    assert!(two.timers(&policy).is_empty());

    // High-risk chronic: first follow-up window 2 weeks.
    let mut p = plan("vc-1", Tier::Village);
    p.high_risk = true;
    let hr = in_care()
        .apply(&receiver(), C::DischargeWithDownReferral { plan: p }, t(5, 9))
        .unwrap()
        .0
        .apply(&village(), C::ReceiveDown, t(6, 0))
        .unwrap()
        .0;
    assert_eq!(hr.timers(&policy)[0].due_at, t(19, 9));

    // Custom policy: durations are configuration, not constants.
    let fast = ReferralPolicy {
        first_follow_up: Duration::days(3),
        ..ReferralPolicy::default()
    };
    assert_eq!(rec.timers(&fast)[0].due_at, t(8, 9));
}

/// Source: docs/rules/institutions.md#tiers — upward to a higher tier or out of county; downward; lateral.
#[test]
fn direction_from_tiers() {
    let th = Party::in_county("th", Tier::Township);
    let vc = Party::in_county("vc", Tier::Village);
    let county = Party::in_county("ch", Tier::County);
    let tcm = Party::in_county("tcm", Tier::County);
    let mut outside = Party::in_county("prov", Tier::County);
    outside.in_county = false;
    assert_eq!(Direction::between(&vc, &th), Direction::Upward);
    assert_eq!(Direction::between(&th, &county), Direction::Upward);
    assert_eq!(Direction::between(&county, &vc), Direction::Downward);
    assert_eq!(Direction::between(&county, &tcm), Direction::Lateral);
    assert_eq!(Direction::between(&county, &outside), Direction::Upward);
    assert_eq!(Direction::Lateral.label_zh(), "平转");
}

#[test]
fn insurance_status_for_lateral_and_downward_referrals() {
    let mut new = new_referral(false);
    new.sender = Party::in_county("county-h", Tier::County);
    new.receiver = Party::in_county("county-tcm", Tier::County);
    let a = ActorRef::new("d", "county-h", Role::Doctor);
    let b = ActorRef::new("e", "county-tcm", Role::Doctor);
    let r = Referral::draft(new.clone(), &a, t(0, 0)).unwrap();
    let r = r.apply(&a, C::Submit, t(0, 0)).unwrap().0;
    assert_eq!(r.insurance_status(), InsuranceReferralStatus::None);
    let r = r.apply(&b, accept_cmd(), t(0, 1)).unwrap().0;
    assert_eq!(r.insurance_status(), InsuranceReferralStatus::None);
    new.receiver = Party::in_county("th-a", Tier::Township);
    let r = Referral::draft(new, &a, t(0, 0)).unwrap();
    let r = r.apply(&a, C::Submit, t(0, 0)).unwrap().0;
    let r = r.apply(&sender(), accept_cmd(), t(0, 1)).unwrap().0;
    assert_eq!(r.insurance_status(), InsuranceReferralStatus::Downward);
    assert!(InsuranceReferralStatus::Downward.is_referred());
    assert!(!InsuranceReferralStatus::None.is_referred());
}

/// Source: docs/rules/referral.md#states — screen labels.
#[test]
fn state_labels_follow_domain() {
    assert_eq!(S::Submitted.label_zh(), "申请");
    assert_eq!(S::Accepted.label_zh(), "接收");
    assert_eq!(S::Arrived.label_zh(), "到诊");
    assert_eq!(S::Closed.label_zh(), "结案");
    assert_eq!(S::Cancelled.label_zh(), "作废");
    assert_eq!(S::NoShow.label_zh(), "爽约");
    assert_eq!(S::Escalated.label_zh(), "超时");
    assert_eq!(S::DownReceived.label_zh(), "下转");
    assert_eq!(S::FollowUp.label_zh(), "随访");
    assert_eq!(S::ALL.len(), 16);
    for (from, to) in TRANSITIONS {
        assert!(!from.is_final(), "{from:?} → {to:?}");
        assert!(is_allowed_transition(*from, *to));
    }
    assert!(!is_allowed_transition(S::Closed, S::Draft));
}

#[test]
fn reassign_and_close_authority() {
    let policy = ReferralPolicy::default();
    let esc = pending().tick(&policy, t(1, 9)).unwrap().0;
    // Referral-centre staff of an unrelated institution may not reassign.
    let foreign_centre = ActorRef::new("desk2", "th-b", Role::ReferralCentre);
    not_allowed(&esc, &foreign_centre, C::Reassign { receiver: None });
    // Sender's own referral centre may.
    let own = ActorRef::new("desk3", "th-a", Role::ReferralCentre);
    assert_eq!(
        esc.apply(&own, C::Reassign { receiver: None }, t(1, 10)).unwrap().0.state(),
        S::PendingReceiver
    );
    // Once the plan names the village clinic, the original sender can no longer close.
    let d = down_submitted();
    not_allowed(&d, &sender(), C::Close);
    not_allowed(&d, &sender(), C::RecordFollowUp);
    invalid(&d, &village(), C::Close);
}

#[test]
fn policy_defaults_and_validation() {
    use sanyi_care::referral::PolicyError;
    let p = ReferralPolicy::default();
    assert_eq!(p.validate(), Ok(()));
    assert_eq!(p.response_sla, Duration::hours(24));
    assert_eq!(p.slip_validity, Duration::days(7));
    assert_eq!(p.down_receipt_working_days, 3);
    assert_eq!(p.first_follow_up, Duration::days(7));
    assert_eq!(p.first_follow_up_high_risk, Duration::weeks(2));
    assert_eq!(p.desk_overdue, Duration::hours(48));
    let bad = ReferralPolicy {
        slip_validity: Duration::days(31),
        ..ReferralPolicy::default()
    };
    assert_eq!(
        bad.validate(),
        Err(PolicyError {
            field: "slip_validity",
            expected: "between 3 and 30 days"
        })
    );
    let bad = ReferralPolicy {
        response_sla: Duration::zero(),
        ..ReferralPolicy::default()
    };
    assert_eq!(bad.validate().unwrap_err().field, "response_sla");
}

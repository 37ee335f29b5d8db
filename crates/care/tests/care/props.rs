use chrono::Duration;
use proptest::prelude::*;
use sanyi_care::WorkflowState;
use sanyi_care::consultation::{
    AssignmentRequest, ConsultMode, ConsultUrgency, ExpertLoad, NewConsultation, Specialty, Title, assign,
    is_allowed_transition as consult_allowed,
};
use sanyi_care::criteria::GreenChannelCentre;
use sanyi_care::referral::{EmergencyReferral, Party, Placement, ReferralCommand as C, is_allowed_transition};
use sanyi_care::{
    ActorRef, Consultation, ConsultationCommand as CC, ConsultationError, ConsultationId, ConsultationPolicy, ExpertId, InstitutionId,
    Referral, ReferralError, ReferralId, ReferralPolicy, ReferralState as S, Role,
};
use sanyi_domain::Tier;

use crate::referral::{new_referral, plan};
use crate::t;

fn actors() -> [ActorRef; 7] {
    [
        ActorRef::new("dr-wang", "th-a", Role::Doctor),
        ActorRef::new("head-li", "th-a", Role::DepartmentHead),
        ActorRef::new("dr-zhao", "county-h", Role::Doctor),
        ActorRef::new("desk", "county-h", Role::ReferralCentre),
        ActorRef::new("fd-chen", "vc-1", Role::FamilyDoctor),
        ActorRef::new("dr-x", "th-b", Role::Doctor),
        ActorRef::new("dr-y", "county-tcm", Role::Doctor),
    ]
}

fn command(i: u8, now: chrono::DateTime<chrono::Utc>) -> C {
    match i % 18 {
        0 => C::Submit,
        1 => C::PreReview,
        2 => C::Accept {
            placement: Placement::Bed {
                ward: "w".into(),
                bed: "1".into(),
            },
            valid_until: now + Duration::days(3),
        },
        3 => C::Reject {
            reason: "full".into(),
            alternative: Some(Party::in_county("county-tcm", Tier::County)),
        },
        4 => C::Reject {
            reason: String::new(),
            alternative: None,
        },
        5 => C::Cancel { reason: "declined".into() },
        6 => C::Reassign {
            receiver: Some(Party::in_county("county-tcm", Tier::County)),
        },
        7 => C::Arrive,
        8 => C::StartCare,
        9 => C::DischargeWithDownReferral {
            plan: plan("vc-1", Tier::Village),
        },
        10 => C::DischargeHome { feedback: "ok".into() },
        11 => C::ReceiveDown,
        12 => C::RecordFollowUp,
        13 => C::Close,
        14 => C::CompletePaperwork,
        15 => C::Accept {
            placement: Placement::Bed {
                ward: "w".into(),
                bed: "1".into(),
            },
            valid_until: now,
        },
        16 => C::Reassign { receiver: None },
        _ => C::Cancel { reason: " ".into() },
    }
}

/// The actor entitled to command `i` (so random sequences make progress).
fn right_actor(i: u8, state: S) -> usize {
    match i % 18 {
        0 | 5 | 14 | 17 => 0,
        1 => 1,
        6 | 16 => 3,
        11 | 12 => 4,
        13 if state == S::FeedbackSent => 0,
        13 => 4,
        _ => 2,
    }
}

fn check_invariants(r: &Referral) {
    match r.state() {
        S::Accepted | S::Arrived | S::InCare => assert!(r.acceptance().is_some()),
        S::DownSubmitted | S::DownReceived | S::FollowUp => assert!(r.down_plan().is_some()),
        S::Closed if r.down_plan().is_some() => {
            assert!(r.follow_ups_done() >= r.down_plan().unwrap().visits_required)
        }
        _ => {}
    }
    assert_ne!(r.sender().institution, r.receiver().institution);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random command sequences never panic, and every success is in the transition table with a
    /// consistent event.
    #[test]
    fn referral_sequences_stay_in_the_table(
        pre_review in any::<bool>(),
        emergency in any::<bool>(),
        steps in prop::collection::vec(
            (0usize..7, any::<u8>(), prop_oneof![3 => Just(0i64), 1 => 0i64..100], prop::bool::weighted(0.1), prop::bool::weighted(0.8)),
            0..80,
        ),
    ) {
        let policy = ReferralPolicy::default();
        let actors = actors();
        let mut now = t(0, 9);
        let mut r = if emergency {
            Referral::submit_emergency(EmergencyReferral {
                id: ReferralId::new("E"),
                sender: Party::in_county("th-a", Tier::Township),
                receiver: Party::in_county("county-h", Tier::County),
                centre: GreenChannelCentre::Stroke,
                team: "stroke".into(),
                eta: now + Duration::hours(1),
            }, &actors[0], now).unwrap().0
        } else {
            Referral::draft(new_referral(pre_review), &actors[0], now).unwrap()
        };
        for (a, c, hours, tick, right) in steps {
            now += Duration::hours(hours);
            let a = if right { right_actor(c, r.state()) } else { a };
            let before = r.state();
            if tick {
                if let Some((next, ev)) = r.tick(&policy, now) {
                    prop_assert!(is_allowed_transition(ev.from, ev.to));
                    prop_assert_eq!(ev.from, before);
                    prop_assert_eq!(next.state(), ev.to);
                    prop_assert!(ev.actor.is_none());
                    r = next;
                }
            } else {
                match r.apply(&actors[a], command(c, now), now) {
                    Ok((next, ev)) => {
                        prop_assert!(is_allowed_transition(ev.from, ev.to), "{:?}", ev);
                        prop_assert_eq!(ev.from, before);
                        prop_assert_eq!(next.state(), ev.to);
                        prop_assert_eq!(ev.at, now);
                        prop_assert_eq!(ev.institution.as_ref(), Some(&actors[a].institution));
                        r = next;
                    }
                    Err(ReferralError::InvalidTransition { from, .. }) => prop_assert_eq!(from, before),
                    Err(_) => {}
                }
            }
            check_invariants(&r);
            let _ = r.due_timers(&policy, now);
            let _ = r.insurance_status();
            if r.state().is_final() {
                prop_assert!(r.tick(&policy, now + Duration::days(365)).is_none());
            }
        }
    }

    /// An outsider (another township) is refused with NotAllowed in whatever state a random
    /// sequence left the referral.
    #[test]
    fn outsider_always_not_allowed(
        steps in prop::collection::vec((0usize..5, any::<u8>()), 0..30),
        probe in any::<u8>(),
    ) {
        let actors = actors();
        let now = t(0, 9);
        let mut r = Referral::draft(new_referral(false), &actors[0], now).unwrap();
        for (a, c) in steps {
            if let Ok((next, _)) = r.apply(&actors[a], command(c, now), now) {
                r = next;
            }
        }
        let cmd = command(probe, now);
        // Reassign depends on role only; the outsider is a plain doctor.
        let refused = matches!(r.apply(&actors[5], cmd, now), Err(ReferralError::NotAllowed { .. }));
        prop_assert!(refused);
    }

    /// Random consultation sequences: no panic; each success is in the table.
    #[test]
    fn consultation_sequences_stay_in_the_table(
        emergency in any::<bool>(),
        sync in any::<bool>(),
        mdt in any::<bool>(),
        steps in prop::collection::vec(
            (0usize..6, 0u8..26, 0i64..20, prop::bool::weighted(0.05), prop::bool::weighted(0.8)),
            0..60,
        ),
    ) {
        let policy = ConsultationPolicy::default();
        let actors = [
            ActorRef::new("dr-wang", "th-a", Role::Doctor),
            ActorRef::new("desk", "county-h", Role::ConsultCentre),
            ActorRef::new("e1", "county-h", Role::Doctor),
            ActorRef::new("e2", "county-h", Role::Doctor),
            ActorRef::new("x", "th-b", Role::ConsultCentre),
            ActorRef::new("e3", "county-h", Role::Doctor),
        ];
        let mut now = t(0, 9);
        let mut c = Consultation::request(NewConsultation {
            id: ConsultationId::new("C"),
            inviting: InstitutionId::new("th-a"),
            invited: InstitutionId::new("county-h"),
            urgency: if emergency { ConsultUrgency::Emergency } else { ConsultUrgency::Routine },
            mode: if sync { ConsultMode::Sync } else { ConsultMode::Async },
            request: AssignmentRequest { specialty: Specialty::new("cardio"), named_expert: None },
            mdt,
            question: "q".into(),
        }, &actors[0], now).unwrap();
        for (a, k, minutes, tick, right) in steps {
            now += Duration::minutes(minutes);
            // Indices 16.. repeat the progressing commands so sequences get deep.
            let k = if k >= 16 { [7, 7, 8, 6, 9, 10, 5, 4, 3, 0][usize::from(k - 16)] } else { k };
            let a = if right {
                match k {
                    0 | 1 | 3 | 4 | 5 | 15 => 1,
                    2 | 9 | 10 | 11 | 13 | 14 => 0,
                    8 => 3,
                    12 => 1,
                    _ => 2 + usize::from(minutes % 2 == 1),
                }
            } else {
                a
            };
            let before = c.state();
            if tick {
                if let Some((next, ev)) = c.tick(&policy, now) {
                    prop_assert!(consult_allowed(ev.from, ev.to));
                    prop_assert_eq!(ev.from, before);
                    c = next;
                }
                continue;
            }
            let cmd = match k {
                0 => CC::Triage,
                1 => CC::ReturnForInfo { reason: "more".into() },
                2 => CC::ProvideInfo,
                3 => CC::Assign { experts: vec![ExpertId::new("e1")], chair: None },
                4 => CC::Assign {
                    experts: vec![ExpertId::new("e1"), ExpertId::new("e2")],
                    chair: Some(ExpertId::new("e2")),
                },
                5 => CC::Schedule { at: now + Duration::hours(1) },
                6 => CC::StartSession,
                7 => CC::SubmitOpinion { impression: "i".into(), advice: "a".into(), recommend_referral: false },
                8 => CC::ChairSummary { summary: "s".into() },
                9 => CC::Acknowledge { decision: "d".into() },
                10 => CC::Close,
                11 => CC::Rate { stars: u8::try_from(minutes % 7).unwrap_or(0) },
                12 => CC::Reject { reason: "r".into() },
                13 => CC::Cancel { reason: "c".into() },
                14 => CC::Cancel { reason: "".into() },
                _ => CC::Schedule { at: now },
            };
            match c.apply(&actors[a], cmd, now) {
                Ok((next, ev)) => {
                    prop_assert!(consult_allowed(ev.from, ev.to), "{:?}", ev);
                    prop_assert_eq!(ev.from, before);
                    prop_assert_eq!(next.state(), ev.to);
                    if next.state() == sanyi_care::consultation::ConsultationState::OpinionIssued {
                        prop_assert_eq!(next.opinions().len(), next.experts().len());
                        prop_assert_eq!(next.chair_summary().is_some(), next.is_mdt());
                    }
                    c = next;
                }
                Err(ConsultationError::InvalidTransition { from, .. }) => prop_assert_eq!(from, before),
                Err(_) => {}
            }
            let _ = c.due_timers(&policy, now);
        }
    }

    /// Source: docs/rules/remote-services.md#consultation — assignment picks the named on-duty expert, else an on-duty expert
    /// of the specialty with title ≥ attending and the minimum queue; the result does not depend
    /// on input order.
    #[test]
    fn assignment_rule_holds(
        raw in prop::collection::vec((0u8..6, 0u8..2, 0u8..4, any::<bool>(), 0u32..5), 0..12),
        named in prop::option::of(0u8..6),
    ) {
        let titles = [Title::Resident, Title::Attending, Title::AssociateChief, Title::Chief];
        let mut experts: Vec<ExpertLoad> = Vec::new();
        for (id, spec, title, on_duty, queue) in raw {
            let expert = ExpertId::new(format!("e{id}"));
            if experts.iter().any(|e| e.expert == expert) {
                continue;
            }
            experts.push(ExpertLoad {
                expert,
                specialty: Specialty::new(if spec == 0 { "cardio" } else { "neuro" }),
                title: titles[usize::from(title)],
                on_duty,
                queue,
            });
        }
        let req = AssignmentRequest {
            specialty: Specialty::new("cardio"),
            named_expert: named.map(|n| ExpertId::new(format!("e{n}"))),
        };
        let chosen = assign(&req, &experts);
        let mut rev = experts.clone();
        rev.reverse();
        prop_assert_eq!(&chosen, &assign(&req, &rev));
        let eligible: Vec<_> = experts
            .iter()
            .filter(|e| e.on_duty && e.specialty == req.specialty && e.title >= Title::Attending)
            .collect();
        let named_on_duty = experts
            .iter()
            .find(|e| Some(&e.expert) == req.named_expert.as_ref() && e.on_duty);
        match (named_on_duty, chosen) {
            (Some(n), Some(c)) => prop_assert_eq!(c, n.expert.clone()),
            (Some(_), None) => prop_assert!(false, "named expert on duty was not chosen"),
            (None, None) => prop_assert!(eligible.is_empty()),
            (None, Some(c)) => {
                let min = eligible.iter().map(|e| e.queue).min().unwrap();
                let pick = eligible.iter().find(|e| e.expert == c).unwrap();
                prop_assert_eq!(pick.queue, min);
            }
        }
    }
}

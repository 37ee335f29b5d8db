use chrono::Duration;
use sanyi_care::WorkflowState;
use sanyi_care::consultation::{
    AssignmentRequest, ConsultCommandKind as K, ConsultMode, ConsultUrgency, ConsultationState as S, ConsultationTimer, ExpertLoad,
    NewConsultation, Specialty, TRANSITIONS, Title, assign, is_allowed_transition,
};
use sanyi_care::{
    ActorRef, Consultation, ConsultationCommand as C, ConsultationError as E, ConsultationId, ConsultationPolicy, ExpertId, Role,
};

use crate::t;

fn doctor() -> ActorRef {
    ActorRef::new("dr-wang", "th-a", Role::Doctor)
}
fn centre() -> ActorRef {
    ActorRef::new("desk", "county-h", Role::ConsultCentre)
}
fn expert(id: &str) -> ActorRef {
    ActorRef::new(id, "county-h", Role::Doctor)
}
fn outsider() -> ActorRef {
    ActorRef::new("x", "th-b", Role::ConsultCentre)
}

fn new(urgency: ConsultUrgency, mode: ConsultMode, mdt: bool) -> NewConsultation {
    NewConsultation {
        id: ConsultationId::new("C1"),
        inviting: sanyi_care::InstitutionId::new("th-a"),
        invited: sanyi_care::InstitutionId::new("county-h"),
        urgency,
        mode,
        request: AssignmentRequest {
            specialty: Specialty::new("cardio"),
            named_expert: None,
        },
        mdt,
        question: "ECG changes?".into(),
    }
}

fn requested(urgency: ConsultUrgency, mode: ConsultMode, mdt: bool) -> Consultation {
    Consultation::request(new(urgency, mode, mdt), &doctor(), t(0, 9)).unwrap()
}

fn opinion() -> C {
    C::SubmitOpinion {
        impression: "NSTEMI".into(),
        advice: "refer".into(),
        recommend_referral: true,
    }
}

fn assigned_async() -> Consultation {
    let c = requested(ConsultUrgency::Routine, ConsultMode::Async, false);
    let c = c.apply(&centre(), C::Triage, t(0, 10)).unwrap().0;
    c.apply(
        &centre(),
        C::Assign {
            experts: vec![ExpertId::new("e1")],
            chair: None,
        },
        t(0, 11),
    )
    .unwrap()
    .0
}

fn ee(id: &str, spec: &str, title: Title, on_duty: bool, queue: u32) -> ExpertLoad {
    ExpertLoad {
        expert: ExpertId::new(id),
        specialty: Specialty::new(spec),
        title,
        on_duty,
        queue,
    }
}

/// Source: docs/rules/remote-services.md#consultation — named expert if on duty, else lowest queue with title ≥ 主治.
#[test]
fn assignment_rule() {
    let experts = [
        ee("a", "cardio", Title::Chief, true, 5),
        ee("b", "cardio", Title::Resident, true, 0),
        ee("c", "cardio", Title::Attending, true, 2),
        ee("d", "cardio", Title::AssociateChief, true, 2),
        ee("e", "neuro", Title::Chief, true, 0),
        ee("f", "cardio", Title::Chief, false, 0),
    ];
    let mut req = AssignmentRequest {
        specialty: Specialty::new("cardio"),
        named_expert: None,
    };
    // Resident b (queue 0) and off-duty f (queue 0) skipped; c and d tie on 2 → smaller id c.
    assert_eq!(assign(&req, &experts), Some(ExpertId::new("c")));
    req.named_expert = Some(ExpertId::new("a"));
    assert_eq!(assign(&req, &experts), Some(ExpertId::new("a")));
    // Named expert off duty → the rota.
    req.named_expert = Some(ExpertId::new("f"));
    assert_eq!(assign(&req, &experts), Some(ExpertId::new("c")));
    // Named expert unknown → the rota.
    req.named_expert = Some(ExpertId::new("zz"));
    assert_eq!(assign(&req, &experts), Some(ExpertId::new("c")));
    req.specialty = Specialty::new("derm");
    assert_eq!(assign(&req, &experts), None);
    // Order of input does not matter.
    let mut rev = experts.to_vec();
    rev.reverse();
    req.specialty = Specialty::new("cardio");
    req.named_expert = None;
    assert_eq!(assign(&req, &rev), Some(ExpertId::new("c")));
}

#[test]
fn async_single_expert_path() {
    let c = requested(ConsultUrgency::Routine, ConsultMode::Async, false);
    assert_eq!(c.state(), S::Requested);
    let (c, ev) = c.apply(&centre(), C::Triage, t(0, 10)).unwrap();
    assert_eq!((ev.from, ev.to), (S::Requested, S::Triaged));
    let (c, _) = c
        .apply(
            &centre(),
            C::Assign {
                experts: vec![ExpertId::new("e1")],
                chair: None,
            },
            t(0, 11),
        )
        .unwrap();
    assert_eq!(c.state(), S::Assigned);
    let (c, ev) = c.apply(&centre(), C::Schedule { at: t(2, 9) }, t(0, 12)).unwrap();
    assert_eq!(ev.to, S::Scheduled);
    not_allowed(&c, &expert("e2"), opinion());
    let (c, ev) = c.apply(&expert("e1"), opinion(), t(1, 9)).unwrap();
    assert_eq!((ev.from, ev.to), (S::Scheduled, S::OpinionIssued));
    assert_eq!(c.opinions().len(), 1);
    let policy = ConsultationPolicy::default();
    assert_eq!(c.on_time(&policy), Some(true));
    let (c, _) = c
        .apply(
            &doctor(),
            C::Acknowledge {
                decision: "refer up".into(),
            },
            t(1, 10),
        )
        .unwrap();
    assert_eq!(c.state(), S::Acknowledged);
    let (c, _) = c.apply(&doctor(), C::Close, t(1, 11)).unwrap();
    assert_eq!(c.apply(&doctor(), C::Rate { stars: 6 }, t(1, 12)), Err(E::InvalidRating));
    let (c, ev) = c.apply(&doctor(), C::Rate { stars: 5 }, t(1, 12)).unwrap();
    assert_eq!((ev.from, ev.to), (S::Closed, S::Rated));
    assert_eq!(c.rating(), Some(5));
}

fn not_allowed(c: &Consultation, who: &ActorRef, cmd: C) {
    let kind = cmd.kind();
    assert_eq!(
        c.apply(who, cmd, t(0, 12)),
        Err(E::NotAllowed { command: kind }),
        "{who:?} in {:?}",
        c.state()
    );
}

#[test]
fn sync_mdt_needs_every_opinion_and_chair_summary() {
    let c = requested(ConsultUrgency::Routine, ConsultMode::Sync, true);
    let c = c.apply(&centre(), C::Triage, t(0, 10)).unwrap().0;
    let bad = c.apply(
        &centre(),
        C::Assign {
            experts: vec![ExpertId::new("e1"), ExpertId::new("e2")],
            chair: Some(ExpertId::new("e9")),
        },
        t(0, 11),
    );
    assert!(matches!(bad, Err(E::InvalidAssignment { .. })));
    let one = c.apply(
        &centre(),
        C::Assign {
            experts: vec![ExpertId::new("e1")],
            chair: Some(ExpertId::new("e1")),
        },
        t(0, 11),
    );
    assert!(matches!(one, Err(E::InvalidAssignment { .. })));
    let c = c
        .apply(
            &centre(),
            C::Assign {
                experts: vec![ExpertId::new("e1"), ExpertId::new("e2")],
                chair: Some(ExpertId::new("e1")),
            },
            t(0, 11),
        )
        .unwrap()
        .0;
    assert_eq!(c.apply(&centre(), C::Schedule { at: t(0, 11) }, t(0, 11)), Err(E::ScheduleInPast));
    let c = c.apply(&expert("e2"), C::Schedule { at: t(1, 9) }, t(0, 12)).unwrap().0;
    // Sync: no opinion before the session.
    assert_eq!(
        c.apply(&expert("e1"), opinion(), t(1, 9)),
        Err(E::InvalidTransition {
            from: S::Scheduled,
            command: K::SubmitOpinion
        })
    );
    not_allowed(&c, &centre(), C::StartSession);
    let c = c.apply(&expert("e1"), C::StartSession, t(1, 9)).unwrap().0;
    let (c, ev) = c.apply(&expert("e1"), opinion(), t(1, 10)).unwrap();
    assert_eq!((ev.from, ev.to), (S::InSession, S::InSession));
    assert_eq!(c.apply(&expert("e1"), opinion(), t(1, 10)), Err(E::DuplicateOpinion));
    not_allowed(&c, &expert("e2"), C::ChairSummary { summary: "x".into() });
    assert_eq!(
        c.apply(&expert("e1"), C::ChairSummary { summary: "x".into() }, t(1, 10)),
        Err(E::OpinionsMissing { missing: 1 })
    );
    let (c, ev) = c.apply(&expert("e2"), opinion(), t(1, 11)).unwrap();
    assert_eq!(ev.to, S::InSession);
    let (c, ev) = c
        .apply(
            &expert("e1"),
            C::ChairSummary {
                summary: "PCI at county".into(),
            },
            t(1, 12),
        )
        .unwrap();
    assert_eq!((ev.from, ev.to), (S::InSession, S::OpinionIssued));
    assert_eq!(c.chair_summary(), Some("PCI at county"));
    assert_eq!(c.opinion_issued_at(), Some(t(1, 12)));
}

#[test]
fn return_for_info_resets_the_clock_and_refusals() {
    let c = requested(ConsultUrgency::Routine, ConsultMode::Async, false);
    not_allowed(&c, &doctor(), C::ReturnForInfo { reason: "x".into() });
    assert_eq!(
        c.apply(&centre(), C::ReturnForInfo { reason: " ".into() }, t(0, 10)),
        Err(E::ReasonRequired { command: K::ReturnForInfo })
    );
    let (c, ev) = c.apply(&centre(), C::ReturnForInfo { reason: "no ECG".into() }, t(0, 10)).unwrap();
    assert_eq!(ev.to, S::ReturnedForInfo);
    not_allowed(&c, &centre(), C::ProvideInfo);
    let (c, ev) = c.apply(&doctor(), C::ProvideInfo, t(1, 10)).unwrap();
    assert_eq!((ev.from, ev.to), (S::ReturnedForInfo, S::Requested));
    assert_eq!(c.clock_start(), t(1, 10));
    assert_eq!(c.requested_at(), t(0, 9));
}

#[test]
fn permission_before_state_for_every_command() {
    let states = [requested(ConsultUrgency::Routine, ConsultMode::Async, false), assigned_async()];
    for c in &states {
        not_allowed(c, &outsider(), C::Triage);
        not_allowed(
            c,
            &doctor(),
            C::Assign {
                experts: vec![],
                chair: None,
            },
        );
        not_allowed(c, &doctor(), C::Schedule { at: t(3, 0) });
        not_allowed(c, &outsider(), C::Reject { reason: "x".into() });
        not_allowed(c, &centre(), C::Cancel { reason: "x".into() });
        not_allowed(c, &centre(), C::Acknowledge { decision: "x".into() });
        not_allowed(c, &centre(), C::Close);
        not_allowed(c, &centre(), C::Rate { stars: 3 });
        not_allowed(c, &doctor(), opinion());
        not_allowed(c, &expert("e1"), C::ChairSummary { summary: "x".into() });
    }
    // Right actor, wrong state.
    let c = assigned_async();
    assert_eq!(
        c.apply(&centre(), C::Triage, t(0, 12)),
        Err(E::InvalidTransition {
            from: S::Assigned,
            command: K::Triage
        })
    );
    assert_eq!(
        c.apply(&doctor(), C::Close, t(0, 12)),
        Err(E::InvalidTransition {
            from: S::Assigned,
            command: K::Close
        })
    );
}

#[test]
fn reject_and_cancel() {
    let c = assigned_async();
    let (r, ev) = c
        .apply(
            &expert("e1"),
            C::Reject {
                reason: "out of scope".into(),
            },
            t(0, 12),
        )
        .unwrap();
    assert_eq!((ev.from, ev.to), (S::Assigned, S::Rejected));
    assert_eq!(r.state(), S::Rejected);
    let (x, ev) = c
        .apply(
            &doctor(),
            C::Cancel {
                reason: "patient left".into(),
            },
            t(0, 12),
        )
        .unwrap();
    assert_eq!(ev.to, S::Cancelled);
    assert!(x.timers(&ConsultationPolicy::default()).is_empty());
    assert_eq!(
        c.apply(&doctor(), C::Cancel { reason: "".into() }, t(0, 12)),
        Err(E::ReasonRequired { command: K::Cancel })
    );
}

/// Source: docs/rules/remote-services.md#consultation — emergency respond ≤ 30 min, opinion ≤ 2 h; routine opinion 48 h;
/// sync slot within 3 working days.
#[test]
fn deadlines_and_timers() {
    let p = ConsultationPolicy::default();
    let e = requested(ConsultUrgency::Emergency, ConsultMode::Async, false);
    assert_eq!(e.respond_by(&p), Some(t(0, 9) + Duration::minutes(30)));
    assert_eq!(e.opinion_by(&p), t(0, 11));
    let due: Vec<_> = e.due_timers(&p, t(0, 10)).into_iter().map(|x| x.kind).collect();
    assert_eq!(due, vec![ConsultationTimer::ResponseDue]);
    assert!(e.tick(&p, t(0, 10)).is_none());
    // Triage stops the response timer.
    let tri = e.apply(&centre(), C::Triage, t(0, 9)).unwrap().0;
    assert!(tri.due_timers(&p, t(0, 10)).is_empty());
    let (x, ev) = tri.tick(&p, t(0, 11)).unwrap();
    assert_eq!((ev.from, ev.to), (S::Triaged, S::Expired));
    assert_eq!(ev.actor, None);
    assert!(x.tick(&p, t(9, 0)).is_none());

    let r = requested(ConsultUrgency::Routine, ConsultMode::Async, false);
    assert_eq!(r.respond_by(&p), None);
    assert_eq!(r.opinion_by(&p), t(2, 9));
    assert!(r.tick(&p, t(2, 8)).is_none());
    assert!(r.tick(&p, t(2, 9)).is_some());

    // Sync routine requested Friday 27 Nov 02:00 UTC: slot by Wednesday 2 Dec 02:00 UTC.
    let s = Consultation::request(new(ConsultUrgency::Routine, ConsultMode::Sync, false), &doctor(), t(4, 2)).unwrap();
    assert_eq!(s.slot_by(&p), Some(t(9, 2)));
    assert_eq!(s.opinion_by(&p), t(10, 2));
    let due: Vec<_> = s.due_timers(&p, t(9, 2)).into_iter().map(|x| x.kind).collect();
    assert_eq!(due, vec![ConsultationTimer::SlotDue]);
    assert_eq!(p.session_units(Duration::minutes(45)), 2);
    assert_eq!(p.session_units(Duration::minutes(30)), 1);
}

#[test]
fn late_opinion_is_not_on_time_and_labels() {
    let p = ConsultationPolicy {
        routine_opinion: Duration::hours(24),
        ..ConsultationPolicy::default()
    };
    let c = assigned_async();
    let c = c.apply(&expert("e1"), opinion(), t(1, 10)).unwrap().0;
    assert_eq!(c.on_time(&p), Some(false));
    assert_eq!(c.on_time(&ConsultationPolicy::default()), Some(true));
    assert_eq!(S::ALL.len(), 13);
    assert_eq!(S::InSession.label_zh(), "会诊中");
    for (from, to) in TRANSITIONS {
        assert!(is_allowed_transition(*from, *to));
    }
}

#[test]
fn request_refusals() {
    assert_eq!(
        Consultation::request(new(ConsultUrgency::Routine, ConsultMode::Async, false), &centre(), t(0, 9)),
        Err(E::NotAllowed { command: K::Request })
    );
    let mut n = new(ConsultUrgency::Routine, ConsultMode::Async, false);
    n.question = "  ".into();
    assert_eq!(
        Consultation::request(n, &doctor(), t(0, 9)),
        Err(E::ReasonRequired { command: K::Request })
    );
}

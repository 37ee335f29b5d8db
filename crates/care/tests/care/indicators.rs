use chrono::Duration;
use sanyi_care::consultation::{ConsultMode, ConsultUrgency};
use sanyi_care::indicators::{
    ConsultationSummary, ReferralSummary, ResidentAdmissions, VisitCounts, acceptance_time, closure_rate_by_sender,
    consultation_turnaround, county_admission_rate, downward_rate, follow_up_completion, no_show_rate, primary_care_share, upward_rate,
    upward_rate_by_discharges,
};
use sanyi_care::referral::ReferralCommand as C;
use sanyi_care::{Direction, InstitutionId, Ratio, Referral, ReferralPolicy, ReferralState as S};
use sanyi_domain::Tier;

use crate::referral::{accept_cmd, new_referral, receiver, sender};
use crate::t;

fn summary(sender: &str, from: Tier, to: Tier, state: S) -> ReferralSummary {
    ReferralSummary {
        sender: InstitutionId::new(sender),
        sender_tier: from,
        receiver_tier: to,
        direction: if to > from {
            Direction::Upward
        } else if to < from {
            Direction::Downward
        } else {
            Direction::Lateral
        },
        state,
        emergency: false,
        submitted_at: None,
        accepted_at: None,
        arrived_at: None,
        discharged_at: None,
        down_referred: false,
        high_risk: false,
        first_follow_up_at: None,
    }
}

fn visits(id: &str, tier: Tier, oe: u64, dis: u64) -> VisitCounts {
    VisitCounts {
        institution: InstitutionId::new(id),
        tier,
        outpatient_emergency_visits: oe,
        discharges: dis,
    }
}

fn community_visits() -> Vec<VisitCounts> {
    vec![
        visits("county-h", Tier::County, 40_000, 3_000),
        visits("county-tcm", Tier::County, 10_000, 1_000),
        visits("th-a", Tier::Township, 30_000, 200),
        visits("vc-1", Tier::Village, 20_000, 0),
    ]
}

#[test]
fn ratio_rounding_is_exact_and_half_up() {
    assert_eq!(Ratio::new(1, 3).basis_points(), Some(3_333));
    assert_eq!(Ratio::new(2, 3).basis_points(), Some(6_667));
    assert_eq!(Ratio::new(1, 8).per_thousand(), Some(125));
    assert_eq!(Ratio::new(1, 16).per_thousand(), Some(63)); // 62.5 → 63
    assert_eq!(Ratio::new(1, 0).basis_points(), None);
    assert_eq!(Ratio::new(1, 4).to_f64_for_display(), Some(0.25));
}

/// Source: docs/rules/referral.md#indicators — 上转率 = upward referrals from primary ÷ primary O+E visits, per 1 000.
/// 3 upward from primary (the county→provincial one and the draft do not count) ÷ 50 000 primary
/// visits = 0.06 ‰ → 0 per 1 000 rounded; 600 bp·… checked as exact ratio.
#[test]
fn upward_rate_per_thousand() {
    let mut rs = vec![
        summary("th-a", Tier::Township, Tier::County, S::Closed),
        summary("th-a", Tier::Township, Tier::County, S::PendingReceiver),
        summary("vc-1", Tier::Village, Tier::Township, S::Accepted),
        summary("th-a", Tier::Township, Tier::County, S::Draft),
        summary("county-h", Tier::County, Tier::County, S::Closed),
    ];
    let mut out = summary("county-h", Tier::County, Tier::County, S::Accepted);
    out.direction = Direction::Upward; // out of county
    rs.push(out);
    let r = upward_rate(&rs, &community_visits());
    assert_eq!(r, Ratio::new(3, 50_000));
    assert_eq!(r.scaled(1_000_000), Some(60)); // 0.06 per 1 000 = 60 per million
    // Inpatient basis: 3 ÷ 200 primary discharges = 1 500 bp.
    assert_eq!(upward_rate_by_discharges(&rs, &community_visits()), Ratio::new(3, 200));
    let small = [visits("th-a", Tier::Township, 1_000, 0)];
    assert_eq!(upward_rate(&rs, &small).per_thousand(), Some(3));
}

/// Source: docs/rules/referral.md#indicators — 下转率 = down-referrals from county hospitals ÷ their discharges.
/// 2 discharged down + 1 direct downward from county = 3 ÷ 4 000 = 7.5 bp → 8 bp.
#[test]
fn downward_rate_over_county_discharges() {
    let mut a = summary("th-a", Tier::Township, Tier::County, S::FollowUp);
    a.down_referred = true;
    let mut b = summary("vc-1", Tier::Village, Tier::County, S::DownSubmitted);
    b.down_referred = true;
    let c = summary("county-h", Tier::County, Tier::Township, S::Accepted);
    let d = summary("th-a", Tier::Township, Tier::County, S::FeedbackSent);
    let e = summary("county-h", Tier::County, Tier::Village, S::Draft);
    let r = downward_rate(&[a, b, c, d, e], &community_visits());
    assert_eq!(r, Ratio::new(3, 4_000));
    assert_eq!(r.basis_points(), Some(8));
}

/// Acceptance time median and p90 by nearest rank: durations 1,2,3,…,10 h → median rank 5 = 5 h,
/// p90 rank 9 = 9 h; the emergency (0 h) is left out.
#[test]
fn acceptance_time_median_and_p90() {
    let mut rs: Vec<_> = (1..=10)
        .map(|h| {
            let mut s = summary("th-a", Tier::Township, Tier::County, S::Accepted);
            s.submitted_at = Some(t(0, 0));
            s.accepted_at = Some(t(0, 0) + Duration::hours(h));
            s
        })
        .collect();
    let mut em = summary("th-a", Tier::Township, Tier::County, S::Accepted);
    em.emergency = true;
    em.submitted_at = Some(t(0, 0));
    em.accepted_at = Some(t(0, 0));
    rs.push(em);
    rs.push(summary("th-a", Tier::Township, Tier::County, S::PendingReceiver));
    let s = acceptance_time(&rs).unwrap();
    assert_eq!(s.count, 10);
    assert_eq!(s.median_seconds, 5 * 3600);
    assert_eq!(s.p90_seconds, 9 * 3600);
    assert_eq!(acceptance_time(&[]), None);
}

/// 爽约率: 1 no-show ÷ (1 no-show + 3 arrived) = 2 500 bp; pending acceptance and cancelled left out.
#[test]
fn no_show_rate_over_known_outcomes() {
    let acc = |state, arrived| {
        let mut s = summary("th-a", Tier::Township, Tier::County, state);
        s.accepted_at = Some(t(0, 0));
        s.arrived_at = arrived;
        s
    };
    let rs = vec![
        acc(S::NoShow, None),
        acc(S::InCare, Some(t(1, 0))),
        acc(S::Closed, Some(t(1, 0))),
        acc(S::Arrived, Some(t(1, 0))),
        acc(S::Accepted, None),
        acc(S::Cancelled, None),
    ];
    let r = no_show_rate(&rs);
    assert_eq!(r, Ratio::new(1, 4));
    assert_eq!(r.basis_points(), Some(2_500));
}

/// Source: docs/rules/referral.md#timeliness — first follow-up within 7 days (high-risk: 2 weeks).
/// On time: day 5, high-risk day 13; late: day 8; overdue without visit: counted; window still
/// open: left out → 2 ÷ 4.
#[test]
fn follow_up_completion_within_window() {
    let policy = ReferralPolicy::default();
    let down = |first: Option<i64>, high_risk: bool| {
        let mut s = summary("th-a", Tier::Township, Tier::County, S::FollowUp);
        s.down_referred = true;
        s.high_risk = high_risk;
        s.discharged_at = Some(t(0, 0));
        s.first_follow_up_at = first.map(|d| t(d, 0));
        s
    };
    let mut late_open = down(None, false);
    late_open.discharged_at = Some(t(25, 0));
    let rs = vec![
        down(Some(5), false),
        down(Some(13), true),
        down(Some(8), false),
        down(None, false),
        late_open,
    ];
    assert_eq!(follow_up_completion(&rs, &policy, t(28, 0)), Ratio::new(2, 4));
}

/// Source: docs/rules/referral.md#indicators — closure rate = `CLOSED`/`FEEDBACK_SENT` ÷ non-cancelled, by sender.
#[test]
fn closure_rate_attributed_to_sender() {
    let rs = vec![
        summary("th-a", Tier::Township, Tier::County, S::Closed),
        summary("th-a", Tier::Township, Tier::County, S::FeedbackSent),
        summary("th-a", Tier::Township, Tier::County, S::InCare),
        summary("th-a", Tier::Township, Tier::County, S::Cancelled),
        summary("vc-1", Tier::Village, Tier::Township, S::NoShow),
        summary("vc-1", Tier::Village, Tier::Township, S::Draft),
    ];
    let m = closure_rate_by_sender(&rs);
    assert_eq!(m[&InstitutionId::new("th-a")], Ratio::new(2, 3));
    assert_eq!(m[&InstitutionId::new("vc-1")], Ratio::new(0, 1));
    assert_eq!(m.len(), 2);
}

/// Source: docs/rules/referral.md#national-frame, docs/rules/referral.md#indicators — county visit (admission) rate, target ≈ 90 %; primary share ≥ 65 %.
#[test]
fn county_admission_rate_and_primary_share() {
    let adm = [
        ResidentAdmissions {
            in_county: true,
            admissions: 4_500,
        },
        ResidentAdmissions {
            in_county: false,
            admissions: 300,
        },
        ResidentAdmissions {
            in_county: false,
            admissions: 200,
        },
    ];
    let r = county_admission_rate(&adm);
    assert_eq!(r, Ratio::new(4_500, 5_000));
    assert_eq!(r.basis_points(), Some(9_000));
    // 50 000 primary ÷ 100 000 = 50 %.
    let s = primary_care_share(&community_visits());
    assert_eq!(s, Ratio::new(50_000, 100_000));
    assert_eq!(s.basis_points(), Some(5_000));
}

/// Consultation turnaround: on time 2 h (deadline 2 h) and 30 h (48 h); late 50 h; expired
/// without opinion counted; open and withdrawn left out → 2 ÷ 4; median of 2, 30, 50 h = 30 h.
#[test]
fn consultation_turnaround_vs_deadline() {
    let c = |h_deadline: i64, opinion_h: Option<i64>, withdrawn| ConsultationSummary {
        urgency: ConsultUrgency::Routine,
        clock_start: t(0, 0),
        deadline: t(0, 0) + Duration::hours(h_deadline),
        opinion_at: opinion_h.map(|h| t(0, 0) + Duration::hours(h)),
        withdrawn,
    };
    let cs = [
        c(2, Some(2), false),
        c(48, Some(30), false),
        c(48, Some(50), false),
        c(48, None, false),
        c(200, None, false),
        c(48, Some(1), true),
    ];
    let rep = consultation_turnaround(&cs, t(3, 0));
    assert_eq!(rep.on_time, Ratio::new(2, 4));
    let st = rep.turnaround.unwrap();
    assert_eq!((st.count, st.median_seconds, st.p90_seconds), (3, 30 * 3600, 50 * 3600));
    let _ = ConsultMode::Async;
}

#[test]
fn summary_from_referral() {
    let r = Referral::draft(new_referral(false), &sender(), t(0, 9)).unwrap();
    let r = r.apply(&sender(), C::Submit, t(0, 9)).unwrap().0;
    let r = r.apply(&receiver(), accept_cmd(), t(0, 12)).unwrap().0;
    let s = ReferralSummary::from(&r);
    assert_eq!(s.direction, Direction::Upward);
    assert_eq!(s.state, S::Accepted);
    assert_eq!(acceptance_time(&[s]).unwrap().median_seconds, 3 * 3600);
}

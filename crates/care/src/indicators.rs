//! Referral and consultation indicators (双向转诊与远程会诊指标), docs/rules/referral.md#indicators and docs/rules/remote-services.md#consultation.
//!
//! Pure functions over slices of plain records. Every ratio is an exact [`Ratio`]
//! (numerator/denominator); scaled values (basis points, per 1 000) are rounded half up in integer
//! arithmetic. Floating point appears only in [`Ratio::to_f64_for_display`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sanyi_domain::Tier;
use serde::{Deserialize, Serialize};

use crate::actor::InstitutionId;
use crate::consultation::{ConsultUrgency, Consultation, ConsultationPolicy};
use crate::referral::{Direction, Referral, ReferralPolicy, ReferralState, Urgency};

/// An exact ratio (比率): numerator over denominator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ratio {
    /// Numerator.
    pub numerator: u64,
    /// Denominator (0 means undefined).
    pub denominator: u64,
}

impl Ratio {
    /// Builds a ratio.
    pub const fn new(numerator: u64, denominator: u64) -> Ratio {
        Ratio { numerator, denominator }
    }

    /// `numerator × scale ÷ denominator`, rounded half up; `None` when the denominator is 0.
    pub fn scaled(self, scale: u64) -> Option<u64> {
        if self.denominator == 0 {
            return None;
        }
        let n = u128::from(self.numerator) * u128::from(scale);
        let d = u128::from(self.denominator);
        u64::try_from((2 * n + d) / (2 * d)).ok()
    }

    /// In basis points (10 000 = 100 %).
    pub fn basis_points(self) -> Option<u64> {
        self.scaled(10_000)
    }

    /// Per 1 000 (‰).
    pub fn per_thousand(self) -> Option<u64> {
        self.scaled(1_000)
    }

    /// For display only: never use the result in a computation.
    pub fn to_f64_for_display(self) -> Option<f64> {
        (self.denominator != 0).then(|| self.numerator as f64 / self.denominator as f64)
    }
}

/// Referral summary for indicators (转诊汇总记录).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralSummary {
    /// Sending institution.
    pub sender: InstitutionId,
    /// Sender tier.
    pub sender_tier: Tier,
    /// Receiver tier.
    pub receiver_tier: Tier,
    /// Direction.
    pub direction: Direction,
    /// Current state.
    pub state: ReferralState,
    /// Green channel.
    pub emergency: bool,
    /// Submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// Arrived.
    pub arrived_at: Option<DateTime<Utc>>,
    /// Discharged by the receiver.
    pub discharged_at: Option<DateTime<Utc>>,
    /// The receiver discharged with a down-referral order.
    pub down_referred: bool,
    /// High-risk chronic patient in the down-referral plan.
    pub high_risk: bool,
    /// First primary follow-up after down-referral.
    pub first_follow_up_at: Option<DateTime<Utc>>,
}

impl From<&Referral> for ReferralSummary {
    fn from(r: &Referral) -> ReferralSummary {
        let t = r.times();
        ReferralSummary {
            sender: r.sender().institution.clone(),
            sender_tier: r.sender().tier,
            receiver_tier: r.receiver().tier,
            direction: r.direction(),
            state: r.state(),
            emergency: r.urgency() == Urgency::Emergency,
            submitted_at: t.submitted_at,
            accepted_at: t.accepted_at,
            arrived_at: t.arrived_at,
            discharged_at: t.discharged_at,
            down_referred: r.down_plan().is_some(),
            high_risk: r.down_plan().is_some_and(|p| p.high_risk),
            first_follow_up_at: t.first_follow_up_at,
        }
    }
}

/// Visit counts of one institution over the period (门急诊与出院人次).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitCounts {
    /// Institution.
    pub institution: InstitutionId,
    /// Tier.
    pub tier: Tier,
    /// Outpatient + emergency visits (门急诊人次).
    pub outpatient_emergency_visits: u64,
    /// Discharges (出院人次).
    pub discharges: u64,
}

/// Admissions of county residents, inside or outside the county (住院人次).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentAdmissions {
    /// Admitted inside the county.
    pub in_county: bool,
    /// Number of admissions.
    pub admissions: u64,
}

/// Median and 90th percentile of durations, in seconds (nearest-rank method).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurationStats {
    /// Number of observations.
    pub count: usize,
    /// Median (nearest rank ⌈0.5 n⌉).
    pub median_seconds: i64,
    /// 90th percentile (nearest rank ⌈0.9 n⌉).
    pub p90_seconds: i64,
}

fn nearest_rank(sorted: &[i64], pct: usize) -> i64 {
    let n = sorted.len();
    let rank = (pct * n).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn duration_stats(mut secs: Vec<i64>) -> Option<DurationStats> {
    if secs.is_empty() {
        return None;
    }
    secs.sort_unstable();
    Some(DurationStats {
        count: secs.len(),
        median_seconds: nearest_rank(&secs, 50),
        p90_seconds: nearest_rank(&secs, 90),
    })
}

fn primary(tier: Tier) -> bool {
    tier != Tier::County
}

/// 上转率: upward referrals sent by primary (township/village) institutions ÷ primary
/// outpatient + emergency visits; read it with [`Ratio::per_thousand`]. Drafts do not count.
pub fn upward_rate(referrals: &[ReferralSummary], visits: &[VisitCounts]) -> Ratio {
    let up = referrals
        .iter()
        .filter(|r| r.direction == Direction::Upward && primary(r.sender_tier) && r.state != ReferralState::Draft)
        .count() as u64;
    let denom = visits
        .iter()
        .filter(|v| primary(v.tier))
        .map(|v| v.outpatient_emergency_visits)
        .sum();
    Ratio::new(up, denom)
}

/// 上转率 for inpatient referrals: upward referrals sent by primary institutions ÷ primary
/// discharges (docs/rules/referral.md#indicators alternative denominator).
pub fn upward_rate_by_discharges(referrals: &[ReferralSummary], visits: &[VisitCounts]) -> Ratio {
    let up = upward_rate(referrals, &[]).numerator;
    let denom = visits.iter().filter(|v| primary(v.tier)).map(|v| v.discharges).sum();
    Ratio::new(up, denom)
}

/// 下转率: down-referrals from county hospitals (episodes discharged with a down-referral order
/// by a county receiver, plus downward referrals sent by county institutions) ÷ county discharges.
pub fn downward_rate(referrals: &[ReferralSummary], visits: &[VisitCounts]) -> Ratio {
    let down = referrals
        .iter()
        .filter(|r| {
            (r.down_referred && r.receiver_tier == Tier::County)
                || (r.direction == Direction::Downward && r.sender_tier == Tier::County && r.state != ReferralState::Draft)
        })
        .count() as u64;
    let denom = visits.iter().filter(|v| v.tier == Tier::County).map(|v| v.discharges).sum();
    Ratio::new(down, denom)
}

/// Acceptance time (接收时长): submission → acceptance of routine referrals; `None` if none.
pub fn acceptance_time(referrals: &[ReferralSummary]) -> Option<DurationStats> {
    duration_stats(
        referrals
            .iter()
            .filter(|r| !r.emergency)
            .filter_map(|r| Some((r.accepted_at? - r.submitted_at?).num_seconds()))
            .collect(),
    )
}

/// 爽约率: no-shows ÷ routine accepted referrals whose arrival outcome is known (arrived or
/// no-show); still-waiting and cancelled acceptances are left out.
pub fn no_show_rate(referrals: &[ReferralSummary]) -> Ratio {
    let known: Vec<_> = referrals
        .iter()
        .filter(|r| !r.emergency && r.accepted_at.is_some())
        .filter(|r| r.state == ReferralState::NoShow || r.arrived_at.is_some())
        .collect();
    let no_show = known.iter().filter(|r| r.state == ReferralState::NoShow).count() as u64;
    Ratio::new(no_show, known.len() as u64)
}

/// Down-referral follow-up completion (下转随访完成率): down-referrals whose first primary
/// follow-up happened within the policy window after discharge (7 days; high-risk 2 weeks) ÷
/// down-referrals whose window has closed at `now` or that were followed up.
pub fn follow_up_completion(referrals: &[ReferralSummary], policy: &ReferralPolicy, now: DateTime<Utc>) -> Ratio {
    let mut num = 0;
    let mut den = 0;
    for r in referrals.iter().filter(|r| r.down_referred) {
        let Some(discharged) = r.discharged_at else {
            continue;
        };
        let window = if r.high_risk {
            policy.first_follow_up_high_risk
        } else {
            policy.first_follow_up
        };
        let deadline = discharged + window;
        match r.first_follow_up_at {
            Some(f) => {
                den += 1;
                if f <= deadline {
                    num += 1;
                }
            }
            None if now > deadline => den += 1,
            None => {}
        }
    }
    Ratio::new(num, den)
}

/// 转诊闭环率 per sending institution: referrals reaching `Closed` or `FeedbackSent` ÷ all
/// non-cancelled referrals (drafts excluded).
pub fn closure_rate_by_sender(referrals: &[ReferralSummary]) -> BTreeMap<InstitutionId, Ratio> {
    let mut out: BTreeMap<InstitutionId, Ratio> = BTreeMap::new();
    for r in referrals
        .iter()
        .filter(|r| !matches!(r.state, ReferralState::Draft | ReferralState::Cancelled))
    {
        let e = out.entry(r.sender.clone()).or_insert(Ratio::new(0, 0));
        e.denominator += 1;
        if matches!(r.state, ReferralState::Closed | ReferralState::FeedbackSent) {
            e.numerator += 1;
        }
    }
    out
}

/// 县域就诊率 (appraisal basis: admissions): admissions of county residents inside the county ÷
/// all their admissions anywhere (out-of-county settlements imported from insurance claims).
pub fn county_admission_rate(admissions: &[ResidentAdmissions]) -> Ratio {
    let inside = admissions.iter().filter(|a| a.in_county).map(|a| a.admissions).sum();
    let all = admissions.iter().map(|a| a.admissions).sum();
    Ratio::new(inside, all)
}

/// 基层就诊率: outpatient + emergency visits at township and village institutions ÷ all
/// outpatient + emergency visits inside the county.
pub fn primary_care_share(visits: &[VisitCounts]) -> Ratio {
    let prim = visits
        .iter()
        .filter(|v| primary(v.tier))
        .map(|v| v.outpatient_emergency_visits)
        .sum();
    let all = visits.iter().map(|v| v.outpatient_emergency_visits).sum();
    Ratio::new(prim, all)
}

/// Consultation summary for indicators (会诊汇总记录).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationSummary {
    /// Urgency.
    pub urgency: ConsultUrgency,
    /// Start of the deadline clock.
    pub clock_start: DateTime<Utc>,
    /// Opinion deadline.
    pub deadline: DateTime<Utc>,
    /// Opinion issued at.
    pub opinion_at: Option<DateTime<Utc>>,
    /// Cancelled or rejected (excluded from turnaround).
    pub withdrawn: bool,
}

impl ConsultationSummary {
    /// Summarises a consultation under `policy`.
    pub fn of(c: &Consultation, policy: &ConsultationPolicy) -> ConsultationSummary {
        use crate::consultation::ConsultationState as S;
        ConsultationSummary {
            urgency: c.urgency(),
            clock_start: c.clock_start(),
            deadline: c.opinion_by(policy),
            opinion_at: c.opinion_issued_at(),
            withdrawn: matches!(c.state(), S::Cancelled | S::Rejected),
        }
    }
}

/// Consultation turnaround against deadline (会诊及时率).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnaroundReport {
    /// Opinions on time ÷ consultations due (opinion issued, or deadline passed at `now`).
    pub on_time: Ratio,
    /// Clock start → opinion durations.
    pub turnaround: Option<DurationStats>,
}

/// Consultation turnaround vs deadline; withdrawn consultations are left out.
pub fn consultation_turnaround(consultations: &[ConsultationSummary], now: DateTime<Utc>) -> TurnaroundReport {
    let mut on_time = Ratio::new(0, 0);
    let mut secs = Vec::new();
    for c in consultations.iter().filter(|c| !c.withdrawn) {
        match c.opinion_at {
            Some(at) => {
                on_time.denominator += 1;
                if at <= c.deadline {
                    on_time.numerator += 1;
                }
                secs.push((at - c.clock_start).num_seconds());
            }
            None if now > c.deadline => on_time.denominator += 1,
            None => {}
        }
    }
    TurnaroundReport {
        on_time,
        turnaround: duration_stats(secs),
    }
}

//! Referral and consultation indicators (docs/rules/referral.md#indicators, docs/rules/remote-services.md) over a period and the actor's area,
//! computed by the care engine from the stored workflows. Ratios are exact (numerator and
//! denominator, plus basis points for display).

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use sanyi_care::consultation::Consultation;
use sanyi_care::indicators::{self as ind, ConsultationSummary, Ratio, ReferralSummary};
use sanyi_care::referral::{Direction, Referral};

use crate::{Actor, App, FieldError, Permission, ServiceError};

/// An exact ratio.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct RatioView {
    /// Numerator.
    pub numerator: u64,
    /// Denominator (0: undefined).
    pub denominator: u64,
    /// In basis points (10 000 = 100 %), when defined.
    pub basis_points: Option<u64>,
}

impl From<Ratio> for RatioView {
    fn from(r: Ratio) -> Self {
        RatioView {
            numerator: r.numerator,
            denominator: r.denominator,
            basis_points: r.basis_points(),
        }
    }
}

/// Median and 90th percentile of a duration, in seconds.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct DurationView {
    /// Observations.
    pub count: usize,
    /// Median (seconds).
    pub median_seconds: i64,
    /// 90th percentile (seconds).
    pub p90_seconds: i64,
}

/// Counts of one month.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MonthCounts {
    /// `YYYY-MM`.
    pub month: String,
    /// Upward referrals.
    pub upward: usize,
    /// Downward referrals.
    pub downward: usize,
    /// Consultations requested.
    pub consultations: usize,
}

/// The indicators of a period.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IndicatorReport {
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// Area (county-code prefix).
    pub area: String,
    /// The institution whose subtree the figures are limited to, if any.
    pub institution_id: Option<String>,
    /// Its name.
    pub institution_name: Option<String>,
    /// Upward referrals (上转).
    pub upward: usize,
    /// Downward referrals (下转): referrals sent downward plus the loop down-referrals (an upward
    /// referral discharged with a down-referral order back to primary care).
    pub downward: usize,
    /// Of which loop down-referrals (闭环下转).
    pub down_referred: usize,
    /// Down-referral rate (下转率) on the referral discharges: loop down-referrals among the
    /// referred patients the receivers discharged (docs/rules/referral.md#indicators divides by all discharges of the
    /// county hospitals, which sanyi does not import yet).
    pub downward_rate: RatioView,
    /// Lateral referrals (平转).
    pub lateral: usize,
    /// Time from submission to acceptance.
    pub acceptance_time: Option<DurationView>,
    /// No-shows among accepted referrals.
    pub no_show_rate: RatioView,
    /// Referrals closed (or feedback sent) among those not cancelled.
    pub closure_rate: RatioView,
    /// Down-referrals whose first follow-up was done in time.
    pub follow_up_completion: RatioView,
    /// Consultations requested.
    pub consultations: usize,
    /// Opinions issued on time among those due.
    pub consultations_on_time: RatioView,
    /// Turnaround from request to opinion.
    pub consultation_turnaround: Option<DurationView>,
    /// Upward referrals from primary care per 1 000 primary outpatient visits (上转率).
    pub upward_per_1000_primary_visits: Option<u64>,
    /// Admissions of the area's insured inside their county among all their admissions (县域就诊率,
    /// admissions as the appraisal counts them; from settled claims).
    pub county_admission_rate: RatioView,
    /// Outpatient visits at village and township institutions among all outpatient visits inside the
    /// county (基层就诊率; from settled claims).
    pub primary_visit_share: RatioView,
    /// Month by month.
    pub by_month: Vec<MonthCounts>,
    /// What cannot be computed yet, and why.
    pub notes: Vec<String>,
    /// The same notes in Chinese.
    pub notes_zh: Vec<String>,
}

fn dur(d: Option<ind::DurationStats>) -> Option<DurationView> {
    d.map(|d| DurationView {
        count: d.count,
        median_seconds: d.median_seconds,
        p90_seconds: d.p90_seconds,
    })
}

/// Indicators of the actor's area over `[from, to)`, or of one institution's subtree (the
/// institution, those under it and, for a medical community's lead hospital, the community): the
/// referrals it sends or receives, the consultations it asks or answers, the visits at its
/// institutions.
///
/// # Errors
/// `Forbidden` without read permission; `Validation` for an empty or reversed period; `NotFound`
/// for an institution outside the actor's area.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn compute(
    app: &App,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    institution: Option<&str>,
) -> Result<IndicatorReport, ServiceError> {
    actor.require(Permission::ResidentRead)?;
    if from >= to {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "from",
            "period.order",
            "from before to",
            "The period is empty or reversed",
            "统计期间无效",
        )]));
    }
    let area = actor.scope.division_prefix().to_owned();
    let subtree = match institution {
        Some(root) => Some(crate::registry::subtree(app, &area, root).await?),
        None => None,
    };
    let within = |id: &str| subtree.as_ref().is_none_or(|s| s.contains(id));
    let digests = sanyi_store::referrals::digests_between(&app.db, &area, from, to).await?;
    let consultation_rows = sanyi_store::consultations::created_between(&app.db, &area, from, to).await?;
    // Each row's digest; rows written before digests existed are summarised from their engine state.
    let referrals: Vec<(DateTime<Utc>, ReferralSummary, bool)> = digests
        .iter()
        .filter(|d| within(&d.sender_institution_id) || within(&d.receiver_institution_id))
        .filter_map(|d| {
            let summary = if d.digest.is_empty() {
                serde_json::from_str::<Referral>(&d.engine).ok().map(|r| ReferralSummary::from(&r))
            } else {
                serde_json::from_str(&d.digest).ok()
            };
            summary.map(|s| (d.created_at, s, within(&d.sender_institution_id)))
        })
        .collect();
    let consultations: Vec<(DateTime<Utc>, Consultation)> = consultation_rows
        .iter()
        .filter(|r| within(&r.inviting_institution_id) || within(&r.invited_institution_id))
        .filter_map(|r| serde_json::from_str(&r.engine).ok().map(|x| (r.created_at, x)))
        .collect();
    let summaries: Vec<ReferralSummary> = referrals.iter().map(|(_, r, _)| r.clone()).collect();
    let policy = &app.policies.consultation;
    let consult_summaries: Vec<ConsultationSummary> = consultations.iter().map(|(_, c)| ConsultationSummary::of(c, policy)).collect();
    let now = Utc::now();
    let turnaround = ind::consultation_turnaround(&consult_summaries, now);
    let count = |d: Direction| referrals.iter().filter(|(_, r, _)| r.direction == d).count();
    // A loop down-referral is an upward (or lateral) referral discharged downward: it counts as a
    // downward referral too, in the month it was referred.
    let looped = |r: &ReferralSummary| r.down_referred && r.direction != Direction::Downward;
    let down_referred = referrals.iter().filter(|(_, r, _)| looped(r)).count();
    let discharged = referrals
        .iter()
        .filter(|(_, r, _)| r.direction != Direction::Downward && r.discharged_at.is_some())
        .count();
    let closure = ind::closure_rate_by_sender(&summaries).values().fold(Ratio::new(0, 0), |a, r| {
        Ratio::new(a.numerator + r.numerator, a.denominator + r.denominator)
    });
    let mut months: std::collections::BTreeMap<String, MonthCounts> = std::collections::BTreeMap::new();
    let key = |t: &DateTime<Utc>| format!("{:04}-{:02}", t.year(), t.month());
    for (at, r, _) in &referrals {
        let m = months.entry(key(at)).or_insert_with(|| MonthCounts {
            month: key(at),
            upward: 0,
            downward: 0,
            consultations: 0,
        });
        match r.direction {
            Direction::Upward => m.upward += 1,
            Direction::Downward => m.downward += 1,
            Direction::Lateral => {}
        }
        if looped(r) {
            m.downward += 1;
        }
    }
    for (at, _) in &consultations {
        months
            .entry(key(at))
            .or_insert_with(|| MonthCounts {
                month: key(at),
                upward: 0,
                downward: 0,
                consultations: 0,
            })
            .consultations += 1;
    }
    // Visit-based rates from the settled claims of the area's insured (docs/rules/referral.md#indicators).
    // Claims carry the Beijing date of care: the window [from, to) as Beijing days, the last one
    // being the day of the window's last instant (the UTC date of a Beijing midnight is the day
    // before, which counted one day too many at the start).
    let day = |t: DateTime<Utc>| sanyi_domain::time::to_beijing(t).date_naive();
    let last = day(to - chrono::Duration::nanoseconds(1));
    let visits = sanyi_store::insurance::visit_counts(&app.db, &area, day(from), last + chrono::Days::new(1)).await?;
    // In a subtree, the visits at its institutions (the county admission rate stays the area's:
    // it is about where the area's insured are admitted, wherever that is).
    let at_subtree = |v: &sanyi_store::insurance::VisitCount| v.institution_id.as_deref().is_some_and(&within);
    let tally = |f: &dyn Fn(&sanyi_store::insurance::VisitCount) -> bool| {
        visits
            .iter()
            .filter(|v| f(v))
            .map(|v| u64::try_from(v.count).unwrap_or(0))
            .sum::<u64>()
    };
    let admissions_in = tally(&|v| v.in_county && v.med_type == "inpatient");
    let admissions = tally(&|v| v.med_type == "inpatient");
    let outpatient_in = tally(&|v| at_subtree(v) && v.in_county && v.med_type != "inpatient");
    let primary =
        tally(&|v| at_subtree(v) && v.in_county && v.med_type != "inpatient" && (v.care_level == "village" || v.care_level == "township"));
    let upward_primary = referrals
        .iter()
        .filter(|(_, r, sent_from_within)| {
            *sent_from_within
                && r.direction == Direction::Upward
                && matches!(r.sender_tier, sanyi_domain::Tier::Village | sanyi_domain::Tier::Township)
        })
        .count() as u64;
    let per_1000 = (primary > 0).then(|| upward_primary * 1000 / primary);
    Ok(IndicatorReport {
        upward_per_1000_primary_visits: per_1000,
        county_admission_rate: Ratio::new(admissions_in, admissions).into(),
        primary_visit_share: Ratio::new(primary, outpatient_in).into(),
        from,
        to,
        area,
        institution_name: match institution {
            Some(id) => sanyi_store::registry::institution(&app.db, id).await?.map(|i| i.name),
            None => None,
        },
        institution_id: institution.map(str::to_owned),
        upward: count(Direction::Upward),
        downward: count(Direction::Downward) + down_referred,
        down_referred,
        downward_rate: Ratio::new(down_referred as u64, discharged as u64).into(),
        lateral: count(Direction::Lateral),
        acceptance_time: dur(ind::acceptance_time(&summaries)),
        no_show_rate: ind::no_show_rate(&summaries).into(),
        closure_rate: closure.into(),
        follow_up_completion: ind::follow_up_completion(&summaries, &app.policies.referral, now).into(),
        consultations: consultations.len(),
        consultations_on_time: turnaround.on_time.into(),
        consultation_turnaround: dur(turnaround.turnaround),
        by_month: months.into_values().collect(),
        notes: {
            let mut notes = vec![
                "Visit-based rates count the settled insurance claims of the area's insured; the downward rate per discharge needs discharge records of the county hospitals, which sanyi does not import yet."
                    .to_owned(),
            ];
            if institution.is_some() {
                notes.push(
                    "For an institution's subtree, the primary-care share and the upward rate count the visits at its institutions; the county admission rate is the area's."
                        .to_owned(),
                );
            }
            notes
        },
        notes_zh: {
            let mut notes = vec![
                "按人次计算的比率使用本辖区参保人已结算的医保结算单；按出院人次计算的下转率需要县级医院的出院记录，三医平台尚未导入。"
                    .to_owned(),
            ];
            if institution.is_some() {
                notes.push("选择机构（含下属）时，基层就诊率和上转率只统计这些机构的就诊人次；县域内住院率仍按整个辖区计算。".to_owned());
            }
            notes
        },
    })
}

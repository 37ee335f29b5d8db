//! The settlement run of a pool and year (医保基金结算): from the fund to the county packages and
//! on to year-end, explaining every yuan (docs/rules/global-budget.md, docs/rules/payment-methods.md).
//!
//! 1. A = F − r·F − rigid (pool budget); B_c = A · w_c by enrollees and 65+ (largest remainder, so
//!    Σ B_c = A exactly); each county's B_c split between its communities by enrollees.
//! 2. Monthly prepayment B_c / 12 × p to each lead hospital; every settled claim of the county's
//!    insured (inside or outside the county) posted against B_c; early warning on the projection.
//! 3. Inpatient cases inside the community grouped with the pool's DRG scheme in force, points by
//!    the point method, point value = the fund's payments for those cases (+ patient shares when the
//!    policy counts them) / Σ points — monthly (interim) and for the period (final).
//! 4. Year-end (month 12 or the whole year): surplus retained by the appraisal-dependent share or
//!    overspend borne/shared; a retained surplus distributed to the tiers; capitation of outpatient
//!    care by enrolled persons.
//!
//! Every money rule (splits, tallies, the time-proportional line, the year-end distribution, the
//! point settlement) is a pure function of `sanyi_insurance` (`budget`, `payment`,
//! `settlement_run`) with checked arithmetic; this module loads from the store, calls them and
//! assembles the report.
//!
//! The report is deterministic: re-running on the same data yields the same report and digest.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use sanyi_domain::{Fen, MoneyError};
use sanyi_insurance::budget::{self, CountyInput, EarlyWarning, YearEnd};
use sanyi_insurance::payment::{self, CaseKind, DrgCase, InstitutionPayment, Points};
use sanyi_insurance::settlement_run::{self, PricedCase, SpendingEntry};
use sanyi_insurance::{InsuranceError, Trace};
use sanyi_store::insurance as repo;
use sanyi_store::registry;

use super::fund_year::{self, FundYear};
use crate::{Actor, App, FieldError, Permission, ServiceError};

/// One month of a county.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MonthLine {
    /// Month 1–12.
    pub month: u32,
    /// Fund paid for care inside the county (fen).
    pub spent_inside: i64,
    /// Fund paid for care outside the county, charged to the package (fen).
    pub spent_outside: i64,
    /// Cumulative spending to the end of the month.
    pub cumulative: i64,
    /// The time-proportional budget B_c × month / 12.
    pub time_proportional: i64,
    /// Interim DRG point value in ten-thousandths of a fen per point (0 without cases).
    pub point_value_e4_fen: i64,
}

/// DRG point settlement of a county's community.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DrgLine {
    /// Inpatient cases inside the community.
    pub cases: u32,
    /// The point method: `drg` or `dip` (按病种分值).
    #[serde(default = "drg_method")]
    pub method: String,
    /// Cases that grouped to a DRG with a weight (DIP: that fit a disease group).
    pub grouped: u32,
    /// Cases priced by special-case review (特病单议) with the points the bureau agreed.
    pub special_reviews: u32,
    /// The reviewed cases exceed the policy's cap on their share (e.g. 5 %).
    pub special_case_over_cap: bool,
    /// Cases paid per bed-day inside the point method (long stays of the bed-day list).
    #[serde(default)]
    pub bed_day_cases: u32,
    /// Their days.
    #[serde(default)]
    pub bed_days: u64,
    /// What the bed-day rates pay for them across their stays, after the annual caps (fen);
    /// their points are this over the overall mean cost × 100.
    #[serde(default)]
    pub bed_day_payment: i64,
    /// Σ points (ten-thousandths).
    pub total_points: i64,
    /// Amount distributed by points (fen).
    pub pool: i64,
    /// Final point value, ten-thousandths of a fen per point.
    pub point_value_e4_fen: i64,
    /// Per member institution.
    #[schema(value_type = Vec<Object>)]
    pub institutions: Vec<InstitutionPayment>,
}

/// A community's package inside its county budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommunityLine {
    /// Community id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Enrollees in its service area.
    pub enrollees: i64,
    /// Its part of B_c (fen).
    pub budget: i64,
    /// Its part of the county's prepayment through the period, by budget (fen).
    pub prepaid: i64,
    /// Its prepayment of each month 1..=through (fen): what an approved run posts to the fund's
    /// ledger; they add up to `prepaid`.
    #[serde(default)]
    pub prepayments: Vec<i64>,
    /// Year-end: the community's year-end amount Y = budget − surplus kept by the fund + overspend
    /// paid by the fund (fen); the approved year-end run brings the ledger's total to it.
    #[serde(default)]
    pub payable: Option<i64>,
    /// Fund paid for its enrollees inside the county (fen).
    pub spent_inside: i64,
    /// Fund paid for its enrollees outside the county (fen).
    pub spent_outside: i64,
    /// Σ DRG points of its member institutions' cases (ten-thousandths).
    pub drg_points: i64,
    /// Year-end of its package (full year only).
    #[schema(value_type = Object)]
    pub year_end: Option<YearEnd>,
    /// Volume-based procurement: prepayment credited and offset against its monthly settlements,
    /// and (year-end) the retained saving the fund pays it (docs/rules/procurement.md#retained-saving).
    #[serde(default)]
    pub procurement: crate::medicines::report::CommunityProcurement,
}

/// One member institution's part of the year-end result (内部分配).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberLine {
    /// Institution id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Tier share it takes part in (`county`, `township`, `village`).
    pub tier: String,
    /// Its part of the retained surplus (fen).
    pub retained: i64,
    /// Its part of the overspend the community bears (fen).
    pub borne: i64,
}

/// Capitation paid to one primary member (按人头拨付).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CapitationLine {
    /// Institution id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Persons counted (enrolled persons of its township).
    pub persons: u64,
    /// Paid each month 1..=through (fen).
    pub monthly: Vec<i64>,
    /// Paid in the period, Σ monthly (fen).
    pub paid: i64,
    /// Withheld until the appraisal (fen).
    pub withheld: i64,
    /// Released at the year-end by the score (fen).
    pub released: i64,
    /// Outpatient care of its persons elsewhere charged to it (fen; when the policy says so).
    #[serde(default)]
    pub charged_outside: i64,
    /// What it receives: paid + released − charged (fen).
    #[serde(default)]
    pub net: i64,
}

/// Everything about one county's package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CountyLine {
    /// County code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Enrollees N_c.
    pub enrollees: i64,
    /// Enrollees aged 65 or more E_c.
    pub elderly: i64,
    /// Allocation weight w_c in basis points (display; the allocation uses the exact ratio).
    pub weight_bp: i64,
    /// Budget B_c (fen).
    pub budget: i64,
    /// Monthly prepayment (fen).
    pub monthly_prepayment: i64,
    /// Prepaid through the period (fen).
    pub prepaid: i64,
    /// Fund paid inside the county (fen).
    pub spent_inside: i64,
    /// Fund paid outside the county, charged to the package (fen).
    pub spent_outside: i64,
    /// E_c = inside + outside (fen).
    pub spent: i64,
    /// Settled outpatient (incl. chronic) claims.
    pub outpatient_claims: i64,
    /// Settled inpatient claims.
    pub inpatient_claims: i64,
    /// Share of the fund spent outside the county, basis points.
    pub outflow_bp: i64,
    /// Projected year-end spending and alarm.
    #[schema(value_type = Object)]
    pub warning: Option<EarlyWarning>,
    /// Month by month.
    pub months: Vec<MonthLine>,
    /// DRG points of the community's inpatient cases.
    pub drg: DrgLine,
    /// The county's communities.
    pub communities: Vec<CommunityLine>,
    /// Capitation of outpatient care: the county's total over its members (gross, withheld,
    /// paid, released at the year-end, forfeited); charged to the package as spending.
    #[schema(value_type = Object)]
    pub capitation: Option<payment::Capitation>,
    /// Capitation paid to each primary member, month by month.
    #[serde(default)]
    pub capitation_members: Vec<CapitationLine>,
    /// Year-end: surplus retained or overspend borne and shared (full year only).
    #[schema(value_type = Object)]
    pub year_end: Option<YearEnd>,
    /// A retained surplus split between the tiers (full year only).
    pub surplus_distribution: Vec<(String, i64)>,
    /// The retained surplus, or the overspend the community bears, split over the member
    /// institutions of the county's communities: by tier share, then equally within a tier
    /// (largest remainder; full year only).
    pub members: Vec<MemberLine>,
    /// Appraisal score used (hundredths).
    pub score: u32,
}

/// The report of a settlement run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RunReport {
    /// Pool.
    pub pool: String,
    /// Year.
    pub year: i32,
    /// Through this month (12: the year-end settlement).
    pub through_month: u32,
    /// Year-end settlement (the whole year).
    pub year_end: bool,
    /// F (fen).
    pub fund: i64,
    /// Risk reserve R (fen).
    pub reserve: i64,
    /// Rigid carve-outs (fen).
    pub rigid: i64,
    /// A, distributable to the counties (fen).
    pub distributable: i64,
    /// Counties.
    pub counties: Vec<CountyLine>,
    /// Fraud and misuse flags found over the year by kind (queued for review).
    pub flags: BTreeMap<String, usize>,
    /// The pool-level trace (budget and allocation steps).
    #[schema(value_type = Object)]
    pub trace: Trace,
    /// SHA-256 of the report (without this field and `run`): equal digests, equal runs.
    pub digest: String,
    /// The stored run this report is: number, who ran it, inputs, approval (not part of the
    /// digest; absent while the run is being made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<super::runs::RunMeta>,
}

fn engine(e: InsuranceError) -> ServiceError {
    ServiceError::Validation(vec![FieldError::new(
        "fund_year",
        "settlement.engine",
        "consistent parameters and data",
        &e.to_string(),
        &format!("结算参数或数据不一致：{e}"),
    )])
}

fn money(e: MoneyError) -> ServiceError {
    engine(e.into())
}

/// Runs the settlement of `pool` for `year` through `month` (`None`: the whole year, with the
/// year-end) and stores it as the next run of the period (earlier runs stay as they were), with
/// its inputs and an audit entry of `by` (`None`: the system, e.g. the command line). `progress`
/// is told `(done, total, step)` as the run goes: budget, claims, DRG pricing, each county, fraud
/// screening, the report.
///
/// # Errors
/// `Validation` without a fund year or enrollees; `Conflict` when another run of the period was
/// stored at the same moment; a database error.
#[tracing::instrument(skip_all)]
pub async fn run(
    app: &App,
    pool: &str,
    year: i32,
    month: Option<u32>,
    by: Option<&Actor>,
    progress: &(dyn Fn(u64, u64, &str) + Sync),
) -> Result<RunReport, ServiceError> {
    if pool.len() != 6 || !pool.bytes().all(|b| b.is_ascii_digit()) || !pool.ends_with("00") {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "pool",
            "pool.code",
            "a six-digit prefecture code ending in 00 (e.g. 652300)",
            &format!("{pool:?} is not a pool code"),
            "统筹区代码应为以 00 结尾的六位数字",
        )]));
    }
    let through = month.unwrap_or(12);
    if !(1..=12).contains(&through) {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "month",
            "month.range",
            "1..=12",
            "Month must be 1 to 12",
            "月份须为 1–12",
        )]));
    }
    let fy = fund_year::load(app, pool, year).await.map_err(|e| match e {
        ServiceError::NotFound => ServiceError::Validation(vec![FieldError::new(
            "year",
            "fund_year.missing",
            "a fund year registered for the pool",
            &format!("No fund year {year} is registered for pool {pool}"),
            &format!("统筹区 {pool} 尚未登记 {year} 年度基金预算"),
        )]),
        other => other,
    })?;
    progress(0, 6, "budget");
    let pb = budget::pool_budget(&fy.budget, fy.fund, &fy.rigid).map_err(engine)?;
    let mut trace = pb.trace.clone();
    let counties = registry::counties(&app.db)
        .await?
        .into_iter()
        .filter(|c| c.pool_code == pool)
        .collect::<Vec<_>>();
    let enrol: HashMap<String, (i64, i64)> = repo::enrollees(&app.db, pool, i64::from(year))
        .await?
        .into_iter()
        .map(|(c, n, e)| (c, (n, e)))
        .collect();
    if through == 12 {
        missing_scores(&fy, &counties)?;
    }
    let inputs: Vec<CountyInput> = counties
        .iter()
        .map(|c| {
            let (n, e) = enrol.get(&c.division_code).copied().unwrap_or((0, 0));
            CountyInput {
                code: c.division_code.clone(),
                enrollees: u64::try_from(n).unwrap_or(0),
                elderly: u64::try_from(e).unwrap_or(0),
            }
        })
        .collect();
    let allocation = budget::allocate_counties(&fy.budget, pb.allocatable, &inputs).map_err(|e| match e {
        InsuranceError::ZeroTotal { .. } => ServiceError::Validation(vec![FieldError::new(
            "year",
            "enrollees.none",
            "enrolled residents in the year",
            &format!("No resident of pool {pool} is enrolled for {year}"),
            &format!("统筹区 {pool} 在 {year} 年没有参保人"),
        )]),
        other => engine(other),
    })?;
    trace.steps.extend(allocation.trace.steps.clone());
    // Steps: budget, claims, DRG, one per county, fraud checks, report.
    let total = 5 + u64::try_from(counties.len()).unwrap_or(0);
    progress(1, total, "claims");
    let spending = repo::spending(&app.db, pool, i64::from(year), i64::from(through)).await?;
    progress(2, total, "drg");
    let cases = repo::inpatient_cases(&app.db, pool, i64::from(year), i64::from(through)).await?;
    let (drg, scheme) = drg_by_county(app, pool, &fy, year, through, cases.clone()).await?;
    progress(3, total, "year-end");
    let institutions = registry::institutions(&app.db, &pool[..4]).await?;
    let communities = registry::communities(&app.db, &pool[..4]).await?;
    let township_enrollees: HashMap<String, i64> = repo::enrollees_by_township(&app.db, pool, i64::from(year))
        .await?
        .into_iter()
        .collect();
    // The overspend the bureau accepted on each community's justification (year-end only).
    let accepted = if through == 12 {
        super::overspend::accepted_by_community(app, pool, year).await?
    } else {
        HashMap::new()
    };
    let mut lines = Vec::new();
    for (done, (county, (code, b_c))) in (3u64..).zip(counties.iter().zip(allocation.parts.iter())) {
        progress(done, total, &format!("county {code}"));
        let input = inputs.iter().find(|c| &c.code == code).cloned().unwrap_or(CountyInput {
            code: code.clone(),
            enrollees: 0,
            elderly: 0,
        });
        let (n, e) = (
            i64::try_from(input.enrollees).unwrap_or(0),
            i64::try_from(input.elderly).unwrap_or(0),
        );
        let weight_bp = settlement_run::weight_bp(&fy.budget, &input, &inputs).map_err(engine)?;
        let (mp, _) = budget::monthly_prepayment(&fy.budget, *b_c).map_err(engine)?;
        // Checked above for the year-end; an interim month uses no score.
        let score = fy.scores.get(code).copied().unwrap_or(0);
        // Capitation, paid monthly to the primary members of the county's communities and
        // charged to the package as spending inside the county
        // (docs/rules/payment-methods.md#capitation).
        // Outpatient care of a township's persons elsewhere, charged to its members when the
        // policy says so.
        let outside: HashMap<String, Vec<Fen>> = if fy.capitation.charge_outside_care {
            let mut by: HashMap<String, Vec<Fen>> = HashMap::new();
            for (township, month, fund) in repo::outpatient_outside_township(&app.db, code, i64::from(year), i64::from(through)).await? {
                let months = by.entry(township).or_insert_with(|| vec![Fen::ZERO; through as usize]);
                if let Some(m) = usize::try_from(month).ok().and_then(|m| months.get_mut(m.wrapping_sub(1))) {
                    *m = m.checked_add(Fen::new(fund)).map_err(money)?;
                }
            }
            by
        } else {
            HashMap::new()
        };
        let capitated = capitation_members(
            &fy,
            &institutions,
            &communities,
            code,
            &township_enrollees,
            &outside,
            through,
            score,
        )?;
        // The monthly payments, and at the year-end the withheld share the score releases (paid
        // with December).
        let capitation_entries = capitated.iter().flat_map(|(m, _, _)| {
            (1u32..)
                .zip((1..=m.monthly.len()).map(|k| m.net_month(k).unwrap_or(Fen::ZERO)))
                .chain((m.capitation.released > Fen::ZERO).then_some((12, m.capitation.released)))
                .map(|(month, fund)| SpendingEntry {
                    month,
                    in_county: true,
                    inpatient: false,
                    fund,
                    claims: 0,
                })
        });
        let entries: Vec<SpendingEntry> = spending
            .iter()
            .filter(|s| &s.division_code == code)
            .filter_map(|s| {
                Some(SpendingEntry {
                    month: u32::try_from(s.month).ok()?,
                    in_county: s.in_county,
                    inpatient: s.med_type == "inpatient",
                    fund: Fen::new(s.hifp),
                    claims: s.claims,
                })
            })
            .chain(capitation_entries)
            .collect();
        let tally = settlement_run::tally_spending(*b_c, through, &entries).map_err(engine)?;
        let county_drg = drg.get(code);
        let months: Vec<MonthLine> = tally
            .months
            .iter()
            .map(|m| MonthLine {
                month: m.month,
                spent_inside: m.inside.get(),
                spent_outside: m.outside.get(),
                cumulative: m.cumulative.get(),
                time_proportional: m.time_proportional.get(),
                point_value_e4_fen: county_drg.and_then(|d| d.monthly.get(&m.month)).copied().unwrap_or(0),
            })
            .collect();
        let warning = budget::early_warning(*b_c, tally.spent, through).ok();
        let (year_end, surplus_distribution) = if through == 12 {
            let county_accepted: Vec<Fen> = communities
                .iter()
                .filter(|c| &c.division_code == code)
                .filter_map(|c| accepted.get(&c.id).copied())
                .collect();
            let county_accepted = if county_accepted.is_empty() {
                None
            } else {
                Some(Fen::sum(county_accepted).map_err(money)?)
            };
            let ye = budget::year_end_justified(&fy.budget, *b_c, tally.spent, score, county_accepted).map_err(engine)?;
            let dist = settlement_run::surplus_to_tiers(&ye, &fy.surplus_split)
                .map_err(engine)?
                .into_iter()
                .map(|(k, f)| (k, f.get()))
                .collect();
            (Some(ye), dist)
        } else {
            (None, Vec::new())
        };
        let county_communities: Vec<_> = communities.iter().filter(|c| &c.division_code == code).collect();
        let townships_of = |community: &str| -> std::collections::BTreeSet<String> {
            institutions
                .iter()
                .filter(|i| i.community_id.as_deref() == Some(community))
                .filter_map(|i| i.area_code.get(..9).map(str::to_owned))
                .collect()
        };
        let shares: Vec<(String, u64)> = county_communities
            .iter()
            .map(|c| {
                let n: i64 = townships_of(&c.id)
                    .iter()
                    .map(|t| township_enrollees.get(t).copied().unwrap_or(0))
                    .sum();
                (c.id.clone(), u64::try_from(n).unwrap_or(0))
            })
            .collect();
        let prepaid = settlement_run::prepaid_through(mp, through).map_err(engine)?;
        // One community: its package is the county's. Several: spending is attributed by the
        // insured person's township (service area), read only for such counties.
        let by_township: HashMap<(String, bool), i64> = if county_communities.len() > 1 {
            repo::spending_by_township(&app.db, code, i64::from(year), i64::from(through))
                .await?
                .into_iter()
                .map(|(t, inside, hifp)| ((t, inside), hifp))
                .collect()
        } else {
            HashMap::new()
        };
        let parts = settlement_run::split_communities(*b_c, prepaid, &shares).map_err(engine)?;
        let monthly_parts = settlement_run::monthly_community_prepayments(*b_c, mp, through, &shares).map_err(engine)?;
        let mut community_lines = Vec::with_capacity(parts.len());
        for ((c, part), prepayments) in county_communities.iter().zip(parts).zip(monthly_parts) {
            let (ins, outs) = if county_communities.len() > 1 {
                let ts = townships_of(&c.id);
                let sum = |inside: bool| {
                    Fen::sum(
                        ts.iter()
                            .map(|t| Fen::new(by_township.get(&(t.clone(), inside)).copied().unwrap_or(0))),
                    )
                };
                // Its members' capitation is spending of its package inside the county.
                let capitation = Fen::sum(capitated.iter().filter(|(_, _, community)| community == &c.id).map(|(m, _, _)| {
                    m.capitation
                        .paid_now
                        .checked_add(m.capitation.released)
                        .and_then(|f| f.checked_sub(m.charged_total().unwrap_or(Fen::ZERO)))
                        .unwrap_or(Fen::ZERO)
                }))
                .map_err(money)?;
                (
                    sum(true).map_err(money)?.checked_add(capitation).map_err(money)?,
                    sum(false).map_err(money)?,
                )
            } else {
                (tally.inside, tally.outside)
            };
            let drg_points = Points::sum(county_drg.into_iter().flat_map(|d| {
                d.line
                    .institutions
                    .iter()
                    .filter(|p| {
                        institutions
                            .iter()
                            .any(|i| i.id == p.institution && i.community_id.as_deref() == Some(c.id.as_str()))
                    })
                    .map(|p| p.points)
            }))
            .map_err(engine)?;
            let year_end = if through == 12 {
                let spent = ins.checked_add(outs).map_err(money)?;
                Some(budget::year_end_justified(&fy.budget, part.budget, spent, score, accepted.get(&c.id).copied()).map_err(engine)?)
            } else {
                None
            };
            let payable = match &year_end {
                Some(ye) => Some(sanyi_insurance::ledger::year_end_amount(part.budget, ye).map_err(engine)?.get()),
                None => None,
            };
            let monthly = if through > 0 {
                part.prepaid.checked_div(i64::from(through)).map_err(money)?
            } else {
                Fen::ZERO
            };
            let procurement =
                crate::medicines::report::community_money(app, code, &c.id, year, through, monthly, score >= fy.budget.pass_mark).await?;
            if procurement.prepaid > 0 {
                trace.push(
                    "procurement.prepayment",
                    &[("community", c.id.clone()), ("offset", Fen::new(procurement.offset).to_string())],
                    Fen::new(procurement.prepaid),
                    Fen::new(procurement.outstanding),
                    format!(
                        "{}: VBP prepayment credited, offset against later monthly settlements; outstanding",
                        c.name
                    ),
                    format!("{}：集采医保预付款，冲抵此后各月结算，尚未冲抵", c.name),
                );
            }
            if through == 12 && !procurement.projects.is_empty() {
                let base = Fen::new(procurement.projects.iter().map(|p| p.saving_within_agreed).sum());
                trace.push(
                    "procurement.retained_saving",
                    &[("community", c.id.clone()), ("projects", procurement.projects.len().to_string())],
                    base,
                    Fen::new(procurement.retained),
                    format!("{}: retained saving of volume-based procurement, paid with the year-end", c.name),
                    format!("{}：集采结余留用，随年终清算拨付", c.name),
                );
            }
            community_lines.push(CommunityLine {
                procurement,
                id: c.id.clone(),
                name: c.name.clone(),
                enrollees: i64::try_from(part.enrollees).unwrap_or(0),
                budget: part.budget.get(),
                prepaid: part.prepaid.get(),
                prepayments: prepayments.iter().map(|f| f.get()).collect(),
                payable,
                spent_inside: ins.get(),
                spent_outside: outs.get(),
                drg_points: drg_points.ten_thousandths(),
                year_end,
            });
        }
        // Internal distribution to the members of the county's communities.
        let members_of: Vec<&registry::Institution> = institutions
            .iter()
            .filter(|i| {
                i.community_id
                    .as_ref()
                    .is_some_and(|id| county_communities.iter().any(|c| &c.id == id))
            })
            .collect();
        let members = match &year_end {
            Some(ye) => {
                let of: Vec<(String, String)> = members_of.iter().map(|i| (i.id.clone(), i.tier.clone())).collect();
                settlement_run::member_shares(ye, &fy.surplus_split, &of)
                    .map_err(engine)?
                    .into_iter()
                    .zip(&members_of)
                    .map(|(s, i)| MemberLine {
                        id: s.id,
                        name: i.name.clone(),
                        tier: s.tier,
                        retained: s.retained.get(),
                        borne: s.borne.get(),
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let capitation = county_capitation(&capitated).map_err(money)?;
        let capitation_members: Vec<CapitationLine> = capitated
            .iter()
            .map(|(m, name, _)| {
                let charged = m.charged_total().map_err(engine)?;
                Ok(CapitationLine {
                    id: m.id.clone(),
                    name: name.clone(),
                    persons: m.persons,
                    monthly: m.monthly.iter().map(|f| f.get()).collect(),
                    paid: m.capitation.paid_now.get(),
                    withheld: m.capitation.withheld.get(),
                    released: m.capitation.released.get(),
                    charged_outside: charged.get(),
                    net: m
                        .capitation
                        .paid_now
                        .checked_add(m.capitation.released)
                        .and_then(|f| f.checked_sub(charged))
                        .map_err(money)?
                        .get(),
                })
            })
            .collect::<Result<_, ServiceError>>()?;
        lines.push(CountyLine {
            code: code.clone(),
            name: county.name.clone(),
            enrollees: n,
            elderly: e,
            weight_bp,
            budget: b_c.get(),
            monthly_prepayment: mp.get(),
            prepaid: prepaid.get(),
            spent_inside: tally.inside.get(),
            spent_outside: tally.outside.get(),
            spent: tally.spent.get(),
            outpatient_claims: tally.outpatient_claims,
            inpatient_claims: tally.inpatient_claims,
            outflow_bp: settlement_run::outflow_bp(tally.outside, tally.spent).map_err(engine)?,
            warning,
            months,
            drg: county_drg.map(|d| d.line.clone()).unwrap_or(DrgLine {
                method: match fy.point_method {
                    super::fund_year::PointMethod::Dip => "dip".into(),
                    super::fund_year::PointMethod::Drg => "drg".into(),
                },
                cases: 0,
                grouped: 0,
                special_reviews: 0,
                special_case_over_cap: false,
                bed_day_cases: 0,
                bed_days: 0,
                bed_day_payment: 0,
                total_points: 0,
                pool: 0,
                point_value_e4_fen: 0,
                institutions: Vec::new(),
            }),
            communities: community_lines,
            capitation,
            capitation_members,
            year_end,
            surplus_distribution,
            members,
            score,
        });
    }
    progress(total - 2, total, "fraud checks");
    // Screening looks at the whole year's stays, whatever the period settled.
    let flags = if through == 12 {
        super::fraud::screen_cases(app, pool, year, &fy.fraud, &cases).await?
    } else {
        super::fraud::screen(app, pool, year).await?
    };
    let mut report = RunReport {
        pool: pool.to_owned(),
        year,
        through_month: through,
        year_end: through == 12,
        fund: pb.fund.get(),
        reserve: pb.reserve.get(),
        rigid: pb.rigid.get(),
        distributable: pb.allocatable.get(),
        counties: lines,
        flags,
        trace,
        digest: String::new(),
        run: None,
    };
    progress(total - 1, total, "report");
    let body = serde_json::to_string(&report).map_err(|e| ServiceError::Internal(e.into()))?;
    report.digest = hex::encode(Sha256::digest(body.as_bytes()));
    let inputs = super::runs::RunInputs {
        fund_year: hex::encode(Sha256::digest(
            serde_json::to_string(&fy).map_err(|e| ServiceError::Internal(e.into()))?.as_bytes(),
        )),
        scores: fy.scores.clone(),
        drg_scheme: scheme,
        accepted_overspend: accepted.iter().map(|(k, v)| (k.clone(), v.get())).collect(),
        claims: report.counties.iter().map(|c| c.outpatient_claims + c.inpatient_claims).sum(),
    };
    report.run = Some(super::runs::store(app, &report, &inputs, by).await?);
    Ok(report)
}

fn drg_method() -> String {
    "drg".into()
}

/// A priced case: county, the case, grouped, its bed-day payment and days (bed-day cases).
type Priced = (String, PricedCase, bool, Option<(Fen, u32)>);
/// A county's priced cases: the case, grouped, its bed-day payment and days.
type CountyCases = Vec<(PricedCase, bool, Option<(Fen, u32)>)>;

struct CountyDrg {
    line: DrgLine,
    monthly: BTreeMap<u32, i64>,
}

/// Groups and prices the in-community inpatient cases of every county; returns per county the
/// final point settlement and the interim point value of each month.
async fn drg_by_county(
    app: &App,
    pool: &str,
    fy: &FundYear,
    year: i32,
    through: u32,
    cases: Vec<repo::InpatientCase>,
) -> Result<(HashMap<String, CountyDrg>, Option<String>), ServiceError> {
    let tiers: HashMap<String, String> = registry::institutions(&app.db, &pool[..4])
        .await?
        .into_iter()
        .map(|i| (i.id, i.tier))
        .collect();
    let day = chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    let (scheme, scheme_name) = match crate::drg::in_force(app, pool, day).await {
        // A pool on DIP needs no DRG scheme; its catalogue is in the fund year.
        _ if fy.point_method == super::fund_year::PointMethod::Dip => {
            (None, Some(format!("DIP {}", fy.dip.as_ref().map_or(0, |d| d.groups.len()))))
        }
        Ok((row, s)) => (Some(s), Some(format!("{} {}", row.name, row.version))),
        Err(ServiceError::Validation(_)) => (None, None),
        Err(e) => return Err(e),
    };
    // Cases the bureau reviewed (特病单议) are priced with the points it agreed.
    let reviewed: HashMap<String, i64> = repo::special_review_points(&app.db, pool, i64::from(year))
        .await?
        .into_iter()
        .collect();
    let policy = fy.drg.clone();
    let coefficients = fy.coefficients.clone();
    let bed_day = fy.bed_day.clone();
    let bed_day_dx = fy.bed_day_diagnoses.clone();
    let pool_code = pool.to_owned();
    // A pool on DIP scores its cases by its disease-group catalogue instead of DRG groups.
    let dip = match fy.point_method {
        super::fund_year::PointMethod::Dip => fy.dip.clone(),
        super::fund_year::PointMethod::Drg => None,
    };
    // Grouping is CPU work: off the async runtime.
    let priced = tokio::task::spawn_blocking(move || -> Result<Vec<Priced>, InsuranceError> {
        let main_dx_of = |c: &repo::InpatientCase| -> String {
            c.drg_input
                .as_deref()
                .and_then(|d| serde_json::from_str::<crate::drg::CaseInput>(d).ok())
                .and_then(|i| i.diagnoses.first().cloned())
                .unwrap_or_default()
        };
        // Long stays of the bed-day list are paid per bed-day across the whole stay: a
        // readmission within the window continues it, the person's annual cap binds
        // (docs/rules/payment-methods.md#per-bed-day).
        let bed_day_cases: Vec<payment::BedDayCase> = cases
            .iter()
            .filter(|c| c.in_county && c.institution_id.is_some() && !reviewed.contains_key(&c.id))
            .filter(|c| {
                let dx = main_dx_of(c);
                bed_day_dx.iter().any(|p| dx.starts_with(p.as_str()))
            })
            .map(|c| payment::BedDayCase {
                id: c.id.clone(),
                person: c.resident_id.clone(),
                admission: c.service_date,
                discharge: c.discharge_date.unwrap_or(c.service_date),
            })
            .collect();
        let stays: HashMap<String, (Fen, u32)> = payment::bed_day_stays(&bed_day, &bed_day_cases)?
            .into_iter()
            .map(|b| (b.id, (b.amount, b.days)))
            .collect();
        let mut out = Vec::with_capacity(cases.len());
        for c in cases.iter().filter(|c| c.in_county) {
            let Some(inst) = c.institution_id.clone() else { continue };
            let tier = tiers.get(&inst).cloned().unwrap_or_default();
            let input: Option<crate::drg::CaseInput> = c.drg_input.as_deref().and_then(|d| serde_json::from_str(d).ok());
            let month = u32::try_from(c.month).unwrap_or(0);
            // Reviewed cases (特病单议) take the agreed points; long stays of the bed-day list are
            // paid per bed-day inside the point method (docs/rules/payment-methods.md#per-bed-day); the rest by their DRG group.
            let kind = if let Some(points) = reviewed.get(&c.id) {
                CaseKind::SpecialReview {
                    points: Points::from_ten_thousandths(*points),
                }
            } else if let Some((paid, days)) = stays.get(&c.id) {
                CaseKind::BedDay {
                    payment: *paid,
                    days: *days,
                }
            } else if let Some(dip) = &dip {
                let main_dx = input.as_ref().and_then(|i| i.diagnoses.first().cloned()).unwrap_or_default();
                let procedures = input.as_ref().map(|i| i.procedures.clone()).unwrap_or_default();
                let k = coefficients.get(&tier).copied().unwrap_or(sanyi_domain::BasisPoints::new(10_000));
                let s = sanyi_insurance::dip::score(dip, &main_dx, &procedures, Fen::new(c.medfee_sumamt), k)?;
                CaseKind::Dip {
                    points: s.points,
                    class: s.class,
                }
            } else {
                let found = scheme.as_ref().and_then(|s| {
                    let r = s.group(&crate::drg::case_of(input.as_ref()?));
                    let drg = r.drg?.to_owned();
                    // The weights of the year, else those of the nearest year the pool published.
                    let w = s.weight(&pool_code, year, &drg).or_else(|| {
                        s.weights()
                            .iter()
                            .filter(|w| w.pool == pool_code && w.drg == drg)
                            .min_by_key(|w| (w.year - year).abs())
                    })?;
                    Some((drg, w.weight, w.avg_cost_fen))
                });
                match found {
                    Some((drg, weight, avg_cost)) => CaseKind::Grouped {
                        drg,
                        weight,
                        group_mean_cost: payment::group_mean_cost(&policy, weight, avg_cost.map(Fen::new))?,
                        coefficient: coefficients.get(&tier).copied().unwrap_or(sanyi_domain::BasisPoints::new(10_000)),
                    },
                    None => CaseKind::Ungroupable,
                }
            };
            let grouped = matches!(kind, CaseKind::Grouped { .. })
                || matches!(kind, CaseKind::Dip { class, .. } if class != sanyi_insurance::dip::DipClass::Unmatched);
            let bed_day = match &kind {
                CaseKind::BedDay { payment, days } => Some((*payment, *days)),
                _ => None,
            };
            let case = DrgCase {
                id: c.id.clone(),
                institution: inst,
                kind,
                cost: Fen::new(c.medfee_sumamt),
                // The patient's share is what neither the fund nor the other funds paid.
                patient_share: Fen::new(c.medfee_sumamt)
                    .checked_sub(Fen::new(c.hifp_pay))?
                    .checked_sub(Fen::new(c.hifmi_pay))?
                    .checked_sub(Fen::new(c.maf_pay))?,
                other_funds: Fen::new(c.hifmi_pay).checked_add(Fen::new(c.maf_pay))?,
            };
            out.push((
                c.division_code.clone(),
                PricedCase {
                    month,
                    fund: Fen::new(c.hifp_pay),
                    points: payment::case_points(&policy, &case)?,
                },
                grouped,
                bed_day,
            ));
        }
        Ok(out)
    })
    .await
    .map_err(|e| ServiceError::Internal(e.into()))?
    .map_err(engine)?;
    let mut by_county: BTreeMap<String, CountyCases> = BTreeMap::new();
    for (county, case, grouped, bed_day) in priced {
        by_county.entry(county).or_default().push((case, grouped, bed_day));
    }
    let mut out = HashMap::new();
    let dip_method = fy.point_method == super::fund_year::PointMethod::Dip;
    for (county, cases) in by_county {
        let grouped = cases.iter().filter(|c| c.1).count();
        let bed_days: Vec<(Fen, u32)> = cases.iter().filter_map(|c| c.2).collect();
        let bed_day_payment = Fen::sum(bed_days.iter().map(|b| b.0)).map_err(money)?;
        let cases: Vec<PricedCase> = cases.into_iter().map(|c| c.0).collect();
        let points = settlement_run::county_points(&fy.drg, through, &cases).map_err(engine)?;
        let settled = points.settlement;
        out.insert(
            county,
            CountyDrg {
                line: DrgLine {
                    method: if dip_method { "dip" } else { "drg" }.into(),
                    cases: u32::try_from(cases.len()).unwrap_or(u32::MAX),
                    grouped: u32::try_from(grouped).unwrap_or(u32::MAX),
                    special_reviews: u32::try_from(cases.iter().filter(|c| c.points.class == payment::CaseClass::SpecialReview).count())
                        .unwrap_or(u32::MAX),
                    special_case_over_cap: settled.special_case_over_cap,
                    bed_day_cases: u32::try_from(bed_days.len()).unwrap_or(u32::MAX),
                    bed_days: bed_days.iter().map(|b| u64::from(b.1)).sum(),
                    bed_day_payment: bed_day_payment.get(),
                    total_points: settled.total_points.ten_thousandths(),
                    pool: settled.pool.get(),
                    point_value_e4_fen: settled.point_value_e4_fen,
                    institutions: settled.institutions,
                },
                monthly: points.monthly,
            },
        );
    }
    Ok((out, scheme_name))
}

/// Runs the settlement for the actor's pool (pool-wide insurance officers only: the run moves the
/// money of every county of the pool).
///
/// # Errors
/// As [`run`]; `Forbidden` without the permission; `PoolLevelOnly` for a county-scoped officer.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn run_as(app: &App, actor: &Actor, year: i32, month: Option<u32>) -> Result<RunReport, ServiceError> {
    actor.require_pool_level(Permission::InsuranceManage)?;
    let pool = super::actor_pool(actor, None)?;
    run(app, &pool, year, month, Some(actor), &|_, _, _| {}).await
}

/// The report of the latest run of a period (`month` `None`: the year-end), with its run.
///
/// # Errors
/// `NotFound` when the period has not been run.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn report(app: &App, actor: &Actor, year: i32, month: Option<u32>) -> Result<RunReport, ServiceError> {
    super::runs::report_of(app, actor, year, month, None).await
}

/// The fund year the bureau's pages and the workbench open on: last calendar year in Beijing time.
pub fn last_fund_year() -> i32 {
    chrono::Datelike::year(&sanyi_domain::time::today()) - 1
}

/// Whether the year's settlement run has a report, without reading it (the workbench asks on
/// every visit).
///
/// # Errors
/// `Forbidden` without read permission; a database error.
pub async fn is_settled(app: &App, actor: &Actor, year: i32) -> Result<bool, ServiceError> {
    actor.require(Permission::InsuranceRead)?;
    let pool = super::actor_pool(actor, None)?;
    Ok(sanyi_store::settlement::run_exists(&app.db, &pool, i64::from(year), 0).await?)
}

impl RunReport {
    /// What a county-scoped reader may see: the pool's totals and its own county's lines; the
    /// other counties' lines, the pool-wide fraud counts and the pool's trace are left out.
    pub fn for_county(mut self, county_prefix: &str) -> RunReport {
        self.counties.retain(|c| c.code.starts_with(county_prefix));
        self.flags.clear();
        self.trace = Trace::default();
        // The run's inputs name every county's score and every community's accepted overspend.
        let communities: std::collections::HashSet<&str> = self
            .counties
            .iter()
            .flat_map(|c| c.communities.iter().map(|m| m.id.as_str()))
            .collect();
        if let Some(inputs) = self.run.as_mut().and_then(|r| r.inputs.as_mut()) {
            inputs.scores.retain(|county, _| county.starts_with(county_prefix));
            inputs
                .accepted_overspend
                .retain(|community, _| communities.contains(community.as_str()));
        }
        self
    }
}

/// The year-end needs every county's appraisal score (docs/rules/global-budget.md#year-end-settlement): a
/// missing one is an error naming the county, never a silent pass mark.
fn missing_scores(fy: &FundYear, counties: &[registry::County]) -> Result<(), ServiceError> {
    let errs: Vec<FieldError> = counties
        .iter()
        .filter(|c| !fy.scores.contains_key(&c.division_code))
        .map(|c| {
            FieldError::new(
                &format!("scores.{}", c.division_code),
                "appraisal.score_missing",
                "the county's appraisal score of the year, in the fund year",
                &format!(
                    "No appraisal score of {} ({}) for {} in the fund year",
                    c.name, c.division_code, fy.year
                ),
                &format!("基金年度缺少{}（{}）{} 年度的医共体考核得分", c.name, c.division_code, fy.year),
            )
        })
        .collect();
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Validation(errs))
    }
}

/// A member's capitation, its name and its community.
type Capitated = (payment::MemberCapitation, String, String);

/// The capitation of a county's primary members (township health centres and community health
/// centres of its communities) for the period: each for the enrolled persons of its township
/// (several primary members of one township share them equally, largest remainder). The
/// contracted-persons basis needs family-doctor contracts, which sanyi does not record yet.
#[allow(clippy::too_many_arguments)]
fn capitation_members(
    fy: &FundYear,
    institutions: &[registry::Institution],
    communities: &[registry::Community],
    county: &str,
    township_enrollees: &HashMap<String, i64>,
    outside: &HashMap<String, Vec<Fen>>,
    through: u32,
    score: u32,
) -> Result<Vec<Capitated>, ServiceError> {
    if fy.capitation.basis == payment::CapitationBasis::Contracted {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "capitation.basis",
            "capitation.contracts_missing",
            "enrolled (family-doctor contracts are not recorded yet)",
            "Capitation by contracted persons needs family-doctor contracts, which are not recorded yet",
            "按签约人数付费需要家庭医生签约记录，目前尚未登记签约",
        )]));
    }
    let primary: Vec<&registry::Institution> = institutions
        .iter()
        .filter(|i| matches!(i.tier.as_str(), "township" | "community"))
        .filter(|i| {
            i.community_id
                .as_ref()
                .is_some_and(|id| communities.iter().any(|c| &c.id == id && c.division_code == county))
        })
        .collect();
    let mut by_township: BTreeMap<String, Vec<&registry::Institution>> = BTreeMap::new();
    for i in primary {
        if let Some(t) = i.area_code.get(..9) {
            by_township.entry(t.to_owned()).or_default().push(i);
        }
    }
    let mut persons: Vec<(String, u64)> = Vec::new();
    let mut meta: HashMap<String, (String, String)> = HashMap::new();
    // Charges of care elsewhere per member, split equally between a township's members.
    let mut charges: HashMap<String, Vec<Fen>> = HashMap::new();
    for (township, mut members) in by_township {
        members.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(months) = outside.get(&township) {
            let equal: Vec<(String, u64)> = members.iter().map(|m| (m.id.clone(), 1)).collect();
            for month in months {
                let parts = budget::split_by_shares(*month, &equal).map_err(engine)?.parts;
                for (id, part) in parts {
                    charges.entry(id).or_default().push(part);
                }
            }
        }
        let n = u64::try_from(township_enrollees.get(&township).copied().unwrap_or(0)).unwrap_or(0);
        let each = n / members.len() as u64;
        let extra = n % members.len() as u64;
        for (k, m) in members.iter().enumerate() {
            persons.push((m.id.clone(), each + u64::from((k as u64) < extra)));
            meta.insert(m.id.clone(), (m.name.clone(), m.community_id.clone().unwrap_or_default()));
        }
    }
    Ok(payment::member_capitation(&fy.capitation, &persons, through, score)
        .map_err(engine)?
        .into_iter()
        .map(|mut m| {
            if let Some(c) = charges.remove(&m.id) {
                m.charge(c);
            }
            let (name, community) = meta.get(&m.id).cloned().unwrap_or_default();
            (m, name, community)
        })
        .collect())
}

/// A county's capitation: the sum of its members' (none without members).
fn county_capitation(members: &[Capitated]) -> Result<Option<payment::Capitation>, MoneyError> {
    if members.is_empty() {
        return Ok(None);
    }
    let sum = |f: &dyn Fn(&payment::Capitation) -> Fen| Fen::sum(members.iter().map(|(m, _, _)| f(&m.capitation)));
    Ok(Some(payment::Capitation {
        gross: sum(&|c| c.gross)?,
        withheld: sum(&|c| c.withheld)?,
        paid_now: sum(&|c| c.paid_now)?,
        released: sum(&|c| c.released)?,
        forfeited: sum(&|c| c.forfeited)?,
        trace: Trace::default(),
    }))
}

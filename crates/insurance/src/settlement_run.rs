//! The money rules of a settlement run (医保基金结算运行, docs/rules/global-budget.md, docs/rules/payment-methods.md) that turn what the
//! application loaded into the lines of its report: the month-by-month tally of a county's
//! spending against the time-proportional budget, the display weight and outflow share, the
//! split of a county budget and its prepayment between the county's communities, the year-end
//! surplus split to the tiers and to the member institutions, and a county's DRG point
//! settlement with its monthly interim point values.
//!
//! Every function is pure, with checked integer arithmetic: an overflow or an invalid input is an
//! [`InsuranceError`], never a wrap or a panic. Splits use [`largest_remainder`] (through
//! [`budget::split_by_shares`]) so their parts add up to the whole exactly.
//!
//! [`largest_remainder`]: crate::largest_remainder

use std::collections::BTreeMap;

use sanyi_domain::{Fen, MoneyError};
use serde::{Deserialize, Serialize};

use crate::budget::{self, BudgetPolicy, CountyInput, YearEnd};
use crate::payment::{self, CasePoints, DrgPointPolicy, PointSettlement, Points};
use crate::trace::InsuranceError;

fn overflow() -> InsuranceError {
    InsuranceError::Money(MoneyError::Overflow)
}

fn check_month(month: u32, field: &str) -> Result<(), InsuranceError> {
    if (1..=12).contains(&month) {
        Ok(())
    } else {
        Err(InsuranceError::InvalidInput {
            field: field.into(),
            rule: "must be 1..=12",
        })
    }
}

/// One group of settled claims of a county charged to its package (as loaded: a month, inside or
/// outside the county, inpatient or not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendingEntry {
    /// Month of the claims (1–12; other months are not part of any period and are ignored).
    pub month: u32,
    /// Care inside the insured person's county.
    pub in_county: bool,
    /// Inpatient claims (the rest count as outpatient, chronic included).
    pub inpatient: bool,
    /// Fund paid (Σ hifp_pay).
    pub fund: Fen,
    /// Number of settled claims.
    pub claims: i64,
}

/// One month of a county's tally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthTally {
    /// Month 1–12.
    pub month: u32,
    /// Fund paid for care inside the county.
    pub inside: Fen,
    /// Fund paid for care outside the county.
    pub outside: Fen,
    /// Cumulative spending to the end of the month.
    pub cumulative: Fen,
    /// The time-proportional budget B_c × month / 12 ([`time_proportional`]).
    pub time_proportional: Fen,
}

/// A county's spending through a period, month by month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendingTally {
    /// Months 1 to the period's last.
    pub months: Vec<MonthTally>,
    /// Fund paid inside the county.
    pub inside: Fen,
    /// Fund paid outside the county.
    pub outside: Fen,
    /// E_c = inside + outside.
    pub spent: Fen,
    /// Settled outpatient (incl. chronic) claims.
    pub outpatient_claims: i64,
    /// Settled inpatient claims.
    pub inpatient_claims: i64,
}

/// The time-proportional budget (时间进度预算) after `month` months: B_c × month / 12, truncated
/// to the fen (the report's month line; the early warning compares exactly).
///
/// # Errors
/// [`InsuranceError::InvalidInput`] for a month outside 1–12 or a negative budget; overflow.
///
/// # Example
/// ```
/// use sanyi_domain::Fen;
/// use sanyi_insurance::settlement_run::time_proportional;
/// assert_eq!(time_proportional(Fen::new(1_000), 5)?, Fen::new(416));
/// assert_eq!(time_proportional(Fen::new(1_000), 12)?, Fen::new(1_000));
/// # Ok::<(), sanyi_insurance::InsuranceError>(())
/// ```
pub fn time_proportional(county_budget: Fen, month: u32) -> Result<Fen, InsuranceError> {
    check_month(month, "month")?;
    if county_budget.get() < 0 {
        return Err(InsuranceError::InvalidInput {
            field: "county_budget".into(),
            rule: "must be >= 0",
        });
    }
    Ok(county_budget.checked_mul_div(i64::from(month), 12)?)
}

/// Tallies a county's spending (基金支出进度) for months 1 to `through`: per month the fund paid
/// inside and outside the county, the cumulative spending and the time-proportional budget; over
/// the period the totals and the outpatient and inpatient claim counts. Entries of months outside
/// 1..=`through` are left out.
///
/// # Errors
/// [`InsuranceError::InvalidInput`] for `through` outside 1–12 or a negative budget; overflow.
pub fn tally_spending(county_budget: Fen, through: u32, entries: &[SpendingEntry]) -> Result<SpendingTally, InsuranceError> {
    check_month(through, "through")?;
    let mut t = SpendingTally {
        months: Vec::with_capacity(usize::try_from(through).unwrap_or(12)),
        inside: Fen::ZERO,
        outside: Fen::ZERO,
        spent: Fen::ZERO,
        outpatient_claims: 0,
        inpatient_claims: 0,
    };
    let mut cumulative = Fen::ZERO;
    for m in 1..=through {
        let (mut inside, mut outside) = (Fen::ZERO, Fen::ZERO);
        for e in entries.iter().filter(|e| e.month == m) {
            if e.in_county {
                inside = inside.checked_add(e.fund)?;
            } else {
                outside = outside.checked_add(e.fund)?;
            }
            let count = if e.inpatient {
                &mut t.inpatient_claims
            } else {
                &mut t.outpatient_claims
            };
            *count = count.checked_add(e.claims).ok_or_else(overflow)?;
        }
        t.inside = t.inside.checked_add(inside)?;
        t.outside = t.outside.checked_add(outside)?;
        cumulative = cumulative.checked_add(inside)?.checked_add(outside)?;
        t.months.push(MonthTally {
            month: m,
            inside,
            outside,
            cumulative,
            time_proportional: time_proportional(county_budget, m)?,
        });
    }
    t.spent = t.inside.checked_add(t.outside)?;
    Ok(t)
}

/// The share of a county's spending paid outside the county (县外就医基金占比) in basis points:
/// outside × 10 000 / spent, truncated; 0 when nothing was spent.
///
/// # Errors
/// Overflow (a result beyond `i64`, possible only for inconsistent signs).
///
/// # Example
/// ```
/// use sanyi_domain::Fen;
/// use sanyi_insurance::settlement_run::outflow_bp;
/// assert_eq!(outflow_bp(Fen::new(1), Fen::new(3))?, 3_333);
/// assert_eq!(outflow_bp(Fen::ZERO, Fen::ZERO)?, 0);
/// # Ok::<(), sanyi_insurance::InsuranceError>(())
/// ```
pub fn outflow_bp(outside: Fen, spent: Fen) -> Result<i64, InsuranceError> {
    if spent.get() == 0 {
        return Ok(0);
    }
    let v = i128::from(outside.get()) * 10_000 / i128::from(spent.get());
    i64::try_from(v).map_err(|_| overflow())
}

/// The allocation weight of a county (区县分配权重) for display, in basis points:
/// a·N_c/ΣN + b·E_c/ΣE, each term truncated; 0 without enrollees in the pool, the elderly term 0
/// without elderly. (The allocation itself, [`budget::allocate_counties`], uses the exact ratio.)
/// ΣN and ΣE are over `all`, the pool's counties.
///
/// # Errors
/// Overflow.
///
/// # Example
/// ```
/// use sanyi_insurance::BudgetPolicy;
/// use sanyi_insurance::budget::CountyInput;
/// use sanyi_insurance::settlement_run::weight_bp;
/// let c = |code: &str, n, e| CountyInput { code: code.into(), enrollees: n, elderly: e };
/// let all = [c("X", 18, 22), c("Y", 82, 78)];
/// // 0.7 × 18 % + 0.3 × 22 % = 19.2 %.
/// assert_eq!(weight_bp(&BudgetPolicy::example_changji(), &all[0], &all)?, 1_920);
/// # Ok::<(), sanyi_insurance::InsuranceError>(())
/// ```
pub fn weight_bp(policy: &BudgetPolicy, county: &CountyInput, all: &[CountyInput]) -> Result<i64, InsuranceError> {
    if let budget::AllocationForm::ElderlyLoaded { .. } = policy.allocation {
        let weights = match budget::county_weights(policy, all) {
            Ok(w) => w,
            Err(InsuranceError::ZeroTotal { .. }) => return Ok(0),
            Err(e) => return Err(e),
        };
        let total: u128 = weights.iter().sum();
        let mine = all.iter().zip(&weights).find(|(c, _)| c.code == county.code).map_or(0, |(_, w)| *w);
        return i64::try_from(mine.checked_mul(10_000).ok_or_else(overflow)?.checked_div(total).unwrap_or(0)).map_err(|_| overflow());
    }
    let sum_n = all
        .iter()
        .try_fold(0u128, |a, c| a.checked_add(u128::from(c.enrollees)))
        .ok_or_else(overflow)?;
    let sum_e = all
        .iter()
        .try_fold(0u128, |a, c| a.checked_add(u128::from(c.elderly)))
        .ok_or_else(overflow)?;
    let a = u128::from(policy.weight_enrollees.get());
    let b = u128::from(policy.weight_elderly.get());
    // No enrollees in the pool: weight 0; no elderly: the elderly term 0.
    let Some(n_term) = a.checked_mul(u128::from(county.enrollees)).ok_or_else(overflow)?.checked_div(sum_n) else {
        return Ok(0);
    };
    let e_term = b
        .checked_mul(u128::from(county.elderly))
        .ok_or_else(overflow)?
        .checked_div(sum_e)
        .unwrap_or(0);
    i64::try_from(n_term.checked_add(e_term).ok_or_else(overflow)?).map_err(|_| overflow())
}

/// A community's part of its county package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityPart {
    /// Community id.
    pub id: String,
    /// Enrollees in its service area (its share).
    pub enrollees: u64,
    /// Its part of B_c.
    pub budget: Fen,
    /// Its part of the county's prepayment through the period.
    pub prepaid: Fen,
}

/// The split of a county package between its communities (医共体预算分配): B_c by the enrollees
/// of each community's service area, then the county's prepayment through the period by those
/// budgets (all zero when every budget is zero); both by largest remainder, so each adds up to
/// its whole exactly. No community with enrollees: no parts. The parts come in the order of
/// `enrollees`.
///
/// # Errors
/// A negative budget or prepayment; overflow.
///
/// # Example
/// ```
/// use sanyi_domain::Fen;
/// use sanyi_insurance::settlement_run::split_communities;
/// let p = split_communities(Fen::new(1_000), Fen::new(900), &[("A".into(), 3), ("B".into(), 1)])?;
/// assert_eq!((p[0].budget, p[0].prepaid), (Fen::new(750), Fen::new(675)));
/// assert_eq!((p[1].budget, p[1].prepaid), (Fen::new(250), Fen::new(225)));
/// # Ok::<(), sanyi_insurance::InsuranceError>(())
/// ```
pub fn split_communities(county_budget: Fen, prepaid: Fen, enrollees: &[(String, u64)]) -> Result<Vec<CommunityPart>, InsuranceError> {
    if !enrollees.iter().any(|s| s.1 > 0) {
        return Ok(Vec::new());
    }
    let budgets = budget::split_by_shares(county_budget, enrollees)?.parts;
    let weights = budgets
        .iter()
        .map(|(id, f)| Ok((id.clone(), u64::try_from(f.get()).map_err(|_| overflow())?)))
        .collect::<Result<Vec<(String, u64)>, InsuranceError>>()?;
    let prepaid_parts: Vec<Fen> = if weights.iter().any(|b| b.1 > 0) {
        budget::split_by_shares(prepaid, &weights)?.parts.into_iter().map(|p| p.1).collect()
    } else {
        vec![Fen::ZERO; weights.len()]
    };
    Ok(enrollees
        .iter()
        .zip(budgets)
        .zip(prepaid_parts)
        .map(|(((id, n), (_, budget)), prepaid)| CommunityPart {
            id: id.clone(),
            enrollees: *n,
            budget,
            prepaid,
        })
        .collect())
}

/// The prepayment through a period (累计预付): the monthly prepayment × the months paid.
///
/// # Errors
/// Overflow.
pub fn prepaid_through(monthly: Fen, months: u32) -> Result<Fen, InsuranceError> {
    Ok(monthly.checked_mul(i64::from(months))?)
}

/// Each community's prepayment month by month (月度预付拨付): the difference of its part of the
/// county's prepayment through month k and through month k − 1, so that the months of a
/// community add up exactly to its part through the period ([`split_communities`]). The outer
/// list comes in the order of `enrollees`, the inner one is months 1..=`through`.
///
/// # Errors
/// As [`split_communities`].
pub fn monthly_community_prepayments(
    county_budget: Fen,
    monthly: Fen,
    through: u32,
    enrollees: &[(String, u64)],
) -> Result<Vec<Vec<Fen>>, InsuranceError> {
    let mut out: Vec<Vec<Fen>> = vec![Vec::with_capacity(through as usize); enrollees.len()];
    let mut before: Vec<Fen> = vec![Fen::ZERO; enrollees.len()];
    for k in 1..=through {
        let parts = split_communities(county_budget, prepaid_through(monthly, k)?, enrollees)?;
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        for (i, part) in parts.iter().enumerate() {
            out[i].push(part.prepaid.checked_sub(before[i])?);
            before[i] = part.prepaid;
        }
    }
    Ok(out)
}

/// A retained surplus split between the tiers (结余留用分配): the community's retained surplus by
/// the tier shares (e.g. county 6 : township 3 : village 1), largest remainder; nothing when no
/// surplus is retained.
///
/// # Errors
/// [`InsuranceError::ZeroTotal`] when a surplus is retained but every share is zero; overflow.
pub fn surplus_to_tiers(year_end: &YearEnd, split: &BTreeMap<String, u64>) -> Result<Vec<(String, Fen)>, InsuranceError> {
    if year_end.retained.get() <= 0 {
        return Ok(Vec::new());
    }
    let shares: Vec<(String, u64)> = split.iter().map(|(k, v)| (k.clone(), *v)).collect();
    Ok(budget::split_by_shares(year_end.retained, &shares)?.parts)
}

/// The tier share an institution takes part in (分配层级): its own tier when the split names it,
/// a community health centre with the township centres, a village clinic with the villages,
/// anything else (county hospitals and above) with the county.
///
/// # Example
/// ```
/// use sanyi_insurance::settlement_run::share_tier;
/// let split = [("county".to_owned(), 6), ("township".to_owned(), 3)].into();
/// assert_eq!(share_tier("community", &split), "township");
/// assert_eq!(share_tier("prefecture", &split), "county");
/// ```
#[must_use]
pub fn share_tier(tier: &str, split: &BTreeMap<String, u64>) -> String {
    if split.contains_key(tier) {
        return tier.to_owned();
    }
    match tier {
        "community" | "township" => "township",
        "village" => "village",
        _ => "county",
    }
    .to_owned()
}

/// One member institution's part of the year-end result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberShare {
    /// Institution id.
    pub id: String,
    /// The tier share it takes part in ([`share_tier`]).
    pub tier: String,
    /// Its part of the retained surplus.
    pub retained: Fen,
    /// Its part of the overspend the community bears.
    pub borne: Fen,
}

/// The year-end result over the member institutions (内部分配): a retained surplus, else an
/// overspend the community bears, split by tier share ([`share_tier`]) and equally within a tier
/// ([`budget::distribute_to_members`]). Nothing without members or with neither. `members` are
/// `(institution id, institution tier)`; the shares come back in the same order.
///
/// # Errors
/// [`InsuranceError::ZeroTotal`] when no member's tier has a share; overflow.
pub fn member_shares(
    year_end: &YearEnd,
    split: &BTreeMap<String, u64>,
    members: &[(String, String)],
) -> Result<Vec<MemberShare>, InsuranceError> {
    let (amount, retained) = if year_end.retained.get() > 0 {
        (year_end.retained, true)
    } else if year_end.community_bears.get() > 0 {
        (year_end.community_bears, false)
    } else {
        return Ok(Vec::new());
    };
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let tiers: Vec<(String, String)> = members.iter().map(|(id, tier)| (id.clone(), share_tier(tier, split))).collect();
    let shares: Vec<(String, u64)> = split.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let parts = budget::distribute_to_members(amount, &shares, &tiers)?.parts;
    Ok(tiers
        .into_iter()
        .zip(parts)
        .map(|((id, tier), (_, f))| MemberShare {
            id,
            tier,
            retained: if retained { f } else { Fen::ZERO },
            borne: if retained { Fen::ZERO } else { f },
        })
        .collect())
}

/// A priced inpatient case of a county: its month, the fund paid and its points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PricedCase {
    /// Month of discharge (1–12).
    pub month: u32,
    /// Fund paid for the case (hifp_pay).
    pub fund: Fen,
    /// Its points.
    pub points: CasePoints,
}

/// A county's DRG point settlement for a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountyPoints {
    /// The period's settlement: v = Σ fund paid / Σ points ([`payment::settle_points`]).
    pub settlement: PointSettlement,
    /// Interim point value of each month with points (ten-thousandths of a fen per point,
    /// [`payment::interim_points`] on the month's fund paid).
    pub monthly: BTreeMap<u32, i64>,
}

/// The point settlement of a county's in-community inpatient cases (点数法结算): the final
/// settlement of the period, the fund paid for all of them distributed by points, and for each
/// month 1..=`through` with points the interim point value of that month's cases.
///
/// # Errors
/// [`InsuranceError::ZeroTotal`] without points; [`InsuranceError::InvalidInput`] for `through`
/// outside 1–12; overflow.
pub fn county_points(policy: &DrgPointPolicy, through: u32, cases: &[PricedCase]) -> Result<CountyPoints, InsuranceError> {
    check_month(through, "through")?;
    let fund = Fen::sum(cases.iter().map(|c| c.fund))?;
    let points: Vec<CasePoints> = cases.iter().map(|c| c.points.clone()).collect();
    let settlement = payment::settle_points(policy, fund, &points)?;
    let mut monthly = BTreeMap::new();
    for m in 1..=through {
        let of_month: Vec<CasePoints> = cases.iter().filter(|c| c.month == m).map(|c| c.points.clone()).collect();
        if of_month.iter().any(|c| c.points > Points::default()) {
            let budget = Fen::sum(cases.iter().filter(|c| c.month == m).map(|c| c.fund))?;
            let s = payment::interim_points(policy, budget, &of_month)?;
            monthly.insert(m, s.point_value_e4_fen);
        }
    }
    Ok(CountyPoints { settlement, monthly })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::CaseClass;
    use crate::trace::Trace;
    use proptest::prelude::*;

    fn entry(month: u32, in_county: bool, inpatient: bool, fund: i64, claims: i64) -> SpendingEntry {
        SpendingEntry {
            month,
            in_county,
            inpatient,
            fund: Fen::new(fund),
            claims,
        }
    }

    fn ye(retained: i64, bears: i64) -> YearEnd {
        YearEnd {
            surplus: Fen::new(retained),
            retained: Fen::new(retained),
            fund_keeps: Fen::ZERO,
            overspend: Fen::new(bears),
            reasonable: Fen::ZERO,
            fund_pays: Fen::ZERO,
            community_bears: Fen::new(bears),
            trace: Trace::new(),
        }
    }

    fn split() -> BTreeMap<String, u64> {
        [("county".to_owned(), 6), ("township".to_owned(), 3), ("village".to_owned(), 1)].into()
    }

    fn cp(inst: &str, points: i64) -> CasePoints {
        CasePoints {
            id: "c".into(),
            institution: inst.into(),
            class: CaseClass::Normal,
            points: Points::from_ten_thousandths(points),
            patient_share: Fen::ZERO,
            other_funds: Fen::ZERO,
            trace: Trace::new(),
        }
    }

    /// docs/rules/global-budget.md#prepayment-and-monthly-flow: B_c = 120 M yuan; after 3 months the time-proportional budget is 30 M; the
    /// months accumulate inside and outside; a month 4 entry is outside a 3-month period.
    #[test]
    fn tally_of_three_months() {
        let b = Fen::new(12_000_000_000);
        let e = [
            entry(1, true, false, 100, 2),
            entry(1, false, true, 50, 1),
            entry(2, true, true, 30, 1),
            entry(3, false, false, 20, 4),
            entry(4, true, true, 1_000, 9),
        ];
        let t = tally_spending(b, 3, &e).unwrap();
        assert_eq!(t.months.len(), 3);
        assert_eq!(
            t.months
                .iter()
                .map(|m| (m.inside.get(), m.outside.get(), m.cumulative.get()))
                .collect::<Vec<_>>(),
            vec![(100, 50, 150), (30, 0, 180), (0, 20, 200)]
        );
        assert_eq!(t.months[2].time_proportional, Fen::new(3_000_000_000));
        assert_eq!((t.inside, t.outside, t.spent), (Fen::new(130), Fen::new(70), Fen::new(200)));
        assert_eq!((t.outpatient_claims, t.inpatient_claims), (6, 2));
        assert_eq!(outflow_bp(t.outside, t.spent).unwrap(), 3_500);
        assert!(tally_spending(b, 0, &e).is_err());
        assert!(tally_spending(b, 13, &e).is_err());
    }

    #[test]
    fn overflow_is_an_error() {
        let max = Fen::new(i64::MAX);
        assert_eq!(
            tally_spending(Fen::ZERO, 1, &[entry(1, true, false, i64::MAX, 1), entry(1, true, false, 1, 1)]),
            Err(overflow())
        );
        assert_eq!(
            tally_spending(Fen::ZERO, 1, &[entry(1, true, false, i64::MAX, 1), entry(1, false, false, 1, 1)]),
            Err(overflow())
        );
        assert_eq!(
            tally_spending(Fen::ZERO, 1, &[entry(1, true, false, 0, i64::MAX), entry(1, true, false, 0, 1)]),
            Err(overflow())
        );
        assert_eq!(prepaid_through(max, 2), Err(overflow()));
        assert_eq!(outflow_bp(max, Fen::new(1)), Err(overflow()));
        let huge = CountyInput {
            code: "X".into(),
            enrollees: u64::MAX,
            elderly: u64::MAX,
        };
        // u128 intermediates: even u64::MAX enrollees give the exact display weight, no wrap.
        assert_eq!(
            weight_bp(&BudgetPolicy::example_changji(), &huge, &[huge.clone(), huge.clone()]),
            Ok(5_000)
        );
        assert!(time_proportional(Fen::new(-1), 1).is_err());
        assert!(time_proportional(max, 0).is_err());
    }

    /// The display weight matches the worked example and degrades to 0 without enrollees.
    #[test]
    fn weight_for_display() {
        let c = |n, e| CountyInput {
            code: "c".into(),
            enrollees: n,
            elderly: e,
        };
        let p = BudgetPolicy::example_changji();
        assert_eq!(weight_bp(&p, &c(0, 0), &[c(0, 0)]).unwrap(), 0);
        // No elderly anywhere: only the enrollee term, 0.7 × 1/2.
        assert_eq!(weight_bp(&p, &c(1, 0), &[c(1, 0), c(1, 0)]).unwrap(), 3_500);
    }

    /// docs/rules/global-budget.md#budget-construction: 159.36 M yuan over communities of 120 000 : 60 000 : 20 000 enrollees, the
    /// prepayment following the budgets; no enrollees, no parts; zero budgets, zero prepayments.
    #[test]
    fn communities_split() {
        let p = split_communities(
            Fen::new(15_936_000_000),
            Fen::new(3_586_000_000),
            &[("A".into(), 120_000), ("B".into(), 60_000), ("C".into(), 20_000)],
        )
        .unwrap();
        assert_eq!(
            p.iter().map(|c| c.budget.get()).collect::<Vec<_>>(),
            vec![9_561_600_000, 4_780_800_000, 1_593_600_000]
        );
        assert_eq!(
            p.iter().map(|c| c.prepaid.get()).collect::<Vec<_>>(),
            vec![2_151_600_000, 1_075_800_000, 358_600_000]
        );
        assert!(split_communities(Fen::new(10), Fen::new(9), &[("A".into(), 0)]).unwrap().is_empty());
        let z = split_communities(Fen::ZERO, Fen::new(9), &[("A".into(), 1), ("B".into(), 2)]).unwrap();
        assert!(z.iter().all(|c| c.budget == Fen::ZERO && c.prepaid == Fen::ZERO));
        assert!(split_communities(Fen::new(-1), Fen::ZERO, &[("A".into(), 1)]).is_err());
    }

    /// docs/rules/global-budget.md#year-end-settlement: a retained surplus 6 : 3 : 1 to the tiers, and over the members; an
    /// overspend the community bears goes to `borne`; neither, nothing.
    #[test]
    fn year_end_to_tiers_and_members() {
        assert_eq!(
            surplus_to_tiers(&ye(1_000, 0), &split()).unwrap(),
            vec![
                ("county".to_owned(), Fen::new(600)),
                ("township".to_owned(), Fen::new(300)),
                ("village".to_owned(), Fen::new(100))
            ]
        );
        assert!(surplus_to_tiers(&ye(0, 50), &split()).unwrap().is_empty());
        let members = [
            ("H".to_owned(), "county".to_owned()),
            ("C".to_owned(), "community".to_owned()),
            ("T".to_owned(), "township".to_owned()),
        ];
        let m = member_shares(&ye(1_000, 0), &split(), &members).unwrap();
        assert_eq!(
            m.iter().map(|s| s.tier.as_str()).collect::<Vec<_>>(),
            vec!["county", "township", "township"]
        );
        assert_eq!(m.iter().map(|s| s.retained.get()).collect::<Vec<_>>(), vec![667, 167, 166]);
        assert!(m.iter().all(|s| s.borne == Fen::ZERO));
        let m = member_shares(&ye(0, 90), &split(), &members).unwrap();
        assert_eq!(m.iter().map(|s| s.borne.get()).collect::<Vec<_>>(), vec![60, 15, 15]);
        assert!(member_shares(&ye(0, 0), &split(), &members).unwrap().is_empty());
        assert!(member_shares(&ye(5, 0), &split(), &[]).unwrap().is_empty());
    }

    /// The period's point value distributes the fund paid; months without points have no
    /// interim value.
    #[test]
    fn county_point_run() {
        let p = DrgPointPolicy::example(Fen::new(800_000));
        let cases = [
            PricedCase {
                month: 1,
                fund: Fen::new(6_000),
                points: cp("H1", 1_000_000),
            },
            PricedCase {
                month: 3,
                fund: Fen::new(4_000),
                points: cp("H2", 1_000_000),
            },
        ];
        let r = county_points(&p, 3, &cases).unwrap();
        assert_eq!(r.settlement.pool, Fen::new(10_000));
        assert_eq!(Fen::sum(r.settlement.institutions.iter().map(|i| i.net)).unwrap(), Fen::new(10_000));
        assert_eq!(r.monthly.keys().copied().collect::<Vec<_>>(), vec![1, 3]);
        assert!(county_points(&p, 3, &[]).is_err());
    }

    #[test]
    fn monthly_prepayments_add_up_to_the_split_through_the_period() {
        let shares = [("A".to_owned(), 3), ("B".to_owned(), 2), ("C".to_owned(), 2)];
        let months = monthly_community_prepayments(Fen::new(1_000_003), Fen::new(75_001), 7, &shares).unwrap();
        let whole = split_communities(Fen::new(1_000_003), Fen::new(75_001 * 7), &shares).unwrap();
        for (m, part) in months.iter().zip(&whole) {
            assert_eq!(m.len(), 7);
            assert_eq!(Fen::sum(m.iter().copied()).unwrap(), part.prepaid);
            assert!(m.iter().all(|f| f.get() >= 0));
        }
    }

    proptest! {
        /// Σ community budgets = B_c and Σ community prepayments = the prepayment, exactly, none
        /// negative.
        #[test]
        fn community_parts_sum_to_the_whole(b in 0i64..1_000_000_000_000, pre in 0i64..1_000_000_000_000, ns in prop::collection::vec(0u64..5_000_000, 1..10)) {
            let shares: Vec<(String, u64)> = ns.iter().enumerate().map(|(i, n)| (i.to_string(), *n)).collect();
            let parts = split_communities(Fen::new(b), Fen::new(pre), &shares).unwrap();
            if ns.iter().all(|n| *n == 0) {
                prop_assert!(parts.is_empty());
            } else {
                prop_assert_eq!(parts.len(), ns.len());
                prop_assert_eq!(Fen::sum(parts.iter().map(|p| p.budget)).unwrap(), Fen::new(b));
                if b > 0 {
                    prop_assert_eq!(Fen::sum(parts.iter().map(|p| p.prepaid)).unwrap(), Fen::new(pre));
                }
                prop_assert!(parts.iter().all(|p| p.budget.get() >= 0 && p.prepaid.get() >= 0));
                // A community without enrollees gets nothing.
                prop_assert!(parts.iter().all(|p| p.enrollees > 0 || (p.budget == Fen::ZERO && p.prepaid == Fen::ZERO)));
            }
        }

        /// The time-proportional line is monotonic in the month, never above B_c, equal to B_c
        /// in month 12, and within a fen of the exact B_c × m / 12.
        #[test]
        fn time_proportional_is_monotonic(b in 0i64..=i64::MAX) {
            let mut last = Fen::ZERO;
            for m in 1..=12u32 {
                let t = time_proportional(Fen::new(b), m).unwrap();
                prop_assert!(t >= last && t.get() <= b && t.get() >= 0);
                let exact = i128::from(b) * i128::from(m);
                prop_assert!(i128::from(t.get()) * 12 <= exact && exact < (i128::from(t.get()) + 1) * 12);
                last = t;
            }
            prop_assert_eq!(last, Fen::new(b));
        }

        /// The tally conserves money: Σ months = totals, the last cumulative = spent, cumulative
        /// is the running sum; and it never panics on any amounts.
        #[test]
        fn tally_conserves(through in 1u32..=12, es in prop::collection::vec((0u32..14, any::<bool>(), any::<bool>(), -1_000_000_000i64..1_000_000_000, 0i64..1_000), 0..60)) {
            let entries: Vec<SpendingEntry> = es.iter().map(|(m, i, p, f, c)| entry(*m, *i, *p, *f, *c)).collect();
            let t = tally_spending(Fen::new(1_200), through, &entries).unwrap();
            prop_assert_eq!(t.months.len(), usize::try_from(through).unwrap());
            let mut run = Fen::ZERO;
            for m in &t.months {
                run = run.checked_add(m.inside).unwrap().checked_add(m.outside).unwrap();
                prop_assert_eq!(m.cumulative, run);
            }
            prop_assert_eq!(t.spent, run);
            prop_assert_eq!(Fen::sum(t.months.iter().map(|m| m.inside)).unwrap(), t.inside);
            let in_period = |e: &&SpendingEntry| (1..=through).contains(&e.month);
            prop_assert_eq!(t.spent, Fen::sum(entries.iter().filter(in_period).map(|e| e.fund)).unwrap());
            prop_assert_eq!(t.outpatient_claims + t.inpatient_claims, entries.iter().filter(in_period).map(|e| e.claims).sum::<i64>());
        }

        /// Any amounts: an error or a result, never a panic.
        #[test]
        fn tally_never_panics(through in 0u32..=13, b in any::<i64>(), es in prop::collection::vec((0u32..14, any::<bool>(), any::<bool>(), any::<i64>(), any::<i64>()), 0..8)) {
            let entries: Vec<SpendingEntry> = es.iter().map(|(m, i, p, f, c)| entry(*m, *i, *p, *f, *c)).collect();
            let _ = tally_spending(Fen::new(b), through, &entries);
        }

        /// The outflow share lies in 0..=10 000 when both amounts are non-negative.
        #[test]
        fn outflow_in_range(inside in 0i64..1_000_000_000_000, outside in 0i64..1_000_000_000_000) {
            let spent = Fen::new(inside + outside);
            let bp = outflow_bp(Fen::new(outside), spent).unwrap();
            prop_assert!((0..=10_000).contains(&bp));
            prop_assert_eq!(bp, if inside + outside == 0 { 0 } else { outside * 10_000 / (inside + outside) });
        }

        /// The display weights of the pool's counties never exceed 10 000 bp in total and each
        /// is within 2 bp of the exact weight (one truncation per term).
        #[test]
        fn display_weights_bounded(cs in prop::collection::vec((0u64..10_000_000, 0u64..2_000_000), 1..12)) {
            let all: Vec<CountyInput> = cs.iter().enumerate().map(|(i, (n, e))| CountyInput { code: i.to_string(), enrollees: *n, elderly: *e }).collect();
            let p = BudgetPolicy::example_changji();
            let ws: Vec<i64> = all.iter().map(|c| weight_bp(&p, c, &all).unwrap()).collect();
            prop_assert!(ws.iter().all(|w| *w >= 0));
            prop_assert!(ws.iter().sum::<i64>() <= 10_000);
        }

        /// Members' shares add up to what is distributed, none negative, exactly one of
        /// retained / borne.
        #[test]
        fn member_shares_sum(retained in 0i64..10_000_000_000, bears in 0i64..10_000_000_000, tiers in prop::collection::vec(0usize..5, 1..30)) {
            let names = ["county", "township", "village", "community", "prefecture"];
            let members: Vec<(String, String)> = tiers.iter().enumerate().map(|(i, t)| (format!("m{i}"), names[*t].to_owned())).collect();
            let y = ye(retained, if retained > 0 { 0 } else { bears });
            let m = member_shares(&y, &split(), &members).unwrap();
            let expected = if retained > 0 { retained } else { y.community_bears.get() };
            if expected == 0 {
                prop_assert!(m.is_empty());
            } else {
                prop_assert_eq!(Fen::sum(m.iter().map(|s| s.retained)).unwrap().checked_add(Fen::sum(m.iter().map(|s| s.borne)).unwrap()).unwrap(), Fen::new(expected));
                prop_assert!(m.iter().all(|s| s.retained.get() >= 0 && s.borne.get() >= 0));
                prop_assert!(m.iter().all(|s| s.retained == Fen::ZERO || s.borne == Fen::ZERO));
            }
        }

        /// The tier split of a retained surplus adds up exactly.
        #[test]
        fn surplus_tiers_sum(retained in 0i64..10_000_000_000, shares in (0u64..10, 0u64..10, 1u64..10)) {
            let s: BTreeMap<String, u64> = [("county".to_owned(), shares.0), ("township".to_owned(), shares.1), ("village".to_owned(), shares.2)].into();
            let d = surplus_to_tiers(&ye(retained, 0), &s).unwrap();
            prop_assert_eq!(Fen::sum(d.iter().map(|p| p.1)).unwrap(), Fen::new(retained));
            prop_assert!(d.iter().all(|p| p.1.get() >= 0));
        }

        /// The county's point payments add up to the fund paid for its cases.
        #[test]
        fn county_points_distribute_the_fund(cases in prop::collection::vec((1u32..=12, 0i64..10_000_000, 0usize..4, 1i64..5_000_000), 1..30), through in 1u32..=12) {
            let priced: Vec<PricedCase> = cases.iter().map(|(m, f, i, p)| PricedCase { month: *m, fund: Fen::new(*f), points: cp(&format!("H{i}"), *p) }).collect();
            let p = DrgPointPolicy { budget_includes_patient_shares: false, ..DrgPointPolicy::example(Fen::new(800_000)) };
            let r = county_points(&p, through, &priced).unwrap();
            let fund = Fen::sum(priced.iter().map(|c| c.fund)).unwrap();
            prop_assert_eq!(Fen::sum(r.settlement.institutions.iter().map(|i| i.net)).unwrap(), fund);
            prop_assert!(r.monthly.keys().all(|m| (1..=through).contains(m)));
        }
    }
}

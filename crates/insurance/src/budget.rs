//! County global budget (医共体医保基金打包付费, docs/rules/global-budget.md): construction of the allocatable amount,
//! allocation between counties and communities, monthly prepayment, early warning, year-end
//! settlement and internal distribution of a retained surplus.
//!
//! All parameters (\[T\]/\[R\]/\[?\] in docs/rules/global-budget.md) live in [`BudgetPolicy`]; every function returns a
//! [`Trace`]. Allocations use [`largest_remainder`] so the parts sum exactly to the whole.

use sanyi_domain::{BasisPoints, Fen};
use serde::{Deserialize, Serialize};

use crate::policy::PolicyProblem;
use crate::trace::{InsuranceError, Trace, div_round, largest_remainder, mul, to_fen};

/// How an overspend is shared at year end (超支分担模式).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OverspendModel {
    /// Changji 超支自付: the community bears every overspend (φ = 0).
    CommunityBearsAll,
    /// Dongying 合理超支分担: the reasonable part, up to `band` × B_c, is shared, the fund paying
    /// `fund_share` of it; beyond the band the community bears all.
    SharedBand {
        /// β, the reasonable-overspend band as a share of B_c.
        band: BasisPoints,
        /// φ, the fund's share of the reasonable overspend.
        fund_share: BasisPoints,
        /// Only the overspend the bureau accepted on the community's justification (epidemic,
        /// policy change, new services …) counts as reasonable, still within the band
        /// (合理超支申报, Dongying). Absent: no justification needed.
        #[serde(default)]
        justified_only: bool,
    },
}

/// Budget parameters of one prefecture pool and year (总额预算参数).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetPolicy {
    /// r, risk reserve share of F (风险调剂金).
    pub risk_reserve: BasisPoints,
    /// a, weight of the enrollee share (参保人数权重).
    pub weight_enrollees: BasisPoints,
    /// b, weight of the 65+ share (老年人口权重); a + b = 10 000.
    pub weight_elderly: BasisPoints,
    /// p, share of B_c / 12 prepaid each month (预付比例).
    pub prepayment: BasisPoints,
    /// ρ, surplus retention when the appraisal passes (结余留用比例).
    pub surplus_retention: BasisPoints,
    /// Surplus retention when the appraisal score is below the pass mark.
    pub surplus_retention_failed: BasisPoints,
    /// Appraisal pass mark in hundredths of a point (60/100 → 6 000).
    pub pass_mark: u32,
    /// Overspend model.
    pub overspend: OverspendModel,
    /// How A is shared between counties. Absent: by the weights a and b.
    #[serde(default)]
    pub allocation: AllocationForm,
}

/// How the pool's distributable budget A is shared between its counties (县域预算分配方式,
/// docs/rules/global-budget.md#budget-construction).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "form")]
pub enum AllocationForm {
    /// `w_c = a · N_c / ΣN + b · E_c / ΣE`, with the weights `weight_enrollees` (a) and
    /// `weight_elderly` (b).
    #[default]
    Shares,
    /// `w_c ∝ N_c · (1 + k · p65_c) = N_c + k · E_c`, where p65_c = E_c / N_c is the county's
    /// share of enrollees aged 65 or more (a and b are not used).
    ElderlyLoaded {
        /// k, the extra weight of an elderly enrollee (10 000 = 1).
        k: BasisPoints,
    },
}

impl BudgetPolicy {
    /// Changji-pattern example: r 5 %, a = 0.7, b = 0.3, p 90 %, ρ 100 % (50 % below pass mark 60),
    /// overspend borne by the community.
    #[must_use]
    pub fn example_changji() -> BudgetPolicy {
        BudgetPolicy {
            risk_reserve: BasisPoints::new(500),
            weight_enrollees: BasisPoints::new(7_000),
            weight_elderly: BasisPoints::new(3_000),
            prepayment: BasisPoints::new(9_000),
            surplus_retention: BasisPoints::new(10_000),
            surplus_retention_failed: BasisPoints::new(5_000),
            pass_mark: 6_000,
            overspend: OverspendModel::CommunityBearsAll,
            allocation: AllocationForm::Shares,
        }
    }

    /// Every problem with the parameters, with field path and rule (empty when valid).
    #[must_use]
    pub fn validate(&self) -> Vec<PolicyProblem> {
        let mut p: Vec<(String, &'static str)> = Vec::new();
        if self.weight_enrollees.get() + self.weight_elderly.get() != 10_000 {
            p.push(("weight_enrollees+weight_elderly".to_owned(), "must sum to 10000 bp"));
        }
        for (f, v) in [
            ("risk_reserve", self.risk_reserve),
            ("prepayment", self.prepayment),
            ("surplus_retention", self.surplus_retention),
            ("surplus_retention_failed", self.surplus_retention_failed),
        ] {
            if v.get() > 10_000 {
                p.push((f.to_owned(), "must be <= 10000 bp"));
            }
        }
        if self.pass_mark > 10_000 {
            p.push(("pass_mark".to_owned(), "must be <= 100.00 points"));
        }
        if let OverspendModel::SharedBand { band, fund_share, .. } = &self.overspend {
            if band.get() > 10_000 {
                p.push(("overspend.band".to_owned(), "must be <= 10000 bp"));
            }
            if fund_share.get() > 10_000 {
                p.push(("overspend.fund_share".to_owned(), "must be <= 10000 bp"));
            }
        }
        p.into_iter()
            .map(|(path, rule)| PolicyProblem {
                path,
                rule: rule.to_owned(),
            })
            .collect()
    }
}

/// A rigid carve-out not packaged to counties (刚性支出), e.g. critical-illness premium.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RigidItem {
    /// Name of the item.
    pub name: String,
    /// Amount.
    pub amount: Fen,
}

/// The pool's allocatable amount A = F − R − Rigid (可分配总额).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolBudget {
    /// F, fund available for the year.
    pub fund: Fen,
    /// R = r × F.
    pub reserve: Fen,
    /// Σ rigid items.
    pub rigid: Fen,
    /// A.
    pub allocatable: Fen,
    /// Trace.
    pub trace: Trace,
}

/// Computes A = F − r × F − Σ rigid.
///
/// # Errors
/// Overflow, or [`InsuranceError::InvalidInput`] when A would be negative.
///
/// # Example
/// ```
/// use sanyi_domain::Fen;
/// use sanyi_insurance::budget::{BudgetPolicy, RigidItem, pool_budget};
/// let rigid = [RigidItem { name: "大病保险".into(), amount: Fen::from_yuan(120_000_000)? }];
/// let b = pool_budget(&BudgetPolicy::example_changji(), Fen::from_yuan(1_000_000_000)?, &rigid)?;
/// assert_eq!(b.allocatable, Fen::from_yuan(830_000_000)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pool_budget(policy: &BudgetPolicy, fund: Fen, rigid: &[RigidItem]) -> Result<PoolBudget, InsuranceError> {
    let mut trace = Trace::new();
    let reserve = fund.apply_bp(policy.risk_reserve)?;
    trace.push(
        "budget.risk_reserve",
        &[("risk_reserve", policy.risk_reserve.to_string())],
        fund,
        reserve,
        "Risk reserve R = r × F",
        "风险调剂金 R = r × F",
    );
    let rigid_sum = Fen::sum(rigid.iter().map(|r| r.amount))?;
    trace.push(
        "budget.rigid",
        &rigid.iter().map(|r| (r.name.as_str(), r.amount.to_string())).collect::<Vec<_>>(),
        fund,
        rigid_sum,
        "Rigid carve-outs not packaged",
        "不纳入打包的刚性支出",
    );
    let allocatable = fund.checked_sub(reserve)?.checked_sub(rigid_sum)?;
    if allocatable.get() < 0 {
        return Err(InsuranceError::InvalidInput {
            field: "rigid".into(),
            rule: "F - R - Rigid must be >= 0",
        });
    }
    trace.push(
        "budget.allocatable",
        &[],
        fund,
        allocatable,
        "A = F − R − Rigid",
        "可分配总额 A = F − R − 刚性支出",
    );
    Ok(PoolBudget {
        fund,
        reserve,
        rigid: rigid_sum,
        allocatable,
        trace,
    })
}

/// Enrollee counts of one county (县) used for allocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountyInput {
    /// County code.
    pub code: String,
    /// N_c, enrollees.
    pub enrollees: u64,
    /// E_c, enrollees aged 65 and over.
    pub elderly: u64,
}

/// Allocation result: one amount per input entry, in input order, summing exactly to the whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// `(code, amount)` pairs.
    pub parts: Vec<(String, Fen)>,
    /// Trace.
    pub trace: Trace,
}

/// Allocates A between counties by w_c = a·N_c/ΣN + b·E_c/ΣE (区县预算分配), exactly: the
/// weight numerators a·N_c·ΣE + b·E_c·ΣN are integers, and the fen left by flooring go to the
/// largest remainders, so Σ B_c = A.
///
/// # Errors
/// [`InsuranceError::ZeroTotal`] without enrollees; overflow.
pub fn allocate_counties(policy: &BudgetPolicy, allocatable: Fen, counties: &[CountyInput]) -> Result<Allocation, InsuranceError> {
    let sum_n: u128 = counties.iter().map(|c| u128::from(c.enrollees)).sum();
    let sum_e: u128 = counties.iter().map(|c| u128::from(c.elderly)).sum();
    if sum_n == 0 {
        return Err(InsuranceError::ZeroTotal { what: "enrollees" });
    }
    let weights = county_weights(policy, counties)?;
    let amounts = largest_remainder(allocatable, &weights)?;
    let mut trace = Trace::new();
    let den: u128 = weights.iter().sum();
    for ((c, w), amt) in counties.iter().zip(&weights).zip(&amounts) {
        let form = match policy.allocation {
            AllocationForm::Shares => vec![
                ("a", policy.weight_enrollees.to_string()),
                ("b", policy.weight_elderly.to_string()),
                ("N_c/ΣN", format!("{}/{}", c.enrollees, sum_n)),
                ("E_c/ΣE", format!("{}/{}", c.elderly, sum_e)),
            ],
            AllocationForm::ElderlyLoaded { k } => vec![
                ("k", k.to_string()),
                ("N_c", c.enrollees.to_string()),
                ("E_c", c.elderly.to_string()),
            ],
        };
        let mut params: Vec<(&str, String)> = vec![("county", c.code.clone())];
        params.extend(form);
        params.push(("w_c", format!("{w}/{den}")));
        trace.push(
            "budget.allocate_county",
            &params,
            allocatable,
            *amt,
            format!("County {} budget B_c = A × w_c (largest remainder)", c.code),
            format!("县 {} 预算 B_c = A × w_c（最大余数法）", c.code),
        );
    }
    Ok(Allocation {
        parts: counties.iter().map(|c| c.code.clone()).zip(amounts).collect(),
        trace,
    })
}

/// The integer weight numerators of the counties under the pool's allocation form (their sum is
/// the denominator): `a·N_c·ΣE + b·E_c·ΣN` for shares, `10 000·N_c + k·E_c` for the
/// elderly-loaded form.
///
/// # Errors
/// [`InsuranceError::ZeroTotal`] without enrollees; overflow.
pub fn county_weights(policy: &BudgetPolicy, counties: &[CountyInput]) -> Result<Vec<u128>, InsuranceError> {
    let sum_n: u128 = counties.iter().map(|c| u128::from(c.enrollees)).sum();
    let sum_e: u128 = counties.iter().map(|c| u128::from(c.elderly)).sum();
    if sum_n == 0 {
        return Err(InsuranceError::ZeroTotal { what: "enrollees" });
    }
    let overflow = || InsuranceError::Money(sanyi_domain::MoneyError::Overflow);
    match policy.allocation {
        AllocationForm::Shares => {
            let a = u128::from(policy.weight_enrollees.get());
            let b = if sum_e == 0 { 0 } else { u128::from(policy.weight_elderly.get()) };
            let sum_e1 = sum_e.max(1);
            counties
                .iter()
                .map(|c| {
                    let x = a.checked_mul(u128::from(c.enrollees))?.checked_mul(sum_e1)?;
                    let y = b.checked_mul(u128::from(c.elderly))?.checked_mul(sum_n)?;
                    x.checked_add(y)
                })
                .collect::<Option<Vec<u128>>>()
                .ok_or_else(overflow)
        }
        AllocationForm::ElderlyLoaded { k } => counties
            .iter()
            .map(|c| {
                10_000u128
                    .checked_mul(u128::from(c.enrollees))?
                    .checked_add(u128::from(k.get()).checked_mul(u128::from(c.elderly))?)
            })
            .collect::<Option<Vec<u128>>>()
            .ok_or_else(overflow),
    }
}

/// Splits a county budget B_c between its communities (医共体) by registered enrollees, or any
/// other integer shares (e.g. a retained surplus 6 : 3 : 1 between county, township and village).
///
/// # Errors
/// [`InsuranceError::ZeroTotal`] when all shares are zero; negative amount; overflow.
///
/// # Example
/// ```
/// use sanyi_domain::Fen;
/// use sanyi_insurance::budget::split_by_shares;
/// let s = split_by_shares(Fen::new(1_000), &[("county".into(), 6), ("township".into(), 3), ("village".into(), 1)])?;
/// assert_eq!(s.parts[0].1, Fen::new(600));
/// # Ok::<(), sanyi_insurance::InsuranceError>(())
/// ```
pub fn split_by_shares(amount: Fen, shares: &[(String, u64)]) -> Result<Allocation, InsuranceError> {
    let weights: Vec<u128> = shares.iter().map(|s| u128::from(s.1)).collect();
    let total: u128 = weights.iter().sum();
    let amounts = largest_remainder(amount, &weights)?;
    let mut trace = Trace::new();
    for ((name, share), amt) in shares.iter().zip(&amounts) {
        trace.push(
            "budget.split",
            &[("part", name.clone()), ("share", format!("{share}/{total}"))],
            amount,
            *amt,
            format!("Share of {name} (largest remainder)"),
            format!("{name} 按份额分配（最大余数法）"),
        );
    }
    Ok(Allocation {
        parts: shares.iter().map(|s| s.0.clone()).zip(amounts).collect(),
        trace,
    })
}

/// Internal distribution (内部分配) of a retained surplus — or of an overspend the community
/// bears — over its member institutions: first between the tiers by their shares (e.g. county 6 :
/// township 3 : village 1), counting only tiers that have members, then each tier's part equally
/// between its members; both steps by largest remainder, so the parts add up to `amount` exactly.
/// `members` are `(institution id, tier)`; the parts come back in the same order.
///
/// # Errors
/// [`InsuranceError::ZeroTotal`] when no member belongs to a tier with a share; negative amount;
/// overflow.
///
/// # Example
/// ```
/// use sanyi_domain::Fen;
/// use sanyi_insurance::budget::distribute_to_members;
/// let tiers = [("county".into(), 6), ("township".into(), 3), ("village".into(), 1)];
/// let members = [("H".into(), "county".into()), ("T1".into(), "township".into()), ("T2".into(), "township".into())];
/// let d = distribute_to_members(Fen::new(1_000), &tiers, &members)?;
/// // No village clinic: county 6/9, township 3/9 split over two centres.
/// assert_eq!(d.parts.iter().map(|p| p.1.get()).collect::<Vec<_>>(), vec![667, 167, 166]);
/// # Ok::<(), sanyi_insurance::InsuranceError>(())
/// ```
pub fn distribute_to_members(
    amount: Fen,
    tier_shares: &[(String, u64)],
    members: &[(String, String)],
) -> Result<Allocation, InsuranceError> {
    let present: Vec<(String, u64)> = tier_shares
        .iter()
        .filter(|(tier, share)| *share > 0 && members.iter().any(|(_, t)| t == tier))
        .cloned()
        .collect();
    if present.is_empty() {
        return Err(InsuranceError::ZeroTotal { what: "member tiers" });
    }
    let by_tier = split_by_shares(amount, &present)?;
    let mut trace = by_tier.trace;
    let mut parts: Vec<(String, Fen)> = members.iter().map(|(id, _)| (id.clone(), Fen::ZERO)).collect();
    for (tier, tier_amount) in &by_tier.parts {
        let idx: Vec<usize> = (0..members.len()).filter(|i| &members[*i].1 == tier).collect();
        let each = split_by_shares(*tier_amount, &idx.iter().map(|i| (members[*i].0.clone(), 1)).collect::<Vec<_>>())?;
        for (i, (_, f)) in idx.iter().zip(each.parts) {
            parts[*i].1 = f;
        }
        trace.push(
            "budget.distribute.members",
            &[("tier", tier.clone()), ("members", idx.len().to_string())],
            *tier_amount,
            *tier_amount,
            format!("The {tier} tier's part split equally between its {} members", idx.len()),
            format!("{tier} 层级份额在 {} 家成员机构间平均分配（最大余数法）", idx.len()),
        );
    }
    Ok(Allocation { parts, trace })
}

/// Monthly prepayment B_c / 12 × p (按月预付), rounded half up to the fen.
///
/// # Errors
/// Overflow.
pub fn monthly_prepayment(policy: &BudgetPolicy, county_budget: Fen) -> Result<(Fen, Trace), InsuranceError> {
    let v = to_fen(div_round(
        mul(i128::from(county_budget.get()), i128::from(policy.prepayment.get()))?,
        12 * 10_000,
    )?)?;
    let mut t = Trace::new();
    t.push(
        "budget.monthly_prepayment",
        &[("prepayment", policy.prepayment.to_string())],
        county_budget,
        v,
        "Monthly prepayment B_c / 12 × p",
        "月度预付 B_c / 12 × p",
    );
    Ok((v, t))
}

/// Early-warning result (预警).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyWarning {
    /// Projected year-end spending = month-to-date × 12 / month.
    pub projected: Fen,
    /// Time-proportional budget = B_c × month / 12.
    pub time_proportional_budget: Fen,
    /// Spending to date above the time-proportional budget.
    pub alarm: bool,
    /// Trace.
    pub trace: Trace,
}

/// Early warning after `month` (1–12) months with `spent` posted against `county_budget`.
///
/// # Errors
/// [`InsuranceError::InvalidInput`] for a month outside 1–12; overflow.
pub fn early_warning(county_budget: Fen, spent: Fen, month: u32) -> Result<EarlyWarning, InsuranceError> {
    if !(1..=12).contains(&month) {
        return Err(InsuranceError::InvalidInput {
            field: "month".into(),
            rule: "must be 1..=12",
        });
    }
    let m = i128::from(month);
    let projected = to_fen(div_round(mul(i128::from(spent.get()), 12)?, m)?)?;
    let tpb = to_fen(div_round(mul(i128::from(county_budget.get()), m)?, 12)?)?;
    // Exact comparison spent > B × m / 12 ⇔ 12 × spent > B × m.
    let alarm = mul(i128::from(spent.get()), 12)? > mul(i128::from(county_budget.get()), m)?;
    let mut trace = Trace::new();
    trace.push(
        "budget.projection",
        &[("month", month.to_string())],
        spent,
        projected,
        "Projected year-end = to-date × 12 / month",
        "年末预测 = 累计 × 12 / 月份",
    );
    trace.push(
        "budget.time_proportional",
        &[("month", month.to_string())],
        county_budget,
        tpb,
        if alarm {
            "ALARM: spending above the time-proportional budget"
        } else {
            "Spending within the time-proportional budget"
        },
        if alarm {
            "预警：支出超过时间进度预算"
        } else {
            "支出未超过时间进度预算"
        },
    );
    Ok(EarlyWarning {
        projected,
        time_proportional_budget: tpb,
        alarm,
        trace,
    })
}

/// Year-end settlement of a county package (年终清算).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearEnd {
    /// S = B_c − E_c when ≥ 0.
    pub surplus: Fen,
    /// Retained by the community.
    pub retained: Fen,
    /// Surplus kept by the fund.
    pub fund_keeps: Fen,
    /// O = E_c − B_c when > 0.
    pub overspend: Fen,
    /// Reasonable part Oʳ = min(O, β × B_c).
    pub reasonable: Fen,
    /// Overspend paid by the fund, φ × Oʳ.
    pub fund_pays: Fen,
    /// Overspend borne by the community.
    pub community_bears: Fen,
    /// Trace.
    pub trace: Trace,
}

/// Year-end settlement: surplus retained by ρ (reduced below the pass mark), overspend shared by
/// the policy's [`OverspendModel`] (sharing withdrawn below the pass mark). `score` is in
/// hundredths of a point.
///
/// # Errors
/// Overflow.
pub fn year_end(policy: &BudgetPolicy, county_budget: Fen, expenditure: Fen, score: u32) -> Result<YearEnd, InsuranceError> {
    year_end_justified(policy, county_budget, expenditure, score, None)
}

/// [`year_end`] with the overspend the bureau accepted on the community's justification
/// (`None`: none filed or decided). Under a shared band with `justified_only`, the reasonable
/// overspend is `Oʳ = min(O, β × B_c, accepted)`; otherwise `accepted` is not used.
///
/// # Errors
/// Overflow.
pub fn year_end_justified(
    policy: &BudgetPolicy,
    county_budget: Fen,
    expenditure: Fen,
    score: u32,
    accepted: Option<Fen>,
) -> Result<YearEnd, InsuranceError> {
    let mut trace = Trace::new();
    let passed = score >= policy.pass_mark;
    let s = county_budget.checked_sub(expenditure)?;
    trace.push(
        "budget.year_end.balance",
        &[
            ("score", format!("{}.{:02}", score / 100, score % 100)),
            ("pass_mark", format!("{}.{:02}", policy.pass_mark / 100, policy.pass_mark % 100)),
        ],
        county_budget,
        s,
        "S = B_c − E_c",
        "结余 S = B_c − E_c",
    );
    let mut r = YearEnd {
        surplus: Fen::ZERO,
        retained: Fen::ZERO,
        fund_keeps: Fen::ZERO,
        overspend: Fen::ZERO,
        reasonable: Fen::ZERO,
        fund_pays: Fen::ZERO,
        community_bears: Fen::ZERO,
        trace: Trace::new(),
    };
    if s.get() >= 0 {
        let rho = if passed {
            policy.surplus_retention
        } else {
            policy.surplus_retention_failed
        };
        r.surplus = s;
        r.retained = s.apply_bp(rho)?;
        r.fund_keeps = s.checked_sub(r.retained)?;
        trace.push(
            "budget.year_end.retain",
            &[(
                if passed { "surplus_retention" } else { "surplus_retention_failed" },
                rho.to_string(),
            )],
            s,
            r.retained,
            "Surplus retained = S × ρ",
            "结余留用 = S × ρ",
        );
    } else {
        let o = Fen::ZERO.checked_sub(s)?;
        r.overspend = o;
        // Oʳ = min(O, β × B_c) whatever the score; a failed appraisal withdraws the sharing (φ = 0),
        // not the band (docs/rules/global-budget.md#year-end-settlement).
        let (band, phi, justified_only) = match &policy.overspend {
            OverspendModel::SharedBand {
                band,
                fund_share,
                justified_only,
            } => (*band, if passed { *fund_share } else { BasisPoints::new(0) }, *justified_only),
            _ => (BasisPoints::new(0), BasisPoints::new(0), false),
        };
        let band_amt = county_budget.apply_bp(band)?;
        r.reasonable = o.min(band_amt);
        trace.push(
            "budget.year_end.reasonable",
            &[("band", band.to_string())],
            o,
            r.reasonable,
            "Reasonable overspend Oʳ = min(O, β × B_c)",
            "合理超支 Oʳ = min(O, β × B_c)",
        );
        if justified_only {
            let accepted = accepted.unwrap_or(Fen::ZERO);
            r.reasonable = r.reasonable.min(accepted);
            trace.push(
                "budget.year_end.justified",
                &[("accepted", accepted.to_string())],
                o,
                r.reasonable,
                "Only the overspend accepted on the community's justification is reasonable",
                "合理超支以医保部门认定的申报额为限",
            );
        }
        r.fund_pays = r.reasonable.apply_bp(phi)?;
        r.community_bears = o.checked_sub(r.fund_pays)?;
        trace.push(
            "budget.year_end.fund_share",
            &[("fund_share", phi.to_string()), ("appraisal_passed", passed.to_string())],
            r.reasonable,
            r.fund_pays,
            "Fund pays φ × Oʳ",
            "基金分担 φ × Oʳ",
        );
        trace.push(
            "budget.year_end.community",
            &[],
            o,
            r.community_bears,
            "Community bears the rest",
            "医共体承担其余超支",
        );
    }
    r.trace = trace;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(yuan_millions: i64) -> Fen {
        Fen::from_yuan(yuan_millions * 1_000_000).unwrap()
    }

    /// Source: docs/rules/global-budget.md#budget-construction, worked example: F = 1 000 M, r = 5 %, Rigid = 120 M → A = 830 M;
    /// county X with 18 % of enrollees and 22 % of the 65+, a = 0.7, b = 0.3 → B = 159.36 M yuan.
    #[test]
    fn worked_example_6_2() {
        let p = BudgetPolicy::example_changji();
        let b = pool_budget(
            &p,
            m(1_000),
            &[RigidItem {
                name: "rigid".into(),
                amount: m(120),
            }],
        )
        .unwrap();
        assert_eq!(b.reserve, m(50));
        assert_eq!(b.allocatable, m(830));
        let counties = [
            CountyInput {
                code: "X".into(),
                enrollees: 18,
                elderly: 22,
            },
            CountyInput {
                code: "rest".into(),
                enrollees: 82,
                elderly: 78,
            },
        ];
        let a = allocate_counties(&p, b.allocatable, &counties).unwrap();
        assert_eq!(a.parts[0].1, Fen::new(15_936_000_000)); // 159.36 M yuan exactly
        assert_eq!(a.parts[0].1.to_string(), "159360000.00");
        assert_eq!(a.parts[1].1, m(830).checked_sub(Fen::new(15_936_000_000)).unwrap());
        assert_eq!(a.trace.steps.len(), 2);
    }

    /// Source: docs/rules/global-budget.md#year-end-settlement, Changji 超支自付: the community bears all of a 10 M overspend.
    #[test]
    fn overspend_changji() {
        let p = BudgetPolicy::example_changji();
        let y = year_end(&p, m(100), m(110), 8_000).unwrap();
        assert_eq!(y.overspend, m(10));
        assert_eq!(y.fund_pays, Fen::ZERO);
        assert_eq!(y.community_bears, m(10));
    }

    /// Source: docs/rules/global-budget.md#year-end-settlement, Dongying 合理超支分担: B = 100 M, E = 112 M, β = 8 %, φ = 50 % →
    /// Oʳ = 8 M, fund pays 4 M, community bears 4 M + 4 M = 8 M.
    #[test]
    fn overspend_dongying() {
        let p = BudgetPolicy {
            overspend: OverspendModel::SharedBand {
                band: BasisPoints::new(800),
                fund_share: BasisPoints::new(5_000),
                justified_only: false,
            },
            ..BudgetPolicy::example_changji()
        };
        let y = year_end(&p, m(100), m(112), 8_000).unwrap();
        assert_eq!(y.reasonable, m(8));
        assert_eq!(y.fund_pays, m(4));
        assert_eq!(y.community_bears, m(8));
        // Within the band: O = 5 M → fund pays 2.5 M.
        let y = year_end(&p, m(100), m(105), 8_000).unwrap();
        assert_eq!(y.fund_pays, Fen::from_yuan(2_500_000).unwrap());
        // Below the pass mark sharing is withdrawn; the reasonable part is still reported as
        // min(O, β × B_c).
        let y = year_end(&p, m(100), m(105), 5_999).unwrap();
        assert_eq!(y.fund_pays, Fen::ZERO);
        assert_eq!(y.community_bears, m(5));
        assert_eq!(y.reasonable, m(5));
    }

    /// Justified overspend (合理超支申报): B = 100 M, E = 112 M, β = 8 %, φ = 50 %; the community
    /// filed reasons and the bureau accepted 3 M → Oʳ = 3 M, fund pays 1.5 M, the community bears
    /// 10.5 M; nothing accepted → nothing shared; an acceptance above the band stays within it.
    #[test]
    fn overspend_justified_only() {
        let p = BudgetPolicy {
            overspend: OverspendModel::SharedBand {
                band: BasisPoints::new(800),
                fund_share: BasisPoints::new(5_000),
                justified_only: true,
            },
            ..BudgetPolicy::example_changji()
        };
        let y = year_end_justified(&p, m(100), m(112), 8_000, Some(m(3))).unwrap();
        assert_eq!((y.reasonable, y.fund_pays), (m(3), Fen::from_yuan(1_500_000).unwrap()));
        assert_eq!(y.community_bears, Fen::from_yuan(10_500_000).unwrap());
        assert!(y.trace.steps.iter().any(|s| s.rule == "budget.year_end.justified"));
        let y = year_end_justified(&p, m(100), m(112), 8_000, None).unwrap();
        assert_eq!((y.reasonable, y.fund_pays, y.community_bears), (Fen::ZERO, Fen::ZERO, m(12)));
        let y = year_end_justified(&p, m(100), m(112), 8_000, Some(m(11))).unwrap();
        assert_eq!((y.reasonable, y.fund_pays), (m(8), m(4)));
    }

    /// Source: docs/rules/global-budget.md#year-end-settlement: surplus 10 M retained at ρ = 100 %, or 50 % below the pass mark;
    /// internal distribution 6 : 3 : 1.
    #[test]
    fn surplus_retention_and_distribution() {
        let p = BudgetPolicy::example_changji();
        let y = year_end(&p, m(100), m(90), 6_000).unwrap();
        assert_eq!((y.surplus, y.retained, y.fund_keeps), (m(10), m(10), Fen::ZERO));
        let y = year_end(&p, m(100), m(90), 5_000).unwrap();
        assert_eq!((y.retained, y.fund_keeps), (m(5), m(5)));
        let d = split_by_shares(m(10), &[("county".into(), 6), ("township".into(), 3), ("village".into(), 1)]).unwrap();
        assert_eq!(d.parts.iter().map(|p| p.1).collect::<Vec<_>>(), vec![m(6), m(3), m(1)]);
    }

    /// Source: docs/rules/global-budget.md#prepayment-and-monthly-flow: B = 120 M, p = 90 % → 9 M a month; after 3 months, 31 M spent is
    /// above the time-proportional 30 M (projection 124 M) → alarm.
    #[test]
    fn prepayment_and_warning() {
        let p = BudgetPolicy::example_changji();
        assert_eq!(monthly_prepayment(&p, m(120)).unwrap().0, m(9));
        let w = early_warning(m(120), m(31), 3).unwrap();
        assert_eq!((w.projected, w.time_proportional_budget, w.alarm), (m(124), m(30), true));
        assert!(!early_warning(m(120), m(30), 3).unwrap().alarm);
        assert!(early_warning(m(120), m(30), 0).is_err());
    }

    /// Source: docs/rules/global-budget.md#budget-construction, the alternative form
    /// B_c ∝ N_c · (1 + k · p65_c): N = 100 and 300, E = 50 and 30, k = 1 → weights 150 : 330,
    /// so A = 480 splits 150 / 330 exactly; k = 0 is by enrollees alone.
    #[test]
    fn the_elderly_loaded_form_weights_n_plus_k_e() {
        let c = |code: &str, n, e| CountyInput {
            code: code.into(),
            enrollees: n,
            elderly: e,
        };
        let counties = [c("X", 100, 50), c("Y", 300, 30)];
        let p = BudgetPolicy {
            allocation: AllocationForm::ElderlyLoaded {
                k: BasisPoints::new(10_000),
            },
            ..BudgetPolicy::example_changji()
        };
        let a = allocate_counties(&p, Fen::new(480), &counties).unwrap();
        assert_eq!(a.parts.iter().map(|x| x.1.get()).collect::<Vec<_>>(), vec![150, 330]);
        let p = BudgetPolicy {
            allocation: AllocationForm::ElderlyLoaded { k: BasisPoints::new(0) },
            ..p
        };
        let a = allocate_counties(&p, Fen::new(400), &counties).unwrap();
        assert_eq!(a.parts.iter().map(|x| x.1.get()).collect::<Vec<_>>(), vec![100, 300]);
        assert_eq!(crate::settlement_run::weight_bp(&p, &counties[0], &counties).unwrap(), 2_500);
    }

    #[test]
    fn policy_validation() {
        assert!(BudgetPolicy::example_changji().validate().is_empty());
        let bad = BudgetPolicy {
            weight_elderly: BasisPoints::new(2_000),
            ..BudgetPolicy::example_changji()
        };
        assert_eq!(bad.validate()[0].path, "weight_enrollees+weight_elderly");
    }

    /// Source: docs/rules/global-budget.md#budget-construction: a county's B_c split between its communities by registered
    /// enrollees, exactly: 159.36 M over 120 000 : 60 000 : 20 000 → 95.616 / 47.808 / 15.936 M.
    #[test]
    fn community_split_by_enrollees() {
        let b = Fen::new(15_936_000_000);
        let s = split_by_shares(b, &[("A".into(), 120_000), ("B".into(), 60_000), ("C".into(), 20_000)]).unwrap();
        assert_eq!(
            s.parts.iter().map(|p| p.1.get()).collect::<Vec<_>>(),
            vec![9_561_600_000, 4_780_800_000, 1_593_600_000]
        );
        // Indivisible: 1 fen × 3 equal communities sums exactly.
        let s = split_by_shares(Fen::new(1), &[("A".into(), 1), ("B".into(), 1), ("C".into(), 1)]).unwrap();
        assert_eq!(Fen::sum(s.parts.iter().map(|p| p.1)).unwrap(), Fen::new(1));
    }

    proptest! {
        #[test]
        fn allocation_sums_to_a(a in 0i64..100_000_000_000_000, cs in prop::collection::vec((1u64..10_000_000, 0u64..2_000_000), 1..12)) {
            let counties: Vec<_> = cs.iter().enumerate().map(|(i, (n, e))| CountyInput { code: i.to_string(), enrollees: *n, elderly: *e }).collect();
            let r = allocate_counties(&BudgetPolicy::example_changji(), Fen::new(a), &counties).unwrap();
            prop_assert_eq!(Fen::sum(r.parts.iter().map(|p| p.1)).unwrap(), Fen::new(a));
            prop_assert!(r.parts.iter().all(|p| p.1.get() >= 0));
        }

        /// Year-end conservation for random β, φ, ρ and both overspend models: surplus − overspend
        /// = B_c − E_c, and the parts of each add up.
        #[test]
        fn year_end_balances(
            b in 0i64..1_000_000_000_000,
            e in 0i64..1_000_000_000_000,
            score in 0u32..=10_000,
            band in 0u32..=10_000,
            phi in 0u32..=10_000,
            rho in 0u32..=10_000,
            shared in prop::bool::ANY,
        ) {
            let overspend = if shared {
                OverspendModel::SharedBand { band: BasisPoints::new(band), fund_share: BasisPoints::new(phi), justified_only: false }
            } else {
                OverspendModel::CommunityBearsAll
            };
            let p = BudgetPolicy { overspend, surplus_retention: BasisPoints::new(rho), ..BudgetPolicy::example_changji() };
            let y = year_end(&p, Fen::new(b), Fen::new(e), score).unwrap();
            prop_assert_eq!(y.surplus.checked_sub(y.overspend).unwrap(), Fen::new(b - e));
            prop_assert!(y.surplus.get() == 0 || y.overspend.get() == 0);
            prop_assert_eq!(y.retained.checked_add(y.fund_keeps).unwrap(), y.surplus);
            prop_assert_eq!(y.fund_pays.checked_add(y.community_bears).unwrap(), y.overspend);
            prop_assert!(y.fund_pays <= y.reasonable && y.reasonable <= y.overspend);
            for f in [y.retained, y.fund_keeps, y.reasonable, y.fund_pays, y.community_bears] {
                prop_assert!(f.get() >= 0);
            }
            if !shared {
                prop_assert_eq!(y.fund_pays, Fen::ZERO);
                prop_assert_eq!(y.community_bears, y.overspend);
            }
        }

        /// The internal distribution over members adds up exactly and never goes negative.
        #[test]
        fn member_distribution_sums(amount in 0i64..10_000_000_000, tiers in prop::collection::vec(0usize..3, 1..40), shares in (0u64..10, 0u64..10, 1u64..10)) {
            let names = ["county", "township", "village"];
            let tier_shares = vec![("county".to_owned(), shares.0), ("township".to_owned(), shares.1), ("village".to_owned(), shares.2)];
            let mut members: Vec<(String, String)> = tiers.iter().enumerate().map(|(i, t)| (format!("m{i}"), names[*t].to_owned())).collect();
            members.push(("v".into(), "village".into()));
            let d = distribute_to_members(Fen::new(amount), &tier_shares, &members).unwrap();
            prop_assert_eq!(d.parts.len(), members.len());
            prop_assert_eq!(Fen::sum(d.parts.iter().map(|p| p.1)).unwrap(), Fen::new(amount));
            prop_assert!(d.parts.iter().all(|p| p.1.get() >= 0));
        }
    }
}

//! Payment methods inside the county package (支付方式, docs/rules/payment-methods.md): the DRG point method (点数法),
//! per bed-day payment (按床日) and capitation (按人头).
//!
//! Points are exact integers in ten-thousandths of a point ([`Points`]); every formula is a single
//! rational expression on `i128`, rounded once, half up. Payments per institution are split from
//! the budget with [`largest_remainder`], so they sum to the budget exactly.

use sanyi_domain::{BasisPoints, Fen, MoneyError};
use sanyi_drg::Weight;
use serde::{Deserialize, Serialize};

use crate::policy::PolicyProblem;
use crate::trace::{InsuranceError, Trace, div_round, largest_remainder, mul, to_fen};

/// DRG points (点数), stored in ten-thousandths of a point (`1_234_500` = 123.45 points).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Points(i64);

impl Points {
    /// From ten-thousandths of a point.
    #[must_use]
    pub const fn from_ten_thousandths(v: i64) -> Points {
        Points(v)
    }

    /// The value in ten-thousandths of a point.
    #[must_use]
    pub const fn ten_thousandths(self) -> i64 {
        self.0
    }

    /// Base points BP = RW × 100 (基准点数), exact.
    ///
    /// # Example
    /// ```
    /// use sanyi_insurance::payment::Points;
    /// let bp = Points::base(sanyi_drg::Weight::from_ten_thousandths(12_345));
    /// assert_eq!(bp.to_string(), "123.4500");
    /// ```
    #[must_use]
    pub fn base(w: Weight) -> Points {
        Points(i64::from(w.ten_thousandths()) * 100)
    }

    /// Checked sum of many points; the empty sum is zero.
    ///
    /// # Errors
    /// Overflow when a partial sum leaves `i64`.
    pub fn sum<I: IntoIterator<Item = Points>>(it: I) -> Result<Points, InsuranceError> {
        it.into_iter()
            .try_fold(0i64, |a, p| a.checked_add(p.0))
            .map(Points)
            .ok_or(InsuranceError::Money(MoneyError::Overflow))
    }
}

impl std::fmt::Display for Points {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:04}", a / 10_000, a % 10_000)
    }
}

/// High-ratio threshold t_g for groups with base points up to `up_to` (高倍率阈值).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HighRatioBand {
    /// Upper bound (inclusive) of base points for this band; `None` for the last band.
    pub up_to: Option<Points>,
    /// t_g as a ratio in basis points (3 × = 30 000).
    pub threshold: BasisPoints,
}

/// Parameters of the DRG point method of a pool and year (DRG点数法参数).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrgPointPolicy {
    /// High-ratio thresholds by base-point band, ascending.
    pub high_ratio_bands: Vec<HighRatioBand>,
    /// Low-ratio threshold as a share of the group mean (低倍率, e.g. 40 %).
    pub low_ratio_threshold: BasisPoints,
    /// Mean cost of all cases (全部病例平均费用), for ungroupable and bed-day points.
    pub overall_mean_cost: Fen,
    /// Maximum share of special-review cases (特病单议比例上限).
    pub special_case_cap: BasisPoints,
    /// Share of the provisional amount paid monthly (月度预付比例).
    pub interim_share: BasisPoints,
    /// The point value counts patients' shares (v = (budget + shares) / Σ points, payment = points × v − shares).
    pub budget_includes_patient_shares: bool,
    /// The point value counts other funds' payments for the cases (critical illness, assistance)
    /// the same way. Absent: as `budget_includes_patient_shares`.
    #[serde(default)]
    pub budget_includes_other_funds: Option<bool>,
}

impl DrgPointPolicy {
    /// Zhejiang-style example (docs/rules/payment-methods.md#drg-point-method): t = 3 / 2 / 1.5 for BP ≤ 100 / ≤ 200 / > 200, low
    /// ratio 40 %, special cases ≤ 5 %, interim 90 %.
    #[must_use]
    pub fn example(overall_mean_cost: Fen) -> DrgPointPolicy {
        DrgPointPolicy {
            high_ratio_bands: vec![
                HighRatioBand {
                    up_to: Some(Points(1_000_000)),
                    threshold: BasisPoints::new(30_000),
                },
                HighRatioBand {
                    up_to: Some(Points(2_000_000)),
                    threshold: BasisPoints::new(20_000),
                },
                HighRatioBand {
                    up_to: None,
                    threshold: BasisPoints::new(15_000),
                },
            ],
            low_ratio_threshold: BasisPoints::new(4_000),
            overall_mean_cost,
            special_case_cap: BasisPoints::new(500),
            interim_share: BasisPoints::new(9_000),
            budget_includes_patient_shares: true,
            budget_includes_other_funds: None,
        }
    }

    /// Whether the point value counts other funds' payments (as patient shares unless stated).
    #[must_use]
    pub fn counts_other_funds(&self) -> bool {
        self.budget_includes_other_funds.unwrap_or(self.budget_includes_patient_shares)
    }

    /// Every problem with the parameters (empty when valid).
    #[must_use]
    pub fn validate(&self) -> Vec<PolicyProblem> {
        let mut out = Vec::new();
        let mut bad = |path: String, rule: &str| {
            out.push(PolicyProblem {
                path,
                rule: rule.to_owned(),
            })
        };
        if self.high_ratio_bands.last().is_none_or(|b| b.up_to.is_some()) {
            bad("high_ratio_bands".into(), "last band must be open (up_to = null)");
        }
        for (i, b) in self.high_ratio_bands.iter().enumerate() {
            if i > 0
                && self.high_ratio_bands[i - 1]
                    .up_to
                    .is_none_or(|prev| b.up_to.is_some_and(|u| u <= prev))
            {
                bad(format!("high_ratio_bands[{i}].up_to"), "bands must be strictly ascending");
            }
            if b.threshold.get() <= 10_000 {
                bad(format!("high_ratio_bands[{i}].threshold"), "must be above 100 %");
            }
        }
        if self.low_ratio_threshold.get() >= 10_000 {
            bad("low_ratio_threshold".into(), "must be below 100 %");
        }
        if self.overall_mean_cost.get() <= 0 {
            bad("overall_mean_cost".into(), "must be > 0");
        }
        for (f, v) in [("special_case_cap", self.special_case_cap), ("interim_share", self.interim_share)] {
            if v.get() > 10_000 {
                bad(f.into(), "ratio must be <= 10000 bp");
            }
        }
        out
    }

    fn threshold(&self, bp: Points) -> Option<BasisPoints> {
        self.high_ratio_bands
            .iter()
            .find(|b| b.up_to.is_none_or(|u| bp <= u))
            .map(|b| b.threshold)
    }
}

/// How a case is paid (病例类型).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum CaseKind {
    /// Grouped into a stable DRG.
    Grouped {
        /// DRG code.
        drg: String,
        /// Relative weight RW_g.
        weight: Weight,
        /// Mean cost of the group, mean_g.
        group_mean_cost: Fen,
        /// Institution coefficient K_h,g (basis points).
        coefficient: BasisPoints,
    },
    /// Ungroupable (0000组) or unstable/ambiguous group (歧义组).
    Ungroupable,
    /// Paid by bed-day within the point method.
    BedDay {
        /// What the stage rates pay for this admission's days, in its stay and under the
        /// person's annual cap ([`bed_day_stays`]).
        payment: Fen,
        /// Days.
        days: u32,
    },
    /// Scored by the pool's DIP catalogue (按病种分值, [`crate::dip::score`]), coefficient applied.
    Dip {
        /// The case's score.
        points: Points,
        /// How it was scored.
        class: crate::dip::DipClass,
    },
    /// Special-case review (特病单议): points set on review.
    SpecialReview {
        /// Points set by the review.
        points: Points,
    },
}

/// One discharged case for the point method (出院病例).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DrgCase {
    /// Case id.
    pub id: String,
    /// Institution code.
    pub institution: String,
    /// Kind.
    pub kind: CaseKind,
    /// Total cost of the case.
    pub cost: Fen,
    /// What the patient paid (deducted from the payment).
    pub patient_share: Fen,
    /// What other funds paid for the case (critical-illness insurance, medical assistance …),
    /// deducted from the payment like the patient's share.
    pub other_funds: Fen,
}

/// Which rule set the points of a case (计点规则).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaseClass {
    /// Normal case: BP × K.
    Normal,
    /// High-ratio case (高倍率).
    HighRatio,
    /// Low-ratio case (低倍率).
    LowRatio,
    /// Ungroupable / unstable group.
    Ungroupable,
    /// Bed-day case.
    BedDay,
    /// Special-case review.
    SpecialReview,
    /// DIP score.
    Dip,
}

/// Points of one case with its trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CasePoints {
    /// Case id.
    pub id: String,
    /// Institution.
    pub institution: String,
    /// Rule used.
    pub class: CaseClass,
    /// Points.
    pub points: Points,
    /// Patient share.
    pub patient_share: Fen,
    /// Other funds' payments for the case.
    pub other_funds: Fen,
    /// Trace (results in the trace are points in ten-thousandths, shown via `params`).
    pub trace: Trace,
}

fn points_of(v: i128) -> Result<Points, InsuranceError> {
    i64::try_from(v)
        .map(Points)
        .map_err(|_| InsuranceError::Money(MoneyError::Overflow))
}

/// Computes the points of one case (病例点数).
///
/// # Errors
/// [`InsuranceError::ZeroTotal`] for a zero mean cost; [`InsuranceError::InvalidInput`] for a
/// negative cost; overflow.
pub fn case_points(policy: &DrgPointPolicy, case: &DrgCase) -> Result<CasePoints, InsuranceError> {
    if case.cost.get() < 0 || case.patient_share.get() < 0 || case.other_funds.get() < 0 {
        return Err(InsuranceError::InvalidInput {
            field: format!("case[{}].cost", case.id),
            rule: "must be >= 0",
        });
    }
    let cost = i128::from(case.cost.get());
    let overall = i128::from(policy.overall_mean_cost.get());
    let mut t = Trace::new();
    let (class, points) = match &case.kind {
        CaseKind::Grouped {
            drg,
            weight,
            group_mean_cost,
            coefficient,
        } => {
            let bp = Points::base(*weight);
            let bpv = i128::from(bp.0);
            let k = i128::from(coefficient.get());
            let mean = i128::from(group_mean_cost.get());
            if mean <= 0 {
                return Err(InsuranceError::ZeroTotal { what: "group mean cost" });
            }
            let normal = points_of(div_round(mul(bpv, k)?, 10_000)?)?;
            let tg = policy.threshold(bp).ok_or(InsuranceError::InvalidInput {
                field: "high_ratio_bands".into(),
                rule: "must cover every base point",
            })?;
            let tgv = i128::from(tg.get());
            let low = i128::from(policy.low_ratio_threshold.get());
            let base_params = vec![
                ("drg".to_owned(), drg.clone()),
                ("RW".to_owned(), weight.to_string()),
                ("BP".to_owned(), bp.to_string()),
                ("K".to_owned(), coefficient.to_string()),
                ("mean_g".to_owned(), group_mean_cost.to_string()),
            ];
            if mul(cost, 10_000)? > mul(tgv, mean)? {
                // BP × K + BP × (cost/mean − t), one rounding.
                let num = mul(mul(bpv, k)?, mean)? + mul(bpv, mul(cost, 10_000)? - mul(tgv, mean)?)?;
                let p = points_of(div_round(num, mul(10_000, mean)?)?)?;
                let mut ps = base_params;
                ps.push(("t_g".to_owned(), tg.to_string()));
                ps.push(("points".to_owned(), p.to_string()));
                t.push_owned(
                    "payment.drg.high_ratio",
                    ps,
                    case.cost,
                    case.cost,
                    "High-ratio case: BP × K + BP × (cost/mean − t_g)",
                    "高倍率病例：BP × K + BP × (费用/均值 − t_g)",
                );
                (CaseClass::HighRatio, p)
            } else if mul(cost, 10_000)? < mul(low, mean)? {
                let p = points_of(div_round(mul(bpv, cost)?, mean)?)?.min(normal);
                let mut ps = base_params;
                ps.push(("low_ratio_threshold".to_owned(), policy.low_ratio_threshold.to_string()));
                ps.push(("points".to_owned(), p.to_string()));
                t.push_owned(
                    "payment.drg.low_ratio",
                    ps,
                    case.cost,
                    case.cost,
                    "Low-ratio case: BP × cost/mean, never above normal points",
                    "低倍率病例：BP × 费用/均值，不高于正常点数",
                );
                (CaseClass::LowRatio, p)
            } else {
                let mut ps = base_params;
                ps.push(("points".to_owned(), normal.to_string()));
                t.push_owned(
                    "payment.drg.normal",
                    ps,
                    case.cost,
                    case.cost,
                    "Normal case: BP × K",
                    "正常病例：BP × K",
                );
                (CaseClass::Normal, normal)
            }
        }
        CaseKind::Ungroupable => {
            if overall <= 0 {
                return Err(InsuranceError::ZeroTotal { what: "overall mean cost" });
            }
            let p = points_of(div_round(mul(cost, 1_000_000)?, overall)?)?;
            t.push_owned(
                "payment.drg.ungroupable",
                vec![
                    ("overall_mean_cost".to_owned(), policy.overall_mean_cost.to_string()),
                    ("points".to_owned(), p.to_string()),
                ],
                case.cost,
                case.cost,
                "Ungroupable/unstable: cost / overall mean × 100",
                "歧义组/未入组：费用 / 全部病例均费 × 100",
            );
            (CaseClass::Ungroupable, p)
        }
        CaseKind::BedDay { payment, days } => {
            if overall <= 0 {
                return Err(InsuranceError::ZeroTotal { what: "overall mean cost" });
            }
            let p = points_of(div_round(mul(i128::from(payment.get()), 1_000_000)?, overall)?)?;
            t.push_owned(
                "payment.drg.bed_day",
                vec![
                    ("payment".to_owned(), payment.to_string()),
                    ("days".to_owned(), days.to_string()),
                    ("overall_mean_cost".to_owned(), policy.overall_mean_cost.to_string()),
                    ("points".to_owned(), p.to_string()),
                ],
                case.cost,
                case.cost,
                "Bed-day case: bed-day payment of the stay / overall mean × 100",
                "床日病例：按床日付费金额 / 全部病例均费 × 100",
            );
            (CaseClass::BedDay, p)
        }
        CaseKind::Dip { points, class } => {
            t.push_owned(
                "payment.dip.case",
                vec![
                    ("points".to_owned(), points.to_string()),
                    ("class".to_owned(), format!("{class:?}")),
                ],
                case.cost,
                case.cost,
                "DIP case: the score of its disease group",
                "按病种分值病例：病种分值",
            );
            (CaseClass::Dip, *points)
        }
        CaseKind::SpecialReview { points } => {
            t.push_owned(
                "payment.drg.special_review",
                vec![("points".to_owned(), points.to_string())],
                case.cost,
                case.cost,
                "Special-case review: points set on review",
                "特病单议：按评议确定点数",
            );
            (CaseClass::SpecialReview, *points)
        }
    };
    if points.0 < 0 {
        return Err(InsuranceError::InvalidInput {
            field: format!("case[{}].points", case.id),
            rule: "must be >= 0",
        });
    }
    Ok(CasePoints {
        id: case.id.clone(),
        institution: case.institution.clone(),
        class,
        points,
        patient_share: case.patient_share,
        other_funds: case.other_funds,
        trace: t,
    })
}

/// Payment of one institution (机构结算).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionPayment {
    /// Institution code.
    pub institution: String,
    /// Cases.
    pub cases: u32,
    /// Σ points.
    pub points: Points,
    /// Σ points × v (exact split of the pool).
    pub gross: Fen,
    /// Σ patient shares.
    pub patient_shares: Fen,
    /// Σ other funds' payments (critical illness, assistance).
    #[serde(default)]
    pub other_funds: Fen,
    /// Payment = gross − patient shares − other funds (each when counted in the point value).
    pub net: Fen,
}

/// Result of the point-value settlement (点值结算).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointSettlement {
    /// Σ points of all cases.
    pub total_points: Points,
    /// Amount distributed by points (budget, plus patient shares when counted).
    pub pool: Fen,
    /// Point value v in ten-thousandths of a fen per point (display; payments use the exact ratio).
    pub point_value_e4_fen: i64,
    /// Per institution, sorted by code.
    pub institutions: Vec<InstitutionPayment>,
    /// Share of special-review cases.
    pub special_case_share: BasisPoints,
    /// The special-review share exceeds the policy cap.
    pub special_case_over_cap: bool,
    /// Trace.
    pub trace: Trace,
}

/// Settles the point method for a period: v = pool / Σ points and each institution's payment
/// Σ points × v − patient shares, split with largest remainder so Σ net = `budget` exactly.
///
/// # Errors
/// [`InsuranceError::ZeroTotal`] without points; overflow.
pub fn settle_points(policy: &DrgPointPolicy, budget: Fen, cases: &[CasePoints]) -> Result<PointSettlement, InsuranceError> {
    let mut inst: std::collections::BTreeMap<&str, (u32, i64, Fen, Fen)> = std::collections::BTreeMap::new();
    let mut specials: u64 = 0;
    for c in cases {
        let e = inst.entry(c.institution.as_str()).or_insert((0, 0, Fen::ZERO, Fen::ZERO));
        e.0 += 1;
        e.1 = e.1.checked_add(c.points.0).ok_or(MoneyError::Overflow)?;
        e.2 = e.2.checked_add(c.patient_share)?;
        e.3 = e.3.checked_add(c.other_funds)?;
        if c.class == CaseClass::SpecialReview {
            specials += 1;
        }
    }
    let total: i64 = inst
        .values()
        .try_fold(0i64, |a, v| a.checked_add(v.1))
        .ok_or(MoneyError::Overflow)?;
    if total <= 0 {
        return Err(InsuranceError::ZeroTotal { what: "points" });
    }
    let shares = Fen::sum(inst.values().map(|v| v.2))?;
    let others = Fen::sum(inst.values().map(|v| v.3))?;
    let counted = |v: Fen, yes: bool| if yes { v } else { Fen::ZERO };
    let pool = budget
        .checked_add(counted(shares, policy.budget_includes_patient_shares))?
        .checked_add(counted(others, policy.counts_other_funds()))?;
    let weights: Vec<u128> = inst.values().map(|v| u128::try_from(v.1).unwrap_or(0)).collect();
    let gross = largest_remainder(pool, &weights)?;
    let v_e4 = i64::try_from(div_round(mul(i128::from(pool.get()), 100_000_000)?, i128::from(total))?).map_err(|_| MoneyError::Overflow)?;
    let mut trace = Trace::new();
    trace.push(
        "payment.drg.point_value",
        &[
            ("budget", budget.to_string()),
            ("patient_shares", shares.to_string()),
            ("budget_includes_patient_shares", policy.budget_includes_patient_shares.to_string()),
            ("other_funds", others.to_string()),
            ("budget_includes_other_funds", policy.counts_other_funds().to_string()),
            ("total_points", Points(total).to_string()),
            ("v_fen_per_point", Points(v_e4).to_string()),
        ],
        budget,
        pool,
        "Point value v = pool / Σ points",
        "点值 v = 可分配总额 / 总点数",
    );
    let n = u64::try_from(cases.len()).unwrap_or(u64::MAX).max(1);
    let share_bp = u32::try_from(specials * 10_000 / n).unwrap_or(u32::MAX);
    let special_case_share = BasisPoints::new(share_bp);
    // Exactly: specials / n > cap / 10 000, by cross-multiplication (the displayed share is
    // truncated to whole basis points: 26 of 519 cases, 5.0096 %, shows 500 bp but is over a 5 % cap).
    let over = u128::from(specials) * 10_000 > u128::from(policy.special_case_cap.get()) * u128::from(n);
    trace.push(
        "payment.drg.special_case_share",
        &[
            ("special_case_cap", policy.special_case_cap.to_string()),
            ("share", special_case_share.to_string()),
        ],
        Fen::ZERO,
        Fen::ZERO,
        if over {
            "Special-review share above the cap"
        } else {
            "Special-review share within the cap"
        },
        if over {
            "特病单议比例超过上限"
        } else {
            "特病单议比例未超上限"
        },
    );
    let mut institutions = Vec::new();
    for ((code, (ncases, pts, sh, other)), g) in inst.iter().zip(gross) {
        let net = g
            .checked_sub(counted(*sh, policy.budget_includes_patient_shares))?
            .checked_sub(counted(*other, policy.counts_other_funds()))?;
        trace.push(
            "payment.drg.institution",
            &[
                ("institution", (*code).to_owned()),
                ("points", Points(*pts).to_string()),
                ("patient_shares", sh.to_string()),
                ("other_funds", other.to_string()),
            ],
            g,
            net,
            "Payment = Σ points × v − patient shares − other funds",
            "机构结算 = 点数 × 点值 − 个人负担 − 其他基金支付",
        );
        institutions.push(InstitutionPayment {
            institution: (*code).to_owned(),
            cases: *ncases,
            points: Points(*pts),
            gross: g,
            patient_shares: *sh,
            other_funds: *other,
            net,
        });
    }
    Ok(PointSettlement {
        total_points: Points(total),
        pool,
        point_value_e4_fen: v_e4,
        institutions,
        special_case_share,
        special_case_over_cap: over,
        trace,
    })
}

/// Interim monthly settlement: the monthly budget × `interim_share`, settled by points (月度预结算).
///
/// # Errors
/// As [`settle_points`].
pub fn interim_points(policy: &DrgPointPolicy, monthly_budget: Fen, cases: &[CasePoints]) -> Result<PointSettlement, InsuranceError> {
    let b = monthly_budget.apply_bp(policy.interim_share)?;
    let mut s = settle_points(policy, b, cases)?;
    s.trace.steps.insert(
        0,
        crate::TraceStep {
            rule: "payment.drg.interim".into(),
            params: vec![crate::Param {
                name: "interim_share".into(),
                value: policy.interim_share.to_string(),
            }],
            base: monthly_budget,
            result: b,
            message_en: "Interim budget = monthly budget × interim share".into(),
            message_zh: "月度预结算额 = 月度预算 × 预付比例".into(),
        },
    );
    Ok(s)
}

/// A stage of per bed-day rates (床日付费分段).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BedDayStage {
    /// First day of the stay (1-based) the rate applies to.
    pub from_day: u32,
    /// Rate per day.
    pub daily_rate: Fen,
}

/// Per bed-day payment parameters (按床日付费).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BedDayPolicy {
    /// Stages ascending by `from_day`, the first from day 1.
    pub stages: Vec<BedDayStage>,
    /// Annual cap per person.
    pub annual_cap: Fen,
    /// A readmission within this many days continues the previous stay (e.g. 15).
    pub readmission_merge_days: u32,
}

impl BedDayPolicy {
    /// Every problem with the parameters (empty when valid).
    #[must_use]
    pub fn validate(&self) -> Vec<PolicyProblem> {
        let mut out = Vec::new();
        if self.stages.first().is_none_or(|s| s.from_day != 1) {
            out.push(PolicyProblem {
                path: "stages".into(),
                rule: "first stage must start at day 1".into(),
            });
        }
        for (i, s) in self.stages.iter().enumerate() {
            if i > 0 && s.from_day <= self.stages[i - 1].from_day {
                out.push(PolicyProblem {
                    path: format!("stages[{i}].from_day"),
                    rule: "stages must be strictly ascending".into(),
                });
            }
            if s.daily_rate.get() < 0 {
                out.push(PolicyProblem {
                    path: format!("stages[{i}].daily_rate"),
                    rule: "must be >= 0".into(),
                });
            }
        }
        if self.annual_cap.get() < 0 {
            out.push(PolicyProblem {
                path: "annual_cap".into(),
                rule: "must be >= 0".into(),
            });
        }
        out
    }

    /// A readmission `gap_days` after discharge counts as the same stay.
    #[must_use]
    pub fn merges(&self, gap_days: u32) -> bool {
        gap_days <= self.readmission_merge_days
    }
}

/// Per bed-day payment for `days` days of a stay of which `days_before` were already paid
/// (merged readmissions), capped by the annual cap less `paid_this_year`.
///
/// # Errors
/// Overflow.
pub fn bed_day_payment(policy: &BedDayPolicy, days_before: u32, days: u32, paid_this_year: Fen) -> Result<(Fen, Trace), InsuranceError> {
    let mut t = Trace::new();
    let first = u64::from(days_before) + 1;
    let last = u64::from(days_before) + u64::from(days);
    let mut sum = Fen::ZERO;
    for (i, s) in policy.stages.iter().enumerate() {
        let s_from = u64::from(s.from_day);
        let s_to = policy
            .stages
            .get(i + 1)
            .map_or(u64::MAX, |n| u64::from(n.from_day).saturating_sub(1));
        let a = first.max(s_from);
        let b = last.min(s_to);
        if b >= a {
            let n = i64::try_from(b - a + 1).map_err(|_| MoneyError::Overflow)?;
            let amt = s.daily_rate.checked_mul(n)?;
            t.push(
                "payment.bed_day.stage",
                &[
                    ("from_day", s.from_day.to_string()),
                    ("daily_rate", s.daily_rate.to_string()),
                    ("days", n.to_string()),
                ],
                s.daily_rate,
                amt,
                "Stage rate × days in the stage",
                "分段床日费用 × 天数",
            );
            sum = sum.checked_add(amt)?;
        }
    }
    let left = policy.annual_cap.checked_sub(paid_this_year)?.max(Fen::ZERO);
    let pay = sum.min(left);
    t.push(
        "payment.bed_day.annual_cap",
        &[
            ("annual_cap", policy.annual_cap.to_string()),
            ("paid_this_year", paid_this_year.to_string()),
        ],
        sum,
        pay,
        "Capped by the annual cap per person",
        "按年度限额封顶",
    );
    Ok((pay, t))
}

/// One bed-day case to price across its stay (按床日病例).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BedDayCase {
    /// Case (claim) id.
    pub id: String,
    /// The insured person.
    pub person: String,
    /// Admission.
    pub admission: chrono::NaiveDate,
    /// Discharge.
    pub discharge: chrono::NaiveDate,
}

/// A bed-day case priced across the whole stay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BedDayPriced {
    /// Case id.
    pub id: String,
    /// Days of the stay before this admission (a readmission within the window continues it).
    pub days_before: u32,
    /// Days of this admission (at least 1).
    pub days: u32,
    /// Paid for this admission by the stage rates, after the person's annual cap.
    pub amount: Fen,
    /// Whether it continued an earlier admission of the person.
    pub merged: bool,
    /// Trace.
    pub trace: Trace,
}

/// Prices a year's bed-day cases across their stays (docs/rules/payment-methods.md#per-bed-day):
/// a person's readmission within `readmission_merge_days` of the previous discharge continues
/// that stay, so its days carry on in the stage reached; each admission is paid by the stage
/// rates of its days, capped by what is left of the person's annual cap. Cases are taken per
/// person in admission order (ties by id), whatever order they come in; the answer is in that
/// order.
///
/// # Errors
/// Overflow.
pub fn bed_day_stays(policy: &BedDayPolicy, cases: &[BedDayCase]) -> Result<Vec<BedDayPriced>, InsuranceError> {
    let mut sorted: Vec<&BedDayCase> = cases.iter().collect();
    sorted.sort_by(|a, b| (&a.person, a.admission, &a.id).cmp(&(&b.person, b.admission, &b.id)));
    let mut out = Vec::with_capacity(sorted.len());
    // Per person: the previous discharge, the stay's days so far, paid this year.
    let mut state: Option<(&str, chrono::NaiveDate, u32, Fen)> = None;
    for c in sorted {
        let days = u32::try_from((c.discharge - c.admission).num_days().max(1)).unwrap_or(u32::MAX);
        let (days_before, paid, merged) = match state {
            Some((person, discharged, so_far, paid)) if person == c.person => {
                let gap = (c.admission - discharged).num_days();
                if gap <= i64::from(policy.readmission_merge_days) {
                    (so_far, paid, true)
                } else {
                    (0, paid, false)
                }
            }
            _ => (0, Fen::ZERO, false),
        };
        let (amount, mut trace) = bed_day_payment(policy, days_before, days, paid)?;
        if merged {
            trace.push(
                "payment.bed_day.readmission",
                &[
                    ("readmission_merge_days", policy.readmission_merge_days.to_string()),
                    ("days_before", days_before.to_string()),
                ],
                Fen::ZERO,
                Fen::ZERO,
                "Readmission within the window: the stay continues, its days carry on in the stage reached",
                "窗口期内再入院：视为同一次住院，床日连续计算分段",
            );
        }
        let so_far = days_before.saturating_add(days);
        let discharged = c.discharge.max(c.admission);
        state = Some((c.person.as_str(), discharged, so_far, paid.checked_add(amount)?));
        out.push(BedDayPriced {
            id: c.id.clone(),
            days_before,
            days,
            amount,
            merged,
            trace,
        });
    }
    Ok(out)
}

/// The daily standard of a bed-day case inside the point method (床日标准): what the per bed-day
/// rates pay for a `days`-day stay starting on day 1, with nothing paid before in the year
/// ([`bed_day_payment`]), divided by the days and truncated to the fen.
///
/// # Errors
/// [`InsuranceError::InvalidInput`] for `days == 0`; overflow.
///
/// # Example
/// ```
/// use sanyi_domain::Fen;
/// use sanyi_insurance::payment::{BedDayPolicy, BedDayStage, bed_day_daily_standard};
/// let p = BedDayPolicy {
///     stages: vec![
///         BedDayStage { from_day: 1, daily_rate: Fen::new(30_000) },
///         BedDayStage { from_day: 3, daily_rate: Fen::new(20_000) },
///     ],
///     annual_cap: Fen::new(10_000_000),
///     readmission_merge_days: 15,
/// };
/// // 2 × 300 + 1 × 200 yuan over 3 days = 266.666… → 266.66 yuan a day.
/// assert_eq!(bed_day_daily_standard(&p, 3)?, Fen::new(26_666));
/// # Ok::<(), sanyi_insurance::InsuranceError>(())
/// ```
pub fn bed_day_daily_standard(policy: &BedDayPolicy, days: u32) -> Result<Fen, InsuranceError> {
    if days == 0 {
        return Err(InsuranceError::InvalidInput {
            field: "days".into(),
            rule: "must be >= 1",
        });
    }
    let (paid, _) = bed_day_payment(policy, 0, days, Fen::ZERO)?;
    Ok(paid.checked_div(i64::from(days))?)
}

/// The mean cost of a DRG group (组均费用) used to price a grouped case: the mean the pool
/// published for the group when there is one, else the pool's overall mean cost × RW_g
/// (`overall_mean_cost` × weight / 10 000, truncated to the fen).
///
/// # Errors
/// Overflow.
///
/// # Example
/// ```
/// use sanyi_domain::Fen;
/// use sanyi_drg::Weight;
/// use sanyi_insurance::payment::{DrgPointPolicy, group_mean_cost};
/// let p = DrgPointPolicy::example(Fen::new(1_000_000));
/// assert_eq!(group_mean_cost(&p, Weight::from_ten_thousandths(12_345), None)?, Fen::new(1_234_500));
/// assert_eq!(group_mean_cost(&p, Weight::from_ten_thousandths(12_345), Some(Fen::new(7)))?, Fen::new(7));
/// # Ok::<(), sanyi_insurance::InsuranceError>(())
/// ```
pub fn group_mean_cost(policy: &DrgPointPolicy, weight: Weight, published: Option<Fen>) -> Result<Fen, InsuranceError> {
    match published {
        Some(mean) => Ok(mean),
        None => Ok(policy
            .overall_mean_cost
            .checked_mul_div(i64::from(weight.ten_thousandths()), 10_000)?),
    }
}

/// Capitation parameters (按人头付费).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapitationPolicy {
    /// Rate per person per month.
    pub monthly_rate: Fen,
    /// Share withheld until appraisal (e.g. 10–20 %).
    pub withhold: BasisPoints,
    /// Appraisal pass mark in hundredths of a point; below it nothing withheld is released.
    pub pass_mark: u32,
    /// Whom the rate is paid for: the enrolled persons of the member's service area (default) or
    /// the persons contracted with its family-doctor teams.
    #[serde(default)]
    pub basis: CapitationBasis,
    /// Outpatient care the member's persons used elsewhere (another township's institutions, the
    /// county hospital, outside the county) is charged to the member's capitation, month by
    /// month (按人头包干、外转扣减). Absent: no.
    #[serde(default)]
    pub charge_outside_care: bool,
}

/// Whom capitation counts (按参保人数 / 按签约人数).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapitationBasis {
    /// Enrolled persons living in the member's service area.
    #[default]
    Enrolled,
    /// Persons contracted with the member's family-doctor teams.
    Contracted,
}

/// One member institution's capitation in a period (按人头拨付到成员单位).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCapitation {
    /// Institution id.
    pub id: String,
    /// Persons counted.
    pub persons: u64,
    /// Paid each month 1..=through (rate × persons less the withheld share); they add up to
    /// `capitation.paid_now`.
    pub monthly: Vec<Fen>,
    /// The period's capitation (gross, withheld, paid, released at the year-end, forfeited).
    pub capitation: Capitation,
    /// Outpatient care of its persons elsewhere charged to it, month by month (empty unless the
    /// policy charges it).
    pub charged_outside: Vec<Fen>,
}

impl MemberCapitation {
    /// What the member receives in month `k` (1-based): the month's payment less what is
    /// charged to it that month (negative: it pays back).
    ///
    /// # Errors
    /// Overflow.
    pub fn net_month(&self, k: usize) -> Result<Fen, InsuranceError> {
        let paid = self.monthly.get(k - 1).copied().unwrap_or(Fen::ZERO);
        let charged = self.charged_outside.get(k - 1).copied().unwrap_or(Fen::ZERO);
        Ok(paid.checked_sub(charged)?)
    }

    /// Σ charged for care elsewhere.
    ///
    /// # Errors
    /// Overflow.
    pub fn charged_total(&self) -> Result<Fen, InsuranceError> {
        Ok(Fen::sum(self.charged_outside.iter().copied())?)
    }

    /// Charges outpatient care used elsewhere to the member: `charges[k - 1]` in month k.
    pub fn charge(&mut self, charges: Vec<Fen>) {
        self.charged_outside = charges;
    }
}

/// Capitation paid monthly to each member for `through` months: month k pays what the period
/// through k pays less what the period through k − 1 paid, so the months add up exactly to the
/// period's `paid_now`. The withheld share is released by the score at the year-end only
/// (`through == 12`); an interim period releases nothing.
///
/// # Errors
/// Overflow.
pub fn member_capitation(
    policy: &CapitationPolicy,
    persons: &[(String, u64)],
    through: u32,
    score: u32,
) -> Result<Vec<MemberCapitation>, InsuranceError> {
    let score = if through == 12 { score } else { 0 };
    persons
        .iter()
        .map(|(id, n)| {
            let mut monthly = Vec::with_capacity(through as usize);
            let mut before = Fen::ZERO;
            for k in 1..=through {
                let paid = capitation(policy, *n, k, 0)?.paid_now;
                monthly.push(paid.checked_sub(before)?);
                before = paid;
            }
            let mut c = capitation(policy, *n, through, score)?;
            if through < 12 {
                // Nothing is released or forfeited before the appraisal of the year.
                c.released = Fen::ZERO;
                c.forfeited = Fen::ZERO;
            }
            Ok(MemberCapitation {
                id: id.clone(),
                persons: *n,
                monthly,
                capitation: c,
                charged_outside: Vec::new(),
            })
        })
        .collect()
}

/// Capitation result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capitation {
    /// rate × persons × months.
    pub gross: Fen,
    /// Withheld share.
    pub withheld: Fen,
    /// Paid in the period.
    pub paid_now: Fen,
    /// Released after appraisal.
    pub released: Fen,
    /// Not released.
    pub forfeited: Fen,
    /// Trace.
    pub trace: Trace,
}

/// Capitation: rate × persons × months, with a withheld share released by the appraisal score:
/// at or above the pass mark the score (0–100 %) is the released share; below, nothing.
/// `score` is in hundredths of a point (85.00 → 8 500).
///
/// # Errors
/// Overflow.
pub fn capitation(policy: &CapitationPolicy, persons: u64, months: u32, score: u32) -> Result<Capitation, InsuranceError> {
    let n = mul(i128::from(persons), i128::from(months))?;
    let gross = to_fen(mul(i128::from(policy.monthly_rate.get()), n)?)?;
    let withheld = gross.apply_bp(policy.withhold)?;
    let paid_now = gross.checked_sub(withheld)?;
    let release = if score >= policy.pass_mark {
        BasisPoints::new(score.min(10_000))
    } else {
        BasisPoints::new(0)
    };
    let released = withheld.apply_bp(release)?;
    let forfeited = withheld.checked_sub(released)?;
    let mut t = Trace::new();
    t.push(
        "payment.capitation.gross",
        &[
            ("monthly_rate", policy.monthly_rate.to_string()),
            ("persons", persons.to_string()),
            ("months", months.to_string()),
        ],
        policy.monthly_rate,
        gross,
        "rate × persons × months",
        "人头费 = 标准 × 人数 × 月数",
    );
    t.push(
        "payment.capitation.withhold",
        &[("withhold", policy.withhold.to_string())],
        gross,
        withheld,
        "Withheld until appraisal",
        "预留考核金",
    );
    t.push(
        "payment.capitation.release",
        &[("score", score.to_string()), ("pass_mark", policy.pass_mark.to_string())],
        withheld,
        released,
        "Released by appraisal",
        "按考核返还",
    );
    Ok(Capitation {
        gross,
        withheld,
        paid_now,
        released,
        forfeited,
        trace: t,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn y(v: i64) -> Fen {
        Fen::new(v * 100)
    }

    fn pol() -> DrgPointPolicy {
        DrgPointPolicy::example(y(8_000))
    }

    fn grouped(rw: u32, mean: i64, cost: i64, k: u32) -> DrgCase {
        DrgCase {
            id: "c".into(),
            institution: "H1".into(),
            kind: CaseKind::Grouped {
                drg: "G1".into(),
                weight: Weight::from_ten_thousandths(rw),
                group_mean_cost: y(mean),
                coefficient: BasisPoints::new(k),
            },
            cost: y(cost),
            patient_share: Fen::ZERO,
            other_funds: Fen::ZERO,
        }
    }

    fn pts(c: &DrgCase) -> (CaseClass, i64) {
        let p = case_points(&pol(), c).unwrap();
        (p.class, p.points.ten_thousandths())
    }

    /// Source: docs/rules/payment-methods.md#drg-point-method normal case BP × K: RW 1.2345 → BP 123.45; × 0.95 = 117.2775.
    #[test]
    fn normal_case() {
        assert_eq!(pts(&grouped(12_345, 10_000, 10_000, 9_500)), (CaseClass::Normal, 1_172_775));
        // BP exactly 100 is in the t = 3 band: cost 2.5 × mean stays normal.
        assert_eq!(pts(&grouped(10_000, 10_000, 25_000, 10_000)), (CaseClass::Normal, 1_000_000));
    }

    /// Source: docs/rules/payment-methods.md#drg-point-method high-ratio case: BP × K + BP × (cost/mean − t_g).
    #[test]
    fn high_ratio_cases() {
        // BP 80 (t = 3), cost 4 × mean: 80 + 80 × 1 = 160.
        assert_eq!(pts(&grouped(8_000, 10_000, 40_000, 10_000)), (CaseClass::HighRatio, 1_600_000));
        // BP 150 (t = 2), K 1.1, cost 2.5 × mean: 165 + 150 × 0.5 = 240.
        assert_eq!(pts(&grouped(15_000, 20_000, 50_000, 11_000)), (CaseClass::HighRatio, 2_400_000));
        // BP 250 (t = 1.5), cost 2 × mean: 250 + 250 × 0.5 = 375.
        assert_eq!(pts(&grouped(25_000, 30_000, 60_000, 10_000)), (CaseClass::HighRatio, 3_750_000));
    }

    /// Source: docs/rules/payment-methods.md#drg-point-method low-ratio case (< 40 % of mean): BP × cost/mean, never above normal.
    #[test]
    fn low_ratio_cases() {
        // BP 100, cost 0.3 × mean: 30 points (normal would be 120).
        assert_eq!(pts(&grouped(10_000, 10_000, 3_000, 12_000)), (CaseClass::LowRatio, 300_000));
        // With K 0.2 normal points are 20 < 30: 20.
        assert_eq!(pts(&grouped(10_000, 10_000, 3_000, 2_000)), (CaseClass::LowRatio, 200_000));
    }

    /// Source: docs/rules/payment-methods.md#drg-point-method ungroupable (cost / overall mean × 100), bed-day (standard / overall
    /// mean × 100 × days) and special review.
    #[test]
    fn other_case_kinds() {
        let mut c = grouped(10_000, 1, 12_000, 10_000);
        c.kind = CaseKind::Ungroupable;
        assert_eq!(pts(&c), (CaseClass::Ungroupable, 1_500_000));
        c.kind = CaseKind::BedDay {
            payment: y(12_000),
            days: 30,
        };
        assert_eq!(pts(&c), (CaseClass::BedDay, 1_500_000));
        c.kind = CaseKind::SpecialReview {
            points: Points::from_ten_thousandths(2_000_000),
        };
        assert_eq!(pts(&c), (CaseClass::SpecialReview, 2_000_000));
        assert!(
            case_points(
                &DrgPointPolicy::example(Fen::ZERO),
                &DrgCase {
                    kind: CaseKind::Ungroupable,
                    ..c
                }
            )
            .is_err()
        );
    }

    fn cp(inst: &str, points: i64, share: Fen, class: CaseClass) -> CasePoints {
        CasePoints {
            id: "x".into(),
            institution: inst.into(),
            class,
            points: Points::from_ten_thousandths(points),
            patient_share: share,
            other_funds: Fen::ZERO,
            trace: Trace::new(),
        }
    }

    /// Other funds on a DRG case (critical illness, assistance) are deducted like the patient's
    /// share: v = (budget + shares + other funds) / Σ points and payment = points × v − shares −
    /// other funds, so Σ payments = the budget; a pool that counts neither pays points × budget /
    /// Σ points (docs/rules/payment-methods.md#drg-point-method).
    #[test]
    fn other_funds_are_deducted_like_the_patients_share() {
        let mut a = cp("H1", 10_000, y(100), CaseClass::Normal);
        a.other_funds = y(50);
        let b = cp("H2", 10_000, y(0), CaseClass::Normal);
        let p = DrgPointPolicy::example(y(1_000));
        let s = settle_points(&p, y(850), &[a.clone(), b.clone()]).unwrap();
        assert_eq!(s.pool, y(1_000));
        let h1 = &s.institutions[0];
        assert_eq!(
            (h1.gross, h1.patient_shares, h1.other_funds, h1.net),
            (y(500), y(100), y(50), y(350))
        );
        assert_eq!(s.institutions[1].net, y(500));
        let p = DrgPointPolicy {
            budget_includes_patient_shares: false,
            ..p
        };
        let s = settle_points(&p, y(850), &[a.clone(), b.clone()]).unwrap();
        assert_eq!((s.pool, s.institutions[0].net), (y(850), y(425)));
        // Counting other funds only.
        let p = DrgPointPolicy {
            budget_includes_other_funds: Some(true),
            ..p
        };
        let s = settle_points(&p, y(850), &[a, b]).unwrap();
        assert_eq!((s.pool, s.institutions[0].net), (y(900), y(400)));
    }

    /// The special-review cap is compared exactly (docs/rules/payment-methods.md#drg-point-method):
    /// 26 special cases of 519 are 5.0096 %, over a 5 % cap although the share shows 500 bp; 25 of
    /// 500 are exactly 5 %, within it.
    #[test]
    fn the_special_review_cap_is_compared_exactly() {
        let cases = |specials: usize, n: usize| -> Vec<CasePoints> {
            (0..n)
                .map(|i| {
                    cp(
                        "H1",
                        10_000,
                        Fen::ZERO,
                        if i < specials {
                            CaseClass::SpecialReview
                        } else {
                            CaseClass::Normal
                        },
                    )
                })
                .collect()
        };
        let s = settle_points(&pol(), y(1_000), &cases(26, 519)).unwrap();
        assert_eq!(s.special_case_share, BasisPoints::new(500));
        assert!(s.special_case_over_cap);
        let s = settle_points(&pol(), y(1_000), &cases(25, 500)).unwrap();
        assert!(!s.special_case_over_cap);
    }

    /// Source: docs/rules/payment-methods.md#drg-point-method point value and payment: budget 30 000 + shares 10 000 = 40 000 over
    /// 400 points → v = 100 yuan/point; H1 300 points → 30 000 − 5 000 = 25 000; H2 → 5 000.
    #[test]
    fn point_value_and_payment() {
        let cases = [
            cp("H1", 3_000_000, y(5_000), CaseClass::Normal),
            cp("H2", 600_000, y(2_000), CaseClass::Normal),
            cp("H2", 400_000, y(3_000), CaseClass::SpecialReview),
        ];
        let s = settle_points(&pol(), y(30_000), &cases).unwrap();
        assert_eq!(s.point_value_e4_fen, 100_000_000);
        assert_eq!(s.institutions[0].gross, y(30_000));
        assert_eq!(s.institutions[0].net, y(25_000));
        assert_eq!(s.institutions[1].net, y(5_000));
        assert_eq!(s.institutions[1].cases, 2);
        // One of three cases is special review: 33.33 % > 5 %.
        assert!(s.special_case_over_cap);
        // Shares not counted: v = 75, H1 22 500, H2 7 500.
        let p = DrgPointPolicy {
            budget_includes_patient_shares: false,
            ..pol()
        };
        let s = settle_points(&p, y(30_000), &cases).unwrap();
        assert_eq!((s.institutions[0].net, s.institutions[1].net), (y(22_500), y(7_500)));
        // Interim: 90 % of a 10 000 monthly budget.
        let s = interim_points(&p, y(10_000), &cases).unwrap();
        assert_eq!(Fen::sum(s.institutions.iter().map(|i| i.net)).unwrap(), y(9_000));
        assert_eq!(s.trace.steps[0].rule, "payment.drg.interim");
        // 1 yuan over three equal institutions: 34, 33, 33 fen.
        let eq = [
            cp("A", 1, Fen::ZERO, CaseClass::Normal),
            cp("B", 1, Fen::ZERO, CaseClass::Normal),
            cp("C", 1, Fen::ZERO, CaseClass::Normal),
        ];
        let s = settle_points(&p, Fen::new(100), &eq).unwrap();
        assert_eq!(s.institutions.iter().map(|i| i.net.get()).collect::<Vec<_>>(), vec![34, 33, 33]);
        assert!(settle_points(&p, Fen::new(100), &[]).is_err());
    }

    fn bed() -> BedDayPolicy {
        BedDayPolicy {
            stages: vec![
                BedDayStage {
                    from_day: 1,
                    daily_rate: y(300),
                },
                BedDayStage {
                    from_day: 61,
                    daily_rate: y(250),
                },
                BedDayStage {
                    from_day: 181,
                    daily_rate: y(200),
                },
            ],
            annual_cap: y(60_000),
            readmission_merge_days: 15,
        }
    }

    fn stay(id: &str, person: &str, from: (u32, u32), to: (u32, u32)) -> BedDayCase {
        let d = |(m, d): (u32, u32)| chrono::NaiveDate::from_ymd_opt(2025, m, d).unwrap();
        BedDayCase {
            id: id.into(),
            person: person.into(),
            admission: d(from),
            discharge: d(to),
        }
    }

    #[test]
    fn a_readmission_within_the_window_continues_the_stay_in_its_stage() {
        let p = bed();
        // 70 days in one stay, against 50 + (10-day gap) + 20 days: the second admission starts
        // on day 51 of the stay.
        let one = bed_day_stays(&p, &[stay("A", "x", (1, 1), (3, 12))]).unwrap();
        assert_eq!(one[0].days, 70);
        let split = bed_day_stays(&p, &[stay("B2", "x", (3, 2), (3, 22)), stay("B1", "x", (1, 1), (2, 20))]).unwrap();
        assert_eq!((split[0].id.as_str(), split[0].days, split[0].days_before), ("B1", 50, 0));
        assert_eq!(
            (split[1].id.as_str(), split[1].days, split[1].days_before, split[1].merged),
            ("B2", 20, 50, true)
        );
        assert_eq!(
            split[0].amount.checked_add(split[1].amount).unwrap(),
            one[0].amount,
            "two admissions of one stay pay what the stay pays"
        );
        // Outside the window the second admission starts again at day 1.
        let apart = bed_day_stays(&p, &[stay("C1", "x", (1, 1), (2, 20)), stay("C2", "x", (4, 1), (4, 21))]).unwrap();
        assert_eq!((apart[1].days_before, apart[1].merged), (0, false));
        // Other people's stays do not merge.
        let others = bed_day_stays(&p, &[stay("D1", "x", (1, 1), (2, 20)), stay("D2", "y", (2, 21), (3, 13))]).unwrap();
        assert_eq!(others[1].days_before, 0);
    }

    #[test]
    fn the_annual_cap_binds_across_the_persons_stays() {
        let mut p = bed();
        let (full, _) = bed_day_payment(&p, 0, 50, Fen::ZERO).unwrap();
        p.annual_cap = full.checked_add(Fen::new(100)).unwrap();
        let r = bed_day_stays(&p, &[stay("E1", "x", (1, 1), (2, 20)), stay("E2", "x", (6, 1), (6, 30))]).unwrap();
        assert_eq!(r[0].amount, full);
        assert_eq!(r[1].amount, Fen::new(100), "only what is left of the cap");
    }

    /// Source: docs/rules/payment-methods.md#per-bed-day stage rates (days 1–60, 61–180, > 180) and annual cap.
    #[test]
    fn bed_day_stages_and_cap() {
        // 100 days: 60 × 300 + 40 × 250 = 28 000.
        assert_eq!(bed_day_payment(&bed(), 0, 100, Fen::ZERO).unwrap().0, y(28_000));
        // Days 171–190 of a merged stay: 10 × 250 + 10 × 200 = 4 500.
        let (p, t) = bed_day_payment(&bed(), 170, 20, Fen::ZERO).unwrap();
        assert_eq!(p, y(4_500));
        assert_eq!(t.steps.len(), 3);
        // Cap 60 000 with 50 000 paid: 10 000.
        assert_eq!(bed_day_payment(&bed(), 0, 100, y(50_000)).unwrap().0, y(10_000));
        assert!(bed().merges(15) && !bed().merges(16));
        assert!(bed().validate().is_empty());
        let mut b = bed();
        b.stages.swap(1, 2);
        assert_eq!(b.validate()[0].path, "stages[2].from_day");
    }

    #[test]
    fn drg_policy_validation() {
        assert!(pol().validate().is_empty());
        let mut p = pol();
        p.high_ratio_bands.swap(0, 1);
        p.overall_mean_cost = Fen::ZERO;
        let paths: Vec<String> = p.validate().into_iter().map(|x| x.path).collect();
        assert_eq!(paths, vec!["high_ratio_bands[1].up_to", "overall_mean_cost"]);
        // BP exactly 200 uses t = 2: cost 2.5 × mean is high ratio (200 + 200 × 0.5 = 300).
        assert_eq!(pts(&grouped(20_000, 10_000, 25_000, 10_000)), (CaseClass::HighRatio, 3_000_000));
    }

    /// Source: docs/rules/payment-methods.md#capitation: 3 yuan × 10 000 persons × 12 months = 360 000; 15 % withheld =
    /// 54 000; score 80 releases 80 % = 43 200; below the pass mark nothing.
    #[test]
    fn capitation_withhold_release() {
        let p = CapitationPolicy {
            monthly_rate: y(3),
            withhold: BasisPoints::new(1_500),
            pass_mark: 6_000,
            basis: CapitationBasis::Enrolled,
            charge_outside_care: false,
        };
        // Paid monthly to members: the months add up to the period's payment to the fen, and
        // nothing withheld is released before the year-end.
        let m = member_capitation(&p, &[("T1".into(), 3_333), ("T2".into(), 7)], 7, 9_000).unwrap();
        for x in &m {
            assert_eq!(Fen::sum(x.monthly.iter().copied()).unwrap(), x.capitation.paid_now);
            assert_eq!(x.capitation.released, Fen::ZERO);
        }
        let m = member_capitation(&p, &[("T1".into(), 3_333)], 12, 9_000).unwrap();
        assert_eq!(
            m[0].capitation.released,
            m[0].capitation.withheld.apply_bp(BasisPoints::new(9_000)).unwrap()
        );
        let c = capitation(&p, 10_000, 12, 8_000).unwrap();
        assert_eq!(
            (c.gross, c.withheld, c.paid_now, c.released, c.forfeited),
            (y(360_000), y(54_000), y(306_000), y(43_200), y(10_800))
        );
        let c = capitation(&p, 10_000, 12, 5_999).unwrap();
        assert_eq!((c.released, c.forfeited), (Fen::ZERO, y(54_000)));
    }

    /// The bed-day daily standard of a run (床日标准): 300 yuan a day for the first 60 days, 250
    /// from day 61, so a 70-day stay pays 60 × 300 + 10 × 250 = 20 500 yuan, 292.857… a day →
    /// 292.85 (truncated). Zero days is an error, not a division by zero.
    #[test]
    fn bed_day_daily_standard_truncates() {
        assert_eq!(bed_day_daily_standard(&bed(), 70).unwrap(), Fen::new(29_285));
        assert_eq!(bed_day_daily_standard(&bed(), 1).unwrap(), y(300));
        assert!(matches!(
            bed_day_daily_standard(&bed(), 0),
            Err(InsuranceError::InvalidInput { .. })
        ));
    }

    /// The group mean falls back to the overall mean × RW; an overflowing product is an error.
    #[test]
    fn group_mean_cost_fallback_and_overflow() {
        let w = Weight::from_ten_thousandths(15_000);
        assert_eq!(group_mean_cost(&pol(), w, None).unwrap(), y(12_000));
        assert_eq!(group_mean_cost(&pol(), w, Some(y(9_000))).unwrap(), y(9_000));
        let huge = DrgPointPolicy::example(Fen::new(i64::MAX));
        assert_eq!(group_mean_cost(&huge, w, None), Err(InsuranceError::Money(MoneyError::Overflow)));
        assert_eq!(
            Points::sum([Points(i64::MAX), Points(1)]),
            Err(InsuranceError::Money(MoneyError::Overflow))
        );
        assert_eq!(Points::sum([Points(2), Points(3)]), Ok(Points(5)));
    }

    proptest! {
        /// daily × days ≤ the stay's payment < (daily + 1) × days, never negative.
        #[test]
        fn bed_day_daily_standard_brackets_the_stay(days in 1u32..400) {
            let (paid, _) = bed_day_payment(&bed(), 0, days, Fen::ZERO).unwrap();
            let d = bed_day_daily_standard(&bed(), days).unwrap();
            prop_assert!(d.get() >= 0);
            prop_assert!(d.get() * i64::from(days) <= paid.get());
            prop_assert!((d.get() + 1) * i64::from(days) > paid.get());
        }

        /// The fallback mean equals the `i64` expression it replaces wherever that does not
        /// overflow, and never panics for any mean or weight.
        #[test]
        fn group_mean_cost_matches_i64_and_never_panics(mean in any::<i64>(), rw in any::<u32>()) {
            let p = DrgPointPolicy::example(Fen::new(mean));
            let r = group_mean_cost(&p, Weight::from_ten_thousandths(rw), None);
            match mean.checked_mul(i64::from(rw)) {
                Some(x) => prop_assert_eq!(r, Ok(Fen::new(x / 10_000))),
                None => {
                    let exact = i128::from(mean) * i128::from(rw) / 10_000;
                    prop_assert_eq!(r.ok(), i64::try_from(exact).ok().map(Fen::new));
                }
            }
        }

        #[test]
        fn point_payments_sum_to_budget(budget in 0i64..10_000_000_000, cases in prop::collection::vec((0usize..5, 1i64..50_000_000, 0i64..1_000_000), 1..40), counted in any::<bool>()) {
            let cps: Vec<CasePoints> = cases.iter().map(|(i, p, s)| cp(&format!("H{i}"), *p, Fen::new(*s), CaseClass::Normal)).collect();
            let p = DrgPointPolicy { budget_includes_patient_shares: counted, ..pol() };
            let s = settle_points(&p, Fen::new(budget), &cps).unwrap();
            prop_assert_eq!(Fen::sum(s.institutions.iter().map(|i| i.net)).unwrap(), Fen::new(budget));
            prop_assert!(s.institutions.iter().all(|i| i.gross.get() >= 0));
        }

        #[test]
        fn grouped_points_never_negative_and_low_never_above_normal(rw in 1u32..100_000, mean in 1i64..100_000, cost in 0i64..1_000_000, k in 1u32..20_000) {
            let c = grouped(rw, mean, cost, k);
            let p = case_points(&pol(), &c).unwrap();
            prop_assert!(p.points.ten_thousandths() >= 0);
            let normal = i64::from(rw) * 100 * i64::from(k);
            if p.class == CaseClass::LowRatio {
                prop_assert!(p.points.ten_thousandths() * 10_000 <= normal + 5_000);
            }
            if p.class == CaseClass::HighRatio {
                prop_assert!(p.points.ten_thousandths() * 10_000 >= normal - 5_000);
            }
        }
    }
}

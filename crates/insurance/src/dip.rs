//! Diagnosis-intervention packet payment (按病种分值付费, DIP), the alternative point method a pool
//! may choose instead of DRG points (docs/rules/payment-methods.md#dip).
//!
//! A pool's DIP catalogue lists disease groups — a principal diagnosis (ICD-10 code or prefix)
//! with a procedure (ICD-9-CM-3 code or prefix) or none for conservative treatment (保守治疗) —
//! each with the mean cost of its cases from the pool's history. A group's score
//! `RV = mean cost / base cost × 100`; a case scores its group's RV, or by its cost when it
//! deviates (cost ≥ the high ratio × mean: `(cost / mean − 1) × RV`; cost ≤ the low ratio × mean:
//! `cost / mean × RV`), times the institution's level coefficient. A case no group fits scores
//! `cost / base × 100`. The point value is the budget over Σ scores, as for DRG points
//! ([`crate::payment::settle_points`]).

use sanyi_domain::{BasisPoints, Fen};
use serde::{Deserialize, Serialize};

use crate::payment::Points;
use crate::policy::PolicyProblem;
use crate::trace::{InsuranceError, Trace, div_round, mul};

/// One disease group of the catalogue (病种).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DipGroup {
    /// Group code.
    pub code: String,
    /// Principal diagnosis, an ICD-10 code or prefix (e.g. `K35`).
    pub diagnosis: String,
    /// Procedure, an ICD-9-CM-3 code or prefix; absent: conservative treatment (no procedure).
    #[serde(default)]
    pub procedure: Option<String>,
    /// Mean cost of the group's cases in the reference years.
    pub mean_cost: Fen,
}

/// DIP parameters of a pool and year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DipPolicy {
    /// Base cost of the scores (RV = mean / base × 100), e.g. the mean cost of all cases.
    pub base_cost: Fen,
    /// A case costing at least this share of its group's mean is scored by its cost (e.g. 200 %).
    pub high_ratio: BasisPoints,
    /// A case costing at most this share of its group's mean is scored by its cost (e.g. 50 %).
    pub low_ratio: BasisPoints,
    /// The groups.
    pub groups: Vec<DipGroup>,
}

impl DipPolicy {
    /// Every problem with the parameters (empty when valid).
    #[must_use]
    pub fn validate(&self) -> Vec<PolicyProblem> {
        let mut out = Vec::new();
        let mut push = |path: String, rule: &str| out.push(PolicyProblem { path, rule: rule.into() });
        if self.base_cost.get() <= 0 {
            push("base_cost".into(), "must be > 0");
        }
        if self.high_ratio.get() <= 10_000 {
            push("high_ratio".into(), "must be above 100 %");
        }
        if self.low_ratio.get() >= 10_000 {
            push("low_ratio".into(), "must be below 100 %");
        }
        if self.groups.is_empty() {
            push("groups".into(), "at least one group");
        }
        let mut seen = std::collections::HashSet::new();
        for (i, g) in self.groups.iter().enumerate() {
            if g.mean_cost.get() <= 0 {
                push(format!("groups[{i}].mean_cost"), "must be > 0");
            }
            if g.diagnosis.trim().is_empty() {
                push(format!("groups[{i}].diagnosis"), "required");
            }
            if !seen.insert((g.diagnosis.as_str(), g.procedure.as_deref())) {
                push(format!("groups[{i}]"), "the same diagnosis and procedure twice");
            }
        }
        out
    }

    /// The group of a case: among the groups whose diagnosis starts the case's principal
    /// diagnosis, one whose procedure starts one of the case's procedures (the longest match
    /// first), else the conservative group of the diagnosis; the longest diagnosis wins.
    #[must_use]
    pub fn group_of(&self, main_dx: &str, procedures: &[String]) -> Option<&DipGroup> {
        let dx_len = |g: &DipGroup| {
            if main_dx.starts_with(g.diagnosis.as_str()) {
                Some(g.diagnosis.len())
            } else {
                None
            }
        };
        let with_procedure = self
            .groups
            .iter()
            .filter_map(|g| {
                let d = dx_len(g)?;
                let p = g.procedure.as_deref()?;
                procedures.iter().any(|x| x.starts_with(p)).then_some((d, p.len(), g))
            })
            .max_by_key(|(d, p, g)| (*d, *p, std::cmp::Reverse(g.code.as_str())));
        if let Some((_, _, g)) = with_procedure {
            return Some(g);
        }
        self.groups
            .iter()
            .filter(|g| g.procedure.is_none())
            .filter_map(|g| Some((dx_len(g)?, g)))
            .max_by_key(|(d, g)| (*d, std::cmp::Reverse(g.code.as_str())))
            .map(|(_, g)| g)
    }
}

/// How a case was scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DipClass {
    /// Its group's score.
    Normal,
    /// Cost at or above the high ratio of the mean.
    High,
    /// Cost at or below the low ratio of the mean.
    Low,
    /// No group fits: scored by its cost.
    Unmatched,
}

/// The score of a case with its trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DipScore {
    /// Group code (none when unmatched).
    pub group: Option<String>,
    /// Rule used.
    pub class: DipClass,
    /// Score in points (after the coefficient).
    pub points: Points,
    /// Trace.
    pub trace: Trace,
}

/// Scores one case of cost `cost` at an institution of coefficient `coefficient` (10 000 = 1).
///
/// # Errors
/// Overflow; a zero base or mean is refused by [`DipPolicy::validate`] and errors here.
///
/// # Example
/// ```
/// use sanyi_domain::{BasisPoints, Fen};
/// use sanyi_insurance::dip::{DipClass, DipGroup, DipPolicy, score};
/// let p = DipPolicy {
///     base_cost: Fen::new(1_000_000),
///     high_ratio: BasisPoints::new(20_000),
///     low_ratio: BasisPoints::new(5_000),
///     groups: vec![DipGroup { code: "K35-1".into(), diagnosis: "K35".into(), procedure: Some("47.0".into()), mean_cost: Fen::new(1_500_000) }],
/// };
/// // RV = 15 000 / 10 000 × 100 = 150 points; a normal case at K = 1 scores 150.
/// let s = score(&p, "K35.800", &["47.0100".into()], Fen::new(1_400_000), BasisPoints::new(10_000))?;
/// assert_eq!((s.class, s.points.ten_thousandths()), (DipClass::Normal, 1_500_000));
/// # Ok::<(), sanyi_insurance::InsuranceError>(())
/// ```
pub fn score(
    policy: &DipPolicy,
    main_dx: &str,
    procedures: &[String],
    cost: Fen,
    coefficient: BasisPoints,
) -> Result<DipScore, InsuranceError> {
    let base = i128::from(policy.base_cost.get());
    if base <= 0 {
        return Err(InsuranceError::ZeroTotal { what: "DIP base cost" });
    }
    let c = i128::from(cost.get().max(0));
    let k = i128::from(coefficient.get());
    let mut t = Trace::new();
    let Some(g) = policy.group_of(main_dx, procedures) else {
        // cost / base × 100 points, in ten-thousandths: cost × 1 000 000 / base.
        let p = to_points(div_round(mul(mul(c, 1_000_000)?, k)?, mul(base, 10_000)?)?)?;
        t.push_owned(
            "payment.dip.unmatched",
            vec![("base_cost".into(), policy.base_cost.to_string()), ("points".into(), p.to_string())],
            cost,
            cost,
            "No DIP group fits: cost / base × 100 × K",
            "未入组病例：费用 / 基准费用 × 100 × 系数",
        );
        return Ok(DipScore {
            group: None,
            class: DipClass::Unmatched,
            points: p,
            trace: t,
        });
    };
    let mean = i128::from(g.mean_cost.get());
    if mean <= 0 {
        return Err(InsuranceError::ZeroTotal {
            what: "DIP group mean cost",
        });
    }
    // RV in ten-thousandths of a point: mean × 1 000 000 / base.
    let rv = mul(mean, 1_000_000)?;
    let (class, num, den) = if mul(c, 10_000)? >= mul(mean, i128::from(policy.high_ratio.get()))? {
        // (cost / mean − 1) × RV = (cost − mean) × RV / mean.
        (DipClass::High, mul(c - mean, rv)?, mul(mean, base)?)
    } else if mul(c, 10_000)? <= mul(mean, i128::from(policy.low_ratio.get()))? {
        (DipClass::Low, mul(c, rv)?, mul(mean, base)?)
    } else {
        (DipClass::Normal, rv, base)
    };
    let p = to_points(div_round(mul(num, k)?, mul(den, 10_000)?)?)?;
    t.push_owned(
        "payment.dip.score",
        vec![
            ("group".into(), g.code.clone()),
            ("mean_cost".into(), g.mean_cost.to_string()),
            ("base_cost".into(), policy.base_cost.to_string()),
            ("coefficient".into(), coefficient.to_string()),
            ("points".into(), p.to_string()),
        ],
        cost,
        cost,
        match class {
            DipClass::High => "High-cost case: (cost / mean − 1) × RV × K",
            DipClass::Low => "Low-cost case: cost / mean × RV × K",
            _ => "Group score RV = mean / base × 100, × K",
        },
        match class {
            DipClass::High => "高倍率病例：(费用 / 病种均费 − 1) × 分值 × 系数",
            DipClass::Low => "低倍率病例：费用 / 病种均费 × 分值 × 系数",
            _ => "病种分值 = 病种均费 / 基准费用 × 100，× 系数",
        },
    );
    Ok(DipScore {
        group: Some(g.code.clone()),
        class,
        points: p,
        trace: t,
    })
}

fn to_points(v: i128) -> Result<Points, InsuranceError> {
    i64::try_from(v)
        .map(Points::from_ten_thousandths)
        .map_err(|_| InsuranceError::Money(sanyi_domain::MoneyError::Overflow))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> DipPolicy {
        let g = |code: &str, dx: &str, p: Option<&str>, mean: i64| DipGroup {
            code: code.into(),
            diagnosis: dx.into(),
            procedure: p.map(str::to_owned),
            mean_cost: Fen::new(mean),
        };
        DipPolicy {
            base_cost: Fen::new(1_000_000),
            high_ratio: BasisPoints::new(20_000),
            low_ratio: BasisPoints::new(5_000),
            groups: vec![
                g("K35-S", "K35", Some("47.0"), 1_500_000),
                g("K35-C", "K35", None, 600_000),
                g("I63-C", "I63", None, 1_200_000),
                g("I63.9-C", "I63.9", None, 900_000),
            ],
        }
    }

    /// Source: docs/rules/payment-methods.md#dip, RV = mean / base × 100 and the deviation rules
    /// (cost ≥ 2 × mean: (cost/mean − 1) × RV; cost ≤ 50 %: cost/mean × RV).
    #[test]
    fn scores_follow_the_group_and_its_deviation_rules() {
        let p = policy();
        let k1 = BasisPoints::new(10_000);
        let appendectomy = ["47.0100".to_owned()];
        let pts = |cost: i64, k: BasisPoints| score(&p, "K35.800", &appendectomy, Fen::new(cost), k).unwrap();
        // RV 150; normal.
        assert_eq!(
            (pts(1_400_000, k1).class, pts(1_400_000, k1).points.ten_thousandths()),
            (DipClass::Normal, 1_500_000)
        );
        // 2 × mean = 30 000 yuan: (2 − 1) × 150 = 150; 45 000 yuan → (3 − 1) × 150 = 300.
        assert_eq!(
            (pts(3_000_000, k1).class, pts(3_000_000, k1).points.ten_thousandths()),
            (DipClass::High, 1_500_000)
        );
        assert_eq!(pts(4_500_000, k1).points.ten_thousandths(), 3_000_000);
        // 50 % of the mean: 0.5 × 150 = 75; with K 0.85 → 63.75.
        assert_eq!(
            (pts(750_000, k1).class, pts(750_000, k1).points.ten_thousandths()),
            (DipClass::Low, 750_000)
        );
        assert_eq!(pts(750_000, BasisPoints::new(8_500)).points.ten_thousandths(), 637_500);
        // No operation: the conservative group (RV 60).
        let s = score(&p, "K35.800", &[], Fen::new(600_000), k1).unwrap();
        assert_eq!((s.group.as_deref(), s.points.ten_thousandths()), (Some("K35-C"), 600_000));
        // The longest diagnosis wins: I63.9 (RV 90) over I63 (RV 120).
        assert_eq!(
            score(&p, "I63.900", &[], Fen::new(900_000), k1).unwrap().group.as_deref(),
            Some("I63.9-C")
        );
        // No group: cost / base × 100 = 20 000 / 10 000 × 100 = 200.
        let s = score(&p, "J18.000", &[], Fen::new(2_000_000), k1).unwrap();
        assert_eq!((s.class, s.points.ten_thousandths()), (DipClass::Unmatched, 2_000_000));
    }

    #[test]
    fn bad_parameters_are_named() {
        let mut p = policy();
        p.base_cost = Fen::ZERO;
        p.low_ratio = BasisPoints::new(12_000);
        p.groups.push(p.groups[0].clone());
        p.groups[1].mean_cost = Fen::ZERO;
        let paths: Vec<String> = p.validate().into_iter().map(|x| x.path).collect();
        assert!(
            paths.contains(&"base_cost".to_owned()) && paths.contains(&"low_ratio".to_owned()),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"groups[1].mean_cost".to_owned()) && paths.contains(&"groups[4]".to_owned()),
            "{paths:?}"
        );
    }
}

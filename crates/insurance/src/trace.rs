//! Computation traces (计算轨迹) and the engine error type.
//!
//! Every engine function returns a [`Trace`]: the ordered list of rules that fired, each with the
//! parameters it used, its base and its result in fen, explained in Chinese and English.

use sanyi_domain::{Fen, MoneyError};
use serde::{Deserialize, Serialize};

/// One named parameter used by a rule, rendered as text (`"7000 bp"`, `"300.00"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    /// Parameter path in the policy or input, e.g. `inpatient.deductible.county`.
    pub name: String,
    /// The value as text.
    pub value: String,
}

/// One step of a computation (计算步骤).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    /// Rule identifier, e.g. `settlement.deductible`.
    pub rule: String,
    /// Parameters used by the rule.
    pub params: Vec<Param>,
    /// The base the rule was applied to, in fen.
    pub base: Fen,
    /// The result, in fen.
    pub result: Fen,
    /// Explanation in English.
    pub message_en: String,
    /// Explanation in Chinese.
    pub message_zh: String,
}

/// An ordered list of computation steps (计算轨迹).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// Steps in the order they were applied.
    pub steps: Vec<TraceStep>,
}

impl Trace {
    /// An empty trace.
    #[must_use]
    pub fn new() -> Trace {
        Trace::default()
    }

    /// Appends a step.
    pub fn push(
        &mut self,
        rule: &str,
        params: &[(&str, String)],
        base: Fen,
        result: Fen,
        message_en: impl Into<String>,
        message_zh: impl Into<String>,
    ) {
        self.steps.push(TraceStep {
            rule: rule.to_owned(),
            params: params
                .iter()
                .map(|(n, v)| Param {
                    name: (*n).to_owned(),
                    value: v.clone(),
                })
                .collect(),
            base,
            result,
            message_en: message_en.into(),
            message_zh: message_zh.into(),
        });
    }

    /// Appends a step whose parameter names are owned strings.
    pub fn push_owned(
        &mut self,
        rule: &str,
        params: Vec<(String, String)>,
        base: Fen,
        result: Fen,
        message_en: impl Into<String>,
        message_zh: impl Into<String>,
    ) {
        self.steps.push(TraceStep {
            rule: rule.to_owned(),
            params: params.into_iter().map(|(name, value)| Param { name, value }).collect(),
            base,
            result,
            message_en: message_en.into(),
            message_zh: message_zh.into(),
        });
    }

    /// The first step with this rule identifier, if any.
    #[must_use]
    pub fn step(&self, rule: &str) -> Option<&TraceStep> {
        self.steps.iter().find(|s| s.rule == rule)
    }
}

/// Errors of the insurance engine (budget and payment computations).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsuranceError {
    /// Arithmetic on money left the range of [`Fen`].
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// An input value is outside its allowed range.
    #[error("invalid input `{field}`: {rule}")]
    InvalidInput {
        /// Path of the offending input.
        field: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A division by a zero total (no enrollees, no points, zero mean cost).
    #[error("zero total for `{what}`")]
    ZeroTotal {
        /// What was summed.
        what: &'static str,
    },
}

/// `num / den` on non-negative integers, rounded half up; overflow and zero checked.
pub(crate) fn div_round(num: i128, den: i128) -> Result<i128, InsuranceError> {
    if den == 0 {
        return Err(InsuranceError::ZeroTotal { what: "divisor" });
    }
    let q = num / den;
    let r = num % den;
    Ok(if r.abs() * 2 >= den.abs() {
        q + (num.signum() * den.signum())
    } else {
        q
    })
}

/// Converts an `i128` back to fen.
pub(crate) fn to_fen(v: i128) -> Result<Fen, InsuranceError> {
    i64::try_from(v)
        .map(Fen::new)
        .map_err(|_| InsuranceError::Money(MoneyError::Overflow))
}

/// Checked `i128` product.
pub(crate) fn mul(a: i128, b: i128) -> Result<i128, InsuranceError> {
    a.checked_mul(b).ok_or(InsuranceError::Money(MoneyError::Overflow))
}

/// Splits `total` (≥ 0) in proportion to `weights` so that the parts sum exactly to `total`:
/// each part gets the floor of its exact share, then the remaining fen go one by one to the
/// largest remainders (ties: lower index first) — the largest-remainder (Hamilton) method.
///
/// # Errors
/// [`InsuranceError::ZeroTotal`] when all weights are zero and `total` is not; overflow; a
/// negative total.
pub fn largest_remainder(total: Fen, weights: &[u128]) -> Result<Vec<Fen>, InsuranceError> {
    if total.get() < 0 {
        return Err(InsuranceError::InvalidInput {
            field: "total".into(),
            rule: "must be >= 0",
        });
    }
    let sum: u128 = weights
        .iter()
        .try_fold(0u128, |a, w| a.checked_add(*w))
        .ok_or(InsuranceError::Money(MoneyError::Overflow))?;
    if sum == 0 {
        if total.get() == 0 {
            return Ok(vec![Fen::ZERO; weights.len()]);
        }
        return Err(InsuranceError::ZeroTotal {
            what: "allocation weights",
        });
    }
    let t = u128::try_from(total.get()).unwrap_or(0);
    let mut parts = Vec::with_capacity(weights.len());
    let mut rems = Vec::with_capacity(weights.len());
    let mut given: u128 = 0;
    for (i, w) in weights.iter().enumerate() {
        let p = t.checked_mul(*w).ok_or(InsuranceError::Money(MoneyError::Overflow))?;
        parts.push(p / sum);
        rems.push((p % sum, i));
        given += p / sum;
    }
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = t - given;
    for (_, i) in rems.iter().take(usize::try_from(left).unwrap_or(usize::MAX)) {
        parts[*i] += 1;
    }
    parts.into_iter().map(|p| to_fen(i128::try_from(p).unwrap_or(i128::MAX))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn largest_remainder_splits_exactly() {
        // 10 fen by 1:1:1 → 4, 3, 3 (first index wins the tie).
        let p = largest_remainder(Fen::new(10), &[1, 1, 1]).unwrap();
        assert_eq!(p, vec![Fen::new(4), Fen::new(3), Fen::new(3)]);
        assert_eq!(largest_remainder(Fen::ZERO, &[0, 0]).unwrap(), vec![Fen::ZERO, Fen::ZERO]);
        assert!(largest_remainder(Fen::new(1), &[0]).is_err());
        assert_eq!(div_round(5, 2).unwrap(), 3);
        assert_eq!(div_round(-5, 2).unwrap(), -3);
    }

    proptest! {
        #[test]
        fn largest_remainder_sums(total in 0i64..1_000_000_000_000, ws in prop::collection::vec(0u128..1_000_000, 1..20)) {
            prop_assume!(ws.iter().any(|w| *w > 0));
            let parts = largest_remainder(Fen::new(total), &ws).unwrap();
            prop_assert_eq!(Fen::sum(parts.iter().copied()).unwrap(), Fen::new(total));
            prop_assert!(parts.iter().all(|p| p.get() >= 0));
        }
    }
}

//! Price cut (降价幅度), saving (节约金额) and retained saving (结余留用).
//!
//! Rules: docs/rules/procurement.md#price-cut-and-savings and
//! docs/rules/procurement.md#retained-saving.

use serde::{Deserialize, Serialize};

use sanyi_domain::{BasisPoints, Fen, MoneyError};

use crate::error::{ProcurementError, non_negative};
use crate::ratio::Rational;

/// Default completion gate of [`RetainedInput`]: 100 % of the agreed volume.
pub const DEFAULT_COMPLETION_GATE: BasisPoints = BasisPoints::new(10_000);

const OVERFLOW: ProcurementError = ProcurementError::Money(MoneyError::Overflow);

/// Volume-weighted average price cut (加权平均降价幅度) = 1 − Σ selected × units ÷ Σ baseline ×
/// units over `(baseline, selected, agreed_units)` lines, the weights being the agreed volumes.
/// `Ok(None)` when the baseline total is zero (no lines, or no agreed units). A selected price
/// above baseline makes the cut negative. See docs/rules/procurement.md#price-cut-and-savings.
///
/// # Errors
/// `input.negative` for a negative price or volume; overflow of the totals.
pub fn weighted_price_cut(lines: &[(Fen, Fen, i64)]) -> Result<Option<Rational>, ProcurementError> {
    let (mut base, mut sel) = (0i128, 0i128);
    for &(baseline, selected, units) in lines {
        non_negative("baseline", baseline.get())?;
        non_negative("selected", selected.get())?;
        non_negative("agreed_units", units)?;
        base = base.checked_add(i128::from(baseline.get()) * i128::from(units)).ok_or(OVERFLOW)?;
        sel = sel.checked_add(i128::from(selected.get()) * i128::from(units)).ok_or(OVERFLOW)?;
    }
    if base == 0 {
        return Ok(None);
    }
    // base > 0 and both totals are non-negative, so the difference cannot overflow.
    Rational::from_i128(base - sel, base).map(Some).ok_or(OVERFLOW)
}

/// Saving (节约金额) of one line = (baseline − selected) × units. A selected price at or above
/// baseline saves nothing: the saving is 0, never negative, so a dearer line cannot eat into the
/// savings of other lines. See docs/rules/procurement.md#price-cut-and-savings.
///
/// # Errors
/// `input.negative` for a negative price or volume; overflow.
pub fn saving(baseline: Fen, selected: Fen, units: i64) -> Result<Fen, ProcurementError> {
    non_negative("baseline", baseline.get())?;
    non_negative("selected", selected.get())?;
    non_negative("units", units)?;
    Ok(baseline.checked_sub(selected)?.max(Fen::ZERO).checked_mul(units)?)
}

/// One drug line of a retained-saving computation (结余留用明细).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetainedLine {
    /// Baseline unit price before procurement (基准价).
    pub baseline: Fen,
    /// Selected unit price (中选价).
    pub selected: Fen,
    /// Selected units purchased in the agreement year.
    pub purchased_units: i64,
    /// Agreed volume in units.
    pub agreed_units: i64,
}

/// Input of [`retained_saving`] (结余留用输入).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetainedInput {
    /// Drug lines.
    pub lines: Vec<RetainedLine>,
    /// ρ, share of the saving left to the hospital (留用比例), at most 100 %.
    pub share_bp: BasisPoints,
    /// Completion every line must reach; [`DEFAULT_COMPLETION_GATE`] (100 %) when omitted.
    #[serde(default = "default_gate")]
    pub completion_gate_bp: BasisPoints,
    /// Quality appraisal passed (质量考核合格).
    pub quality_ok: bool,
}

fn default_gate() -> BasisPoints {
    DEFAULT_COMPLETION_GATE
}

/// Why the retention gate failed (结余留用未达标原因).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GateReason {
    /// A line's completion is below the gate.
    CompletionBelowGate {
        /// Index of the line in the input (from 0).
        line: usize,
        /// Its completion (purchased ÷ agreed).
        completion: Rational,
        /// The gate.
        gate: BasisPoints,
    },
    /// The quality appraisal failed.
    QualityFailed,
}

impl GateReason {
    /// Stable machine-readable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            GateReason::CompletionBelowGate { .. } => "retained_saving.completion_below_gate",
            GateReason::QualityFailed => "retained_saving.quality_failed",
        }
    }

    /// Message in Chinese.
    #[must_use]
    pub fn message_zh(&self) -> String {
        match self {
            GateReason::CompletionBelowGate { line, completion, gate } => {
                format!("第{}行完成率 {completion} 低于留用门槛 {gate}", line.saturating_add(1))
            }
            GateReason::QualityFailed => "质量考核不合格".to_owned(),
        }
    }
}

/// Result of [`retained_saving`] (结余留用结果).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetainedSaving {
    /// Σ (baseline − selected)⁺ × min(purchased, agreed).
    pub saving_within_agreed: Fen,
    /// Every line reached the completion gate and quality passed.
    pub gate_passed: bool,
    /// Amount left to the hospital: saving × ρ rounded half up when the gate passes, else 0.
    pub retained: Fen,
    /// Why the gate failed (empty when it passed).
    pub reasons: Vec<GateReason>,
}

/// Retained saving (结余留用): the saving counts only units within the agreed volume; the gate
/// requires every line's completion ≥ gate (exact: purchased × 10 000 ≥ gate × agreed, so a line
/// with nothing agreed passes) and a passed quality appraisal.
/// See docs/rules/procurement.md#retained-saving.
///
/// # Errors
/// `input.negative` for a negative price or volume; `input.share_above_full` when ρ > 100 %;
/// overflow.
pub fn retained_saving(input: &RetainedInput) -> Result<RetainedSaving, ProcurementError> {
    if input.share_bp.get() > 10_000 {
        return Err(ProcurementError::ShareAboveFull {
            field: "share_bp",
            share: input.share_bp,
        });
    }
    let mut total = Fen::ZERO;
    let mut reasons = Vec::new();
    for (line, l) in input.lines.iter().enumerate() {
        non_negative("purchased_units", l.purchased_units)?;
        non_negative("agreed_units", l.agreed_units)?;
        let s = saving(l.baseline, l.selected, l.purchased_units.min(l.agreed_units))?;
        total = total.checked_add(s)?;
        let gate = input.completion_gate_bp;
        if i128::from(l.purchased_units) * 10_000 < i128::from(gate.get()) * i128::from(l.agreed_units) {
            let completion = Rational::new(l.purchased_units, l.agreed_units).ok_or(ProcurementError::NoAgreedVolume)?;
            reasons.push(GateReason::CompletionBelowGate { line, completion, gate });
        }
    }
    if !input.quality_ok {
        reasons.push(GateReason::QualityFailed);
    }
    let gate_passed = reasons.is_empty();
    let retained = if gate_passed { total.apply_bp(input.share_bp)? } else { Fen::ZERO };
    Ok(RetainedSaving {
        saving_within_agreed: total,
        gate_passed,
        retained,
        reasons,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(baseline: i64, selected: i64, purchased_units: i64, agreed_units: i64) -> RetainedLine {
        RetainedLine {
            baseline: Fen::new(baseline),
            selected: Fen::new(selected),
            purchased_units,
            agreed_units,
        }
    }

    fn input(lines: Vec<RetainedLine>, quality_ok: bool) -> RetainedInput {
        RetainedInput {
            lines,
            share_bp: BasisPoints::new(5_000),
            completion_gate_bp: DEFAULT_COMPLETION_GATE,
            quality_ok,
        }
    }

    #[test]
    fn price_cut_is_volume_weighted() {
        // 100 → 40 on 300 units, 50 → 45 on 100 units: 1 − (12 000 + 4 500) / (30 000 + 5 000) = 18 500 / 35 000.
        let lines = [(Fen::new(100), Fen::new(40), 300), (Fen::new(50), Fen::new(45), 100)];
        let cut = weighted_price_cut(&lines).unwrap().unwrap();
        assert_eq!(cut, Rational::new(37, 70).unwrap());
        assert_eq!(cut.to_bp(), Ok(5_286));
        assert_eq!(weighted_price_cut(&[]), Ok(None));
        assert_eq!(weighted_price_cut(&[(Fen::new(100), Fen::new(40), 0)]), Ok(None));
        assert_eq!(
            weighted_price_cut(&[(Fen::new(100), Fen::new(110), 1)]).unwrap().unwrap().to_bp(),
            Ok(-1_000)
        );
        assert_eq!(
            weighted_price_cut(&[(Fen::new(-1), Fen::new(1), 1)]).unwrap_err().code(),
            "input.negative"
        );
    }

    #[test]
    fn saving_never_negative() {
        assert_eq!(saving(Fen::new(100), Fen::new(40), 300), Ok(Fen::new(18_000)));
        assert_eq!(saving(Fen::new(100), Fen::new(140), 300), Ok(Fen::ZERO));
        assert_eq!(saving(Fen::new(i64::MAX), Fen::ZERO, 2).unwrap_err().code(), "money.overflow");
    }

    #[test]
    fn retained_counts_only_agreed_units_and_needs_the_gate() {
        // 1 200 purchased of 1 000 agreed: only 1 000 count; 0.60 saved each → 600.00 yuan, ρ 50 %.
        let ok = retained_saving(&input(vec![line(100, 40, 1_200, 1_000)], true)).unwrap();
        assert_eq!(ok.saving_within_agreed, Fen::new(60_000));
        assert!(ok.gate_passed && ok.reasons.is_empty());
        assert_eq!(ok.retained, Fen::new(30_000));

        let short = retained_saving(&input(vec![line(100, 40, 1_200, 1_000), line(100, 40, 999, 1_000)], false)).unwrap();
        assert_eq!(short.saving_within_agreed, Fen::new(60_000 + 59_940));
        assert!(!short.gate_passed);
        assert_eq!(short.retained, Fen::ZERO);
        let codes: Vec<_> = short.reasons.iter().map(GateReason::code).collect();
        assert_eq!(codes, ["retained_saving.completion_below_gate", "retained_saving.quality_failed"]);
        assert!(short.reasons[0].message_zh().contains("第2行"));

        // Exactly at a 90 % gate passes; odd fen round half up.
        let mut at_gate = input(vec![line(3, 2, 900, 1_000), line(5, 5, 0, 0)], true);
        at_gate.completion_gate_bp = BasisPoints::new(9_000);
        let r = retained_saving(&at_gate).unwrap();
        assert!(r.gate_passed);
        assert_eq!((r.saving_within_agreed, r.retained), (Fen::new(900), Fen::new(450)));
        at_gate.lines[0].purchased_units = 1;
        at_gate.lines[0].baseline = Fen::new(5);
        at_gate.completion_gate_bp = BasisPoints::new(1);
        assert_eq!(retained_saving(&at_gate).unwrap().retained, Fen::new(2)); // 3 × 50 % = 1.5 → 2

        let mut bad = input(vec![], true);
        bad.share_bp = BasisPoints::new(10_001);
        assert_eq!(retained_saving(&bad).unwrap_err().code(), "input.share_above_full");
    }

    #[test]
    fn gate_defaults_to_full_completion_in_json() {
        let j = r#"{"lines":[{"baseline":100,"selected":40,"purchased_units":10,"agreed_units":10}],"share_bp":5000,"quality_ok":true}"#;
        let i: RetainedInput = serde_json::from_str(j).unwrap();
        assert_eq!(i.completion_gate_bp, DEFAULT_COMPLETION_GATE);
        assert_eq!(retained_saving(&i).unwrap().retained, Fen::new(300));
    }

    proptest! {
        #[test]
        fn retained_is_bounded_by_share_of_saving(
            raw in prop::collection::vec((0i64..100_000, 0i64..100_000, 0i64..1_000_000, 0i64..1_000_000), 0..8),
            share in 0u32..=10_000, gate in 0u32..=12_000, quality_ok in any::<bool>(),
        ) {
            let lines = raw.into_iter().map(|(b, s, p, a)| line(b, s, p, a)).collect();
            let i = RetainedInput { lines, share_bp: BasisPoints::new(share), completion_gate_bp: BasisPoints::new(gate), quality_ok };
            let r = retained_saving(&i).unwrap();
            prop_assert!(r.retained >= Fen::ZERO && r.saving_within_agreed >= Fen::ZERO);
            // retained ≤ share × saving, up to the half-fen rounding.
            prop_assert!(i128::from(r.retained.get()) * 10_000 <= i128::from(share) * i128::from(r.saving_within_agreed.get()) + 5_000);
            prop_assert!(r.retained <= r.saving_within_agreed);
            prop_assert_eq!(r.gate_passed, r.reasons.is_empty());
            if !r.gate_passed { prop_assert_eq!(r.retained, Fen::ZERO); }
        }
    }
}

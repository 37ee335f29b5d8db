//! Completion (完成率), time progress, the behind-schedule alarm and the usage rate (使用率).
//!
//! Rules: docs/rules/procurement.md#completion and docs/rules/procurement.md#usage-rate.

use std::cmp::Ordering;

use chrono::NaiveDate;
use sanyi_domain::BasisPoints;

use crate::error::{ProcurementError, non_negative};
use crate::ratio::{Rational, cmp_frac};

/// Default alarm threshold of [`behind`]: completion below 80 % of time progress.
pub const DEFAULT_BEHIND_THRESHOLD: BasisPoints = BasisPoints::new(8_000);

/// Completion rate (完成率) = purchased selected units ÷ agreed units, exact; it may exceed 1.
/// See docs/rules/procurement.md#completion.
///
/// # Errors
/// `input.negative` for a negative count; `completion.no_agreed_volume` when nothing is agreed.
pub fn completion(purchased_selected_units: i64, agreed_units: i64) -> Result<Rational, ProcurementError> {
    non_negative("purchased_selected_units", purchased_selected_units)?;
    non_negative("agreed_units", agreed_units)?;
    Rational::new(purchased_selected_units, agreed_units).ok_or(ProcurementError::NoAgreedVolume)
}

/// Time progress (时间进度) of the agreement period `start..=end_inclusive` as of `today`: days
/// elapsed ÷ days in the period. Today counts as elapsed, so on the first day one day has passed
/// and on the last day the period is 100 % elapsed; before the start it is 0, after the end 1.
/// See docs/rules/procurement.md#completion.
///
/// # Errors
/// `period.invalid` when the period ends before it starts.
pub fn elapsed(start: NaiveDate, end_inclusive: NaiveDate, today: NaiveDate) -> Result<Rational, ProcurementError> {
    if end_inclusive < start {
        return Err(ProcurementError::InvalidPeriod { start, end: end_inclusive });
    }
    // NaiveDate spans well under i64 days: neither difference nor the + 1 can overflow.
    let total = (end_inclusive - start).num_days() + 1;
    let done = ((today - start).num_days() + 1).clamp(0, total);
    Rational::new(done, total).ok_or(ProcurementError::InvalidPeriod { start, end: end_inclusive })
}

/// Behind-schedule alarm (进度预警): `completion < threshold × elapsed`, compared exactly (no
/// rounding to basis points), so a completion of exactly 80 % of time progress is not behind.
/// Use [`DEFAULT_BEHIND_THRESHOLD`] for the usual 80 %. See docs/rules/procurement.md#completion.
#[must_use]
pub fn behind(completion: Rational, elapsed: Rational, threshold: BasisPoints) -> bool {
    // threshold × elapsed = (t × e.num) / (10 000 × e.den): both terms fit in an i128.
    let rhs_num = i128::from(threshold.get()) * i128::from(elapsed.num());
    let rhs_den = 10_000 * i128::from(elapsed.den());
    cmp_frac(completion.num().into(), completion.den().into(), rhs_num, rhs_den) == Ordering::Less
}

/// Usage rate (中选产品使用率) of a generic and form = selected ÷ (selected + non-selected) units;
/// `None` when both are zero. See docs/rules/procurement.md#usage-rate.
///
/// # Errors
/// `input.negative` for a negative count; overflow of the total.
pub fn usage_rate(selected_units: i64, non_selected_units: i64) -> Result<Option<Rational>, ProcurementError> {
    non_negative("selected_units", selected_units)?;
    non_negative("non_selected_units", non_selected_units)?;
    let total = selected_units
        .checked_add(non_selected_units)
        .ok_or(ProcurementError::Money(sanyi_domain::MoneyError::Overflow))?;
    Ok(Rational::new(selected_units, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn r(n: i64, den: i64) -> Rational {
        Rational::new(n, den).unwrap()
    }

    #[test]
    fn completion_is_exact() {
        let c = completion(600, 1_000).unwrap();
        assert_eq!((c.num(), c.den()), (600, 1_000));
        assert_eq!(c.to_bp(), Ok(6_000));
        assert_eq!(completion(2, 3).unwrap().to_bp(), Ok(6_667));
        assert_eq!(completion(1_200, 1_000).unwrap().to_bp(), Ok(12_000));
        assert_eq!(completion(5, 0), Err(ProcurementError::NoAgreedVolume));
        assert_eq!(completion(-5, 10).unwrap_err().code(), "input.negative");
    }

    #[test]
    fn elapsed_counts_today_and_clamps() {
        let (s, e) = (d(2025, 1, 1), d(2025, 12, 31));
        assert_eq!(elapsed(s, e, d(2024, 12, 31)), Ok(r(0, 365)));
        assert_eq!(elapsed(s, e, s), Ok(r(1, 365)));
        assert_eq!(elapsed(s, e, d(2025, 7, 2)), Ok(r(183, 365)));
        assert_eq!(elapsed(s, e, e), Ok(r(1, 1)));
        assert_eq!(elapsed(s, e, d(2030, 1, 1)), Ok(r(1, 1)));
        assert_eq!(elapsed(s, s, s), Ok(r(1, 1)));
        assert_eq!(elapsed(e, s, s).unwrap_err().code(), "period.invalid");
    }

    #[test]
    fn behind_compares_exactly() {
        let half = r(1, 2);
        // 80 % of 50 % elapsed is 40 %: exactly 40 % is not behind, one unit less is.
        assert!(!behind(r(400, 1_000), half, DEFAULT_BEHIND_THRESHOLD));
        assert!(behind(r(399, 1_000), half, DEFAULT_BEHIND_THRESHOLD));
        // 80 % × 1/3 = 26.666…%: 2 666/10 000 rounds to the same bp but is behind.
        let third = r(1, 3);
        assert!(behind(r(2_666, 10_000), third, DEFAULT_BEHIND_THRESHOLD));
        assert!(!behind(r(4, 15), third, DEFAULT_BEHIND_THRESHOLD));
        assert!(!behind(r(0, 10), r(0, 365), DEFAULT_BEHIND_THRESHOLD));
        assert!(!behind(r(i64::MAX, 1), r(i64::MAX, i64::MAX), BasisPoints::new(u32::MAX)));
        assert!(behind(r(1, i64::MAX), r(1, 1), BasisPoints::new(1)));
    }

    #[test]
    fn usage() {
        assert_eq!(usage_rate(0, 0), Ok(None));
        assert_eq!(usage_rate(750, 250).unwrap().unwrap().to_bp(), Ok(7_500));
        assert_eq!(usage_rate(0, 10), Ok(Some(r(0, 10))));
        assert_eq!(usage_rate(i64::MAX, 1).unwrap_err().code(), "money.overflow");
        assert_eq!(usage_rate(-1, 1).unwrap_err().code(), "input.negative");
    }

    proptest! {
        /// Where the cross-multiplication fits, `behind` agrees with it.
        #[test]
        fn behind_matches_cross_multiplication(cn in 0i64..1_000_000, cd in 1i64..1_000_000, en in 0i64..400, ed in 1i64..400, t in 0u32..=10_000) {
            let lhs = i128::from(cn) * 10_000 * i128::from(ed);
            let rhs = i128::from(t) * i128::from(en) * i128::from(cd);
            prop_assert_eq!(behind(r(cn, cd), r(en, ed), BasisPoints::new(t)), lhs < rhs);
        }
    }
}

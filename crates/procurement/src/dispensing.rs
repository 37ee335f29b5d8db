//! First-expiry-first-out dispensing (先到期先发, FEFO) across stock lots.
//!
//! Rule: docs/rules/procurement.md#dispensing.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Stock of one lot (批次库存).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotStock {
    /// Lot number (批号).
    pub lot_id: String,
    /// Expiry date (有效期至); the lot is usable through this day.
    pub expiry: NaiveDate,
    /// Units on hand.
    pub quantity: i64,
}

/// A refused dispensing (发药分配错误).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispenseError {
    /// The quantity asked for is below one unit.
    #[error("quantity to dispense must be at least 1, got {need}")]
    NeedNotPositive {
        /// The quantity asked for.
        need: i64,
    },
    /// The unexpired stock does not cover the need; nothing was allocated.
    #[error("shortage: {needed} needed, {available} available in unexpired lots")]
    Shortage {
        /// The quantity asked for.
        needed: i64,
        /// Units in unexpired lots.
        available: i64,
    },
}

impl DispenseError {
    /// Stable machine-readable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            DispenseError::NeedNotPositive { .. } => "dispensing.need_not_positive",
            DispenseError::Shortage { .. } => "dispensing.shortage",
        }
    }

    /// Message in Chinese.
    #[must_use]
    pub fn message_zh(&self) -> String {
        match self {
            DispenseError::NeedNotPositive { need } => format!("发药数量须至少为1，实际为 {need}"),
            DispenseError::Shortage { needed, available } => {
                format!("库存不足：需 {needed}，有效期内可用 {available}")
            }
        }
    }
}

/// Allocates `need` units over the lots, earliest expiry first (ties by lot number), using only
/// lots with `expiry >= today` and a positive quantity. Returns `(lot_id, units)` in allocation
/// order; all or nothing. See docs/rules/procurement.md#dispensing.
///
/// # Errors
/// [`DispenseError::NeedNotPositive`] for `need < 1`; [`DispenseError::Shortage`] when the
/// usable stock is short.
pub fn allocate(lots: &[LotStock], need: i64, today: NaiveDate) -> Result<Vec<(String, i64)>, DispenseError> {
    if need < 1 {
        return Err(DispenseError::NeedNotPositive { need });
    }
    let mut usable: Vec<&LotStock> = lots.iter().filter(|l| l.expiry >= today && l.quantity > 0).collect();
    usable.sort_by(|a, b| a.expiry.cmp(&b.expiry).then_with(|| a.lot_id.cmp(&b.lot_id)));
    let available: i128 = usable.iter().map(|l| i128::from(l.quantity)).sum();
    if available < i128::from(need) {
        return Err(DispenseError::Shortage {
            needed: need,
            available: i64::try_from(available).unwrap_or(i64::MAX),
        });
    }
    let mut left = need;
    let mut out = Vec::new();
    for lot in usable {
        if left == 0 {
            break;
        }
        let take = lot.quantity.min(left);
        out.push((lot.lot_id.clone(), take));
        left -= take;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn lot(id: &str, expiry: NaiveDate, quantity: i64) -> LotStock {
        LotStock {
            lot_id: id.into(),
            expiry,
            quantity,
        }
    }

    #[test]
    fn earliest_expiry_first_skipping_expired() {
        let today = d(2025, 6, 1);
        let lots = [
            lot("C", d(2026, 1, 1), 100),
            lot("X", d(2025, 5, 31), 500), // expired yesterday
            lot("B", d(2025, 9, 1), 30),
            lot("A", d(2025, 9, 1), 20),
            lot("T", d(2025, 6, 1), 10), // expires today: still usable
            lot("Z", d(2025, 7, 1), 0),
        ];
        let got = allocate(&lots, 65, today).unwrap();
        assert_eq!(got, [("T".into(), 10), ("A".into(), 20), ("B".into(), 30), ("C".into(), 5)]);
        assert_eq!(allocate(&lots, 10, today).unwrap(), [("T".to_owned(), 10)]);
    }

    #[test]
    fn shortage_allocates_nothing() {
        let today = d(2025, 6, 1);
        let lots = [lot("X", d(2025, 1, 1), 500), lot("A", d(2025, 9, 1), 20)];
        let e = allocate(&lots, 21, today).unwrap_err();
        assert_eq!(e, DispenseError::Shortage { needed: 21, available: 20 });
        assert_eq!(e.code(), "dispensing.shortage");
        assert!(e.message_zh().contains("20"));
        assert_eq!(allocate(&lots, 0, today).unwrap_err().code(), "dispensing.need_not_positive");
        assert_eq!(
            allocate(&[], 1, today).unwrap_err(),
            DispenseError::Shortage { needed: 1, available: 0 }
        );
        let big = [lot("A", today, i64::MAX), lot("B", today, i64::MAX)];
        assert_eq!(allocate(&big, i64::MAX, today).unwrap(), [("A".to_owned(), i64::MAX)]);
    }

    proptest! {
        #[test]
        fn allocations_are_valid(
            raw in prop::collection::vec((0u8..6, 0i64..40, -5i64..50), 0..10),
            need in 1i64..200,
        ) {
            let today = d(2025, 6, 1);
            let lots: Vec<LotStock> = raw.iter().enumerate()
                .map(|(i, (id, days, q))| lot(&format!("L{id}-{i}"), today + chrono::TimeDelta::days(days - 20), *q))
                .collect();
            let usable: i64 = lots.iter().filter(|l| l.expiry >= today && l.quantity > 0).map(|l| l.quantity).sum();
            match allocate(&lots, need, today) {
                Ok(a) => {
                    prop_assert_eq!(a.iter().map(|x| x.1).sum::<i64>(), need);
                    for (id, q) in &a {
                        let l = lots.iter().find(|l| &l.lot_id == id).unwrap();
                        prop_assert!(*q > 0 && *q <= l.quantity);
                        prop_assert!(l.expiry >= today);
                    }
                    let expiries: Vec<_> = a.iter().map(|(id, _)| lots.iter().find(|l| &l.lot_id == id).unwrap().expiry).collect();
                    prop_assert!(expiries.windows(2).all(|w| w[0] <= w[1]));
                }
                Err(e) => prop_assert_eq!(e, DispenseError::Shortage { needed: need, available: usable }),
            }
        }
    }
}

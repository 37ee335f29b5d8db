//! Insurance prepayment (医保预付) for procured drugs and its offset against later settlements.
//!
//! Rule: docs/rules/procurement.md#prepayment.

use serde::{Deserialize, Serialize};

use sanyi_domain::{BasisPoints, Fen};

use crate::error::{ProcurementError, non_negative};

/// Prepayment (医保预付款) credited at contract start: `max(agreed × share, minimum)` with the
/// share rounded up to the fen (the rule says *at least* the share, so a fraction of a fen never
/// takes it below), but never more than the agreed amount.
/// See docs/rules/procurement.md#prepayment.
///
/// # Errors
/// `input.negative` for a negative amount; `input.share_above_full` for a share above 100 %.
pub fn prepayment(agreed_amount: Fen, share_bp: BasisPoints, minimum: Fen) -> Result<Fen, ProcurementError> {
    non_negative("agreed_amount", agreed_amount.get())?;
    non_negative("minimum", minimum.get())?;
    if share_bp.get() > 10_000 {
        return Err(ProcurementError::ShareAboveFull {
            field: "share_bp",
            share: share_bp,
        });
    }
    let product = i128::from(agreed_amount.get()) * i128::from(share_bp.get());
    let share = Fen::new(i64::try_from((product + 9_999) / 10_000).map_err(|_| sanyi_domain::MoneyError::Overflow)?);
    Ok(share.max(minimum).min(agreed_amount))
}

/// One settlement after offset against the prepayment (预付款冲抵明细).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetLine {
    /// Amount the fund owes for the settlement period.
    pub settled: Fen,
    /// Part taken from the remaining prepayment.
    pub offset: Fen,
    /// Part paid out in cash: `settled − offset`.
    pub paid_out: Fen,
}

/// Settlements offset against a prepayment (预付款冲抵): Σ offset + remaining = prepaid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepaymentOffsets {
    /// One line per settlement, in order.
    pub lines: Vec<OffsetLine>,
    /// Prepayment not yet offset.
    pub remaining: Fen,
}

/// Offsets each settlement, in order, first against the remaining prepayment; what the
/// prepayment does not cover is paid out. See docs/rules/procurement.md#prepayment.
///
/// # Errors
/// `input.negative` for a negative prepayment or settlement.
pub fn offset(prepaid: Fen, settlements: &[Fen]) -> Result<PrepaymentOffsets, ProcurementError> {
    non_negative("prepaid", prepaid.get())?;
    let mut remaining = prepaid;
    let mut lines = Vec::with_capacity(settlements.len());
    for &settled in settlements {
        non_negative("settlement", settled.get())?;
        let off = settled.min(remaining);
        // 0 ≤ off ≤ settled and off ≤ remaining: neither subtraction can overflow.
        remaining = remaining.checked_sub(off)?;
        lines.push(OffsetLine {
            settled,
            offset: off,
            paid_out: settled.checked_sub(off)?,
        });
    }
    Ok(PrepaymentOffsets { lines, remaining })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const P30: BasisPoints = BasisPoints::new(3_000);

    #[test]
    fn prepayment_share_minimum_and_cap() {
        // 30 % of 1 000 000.00 yuan.
        assert_eq!(prepayment(Fen::new(100_000_000), P30, Fen::ZERO), Ok(Fen::new(30_000_000)));
        // 30 % of 0.05 yuan = 1.5 fen → 2.
        assert_eq!(prepayment(Fen::new(5), P30, Fen::ZERO), Ok(Fen::new(2)));
        assert_eq!(prepayment(Fen::new(100_000), P30, Fen::new(50_000)), Ok(Fen::new(50_000)));
        assert_eq!(prepayment(Fen::new(100_000), P30, Fen::new(500_000)), Ok(Fen::new(100_000)));
        assert_eq!(prepayment(Fen::new(-1), P30, Fen::ZERO).unwrap_err().code(), "input.negative");
        assert_eq!(
            prepayment(Fen::new(1), BasisPoints::new(10_001), Fen::ZERO).unwrap_err().code(),
            "input.share_above_full"
        );
    }

    #[test]
    fn offsets_consume_the_prepayment_in_order() {
        let o = offset(Fen::new(1_000), &[Fen::new(400), Fen::new(500), Fen::new(300), Fen::new(200)]).unwrap();
        let parts: Vec<_> = o.lines.iter().map(|l| (l.offset.get(), l.paid_out.get())).collect();
        assert_eq!(parts, [(400, 0), (500, 0), (100, 200), (0, 200)]);
        assert_eq!(o.remaining, Fen::ZERO);
        let o = offset(Fen::new(1_000), &[Fen::new(100)]).unwrap();
        assert_eq!(o.remaining, Fen::new(900));
        assert_eq!(offset(Fen::new(1_000), &[]).unwrap().remaining, Fen::new(1_000));
        assert_eq!(offset(Fen::new(1_000), &[Fen::new(-1)]).unwrap_err().code(), "input.negative");
    }

    proptest! {
        #[test]
        fn offsets_keep_the_books_balanced(prepaid in 0i64..i64::MAX, settled in prop::collection::vec(0i64..i64::MAX, 0..12)) {
            let s: Vec<Fen> = settled.into_iter().map(Fen::new).collect();
            let o = offset(Fen::new(prepaid), &s).unwrap();
            let mut offs = i128::from(o.remaining.get());
            for (l, x) in o.lines.iter().zip(&s) {
                prop_assert_eq!(l.settled, *x);
                prop_assert!(l.offset >= Fen::ZERO && l.paid_out >= Fen::ZERO);
                prop_assert_eq!(i128::from(l.offset.get()) + i128::from(l.paid_out.get()), i128::from(x.get()));
                offs += i128::from(l.offset.get());
            }
            prop_assert_eq!(offs, i128::from(prepaid));
            prop_assert!(o.remaining >= Fen::ZERO);
        }

        #[test]
        fn prepayment_is_within_bounds(agreed in 0i64..i64::MAX, share in 0u32..=10_000, min in 0i64..i64::MAX) {
            let p = prepayment(Fen::new(agreed), BasisPoints::new(share), Fen::new(min)).unwrap();
            prop_assert!(p <= Fen::new(agreed));
            prop_assert!(p >= Fen::new(min).min(Fen::new(agreed)));
            // Never below the share of the agreed amount.
            prop_assert!(i128::from(p.get()) * 10_000 >= i128::from(agreed) * i128::from(share));
        }
    }
}

//! Exact ratios (精确比率).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::error::{ProcurementError, div_round, to_i64};

/// An exact ratio (比率) `num / den` with `den > 0`, kept as given (not reduced), so a completion
/// still reads "600 of 1 000 units". Equality and order compare values exactly (600/1000 == 3/5).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(try_from = "RawRational")]
pub struct Rational {
    num: i64,
    den: i64,
}

#[derive(Deserialize)]
struct RawRational {
    num: i64,
    den: i64,
}

impl TryFrom<RawRational> for Rational {
    type Error = String;
    fn try_from(r: RawRational) -> Result<Self, String> {
        Rational::new(r.num, r.den).ok_or_else(|| "rational with a zero denominator".to_owned())
    }
}

impl Rational {
    /// `num / den`; `None` when `den` is zero. A negative denominator moves its sign to the
    /// numerator; when that does not fit (`i64::MIN`), the ratio is reduced first.
    #[must_use]
    pub fn new(num: i64, den: i64) -> Option<Rational> {
        Rational::from_i128(i128::from(num), i128::from(den))
    }

    /// From `i128` terms, reduced only when they do not fit in `i64`.
    pub(crate) fn from_i128(num: i128, den: i128) -> Option<Rational> {
        if den == 0 {
            return None;
        }
        let (mut n, mut d) = if den < 0 {
            (num.checked_neg()?, den.checked_neg()?)
        } else {
            (num, den)
        };
        if i64::try_from(n).is_err() || i64::try_from(d).is_err() {
            let g = gcd(n.unsigned_abs(), d.unsigned_abs());
            let g = i128::try_from(g).ok()?;
            n /= g;
            d /= g;
        }
        Some(Rational {
            num: i64::try_from(n).ok()?,
            den: i64::try_from(d).ok()?,
        })
    }

    /// Numerator.
    #[must_use]
    pub fn num(self) -> i64 {
        self.num
    }

    /// Denominator, always positive.
    #[must_use]
    pub fn den(self) -> i64 {
        self.den
    }

    /// The ratio in basis points (10 000 = 100 %), rounded half away from zero (half up for
    /// the non-negative ratios of this crate).
    ///
    /// # Errors
    /// [`ProcurementError::Money`] when the result does not fit in an `i64`.
    pub fn to_bp(self) -> Result<i64, ProcurementError> {
        to_i64(div_round(i128::from(self.num) * 10_000, i128::from(self.den)))
    }
}

impl PartialEq for Rational {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Rational {}

impl PartialOrd for Rational {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rational {
    fn cmp(&self, other: &Self) -> Ordering {
        // Both denominators are positive and the products fit in an i128.
        (i128::from(self.num) * i128::from(other.den)).cmp(&(i128::from(other.num) * i128::from(self.den)))
    }
}

impl std::fmt::Display for Rational {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// Exact comparison of `a / b` with `c / d` for `b, d > 0`, by continued fractions: no product
/// is ever formed, so no overflow is possible.
pub(crate) fn cmp_frac(mut a: i128, mut b: i128, mut c: i128, mut d: i128) -> Ordering {
    let mut flipped = false;
    loop {
        let (qa, ra) = (a.div_euclid(b), a.rem_euclid(b));
        let (qc, rc) = (c.div_euclid(d), c.rem_euclid(d));
        let o = match (qa.cmp(&qc), ra == 0, rc == 0) {
            (Ordering::Equal, true, true) => Ordering::Equal,
            (Ordering::Equal, true, false) => Ordering::Less,
            (Ordering::Equal, false, true) => Ordering::Greater,
            (Ordering::Equal, false, false) => {
                // ra/b vs rc/d with 0 < ra < b, 0 < rc < d: compare the inverses b/ra vs d/rc, reversed.
                (a, b, c, d) = (b, ra, d, rc);
                flipped = !flipped;
                continue;
            }
            (o, _, _) => o,
        };
        return if flipped { o.reverse() } else { o };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn value_equality_and_bp() {
        let r = Rational::new(600, 1_000).unwrap();
        assert_eq!(r, Rational::new(3, 5).unwrap());
        assert_eq!((r.num(), r.den()), (600, 1_000));
        assert_eq!(r.to_bp().unwrap(), 6_000);
        assert_eq!(Rational::new(1, 3).unwrap().to_bp().unwrap(), 3_333);
        assert_eq!(Rational::new(2, 3).unwrap().to_bp().unwrap(), 6_667);
        assert_eq!(Rational::new(1, 20_000).unwrap().to_bp().unwrap(), 1);
        assert_eq!(Rational::new(1, -4).unwrap(), Rational::new(-1, 4).unwrap());
        assert_eq!(Rational::new(1, i64::MIN), None);
        assert_eq!(Rational::new(2, i64::MIN).unwrap(), Rational::new(-1, 1 << 62).unwrap());
        assert_eq!(Rational::new(1, 0), None);
        assert!(Rational::new(i64::MAX, 1).unwrap().to_bp().is_err());
    }

    #[test]
    fn serde_refuses_zero_denominator() {
        let r: Rational = serde_json::from_str(r#"{"num":3,"den":4}"#).unwrap();
        assert_eq!(r, Rational::new(3, 4).unwrap());
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"num":3,"den":4}"#);
        assert!(serde_json::from_str::<Rational>(r#"{"num":3,"den":0}"#).is_err());
    }

    proptest! {
        #[test]
        fn cmp_frac_is_exact(a in any::<i64>(), b in 1i64..=i64::MAX, c in any::<i64>(), d in 1i64..=i64::MAX) {
            let expected = (i128::from(a) * i128::from(d)).cmp(&(i128::from(c) * i128::from(b)));
            prop_assert_eq!(cmp_frac(a.into(), b.into(), c.into(), d.into()), expected);
        }
    }
}

//! Money in fen (分) and ratios in basis points (基点).

use serde::{Deserialize, Serialize};

use crate::InvalidValue;

/// Money in fen (分): 100 fen = 1 yuan. Serialised as integer fen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(i64);

/// Arithmetic overflow on money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The result does not fit in i64 fen.
    #[error("money overflow")]
    Overflow,
}

impl Fen {
    /// Zero.
    pub const ZERO: Fen = Fen(0);

    /// From fen.
    pub const fn new(fen: i64) -> Fen {
        Fen(fen)
    }

    /// The amount in fen.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// From whole yuan.
    ///
    /// # Errors
    /// `Overflow` when out of range.
    pub fn from_yuan(yuan: i64) -> Result<Fen, MoneyError> {
        yuan.checked_mul(100).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// Parses a yuan amount with at most two decimals: `12.3`, `-0.05`, `1234`.
    ///
    /// # Errors
    /// Rule `money.yuan` on anything else.
    ///
    /// # Example
    /// ```
    /// assert_eq!(sanyi_domain::Fen::parse_yuan("12.3").unwrap().get(), 1230);
    /// ```
    pub fn parse_yuan(s: &str) -> Result<Fen, InvalidValue> {
        let bad = || {
            InvalidValue::new(
                "money.yuan",
                "a yuan amount with at most 2 decimals, e.g. 12.50",
                format!("Not a yuan amount: {s:?}"),
                format!("金额格式不正确：{s:?}"),
            )
        };
        let t = s.trim();
        let (neg, body) = match t.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, t),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (body.contains('.') && frac.is_empty())
        {
            return Err(bad());
        }
        let int: i64 = int.parse().map_err(|_| bad())?;
        let frac: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}").parse().map_err(|_| bad())?
        };
        let v = int.checked_mul(100).and_then(|v| v.checked_add(frac)).ok_or_else(bad)?;
        Ok(Fen(if neg { -v } else { v }))
    }

    /// Checked addition.
    ///
    /// # Errors
    /// `Overflow`.
    pub fn checked_add(self, o: Fen) -> Result<Fen, MoneyError> {
        self.0.checked_add(o.0).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// Checked subtraction.
    ///
    /// # Errors
    /// `Overflow`.
    pub fn checked_sub(self, o: Fen) -> Result<Fen, MoneyError> {
        self.0.checked_sub(o.0).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// Checked multiplication by a count.
    ///
    /// # Errors
    /// `Overflow`.
    pub fn checked_mul(self, n: i64) -> Result<Fen, MoneyError> {
        self.0.checked_mul(n).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// `self × bp / 10 000`, rounded half away from zero.
    ///
    /// # Errors
    /// `Overflow`.
    pub fn apply_bp(self, bp: BasisPoints) -> Result<Fen, MoneyError> {
        let p = i128::from(self.0) * i128::from(bp.0);
        let q = p / 10_000;
        let r = p % 10_000;
        let rounded = if r.abs() * 2 >= 10_000 { q + p.signum() } else { q };
        i64::try_from(rounded).map(Fen).map_err(|_| MoneyError::Overflow)
    }

    /// Checked sum.
    ///
    /// # Errors
    /// `Overflow`.
    pub fn sum<I: IntoIterator<Item = Fen>>(it: I) -> Result<Fen, MoneyError> {
        it.into_iter().try_fold(Fen::ZERO, Fen::checked_add)
    }

    /// Yuan with two decimals: `1234.56`, `-0.05`.
    pub fn to_yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", a / 100, a % 100)
    }
}

impl std::fmt::Display for Fen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_yuan_string())
    }
}

/// A ratio in basis points (基点): 10 000 = 100 %.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BasisPoints(u32);

impl BasisPoints {
    /// From basis points.
    pub const fn new(bp: u32) -> BasisPoints {
        BasisPoints(bp)
    }

    /// The value in basis points.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Parses a percentage with at most two decimals: `70`, `72.5`, `0.01`.
    ///
    /// # Errors
    /// Rule `ratio.percent`.
    pub fn parse_percent(s: &str) -> Result<BasisPoints, InvalidValue> {
        let f = Fen::parse_yuan(s).map_err(|_| {
            InvalidValue::new(
                "ratio.percent",
                "a percentage with at most 2 decimals, e.g. 72.5",
                format!("Not a percentage: {s:?}"),
                format!("百分比格式不正确：{s:?}"),
            )
        })?;
        u32::try_from(f.get()).map(BasisPoints).map_err(|_| {
            InvalidValue::new(
                "ratio.percent",
                "a non-negative percentage",
                format!("Negative percentage: {s:?}"),
                "百分比不能为负",
            )
        })
    }
}

impl std::fmt::Display for BasisPoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}%", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn yuan_parsing() {
        assert_eq!(Fen::parse_yuan("0.05").unwrap(), Fen(5));
        assert_eq!(Fen::parse_yuan("-12.3").unwrap(), Fen(-1230));
        for bad in ["", "1.234", "abc", "1.", ".5", "1,000", "--1"] {
            assert_eq!(Fen::parse_yuan(bad).unwrap_err().rule, "money.yuan", "{bad}");
        }
        assert_eq!(Fen(-5).to_string(), "-0.05");
        assert_eq!(BasisPoints::parse_percent("72.5").unwrap(), BasisPoints(7250));
    }

    #[test]
    fn rounding_half_away_from_zero() {
        assert_eq!(Fen(5).apply_bp(BasisPoints(5000)).unwrap(), Fen(3));
        assert_eq!(Fen(-5).apply_bp(BasisPoints(5000)).unwrap(), Fen(-3));
        assert_eq!(Fen(4).apply_bp(BasisPoints(5000)).unwrap(), Fen(2));
    }

    proptest! {
        #[test]
        fn yuan_round_trip(x in any::<i64>()) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(x).to_yuan_string()).unwrap(), Fen(x));
        }

        #[test]
        fn checked_ops_never_panic(a in any::<i64>(), b in any::<i64>()) {
            let _ = Fen(a).checked_add(Fen(b));
            let _ = Fen(a).checked_sub(Fen(b));
            let _ = Fen(a).checked_mul(b);
            prop_assert_eq!(Fen(a).checked_add(Fen(b)).ok(), a.checked_add(b).map(Fen));
        }

        #[test]
        fn apply_bp_is_within_one_fen_of_exact(a in -1_000_000_000_000i64..1_000_000_000_000, bp in 0u32..=20_000) {
            let r = Fen(a).apply_bp(BasisPoints(bp)).unwrap().get();
            let exact = i128::from(a) * i128::from(bp);
            prop_assert!((i128::from(r) * 10_000 - exact).abs() <= 5_000);
            prop_assert_eq!(Fen(a).apply_bp(BasisPoints(10_000)).unwrap(), Fen(a));
        }
    }
}

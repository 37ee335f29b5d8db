//! Money in fen (分) and ratios in basis points (基点).
//!
//! All amounts are integer fen in an `i64` (±92 233 720 368 547 758.07 yuan). Every operation
//! that can leave that range is checked and returns [`MoneyError::Overflow`]; ratios are applied
//! with an `i128` intermediate and rounded half away from zero, the usual rule of Chinese
//! settlement (四舍五入). There is no floating point anywhere in this module.

use serde::{Deserialize, Serialize};

use crate::{InvalidValue, shown};

/// Money in fen (分): 100 fen = 1 yuan (元). Serialised as an integer number of fen.
///
/// # Example
/// ```
/// use sanyi_domain::Fen;
/// let a = Fen::parse_yuan("12.30")?;
/// let b = Fen::from_yuan(5)?;
/// assert_eq!(a.checked_add(b)?.to_string(), "17.30");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(i64);

/// Arithmetic on money left the range of [`Fen`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The result does not fit in an `i64` number of fen.
    #[error("money amount out of range")]
    Overflow,
    /// An amount was divided by zero.
    #[error("money amount divided by zero")]
    DivisionByZero,
}

/// Parses `[-]digits[.d[d]]` into hundredths; `None` on any other shape or beyond `i128`.
fn parse_hundredths(s: &str) -> Option<i128> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) if !f.is_empty() => (i, f),
        Some(_) => return None,
        None => (body, ""),
    };
    if int.is_empty() || frac.len() > 2 || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: i128 = 0;
    for b in int.bytes() {
        v = v.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    let mut f: i128 = 0;
    for (k, b) in frac.bytes().enumerate() {
        f += i128::from(b - b'0') * if k == 0 { 10 } else { 1 };
    }
    let v = v.checked_mul(100)?.checked_add(f)?;
    Some(if neg { -v } else { v })
}

impl Fen {
    /// Zero fen.
    pub const ZERO: Fen = Fen(0);

    /// From a number of fen.
    pub const fn new(fen: i64) -> Fen {
        Fen(fen)
    }

    /// The amount in fen.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// From whole yuan (× 100).
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] beyond ±92 233 720 368 547 758 yuan.
    ///
    /// # Example
    /// ```
    /// assert_eq!(sanyi_domain::Fen::from_yuan(12).unwrap().get(), 1200);
    /// assert!(sanyi_domain::Fen::from_yuan(i64::MAX).is_err());
    /// ```
    pub fn from_yuan(yuan: i64) -> Result<Fen, MoneyError> {
        yuan.checked_mul(100).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// Parses a yuan amount with at most two decimals: `12.3`, `-0.05`, `1234`. Surrounding
    /// whitespace is ignored; thousands separators, `+`, `¥` and exponents are not accepted.
    ///
    /// # Errors
    /// Rule `money.yuan` for any other shape, or an amount outside the range of [`Fen`].
    ///
    /// # Example
    /// ```
    /// use sanyi_domain::Fen;
    /// assert_eq!(Fen::parse_yuan("12.3")?.get(), 1230);
    /// assert_eq!(Fen::parse_yuan("-0.05")?.get(), -5);
    /// assert_eq!(Fen::parse_yuan("1.234").unwrap_err().rule, "money.yuan");
    /// # Ok::<(), sanyi_domain::InvalidValue>(())
    /// ```
    pub fn parse_yuan(s: &str) -> Result<Fen, InvalidValue> {
        const EXPECTED: &str = "a yuan amount with at most 2 decimals, e.g. 12.50";
        let t = s.trim();
        let Some(v) = parse_hundredths(t) else {
            return Err(InvalidValue::new(
                "money.yuan",
                EXPECTED,
                format!("{} is not a yuan amount with at most 2 decimals", shown(t)),
                format!("{} 不是最多两位小数的金额（元）", shown(t)),
            ));
        };
        i64::try_from(v)
            .map(Fen)
            .map_err(|_| InvalidValue::new("money.yuan", EXPECTED, "The amount is too large", "金额超出范围"))
    }

    /// Checked addition.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] when the sum leaves the range of [`Fen`].
    pub fn checked_add(self, o: Fen) -> Result<Fen, MoneyError> {
        self.0.checked_add(o.0).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// Checked subtraction.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] when the difference leaves the range of [`Fen`].
    pub fn checked_sub(self, o: Fen) -> Result<Fen, MoneyError> {
        self.0.checked_sub(o.0).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// Checked multiplication by a count (quantity × unit price).
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] when the product leaves the range of [`Fen`].
    pub fn checked_mul(self, n: i64) -> Result<Fen, MoneyError> {
        self.0.checked_mul(n).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// Checked division by a count, truncated toward zero like `i64` division (the fen of the
    /// remainder are dropped): a daily standard from a stay's total, for instance.
    ///
    /// # Errors
    /// [`MoneyError::DivisionByZero`] for `n == 0`; [`MoneyError::Overflow`] for
    /// `i64::MIN / -1`.
    ///
    /// # Example
    /// ```
    /// use sanyi_domain::{Fen, MoneyError};
    /// assert_eq!(Fen::new(1_000).checked_div(3)?, Fen::new(333));
    /// assert_eq!(Fen::new(-1_000).checked_div(3)?, Fen::new(-333));
    /// assert_eq!(Fen::new(1).checked_div(0), Err(MoneyError::DivisionByZero));
    /// # Ok::<(), MoneyError>(())
    /// ```
    pub fn checked_div(self, n: i64) -> Result<Fen, MoneyError> {
        if n == 0 {
            return Err(MoneyError::DivisionByZero);
        }
        self.0.checked_div(n).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// `self × num / den` with an `i128` intermediate (so only the result can overflow),
    /// truncated toward zero like `i64` division: a time-proportional budget B × month / 12, a
    /// mean cost × weight / 10 000.
    ///
    /// # Errors
    /// [`MoneyError::DivisionByZero`] for `den == 0`; [`MoneyError::Overflow`] when the result
    /// leaves the range of [`Fen`].
    ///
    /// # Example
    /// ```
    /// use sanyi_domain::Fen;
    /// assert_eq!(Fen::new(1_000).checked_mul_div(5, 12)?, Fen::new(416));
    /// assert_eq!(Fen::new(i64::MAX).checked_mul_div(12, 12)?, Fen::new(i64::MAX));
    /// assert!(Fen::new(i64::MAX).checked_mul_div(13, 12).is_err());
    /// # Ok::<(), sanyi_domain::MoneyError>(())
    /// ```
    pub fn checked_mul_div(self, num: i64, den: i64) -> Result<Fen, MoneyError> {
        if den == 0 {
            return Err(MoneyError::DivisionByZero);
        }
        // |i64| × |i64| < 2^126 and den ≠ 0, so neither step can overflow an i128.
        let v = i128::from(self.0) * i128::from(num) / i128::from(den);
        i64::try_from(v).map(Fen).map_err(|_| MoneyError::Overflow)
    }

    /// `self × bp / 10 000`, rounded half away from zero (an `i128` intermediate, so only the
    /// result can overflow).
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] when the result leaves the range of [`Fen`] (possible only for
    /// ratios above 100 %).
    ///
    /// # Example
    /// ```
    /// use sanyi_domain::{BasisPoints, Fen};
    /// // 70 % of 0.05 yuan is 3.5 fen, rounded to 4; of -0.05 yuan, -4.
    /// assert_eq!(Fen::new(5).apply_bp(BasisPoints::new(7_000))?, Fen::new(4));
    /// assert_eq!(Fen::new(-5).apply_bp(BasisPoints::new(7_000))?, Fen::new(-4));
    /// # Ok::<(), sanyi_domain::MoneyError>(())
    /// ```
    pub fn apply_bp(self, bp: BasisPoints) -> Result<Fen, MoneyError> {
        let p = i128::from(self.0) * i128::from(bp.0);
        let q = p / 10_000;
        let r = p % 10_000;
        let rounded = if r.abs() * 2 >= 10_000 { q + p.signum() } else { q };
        i64::try_from(rounded).map(Fen).map_err(|_| MoneyError::Overflow)
    }

    /// Checked sum of many amounts; the empty sum is [`Fen::ZERO`].
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] when a partial sum leaves the range of [`Fen`].
    ///
    /// # Example
    /// ```
    /// use sanyi_domain::Fen;
    /// assert_eq!(Fen::sum([Fen::new(1), Fen::new(2)])?, Fen::new(3));
    /// assert!(Fen::sum([Fen::new(i64::MAX), Fen::new(1)]).is_err());
    /// # Ok::<(), sanyi_domain::MoneyError>(())
    /// ```
    pub fn sum<I: IntoIterator<Item = Fen>>(it: I) -> Result<Fen, MoneyError> {
        it.into_iter().try_fold(Fen::ZERO, Fen::checked_add)
    }

    /// Yuan with exactly two decimals: `1234.56`, `-0.05`, `0.00`. No thousands separators and
    /// no currency sign; [`Fen::parse_yuan`] reads it back.
    pub fn to_yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", a / 100, a % 100)
    }
}

impl std::fmt::Display for Fen {
    /// Same as [`Fen::to_yuan_string`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_yuan_string())
    }
}

/// A ratio in basis points (基点): 10 000 = 100 %, 1 = 0.01 %. Serialised as an integer.
///
/// # Example
/// ```
/// use sanyi_domain::BasisPoints;
/// let r = BasisPoints::parse_percent("72.5")?;
/// assert_eq!(r.get(), 7_250);
/// assert_eq!(r.to_string(), "72.50%");
/// # Ok::<(), sanyi_domain::InvalidValue>(())
/// ```
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

    /// Parses a non-negative percentage with at most two decimals: `70`, `72.5`, `0.01`.
    /// Surrounding whitespace and one trailing `%` are ignored.
    ///
    /// # Errors
    /// Rule `ratio.percent` for any other shape, a negative value, or more than
    /// 42 949 672.95 %.
    pub fn parse_percent(s: &str) -> Result<BasisPoints, InvalidValue> {
        let t = s.trim();
        let body = t.strip_suffix('%').unwrap_or(t).trim_end();
        match parse_hundredths(body).map(u32::try_from) {
            Some(Ok(v)) => Ok(BasisPoints(v)),
            Some(Err(_)) => Err(InvalidValue::new(
                "ratio.percent",
                "a percentage from 0 to 42949672.95",
                format!("{} is negative or too large for a percentage", shown(t)),
                format!("{} 为负数或超出百分比范围", shown(t)),
            )),
            None => Err(InvalidValue::new(
                "ratio.percent",
                "a percentage with at most 2 decimals, e.g. 72.5",
                format!("{} is not a percentage with at most 2 decimals", shown(t)),
                format!("{} 不是最多两位小数的百分比", shown(t)),
            )),
        }
    }
}

impl std::fmt::Display for BasisPoints {
    /// Percent with two decimals: `72.50%`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}%", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as DeError;

    #[test]
    fn yuan_parsing() {
        for (s, fen) in [
            ("0.05", 5),
            ("-12.3", -1230),
            ("1234", 123_400),
            (" 7.1 ", 710),
            ("-0", 0),
            ("007.00", 700),
            ("92233720368547758.07", i64::MAX),
            ("-92233720368547758.08", i64::MIN),
        ] {
            assert_eq!(Fen::parse_yuan(s).unwrap(), Fen(fen), "{s}");
        }
        for bad in [
            "",
            "-",
            "1.234",
            "abc",
            "1.",
            ".5",
            "1,000",
            "--1",
            "+1",
            "1e3",
            "¥1",
            "1 000",
            "0x10",
            "1.-5",
            "92233720368547758.08",
        ] {
            let e = Fen::parse_yuan(bad).unwrap_err();
            assert_eq!(e.rule, "money.yuan", "{bad}");
            assert!(!e.message_zh.is_empty());
        }
    }

    #[test]
    fn yuan_formatting() {
        assert_eq!(Fen(-5).to_string(), "-0.05");
        assert_eq!(Fen(123_456).to_yuan_string(), "1234.56");
        assert_eq!(Fen::ZERO.to_string(), "0.00");
        assert_eq!(Fen(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn percent_parsing() {
        assert_eq!(BasisPoints::parse_percent("72.5").unwrap(), BasisPoints(7250));
        assert_eq!(BasisPoints::parse_percent("70").unwrap(), BasisPoints(7000));
        assert_eq!(BasisPoints::parse_percent("0.01").unwrap(), BasisPoints(1));
        assert_eq!(BasisPoints::parse_percent("100 %").unwrap(), BasisPoints(10_000));
        for bad in ["-1", "1.234", "", "%", "abc", "42949672.96"] {
            assert_eq!(BasisPoints::parse_percent(bad).unwrap_err().rule, "ratio.percent", "{bad}");
        }
        assert_eq!(BasisPoints(7250).to_string(), "72.50%");
        assert_eq!(BasisPoints(1).to_string(), "0.01%");
    }

    #[test]
    fn overflow_is_an_error() {
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), Err(MoneyError::Overflow));
        assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), Err(MoneyError::Overflow));
        assert_eq!(Fen(i64::MIN).checked_mul(-1), Err(MoneyError::Overflow));
        assert_eq!(Fen::from_yuan(i64::MAX / 100 + 1), Err(MoneyError::Overflow));
        assert_eq!(Fen(i64::MAX).apply_bp(BasisPoints(10_001)), Err(MoneyError::Overflow));
        assert_eq!(Fen(i64::MAX).apply_bp(BasisPoints(10_000)), Ok(Fen(i64::MAX)));
        assert_eq!(Fen::sum([]), Ok(Fen::ZERO));
        assert_eq!(Fen(i64::MIN).checked_div(-1), Err(MoneyError::Overflow));
        assert_eq!(Fen(5).checked_div(0), Err(MoneyError::DivisionByZero));
        assert_eq!(Fen(5).checked_mul_div(1, 0), Err(MoneyError::DivisionByZero));
        assert_eq!(Fen(i64::MIN).checked_mul_div(-1, 1), Err(MoneyError::Overflow));
        assert_eq!(Fen(i64::MIN).checked_mul_div(i64::MIN, -1), Err(MoneyError::Overflow));
        assert_eq!(Fen(i64::MIN).checked_mul_div(i64::MIN, i64::MIN), Ok(Fen(i64::MIN)));
    }

    /// Division truncates toward zero, like `i64` division: 7 / 2 = 3, −7 / 2 = −3.
    #[test]
    fn division_truncates_toward_zero() {
        assert_eq!(Fen(7).checked_div(2), Ok(Fen(3)));
        assert_eq!(Fen(-7).checked_div(2), Ok(Fen(-3)));
        assert_eq!(Fen(7).checked_mul_div(1, -2), Ok(Fen(-3)));
        assert_eq!(Fen(15_936_000_000).checked_mul_div(5, 12), Ok(Fen(6_640_000_000)));
    }

    #[test]
    fn rounding_half_away_from_zero() {
        assert_eq!(Fen(5).apply_bp(BasisPoints(5000)).unwrap(), Fen(3));
        assert_eq!(Fen(-5).apply_bp(BasisPoints(5000)).unwrap(), Fen(-3));
        assert_eq!(Fen(4).apply_bp(BasisPoints(5000)).unwrap(), Fen(2));
        assert_eq!(Fen(1).apply_bp(BasisPoints(4999)).unwrap(), Fen(0));
        assert_eq!(Fen(-1).apply_bp(BasisPoints(5000)).unwrap(), Fen(-1));
        assert_eq!(Fen(123_456).apply_bp(BasisPoints(0)).unwrap(), Fen::ZERO);
    }

    #[test]
    fn serde_is_integer_fen() {
        let f = Fen::deserialize(IntoDeserializer::<DeError>::into_deserializer(1230i64)).unwrap();
        assert_eq!(f, Fen(1230));
        let b = BasisPoints::deserialize(IntoDeserializer::<DeError>::into_deserializer(7000u32)).unwrap();
        assert_eq!(b, BasisPoints(7000));
        assert!(Fen::deserialize(IntoDeserializer::<DeError>::into_deserializer("12.30")).is_err());
    }

    proptest! {
        #[test]
        fn yuan_round_trip(x in any::<i64>()) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(x).to_yuan_string()).unwrap(), Fen(x));
        }

        #[test]
        fn checked_ops_match_integer_semantics(a in any::<i64>(), b in any::<i64>()) {
            prop_assert_eq!(Fen(a).checked_add(Fen(b)).ok(), a.checked_add(b).map(Fen));
            prop_assert_eq!(Fen(a).checked_sub(Fen(b)).ok(), a.checked_sub(b).map(Fen));
            prop_assert_eq!(Fen(a).checked_mul(b).ok(), a.checked_mul(b).map(Fen));
            prop_assert_eq!(Fen::sum([Fen(a), Fen(b)]).ok(), a.checked_add(b).map(Fen));
        }

        #[test]
        fn checked_div_matches_integer_semantics(a in any::<i64>(), n in any::<i64>()) {
            let r = Fen(a).checked_div(n);
            if n == 0 {
                prop_assert_eq!(r, Err(MoneyError::DivisionByZero));
            } else {
                prop_assert_eq!(r.ok(), a.checked_div(n).map(Fen));
            }
        }

        /// `checked_mul_div` is the exact product over `den`, truncated; it never panics and
        /// errs exactly when the result leaves `i64`.
        #[test]
        fn checked_mul_div_is_exact_and_never_panics(a in any::<i64>(), num in any::<i64>(), den in any::<i64>()) {
            let r = Fen(a).checked_mul_div(num, den);
            if den == 0 {
                prop_assert_eq!(r, Err(MoneyError::DivisionByZero));
            } else {
                let exact = i128::from(a) * i128::from(num) / i128::from(den);
                prop_assert_eq!(r.ok(), i64::try_from(exact).ok().map(Fen));
            }
        }

        /// Where the `i64` expression `a × num / den` does not overflow, the result is the same.
        #[test]
        fn checked_mul_div_agrees_with_i64(a in -1_000_000_000_000i64..1_000_000_000_000, num in -100_000i64..100_000, den in 1i64..100_000) {
            prop_assert_eq!(Fen(a).checked_mul_div(num, den).unwrap(), Fen(a * num / den));
        }

        #[test]
        fn apply_bp_lies_between_floor_and_ceil(a in any::<i64>(), bp in 0u32..=10_000) {
            let r = i128::from(Fen(a).apply_bp(BasisPoints(bp)).unwrap().get());
            let exact = i128::from(a) * i128::from(bp);
            // floor(exact / 10000) <= r <= ceil(exact / 10000), and |r - exact| <= 0.5.
            prop_assert!(r * 10_000 >= exact - 9_999 && r * 10_000 <= exact + 9_999);
            prop_assert!((r * 10_000 - exact).abs() <= 5_000);
            // Ties go away from zero.
            if (exact % 10_000).abs() == 5_000 {
                prop_assert!(r.abs() * 10_000 > exact.abs());
            }
        }

        #[test]
        fn apply_bp_any_ratio_never_panics(a in any::<i64>(), bp in any::<u32>()) {
            let exact = i128::from(a) * i128::from(bp);
            match Fen(a).apply_bp(BasisPoints(bp)) {
                Ok(r) => prop_assert!((i128::from(r.get()) * 10_000 - exact).abs() <= 5_000),
                Err(e) => {
                    prop_assert_eq!(e, MoneyError::Overflow);
                    prop_assert!((exact / 10_000).abs() >= i128::from(i64::MAX));
                }
            }
        }

        #[test]
        fn full_ratio_is_identity(a in any::<i64>()) {
            prop_assert_eq!(Fen(a).apply_bp(BasisPoints(10_000)).unwrap(), Fen(a));
            prop_assert_eq!(Fen(a).apply_bp(BasisPoints(0)).unwrap(), Fen::ZERO);
        }

        #[test]
        fn percent_round_trip(bp in any::<u32>()) {
            let s = BasisPoints(bp).to_string();
            prop_assert_eq!(BasisPoints::parse_percent(&s).unwrap(), BasisPoints(bp));
        }

        #[test]
        fn parse_yuan_never_panics(s in "\\PC{0,30}") {
            let _ = Fen::parse_yuan(&s);
            let _ = BasisPoints::parse_percent(&s);
        }
    }
}

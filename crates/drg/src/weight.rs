//! Relative weights (相对权重, RW) of DRGs per pooling region and year, as exact decimals.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Parses a non-negative decimal with at most four decimals into ten-thousandths.
fn parse_fixed4(s: &str) -> Option<u32> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() || frac.len() > 4 || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.contains('.') && frac.is_empty() {
        return None;
    }
    let int: u64 = int.parse().ok()?;
    let mut f: u64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
    for _ in frac.len()..4 {
        f *= 10;
    }
    let v = int.checked_mul(10_000)?.checked_add(f)?;
    u32::try_from(v).ok()
}

fn fmt_fixed4(v: u32, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}.{:04}", v / 10_000, v % 10_000)
}

/// Error of parsing a [`Weight`] or [`LosDays`]: the text is not a non-negative decimal with at
/// most four decimals that fits (at most 429496.7295).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a non-negative decimal with at most 4 decimals")]
pub struct DecimalError(pub String);

/// A DRG relative weight (相对权重), an exact decimal with four decimals stored in ten-thousandths.
///
/// ```
/// use sanyi_drg::Weight;
/// let w: Weight = "1.25".parse().unwrap();
/// assert_eq!(w.ten_thousandths(), 12_500);
/// assert_eq!(w.to_string(), "1.2500");
/// assert!("1.23456".parse::<Weight>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Weight(u32);

impl Weight {
    /// A weight from its value in ten-thousandths (`12_345` is `1.2345`).
    #[must_use]
    pub const fn from_ten_thousandths(v: u32) -> Weight {
        Weight(v)
    }

    /// The value in ten-thousandths.
    #[must_use]
    pub const fn ten_thousandths(self) -> u32 {
        self.0
    }
}

impl FromStr for Weight {
    type Err = DecimalError;
    fn from_str(s: &str) -> Result<Weight, DecimalError> {
        parse_fixed4(s).map(Weight).ok_or_else(|| DecimalError(s.to_owned()))
    }
}

impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_fixed4(self.0, f)
    }
}

impl Serialize for Weight {
    /// Serialized as the decimal string (`"1.2345"`), never as a float.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An average length of stay in days (平均住院日), an exact decimal stored in ten-thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LosDays(u32);

impl LosDays {
    /// A value from ten-thousandths of a day.
    #[must_use]
    pub const fn from_ten_thousandths(v: u32) -> LosDays {
        LosDays(v)
    }

    /// The value in ten-thousandths of a day.
    #[must_use]
    pub const fn ten_thousandths(self) -> u32 {
        self.0
    }
}

impl FromStr for LosDays {
    type Err = DecimalError;
    fn from_str(s: &str) -> Result<LosDays, DecimalError> {
        parse_fixed4(s).map(LosDays).ok_or_else(|| DecimalError(s.to_owned()))
    }
}

impl fmt::Display for LosDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_fixed4(self.0, f)
    }
}

impl Serialize for LosDays {
    /// Serialized as the decimal string.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One row of `weights.tsv`: the weight of a DRG in a pooling region (统筹区) and year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrgWeight {
    /// Pooling region code, e.g. `652300`.
    pub pool: String,
    /// Year the weight applies to.
    pub year: i32,
    /// DRG code.
    pub drg: String,
    /// Relative weight.
    pub weight: Weight,
    /// Average cost of the DRG in the region, in fen (分), if published.
    pub avg_cost_fen: Option<i64>,
    /// Average length of stay in days, if published.
    pub avg_los_days: Option<LosDays>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed4() {
        assert_eq!(parse_fixed4("0"), Some(0));
        assert_eq!(parse_fixed4("1.2345"), Some(12_345));
        assert_eq!(parse_fixed4("0.5"), Some(5_000));
        assert_eq!(parse_fixed4("429496.7295"), Some(u32::MAX));
        for bad in [
            "",
            ".5",
            "5.",
            "-1",
            "+1",
            "1e3",
            "1.23456",
            "429496.7296",
            "1,5",
            " 1",
            "NaN",
            "1.2.3",
        ] {
            assert_eq!(parse_fixed4(bad), None, "{bad}");
        }
        assert_eq!(Weight(12_345).to_string(), "1.2345");
        assert_eq!(Weight(5).to_string(), "0.0005");
        assert_eq!(LosDays(83_500).to_string(), "8.3500");
    }
}

//! The grouper's input: one inpatient record (病案首页) reduced to what CHS-DRG grouping reads.

use serde::Serialize;

/// Sex of the patient (性别), as coded in GB/T 2261.1: only `1` and `2` are groupable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// `1`, male (男).
    Male,
    /// `2`, female (女).
    Female,
}

impl Sex {
    /// Parses the code `1` / `2` (surrounding spaces ignored); anything else (`0` unknown, `9`
    /// unspecified, empty, text) is `None`, which makes the record ungroupable.
    ///
    /// ```
    /// use sanyi_drg::Sex;
    /// assert_eq!(Sex::from_code(" 2"), Some(Sex::Female));
    /// assert_eq!(Sex::from_code("9"), None);
    /// ```
    #[must_use]
    pub fn from_code(s: &str) -> Option<Sex> {
        match s.trim() {
            "1" => Some(Sex::Male),
            "2" => Some(Sex::Female),
            _ => None,
        }
    }

    /// The code, `1` or `2`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
        }
    }
}

/// The demographic fields that grouping reads. Missing or unusable values are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Demographics {
    /// Sex; `None` when missing or not `1`/`2`.
    pub sex: Option<Sex>,
    /// Age in years, fractional below one year; a non-finite value counts as missing.
    pub age_years: Option<f64>,
    /// Age in days (consulted only below one year).
    pub age_days: Option<i64>,
    /// Birth weight in grams (consulted only for newborns).
    pub weight_g: Option<i64>,
}

/// One inpatient record as the grouper sees it (病案): demographics and the ordered code lists.
///
/// Position 0 of `diagnoses` is the main diagnosis (主要诊断); an empty list means an empty main
/// diagnosis. Position 0 of `procedures` is the main procedure (主要手术/操作); it may be the empty
/// string ("no main procedure but other procedures") and the list may be empty.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Case {
    /// Sex; `None` when missing or not `1`/`2`.
    pub sex: Option<Sex>,
    /// Age in years; `None` (or a non-finite value) means missing.
    pub age_years: Option<f64>,
    /// Age in days, truncated toward zero.
    pub age_days: Option<i64>,
    /// Birth weight in grams, truncated toward zero.
    pub weight_g: Option<i64>,
    /// Diagnosis codes (ICD-10 医保版), main first.
    pub diagnoses: Vec<String>,
    /// Procedure codes (ICD-9-CM-3 医保版), main first.
    pub procedures: Vec<String>,
}

impl Case {
    /// The demographic part.
    #[must_use]
    pub fn demographics(&self) -> Demographics {
        Demographics {
            sex: self.sex,
            age_years: self.age_years,
            age_days: self.age_days,
            weight_g: self.weight_g,
        }
    }
}

/// Parses a decimal cell: `None` when empty, not a number, or not finite.
///
/// ```
/// use sanyi_drg::parse_decimal;
/// assert_eq!(parse_decimal("0.055"), Some(0.055));
/// assert_eq!(parse_decimal("NaN"), None);
/// assert_eq!(parse_decimal("abc"), None);
/// ```
#[must_use]
pub fn parse_decimal(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Parses a decimal cell and truncates it toward zero (age in days, birth weight); values beyond
/// the `i64` range saturate.
///
/// ```
/// use sanyi_drg::parse_truncated;
/// assert_eq!(parse_truncated("1499.9"), Some(1499));
/// assert_eq!(parse_truncated("-0.5"), Some(0));
/// assert_eq!(parse_truncated(""), None);
/// ```
#[must_use]
pub fn parse_truncated(s: &str) -> Option<i64> {
    // `as` truncates toward zero and saturates; the value is finite here.
    parse_decimal(s).map(|v| v.trunc() as i64)
}

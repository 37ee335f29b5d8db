//! Domain values of sanyi (三医), parsed once at the edge and trusted everywhere after.
//!
//! This is the innermost crate of the platform for county medical communities (县域医共体): it
//! knows the national coding standards and money, and nothing about storage, HTTP or time zones.
//! It does no IO, starts no threads and depends only on `chrono` (dates), `serde` and
//! `thiserror`. Adapters (store, server) wrap these types; they never add behaviour here.
//!
//! # Organisation
//!
//! One module per family of values, all re-exported at the crate root:
//!
//! | module | values | standard |
//! |---|---|---|
//! | [`money`] | [`Fen`] (integer fen, checked arithmetic), [`BasisPoints`], [`MoneyError`] | — |
//! | [`resident_id`] | [`ResidentId`], [`Sex`], [`mask_id_like`] | GB 11643, ISO 7064 MOD 11-2, GB/T 2261.1 |
//! | [`phone`] | [`Phone`] | mainland numbering plan |
//! | [`credit_code`] | [`CreditCode`] | GB 32100-2015 with the embedded GB 11714 code |
//! | [`division`] | [`DivisionCode`], [`DivisionLevel`], [`AreaCode`], [`AreaLevel`] | GB/T 2260, NBS statistical codes |
//! | [`institution`] | [`Tier`], [`InstitutionKind`], [`NhsaCode`] | WS 218-2002, NHSA codes |
//! | [`codes`] | [`Icd10`], [`Icd9Cm3`] | ICD-10 / ICD-9-CM-3 医保版 2.0 syntax |
//! | [`insurance`] | [`InsuranceType`], [`EnrolmentStatus`] | NHSA `insutype` |
//!
//! # Conventions
//!
//! - **Newtypes with private fields.** A value exists only if its `parse` (or a checked
//!   `from_parts`) accepted it, so holders never re-validate. Every string newtype implements
//!   `Display`, `AsRef<str>`, `FromStr`, `TryFrom<String>`, `From<T> for String`, and serialises
//!   as its string; deserialising goes through `parse`, so bad JSON is rejected with the same
//!   message as bad form input.
//! - **One error type for parsing.** Every parser reports an [`InvalidValue`]: a stable rule id
//!   (`gb11643.check_digit`), what was expected, and a sentence in English and in Chinese. It is
//!   the data of an RFC 9457 problem detail or a FHIR `OperationOutcome` issue; rendering is the
//!   server's job.
//! - **No personal data in messages.** Messages about resident IDs and phone numbers say which
//!   position or rule failed and never repeat the value; [`ResidentId::masked`],
//!   [`Phone::masked`] and [`mask_id_like`] exist for lists and logs.
//! - **Money is [`Fen`].** No floating point on a money path; every operation that can overflow
//!   returns `Result`.
//! - **Enums** are `Copy`, serialise in `snake_case` (insurance types as their NHSA code), and
//!   carry `label_zh` / `label_en` for pages.
//!
//! # Example
//!
//! ```
//! use sanyi_domain::{Fen, BasisPoints, ResidentId, Sex};
//!
//! let id: ResidentId = "11010519491231002X".parse()?;
//! assert_eq!(id.sex(), Sex::Female);
//! assert_eq!(id.masked(), "110105********002X");
//!
//! let total = Fen::parse_yuan("1234.56")?;
//! let fund = total.apply_bp(BasisPoints::parse_percent("70")?)?;
//! assert_eq!(fund.to_yuan_string(), "864.19");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod codes;
pub mod credit_code;
pub mod division;
pub mod institution;
pub mod insurance;
pub mod money;
pub mod name_search;
pub mod phone;
pub mod resident_id;
pub mod time;

pub use codes::{Icd9Cm3, Icd10};
pub use credit_code::CreditCode;
pub use division::{AreaCode, AreaLevel, DivisionCode, DivisionLevel};
pub use institution::{InstitutionKind, NhsaCode, Tier};
pub use insurance::{EnrolmentStatus, InsuranceType};
pub use money::{BasisPoints, Fen, MoneyError};
pub use phone::Phone;
pub use resident_id::{ResidentId, Sex, mask_id_like};

/// Why a value was rejected (shared by all parsers): the data of an RFC 9457 problem detail.
///
/// `Display` prints the English message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidValue {
    /// Stable machine id of the rule, e.g. `gb11643.check_digit`.
    pub rule: &'static str,
    /// What was expected, e.g. `check character 7` or `18 characters`.
    pub expected: String,
    /// English sentence.
    pub message: String,
    /// Simplified Chinese sentence.
    pub message_zh: String,
}

impl InvalidValue {
    /// Builds an error from its four parts.
    ///
    /// # Example
    /// ```
    /// let e = sanyi_domain::InvalidValue::new("demo.rule", "a value", "Missing value", "缺少值");
    /// assert_eq!(e.to_string(), "Missing value");
    /// ```
    pub fn new(rule: &'static str, expected: impl Into<String>, message: impl Into<String>, message_zh: impl Into<String>) -> Self {
        InvalidValue {
            rule,
            expected: expected.into(),
            message: message.into(),
            message_zh: message_zh.into(),
        }
    }
}

/// Implements `Display`, `AsRef<str>`, `Borrow<str>`, `FromStr`, `TryFrom<String>`,
/// `TryFrom<&str>` and `From<T> for String` for a string newtype with a `parse` constructor.
macro_rules! string_newtype {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl std::borrow::Borrow<str> for $t {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl std::str::FromStr for $t {
            type Err = $crate::InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$t>::parse(s)
            }
        }
        impl TryFrom<String> for $t {
            type Error = $crate::InvalidValue;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                <$t>::parse(&s)
            }
        }
        impl TryFrom<&str> for $t {
            type Error = $crate::InvalidValue;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                <$t>::parse(s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
    };
}
pub(crate) use string_newtype;

/// Implements `Display` (the code) and `FromStr` (the enum's `parse`) for a code enum with
/// `code()` and `parse()`.
macro_rules! code_enum {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
        impl std::str::FromStr for $t {
            type Err = $crate::InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$t>::parse(s)
            }
        }
    };
}
pub(crate) use code_enum;

/// Valid first two digits of a GB/T 2260 code: the 31 provinces, autonomous regions and
/// municipalities, Taiwan (71), Hong Kong (81) and Macao (82).
pub(crate) const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// Whether `two` (two ASCII digits) is a province prefix.
pub(crate) fn valid_province(two: &str) -> bool {
    two.len() == 2 && two.bytes().all(|b| b.is_ascii_digit()) && two.parse::<u8>().is_ok_and(|p| PROVINCES.contains(&p))
}

/// A short, printable rendering of user input for messages about non-personal values (money,
/// enum codes): quoted, at most 24 characters.
pub(crate) fn shown(s: &str) -> String {
    const MAX: usize = 24;
    if s.chars().count() > MAX {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    } else {
        format!("{s:?}")
    }
}

/// Ordinal position words for messages: `position 3` / `第 3 位` (1-based).
pub(crate) fn position(i: usize) -> (String, String) {
    (format!("position {}", i + 1), format!("第 {} 位", i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces() {
        assert!(valid_province("65"));
        assert!(valid_province("82"));
        for bad in [
            "10", "16", "20", "24", "47", "55", "66", "70", "72", "80", "83", "99", "6", "6a", "",
        ] {
            assert!(!valid_province(bad), "{bad}");
        }
    }

    #[test]
    fn shown_truncates() {
        assert_eq!(shown("abc"), "\"abc\"");
        assert_eq!(shown(&"9".repeat(30)), format!("\"{}\"…", "9".repeat(24)));
    }
}

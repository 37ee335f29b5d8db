//! Domain value types of sanyi, parsed once at the edge and trusted everywhere after.
//!
//! - [`money`]: [`Fen`] (integer fen, checked arithmetic) and [`BasisPoints`].
//! - [`resident_id`]: [`ResidentId`] (GB 11643 with ISO 7064 MOD 11-2 check character), [`Sex`].
//! - [`phone`]: [`Phone`] with masking.
//! - [`credit_code`]: [`CreditCode`] (GB 32100 with the embedded GB 11714 code).
//! - [`division`]: [`DivisionCode`] (GB/T 2260) and [`AreaCode`] (12-digit statistical code).
//! - [`institution`]: [`Tier`], [`InstitutionKind`] (WS 218), [`NhsaCode`].
//! - [`codes`]: [`Icd10`] and [`Icd9Cm3`] syntax in the 医保版 forms.
//! - [`insurance`]: [`InsuranceType`] and [`EnrolmentStatus`].
//!
//! Every parser reports an [`InvalidValue`]: a stable rule id, what was expected, and a message in
//! English and Chinese, so that every surface can say which rule a value broke.
#![deny(missing_docs)]

pub mod codes;
pub mod credit_code;
pub mod division;
pub mod institution;
pub mod insurance;
pub mod money;
pub mod phone;
pub mod resident_id;

pub use codes::{Icd9Cm3, Icd10};
pub use credit_code::CreditCode;
pub use division::{AreaCode, AreaLevel, DivisionCode, DivisionLevel};
pub use institution::{InstitutionKind, NhsaCode, Tier};
pub use insurance::{EnrolmentStatus, InsuranceType};
pub use money::{BasisPoints, Fen, MoneyError};
pub use phone::Phone;
pub use resident_id::{ResidentId, Sex, mask_id_like};

/// Why a value was rejected (shared by all parsers).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidValue {
    /// Stable machine id of the rule, e.g. `gb11643.check_digit`.
    pub rule: &'static str,
    /// What was expected.
    pub expected: String,
    /// English sentence.
    pub message: String,
    /// Simplified Chinese sentence.
    pub message_zh: String,
}

impl InvalidValue {
    pub(crate) fn new(rule: &'static str, expected: impl Into<String>, message: impl Into<String>, message_zh: impl Into<String>) -> Self {
        InvalidValue {
            rule,
            expected: expected.into(),
            message: message.into(),
            message_zh: message_zh.into(),
        }
    }
}

/// Implements `Display`, `AsRef<str>`, `FromStr`, `TryFrom<String>`, `From<T> for String` for a
/// string newtype with a `parse` constructor.
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
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
    };
}
pub(crate) use string_newtype;

/// Valid first two digits of a GB/T 2260 code (provinces, autonomous regions, municipalities,
/// Taiwan, Hong Kong, Macao).
pub(crate) const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

pub(crate) fn valid_province(two: &str) -> bool {
    two.parse::<u8>().is_ok_and(|p| PROVINCES.contains(&p))
}

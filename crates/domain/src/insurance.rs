//! Insurance types (险种类型, NHSA `insutype`) and enrolment status (参保状态).

use serde::{Deserialize, Serialize};

use crate::{InvalidValue, code_enum, shown};

/// Insurance type (险种类型, NHSA `insutype`). Serialised as its NHSA code (`"310"`).
///
/// # Example
/// ```
/// use sanyi_domain::InsuranceType;
/// let t = InsuranceType::parse("390")?;
/// assert_eq!(t, InsuranceType::ResidentBasic);
/// assert_eq!(t.label_zh(), "城乡居民基本医疗保险");
/// # Ok::<(), sanyi_domain::InvalidValue>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum InsuranceType {
    /// `310` employee basic medical insurance (职工基本医疗保险).
    EmployeeBasic,
    /// `320` civil-servant medical subsidy (公务员医疗补助).
    CivilServantSubsidy,
    /// `330` large-expense medical subsidy for employees (大额医疗费用补助).
    LargeExpenseSubsidy,
    /// `390` urban-rural resident basic medical insurance (城乡居民基本医疗保险).
    ResidentBasic,
    /// `392` urban-rural resident critical-illness insurance (城乡居民大病医疗保险).
    ResidentCriticalIllness,
}

impl InsuranceType {
    /// Every type, in code order.
    pub fn all() -> &'static [InsuranceType] {
        &[
            InsuranceType::EmployeeBasic,
            InsuranceType::CivilServantSubsidy,
            InsuranceType::LargeExpenseSubsidy,
            InsuranceType::ResidentBasic,
            InsuranceType::ResidentCriticalIllness,
        ]
    }

    /// NHSA code: `310`, `320`, `330`, `390`, `392`.
    pub fn code(self) -> &'static str {
        match self {
            InsuranceType::EmployeeBasic => "310",
            InsuranceType::CivilServantSubsidy => "320",
            InsuranceType::LargeExpenseSubsidy => "330",
            InsuranceType::ResidentBasic => "390",
            InsuranceType::ResidentCriticalIllness => "392",
        }
    }

    /// Parses an NHSA code (surrounding whitespace trimmed).
    ///
    /// # Errors
    /// Rule `insutype.code`.
    pub fn parse(s: &str) -> Result<InsuranceType, InvalidValue> {
        InsuranceType::all().iter().copied().find(|t| t.code() == s.trim()).ok_or_else(|| {
            InvalidValue::new(
                "insutype.code",
                "310, 320, 330, 390 or 392",
                format!("Unknown insurance type {}", shown(s)),
                format!("未知险种类型 {}", shown(s)),
            )
        })
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            InsuranceType::EmployeeBasic => "职工基本医疗保险",
            InsuranceType::CivilServantSubsidy => "公务员医疗补助",
            InsuranceType::LargeExpenseSubsidy => "大额医疗费用补助",
            InsuranceType::ResidentBasic => "城乡居民基本医疗保险",
            InsuranceType::ResidentCriticalIllness => "城乡居民大病医疗保险",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            InsuranceType::EmployeeBasic => "employee basic medical insurance",
            InsuranceType::CivilServantSubsidy => "civil-servant medical subsidy",
            InsuranceType::LargeExpenseSubsidy => "large-expense medical subsidy",
            InsuranceType::ResidentBasic => "urban-rural resident basic medical insurance",
            InsuranceType::ResidentCriticalIllness => "resident critical-illness insurance",
        }
    }
}
code_enum!(InsuranceType);

impl TryFrom<String> for InsuranceType {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        InsuranceType::parse(&s)
    }
}

impl From<InsuranceType> for String {
    fn from(t: InsuranceType) -> String {
        t.code().to_owned()
    }
}

/// Enrolment status (参保状态) of a person in an insurance type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentStatus {
    /// Enrolled and contributions paid (参保缴费).
    Active,
    /// Suspended (暂停参保), e.g. contributions in arrears.
    Suspended,
    /// Terminated (终止参保).
    Terminated,
}

impl EnrolmentStatus {
    /// Every status.
    pub fn all() -> &'static [EnrolmentStatus] {
        &[EnrolmentStatus::Active, EnrolmentStatus::Suspended, EnrolmentStatus::Terminated]
    }

    /// Code (the serde name): `active`, `suspended`, `terminated`.
    pub fn code(self) -> &'static str {
        match self {
            EnrolmentStatus::Active => "active",
            EnrolmentStatus::Suspended => "suspended",
            EnrolmentStatus::Terminated => "terminated",
        }
    }

    /// Parses a code (surrounding whitespace trimmed).
    ///
    /// # Errors
    /// Rule `enrolment.status`.
    pub fn parse(s: &str) -> Result<EnrolmentStatus, InvalidValue> {
        EnrolmentStatus::all()
            .iter()
            .copied()
            .find(|t| t.code() == s.trim())
            .ok_or_else(|| {
                InvalidValue::new(
                    "enrolment.status",
                    "active, suspended or terminated",
                    format!("Unknown enrolment status {}", shown(s)),
                    format!("未知参保状态 {}", shown(s)),
                )
            })
    }

    /// Chinese label: 参保缴费 / 暂停 / 终止.
    pub fn label_zh(self) -> &'static str {
        match self {
            EnrolmentStatus::Active => "参保缴费",
            EnrolmentStatus::Suspended => "暂停",
            EnrolmentStatus::Terminated => "终止",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        self.code()
    }
}
code_enum!(EnrolmentStatus);

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as DeError;

    #[test]
    fn insurance_types() {
        for t in InsuranceType::all() {
            assert_eq!(InsuranceType::parse(t.code()).unwrap(), *t);
            assert_eq!(t.to_string(), t.code());
            assert_eq!(String::from(*t), t.code());
            let d = InsuranceType::deserialize(IntoDeserializer::<DeError>::into_deserializer(t.code().to_owned())).unwrap();
            assert_eq!(d, *t);
        }
        assert_eq!(InsuranceType::parse(" 392 ").unwrap(), InsuranceType::ResidentCriticalIllness);
        for bad in ["391", "", "resident_basic", "3100"] {
            assert_eq!(InsuranceType::parse(bad).unwrap_err().rule, "insutype.code", "{bad}");
        }
        let e = InsuranceType::deserialize(IntoDeserializer::<DeError>::into_deserializer(String::from("999"))).unwrap_err();
        assert!(e.to_string().contains("Unknown insurance type"));
    }

    #[test]
    fn enrolment_status() {
        for s in EnrolmentStatus::all() {
            assert_eq!(EnrolmentStatus::parse(s.code()).unwrap(), *s);
            assert_eq!(s.code().parse::<EnrolmentStatus>().unwrap(), *s);
            let d = EnrolmentStatus::deserialize(IntoDeserializer::<DeError>::into_deserializer(s.code())).unwrap();
            assert_eq!(d, *s);
        }
        assert_eq!(EnrolmentStatus::Active.label_zh(), "参保缴费");
        assert_eq!(EnrolmentStatus::Suspended.label_en(), "suspended");
        assert_eq!(EnrolmentStatus::parse("Active").unwrap_err().rule, "enrolment.status");
    }
}

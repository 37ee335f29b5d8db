//! Insurance types and enrolment status.

use serde::{Deserialize, Serialize};

use crate::InvalidValue;

/// Insurance type (险种类型, NHSA `insutype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum InsuranceType {
    /// 310 employee basic (职工基本医疗保险).
    EmployeeBasic,
    /// 320 civil-servant subsidy (公务员医疗补助).
    CivilServantSubsidy,
    /// 330 large-expense subsidy (大额医疗费用补助).
    LargeExpenseSubsidy,
    /// 390 urban-rural resident basic (城乡居民基本医疗保险).
    ResidentBasic,
    /// 392 resident critical illness (城乡居民大病医疗保险).
    ResidentCriticalIllness,
}

impl InsuranceType {
    const ALL: [InsuranceType; 5] = [
        InsuranceType::EmployeeBasic,
        InsuranceType::CivilServantSubsidy,
        InsuranceType::LargeExpenseSubsidy,
        InsuranceType::ResidentBasic,
        InsuranceType::ResidentCriticalIllness,
    ];

    /// NHSA code.
    pub fn code(self) -> &'static str {
        match self {
            InsuranceType::EmployeeBasic => "310",
            InsuranceType::CivilServantSubsidy => "320",
            InsuranceType::LargeExpenseSubsidy => "330",
            InsuranceType::ResidentBasic => "390",
            InsuranceType::ResidentCriticalIllness => "392",
        }
    }

    /// Parses an NHSA code.
    ///
    /// # Errors
    /// Rule `insutype.code`.
    pub fn parse(s: &str) -> Result<InsuranceType, InvalidValue> {
        InsuranceType::ALL.into_iter().find(|t| t.code() == s.trim()).ok_or_else(|| {
            InvalidValue::new(
                "insutype.code",
                "310, 320, 330, 390 or 392",
                format!("Unknown insurance type {s:?}"),
                format!("未知险种 {s:?}"),
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
            InsuranceType::EmployeeBasic => "employee basic",
            InsuranceType::CivilServantSubsidy => "civil-servant subsidy",
            InsuranceType::LargeExpenseSubsidy => "large-expense subsidy",
            InsuranceType::ResidentBasic => "urban-rural resident basic",
            InsuranceType::ResidentCriticalIllness => "resident critical illness",
        }
    }
}

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

/// Enrolment status (参保状态).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentStatus {
    /// Enrolled and paid (参保缴费).
    Active,
    /// Suspended (暂停).
    Suspended,
    /// Terminated (终止).
    Terminated,
}

impl EnrolmentStatus {
    /// Code.
    pub fn code(self) -> &'static str {
        match self {
            EnrolmentStatus::Active => "active",
            EnrolmentStatus::Suspended => "suspended",
            EnrolmentStatus::Terminated => "terminated",
        }
    }

    /// Parses a code.
    ///
    /// # Errors
    /// Rule `enrolment.status`.
    pub fn parse(s: &str) -> Result<EnrolmentStatus, InvalidValue> {
        [EnrolmentStatus::Active, EnrolmentStatus::Suspended, EnrolmentStatus::Terminated]
            .into_iter()
            .find(|t| t.code() == s.trim())
            .ok_or_else(|| {
                InvalidValue::new(
                    "enrolment.status",
                    "active, suspended or terminated",
                    format!("Unknown status {s:?}"),
                    format!("未知参保状态 {s:?}"),
                )
            })
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            EnrolmentStatus::Active => "参保缴费",
            EnrolmentStatus::Suspended => "暂停",
            EnrolmentStatus::Terminated => "终止",
        }
    }
}

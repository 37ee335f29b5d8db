//! Days-supply limits of prescriptions, including long prescriptions (长处方).
//!
//! Rule: docs/rules/procurement.md#long-prescription.

use serde::{Deserialize, Serialize};

/// Kind of prescription (处方类别) for its days-supply limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PrescriptionKind {
    /// Ordinary outpatient (门诊处方).
    Outpatient,
    /// Chronic and special outpatient disease long prescription (门诊慢特病长处方).
    Chronic,
    /// Inpatient discharge medication (出院带药).
    Inpatient,
    /// Emergency (急诊处方).
    Emergency,
}

impl PrescriptionKind {
    /// Chinese name.
    #[must_use]
    pub fn name_zh(self) -> &'static str {
        match self {
            PrescriptionKind::Outpatient => "门诊处方",
            PrescriptionKind::Chronic => "门诊慢特病长处方",
            PrescriptionKind::Inpatient => "出院带药",
            PrescriptionKind::Emergency => "急诊处方",
        }
    }
}

/// Maximum days of supply per prescription kind (处方用量天数上限).
/// See docs/rules/procurement.md#long-prescription.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplyLimits {
    /// Ordinary outpatient.
    pub outpatient: u32,
    /// Emergency.
    pub emergency: u32,
    /// Chronic long prescription.
    pub chronic: u32,
    /// Inpatient discharge medication.
    pub inpatient: u32,
}

impl Default for SupplyLimits {
    /// Outpatient 7 days, emergency 3, chronic long prescription 84 (12 weeks), discharge 14.
    fn default() -> Self {
        SupplyLimits {
            outpatient: 7,
            emergency: 3,
            chronic: 84,
            inpatient: 14,
        }
    }
}

impl SupplyLimits {
    /// The limit for a kind.
    #[must_use]
    pub fn limit(&self, kind: PrescriptionKind) -> u32 {
        match kind {
            PrescriptionKind::Outpatient => self.outpatient,
            PrescriptionKind::Chronic => self.chronic,
            PrescriptionKind::Inpatient => self.inpatient,
            PrescriptionKind::Emergency => self.emergency,
        }
    }
}

/// A refused days supply (处方天数超限).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupplyError {
    /// Zero days of supply.
    #[error("days of supply must be at least 1")]
    ZeroDays,
    /// More days than the kind allows.
    #[error("{days} days of supply exceed the {limit}-day limit of a {kind:?} prescription")]
    Exceeded {
        /// Kind of prescription.
        kind: PrescriptionKind,
        /// Days prescribed.
        days: u32,
        /// Its limit.
        limit: u32,
    },
}

impl SupplyError {
    /// Stable machine-readable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            SupplyError::ZeroDays => "prescription.zero_days",
            SupplyError::Exceeded { .. } => "prescription.days_exceeded",
        }
    }

    /// Message in Chinese.
    #[must_use]
    pub fn message_zh(&self) -> String {
        match self {
            SupplyError::ZeroDays => "处方用量天数须至少为1天".to_owned(),
            SupplyError::Exceeded { kind, days, limit } => {
                format!("{}用量 {days} 天超过上限 {limit} 天", kind.name_zh())
            }
        }
    }
}

/// Checks the days of supply of a prescription against its kind's limit.
/// See docs/rules/procurement.md#long-prescription.
///
/// # Errors
/// [`SupplyError::ZeroDays`]; [`SupplyError::Exceeded`] naming the kind and the limit.
pub fn check_days_supply(days: u32, kind: PrescriptionKind, limits: &SupplyLimits) -> Result<(), SupplyError> {
    if days == 0 {
        return Err(SupplyError::ZeroDays);
    }
    let limit = limits.limit(kind);
    if days > limit {
        return Err(SupplyError::Exceeded { kind, days, limit });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_limits() {
        let l = SupplyLimits::default();
        assert_eq!(check_days_supply(7, PrescriptionKind::Outpatient, &l), Ok(()));
        assert_eq!(check_days_supply(84, PrescriptionKind::Chronic, &l), Ok(()));
        assert_eq!(check_days_supply(14, PrescriptionKind::Inpatient, &l), Ok(()));
        assert_eq!(check_days_supply(3, PrescriptionKind::Emergency, &l), Ok(()));
        let e = check_days_supply(8, PrescriptionKind::Outpatient, &l).unwrap_err();
        assert_eq!(e.code(), "prescription.days_exceeded");
        assert_eq!(e.message_zh(), "门诊处方用量 8 天超过上限 7 天");
        assert!(e.to_string().contains("Outpatient") && e.to_string().contains("7-day"));
        assert!(check_days_supply(85, PrescriptionKind::Chronic, &l).is_err());
        assert!(check_days_supply(4, PrescriptionKind::Emergency, &l).is_err());
        assert_eq!(check_days_supply(0, PrescriptionKind::Chronic, &l), Err(SupplyError::ZeroDays));
    }
}

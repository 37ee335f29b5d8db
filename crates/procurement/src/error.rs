//! The error of the volume, money and date rules (带量采购计算错误).

use chrono::NaiveDate;
use sanyi_domain::{BasisPoints, MoneyError};

/// Error of the volume, monitoring, saving, prepayment and payment-clock rules (带量采购计算错误).
/// Each variant has a stable [`code`](ProcurementError::code) and a Chinese
/// [`message_zh`](ProcurementError::message_zh).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcurementError {
    /// Arithmetic on money or quantities left the range of `i64`.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// An amount or a quantity that must not be negative is.
    #[error("`{field}` must not be negative, got {value}")]
    Negative {
        /// Name of the input.
        field: &'static str,
        /// The value given (fen for money).
        value: i64,
    },
    /// A share above 100 % where at most 100 % makes sense.
    #[error("`{field}` must be at most 100 %, got {share}")]
    ShareAboveFull {
        /// Name of the input.
        field: &'static str,
        /// The share given.
        share: BasisPoints,
    },
    /// An agreed volume for a generic without a winning firm.
    #[error("no winning firm: an agreed volume needs at least one")]
    NoWinners,
    /// Completion of a zero agreed volume.
    #[error("the agreed volume is zero: completion is undefined")]
    NoAgreedVolume,
    /// A period that ends before it starts.
    #[error("the period ends on {end}, before it starts on {start}")]
    InvalidPeriod {
        /// First day.
        start: NaiveDate,
        /// Last day (inclusive).
        end: NaiveDate,
    },
    /// A date beyond the supported calendar range.
    #[error("date out of range")]
    DateOutOfRange,
    /// A winners rule without tiers.
    #[error("the winners rule has no tier")]
    RuleEmpty,
    /// A winners rule whose first tier does not start at one firm.
    #[error("the winners rule must start at 1 firm, starts at {min_winners}")]
    RuleFirstTier {
        /// Firms of the first tier.
        min_winners: u32,
    },
    /// A winners rule whose tiers are not in strictly increasing firm counts.
    #[error("tier {index} of the winners rule does not have more firms than the previous one")]
    RuleOrder {
        /// Index of the tier (from 0).
        index: usize,
    },
    /// A share outside 1..=10 000 bp.
    #[error("tier {index} of the winners rule has share {share}, outside 0.01 %..=100 %")]
    RuleShare {
        /// Index of the tier (from 0).
        index: usize,
        /// The share.
        share: BasisPoints,
    },
    /// A share lower than the share of fewer firms.
    #[error("tier {index} of the winners rule has a lower share than the previous one")]
    RuleDecreasing {
        /// Index of the tier (from 0).
        index: usize,
    },
}

impl ProcurementError {
    /// Stable machine-readable code, e.g. `agreed_volume.no_winners`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            ProcurementError::Money(MoneyError::Overflow) => "money.overflow",
            ProcurementError::Money(MoneyError::DivisionByZero) => "money.division_by_zero",
            ProcurementError::Negative { .. } => "input.negative",
            ProcurementError::ShareAboveFull { .. } => "input.share_above_full",
            ProcurementError::NoWinners => "agreed_volume.no_winners",
            ProcurementError::NoAgreedVolume => "completion.no_agreed_volume",
            ProcurementError::InvalidPeriod { .. } => "period.invalid",
            ProcurementError::DateOutOfRange => "date.out_of_range",
            ProcurementError::RuleEmpty => "winners_rule.empty",
            ProcurementError::RuleFirstTier { .. } => "winners_rule.first_tier",
            ProcurementError::RuleOrder { .. } => "winners_rule.order",
            ProcurementError::RuleShare { .. } => "winners_rule.share_range",
            ProcurementError::RuleDecreasing { .. } => "winners_rule.share_decreasing",
        }
    }

    /// Message in Chinese.
    #[must_use]
    pub fn message_zh(&self) -> String {
        match self {
            ProcurementError::Money(MoneyError::Overflow) => "金额或数量超出范围".to_owned(),
            ProcurementError::Money(MoneyError::DivisionByZero) => "金额除以零".to_owned(),
            ProcurementError::Negative { field, value } => format!("{field} 不能为负数，实际为 {value}"),
            ProcurementError::ShareAboveFull { field, share } => format!("{field} 不能超过100%，实际为 {share}"),
            ProcurementError::NoWinners => "中选企业数量为0，无法确定约定采购量".to_owned(),
            ProcurementError::NoAgreedVolume => "约定采购量为0，无法计算完成率".to_owned(),
            ProcurementError::InvalidPeriod { start, end } => format!("周期结束日 {end} 早于开始日 {start}"),
            ProcurementError::DateOutOfRange => "日期超出范围".to_owned(),
            ProcurementError::RuleEmpty => "中选企业数量规则为空".to_owned(),
            ProcurementError::RuleFirstTier { min_winners } => format!("中选企业数量规则须从1家开始，实际从{min_winners}家开始"),
            ProcurementError::RuleOrder { index } => format!("中选企业数量规则第{}档的企业数未大于上一档", index.saturating_add(1)),
            ProcurementError::RuleShare { index, share } => {
                format!("中选企业数量规则第{}档比例 {share} 不在0.01%至100%之间", index.saturating_add(1))
            }
            ProcurementError::RuleDecreasing { index } => format!("中选企业数量规则第{}档比例低于上一档", index.saturating_add(1)),
        }
    }
}

/// Refuses a negative quantity.
pub(crate) fn non_negative(field: &'static str, value: i64) -> Result<i64, ProcurementError> {
    if value < 0 {
        return Err(ProcurementError::Negative { field, value });
    }
    Ok(value)
}

/// `i128` back to `i64`, or [`MoneyError::Overflow`].
pub(crate) fn to_i64(v: i128) -> Result<i64, ProcurementError> {
    i64::try_from(v).map_err(|_| ProcurementError::Money(MoneyError::Overflow))
}

/// `n / d` for `d > 0`, rounded half away from zero (四舍五入).
pub(crate) fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if r.unsigned_abs() * 2 >= d.unsigned_abs() {
        q + n.signum()
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages() {
        let e = ProcurementError::Negative { field: "units", value: -3 };
        assert_eq!(e.code(), "input.negative");
        assert!(e.message_zh().contains("-3"));
        assert_eq!(ProcurementError::from(MoneyError::Overflow).code(), "money.overflow");
        assert_eq!(div_round(15, 10), 2);
        assert_eq!(div_round(-15, 10), -2);
        assert_eq!(div_round(14, 10), 1);
    }
}

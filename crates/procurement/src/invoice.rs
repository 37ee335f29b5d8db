//! Supplier payment clock (回款): due date and overdue days of a supplier invoice.
//!
//! Rule: docs/rules/procurement.md#supplier-payment.

use chrono::{Days, NaiveDate};

use crate::error::ProcurementError;

/// Default payment term: 30 days from delivery acceptance.
pub const DEFAULT_PAYMENT_DAYS: u32 = 30;

/// Payment due date (回款期限) = acceptance date + `days` (use [`DEFAULT_PAYMENT_DAYS`]).
/// See docs/rules/procurement.md#supplier-payment.
///
/// # Errors
/// `date.out_of_range` beyond the calendar.
pub fn due_date(accepted_on: NaiveDate, days: u32) -> Result<NaiveDate, ProcurementError> {
    accepted_on
        .checked_add_days(Days::new(u64::from(days)))
        .ok_or(ProcurementError::DateOutOfRange)
}

/// Overdue days (逾期天数) of an invoice: paid — days paid after the due date (0 when paid on or
/// before it); unpaid — days past due as of `today` (0 when not yet due).
/// See docs/rules/procurement.md#supplier-payment.
#[must_use]
pub fn overdue_days(due: NaiveDate, paid_on: Option<NaiveDate>, today: NaiveDate) -> i64 {
    let end = paid_on.unwrap_or(today);
    (end - due).num_days().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn payment_clock() {
        let due = due_date(d(2025, 1, 15), DEFAULT_PAYMENT_DAYS).unwrap();
        assert_eq!(due, d(2025, 2, 14));
        assert_eq!(due_date(d(2025, 1, 15), 0), Ok(d(2025, 1, 15)));
        assert_eq!(due_date(NaiveDate::MAX, 1).unwrap_err().code(), "date.out_of_range");
        assert_eq!(overdue_days(due, Some(d(2025, 2, 14)), d(2025, 6, 1)), 0);
        assert_eq!(overdue_days(due, Some(d(2025, 2, 1)), d(2025, 6, 1)), 0);
        assert_eq!(overdue_days(due, Some(d(2025, 2, 20)), d(2025, 6, 1)), 6);
        assert_eq!(overdue_days(due, None, d(2025, 2, 10)), 0);
        assert_eq!(overdue_days(due, None, d(2025, 2, 14)), 0);
        assert_eq!(overdue_days(due, None, d(2025, 3, 1)), 15);
        assert_eq!(
            overdue_days(NaiveDate::MIN, None, NaiveDate::MAX),
            (NaiveDate::MAX - NaiveDate::MIN).num_days()
        );
    }
}

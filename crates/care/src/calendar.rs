//! Working-day arithmetic (工作日) for service-level deadlines.
//!
//! docs/rules/referral.md#timeliness counts the routine response SLA and the down-referral receipt in working days.
//! [`WorkCalendar`] counts only time falling on Monday–Friday in local time (UTC+8 by default).
//! Public holidays (法定节假日) and make-up working days (调休) are not modelled yet.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// A working calendar (工作日历): weekends off, local time at a fixed UTC offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkCalendar {
    /// Offset of local time from UTC, in seconds (China Standard Time = 28 800).
    pub utc_offset_seconds: i32,
}

impl Default for WorkCalendar {
    fn default() -> Self {
        WorkCalendar {
            utc_offset_seconds: 8 * 3600,
        }
    }
}

impl WorkCalendar {
    /// Adds `span` of working time to `start`: time on Saturdays and Sundays does not count.
    ///
    /// A start on a weekend begins counting at the next Monday 00:00 local time. A non-positive
    /// span returns `start`.
    ///
    /// # Example
    /// ```
    /// use chrono::{Duration, TimeZone, Utc};
    /// use sanyi_care::WorkCalendar;
    /// let cal = WorkCalendar { utc_offset_seconds: 0 };
    /// // Friday 2026-11-20 10:00 + 24 working hours = Monday 2026-11-23 10:00.
    /// let fri = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    /// let mon = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    /// assert_eq!(cal.add_working_time(fri, Duration::hours(24)), mon);
    /// ```
    pub fn add_working_time(&self, start: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
        if span <= Duration::zero() {
            return start;
        }
        let offset = Duration::seconds(i64::from(self.utc_offset_seconds));
        let mut local = start.naive_utc() + offset;
        let mut remaining = span;
        loop {
            let date = local.date();
            let next_midnight = date.succ_opt().map(|d| d.and_time(NaiveTime::MIN)).unwrap_or(local);
            if next_midnight <= local {
                // End of representable time; give up counting.
                return start;
            }
            if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                local = next_midnight;
                continue;
            }
            let available = next_midnight - local;
            if remaining <= available {
                return (local + remaining - offset).and_utc();
            }
            remaining -= available;
            local = next_midnight;
        }
    }

    /// Adds `days` working days (each 24 h of working time) to `start`.
    pub fn add_working_days(&self, start: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        self.add_working_time(start, Duration::days(i64::from(days)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    #[test]
    fn weekday_span_is_plain_addition() {
        let cal = WorkCalendar { utc_offset_seconds: 0 };
        // Monday 23 Nov 09:00 + 24 h = Tuesday 09:00.
        assert_eq!(cal.add_working_time(at(23, 9), Duration::hours(24)), at(24, 9));
    }

    #[test]
    fn weekend_is_skipped_and_weekend_start_waits_for_monday() {
        let cal = WorkCalendar { utc_offset_seconds: 0 };
        assert_eq!(cal.add_working_time(at(20, 10), Duration::hours(24)), at(23, 10));
        // Saturday 21 Nov 15:00 → counting starts Monday 00:00.
        assert_eq!(cal.add_working_time(at(21, 15), Duration::hours(3)), at(23, 3));
        // Three working days from Thursday 19 Nov 12:00 = Tuesday 24 Nov 12:00.
        assert_eq!(cal.add_working_days(at(19, 12), 3), at(24, 12));
    }

    #[test]
    fn local_offset_decides_the_weekend() {
        let cal = WorkCalendar::default();
        // Friday 20 Nov 20:00 UTC is Saturday 04:00 in Beijing: counting starts Monday 00:00 CST
        // = Sunday 22 Nov 16:00 UTC.
        assert_eq!(cal.add_working_time(at(20, 20), Duration::hours(1)), at(22, 17));
    }

    #[test]
    fn zero_span_returns_start() {
        let cal = WorkCalendar::default();
        assert_eq!(cal.add_working_time(at(21, 1), Duration::zero()), at(21, 1));
    }
}

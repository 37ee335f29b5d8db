//! The pool's time zone (北京时间): instants are stored in UTC; people read and enter them in
//! Beijing time, UTC+8 all year (China has no daylight saving time).

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

/// Beijing time, UTC+8.
pub fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or(chrono::Offset::fix(&Utc))
}

/// A local date-time typed in Beijing time, as the UTC instant it names.
///
/// # Example
/// ```
/// let t = chrono::NaiveDate::from_ymd_opt(2026, 12, 9).unwrap().and_hms_opt(9, 30, 0).unwrap();
/// assert_eq!(sanyi_domain::time::from_beijing(t).to_rfc3339(), "2026-12-09T01:30:00+00:00");
/// ```
pub fn from_beijing(local: NaiveDateTime) -> DateTime<Utc> {
    beijing()
        .from_local_datetime(&local)
        .single()
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

/// An instant as Beijing time.
pub fn to_beijing(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&beijing())
}

/// Today's date in Beijing (between midnight and 08:00 Beijing time, UTC still says yesterday).
pub fn today() -> chrono::NaiveDate {
    to_beijing(Utc::now()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_is_eight_hours_ahead_all_year() {
        let winter = DateTime::parse_from_rfc3339("2026-01-15T20:30:00Z").unwrap().with_timezone(&Utc);
        let summer = DateTime::parse_from_rfc3339("2026-07-15T20:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(to_beijing(winter).format("%Y-%m-%d %H:%M").to_string(), "2026-01-16 04:30");
        assert_eq!(to_beijing(summer).format("%Y-%m-%d %H:%M").to_string(), "2026-07-16 04:30");
        assert_eq!(from_beijing(to_beijing(winter).naive_local()), winter);
    }
}

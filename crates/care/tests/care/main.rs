//! Tests of the care engine: one binary, one module per area.

mod consultation;
mod indicators;
mod props;
mod referral;

use chrono::{DateTime, TimeZone, Utc};

/// Monday 2026-11-23 at `h`:00 UTC plus `days`.
pub fn t(days: i64, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap() + chrono::Duration::days(days)
}

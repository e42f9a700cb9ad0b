//! Helpers shared by the unit tests.

use chrono::{DateTime, TimeZone, Utc};

/// An instant given as UTC year, month, day, hour and minute.
pub(crate) fn utc(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, minute, 0)
        .unwrap()
}

//! The wall clock as netmon reads it. It only stamps rows (intervals come
//! from the boot clock), but the date libraries panic on a clock outside
//! their range: chrono before 1970, jiff near the year 9999. A dead
//! real-time-clock battery or a bad NTP answer must not crash a monitor, so
//! every reading goes through [`now`], which keeps it within range, and a
//! run refuses to start on a clock outside it ([`check`]).

use chrono::{DateTime, Utc};
use std::time::{SystemTime, UNIX_EPOCH};

/// The latest time netmon works with, Unix seconds: 9000-01-01T00:00:00Z,
/// far from the end of jiff's calendar.
const LATEST_SECONDS: i64 = 221_845_392_000;

/// Now on the wall clock, held within 1970-01-01 to 9000-01-01.
pub(crate) fn now() -> DateTime<Utc> {
    read(SystemTime::now()).unwrap_or_else(|nearest| nearest)
}

/// A wall clock outside the range netmon works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the system clock reads a time {side}; set it (timedatectl, chrony, ntpd) and run netmon again"
)]
pub(crate) struct ClockOutOfRange {
    /// `before 1970` or `after 9000`.
    side: &'static str,
}

/// Refuses a wall clock outside the range netmon works with, naming it.
pub(crate) fn check() -> Result<(), ClockOutOfRange> {
    read(SystemTime::now()).map(drop).map_err(|nearest| {
        let side = if nearest.timestamp() == 0 {
            "before 1970"
        } else {
            "after 9000"
        };
        ClockOutOfRange { side }
    })
}

/// `time` as a UTC date, or the nearest bound of the range (as the error)
/// when it is outside.
fn read(time: SystemTime) -> Result<DateTime<Utc>, DateTime<Utc>> {
    let bound = |seconds| DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    let Ok(since_epoch) = time.duration_since(UNIX_EPOCH) else {
        return Err(bound(0));
    };
    match i64::try_from(since_epoch.as_secs()) {
        Ok(seconds) if seconds < LATEST_SECONDS => {
            Ok(bound(seconds)
                + chrono::Duration::nanoseconds(i64::from(since_epoch.subsec_nanos())))
        }
        _ => Err(bound(LATEST_SECONDS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_clock_within_range_reads_as_it_is() {
        let time = UNIX_EPOCH + Duration::new(1_796_000_000, 123_456_789);
        let read = read(time).unwrap();
        assert_eq!(read.timestamp(), 1_796_000_000);
        assert_eq!(read.timestamp_subsec_nanos(), 123_456_789);
        assert!(check().is_ok());
        assert!((now() - Utc::now()).num_seconds().abs() < 5);
    }

    #[test]
    fn a_clock_out_of_range_is_held_at_the_nearest_bound() {
        let before = UNIX_EPOCH - Duration::from_secs(3600);
        assert_eq!(read(before).unwrap_err().timestamp(), 0);
        let after = UNIX_EPOCH + Duration::from_secs(LATEST_SECONDS as u64);
        assert_eq!(read(after).unwrap_err().timestamp(), LATEST_SECONDS);
        let just_before = UNIX_EPOCH + Duration::from_secs(LATEST_SECONDS as u64 - 1);
        assert!(read(just_before).is_ok());
    }
}

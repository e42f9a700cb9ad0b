//! Parsing `--since` / `--until`: durations back from now (`90m`, `24h`,
//! `7d`, `2w`), local dates (`2026-11-01`, local midnight), RFC 3339 instants
//! and `--since all`; and the default window of `--by`, which like vnStat
//! shows the most recent 24 hours, 30 days or 12 months.

use super::period_level;
use crate::cli::Period;
use chrono::{DateTime, Duration, Local, NaiveDate, TimeZone, Utc};

/// The `--since` value that means the whole history.
const WHOLE_HISTORY: &str = "all";

/// A summary's window: inclusive start, exclusive end; `None` is open.
pub type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The window of `--since`, `--until` and `--by`. Without `--since`, `--by`
/// shows the most recent 24 hours, 30 days or 12 months up to `--until` (or
/// now), like vnStat. The error names the flag at fault.
pub fn resolve(
    since: Option<&str>,
    until: Option<&str>,
    by: Option<Period>,
    now: DateTime<Utc>,
) -> Result<Window, String> {
    let until = until
        .map(|text| parse_when(text, now).map_err(|e| format!("--until: {e}")))
        .transpose()?;
    let since = match (since, by) {
        (Some(text), _) => parse_since(text, now).map_err(|e| format!("--since: {e}"))?,
        (None, Some(by)) => Some(recent_periods_start(by, until.unwrap_or(now))),
        (None, None) => None,
    };
    if let (Some(since), Some(until)) = (since, until) {
        if since >= until {
            return Err("--since must be earlier than --until".into());
        }
    }
    Ok((since, until))
}

/// Resolves a `--since` value: `all` is the whole history (`None`), anything
/// else is a time as in [`parse_when`].
fn parse_since(text: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, String> {
    if text.trim() == WHOLE_HISTORY {
        return Ok(None);
    }
    parse_when(text, now)
        .map(Some)
        .map_err(|e| format!("{e}; or {WHOLE_HISTORY} for the whole history"))
}

/// How many periods `--by` shows when `--since` is not given.
fn default_periods(by: Period) -> u32 {
    match by {
        Period::Hour => 24,
        Period::Day => 30,
        Period::Month => 12,
    }
}

/// Start of the default `--by` window that ends at `end` (exclusive): the
/// [`default_periods`] most recent hours, days or months, the last one being
/// the period that holds the instant before `end`.
pub fn recent_periods_start(by: Period, end: DateTime<Utc>) -> DateTime<Utc> {
    let level = period_level(by);
    let last = level.floor(end - Duration::nanoseconds(1));
    level.back(last, default_periods(by) - 1)
}

/// Resolves a `--since`/`--until` value against `now`; the error says which
/// forms are accepted.
pub fn parse_when(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "{text:?} is not a time; use a duration back from now (90m, 24h, 7d, 2w), a date (2026-11-01) or RFC 3339 (2026-11-01T08:00:00Z)"
        )
    };
    let (digits, unit) = text.split_at(text.len().saturating_sub(1));
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && unit.bytes().all(|b| b.is_ascii_alphabetic())
    {
        let amount: i64 = digits.parse().map_err(|_| bad())?;
        let unit = unit.chars().next().unwrap_or(' ');
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad()),
        };
        let span = amount
            .checked_mul(seconds)
            .and_then(Duration::try_seconds)
            .filter(|_| amount >= 0)
            .ok_or_else(bad)?;
        return now.checked_sub_signed(span).ok_or_else(bad);
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let midnight = date.and_hms_opt(0, 0, 0).ok_or_else(bad)?;
        // A midnight skipped by DST starts at the first valid instant after it.
        return Local
            .from_local_datetime(&midnight)
            .earliest()
            .or_else(|| {
                Local
                    .from_local_datetime(&(midnight + Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(bad);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rollup::Level;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    #[test]
    fn durations_count_back_from_now() {
        assert_eq!(
            parse_when("90m", now()).unwrap(),
            now() - Duration::minutes(90)
        );
        assert_eq!(
            parse_when("24h", now()).unwrap(),
            now() - Duration::hours(24)
        );
        assert_eq!(parse_when("7d", now()).unwrap(), now() - Duration::days(7));
        assert_eq!(parse_when("2w", now()).unwrap(), now() - Duration::days(14));
    }

    #[test]
    fn rfc3339_instants() {
        let t = parse_when("2026-11-01T08:00:00+01:00", now()).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 1, 7, 0, 0).unwrap());
        let t = parse_when("2026-11-01T08:00:00Z", now()).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap());
    }

    #[test]
    fn dates_are_local_midnight() {
        let t = parse_when("2026-11-01", now()).unwrap();
        assert_eq!(t.with_timezone(&Local).format("%H:%M").to_string(), "00:00");
    }

    #[test]
    fn since_all_is_the_whole_history() {
        assert_eq!(parse_since(" all ", now()), Ok(None));
        assert_eq!(
            parse_since("7d", now()),
            Ok(Some(now() - Duration::days(7)))
        );
        let err = parse_since("ever", now()).unwrap_err();
        assert!(err.ends_with("or all for the whole history"), "{err}");
    }

    #[test]
    fn resolve_applies_the_by_default_only_without_since() {
        let day = Some(Period::Day);
        let default = recent_periods_start(Period::Day, now());
        assert_eq!(resolve(None, None, day, now()), Ok((Some(default), None)));
        assert_eq!(resolve(Some("all"), None, day, now()), Ok((None, None)));
        assert_eq!(resolve(None, None, None, now()), Ok((None, None)));
        let until = now() - Duration::days(40);
        assert_eq!(
            resolve(None, Some("40d"), day, now()),
            Ok((Some(recent_periods_start(Period::Day, until)), Some(until)))
        );
        let err = resolve(Some("1d"), Some("2d"), None, now()).unwrap_err();
        assert_eq!(err, "--since must be earlier than --until");
        let err = resolve(None, Some("all"), day, now()).unwrap_err();
        assert!(err.starts_with("--until: \"all\" is not a time"), "{err}");
    }

    #[test]
    fn default_by_windows_hold_the_most_recent_periods() {
        let local = |t: DateTime<Utc>| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string();
        let hours = recent_periods_start(Period::Hour, now() + Duration::minutes(30));
        assert_eq!(hours, Utc.with_ymd_and_hms(2026, 11, 24, 13, 0, 0).unwrap());
        // Ending exactly at 12:00, the last hour is 11:00.
        let hours = recent_periods_start(Period::Hour, now());
        assert_eq!(hours, Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap());
        assert!(local(recent_periods_start(Period::Day, now())).ends_with("00:00"));
        // An exclusive end at a local midnight: that day is not in the window.
        let midnight = Level::Day.floor(now());
        assert_eq!(
            recent_periods_start(Period::Day, midnight),
            Level::Day.back(midnight, 30)
        );
        let months = recent_periods_start(Period::Month, now());
        assert_eq!(months, Level::Month.back(Level::Month.floor(now()), 11));
        assert_eq!(Level::Month.floor(months), months);
    }

    #[test]
    fn nonsense_is_refused_with_the_accepted_forms() {
        for bad in [
            "",
            "yesterday",
            "5x",
            "-3d",
            "2026-13-01",
            "h",
            "99999999999999999d",
        ] {
            let err = parse_when(bad, now()).unwrap_err();
            assert!(err.contains("use a duration"), "{bad}: {err}");
        }
    }
}

//! Parsing `--since` / `--until`: durations back from now (`90m`, `24h`,
//! `7d`, `2w`), local dates (`2026-11-01`, local midnight) and RFC 3339 instants.

use chrono::{DateTime, Duration, Local, NaiveDate, TimeZone, Utc};

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

//! Parsing `--since` / `--until`: durations back from now (humantime's
//! syntax: `90m`, `24h`, `7d`, `2w`, `1h30m`), dates (`2026-11-01`, midnight
//! in the database's time zone), RFC 3339 instants and `--since all`; and the
//! default window of `--by`, which like vnStat shows the most recent 24
//! hours, 30 days or 12 months.

use super::period::Periods;
use crate::calendar::Calendar;
use crate::cli::Period;
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// The `--since` value that means the whole history.
const WHOLE_HISTORY: &str = "all";

/// Longest accepted flag value: anything longer is not a time.
const MAX_LENGTH: usize = 64;

/// A summary's window: inclusive start, exclusive end; `None` is open.
pub type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A parsed `--since`/`--until` value, before it is placed in a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// The whole history (`--since all`).
    All,
    /// This long before now.
    Ago(Duration),
    /// Midnight of this date in the database's time zone.
    Date(NaiveDate),
    /// This instant.
    Instant(DateTime<Utc>),
}

/// A `--since`/`--until` value that is not a time; the message lists the
/// accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct NotATime {
    /// The value, cut to [`MAX_LENGTH`] characters.
    shown: String,
    /// Whether `all` is accepted too (`--since`).
    whole_history: bool,
}

impl std::fmt::Display for NotATime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} is not a time; use a duration back from now (90m, 24h, 7d, 2w, 1h30m), a date \
             (2026-11-01) or RFC 3339 (2026-11-01T08:00:00Z)",
            self.shown
        )?;
        if self.whole_history {
            write!(f, "; or {WHOLE_HISTORY} for the whole history")?;
        }
        Ok(())
    }
}

/// Why `--since`/`--until` name no window; the message names the flag at
/// fault and echoes the values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// A value that is not a time.
    #[error("{flag}: {source}")]
    NotATime {
        /// `--since` or `--until`.
        flag: &'static str,
        /// What is wrong with it.
        #[source]
        source: NotATime,
    },
    /// A time too far back to place.
    #[error("{flag}: {text:?} is out of range")]
    OutOfRange {
        /// `--since` or `--until`.
        flag: &'static str,
        /// The value as given.
        text: String,
    },
    /// A start that is not before the end.
    #[error("--since {since:?} ({from}) must be earlier than --until {until:?} ({to})")]
    NotEarlier {
        /// The `--since` value, or `(default)`.
        since: String,
        /// Where it starts, in the database's zone (RFC 3339).
        from: String,
        /// The `--until` value, or `now`.
        until: String,
        /// Where it ends.
        to: String,
    },
}

/// Checks `--since` and `--until` without a database, so that a bad value
/// is a usage error before anything is opened: each must parse, and they
/// must be in order where the database's time zone cannot change it (two
/// dates, or two values that are not dates). The error names the flag.
pub fn validate(
    since: Option<&str>,
    until: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), WindowError> {
    let since_when = since
        .map(|text| parse_since(text).map_err(unreadable("--since")))
        .transpose()?;
    let until_when = until
        .map(|text| parse_when(text).map_err(unreadable("--until")))
        .transpose()?;
    for (flag, text, when) in [
        ("--since", since, since_when),
        ("--until", until, until_when),
    ] {
        if let (Some(text), Some(when @ When::Ago(_))) = (text, when) {
            if instant(when, now, &Calendar::utc()).is_none() {
                return Err(out_of_range(flag, text));
            }
        }
    }
    if let (Some(from), Some(to)) = (since_when, until_when) {
        let is_date = |when: When| matches!(when, When::Date(_));
        if from != When::All && is_date(from) == is_date(to) {
            resolve(since, until, None, now, &Calendar::utc())?;
        }
    }
    Ok(())
}

/// The window of `--since`, `--until` and `--by` at `now` in `calendar`.
/// Without `--since`, `--by` shows the most recent 24 hours, 30 days or 12
/// months up to `--until` (or now), like vnStat. The error names the flag at
/// fault and echoes the values.
pub fn resolve(
    since: Option<&str>,
    until: Option<&str>,
    by: Option<Periods>,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> Result<Window, WindowError> {
    let place = |flag: &'static str, text: &str, when: When| {
        instant(when, now, calendar).ok_or_else(|| out_of_range(flag, text))
    };
    let until_at = match until {
        Some(text) => {
            let when = parse_when(text).map_err(unreadable("--until"))?;
            Some(place("--until", text, when)?)
        }
        None => None,
    };
    let since_at = match (since, by) {
        (Some(text), _) => match parse_since(text).map_err(unreadable("--since"))? {
            When::All => None,
            when => Some(place("--since", text, when)?),
        },
        (None, Some(by)) => Some(recent_periods_start(by, until_at.unwrap_or(now), calendar)),
        (None, None) => None,
    };
    // Without --until the window ends now: a --since in the future is as
    // wrong as one after --until.
    if let (Some(from), to) = (since_at, until_at.unwrap_or(now)) {
        if from >= to {
            let show = |t: DateTime<Utc>| calendar.local(t).to_rfc3339();
            return Err(WindowError::NotEarlier {
                since: since.unwrap_or("(default)").to_string(),
                from: show(from),
                until: until.unwrap_or("now").to_string(),
                to: show(to),
            });
        }
    }
    Ok((since_at, until_at))
}

/// A converter of a value's [`NotATime`] into the error naming `flag`.
fn unreadable(flag: &'static str) -> impl Fn(NotATime) -> WindowError {
    move |source| WindowError::NotATime { flag, source }
}

/// The error for a `flag` value `text` that places no instant.
fn out_of_range(flag: &'static str, text: &str) -> WindowError {
    WindowError::OutOfRange {
        flag,
        text: text.to_string(),
    }
}

/// Parses a `--since` value: `all`, or anything [`parse_when`] accepts.
fn parse_since(text: &str) -> Result<When, NotATime> {
    if text.trim() == WHOLE_HISTORY {
        return Ok(When::All);
    }
    parse_when(text).map_err(|e| NotATime {
        whole_history: true,
        ..e
    })
}

/// How many periods `--by` shows when `--since` is not given.
fn default_periods(by: Period) -> u32 {
    match by {
        Period::Hour => 24,
        Period::Day => 30,
        Period::Week => 12,
        Period::Month => 12,
        Period::Year => 5,
    }
}

/// Start of the default `--by` window that ends at `end` (exclusive): the
/// [`default_periods`] most recent hours, days or months, the last one being
/// the period that holds the instant before `end`.
pub fn recent_periods_start(by: Periods, end: DateTime<Utc>, calendar: &Calendar) -> DateTime<Utc> {
    let last = by.floor(calendar, end - Duration::nanoseconds(1));
    let back = i32::try_from(default_periods(by.period)).unwrap_or(1) - 1;
    by.step(calendar, last, -back)
}

/// Parses a `--since`/`--until` value; the error says which forms are
/// accepted. Durations use humantime's syntax.
fn parse_when(text: &str) -> Result<When, NotATime> {
    let text = text.trim();
    let bad = || NotATime {
        shown: text.chars().take(MAX_LENGTH).collect(),
        whole_history: false,
    };
    if text.is_empty() || text.len() > MAX_LENGTH {
        return Err(bad());
    }
    if let Ok(span) = humantime::parse_duration(text) {
        return Duration::from_std(span).map(When::Ago).map_err(|_| bad());
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(When::Date(date));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| When::Instant(t.with_timezone(&Utc)))
        .map_err(|_| bad())
}

/// The instant a parsed value stands for (`None` for [`When::All`] or out of range).
fn instant(when: When, now: DateTime<Utc>, calendar: &Calendar) -> Option<DateTime<Utc>> {
    match when {
        When::All => None,
        When::Ago(span) => now.checked_sub_signed(span),
        When::Date(date) => Some(calendar.start_of_day(date)),
        When::Instant(t) => Some(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::history::Level;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        instant(parse_when(text).unwrap(), now(), &Calendar::utc()).unwrap()
    }

    #[test]
    fn durations_count_back_from_now() {
        assert_eq!(at("90m"), now() - Duration::minutes(90));
        assert_eq!(at("24h"), now() - Duration::hours(24));
        assert_eq!(at("7d"), now() - Duration::days(7));
        assert_eq!(at("2w"), now() - Duration::days(14));
        assert_eq!(at("30s"), now() - Duration::seconds(30));
        assert_eq!(at("1h30m"), now() - Duration::minutes(90));
        assert_eq!(at(" 1h 30m "), now() - Duration::minutes(90));
    }

    #[test]
    fn rfc3339_instants() {
        assert_eq!(
            at("2026-11-01T08:00:00+01:00"),
            Utc.with_ymd_and_hms(2026, 11, 1, 7, 0, 0).unwrap()
        );
        assert_eq!(
            at("2026-11-01T08:00:00Z"),
            Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap()
        );
    }

    #[test]
    fn dates_are_midnight_in_the_databases_zone() {
        let india = Calendar::from_spec("+05:30", 1800).unwrap();
        let when = parse_when("2026-11-01").unwrap();
        assert_eq!(
            when,
            When::Date(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())
        );
        assert_eq!(
            instant(when, now(), &india),
            Some(Utc.with_ymd_and_hms(2026, 10, 31, 18, 30, 0).unwrap())
        );
        assert_eq!(
            at("2026-11-01"),
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn since_all_is_the_whole_history() {
        assert_eq!(parse_since(" all "), Ok(When::All));
        assert_eq!(parse_since("7d"), Ok(When::Ago(Duration::days(7))));
        let err = parse_since("ever").unwrap_err().to_string();
        assert!(err.ends_with("or all for the whole history"), "{err}");
        assert_eq!(instant(When::All, now(), &Calendar::utc()), None);
    }

    #[test]
    fn resolve_applies_the_by_default_only_without_since() {
        let utc = Calendar::utc();
        let day = Some(Periods::calendar(Period::Day));
        let default = recent_periods_start(Periods::calendar(Period::Day), now(), &utc);
        assert_eq!(
            resolve(None, None, day, now(), &utc),
            Ok((Some(default), None))
        );
        assert_eq!(
            resolve(Some("all"), None, day, now(), &utc),
            Ok((None, None))
        );
        assert_eq!(resolve(None, None, None, now(), &utc), Ok((None, None)));
        let until = now() - Duration::days(40);
        assert_eq!(
            resolve(None, Some("40d"), day, now(), &utc),
            Ok((
                Some(recent_periods_start(
                    Periods::calendar(Period::Day),
                    until,
                    &utc
                )),
                Some(until)
            ))
        );
        assert_eq!(
            resolve(Some("2d"), Some("1d"), None, now(), &utc),
            Ok((
                Some(now() - Duration::days(2)),
                Some(now() - Duration::days(1))
            ))
        );
        let err = resolve(None, Some("all"), day, now(), &utc)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--until: \"all\" is not a time"), "{err}");
        let err = resolve(Some("ever"), None, None, now(), &utc)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--since: \"ever\" is not a time"), "{err}");
    }

    #[test]
    fn validate_checks_values_and_an_order_no_zone_can_change() {
        assert_eq!(validate(Some("2d"), Some("1d"), now()), Ok(()));
        assert_eq!(validate(None, None, now()), Ok(()));
        assert_eq!(validate(Some("all"), Some("1d"), now()), Ok(()));
        let err = validate(Some("1d"), Some("2d"), now())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--since \"1d\" ("), "{err}");
        let err = validate(Some("2026-11-05"), Some("2026-11-04"), now())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--since \"2026-11-05\""), "{err}");
        // A date against an instant depends on the database's zone: checked later.
        assert_eq!(
            validate(Some("2026-11-05"), Some("2026-11-04T23:00:00Z"), now()),
            Ok(())
        );
        assert!(validate(Some("soon"), None, now())
            .unwrap_err()
            .to_string()
            .starts_with("--since:"));
        let err = validate(None, Some("300000y"), now())
            .unwrap_err()
            .to_string();
        assert_eq!(err, "--until: \"300000y\" is out of range");
        assert!(validate(None, Some("soon"), now())
            .unwrap_err()
            .to_string()
            .starts_with("--until:"));
    }

    #[test]
    fn a_since_in_the_future_without_until_is_refused() {
        let utc = Calendar::utc();
        let err = resolve(Some("2026-12-25"), None, None, now(), &utc)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--since \"2026-12-25\" (2026-12-25T00:00:00+00:00) must be earlier than --until \"now\""),
            "{err}"
        );
        // Now itself is an empty window too; a moment before is not.
        assert!(resolve(Some("0s"), None, None, now(), &utc).is_err());
        assert!(resolve(Some("1s"), None, None, now(), &utc).is_ok());
    }

    #[test]
    fn since_after_until_names_both_values() {
        let utc = Calendar::utc();
        let err = resolve(Some("1d"), Some("2d"), None, now(), &utc)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "--since \"1d\" (2026-11-24T12:00:00+00:00) must be earlier than --until \"2d\" (2026-11-23T12:00:00+00:00)"
        );
        // Equal is refused too: the window would be empty.
        let err = resolve(Some("1d"), Some("24h"), None, now(), &utc)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--since \"1d\""), "{err}");
        // Values are quoted: one line even for a value with a line break.
        let err = resolve(Some("2\nm"), Some("1d"), None, now(), &utc)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--since \"2\\nm\" ("), "{err}");
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let utc = Calendar::utc();
        let err = resolve(Some("100000000y"), None, None, now(), &utc)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--since:"), "{err}");
        let err = resolve(None, Some("300000y"), None, now(), &utc)
            .unwrap_err()
            .to_string();
        assert!(err.contains("out of range"), "{err}");
    }

    #[test]
    fn default_by_windows_hold_the_most_recent_periods() {
        let utc = Calendar::utc();
        let hours = recent_periods_start(
            Periods::calendar(Period::Hour),
            now() + Duration::minutes(30),
            &utc,
        );
        assert_eq!(hours, Utc.with_ymd_and_hms(2026, 11, 24, 13, 0, 0).unwrap());
        // Ending exactly at 12:00, the last hour is 11:00.
        let hours = recent_periods_start(Periods::calendar(Period::Hour), now(), &utc);
        assert_eq!(hours, Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap());
        assert_eq!(
            recent_periods_start(Periods::calendar(Period::Day), now(), &utc),
            Utc.with_ymd_and_hms(2026, 10, 27, 0, 0, 0).unwrap()
        );
        // An exclusive end at midnight: that day is not in the window.
        let midnight = Level::Day.floor(&utc, now());
        assert_eq!(
            recent_periods_start(Periods::calendar(Period::Day), midnight, &utc),
            midnight - Duration::days(30)
        );
        let months = recent_periods_start(Periods::calendar(Period::Month), now(), &utc);
        assert_eq!(months, Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap());
        // now() is Tuesday 2026-11-24: 12 weeks back from Monday the 23rd.
        let weeks = recent_periods_start(Periods::calendar(Period::Week), now(), &utc);
        assert_eq!(weeks, Utc.with_ymd_and_hms(2026, 9, 7, 0, 0, 0).unwrap());
        let years = recent_periods_start(Periods::calendar(Period::Year), now(), &utc);
        assert_eq!(years, Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap());
        let billing = Periods {
            period: Period::Month,
            billing_day: 15,
        };
        assert_eq!(
            recent_periods_start(billing, now(), &utc),
            Utc.with_ymd_and_hms(2025, 12, 15, 0, 0, 0).unwrap()
        );
        let india = Calendar::from_spec("+05:30", 1800).unwrap();
        assert_eq!(
            recent_periods_start(Periods::calendar(Period::Day), now(), &india),
            Utc.with_ymd_and_hms(2026, 10, 26, 18, 30, 0).unwrap()
        );
    }

    #[test]
    fn values_longer_than_64_characters_are_refused() {
        // 32 x "1s" is 64 characters: a (silly) duration of 32 s.
        assert_eq!(
            parse_when(&"1s".repeat(32)),
            Ok(When::Ago(Duration::seconds(32)))
        );
        let err = parse_when(&"1s".repeat(33)).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{:?} is not a time", "1s".repeat(32))),
            "{err}"
        );
    }

    #[test]
    fn nonsense_is_refused_with_the_accepted_forms() {
        let long = "9".repeat(200) + "d";
        for bad in [
            "",
            "yesterday",
            "5x",
            "-3d",
            "2026-13-01",
            "h",
            "99999999999999999999d",
            "5µ",
            "5é",
            "é",
            "µs",
            "5",
            "d5",
            "1d garbage",
            long.as_str(),
        ] {
            let err = parse_when(bad).unwrap_err().to_string();
            assert!(err.contains("use a duration"), "{bad}: {err}");
            assert!(err.len() < 300, "{bad}: the message stays short");
        }
    }
}

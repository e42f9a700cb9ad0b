//! Parsing `--since` / `--until`: durations back from now (humantime's
//! syntax: `90m`, `24h`, `7d`, `2w`, `1h30m`), dates (`2026-11-01`, midnight
//! in the database's time zone), RFC 3339 instants and `--since all`; and the
//! default window of `--by`, which like vnStat shows the most recent 24
//! hours, 30 days or 12 months.

use super::period::Periods;
use crate::cli::Period;
use crate::model::calendar::Calendar;
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// The `--since` value that means the whole history.
const WHOLE_HISTORY: &str = "all";

/// Longest accepted flag value: anything longer is not a time.
const MAX_LENGTH: usize = 64;

/// A summary's window: inclusive start, exclusive end; `None` is open.
pub(crate) type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A parsed `--since`/`--until` value, before it is placed in a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
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
mod tests;

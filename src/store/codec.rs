//! The bit-exact encodings of stored values, each beside the SQL fragment
//! that must compute the same thing: times in milliseconds and as stored
//! text, intervals in whole microseconds, the derived rate, the 5-minute
//! slot, the seconds a row covers and how rollup rows merge. The fragments
//! are built from the same constants as the Rust rules, once; the tests run
//! each fragment in SQLite against its rule on edge values.

use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds in a slot: `--percentile` ranks 5-minute UTC clock slots.
pub(crate) const SLOT_MS: i64 = 300_000;

/// Microseconds in a second, as the SQL literal the fragments use (the same
/// `f64`: `1e6`).
const US_PER_S_SQL: &str = "1e6";
/// Microseconds in a second.
const US_PER_S: f64 = 1e6;

/// The stored time text as an SQLite `strftime` format (RFC 3339 UTC with
/// milliseconds: `%f` is seconds with three decimals).
const TIME_TEXT_SQL_FORMAT: &str = "%Y-%m-%dT%H:%M:%fZ";

/// Formats a timestamp as stored: UTC, RFC 3339, milliseconds, `Z` (text
/// that sorts as the times do, so rollups compare it as strings).
pub(crate) fn format_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a stored timestamp.
pub(crate) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// SQL giving [`format_timestamp`] of the time `ms` (an SQL expression in
/// milliseconds since the epoch).
pub(crate) fn ms_as_text_sql(ms: &str) -> String {
    format!("strftime('{TIME_TEXT_SQL_FORMAT}', {ms} / 1000.0, 'unixepoch')")
}

/// Milliseconds since the epoch of `at` (how sample times are stored).
pub(crate) fn to_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The instant `ms` milliseconds after the epoch (clamped to the range of
/// times chrono represents).
pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(if ms < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// An interval as stored: whole microseconds (halves away from zero).
pub(crate) fn interval_us(seconds: f64) -> i64 {
    (seconds * US_PER_S).round() as i64
}

/// SQL giving [`interval_us`] of `seconds` (an SQL expression).
pub(crate) fn interval_us_sql(seconds: &str) -> String {
    format!("CAST(ROUND({seconds} * {US_PER_S_SQL}) AS INTEGER)")
}

/// `seconds` to the microsecond, as intervals are stored: rates computed
/// over it are then exactly the ones the database derives from the stored
/// interval.
pub(crate) fn whole_microseconds(seconds: f64) -> f64 {
    (seconds * US_PER_S).round() / US_PER_S
}

/// The seconds of a stored interval.
pub(crate) fn seconds_of_us(interval_us: i64) -> f64 {
    interval_us as f64 / US_PER_S
}

/// SQL giving [`seconds_of_us`] of `interval_us` (an SQL expression).
pub(crate) fn seconds_of_us_sql(interval_us: &str) -> String {
    format!("{interval_us} / {US_PER_S_SQL}")
}

/// The rate the `network_stats` view derives from a stored delta and a
/// positive interval.
pub(crate) fn derived_rate(delta: i64, interval_us: i64) -> f64 {
    delta as f64 / seconds_of_us(interval_us)
}

/// SQL giving [`derived_rate`] of `delta` over `interval_us` (SQL
/// expressions; NULL where the interval is 0).
pub(crate) fn derived_rate_sql(delta: &str, interval_us: &str) -> String {
    format!("{delta} / ({})", seconds_of_us_sql(interval_us))
}

/// The seconds a stored sample covers: its interval, when it has deltas
/// (a baseline covers none).
pub(crate) fn covered_seconds(has_deltas: bool, interval_us: Option<i64>) -> f64 {
    interval_us
        .filter(|_| has_deltas)
        .map_or(0.0, seconds_of_us)
}

/// SQL summing [`covered_seconds`] over the `network_stats` rows of a
/// group (whose `interval_s` is [`seconds_of_us_sql`] of the stored one).
pub(crate) const COVERED_SECONDS_SQL: &str =
    "COALESCE(SUM(CASE WHEN bytes_recv_delta IS NOT NULL THEN interval_s END), 0)";

/// The number of the UTC slot holding `t_ms` (milliseconds since the
/// epoch; before 1970 too).
pub(crate) fn slot_number(t_ms: i64) -> i64 {
    t_ms.div_euclid(SLOT_MS)
}

/// SQL giving [`slot_number`] of `t_ms` (an SQL expression; SQLite's `/`
/// truncates toward zero, so times before the epoch are shifted).
pub(crate) fn slot_number_sql(t_ms: &str) -> String {
    format!("(CASE WHEN {t_ms} >= 0 THEN {t_ms} / {SLOT_MS} ELSE ({t_ms} + 1) / {SLOT_MS} - 1 END)")
}

/// How two rollup rows' values of one column merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Merge {
    /// Summed (counts, bytes, seconds).
    Sum,
    /// The earlier stored time text.
    Min,
    /// The later stored time text.
    Max,
    /// The higher of two optional peaks (either, when one is missing).
    MaxPresent,
}

/// The SQL of an upsert's `SET` for `column` merged by `merge` with the
/// row being inserted (`excluded`).
pub(crate) fn merge_sql(column: &str, merge: Merge) -> String {
    match merge {
        Merge::Sum => format!("{column} = {column} + excluded.{column}"),
        Merge::Min => format!("{column} = MIN({column}, excluded.{column})"),
        Merge::Max => format!("{column} = MAX({column}, excluded.{column})"),
        Merge::MaxPresent => format!(
            "{column} = MAX(COALESCE({column}, excluded.{column}),
                         COALESCE(excluded.{column}, {column}))"
        ),
    }
}

/// [`Merge::MaxPresent`] in Rust.
pub(crate) fn max_present(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

#[cfg(test)]
mod tests;

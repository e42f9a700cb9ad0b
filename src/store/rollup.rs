//! Rollups: per interface, the sums of the deltas, the seconds they cover and
//! the peak rates, per hour (`network_stats_hourly`, with its 5-minute
//! slots), day (`network_stats_daily`) and month (`network_stats_monthly`) of
//! the database's [`Calendar`]. Each hour is folded into them once it has
//! passed, in the transaction of the first cycle after it (a row written
//! into an hour already folded is folded in with its cycle), so a cycle
//! writes only its own rows; a summary reads a handful of rollup rows per
//! month, day and hour, plus the raw rows since the last fold, whatever the
//! number of raw samples, and raw-sample retention never erases long-term
//! totals.

use super::codec::{merge_sql, slot_number_sql, Merge, COVERED_SECONDS_SQL, SLOT_MS};
use super::slots::{HourSlots, SlotSums};
use super::{format_timestamp, from_ms, to_ms};
use crate::model::calendar::Calendar;
use chrono::{DateTime, Datelike, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;

/// A rollup granularity. Bins nest: every day is a whole number of hour
/// bins and every month a whole number of days, in every zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Hours starting at the calendar's hour phase (on the hour in UTC for
    /// whole-hour zones), cut at each midnight: where a zone's offset
    /// changes by a part of an hour (Lord Howe's 30-minute daylight saving)
    /// the hour that holds midnight is two bins, one in each day.
    Hour,
    /// Calendar days of the database's zone.
    Day,
    /// Calendar months of the database's zone.
    Month,
}

/// All levels, finest first.
pub(crate) const LEVELS: [Level; 3] = [Level::Hour, Level::Day, Level::Month];

impl Level {
    /// The table holding this level's rollups.
    pub fn table(self) -> &'static str {
        match self {
            Level::Hour => "network_stats_hourly",
            Level::Day => "network_stats_daily",
            Level::Month => "network_stats_monthly",
        }
    }

    /// Start (as a UTC instant) of the bin containing `t`.
    pub fn floor(self, calendar: &Calendar, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Level::Hour => calendar.hour_floor(t).max(Level::Day.floor(calendar, t)),
            Level::Day => calendar.start_of_day(calendar.date(t)),
            Level::Month => {
                let date = calendar.date(t);
                calendar.start_of_day(date.with_day(1).unwrap_or(date))
            }
        }
    }

    /// Start of the bin after the one starting at `start`.
    pub fn next(self, calendar: &Calendar, start: DateTime<Utc>) -> DateTime<Utc> {
        let date = calendar.date(start);
        let next = match self {
            Level::Hour => {
                let hour_end = calendar.hour_floor(start) + Duration::hours(1);
                let day = Level::Day.floor(calendar, start);
                return hour_end.min(Level::Day.next(calendar, day));
            }
            Level::Day => date.succ_opt(),
            Level::Month => date
                .with_day(1)
                .and_then(|d| d.checked_add_months(chrono::Months::new(1))),
        };
        // Past the last date chrono knows, the next bin starts at the end of
        // time (so a loop over bins ends).
        next.map_or(DateTime::<Utc>::MAX_UTC, |d| calendar.start_of_day(d))
    }

    /// First bin start at or after `t`.
    pub fn ceil(self, calendar: &Calendar, t: DateTime<Utc>) -> DateTime<Utc> {
        let floor = self.floor(calendar, t);
        if floor == t {
            t
        } else {
            self.next(calendar, floor)
        }
    }
}

/// Formats a bin start as stored in `period_start`.
pub(crate) fn period_key(start: DateTime<Utc>) -> String {
    start.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Columns shared by the three rollup tables (after `period_start, interface`).
const ROLLUP_COLUMNS: &str = "samples INTEGER NOT NULL,
    first_sample TEXT NOT NULL,
    last_sample TEXT NOT NULL,
    interval_s REAL NOT NULL,
    bytes_sent INTEGER NOT NULL,
    bytes_recv INTEGER NOT NULL,
    packets_sent INTEGER NOT NULL,
    packets_recv INTEGER NOT NULL,
    errin INTEGER NOT NULL,
    errout INTEGER NOT NULL,
    dropin INTEGER NOT NULL,
    dropout INTEGER NOT NULL,
    peak_sent_rate REAL,
    peak_recv_rate REAL";

/// The DDL of one level's table (the hourly one also holds the 5-minute
/// slots of `--percentile`, see [`super::slots`]).
pub(crate) fn create_table(level: Level) -> String {
    let slots = if level == Level::Hour {
        ",\n    slots BLOB"
    } else {
        ""
    };
    format!(
        "CREATE TABLE IF NOT EXISTS {} (
    period_start TEXT NOT NULL,
    interface TEXT NOT NULL,
    {ROLLUP_COLUMNS}{slots},
    PRIMARY KEY (period_start, interface)
) WITHOUT ROWID;",
        level.table()
    )
}

/// The upsert statement of each level (in [`LEVELS`] order), built once.
static UPSERTS: std::sync::LazyLock<[String; 3]> =
    std::sync::LazyLock::new(|| LEVELS.map(upsert_sql));

/// The columns a rollup upsert sets (after `period_start, interface`), in
/// its parameters' order, and how each merges with a stored row.
const MERGED_COLUMNS: [(&str, Merge); 14] = [
    ("samples", Merge::Sum),
    ("first_sample", Merge::Min),
    ("last_sample", Merge::Max),
    ("interval_s", Merge::Sum),
    ("bytes_sent", Merge::Sum),
    ("bytes_recv", Merge::Sum),
    ("packets_sent", Merge::Sum),
    ("packets_recv", Merge::Sum),
    ("errin", Merge::Sum),
    ("errout", Merge::Sum),
    ("dropin", Merge::Sum),
    ("dropout", Merge::Sum),
    ("peak_sent_rate", Merge::MaxPresent),
    ("peak_recv_rate", Merge::MaxPresent),
];

/// The upsert of one level's table: a new row, or the row merged into the
/// stored one by [`MERGED_COLUMNS`].
pub(crate) fn upsert_sql(level: Level) -> String {
    let columns: Vec<&str> = MERGED_COLUMNS.iter().map(|(c, _)| *c).collect();
    let values: Vec<String> = (1..=MERGED_COLUMNS.len() + 2)
        .map(|i| format!("?{i}"))
        .collect();
    let merged: Vec<String> = MERGED_COLUMNS
        .iter()
        .map(|&(column, merge)| merge_sql(column, merge))
        .collect();
    format!(
        "INSERT INTO {} (period_start, interface, {})
VALUES ({})
ON CONFLICT(period_start, interface) DO UPDATE SET
    {}",
        level.table(),
        columns.join(", "),
        values.join(", "),
        merged.join(",\n    ")
    )
}

/// Per interface, the samples in one hour bin's range: the rollup columns
/// (as [`upsert_sql`] takes them).
static BIN_TOTALS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT interface, MIN(t_ms), COUNT(*), MAX(t_ms),
    {COVERED_SECONDS_SQL},
    COALESCE(SUM(bytes_sent_delta), 0), COALESCE(SUM(bytes_recv_delta), 0),
    COALESCE(SUM(packets_sent_delta), 0), COALESCE(SUM(packets_recv_delta), 0),
    COALESCE(SUM(errin_delta), 0), COALESCE(SUM(errout_delta), 0),
    COALESCE(SUM(dropin_delta), 0), COALESCE(SUM(dropout_delta), 0),
    MAX(bytes_sent_rate), MAX(bytes_recv_rate)
FROM network_stats WHERE t_ms >= ?1 AND t_ms < ?2
GROUP BY interface"
    )
});

/// Per interface and 5-minute slot of the samples in a range: the bytes of
/// the samples with deltas, and the microseconds they cover.
static SLOT_TOTALS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {} AS slot, i.name, SUM(s.bytes_recv_delta),
    COALESCE(SUM(s.bytes_sent_delta), 0), SUM(s.interval_us)
FROM netmon_samples s JOIN netmon_interfaces i ON i.id = s.iface
WHERE s.t >= ?1 AND s.t < ?2 AND s.bytes_recv_delta IS NOT NULL AND s.interval_us > 0
    AND (?3 IS NULL OR i.name = ?3)
GROUP BY slot, s.iface ORDER BY slot",
        slot_number_sql("s.t")
    )
});

/// Adds the samples stored in [`start_ms`, `end_ms`) (milliseconds since the
/// epoch) to the hour, day and month rollups and the hours' 5-minute slots,
/// one hour bin at a time. Each sample must be added once: the caller
/// folds each range once.
pub(crate) fn fold(
    conn: &Connection,
    calendar: &Calendar,
    start_ms: i64,
    end_ms: i64,
) -> rusqlite::Result<()> {
    let mut next_sample =
        conn.prepare_cached("SELECT MIN(t) FROM netmon_samples WHERE t >= ?1 AND t < ?2")?;
    let mut cursor = start_ms;
    while let Some(first) =
        next_sample.query_row([cursor, end_ms], |r| r.get::<_, Option<i64>>(0))?
    {
        let bin = Level::Hour.floor(calendar, from_ms(first));
        // The next bin starts after its first sample; the max only makes
        // sure the loop ends whatever a zone's rules say.
        let bin_end = to_ms(Level::Hour.next(calendar, bin))
            .min(end_ms)
            .max(first + 1);
        fold_bin(conn, calendar, bin, first, bin_end)?;
        cursor = bin_end;
    }
    fold_slots(conn, calendar, start_ms, end_ms, None)
}

/// Adds the samples stored in [`first_ms`, `end_ms`), all in the hour bin
/// starting at `bin`, to the rollups of that bin, its day and its month.
fn fold_bin(
    conn: &Connection,
    calendar: &Calendar,
    bin: DateTime<Utc>,
    first_ms: i64,
    end_ms: i64,
) -> rusqlite::Result<()> {
    let keys = LEVELS.map(|level| match level {
        Level::Hour => period_key(bin),
        level => period_key(level.floor(calendar, bin)),
    });
    let mut totals = conn.prepare_cached(&BIN_TOTALS)?;
    let mut rows = totals.query(params![first_ms, end_ms])?;
    while let Some(r) = rows.next()? {
        let interface: String = r.get(0)?;
        let first_sample = format_timestamp(from_ms(r.get(1)?));
        let last_sample = format_timestamp(from_ms(r.get(3)?));
        for (key, sql) in keys.iter().zip(UPSERTS.iter()) {
            conn.prepare_cached(sql)?.execute(params![
                key,
                interface,
                r.get::<_, i64>(2)?,
                first_sample,
                last_sample,
                r.get::<_, f64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, i64>(8)?,
                r.get::<_, i64>(9)?,
                r.get::<_, i64>(10)?,
                r.get::<_, i64>(11)?,
                r.get::<_, i64>(12)?,
                r.get::<_, Option<f64>>(13)?,
                r.get::<_, Option<f64>>(14)?,
            ])?;
        }
    }
    Ok(())
}

/// The 5-minute slots of one hour bin, by interface.
type BinSlots = BTreeMap<String, HourSlots>;

/// Adds the 5-minute slots of the samples stored in [`start_ms`, `end_ms`)
/// (of one interface, or all) to their hour rollups (which must hold those
/// samples already).
pub(crate) fn fold_slots(
    conn: &Connection,
    calendar: &Calendar,
    start_ms: i64,
    end_ms: i64,
    interface: Option<&str>,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(&SLOT_TOTALS)?;
    let mut rows = stmt.query(params![start_ms, end_ms, interface])?;
    // Rows come in slot order: a bin is complete when a later one starts.
    let mut open: Option<(DateTime<Utc>, DateTime<Utc>, BinSlots)> = None;
    while let Some(r) = rows.next()? {
        let slot: i64 = r.get(0)?;
        let start = from_ms(slot * SLOT_MS);
        if open.as_ref().is_some_and(|(_, end, _)| start >= *end) {
            if let Some((bin, _, slots)) = open.take() {
                store_slots(conn, bin, slots)?;
            }
        }
        let count = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
        let sums = SlotSums {
            recv: count(2)?,
            sent: count(3)?,
            covered_us: count(4)?,
        };
        let (_, _, slots) = open.get_or_insert_with(|| {
            let bin = Level::Hour.floor(calendar, start);
            (bin, Level::Hour.next(calendar, bin), BTreeMap::new())
        });
        slots.entry(r.get(1)?).or_default().add(slot, sums);
    }
    if let Some((bin, _, slots)) = open {
        store_slots(conn, bin, slots)?;
    }
    Ok(())
}

/// Merges the slots of each interface into its rollup of `hour`.
fn store_slots(conn: &Connection, hour: DateTime<Utc>, slots: BinSlots) -> rusqlite::Result<()> {
    let key = period_key(hour);
    let mut read = conn.prepare_cached(
        "SELECT slots FROM network_stats_hourly WHERE period_start = ?1 AND interface = ?2",
    )?;
    let mut write = conn.prepare_cached(
        "UPDATE network_stats_hourly SET slots = ?3 WHERE period_start = ?1 AND interface = ?2",
    )?;
    for (interface, mut new) in slots {
        let stored: Option<Option<Vec<u8>>> = read
            .query_row(params![key, interface], |r| r.get(0))
            .optional()?;
        if let Some(old) = stored.flatten().as_deref().and_then(HourSlots::decode) {
            new.merge(&old);
        }
        write.execute(params![key, interface, new.encode()])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::utc;
    use chrono::NaiveDate;

    #[test]
    fn hour_bins_follow_the_calendar_phase() {
        let utc_calendar = Calendar::utc();
        let t = utc(2026, 3, 29, 1, 30);
        assert_eq!(
            period_key(Level::Hour.floor(&utc_calendar, t)),
            "2026-03-29T01:00:00Z"
        );
        assert_eq!(
            period_key(Level::Hour.ceil(&utc_calendar, t)),
            "2026-03-29T02:00:00Z"
        );
        let aligned = utc(2026, 3, 29, 1, 0);
        assert_eq!(Level::Hour.ceil(&utc_calendar, aligned), aligned);
        assert_eq!(
            Level::Hour.next(&utc_calendar, aligned),
            utc(2026, 3, 29, 2, 0)
        );
        let india = Calendar::from_spec("+05:30", 1800).unwrap();
        assert_eq!(Level::Hour.floor(&india, t), t);
        assert_eq!(
            Level::Hour.floor(&india, utc(2026, 3, 29, 1, 10)),
            utc(2026, 3, 29, 0, 30)
        );
    }

    #[test]
    fn days_and_months_follow_the_recorded_zone() {
        let india = Calendar::from_spec("+05:30", 1800).unwrap();
        // 20:00 UTC on the 15th is 01:30 on the 16th in India.
        let t = utc(2026, 11, 15, 20, 0);
        let day = Level::Day.floor(&india, t);
        assert_eq!(day, utc(2026, 11, 15, 18, 30));
        assert_eq!(Level::Day.next(&india, day), utc(2026, 11, 16, 18, 30));
        assert_eq!(Level::Day.ceil(&india, t), utc(2026, 11, 16, 18, 30));
        assert_eq!(Level::Day.ceil(&india, day), day);
        let month = Level::Month.floor(&india, t);
        assert_eq!(month, utc(2026, 10, 31, 18, 30));
        assert_eq!(Level::Month.next(&india, month), utc(2026, 11, 30, 18, 30));
        // A day is a whole number of hour bins there.
        assert_eq!(Level::Hour.floor(&india, day), day);
    }

    #[test]
    fn the_bin_after_the_last_date_is_the_end_of_time() {
        let utc_calendar = Calendar::utc();
        let last_day = utc_calendar.start_of_day(NaiveDate::MAX);
        assert_eq!(
            Level::Day.next(&utc_calendar, last_day),
            DateTime::<Utc>::MAX_UTC
        );
        let last_month = Level::Month.floor(&utc_calendar, last_day);
        assert_eq!(
            Level::Month.next(&utc_calendar, last_month),
            DateTime::<Utc>::MAX_UTC
        );
        let day = utc(2026, 11, 30, 0, 0);
        assert_eq!(Level::Day.next(&utc_calendar, day), utc(2026, 12, 1, 0, 0));
    }

    #[test]
    fn hour_rule_bins_are_cut_at_midnight_where_the_offset_moves_by_half_an_hour() {
        // Lord Howe: +10:30 in winter (the recorded hours start at :30 UTC),
        // +11:00 in summer, when midnight falls on the UTC hour.
        let lord_howe = Calendar::from_spec("Australia/Lord_Howe", 1800).unwrap();
        let midnight = lord_howe.start_of_day(NaiveDate::from_ymd_opt(2026, 12, 15).unwrap());
        assert_eq!(midnight, utc(2026, 12, 14, 13, 0));
        let before = Level::Hour.floor(&lord_howe, midnight - Duration::minutes(1));
        assert_eq!(before, utc(2026, 12, 14, 12, 30));
        assert_eq!(Level::Hour.next(&lord_howe, before), midnight);
        assert_eq!(Level::Hour.floor(&lord_howe, midnight), midnight);
        assert_eq!(
            Level::Hour.next(&lord_howe, midnight),
            utc(2026, 12, 14, 13, 30),
            "the rest of the hour is a bin of its own"
        );
        assert_eq!(
            Level::Hour.floor(&lord_howe, utc(2026, 12, 14, 13, 29)),
            midnight
        );
        assert_eq!(Level::Hour.ceil(&lord_howe, midnight), midnight);
        // In winter nothing is cut: the hours hold midnight at their start.
        let winter = lord_howe.start_of_day(NaiveDate::from_ymd_opt(2026, 6, 15).unwrap());
        assert_eq!(winter, utc(2026, 6, 14, 13, 30));
        assert_eq!(Level::Hour.floor(&lord_howe, winter), winter);
        assert_eq!(
            Level::Hour.next(&lord_howe, winter),
            winter + Duration::hours(1)
        );
    }

    #[test]
    fn a_dst_day_is_25_hours_long() {
        let new_york = Calendar::from_spec("EST5EDT,M3.2.0,M11.1.0", 0).unwrap();
        let day = new_york.start_of_day(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        assert_eq!(Level::Day.next(&new_york, day) - day, Duration::hours(25));
    }
}

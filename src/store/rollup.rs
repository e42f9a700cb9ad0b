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

use super::slots::{HourSlots, SlotSums, SLOT_MS};
use super::{format_timestamp, from_ms};
use crate::calendar::Calendar;
use chrono::{DateTime, Datelike, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension};

/// A rollup granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Hours (starting at the calendar's hour phase: on the hour in UTC for
    /// whole-hour zones).
    Hour,
    /// Calendar days of the database's zone.
    Day,
    /// Calendar months of the database's zone.
    Month,
}

/// All levels, finest first.
pub const LEVELS: [Level; 3] = [Level::Hour, Level::Day, Level::Month];

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
            Level::Hour => calendar.hour_floor(t),
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
            Level::Hour => return start + Duration::hours(1),
            Level::Day => date.succ_opt(),
            Level::Month => date
                .with_day(1)
                .and_then(|d| d.checked_add_months(chrono::Months::new(1))),
        };
        // Past the last date chrono knows, the next bin starts at the end of
        // time (so a loop over bins ends).
        next.map_or(DateTime::<Utc>::MAX_UTC, |d| calendar.start_of_day(d))
    }

    /// Start of the bin `n` bins before the one starting at `start`.
    pub fn back(self, calendar: &Calendar, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let date = calendar.date(start);
        let earlier = match self {
            Level::Hour => return start - Duration::hours(i64::from(n)),
            Level::Day => date.checked_sub_days(chrono::Days::new(u64::from(n))),
            Level::Month => date
                .with_day(1)
                .and_then(|d| d.checked_sub_months(chrono::Months::new(n))),
        };
        earlier.map_or(start, |d| calendar.start_of_day(d))
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
pub fn period_key(start: DateTime<Utc>) -> String {
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
pub fn create_table(level: Level) -> String {
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

fn upsert_sql(level: Level) -> String {
    format!(
        "INSERT INTO {} (period_start, interface, samples, first_sample, last_sample, interval_s,
    bytes_sent, bytes_recv, packets_sent, packets_recv, errin, errout, dropin, dropout,
    peak_sent_rate, peak_recv_rate)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
ON CONFLICT(period_start, interface) DO UPDATE SET
    samples = samples + excluded.samples,
    first_sample = MIN(first_sample, excluded.first_sample),
    last_sample = MAX(last_sample, excluded.last_sample),
    interval_s = interval_s + excluded.interval_s,
    bytes_sent = bytes_sent + excluded.bytes_sent,
    bytes_recv = bytes_recv + excluded.bytes_recv,
    packets_sent = packets_sent + excluded.packets_sent,
    packets_recv = packets_recv + excluded.packets_recv,
    errin = errin + excluded.errin,
    errout = errout + excluded.errout,
    dropin = dropin + excluded.dropin,
    dropout = dropout + excluded.dropout,
    peak_sent_rate = MAX(COALESCE(peak_sent_rate, excluded.peak_sent_rate),
                         COALESCE(excluded.peak_sent_rate, peak_sent_rate)),
    peak_recv_rate = MAX(COALESCE(peak_recv_rate, excluded.peak_recv_rate),
                         COALESCE(excluded.peak_recv_rate, peak_recv_rate))",
        level.table()
    )
}

/// Per interface and hour of the samples in a range: the rollup columns
/// (as [`upsert_sql`] takes them) and the hour's first sample time.
const HOUR_TOTALS: &str = "SELECT interface, MIN(t_ms), COUNT(*), MAX(t_ms),
    COALESCE(SUM(CASE WHEN bytes_recv_delta IS NOT NULL THEN interval_s END), 0),
    COALESCE(SUM(bytes_sent_delta), 0), COALESCE(SUM(bytes_recv_delta), 0),
    COALESCE(SUM(packets_sent_delta), 0), COALESCE(SUM(packets_recv_delta), 0),
    COALESCE(SUM(errin_delta), 0), COALESCE(SUM(errout_delta), 0),
    COALESCE(SUM(dropin_delta), 0), COALESCE(SUM(dropout_delta), 0),
    MAX(bytes_sent_rate), MAX(bytes_recv_rate)
FROM network_stats WHERE t_ms >= ?1 AND t_ms < ?2
GROUP BY (t_ms - ?3) / 3600000, interface";

/// Per interface and 5-minute slot of the samples in a range: the bytes of
/// the samples with deltas, and the microseconds they cover.
const SLOT_TOTALS: &str = "SELECT s.t / 300000 AS slot, i.name, SUM(s.bytes_recv_delta),
    COALESCE(SUM(s.bytes_sent_delta), 0), SUM(s.interval_us)
FROM netmon_samples s JOIN netmon_interfaces i ON i.id = s.iface
WHERE s.t >= ?1 AND s.t < ?2 AND s.bytes_recv_delta IS NOT NULL AND s.interval_us > 0
GROUP BY slot, s.iface ORDER BY slot";

/// Adds the samples stored in [`start_ms`, `end_ms`) (milliseconds since the
/// epoch) to the hour, day and month rollups and the hours' 5-minute slots.
/// Each sample must be added once: the caller folds each range once.
pub fn fold(
    conn: &Connection,
    calendar: &Calendar,
    start_ms: i64,
    end_ms: i64,
) -> rusqlite::Result<()> {
    let phase_ms = calendar.hour_phase() * 1000;
    let mut totals = conn.prepare_cached(HOUR_TOTALS)?;
    let mut rows = totals.query(params![start_ms, end_ms, phase_ms])?;
    while let Some(r) = rows.next()? {
        let interface: String = r.get(0)?;
        let first: i64 = r.get(1)?;
        let hour = Level::Hour.floor(calendar, from_ms(first));
        let first_sample = format_timestamp(from_ms(first));
        let last_sample = format_timestamp(from_ms(r.get(3)?));
        for (level, sql) in LEVELS.iter().zip(UPSERTS.iter()) {
            let key = period_key(level.floor(calendar, hour));
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
    fold_slots(conn, calendar, start_ms, end_ms)
}

/// Adds the 5-minute slots of the samples stored in [`start_ms`, `end_ms`)
/// to their hour rollups (which must hold those samples already).
pub fn fold_slots(
    conn: &Connection,
    calendar: &Calendar,
    start_ms: i64,
    end_ms: i64,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(SLOT_TOTALS)?;
    let mut rows = stmt.query(params![start_ms, end_ms])?;
    // Rows come in slot order: an hour is complete when a later one starts.
    let mut open: Option<(DateTime<Utc>, std::collections::BTreeMap<String, HourSlots>)> = None;
    while let Some(r) = rows.next()? {
        let slot: i64 = r.get(0)?;
        let hour = Level::Hour.floor(calendar, from_ms(slot * SLOT_MS));
        if open.as_ref().is_some_and(|(h, _)| *h != hour) {
            if let Some((h, slots)) = open.take() {
                store_slots(conn, h, slots)?;
            }
        }
        let count = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
        let sums = SlotSums {
            recv: count(2)?,
            sent: count(3)?,
            covered_us: count(4)?,
        };
        let (_, slots) = open.get_or_insert_with(|| (hour, Default::default()));
        slots.entry(r.get(1)?).or_default().add(slot, sums);
    }
    if let Some((hour, slots)) = open {
        store_slots(conn, hour, slots)?;
    }
    Ok(())
}

/// Merges the slots of each interface into its rollup of `hour`.
fn store_slots(
    conn: &Connection,
    hour: DateTime<Utc>,
    slots: std::collections::BTreeMap<String, HourSlots>,
) -> rusqlite::Result<()> {
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
        assert_eq!(
            Level::Hour.back(&utc_calendar, aligned, 23),
            utc(2026, 3, 28, 2, 0)
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
        assert_eq!(Level::Day.back(&india, day, 29), utc(2026, 10, 17, 18, 30));
        assert_eq!(Level::Day.ceil(&india, t), utc(2026, 11, 16, 18, 30));
        assert_eq!(Level::Day.ceil(&india, day), day);
        let month = Level::Month.floor(&india, t);
        assert_eq!(month, utc(2026, 10, 31, 18, 30));
        assert_eq!(Level::Month.next(&india, month), utc(2026, 11, 30, 18, 30));
        assert_eq!(
            Level::Month.back(&india, month, 11),
            utc(2025, 11, 30, 18, 30)
        );
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
    fn a_dst_day_is_25_hours_long() {
        let new_york = Calendar::from_spec("EST5EDT,M3.2.0,M11.1.0", 0).unwrap();
        let day = new_york.start_of_day(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        assert_eq!(Level::Day.next(&new_york, day) - day, Duration::hours(25));
    }
}

//! Rollups: per interface, the sums of the deltas, the seconds they cover and
//! the peak rates, per hour (`network_stats_hourly`), day
//! (`network_stats_daily`) and month (`network_stats_monthly`) of the
//! database's [`Calendar`]. They are updated in the same transaction as each
//! cycle, so a summary over any range reads a handful of rows per month, day
//! and hour at its edges, whatever the number of raw samples, and raw-sample
//! retention never erases long-term totals.

use crate::calendar::Calendar;
use crate::sampler::Row;
use chrono::{DateTime, Datelike, Duration, Utc};
use rusqlite::{params, Connection};

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
        next.map_or(start + Duration::days(1), |d| calendar.start_of_day(d))
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

/// The DDL of one level's table.
pub fn create_table(level: Level) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (
    period_start TEXT NOT NULL,
    interface TEXT NOT NULL,
    {ROLLUP_COLUMNS},
    PRIMARY KEY (period_start, interface)
) WITHOUT ROWID;",
        level.table()
    )
}

/// The upsert statement of each level (in [`LEVELS`] order), built once:
/// `add` runs for every stored row.
static UPSERTS: std::sync::LazyLock<[String; 3]> =
    std::sync::LazyLock::new(|| LEVELS.map(upsert_sql));

fn upsert_sql(level: Level) -> String {
    format!(
        "INSERT INTO {} (period_start, interface, samples, first_sample, last_sample, interval_s,
    bytes_sent, bytes_recv, packets_sent, packets_recv, errin, errout, dropin, dropout,
    peak_sent_rate, peak_recv_rate)
VALUES (?1, ?2, 1, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
ON CONFLICT(period_start, interface) DO UPDATE SET
    samples = samples + 1,
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

/// The `period_start` keys of the hour, day and month of `calendar` that
/// hold `at` (in [`LEVELS`] order): computed once per cycle, since all its
/// rows share one timestamp.
pub fn period_keys(calendar: &Calendar, at: DateTime<Utc>) -> [String; 3] {
    LEVELS.map(|level| period_key(level.floor(calendar, at)))
}

/// Folds `row`, stored as `timestamp`, into the hour, day and month whose
/// keys are `keys` (from [`period_keys`]).
pub fn add(
    conn: &Connection,
    keys: &[String; 3],
    timestamp: &str,
    row: &Row,
) -> rusqlite::Result<()> {
    let deltas = row.deltas.unwrap_or_default();
    let covered = if row.deltas.is_some() {
        row.interval_s.unwrap_or(0.0)
    } else {
        0.0
    };
    let d = deltas.to_array().map(super::delta_to_sql);
    for (key, sql) in keys.iter().zip(UPSERTS.iter()) {
        conn.prepare_cached(sql)?.execute(params![
            key,
            row.interface,
            timestamp,
            covered,
            d[1],
            d[0],
            d[3],
            d[2],
            d[4],
            d[5],
            d[6],
            d[7],
            row.bytes_sent_rate,
            row.bytes_recv_rate,
        ])?;
    }
    Ok(())
}

/// Recomputes every rollup from the raw rows (when upgrading a database).
pub fn rebuild(conn: &Connection, calendar: &Calendar) -> rusqlite::Result<()> {
    for level in LEVELS {
        conn.execute_batch(&format!("DELETE FROM {}", level.table()))?;
    }
    let mut stmt = conn.prepare(
        "SELECT timestamp, interface, interval_s, bytes_recv_rate, bytes_sent_rate,
                bytes_recv_delta, bytes_sent_delta, packets_recv_delta, packets_sent_delta,
                errin_delta, errout_delta, dropin_delta, dropout_delta
         FROM network_stats ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let timestamp: String = r.get(0)?;
        let Ok(at) = DateTime::parse_from_rfc3339(&timestamp) else {
            continue;
        };
        let deltas: [Option<i64>; 8] = std::array::from_fn(|i| r.get(i + 5).ok().flatten());
        let row = Row {
            interface: r.get(1)?,
            ifindex: None,
            counters: Default::default(),
            deltas: deltas[0].map(|_| {
                crate::counters::Counters::from_array(deltas.map(|d| d.unwrap_or(0).max(0) as u64))
            }),
            interval_s: r.get(2)?,
            bytes_recv_rate: r.get(3)?,
            bytes_sent_rate: r.get(4)?,
            step: None,
            set_aside: false,
        };
        add(
            conn,
            &period_keys(calendar, at.with_timezone(&Utc)),
            &timestamp,
            &row,
        )?;
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
    fn a_dst_day_is_25_hours_long() {
        let new_york = Calendar::from_spec("EST5EDT,M3.2.0,M11.1.0", 0).unwrap();
        let day = new_york.start_of_day(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        assert_eq!(Level::Day.next(&new_york, day) - day, Duration::hours(25));
    }
}

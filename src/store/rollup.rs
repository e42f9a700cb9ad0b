//! Rollups: per interface, the sums of the deltas, the seconds they cover and
//! the peak rates, per UTC hour (`network_stats_hourly`), per local day
//! (`network_stats_daily`) and per local month (`network_stats_monthly`).
//! They are updated in the same transaction as each cycle, so a summary over
//! any range reads a handful of rows per month, day and hour at its edges,
//! whatever the number of raw samples, and raw-sample retention never erases
//! long-term totals.

use crate::sampler::Row;
use chrono::{DateTime, Datelike, Duration, DurationRound, Local, NaiveDate, TimeZone, Utc};
use rusqlite::{params, Connection};

/// A rollup granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// UTC clock hours.
    Hour,
    /// Local calendar days (midnight to midnight in the process's time zone).
    Day,
    /// Local calendar months.
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
    pub fn floor(self, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Level::Hour => t.duration_trunc(Duration::hours(1)).unwrap_or(t),
            Level::Day => local_midnight(t.with_timezone(&Local).date_naive()),
            Level::Month => {
                let date = t.with_timezone(&Local).date_naive();
                local_midnight(date.with_day(1).unwrap_or(date))
            }
        }
    }

    /// Start of the bin after the one starting at `start`.
    pub fn next(self, start: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Level::Hour => start + Duration::hours(1),
            Level::Day | Level::Month => {
                let date = start.with_timezone(&Local).date_naive();
                let next = match self {
                    Level::Day => date.succ_opt(),
                    _ => date
                        .with_day(1)
                        .and_then(|d| d.checked_add_months(chrono::Months::new(1))),
                };
                next.map_or(start + Duration::days(1), local_midnight)
            }
        }
    }

    /// Start of the bin `n` bins before the one starting at `start`.
    pub fn back(self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let date = start.with_timezone(&Local).date_naive();
        let earlier = match self {
            Level::Hour => return start - Duration::hours(i64::from(n)),
            Level::Day => date.checked_sub_days(chrono::Days::new(u64::from(n))),
            Level::Month => date
                .with_day(1)
                .and_then(|d| d.checked_sub_months(chrono::Months::new(n))),
        };
        earlier.map_or(start, local_midnight)
    }

    /// First bin start at or after `t`.
    pub fn ceil(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let floor = self.floor(t);
        if floor == t {
            t
        } else {
            self.next(floor)
        }
    }
}

/// The first instant of a local date (DST-safe: a skipped midnight starts
/// at the first valid local time after it).
pub fn local_midnight(date: NaiveDate) -> DateTime<Utc> {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..4)
        .find_map(|hour| {
            Local
                .from_local_datetime(&(naive + Duration::hours(hour)))
                .earliest()
        })
        .map_or_else(|| Utc.from_utc_datetime(&naive), |t| t.with_timezone(&Utc))
}

/// Formats a bin start as stored in `period_start`.
pub fn period_key(start: DateTime<Utc>) -> String {
    start.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Columns shared by the three rollup tables (after `period_start, interface`).
pub const ROLLUP_COLUMNS: &str = "samples INTEGER NOT NULL,
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

/// Folds `row`, stored at `at` (whose stored text is `timestamp`), into its
/// hour, day and month.
pub fn add(
    conn: &Connection,
    at: DateTime<Utc>,
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
    for (level, sql) in LEVELS.into_iter().zip(UPSERTS.iter()) {
        conn.prepare_cached(sql)?.execute(params![
            period_key(level.floor(at)),
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
pub fn rebuild(conn: &Connection) -> rusqlite::Result<()> {
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
            counters: Default::default(),
            deltas: deltas[0].map(|_| {
                crate::counters::Counters::from_array(deltas.map(|d| d.unwrap_or(0).max(0) as u64))
            }),
            interval_s: r.get(2)?,
            bytes_recv_rate: r.get(3)?,
            bytes_sent_rate: r.get(4)?,
        };
        add(conn, at.with_timezone(&Utc), &timestamp, &row)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_in_utc_for_hours() {
        let t = Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap();
        assert_eq!(period_key(Level::Hour.floor(t)), "2026-03-29T01:00:00Z");
        assert_eq!(period_key(Level::Hour.ceil(t)), "2026-03-29T02:00:00Z");
        let aligned = Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap();
        assert_eq!(Level::Hour.ceil(aligned), aligned);
    }

    #[test]
    fn days_and_months_follow_the_local_calendar() {
        // Whatever TZ the tests run in, a day bin is [local midnight, next local midnight).
        let t = Utc.with_ymd_and_hms(2026, 11, 15, 12, 0, 0).unwrap();
        let day = Level::Day.floor(t);
        assert_eq!(
            day.with_timezone(&Local).format("%H:%M").to_string(),
            "00:00"
        );
        assert!(day <= t && t < Level::Day.next(day));
        let month = Level::Month.floor(t);
        assert_eq!(
            month.with_timezone(&Local).format("%d %H:%M").to_string(),
            "01 00:00"
        );
        assert_eq!(
            Level::Month
                .back(month, 11)
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            "2025-12-01 00:00"
        );
        assert_eq!(
            Level::Day
                .back(day, 29)
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            "2026-10-17 00:00"
        );
        assert_eq!(Level::Hour.back(t, 23), t - Duration::hours(23));
        assert_eq!(
            Level::Month
                .next(month)
                .with_timezone(&Local)
                .format("%m-%d")
                .to_string(),
            "12-01"
        );
    }
}

//! `--summary`: per-interface totals (from deltas, so correct across resets)
//! over a time window, optionally by hour, day or month. Full hours come from
//! the hourly rollups and only the partial hours at the window's edges from
//! raw rows, so the cost does not grow with the number of raw samples.
//! Opens the database read-only and never writes.

pub mod render;
pub mod window;

use crate::cli::Period;
use crate::error::{Error, Result};
use crate::sampler::TOTAL_INTERFACE;
use crate::store::{format_timestamp, schema};
use chrono::{DateTime, Datelike, Duration, DurationRound, Local, TimeZone, Timelike, Utc};
use rusqlite::{Connection, OpenFlags};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Aggregated traffic of one interface over some span.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// Earliest sample (stored RFC 3339 text).
    pub first_sample: String,
    /// Latest sample.
    pub last_sample: String,
    /// Number of stored samples.
    pub samples: u64,
    /// Seconds covered by the deltas (for average rates).
    pub seconds: f64,
    /// Bytes received (sum of deltas).
    pub bytes_recv: u64,
    /// Bytes sent (sum of deltas).
    pub bytes_sent: u64,
    /// Receive errors.
    pub errin: u64,
    /// Transmit errors.
    pub errout: u64,
    /// Received packets dropped.
    pub dropin: u64,
    /// Transmitted packets dropped.
    pub dropout: u64,
    /// Highest per-sample receive rate.
    pub peak_recv_rate: Option<f64>,
    /// Highest per-sample send rate.
    pub peak_sent_rate: Option<f64>,
}

impl Totals {
    fn merge(&mut self, other: &Totals) {
        if self.samples == 0 || other.first_sample < self.first_sample {
            self.first_sample.clone_from(&other.first_sample);
        }
        if other.last_sample > self.last_sample {
            self.last_sample.clone_from(&other.last_sample);
        }
        self.samples += other.samples;
        self.seconds += other.seconds;
        self.bytes_recv += other.bytes_recv;
        self.bytes_sent += other.bytes_sent;
        self.errin += other.errin;
        self.errout += other.errout;
        self.dropin += other.dropin;
        self.dropout += other.dropout;
        let max = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        self.peak_recv_rate = max(self.peak_recv_rate, other.peak_recv_rate);
        self.peak_sent_rate = max(self.peak_sent_rate, other.peak_sent_rate);
    }

    /// Average receive rate (bytes/s) over the covered seconds.
    pub fn avg_recv_rate(&self) -> Option<f64> {
        (self.seconds > 0.0).then(|| self.bytes_recv as f64 / self.seconds)
    }

    /// Average send rate (bytes/s) over the covered seconds.
    pub fn avg_sent_rate(&self) -> Option<f64> {
        (self.seconds > 0.0).then(|| self.bytes_sent as f64 / self.seconds)
    }
}

/// One interface's section of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceReport {
    /// Interface name or `_total`.
    pub interface: String,
    /// Totals over the whole window.
    pub totals: Totals,
    /// With `--by`: (local period start, totals), oldest first.
    pub periods: Vec<(DateTime<Local>, Totals)>,
}

/// The whole `--summary` answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Database path.
    pub database: PathBuf,
    /// Raw rows in the database (whole database, not just the window).
    pub total_records: u64,
    /// Window start (inclusive), if bounded.
    pub since: Option<DateTime<Utc>>,
    /// Window end (exclusive), if bounded.
    pub until: Option<DateTime<Utc>>,
    /// Per interface, alphabetically, `_total` last.
    pub interfaces: Vec<InterfaceReport>,
}

/// What to report on.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Inclusive start.
    pub since: Option<DateTime<Utc>>,
    /// Exclusive end.
    pub until: Option<DateTime<Utc>>,
    /// Only these interfaces (and `_total`); empty = all.
    pub interfaces: Vec<String>,
    /// Break down by period.
    pub by: Option<Period>,
}

const ROLLUP_HOURS: &str = "SELECT interface, hour, first_sample, last_sample, samples, interval_s,
    bytes_recv, bytes_sent, errin, errout, dropin, dropout, peak_recv_rate, peak_sent_rate
FROM network_stats_hourly WHERE hour >= ?1 AND hour < ?2";

const RAW_HOURS: &str = "SELECT interface, strftime('%Y-%m-%dT%H:00:00Z', timestamp) AS hour,
    MIN(timestamp), MAX(timestamp), COUNT(*),
    COALESCE(SUM(CASE WHEN bytes_recv_delta IS NOT NULL THEN interval_s END), 0),
    COALESCE(SUM(bytes_recv_delta), 0), COALESCE(SUM(bytes_sent_delta), 0),
    COALESCE(SUM(errin_delta), 0), COALESCE(SUM(errout_delta), 0),
    COALESCE(SUM(dropin_delta), 0), COALESCE(SUM(dropout_delta), 0),
    MAX(bytes_recv_rate), MAX(bytes_sent_rate)
FROM network_stats WHERE timestamp >= ?1 AND timestamp < ?2 GROUP BY interface, hour";

/// Opens `path` read-only (never creating or changing it) and checks it is
/// a netmon database at the current schema.
pub fn open_read_only(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(Error::runtime(format!(
            "database {} does not exist; run netmon first to collect samples (or check database_file)",
            path.display()
        )));
    }
    let kind = schema::inspect(path).map_err(Error::config)?;
    if kind != schema::Kind::Netmon(schema::SCHEMA_VERSION) {
        return Err(Error::runtime(format!(
            "database {} has an older schema ({kind:?}); run netmon --once on it to upgrade it in place",
            path.display()
        )));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| Error::runtime(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(crate::store::BUSY_TIMEOUT)
        .map_err(|e| Error::runtime(format!("cannot open {}: {e}", path.display())))?;
    Ok(conn)
}

fn hour_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::hours(1)).unwrap_or(t)
}

fn hour_ceil(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = hour_floor(t);
    if floor == t {
        t
    } else {
        floor + Duration::hours(1)
    }
}

/// Builds the report for `query` from an open database.
pub fn build(conn: &Connection, database: &Path, query: &Query) -> rusqlite::Result<Report> {
    let since = query.since;
    let until = query.until;
    // Full hours [rollup_from, rollup_to) come from rollups; the edges from raw rows.
    let rollup_from = since.map(hour_ceil);
    let rollup_to = until.map(hour_floor);
    let text = |t: Option<DateTime<Utc>>, open: &str| t.map_or(open.to_string(), format_timestamp);
    let mut entries = Vec::new();
    if let (Some(from), Some(to)) = (rollup_from, rollup_to) {
        if from >= to {
            fetch(
                conn,
                RAW_HOURS,
                &text(since, ""),
                &text(until, "~"),
                &mut entries,
            )?;
            return assemble(conn, database, query, entries);
        }
    }
    fetch(
        conn,
        ROLLUP_HOURS,
        &text(rollup_from, ""),
        &text(rollup_to, "~"),
        &mut entries,
    )?;
    if let (Some(start), Some(edge)) = (since, rollup_from) {
        if start < edge {
            fetch(
                conn,
                RAW_HOURS,
                &format_timestamp(start),
                &format_timestamp(edge),
                &mut entries,
            )?;
        }
    }
    if let (Some(end), Some(edge)) = (until, rollup_to) {
        if edge < end {
            fetch(
                conn,
                RAW_HOURS,
                &format_timestamp(edge),
                &format_timestamp(end),
                &mut entries,
            )?;
        }
    }
    assemble(conn, database, query, entries)
}

type HourEntry = (String, DateTime<Utc>, Totals);

fn fetch(
    conn: &Connection,
    sql: &str,
    from: &str,
    to: &str,
    out: &mut Vec<HourEntry>,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([from, to], |r| {
        let hour: String = r.get(1)?;
        let count = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
        Ok((
            r.get::<_, String>(0)?,
            hour,
            Totals {
                first_sample: r.get(2)?,
                last_sample: r.get(3)?,
                samples: count(4)?,
                seconds: r.get(5)?,
                bytes_recv: count(6)?,
                bytes_sent: count(7)?,
                errin: count(8)?,
                errout: count(9)?,
                dropin: count(10)?,
                dropout: count(11)?,
                peak_recv_rate: r.get(12)?,
                peak_sent_rate: r.get(13)?,
            },
        ))
    })?;
    for row in rows {
        let (interface, hour, totals) = row?;
        if let Ok(hour) = DateTime::parse_from_rfc3339(&hour) {
            out.push((interface, hour.with_timezone(&Utc), totals));
        }
    }
    Ok(())
}

fn assemble(
    conn: &Connection,
    database: &Path,
    query: &Query,
    entries: Vec<HourEntry>,
) -> rusqlite::Result<Report> {
    let wanted = |name: &str| {
        query.interfaces.is_empty()
            || name == TOTAL_INTERFACE
            || query.interfaces.iter().any(|i| i == name)
    };
    let mut by_interface: BTreeMap<String, (Totals, BTreeMap<DateTime<Local>, Totals>)> =
        BTreeMap::new();
    for (interface, hour, totals) in entries.iter().filter(|e| wanted(&e.0)) {
        let (overall, periods) = by_interface.entry(interface.clone()).or_default();
        overall.merge(totals);
        if let Some(period) = query.by {
            periods
                .entry(period_start(*hour, period))
                .or_default()
                .merge(totals);
        }
    }
    let mut interfaces: Vec<InterfaceReport> = by_interface
        .into_iter()
        .map(|(interface, (totals, periods))| InterfaceReport {
            interface,
            totals,
            periods: periods.into_iter().collect(),
        })
        .collect();
    interfaces.sort_by_key(|r| (r.interface == TOTAL_INTERFACE, r.interface.clone()));
    let total_records: i64 =
        conn.query_row("SELECT COUNT(*) FROM network_stats", [], |r| r.get(0))?;
    Ok(Report {
        database: database.to_path_buf(),
        total_records: total_records.max(0) as u64,
        since: query.since,
        until: query.until,
        interfaces,
    })
}

/// The local start of the period that contains UTC hour `hour`.
pub fn period_start(hour: DateTime<Utc>, period: Period) -> DateTime<Local> {
    let local = hour.with_timezone(&Local);
    let naive = match period {
        Period::Hour => {
            return local
                .with_minute(0)
                .and_then(|t| t.with_second(0))
                .unwrap_or(local)
        }
        Period::Day => local.date_naive(),
        Period::Month => local.date_naive().with_day(1).unwrap_or(local.date_naive()),
    }
    .and_hms_opt(0, 0, 0)
    .unwrap_or_default();
    Local
        .from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            Local
                .from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .unwrap_or(local)
}

#[cfg(test)]
mod tests;

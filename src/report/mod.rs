//! `--summary`: per-interface totals (from deltas, so correct across resets)
//! over a time window, optionally by hour, day or month. Whole months, days
//! and hours come from the rollups, and only partial hours at the window's
//! edges and the time since the rollups were last folded (under an hour or
//! two) from raw rows, so the cost does not grow with the number of raw
//! samples. Days and months are those of the database's recorded calendar,
//! so the totals of an absolute window are the same in any reader's time
//! zone. Opens the database read-only and never writes.

pub mod alert;
pub mod audit;
pub mod chart;
pub mod current;
pub mod percentile;
pub mod period;
pub mod render;
mod top;
pub mod window;

use crate::calendar::Calendar;
use crate::cli::Period;
use crate::error::{Error, Result};
use crate::sampler::TOTAL_INTERFACE;
use crate::store::rollup::{period_key, Level, LEVELS};
use crate::store::{format_timestamp, from_ms, meta, schema, to_ms};
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use std::collections::btree_map::{BTreeMap, Entry};
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
        // Saturating: no stored value can make a report fail.
        self.samples = self.samples.saturating_add(other.samples);
        self.seconds += other.seconds;
        self.bytes_recv = self.bytes_recv.saturating_add(other.bytes_recv);
        self.bytes_sent = self.bytes_sent.saturating_add(other.bytes_sent);
        self.errin = self.errin.saturating_add(other.errin);
        self.errout = self.errout.saturating_add(other.errout);
        self.dropin = self.dropin.saturating_add(other.dropin);
        self.dropout = self.dropout.saturating_add(other.dropout);
        let max = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        self.peak_recv_rate = max(self.peak_recv_rate, other.peak_recv_rate);
        self.peak_sent_rate = max(self.peak_sent_rate, other.peak_sent_rate);
    }

    /// Bytes received and sent.
    pub fn bytes_total(&self) -> u64 {
        self.bytes_recv.saturating_add(self.bytes_sent)
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
    /// With `--by`: (period start in the database's zone, totals), oldest first.
    pub periods: Vec<(DateTime<FixedOffset>, Totals)>,
    /// With `--top N`: the N days with the most traffic, biggest first.
    pub top: Vec<(DateTime<FixedOffset>, Totals)>,
    /// With `--by month`: the day this interface's months start on.
    pub billing_day: Option<u32>,
    /// When the window includes now: the current day and (billing) month,
    /// so far and estimated.
    pub estimates: Vec<current::CurrentPeriod>,
    /// With `--percentile P`: the P-th percentile of its 5-minute rates.
    pub percentile: Option<percentile::Percentile>,
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
    /// The requested `since` and `until` where they had to be moved to an
    /// hour boundary: the raw samples that would resolve them are gone.
    pub rounded: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    /// The calendar the database's days and months are cut in (and in
    /// which the report shows times).
    pub calendar: Calendar,
    /// Per interface, alphabetically, `_total` last.
    pub interfaces: Vec<InterfaceReport>,
    /// Only when the window holds no sample: the first and last sample the
    /// database does hold (stored RFC 3339 text), so the table can say where
    /// to look.
    pub held: Option<(String, String)>,
}

/// What to report on.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The database's calendar.
    pub calendar: Calendar,
    /// Inclusive start.
    pub since: Option<DateTime<Utc>>,
    /// Exclusive end.
    pub until: Option<DateTime<Utc>>,
    /// Only these interfaces (and `_total`); empty = all.
    pub interfaces: Vec<String>,
    /// Break down by period.
    pub by: Option<Period>,
    /// The day each interface's months start on.
    pub billing: period::BillingDays,
    /// List the N days with the most traffic.
    pub top: Option<usize>,
    /// Now, for estimates of the current day and month when the window
    /// includes it (`None`: no estimates).
    pub estimate_at: Option<DateTime<Utc>>,
    /// The percentile of 5-minute rates to compute (0 < P <= 100).
    pub percentile: Option<f64>,
}

/// Opens `path` read-only (never creating or changing it) and checks it is
/// a netmon database at the current schema.
pub fn open_read_only(path: &Path) -> Result<crate::store::read_only::ReadOnly> {
    crate::fsutil::check_regular(path).map_err(|e| {
        Error::config(format!(
            "database_file {}: {e}; name a database file",
            path.display()
        ))
    })?;
    let readable = std::fs::metadata(path).and_then(|_| std::fs::File::open(path));
    match readable {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::runtime(format!(
                "database {} does not exist; run netmon first to collect samples (or check database_file)",
                path.display()
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(Error::runtime(format!(
                "database {}: permission denied; reading it needs read access to the file and \
                 its directories: ask its owner, or join its group (the netmon group for the \
                 packaged service)",
                path.display()
            )))
        }
        Err(e) => {
            return Err(Error::runtime(format!(
                "cannot read database {}: {e}",
                path.display()
            )))
        }
        Ok(_) => {}
    }
    let kind = schema::inspect(path).map_err(Error::config)?;
    if kind == schema::Kind::Empty {
        return Err(Error::runtime(format!(
            "database {} is empty: nothing collected yet; run netmon first to collect samples \
             (or check database_file)",
            path.display()
        )));
    }
    if kind != schema::Kind::Netmon(schema::SCHEMA_VERSION) {
        return Err(Error::runtime(format!(
            "database {} has an older schema ({kind}); run netmon --once on it to upgrade it in place",
            path.display()
        )));
    }
    let opened = crate::store::read_only::open(path)
        .map_err(|e| Error::runtime(format!("cannot open {}: {e}", path.display())))?;
    opened
        .conn
        .busy_timeout(crate::store::BUSY_TIMEOUT)
        .map_err(|e| Error::runtime(format!("cannot open {}: {e}", path.display())))?;
    Ok(opened)
}

/// Where one piece of a window is answered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Rollup(Level),
    Raw,
}

/// Splits [from, to) into the fewest pieces: whole months from the monthly
/// rollups, then whole days, whole hours, and raw rows for partial hours.
fn cover(
    calendar: &Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    levels: &[Level],
    out: &mut Vec<(Source, DateTime<Utc>, DateTime<Utc>)>,
) {
    if from >= to {
        return;
    }
    match levels.split_last() {
        None => out.push((Source::Raw, from, to)),
        Some((&level, finer)) => {
            let (start, end) = (level.ceil(calendar, from), level.floor(calendar, to));
            if start < end {
                out.push((Source::Rollup(level), start, end));
                cover(calendar, from, start, finer, out);
                cover(calendar, end, to, finer, out);
            } else {
                cover(calendar, from, to, finer, out);
            }
        }
    }
}

/// Splits [from, to) like [`cover`] where the rollups hold the samples
/// (before `folded_until`), and into raw rows from there on.
fn cover_window(
    calendar: &Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    folded_until: DateTime<Utc>,
    out: &mut Vec<(Source, DateTime<Utc>, DateTime<Utc>)>,
) {
    cover(calendar, from, to.min(folded_until), &LEVELS, out);
    let raw_from = from.max(folded_until);
    if raw_from < to {
        out.push((Source::Raw, raw_from, to));
    }
}

/// The instant before which every sample is in the rollups (the earliest
/// time when nothing was folded yet).
pub(crate) fn folded_until(conn: &Connection) -> rusqlite::Result<DateTime<Utc>> {
    Ok(meta::get(conn, meta::FOLDED_UNTIL)?
        .and_then(|v| v.parse().ok())
        .map_or(DateTime::<Utc>::MIN_UTC, from_ms))
}

/// The earliest and latest raw sample times (two key lookups: SQLite
/// answers one MIN or MAX from the key, both in one SELECT by a scan).
fn raw_range(conn: &Connection) -> rusqlite::Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
    let (first, last): (Option<i64>, Option<i64>) = conn.query_row(
        "SELECT (SELECT MIN(t) FROM netmon_samples), (SELECT MAX(t) FROM netmon_samples)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(first.zip(last).map(|(a, b)| (from_ms(a), from_ms(b))))
}

/// A stored time in milliseconds as SQL text in the stored format.
const MS_AS_TEXT: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', {} / 1000.0, 'unixepoch')";

/// The totals columns of one rollup row, in [`TOTALS_COLUMNS`] order.
const BIN_COLUMNS: &str = "first_sample, last_sample, samples, interval_s, bytes_recv, bytes_sent,
    errin, errout, dropin, dropout, peak_recv_rate, peak_sent_rate";

const TOTALS_COLUMNS: &str = "MIN(first_sample), MAX(last_sample), SUM(samples), SUM(interval_s),
    SUM(bytes_recv), SUM(bytes_sent), SUM(errin), SUM(errout), SUM(dropin), SUM(dropout),
    MAX(peak_recv_rate), MAX(peak_sent_rate)";

/// Totals per interface of the raw rows in [?1, ?2) (milliseconds).
static RAW_TOTALS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT interface, NULL, {}, {}, COUNT(*),
    COALESCE(SUM(CASE WHEN bytes_recv_delta IS NOT NULL THEN interval_s END), 0),
    COALESCE(SUM(bytes_recv_delta), 0), COALESCE(SUM(bytes_sent_delta), 0),
    COALESCE(SUM(errin_delta), 0), COALESCE(SUM(errout_delta), 0),
    COALESCE(SUM(dropin_delta), 0), COALESCE(SUM(dropout_delta), 0),
    MAX(bytes_recv_rate), MAX(bytes_sent_rate)
FROM network_stats WHERE t_ms >= ?1 AND t_ms < ?2 GROUP BY interface",
        MS_AS_TEXT.replace("{}", "MIN(t_ms)"),
        MS_AS_TEXT.replace("{}", "MAX(t_ms)")
    )
});

/// (interface, rollup bin start if grouped by bin, totals)
type Piece = (String, Option<DateTime<Utc>>, Totals);

/// Totals per interface over [from, to) from one source; with `per_bin`,
/// per interface and rollup bin.
fn aggregate(
    conn: &Connection,
    source: Source,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    per_bin: bool,
) -> rusqlite::Result<Vec<Piece>> {
    let (sql, bounds) = match source {
        Source::Raw => {
            let mut stmt = conn.prepare_cached(&RAW_TOTALS)?;
            let rows = stmt.query_map([to_ms(from), to_ms(to)], piece_of_row)?;
            return rows.collect();
        }
        Source::Rollup(level) => {
            // One rollup row is one bin: per bin, no aggregation is needed.
            let (select, group) = if per_bin {
                ("period_start, ".to_string() + BIN_COLUMNS, "")
            } else {
                ("NULL, ".to_string() + TOTALS_COLUMNS, " GROUP BY interface")
            };
            (
                format!(
                    "SELECT interface, {select} FROM {} WHERE period_start >= ?1 AND period_start < ?2{group}",
                    level.table()
                ),
                [period_key(from), period_key(to)],
            )
        }
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(bounds, piece_of_row)?;
    rows.collect()
}

/// A piece from a row of (interface, bin start or NULL, then the
/// [`TOTALS_COLUMNS`]).
fn piece_of_row(r: &rusqlite::Row) -> rusqlite::Result<Piece> {
    let count = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
    // Parsed in place: no String per bin.
    let bin = match r.get_ref(1)? {
        ValueRef::Text(text) => std::str::from_utf8(text)
            .ok()
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|start| start.with_timezone(&Utc)),
        _ => None,
    };
    Ok((
        r.get::<_, String>(0)?,
        bin,
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
}

/// Received and sent bytes per interface over [from, to) (by name), from
/// the coarsest rollups that fit and the raw rows since the last fold.
pub fn bytes_between(
    conn: &Connection,
    calendar: &Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> rusqlite::Result<BTreeMap<String, (u64, u64)>> {
    let mut bytes: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (interface, _, totals) in window_totals(conn, calendar, from, to)? {
        let entry = bytes.entry(interface).or_default();
        entry.0 = entry.0.saturating_add(totals.bytes_recv);
        entry.1 = entry.1.saturating_add(totals.bytes_sent);
    }
    Ok(bytes)
}

/// Totals per interface over [from, to), from the coarsest rollups that fit.
fn window_totals(
    conn: &Connection,
    calendar: &Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> rusqlite::Result<Vec<Piece>> {
    let mut pieces = Vec::new();
    cover_window(calendar, from, to, folded_until(conn)?, &mut pieces);
    let mut totals = Vec::new();
    for (source, start, end) in pieces {
        totals.extend(aggregate(conn, source, start, end, false)?);
    }
    Ok(totals)
}

/// Totals per interface and period over [from, to): whole bins of the
/// periods' rollup level from its table, the partial first and last bins
/// from the coarsest pieces that fit; then each bin is counted in the
/// period of its interface that holds it.
fn period_pieces(
    conn: &Connection,
    calendar: &Calendar,
    period: Period,
    billing: &period::BillingDays,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> rusqlite::Result<Vec<Piece>> {
    let periods_of = |interface: &str| period::Periods {
        period,
        billing_day: billing.of(interface),
    };
    let level = if period == Period::Month && billing.any_besides_the_first() {
        Level::Day
    } else {
        period::Periods::calendar(period).level()
    };
    let (start, end) = whole_bins(conn, calendar, level, from, to)?;
    let mut pieces = if start < end {
        aggregate(conn, Source::Rollup(level), start, end, true)?
    } else {
        Vec::new()
    };
    for (edge_from, edge_to) in outside(conn, from, to, (start, end))? {
        pieces.extend(binned_totals(conn, calendar, level, edge_from, edge_to)?);
    }
    for (interface, bin, _) in &mut pieces {
        *bin = bin.map(|start| periods_of(interface).floor(calendar, start));
    }
    Ok(pieces)
}

/// The whole `level` bins of [from, to) that the rollups hold entirely.
fn whole_bins(
    conn: &Connection,
    calendar: &Calendar,
    level: Level,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> rusqlite::Result<(DateTime<Utc>, DateTime<Utc>)> {
    let folded_until = folded_until(conn)?;
    Ok((
        level.ceil(calendar, from),
        level.floor(calendar, to.min(folded_until)),
    ))
}

/// The parts of [from, to) outside the whole bins [start, end), up to the
/// latest raw sample.
fn outside(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> rusqlite::Result<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    // Samples are in the rollups before folded_until, raw after it.
    let folded_until = folded_until(conn)?;
    let held_until = raw_range(conn)?.map_or(folded_until, |(_, last)| {
        folded_until.max(last + chrono::Duration::milliseconds(1))
    });
    let to = to.min(held_until.max(end));
    Ok(if start < end {
        vec![(from, start.min(to)), (end, to)]
    } else {
        vec![(from, to)]
    })
}

/// Totals per interface of each `level` bin's part of [from, to), with
/// that bin's start.
fn binned_totals(
    conn: &Connection,
    calendar: &Calendar,
    level: Level,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> rusqlite::Result<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut start = from;
    while start < to {
        let bin = level.floor(calendar, start);
        let next = level.next(calendar, bin).min(to);
        for (interface, _, totals) in window_totals(conn, calendar, start, next)? {
            pieces.push((interface, Some(bin), totals));
        }
        start = next;
    }
    Ok(pieces)
}

/// Earliest and latest instants an unbounded window stands for.
fn unbounded() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default(),
        Utc.with_ymd_and_hms(9000, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default(),
    )
}

/// Moves a window edge older than the raw samples to the nearest hour
/// boundary when its hour holds rollup data: the raw rows that would
/// resolve it exactly are gone (retention). `None` when it stays exact.
fn round_edge(
    conn: &Connection,
    calendar: &Calendar,
    edge: DateTime<Utc>,
    earliest_raw: Option<DateTime<Utc>>,
) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let hour = Level::Hour.floor(calendar, edge);
    if hour == edge || earliest_raw.is_some_and(|first| edge >= first) {
        return Ok(None);
    }
    let held: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM network_stats_hourly WHERE period_start = ?1)",
        [period_key(hour)],
        |r| r.get(0),
    )?;
    if !held {
        return Ok(None);
    }
    let next = Level::Hour.next(calendar, hour);
    Ok(Some(if edge - hour < next - edge {
        hour
    } else {
        next
    }))
}

/// The earliest raw sample's time (a key lookup).
fn earliest_raw(conn: &Connection) -> rusqlite::Result<Option<DateTime<Utc>>> {
    Ok(raw_range(conn)?.map(|(first, _)| first))
}

/// Builds the report for `query` from an open database.
pub fn build(conn: &Connection, database: &Path, query: &Query) -> rusqlite::Result<Report> {
    // One snapshot: every piece, the fold mark and the raw range of one state.
    let snapshot = conn.unchecked_transaction()?;
    let conn: &Connection = &snapshot;
    let calendar = &query.calendar;
    let first_raw = earliest_raw(conn)?;
    let mut rounded = (None, None);
    let mut query = query.clone();
    if let Some(since) = query.since {
        if let Some(edge) = round_edge(conn, calendar, since, first_raw)? {
            rounded.0 = Some(since);
            query.since = Some(edge);
        }
    }
    if let Some(until) = query.until {
        if let Some(edge) = round_edge(conn, calendar, until, first_raw)? {
            rounded.1 = Some(until);
            query.until = Some(edge);
        }
    }
    let (earliest, latest) = unbounded();
    let from = query.since.unwrap_or(earliest);
    let to = query.until.unwrap_or(latest).max(from);
    let pieces = match query.by {
        None => window_totals(conn, calendar, from, to)?,
        Some(period) => period_pieces(conn, calendar, period, &query.billing, from, to)?,
    };
    let mut report = assemble(conn, database, &query, pieces)?;
    report.rounded = rounded;
    let window_holds = |now: &DateTime<Utc>| {
        query.since.is_none_or(|since| since <= *now)
            && query.until.is_none_or(|until| *now < until)
    };
    if let Some(now) = query.estimate_at.filter(window_holds) {
        for period in [Period::Day, Period::Month] {
            for current in current::current_periods(conn, calendar, period, &query.billing, now)? {
                if let Some(entry) = report
                    .interfaces
                    .iter_mut()
                    .find(|e| e.interface == current.interface)
                {
                    entry.estimates.push(current);
                }
            }
        }
    }
    if let Some(p) = query.percentile {
        let mut percentiles = percentile::of_window(conn, calendar, from, to, p)?;
        for entry in &mut report.interfaces {
            entry.percentile = Some(
                percentiles
                    .remove(&entry.interface)
                    .unwrap_or_else(|| percentile::Percentile::empty(p)),
            );
        }
    }
    if let Some(n) = query.top {
        top::attach(conn, calendar, (from, to), n, &mut report.interfaces)?;
    }
    Ok(report)
}

fn assemble(
    conn: &Connection,
    database: &Path,
    query: &Query,
    pieces: Vec<Piece>,
) -> rusqlite::Result<Report> {
    let wanted = |name: &str| {
        query.interfaces.is_empty()
            || name == TOTAL_INTERFACE
            || query.interfaces.iter().any(|i| i == name)
    };
    let mut by_interface: BTreeMap<String, (Totals, BTreeMap<DateTime<Utc>, Totals>)> =
        BTreeMap::new();
    for (interface, period, totals) in pieces
        .into_iter()
        .filter(|p| wanted(&p.0) && p.2.samples > 0)
    {
        let (overall, periods) = by_interface.entry(interface).or_default();
        overall.merge(&totals);
        if let Some(start) = period {
            match periods.entry(start) {
                Entry::Vacant(slot) => {
                    slot.insert(totals);
                }
                Entry::Occupied(mut slot) => slot.get_mut().merge(&totals),
            }
        }
    }
    let mut interfaces: Vec<InterfaceReport> = by_interface
        .into_iter()
        .map(|(interface, (totals, periods))| InterfaceReport {
            billing_day: (query.by == Some(Period::Month)).then(|| query.billing.of(&interface)),
            interface,
            totals,
            periods: periods
                .into_iter()
                .map(|(start, t)| (query.calendar.local(start), t))
                .collect(),
            top: Vec::new(),
            estimates: Vec::new(),
            percentile: None,
        })
        .collect();
    interfaces.sort_by_key(|r| (r.interface == TOTAL_INTERFACE, r.interface.clone()));
    // Kept with every write and deletion, so counting costs nothing.
    let total_records: i64 = meta::get(conn, meta::RAW_ROWS)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // The monthly rollups hold every folded cycle in a few rows per month,
    // the raw rows the rest.
    let held = if interfaces.is_empty() {
        let rolled: Option<(String, String)> = conn.query_row(
            "SELECT MIN(first_sample), MAX(last_sample) FROM network_stats_monthly",
            [],
            |r| Ok(r.get::<_, Option<String>>(0)?.zip(r.get(1)?)),
        )?;
        let raw = raw_range(conn)?.map(|(a, b)| (format_timestamp(a), format_timestamp(b)));
        match (rolled, raw) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (a, b) => a.or(b),
        }
    } else {
        None
    };
    Ok(Report {
        database: database.to_path_buf(),
        total_records: total_records.max(0) as u64,
        since: query.since,
        until: query.until,
        rounded: (None, None),
        calendar: query.calendar.clone(),
        interfaces,
        held,
    })
}

#[cfg(test)]
mod tests;

//! `--summary`: per-interface totals (from deltas, so correct across resets)
//! over a time window, optionally by hour, day or month. Whole months, days
//! and hours come from the rollups, and only partial hours at the window's
//! edges and the time since the rollups were last folded (under an hour or
//! two) from raw rows, so the cost does not grow with the number of raw
//! samples. Days and months are those of the database's recorded calendar,
//! so the totals of an absolute window are the same in any reader's time
//! zone. Opens the database read-only and never writes.

pub(crate) mod alert;
pub(crate) mod audit;
pub(crate) mod chart;
pub(crate) mod current;
pub(crate) mod percentile;
pub(crate) mod period;
pub(crate) mod render;
mod top;
pub(crate) mod window;

use crate::cli::Period;
use crate::model::calendar::Calendar;
use crate::sample::TOTAL_INTERFACE;
use crate::store::history::{History, Level, Piece, ReadResult};
use crate::support::error::{Error, Result};
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use std::collections::btree_map::{BTreeMap, Entry};
use std::path::{Path, PathBuf};

pub(crate) use crate::store::history::Totals;

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
    crate::store::read_only::open_current(path, crate::store::BUSY_TIMEOUT).map_err(|e| {
        if e.is_usage() {
            Error::config(e)
        } else {
            Error::runtime(e)
        }
    })
}

/// Totals per interface and period over [from, to): the bins of the
/// periods' rollup level, each counted in the period of its interface that
/// holds it.
fn period_pieces(
    history: &History,
    calendar: &Calendar,
    period: Period,
    billing: &period::BillingDays,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ReadResult<Vec<Piece>> {
    let periods_of = |interface: &str| period::Periods {
        period,
        billing_day: billing.of(interface),
    };
    let level = if period == Period::Month && billing.any_besides_the_first() {
        Level::Day
    } else {
        period::Periods::calendar(period).level()
    };
    let mut pieces = history.binned_totals(calendar, level, from, to)?;
    for (interface, bin, _) in &mut pieces {
        *bin = bin.map(|start| periods_of(interface).floor(calendar, start));
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
    history: &History,
    calendar: &Calendar,
    edge: DateTime<Utc>,
    earliest_raw: Option<DateTime<Utc>>,
) -> ReadResult<Option<DateTime<Utc>>> {
    let hour = Level::Hour.floor(calendar, edge);
    if hour == edge || earliest_raw.is_some_and(|first| edge >= first) {
        return Ok(None);
    }
    if !history.holds_hour(hour)? {
        return Ok(None);
    }
    let next = Level::Hour.next(calendar, hour);
    Ok(Some(if edge - hour < next - edge {
        hour
    } else {
        next
    }))
}

/// Builds the report for `query` from an open database.
pub fn build(history: &History, database: &Path, query: &Query) -> ReadResult<Report> {
    // One snapshot: every piece, the fold mark and the raw range of one state.
    let snapshot = history.snapshot()?;
    let history = &snapshot.history();
    let calendar = &query.calendar;
    let first_raw = history.raw_range()?.map(|(first, _)| first);
    let mut rounded = (None, None);
    let mut query = query.clone();
    if let Some(since) = query.since {
        if let Some(edge) = round_edge(history, calendar, since, first_raw)? {
            rounded.0 = Some(since);
            query.since = Some(edge);
        }
    }
    if let Some(until) = query.until {
        if let Some(edge) = round_edge(history, calendar, until, first_raw)? {
            rounded.1 = Some(until);
            query.until = Some(edge);
        }
    }
    let (earliest, latest) = unbounded();
    let from = query.since.unwrap_or(earliest);
    let to = query.until.unwrap_or(latest).max(from);
    let pieces = match query.by {
        None => history.window_totals(calendar, from, to)?,
        Some(period) => period_pieces(history, calendar, period, &query.billing, from, to)?,
    };
    let mut report = assemble(history, database, &query, pieces)?;
    report.rounded = rounded;
    let window_holds = |now: &DateTime<Utc>| {
        query.since.is_none_or(|since| since <= *now)
            && query.until.is_none_or(|until| *now < until)
    };
    if let Some(now) = query.estimate_at.filter(window_holds) {
        for period in [Period::Day, Period::Month] {
            for current in current::current_periods(history, calendar, period, &query.billing, now)?
            {
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
        let mut percentiles = percentile::of_window(history, calendar, from, to, p)?;
        for entry in &mut report.interfaces {
            entry.percentile = Some(
                percentiles
                    .remove(&entry.interface)
                    .unwrap_or_else(|| percentile::Percentile::empty(p)),
            );
        }
    }
    if let Some(n) = query.top {
        top::attach(history, calendar, (from, to), n, &mut report.interfaces)?;
    }
    Ok(report)
}

fn assemble(
    history: &History,
    database: &Path,
    query: &Query,
    pieces: Vec<Piece>,
) -> ReadResult<Report> {
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
    let total_records = history.raw_rows()?;
    let held = if interfaces.is_empty() {
        history.held_range()?
    } else {
        None
    };
    Ok(Report {
        database: database.to_path_buf(),
        total_records,
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

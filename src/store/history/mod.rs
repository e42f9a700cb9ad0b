//! The read API over a netmon database: what reports, alerts, audits and
//! the metrics endpoint ask of the history, answered as plain typed rows.
//! It owns every query a reader runs (which rollup level or raw rows answer
//! which part of a window) and never writes.

mod audit;
mod rates;
mod totals;
mod window;

pub(crate) use super::rollup::{Level, LEVELS};
pub(crate) use audit::Event;
pub(crate) use totals::{Piece, Totals};

use super::{format_timestamp, from_ms, meta, parse_timestamp, to_ms};
use crate::model::calendar::Calendar;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction};
use std::collections::{BTreeMap, BTreeSet};

/// Why reading the history failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The recorded calendar cannot be used.
    #[error("the recorded time zone: {0}")]
    Calendar(#[from] super::CalendarError),
}

/// What reading the history gives.
pub(crate) type ReadResult<T> = Result<T, ReadError>;

/// A netmon database seen by a reader.
#[derive(Clone, Copy)]
pub struct History<'c> {
    pub(in crate::store) conn: &'c Connection,
}

/// One consistent state of a database: every read through
/// [`Snapshot::history`] sees the same rows, fold mark and raw range.
pub struct Snapshot<'c> {
    tx: Transaction<'c>,
}

impl Snapshot<'_> {
    /// The history as of this snapshot.
    pub fn history(&self) -> History<'_> {
        History { conn: &self.tx }
    }
}

impl<'c> History<'c> {
    /// The history in the database `conn` has open.
    pub fn of(conn: &'c Connection) -> History<'c> {
        History { conn }
    }

    /// The calendar the database's days and months are cut in.
    pub fn calendar(&self) -> ReadResult<Calendar> {
        Ok(super::read_calendar(self.conn)?)
    }

    /// Starts a read transaction: one state for everything read through it.
    pub fn snapshot(&self) -> ReadResult<Snapshot<'c>> {
        Ok(Snapshot {
            tx: self.conn.unchecked_transaction()?,
        })
    }

    /// The instant before which every sample is in the rollups (the
    /// earliest time when nothing was folded yet).
    pub fn folded_until(&self) -> ReadResult<DateTime<Utc>> {
        Ok(meta::get(self.conn, meta::FOLDED_UNTIL)?
            .and_then(|v| v.parse().ok())
            .map_or(DateTime::<Utc>::MIN_UTC, from_ms))
    }

    /// The earliest and latest raw sample times (two key lookups: SQLite
    /// answers one MIN or MAX from the key, both in one SELECT by a scan).
    pub fn raw_range(&self) -> ReadResult<Option<(DateTime<Utc>, DateTime<Utc>)>> {
        let (first, last): (Option<i64>, Option<i64>) = self.conn.query_row(
            "SELECT (SELECT MIN(t) FROM netmon_samples), (SELECT MAX(t) FROM netmon_samples)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(first.zip(last).map(|(a, b)| (from_ms(a), from_ms(b))))
    }

    /// Raw rows in the database (kept with every write and deletion, so
    /// counting costs nothing).
    pub fn raw_rows(&self) -> ReadResult<u64> {
        let rows: i64 = meta::get(self.conn, meta::RAW_ROWS)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok(rows.max(0) as u64)
    }

    /// Whether the hourly rollups hold the hour bin starting at `hour`.
    pub fn holds_hour(&self, hour: DateTime<Utc>) -> ReadResult<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM network_stats_hourly WHERE period_start = ?1)",
            [super::rollup::period_key(hour)],
            |r| r.get(0),
        )?)
    }

    /// The first and last sample the database holds (stored text): from
    /// the monthly rollups, which hold every folded cycle in a few rows per
    /// month, and the raw rows.
    pub fn held_range(&self) -> ReadResult<Option<(String, String)>> {
        let rolled: Option<(String, String)> = self.conn.query_row(
            "SELECT MIN(first_sample), MAX(last_sample) FROM network_stats_monthly",
            [],
            |r| Ok(r.get::<_, Option<String>>(0)?.zip(r.get(1)?)),
        )?;
        let raw = self
            .raw_range()?
            .map(|(a, b)| (format_timestamp(a), format_timestamp(b)));
        Ok(match (rolled, raw) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (a, b) => a.or(b),
        })
    }

    /// Every interface name the database stored: in its samples or in its
    /// monthly rollups.
    pub fn known_interfaces(&self) -> ReadResult<BTreeSet<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT name FROM netmon_interfaces
             UNION SELECT interface FROM network_stats_monthly",
        )?;
        let known = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(known.collect::<rusqlite::Result<_>>()?)
    }

    /// Each interface's first sample ever, from the monthly rollups (a few
    /// rows per month, whatever the history's size) or, for an interface new
    /// since they were last folded, the raw rows.
    pub fn first_samples(&self) -> ReadResult<BTreeMap<String, DateTime<Utc>>> {
        let mut first = BTreeMap::new();
        let mut rolled = self.conn.prepare_cached(
            "SELECT interface, MIN(first_sample) FROM network_stats_monthly GROUP BY interface",
        )?;
        let rows = rolled.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        for row in rows {
            let (interface, at) = row?;
            if let Some(at) = at.as_deref().and_then(parse_timestamp) {
                first.insert(interface, at);
            }
        }
        let mut raw = self.conn.prepare_cached(
            "SELECT interface, MIN(t_ms) FROM network_stats WHERE t_ms >= ?1 GROUP BY interface",
        )?;
        let since = to_ms(self.folded_until()?);
        let rows = raw.query_map([since], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (interface, at) = row?;
            first.entry(interface).or_insert_with(|| from_ms(at));
        }
        Ok(first)
    }
}

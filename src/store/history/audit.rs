//! What `--audit` reads: the facts stored with each sample
//! (`netmon_events`), interface ids, and which cycles stored only `_total`.

use super::{History, ReadResult};
use crate::model::provenance::Provenance;
use crate::sample::TOTAL_INTERFACE;
use crate::store::rollup::period_key;
use crate::store::schema::TOTAL_ID;
use crate::store::{format_timestamp, from_ms, meta, parse_timestamp, to_ms};
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use std::collections::BTreeMap;

/// One stored fact about a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// The sample's time (milliseconds since the epoch).
    pub t: i64,
    /// The interface's id.
    pub iface: i64,
    /// What the sample went through.
    pub kind: Provenance,
    /// The bytes concerned.
    pub bytes: u64,
    /// The reading a bridged stretch started at (milliseconds).
    pub bridged_from: Option<i64>,
}

impl History<'_> {
    /// Whether some cycle in [`from`, `to`) stored `_total` without any
    /// interface row (`track_per_interface: false`): told exactly from the
    /// raw samples, and from the hour rollups (where `_total` has more
    /// samples than all interfaces together) before them.
    pub fn total_only_cycles(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> ReadResult<bool> {
        let first_raw: Option<i64> =
            self.conn
                .query_row("SELECT MIN(t) FROM netmon_samples", [], |r| r.get(0))?;
        let raw_from = first_raw.map_or(i64::MAX, |first| first.max(to_ms(from)));
        let in_raw: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM netmon_samples s
             WHERE s.iface = ?1 AND s.t >= ?2 AND s.t < ?3
               AND NOT EXISTS (SELECT 1 FROM netmon_samples o WHERE o.t = s.t AND o.iface < ?1))",
            rusqlite::params![TOTAL_ID, raw_from, to_ms(to)],
            |r| r.get(0),
        )?;
        let rolled_until = from_ms(raw_from).min(to);
        let in_rollups: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM network_stats_hourly h
             WHERE h.interface = ?1 AND h.period_start >= ?2 AND h.period_start < ?3
               AND h.samples > (SELECT COALESCE(SUM(o.samples), 0) FROM network_stats_hourly o
                                WHERE o.period_start = h.period_start AND o.interface != ?1))",
            rusqlite::params![TOTAL_INTERFACE, period_key(from), period_key(rolled_until)],
            |r| r.get(0),
        )?;
        Ok(in_raw || in_rollups)
    }

    /// The facts stored in [`from`, `to`), oldest first.
    pub fn events(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> ReadResult<Vec<Event>> {
        let mut stmt = self.conn.prepare(
            "SELECT t, iface, kind, bytes, bridged_from FROM netmon_events
         WHERE t >= ?1 AND t < ?2 ORDER BY t, iface",
        )?;
        let rows = stmt.query_map([to_ms(from), to_ms(to)], |r| {
            Ok(Event {
                t: r.get(0)?,
                iface: r.get(1)?,
                kind: Provenance::from_bits(r.get(2)?),
                // Stored bit for bit, like the counters.
                bytes: r.get::<_, i64>(3)? as u64,
                bridged_from: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Interface names by id.
    pub fn interface_names(&self) -> ReadResult<BTreeMap<i64, String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name FROM netmon_interfaces")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The interface's sample before the one of `event` (a baseline): from
    /// the raw samples, else (retention deleted them) from the hour rollups.
    pub fn earlier_sample(&self, event: &Event) -> ReadResult<Option<DateTime<Utc>>> {
        let raw: Option<i64> = self.conn.query_row(
            "SELECT MAX(t) FROM netmon_samples WHERE iface = ?1 AND t < ?2",
            [event.iface, event.t],
            |r| r.get(0),
        )?;
        if let Some(t) = raw {
            return Ok(Some(from_ms(t)));
        }
        let rolled: Option<String> = self
            .conn
            .query_row(
                "SELECT MAX(h.last_sample) FROM network_stats_hourly h
             JOIN netmon_interfaces i ON i.name = h.interface
             WHERE i.id = ?1 AND h.last_sample < ?2",
                rusqlite::params![event.iface, format_timestamp(from_ms(event.t))],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        Ok(rolled.as_deref().and_then(parse_timestamp))
    }

    /// The first instant from which every sample's facts are recorded, for
    /// a database upgraded from before they were (`None`: all of them).
    pub fn facts_from(&self) -> ReadResult<Option<DateTime<Utc>>> {
        Ok(meta::get(self.conn, meta::PROVENANCE_FROM)?
            .and_then(|v| v.parse().ok())
            .map(from_ms))
    }
}

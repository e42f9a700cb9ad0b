//! Repairs of databases written by earlier versions, run once by the schema
//! upgrade. Before schema 4 a corrupt reading could store a delta beyond any
//! link (clamped to 2^63 - 1), after which every `SUM()` over it overflowed
//! and every later write and report failed. Such deltas are set aside now as
//! they would be when sampled ([`Counters::beyond_any_link`]), taken out of
//! `_total` and of the rollups, and recorded as set-aside events.

use super::codec::seconds_of_us_sql;
use super::rollup::{period_key, Level, LEVELS};
use super::schema::TOTAL_ID;
use super::{from_ms, meta, to_ms};
use crate::model::calendar::Calendar;
use crate::model::counters::{Counters, MAX_BYTES_PER_SECOND};
use crate::model::provenance::Provenance;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use std::collections::BTreeMap;

/// The eight delta columns of `netmon_samples`, in [`Counters::to_array`] order.
const DELTAS: &str = "bytes_recv_delta, bytes_sent_delta, packets_recv_delta, \
    packets_sent_delta, errin_delta, errout_delta, dropin_delta, dropout_delta";

/// The rows whose deltas [`Counters::beyond_any_link`] sets aside, in SQL
/// (the same comparison in the same floating point, pinned by a test).
/// Parameter 1: [`MAX_BYTES_PER_SECOND`].
static BEYOND_ANY_LINK: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let largest = DELTAS
        .split(", ")
        .map(|column| format!("COALESCE({column}, 0)"))
        .collect::<Vec<_>>()
        .join(", ");
    let seconds = seconds_of_us_sql("COALESCE(interval_us, 0)");
    format!(
        "SELECT t, iface, interval_us, {DELTAS} FROM netmon_samples
         WHERE bytes_recv_delta IS NOT NULL
           AND MAX({largest}) > ?1 * MAX({seconds}, 1.0)
         ORDER BY t, iface"
    )
});

/// A stored sample's deltas and interval.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Measured {
    deltas: Option<Counters>,
    interval_us: Option<i64>,
}

impl Measured {
    fn of_row(r: &rusqlite::Row, first: usize) -> rusqlite::Result<Measured> {
        let values: [Option<i64>; 8] = [
            r.get(first + 1)?,
            r.get(first + 2)?,
            r.get(first + 3)?,
            r.get(first + 4)?,
            r.get(first + 5)?,
            r.get(first + 6)?,
            r.get(first + 7)?,
            r.get(first + 8)?,
        ];
        Ok(Measured {
            deltas: values[0]
                .map(|_| Counters::from_array(values.map(|v| v.unwrap_or(0).max(0) as u64))),
            interval_us: r.get(first)?,
        })
    }
}

/// Sets aside every stored delta beyond any link: the row keeps its
/// counters and loses its deltas, interval and rates; the `_total` row of
/// its cycle becomes the sum of its members again; the rollups that hold
/// it lose it; and a set-aside event records its bytes.
pub(super) fn set_aside_deltas_beyond_any_link(
    conn: &Connection,
    calendar: &Calendar,
    cut: HourCut,
) -> rusqlite::Result<()> {
    let mut absurd: Vec<(i64, i64, Measured)> = Vec::new();
    {
        let mut stmt = conn.prepare(&BEYOND_ANY_LINK)?;
        let mut rows = stmt.query([MAX_BYTES_PER_SECOND as f64])?;
        while let Some(r) = rows.next()? {
            absurd.push((r.get(0)?, r.get(1)?, Measured::of_row(r, 2)?));
        }
    }
    if absurd.is_empty() {
        return Ok(());
    }
    tracing::warn!(
        samples = absurd.len(),
        "setting aside stored deltas beyond any link (corrupt readings that made sums overflow)"
    );
    let mut changed: Vec<(i64, i64, Measured, Measured)> = Vec::new();
    let unmeasured = Measured {
        deltas: None,
        interval_us: None,
    };
    for &(t, iface, before) in absurd.iter().filter(|a| a.1 != TOTAL_ID) {
        store(conn, t, iface, unmeasured)?;
        let bytes = before
            .deltas
            .map_or(0, |d| d.bytes_recv.saturating_add(d.bytes_sent));
        conn.execute(
            "INSERT OR REPLACE INTO netmon_events (t, iface, kind, bytes) VALUES (?1, ?2, ?3, ?4)",
            params![
                t,
                iface,
                Provenance::SET_ASIDE.bits(),
                super::write::counter_to_sql(bytes)
            ],
        )?;
        changed.push((t, iface, before, unmeasured));
    }
    let cycles: std::collections::BTreeSet<i64> = absurd.iter().map(|a| a.0).collect();
    for t in cycles {
        if let Some((before, after)) = recompute_total(conn, t)? {
            changed.push((t, TOTAL_ID, before, after));
        }
    }
    let folded_until: i64 = meta::get(conn, meta::FOLDED_UNTIL)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(i64::MIN);
    let mut hours: BTreeMap<(i64, i64, String), ()> = BTreeMap::new();
    for (t, iface, before, after) in changed.into_iter().filter(|c| c.0 < folded_until) {
        let name: String = conn.query_row(
            "SELECT name FROM netmon_interfaces WHERE id = ?1",
            [iface],
            |r| r.get(0),
        )?;
        let bin = cut.bin(calendar, from_ms(t));
        take_out_of_rollups(conn, calendar, bin, &name, before, after)?;
        hours.insert((to_ms(bin.0), to_ms(bin.1), name), ());
    }
    for (start, end, name) in hours.into_keys() {
        refresh_peaks_and_slots(conn, calendar, (start, end), &name)?;
    }
    Ok(())
}

/// How the hour rollups being repaired were cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HourCut {
    /// On the calendar's clock hours, as before schema 4.
    ClockHours,
    /// Also at each midnight ([`Level::Hour`]), as now.
    AtMidnight,
}

impl HourCut {
    /// The hour bin (start, end) that holds `t`.
    fn bin(self, calendar: &Calendar, t: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        match self {
            HourCut::ClockHours => {
                let start = calendar.hour_floor(t);
                (start, start + chrono::Duration::hours(1))
            }
            HourCut::AtMidnight => {
                let start = Level::Hour.floor(calendar, t);
                (start, Level::Hour.next(calendar, start))
            }
        }
    }
}

/// Writes a sample's deltas and interval; its rates are derived from them
/// (a stored rate, `_total`'s sum of its members', is dropped: the members
/// it summed changed).
fn store(conn: &Connection, t: i64, iface: i64, measured: Measured) -> rusqlite::Result<()> {
    let d = measured
        .deltas
        .map(|d| d.to_array().map(super::write::delta_to_sql));
    let delta = |i: usize| d.map(|d| d[i]);
    conn.execute(
        "UPDATE netmon_samples SET interval_us = ?3,
             bytes_recv_delta = ?4, bytes_sent_delta = ?5, packets_recv_delta = ?6,
             packets_sent_delta = ?7, errin_delta = ?8, errout_delta = ?9, dropin_delta = ?10,
             dropout_delta = ?11,
             recv_rate = NULL, sent_rate = NULL, rated = rated AND ?4 IS NOT NULL
         WHERE t = ?1 AND iface = ?2",
        params![
            t,
            iface,
            measured.interval_us.filter(|_| d.is_some()),
            delta(0),
            delta(1),
            delta(2),
            delta(3),
            delta(4),
            delta(5),
            delta(6),
            delta(7)
        ],
    )?;
    Ok(())
}

/// Makes the `_total` row of cycle `t` the sum of its members' deltas
/// (none when no member has any); its deltas and interval before and after,
/// when the cycle has a `_total` row.
fn recompute_total(conn: &Connection, t: i64) -> rusqlite::Result<Option<(Measured, Measured)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT interval_us, {DELTAS} FROM netmon_samples WHERE t = ?1 AND iface = ?2"
    ))?;
    let mut rows = stmt.query(params![t, TOTAL_ID])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let before = Measured::of_row(row, 0)?;
    drop(rows);
    let sums = DELTAS
        .split(", ")
        .map(|column| format!("SUM({column})"))
        .collect::<Vec<_>>()
        .join(", ");
    let after = conn.query_row(
        &format!(
            "SELECT NULL, {sums} FROM netmon_samples WHERE t = ?1 AND iface != ?2
             AND bytes_recv_delta IS NOT NULL"
        ),
        params![t, TOTAL_ID],
        |r| Measured::of_row(r, 0),
    )?;
    let after = Measured {
        interval_us: after.deltas.and(before.interval_us),
        ..after
    };
    store(conn, t, TOTAL_ID, after)?;
    Ok(Some((before, after)))
}

/// Subtracts what a sample's deltas and covered interval lost from the
/// rollups it was folded into: its hour bin `(hour, _)`, and the day and
/// month that bin starts in.
fn take_out_of_rollups(
    conn: &Connection,
    calendar: &Calendar,
    (hour, _): (DateTime<Utc>, DateTime<Utc>),
    interface: &str,
    before: Measured,
    after: Measured,
) -> rusqlite::Result<()> {
    let lost = |m: Measured| {
        m.deltas
            .map_or([0; 8], |d| d.to_array().map(super::write::delta_to_sql))
    };
    let (old, new) = (lost(before), lost(after));
    let diff: [i64; 8] = std::array::from_fn(|i| old[i].saturating_sub(new[i]));
    let covered = |m: Measured| super::codec::covered_seconds(m.deltas.is_some(), m.interval_us);
    let seconds = covered(before) - covered(after);
    for level in LEVELS {
        let key = match level {
            Level::Hour => period_key(hour),
            level => period_key(level.floor(calendar, hour)),
        };
        conn.execute(
            &format!(
                "UPDATE {} SET interval_s = MAX(interval_s - ?3, 0),
                     bytes_recv = bytes_recv - ?4, bytes_sent = bytes_sent - ?5,
                     packets_recv = packets_recv - ?6, packets_sent = packets_sent - ?7,
                     errin = errin - ?8, errout = errout - ?9,
                     dropin = dropin - ?10, dropout = dropout - ?11
                 WHERE period_start = ?1 AND interface = ?2",
                level.table()
            ),
            params![
                key, interface, seconds, diff[0], diff[1], diff[2], diff[3], diff[4], diff[5],
                diff[6], diff[7]
            ],
        )?;
    }
    Ok(())
}

/// Recomputes an interface's peak rates in the rollups of the hour bin
/// [`hour_ms`, `end`) (and its day and month) and that bin's 5-minute
/// slots, from the samples that remain.
fn refresh_peaks_and_slots(
    conn: &Connection,
    calendar: &Calendar,
    (hour_ms, end): (i64, i64),
    interface: &str,
) -> rusqlite::Result<()> {
    let hour = from_ms(hour_ms);
    conn.execute(
        "UPDATE network_stats_hourly SET
             peak_recv_rate = (SELECT MAX(bytes_recv_rate) FROM network_stats
                               WHERE interface = ?2 AND t_ms >= ?3 AND t_ms < ?4),
             peak_sent_rate = (SELECT MAX(bytes_sent_rate) FROM network_stats
                               WHERE interface = ?2 AND t_ms >= ?3 AND t_ms < ?4),
             slots = NULL
         WHERE period_start = ?1 AND interface = ?2",
        params![period_key(hour), interface, hour_ms, end],
    )?;
    for level in [Level::Day, Level::Month] {
        let start = level.floor(calendar, hour);
        conn.execute(
            &format!(
                "UPDATE {} SET
                     peak_recv_rate = (SELECT MAX(peak_recv_rate) FROM network_stats_hourly
                                       WHERE interface = ?2 AND period_start >= ?1
                                         AND period_start < ?3),
                     peak_sent_rate = (SELECT MAX(peak_sent_rate) FROM network_stats_hourly
                                       WHERE interface = ?2 AND period_start >= ?1
                                         AND period_start < ?3)
                 WHERE period_start = ?1 AND interface = ?2",
                level.table()
            ),
            params![
                period_key(start),
                interface,
                period_key(level.next(calendar, start))
            ],
        )?;
    }
    super::rollup::fold_slots(conn, calendar, hour_ms, end, Some(interface))
}

#[cfg(test)]
mod tests;

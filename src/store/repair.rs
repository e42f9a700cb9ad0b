//! Repairs of databases written by earlier versions, run once by the schema
//! upgrade. Before schema 4 a corrupt reading could store a delta beyond any
//! link (clamped to 2^63 - 1), after which every `SUM()` over it overflowed
//! and every later write and report failed. Such deltas are set aside now as
//! they would be when sampled ([`Counters::beyond_any_link`]), taken out of
//! `_total` and of the rollups, and recorded as set-aside events.

use super::rollup::{period_key, Level, LEVELS};
use super::schema::TOTAL_ID;
use super::{from_ms, meta, to_ms};
use crate::calendar::Calendar;
use crate::counters::{Counters, MAX_BYTES_PER_SECOND};
use crate::provenance::Provenance;
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
    format!(
        "SELECT t, iface, interval_us, {DELTAS} FROM netmon_samples
         WHERE bytes_recv_delta IS NOT NULL
           AND MAX({largest}) > ?1 * MAX(COALESCE(interval_us, 0) / 1e6, 1.0)
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
pub fn set_aside_deltas_beyond_any_link(
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
pub enum HourCut {
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
mod tests {
    use super::*;
    use crate::collector::InterfaceCounters;
    use crate::sampler::{SampleOptions, Sampler};
    use crate::store::Store;
    use chrono::TimeZone;

    /// A database as an earlier version left it: `a`'s delta at 60 s
    /// beyond any link (and its `_total`), folded into the rollups of hour
    /// 0; another at 3 660 s, in the hour not folded yet.
    fn damaged() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_in(
            &dir.path().join("n.db"),
            std::time::Duration::from_secs(5),
            Some(&Calendar::utc()),
        )
        .unwrap();
        let mut sampler = Sampler::new(SampleOptions::default());
        let at = |s: i64| Utc.timestamp_opt(1_764_000_000 + s, 0).unwrap();
        let mut write = |store: &mut Store, second: i64, a: u64, b: u64| {
            let snapshot = [("a", a), ("b", b)].map(|(name, recv)| InterfaceCounters {
                name: name.into(),
                ifindex: None,
                counters: Counters {
                    bytes_recv: recv,
                    bytes_sent: recv / 10,
                    ..Counters::default()
                },
            });
            store
                .write_cycle(&sampler.sample(&snapshot, second as f64, at(second)))
                .unwrap();
        };
        // at(0) is on the hour.
        for (second, a, b) in [(0, 0, 0), (60, 1_000, 100), (120, 2_000, 200)] {
            write(&mut store, second, a, b);
        }
        let damage = |t: i64| {
            format!(
                "UPDATE netmon_samples SET bytes_recv_delta = bytes_recv_delta + {huge},
                     bytes_sent_delta = 7, packets_recv_delta = 3, packets_sent_delta = 4,
                     errin_delta = 5, errout_delta = 6, dropin_delta = 8, dropout_delta = 9
                 WHERE t = {t} AND iface != {TOTAL_ID};
                 UPDATE netmon_samples SET bytes_recv_delta = bytes_recv_delta + {huge}
                 WHERE t = {t} AND iface = {TOTAL_ID};",
                huge = 1u64 << 50,
                t = super::super::to_ms(at(t)),
            )
        };
        let a_only = |sql: String| sql.replace("iface != ", "iface = 1 AND iface != ");
        store.conn.execute_batch(&a_only(damage(60))).unwrap();
        write(&mut store, 3_660, 3_000, 300);
        store.conn.execute_batch(&a_only(damage(3_660))).unwrap();
        (dir, store)
    }

    fn hour_0(store: &Store, interface: &str, columns: &str) -> Vec<Option<f64>> {
        store
            .conn
            .query_row(
                &format!(
                    "SELECT {columns} FROM network_stats_hourly
                     WHERE period_start = '2025-11-24T16:00:00Z' AND interface = ?1"
                ),
                [interface],
                |r| {
                    (0..columns.split(',').count())
                        .map(|i| r.get::<_, Option<f64>>(i))
                        .collect()
                },
            )
            .unwrap()
    }

    #[test]
    fn repair_rule_a_delta_beyond_any_link_is_set_aside_everywhere_it_was_counted() {
        let (_dir, store) = damaged();
        let hour = |i: &str| {
            hour_0(
                &store,
                i,
                "bytes_recv, bytes_sent, interval_s, peak_recv_rate",
            )
        };
        assert_eq!(
            hour("a")[0],
            Some((2_000 + (1u64 << 50)) as f64),
            "the damage is in the rollups"
        );
        set_aside_deltas_beyond_any_link(&store.conn, &Calendar::utc(), HourCut::ClockHours)
            .unwrap();
        // The sample keeps its counters and loses deltas, interval and rates.
        let sample = |t: i64, iface: i64| -> (Option<i64>, Option<i64>, Option<f64>) {
            store
                .conn
                .query_row(
                    "SELECT s.bytes_recv_delta, s.interval_us, v.bytes_recv_rate
                     FROM netmon_samples s JOIN network_stats v ON v.t_ms = s.t AND v.id & 1048575 = s.iface
                     WHERE s.t = ?1 AND s.iface = ?2",
                    [super::super::to_ms(Utc.timestamp_opt(1_764_000_000 + t, 0).unwrap()), iface],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .unwrap()
        };
        assert_eq!(sample(60, 1), (None, None, None));
        assert_eq!(sample(3_660, 1), (None, None, None));
        // `_total` is the sum of its members again, over the same interval.
        let total: Vec<i64> = store
            .conn
            .query_row(
                &format!("SELECT interval_us, {DELTAS} FROM netmon_samples WHERE iface = ?1 ORDER BY t LIMIT 1 OFFSET 1"),
                [TOTAL_ID],
                |r| (0..9).map(|i| r.get(i)).collect(),
            )
            .unwrap();
        assert_eq!(total, [60_000_000, 100, 10, 0, 0, 0, 0, 0, 0]);
        // The folded hour, its day and month lose what the sample brought:
        // bytes, the seconds it covered, and its peak.
        assert_eq!(
            hour("a"),
            [Some(1_000.0), Some(100.0), Some(60.0), Some(1_000.0 / 60.0)]
        );
        assert_eq!(
            hour("_total")[..3],
            [Some(1_200.0), Some(120.0), Some(120.0)]
        );
        for level in ["daily", "monthly"] {
            let (recv, peak): (i64, f64) = store
                .conn
                .query_row(
                    &format!(
                        "SELECT bytes_recv, peak_recv_rate FROM network_stats_{level}
                         WHERE interface = 'a'"
                    ),
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!((recv, peak), (1_000, 1_000.0 / 60.0), "{level}");
        }
        let slots: Vec<u8> = store
            .conn
            .query_row(
                "SELECT slots FROM network_stats_hourly WHERE interface = 'a'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let slots = super::super::slots::HourSlots::decode(&slots).unwrap();
        let recv: u64 = slots.iter().map(|(_, s)| s.recv).sum();
        assert_eq!(recv, 1_000, "the percentile's slots are rebuilt too");
        // A set-aside fact records each.
        let events: Vec<(i64, u16, i64)> = store
            .conn
            .prepare("SELECT iface, kind, bytes FROM netmon_events WHERE kind & 8 ORDER BY t")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let set_aside = Provenance::SET_ASIDE.bits();
        let bytes = (1i64 << 50) + 1_000 + 7;
        assert_eq!(events, [(1, set_aside, bytes), (1, set_aside, bytes)]);
        // Every counter's delta left the rollups, and only that.
        let rest = |i: &str| {
            hour_0(
                &store,
                i,
                "packets_recv, packets_sent, errin, errout, dropin, dropout",
            )
        };
        assert_eq!(rest("a"), [Some(0.0); 6]);
        assert_eq!(rest("_total"), [Some(0.0); 6]);
        // The other interface is untouched.
        assert_eq!(hour_0(&store, "b", "bytes_recv")[0], Some(200.0));
    }

    #[test]
    fn ceiling_rule_sql_and_rust_agree_on_what_is_beyond_any_link() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE netmon_samples (t INTEGER, iface INTEGER, interval_us INTEGER, {});",
            DELTAS.replace(',', " INTEGER,") + " INTEGER"
        ))
        .unwrap();
        let per_second = MAX_BYTES_PER_SECOND;
        let cases: [(Option<i64>, u64, usize); 8] = [
            (Some(1_000_000), per_second, 0),
            (Some(1_000_000), per_second + 1, 1),
            (Some(60_000_000), 60 * per_second, 2),
            (Some(60_000_000), 60 * per_second + 1, 3),
            (Some(1_000), per_second, 4),
            (Some(1_000), per_second + 1, 5),
            (None, per_second + 1, 6),
            (Some(1_000_000), i64::MAX as u64, 7),
        ];
        for (t, &(interval_us, delta, column)) in cases.iter().enumerate() {
            let mut values = [0i64; 8];
            values[column] = delta as i64;
            conn.execute(
                &format!("INSERT INTO netmon_samples VALUES (?1, 1, ?2, {})", {
                    let list: Vec<String> = values.iter().map(i64::to_string).collect();
                    list.join(", ")
                }),
                params![t as i64, interval_us],
            )
            .unwrap();
        }
        let found: Vec<i64> = conn
            .prepare(&BEYOND_ANY_LINK)
            .unwrap()
            .query_map([MAX_BYTES_PER_SECOND as f64], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let expected: Vec<i64> = cases
            .iter()
            .enumerate()
            .filter(|(_, &(interval_us, delta, column))| {
                let mut values = [0u64; 8];
                values[column] = delta;
                let seconds = interval_us.unwrap_or(0) as f64 / 1e6;
                Counters::from_array(values).beyond_any_link(seconds)
            })
            .map(|(t, _)| t as i64)
            .collect();
        assert_eq!(found, expected);
        assert_eq!(found, [1, 3, 5, 6, 7]);
    }
}

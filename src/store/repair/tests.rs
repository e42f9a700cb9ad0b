//! The repair of deltas beyond any link, on a database damaged as an
//! earlier version left it, and its SQL rule pinned against the Rust one.

use super::*;
use crate::sample::{SampleOptions, Sampler};
use crate::source::InterfaceCounters;
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
    set_aside_deltas_beyond_any_link(&store.conn, &Calendar::utc(), HourCut::ClockHours).unwrap();
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

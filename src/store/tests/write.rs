//! Writing cycles: rows, rollups, facts and resume points in one transaction.

use super::{at, count, counters, cycle_at, open, rollup};
use crate::model::provenance::Provenance;
use crate::sample::{SampleOptions, Sampler};
use crate::store::resume_point::ResumePoint;
use crate::store::{format_timestamp, slots, StoreError};
use chrono::Duration;
use std::path::PathBuf;

#[test]
fn cycle_rows_and_resume_points_are_written_together() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("n.db"));
    let mut sampler = Sampler::new(SampleOptions::default());
    store
        .write_cycle(&cycle_at(&mut sampler, 0, &[("a", 100, 10), ("bb", 5, 5)]))
        .unwrap();
    store
        .write_cycle(&cycle_at(
            &mut sampler,
            10,
            &[("a", 1100, 30), ("bb", 5, 5)],
        ))
        .unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM network_stats"), 6);
    assert_eq!(
        count(
            &store,
            "SELECT CAST(value AS INTEGER) FROM netmon_meta WHERE key = 'raw_rows'"
        ),
        6
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(DISTINCT timestamp) FROM network_stats"
        ),
        2
    );
    assert_eq!(
        count(
            &store,
            "SELECT SUM(bytes_recv_delta) FROM network_stats WHERE interface = 'a'"
        ),
        1000
    );
    let (rate, interval): (f64, f64) = store
        .conn
        .query_row(
            "SELECT bytes_recv_rate, interval_s FROM network_stats
             WHERE interface = 'a' AND bytes_recv_rate IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((rate, interval), (100.0, 10.0), "derived by the view");
    let point = store.resume_point();
    let last_cycle = point.last_cycle.unwrap();
    assert_eq!(
        (last_cycle.wall(), last_cycle.clock()),
        (at(10), Some(10.0))
    );
    assert_eq!(
        point.interfaces.len(),
        2,
        "one row per interface, no _total"
    );
    let a = point.interfaces["a"];
    assert_eq!(
        (a.counters(), a.ifindex, a.at),
        (counters(1100, 30), Some(1), last_cycle)
    );
    assert_eq!(ResumePoint::load(&store.conn).unwrap(), *point, "saved");
}

#[test]
fn fold_rule_an_hour_goes_into_the_rollups_once_it_has_passed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("n.db"));
    let mut sampler = Sampler::new(SampleOptions::default());
    // at(0) is on the hour; three cycles in it, ten seconds apart.
    for (second, recv) in [(0, 100), (10, 1100), (3590, 2100)] {
        store
            .write_cycle(&cycle_at(&mut sampler, second, &[("a", recv, 10)]))
            .unwrap();
    }
    assert_eq!(rollup(&store, "hourly", "samples", "a"), None, "not yet");
    store
        .write_cycle(&cycle_at(&mut sampler, 3600, &[("a", 2600, 10)]))
        .unwrap();
    for level in ["hourly", "daily", "monthly"] {
        assert_eq!(rollup(&store, level, "samples", "a"), Some(3), "{level}");
        assert_eq!(rollup(&store, level, "bytes_recv", "a"), Some(2000));
        assert_eq!(rollup(&store, level, "bytes_recv", "_total"), Some(2000));
    }
    let peak: f64 = store
        .conn
        .query_row(
            "SELECT peak_recv_rate FROM network_stats_hourly WHERE interface = 'a'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(peak, 100.0, "1000 bytes in 10 s");
    // The hour's 5-minute slots: 00:00-00:05 (1000 B in 10 s) and
    // 00:55-01:00 (1000 B over 3580 s).
    let blob: Vec<u8> = store
        .conn
        .query_row(
            "SELECT slots FROM network_stats_hourly WHERE interface = 'a'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let slots = slots::HourSlots::decode(&blob).unwrap();
    let sums: Vec<_> = slots.iter().map(|(_, s)| (s.recv, s.covered_us)).collect();
    assert_eq!(sums, [(1000, 10_000_000), (1000, 3_580_000_000)]);
    // A cycle whose clock went back into the folded hour is added to the
    // rollups with it, once.
    store
        .write_cycle(&cycle_at(&mut sampler, 1800, &[("a", 3600, 10)]))
        .unwrap();
    assert_eq!(rollup(&store, "hourly", "samples", "a"), Some(4));
    assert_eq!(rollup(&store, "daily", "bytes_recv", "a"), Some(3000));
    store
        .write_cycle(&cycle_at(&mut sampler, 7300, &[("a", 3700, 10)]))
        .unwrap();
    assert_eq!(rollup(&store, "hourly", "samples", "a"), Some(5));
    assert_eq!(rollup(&store, "monthly", "bytes_recv", "a"), Some(3500));
    assert_eq!(
        count(
            &store,
            "SELECT SUM(bytes_recv_delta) FROM network_stats WHERE interface = 'a'"
        ),
        3600,
        "the raw rows also hold the cycle at 7300 s, not folded yet"
    );
}

#[test]
fn raw_counts_off_writes_zeros_but_keeps_resume_counters() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("n.db")).with_raw_counts(false);
    let mut sampler = Sampler::new(SampleOptions::default());
    store
        .write_cycle(&cycle_at(&mut sampler, 0, &[("a", 100, 10)]))
        .unwrap();
    store
        .write_cycle(&cycle_at(&mut sampler, 1, &[("a", 150, 10)]))
        .unwrap();
    assert_eq!(
        count(
            &store,
            "SELECT MAX(bytes_recv) + MAX(bytes_sent) FROM network_stats"
        ),
        0
    );
    assert_eq!(
        count(
            &store,
            "SELECT SUM(bytes_recv_delta) FROM network_stats WHERE interface = 'a'"
        ),
        50
    );
    let point = store.resume_point();
    assert_eq!(point.interfaces["a"].counters(), counters(150, 10));
}

#[test]
fn events_rule_facts_of_a_delta_are_stored_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("n.db"));
    let mut sampler = Sampler::new(SampleOptions::default());
    let high = 5_000_000_000_000;
    store
        .write_cycle(&cycle_at(&mut sampler, 0, &[("a", high, 0), ("b", 100, 0)]))
        .unwrap();
    let mut cycle = cycle_at(&mut sampler, 1, &[("a", high - 1, 0), ("b", 200, 0)]);
    cycle.mark_final();
    store.write_cycle(&cycle).unwrap();
    let events: Vec<(String, u16, i64)> = store
        .conn
        .prepare(
            "SELECT i.name, e.kind, e.bytes FROM netmon_events e
             JOIN netmon_interfaces i ON i.id = e.iface ORDER BY i.name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let glitch = Provenance::GLITCH.with(Provenance::FINAL).bits();
    let baseline = Provenance::BASELINE.bits();
    assert_eq!(
        events,
        [
            ("a".to_string(), baseline, 0),
            ("a".to_string(), glitch, 1),
            ("b".to_string(), baseline, 0),
            ("b".to_string(), Provenance::FINAL.bits(), 100)
        ]
    );
    assert_eq!(
        store.resume_point().interfaces["a"].counters().bytes_recv,
        high,
        "the next delta is measured from the higher value"
    );
}

#[test]
fn clock_going_back_onto_a_stored_timestamp_is_nudged_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("n.db"));
    let mut sampler = Sampler::new(SampleOptions::default());
    let first = cycle_at(&mut sampler, 0, &[("a", 1, 1)]);
    store.write_cycle(&first).unwrap();
    let mut again = cycle_at(&mut sampler, 1, &[("a", 2, 2)]);
    again.timestamp = first.timestamp;
    store.write_cycle(&again).unwrap();
    let stamps: Vec<String> = store
        .conn
        .prepare("SELECT DISTINCT timestamp FROM network_stats ORDER BY timestamp")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        stamps,
        [
            format_timestamp(at(0)),
            format_timestamp(at(0) + Duration::milliseconds(1))
        ]
    );
}

#[test]
fn a_cycle_the_database_refuses_is_not_retried_forever() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("n.db"));
    let mut sampler = Sampler::new(SampleOptions::default());
    // The same interface twice in one cycle clashes with itself, not with a
    // stored row: nudging the timestamp cannot help.
    let mut cycle = cycle_at(&mut sampler, 0, &[("a", 1, 1)]);
    cycle.rows.push(cycle.rows[0].clone());
    let err = store.write_cycle(&cycle).unwrap_err();
    assert!(err.rejects_cycle(), "{err}");
    assert!(matches!(err, StoreError::Sqlite { .. }), "{err}");
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM network_stats"),
        0,
        "nothing half-written"
    );
}

#[test]
fn only_content_errors_reject_a_cycle() {
    let path = PathBuf::from("x.db");
    let sqlite = |code: i32| StoreError::Sqlite {
        path: path.clone(),
        source: rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None),
    };
    for code in [
        rusqlite::ffi::SQLITE_CONSTRAINT,
        rusqlite::ffi::SQLITE_TOOBIG,
        rusqlite::ffi::SQLITE_MISMATCH,
    ] {
        assert!(sqlite(code).rejects_cycle(), "{code}");
    }
    for code in [
        rusqlite::ffi::SQLITE_BUSY,
        rusqlite::ffi::SQLITE_LOCKED,
        rusqlite::ffi::SQLITE_FULL,
        rusqlite::ffi::SQLITE_IOERR,
        rusqlite::ffi::SQLITE_CANTOPEN,
        rusqlite::ffi::SQLITE_READONLY,
    ] {
        assert!(!sqlite(code).rejects_cycle(), "{code}");
    }
    let collision = StoreError::ClockCollision {
        path: path.clone(),
        around: "t".into(),
    };
    assert!(collision.rejects_cycle());
    let create = StoreError::Create {
        path,
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    };
    assert!(!create.rejects_cycle());
}

#[test]
fn huge_counters_round_trip_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("n.db"));
    let mut sampler = Sampler::new(SampleOptions::default());
    store
        .write_cycle(&cycle_at(&mut sampler, 0, &[("a", u64::MAX - 1, 1 << 63)]))
        .unwrap();
    let point = store.resume_point();
    assert_eq!(
        point.interfaces["a"].counters(),
        counters(u64::MAX - 1, 1 << 63)
    );
}

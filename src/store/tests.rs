//! Unit tests for the repository against real SQLite files.

use super::*;
use crate::collector::InterfaceCounters;
use crate::sampler::{SampleOptions, Sampler};
use chrono::TimeZone;
use std::os::unix::fs::PermissionsExt;

fn counters(recv: u64, sent: u64) -> Counters {
    Counters {
        bytes_recv: recv,
        bytes_sent: sent,
        ..Counters::default()
    }
}

fn cycle_at(sampler: &mut Sampler, second: i64, values: &[(&str, u64, u64)]) -> Cycle {
    let snapshot: Vec<_> = values
        .iter()
        .map(|&(name, recv, sent)| InterfaceCounters {
            name: name.into(),
            counters: counters(recv, sent),
        })
        .collect();
    let at = Utc.timestamp_opt(1_764_000_000 + second, 0).unwrap();
    sampler.sample(&snapshot, second as f64, at)
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn new_database_has_schema_modes_and_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new/sub/n.db");
    let store = Store::open(&path, BUSY_TIMEOUT).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.path().join("new/sub")), 0o700);
    assert_eq!(mode(&dir.path().join("new")), 0o700);
    let version: i64 = store
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::SCHEMA_VERSION);
    let journal: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    let sync: i64 = store
        .conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 1, "synchronous=NORMAL");
    drop(store);
    Store::open(&path, BUSY_TIMEOUT).unwrap();
}

#[test]
fn cycle_rows_and_rollups_are_written_together() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("n.db"), BUSY_TIMEOUT).unwrap();
    let mut sampler = Sampler::new(SampleOptions::default());
    store
        .write_cycle(&cycle_at(&mut sampler, 0, &[("a", 100, 10), ("b", 5, 5)]))
        .unwrap();
    store
        .write_cycle(&cycle_at(&mut sampler, 10, &[("a", 1100, 30), ("b", 5, 5)]))
        .unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM network_stats"), 6);
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
    assert_eq!(
        count(
            &store,
            "SELECT bytes_recv FROM network_stats_hourly WHERE interface = '_total'"
        ),
        1000
    );
    assert_eq!(
        count(
            &store,
            "SELECT samples FROM network_stats_hourly WHERE interface = 'a'"
        ),
        2
    );
    let rate: f64 = store
        .conn
        .query_row(
            "SELECT peak_recv_rate FROM network_stats_hourly WHERE interface = 'a'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rate, 100.0);
    let last = store.last_samples().unwrap();
    assert_eq!(last.len(), 2);
    let a = last.iter().find(|s| s.interface == "a").unwrap();
    assert_eq!(a.counters, counters(1100, 30));
}

#[test]
fn clock_going_back_onto_a_stored_timestamp_is_nudged_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("n.db"), BUSY_TIMEOUT).unwrap();
    let mut sampler = Sampler::new(SampleOptions::default());
    let first = cycle_at(&mut sampler, 0, &[("a", 1, 1)]);
    store.write_cycle(&first).unwrap();
    let mut again = cycle_at(&mut sampler, 1, &[("a", 2, 2)]);
    again.timestamp = first.timestamp;
    store.write_cycle(&again).unwrap();
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(DISTINCT timestamp) FROM network_stats"
        ),
        2
    );
}

#[test]
fn huge_counters_round_trip_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("n.db"), BUSY_TIMEOUT).unwrap();
    let mut sampler = Sampler::new(SampleOptions::default());
    store
        .write_cycle(&cycle_at(&mut sampler, 0, &[("a", u64::MAX - 1, 1 << 63)]))
        .unwrap();
    let last = store.last_samples().unwrap();
    assert_eq!(last[0].counters, counters(u64::MAX - 1, 1 << 63));
}

#[test]
fn retention_deletes_old_raw_rows_but_keeps_rollups() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("n.db"), BUSY_TIMEOUT).unwrap();
    let mut sampler = Sampler::new(SampleOptions::default());
    for day in 0..5 {
        let cycle = cycle_at(&mut sampler, day * 86_400, &[("a", day as u64 * 100, 0)]);
        store.write_cycle(&cycle).unwrap();
    }
    let now = Utc
        .timestamp_opt(1_764_000_000 + 4 * 86_400 + 1, 0)
        .unwrap();
    let (raw, rollups) = store.apply_retention(now, 2, 0).unwrap();
    assert_eq!(
        raw, 6,
        "days 0, 1 and 2 (a and _total rows) are older than 2 days"
    );
    assert_eq!(rollups, 0);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM network_stats"), 4);
    assert_eq!(
        count(&store, "SELECT rows FROM netmon_row_count"),
        4,
        "trigger-kept count"
    );
    assert_eq!(
        count(
            &store,
            "SELECT SUM(bytes_recv) FROM network_stats_hourly WHERE interface = 'a'"
        ),
        400
    );
    let (_, rollups) = store.apply_retention(now, 0, 1).unwrap();
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM network_stats_hourly"),
        4,
        "the hours of day 3 ended before the cutoff, day 4's did not: {rollups} deleted"
    );
}

#[test]
fn meta_values() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("n.db"), BUSY_TIMEOUT).unwrap();
    assert_eq!(store.meta("boot_time").unwrap(), None);
    store.set_meta("boot_time", Some("123")).unwrap();
    store.set_meta("boot_time", Some("456")).unwrap();
    assert_eq!(store.meta("boot_time").unwrap().as_deref(), Some("456"));
    store.set_meta("boot_time", None).unwrap();
    assert_eq!(store.meta("boot_time").unwrap(), None);
}

#[test]
fn foreign_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    let content = "hello, this is not a database at all, just some text\n";
    fs::write(&text, content).unwrap();
    let err = Store::open(&text, BUSY_TIMEOUT).err().unwrap();
    assert!(
        err.contains("notes.txt") && err.contains("will not touch it"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&text).unwrap(), content);

    let other = dir.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let err = Store::open(&other, BUSY_TIMEOUT).err().unwrap();
    assert!(err.contains("something else (tables: t)"), "{err}");

    let newer = dir.path().join("newer.db");
    let conn = Connection::open(&newer).unwrap();
    conn.pragma_update(None, "application_id", schema::APPLICATION_ID)
        .unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Store::open(&newer, BUSY_TIMEOUT).err().unwrap();
    assert!(err.contains("newer netmon"), "{err}");
}

#[test]
fn seed_era_database_is_upgraded_with_derived_deltas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(schema_seed_for_tests()).unwrap();
    let rows = [
        ("2026-11-01T10:00:00.000Z", "eth0", 1000, 100),
        ("2026-11-01T10:01:00.000Z", "eth0", 4000, 200),
        ("2026-11-01T10:02:00.000Z", "eth0", 500, 300),
        ("2026-11-01T11:03:00.000Z", "eth0", 1500, 400),
    ];
    for (ts, name, recv, sent) in rows {
        conn.execute(
            "INSERT INTO network_stats (timestamp, interface, bytes_sent, bytes_recv, packets_sent,
             packets_recv, errin, errout, dropin, dropout) VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0, 0, 0)",
            params![ts, name, sent, recv],
        )
        .unwrap();
    }
    drop(conn);
    let store = Store::open(&path, BUSY_TIMEOUT).unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM network_stats"), 4);
    assert_eq!(count(&store, "SELECT rows FROM netmon_row_count"), 4);
    // 3000 forward, then a reset to 500 (counted as 500), then 1000 forward.
    assert_eq!(
        count(&store, "SELECT SUM(bytes_recv_delta) FROM network_stats"),
        4500
    );
    assert_eq!(
        count(&store, "SELECT SUM(bytes_recv) FROM network_stats_hourly"),
        4500
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM network_stats_hourly"),
        2
    );
    let interval: f64 = store
        .conn
        .query_row(
            "SELECT interval_s FROM network_stats WHERE id = 2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!((interval - 60.0).abs() < 0.01, "{interval}");
}

fn schema_seed_for_tests() -> &'static str {
    "CREATE TABLE network_stats (
        id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL, interface TEXT NOT NULL,
        bytes_sent INTEGER NOT NULL, bytes_recv INTEGER NOT NULL, packets_sent INTEGER NOT NULL,
        packets_recv INTEGER NOT NULL, errin INTEGER NOT NULL, errout INTEGER NOT NULL,
        dropin INTEGER NOT NULL, dropout INTEGER NOT NULL, bytes_sent_rate REAL,
        bytes_recv_rate REAL, UNIQUE(timestamp, interface))"
}

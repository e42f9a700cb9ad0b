//! Unit tests for the repository against real SQLite files.

use super::retention::Retention;
use super::*;
use crate::collector::InterfaceCounters;
use crate::counters::Counters;
use crate::provenance::Provenance;
use crate::resume::Resumed;
use crate::sampler::Cycle;
use crate::sampler::{SampleOptions, Sampler};
use chrono::TimeZone;
use chrono::{DateTime, Duration, Utc};
use resume_point::ResumePoint;
use rusqlite::params;
use std::os::unix::fs::PermissionsExt;

fn counters(recv: u64, sent: u64) -> Counters {
    Counters {
        bytes_recv: recv,
        bytes_sent: sent,
        ..Counters::default()
    }
}

fn at(second: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_764_000_000 + second, 0).unwrap()
}

fn cycle_at(sampler: &mut Sampler, second: i64, values: &[(&str, u64, u64)]) -> Cycle {
    let snapshot: Vec<_> = values
        .iter()
        .map(|&(name, recv, sent)| InterfaceCounters {
            name: name.into(),
            ifindex: Some(name.len() as u32),
            counters: counters(recv, sent),
        })
        .collect();
    sampler.sample(&snapshot, second as f64, at(second))
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn open(path: &Path) -> Store {
    Store::open_in(path, BUSY_TIMEOUT, Some(&Calendar::utc())).unwrap()
}

#[test]
fn new_database_has_schema_modes_and_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new/sub/n.db");
    let india = Calendar::from_spec("+05:30", 1800).unwrap();
    let store = Store::open_in(&path, BUSY_TIMEOUT, Some(&india)).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.path().join("new/sub")), 0o700);
    assert_eq!(mode(&dir.path().join("new")), 0o700);
    assert_eq!(count(&store, "PRAGMA user_version"), schema::SCHEMA_VERSION);
    let journal: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    assert_eq!(count(&store, "PRAGMA synchronous"), 1, "synchronous=NORMAL");
    assert_eq!(store.calendar(), &india);
    drop(store);
    // A stopped monitor leaves the database in rollback mode, no WAL.
    let plain = Connection::open(&path).unwrap();
    let journal: String = plain
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "delete");
    drop(plain);
    assert!(!dir.path().join("new/sub/n.db-wal").exists());
    // The recorded zone wins over the one offered on reopening.
    let store = open(&path);
    assert_eq!(store.calendar(), &india);
}

#[test]
fn one_writer_per_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.db");
    let store = open(&path);
    let link = dir.path().join("link.db");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    for other in [&path, &link] {
        let err = Store::open(other, BUSY_TIMEOUT).err().unwrap();
        assert!(matches!(err, StoreError::Locked(_)), "{err}");
        assert!(
            err.to_string()
                .contains("already being monitored by process"),
            "{err}"
        );
    }
    drop(store);
    open(&link);
}

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

fn rollup(store: &Store, level: &str, column: &str, interface: &str) -> Option<i64> {
    store
        .conn
        .query_row(
            &format!("SELECT SUM({column}) FROM network_stats_{level} WHERE interface = ?1"),
            [interface],
            |r| r.get(0),
        )
        .unwrap()
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
fn boot_rule_the_first_cycle_of_a_boot_records_it_and_drops_the_old_readings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.db");
    let mut store = open(&path);
    let mut sampler = Sampler::new(SampleOptions::default());
    store.begin_run(Some("first".into()), 7, Resumed::Fresh);
    store
        .write_cycle(&cycle_at(&mut sampler, 0, &[("a", 100, 10), ("b", 1, 1)]))
        .unwrap();
    let point = store.resume_point();
    assert_eq!(point.boot_id.as_deref(), Some("first"));
    assert_eq!((point.selection, point.interfaces.len()), (Some(7), 2));
    drop(store);
    // Another boot: nothing changes until its first cycle is written ...
    let mut store = open(&path);
    store.begin_run(Some("second".into()), 8, Resumed::NewBoot);
    assert_eq!(store.resume_point().boot_id.as_deref(), Some("first"));
    let mut sampler = Sampler::new(SampleOptions::default());
    let mut last = cycle_at(&mut sampler, 5, &[("a", 7, 7)]);
    last.mark_final();
    store.write_cycle(&last).unwrap();
    // ... which keeps the readings of the old boot as such: an interface
    // that appears later in this boot counts since the boot.
    let point = store.resume_point();
    assert_eq!(point.boot_id.as_deref(), Some("second"));
    assert_eq!(point.selection, Some(8));
    assert_eq!(point.interfaces.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert!(!point.interfaces["a"].other_boot);
    assert!(point.interfaces["b"].other_boot);
    assert!(point.final_sample);
    drop(store);
    // At the next reboot, a reading kept from two boots ago goes; one the
    // old boot's final sample read remembers it; an interface only listed
    // (unreadable) in the first cycle of the new boot is not read in it.
    let mut store = open(&path);
    store.begin_run(Some("third".into()), 8, Resumed::NewBoot);
    let mut sampler = Sampler::new(SampleOptions::default());
    let mut first = cycle_at(&mut sampler, 20, &[("c", 1, 1)]);
    first.unreadable = vec!["a".into()];
    store.write_cycle(&first).unwrap();
    let point = store.resume_point();
    assert_eq!(point.interfaces.keys().collect::<Vec<_>>(), ["a", "c"]);
    assert!(point.interfaces["a"].other_boot, "listed, not read");
    assert!(
        point.interfaces["a"].after_final,
        "read by the final sample"
    );
    drop(store);
    // A run that cannot tell its boot keeps only what it read.
    let mut store = open(&path);
    store.begin_run(None, 8, Resumed::Fresh);
    let mut sampler = Sampler::new(SampleOptions::default());
    store
        .write_cycle(&cycle_at(&mut sampler, 30, &[("b", 1, 1)]))
        .unwrap();
    let point = store.resume_point();
    assert_eq!(point.boot_id, None);
    assert_eq!(point.interfaces.keys().collect::<Vec<_>>(), ["b"]);
    // One of the same boot keeps every reading.
    drop(store);
    let mut store = open(&path);
    store.begin_run(None, 8, Resumed::SameBoot { consecutive: true });
    store
        .write_cycle(&cycle_at(&mut sampler, 40, &[("c", 1, 1)]))
        .unwrap();
    assert_eq!(
        store.resume_point().interfaces.keys().collect::<Vec<_>>(),
        ["b", "c"]
    );
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

#[test]
fn retention_deletes_in_slices_and_keeps_rollups() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("n.db"));
    let mut sampler = Sampler::new(SampleOptions::default());
    // 5 days of one sample every 5 minutes on one interface (+ _total rows).
    const PER_DAY: i64 = 288;
    for k in 0..5 * PER_DAY {
        let mut cycle = cycle_at(&mut sampler, k * 300, &[("a", k as u64 * 100, 0)]);
        // A fact on day 0 and one on day 4 (a final sample each).
        if k == 1 || k == 4 * PER_DAY + 1 {
            cycle.mark_final();
        }
        store.write_cycle(&cycle).unwrap();
    }
    let events = |store: &Store| count(store, "SELECT COUNT(*) FROM netmon_events");
    assert_eq!(
        events(&store),
        3,
        "the first sample's baseline and two stops"
    );
    let now = at(5 * 86_400);
    let mut work = Retention::plan(now, 2, 0, store.calendar()).unwrap();
    let mut slices = 0;
    let done = loop {
        slices += 1;
        if let Some(done) = work
            .step(&mut store, std::time::Duration::from_millis(1))
            .unwrap()
        {
            break done;
        }
    };
    assert!(slices > 1, "a 1 ms budget needs several slices");
    assert_eq!(
        done.raw_deleted as i64,
        2 * 3 * PER_DAY,
        "days 0-2 are older than 2 days"
    );
    assert_eq!(events(&store), 3, "facts stay as long as the rollups");
    assert!(done.batches > slices / 2);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM network_stats"),
        2 * 2 * PER_DAY
    );
    assert_eq!(
        count(
            &store,
            "SELECT CAST(value AS INTEGER) FROM netmon_meta WHERE key = 'raw_rows'"
        ),
        2 * 2 * PER_DAY,
        "the kept count"
    );
    assert_eq!(
        count(
            &store,
            "SELECT SUM(bytes_recv) FROM network_stats_hourly WHERE interface = 'a'"
        ),
        (5 * PER_DAY - 1) * 100 - 12 * 100,
        "rollups keep the whole history but its last hour (12 samples), not folded yet"
    );
    let mut work = Retention::plan(now, 0, 1, store.calendar()).unwrap();
    let done = work
        .step(&mut store, std::time::Duration::from_secs(5))
        .unwrap()
        .unwrap();
    // The history starts 2025-11-24 16:00 UTC; the cutoff is 4 days later.
    let hours_left = count(&store, "SELECT COUNT(*) FROM network_stats_hourly");
    assert_eq!(
        hours_left,
        2 * 23,
        "day 4's hours stay, for a and _total (its last is not folded yet)"
    );
    // Days that ended before the cutoff's midnight go: 4 of 6 per interface.
    assert_eq!(count(&store, "SELECT COUNT(*) FROM network_stats_daily"), 4);
    assert_eq!(events(&store), 1, "day 0's facts went with its rollups");
    assert_eq!(done.rollup_deleted as i64, 2 * 96 + 2 * 4 + 2);
}

#[test]
fn retention_forgets_resume_points_of_long_gone_interfaces() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("n.db"));
    let mut sampler = Sampler::new(SampleOptions::default());
    store
        .write_cycle(&cycle_at(&mut sampler, 0, &[("old", 1, 1), ("a", 1, 1)]))
        .unwrap();
    store
        .write_cycle(&cycle_at(&mut sampler, 3 * 86_400, &[("a", 2, 2)]))
        .unwrap();
    let mut work = Retention::plan(at(3 * 86_400 + 1), 1, 0, store.calendar()).unwrap();
    work.step(&mut store, std::time::Duration::from_secs(5))
        .unwrap()
        .unwrap();
    let names: Vec<_> = store.resume_point().interfaces.keys().cloned().collect();
    assert_eq!(names, ["a"]);
}

#[test]
fn foreign_and_special_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    let content = "hello, this is not a database at all, just some text\n";
    fs::write(&text, content).unwrap();
    let err = Store::open(&text, BUSY_TIMEOUT).err().unwrap().to_string();
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
    let err = Store::open(&other, BUSY_TIMEOUT).err().unwrap().to_string();
    assert!(err.contains("something else (tables: t)"), "{err}");

    let newer = dir.path().join("newer.db");
    let conn = Connection::open(&newer).unwrap();
    conn.pragma_update(None, "application_id", schema::APPLICATION_ID)
        .unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Store::open(&newer, BUSY_TIMEOUT).err().unwrap().to_string();
    assert!(err.contains("newer netmon"), "{err}");

    let fifo = dir.path().join("fifo.db");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let err = Store::open(&fifo, BUSY_TIMEOUT).err().unwrap();
    assert!(matches!(err, StoreError::Refused(_)), "{err}");
    assert!(err.to_string().contains("is a FIFO"), "{err}");
    let err = Store::open(dir.path(), BUSY_TIMEOUT).err().unwrap();
    assert!(err.to_string().contains("is a directory"), "{err}");
}

fn seed_database(path: &Path, rows: &[(&str, &str, i64, i64)]) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE network_stats (
        id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL, interface TEXT NOT NULL,
        bytes_sent INTEGER NOT NULL, bytes_recv INTEGER NOT NULL, packets_sent INTEGER NOT NULL,
        packets_recv INTEGER NOT NULL, errin INTEGER NOT NULL, errout INTEGER NOT NULL,
        dropin INTEGER NOT NULL, dropout INTEGER NOT NULL, bytes_sent_rate REAL,
        bytes_recv_rate REAL, UNIQUE(timestamp, interface))",
    )
    .unwrap();
    for (ts, name, recv, sent) in rows {
        conn.execute(
            "INSERT INTO network_stats (timestamp, interface, bytes_sent, bytes_recv, packets_sent,
             packets_recv, errin, errout, dropin, dropout) VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0, 0, 0)",
            params![ts, name, sent, recv],
        )
        .unwrap();
    }
}

#[test]
fn seed_era_database_is_upgraded_with_the_samplers_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let near = i64::from(u32::MAX) - 99;
    seed_database(
        &path,
        &[
            ("2026-11-01T10:00:00.000Z", "eth0", 1000, 100),
            ("2026-11-01T10:00:00.000Z", "wan0", near, 0),
            ("2026-11-01T10:00:00.000Z", "_total", 0, 0),
            ("2026-11-01T10:01:00.000Z", "eth0", 4000, 200),
            ("2026-11-01T10:01:00.000Z", "wan0", 50, 0),
            ("2026-11-01T10:01:00.000Z", "_total", 0, 0),
            ("2026-11-01T10:02:00.000Z", "eth0", 500, 300),
            ("2026-11-01T10:02:00.000Z", "_total", 0, 0),
            ("2026-11-01T11:03:00.000Z", "eth0", 1500, 400),
            ("2026-11-01T11:03:00.000Z", "wan0", 10, 0),
            ("2026-11-01T11:03:00.000Z", "_total", 0, 0),
        ],
    );
    let store = open(&path);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM network_stats"), 11);
    assert_eq!(
        count(
            &store,
            "SELECT CAST(value AS INTEGER) FROM netmon_meta WHERE key = 'raw_rows'"
        ),
        11
    );
    // eth0: 3000 forward, a reset to 500 (counted as 500), 1000 forward.
    assert_eq!(
        count(
            &store,
            "SELECT SUM(bytes_recv_delta) FROM network_stats WHERE interface = 'eth0'"
        ),
        4500
    );
    // Each counter keeps its own delta: the sent bytes rose by 100.
    assert_eq!(
        count(
            &store,
            "SELECT bytes_sent_delta FROM network_stats
             WHERE timestamp = '2026-11-01T10:02:00.000Z' AND interface = 'eth0'"
        ),
        100
    );
    // wan0: a wrap between consecutive cycles (150), then absent for a
    // cycle, so the drop to 10 is a reset (10), never a guessed wrap.
    assert_eq!(
        count(
            &store,
            "SELECT SUM(bytes_recv_delta) FROM network_stats WHERE interface = 'wan0'"
        ),
        160
    );
    assert_eq!(
        count(
            &store,
            "SELECT SUM(bytes_recv_delta) FROM network_stats WHERE interface = '_total'"
        ),
        4660
    );
    assert_eq!(
        count(
            &store,
            "SELECT SUM(bytes_recv) FROM network_stats_hourly WHERE interface = 'eth0'"
        ),
        4500
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM network_stats_hourly WHERE interface = 'eth0'"
        ),
        2
    );
    let interval = |time: &str, interface: &str| -> Option<f64> {
        store
            .conn
            .query_row(
                "SELECT interval_s FROM network_stats WHERE timestamp = ?1 AND interface = ?2",
                [format!("2026-11-01T{time}:00.000Z").as_str(), interface],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(interval("10:01", "eth0"), Some(60.0));
    assert_eq!(interval("10:00", "eth0"), None);
    // _total's interval is the time since the previous cycle.
    assert_eq!(interval("11:03", "_total"), Some(3660.0));
    assert_eq!(interval("10:00", "_total"), None);
    // Rows keep their order: a cycle's interfaces, then its _total.
    let order: Vec<String> = store
        .conn
        .prepare("SELECT interface FROM network_stats ORDER BY id LIMIT 3")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(order, ["eth0", "wan0", "_total"]);
    // The last counters are where a restart continues.
    let point = store.resume_point();
    assert_eq!(
        point
            .last_cycle
            .map(|c| format_timestamp(c.wall()))
            .as_deref(),
        Some("2026-11-01T11:03:00.000Z")
    );
    assert_eq!(point.interfaces.len(), 2);
    assert_eq!(point.boot_id, None, "the boot of seed rows is unknown");
}

/// Turns a seed database into what schema 1 wrote: the delta columns
/// (filled as schema 1 did), rollups without slots, and no resume rows.
fn to_schema_1(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "ALTER TABLE network_stats ADD COLUMN interval_s REAL;
         ALTER TABLE network_stats ADD COLUMN bytes_sent_delta INTEGER;
         ALTER TABLE network_stats ADD COLUMN bytes_recv_delta INTEGER;
         ALTER TABLE network_stats ADD COLUMN packets_sent_delta INTEGER;
         ALTER TABLE network_stats ADD COLUMN packets_recv_delta INTEGER;
         ALTER TABLE network_stats ADD COLUMN errin_delta INTEGER;
         ALTER TABLE network_stats ADD COLUMN errout_delta INTEGER;
         ALTER TABLE network_stats ADD COLUMN dropin_delta INTEGER;
         ALTER TABLE network_stats ADD COLUMN dropout_delta INTEGER;
         UPDATE network_stats SET interval_s = 60, bytes_recv_delta = 100, bytes_sent_delta = 0,
             packets_recv_delta = 0, packets_sent_delta = 0, errin_delta = 0, errout_delta = 0,
             dropin_delta = 0, dropout_delta = 0, bytes_recv_rate = 100 / 60.0
             WHERE timestamp > '2026-11-01T10:00:00.000Z';
         CREATE TABLE netmon_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE netmon_row_count (rows INTEGER NOT NULL);
         INSERT INTO netmon_row_count SELECT COUNT(*) FROM network_stats;",
    )
    .unwrap();
    for (table, start) in [
        ("hourly", "2026-11-01T10:00:00Z"),
        ("daily", "2026-11-01T00:00:00Z"),
        ("monthly", "2026-11-01T00:00:00Z"),
    ] {
        conn.execute_batch(&format!(
            "CREATE TABLE network_stats_{table} (period_start TEXT NOT NULL,
                 interface TEXT NOT NULL, samples INTEGER NOT NULL, first_sample TEXT NOT NULL,
                 last_sample TEXT NOT NULL, interval_s REAL NOT NULL,
                 bytes_sent INTEGER NOT NULL, bytes_recv INTEGER NOT NULL,
                 packets_sent INTEGER NOT NULL, packets_recv INTEGER NOT NULL,
                 errin INTEGER NOT NULL, errout INTEGER NOT NULL, dropin INTEGER NOT NULL,
                 dropout INTEGER NOT NULL, peak_sent_rate REAL, peak_recv_rate REAL,
                 PRIMARY KEY (period_start, interface)) WITHOUT ROWID;
             INSERT INTO network_stats_{table} SELECT '{start}', interface,
                 COUNT(*), MIN(timestamp), MAX(timestamp), COALESCE(SUM(interval_s), 0),
                 0, COALESCE(SUM(bytes_recv_delta), 0), 0, 0, 0, 0, 0, 0, NULL, MAX(bytes_recv_rate)
                 FROM network_stats GROUP BY interface;"
        ))
        .unwrap();
    }
    conn.execute_batch(&format!(
        "PRAGMA application_id = {}; PRAGMA user_version = 1;",
        schema::APPLICATION_ID
    ))
    .unwrap();
}

#[test]
fn schema_1_database_gets_resume_rows_a_calendar_and_slots() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    seed_database(
        &path,
        &[
            ("2026-11-01T10:00:00.000Z", "a", 100, 10),
            ("2026-11-01T10:01:00.000Z", "a", 200, 10),
            ("2026-11-01T10:02:00.000Z", "a", 300, 10),
        ],
    );
    to_schema_1(&path);
    let india = Calendar::from_spec("+05:30", 1800).unwrap();
    let store = Store::open_in(&path, BUSY_TIMEOUT, Some(&india)).unwrap();
    // Schema 1 cut hours on the UTC hour: they stay so.
    assert_eq!(store.calendar(), &india.clone().with_hour_phase(0));
    let point = store.resume_point();
    assert_eq!(
        point
            .last_cycle
            .map(|c| format_timestamp(c.wall()))
            .as_deref(),
        Some("2026-11-01T10:02:00.000Z")
    );
    assert_eq!(point.interfaces["a"].counters(), counters(300, 10));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM network_stats"), 3);
    assert_eq!(
        count(
            &store,
            "SELECT CAST(value AS INTEGER) FROM netmon_meta WHERE key = 'raw_rows'"
        ),
        3
    );
    // The rates as they were stored, the rollups as they were, and the
    // hour's 5-minute slots from the rows.
    let rate: f64 = store
        .conn
        .query_row(
            "SELECT bytes_recv_rate FROM network_stats WHERE timestamp LIKE '%10:02%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rate, 100.0 / 60.0);
    assert_eq!(rollup(&store, "daily", "bytes_recv", "a"), Some(200));
    let blob: Vec<u8> = store
        .conn
        .query_row("SELECT slots FROM network_stats_hourly", [], |r| r.get(0))
        .unwrap();
    let slots = slots::HourSlots::decode(&blob).unwrap();
    let sums: Vec<_> = slots.iter().map(|(_, s)| (s.recv, s.covered_us)).collect();
    assert_eq!(sums, [(200, 120_000_000)]);
    let tables: i64 = count(
        &store,
        "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('netmon_row_count', 'netmon_old_stats')",
    );
    assert_eq!(tables, 0, "the old table and its counter are gone");
}

#[test]
fn a_refused_cycle_is_folded_into_the_next_and_never_blocks_it() {
    use super::writer::Writer;
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(open(&dir.path().join("n.db")), 10, BUSY_TIMEOUT);
    let mut sampler = Sampler::new(SampleOptions {
        track_total: false,
        ..SampleOptions::default()
    });
    writer.submit(cycle_at(&mut sampler, 0, &[("a", 100, 0)]));
    // A cycle the database refuses: the same interface twice (the second
    // row moved nothing).
    let mut refused = cycle_at(&mut sampler, 1, &[("a", 150, 0)]);
    let mut twin = refused.rows[0].clone();
    twin.deltas = Some(Counters::default());
    refused.rows.push(twin);
    let outcome = writer.submit(refused);
    assert_eq!(
        (outcome.written, outcome.pending),
        (0, 1),
        "kept until a cycle follows"
    );
    let outcome = writer.submit(cycle_at(&mut sampler, 2, &[("a", 400, 0)]));
    assert_eq!(
        (outcome.written, outcome.pending),
        (1, 0),
        "folded, then written"
    );
    assert_eq!((writer.written(), writer.merged()), (2, 1));
    assert_eq!(writer.rows_written(), 2, "one row per written cycle");
    assert_eq!(
        writer.failures(),
        2,
        "each refused attempt counts as a failed write"
    );
    let store = writer.store().unwrap();
    assert_eq!(
        count(store, "SELECT SUM(bytes_recv_delta) FROM network_stats"),
        300,
        "every byte kept"
    );
    assert_eq!(count(store, "SELECT COUNT(*) FROM network_stats"), 2);
}

#[test]
fn a_full_queue_folds_the_oldest_cycle_into_the_next() {
    use super::writer::Writer;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.db");
    // Writes wait 10 ms for the lock, not the readers' 5 s.
    let wait = std::time::Duration::from_millis(10);
    let store = Store::open_in(&path, wait, Some(&Calendar::utc())).unwrap();
    let mut writer = Writer::new(store, 2, wait);
    let mut sampler = Sampler::new(SampleOptions::default());
    writer.submit(cycle_at(&mut sampler, 0, &[("a", 100, 0)]));
    let blocker = Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    for (second, recv) in [(1, 200), (2, 350), (3, 600), (4, 1000)] {
        let outcome = writer.submit(cycle_at(&mut sampler, second, &[("a", recv, 0)]));
        assert_eq!(outcome.written, 0);
        assert!(outcome.pending <= 2, "bounded queue");
    }
    assert_eq!(writer.merged(), 2);
    assert_eq!((writer.pending(), writer.failures()), (2, 4));
    blocker.execute_batch("COMMIT").unwrap();
    let outcome = writer.flush();
    assert_eq!((outcome.written, outcome.pending), (2, 0));
    assert_eq!(
        (writer.pending(), writer.rows_written()),
        (0, 6),
        "3 cycles x (a + _total)"
    );
    let store = writer.store().unwrap();
    assert_eq!(
        count(
            store,
            "SELECT SUM(bytes_recv_delta) FROM network_stats WHERE interface = 'a'"
        ),
        900
    );
    let intervals: f64 = store
        .conn
        .query_row(
            "SELECT SUM(interval_s) FROM network_stats WHERE interface = 'a'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(intervals, 4.0, "the merged cycles' intervals add up too");
}

#[test]
fn batching_rule_flush_every_writes_n_cycles_in_one_transaction() {
    use super::writer::Writer;
    let dir = tempfile::tempdir().unwrap();
    let mut writer =
        Writer::new(open(&dir.path().join("n.db")), 10, BUSY_TIMEOUT).with_flush_every(3);
    let mut sampler = Sampler::new(SampleOptions::default());
    for (second, recv) in [(0, 100), (1, 150)] {
        let outcome = writer.submit(cycle_at(&mut sampler, second, &[("a", recv, 0)]));
        assert_eq!((outcome.written, outcome.pending), (0, second as usize + 1));
    }
    let store = writer.store().unwrap();
    assert_eq!(
        count(store, "SELECT COUNT(*) FROM network_stats"),
        0,
        "kept in memory"
    );
    let outcome = writer.submit(cycle_at(&mut sampler, 2, &[("a", 400, 0)]));
    assert_eq!((outcome.written, outcome.pending), (3, 0));
    let store = writer.store().unwrap();
    assert_eq!(count(store, "SELECT COUNT(*) FROM network_stats"), 6);
    // A batch with a cycle the database refuses: found one by one, folded.
    writer.submit(cycle_at(&mut sampler, 3, &[("a", 500, 0)]));
    let mut refused = cycle_at(&mut sampler, 4, &[("a", 650, 0)]);
    let mut twin = refused.rows[0].clone();
    twin.deltas = Some(Counters::default());
    refused.rows.insert(1, twin);
    writer.submit(refused);
    let outcome = writer.submit(cycle_at(&mut sampler, 5, &[("a", 900, 0)]));
    assert_eq!(outcome.pending, 0, "{outcome:?}");
    assert_eq!(writer.merged(), 1);
    let store = writer.store().unwrap();
    assert_eq!(
        count(
            store,
            "SELECT SUM(bytes_recv_delta) FROM network_stats WHERE interface = 'a'"
        ),
        800,
        "every byte kept"
    );
    // The last partial batch is written by an explicit flush (at stop).
    writer.submit(cycle_at(&mut sampler, 6, &[("a", 1000, 0)]));
    assert_eq!(writer.pending(), 1);
    assert_eq!(writer.flush().written, 1);
}

#[test]
fn an_upgrade_folds_each_sample_into_its_own_hour_and_slot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    // Two samples a second apart across an hour boundary, folded at once,
    // in a zone whose hours start at :30 UTC.
    seed_database(
        &path,
        &[
            ("2026-11-01T10:30:00.000Z", "eth0", 0, 0),
            ("2026-11-01T11:29:59.900Z", "eth0", 1000, 0),
            ("2026-11-01T11:30:00.500Z", "eth0", 3000, 0),
        ],
    );
    let india = Calendar::from_spec("+05:30", 1800).unwrap();
    let store = Store::open_in(&path, BUSY_TIMEOUT, Some(&india)).unwrap();
    let hour = |start: &str| -> (i64, i64, Vec<u64>) {
        let (samples, bytes, blob): (i64, i64, Vec<u8>) = store
            .conn
            .query_row(
                "SELECT samples, bytes_recv, slots FROM network_stats_hourly
                 WHERE interface = 'eth0' AND period_start = ?1",
                [start],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        let slots = slots::HourSlots::decode(&blob).unwrap();
        (samples, bytes, slots.iter().map(|(_, s)| s.recv).collect())
    };
    assert_eq!(hour("2026-11-01T10:30:00Z"), (2, 1000, vec![1000]));
    assert_eq!(hour("2026-11-01T11:30:00Z"), (1, 2000, vec![2000]));
}

#[test]
fn boot_rule_a_database_reopened_after_removal_still_names_the_boot() {
    use super::writer::Writer;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.db");
    let mut store = open(&path);
    store.begin_run(Some("this-boot".into()), 7, Resumed::Fresh);
    let mut writer = Writer::new(store, 4, std::time::Duration::from_millis(10));
    let mut sampler = Sampler::new(SampleOptions::default());
    writer.submit(cycle_at(&mut sampler, 0, &[("a", 1, 1)]));
    fs::remove_file(&path).unwrap();
    let outcome = writer.submit(cycle_at(&mut sampler, 1, &[("a", 2, 2)]));
    assert_eq!(outcome.written, 1, "written to a new file");
    let point = writer.store().unwrap().resume_point();
    assert_eq!(point.boot_id.as_deref(), Some("this-boot"));
    assert_eq!(point.selection, Some(7));
    drop(writer);
    let conn = Connection::open(&path).unwrap();
    assert_eq!(
        ResumePoint::load(&conn).unwrap().boot_id.as_deref(),
        Some("this-boot")
    );
}

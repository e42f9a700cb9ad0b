//! Upgrading seed-era and schema-1 databases in place.

use super::{count, counters, open, rollup};
use crate::model::calendar::Calendar;
use crate::store::{format_timestamp, schema, slots, Store, BUSY_TIMEOUT};
use rusqlite::{params, Connection};
use std::path::Path;

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

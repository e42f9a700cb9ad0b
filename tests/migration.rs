//! Upgrading year-long databases in place: a schema-2 database (what every
//! netmon before schema 3 wrote) and a database of the original tool's seed
//! schema, each spanning a year, are opened by `netmon --once`. Every row
//! must come through with its values, the rollups with their sums, and
//! `--summary` must give the totals and the 95th percentile computed here
//! from the rows themselves.

mod common;

use common::*;
use rusqlite::{params, Connection};
use std::collections::BTreeMap;

/// Cycles of the schema-2 history: every 5 minutes for a year.
const CYCLES: i64 = 365 * 288;
/// 2025-11-01T00:00:00Z: the history ends a month before the test runs.
const START: i64 = 1_761_955_200;

/// What schema 2 created (netmon before schema 3), with its rollups and
/// bookkeeping.
const SCHEMA_2: &str = "
CREATE TABLE network_stats (
    id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL, interface TEXT NOT NULL,
    bytes_sent INTEGER NOT NULL, bytes_recv INTEGER NOT NULL, packets_sent INTEGER NOT NULL,
    packets_recv INTEGER NOT NULL, errin INTEGER NOT NULL, errout INTEGER NOT NULL,
    dropin INTEGER NOT NULL, dropout INTEGER NOT NULL, bytes_sent_rate REAL, bytes_recv_rate REAL,
    interval_s REAL, bytes_sent_delta INTEGER, bytes_recv_delta INTEGER,
    packets_sent_delta INTEGER, packets_recv_delta INTEGER, errin_delta INTEGER,
    errout_delta INTEGER, dropin_delta INTEGER, dropout_delta INTEGER,
    UNIQUE(timestamp, interface));
CREATE INDEX network_stats_interface_time ON network_stats(interface, timestamp);
CREATE TABLE netmon_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE netmon_row_count (rows INTEGER NOT NULL);
INSERT INTO netmon_row_count VALUES (0);
CREATE TRIGGER network_stats_count_insert AFTER INSERT ON network_stats
    BEGIN UPDATE netmon_row_count SET rows = rows + 1; END;
CREATE TABLE netmon_last (interface TEXT PRIMARY KEY, timestamp TEXT NOT NULL, ifindex INTEGER,
    bytes_recv INTEGER NOT NULL, bytes_sent INTEGER NOT NULL, packets_recv INTEGER NOT NULL,
    packets_sent INTEGER NOT NULL, errin INTEGER NOT NULL, errout INTEGER NOT NULL,
    dropin INTEGER NOT NULL, dropout INTEGER NOT NULL) WITHOUT ROWID;
";

/// The columns of a rollup table of schema 2.
const ROLLUP_COLUMNS: &str = "period_start TEXT NOT NULL, interface TEXT NOT NULL,
    samples INTEGER NOT NULL, first_sample TEXT NOT NULL, last_sample TEXT NOT NULL,
    interval_s REAL NOT NULL, bytes_sent INTEGER NOT NULL, bytes_recv INTEGER NOT NULL,
    packets_sent INTEGER NOT NULL, packets_recv INTEGER NOT NULL, errin INTEGER NOT NULL,
    errout INTEGER NOT NULL, dropin INTEGER NOT NULL, dropout INTEGER NOT NULL,
    peak_sent_rate REAL, peak_recv_rate REAL, PRIMARY KEY (period_start, interface)";

/// A year of rows for eth0, eth1 and _total, written by SQL as schema 2
/// wrote them: eth1's intervals are a little off the microsecond, so its
/// stored rates are not the ones derived from a whole-microsecond interval.
fn schema_2_history(path: &std::path::Path) {
    let db = Connection::open(path).unwrap();
    db.execute_batch(SCHEMA_2).unwrap();
    db.execute_batch(&format!(
        "WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < {last}),
         rows AS (SELECT n, iface, (n * 7919 + iface * 104729) % 90001 + 10 AS recv,
                         (n * 31 + iface) % 5003 AS sent,
                         CASE iface WHEN 0 THEN 300.0 ELSE 300.0000004 END AS seconds
                  FROM k, (SELECT 0 AS iface UNION ALL SELECT 1))
         INSERT INTO network_stats (timestamp, interface, bytes_sent, bytes_recv, packets_sent,
             packets_recv, errin, errout, dropin, dropout, bytes_sent_rate, bytes_recv_rate,
             interval_s, bytes_sent_delta, bytes_recv_delta, packets_sent_delta,
             packets_recv_delta, errin_delta, errout_delta, dropin_delta, dropout_delta)
         SELECT strftime('%Y-%m-%dT%H:%M:%fZ', {START} + n * 300, 'unixepoch'),
             'eth' || iface,
             SUM(sent) OVER w, SUM(recv) OVER w, n, 2 * n, 0, 0, n / 1000, 0,
             CASE WHEN n > 0 THEN sent / seconds END, CASE WHEN n > 0 THEN recv / seconds END,
             CASE WHEN n > 0 THEN seconds END,
             CASE WHEN n > 0 THEN sent END, CASE WHEN n > 0 THEN recv END,
             CASE WHEN n > 0 THEN 1 END, CASE WHEN n > 0 THEN 2 END,
             CASE WHEN n > 0 THEN 0 END, CASE WHEN n > 0 THEN 0 END,
             CASE WHEN n > 0 THEN (n / 1000) - ((n - 1) / 1000) END,
             CASE WHEN n > 0 THEN 0 END
         FROM rows WINDOW w AS (PARTITION BY iface ORDER BY n)
         ORDER BY n, iface;
         INSERT INTO network_stats (timestamp, interface, bytes_sent, bytes_recv, packets_sent,
             packets_recv, errin, errout, dropin, dropout, bytes_sent_rate, bytes_recv_rate,
             interval_s, bytes_sent_delta, bytes_recv_delta, packets_sent_delta,
             packets_recv_delta, errin_delta, errout_delta, dropin_delta, dropout_delta)
         SELECT timestamp, '_total', SUM(bytes_sent), SUM(bytes_recv), SUM(packets_sent),
             SUM(packets_recv), 0, 0, SUM(dropin), 0, SUM(bytes_sent_rate),
             SUM(bytes_recv_rate), MAX(interval_s), SUM(bytes_sent_delta),
             SUM(bytes_recv_delta), SUM(packets_sent_delta), SUM(packets_recv_delta), 0, 0,
             SUM(dropin_delta), 0
         FROM network_stats GROUP BY timestamp;",
        last = CYCLES - 1
    ))
    .unwrap();
    for (table, format) in [
        ("hourly", "%Y-%m-%dT%H:00:00Z"),
        ("daily", "%Y-%m-%dT00:00:00Z"),
        ("monthly", "%Y-%m-01T00:00:00Z"),
    ] {
        db.execute_batch(&format!(
            "CREATE TABLE network_stats_{table} ({ROLLUP_COLUMNS}) WITHOUT ROWID;
             INSERT INTO network_stats_{table}
             SELECT strftime('{format}', timestamp), interface, COUNT(*), MIN(timestamp),
                 MAX(timestamp), COALESCE(SUM(interval_s), 0), COALESCE(SUM(bytes_sent_delta), 0),
                 COALESCE(SUM(bytes_recv_delta), 0), COALESCE(SUM(packets_sent_delta), 0),
                 COALESCE(SUM(packets_recv_delta), 0), 0, 0, COALESCE(SUM(dropin_delta), 0), 0,
                 MAX(bytes_sent_rate), MAX(bytes_recv_rate)
             FROM network_stats GROUP BY 1, 2;"
        ))
        .unwrap();
    }
    db.execute_batch(&format!(
        "INSERT INTO netmon_last SELECT interface, timestamp, NULL, bytes_recv, bytes_sent,
             packets_recv, packets_sent, errin, errout, dropin, dropout
         FROM network_stats WHERE interface != '_total' AND timestamp =
             (SELECT MAX(timestamp) FROM network_stats);
         INSERT INTO netmon_meta VALUES ('rollup_time_zone', 'UTC'), ('rollup_hour_phase_s', '0'),
             ('last_cycle', (SELECT MAX(timestamp) FROM network_stats)),
             ('counters_boot_time', '1');
         PRAGMA application_id = {}; PRAGMA user_version = 2;",
        0x4e54_4d4e
    ))
    .unwrap();
}

/// Every row as (timestamp, interface) -> the other columns, as text.
fn all_rows(db: &Connection) -> BTreeMap<(String, String), String> {
    let mut stmt = db
        .prepare(
            "SELECT timestamp, interface, bytes_sent, bytes_recv, packets_sent, packets_recv,
                    errin, errout, dropin, dropout, bytes_sent_delta, bytes_recv_delta,
                    packets_sent_delta, packets_recv_delta, errin_delta, errout_delta,
                    dropin_delta, dropout_delta, bytes_sent_rate, bytes_recv_rate,
                    ROUND(interval_s * 1e6)
             FROM network_stats",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            let rest: Vec<String> = (2..21)
                .map(|i| match r.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Null => "NULL".to_string(),
                    rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                    rusqlite::types::ValueRef::Real(v) => format!("{:?}", v),
                    other => format!("{other:?}"),
                })
                .collect();
            Ok(((r.get(0)?, r.get(1)?), rest.join(",")))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// (interface, SUM(bytes_recv), SUM(bytes_sent), SUM(samples)) of a rollup table.
fn rollup_sums(db: &Connection, table: &str) -> Vec<(String, i64, i64, i64)> {
    let mut stmt = db
        .prepare(&format!(
            "SELECT interface, SUM(bytes_recv), SUM(bytes_sent), SUM(samples)
             FROM network_stats_{table} GROUP BY interface ORDER BY interface"
        ))
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// The nearest-rank 95th percentile of eth0's received rates over the
/// year, one 5-minute slot per row, computed from the rows.
fn eth0_p95(db: &Connection) -> f64 {
    let mut rates: Vec<f64> = db
        .prepare(
            "SELECT bytes_recv_delta / interval_s FROM network_stats
             WHERE interface = 'eth0' AND bytes_recv_delta IS NOT NULL",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rates.sort_by(f64::total_cmp);
    let rank = (0.95 * rates.len() as f64).ceil() as usize;
    rates[rank - 1]
}

/// eth0's summary of the history's year (2025-11-01 to 2026-11-01) with
/// its `percentile`.
fn year_of_eth0(sandbox: &Sandbox, percentile: &str) -> serde_json::Value {
    let summary = summary_json(
        sandbox,
        &[
            "--since",
            "2025-11-01",
            "--until",
            "2026-11-01",
            "--percentile",
            percentile,
        ],
    );
    interface_json(&summary, "eth0").clone()
}

/// A `dev.txt` in which eth0 and eth1 exist (the --once cycle of the upgrade).
const DEV: &str = "Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
  eth0:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
  eth1:    3000      30    0    0    0     0          0         0     4000      40    0    0    0     0       0          0
";

#[test]
fn a_year_long_schema_2_database_is_upgraded_without_losing_a_row_or_a_byte() {
    let sandbox = Sandbox::with_config(&format!(
        "proc_net_dev: dev.txt\ndatabase:\n  retention_days: 0\n{}",
        "logging:\n  file: ''\n"
    ));
    std::fs::write(sandbox.path("dev.txt"), DEV).unwrap();
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    let path = sandbox.db_path();
    schema_2_history(&path);
    let (rows_before, rollups_before, p95) = {
        let db = Connection::open(&path).unwrap();
        let rollups: Vec<_> = ["hourly", "daily", "monthly"]
            .iter()
            .map(|t| rollup_sums(&db, t))
            .collect();
        (all_rows(&db), rollups, eth0_p95(&db))
    };
    assert_eq!(rows_before.len() as i64, 3 * CYCLES);
    let before = std::fs::metadata(&path).unwrap().len();

    let upgrade = sandbox.run(&["--once", "--interfaces", "eth0", "eth1"]);
    assert!(upgrade.status.success(), "{}", stderr(&upgrade));
    let db = sandbox.db();
    assert_eq!(
        scalar(&db, "PRAGMA user_version"),
        netmon::api::SCHEMA_VERSION
    );
    let rows_after = all_rows(&db);
    let new_cycle = scalar(&db, "SELECT MAX(t_ms) FROM network_stats");
    let upgraded: BTreeMap<_, _> = rows_after
        .iter()
        .filter(|((timestamp, _), _)| timestamp.as_str() < "2026-11-01")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(upgraded.len(), rows_before.len(), "every row kept");
    for (key, values) in &rows_before {
        assert_eq!(upgraded.get(key), Some(values), "row {key:?}");
    }
    assert_eq!(
        scalar(
            &db,
            "SELECT CAST(value AS INTEGER) FROM netmon_meta WHERE key = 'raw_rows'"
        ),
        scalar(&db, "SELECT COUNT(*) FROM netmon_samples"),
        "the row count"
    );
    for (table, sums) in ["hourly", "daily", "monthly"].iter().zip(&rollups_before) {
        let after = rollup_sums(&db, table);
        assert_eq!(&after, sums, "{table} rollups");
    }
    assert!(new_cycle > 0);
    drop(db);

    // The summary of the year, from the upgraded rollups and slots.
    let eth0 = year_of_eth0(&sandbox, "95");
    let (_, recv, _, samples) = rollups_before[2]
        .iter()
        .find(|(name, ..)| name == "eth0")
        .unwrap()
        .clone();
    assert_eq!(eth0["bytes_recv"], recv);
    assert_eq!(eth0["samples"], samples);
    assert_eq!(eth0["percentile"]["slots"], CYCLES - 1);
    let reported = eth0["percentile"]["recv_bytes_per_s"].as_f64().unwrap();
    assert!(
        (reported - p95).abs() <= p95 * 1e-12,
        "95th percentile {reported} from the slots, {p95} from the rows"
    );
    let after = std::fs::metadata(&path).unwrap().len();
    eprintln!("file: {before} bytes before, {after} after the upgrade");
}

#[test]
fn a_year_long_seed_database_gets_its_deltas_rollups_and_slots() {
    let sandbox = Sandbox::with_config(
        "proc_net_dev: dev.txt\ndatabase:\n  retention_days: 0\nlogging:\n  file: ''\n",
    );
    std::fs::write(sandbox.path("dev.txt"), DEV).unwrap();
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    let path = sandbox.db_path();
    // Every 30 minutes for a year; a reboot (counters back to 0) in June.
    let cycles = 365 * 48;
    {
        let db = Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE network_stats (
                 id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL,
                 interface TEXT NOT NULL, bytes_sent INTEGER NOT NULL, bytes_recv INTEGER NOT NULL,
                 packets_sent INTEGER NOT NULL, packets_recv INTEGER NOT NULL,
                 errin INTEGER NOT NULL, errout INTEGER NOT NULL, dropin INTEGER NOT NULL,
                 dropout INTEGER NOT NULL, bytes_sent_rate REAL, bytes_recv_rate REAL,
                 UNIQUE(timestamp, interface))",
        )
        .unwrap();
        let mut insert = db
            .prepare(
                "INSERT INTO network_stats (timestamp, interface, bytes_sent, bytes_recv,
                     packets_sent, packets_recv, errin, errout, dropin, dropout)
                 VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', ?1, 'unixepoch'), 'eth0', 0, ?2, 0, 0,
                         0, 0, 0, 0)",
            )
            .unwrap();
        let tx = db.unchecked_transaction().unwrap();
        for k in 0..cycles {
            let counter = if k < cycles / 2 {
                k * 500
            } else {
                (k - cycles / 2) * 700
            };
            insert.execute(params![START + k * 1800, counter]).unwrap();
        }
        tx.commit().unwrap();
    }
    let upgrade = sandbox.run(&["--once", "--interfaces", "eth0"]);
    assert!(upgrade.status.success(), "{}", stderr(&upgrade));
    let db = sandbox.db();
    // 500 per step before the reboot; after it, the first reading counts
    // as itself (0) and then 700 per step.
    let expected = (cycles / 2 - 1) * 500 + (cycles / 2 - 1) * 700;
    let year = "timestamp < '2026-11-01'";
    assert_eq!(
        scalar(
            &db,
            &format!("SELECT SUM(bytes_recv_delta) FROM network_stats WHERE interface = 'eth0' AND {year}")
        ),
        expected
    );
    assert_eq!(
        scalar(
            &db,
            &format!("SELECT COUNT(*) FROM network_stats WHERE interface = 'eth0' AND {year}")
        ),
        cycles
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT SUM(bytes_recv) FROM network_stats_monthly
             WHERE interface = 'eth0' AND period_start < '2026-11-01'"
        ),
        expected
    );
    drop(db);
    let eth0 = year_of_eth0(&sandbox, "50");
    assert_eq!(eth0["bytes_recv"], expected);
    // Half the slots at 500 B / 1800 s, half at 700: the median is the lower.
    let median = eth0["percentile"]["recv_bytes_per_s"].as_f64().unwrap();
    assert_eq!(median, 500.0 / 1800.0);
}

/// A database of schema 3 kept its resume points as `last_samples`, its
/// boot as `btime`: the upgrade converts them, and the next run in the same
/// boot continues from them as before (in another, it starts fresh rather
/// than guess, since a moved btime may be a clock step).
#[test]
fn schema_3_resume_points_still_continue() {
    let sandbox = Sandbox::with_config("proc_net_dev: dev.txt\nlogging:\n  file: ''\n");
    std::fs::write(sandbox.path("dev.txt"), dev_text(&[("eth0", 5_000, 0)])).unwrap();
    assert!(sandbox.run(&["--once"]).status.success());
    let btime: i64 = std::fs::read_to_string("/proc/stat")
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("btime ")?.trim().parse().ok())
        .unwrap();
    let make_schema_3 = |btime: i64| {
        let db = sandbox.db();
        let (t_ms, last): (i64, String) = db
            .query_row(
                "SELECT t_ms, timestamp FROM network_stats WHERE interface = 'eth0'
                 ORDER BY t_ms DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let counter: i64 = db
            .query_row(
                "SELECT bytes_recv FROM network_stats WHERE t_ms = ?1 AND interface = 'eth0'",
                [t_ms],
                |r| r.get(0),
            )
            .unwrap();
        // Schema 3's value: name -> (t_ms, ifindex, counters).
        let samples: BTreeMap<String, (i64, Option<u32>, [u64; 8])> = [(
            "eth0".to_string(),
            (t_ms, None, [counter as u64, 0, 0, 0, 0, 0, 0, 0]),
        )]
        .into();
        db.execute(
            "DELETE FROM netmon_meta WHERE key IN ('resume_point', 'provenance_complete_from_ms')",
            [],
        )
        .unwrap();
        db.execute(
            "INSERT INTO netmon_meta (key, value) VALUES ('last_samples', ?1),
                 ('counters_boot_time', ?2), ('last_cycle', ?3)",
            rusqlite::params![
                postcard::to_allocvec(&samples).unwrap(),
                btime.to_string(),
                last
            ],
        )
        .unwrap();
        db.execute_batch("DROP TABLE netmon_events; PRAGMA user_version = 3;")
            .unwrap();
    };
    make_schema_3(btime);
    std::fs::write(sandbox.path("dev.txt"), dev_text(&[("eth0", 15_000, 0)])).unwrap();
    let output = sandbox.run(&["--once"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let deltas: Vec<Option<[i64; 4]>> = stored_rows(&sandbox.db(), "eth0")
        .iter()
        .map(|r| r.deltas)
        .collect();
    assert_eq!(deltas.last().unwrap().map(|d| d[0]), Some(10_000));
    // Its boot time two hours off: not continued, never counted twice.
    make_schema_3(btime - 7_200);
    std::fs::write(sandbox.path("dev.txt"), dev_text(&[("eth0", 16_000, 0)])).unwrap();
    assert!(sandbox.run(&["--once"]).status.success());
    let rows = stored_rows(&sandbox.db(), "eth0");
    assert_eq!(rows.last().unwrap().deltas, None);
    assert_eq!(delta_sums(&rows), (10_000, 0));
}

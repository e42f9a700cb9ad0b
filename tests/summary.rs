//! `--summary` on scripted histories: totals from deltas across resets,
//! window edges, formats, read-only files, empty and upgraded databases.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::*;

fn t(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .unwrap()
}

/// eth0: +1000 rx per minute with a reset to 200 at 10:03 and a reset to 0
/// at 10:06; wlan0 appears at 10:02. Hand-computed: eth0 rx = 1000 + 1000 +
/// 200 + 1000 + 1000 + 0 + 500 + 500 = 5200; tx = 7 x 10 = 70.
fn history() -> Vec<ScriptedCycle<'static>> {
    let eth0 = [1_000, 2_000, 3_000, 200, 1_200, 2_200, 0, 500, 1_000];
    (0..9)
        .map(|i| {
            let mut interfaces = vec![("eth0", eth0[i], 10 * i as u64)];
            if i >= 2 {
                interfaces.push(("wlan0", 50 * i as u64, 0));
            }
            (t(1, 10, i as u32), interfaces)
        })
        .collect()
}

fn sandbox_with_history() -> Sandbox {
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    write_history(&sandbox.db_path(), &history());
    sandbox
}

#[test]
fn totals_are_sums_of_deltas_across_resets() {
    let sandbox = sandbox_with_history();
    let summary = summary_json(&sandbox, &[]);
    assert_eq!(summary["total_records"], 9 + 7 + 9);
    let eth0 = interface_json(&summary, "eth0");
    assert_eq!(eth0["bytes_recv"], 5_200);
    assert_eq!(eth0["bytes_sent"], 80);
    assert_eq!(eth0["bytes_total"], 5_280);
    assert_eq!(eth0["samples"], 9);
    assert_eq!(eth0["first_sample"], "2026-11-01T10:00:00.000Z");
    assert_eq!(eth0["last_sample"], "2026-11-01T10:08:00.000Z");
    assert_eq!(eth0["avg_recv_rate"], 5_200.0 / 480.0);
    assert_eq!(eth0["peak_recv_rate"], 1_000.0 / 60.0);
    let wlan0 = interface_json(&summary, "wlan0");
    assert_eq!(wlan0["bytes_recv"], 300, "first wlan0 sample has no delta");
    let total = interface_json(&summary, "_total");
    assert_eq!(total["bytes_recv"], 5_500);
    let names = interface_names(&summary);
    assert_eq!(names, ["eth0", "wlan0", "_total"]);
}

#[test]
fn window_start_is_inclusive_and_end_exclusive() {
    let sandbox = sandbox_with_history();
    let summary = summary_json(
        &sandbox,
        &[
            "--since",
            "2026-11-01T10:03:00Z",
            "--until",
            "2026-11-01T10:06:00Z",
        ],
    );
    let eth0 = interface_json(&summary, "eth0");
    // Samples at 10:03, 10:04 and 10:05: deltas 200 + 1000 + 1000.
    assert_eq!(eth0["samples"], 3);
    assert_eq!(eth0["bytes_recv"], 2_200);
    assert_eq!(summary["since"], "2026-11-01T10:03:00.000Z");
    assert_eq!(summary["until"], "2026-11-01T10:06:00.000Z");
    let filtered = summary_json(&sandbox, &["--interfaces", "wlan0"]);
    let names = interface_names(&filtered);
    assert_eq!(names, ["wlan0", "_total"]);
}

#[test]
fn json_and_csv_carry_exact_integers() {
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    // Beyond 2^53 (where a float loses bytes), over a day: a link could.
    let big = (1u64 << 54) + 7;
    write_history(
        &sandbox.db_path(),
        &[
            (t(2, 0, 0), vec![("eth0", 3, 0)]),
            (t(3, 1, 0), vec![("eth0", big, 1)]),
        ],
    );
    let output = sandbox.run(&["--summary", "--format", "json"]);
    let text = stdout(&output);
    assert!(
        text.contains(&format!("\"bytes_recv\": {}", big - 3)),
        "{text}"
    );
    let output = sandbox.run(&[
        "--summary",
        "--format",
        "csv",
        "--by",
        "hour",
        "--since",
        "all",
    ]);
    let csv = stdout(&output);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        &header[..4],
        ["interface", "period_start", "first_sample", "last_sample"]
    );
    let column = header.iter().position(|h| *h == "bytes_recv").unwrap();
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    assert!(rows.iter().all(|r| r.len() == header.len()));
    let eth0_hour1 = rows
        .iter()
        .find(|r| r[0] == "eth0" && r[1] == "2026-11-03T01:00:00+00:00")
        .unwrap();
    assert_eq!(eth0_hour1[column], (big - 3).to_string());
}

#[test]
fn by_day_table_has_a_bar_per_period() {
    let sandbox = sandbox_with_history();
    let output = sandbox.run(&["--summary", "--by", "day", "--since", "all"]);
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(text.contains("2026-11-01 00:00"), "{text}");
    assert!(
        text.contains("##############################"),
        "widest period gets the full bar: {text}"
    );
    assert!(text.contains("total records in database: 25"), "{text}");
    assert!(text.contains("5.08 KiB"), "human units: {text}");
}

/// Like vnStat, `--by` without `--since` shows the last 24 hours, 30 days or
/// 12 months (and totals over that window); `--since all` the whole history.
#[test]
fn by_defaults_to_the_most_recent_periods() {
    use chrono::{Datelike, Duration, DurationRound, Months};
    let today = || Utc::now().duration_trunc(Duration::days(1)).unwrap();
    // The expected windows follow the clock: a run that straddles midnight
    // is done again (a second one cannot straddle it too).
    for _ in 0..2 {
        let before = today();
        let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
        std::fs::create_dir_all(sandbox.path("data")).unwrap();
        // A cycle every 6 hours from 40 days ago to today's midnight or
        // later, each moving 1000 bytes.
        let times: Vec<DateTime<Utc>> = (0..)
            .map(|k| before - Duration::days(40) + Duration::hours(6 * k))
            .take_while(|t| *t <= Utc::now())
            .collect();
        let history: Vec<ScriptedCycle> = times
            .iter()
            .enumerate()
            .map(|(k, t)| (*t, vec![("eth0", 1000 * k as u64, 0)]))
            .collect();
        write_history(&sandbox.db_path(), &history);
        let summaries: Vec<serde_json::Value> = ["day", "hour", "month"]
            .iter()
            .map(|by| summary_json(&sandbox, &["--by", by]))
            .collect();
        let everything = summary_json(&sandbox, &["--by", "day", "--since", "all"]);
        if today() != before {
            continue;
        }
        let now_hour = Utc::now().duration_trunc(Duration::hours(1)).unwrap();
        let month = before.with_day(1).unwrap();
        let windows = [
            before - Duration::days(29),
            now_hour - Duration::hours(23),
            month.checked_sub_months(Months::new(11)).unwrap(),
        ];
        for (summary, since) in summaries.iter().zip(windows) {
            assert_eq!(summary["since"], format_ms(since));
            assert_eq!(summary["until"], serde_json::Value::Null);
            let eth0 = interface_json(summary, "eth0");
            let in_window = times.iter().filter(|t| **t >= since).count();
            assert_eq!(eth0["samples"], in_window);
            // The very first cycle has no delta.
            let moved = times[1..].iter().filter(|t| **t >= since).count() as u64;
            assert_eq!(eth0["bytes_recv"], 1000 * moved, "totals follow the window");
        }
        let days = |summary: &serde_json::Value| {
            interface_json(summary, "eth0")["periods"]
                .as_array()
                .unwrap()
                .len()
        };
        assert_eq!(days(&summaries[0]), 30);
        assert_eq!(days(&everything), 41);
        assert_eq!(everything["since"], serde_json::Value::Null);
        assert_eq!(interface_json(&everything, "eth0")["samples"], times.len());
        return;
    }
    panic!("two runs straddled midnight");
}

#[test]
fn an_empty_window_says_where_the_samples_are() {
    let sandbox = sandbox_with_history();
    let output = sandbox.run(&["--summary", "--by", "day", "--until", "2026-10-01"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(
            "no samples in this window; the database holds samples from \
             2026-11-01 10:00:00 to 2026-11-01 10:08:00"
        ),
        "{text}"
    );
    assert!(text.contains("--since all"), "{text}");
    assert!(text.contains("total records in database: 25"), "{text}");
    let summary = summary_json(&sandbox, &["--until", "2026-10-01"]);
    assert_eq!(summary["interfaces"], serde_json::json!([]));
}

fn format_ms(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A database on a read-only mount: opened without creating anything (the
/// mount could not take it), with the same answer.
#[test]
fn summary_works_on_a_read_only_mount() {
    if !require(is_root(), "a read-only bind mount needs root") {
        return;
    }
    let sandbox = sandbox_with_history();
    let expected = summary_json(&sandbox, &[]);
    let frozen = sandbox.path("frozen");
    std::fs::create_dir_all(&frozen).unwrap();
    std::fs::copy(sandbox.db_path(), frozen.join("n.db")).unwrap();
    let mount = |args: &[&str]| {
        std::process::Command::new("mount")
            .args(args)
            .arg(&frozen)
            .arg(&frozen)
            .status()
            .is_ok_and(|s| s.success())
    };
    // A bind mount is read-only only after a remount.
    let mounted = mount(&["--bind"]) && mount(&["-o", "remount,ro,bind"]);
    let probe = std::fs::write(frozen.join("probe"), "x");
    let read_only =
        mounted && probe.is_err_and(|e| e.kind() == std::io::ErrorKind::ReadOnlyFilesystem);
    if !require(read_only, "cannot make a read-only bind mount here") {
        let _ = std::process::Command::new("umount").arg(&frozen).status();
        return;
    }
    let output = sandbox
        .command()
        .args(["--summary", "--format", "json"])
        .env("NETMON_DATABASE_FILE", frozen.join("n.db"))
        .output()
        .unwrap();
    let _ = std::process::Command::new("umount").arg(&frozen).status();
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["interfaces"], expected["interfaces"]);
    assert_eq!(summary["total_records"], expected["total_records"]);
}

#[test]
fn empty_database_is_reported_plainly() {
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    drop(netmon::api::Store::open(&sandbox.db_path(), std::time::Duration::from_secs(1)).unwrap());
    let output = sandbox.run(&["--summary"]);
    assert!(output.status.success());
    assert!(
        stdout(&output).contains("has no samples yet"),
        "{}",
        stdout(&output)
    );
    let summary = summary_json(&sandbox, &[]);
    assert_eq!(summary["total_records"], 0);
    assert_eq!(summary["interfaces"], serde_json::json!([]));
}

#[test]
fn seed_era_database_upgrades_in_place_with_the_same_totals() {
    let sandbox = Sandbox::with_config("proc_net_dev: dev.txt\ndatabase:\n  retention_days: 0\n");
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    let db = rusqlite::Connection::open(sandbox.db_path()).unwrap();
    db.execute_batch(
        "CREATE TABLE network_stats (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL,
            interface TEXT NOT NULL, bytes_sent INTEGER NOT NULL, bytes_recv INTEGER NOT NULL,
            packets_sent INTEGER NOT NULL, packets_recv INTEGER NOT NULL, errin INTEGER NOT NULL,
            errout INTEGER NOT NULL, dropin INTEGER NOT NULL, dropout INTEGER NOT NULL,
            bytes_sent_rate REAL, bytes_recv_rate REAL, UNIQUE(timestamp, interface));",
    )
    .unwrap();
    let counters = [100, 600, 50, 150, 4_000];
    for (minute, recv) in counters.iter().enumerate() {
        db.execute(
            "INSERT INTO network_stats (timestamp, interface, bytes_sent, bytes_recv, packets_sent,
                packets_recv, errin, errout, dropin, dropout)
             VALUES (?1, 'old0', 0, ?2, 0, 0, 0, 0, 0, 0)",
            rusqlite::params![format!("2026-10-01T12:0{minute}:00.000Z"), recv],
        )
        .unwrap();
    }
    drop(db);
    let refused = sandbox.run(&["--summary"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("older schema"),
        "{}",
        stderr(&refused)
    );
    let upgrade = sandbox.run(&["--once", "--quiet"]);
    assert!(upgrade.status.success(), "{}", stderr(&upgrade));
    let summary = summary_json(&sandbox, &["--until", "2026-10-02"]);
    let old = interface_json(&summary, "old0");
    // 500 forward, reset to 50, 100 forward, 3850 forward.
    assert_eq!(old["bytes_recv"], 500 + 50 + 100 + 3_850);
    assert_eq!(old["samples"], 5);
    assert_eq!(summary["total_records"], 5 + 4);
}

/// A window edge older than the raw samples (removed by retention) can only
/// be placed at an hour boundary from the rollups: the report says so and
/// shows both the requested and the used edge.
#[test]
fn edges_older_than_the_raw_samples_are_resolved_to_the_hour_and_said() {
    use chrono::Duration;
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    let start = t(10, 0, 0);
    let history: Vec<ScriptedCycle> = (0..3 * 1440)
        .map(|k| {
            (
                start + Duration::minutes(k),
                vec![("eth0", 100 * k as u64, 0)],
            )
        })
        .collect();
    write_history(&sandbox.db_path(), &history);
    // What retention_days would leave: the raw samples of the last day.
    sandbox
        .db()
        .execute(
            "DELETE FROM netmon_samples WHERE t < unixepoch('2026-11-12T00:00:00Z') * 1000",
            [],
        )
        .unwrap();
    let summary = summary_json(
        &sandbox,
        &[
            "--since",
            "2026-11-10T05:20:00Z",
            "--until",
            "2026-11-11T17:50:00Z",
        ],
    );
    assert_eq!(summary["since"], "2026-11-10T05:00:00.000Z");
    assert_eq!(summary["since_requested"], "2026-11-10T05:20:00.000Z");
    assert_eq!(summary["until"], "2026-11-11T18:00:00.000Z");
    assert_eq!(summary["until_requested"], "2026-11-11T17:50:00.000Z");
    let eth0 = interface_json(&summary, "eth0");
    let minutes = (t(11, 18, 0) - t(10, 5, 0)).num_minutes();
    assert_eq!(eth0["samples"], minutes);
    assert_eq!(eth0["bytes_recv"], 100 * minutes);
    // Within the raw samples, edges stay exact and nothing is said.
    let exact = summary_json(&sandbox, &["--since", "2026-11-12T05:20:00Z"]);
    assert_eq!(exact["since"], "2026-11-12T05:20:00.000Z");
    assert!(exact.get("since_requested").is_none());
    let table = stdout(&sandbox.run(&[
        "--summary",
        "--since",
        "2026-11-10T05:20:00Z",
        "--until",
        "2026-11-11T17:50:00Z",
    ]));
    assert!(
        table.contains(
            "note: --since 2026-11-10 05:20:00 was resolved to the hour (2026-11-10 05:00:00)"
        ),
        "{table}"
    );
    assert!(
        table.contains(
            "note: --until 2026-11-11 17:50:00 was resolved to the hour (2026-11-11 18:00:00)"
        ),
        "{table}"
    );
}

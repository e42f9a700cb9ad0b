//! Exact numbers under real conditions: each test drives the real binary
//! through a case that used to lose or invent bytes and compares what it
//! stored with an independent truth (the kernel's counters, or a raw SUM over
//! `network_stats` computed here).

mod common;

use common::netns::{iperf3, Namespace};
use common::*;
use nix::sys::signal::Signal;
use rusqlite::Connection;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const QUIET_LOG: &str = "logging:\n  file: ''\n";

/// Waits until the database holds `cycles` more cycles than `from`.
fn wait_for_more_cycles(sandbox: &Sandbox, from: usize, cycles: usize) -> usize {
    wait_for_cycles(&sandbox.db_path(), from + cycles);
    cycles_in(&sandbox.db_path())
}

/// Stops a monitor with SIGTERM; its stderr. It must exit 0.
fn stop(child: Child) -> String {
    signal(&child, Signal::SIGTERM);
    let output = child.wait_with_output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    err
}

fn has_iperf3() -> bool {
    require(
        has_program("iperf3"),
        "iperf3 is not installed (.ci/run installs it)",
    )
}

/// iperf3 at full speed over a veth pair (tens of Gbit/s, far above the
/// 10000 Mbit/s a veth reports as its speed), with the default
/// configuration: every byte the kernel counted is stored.
#[test]
fn full_speed_over_a_veth_pair_is_stored_exactly_with_the_default_config() {
    let (Some(near), Some(far)) = (Namespace::create("fast-a"), Namespace::create("fast-b")) else {
        return;
    };
    if !has_iperf3() {
        return;
    }
    near.veth_to(&far, "fast0", "fast1", 81);
    let sandbox = Sandbox::with_config(QUIET_LOG);
    let child = near.netmon(&sandbox, &["--interval", "1"]).spawn().unwrap();
    wait_for_rows_of(&sandbox, "fast0");
    let tx_before = near.statistic("fast0", "tx_bytes");
    let rx_before = near.statistic("fast0", "rx_bytes");
    iperf3(&far, &near, "10.81.0.2", &["-t", "4"]);
    let tx_after = near.statistic("fast0", "tx_bytes");
    let rx_after = near.statistic("fast0", "rx_bytes");
    wait_for_more_cycles(&sandbox, cycles_in(&sandbox.db_path()), 2);
    let err = stop(child);
    assert!(!err.contains("set aside") && !err.contains("WARN"), "{err}");

    let rows = stored_rows(&sandbox.db(), "fast0");
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    assert_eq!(
        (first.counters[0], first.counters[1]),
        (rx_before, tx_before)
    );
    assert_eq!((last.counters[0], last.counters[1]), (rx_after, tx_after));
    assert!(
        rows[1..].iter().all(|r| r.deltas.is_some()),
        "no delta discarded"
    );
    let (rx, tx) = delta_sums(&rows);
    assert_eq!(tx, tx_after - tx_before, "stored = kernel, sent");
    assert_eq!(rx, rx_after - rx_before, "stored = kernel, received");
    // Here a veth pair carries about 19 Gbit/s; a slower CI machine still
    // moves gigabytes, far above what any spike guard would have passed.
    let fastest = rows
        .iter()
        .filter_map(|r| r.deltas.map(|d| d[1]))
        .max()
        .unwrap();
    println!(
        "{tx} bytes in 4 s, {} Mbit/s in the fastest sample",
        fastest * 8 / 1_000_000
    );
    assert!(tx > 1_000_000_000, "a fast link: {tx} bytes in 4 s");
}

/// An interface that vanishes for a cycle and comes back re-created, with
/// counters far below its old ones: the traffic since it came back, not a
/// 1.29 GB phantom 32-bit wrap.
#[test]
fn an_interface_absent_for_a_cycle_was_re_created_never_a_phantom_wrap() {
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    let dev = sandbox.path("dev.txt");
    replace_file(&dev, &fixture_with("eth0", Some(3_000_000_000), "eth0"));
    let child = spawn(&sandbox, &["--interval", "0.1"]);
    let stored = wait_for_more_cycles(&sandbox, 0, 2);
    replace_file(&dev, &fixture_with("eth0", None, "eth0"));
    let stored = wait_for_more_cycles(&sandbox, stored, 3);
    replace_file(&dev, &fixture_with("eth0", Some(1_000), "eth0"));
    wait_for_more_cycles(&sandbox, stored, 3);
    stop(child);
    let rows = stored_rows(&sandbox.db(), "eth0");
    let (rx, _) = delta_sums(&rows);
    assert_eq!(rx, 1_000, "only the 1000 bytes since it came back");
    assert!(
        rows.iter().all(|r| r.deltas.is_none_or(|d| d[0] <= 1_000)),
        "{rows:?}"
    );
}

/// An interface deleted and re-created between two samples (never seen
/// absent) with more traffic than before: its changed ifindex says it is a
/// new interface, so everything it counted is stored.
#[test]
fn an_interface_re_created_between_two_samples_is_caught_by_its_ifindex() {
    let (Some(near), Some(far)) = (Namespace::create("index-a"), Namespace::create("index-b"))
    else {
        return;
    };
    if !has_iperf3() {
        return;
    }
    near.veth_to(&far, "idx0", "idx1", 82);
    iperf3(&far, &near, "10.82.0.2", &["-n", "20M"]);
    let sandbox = Sandbox::with_config(QUIET_LOG);
    let child = near.netmon(&sandbox, &["--interval", "2"]).spawn().unwrap();
    wait_for_rows_of(&sandbox, "idx0");
    let first = stored_rows(&sandbox.db(), "idx0")[0].counters;
    // Right after the second sample, re-create the pair and move more than
    // before, well within the 2 s until the next sample: that sample sees
    // the same name with higher counters, never the interface absent.
    let stored = wait_for_more_cycles(&sandbox, 1, 1);
    let old_tx = near.statistic("idx0", "tx_bytes");
    near.ip(&["link", "del", "idx0"]);
    near.veth_to(&far, "idx0", "idx1", 82);
    iperf3(&far, &near, "10.82.0.2", &["-n", "60M"]);
    let new_tx = near.statistic("idx0", "tx_bytes");
    assert!(
        new_tx > old_tx,
        "the new interface counted more than the old one"
    );
    wait_for_more_cycles(&sandbox, stored, 2);
    stop(child);
    let rows = stored_rows(&sandbox.db(), "idx0");
    assert_eq!(
        rows.len(),
        cycles_in(&sandbox.db_path()),
        "never seen absent"
    );
    let (_, tx) = delta_sums(&rows);
    assert_eq!(
        tx,
        (old_tx - first[1]) + new_tx,
        "old interface's rise + new interface's count"
    );
}

/// `_total` after a restart (continuous runs, and cron-style `--once`) has
/// the interval, deltas and rates of the one interface it sums.
#[test]
fn total_after_a_restart_matches_its_interface() {
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    let dev = sandbox.path("dev.txt");
    let mut recv = 1_000_000u64;
    for round in 0..3 {
        recv += 6_000;
        replace_file(&dev, &fixture_with("eth0", Some(recv), "eth0"));
        let output = sandbox.run(&["--once", "--interfaces", "eth0"]);
        assert!(output.status.success(), "{}", stderr(&output));
        std::thread::sleep(Duration::from_millis(200 + 100 * round));
    }
    recv += 1_000;
    replace_file(&dev, &fixture_with("eth0", Some(recv), "eth0"));
    let output = sandbox.run(&["--interval", "0.1", "--count", "2", "--interfaces", "eth0"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let db = sandbox.db();
    let eth0 = stored_rows(&db, "eth0");
    let total = stored_rows(&db, "_total");
    assert_eq!(eth0.len(), 5);
    assert_eq!(total.len(), 5);
    for (e, t) in eth0.iter().zip(&total).skip(1) {
        assert!(e.interval_s.is_some(), "{e:?}");
        assert_eq!(t.interval_s, e.interval_s, "{}", t.timestamp);
        assert_eq!(t.deltas.map(|d| d[0]), e.deltas.map(|d| d[0]));
        assert_eq!(t.recv_rate, e.recv_rate);
    }
    let summary = summary_json(&sandbox, &[]);
    let (e, t) = (
        interface_json(&summary, "eth0"),
        interface_json(&summary, "_total"),
    );
    // No delta on the very first sample; then 6000, 6000, 1000 and 0.
    assert_eq!(e["bytes_recv"], 13_000);
    for key in ["bytes_recv", "avg_recv_rate", "peak_recv_rate", "samples"] {
        assert_eq!(t[key], e[key], "{key}");
    }
    assert!(t["avg_recv_rate"].is_f64());
}

/// The same absolute window over 12 days written in India's time zone gives
/// the raw SUM in every reader's time zone, with days cut in the recorded
/// zone (half-hour and 45-minute zones included).
#[test]
fn an_absolute_window_has_the_same_totals_in_every_time_zone() {
    use chrono::{DurationRound, Utc};
    let sandbox = Sandbox::with_config(QUIET_LOG);
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    let now = Utc::now()
        .duration_trunc(chrono::Duration::hours(1))
        .unwrap();
    let start = now - chrono::Duration::days(12);
    let history: Vec<ScriptedCycle> = (0..12 * 24 * 20)
        .map(|k| {
            let at = start + chrono::Duration::minutes(3 * k);
            (
                at,
                vec![("eth0", k as u64 * 1_000_003 + (k as u64 % 7) * 999, 0)],
            )
        })
        .collect();
    write_history_in(&sandbox.db_path(), &history, "IST-5:30", 1800);
    let since = now - chrono::Duration::days(6) + chrono::Duration::minutes(17);
    let until = now - chrono::Duration::days(2) + chrono::Duration::minutes(41);
    let stamp = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (raw_bytes, raw_samples): (i64, i64) = sandbox
        .db()
        .query_row(
            "SELECT SUM(bytes_recv_delta), COUNT(*) FROM network_stats
             WHERE interface = 'eth0' AND timestamp >= ?1 AND timestamp < ?2",
            [stamp(since), stamp(until)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut answers = Vec::new();
    for zone in ["UTC", "EST5EDT", "NPT-5:45", "IST-5:30"] {
        let output = sandbox
            .command()
            .env("TZ", zone)
            .args(["--summary", "--format", "json", "--by", "day"])
            .args(["--since", &stamp(since), "--until", &stamp(until)])
            .output()
            .unwrap();
        assert!(output.status.success(), "{zone}: {}", stderr(&output));
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let eth0 = interface_json(&summary, "eth0");
        assert_eq!(eth0["bytes_recv"], raw_bytes, "{zone}");
        assert_eq!(eth0["samples"], raw_samples, "{zone}");
        assert_eq!(summary["time_zone"], "IST-5:30", "{zone}");
        let starts: Vec<String> = eth0["periods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["start"].as_str().unwrap().to_string())
            .collect();
        assert!(
            starts[1..].iter().all(|s| s.ends_with("T00:00:00+05:30")),
            "{zone}: {starts:?}"
        );
        let period_sum: i64 = eth0["periods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["bytes_recv"].as_i64().unwrap())
            .sum();
        assert_eq!(period_sum, raw_bytes, "{zone}: the days add up");
        answers.push(summary["interfaces"].clone());
    }
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "identical in every zone"
    );
    let table = sandbox
        .command()
        .env("TZ", "EST5EDT")
        .args(["--summary", "--since", "all"])
        .output()
        .unwrap();
    assert!(
        stdout(&table).contains("in IST-5:30 (UTC+05:30 now)"),
        "{}",
        stdout(&table)
    );
}

/// A monitor records its own time zone in a new database, and keeps
/// cutting days in it when restarted in another zone.
#[test]
fn a_new_database_records_the_monitors_time_zone() {
    let sandbox = Sandbox::new();
    let run = |zone: &str| {
        let output = sandbox
            .command()
            .env("TZ", zone)
            .args(["--once", "--quiet"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    };
    run("NPT-5:45");
    run("UTC");
    let db = sandbox.db();
    let meta = |key: &str| -> String {
        db.query_row("SELECT value FROM netmon_meta WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(meta("rollup_hour_phase_s"), "2700");
    let zone = meta("rollup_time_zone");
    assert!(zone == "NPT-5:45" || zone == "+05:45", "{zone}");
    let days: Vec<String> = db
        .prepare("SELECT DISTINCT period_start FROM network_stats_daily")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        days.iter().all(|d| d.ends_with("T18:15:00Z")),
        "Nepal midnights: {days:?}"
    );
}

/// With the database locked for 2 s and a queue of 3 cycles, the oldest
/// queued cycles are folded into the next ones: the stored deltas still add
/// up to the counters' change.
#[test]
fn a_full_write_queue_folds_cycles_so_sums_stay_exact() {
    let sandbox = Sandbox::with_config(&format!(
        "proc_net_dev: dev.txt\ndatabase:\n  max_pending_cycles: 3\n{QUIET_LOG}"
    ));
    let dev = sandbox.path("dev.txt");
    let mut recv = 5_000_000u64;
    replace_file(&dev, &fixture_with("eth0", Some(recv), "eth0"));
    let child = spawn(&sandbox, &["--interval", "0.1", "--interfaces", "eth0"]);
    let stored = wait_for_more_cycles(&sandbox, 0, 2);
    let other = Connection::open(sandbox.db_path()).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    for _ in 0..10 {
        recv += 10_000;
        replace_file(&dev, &fixture_with("eth0", Some(recv), "eth0"));
        std::thread::sleep(Duration::from_millis(200));
    }
    other.execute_batch("COMMIT").unwrap();
    drop(other);
    wait_for_more_cycles(&sandbox, stored, 3);
    let err = stop(child);
    assert!(err.contains("write queue full"), "{err}");
    assert!(err.contains("only their granularity is lost"), "{err}");
    let rows = stored_rows(&sandbox.db(), "eth0");
    let (rx, _) = delta_sums(&rows);
    assert_eq!(rx, 100_000, "every byte moved while locked is stored");
    assert_eq!(rows.last().unwrap().counters[0] - rows[0].counters[0], rx);
    let (total, _) = delta_sums(&stored_rows(&sandbox.db(), "_total"));
    assert_eq!(total, rx);
}

/// Interfaces named `_total` and with a byte that is not UTF-8, in a real
/// namespace: both stored under distinct printable names, next to the sum
/// row, with the kernel's exact counts.
#[test]
fn odd_interface_names_are_stored_apart_and_exact() {
    let (Some(near), Some(far)) = (Namespace::create("names-a"), Namespace::create("names-b"))
    else {
        return;
    };
    if !has_iperf3() {
        return;
    }
    let odd = OsStr::from_bytes(b"x\xff");
    fn args<'a>(odd: &'a OsStr, list: &'a [&'a str]) -> Vec<&'a OsStr> {
        list.iter()
            .map(|a| if *a == "ODD" { odd } else { OsStr::new(a) })
            .collect()
    }
    near.ip(&args(
        odd,
        &[
            "link", "add", "ODD", "type", "veth", "peer", "name", "odd1", "netns", &far.name,
        ],
    ));
    near.ip(&args(odd, &["addr", "add", "10.83.0.1/24", "dev", "ODD"]));
    near.ip(&args(odd, &["link", "set", "ODD", "up"]));
    far.ip(&["addr", "add", "10.83.0.2/24", "dev", "odd1"]);
    far.ip(&["link", "set", "odd1", "up"]);
    near.veth_to(&far, "_total", "tot1", 84);
    let sandbox = Sandbox::with_config(QUIET_LOG);
    let child = near
        .netmon(&sandbox, &["--interval", "0.5"])
        .spawn()
        .unwrap();
    wait_for_rows_of(&sandbox, "\\x5ftotal");
    wait_for_rows_of(&sandbox, "x\\xff");
    let before = [
        near.statistic("_total", "tx_bytes"),
        near.statistic_raw(odd, "tx_bytes"),
    ];
    iperf3(&far, &near, "10.84.0.2", &["-n", "8M"]);
    iperf3(&far, &near, "10.83.0.2", &["-n", "5M"]);
    let after = [
        near.statistic("_total", "tx_bytes"),
        near.statistic_raw(odd, "tx_bytes"),
    ];
    wait_for_more_cycles(&sandbox, cycles_in(&sandbox.db_path()), 2);
    let err = stop(child);
    assert!(!err.contains("ERROR") && !err.contains("WARN"), "{err}");
    let db = sandbox.db();
    let named_total = stored_rows(&db, "\\x5ftotal");
    let odd_rows = stored_rows(&db, "x\\xff");
    let sum = stored_rows(&db, "_total");
    assert_eq!(named_total.len(), sum.len(), "one row each per cycle");
    assert_eq!(odd_rows.len(), sum.len());
    assert_eq!(delta_sums(&named_total).1, after[0] - before[0]);
    assert_eq!(delta_sums(&odd_rows).1, after[1] - before[1]);
    assert_eq!(
        delta_sums(&sum).1,
        delta_sums(&named_total).1 + delta_sums(&odd_rows).1
    );
    let table = sandbox.run(&["--summary"]);
    let text = stdout(&table);
    assert!(
        text.contains("\\x5ftotal") && text.contains("x\\xff"),
        "{text}"
    );
    assert!(!text.contains('\u{fffd}'), "{text}");
}

/// Two monitors on one database through a symlink or a hard link: the
/// second is refused, naming the first; many simultaneous starts leave one
/// monitor, and every loser names it.
#[test]
fn one_monitor_per_database_file_whatever_the_path() {
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    let first = spawn(&sandbox, &["--interval", "0.2", "--quiet"]);
    wait_for_cycles(&sandbox.db_path(), 1);
    std::os::unix::fs::symlink("network_activity.db", sandbox.path("data/link.db")).unwrap();
    std::fs::hard_link(sandbox.db_path(), sandbox.path("data/hard.db")).unwrap();
    for other in ["data/link.db", "data/hard.db"] {
        let output = sandbox
            .command()
            .env("NETMON_DATABASE_FILE", other)
            .args(["--once"])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{other}: {}",
            stderr(&output)
        );
        let err = stderr(&output);
        assert!(
            err.contains(&format!(
                "already being monitored by process {}",
                first.id()
            )),
            "{err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    stop(first);

    let mut running: Vec<Child> = (0..16)
        .map(|_| spawn(&sandbox, &["--interval", "0.2", "--quiet"]))
        .collect();
    // Losers exit as soon as they meet the lock; wait for all but one.
    let mut refused = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while running.len() > 1 && Instant::now() < deadline {
        let mut still = Vec::new();
        for mut child in running {
            match child.try_wait().unwrap() {
                None => still.push(child),
                Some(_) => refused.push(child.wait_with_output().unwrap()),
            }
        }
        running = still;
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(running.len(), 1, "exactly one monitor runs");
    assert_eq!(running[0].try_wait().unwrap(), None, "and it keeps running");
    let winner = running.pop().unwrap();
    for output in &refused {
        assert_eq!(output.status.code(), Some(1));
        let err = stderr(output);
        assert!(
            err.contains(&format!("by process {}", winner.id())),
            "{err}"
        );
    }
    stop(winner);
}

/// Counters read from another namespace (`/proc/PID/net/dev`) are never
/// judged by this namespace's interfaces: an interface of the same name
/// re-created here again and again changes nothing there.
#[test]
fn another_namespaces_counters_are_not_judged_by_this_one() {
    let (Some(watched), Some(peer), Some(here)) = (
        Namespace::create("other-a"),
        Namespace::create("other-b"),
        Namespace::create("other-c"),
    ) else {
        return;
    };
    if !has_iperf3() {
        return;
    }
    watched.veth_to(&peer, "probe0", "probe1", 85);
    iperf3(&peer, &watched, "10.85.0.2", &["-n", "2M"]);
    // The connection's last segments can trail iperf3's exit on a busy
    // machine: start watching once the counters are at rest.
    let reading = || {
        (
            watched.statistic("probe0", "rx_bytes"),
            watched.statistic("probe0", "tx_bytes"),
        )
    };
    let mut last = reading();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = reading();
        if std::mem::replace(&mut last, now) == now {
            break;
        }
    }
    let mut resident = Command::new("ip")
        .args(["netns", "exec", &watched.name, "sleep", "60"])
        .spawn()
        .unwrap();
    let proc_file = format!("/proc/{}/net/dev", resident.id());
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: {proc_file}\n{QUIET_LOG}"));
    let child = here
        .netmon(
            &sandbox,
            &[
                "--interval",
                "0.2",
                "--count",
                "12",
                "--interfaces",
                "probe0",
            ],
        )
        .spawn()
        .unwrap();
    wait_for_rows_of(&sandbox, "probe0");
    for _ in 0..6 {
        here.ip(&[
            "link", "add", "probe0", "type", "veth", "peer", "name", "probe9",
        ]);
        std::thread::sleep(Duration::from_millis(150));
        here.ip(&["link", "del", "probe0"]);
    }
    let output = child.wait_with_output().unwrap();
    resident.kill().unwrap();
    resident.wait().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let db = sandbox.db();
    let rows = stored_rows(&db, "probe0");
    assert_eq!(rows.len(), 12);
    assert!(
        rows[0].counters[1] > 2_000_000,
        "the watched interface has counted traffic"
    );
    assert_eq!(
        delta_sums(&rows),
        (0, 0),
        "nothing moved there: no phantom re-creation"
    );
    let resume_point = netmon::api::ResumePoint::load(&db).unwrap();
    let probe = resume_point
        .interfaces
        .get("probe0")
        .expect("probe0's resume point");
    assert_eq!(probe.ifindex, None, "no index asked of this namespace");
}

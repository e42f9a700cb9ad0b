//! The real binary sampling a fixture `/proc/net/dev` into real SQLite files.

mod common;

use common::*;
use netmon::api::parse_proc_net_dev;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::process::Stdio;

fn fixture_counters(name: &str) -> [i64; 8] {
    let parsed = parse_proc_net_dev(FIXTURE.as_bytes())
        .into_result()
        .unwrap();
    let c = parsed.iter().find(|i| i.name == name).unwrap().counters;
    c.to_array().map(|v| v as i64)
}

#[test]
fn once_stores_exactly_the_fixture_counters() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["--once"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("veth1234567890a"));
    let rows = counter_rows(&sandbox.db(), None);
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    // lo and docker0 are excluded by the default patterns.
    assert_eq!(names, ["eth0", "wlan0", "veth1234567890a", "_total"]);
    for (name, counters) in &rows[..3] {
        assert_eq!(*counters, fixture_counters(name), "{name}");
    }
    let expected_total: Vec<i64> = (0..8)
        .map(|i| {
            ["eth0", "wlan0", "veth1234567890a"]
                .iter()
                .map(|n| fixture_counters(n)[i])
                .sum()
        })
        .collect();
    assert_eq!(rows[3].1.to_vec(), expected_total);
    let nulls: i64 = scalar(
        &sandbox.db(),
        "SELECT COUNT(*) FROM network_stats WHERE bytes_recv_delta IS NULL AND bytes_recv_rate IS NULL AND interval_s IS NULL");
    assert_eq!(
        nulls, 4,
        "a first sample has NULL deltas, rates and interval"
    );
}

#[test]
fn named_interfaces_are_monitored_even_if_excluded() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["--once", "--interfaces", "lo", "eth0", "nosuch0"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("interface (nosuch0) does not exist (existing: lo, eth0"));
    let db = sandbox.db();
    let ts = &timestamps(&db)[0];
    assert_eq!(interfaces_at(&db, ts), ["_total", "eth0", "lo"]);
}

#[test]
fn exclude_patterns_from_the_config() {
    let sandbox =
        Sandbox::with_config("proc_net_dev: dev.txt\nexclude_interfaces: ['^veth', 'lan']\n");
    assert!(sandbox.run(&["--once"]).status.success());
    let db = sandbox.db();
    let ts = &timestamps(&db)[0];
    assert_eq!(interfaces_at(&db, ts), ["_total", "docker0", "eth0", "lo"]);
}

#[test]
fn bounded_run_takes_count_cycles_with_the_same_interfaces() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["--interval", "0.2", "--count", "3", "--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).is_empty(),
        "--quiet prints nothing on stdout"
    );
    let db = sandbox.db();
    let stamps = timestamps(&db);
    assert_eq!(stamps.len(), 3);
    for ts in &stamps {
        assert_eq!(
            interfaces_at(&db, ts),
            ["_total", "eth0", "veth1234567890a", "wlan0"]
        );
    }
    let first = chrono::DateTime::parse_from_rfc3339(&stamps[0]).unwrap();
    let last = chrono::DateTime::parse_from_rfc3339(&stamps[2]).unwrap();
    let span = (last - first).num_milliseconds();
    assert!(
        (350..=1500).contains(&span),
        "3 cycles at 0.2 s spanned {span} ms"
    );
}

#[test]
fn restart_in_the_same_boot_counts_the_gap() {
    let sandbox = Sandbox::new();
    assert!(sandbox.run(&["--once"]).status.success());
    sandbox.write("dev.txt", &FIXTURE.replace("9019331120", "9019341120"));
    assert!(sandbox.run(&["--once"]).status.success());
    let delta: i64 = scalar(
        &sandbox.db(),
        "SELECT bytes_recv_delta FROM network_stats WHERE interface = 'eth0' ORDER BY id DESC LIMIT 1");
    assert_eq!(delta, 10_000);
}

/// The permission bits of a file in the sandbox.
fn mode_of(sandbox: &Sandbox, relative: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(sandbox.path(relative))
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn log_file_and_database_are_private() {
    let sandbox = Sandbox::new();
    assert!(sandbox.run(&["--once"]).status.success());
    let mode = |p: &str| mode_of(&sandbox, p);
    assert_eq!(mode("data/network_activity.db"), 0o600);
    assert_eq!(mode("data"), 0o700);
    assert_eq!(mode("logs/network_monitor.log"), 0o600);
    assert_eq!(mode("logs"), 0o700);
    let log = std::fs::read_to_string(sandbox.path("logs/network_monitor.log")).unwrap();
    assert!(log.contains("starting") && log.contains("stopped"), "{log}");
}

#[test]
fn group_readable_database_is_created_for_its_group() {
    let sandbox = Sandbox::with_config(
        "proc_net_dev: dev.txt\ndatabase_file: state/netmon/n.db\ndatabase:\n  group_readable: true\n",
    );
    let mode = |p: &str| mode_of(&sandbox, p);
    let child = spawn(&sandbox, &["--quiet", "--interval", "0.2"]);
    wait_for_cycles(&sandbox.path("state/netmon/n.db"), 1);
    // SQLite gives its WAL files the database's mode.
    assert_eq!(mode("state/netmon/n.db-wal"), 0o640);
    assert_eq!(mode("state/netmon/n.db-shm"), 0o640);
    signal(&child, nix::sys::signal::Signal::SIGTERM);
    assert!(child.wait_with_output().unwrap().status.success());
    assert_eq!(mode("state/netmon/n.db"), 0o640);
    assert_eq!(mode("state/netmon"), 0o750);
    assert_eq!(mode("state"), 0o750);
    assert_eq!(
        mode("logs/network_monitor.log"),
        0o600,
        "the log stays private"
    );
}

#[test]
fn second_monitor_is_refused_and_sigterm_commits_every_cycle() {
    let sandbox = Sandbox::new();
    let first = sandbox
        .command()
        .args(["--interval", "0.2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_cycles(&sandbox.db_path(), 2);
    let second = sandbox.run(&["--once"]);
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    let message = stderr(&second);
    assert!(
        message.contains(&format!(
            "already being monitored by process {}",
            first.id()
        )),
        "{message}"
    );
    assert!(message.contains("network_activity.db"), "{message}");
    assert_eq!(message.trim().lines().count(), 1, "{message}");

    kill(Pid::from_raw(first.id() as i32), Signal::SIGTERM).unwrap();
    let output = first.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let printed_cycles = stdout(&output)
        .lines()
        .filter(|l| l.contains(" _total "))
        .count();
    let db = sandbox.db();
    let stamps = timestamps(&db);
    assert_eq!(
        stamps.len(),
        printed_cycles,
        "every printed cycle is committed"
    );
    for ts in &stamps {
        assert_eq!(interfaces_at(&db, ts).len(), 4, "cycle {ts} is whole");
    }
}

#[test]
fn sysinfo_collector_stores_drops_as_zero_and_warns_once() {
    let sandbox = Sandbox::with_config("collector: sysinfo\nexclude_interfaces: []\n");
    let output = sandbox.run(&["--interval", "0.1", "--count", "2", "--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output).matches("drop counters as 0").count(), 1);
    let db = sandbox.db();
    let stamps = timestamps(&db);
    assert_eq!(stamps.len(), 2);
    assert!(interfaces_at(&db, &stamps[0]).contains(&"lo".to_string()));
    let drops = scalar(&db, "SELECT SUM(dropin + dropout) FROM network_stats");
    assert_eq!(drops, 0);
}

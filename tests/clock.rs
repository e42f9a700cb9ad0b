//! Wall-clock jumps under libfaketime (the monotonic clock stays real): a jump
//! back must not lose a cycle or fail on UNIQUE(timestamp, interface), a jump
//! forward must not create a rate spike. Needs libfaketime (`.ci/run`
//! installs it; under CI=true its absence fails the test).

mod common;

use common::*;
use nix::sys::signal::Signal;
use std::time::Duration;

#[test]
fn wall_clock_jumps_lose_nothing_and_spike_nothing() {
    let found = libfaketime();
    if !require(
        found.is_some(),
        "libfaketime is not installed (apt-get install libfaketime)",
    ) {
        return;
    }
    let Some(library) = found else { return };
    let sandbox = Sandbox::with_config("proc_net_dev: dev.txt\nlogging:\n  file: ''\n");
    let offset = sandbox.path("faketime.rc");
    std::fs::write(&offset, "+0\n").unwrap();
    let child = sandbox
        .command()
        .args(["--interval", "0.1"])
        .env("LD_PRELOAD", &library)
        .env("FAKETIME_TIMESTAMP_FILE", &offset)
        .env("FAKETIME_NO_CACHE", "1")
        .env("DONT_FAKE_MONOTONIC", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_cycles(&sandbox.db_path(), 10);
    std::fs::write(&offset, "-1s\n").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    std::fs::write(&offset, "+1h\n").unwrap();
    std::thread::sleep(Duration::from_millis(600));
    signal(&child, Signal::SIGTERM);
    let output = child.wait_with_output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(!err.contains("ERROR"), "{err}");
    let db = sandbox.db();
    let stamps = timestamps(&db);
    assert_eq!(
        stamps.len(),
        printed_cycles(&output),
        "no cycle lost to the jump back"
    );
    // Cycles 0.1 s apart: after the jump back, new cycles land among the
    // stored ones, a few milliseconds from them.
    let went_back = scalar(
        &db,
        "SELECT COUNT(*) FROM (SELECT t_ms - LAG(t_ms) OVER (ORDER BY t_ms) AS gap
         FROM network_stats WHERE interface = '_total') WHERE gap < 50",
    );
    assert!(went_back > 0, "the jump back reached the stored timestamps");
    let hour_later = scalar(&db, "SELECT COUNT(*) FROM network_stats WHERE timestamp > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+30 minutes')");
    assert!(
        hour_later > 0,
        "the forward jump reached the stored timestamps"
    );
    let longest = db
        .query_row("SELECT MAX(interval_s) FROM network_stats", [], |r| {
            r.get::<_, f64>(0)
        })
        .unwrap();
    assert!(
        longest < 0.5,
        "intervals come from the monotonic clock, got {longest} s"
    );
}

//! `--by day` across the end of daylight saving time in the time zone the
//! database records: the day the clocks go back has 25 hours, and each local
//! day is one period, whatever the reader's own TZ.

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::*;

/// Central European Time as a POSIX rule: no tz database needed.
const TZ: &str = "CET-1CEST,M3.5.0,M10.5.0/3";

#[test]
fn by_day_around_the_dst_change_counts_local_days() {
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    // Every 10 minutes from local 2026-10-24 00:00 (+02:00) to 2026-10-27 00:00 (+01:00).
    let start = Utc.with_ymd_and_hms(2026, 10, 23, 22, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2026, 10, 26, 23, 0, 0).unwrap();
    let mut history = Vec::new();
    let mut at = start;
    let mut counter = 0;
    while at < end {
        history.push((at, vec![("eth0", counter, 0)]));
        counter += 1_000;
        at += Duration::minutes(10);
    }
    write_history_in(&sandbox.db_path(), &history, TZ, 0);
    let output = sandbox
        .command()
        .env("TZ", TZ)
        .args([
            "--summary",
            "--by",
            "day",
            "--format",
            "json",
            "--since",
            "all",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let periods = interface_json(&summary, "eth0")["periods"]
        .as_array()
        .unwrap()
        .clone();
    let starts: Vec<&str> = periods
        .iter()
        .map(|p| p["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2026-10-24T00:00:00+02:00",
            "2026-10-25T00:00:00+02:00",
            "2026-10-26T00:00:00+01:00"
        ]
    );
    let samples: Vec<u64> = periods
        .iter()
        .map(|p| p["samples"].as_u64().unwrap())
        .collect();
    assert_eq!(samples, [144, 150, 144], "the DST day has 25 hours");
    let bytes: Vec<u64> = periods
        .iter()
        .map(|p| p["bytes_recv"].as_u64().unwrap())
        .collect();
    assert_eq!(
        bytes,
        [143_000, 150_000, 144_000],
        "the first sample has no delta"
    );
    // The same days through a window that starts and ends mid-day, read
    // from another time zone.
    let output = sandbox
        .command()
        .env("TZ", "Asia/Kathmandu")
        .args(["--summary", "--by", "day", "--format", "json"])
        .args([
            "--since",
            "2026-10-24T12:00:00+02:00",
            "--until",
            "2026-10-26T06:00:00+01:00",
        ])
        .output()
        .unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let periods = interface_json(&summary, "eth0")["periods"]
        .as_array()
        .unwrap()
        .clone();
    let samples: Vec<u64> = periods
        .iter()
        .map(|p| p["samples"].as_u64().unwrap())
        .collect();
    assert_eq!(samples, [72, 150, 36]);
}

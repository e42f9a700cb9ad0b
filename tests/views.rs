//! The vnStat-style views on a history with hand-computed answers: ISO
//! weeks, years and billing months (a billing day of 15 on one interface)
//! across the end of daylight saving time, in the zone the database records.

mod common;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use common::*;
use std::collections::BTreeMap;

/// Central European Time as a POSIX rule (no tz database needed): CEST
/// (+02:00) until 2026-10-25 01:00 UTC, CET (+01:00) after.
const TZ: &str = "CET-1CEST,M3.5.0,M10.5.0/3";

/// The local date of `t` in [`TZ`] for 2026, by the rule written out.
fn local_date(t: DateTime<Utc>) -> NaiveDate {
    let summer_ends = Utc.with_ymd_and_hms(2026, 10, 25, 1, 0, 0).unwrap();
    let offset = if t < summer_ends { 2 } else { 1 };
    (t + Duration::hours(offset)).date_naive()
}

/// "2026-10-19T00:00:00+02:00": local midnight of `date` in [`TZ`].
fn local_midnight(date: NaiveDate) -> String {
    let offset = if date <= NaiveDate::from_ymd_opt(2026, 10, 25).unwrap() {
        "+02:00"
    } else {
        "+01:00"
    };
    format!("{}T00:00:00{offset}", date.format("%Y-%m-%d"))
}

/// Hourly cycles from local 2026-09-01 00:00 to 2026-11-30 00:00; eth0
/// receives 1000 bytes an hour, wan0 7 bytes. The first cycle has no delta.
fn history() -> Vec<DateTime<Utc>> {
    let start = Utc.with_ymd_and_hms(2026, 8, 31, 22, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2026, 11, 29, 23, 0, 0).unwrap();
    let mut times = Vec::new();
    let mut at = start;
    while at < end {
        times.push(at);
        at += Duration::hours(1);
    }
    times
}

fn sandbox_with_history(config: &str) -> (Sandbox, Vec<DateTime<Utc>>) {
    let sandbox = Sandbox::with_config(config);
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    let times = history();
    let cycles: Vec<ScriptedCycle> = times
        .iter()
        .enumerate()
        .map(|(k, &at)| {
            let k = k as u64;
            (at, vec![("eth0", k * 1000, 0), ("wan0", k * 7, 0)])
        })
        .collect();
    write_history_in(&sandbox.db_path(), &cycles, TZ, 0);
    (sandbox, times)
}

/// Expected bytes received per period, keyed by the period's local start.
fn expected(
    times: &[DateTime<Utc>],
    per_hour: u64,
    key: impl Fn(NaiveDate) -> NaiveDate,
) -> BTreeMap<String, u64> {
    let mut periods = BTreeMap::new();
    for &at in &times[1..] {
        *periods
            .entry(local_midnight(key(local_date(at))))
            .or_insert(0) += per_hour;
    }
    periods
}

/// (start, bytes_recv) of each period of `interface` in a JSON summary.
fn periods_of(summary: &serde_json::Value, interface: &str) -> BTreeMap<String, u64> {
    interface_json(summary, interface)["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["start"].as_str().unwrap().to_string(),
                p["bytes_recv"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

#[test]
fn iso_weeks_start_on_monday_and_the_dst_week_has_169_hours() {
    let (sandbox, times) = sandbox_with_history("logging:\n  file: ''\n");
    let summary = summary_json(&sandbox, &["--by", "week", "--since", "all"]);
    let weeks = periods_of(&summary, "eth0");
    assert_eq!(weeks, expected(&times, 1000, monday_of));
    assert_eq!(
        weeks["2026-10-19T00:00:00+02:00"], 169_000,
        "25-hour Sunday"
    );
    assert_eq!(weeks["2026-09-07T00:00:00+02:00"], 168_000);
    assert_eq!(periods_of(&summary, "wan0"), expected(&times, 7, monday_of));
    // The default window: the last 12 weeks up to --until.
    let summary = summary_json(
        &sandbox,
        &["--by", "week", "--until", "2026-11-30T00:00:00+01:00"],
    );
    let weeks = periods_of(&summary, "eth0");
    assert_eq!(weeks.len(), 12);
    assert_eq!(
        weeks.keys().next().map(String::as_str),
        Some("2026-09-07T00:00:00+02:00")
    );
}

#[test]
fn years_and_billing_months_from_the_15th() {
    let config = "logging:\n  file: ''\nper_interface:\n  eth0:\n    billing_day: 15\n";
    let (sandbox, times) = sandbox_with_history(config);
    let summary = summary_json(&sandbox, &["--by", "year", "--since", "all"]);
    let total = (times.len() as u64 - 1) * 1000;
    assert_eq!(
        periods_of(&summary, "eth0"),
        BTreeMap::from([("2026-01-01T00:00:00+01:00".to_string(), total)])
    );

    let billing = |date: NaiveDate| {
        let fifteenth = date.with_day(15).unwrap();
        if date.day() >= 15 {
            fifteenth
        } else {
            fifteenth - chrono::Months::new(1)
        }
    };
    let summary = summary_json(&sandbox, &["--by", "month", "--since", "all"]);
    let months = periods_of(&summary, "eth0");
    assert_eq!(months, expected(&times, 1000, billing));
    assert!(months.contains_key("2026-10-15T00:00:00+02:00"));
    // The 25-hour day is in the billing month from October 15th.
    let hours = (NaiveDate::from_ymd_opt(2026, 11, 15).unwrap()
        - NaiveDate::from_ymd_opt(2026, 10, 15).unwrap())
    .num_days() as u64
        * 24
        + 1;
    assert_eq!(months["2026-10-15T00:00:00+02:00"], hours * 1000);
    // wan0 keeps calendar months.
    let calendar_month = |date: NaiveDate| date.with_day(1).unwrap();
    assert_eq!(
        periods_of(&summary, "wan0"),
        expected(&times, 7, calendar_month)
    );
    // Totals are the window's, whatever the periods.
    let eth0 = interface_json(&summary, "eth0");
    assert_eq!(eth0["bytes_recv"].as_u64(), Some(total));
}

#[test]
fn top_days_are_the_biggest_first_with_the_same_fields_as_periods() {
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    // Ten UTC days; each cycle of day d moves rates[d] kB (its delta is
    // stored at the cycle's time, so day d holds 24 x rates[d] kB).
    let rates = [5, 1, 9, 3, 9, 2, 7, 4, 6, 8];
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let mut counter = 0;
    let mut cycles: Vec<ScriptedCycle> = Vec::new();
    for hour in 0..24 * rates.len() {
        let at = start + Duration::hours(hour as i64);
        if hour > 0 {
            counter += rates[hour / 24] * 1000;
        }
        cycles.push((at, vec![("eth0", counter, counter / 10)]));
    }
    write_history(&sandbox.db_path(), &cycles);
    let summary = summary_json(&sandbox, &["--top", "3"]);
    let top = interface_json(&summary, "eth0")["top"]
        .as_array()
        .unwrap()
        .clone();
    let days: Vec<(&str, u64, u64)> = top
        .iter()
        .map(|d| {
            (
                d["start"].as_str().unwrap(),
                d["bytes_recv"].as_u64().unwrap(),
                d["samples"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2026-11-03T00:00:00+00:00", 216_000, 24),
            ("2026-11-05T00:00:00+00:00", 216_000, 24),
            ("2026-11-10T00:00:00+00:00", 192_000, 24),
        ],
        "biggest first, the earlier of equals first"
    );
    for field in [
        "bytes_sent",
        "bytes_total",
        "avg_recv_rate",
        "peak_recv_rate",
        "errin",
    ] {
        assert!(top[0].get(field).is_some(), "{field}");
    }
    assert_eq!(top[0]["bytes_total"], 216_000 + 21_600);
    assert!(interface_json(&summary, "eth0").get("periods").is_none());
    // A window keeps the top days inside it.
    let summary = summary_json(
        &sandbox,
        &[
            "--top",
            "2",
            "--since",
            "2026-11-06",
            "--until",
            "2026-11-09",
        ],
    );
    let top = interface_json(&summary, "eth0")["top"]
        .as_array()
        .unwrap()
        .clone();
    let starts: Vec<&str> = top.iter().map(|d| d["start"].as_str().unwrap()).collect();
    assert_eq!(
        starts,
        ["2026-11-07T00:00:00+00:00", "2026-11-08T00:00:00+00:00"]
    );
    // Partial days at the window's edges compete with whole days.
    let summary = summary_json(
        &sandbox,
        &[
            "--top",
            "2",
            "--since",
            "2026-11-03T12:00:00Z",
            "--until",
            "2026-11-05T12:00:00Z",
        ],
    );
    let top = interface_json(&summary, "eth0")["top"]
        .as_array()
        .unwrap()
        .clone();
    let days: Vec<(&str, u64)> = top
        .iter()
        .map(|d| {
            (
                d["start"].as_str().unwrap(),
                d["bytes_recv"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2026-11-03T00:00:00+00:00", 108_000),
            ("2026-11-05T00:00:00+00:00", 108_000)
        ],
        "12 hours of 9 kB beat 24 hours of 3 kB"
    );
    // The table names the view.
    let table = stdout(&sandbox.run(&["--summary", "--top", "3"]));
    assert!(
        table.contains("eth0: the 3 days with the most traffic"),
        "{table}"
    );
    // CSV: one row per top day.
    let csv = stdout(&sandbox.run(&["--summary", "--top", "3", "--format", "csv"]));
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("eth0,")).count(),
        3,
        "{csv}"
    );
    let both = sandbox.run(&["--summary", "--top", "3", "--by", "day", "--format", "csv"]);
    assert_eq!(both.status.code(), Some(2));
}

/// Ten-minute cycles over the two days before now: eth0 receives 6000 and
/// sends 600 bytes a cycle.
fn recent_history(sandbox: &Sandbox) -> Vec<DateTime<Utc>> {
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    let now = Utc::now();
    let mut times = Vec::new();
    let mut at = now - Duration::days(2);
    while at < now - Duration::seconds(30) {
        times.push(at);
        at += Duration::minutes(10);
    }
    let cycles: Vec<ScriptedCycle> = times
        .iter()
        .enumerate()
        .map(|(k, &at)| (at, vec![("eth0", k as u64 * 6000, k as u64 * 600)]))
        .collect();
    write_history(&sandbox.db_path(), &cycles);
    times
}

/// Bytes received from `start` on (the first cycle has no delta).
fn received_since(times: &[DateTime<Utc>], start: DateTime<Utc>) -> u64 {
    times[1..].iter().filter(|&&t| t >= start).count() as u64 * 6000
}

#[test]
fn estimates_scale_the_current_day_and_month_to_their_length() {
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    let times = recent_history(&sandbox);
    let summary = summary_json(&sandbox, &[]);
    let now = Utc::now();
    let eth0 = interface_json(&summary, "eth0");
    let midnight = Utc.from_utc_datetime(&now.date_naive().and_hms_opt(0, 0, 0).unwrap());
    let month_start = Utc.from_utc_datetime(
        &now.date_naive()
            .with_day(1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap(),
    );
    for (period, start, length) in [
        ("day", midnight, 86_400.0),
        ("month", month_start, {
            let next = (month_start.date_naive() + chrono::Months::new(1))
                .and_hms_opt(0, 0, 0)
                .unwrap();
            (Utc.from_utc_datetime(&next) - month_start).as_seconds_f64()
        }),
    ] {
        let estimate = &eth0["estimate"][period];
        let so_far = received_since(&times, start);
        assert_eq!(estimate["bytes_recv"].as_u64(), Some(so_far), "{period}");
        let data_since = start.max(times[0]);
        let covered = (now - data_since).as_seconds_f64();
        if covered > 3700.0 {
            let expected = so_far as f64 * length / covered;
            let got = estimate["estimated_recv"].as_f64().unwrap();
            assert!(
                (got - expected).abs() / expected < 0.01,
                "{period}: estimated {got}, expected about {expected}"
            );
        } else if covered < 3500.0 {
            assert!(estimate["estimated_recv"].is_null(), "{period}: {estimate}");
            assert!(estimate["note"]
                .as_str()
                .unwrap()
                .contains("less than an hour"));
        }
    }
    // A window that ends in the past has no estimates.
    let past = summary_json(&sandbox, &["--until", "1d"]);
    assert!(interface_json(&past, "eth0").get("estimate").is_none());
    let table = stdout(&sandbox.run(&["--summary"]));
    assert!(
        table.contains("estimates: the current period's traffic so far"),
        "{table}"
    );
}

#[test]
fn alerts_exit_3_over_the_limit_and_0_under_it() {
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    let times = recent_history(&sandbox);
    let now = Utc::now();
    let midnight = Utc.from_utc_datetime(&now.date_naive().and_hms_opt(0, 0, 0).unwrap());
    let today = received_since(&times, midnight);
    let today_total = today + today / 10;
    let alert = |args: &[&str]| {
        let mut all = vec!["--summary", "--by", "day"];
        all.extend_from_slice(args);
        sandbox.run(&all)
    };
    let over = format!("{}", today_total.saturating_sub(1));
    let output = alert(&["--alert", &over]);
    let line = stdout(&output);
    if today_total > 0 {
        assert_eq!(output.status.code(), Some(3), "{line}{}", stderr(&output));
        assert!(
            line.starts_with("_total: ") && line.trim_end().ends_with("EXCEEDED"),
            "{line}"
        );
    }
    let under = format!("{today_total}");
    let output = alert(&["--alert", &under]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).trim_end().ends_with(": ok"));
    // rx only, for eth0, as JSON.
    let output = alert(&[
        "--alert",
        &format!("{today}"),
        "--direction",
        "rx",
        "--interfaces",
        "eth0",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let verdict: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(verdict["exceeded"], false);
    assert_eq!(verdict["alert"]["direction"], "rx");
    assert_eq!(verdict["interfaces"][0]["interface"], "eth0");
    assert_eq!(verdict["interfaces"][0]["bytes"].as_u64(), Some(today));
    // A month limit in SI units, as CSV.
    let output = sandbox.run(&["--summary", "--alert", "1.5TB", "--format", "csv"]);
    assert_eq!(output.status.code(), Some(0));
    let csv = stdout(&output);
    assert!(
        csv.starts_with(
            "interface,period_start,period_end,bytes,limit,estimated,exceeded\n_total,"
        ),
        "{csv}"
    );
    assert!(csv.contains(",1500000000000,false,false"), "{csv}");
    // Bad sizes and combinations are usage errors.
    for args in [
        &["--summary", "--alert", "lots"][..],
        &["--summary", "--alert", "1GB", "--since", "7d"][..],
        &["--summary", "--direction", "rx"][..],
        &["--alert", "1GB"][..],
    ] {
        let output = sandbox.run(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(stderr(&output).lines().count(), 1);
    }
}

#[test]
fn percentile_of_five_minute_rates_is_the_nearest_rank() {
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    // 60 s cycles for 100 minutes: the k-th 5-minute slot receives
    // (k + 1) x 10 B/s, and every slot sends 5 B/s.
    let start = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    let (mut rx, mut tx) = (0, 0);
    let mut cycles: Vec<ScriptedCycle> = Vec::new();
    for i in 0..100u64 {
        if i > 0 {
            rx += 60 * (i / 5 + 1) * 10;
            tx += 60 * 5;
        }
        cycles.push((start + Duration::minutes(i as i64), vec![("eth0", rx, tx)]));
    }
    write_history(&sandbox.db_path(), &cycles);
    let summary = summary_json(&sandbox, &["--percentile", "95"]);
    let p = &interface_json(&summary, "eth0")["percentile"];
    assert_eq!(p["slots"], 20);
    assert_eq!(
        p["recv_bytes_per_s"].as_f64(),
        Some(190.0),
        "the 19th of 20 slots"
    );
    assert_eq!(p["recv_bits_per_s"].as_f64(), Some(1520.0));
    assert_eq!(p["sent_bytes_per_s"].as_f64(), Some(5.0));
    assert_eq!(
        p["max_bits_per_s"].as_f64(),
        Some(1520.0),
        "the higher direction"
    );
    let median = summary_json(&sandbox, &["--percentile", "50"]);
    assert_eq!(
        interface_json(&median, "eth0")["percentile"]["recv_bytes_per_s"].as_f64(),
        Some(100.0)
    );
    // A window of the first 30 minutes: slots 0 to 5.
    let early = summary_json(
        &sandbox,
        &[
            "--percentile",
            "95",
            "--since",
            "2026-11-24T09:00:00Z",
            "--until",
            "2026-11-24T09:30:00Z",
        ],
    );
    let p = &interface_json(&early, "eth0")["percentile"];
    assert_eq!(
        (p["slots"].as_u64(), p["recv_bytes_per_s"].as_f64()),
        (Some(6), Some(60.0))
    );
    let table = stdout(&sandbox.run(&["--summary", "--percentile", "95"]));
    assert!(
        table.contains("95th percentile of the 5-minute average rates"),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("eth0") && l.contains("1.52 kbit/s")),
        "{table}"
    );
    for bad in ["0", "101", "ninety"] {
        let output = sandbox.run(&["--summary", "--percentile", bad]);
        assert_eq!(output.status.code(), Some(2), "{bad}");
    }
}

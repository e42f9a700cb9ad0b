//! The boundaries real hosts cross, each driven through the real binary and
//! compared with the truth, the counters' change in the fixture: a reboot
//! (a bind-mounted `boot_id` in a private mount namespace), a clock step (a
//! bind-mounted `/proc/stat` and libfaketime), a run stamped a day ahead,
//! a glitching driver, absurd counters, cron `--once` runs across a wrap
//! and an absent interface, a malformed line, a stop in the middle of a
//! cycle, and a zone whose daylight saving moves 30 minutes.

mod common;

use common::scrape::{body, free_port, get_when_up};
use common::*;
use nix::sys::signal::Signal;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const QUIET: &str = "proc_net_dev: dev.txt\nlogging:\n  file: ''\n";

/// A sandbox whose counters file lists `eth0` at (received, sent) bytes.
fn sandbox_with(recv: u64, sent: u64) -> Sandbox {
    let sandbox = Sandbox::with_config(QUIET);
    set_counters(&sandbox, &[("eth0", recv, sent)]);
    sandbox
}

fn set_counters(sandbox: &Sandbox, interfaces: &[(&str, u64, u64)]) {
    replace_file(&sandbox.path("dev.txt"), &dev_text(interfaces));
}

fn succeeded(output: Output) -> Output {
    assert!(output.status.success(), "{}", stderr(&output));
    output
}

/// The stored received-byte deltas of eth0, oldest first.
fn eth0_deltas(sandbox: &Sandbox) -> Vec<Option<i64>> {
    stored_rows(&sandbox.db(), "eth0")
        .iter()
        .map(|row| row.deltas.map(|d| d[0]))
        .collect()
}

/// Whether this test can fake a boot: root, and `unshare` for a private
/// mount namespace.
fn can_fake_boots() -> bool {
    require(
        is_root() && has_program("unshare") && has_program("mount"),
        "faking a boot needs root and unshare (util-linux)",
    )
}

/// netmon in a private mount namespace where the kernel's `boot_id` reads
/// `boot` and, with `btime`, `/proc/stat` has that boot time.
fn in_boot(sandbox: &Sandbox, boot: &str, btime: Option<i64>) -> Command {
    sandbox.write("fake_boot_id", &format!("{boot}\n"));
    let mut script =
        String::from("mount --bind fake_boot_id /proc/sys/kernel/random/boot_id || exit 97; ");
    if let Some(btime) = btime {
        let stat = std::fs::read_to_string("/proc/stat").unwrap();
        let faked: String = stat
            .lines()
            .map(|line| match line.strip_prefix("btime ") {
                Some(_) => format!("btime {btime}\n"),
                None => format!("{line}\n"),
            })
            .collect();
        sandbox.write("fake_stat", &faked);
        script.push_str("mount --bind fake_stat /proc/stat || exit 97; ");
    }
    script.push_str("exec \"$0\" \"$@\"");
    sandbox.wrapped(&[
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        &script,
    ])
}

/// The kernel's boot time now.
fn btime() -> i64 {
    std::fs::read_to_string("/proc/stat")
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("btime ")?.trim().parse().ok())
        .unwrap()
}

fn audit(sandbox: &Sandbox, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let output = sandbox
        .command()
        .args(["--audit", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let code = output.status.code();
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&output), stderr(&output)));
    (code, json)
}

const BOOT_A: &str = "0a000000-0000-4000-8000-00000000000a";
const BOOT_B: &str = "0b000000-0000-4000-8000-00000000000b";
const BOOT_C: &str = "0c000000-0000-4000-8000-00000000000c";

/// After a reboot the first reading is the traffic since boot: counted
/// (vnStat counts it too), where netmon used to start fresh.
#[test]
fn a_reboot_counts_the_traffic_since_boot() {
    if !can_fake_boots() {
        return;
    }
    let sandbox = sandbox_with(9_000_000, 0);
    succeeded(
        in_boot(&sandbox, BOOT_A, None)
            .arg("--once")
            .output()
            .unwrap(),
    );
    set_counters(&sandbox, &[("eth0", 70_000, 0)]);
    let output = succeeded(
        in_boot(&sandbox, BOOT_B, None)
            .arg("--once")
            .output()
            .unwrap(),
    );
    assert!(stderr(&output).contains("rebooted"), "{}", stderr(&output));
    assert_eq!(eth0_deltas(&sandbox), [None, Some(70_000)]);
    // Nothing says what eth0 counted between the last sample and the reboot.
    let (code, json) = audit(&sandbox, &[]);
    assert_eq!(code, Some(4), "{json}");
    let eth0 = interface_json(&json, "eth0");
    assert_eq!(eth0["stretches"][0]["cause"], "reboot");
    assert_eq!(eth0["stretches"][0]["bridged_by"], "since-boot reading");
    assert!(eth0["stretches"][0]["unaccounted_bytes"].is_null());
    // A service stopped at shutdown takes a final sample: the next boot's
    // first reading then leaves nothing unaccounted.
    let mut monitor = in_boot(&sandbox, BOOT_B, None)
        .args(["--interval", "30", "--quiet"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_cycles(&sandbox.db_path(), 3);
    set_counters(&sandbox, &[("eth0", 75_000, 0)]);
    std::thread::sleep(Duration::from_millis(300));
    let stopping = chrono::Utc::now();
    signal(&monitor, Signal::SIGTERM);
    assert!(monitor.wait().unwrap().success());
    set_counters(&sandbox, &[("eth0", 4_000, 0)]);
    succeeded(
        in_boot(&sandbox, BOOT_C, None)
            .arg("--once")
            .output()
            .unwrap(),
    );
    assert_eq!(
        eth0_deltas(&sandbox),
        [None, Some(70_000), Some(0), Some(5_000), Some(4_000)]
    );
    // From the stop on: the final sample and the next boot's first reading.
    let since = stopping.to_rfc3339();
    let (code, json) = audit(&sandbox, &["--since", &since]);
    assert_eq!(code, Some(0), "{json}");
    let stretch = &interface_json(&json, "eth0")["stretches"][0];
    assert_eq!(stretch["bridged_by"], "final sample + since-boot reading");
    assert_eq!(stretch["unaccounted_bytes"], 0);
}

/// The wall clock stepped (chrony on a machine without RTC, a VM resumed):
/// `btime` moves with it, the boot does not. Counted as the same boot.
#[test]
fn a_clock_step_is_not_a_reboot() {
    let Some(library) = libfaketime() else {
        require(false, "libfaketime is not installed (.ci/run installs it)");
        return;
    };
    if !can_fake_boots() {
        return;
    }
    let sandbox = sandbox_with(1_000_000, 0);
    let now = btime();
    succeeded(
        in_boot(&sandbox, BOOT_A, Some(now))
            .arg("--once")
            .output()
            .unwrap(),
    );
    set_counters(&sandbox, &[("eth0", 1_004_000, 0)]);
    let stepped = in_boot(&sandbox, BOOT_A, Some(now + 7_200))
        .env("LD_PRELOAD", &library)
        .env("FAKETIME", "+2h")
        .env("DONT_FAKE_MONOTONIC", "1")
        .arg("--once")
        .output()
        .unwrap();
    succeeded(stepped);
    assert_eq!(eth0_deltas(&sandbox), [None, Some(4_000)]);
}

/// A run stamped a day ahead (the wall clock was wrong), then a normal run:
/// the boot clock orders them, so both deltas count.
#[test]
fn a_run_stamped_a_day_ahead_loses_nothing() {
    let Some(library) = libfaketime() else {
        require(false, "libfaketime is not installed (.ci/run installs it)");
        return;
    };
    let sandbox = sandbox_with(1_000_000, 0);
    succeeded(sandbox.run(&["--once"]));
    set_counters(&sandbox, &[("eth0", 1_100_000, 0)]);
    let ahead = sandbox
        .command()
        .env("LD_PRELOAD", &library)
        .env("FAKETIME", "+1d")
        .env("DONT_FAKE_MONOTONIC", "1")
        .arg("--once")
        .output()
        .unwrap();
    succeeded(ahead);
    set_counters(&sandbox, &[("eth0", 1_200_000, 0)]);
    succeeded(sandbox.run(&["--once"]));
    let rows = stored_rows(&sandbox.db(), "eth0");
    assert_eq!(delta_sums(&rows), (200_000, 0));
    assert!(rows.iter().all(|r| r.interval_s.is_none_or(|s| s < 60.0)));
    let summary = summary_json(&sandbox, &["--since", "all"]);
    assert_eq!(interface_json(&summary, "eth0")["bytes_recv"], 200_000);
}

/// A driver's torn read: 5e12, then 5e12 - 1, then 5e12 + 500. The dip is
/// a glitch, not a reset worth 5 TB.
#[test]
fn a_glitching_driver_invents_nothing() {
    let high = 5_000_000_000_000;
    let sandbox = sandbox_with(high, 0);
    let monitor = spawn(&sandbox, &["--interval", "0.1", "--quiet"]);
    let mut stored = 0;
    for value in [high, high - 1, high + 500] {
        set_counters(&sandbox, &[("eth0", value, 0)]);
        stored = cycles_in(&sandbox.db_path()).max(stored);
        wait_for_cycles(&sandbox.db_path(), stored + 3);
    }
    signal(&monitor, Signal::SIGTERM);
    let output = monitor.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("glitch"), "{}", stderr(&output));
    let rows = stored_rows(&sandbox.db(), "eth0");
    assert_eq!(delta_sums(&rows), (500, 0));
    // The dip lasted several readings here: had the counter really gone
    // back, what it counted since would be missing, so the audit bounds it.
    let (code, json) = audit(&sandbox, &[]);
    assert_eq!(code, Some(4), "{json}");
    let eth0 = interface_json(&json, "eth0");
    assert_eq!(eth0["glitches"]["count"], 1, "one glitch: {json}");
    let lasting = eth0["lasting_dips"]["count"].as_u64().unwrap();
    assert_eq!(
        eth0["unaccounted_bytes_at_most"], lasting,
        "1 byte per reading of the dip"
    );
    // A glitch of one reading (cron runs) leaves nothing unaccounted.
    let sandbox = sandbox_with(high, 0);
    for value in [high, high - 1, high + 500] {
        set_counters(&sandbox, &[("eth0", value, 0)]);
        succeeded(sandbox.run(&["--once"]));
    }
    assert_eq!(eth0_deltas(&sandbox), [None, Some(0), Some(500)]);
    let (code, json) = audit(&sandbox, &[]);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(interface_json(&json, "eth0")["glitches"]["bytes"], 1);
    // A genuine reset to near zero still counts: 5e12, 100, 600.
    let sandbox = sandbox_with(high, 0);
    for value in [high, 100, 600] {
        set_counters(&sandbox, &[("eth0", value, 0)]);
        succeeded(sandbox.run(&["--once"]));
    }
    assert_eq!(eth0_deltas(&sandbox), [None, Some(100), Some(500)]);
}

/// Counters no link could reach in a minute (2^62, then nearly 2^64): the
/// delta is set aside and logged; reports and later writes go on.
#[test]
fn absurd_counters_are_set_aside_and_never_stop_a_write_or_a_report() {
    let sandbox = sandbox_with(1 << 62, 0);
    let mut logs = String::new();
    for value in [1 << 62, 18_446_744_073_709_551_000, u64::MAX] {
        set_counters(&sandbox, &[("eth0", value, 0)]);
        logs += &stderr(&succeeded(sandbox.run(&["--once"])));
    }
    assert!(logs.contains("beyond any link"), "{logs}");
    assert_eq!(eth0_deltas(&sandbox), [None, None, Some(615)]);
    let summary = summary_json(&sandbox, &["--since", "all"]);
    assert_eq!(interface_json(&summary, "eth0")["bytes_recv"], 615);
    assert_eq!(interface_json(&summary, "_total")["bytes_recv"], 615);
    let (code, json) = audit(&sandbox, &[]);
    assert_eq!(code, Some(4), "{json}");
    let set_aside = &interface_json(&json, "eth0")["set_aside"];
    assert_eq!(set_aside["count"], 1);
    assert_eq!(
        set_aside["bytes"],
        18_446_744_073_709_551_000u64 - (1 << 62)
    );
}

/// A database written before schema 4 holds such a delta, clamped to
/// 2^63 - 1, and every `SUM()` over it overflowed: the upgrade sets it
/// aside, and reports and writes work again.
#[test]
fn a_database_that_holds_an_absurd_delta_reports_again() {
    let sandbox = sandbox_with(1 << 62, 0);
    for value in [1 << 62, 18_446_744_073_709_551_000, u64::MAX] {
        set_counters(&sandbox, &[("eth0", value, 0)]);
        succeeded(sandbox.run(&["--once"]));
    }
    {
        // What netmon 0.1 (schema 3) stored: the second cycle's deltas
        // clamped, its _total too, and no facts table.
        let db = sandbox.db();
        db.execute_batch(
            "UPDATE netmon_samples SET bytes_recv_delta = 9223372036854775807,
                 bytes_sent_delta = 0, packets_recv_delta = 0, packets_sent_delta = 0,
                 errin_delta = 0, errout_delta = 0, dropin_delta = 0, dropout_delta = 0,
                 interval_us = 60000000, rated = 1
             WHERE t = (SELECT t FROM netmon_samples ORDER BY t LIMIT 1 OFFSET 2);
             DROP TABLE netmon_events;
             DELETE FROM netmon_meta WHERE key = 'resume_point';
             PRAGMA user_version = 3;",
        )
        .unwrap();
        let sum = db.query_row("SELECT SUM(bytes_recv_delta) FROM network_stats", [], |r| {
            r.get::<_, i64>(0)
        });
        assert!(sum.is_err(), "the sum overflows: {sum:?}");
    }
    set_counters(&sandbox, &[("eth0", u64::MAX - 5, 0)]);
    succeeded(sandbox.run(&["--once"]));
    let summary = summary_json(&sandbox, &["--since", "all"]);
    assert_eq!(interface_json(&summary, "eth0")["bytes_recv"], 615);
    assert_eq!(interface_json(&summary, "_total")["bytes_recv"], 615);
    let db = sandbox.db();
    assert_eq!(
        scalar(&db, "SELECT SUM(bytes_recv_delta) FROM network_stats"),
        1_230
    );
    let (_, json) = audit(&sandbox, &[]);
    assert_eq!(interface_json(&json, "eth0")["set_aside"]["count"], 1);
}

/// Cron runs `--once` a minute apart across a 32-bit wrap: consecutive
/// cycles, as in a monitor, so the wrap counts.
#[test]
fn cron_once_runs_count_a_32_bit_wrap_like_the_monitor() {
    let sandbox = sandbox_with(4_294_000_000, 0);
    succeeded(sandbox.run(&["--once"]));
    set_counters(&sandbox, &[("eth0", 1_000_000, 0)]);
    succeeded(sandbox.run(&["--once"]));
    assert_eq!(eth0_deltas(&sandbox), [None, Some(1_967_296)]);
}

/// Cron runs `--once`; eth0 is absent from one run and comes back: it was
/// re-created, so everything it counted since is its delta.
#[test]
fn cron_once_runs_count_a_re_created_interface_like_the_monitor() {
    let sandbox = Sandbox::with_config(QUIET);
    set_counters(&sandbox, &[("eth0", 3_000_000_000, 0), ("wlan0", 10, 0)]);
    succeeded(sandbox.run(&["--once"]));
    set_counters(&sandbox, &[("wlan0", 20, 0)]);
    succeeded(sandbox.run(&["--once"]));
    set_counters(&sandbox, &[("eth0", 3_000_001_000, 0), ("wlan0", 30, 0)]);
    succeeded(sandbox.run(&["--once"]));
    assert_eq!(eth0_deltas(&sandbox), [None, Some(3_000_001_000)]);
    let (code, json) = audit(&sandbox, &["--interfaces", "eth0"]);
    assert_eq!(code, Some(4), "the old eth0's last moments are unknown");
    assert_eq!(
        interface_json(&json, "eth0")["stretches"][0]["cause"],
        "interface re-created"
    );
}

/// node_exporter's own fixture lists `ibr10:30:`; a garbage line costs that
/// line only, logged once, while the monitor and its endpoint go on.
#[test]
fn a_malformed_line_costs_that_line_only() {
    let sandbox = Sandbox::with_config(QUIET);
    let mut text = dev_text(&[("eth0", 1_000, 2_000)]);
    text.push_str(" ibr10:30:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n");
    text.push_str("flannel.1: 18144009813 228499337    0    0    0     0          0         0 20758990068 258369223    0   64    0     0       0          0\n");
    replace_file(&sandbox.path("dev.txt"), &text);
    let output = succeeded(sandbox.run(&["--once"]));
    assert!(!stderr(&output).contains("WARN"), "{}", stderr(&output));
    let db = sandbox.db();
    let names = interfaces_at(&db, &timestamps(&db)[0]);
    assert_eq!(names, ["_total", "eth0", "flannel.1", "ibr10:30"]);
    drop(db);

    let port = free_port();
    let monitor = sandbox
        .command()
        .args(["--interval", "0.1", "--quiet"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stored = cycles_in(&sandbox.db_path());
    wait_for_cycles(&sandbox.db_path(), stored + 2);
    text.push_str("  eth1: 1 2 3 not-a-number 5 6 7 8 9 10 11 12 13 14 15 16\n");
    replace_file(&sandbox.path("dev.txt"), &text);
    let stored = cycles_in(&sandbox.db_path());
    wait_for_cycles(&sandbox.db_path(), stored + 5);
    let url = format!("http://127.0.0.1:{port}/metrics");
    let scraped = body(&mut get_when_up(&url));
    signal(&monitor, Signal::SIGTERM);
    let output = monitor.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert_eq!(
        err.matches("skipped 1 line").count(),
        1,
        "logged once: {err}"
    );
    assert!(err.contains("not-a-number"), "{err}");
    assert!(
        scraped.contains("node_network_receive_bytes_total{device=\"eth0\"} 1000"),
        "{scraped}"
    );
    assert!(scraped.contains("device=\"ibr10:30\""), "{scraped}");
    let db = sandbox.db();
    let last = timestamps(&db).pop().unwrap();
    assert_eq!(
        interfaces_at(&db, &last),
        ["_total", "eth0", "flannel.1", "ibr10:30"],
        "every cycle stores the readable lines"
    );
}

/// A service stop 1.5 s into a 60 s cycle: one last sample keeps the
/// traffic since the last cycle.
#[test]
fn a_stop_in_the_middle_of_a_cycle_keeps_the_traffic_up_to_it() {
    let sandbox = sandbox_with(1_000_000, 0);
    let monitor = spawn(&sandbox, &["--interval", "60", "--quiet"]);
    wait_for_cycles(&sandbox.db_path(), 1);
    set_counters(&sandbox, &[("eth0", 1_012_345, 0)]);
    std::thread::sleep(Duration::from_millis(1500));
    let asked = Instant::now();
    signal(&monitor, Signal::SIGTERM);
    let output = monitor.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(asked.elapsed() < Duration::from_secs(5), "stops at once");
    let rows = stored_rows(&sandbox.db(), "eth0");
    assert_eq!(eth0_deltas(&sandbox), [None, Some(12_345)]);
    let interval = rows[1].interval_s.unwrap();
    assert!((1.0..10.0).contains(&interval), "{interval}");
    let (code, json) = audit(&sandbox, &[]);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(interface_json(&json, "eth0")["final_samples"], 1);
}

/// Lord Howe's daylight saving moves the clock 30 minutes: a database
/// created in winter (+10:30, hours at :30 UTC) read in summer (+11:00,
/// midnight on the UTC hour). Each day and the window equal the raw sums.
#[test]
fn days_are_exact_where_daylight_saving_moves_30_minutes() {
    use chrono::TimeZone;
    let zone = "Australia/Lord_Howe";
    let tz = jiff::tz::TimeZone::get(zone).unwrap();
    let sandbox = Sandbox::with_config(QUIET);
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    // Every 10 minutes, 1000 bytes each, from 2026-12-12 12:05 UTC (23:05
    // local) for three days and a bit.
    let start = chrono::Utc
        .with_ymd_and_hms(2026, 12, 12, 12, 5, 0)
        .unwrap();
    let history: Vec<ScriptedCycle> = (0..460)
        .map(|k| {
            let at = start + chrono::Duration::minutes(10 * k);
            (at, vec![("eth0", 1_000 * k as u64, 0)])
        })
        .collect();
    write_history_in(&sandbox.db_path(), &history, zone, 1800);
    let local_date = |at: chrono::DateTime<chrono::Utc>| {
        tz.to_datetime(jiff::Timestamp::from_second(at.timestamp()).unwrap())
            .date()
            .to_string()
    };
    let mut truth: std::collections::BTreeMap<String, u64> = Default::default();
    truth.insert(local_date(history[0].0), 0);
    for (at, _) in &history[1..] {
        *truth.entry(local_date(*at)).or_default() += 1_000;
    }
    let output = succeeded(
        sandbox
            .command()
            .args([
                "--summary",
                "--by",
                "day",
                "--since",
                "all",
                "--format",
                "json",
            ])
            .output()
            .unwrap(),
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let days: std::collections::BTreeMap<String, u64> = interface_json(&summary, "eth0")["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["start"].as_str().unwrap()[..10].to_string(),
                p["bytes_recv"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(days, truth);
    // A window of whole days, and one that starts and ends mid-hour.
    for (since, until) in [
        ("2026-12-14", "2026-12-15"),
        ("2026-12-13T12:40:00Z", "2026-12-15T13:20:00Z"),
    ] {
        let summary = summary_json(&sandbox, &["--since", since, "--until", until]);
        let [from, to] = [since, until].map(|text| {
            chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or_else(|_| {
                    let date: jiff::civil::Date = text.parse().unwrap();
                    let midnight = tz
                        .to_ambiguous_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
                        .compatible()
                        .unwrap();
                    chrono::Utc.timestamp_opt(midnight.as_second(), 0).unwrap()
                })
        });
        let expected = history[1..]
            .iter()
            .filter(|(at, _)| from <= *at && *at < to)
            .count() as u64
            * 1_000;
        assert_eq!(
            interface_json(&summary, "eth0")["bytes_recv"],
            expected,
            "{since} .. {until}"
        );
    }
}

/// A corrupt reading set aside never becomes what the next reading is
/// measured from when the counters come back below it.
#[test]
fn a_corrupt_reading_then_a_normal_one_counts_only_the_traffic() {
    let sandbox = sandbox_with(10_000_000_000, 0);
    for value in [10_000_000_000, i64::MAX as u64, 10_000_001_000] {
        set_counters(&sandbox, &[("eth0", value, 0)]);
        succeeded(sandbox.run(&["--once"]));
    }
    assert_eq!(eth0_deltas(&sandbox), [None, None, Some(1_000)]);
}

/// Runs that selected nothing, and a line that could not be read, are
/// remembered as such: an interface absent from a run comes back
/// re-created (not a 1.29 GB wrap), one whose line was unreadable comes
/// back with its traffic (not its whole counter again).
#[test]
fn runs_that_saw_nothing_or_an_unreadable_line_invent_nothing() {
    let sandbox = Sandbox::with_config(QUIET);
    set_counters(&sandbox, &[("wg0", 3_000_000_000, 0), ("eth0", 1, 0)]);
    let wg0 = ["--once", "--interfaces", "wg0"];
    succeeded(sandbox.run(&wg0));
    set_counters(&sandbox, &[("eth0", 2, 0)]);
    succeeded(sandbox.run(&wg0));
    set_counters(&sandbox, &[("wg0", 1_000, 0), ("eth0", 3, 0)]);
    succeeded(sandbox.run(&wg0));
    let deltas: Vec<_> = stored_rows(&sandbox.db(), "wg0")
        .iter()
        .map(|r| r.deltas.map(|d| d[0]))
        .collect();
    assert_eq!(deltas, [None, Some(1_000)]);

    let sandbox = sandbox_with(100_000_000_000, 0);
    succeeded(sandbox.run(&["--once"]));
    let mut text = dev_text(&[("wlan0", 5, 0)]);
    text.push_str("  eth0: 100000000500 x 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
    replace_file(&sandbox.path("dev.txt"), &text);
    succeeded(sandbox.run(&["--once"]));
    set_counters(&sandbox, &[("eth0", 100_000_001_000, 0), ("wlan0", 6, 0)]);
    succeeded(sandbox.run(&["--once"]));
    assert_eq!(eth0_deltas(&sandbox), [None, Some(1_000)]);
    // The same when that line was all a run would have selected.
    let sandbox = sandbox_with(5_000_000_000, 0);
    let eth0 = ["--once", "--interfaces", "eth0"];
    succeeded(sandbox.run(&eth0));
    let mut text = dev_text(&[("lo", 5, 5)]);
    text.push_str("  eth0: x 1 2\n");
    replace_file(&sandbox.path("dev.txt"), &text);
    succeeded(sandbox.run(&eth0));
    set_counters(&sandbox, &[("eth0", 5_000_001_000, 0)]);
    succeeded(sandbox.run(&eth0));
    assert_eq!(eth0_deltas(&sandbox), [None, Some(1_000)]);
}

/// The first run after a reboot did not see wlan0 (it came up later): the
/// next run counts what wlan0 counted since the boot, as a monitor would.
#[test]
fn an_interface_that_comes_up_after_the_first_run_of_a_boot_counts_since_boot() {
    if !can_fake_boots() {
        return;
    }
    let sandbox = Sandbox::with_config(QUIET);
    set_counters(&sandbox, &[("eth0", 5_000, 0), ("wlan0", 9_000, 0)]);
    succeeded(
        in_boot(&sandbox, BOOT_A, None)
            .arg("--once")
            .output()
            .unwrap(),
    );
    set_counters(&sandbox, &[("eth0", 100, 0)]);
    succeeded(
        in_boot(&sandbox, BOOT_B, None)
            .arg("--once")
            .output()
            .unwrap(),
    );
    set_counters(&sandbox, &[("eth0", 200, 0), ("wlan0", 700, 0)]);
    succeeded(
        in_boot(&sandbox, BOOT_B, None)
            .arg("--once")
            .output()
            .unwrap(),
    );
    let wlan0: Vec<_> = stored_rows(&sandbox.db(), "wlan0")
        .iter()
        .map(|r| r.deltas.map(|d| d[0]))
        .collect();
    assert_eq!(wlan0, [None, Some(700)]);
    assert_eq!(eth0_deltas(&sandbox), [None, Some(100), Some(100)]);
}

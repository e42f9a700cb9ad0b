//! Hostile and unusual inputs, driven through the real binary: special
//! files, read-only copies, vanishing log and counter files, odd names on
//! the terminal, oversized settings, and every option end to end.

mod common;

use common::*;
use nix::sys::signal::Signal;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

const QUIET_LOG: &str = "logging:\n  file: ''\n";

/// The names in a directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A counters file with extra interfaces (raw bytes for names).
fn counters_with(names: &[&[u8]]) -> Vec<u8> {
    let mut text = FIXTURE.as_bytes().to_vec();
    for (i, name) in names.iter().enumerate() {
        text.extend_from_slice(name);
        text.extend_from_slice(
            format!(": {} 1 0 0 0 0 0 0 {} 1 0 0 0 0 0 0\n", 1000 + i, 2000 + i).as_bytes(),
        );
    }
    text
}

#[test]
fn device_files_are_refused_and_nothing_appears_in_dev() {
    if !require(
        is_root(),
        "writing beside /dev/null needs root to be meaningful",
    ) {
        return;
    }
    let sandbox = Sandbox::with_config("proc_net_dev: dev.txt\ndatabase_file: /dev/null\n");
    let before = listing(Path::new("/dev"));
    for args in [&["--once"][..], &["--summary"][..]] {
        let output = sandbox.run(args);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("is a character device"),
            "{}",
            stderr(&output)
        );
    }
    assert_eq!(
        listing(Path::new("/dev")),
        before,
        "no -journal or .lock beside /dev/null"
    );
}

#[test]
fn summary_leaves_no_file_behind() {
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    let output = sandbox.run(&["--interval", "0.05", "--count", "3", "--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    // A stopped monitor leaves a plain rollback-journal database.
    assert_eq!(listing(&sandbox.path("data")), ["network_activity.db"]);
    let summary = summary_json(&sandbox, &[]);
    assert_eq!(summary["total_records"], 12);
    assert_eq!(listing(&sandbox.path("data")), ["network_activity.db"]);

    // A copy taken while a monitor writes is in WAL mode without its WAL.
    let child = spawn(&sandbox, &["--interval", "0.05", "--quiet"]);
    wait_for_cycles(&sandbox.db_path(), 6);
    std::fs::create_dir(sandbox.path("copy")).unwrap();
    std::fs::copy(sandbox.db_path(), sandbox.path("copy/n.db")).unwrap();
    signal(&child, Signal::SIGTERM);
    assert!(child.wait_with_output().unwrap().status.success());
    let header = std::fs::read(sandbox.path("copy/n.db")).unwrap();
    assert_eq!(header[18], 2, "the copy is a WAL-mode database");
    let output = sandbox
        .command()
        .env("NETMON_DATABASE_FILE", "copy/n.db")
        .args(["--summary", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        listing(&sandbox.path("copy")),
        ["n.db"],
        "no -wal or -shm created"
    );
}

#[test]
fn any_user_reads_a_copy_in_a_directory_they_cannot_write() {
    if !require(is_root(), "reading as another user needs root")
        || !require(has_program("setpriv"), "setpriv (util-linux) is needed")
    {
        return;
    }
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    let child = spawn(&sandbox, &["--interval", "0.05", "--quiet"]);
    wait_for_cycles(&sandbox.db_path(), 4);
    let frozen = sandbox.path("frozen");
    std::fs::create_dir(&frozen).unwrap();
    // Copied while running: with its WAL and shared memory, with its WAL
    // only; and after it stopped.
    let copy = |from: &str, to: &str| {
        let mut source = sandbox.db_path().into_os_string();
        source.push(from);
        std::fs::copy(&source, frozen.join(to)).unwrap();
    };
    {
        let db = sandbox.db();
        db.execute_batch("BEGIN IMMEDIATE").unwrap(); // no checkpoint while copying
        for (from, to) in [
            ("", "live.db"),
            ("-wal", "live.db-wal"),
            ("-shm", "live.db-shm"),
        ] {
            copy(from, to);
        }
        for (from, to) in [("", "wal.db"), ("-wal", "wal.db-wal")] {
            copy(from, to);
        }
        db.execute_batch("ROLLBACK").unwrap();
    }
    let live_records = scalar(&sandbox.db(), "SELECT COUNT(*) FROM network_stats");
    signal(&child, Signal::SIGTERM);
    assert!(child.wait_with_output().unwrap().status.success());
    copy("", "stopped.db");
    let files = [
        "live.db",
        "live.db-wal",
        "live.db-shm",
        "wal.db",
        "wal.db-wal",
        "stopped.db",
    ];
    for file in files {
        std::fs::set_permissions(frozen.join(file), std::fs::Permissions::from_mode(0o444))
            .unwrap();
    }
    std::fs::set_permissions(&frozen, std::fs::Permissions::from_mode(0o555)).unwrap();
    std::fs::set_permissions(sandbox.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for file in ["live.db", "wal.db", "stopped.db"] {
        let output = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(assert_cmd::cargo::cargo_bin("netmon"))
            .args(["--summary", "--format", "json"])
            .current_dir(&frozen)
            .env_clear()
            .env("NETMON_DATABASE_FILE", frozen.join(file))
            .env("TZ", "UTC")
            .output()
            .unwrap();
        assert!(output.status.success(), "{file}: {}", stderr(&output));
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let records = summary["total_records"].as_i64().unwrap();
        assert!(
            records >= live_records,
            "{file}: {records} of {live_records} records"
        );
    }
    let mut expected = files.map(String::from).to_vec();
    expected.sort();
    assert_eq!(
        listing(&frozen),
        expected,
        "nothing created beside the copies"
    );
}

#[test]
fn a_log_file_removed_while_running_is_created_again() {
    let sandbox = Sandbox::with_config(
        "proc_net_dev: dev.txt\nlogging:\n  file: logs/n.log\n  level: DEBUG\n",
    );
    let child = spawn(&sandbox, &["--interval", "0.05", "--quiet"]);
    wait_for_cycles(&sandbox.db_path(), 3);
    std::fs::remove_file(sandbox.path("logs/n.log")).unwrap();
    let stored = cycles_in(&sandbox.db_path());
    wait_for_cycles(&sandbox.db_path(), stored + 4);
    signal(&child, Signal::SIGTERM);
    assert!(child.wait_with_output().unwrap().status.success());
    let log = std::fs::read_to_string(sandbox.path("logs/n.log")).unwrap();
    assert!(
        log.contains("cycle sampled") && log.contains("netmon stopped"),
        "{log}"
    );
    let mode = std::fs::metadata(sandbox.path("logs/n.log"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn read_errors_are_logged_once_per_episode_with_the_cycles_missed() {
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    let dev = sandbox.path("dev.txt");
    let child = spawn(&sandbox, &["--interval", "0.05", "--quiet"]);
    wait_for_cycles(&sandbox.db_path(), 2);
    let breakages: [&dyn Fn(); 3] = [
        &|| std::fs::remove_file(&dev).unwrap(),
        &|| {
            std::fs::remove_file(&dev).unwrap();
            std::fs::create_dir(&dev).unwrap();
        },
        &|| std::fs::write(&dev, "Inter-|\n face |\n eth0: 1 2 three\n").unwrap(),
    ];
    for (i, breakage) in breakages.iter().enumerate() {
        breakage();
        std::thread::sleep(Duration::from_millis(600));
        if dev.is_dir() {
            std::fs::remove_dir(&dev).unwrap();
        }
        replace_file(&dev, FIXTURE);
        let stored = cycles_in(&sandbox.db_path());
        wait_for_cycles(&sandbox.db_path(), stored + 2);
        assert!(i < 3);
    }
    signal(&child, Signal::SIGTERM);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let err = stderr(&output);
    assert_eq!(
        err.matches("cannot read counters").count(),
        3,
        "one line per episode: {err}"
    );
    let recoveries: Vec<u64> = err
        .lines()
        .filter(|l| l.contains("counters readable again"))
        .map(|l| {
            l.rsplit("missed_cycles=")
                .next()
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(recoveries.len(), 3, "{err}");
    assert!(
        recoveries.iter().all(|&missed| missed >= 5),
        "{recoveries:?}"
    );
    assert!(err.contains("line 3: counter \"three\""), "{err}");
}

/// A counted run is bounded: a cycle whose read failed counts as one of its
/// N, and the run says how many failed (exit 1); the others are stored.
#[test]
fn failed_reads_count_as_cycles_of_a_bounded_run() {
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    let dev = sandbox.path("dev.txt");
    let child = spawn(
        &sandbox,
        &["--interval", "0.05", "--count", "12", "--quiet"],
    );
    wait_for_cycles(&sandbox.db_path(), 1);
    std::fs::remove_file(&dev).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    replace_file(&dev, FIXTURE);
    let output = child.wait_with_output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let failed: usize = err
        .split("could not be read in ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    assert!(err.contains(" of 12 cycle(s)"), "{err}");
    assert!(failed >= 1, "{err}");
    assert_eq!(
        cycles_in(&sandbox.db_path()) + failed,
        12,
        "every cycle either stored or counted as failed: {err}"
    );
}

#[test]
fn an_empty_counters_file_stores_nothing_and_says_so_once() {
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    sandbox.write(
        "dev.txt",
        "Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n",
    );
    let output = sandbox.run(&["--interval", "0.05", "--count", "4"]);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert_eq!(err.matches("lists no interfaces").count(), 1, "{err}");
    assert_eq!(cycles_in(&sandbox.db_path()), 0, "no _total rows of zeros");
    assert!(stdout(&output).is_empty());
}

#[test]
fn control_characters_in_names_never_reach_the_terminal() {
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    std::fs::write(
        sandbox.path("dev.txt"),
        counters_with(&[b"a\x1b[31m", b"bell\x07", b"x\xff"]),
    )
    .unwrap();
    for args in [&["--once"][..], &["--interval", "0.05", "--count", "2"][..]] {
        let output = sandbox.run(args);
        assert!(output.status.success(), "{}", stderr(&output));
        let text = stdout(&output);
        assert!(
            text.contains("a\\x1b[31m") && text.contains("bell\\x07") && text.contains("x\\xff"),
            "{text}"
        );
        assert!(
            !output.stdout.iter().any(|&b| b == 0x1b || b == 0x07),
            "{text}"
        );
    }
    let table = sandbox.run(&["--summary", "--by", "day"]);
    assert!(!table
        .stdout
        .iter()
        .any(|&b| b == 0x1b || b == 0x07 || b == 0xff));
    assert!(stdout(&table).contains("a\\x1b[31m"));
    let csv = sandbox.run(&["--summary", "--format", "csv"]);
    assert!(!csv.stdout.iter().any(|&b| b == 0x1b || b == 0x07));
}

#[test]
fn long_names_keep_every_table_aligned() {
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    std::fs::write(
        sandbox.path("dev.txt"),
        counters_with(&[
            b"abcdefghijklmno",
            b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1",
        ]),
    )
    .unwrap();
    let once = sandbox.run(&["--once"]);
    assert!(once.status.success(), "{}", stderr(&once));
    let text = stdout(&once);
    let widths: Vec<usize> = text.lines().skip(1).map(|l| l.chars().count()).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{text}");
    assert!(text.contains("\\xff\\xfe"), "{text}");
    let summary = sandbox.run(&["--summary"]);
    let text = stdout(&summary);
    let table: Vec<usize> = text
        .lines()
        .skip_while(|l| !l.starts_with("interface"))
        .take_while(|l| !l.is_empty())
        .map(|l| l.chars().count())
        .collect();
    assert_eq!(table.len(), 7, "a header and six rows: {text}");
    assert!(table.windows(2).all(|w| w[0] == w[1]), "{text}");
}

#[test]
fn help_speaks_of_the_program() {
    let output = Sandbox::new().run(&["--help"]);
    assert!(output.status.success());
    let help = stdout(&output);
    assert!(!help.contains("SPEC") && !help.contains('§'), "{help}");
    assert!(help.contains("0.01 to 86400"), "{help}");
}

#[test]
fn the_missing_interfaces_warning_stays_short() {
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    let names: Vec<String> = (0..40).map(|i| format!("gone{i}")).collect();
    let mut args = vec![
        "--once".to_string(),
        "--interfaces".to_string(),
        "eth0".to_string(),
    ];
    args.extend(names);
    let output = sandbox.command().args(&args).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("do not exist")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].contains("and 30 more") && warnings[0].len() < 400,
        "{}",
        warnings[0]
    );
}

#[test]
fn a_per_interface_guard_sets_aside_a_spike_and_says_how_big() {
    let sandbox = Sandbox::with_config(&format!(
        "proc_net_dev: dev.txt\nper_interface:\n  eth0:\n    max_bandwidth_mbit: 8\n{QUIET_LOG}"
    ));
    let dev = sandbox.path("dev.txt");
    assert!(sandbox.run(&["--once"]).status.success());
    std::thread::sleep(Duration::from_millis(100));
    replace_file(&dev, &fixture_with("eth0", Some(19_019_331_120), "eth0"));
    let output = sandbox.run(&["--once"]);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(err.contains("eth0: 10000000000 bytes in"), "{err}");
    assert!(
        err.contains("above its max_bandwidth_mbit of 8: set aside"),
        "{err}"
    );
    let db = sandbox.db();
    let eth0 = stored_rows(&db, "eth0");
    assert_eq!(eth0[1].deltas, None, "not counted");
    assert!(
        stored_rows(&db, "wlan0")[1].deltas.is_some(),
        "other interfaces unaffected"
    );
}

#[test]
fn the_monitor_applies_retention_in_batches_at_every_level() {
    use chrono::{Duration as Span, Utc};
    let sandbox = Sandbox::with_config(&format!(
        "proc_net_dev: dev.txt\ndatabase:\n  retention_days: 30\n  rollup_retention_days: 35\n{QUIET_LOG}"
    ));
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    let start = Utc::now() - Span::days(70);
    let history: Vec<ScriptedCycle> = (0..10 * 144)
        .map(|k| {
            (
                start + Span::minutes(10 * k),
                vec![("old0", k as u64 * 100, 0)],
            )
        })
        .collect();
    write_history(&sandbox.db_path(), &history);
    let db = sandbox.db();
    // Rollup rows of the old history (periods that started over 31 days ago).
    let old_key = (Utc::now() - Span::days(31))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let old_rollups = |table: &str| {
        db.query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE period_start < ?1"),
            [&old_key],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
    };
    let tables = [
        "network_stats_hourly",
        "network_stats_daily",
        "network_stats_monthly",
    ];
    let before: Vec<i64> = tables.iter().map(|t| old_rollups(t)).collect();
    assert!(before.iter().all(|&n| n > 0), "{before:?}");
    let output = sandbox.run(&[
        "--interval",
        "0.1",
        "--count",
        "40",
        "--quiet",
        "--interfaces",
        "eth0",
    ]);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    let done = err
        .lines()
        .find(|l| l.contains("retention done"))
        .unwrap_or_else(|| panic!("{err}"));
    let field = |name: &str| -> u64 {
        done.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        field("raw_rows_deleted"),
        2 * 10 * 144,
        "every sample older than 30 days"
    );
    // The first batch is 1 000 rows, so the 2 880 raw rows take at least
    // two; each rollup level and the facts of the deltas at least one. (The
    // batch size adapts to a time budget, so more is not guaranteed.)
    assert!(field("batches") >= 6, "{done}");
    let after: Vec<i64> = tables.iter().map(|t| old_rollups(t)).collect();
    assert_eq!(
        (after[0], after[1]),
        (0, 0),
        "hours and days that ended 35 days ago are gone"
    );
    assert!(
        after[2] < before[2],
        "months that ended 35 days ago are gone: {before:?} {after:?}"
    );
    let deleted: i64 = before.iter().zip(&after).map(|(b, a)| b - a).sum();
    // The monitor's first cycle folds the history's last hour into the
    // rollups before retention runs: up to one more row per level for old0
    // and _total.
    let reported = field("rollup_rows_deleted") as i64;
    assert!(
        (deleted..=deleted + 6).contains(&reported),
        "{reported} rollup rows deleted, {deleted} counted"
    );
    assert_eq!(
        cycles_in(&sandbox.db_path()),
        40,
        "all 40 new cycles stored"
    );
}

#[test]
fn csv_quotes_names_that_need_it() {
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    std::fs::write(sandbox.path("dev.txt"), counters_with(&[b"a,b", b"q\"x"])).unwrap();
    assert!(sandbox.run(&["--once"]).status.success());
    let output = sandbox.run(&["--summary", "--format", "csv"]);
    let text = stdout(&output);
    assert!(text.lines().any(|l| l.starts_with("\"a,b\",")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("\"q\"\"x\",")), "{text}");
}

#[test]
fn raw_counts_off_stores_zeros_and_still_loses_nothing_across_restarts() {
    let sandbox = Sandbox::with_config(&format!(
        "proc_net_dev: dev.txt\noptions:\n  store_raw_counts: false\n{QUIET_LOG}"
    ));
    let dev = sandbox.path("dev.txt");
    assert!(sandbox.run(&["--once"]).status.success());
    replace_file(
        &dev,
        &fixture_with("eth0", Some(9_019_331_120 + 4_242), "eth0"),
    );
    assert!(sandbox.run(&["--once"]).status.success());
    let db = sandbox.db();
    assert_eq!(
        scalar(
            &db,
            "SELECT MAX(bytes_recv) + MAX(bytes_sent) + MAX(packets_recv) FROM network_stats"
        ),
        0
    );
    let eth0 = stored_rows(&db, "eth0");
    assert_eq!(
        delta_sums(&eth0).0,
        4_242,
        "the restart continued from netmon_last"
    );
}

#[test]
fn dotenv_never_overrides_variables_already_set() {
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    sandbox.write(".env", "NETMON_MONITORING_INTERVAL=0\nLOG_LEVEL=LOUD\n");
    let output = sandbox
        .command()
        .env("NETMON_MONITORING_INTERVAL", "0.05")
        .env("LOG_LEVEL", "warn")
        .args(["--count", "2", "--quiet"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(cycles_in(&sandbox.db_path()), 2);
    // Unset, the file's values apply (and are refused by name).
    let output = sandbox.run(&["--count", "1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("NETMON_MONITORING_INTERVAL=\"0\""),
        "{}",
        stderr(&output)
    );
}

#[test]
fn patterns_with_commas_pass_through_the_environment_as_a_list() {
    let sandbox = Sandbox::with_config(&format!("proc_net_dev: dev.txt\n{QUIET_LOG}"));
    let output = sandbox
        .command()
        .env("NETMON_EXCLUDE_INTERFACES", "['^veth.{1,20}$', '^lo$']")
        .args(["--once"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let db = sandbox.db();
    assert_eq!(
        interfaces_at(&db, &timestamps(&db)[0]),
        ["_total", "docker0", "eth0", "wlan0"]
    );
}

#[test]
fn an_environment_value_that_is_not_utf8_is_an_error() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .command()
        .env("NETMON_INTERFACES", OsStr::from_bytes(b"eth0,x\xff"))
        .args(["--once"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("NETMON_INTERFACES is not valid UTF-8") && err.contains("\\xNN"),
        "{err}"
    );
    assert!(!sandbox.db_path().exists());
}

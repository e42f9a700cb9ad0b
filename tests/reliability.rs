//! Fault injection: kill -9, counter resets and wraps, a vanished database
//! directory, a lock held by another process, concurrent readers, signals.

mod common;

use common::*;
use netmon::api::parse_proc_net_dev;
use nix::sys::signal::Signal;
use rusqlite::Connection;
use std::time::Duration;

/// Config for fault tests: fixture counters, no log file, a fixed spike guard.
const CONFIG: &str = "proc_net_dev: dev.txt\nmax_bandwidth_mbit: 1000\nlogging:\n  file: ''\n";

/// The fixture with eth0's received bytes replaced.
fn fixture_with_eth0_recv(value: Option<u64>, name: &str) -> String {
    let mut text = String::new();
    for line in FIXTURE.lines() {
        if line.trim_start().starts_with("eth0:") {
            let Some(value) = value else { continue };
            text.push_str(&line.replacen("eth0", name, 1).replacen(
                "9019331120",
                &value.to_string(),
                1,
            ));
        } else {
            text.push_str(line);
        }
        text.push('\n');
    }
    text
}

/// A small deterministic pseudo-random sequence (no extra crate needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn check_database(path: &std::path::Path, rows_per_cycle: i64) {
    let db = Connection::open(path).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let partial: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM (SELECT timestamp FROM network_stats GROUP BY timestamp HAVING COUNT(*) != ?1)",
            [rows_per_cycle],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(partial, 0, "every stored cycle has all its rows");
}

#[test]
fn kill_9_at_random_moments_never_loses_or_corrupts() {
    let runs = std::env::var("NETMON_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let db = kill_9_runs(CONFIG, runs);
    println!(
        "{runs} kill -9: {} cycles stored, integrity ok after each, no delta lost",
        timestamps(&db).len()
    );
}

/// With `database.flush_every: 5` a kill -9 loses the rows of the cycles
/// still in memory (at most 5), never bytes: the next start continues from
/// the last written counters and books the gap as one delta.
#[test]
fn kill_9_with_batched_writes_loses_rows_but_no_bytes() {
    let config = format!("{CONFIG}database:\n  flush_every: 5\n");
    let db = kill_9_runs(&config, 20);
    let cycles = timestamps(&db).len();
    println!("20 kill -9 with flush_every 5: {cycles} cycles stored, no delta lost");
    // Deterministically: 7 cycles sampled, 5 written, 2 lost with the kill.
    let sandbox = Sandbox::with_config(&config);
    let child = spawn(&sandbox, &["--interval", "0.05", "--quiet"]);
    wait_for_cycles(&sandbox.db_path(), 5);
    std::thread::sleep(Duration::from_millis(110));
    replace_file(
        &sandbox.path("dev.txt"),
        &fixture_with_eth0_recv(Some(9_019_931_120), "eth0"),
    );
    signal(&child, Signal::SIGKILL);
    child.wait_with_output().unwrap();
    let stored = cycles_in(&sandbox.db_path());
    assert_eq!(stored % 5, 0, "only whole batches are written: {stored}");
    let output = sandbox.run(&["--once", "--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let db = sandbox.db();
    let rows = stored_rows(&db, "eth0");
    assert_eq!(rows.len(), stored + 1);
    let (rx, _) = delta_sums(&rows);
    assert_eq!(
        rx, 600_000,
        "the lost cycles' traffic is in the resumed delta"
    );
}

/// Runs netmon `runs` times under `config`, each killed with SIGKILL at a
/// random moment while the counters move; checks the database after each
/// and that the deltas add up to the counter change. The database.
fn kill_9_runs(config: &str, runs: u32) -> Connection {
    let sandbox = Sandbox::with_config(config);
    let dev = sandbox.path("dev.txt");
    let mut random = Lcg(0x6e65_746d_6f6e);
    let mut recv = 9_019_331_120u64;
    for _ in 0..runs {
        let child = spawn(&sandbox, &["--interval", "0.02", "--quiet"]);
        for _ in 0..random.next(4) + 1 {
            std::thread::sleep(Duration::from_millis(random.next(60) + 5));
            recv += random.next(500_000);
            replace_file(&dev, &fixture_with_eth0_recv(Some(recv), "eth0"));
        }
        signal(&child, Signal::SIGKILL);
        child.wait_with_output().unwrap();
        if exists(&sandbox.db_path()) {
            check_database(&sandbox.db_path(), 4);
        }
    }
    let db = sandbox.db();
    // Across every kill and restart, the deltas add up to the counter change.
    for interface in ["eth0", "wlan0", "veth1234567890a"] {
        let (first, last, deltas, negative): (i64, i64, i64, i64) = db
            .query_row(
                "SELECT (SELECT bytes_recv FROM network_stats WHERE interface = ?1 ORDER BY timestamp LIMIT 1),
                        (SELECT bytes_recv FROM network_stats WHERE interface = ?1 ORDER BY timestamp DESC LIMIT 1),
                        COALESCE(SUM(bytes_recv_delta), 0),
                        COALESCE(SUM(bytes_recv_delta < 0), 0)
                 FROM network_stats WHERE interface = ?1",
                [interface],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(negative, 0);
        assert_eq!(
            deltas,
            last - first,
            "{interface}: nothing lost across {runs} kill -9"
        );
    }
    // The hours folded into the rollups hold exactly their raw rows.
    let (raw, hourly): (i64, i64) = db
        .query_row(
            "SELECT (SELECT COALESCE(SUM(bytes_recv_delta), 0) FROM network_stats
                     WHERE t_ms < (SELECT CAST(value AS INTEGER) FROM netmon_meta
                                   WHERE key = 'rollups_complete_until_ms')),
                    (SELECT COALESCE(SUM(bytes_recv), 0) FROM network_stats_hourly)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        raw, hourly,
        "rollups were committed with their hours' cycles"
    );
    db
}

#[test]
fn counter_scripts_never_give_negative_or_absurd_deltas() {
    let sandbox = Sandbox::with_config(CONFIG);
    let near_32 = (1u64 << 32) - 100;
    let near_64 = u64::MAX - 1000;
    // (eth0 received bytes or None = interface gone, name, expected delta)
    let script: &[(Option<u64>, &str, Option<i64>)] = &[
        (Some(1_000), "eth0", None),
        (Some(5_000), "eth0", Some(4_000)),
        (Some(0), "eth0", Some(0)), // reset to 0
        (Some(300), "eth0", Some(300)),
        (Some(10), "eth0", Some(10)),  // reset to a small value
        (Some(near_32), "eth0", None), // 4 GiB in 0.1 s: spike guard
        // The guard judged that reading impossible, so 50 is measured from
        // the last counted one (10), never as a wrap past the set-aside one.
        (Some(50), "eth0", Some(40)),
        (Some(near_64), "eth0", None), // absurd jump: spike guard
        // Rising from the set-aside reading: the counter really jumped.
        (Some(u64::MAX - 10), "eth0", Some(990)), // exact near 2^64
        (Some(5), "eth0", Some(5)),               // reset from near 2^64
        (Some(5_000), "eth0", Some(4_995)),
        (None, "eth0", None), // interface removed
        // Re-added: re-created, so every counter counts from zero, and the
        // untouched 2 GB of sent bytes in 0.1 s trip the spike guard.
        (Some(42), "eth0", None),
        (Some(100), "eth1", None), // renamed: a new interface
    ];
    for (value, name, _) in script {
        replace_file(
            &sandbox.path("dev.txt"),
            &fixture_with_eth0_recv(*value, name),
        );
        let output = sandbox.run(&["--once"]);
        assert!(output.status.success(), "{}", stderr(&output));
        std::thread::sleep(Duration::from_millis(120));
    }
    let db = sandbox.db();
    let stored: Vec<Option<i64>> = db
        .prepare("SELECT bytes_recv_delta FROM network_stats WHERE interface IN ('eth0', 'eth1') ORDER BY timestamp")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let expected: Vec<Option<i64>> = script
        .iter()
        .filter(|s| s.0.is_some())
        .map(|s| s.2)
        .collect();
    assert_eq!(stored, expected);
    let (negative, fastest): (i64, f64) = db
        .query_row(
            "SELECT SUM(bytes_recv_delta < 0 OR bytes_sent_delta < 0), COALESCE(MAX(MAX(bytes_recv_rate), MAX(bytes_sent_rate)), 0)
             FROM network_stats",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(negative, 0);
    assert!(
        fastest <= 1000.0 * 125_000.0 * 1.05,
        "rate {fastest} above the spike guard"
    );
}

#[test]
fn vanished_database_directory_is_recreated_with_every_cycle() {
    let sandbox = Sandbox::with_config(CONFIG);
    let child = spawn(&sandbox, &["--interval", "0.1"]);
    wait_for_cycles(&sandbox.db_path(), 3);
    std::fs::rename(sandbox.path("data"), sandbox.path("data.gone")).unwrap();
    // A file where the directory was: re-creating it fails for a while.
    std::fs::write(sandbox.path("data"), "in the way").unwrap();
    std::thread::sleep(Duration::from_millis(700));
    std::fs::remove_file(sandbox.path("data")).unwrap();
    wait_for_cycles(&sandbox.db_path(), 1);
    signal(&child, Signal::SIGTERM);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // The database at the path was re-created from the moved one, which
    // the monitor wrote on into until it could: every cycle is there.
    let moved = cycles_in(&sandbox.path("data.gone/network_activity.db"));
    let after = cycles_in(&sandbox.db_path());
    assert!(moved >= 3, "{moved}");
    assert_eq!(after, printed_cycles(&output), "no cycle lost");
    let warnings = stderr(&output).matches("cannot be re-created yet").count();
    assert_eq!(
        warnings,
        1,
        "one warning per failure episode: {}",
        stderr(&output)
    );
    check_database(&sandbox.db_path(), 4);
}

#[test]
fn a_lock_held_by_another_process_delays_but_loses_nothing() {
    let sandbox = Sandbox::with_config(CONFIG);
    let child = spawn(&sandbox, &["--interval", "0.1"]);
    wait_for_cycles(&sandbox.db_path(), 2);
    let other = Connection::open(sandbox.db_path()).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    other.execute_batch("COMMIT").unwrap();
    std::thread::sleep(Duration::from_millis(400));
    signal(&child, Signal::SIGTERM);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(cycles_in(&sandbox.db_path()), printed_cycles(&output));
    assert_eq!(
        stderr(&output)
            .matches("cannot write to the database")
            .count(),
        1
    );
    assert!(stderr(&output).contains("queued cycles written"));
}

#[test]
fn readers_never_see_database_is_locked() {
    let sandbox = Sandbox::with_config(CONFIG);
    let child = spawn(&sandbox, &["--interval", "0.1", "--quiet"]);
    wait_for_cycles(&sandbox.db_path(), 1);
    let plain = Connection::open(sandbox.db_path()).unwrap();
    let mut summaries = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while std::time::Instant::now() < deadline {
        let output = sandbox.run(&["--summary", "--format", "json"]);
        assert!(output.status.success(), "{}", stderr(&output));
        let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert!(parsed["total_records"].as_u64().unwrap() > 0);
        for _ in 0..20 {
            let n: i64 = plain
                .query_row("SELECT COUNT(*) FROM network_stats", [], |r| r.get(0))
                .unwrap();
            assert!(n > 0);
        }
        summaries += 1;
    }
    assert!(summaries >= 5, "only {summaries} summaries ran");
    signal(&child, Signal::SIGTERM);
    assert!(child.wait_with_output().unwrap().status.success());
}

#[test]
fn sighup_reopens_the_log_and_sigint_stops_cleanly() {
    let sandbox = Sandbox::with_config("proc_net_dev: dev.txt\nlogging:\n  file: logs/n.log\n");
    let child = spawn(&sandbox, &["--interval", "0.1", "--quiet"]);
    wait_for_cycles(&sandbox.db_path(), 2);
    std::fs::rename(sandbox.path("logs/n.log"), sandbox.path("logs/n.log.1")).unwrap();
    signal(&child, Signal::SIGHUP);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, Signal::SIGINT);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let old = std::fs::read_to_string(sandbox.path("logs/n.log.1")).unwrap();
    let new = std::fs::read_to_string(sandbox.path("logs/n.log")).unwrap();
    assert!(old.contains("starting"), "{old}");
    assert!(
        new.contains("log file reopened") && new.contains("stopped"),
        "{new}"
    );
}

#[test]
fn fixture_counters_parse() {
    assert_eq!(
        parse_proc_net_dev(fixture_with_eth0_recv(Some(7), "eth9").as_bytes())
            .into_result()
            .unwrap()[1]
            .name,
        "eth9"
    );
}

/// A small tmpfs mounted on `dir`, unmounted on drop (needs root).
struct SmallDisk {
    dir: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(dir: &std::path::Path, size: &str) -> Option<SmallDisk> {
        if !require(is_root(), "the disk-full test needs root to mount a tmpfs") {
            return None;
        }
        std::fs::create_dir_all(dir).unwrap();
        let status = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .status();
        if !require(
            status.is_ok_and(|s| s.success()),
            "cannot mount a tmpfs here",
        ) {
            return None;
        }
        Some(SmallDisk {
            dir: dir.to_path_buf(),
        })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.dir)
            .status();
    }
}

#[test]
fn disk_full_queues_cycles_and_writes_them_when_space_returns() {
    let sandbox = Sandbox::with_config(CONFIG);
    let Some(_disk) = SmallDisk::mount(&sandbox.path("data"), "4m") else {
        return;
    };
    let child = spawn(&sandbox, &["--interval", "0.1"]);
    wait_for_cycles(&sandbox.db_path(), 3);
    let filler = sandbox.path("data/filler");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
    }
    std::thread::sleep(Duration::from_millis(1500));
    let during = cycles_in(&sandbox.db_path());
    std::fs::remove_file(&filler).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    signal(&child, Signal::SIGTERM);
    let output = child.wait_with_output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let printed = printed_cycles(&output);
    assert!(
        printed >= during + 10,
        "sampling went on while the disk was full"
    );
    assert_eq!(
        cycles_in(&sandbox.db_path()),
        printed,
        "every queued cycle was written"
    );
    assert_eq!(
        err.matches("cannot write to the database").count(),
        1,
        "{err}"
    );
    check_database(&sandbox.db_path(), 4);
}

#[test]
fn read_only_database_directory_is_recreated_once_writable_with_every_cycle() {
    use std::os::unix::fs::PermissionsExt;
    if !require(
        is_root(),
        "needs root to run netmon as an unprivileged user",
    ) || !require(has_program("setpriv"), "setpriv (util-linux) is needed")
    {
        return;
    }
    let sandbox = Sandbox::with_config(CONFIG);
    let nobody = nix::unistd::Uid::from_raw(65534);
    let nogroup = nix::unistd::Gid::from_raw(65534);
    nix::unistd::chown(sandbox.dir.path(), Some(nobody), Some(nogroup)).unwrap();
    // Permissions do not bind root: run netmon as nobody.
    let mut command = std::process::Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(assert_cmd::cargo::cargo_bin("netmon"))
        .args(["--interval", "0.1"])
        .current_dir(sandbox.dir.path())
        .env_clear()
        .env("HOME", sandbox.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().unwrap();
    wait_for_cycles(&sandbox.db_path(), 3);
    // The directory is replaced by a read-only one: the database cannot be re-created.
    std::fs::rename(sandbox.path("data"), sandbox.path("data.old")).unwrap();
    std::fs::create_dir(sandbox.path("data")).unwrap();
    nix::unistd::chown(&sandbox.path("data"), Some(nobody), Some(nogroup)).unwrap();
    std::fs::set_permissions(sandbox.path("data"), std::fs::Permissions::from_mode(0o500)).unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert!(!exists(&sandbox.db_path()), "nothing could be written yet");
    std::fs::set_permissions(sandbox.path("data"), std::fs::Permissions::from_mode(0o700)).unwrap();
    wait_for_cycles(&sandbox.db_path(), 5);
    signal(&child, Signal::SIGTERM);
    let output = child.wait_with_output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    // Re-created from the moved file once the directory was writable.
    assert_eq!(
        cycles_in(&sandbox.db_path()),
        printed_cycles(&output),
        "no cycle lost"
    );
    assert_eq!(err.matches("cannot be re-created yet").count(), 1, "{err}");
    check_database(&sandbox.db_path(), 4);
}

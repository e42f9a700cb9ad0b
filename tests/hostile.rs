//! netmon under attack and bad luck: a hostile local client, files that
//! hang or swell, symlinks planted by another user, names made to fool a
//! spreadsheet or a terminal, files removed under a running monitor, a
//! million interface names, and values that once got unclear answers. Each
//! test drives the real binary; docs/reliability.md ("Sturdy under attack and faults") lists the cases.

mod common;

use common::scrape::{agent, body, free_port, get_when_up};
use common::*;
use nix::sys::signal::Signal;
use std::fs;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const QUIET_LOG: &str = "proc_net_dev: dev.txt\nlogging:\n  file: ''\n  level: WARN\n";

/// Runs `command` (stdout discarded, stderr kept) for at most `limit`;
/// its output, or a failed test naming `what` if it hung.
fn run_within(mut command: Command, limit: Duration, what: &str) -> std::process::Output {
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish_within(child, limit).unwrap_or_else(|| panic!("netmon hung: {what}"))
}

/// Waits at most `limit` for `child` to exit; its output, or `None` (then
/// it is killed) if it hung.
fn finish_within(mut child: Child, limit: Duration) -> Option<std::process::Output> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// 1,200 connections held open from the scraper's own address (the limit
/// is 512, 64 per address): every one of 25 scrapes is still answered.
#[test]
fn connections_held_open_never_lock_a_scraper_out() {
    let sandbox = Sandbox::with_config(QUIET_LOG);
    let port = free_port();
    let child = sandbox
        .command()
        .args(["--quiet", "--interval", "1"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/metrics");
    get_when_up(&url);
    let held: Vec<TcpStream> = (0..1200)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let mut answered = 0;
    for _ in 0..25 {
        if let Ok(mut response) = agent().get(&url).call() {
            answered += usize::from(
                response.status() == 200
                    && body(&mut response).contains("node_network_receive_bytes_total"),
            );
        }
        std::thread::sleep(Duration::from_millis(40));
    }
    drop(held);
    signal(&child, Signal::SIGTERM);
    let output = child.wait_with_output().unwrap();
    assert_eq!(answered, 25, "scrapes answered while sockets were held");
    assert!(
        stderr(&output).contains("closing the least recently used ones"),
        "{}",
        stderr(&output)
    );
}

/// `--count 5` whose counters file disappears after the start ends after
/// five cycles, exit 1, saying so; the cycles read before are stored.
#[test]
fn a_counted_run_ends_when_its_source_disappears() {
    let sandbox = Sandbox::with_config(QUIET_LOG);
    let child = sandbox
        .command()
        .args(["--quiet", "--count", "5", "--interval", "0.3"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_cycles(&sandbox.db_path(), 1);
    fs::remove_file(sandbox.path("dev.txt")).unwrap();
    let output = finish_within(child, Duration::from_secs(20)).expect("netmon --count 5 hung");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the counters could not be read in") && err.contains("dev.txt"),
        "{err}"
    );
    assert!(cycles_in(&sandbox.db_path()) >= 1);
}

/// A FIFO named `.env` in the working directory is refused at once (it
/// used to hang every mode), naming it; nothing is written.
#[test]
fn a_fifo_named_dotenv_is_refused_without_hanging() {
    for mode in [&["--once"][..], &["--summary"], &["--live"]] {
        let sandbox = Sandbox::new();
        nix::unistd::mkfifo(&sandbox.path(".env"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let mut command = sandbox.command();
        command.args(mode);
        let output = run_within(command, Duration::from_secs(10), "a FIFO .env");
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{mode:?}: {err}");
        assert!(err.contains(".env") && err.contains("FIFO"), "{err}");
        assert!(!exists(&sandbox.path("data")), "{mode:?} wrote something");
    }
}

/// A counters file beyond 16 MiB (one endless line, or blank lines with
/// real lines after them) is refused in one short line, not read whole.
#[test]
fn a_swollen_counters_file_is_refused_in_one_short_line() {
    let endless = format!("Inter-|\n face |\n{}\n", "x".repeat(17 << 20));
    let blank = format!("Inter-|\n face |\n{}{FIXTURE}", "\n".repeat(17 << 20));
    for text in [endless, blank] {
        let sandbox = Sandbox::new();
        sandbox.write("dev.txt", &text);
        let output = sandbox.run(&["--once", "--quiet"]);
        let err = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}",
            &err[..err.len().min(500)]
        );
        assert!(err.len() < 400, "a {} byte error", err.len());
        assert!(err.contains("larger than 16 MiB"), "{err}");
        assert!(!exists(&sandbox.path("data")));
    }
}

/// Whether symlink tests can run: they need root (to own files as root
/// and give a link to another user).
fn can_plant_links() -> bool {
    require(is_root(), "planting another user's symlink needs root")
}

/// A symlink at `link` pointing at `target`, owned by user 65534 (nobody).
fn plant_link(target: &std::path::Path, link: &std::path::Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
    nix::unistd::fchownat(
        nix::fcntl::AT_FDCWD,
        link,
        Some(nix::unistd::Uid::from_raw(65534)),
        Some(nix::unistd::Gid::from_raw(65534)),
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .unwrap();
}

/// A sandbox with this config, its directory `shared` that anyone may
/// write, and a file `victim.conf` holding "precious\n".
fn shared_directory_and_victim(config: &str) -> (Sandbox, PathBuf, PathBuf) {
    let sandbox = Sandbox::with_config(config);
    let shared = sandbox.path("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let victim = sandbox.path("victim.conf");
    fs::write(&victim, "precious\n").unwrap();
    (sandbox, shared, victim)
}

/// Run as root with its log and database in a directory others may write,
/// netmon follows no symlink another user planted there: not to a file it
/// would append to, not to a dangling target it would create.
#[test]
fn symlinks_planted_by_another_user_are_refused() {
    if !can_plant_links() {
        return;
    }
    let (sandbox, shared, victim) = shared_directory_and_victim(
        "proc_net_dev: dev.txt\ndatabase_file: shared/n.db\nlogging:\n  file: shared/n.log\n",
    );
    // The log: a link to a file netmon would append to.
    plant_link(&victim, &shared.join("n.log"));
    let output = sandbox.run(&["--once", "--quiet"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("n.log") && err.contains("symbolic link owned by user 65534"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(!exists(&shared.join("n.db")));
    // The database: a link to where a root-owned file would be created.
    fs::remove_file(shared.join("n.log")).unwrap();
    let dangling = sandbox.path("created-by-root.db");
    plant_link(&dangling, &shared.join("n.db"));
    let output = sandbox.run(&["--once", "--quiet"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("n.db") && err.contains("symbolic link owned by user 65534"),
        "{err}"
    );
    assert!(
        !exists(&dangling),
        "a file was created at the link's target"
    );
    // A directory above the database: a link to where root would write.
    fs::remove_file(shared.join("n.db")).unwrap();
    let elsewhere = sandbox.path("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    plant_link(&elsewhere, &shared.join("sub"));
    sandbox.write(
        "config.yaml",
        "proc_net_dev: dev.txt\ndatabase_file: shared/sub/n.db\nlogging:\n  file: ''\n",
    );
    let output = sandbox.run(&["--once", "--quiet"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is below") && err.contains("owned by user 65534"),
        "{err}"
    );
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
    sandbox.write(
        "config.yaml",
        "proc_net_dev: dev.txt\ndatabase_file: shared/n.db\nlogging:\n  file: shared/n.log\n",
    );
    // A link of root's own is followed, as before.
    std::os::unix::fs::symlink(sandbox.path("real.db"), shared.join("n.db")).unwrap();
    let output = sandbox.run(&["--once", "--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(cycles_in(&sandbox.path("real.db")), 1);
}

/// A symlink swapped in for the log while netmon runs is not followed
/// when SIGHUP reopens the log.
#[test]
fn a_log_swapped_for_a_planted_symlink_is_not_followed_on_reopen() {
    if !can_plant_links() {
        return;
    }
    let (sandbox, shared, victim) = shared_directory_and_victim(
        "proc_net_dev: dev.txt\nlogging:\n  file: shared/n.log\n  level: DEBUG\n",
    );
    let child = spawn(&sandbox, &["--quiet", "--interval", "0.2"]);
    wait_for_cycles(&sandbox.db_path(), 2);
    fs::rename(shared.join("n.log"), shared.join("n.log.1")).unwrap();
    plant_link(&victim, &shared.join("n.log"));
    signal(&child, Signal::SIGHUP);
    let cycles = cycles_in(&sandbox.db_path());
    wait_for_cycles(&sandbox.db_path(), cycles + 3);
    signal(&child, Signal::SIGTERM);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
}

/// An interface named to be a spreadsheet formula is a text cell in CSV;
/// characters that reorder or hide text (U+202E, U+200B) are escaped in
/// tables as control characters are.
#[test]
fn names_made_to_fool_a_spreadsheet_or_a_terminal_are_neutralized() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "dev.txt",
        &dev_text(&[
            ("=1+2", 10, 20),
            ("@cmd", 1, 1),
            ("a\u{202e}b\u{200b}", 5, 5),
        ]),
    );
    for _ in 0..2 {
        let output = sandbox.run(&["--once", "--quiet"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let csv = stdout(&sandbox.run(&["--summary", "--format", "csv"]));
    assert!(csv.contains("\n'=1+2,"), "{csv}");
    assert!(csv.contains("\n'@cmd,"), "{csv}");
    assert!(!csv.contains("\n=") && !csv.contains("\n@"), "{csv}");
    let table = stdout(&sandbox.run(&["--summary"]));
    assert!(
        table.contains("a\\xe2\\x80\\xaeb\\xe2\\x80\\x8b"),
        "{table}"
    );
    assert!(
        !table.contains('\u{202e}') && !table.contains('\u{200b}'),
        "{table}"
    );
}

/// `rm n.db-wal n.db-shm` under a running monitor: it notices, writes what
/// it holds to a new file, and a `kill -9` afterwards loses no cycle.
#[test]
fn a_removed_write_ahead_log_is_rebuilt_and_nothing_is_lost() {
    let sandbox = Sandbox::with_config(QUIET_LOG);
    let mut child = spawn(&sandbox, &["--quiet", "--interval", "0.1"]);
    let db = sandbox.db_path();
    wait_for_cycles(&db, 5);
    let started = first_cycle_ms(&sandbox);
    let wal = sandbox.path("data/network_activity.db-wal");
    assert!(exists(&wal), "the monitor keeps a write-ahead log");
    fs::remove_file(&wal).unwrap();
    fs::remove_file(sandbox.path("data/network_activity.db-shm")).unwrap();
    // Written on into a new file, readable by others.
    wait_for_cycles(&db, 15);
    child.kill().unwrap();
    child.wait().unwrap();
    let stored = cycles_in(&db);
    assert!(stored >= 15, "{stored}");
    assert_eq!(
        first_cycle_ms(&sandbox),
        started,
        "the first cycles are gone"
    );
    let gap = longest_gap_ms(&sandbox);
    assert!(gap < 1000, "cycles missing: a gap of {gap} ms");
    let output = sandbox.run(&["--audit"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// The database file itself removed: re-created with every stored cycle.
#[test]
fn a_removed_database_file_is_rebuilt_with_every_cycle() {
    let sandbox = Sandbox::with_config(QUIET_LOG);
    let child = spawn(&sandbox, &["--quiet", "--interval", "0.1"]);
    let db = sandbox.db_path();
    wait_for_cycles(&db, 5);
    let started = first_cycle_ms(&sandbox);
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", db.display()));
    }
    wait_for_cycles(&db, 10);
    signal(&child, Signal::SIGTERM);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        first_cycle_ms(&sandbox),
        started,
        "the first cycles are gone"
    );
    let gap = longest_gap_ms(&sandbox);
    assert!(gap < 1000, "cycles missing: a gap of {gap} ms");
}

/// When the first stored cycle was taken (ms since the epoch).
fn first_cycle_ms(sandbox: &Sandbox) -> i64 {
    sandbox
        .db()
        .query_row("SELECT MIN(t_ms) FROM network_stats", [], |r| r.get(0))
        .unwrap()
}

/// The longest time between two stored cycles, in ms.
fn longest_gap_ms(sandbox: &Sandbox) -> i64 {
    sandbox
        .db()
        .query_row(
            "SELECT MAX(t_ms - previous) FROM (SELECT t_ms, LAG(t_ms) OVER (ORDER BY t_ms) AS previous
             FROM network_stats WHERE interface = '_total')",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

/// After 1,048,574 interface names (years of container churn) a new
/// interface still gets an id: those of names without samples are given
/// again, and the cycle is stored.
#[test]
fn interface_ids_never_run_out() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["--once", "--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    sandbox
        .db()
        .execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT (SELECT MAX(id) FROM netmon_interfaces WHERE id < 1048575) + 1
                 UNION ALL SELECT i + 1 FROM n WHERE i < 1048574)
             INSERT INTO netmon_interfaces (id, name) SELECT i, 'gone' || i FROM n;",
        )
        .unwrap();
    let mut text = FIXTURE.to_string();
    text.push_str("fresh0: 100 1 0 0 0 0 0 0 200 2 0 0 0 0 0 0\n");
    sandbox.write("dev.txt", &text);
    let output = sandbox.run(&["--once", "--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let db = sandbox.db();
    let (cycles, fresh): (i64, i64) = db
        .query_row(
            "SELECT COUNT(DISTINCT timestamp), SUM(interface = 'fresh0') FROM network_stats",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((cycles, fresh), (2, 1));
    // And the next new name too, in a later run.
    text.push_str("fresh1: 100 1 0 0 0 0 0 0 200 2 0 0 0 0 0 0\n");
    sandbox.write("dev.txt", &text);
    let output = sandbox.run(&["--once", "--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let fresh1: i64 = sandbox
        .db()
        .query_row(
            "SELECT COUNT(*) FROM network_stats WHERE interface = 'fresh1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fresh1, 1);
}

/// A configuration saved with a UTF-8 byte order mark (Windows editors)
/// reads as the same configuration.
#[test]
fn a_byte_order_mark_in_the_config_is_not_content() {
    let sandbox = Sandbox::with_config("\u{feff}proc_net_dev: dev.txt\nmonitoring_interval: 7\n");
    let output = sandbox.run(&["--once", "--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let log = fs::read_to_string(sandbox.path("logs/network_monitor.log")).unwrap();
    assert!(log.contains("interval=7s"), "{log}");
}

/// Listening beyond loopback without authentication is a warning, not
/// an INFO line.
#[test]
fn an_endpoint_beyond_loopback_without_authentication_is_warned_of() {
    let sandbox = Sandbox::with_config(QUIET_LOG);
    let port = free_port();
    let output = sandbox.run(&[
        "--quiet",
        "--count",
        "2",
        "--interval",
        "0.1",
        "--listen",
        &format!("0.0.0.0:{port}"),
    ]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        err.contains("WARN") && err.contains("without authentication"),
        "{err}"
    );
}

/// `.env` files that once crashed or swelled netmon: a NUL byte in a value
/// (the process environment cannot hold one), `${VAR}` references doubling
/// at each line, an escape sequence in a syntax error. Each is one line
/// naming `.env`, exit 2, at once.
#[test]
fn hostile_dotenv_files_are_refused_in_one_line() {
    let mut doubling = String::from("A0=xxxxxxxxxxxxxxxx\n");
    for level in 1..=26 {
        doubling.push_str(&format!(
            "A{level}=\"${{A{}}}${{A{}}}\"\n",
            level - 1,
            level - 1
        ));
    }
    let cases = [
        ("FOO=a\0b\n".to_string(), "holds a NUL byte"),
        (doubling, "expands to more than 64 KiB"),
        (
            format!("A={}\nB={}\n", "x".repeat(60_000), "$A".repeat(300)),
            "300 `$` characters; at most 256",
        ),
        ("A B\x1b[2J=1\n".to_string(), "\\u{1b}"),
    ];
    for (text, message) in cases {
        let sandbox = Sandbox::new();
        sandbox.write(".env", &text);
        let mut command = sandbox.command();
        command.args(["--once", "--quiet"]);
        let output = run_within(command, Duration::from_secs(10), message);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{message}: {err}");
        assert!(err.contains(".env") && err.contains(message), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains('\x1b'), "{err}");
        assert!(!exists(&sandbox.path("data")));
    }
}

/// Brackets nested 50 000 deep (100 KB) in the configuration or in a list
/// variable: refused before the YAML parser, which took 22 s on it.
#[test]
fn deeply_nested_yaml_is_refused_before_it_is_parsed() {
    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    let in_file = Sandbox::with_config(&format!("proc_net_dev: dev.txt\ninterfaces: {deep}\n"));
    let in_env = Sandbox::new();
    for (sandbox, env) in [(&in_file, None), (&in_env, Some(&deep))] {
        let mut command = sandbox.command();
        command.args(["--once", "--quiet"]);
        if let Some(value) = env {
            command.env("NETMON_INTERFACES", value);
        }
        let output = run_within(command, Duration::from_secs(5), "still parsing");
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{err}");
        assert!(err.contains("nest more than 32 deep"), "{err}");
    }
}

/// A `./config.yaml` that is a FIFO, a directory or a link to nothing is
/// an error, as `-c` with one is, never silently the defaults.
#[test]
fn a_config_yaml_that_is_no_file_is_an_error_not_the_defaults() {
    let fifo = |s: &Sandbox| {
        nix::unistd::mkfifo(&s.path("config.yaml"), nix::sys::stat::Mode::S_IRWXU).unwrap()
    };
    let directory = |s: &Sandbox| fs::create_dir(s.path("config.yaml")).unwrap();
    let dangling = |s: &Sandbox| {
        std::os::unix::fs::symlink(s.path("nowhere.yaml"), s.path("config.yaml")).unwrap()
    };
    type Setup<'a> = &'a dyn Fn(&Sandbox);
    let setups: [(Setup, &str); 3] = [
        (&fifo, "is a FIFO"),
        (&directory, "is a directory"),
        (&dangling, "a link to nothing readable"),
    ];
    for (setup, message) in setups {
        let sandbox = Sandbox::new();
        fs::remove_file(sandbox.path("config.yaml")).unwrap();
        setup(&sandbox);
        let mut command = sandbox.command();
        command.args(["--once", "--quiet"]);
        let output = run_within(command, Duration::from_secs(10), message);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{message}: {err}");
        assert!(
            err.contains("config.yaml") && err.contains(message),
            "{err}"
        );
        assert!(!exists(&sandbox.path("data")) && !exists(&sandbox.path("logs")));
    }
}

/// `--summary` of a database without samples, printed to a full device:
/// "cannot write", exit 1, not a panic.
#[test]
fn a_summary_to_a_full_device_is_an_error_not_a_panic() {
    let sandbox = Sandbox::new();
    sandbox.write("dev.txt", "Inter-|\n face |\n");
    assert_eq!(sandbox.run(&["--once", "--quiet"]).status.code(), Some(0));
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = sandbox
        .command()
        .arg("--summary")
        .stdout(full)
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("netmon: error: cannot write the report"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// A wall clock before 1970 or near the year 9999 (a dead RTC battery, a
/// bad NTP answer): one line saying so, exit 1, no panic, nothing written.
#[test]
fn a_wall_clock_out_of_range_is_refused_in_one_line() {
    let Some(library) = libfaketime() else {
        require(false, "libfaketime is needed");
        return;
    };
    for (fake, year) in [
        ("@1960-01-01 00:00:00", "before 1970"),
        ("@9999-12-31 23:59:00", "after 9000"),
    ] {
        for mode in [&["--once", "--quiet"][..], &["--summary"], &["--audit"]] {
            let sandbox = Sandbox::new();
            let output = sandbox
                .command()
                .args(mode)
                .env("LD_PRELOAD", &library)
                .env("FAKETIME", fake)
                .env("DONT_FAKE_MONOTONIC", "1")
                .output()
                .unwrap();
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{fake} {mode:?}: {err}");
            assert!(
                err.contains(&format!("the system clock reads a time {year}")),
                "{err}"
            );
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(!exists(&sandbox.path("data")));
        }
    }
}

/// A database whose path is not UTF-8, removed under the monitor: rebuilt
/// with its history like any other (SQLite's backup takes the path as bytes).
#[test]
fn a_database_with_a_path_that_is_not_utf8_is_rebuilt_too() {
    use std::os::unix::ffi::OsStrExt;
    let sandbox = Sandbox::new();
    let odd = sandbox
        .dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"nu\xff"));
    fs::create_dir(&odd).unwrap();
    fs::write(odd.join("config.yaml"), QUIET_LOG).unwrap();
    fs::write(odd.join("dev.txt"), FIXTURE).unwrap();
    let child = sandbox
        .command()
        .current_dir(&odd)
        .args(["--quiet", "--interval", "0.1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let db = odd.join("data/network_activity.db");
    wait_for_cycles(&db, 5);
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let _ = fs::remove_file(name);
    }
    wait_for_cycles(&db, 10);
    signal(&child, Signal::SIGTERM);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(cycles_in(&db) >= 10);
}

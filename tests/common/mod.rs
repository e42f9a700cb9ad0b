//! Shared helpers for integration tests: each test gets its own temporary
//! directory as working directory and a cleared environment, so nothing of
//! the developer's config.yaml, .env, HOME or XDG_* leaks in.

#![allow(dead_code)]

pub mod netns;
pub mod scrape;

use assert_cmd::cargo::CommandCargoExt;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

/// Whether a test's precondition (root, a tool, a mount) holds. When it
/// does not: under `CI=true` the test fails, because a test that cannot run
/// in CI must not pass; elsewhere it prints that it was skipped.
pub fn require(available: bool, what: &str) -> bool {
    if available {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but this test cannot run: {what}");
    }
    eprintln!("skipped: {what}");
    false
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Whether `program` is on the PATH.
pub fn has_program(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// libfaketime's preload library, wherever this machine's multiarch
/// directory puts it.
pub fn libfaketime() -> Option<PathBuf> {
    ["/usr/lib", "/usr/lib64", "/usr/local/lib"]
        .iter()
        .find_map(|root| {
            let direct = PathBuf::from(root).join("faketime/libfaketime.so.1");
            if direct.exists() {
                return Some(direct);
            }
            std::fs::read_dir(root).ok()?.find_map(|entry| {
                let candidate = entry.ok()?.path().join("faketime/libfaketime.so.1");
                candidate.exists().then_some(candidate)
            })
        })
}

/// `/proc/net/dev` text listing these interfaces with (received, sent)
/// bytes and every other counter 0.
pub fn dev_text(interfaces: &[(&str, u64, u64)]) -> String {
    let mut text = String::from(
        "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n",
    );
    for (name, recv, sent) in interfaces {
        text.push_str(&format!(
            "{name:>6}: {recv} 0 0 0 0 0 0 0 {sent} 0 0 0 0 0 0 0\n"
        ));
    }
    text
}

/// The captured `/proc/net/dev` used by most tests.
pub const FIXTURE: &str = include_str!("../fixtures/proc_net_dev_host.txt");

/// A sandbox: temp dir with a `config.yaml` pointing at a fixture counters file.
pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    /// A sandbox whose config reads `dev.txt` (holding `FIXTURE`) and logs to a file.
    pub fn new() -> Self {
        Self::with_config("proc_net_dev: dev.txt\n")
    }

    /// A sandbox with this exact `config.yaml` (and `dev.txt` = `FIXTURE`).
    pub fn with_config(config: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("config.yaml"), config).unwrap();
        std::fs::write(dir.path().join("dev.txt"), FIXTURE).unwrap();
        Sandbox { dir }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
    }

    /// The netmon binary, isolated: cleared environment, cwd = the sandbox.
    pub fn command(&self) -> Command {
        self.isolated(Command::cargo_bin("netmon").expect("netmon binary"))
    }

    /// `command` run in the sandbox with a cleared environment (no HOME,
    /// XDG_* or TZ of the developer's).
    fn isolated(&self, mut command: Command) -> Command {
        command
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("TZ", "UTC");
        command
    }

    /// netmon run by `wrapper` (`wrapper... netmon`), isolated like
    /// [`Sandbox::command`]; the caller adds netmon's arguments.
    pub fn wrapped(&self, wrapper: &[&str]) -> Command {
        let mut command = Command::new(wrapper[0]);
        command
            .args(&wrapper[1..])
            .arg(assert_cmd::cargo::cargo_bin("netmon"));
        self.isolated(command)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run netmon")
    }

    pub fn db_path(&self) -> PathBuf {
        self.path("data/network_activity.db")
    }

    pub fn db(&self) -> Connection {
        Connection::open(self.db_path()).expect("open database")
    }
}

/// Runs `program args` with `input` on its stdin; its output.
pub fn pipe(program: &str, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Text of stdout / stderr.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Rows of `network_stats` as (interface, bytes_recv, bytes_sent, packets_recv,
/// packets_sent, errin, errout, dropin, dropout), ordered by id.
pub fn counter_rows(db: &Connection, timestamp: Option<&str>) -> Vec<(String, [i64; 8])> {
    let mut stmt = db
        .prepare(
            "SELECT interface, bytes_recv, bytes_sent, packets_recv, packets_sent, errin, errout,
                    dropin, dropout
             FROM network_stats WHERE ?1 IS NULL OR timestamp = ?1 ORDER BY id",
        )
        .unwrap();
    stmt.query_map([timestamp], |r| {
        Ok((r.get(0)?, std::array::from_fn(|i| r.get(i + 1).unwrap())))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// Distinct cycle timestamps, oldest first.
pub fn timestamps(db: &Connection) -> Vec<String> {
    let mut stmt = db
        .prepare("SELECT DISTINCT timestamp FROM network_stats ORDER BY timestamp")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Interface names stored at one timestamp, sorted.
pub fn interfaces_at(db: &Connection, timestamp: &str) -> Vec<String> {
    let mut stmt = db
        .prepare("SELECT interface FROM network_stats WHERE timestamp = ?1 ORDER BY interface")
        .unwrap();
    stmt.query_map([timestamp], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Whether anything at all exists at `path`.
pub fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

/// Starts netmon in the background with stdout and stderr captured.
pub fn spawn(sandbox: &Sandbox, args: &[&str]) -> std::process::Child {
    sandbox
        .command()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn netmon")
}

/// Sends `signal` to a child process.
pub fn signal(child: &std::process::Child, signal: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
}

/// Number of distinct cycles stored in the database at `path` (0 if none).
pub fn cycles_in(path: &Path) -> usize {
    Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|db| {
            db.query_row(
                "SELECT COUNT(DISTINCT timestamp) FROM network_stats",
                [],
                |r| r.get::<_, i64>(0),
            )
        })
        .map_or(0, |n| n as usize)
}

/// Waits (up to 20 s) until the database holds at least `cycles` cycles.
pub fn wait_for_cycles(path: &Path, cycles: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if exists(path) && cycles_in(path) >= cycles {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("{} did not reach {cycles} cycles in time", path.display());
}

/// Cycles a continuous-mode run printed (one `_total` line per cycle).
pub fn printed_cycles(output: &Output) -> usize {
    stdout(output)
        .lines()
        .filter(|l| l.contains(" _total "))
        .count()
}

/// Writes `text` to `path` atomically (a reader never sees a partial file).
pub fn replace_file(path: &Path, text: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

/// One scripted cycle: wall time and (interface, bytes received, bytes sent).
pub type ScriptedCycle<'a> = (chrono::DateTime<chrono::Utc>, Vec<(&'a str, u64, u64)>);

/// Writes a scripted history through netmon's own write path into a
/// database whose days are UTC days: each entry is one cycle at a wall time
/// with (interface, bytes received, bytes sent) cumulative counters; the
/// monotonic clock follows the wall clock.
pub fn write_history(path: &Path, cycles: &[ScriptedCycle]) {
    write_history_in(path, cycles, "UTC", 0);
}

/// [`write_history`] into a database whose calendar is `zone` (as netmon
/// records it) with hours starting `hour_phase` seconds past the UTC hour.
pub fn write_history_in(path: &Path, cycles: &[ScriptedCycle], zone: &str, hour_phase: i64) {
    use netmon::api::Counters;
    use netmon::api::InterfaceCounters;
    use netmon::api::{SampleOptions, Sampler};
    let calendar = netmon::api::Calendar::from_spec(zone, hour_phase).unwrap();
    let mut store =
        netmon::api::Store::open_in(path, std::time::Duration::from_secs(5), Some(&calendar))
            .unwrap();
    let mut sampler = Sampler::new(SampleOptions::default());
    let Some(origin) = cycles.first().map(|c| c.0) else {
        return;
    };
    for (at, interfaces) in cycles {
        let snapshot: Vec<InterfaceCounters> = interfaces
            .iter()
            .map(|&(name, recv, sent)| InterfaceCounters {
                name: name.to_string(),
                ifindex: None,
                counters: Counters {
                    bytes_recv: recv,
                    bytes_sent: sent,
                    ..Counters::default()
                },
            })
            .collect();
        let now = (*at - origin).num_milliseconds() as f64 / 1000.0;
        store
            .write_cycle(&sampler.sample(&snapshot, now, *at))
            .unwrap();
    }
}

/// Runs netmon --summary with extra flags and parses its JSON output.
pub fn summary_json(sandbox: &Sandbox, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--summary", "--format", "json"];
    args.extend_from_slice(extra);
    let output = sandbox.run(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("summary JSON")
}

/// The JSON object of one interface in a summary.
pub fn interface_json<'a>(summary: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    summary["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["interface"] == name)
        .unwrap_or_else(|| panic!("no {name} in {summary}"))
}

/// The single integer a query returns (NULL reads as 0).
pub fn scalar(db: &Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or(0)
}

/// The interface names of a summary, in report order.
pub fn interface_names(summary: &serde_json::Value) -> Vec<String> {
    summary["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["interface"].as_str().unwrap().to_string())
        .collect()
}

/// Waits (up to 20 s) until the database has a row of `interface`.
pub fn wait_for_rows_of(sandbox: &Sandbox, interface: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if let Ok(db) = Connection::open_with_flags(
            sandbox.db_path(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        ) {
            let n = db.query_row(
                "SELECT COUNT(*) FROM network_stats WHERE interface = ?1",
                [interface],
                |r| r.get::<_, i64>(0),
            );
            if n.is_ok_and(|n| n > 0) {
                return;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("no {interface} rows in time");
}

/// One stored row of an interface, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRow {
    pub timestamp: String,
    /// bytes_recv, bytes_sent, packets_recv, packets_sent
    pub counters: [i64; 4],
    /// the same four deltas, where known
    pub deltas: Option<[i64; 4]>,
    pub interval_s: Option<f64>,
    pub recv_rate: Option<f64>,
}

/// Every stored row of `interface`, oldest first.
pub fn stored_rows(db: &Connection, interface: &str) -> Vec<StoredRow> {
    let mut stmt = db
        .prepare(
            "SELECT timestamp, bytes_recv, bytes_sent, packets_recv, packets_sent,
                    bytes_recv_delta, bytes_sent_delta, packets_recv_delta, packets_sent_delta,
                    interval_s, bytes_recv_rate
             FROM network_stats WHERE interface = ?1 ORDER BY id",
        )
        .unwrap();
    stmt.query_map([interface], |r| {
        let deltas: [Option<i64>; 4] = std::array::from_fn(|i| r.get(i + 5).unwrap());
        Ok(StoredRow {
            timestamp: r.get(0)?,
            counters: std::array::from_fn(|i| r.get(i + 1).unwrap()),
            deltas: deltas[0].map(|_| deltas.map(|d| d.unwrap())),
            interval_s: r.get(9)?,
            recv_rate: r.get(10)?,
        })
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// The sums of the stored deltas (received, sent bytes) of some rows.
pub fn delta_sums(rows: &[StoredRow]) -> (i64, i64) {
    rows.iter()
        .filter_map(|r| r.deltas)
        .fold((0, 0), |(rx, tx), d| (rx + d[0], tx + d[1]))
}

/// The fixture with one interface's received bytes replaced (`None`: the
/// interface's line removed) and the interface renamed.
pub fn fixture_with(interface: &str, recv: Option<u64>, name: &str) -> String {
    let mut text = String::new();
    for line in FIXTURE.lines() {
        let trimmed = line.trim_start();
        match trimmed
            .strip_prefix(interface)
            .and_then(|rest| rest.strip_prefix(':'))
        {
            Some(rest) => {
                let Some(recv) = recv else { continue };
                let mut fields: Vec<String> = rest.split_whitespace().map(String::from).collect();
                fields[0] = recv.to_string();
                text.push_str(&format!("{name:>6}: {}", fields.join(" ")));
            }
            None => text.push_str(line),
        }
        text.push('\n');
    }
    text
}

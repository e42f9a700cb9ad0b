//! Shared helpers for integration tests: each test gets its own temporary
//! directory as working directory and a cleared environment, so nothing of
//! the developer's config.yaml, .env, HOME or XDG_* leaks in.

#![allow(dead_code)]

use assert_cmd::cargo::CommandCargoExt;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

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
        let mut command = Command::cargo_bin("netmon").expect("netmon binary");
        command
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("TZ", "UTC");
        command
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

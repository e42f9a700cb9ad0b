//! `--live` as a person uses it: in a real terminal (tmux) inside a network
//! namespace while traffic crosses a veth pair, then Ctrl-C; and as a
//! script uses it: NDJSON, nothing written.

mod common;

use common::netns::Namespace;
use common::*;
use netmon::api::HumanBytes;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A tmux server of its own, inside a namespace; killed on drop.
struct Terminal<'a> {
    namespace: &'a Namespace,
    socket: String,
}

impl<'a> Terminal<'a> {
    /// Starts `command` in a 200x50 terminal inside `namespace`.
    fn start(namespace: &'a Namespace, command: &str) -> Terminal<'a> {
        let socket = format!("netmon-live-{}", std::process::id());
        let status = Command::new("ip")
            .args(["netns", "exec", &namespace.name, "tmux", "-L", &socket])
            .args(["new-session", "-d", "-x", "200", "-y", "50", command])
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session");
        Terminal { namespace, socket }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let output = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.namespace.name,
                "tmux",
                "-L",
                &self.socket,
            ])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// What the screen shows now.
    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    /// Waits until the screen satisfies `done` (at most 20 s); the screen.
    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "never showed {what}:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Terminal<'_> {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// Waits until `interface`'s tx counter has not moved for half a second.
fn at_rest(namespace: &Namespace, interface: &str) -> i64 {
    let mut last = namespace.statistic(interface, "tx_bytes");
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = namespace.statistic(interface, "tx_bytes");
        if std::mem::replace(&mut last, now) == now {
            return now;
        }
    }
}

#[test]
fn live_in_a_terminal_shows_rates_and_a_session_summary_equal_to_the_kernel() {
    let (Some(near), Some(far)) = (Namespace::create("live-a"), Namespace::create("live-b")) else {
        return;
    };
    if !require(
        has_program("tmux") && has_program("iperf3"),
        "tmux or iperf3 is not installed (.ci/run installs them)",
    ) {
        return;
    }
    near.veth_to(&far, "lv0", "lv1", 93);
    let sandbox = Sandbox::with_config("");
    let before = at_rest(&near, "lv0");
    let netmon = assert_cmd::cargo::cargo_bin("netmon");
    let command = format!(
        "cd {} && env -i PATH=/usr/bin:/bin HOME={0} TZ=UTC {} --live --interfaces lv0; sleep 60",
        sandbox.dir.path().display(),
        netmon.display()
    );
    let terminal = Terminal::start(&near, &command);
    terminal.wait_for("the live lines", |s| {
        s.contains("netmon live") && s.lines().any(|l| l.starts_with("lv0 "))
    });
    let mut server = Command::new("ip")
        .args([
            "netns",
            "exec",
            &far.name,
            "iperf3",
            "-s",
            "-1",
            "-B",
            "10.93.0.2",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut client = loop {
        std::thread::sleep(Duration::from_millis(100));
        let mut client = Command::new("ip")
            .args([
                "netns",
                "exec",
                &near.name,
                "iperf3",
                "-c",
                "10.93.0.2",
                "-t",
                "4",
            ])
            .args(["-b", "200M"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        match client.try_wait().unwrap() {
            Some(status) if !status.success() => continue,
            _ => break client,
        }
    };
    let busy = terminal.wait_for("a non-zero rate on lv0", |s| {
        s.lines()
            .any(|l| l.starts_with("lv0 ") && (l.contains("MiB/s") || l.contains("KiB/s")))
    });
    assert!(busy.contains("pkt/s"), "{busy}");
    assert!(client.wait().unwrap().success());
    server.wait().unwrap();
    let after = at_rest(&near, "lv0");
    // One more read at rest, so the session ends on the final counters.
    std::thread::sleep(Duration::from_millis(1500));
    terminal.tmux(&["send-keys", "C-c"]);
    let screen = terminal.wait_for("the session summary", |s| s.contains("live session:"));
    let summary: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.starts_with("live session:"))
        .collect();
    let row = summary
        .iter()
        .find(|l| l.starts_with("lv0 "))
        .unwrap_or_else(|| panic!("no lv0 row in\n{screen}"));
    let columns: Vec<&str> = row.split_whitespace().collect();
    // lv0, received (2 words), sent (2 words), ...
    let sent = format!("{} {}", columns[3], columns[4]);
    assert_eq!(
        sent,
        HumanBytes((after - before) as f64).to_string(),
        "session bytes sent = the kernel's tx_bytes change ({}); screen:\n{screen}",
        after - before
    );
    assert!(after - before > 10_000_000, "traffic was sent");
    assert!(!exists(&sandbox.db_path()), "--live writes no database");
}

#[test]
fn live_json_is_ndjson_and_writes_nothing() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&[
        "--live",
        "--count",
        "3",
        "--interval",
        "0.1",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 4, "3 samples and the summary");
    for sample in &lines[..3] {
        let names: Vec<&str> = sample["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["interface"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["eth0", "wlan0", "veth1234567890a", "_total"]);
        assert!(sample["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    let summary = &lines[3]["summary"];
    assert_eq!(summary["samples"], 3);
    assert_eq!(
        summary["interfaces"][0]["bytes_recv"], 0,
        "fixture counters do not move"
    );
    let entries: Vec<_> = std::fs::read_dir(sandbox.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut entries = entries;
    entries.sort();
    assert_eq!(
        entries,
        ["config.yaml", "dev.txt"],
        "no database, lock or log"
    );

    let plain = sandbox.run(&["--live", "--count", "1", "--interval", "0.1"]);
    let text = stdout(&plain);
    assert!(
        text.lines()
            .any(|l| l.contains("  eth0 ") && l.contains("pkt/s")),
        "{text}"
    );
    assert!(
        !text.contains('\x1b'),
        "no terminal codes in a pipe: {text:?}"
    );
    let csv = sandbox.run(&["--live", "--format", "csv"]);
    assert_eq!(csv.status.code(), Some(2));
    let with_summary = sandbox.run(&["--live", "--summary"]);
    assert_eq!(with_summary.status.code(), Some(2));
}

//! The Prometheus endpoint (`--listen`), through the real binary: the
//! served text passes `promtool check metrics`, a real Prometheus scraping
//! netmon in a network namespace sees the kernel's counters, and every
//! netdev family and value equals node_exporter's.

mod common;

use common::netns::{iperf3, Namespace};
use common::scrape::{agent, body, free_port, get_when_up};
use common::*;
use nix::sys::signal::Signal;
use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const QUIET_LOG: &str = "proc_net_dev: dev.txt\nlogging:\n  file: ''\n";

fn header<'a>(response: &'a ureq::http::Response<ureq::Body>, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// A monitor of the fixture counters with the endpoint on `port`.
fn monitor_with_endpoint(sandbox: &Sandbox, port: u16, interval: &str) -> Child {
    sandbox
        .command()
        .args(["--quiet", "--interval", interval])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn stop(child: Child) -> String {
    signal(&child, Signal::SIGTERM);
    let output = child.wait_with_output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    err
}

#[test]
fn metrics_paths_methods_and_promtool() {
    let sandbox = Sandbox::with_config(QUIET_LOG);
    let port = free_port();
    let child = monitor_with_endpoint(&sandbox, port, "0.2");
    let base = format!("http://127.0.0.1:{port}");
    wait_for_cycles(&sandbox.db_path(), 2);
    let mut response = get_when_up(&format!("{base}/metrics"));
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = body(&mut response);
    // The fixture's counters, through the default selection (lo and
    // docker* excluded), escaped names included.
    for line in [
        "node_network_receive_bytes_total{device=\"eth0\"} 9019331120",
        "node_network_receive_errs_total{device=\"eth0\"} 3",
        "node_network_transmit_drop_total{device=\"eth0\"} 2",
        "node_network_receive_bytes_total{device=\"veth1234567890a\"} 4294967295",
        "netmon_scrape_read_success 1",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
    assert!(!text.contains("device=\"lo\"") && !text.contains("docker0"));
    assert!(text
        .lines()
        .any(|l| l.starts_with("netmon_cycles_stored_total ")));
    assert!(text
        .lines()
        .any(|l| l.starts_with("netmon_current_day_bytes{device=\"_total\",direction=\"rx\"}")));
    if require(
        has_program("promtool"),
        "promtool is not installed (.ci/run installs Debian's prometheus)",
    ) {
        let checked = pipe("promtool", &["check", "metrics"], &text);
        assert!(
            checked.status.success() && checked.stdout.is_empty() && checked.stderr.is_empty(),
            "promtool: {}{}",
            stdout(&checked),
            stderr(&checked)
        );
    }

    let head = agent().head(format!("{base}/metrics")).call().unwrap();
    assert_eq!(head.status(), 200);
    assert!(header(&head, "content-length").parse::<usize>().unwrap() > 1000);
    let mut index = agent().get(&base).call().unwrap();
    assert_eq!(index.status(), 200);
    assert!(header(&index, "content-type").starts_with("text/html"));
    assert!(body(&mut index).contains("href=\"/metrics\""));
    let missing = agent().get(format!("{base}/other")).call().unwrap();
    assert_eq!(missing.status(), 404);
    let posted = agent()
        .post(format!("{base}/metrics"))
        .send_empty()
        .unwrap();
    assert_eq!(posted.status(), 405);
    assert_eq!(header(&posted, "allow"), "GET, HEAD");
    let err = stop(child);
    assert!(
        err.contains(&format!(
            "serving Prometheus metrics at http://127.0.0.1:{port}/metrics"
        )),
        "{err}"
    );
}

/// Inodes of the TCP sockets in LISTEN state that process `pid` holds.
fn listening_sockets(pid: u32) -> Vec<String> {
    let held: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_string(),
            )
        })
        .collect();
    let mut listening = Vec::new();
    for table in ["tcp", "tcp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if let (Some(&"0A"), Some(inode)) = (fields.get(3), fields.get(9)) {
                listening.push(inode.to_string());
            }
        }
    }
    listening
        .into_iter()
        .filter(|inode| held.contains(inode))
        .collect()
}

#[test]
fn no_listen_no_socket() {
    let sandbox = Sandbox::with_config(QUIET_LOG);
    let child = spawn(&sandbox, &["--quiet", "--interval", "0.2"]);
    wait_for_cycles(&sandbox.db_path(), 2);
    assert_eq!(listening_sockets(child.id()), Vec::<String>::new());
    stop(child);

    let port = free_port();
    let child = monitor_with_endpoint(&sandbox, port, "0.2");
    get_when_up(&format!("http://127.0.0.1:{port}/metrics"));
    assert_eq!(
        listening_sockets(child.id()).len(),
        1,
        "the endpoint's one socket"
    );
    stop(child);
}

#[test]
fn bad_listen_addresses_are_usage_errors_and_a_taken_port_a_runtime_error() {
    let sandbox = Sandbox::with_config(QUIET_LOG);
    for (args, env, expected) in [
        (
            &["--listen", "localhost:9157"][..],
            None,
            "--listen \"localhost:9157\"",
        ),
        (&["--listen", "127.0.0.1"][..], None, "write IP:PORT"),
        (&["--listen", "[::1]:99999"][..], None, "is not an address"),
        (
            &["--count", "1"][..],
            Some("nonsense"),
            "NETMON_METRICS_LISTEN",
        ),
        (
            &["--once", "--listen", "127.0.0.1:9157"][..],
            None,
            "--listen",
        ),
        (
            &["--summary", "--listen", "127.0.0.1:9157"][..],
            None,
            "--listen",
        ),
    ] {
        let mut command = sandbox.command();
        command.args(args);
        if let Some(value) = env {
            command.env("NETMON_METRICS_LISTEN", value);
        }
        let output = command.output().unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!exists(&sandbox.db_path()), "{args:?} wrote nothing");
    }
    sandbox.write(
        "config.yaml",
        "proc_net_dev: dev.txt\nmetrics_listen: 'eth0:80'\n",
    );
    let output = sandbox.run(&["--count", "1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("config.yaml: metrics_listen"),
        "{}",
        stderr(&output)
    );

    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    sandbox.write("config.yaml", QUIET_LOG);
    let output = sandbox.run(&["--count", "1", "--listen", &address]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("cannot listen on {address}")),
        "{err}"
    );
    assert!(!exists(&sandbox.db_path()), "nothing sampled or written");
    assert!(!exists(&sandbox.path("logs")), "no log file either");

    // The configured endpoint does not stop cron-style --once runs that
    // share the monitor's configuration.
    sandbox.write(
        "config.yaml",
        &format!("{QUIET_LOG}metrics_listen: '{address}'\n"),
    );
    let output = sandbox.run(&["--once"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// 300 clients that connect and send nothing: a scrape is still answered
/// at once and the sampling schedule holds.
#[test]
fn idle_connections_neither_block_scrapes_nor_delay_sampling() {
    let sandbox = Sandbox::with_config(QUIET_LOG);
    let port = free_port();
    let child = monitor_with_endpoint(&sandbox, port, "0.2");
    let url = format!("http://127.0.0.1:{port}/metrics");
    get_when_up(&url);
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let before = cycles_in(&sandbox.db_path());
    for _ in 0..5 {
        let started = Instant::now();
        let mut response = agent().get(&url).call().unwrap();
        assert_eq!(response.status(), 200);
        assert!(body(&mut response).contains("node_network_receive_bytes_total"));
        let took = started.elapsed();
        assert!(took < Duration::from_secs(1), "a scrape took {took:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    wait_for_cycles(&sandbox.db_path(), before + 5);
    drop(idle);
    stop(child);
    let db = sandbox.db();
    let longest: f64 = db
        .query_row(
            "SELECT MAX(interval_s) FROM network_stats WHERE interface = '_total'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        longest < 0.35,
        "a cycle was late: {longest} s between cycles at 0.2 s"
    );
}

/// A Prometheus server (and optionally node_exporter) inside `namespace`,
/// scraping every second; stopped on drop.
struct Scraper {
    prometheus: Child,
    node_exporter: Option<Child>,
    /// The monitor it scrapes, killed on drop if a test fails before
    /// stopping it.
    monitor: Option<Child>,
    _dir: tempfile::TempDir,
}

const PROMETHEUS: &str = "127.0.0.1:9090";
const NETMON: &str = "127.0.0.1:9157";
const NODE_EXPORTER: &str = "127.0.0.1:9100";

impl Scraper {
    fn start(namespace: &Namespace, with_node_exporter: bool) -> Scraper {
        let dir = tempfile::tempdir().unwrap();
        let mut targets =
            format!("  - job_name: netmon\n    static_configs:\n      - targets: ['{NETMON}']\n");
        let node_exporter = with_node_exporter.then(|| {
            targets.push_str(&format!(
                "  - job_name: node\n    static_configs:\n      - targets: ['{NODE_EXPORTER}']\n"
            ));
            Command::new("ip")
                .args(["netns", "exec", &namespace.name, "prometheus-node-exporter"])
                .args(["--web.listen-address", NODE_EXPORTER])
                .args(["--collector.disable-defaults", "--collector.netdev"])
                .arg("--no-collector.netdev.netlink")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        });
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n{targets}"),
        )
        .unwrap();
        let prometheus = Command::new("ip")
            .args(["netns", "exec", &namespace.name, "prometheus"])
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address={PROMETHEUS}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Scraper {
            prometheus,
            node_exporter,
            monitor: None,
            _dir: dir,
        }
    }

    /// Stops the monitor with SIGTERM; it must exit 0.
    fn stop_monitor(&mut self) {
        if let Some(monitor) = self.monitor.take() {
            stop(monitor);
        }
    }
}

impl Drop for Scraper {
    fn drop(&mut self) {
        let others = self.node_exporter.iter_mut().chain(self.monitor.iter_mut());
        for child in std::iter::once(&mut self.prometheus).chain(others) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs a Prometheus API GET inside the namespace; its JSON `data`.
fn prometheus_api(namespace: &Namespace, path: &str, query: Option<&str>) -> serde_json::Value {
    let url = format!("http://{PROMETHEUS}{path}");
    let query = query.map(str::to_string);
    namespace.run_inside(move || {
        let mut request = agent().get(&url);
        if let Some(query) = &query {
            request = request.query("query", query);
        }
        match request.call() {
            Ok(mut response) => serde_json::from_str::<serde_json::Value>(&body(&mut response))
                .map(|v| v["data"].clone())
                .unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        }
    })
}

/// Polls `/api/v1/targets` until every target is up.
fn wait_until_targets_up(namespace: &Namespace, targets: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let data = prometheus_api(namespace, "/api/v1/targets", None);
        let active = data["activeTargets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if active.len() == targets && active.iter().all(|t| t["health"] == "up") {
            return;
        }
        assert!(Instant::now() < deadline, "targets never all up: {data}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The instant vector of `expr` as (metric name, device, job) → value.
fn vector(namespace: &Namespace, expr: &str) -> BTreeMap<(String, String, String), f64> {
    let data = prometheus_api(namespace, "/api/v1/query", Some(expr));
    data["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|sample| {
            let label = |name: &str| {
                sample["metric"][name]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            };
            let value = sample["value"][1]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN);
            ((label("__name__"), label("device"), label("job")), value)
        })
        .collect()
}

fn has_prometheus() -> bool {
    require(
        has_program("prometheus") && has_program("iperf3"),
        "prometheus or iperf3 is not installed (.ci/run installs them from Debian's packages)",
    )
}

/// netmon in `near` (endpoint on [`NETMON`]) and a Prometheus scraping it
/// (and node_exporter too, if asked), every target up.
fn scraped_monitor(near: &Namespace, sandbox: &Sandbox, node_exporter: bool) -> Scraper {
    let monitor = near
        .netmon(
            sandbox,
            &["--interval", "0.5", "--quiet", "--listen", NETMON],
        )
        .spawn()
        .unwrap();
    let mut scraper = Scraper::start(near, node_exporter);
    scraper.monitor = Some(monitor);
    wait_until_targets_up(near, 1 + usize::from(node_exporter));
    scraper
}

/// A real Prometheus scrapes netmon in a namespace; after known traffic
/// over a veth pair, PromQL sees exactly the kernel's counter at rest.
#[test]
fn a_real_prometheus_sees_the_kernels_counters() {
    let (Some(near), Some(far)) = (Namespace::create("prom-a"), Namespace::create("prom-b")) else {
        return;
    };
    if !has_prometheus() {
        return;
    }
    near.veth_to(&far, "va", "vb", 91);
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    let mut scraper = scraped_monitor(&near, &sandbox, false);
    let before = near.statistic("va", "tx_bytes");
    iperf3(&far, &near, "10.91.0.2", &["-n", "20M"]);
    let after = near.statistic("va", "tx_bytes");
    assert!(after > before, "traffic crossed va: {before} -> {after}");
    // At rest, the value Prometheus scraped equals the kernel's counter
    // (read again each time: a connection's last segments may trail).
    let deadline = Instant::now() + Duration::from_secs(30);
    let query = "node_network_transmit_bytes_total{device=\"va\"}";
    loop {
        let kernel = near.statistic("va", "tx_bytes") as f64;
        let seen = vector(&near, query).values().next().copied();
        if seen == Some(kernel) && near.statistic("va", "tx_bytes") as f64 == kernel {
            assert!(kernel >= after as f64);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "PromQL {query} = {seen:?}, kernel tx_bytes = {kernel}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let stored = vector(&near, "netmon_samples_stored_total");
    assert!(stored.values().all(|&v| v > 0.0), "{stored:?}");
    scraper.stop_monitor();
}

/// netmon and node_exporter (reading /proc/net/dev) in one namespace,
/// scraped by one Prometheus: every node_network_*_total family, device
/// and value is the same in both at rest.
#[test]
fn every_netdev_family_and_value_equals_node_exporters() {
    let (Some(near), Some(far)) = (Namespace::create("parity-a"), Namespace::create("parity-b"))
    else {
        return;
    };
    if !has_prometheus()
        || !require(
            has_program("prometheus-node-exporter"),
            "prometheus-node-exporter is not installed (.ci/run installs it)",
        )
    {
        return;
    }
    near.veth_to(&far, "pa", "pb", 92);
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    let mut scraper = scraped_monitor(&near, &sandbox, true);
    iperf3(&far, &near, "10.92.0.2", &["-n", "5M"]);
    let expr = "{__name__=~\"node_network_.+_total\"}";
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = vector(&near, expr);
        let of = |job: &str| -> BTreeMap<(String, String), f64> {
            all.iter()
                .filter(|((_, _, j), _)| j == job)
                .map(|((name, device, _), value)| ((name.clone(), device.clone()), *value))
                .collect()
        };
        let (node, netmon) = (of("node"), of("netmon"));
        let families: std::collections::BTreeSet<&String> =
            node.keys().map(|(name, _)| name).collect();
        if node == netmon && families.len() == 16 && node.keys().any(|(_, d)| d == "pa") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node_exporter and netmon differ:\nnode: {node:?}\nnetmon: {netmon:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    scraper.stop_monitor();
}

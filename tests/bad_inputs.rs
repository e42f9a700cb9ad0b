//! Table-driven: every bad flag, config shape, value, regex, path, env
//! override and database file gets a one-line error, the right exit code,
//! and nothing written.

mod common;

use common::*;
use std::fs;

struct Case {
    name: &'static str,
    args: &'static [&'static str],
    config: &'static str,
    env: &'static [(&'static str, &'static str)],
    setup: fn(&Sandbox),
    code: i32,
    message: &'static str,
}

const BASE: &str = "proc_net_dev: dev.txt\n";

/// `if0,if1,...,if4999`.
const FIVE_THOUSAND_NAMES: &str = include_str!("fixtures/five_thousand_names.txt");

fn none(_: &Sandbox) {}

fn text_as_database(s: &Sandbox) {
    s.write("data/network_activity.db", "id,name\n1,not a database\n");
}

fn foreign_database(s: &Sandbox) {
    fs::create_dir_all(s.path("data")).unwrap();
    let db = rusqlite::Connection::open(s.db_path()).unwrap();
    db.execute_batch(
        "CREATE TABLE invoices (id INTEGER, total REAL); INSERT INTO invoices VALUES (1, 9.5);",
    )
    .unwrap();
}

fn truncated_database(s: &Sandbox) {
    foreign_database(s);
    let db = rusqlite::Connection::open(s.path("data/full.db")).unwrap();
    db.execute_batch(
        "CREATE TABLE network_stats (x); INSERT INTO network_stats VALUES (randomblob(100000));",
    )
    .unwrap();
    drop(db);
    let bytes = fs::read(s.path("data/full.db")).unwrap();
    fs::write(s.db_path(), &bytes[..5000]).unwrap();
    fs::remove_file(s.path("data/full.db")).unwrap();
}

fn directory_as_database(s: &Sandbox) {
    fs::create_dir_all(s.db_path()).unwrap();
}

fn file_as_parent(s: &Sandbox) {
    s.write("blocker", "x");
}

fn garbage_counters(s: &Sandbox) {
    s.write("dev.txt", "Inter-|\n face |\n eth0: 1 2 three\n");
}

fn bad_dotenv(s: &Sandbox) {
    s.write(".env", "NETMON_MONITORING_INTERVAL=0\n");
}

fn config_directory(s: &Sandbox) {
    fs::create_dir_all(s.path("confdir")).unwrap();
}

fn fifo_as_database(s: &Sandbox) {
    fs::create_dir_all(s.path("data")).unwrap();
    nix::unistd::mkfifo(&s.db_path(), nix::sys::stat::Mode::S_IRWXU).unwrap();
}

fn fifo_as_counters(s: &Sandbox) {
    fs::remove_file(s.path("dev.txt")).unwrap();
    nix::unistd::mkfifo(&s.path("dev.txt"), nix::sys::stat::Mode::S_IRWXU).unwrap();
}

fn syntax_error_in_dotenv(s: &Sandbox) {
    s.write(
        ".env",
        "NETMON_MONITORING_INTERVAL=5\nthis is not an assignment\n",
    );
}

fn huge_config(s: &Sandbox) {
    // A 2 MiB regular expression: refused by size before it is parsed.
    let pattern = "a".repeat(2 << 20);
    s.write(
        "config.yaml",
        &format!("exclude_interfaces: ['{pattern}']\n"),
    );
}

fn long_pattern(s: &Sandbox) {
    let pattern = "(a|b)".repeat(400);
    s.write(
        "config.yaml",
        &format!("proc_net_dev: dev.txt\nexclude_interfaces: ['{pattern}']\n"),
    );
}

fn one_cycle_stored(s: &Sandbox) {
    assert_eq!(s.run(&["--once", "--quiet"]).status.code(), Some(0));
}

fn empty_database_file(s: &Sandbox) {
    s.write("data/network_activity.db", "");
}

fn many_interfaces(s: &Sandbox) {
    let names: Vec<String> = (0..5000).map(|i| format!("if{i}")).collect();
    s.write(
        "config.yaml",
        &format!(
            "proc_net_dev: dev.txt\ninterfaces: [{}]\n",
            names.join(", ")
        ),
    );
}

const CASES: &[Case] = &[
    Case {
        name: "missing -c file",
        args: &["-c", "nope.yaml"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "nope.yaml: no such file",
    },
    Case {
        name: "-c is a directory",
        args: &["-c", "confdir"],
        config: BASE,
        env: &[],
        setup: config_directory,
        code: 2,
        message: "not a regular file",
    },
    Case {
        name: "YAML syntax error",
        args: &[],
        config: "monitoring_interval: [1\n",
        env: &[],
        setup: none,
        code: 2,
        message: "config.yaml:",
    },
    Case {
        name: "unknown key",
        args: &[],
        config: "monitorin_interval: 5\n",
        env: &[],
        setup: none,
        code: 2,
        message: "unknown field `monitorin_interval`",
    },
    Case {
        name: "unknown nested key",
        args: &[],
        config: "logging:\n  levle: INFO\n",
        env: &[],
        setup: none,
        code: 2,
        message: "unknown field `levle`",
    },
    Case {
        name: "config is a list",
        args: &[],
        config: "- a\n- b\n",
        env: &[],
        setup: none,
        code: 2,
        message: "config.yaml:",
    },
    Case {
        name: "interfaces as a string",
        args: &[],
        config: "interfaces: eth0\n",
        env: &[],
        setup: none,
        code: 2,
        message: "interfaces",
    },
    Case {
        name: "boolean option not a boolean",
        args: &[],
        config: "options:\n  track_total: maybe\n",
        env: &[],
        setup: none,
        code: 2,
        message: "track_total",
    },
    Case {
        name: "negative retention",
        args: &[],
        config: "database:\n  retention_days: -1\n",
        env: &[],
        setup: none,
        code: 2,
        message: "retention_days",
    },
    Case {
        name: "interval 0 flag",
        args: &["--interval", "0", "--once"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "--interval 0: the interval must be",
    },
    Case {
        name: "interval -1 flag",
        args: &["--interval", "-1"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "--interval -1",
    },
    Case {
        name: "interval not a number",
        args: &["--interval", "abc"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "invalid value 'abc'",
    },
    Case {
        name: "interval 0 in config",
        args: &[],
        config: "monitoring_interval: 0\n",
        env: &[],
        setup: none,
        code: 2,
        message: "monitoring_interval: the interval must be",
    },
    Case {
        name: "bad regex",
        args: &[],
        config: "exclude_interfaces: ['(eth']\n",
        env: &[],
        setup: none,
        code: 2,
        message: "invalid regular expression \"(eth\"",
    },
    Case {
        name: "bad level",
        args: &[],
        config: "logging:\n  level: LOUD\n",
        env: &[],
        setup: none,
        code: 2,
        message: "unknown log level \"LOUD\"",
    },
    Case {
        name: "tiny max_bytes",
        args: &[],
        config: "logging:\n  max_bytes: 10\n",
        env: &[],
        setup: none,
        code: 2,
        message: "logging.max_bytes",
    },
    Case {
        name: "bad collector",
        args: &[],
        config: "collector: magic\n",
        env: &[],
        setup: none,
        code: 2,
        message: "unknown collector \"magic\"",
    },
    Case {
        name: "spike guard 0",
        args: &[],
        config: "max_bandwidth_mbit: 0\n",
        env: &[],
        setup: none,
        code: 2,
        message: "max_bandwidth_mbit",
    },
    Case {
        name: "missing proc_net_dev",
        args: &["--once"],
        config: "proc_net_dev: nothere.txt\n",
        env: &[],
        setup: none,
        code: 2,
        message: "nothere.txt",
    },
    Case {
        name: "garbage proc_net_dev",
        args: &["--once"],
        config: BASE,
        env: &[],
        setup: garbage_counters,
        code: 2,
        message: "line 3: counter \"three\" is not an unsigned integer",
    },
    Case {
        name: "text file as database",
        args: &["--once"],
        config: BASE,
        env: &[],
        setup: text_as_database,
        code: 2,
        message: "will not touch it",
    },
    Case {
        name: "foreign SQLite database",
        args: &["--once"],
        config: BASE,
        env: &[],
        setup: foreign_database,
        code: 2,
        message: "something else (tables: invoices)",
    },
    Case {
        name: "truncated SQLite file",
        args: &["--once"],
        config: BASE,
        env: &[],
        setup: truncated_database,
        code: 2,
        message: "will not touch it",
    },
    Case {
        name: "directory as database",
        args: &["--once"],
        config: BASE,
        env: &[],
        setup: directory_as_database,
        code: 2,
        message: "is a directory",
    },
    Case {
        name: "database under a file",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\ndatabase_file: blocker/x.db\n",
        env: &[],
        setup: file_as_parent,
        code: 2,
        message: "is not a directory",
    },
    Case {
        name: "database in /proc",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\ndatabase_file: /proc/netmon-test/x.db\n",
        env: &[],
        setup: none,
        code: 2,
        message: "/proc",
    },
    Case {
        name: "log file under a file",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\nlogging:\n  file: blocker/x.log\n",
        env: &[],
        setup: file_as_parent,
        code: 2,
        message: "logging.file",
    },
    Case {
        name: "unknown flag",
        args: &["--bogus"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "unexpected argument '--bogus'",
    },
    Case {
        name: "count 0",
        args: &["--count", "0"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "--count",
    },
    Case {
        name: "once with count",
        args: &["--once", "--count", "3"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "cannot be used with",
    },
    Case {
        name: "audit with a summary's view",
        args: &["--audit", "--by", "day"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "cannot be used with",
    },
    Case {
        name: "audit with an alert's option",
        args: &["--audit", "--estimate"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "cannot be used with",
    },
    Case {
        name: "audit as csv",
        args: &["--audit", "--format", "csv"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "--audit prints table or json",
    },
    Case {
        name: "audit and summary",
        args: &["--audit", "--summary"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "cannot be used with",
    },
    Case {
        name: "since without summary",
        args: &["--since", "24h"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "--summary",
    },
    Case {
        name: "bad since",
        args: &["--summary", "--since", "yesterday"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "--since: \"yesterday\" is not a time",
    },
    Case {
        name: "until all",
        args: &["--summary", "--until", "all"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "--until: \"all\" is not a time",
    },
    Case {
        name: "since after until",
        args: &[
            "--summary",
            "--since",
            "2026-11-02",
            "--until",
            "2026-11-01",
        ],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "--since \"2026-11-02\" (2026-11-02T00:00:00+00:00) must be earlier than --until \"2026-11-01\"",
    },
    Case {
        name: "bad format",
        args: &["--summary", "--format", "xml"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "invalid value 'xml'",
    },
    Case {
        name: "bad period",
        args: &["--summary", "--by", "fortnight"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "invalid value 'fortnight'",
    },
    Case {
        name: "env interval not a number",
        args: &[],
        config: BASE,
        env: &[("NETMON_MONITORING_INTERVAL", "abc")],
        setup: none,
        code: 2,
        message: "NETMON_MONITORING_INTERVAL=\"abc\": not a number",
    },
    Case {
        name: "env unknown NETMON_ variable",
        args: &[],
        config: BASE,
        env: &[("NETMON_INTERVAL", "5")],
        setup: none,
        code: 2,
        message: "NETMON_INTERVAL is not one netmon knows",
    },
    Case {
        name: "env bad LOG_LEVEL",
        args: &[],
        config: BASE,
        env: &[("LOG_LEVEL", "chatty")],
        setup: none,
        code: 2,
        message: "LOG_LEVEL=\"chatty\"",
    },
    Case {
        name: "env bad regex",
        args: &[],
        config: BASE,
        env: &[("NETMON_EXCLUDE_INTERFACES", "a,[b")],
        setup: none,
        code: 2,
        message: "NETMON_EXCLUDE_INTERFACES",
    },
    Case {
        name: ".env interval 0",
        args: &[],
        config: BASE,
        env: &[],
        setup: bad_dotenv,
        code: 2,
        message: "NETMON_MONITORING_INTERVAL=\"0\"",
    },
    Case {
        name: "multi-byte unit in --since",
        args: &["--summary", "--since", "5\u{b5}"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "--since: \"5\u{b5}\" is not a time",
    },
    Case {
        name: "multi-byte --until",
        args: &["--summary", "--until", "\u{e9}"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "--until: \"\u{e9}\" is not a time",
    },
    Case {
        name: "--since too far back",
        args: &["--summary", "--since", "300000y"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "--since: \"300000y\" is out of range",
    },
    Case {
        name: "retention of 97 million days",
        args: &["--count", "1"],
        config: "proc_net_dev: dev.txt\ndatabase:\n  retention_days: 97000000\n",
        env: &[],
        setup: none,
        code: 2,
        message: "database.retention_days: at most 36500 days",
    },
    Case {
        name: "rollup retention of u32::MAX days",
        args: &["--count", "1"],
        config: "proc_net_dev: dev.txt\ndatabase:\n  rollup_retention_days: 4294967295\n",
        env: &[],
        setup: none,
        code: 2,
        message: "database.rollup_retention_days: at most 36500 days",
    },
    Case {
        name: "spike guard of 1e300 Mbit/s",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\nmax_bandwidth_mbit: 1e300\n",
        env: &[],
        setup: none,
        code: 2,
        message: "max_bandwidth_mbit: must be a number of Mbit/s above 0 and at most 1e9",
    },
    Case {
        name: "per-interface spike guard below 0",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\nper_interface:\n  eth0:\n    max_bandwidth_mbit: -3\n",
        env: &[],
        setup: none,
        code: 2,
        message: "per_interface.eth0.max_bandwidth_mbit: must be",
    },
    Case {
        name: "billing day 29",
        args: &["--summary"],
        config: "proc_net_dev: dev.txt\nbilling_day: 29\n",
        env: &[],
        setup: none,
        code: 2,
        message: "billing_day: must be a day of the month from 1 to 28",
    },
    Case {
        name: "per-interface billing day 0",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\nper_interface:\n  eth0:\n    billing_day: 0\n",
        env: &[],
        setup: none,
        code: 2,
        message: "per_interface.eth0.billing_day: must be a day of the month",
    },
    Case {
        name: "unknown per-interface key",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\nper_interface:\n  eth0:\n    max_bandwith_mbit: 10\n",
        env: &[],
        setup: none,
        code: 2,
        message: "unknown field `max_bandwith_mbit`",
    },
    Case {
        name: "FIFO as database (monitor)",
        args: &["--count", "1"],
        config: BASE,
        env: &[],
        setup: fifo_as_database,
        code: 2,
        message: "is a FIFO, not a regular file",
    },
    Case {
        name: "FIFO as database (summary)",
        args: &["--summary"],
        config: BASE,
        env: &[],
        setup: fifo_as_database,
        code: 2,
        message: "is a FIFO, not a regular file",
    },
    Case {
        name: "FIFO as counters",
        args: &["--once"],
        config: BASE,
        env: &[],
        setup: fifo_as_counters,
        code: 2,
        message: "proc_net_dev",
    },
    Case {
        name: "/dev/null as database (monitor)",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\ndatabase_file: /dev/null\n",
        env: &[],
        setup: none,
        code: 2,
        message: "database_file: /dev/null is a character device, not a regular file; name a regular file",
    },
    Case {
        name: "/dev/null as database (summary)",
        args: &["--summary"],
        config: "proc_net_dev: dev.txt\ndatabase_file: /dev/null\n",
        env: &[],
        setup: none,
        code: 2,
        message: "is a character device",
    },
    Case {
        name: "/dev/null as log file",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\nlogging:\n  file: /dev/null\n",
        env: &[],
        setup: none,
        code: 2,
        message: "logging.file: /dev/null is a character device",
    },
    Case {
        name: ".env syntax error",
        args: &["--once"],
        config: BASE,
        env: &[],
        setup: syntax_error_in_dotenv,
        code: 2,
        message: ".env: ",
    },
    Case {
        name: "regex containing a comma split by mistake",
        args: &["--once"],
        config: BASE,
        env: &[("NETMON_EXCLUDE_INTERFACES", "^veth.{1,3}$")],
        setup: none,
        code: 2,
        message: "a pattern with a comma must be written as a list: ['a', 'b']",
    },
    Case {
        name: "configuration file over 1 MiB",
        args: &["--once"],
        config: BASE,
        env: &[],
        setup: huge_config,
        code: 2,
        message: "larger than 1024 KiB",
    },
    Case {
        name: "exclude pattern over 1 KiB",
        args: &["--once"],
        config: BASE,
        env: &[],
        setup: long_pattern,
        code: 2,
        message: "bytes long; at most 1024",
    },
    Case {
        name: "5000 interfaces named",
        args: &["--once"],
        config: BASE,
        env: &[],
        setup: many_interfaces,
        code: 2,
        message: "names 5000 interfaces; at most 1024",
    },
    Case {
        name: "5000 interfaces from the environment",
        args: &["--once"],
        config: BASE,
        env: &[("NETMON_INTERFACES", FIVE_THOUSAND_NAMES)],
        setup: none,
        code: 2,
        message: "at most 1024",
    },
    Case {
        name: "interface name with a control character",
        args: &["--once", "--interfaces", "eth\u{1b}[31m"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "is not an interface name",
    },
    Case {
        name: "TZ naming no zone",
        args: &["--once"],
        config: BASE,
        env: &[("TZ", "Mars/Olympus")],
        setup: none,
        code: 2,
        message: "TZ=\"Mars/Olympus\" names no time zone",
    },
    Case {
        name: "log file is the database",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\nlogging:\n  file: data/network_activity.db\n",
        env: &[],
        setup: none,
        code: 2,
        message: "is the database file",
    },
    Case {
        name: "log file is the database's WAL",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\nlogging:\n  file: ./data/network_activity.db-wal\n",
        env: &[],
        setup: none,
        code: 2,
        message: "is the database's -wal file",
    },
    Case {
        name: "log file is the configuration",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\nlogging:\n  file: config.yaml\n",
        env: &[],
        setup: none,
        code: 2,
        message: "is the configuration file",
    },
    Case {
        name: "log file is the counters file",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\nlogging:\n  file: dev.txt\n",
        env: &[],
        setup: none,
        code: 2,
        message: "is the proc_net_dev file",
    },
    Case {
        name: "log file names a directory",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\nlogging:\n  file: l1/l2/\n",
        env: &[],
        setup: none,
        code: 2,
        message: "logging.file: ",
    },
    Case {
        name: "database file names a directory, from the environment",
        args: &["--once"],
        config: BASE,
        env: &[("NETMON_DATABASE_FILE", "new/sub/")],
        setup: none,
        code: 2,
        message: "NETMON_DATABASE_FILE",
    },
    Case {
        name: "--interval 1e308",
        args: &["--once", "--interval", "1e308"],
        config: BASE,
        env: &[],
        setup: none,
        code: 2,
        message: "got 1e308",
    },
    Case {
        name: "--since in the future",
        args: &["--summary", "--since", "9999-12-31"],
        config: BASE,
        env: &[],
        setup: one_cycle_stored,
        code: 2,
        message: "must be earlier than --until \"now\"",
    },
    Case {
        name: "per_interface settings for the _total row",
        args: &["--once"],
        config: "proc_net_dev: dev.txt\nper_interface:\n  _total:\n    billing_day: 5\n",
        env: &[],
        setup: none,
        code: 2,
        message: "per_interface: _total is the sum of the interfaces",
    },
    Case {
        name: "alert on an interface the database never stored",
        args: &["--summary", "--alert", "1", "--interfaces", "eht0"],
        config: BASE,
        env: &[],
        setup: one_cycle_stored,
        code: 2,
        message: "--interfaces \"eht0\": this database never stored an interface of that name",
    },
    Case {
        name: "summary of an empty database file",
        args: &["--summary"],
        config: BASE,
        env: &[],
        setup: empty_database_file,
        code: 1,
        message: "is empty: nothing collected yet",
    },
    Case {
        name: "summary of a missing database",
        args: &["--summary"],
        config: BASE,
        env: &[],
        setup: none,
        code: 1,
        message: "does not exist",
    },
];

#[test]
fn each_bad_input_is_one_clear_line_and_writes_nothing() {
    assert!(CASES.len() >= 30);
    for case in CASES {
        let sandbox = Sandbox::with_config(case.config);
        (case.setup)(&sandbox);
        let before = snapshot(&sandbox);
        let mut command = sandbox.command();
        command.args(case.args);
        for (key, value) in case.env {
            command.env(key, value);
        }
        let output = command.output().unwrap();
        let err = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(case.code),
            "{}: {err}",
            case.name
        );
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{}: not one line: {err}",
            case.name
        );
        assert!(err.starts_with("netmon: error: "), "{}: {err}", case.name);
        assert!(
            err.contains(case.message),
            "{}: expected {:?} in {err}",
            case.name,
            case.message
        );
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{}",
            case.name
        );
        assert!(
            stdout(&output).is_empty(),
            "{}: printed on stdout",
            case.name
        );
        assert_eq!(before, snapshot(&sandbox), "{}: files changed", case.name);
    }
}

/// Every file under the sandbox with its content, to prove nothing was written.
fn snapshot(sandbox: &Sandbox) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![sandbox.dir.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let kind = fs::symlink_metadata(&path).unwrap().file_type();
            if kind.is_dir() {
                files.push((path.display().to_string(), Vec::new()));
                stack.push(path);
            } else if !kind.is_file() {
                // A FIFO is never read here (it would block): its name counts.
                files.push((path.display().to_string(), b"special".to_vec()));
            } else {
                files.push((path.display().to_string(), fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

//! Unit tests for configuration merging and validation.

use super::*;
use std::fs;
use tempfile::TempDir;

struct Setup {
    dir: TempDir,
    env: Env,
}

impl Setup {
    fn new(config_yaml: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        if let Some(text) = config_yaml {
            fs::write(dir.path().join("config.yaml"), text).unwrap();
        }
        Setup {
            dir,
            env: Env::new(),
        }
    }

    fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    fn load(&self, cli: &Cli) -> Result<Config> {
        let system = self.dir.path().join("no-system-config.yaml");
        load(
            cli,
            &Context {
                cwd: self.dir.path(),
                env: &self.env,
                system_config: &system,
            },
        )
    }

    fn error(&self, cli: &Cli) -> String {
        let err = self.load(cli).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
        let text = err.to_string();
        assert!(!text.contains('\n'), "not one line: {text}");
        text
    }
}

#[test]
fn defaults_without_any_file() {
    let setup = Setup::new(None);
    let config = setup.load(&Cli::default()).unwrap();
    assert_eq!(config.config_file, None);
    assert_eq!(config.interval, 60.0);
    assert_eq!(
        config.database_file,
        setup.dir.path().join("data/network_activity.db")
    );
    assert_eq!(
        config.logging.file,
        Some(setup.dir.path().join("logs/network_monitor.log"))
    );
    assert_eq!(config.logging.level, tracing::Level::INFO);
    assert_eq!(config.exclude.len(), 2);
    assert_eq!(config.sample, SampleOptions::default());
    assert_eq!(config.retention_days, 30);
}

#[test]
fn precedence_flag_over_env_over_file() {
    let setup = Setup::new(Some("monitoring_interval: 10\ninterfaces: [a]\n"));
    assert_eq!(setup.load(&Cli::default()).unwrap().interval, 10.0);
    let setup = setup
        .env("NETMON_MONITORING_INTERVAL", "20")
        .env("NETMON_INTERFACES", "b, c");
    let config = setup.load(&Cli::default()).unwrap();
    assert_eq!(config.interval, 20.0);
    assert_eq!(config.interfaces, ["b", "c"]);
    let cli = Cli {
        interval: Some(0.5),
        interfaces: Some(vec!["d".into()]),
        ..Cli::default()
    };
    let config = setup.load(&cli).unwrap();
    assert_eq!(config.interval, 0.5);
    assert_eq!(config.interfaces, ["d"]);
}

#[test]
fn log_level_from_env_and_python_names() {
    let setup = Setup::new(Some("logging:\n  level: error\n")).env("LOG_LEVEL", "warning");
    assert_eq!(
        setup.load(&Cli::default()).unwrap().logging.level,
        tracing::Level::WARN
    );
    let setup = Setup::new(Some("logging:\n  level: Critical\n"));
    assert_eq!(
        setup.load(&Cli::default()).unwrap().logging.level,
        tracing::Level::ERROR
    );
}

#[test]
fn relative_paths_follow_their_source() {
    let setup = Setup::new(None);
    let sub = setup.dir.path().join("etc");
    fs::create_dir(&sub).unwrap();
    fs::write(
        sub.join("n.yaml"),
        "database_file: db/x.db\nlogging:\n  file: ''\n",
    )
    .unwrap();
    let cli = Cli {
        config: Some("etc/n.yaml".into()),
        ..Cli::default()
    };
    let config = setup.load(&cli).unwrap();
    assert_eq!(config.database_file, sub.join("db/x.db"));
    assert_eq!(config.logging.file, None);
    let setup = setup.env("NETMON_DATABASE_FILE", "env.db");
    let config = setup.load(&cli).unwrap();
    assert_eq!(config.database_file, setup.dir.path().join("env.db"));
}

#[test]
fn exclude_override_from_env_may_be_empty() {
    let setup = Setup::new(None).env("NETMON_EXCLUDE_INTERFACES", "");
    assert!(setup.load(&Cli::default()).unwrap().exclude.is_empty());
}

#[test]
fn each_bad_value_is_named() {
    /// (config.yaml, environment, --interval, expected message part)
    type Case<'a> = (
        Option<&'a str>,
        &'a [(&'a str, &'a str)],
        Option<f64>,
        &'a str,
    );
    let cases: &[Case] = &[
        (None, &[], Some(0.0), "--interval 0: the interval must be"),
        (None, &[], Some(-1.0), "--interval -1"),
        (None, &[], Some(f64::NAN), "--interval NaN"),
        (
            Some("monitoring_interval: 100000\n"),
            &[],
            None,
            "monitoring_interval: the interval",
        ),
        (
            None,
            &[("NETMON_MONITORING_INTERVAL", "abc")],
            None,
            "NETMON_MONITORING_INTERVAL=\"abc\": not a number",
        ),
        (
            None,
            &[("NETMON_INTERVAL", "5")],
            None,
            "NETMON_INTERVAL is not one netmon knows",
        ),
        (
            Some("exclude_interfaces: ['(']\n"),
            &[],
            None,
            "invalid regular expression \"(\": found open group without closing",
        ),
        (
            Some("logging:\n  level: LOUD\n"),
            &[],
            None,
            "unknown log level \"LOUD\"",
        ),
        (
            None,
            &[("LOG_LEVEL", "verbose")],
            None,
            "LOG_LEVEL=\"verbose\": unknown log level",
        ),
        (
            Some("collector: magic\n"),
            &[],
            None,
            "unknown collector \"magic\"",
        ),
        (
            Some("logging:\n  max_bytes: 10\n"),
            &[],
            None,
            "logging.max_bytes: must be from 1024",
        ),
        (
            Some("logging:\n  backup_count: 5000\n"),
            &[],
            None,
            "logging.backup_count",
        ),
        (
            Some("database:\n  max_pending_cycles: 0\n"),
            &[],
            None,
            "database.max_pending_cycles",
        ),
        (
            Some("max_bandwidth_mbit: -5\n"),
            &[],
            None,
            "max_bandwidth_mbit: must be",
        ),
        (
            Some("database_file: ''\n"),
            &[],
            None,
            "database_file: must name a database file",
        ),
        (
            Some("interfaces: ['eth 0']\n"),
            &[],
            None,
            "\"eth 0\" is not an interface name",
        ),
        (
            Some("monitoring_interval: [1]\n"),
            &[],
            None,
            "monitoring_interval",
        ),
        (Some("a: [\n"), &[], None, "config.yaml: "),
    ];
    for (yaml, env, interval, expected) in cases {
        let mut setup = Setup::new(*yaml);
        for (key, value) in env.iter() {
            setup = setup.env(key, value);
        }
        let cli = Cli {
            interval: *interval,
            ..Cli::default()
        };
        let message = setup.error(&cli);
        assert!(
            message.contains(expected),
            "expected {expected:?} in {message:?}"
        );
    }
}

#[test]
fn unusable_paths_are_refused_before_anything_is_created() {
    let setup = Setup::new(None);
    fs::write(setup.dir.path().join("plain"), "x").unwrap();
    fs::create_dir(setup.dir.path().join("adir")).unwrap();
    let check = |setup: &Setup| {
        let err = setup
            .load(&Cli::default())
            .unwrap()
            .check_writable_paths()
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        err.to_string()
    };
    let setup = setup.env("NETMON_DATABASE_FILE", "plain/sub/x.db");
    let message = check(&setup);
    assert!(
        message.contains("NETMON_DATABASE_FILE") && message.contains("is not a directory"),
        "{message}"
    );
    let setup = Setup::new(None).env("NETMON_DATABASE_FILE", ".");
    assert!(check(&setup).contains("is a directory"));
    assert!(!setup.dir.path().join("data").exists());
}

#[test]
fn describe_mentions_the_essentials() {
    let setup = Setup::new(None);
    let text = setup.load(&Cli::default()).unwrap().describe();
    assert!(text.contains("interval=60s"), "{text}");
    assert!(text.contains("exclude=[^lo$, ^docker]"), "{text}");
}

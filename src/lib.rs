//! netmon: samples network interface counters into SQLite and reports on the
//! history. `run` is the whole program; `main.rs` only calls it.

pub mod boot;
pub mod calendar;
pub mod cli;
pub mod collector;
pub mod config;
pub mod counters;
pub mod episode;
pub mod error;
pub mod fsutil;
pub mod ifname;
pub mod live;
pub mod logging;
pub mod manual;
pub mod metrics;
pub mod monitor;
pub mod output;
pub mod provenance;
pub mod report;
pub mod resume;
pub mod sampler;
pub mod schedule;
pub mod select;
pub mod store;
#[cfg(feature = "synth")]
pub mod synth;
#[cfg(test)]
mod test_support;
pub mod wallclock;

use clap::Parser;
use cli::{Cli, Format};
use collector::{CounterSource, ProcfsSource, SysinfoSource};
use config::{CollectorKind, Config, Env};
use error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use store::Store;

/// Parses the process's arguments, runs netmon and returns the exit code
/// (0 success, 1 runtime failure, 2 usage or configuration error, 3 an
/// `--alert` limit exceeded, 4 `--audit` found bytes it cannot account for).
pub fn main_exit_code() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    match run(&cli) {
        Ok(()) => 0,
        Err(e @ (Error::AlertExceeded | Error::AuditUncertain)) => e.exit_code(),
        Err(e) => {
            eprintln!("netmon: error: {e}");
            e.exit_code()
        }
    }
}

/// Prints clap's help/version as usual, and usage errors as one line.
fn usage_error(error: &clap::Error) -> u8 {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return 0;
    }
    let rendered = error.to_string();
    let message: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.is_empty() && !line.starts_with("Usage:"))
        .collect();
    let message = message.join(" ");
    let message = message.trim_start_matches("error: ");
    eprintln!("netmon: error: {message}; run 'netmon --help' for usage");
    2
}

/// Runs netmon for already-parsed flags.
pub fn run(cli: &Cli) -> Result<()> {
    let printed = match (cli.completions, cli.manpage) {
        (Some(shell), _) => Some(manual::completions(shell, &mut std::io::stdout().lock())),
        (None, true) => Some(manual::manpage(&mut std::io::stdout().lock())),
        (None, false) => None,
    };
    if let Some(printed) = printed {
        return match printed {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(Error::runtime(format!("cannot write to stdout: {e}")))
            }
            _ => Ok(()),
        };
    }
    wallclock::check().map_err(Error::runtime)?;
    let cwd = std::env::current_dir()
        .map_err(|e| Error::runtime(format!("cannot read the working directory: {e}")))?;
    load_dotenv(&cwd)?;
    let env = environment()?;
    let system = Path::new(config::file::SYSTEM_CONFIG);
    let context = config::Context {
        cwd: &cwd,
        env: &env,
        system_config: system,
    };
    let config = config::load(cli, &context)?;
    if cli.summary {
        return summary(cli, &config);
    }
    if cli.audit {
        return audit(cli, &config);
    }
    if cli.live {
        return live(cli, &config);
    }
    monitor(cli, &config)
}

/// The process environment as text. A variable netmon reads whose value is
/// not UTF-8 is an error, never silently ignored.
fn environment() -> Result<Env> {
    let mut env = Env::new();
    for (key, value) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        match value.into_string() {
            Ok(value) => {
                env.insert(key.to_string(), value);
            }
            Err(_) if key.starts_with("NETMON_") || key == "LOG_LEVEL" => {
                return Err(Error::config(format!(
                    "environment variable {key} is not valid UTF-8; write bytes of an interface \
                     name that are not UTF-8 as \\xNN (e.g. x\\xff)"
                )))
            }
            Err(_) => {}
        }
    }
    Ok(env)
}

/// Loads `.env` from the working directory; variables already set win.
fn load_dotenv(cwd: &Path) -> Result<()> {
    let path = cwd.join(".env");
    if !path.exists() {
        return Ok(());
    }
    let text = config::read_limited(&path, config::MAX_CONFIG_BYTES)?;
    for (key, value) in parse_dotenv(&text, &path)? {
        if std::env::var_os(&key).is_none() {
            std::env::set_var(&key, &value);
        }
    }
    Ok(())
}

/// Longest value a `.env` variable may take once `${VAR}` references are
/// expanded: each line may double the text before it, so a 500-byte file
/// could otherwise ask for gigabytes.
pub const MAX_DOTENV_VALUE: usize = 64 * 1024;

/// Most `$` characters a `.env` file may hold: with [`MAX_DOTENV_VALUE`],
/// what expanding it can cost is bounded (16 MiB).
pub const MAX_DOTENV_REFERENCES: usize = 256;

/// The variables a `.env` file at `path` with this text sets, in order
/// (dotenvy's syntax: quoting, `export`, comments, `${VAR}` expansion). A
/// syntax error, a NUL byte (no environment variable can hold one) or a
/// value beyond [`MAX_DOTENV_VALUE`] is a usage error in one line naming
/// the file.
pub fn parse_dotenv(text: &str, path: &Path) -> Result<Vec<(String, String)>> {
    let fail = |what: String| {
        Error::config(format!(
            "{}: {}; fix or remove the file",
            path.display(),
            config::single_line(&what)
        ))
    };
    // Each `$` may expand to a value of up to MAX_DOTENV_VALUE bytes before
    // the value's size is checked: their number bounds what one line costs.
    let references = text.bytes().filter(|&b| b == b'$').count();
    if references > MAX_DOTENV_REFERENCES {
        return Err(fail(format!(
            "{references} `$` characters; at most {MAX_DOTENV_REFERENCES} (each may \
             expand to a whole variable)"
        )));
    }
    let mut variables = Vec::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        let (key, value) = item.map_err(|e| {
            fail(
                e.to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })?;
        if key.contains('\0') || value.contains('\0') {
            return Err(fail(format!(
                "{key:?} holds a NUL byte, which no environment variable can"
            )));
        }
        if value.len() > MAX_DOTENV_VALUE {
            return Err(fail(format!(
                "{key:?} expands to more than {} KiB",
                MAX_DOTENV_VALUE / 1024
            )));
        }
        variables.push((key, value));
    }
    Ok(variables)
}

/// The configured counter source, checked by one read (a failure is a
/// usage error). `quiet`: for a second reader of the same file (the
/// metrics endpoint), which leaves logging skipped lines to the first.
fn open_source(config: &Config, quiet: bool) -> Result<Box<dyn CounterSource + Send>> {
    match config.collector {
        CollectorKind::Procfs => {
            let path = &config.proc_net_dev;
            fsutil::check_regular(path)
                .map_err(|e| Error::config(format!("proc_net_dev {}: {e}", path.display())))?;
            // Checked by a source of its own: the one returned logs its
            // first skipped line when it reads it, after logging started.
            ProcfsSource::new(path).quiet().read().map_err(|e| {
                Error::config(format!(
                    "proc_net_dev: {e}; set proc_net_dev to a readable /proc/net/dev-format file"
                ))
            })?;
            let source = ProcfsSource::new(path);
            Ok(Box::new(if quiet { source.quiet() } else { source }))
        }
        CollectorKind::Sysinfo => Ok(Box::new(SysinfoSource::new())),
    }
}

fn monitor(cli: &Cli, config: &Config) -> Result<()> {
    let database = &config.database_file;
    config.check_writable_paths()?;
    if database.exists() {
        store::schema::inspect(database).map_err(Error::config)?;
    }
    // The zone a new database's days are cut in: a TZ that names none is a
    // usage error found before anything is created.
    calendar::Calendar::system().map_err(|e| {
        Error::config(match std::env::var("TZ") {
            Ok(tz) => format!(
                "TZ={:?} names no time zone this system knows; set TZ to a name under \
                 /usr/share/zoneinfo such as Europe/Berlin, or unset it",
                tz.chars().take(80).collect::<String>()
            ),
            Err(_) => e,
        })
    })?;
    let source = open_source(config, false)?;
    // Bound before anything is written: an address in use stops netmon here.
    let listener = match config.metrics_listen.filter(|_| !cli.once) {
        Some(address) => Some(metrics::bind(address).map_err(|e| {
            Error::runtime(format!(
                "{}: cannot listen on {address}: {e}; choose another address or stop what listens there",
                config.metrics_origin
            ))
        })?),
        None => None,
    };
    let signals = monitor::signal_channel()?;
    // The log file is created with its first line; the database is the
    // first file created, and a path that cannot be created is still a
    // usage error with nothing written.
    let log = logging::init(&config.logging);
    let store = Store::open_as(
        database,
        monitor::write_wait(config),
        config.database_access,
    )
    .map_err(|e| match e {
        store::StoreError::Refused(_) | store::StoreError::Create { .. } => Error::config(e),
        e => Error::runtime(e),
    })?
    .with_raw_counts(config.sample.store_raw_counts);
    tracing::info!(
        "netmon {} starting ({} collector): {}; days and months in {}",
        env!("CARGO_PKG_VERSION"),
        source.name(),
        config.describe(),
        store.calendar().describe(wallclock::now())
    );
    if config.collector == CollectorKind::Sysinfo {
        tracing::warn!(
            "collector sysinfo records drop counters as 0 (sysinfo does not expose them)"
        );
    }
    let server = match listener {
        Some(listener) => {
            let exporter = metrics::Exporter::new(
                open_source(config, true)?,
                select::Selection::new(config.interfaces.clone(), config.exclude.clone()),
                metrics::SharedStats::default(),
                database,
            )
            .with_billing(config.billing.clone());
            Some(
                metrics::MetricsServer::start(listener, exporter).map_err(|e| {
                    Error::runtime(format!("cannot start the metrics endpoint: {e}"))
                })?,
            )
        }
        None => None,
    };
    let options = monitor::RunOptions {
        samples: if cli.once { Some(1) } else { cli.count },
        detailed: cli.once,
        quiet: cli.quiet,
    };
    monitor::run(config, source, store, &log, &signals, &options, server)
}

/// `--live`: rates now, from the configured counter source and selection;
/// logs on stderr only, writes nothing.
fn live(cli: &Cli, config: &Config) -> Result<()> {
    let style = match cli.format {
        Format::Json => live::Style::Json,
        Format::Csv | Format::Svg => {
            return Err(Error::config(
                "--format csv/svg: --live prints table or json (one object per line)",
            ))
        }
        Format::Table if std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
            live::Style::InPlace
        }
        Format::Table => live::Style::Plain,
    };
    let source = open_source(config, false)?;
    let signals = monitor::signal_channel()?;
    let _log = logging::init(&config::LogSettings {
        file: None,
        ..config.logging.clone()
    });
    let options = live::LiveOptions {
        interval: cli.interval.unwrap_or(1.0),
        count: cli.count,
        style,
    };
    let selection = select::Selection::new(config.interfaces.clone(), config.exclude.clone());
    match live::run(source, selection, &signals, &options) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::runtime(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// `--summary --alert`: the current period of each selected interface
/// (default `_total`) against `limit`; exit 3 when any is over it.
fn alert(cli: &Cli, config: &Config, limit: u64) -> Result<()> {
    let database = &config.database_file;
    let opened = report::open_read_only(database)?;
    let failed = |e: &dyn std::fmt::Display| {
        Error::runtime(format!("cannot read {}: {e}", database.display()))
    };
    let calendar = store::read_calendar(&opened.conn).map_err(|e| failed(&e))?;
    let alert = report::alert::Alert {
        limit,
        period: cli.by.unwrap_or(cli::Period::Month),
        direction: cli.direction,
        estimate: cli.estimate,
    };
    let now = wallclock::now();
    let current = report::current::current_periods(
        &opened.history(),
        &calendar,
        alert.period,
        &config.billing,
        now,
    )
    .map_err(|e| failed(&e))?;
    let interfaces = if config.interfaces.is_empty() {
        vec![sampler::TOTAL_INTERFACE.to_string()]
    } else {
        report::alert::check_known(&opened.history(), &config.interfaces).map_err(Error::config)?;
        config.interfaces.clone()
    };
    let periods = report::period::Periods {
        period: alert.period,
        billing_day: config.billing.default,
    };
    let start = periods.floor(&calendar, now);
    let empty = (start, periods.next(&calendar, start));
    let verdicts = alert.judge(&interfaces, &current, &calendar, empty);
    let mut out = std::io::stdout().lock();
    let written = match cli.format {
        Format::Table => report::alert::table(&mut out, &alert, &verdicts),
        Format::Json => report::alert::json(&mut out, &alert, &verdicts),
        Format::Csv | Format::Svg => report::alert::csv(&mut out, &verdicts),
    };
    if let Err(e) = written.and_then(|()| std::io::Write::flush(&mut out)) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(Error::runtime(format!("cannot write the alert: {e}")));
        }
    }
    if verdicts.iter().any(|v| v.exceeded) {
        Err(Error::AlertExceeded)
    } else {
        Ok(())
    }
}

/// `--audit`: how each selected interface's total over the window was
/// obtained; exit 4 when some bytes are not accounted for.
fn audit(cli: &Cli, config: &Config) -> Result<()> {
    if matches!(cli.format, Format::Csv | Format::Svg) {
        return Err(Error::config(
            "--format csv/svg: --audit prints table or json",
        ));
    }
    let now = wallclock::now();
    report::window::validate(cli.since.as_deref(), cli.until.as_deref(), now)
        .map_err(Error::config)?;
    let database = &config.database_file;
    let opened = report::open_read_only(database)?;
    let failed = |e: &dyn std::fmt::Display| {
        Error::runtime(format!("cannot read {}: {e}", database.display()))
    };
    let calendar = store::read_calendar(&opened.conn).map_err(|e| failed(&e))?;
    let (since, until) = report::window::resolve(
        cli.since.as_deref(),
        cli.until.as_deref(),
        None,
        now,
        &calendar,
    )
    .map_err(Error::config)?;
    let query = report::audit::AuditQuery {
        calendar,
        since,
        until,
        interfaces: config.interfaces.clone(),
        now,
    };
    let audit =
        report::audit::build(&opened.history(), database, &query).map_err(|e| failed(&e))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match cli.format {
        Format::Json => report::audit::render::json(&mut out, &audit),
        _ => report::audit::render::table(&mut out, &audit),
    }
    .and_then(|()| std::io::Write::flush(&mut out));
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(Error::runtime(format!("cannot write the audit: {e}")));
        }
    }
    if audit.accounted() {
        Ok(())
    } else {
        Err(Error::AuditUncertain)
    }
}

/// Attempts at a consistent read of a database that a monitor may start
/// writing while it is read.
const SUMMARY_ATTEMPTS: usize = 3;

fn summary(cli: &Cli, config: &Config) -> Result<()> {
    if cli.format == Format::Svg && (cli.by.is_none() || cli.alert.is_some()) {
        return Err(Error::config(
            "--format svg draws periods: add --by hour|day|week|month|year (and no --alert)",
        ));
    }
    if let Some(size) = &cli.alert {
        let limit = report::alert::parse_limit(size).map_err(Error::config)?;
        return alert(cli, config, limit);
    }
    if cli.format == Format::Csv && cli.by.is_some() && cli.top.is_some() {
        return Err(Error::config(
            "--format csv prints either --by periods or --top days: drop one, or use --format json",
        ));
    }
    report::window::validate(cli.since.as_deref(), cli.until.as_deref(), wallclock::now())
        .map_err(Error::config)?;
    let database: PathBuf = config.database_file.clone();
    let mut attempt = 0;
    let report = loop {
        attempt += 1;
        let opened = report::open_read_only(&database)?;
        let calendar = store::read_calendar(&opened.conn)
            .map_err(|e| Error::runtime(format!("database {}: {e}", database.display())))?;
        let (since, until) = report::window::resolve(
            cli.since.as_deref(),
            cli.until.as_deref(),
            cli.by.map(|period| report::period::Periods {
                period,
                billing_day: config.billing.default,
            }),
            wallclock::now(),
            &calendar,
        )
        .map_err(Error::config)?;
        let query = report::Query {
            calendar,
            since,
            until,
            interfaces: config.interfaces.clone(),
            by: cli.by,
            billing: config.billing.clone(),
            top: cli.top.map(|n| n as usize),
            estimate_at: Some(wallclock::now()),
            percentile: cli.percentile,
        };
        let report = report::build(&opened.history(), &database, &query)
            .map_err(|e| Error::runtime(format!("cannot read {}: {e}", database.display())))?;
        if opened.still_valid() || attempt == SUMMARY_ATTEMPTS {
            break report;
        }
    };
    // Buffered: a --by day report over a year is thousands of lines.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match cli.format {
        Format::Table if report.total_records == 0 => writeln!(
            out,
            "database {} has no samples yet; run netmon to collect some",
            database.display()
        ),
        Format::Table => report::render::table(&mut out, &report),
        Format::Json => report::render::json(&mut out, &report),
        Format::Csv => report::render::csv(&mut out, &report),
        Format::Svg => {
            let host = nix::unistd::gethostname()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|_| "this host".into());
            let period = cli.by.unwrap_or(cli::Period::Day);
            let chart = report::chart::svg(&report, period, &host)
                .map_err(|e| Error::runtime(format!("cannot draw the chart: {e}")))?;
            std::io::Write::write_all(&mut out, chart.as_bytes())
        }
    }
    .and_then(|()| std::io::Write::flush(&mut out));
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::runtime(format!("cannot write the report: {e}")))
        }
        _ => Ok(()),
    }
}

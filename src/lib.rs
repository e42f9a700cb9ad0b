//! netmon: samples network interface counters into SQLite and reports on the
//! history. `run` is the whole program; `main.rs` only calls it.

pub mod cli;
pub mod collector;
pub mod config;
pub mod counters;
pub mod error;
pub mod fsutil;
pub mod logging;
pub mod monitor;
pub mod output;
pub mod report;
pub mod sampler;
pub mod schedule;
pub mod select;
pub mod store;
pub mod synth;

use clap::Parser;
use cli::{Cli, Format};
use collector::{CounterSource, ProcfsSource, SysinfoSource};
use config::{CollectorKind, Config, Env};
use error::{Error, Result};
use std::path::{Path, PathBuf};
use store::lock::MonitorLock;
use store::Store;

/// Parses the process's arguments, runs netmon and returns the exit code
/// (0 success, 1 runtime failure, 2 usage or configuration error).
pub fn main_exit_code() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    match run(&cli) {
        Ok(()) => 0,
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
    let cwd = std::env::current_dir()
        .map_err(|e| Error::runtime(format!("cannot read the working directory: {e}")))?;
    load_dotenv(&cwd)?;
    let env: Env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
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
    monitor(cli, &config)
}

/// Loads `.env` from the working directory; variables already set win.
fn load_dotenv(cwd: &Path) -> Result<()> {
    let path = cwd.join(".env");
    if !path.exists() {
        return Ok(());
    }
    dotenvy::from_path(&path)
        .map_err(|e| Error::config(format!("{}: {e}; fix or remove the file", path.display())))
}

fn open_source(config: &Config) -> Result<Box<dyn CounterSource>> {
    match config.collector {
        CollectorKind::Procfs => {
            let mut source = ProcfsSource::new(&config.proc_net_dev);
            source.read().map_err(|e| {
                Error::config(format!(
                    "proc_net_dev: {e}; set proc_net_dev to a readable /proc/net/dev-format file"
                ))
            })?;
            Ok(Box::new(source))
        }
        CollectorKind::Sysinfo => Ok(Box::new(SysinfoSource::new())),
    }
}

fn monitor(cli: &Cli, config: &Config) -> Result<()> {
    config.check_writable_paths()?;
    let database = &config.database_file;
    if database.exists() {
        store::schema::inspect(database).map_err(Error::config)?;
    }
    let source = open_source(config)?;
    let signals = monitor::signal_channel()?;
    let _lock = MonitorLock::acquire(database)?;
    let log = logging::init(&config.logging)?;
    let store = Store::open(database, monitor::write_wait(config)).map_err(Error::runtime)?;
    tracing::info!(
        "netmon {} starting ({} collector): {}",
        env!("CARGO_PKG_VERSION"),
        source.name(),
        config.describe()
    );
    if config.collector == CollectorKind::Sysinfo {
        tracing::warn!(
            "collector sysinfo records drop counters as 0 (sysinfo does not expose them)"
        );
    }
    let options = monitor::RunOptions {
        samples: if cli.once { Some(1) } else { cli.count },
        detailed: cli.once,
        quiet: cli.quiet,
    };
    monitor::run(config, source, store, &log, &signals, &options)
}

fn summary(cli: &Cli, config: &Config) -> Result<()> {
    let (since, until) = report::window::resolve(
        cli.since.as_deref(),
        cli.until.as_deref(),
        cli.by,
        chrono::Utc::now(),
    )
    .map_err(Error::config)?;
    let query = report::Query {
        since,
        until,
        interfaces: config.interfaces.clone(),
        by: cli.by,
    };
    let database: PathBuf = config.database_file.clone();
    let conn = report::open_read_only(&database)?;
    let report = report::build(&conn, &database, &query)
        .map_err(|e| Error::runtime(format!("cannot read {}: {e}", database.display())))?;
    if report.total_records == 0 && cli.format == Format::Table {
        println!(
            "database {} has no samples yet; run netmon to collect some",
            database.display()
        );
        return Ok(());
    }
    // Buffered: a --by day report over a year is thousands of lines.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match cli.format {
        Format::Table => report::render::table(&mut out, &report),
        Format::Json => report::render::json(&mut out, &report),
        Format::Csv => report::render::csv(&mut out, &report),
    }
    .and_then(|()| std::io::Write::flush(&mut out));
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::runtime(format!("cannot write the report: {e}")))
        }
        _ => Ok(()),
    }
}

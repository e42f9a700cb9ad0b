//! The program: flags resolved into one [`Command`] (every combination
//! check is here), the configuration loaded, and the command run. The exit
//! code is chosen once, in [`main_exit_code`], where a closed stdout (a
//! broken pipe) is a success.

mod live;
mod monitor;
mod report;

use crate::cli::{Cli, Format};
use crate::config::{self, CollectorKind, Config};
use crate::manual;
use crate::report::{alert::parse_limit, window};
use crate::run::live::Style;
use crate::source::{CounterSource, ProcfsSource, SysinfoSource};
use crate::support::error::{Error, Result};
use crate::support::{fsutil, wallclock};
use clap::Parser;
use std::path::Path;

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
        Err(e) if e.is_broken_pipe() => 0,
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

/// What netmon was asked to do, once the flags are known to fit together
/// (`--completions` and `--manpage`, which read no configuration, are
/// printed before it is loaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    /// Sample into the database (the default; `--once`, `--count`).
    Monitor,
    /// `--live`: rates now, printed in this style.
    Live(Style),
    /// `--summary`: a report on the history.
    Summary,
    /// `--summary --alert SIZE`: the current period against a limit (bytes).
    Alert(u64),
    /// `--audit`: how each total was obtained.
    Audit,
}

impl Command {
    /// The command the flags ask for; a combination that cannot be honoured
    /// is a usage error naming what to change. Every such check is here
    /// (clap's declared conflicts and requirements aside). Called once the
    /// configuration is loaded, so a broken configuration is reported first,
    /// as it always was.
    pub(crate) fn resolve(cli: &Cli) -> Result<Command> {
        if cli.summary {
            if cli.format == Format::Svg && (cli.by.is_none() || cli.alert.is_some()) {
                return Err(Error::config(
                    "--format svg draws periods: add --by hour|day|week|month|year (and no --alert)",
                ));
            }
            if let Some(size) = &cli.alert {
                let limit = parse_limit(size).map_err(Error::config)?;
                return Ok(Command::Alert(limit));
            }
            if cli.format == Format::Csv && cli.by.is_some() && cli.top.is_some() {
                return Err(Error::config(
                    "--format csv prints either --by periods or --top days: drop one, or use --format json",
                ));
            }
            check_window(cli)?;
            return Ok(Command::Summary);
        }
        if cli.audit {
            if matches!(cli.format, Format::Csv | Format::Svg) {
                return Err(Error::config(
                    "--format csv/svg: --audit prints table or json",
                ));
            }
            check_window(cli)?;
            return Ok(Command::Audit);
        }
        if cli.live {
            return Ok(Command::Live(match cli.format {
                Format::Json => Style::Json,
                Format::Csv | Format::Svg => {
                    return Err(Error::config(
                        "--format csv/svg: --live prints table or json (one object per line)",
                    ))
                }
                Format::Table if std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
                    Style::InPlace
                }
                Format::Table => Style::Plain,
            }));
        }
        Ok(Command::Monitor)
    }
}

/// `--since`/`--until` that name no window (a start after the end, a start
/// in the future with no end) are usage errors.
fn check_window(cli: &Cli) -> Result<()> {
    window::validate(cli.since.as_deref(), cli.until.as_deref(), wallclock::now())
        .map_err(Error::config)
}

/// Runs netmon for already-parsed flags.
pub(crate) fn run(cli: &Cli) -> Result<()> {
    if let Some(shell) = cli.completions {
        return manual::completions(shell, &mut std::io::stdout().lock())
            .map_err(Error::write("to stdout"));
    }
    if cli.manpage {
        return manual::manpage(&mut std::io::stdout().lock()).map_err(Error::write("to stdout"));
    }
    wallclock::check().map_err(Error::runtime)?;
    let cwd = std::env::current_dir()
        .map_err(|e| Error::runtime(format!("cannot read the working directory: {e}")))?;
    let env = config::environment(&cwd)?;
    let context = config::Context {
        cwd: &cwd,
        env: &env,
        system_config: Path::new(config::file::SYSTEM_CONFIG),
    };
    let config = config::load(cli, &context)?;
    match Command::resolve(cli)? {
        Command::Monitor => monitor::start(cli, &config),
        Command::Live(style) => live::start(cli, &config, style),
        Command::Summary => report::summary(cli, &config),
        Command::Alert(limit) => report::alert(cli, &config, limit),
        Command::Audit => report::audit(cli, &config),
    }
}

/// Forwards the stop and reopen signals to the sampling loop.
fn signal_channel() -> Result<std::sync::mpsc::Receiver<crate::run::Signal>> {
    crate::run::signal_channel()
        .map_err(|e| Error::runtime(format!("cannot install signal handlers: {e}")))
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

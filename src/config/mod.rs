//! Effective configuration: the YAML file, `.env`/environment overrides and
//! flags merged (SPEC §2) and validated before anything touches the disk.
//! The keys are listed once, in `keys`; `layers` says how each kind of
//! value is read from each layer, `validate` checks the result.

pub(crate) mod dotenv;
pub(crate) mod env;
pub(crate) mod file;
mod invalid;
mod keys;
mod layers;
mod paths;
mod validate;

pub(crate) use dotenv::environment;
pub use dotenv::parse_dotenv;
pub(crate) use paths::read_limited;

use crate::cli::Cli;
use crate::sample::{SampleOptions, SpikeGuard};
use crate::support::error::Result;
use file::FileConfig;
use keys::Layers;
use regex_lite::Regex;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A snapshot of the process environment (name → value).
pub type Env = BTreeMap<String, String>;

/// Largest configuration file read (a real one is a few KiB).
pub(crate) const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Which counter source to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectorKind {
    /// Parse a `/proc/net/dev`-format file (Linux).
    Procfs,
    /// The portable sysinfo crate (no drop counters).
    Sysinfo,
}

/// Logging settings after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSettings {
    /// Most verbose level written.
    pub level: tracing::Level,
    /// Log file, if any (resolved path).
    pub file: Option<PathBuf>,
    /// Rotate the file at this size in bytes.
    pub max_bytes: u64,
    /// Rotated files kept.
    pub backup_count: u32,
}

/// The validated, effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The configuration file used, if any.
    pub config_file: Option<PathBuf>,
    /// Seconds between samples.
    pub interval: f64,
    /// Exact interface names to monitor; empty means all not excluded.
    pub interfaces: Vec<String>,
    /// Interfaces matching any of these are skipped unless named.
    pub exclude: Vec<Regex>,
    /// SQLite database path.
    pub database_file: PathBuf,
    /// Where `database_file` was set (for error messages).
    pub database_origin: String,
    /// Where `logging.file` was set (for error messages).
    pub log_origin: String,
    /// Counter source.
    pub collector: CollectorKind,
    /// Where the Prometheus endpoint listens while monitoring, if anywhere.
    pub metrics_listen: Option<SocketAddr>,
    /// Where `metrics_listen` was set (for error messages).
    pub metrics_origin: String,
    /// File the procfs collector reads.
    pub proc_net_dev: PathBuf,
    /// The opt-in spike guard (global and per-interface limits).
    pub spike_guard: SpikeGuard,
    /// Days of raw samples kept (0 = forever).
    pub retention_days: u32,
    /// Days of hourly rollups kept (0 = forever).
    pub rollup_retention_days: u32,
    /// Run retention at start.
    pub cleanup_on_startup: bool,
    /// Cycles queued in memory while the database cannot be written.
    pub max_pending_cycles: usize,
    /// Cycles written together in one transaction.
    pub flush_every: usize,
    /// The day each interface's months start on in reports.
    pub billing: crate::report::period::BillingDays,
    /// Who may read a database netmon creates.
    pub database_access: crate::support::fsutil::Access,
    /// What each cycle stores.
    pub sample: SampleOptions,
    /// Logging settings.
    pub logging: LogSettings,
}

/// What configuration loading may look at besides the flags.
pub struct Context<'a> {
    /// Working directory (for `./config.yaml`, `.env` and relative paths).
    pub cwd: &'a Path,
    /// Environment variables, `.env` already merged in.
    pub env: &'a Env,
    /// The system-wide configuration file, normally `/etc/netmon/config.yaml`.
    pub system_config: &'a Path,
}

/// Loads and validates the configuration for `cli` (SPEC §2 precedence:
/// flags > environment > file > defaults). Reads files, writes nothing.
pub(crate) fn load(cli: &Cli, context: &Context) -> Result<Config> {
    let config_file = file::locate(
        cli.config.as_deref(),
        context.cwd,
        context.env,
        context.system_config,
    )?;
    let text = match &config_file {
        Some(path) => Some(read_limited(path, MAX_CONFIG_BYTES)?),
        None => None,
    };
    from_text(cli, context, config_file, text.as_deref())
}

/// Builds the configuration from the text of `config_file` (already read;
/// `None` for defaults only) plus environment and flags. Touches no file.
pub fn from_text(
    cli: &Cli,
    context: &Context,
    config_file: Option<PathBuf>,
    text: Option<&str>,
) -> Result<Config> {
    let (parsed, base) = match (&config_file, text) {
        (Some(path), Some(text)) => {
            let base = path.parent().unwrap_or(context.cwd).to_path_buf();
            (file::parse(text, path)?, base)
        }
        _ => (FileConfig::default(), context.cwd.to_path_buf()),
    };
    let mut layers = Layers::from_file(&parsed, &base, |key| {
        file_origin(config_file.as_deref(), key)
    });
    if parsed.database_file.is_empty() {
        return Err(layers.database_file.fail("must name a database file"));
    }
    env::apply(&mut layers, context)?;
    layers::apply_flags(&mut layers, cli);
    validate::validate(layers, &parsed, &base, config_file)
}

/// Where a key of the file was set: `<file>: <key>`, or `default <key>`
/// when there is no file.
fn file_origin(config_file: Option<&Path>, key: &str) -> String {
    match config_file {
        Some(path) => format!("{}: {key}", path.display()),
        None => format!("default {key}"),
    }
}

/// Longest parser message quoted in an error (it may quote the file).
const MAX_MESSAGE_CHARS: usize = 1000;

/// A message quoting what a user wrote, on one line: the control characters a key or value
/// from the file may carry (a line break inside a quoted key) escaped
/// (`\n`), and at most [`MAX_MESSAGE_CHARS`] characters.
pub(crate) fn single_line(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MAX_MESSAGE_CHARS));
    for (shown, c) in message.chars().enumerate() {
        if shown == MAX_MESSAGE_CHARS {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl Config {
    /// A one-line description of the effective configuration, for the start log.
    pub fn describe(&self) -> String {
        let interfaces = if self.interfaces.is_empty() {
            "all".to_string()
        } else {
            self.interfaces.join(",")
        };
        let exclude: Vec<&str> = self.exclude.iter().map(Regex::as_str).collect();
        format!(
            "config={} interval={}s interfaces={} exclude=[{}] database={} retention_days={} log_level={} metrics_listen={}",
            self.config_file
                .as_ref()
                .map_or("(defaults)".into(), |p| p.display().to_string()),
            self.interval,
            interfaces,
            exclude.join(", "),
            self.database_file.display(),
            self.retention_days,
            self.logging.level,
            self.metrics_listen
                .map_or("off".into(), |address| address.to_string()),
        )
    }
}

#[cfg(test)]
mod tests;

//! Effective configuration: the YAML file, `.env`/environment overrides and
//! flags merged (SPEC §2) and validated before anything touches the disk.

pub mod env;
pub mod file;

use crate::cli::Cli;
use crate::error::{Error, Result};
use crate::sampler::{SampleOptions, SpikeGuard};
use file::FileConfig;
use regex_lite::{Regex, RegexBuilder};
use std::collections::BTreeMap;
use std::fmt::Display;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A snapshot of the process environment (name → value).
pub type Env = BTreeMap<String, String>;

/// Longest accepted sampling interval, in seconds (one day).
const MAX_INTERVAL_SECONDS: f64 = 86_400.0;
/// Shortest accepted sampling interval, in seconds.
const MIN_INTERVAL_SECONDS: f64 = 0.01;
/// Largest configuration file read (a real one is a few KiB).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// Most interfaces `interfaces` (or `per_interface`) may name.
const MAX_NAMED_INTERFACES: usize = 1024;
/// Longest interface name: 15 kernel bytes, each escaped as `\xNN` at most.
const MAX_NAME_CHARS: usize = 64;
/// Most exclude patterns.
const MAX_PATTERNS: usize = 256;
/// Longest exclude pattern, in bytes.
const MAX_PATTERN_BYTES: usize = 1024;
/// Compiled size limit of one exclude pattern.
const MAX_REGEX_BYTES: usize = 1 << 20;
/// Longest retention, in days (a century).
const MAX_RETENTION_DAYS: u32 = 36_500;
/// Most cycles written together (a day of 10 s cycles).
const MAX_FLUSH_EVERY: usize = 10_000;
/// Highest spike-guard limit, in Mbit/s (1 Pbit/s).
const MAX_BANDWIDTH_MBIT: f64 = 1e9;

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
    pub database_access: crate::fsutil::Access,
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

/// A value together with where it came from, for error messages.
struct Sourced<T> {
    value: T,
    origin: String,
}

impl<T> Sourced<T> {
    fn fail(&self, what: impl Display) -> Error {
        Error::config(format!("{}: {what}", self.origin))
    }
}

/// Every setting that an override can replace, tagged with its origin.
struct Layers {
    interval: Sourced<f64>,
    interfaces: Sourced<Vec<String>>,
    exclude: Sourced<Vec<String>>,
    database_file: Sourced<PathBuf>,
    collector: Sourced<String>,
    proc_net_dev: Sourced<PathBuf>,
    max_bandwidth_mbit: Sourced<Option<f64>>,
    metrics_listen: Sourced<String>,
    log_level: Sourced<String>,
}

/// Loads and validates the configuration for `cli` (SPEC §2 precedence:
/// flags > environment > file > defaults). Reads files, writes nothing.
pub fn load(cli: &Cli, context: &Context) -> Result<Config> {
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
    let file_origin = |key: &str| match &config_file {
        Some(path) => format!("{}: {key}", path.display()),
        None => format!("default {key}"),
    };
    let mut layers = Layers {
        interval: sourced(
            parsed.monitoring_interval,
            file_origin("monitoring_interval"),
        ),
        interfaces: sourced(parsed.interfaces.clone(), file_origin("interfaces")),
        exclude: sourced(
            parsed.exclude_interfaces.clone(),
            file_origin("exclude_interfaces"),
        ),
        database_file: sourced(
            base.join(&parsed.database_file),
            file_origin("database_file"),
        ),
        collector: sourced(parsed.collector.clone(), file_origin("collector")),
        proc_net_dev: sourced(base.join(&parsed.proc_net_dev), file_origin("proc_net_dev")),
        max_bandwidth_mbit: sourced(parsed.max_bandwidth_mbit, file_origin("max_bandwidth_mbit")),
        metrics_listen: sourced(parsed.metrics_listen.clone(), file_origin("metrics_listen")),
        log_level: sourced(parsed.logging.level.clone(), file_origin("logging.level")),
    };
    if parsed.database_file.is_empty() {
        return Err(layers.database_file.fail("must name a database file"));
    }
    env::apply(&mut layers, context)?;
    apply_flags(&mut layers, cli);
    build(layers, &parsed, &base, config_file)
}

/// Reads a text file of at most `limit` bytes; a bigger one is refused
/// before it is read (a configuration that asks for gigabytes is a mistake).
pub fn read_limited(path: &Path, limit: u64) -> Result<String> {
    let fail = |e: &dyn Display| Error::config(format!("{}: cannot read: {e}", path.display()));
    let mut bytes = Vec::new();
    let longer = crate::fsutil::open_regular(path)
        .and_then(|file| crate::fsutil::read_at_most(file, limit, &mut bytes))
        .map_err(|e| fail(&e))?;
    if longer {
        return Err(Error::config(format!(
            "{}: larger than {} KiB; a configuration file is a few KiB, check the path",
            path.display(),
            limit / 1024
        )));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        fail(&format!(
            "not UTF-8 text (byte {} is not valid)",
            e.utf8_error().valid_up_to()
        ))
    })?;
    // A byte order mark (editors on Windows write one) is not content.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

fn sourced<T>(value: T, origin: String) -> Sourced<T> {
    Sourced { value, origin }
}

fn apply_flags(layers: &mut Layers, cli: &Cli) {
    if let Some(interval) = cli.interval {
        layers.interval = sourced(interval, format!("--interval {}", shown(interval)));
    }
    if let Some(names) = &cli.interfaces {
        layers.interfaces = sourced(names.clone(), "--interfaces".into());
    }
    if let Some(address) = &cli.listen {
        layers.metrics_listen = sourced(address.clone(), format!("--listen {address:?}"));
    }
}

fn build(
    layers: Layers,
    parsed: &FileConfig,
    base: &Path,
    config_file: Option<PathBuf>,
) -> Result<Config> {
    let interval = &layers.interval;
    if !(interval.value.is_finite()
        && (MIN_INTERVAL_SECONDS..=MAX_INTERVAL_SECONDS).contains(&interval.value))
    {
        return Err(interval.fail(format!(
            "the interval must be a number of seconds from {MIN_INTERVAL_SECONDS} to {MAX_INTERVAL_SECONDS}, got {}",
            shown(interval.value)
        )));
    }
    let names = &layers.interfaces;
    check_names(names.value.iter(), |what| names.fail(what))?;
    let exclude = compile_patterns(&layers.exclude)?;
    let collector = match layers.collector.value.to_ascii_lowercase().as_str() {
        "auto" if cfg!(target_os = "linux") => CollectorKind::Procfs,
        "auto" | "sysinfo" => CollectorKind::Sysinfo,
        "procfs" => CollectorKind::Procfs,
        other => {
            return Err(layers.collector.fail(format!(
                "unknown collector {other:?}; use auto, procfs or sysinfo"
            )))
        }
    };
    let metrics_listen =
        parse_listen(&layers.metrics_listen.value).map_err(|e| layers.metrics_listen.fail(e))?;
    if let Some(limit) = layers.max_bandwidth_mbit.value {
        check_bandwidth(limit).map_err(|e| layers.max_bandwidth_mbit.fail(e))?;
    }
    let level = parse_level(&layers.log_level.value).ok_or_else(|| {
        layers.log_level.fail(format!(
            "unknown log level {:?}; use TRACE, DEBUG, INFO, WARNING, ERROR or CRITICAL",
            layers.log_level.value
        ))
    })?;
    let origin = |key: &str| match &config_file {
        Some(path) => format!("{}: {key}", path.display()),
        None => format!("default {key}"),
    };
    let logging = &parsed.logging;
    if !(1024..=1 << 40).contains(&logging.max_bytes) {
        return Err(Error::config(format!(
            "{}: must be from 1024 to 2^40 bytes, got {}",
            origin("logging.max_bytes"),
            logging.max_bytes
        )));
    }
    if logging.backup_count > 1000 {
        return Err(Error::config(format!(
            "{}: at most 1000 rotated files, got {}",
            origin("logging.backup_count"),
            logging.backup_count
        )));
    }
    let per_interface_origin = origin("per_interface");
    let per_interface_fail =
        |what: String| Error::config(format!("{per_interface_origin}: {what}"));
    check_names(parsed.per_interface.keys(), per_interface_fail)?;
    if parsed
        .per_interface
        .contains_key(crate::sampler::TOTAL_INTERFACE)
    {
        return Err(per_interface_fail(format!(
            "{0} is the sum of the interfaces and follows the global billing_day and \
             max_bandwidth_mbit; set those, or name a real interface called {0} as \\x5ftotal",
            crate::sampler::TOTAL_INTERFACE
        )));
    }
    let mut guard = SpikeGuard {
        default_mbit: layers.max_bandwidth_mbit.value,
        per_interface: Default::default(),
    };
    for (name, section) in &parsed.per_interface {
        if let Some(limit) = section.max_bandwidth_mbit {
            check_bandwidth(limit).map_err(|e| {
                Error::config(format!(
                    "{}.{name}.max_bandwidth_mbit: {e}",
                    per_interface_origin
                ))
            })?;
            guard.per_interface.insert(name.clone(), limit);
        }
    }
    let check_billing_day = |key: String, day: u32| {
        use crate::report::period::{MAX_BILLING_DAY, MIN_BILLING_DAY};
        if (MIN_BILLING_DAY..=MAX_BILLING_DAY).contains(&day) {
            Ok(day)
        } else {
            Err(Error::config(format!(
                "{key}: must be a day of the month from {MIN_BILLING_DAY} to {MAX_BILLING_DAY} \
                 (every month has it), got {day}"
            )))
        }
    };
    let mut billing = crate::report::period::BillingDays {
        default: check_billing_day(origin("billing_day"), parsed.billing_day)?,
        per_interface: Default::default(),
    };
    for (name, section) in &parsed.per_interface {
        if let Some(day) = section.billing_day {
            let key = format!("{per_interface_origin}.{name}.billing_day");
            billing
                .per_interface
                .insert(name.clone(), check_billing_day(key, day)?);
        }
    }
    for (key, days) in [
        ("database.retention_days", parsed.database.retention_days),
        (
            "database.rollup_retention_days",
            parsed.database.rollup_retention_days,
        ),
    ] {
        if days > MAX_RETENTION_DAYS {
            return Err(Error::config(format!(
                "{}: at most {MAX_RETENTION_DAYS} days (a century), got {days}; 0 keeps everything",
                origin(key)
            )));
        }
    }
    let pending = parsed.database.max_pending_cycles;
    if !(1..=10_000_000).contains(&pending) {
        return Err(Error::config(format!(
            "{}: must be from 1 to 10000000, got {pending}",
            origin("database.max_pending_cycles")
        )));
    }
    let flush_every = parsed.database.flush_every;
    if !(1..=pending.min(MAX_FLUSH_EVERY)).contains(&flush_every) {
        return Err(Error::config(format!(
            "{}: must be from 1 to {} (and at most database.max_pending_cycles), got {flush_every}",
            origin("database.flush_every"),
            MAX_FLUSH_EVERY
        )));
    }
    let log_file = (!logging.file.is_empty()).then(|| base.join(&logging.file));
    let log_origin = origin("logging.file");
    let options = &parsed.options;
    Ok(Config {
        config_file,
        interval: interval.value,
        interfaces: layers.interfaces.value,
        exclude,
        database_file: layers.database_file.value,
        database_origin: layers.database_file.origin,
        log_origin,
        collector,
        metrics_listen,
        metrics_origin: layers.metrics_listen.origin,
        proc_net_dev: layers.proc_net_dev.value,
        spike_guard: guard,
        retention_days: parsed.database.retention_days,
        rollup_retention_days: parsed.database.rollup_retention_days,
        cleanup_on_startup: parsed.database.cleanup_on_startup,
        max_pending_cycles: pending,
        flush_every,
        billing,
        database_access: if parsed.database.group_readable {
            crate::fsutil::Access::GroupReadable
        } else {
            crate::fsutil::Access::Private
        },
        sample: SampleOptions {
            track_per_interface: options.track_per_interface,
            track_total: options.track_total,
            calculate_rates: options.calculate_rates,
            store_raw_counts: options.store_raw_counts,
        },
        logging: LogSettings {
            level,
            file: log_file,
            max_bytes: logging.max_bytes,
            backup_count: logging.backup_count,
        },
    })
}

/// Checks interface names (at most [`MAX_NAMED_INTERFACES`], each a
/// plausible stored name); `fail` builds the error naming the setting.
fn check_names<'a>(
    names: impl ExactSizeIterator<Item = &'a String>,
    fail: impl Fn(String) -> Error,
) -> Result<()> {
    if names.len() > MAX_NAMED_INTERFACES {
        return Err(fail(format!(
            "names {} interfaces; at most {MAX_NAMED_INTERFACES}",
            names.len()
        )));
    }
    for name in names {
        let shown: String = name.chars().take(MAX_NAME_CHARS).collect();
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.contains(|c: char| c.is_whitespace() || c.is_control() || c == '/' || c == ':')
        {
            return Err(fail(format!(
                "{shown:?} is not an interface name (at most {MAX_NAME_CHARS} characters, no \
                 spaces, '/' or ':'; write bytes that are not UTF-8 as \\xNN)"
            )));
        }
    }
    Ok(())
}

/// Compiles the exclude patterns, refusing ones too many, too long or too
/// big to compile cheaply.
fn compile_patterns(patterns: &Sourced<Vec<String>>) -> Result<Vec<Regex>> {
    if patterns.value.len() > MAX_PATTERNS {
        return Err(patterns.fail(format!(
            "{} patterns; at most {MAX_PATTERNS}",
            patterns.value.len()
        )));
    }
    patterns
        .value
        .iter()
        .map(|pattern| {
            let shown: String = pattern.chars().take(40).collect();
            if pattern.len() > MAX_PATTERN_BYTES {
                return Err(patterns.fail(format!(
                    "pattern {shown:?}... is {} bytes long; at most {MAX_PATTERN_BYTES}",
                    pattern.len()
                )));
            }
            RegexBuilder::new(pattern)
                .size_limit(MAX_REGEX_BYTES)
                .build()
                .map_err(|e| {
                    let hint = if patterns.origin.starts_with("environment variable") {
                        "; a pattern with a comma must be written as a list: ['a', 'b']"
                    } else {
                        ""
                    };
                    patterns.fail(format!(
                        "invalid regular expression {shown:?}: {}{hint}",
                        one_line(&e.to_string())
                    ))
                })
        })
        .collect()
}

/// The metrics endpoint's address: empty for none, else `IP:PORT` (an IPv6
/// address in brackets). Names are not resolved: the endpoint binds
/// exactly where it is told.
fn parse_listen(text: &str) -> std::result::Result<Option<SocketAddr>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let shown: String = text.chars().take(80).collect();
    text.parse().map(Some).map_err(|_| {
        format!(
            "{shown:?} is not an address to listen on; write IP:PORT, e.g. 127.0.0.1:9157, \
             [::1]:9157 or 0.0.0.0:9157 (all interfaces), or '' for no endpoint"
        )
    })
}

/// A spike-guard limit must be a finite number of Mbit/s in (0, 1e9].
fn check_bandwidth(limit: f64) -> std::result::Result<(), String> {
    if limit.is_finite() && limit > 0.0 && limit <= MAX_BANDWIDTH_MBIT {
        Ok(())
    } else {
        Err(format!(
            "must be a number of Mbit/s above 0 and at most {MAX_BANDWIDTH_MBIT:e}, got {}",
            shown(limit)
        ))
    }
}

/// A number as an error message shows it: plainly, or in exponent form
/// when that would take more than a few digits (`1e308`, not 309 of them).
fn shown(value: f64) -> String {
    let plain = value.to_string();
    if plain.len() <= 16 {
        plain
    } else {
        format!("{value:e}")
    }
}

/// Maps a configured level name (case-insensitive, Python-style names
/// accepted) to a tracing level.
fn parse_level(name: &str) -> Option<tracing::Level> {
    match name.trim().to_ascii_uppercase().as_str() {
        "TRACE" => Some(tracing::Level::TRACE),
        "DEBUG" => Some(tracing::Level::DEBUG),
        "INFO" => Some(tracing::Level::INFO),
        "WARNING" | "WARN" => Some(tracing::Level::WARN),
        "ERROR" | "CRITICAL" => Some(tracing::Level::ERROR),
        _ => None,
    }
}

/// Checks, without creating anything, that a file can be created or opened
/// at `path`: it is not a directory, and its nearest existing ancestor is a
/// writable directory.
fn check_file_location(path: &Path, origin: &str) -> Result<()> {
    let fail = |what: String| Error::config(format!("{origin}: {what}"));
    if path.as_os_str().as_encoded_bytes().ends_with(b"/") {
        return Err(fail(format!(
            "{} names a directory (it ends in /); name a file",
            path.display()
        )));
    }
    crate::fsutil::check_regular(path)
        .map_err(|e| fail(format!("{} {e}; name a regular file", path.display())))?;
    crate::fsutil::check_link_owner(path).map_err(|e| fail(format!("{} {e}", path.display())))?;
    let mut ancestor = path.parent();
    while let Some(dir) = ancestor {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if dir.exists() {
            if !dir.is_dir() {
                return Err(fail(format!(
                    "{} is not a directory, so {} cannot be created there",
                    dir.display(),
                    path.display()
                )));
            }
            let target = if path.exists() { path } else { dir };
            return rustix::fs::access(target, rustix::fs::Access::WRITE_OK).map_err(|e| {
                fail(format!(
                    "{} is not writable ({}); choose another path or fix its permissions",
                    target.display(),
                    crate::fsutil::reason(&e.into())
                ))
            });
        }
        ancestor = dir.parent();
    }
    Ok(())
}

/// Whether two paths name the same file: equal once `.` components are
/// dropped, or the same inode where both exist.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let inode = |path: &Path| std::fs::metadata(path).map(|m| (m.dev(), m.ino())).ok();
    a.components().eq(b.components()) || inode(a).is_some_and(|a| Some(a) == inode(b))
}

/// Longest parser message quoted in an error (it may quote the file).
const MAX_MESSAGE_CHARS: usize = 1000;

/// A message quoting what a user wrote, on one line: the control characters a key or value
/// from the file may carry (a line break inside a quoted key) escaped
/// (`\n`), and at most [`MAX_MESSAGE_CHARS`] characters.
pub fn single_line(message: &str) -> String {
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

/// Collapses a multi-line library error (e.g. regex's caret diagram) to its
/// final, explanatory line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or(message)
        .trim_start_matches("error: ")
        .to_string()
}

impl Config {
    /// Checks that the database and log files can be created or written,
    /// creating nothing (monitoring modes only: `--summary` only reads).
    pub fn check_writable_paths(&self) -> Result<()> {
        check_file_location(&self.database_file, &self.database_origin)?;
        let Some(log) = &self.logging.file else {
            return Ok(());
        };
        // Appending log lines to a file netmon reads would break it.
        let mut taken: Vec<(PathBuf, String)> = ["", "-wal", "-shm", "-journal"]
            .iter()
            .map(|suffix| {
                let what = if suffix.is_empty() {
                    "the database".to_string()
                } else {
                    format!("the database's {suffix}")
                };
                (crate::fsutil::sibling(&self.database_file, suffix), what)
            })
            .collect();
        taken.push((self.proc_net_dev.clone(), "the proc_net_dev".into()));
        if let Some(config) = &self.config_file {
            taken.push((config.clone(), "the configuration".into()));
        }
        if let Some((_, what)) = taken.iter().find(|(path, _)| same_file(log, path)) {
            return Err(Error::config(format!(
                "{}: {} is {what} file; give the log a file of its own",
                self.log_origin,
                log.display(),
            )));
        }
        check_file_location(log, &self.log_origin)
    }

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

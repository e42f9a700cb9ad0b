//! Validation: the layered settings and the file's other keys checked and
//! turned into a [`Config`]. Every refusal names where the value was set;
//! nothing here touches the disk.

use super::file::{DatabaseSection, FileConfig, LoggingSection};
use super::invalid::Invalid;
use super::keys::Layers;
use super::layers::Sourced;
use super::{CollectorKind, Config, LogSettings};
use crate::report::period::BillingDays;
use crate::sample::{SampleOptions, SpikeGuard};
use crate::support::error::{Error, Result};
use regex_lite::{Regex, RegexBuilder};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Longest accepted sampling interval, in seconds (one day).
const MAX_INTERVAL_SECONDS: f64 = 86_400.0;
/// Shortest accepted sampling interval, in seconds.
const MIN_INTERVAL_SECONDS: f64 = 0.01;
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
pub(super) const MAX_BANDWIDTH_MBIT: f64 = 1e9;

/// Checks the layered settings and the file's other keys (`parsed`, its
/// relative paths against `base`) and builds the effective configuration.
pub(super) fn validate(
    layers: Layers,
    parsed: &FileConfig,
    base: &Path,
    config_file: Option<PathBuf>,
) -> Result<Config> {
    let interval = check_interval(&layers.interval)?;
    let names = &layers.interfaces;
    check_names(names.value.iter(), |what| names.fail(what))?;
    let exclude = compile_patterns(&layers.exclude)?;
    let collector = collector(&layers.collector)?;
    let metrics_listen =
        parse_listen(&layers.metrics_listen.value).map_err(|e| layers.metrics_listen.fail(e))?;
    if let Some(limit) = layers.max_bandwidth_mbit.value {
        check_bandwidth(limit).map_err(|e| layers.max_bandwidth_mbit.fail(e))?;
    }
    let origin = |key: &str| super::file_origin(config_file.as_deref(), key);
    let logging = log_settings(&layers.log_level, &parsed.logging, base, origin)?;
    let (spike_guard, billing) = per_interface(parsed, layers.max_bandwidth_mbit.value, origin)?;
    let (max_pending_cycles, flush_every) = database(&parsed.database, origin)?;
    let log_origin = origin("logging.file");
    let options = &parsed.options;
    Ok(Config {
        config_file,
        interval,
        interfaces: layers.interfaces.value,
        exclude,
        database_file: layers.database_file.value,
        database_origin: layers.database_file.origin,
        log_origin,
        collector,
        metrics_listen,
        metrics_origin: layers.metrics_listen.origin,
        proc_net_dev: layers.proc_net_dev.value,
        spike_guard,
        retention_days: parsed.database.retention_days,
        rollup_retention_days: parsed.database.rollup_retention_days,
        cleanup_on_startup: parsed.database.cleanup_on_startup,
        max_pending_cycles,
        flush_every,
        billing,
        database_access: if parsed.database.group_readable {
            crate::support::fsutil::Access::GroupReadable
        } else {
            crate::support::fsutil::Access::Private
        },
        sample: SampleOptions {
            track_per_interface: options.track_per_interface,
            track_total: options.track_total,
            calculate_rates: options.calculate_rates,
            store_raw_counts: options.store_raw_counts,
        },
        logging,
    })
}

/// The sampling interval, a finite number of seconds in range.
fn check_interval(interval: &Sourced<f64>) -> Result<f64> {
    if interval.value.is_finite()
        && (MIN_INTERVAL_SECONDS..=MAX_INTERVAL_SECONDS).contains(&interval.value)
    {
        return Ok(interval.value);
    }
    Err(interval.fail(format!(
        "the interval must be a number of seconds from {MIN_INTERVAL_SECONDS} to {MAX_INTERVAL_SECONDS}, got {}",
        shown(interval.value)
    )))
}

/// The counter source named by `collector` (case-insensitive).
fn collector(collector: &Sourced<String>) -> Result<CollectorKind> {
    match collector.value.to_ascii_lowercase().as_str() {
        "auto" if cfg!(target_os = "linux") => Ok(CollectorKind::Procfs),
        "auto" | "sysinfo" => Ok(CollectorKind::Sysinfo),
        "procfs" => Ok(CollectorKind::Procfs),
        other => Err(collector.fail(format!(
            "unknown collector {other:?}; use auto, procfs or sysinfo"
        ))),
    }
}

/// The logging settings: the layered level, the file's other keys (the log
/// file resolved against `base`), `origin` naming a key of the file.
fn log_settings(
    level: &Sourced<String>,
    logging: &LoggingSection,
    base: &Path,
    origin: impl Fn(&str) -> String,
) -> Result<LogSettings> {
    let parsed_level = parse_level(&level.value).ok_or_else(|| {
        level.fail(format!(
            "unknown log level {:?}; use TRACE, DEBUG, INFO, WARNING, ERROR or CRITICAL",
            level.value
        ))
    })?;
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
    Ok(LogSettings {
        level: parsed_level,
        file: (!logging.file.is_empty()).then(|| base.join(&logging.file)),
        max_bytes: logging.max_bytes,
        backup_count: logging.backup_count,
    })
}

/// The spike guard and billing days: the global values (`default_mbit`
/// already checked) with `per_interface` overriding them by name.
fn per_interface(
    parsed: &FileConfig,
    default_mbit: Option<f64>,
    origin: impl Fn(&str) -> String,
) -> Result<(SpikeGuard, BillingDays)> {
    let per_interface_origin = origin("per_interface");
    let per_interface_fail =
        |what: String| Error::config(format!("{per_interface_origin}: {what}"));
    check_names(parsed.per_interface.keys(), per_interface_fail)?;
    if parsed
        .per_interface
        .contains_key(crate::sample::TOTAL_INTERFACE)
    {
        return Err(per_interface_fail(format!(
            "{0} is the sum of the interfaces and follows the global billing_day and \
             max_bandwidth_mbit; set those, or name a real interface called {0} as \\x5ftotal",
            crate::sample::TOTAL_INTERFACE
        )));
    }
    let mut guard = SpikeGuard {
        default_mbit,
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
    let mut billing = BillingDays {
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
    Ok((guard, billing))
}

/// A billing day every month has; `key` names where it was set.
fn check_billing_day(key: String, day: u32) -> Result<u32> {
    use crate::report::period::{MAX_BILLING_DAY, MIN_BILLING_DAY};
    if (MIN_BILLING_DAY..=MAX_BILLING_DAY).contains(&day) {
        Ok(day)
    } else {
        Err(Error::config(format!(
            "{key}: must be a day of the month from {MIN_BILLING_DAY} to {MAX_BILLING_DAY} \
             (every month has it), got {day}"
        )))
    }
}

/// Checks the `database:` section's bounds; gives the pending-cycle limit
/// and how many cycles are written together.
fn database(database: &DatabaseSection, origin: impl Fn(&str) -> String) -> Result<(usize, usize)> {
    for (key, days) in [
        ("database.retention_days", database.retention_days),
        (
            "database.rollup_retention_days",
            database.rollup_retention_days,
        ),
    ] {
        if days > MAX_RETENTION_DAYS {
            return Err(Error::config(format!(
                "{}: at most {MAX_RETENTION_DAYS} days (a century), got {days}; 0 keeps everything",
                origin(key)
            )));
        }
    }
    let pending = database.max_pending_cycles;
    if !(1..=10_000_000).contains(&pending) {
        return Err(Error::config(format!(
            "{}: must be from 1 to 10000000, got {pending}",
            origin("database.max_pending_cycles")
        )));
    }
    let flush_every = database.flush_every;
    if !(1..=pending.min(MAX_FLUSH_EVERY)).contains(&flush_every) {
        return Err(Error::config(format!(
            "{}: must be from 1 to {} (and at most database.max_pending_cycles), got {flush_every}",
            origin("database.flush_every"),
            MAX_FLUSH_EVERY
        )));
    }
    Ok((pending, flush_every))
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
fn parse_listen(text: &str) -> std::result::Result<Option<SocketAddr>, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| Invalid::NotAnAddress(text.chars().take(80).collect()))
}

/// A spike-guard limit must be a finite number of Mbit/s in (0, 1e9].
fn check_bandwidth(limit: f64) -> std::result::Result<(), Invalid> {
    if limit.is_finite() && limit > 0.0 && limit <= MAX_BANDWIDTH_MBIT {
        Ok(())
    } else {
        Err(Invalid::Bandwidth(limit))
    }
}

/// A number as an error message shows it: plainly, or in exponent form
/// when that would take more than a few digits (`1e308`, not 309 of them).
pub(super) fn shown(value: f64) -> String {
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

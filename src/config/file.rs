//! The YAML configuration file: its sections, parsing and lookup order
//! (its top-level keys are listed in the table of `config/keys.rs`).

use super::invalid::Invalid;
use super::Env;
use crate::support::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub(crate) use super::keys::FileConfig;

/// One interface's entry in `per_interface:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct InterfaceSection {
    /// This interface's spike guard, overriding the global one.
    pub max_bandwidth_mbit: Option<f64>,
    /// This interface's billing day, overriding the global one.
    pub billing_day: Option<u32>,
}

/// The `database:` section.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct DatabaseSection {
    /// Raw samples older than this many days are deleted; 0 keeps them forever.
    pub retention_days: u32,
    /// Hourly rollups older than this many days are deleted; 0 keeps them forever.
    pub rollup_retention_days: u32,
    /// Run retention at start as well as hourly.
    pub cleanup_on_startup: bool,
    /// Cycles kept in memory while the database cannot be written.
    pub max_pending_cycles: usize,
    /// Cycles kept in memory and written together in one transaction
    /// (fewer writes for flash storage); 1 writes every cycle.
    pub flush_every: usize,
    /// Create the database 0640 (directories 0750) so that its group can
    /// read it, instead of 0600/0700.
    pub group_readable: bool,
}

/// The `options:` section.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct OptionsSection {
    /// One row per interface.
    pub track_per_interface: bool,
    /// A `_total` row per cycle.
    pub track_total: bool,
    /// Fill the rate columns.
    pub calculate_rates: bool,
    /// Store the cumulative kernel counters.
    pub store_raw_counts: bool,
}

/// The `logging:` section.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct LoggingSection {
    /// TRACE, DEBUG, INFO, WARNING/WARN, ERROR or CRITICAL.
    pub level: String,
    /// Log file path; empty for none.
    pub file: String,
    /// Rotate the log file at this size in bytes.
    pub max_bytes: u64,
    /// Rotated files kept.
    pub backup_count: u32,
}

impl Default for DatabaseSection {
    fn default() -> Self {
        DatabaseSection {
            retention_days: 30,
            rollup_retention_days: 0,
            cleanup_on_startup: true,
            max_pending_cycles: 10_000,
            group_readable: false,
            flush_every: 1,
        }
    }
}

impl Default for OptionsSection {
    fn default() -> Self {
        OptionsSection {
            track_per_interface: true,
            track_total: true,
            calculate_rates: true,
            store_raw_counts: true,
        }
    }
}

impl Default for LoggingSection {
    fn default() -> Self {
        LoggingSection {
            level: "INFO".into(),
            file: "logs/network_monitor.log".into(),
            max_bytes: 10_485_760,
            backup_count: 5,
        }
    }
}

/// The system-wide configuration file, last in the lookup order.
pub(crate) const SYSTEM_CONFIG: &str = "/etc/netmon/config.yaml";

/// Parses configuration text; `origin` names the file in error messages.
/// An empty (or comment-only) document means all defaults.
pub(crate) fn parse(text: &str, origin: &Path) -> Result<FileConfig> {
    let fail = |e: serde_yaml::Error| {
        Error::config(format!(
            "{}: {} (fix the file or see the commented config.yaml shipped with netmon)",
            origin.display(),
            super::single_line(&e.to_string())
        ))
    };
    check_nesting(text).map_err(|e| Error::config(format!("{}: {e}", origin.display())))?;
    let document: serde_yaml::Value = serde_yaml::from_str(text).map_err(fail)?;
    if document.is_null() {
        return Ok(FileConfig::default());
    }
    serde_yaml::from_str(text).map_err(fail)
}

/// Deepest nesting of YAML flow collections (`[` and `{`) accepted. No
/// setting nests more than two; the YAML parser takes time quadratic in the
/// depth (a 100 KB file of brackets took 22 s), so depth is refused before
/// it parses.
pub(super) const MAX_NESTING: usize = 32;

/// Refuses text whose `[`/`{` brackets nest deeper than [`MAX_NESTING`]
/// (counted everywhere, quoted or not: only the depth matters).
pub(crate) fn check_nesting(text: &str) -> std::result::Result<(), Invalid> {
    let mut depth = 0usize;
    for byte in text.bytes() {
        match byte {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(Invalid::TooDeep);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Finds the configuration file (SPEC §2): `-c PATH` (must exist), else
/// `./config.yaml`, else `$XDG_CONFIG_HOME/netmon/config.yaml` (or
/// `$HOME/.config/...` when XDG_CONFIG_HOME is unset), else
/// `system_config` (normally [`SYSTEM_CONFIG`]); `None` means defaults only.
pub(crate) fn locate(
    explicit: Option<&Path>,
    cwd: &Path,
    env: &Env,
    system_config: &Path,
) -> Result<Option<PathBuf>> {
    if let Some(path) = explicit {
        let path = cwd.join(path);
        return if path.is_file() {
            Ok(Some(path))
        } else if path.exists() {
            Err(Error::config(format!(
                "--config {}: not a regular file; name a YAML configuration file",
                path.display()
            )))
        } else {
            Err(Error::config(format!(
                "--config {}: no such file; check the path or omit -c to use the defaults",
                path.display()
            )))
        };
    }
    let xdg = env
        .get("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| env.get("HOME").map(|home| Path::new(home).join(".config")));
    let candidates = std::iter::once(cwd.join("config.yaml"))
        .chain(xdg.map(|dir| dir.join("netmon/config.yaml")))
        .chain(std::iter::once(system_config.to_path_buf()));
    for candidate in candidates {
        // Anything there is meant as the configuration: a FIFO, a directory
        // or a dangling link is an error, never silently the defaults.
        if candidate.symlink_metadata().is_err() {
            continue;
        }
        let refuse = |what: String| {
            Error::config(format!(
                "{}: {what}; make it a YAML configuration file or remove it",
                candidate.display()
            ))
        };
        return match std::fs::metadata(&candidate) {
            Ok(_) => match crate::support::fsutil::check_regular(&candidate) {
                Ok(()) => Ok(Some(candidate)),
                Err(e) => Err(refuse(e.to_string())),
            },
            Err(e) => Err(refuse(format!("a link to nothing readable ({e})"))),
        };
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_comment_only_files_mean_defaults() {
        let origin = Path::new("c.yaml");
        assert_eq!(parse("", origin).unwrap(), FileConfig::default());
        assert_eq!(
            parse("# nothing\n\n", origin).unwrap(),
            FileConfig::default()
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let deep = format!("interfaces: {}{}\n", "[".repeat(50_000), "]".repeat(50_000));
        let err = parse(&deep, Path::new("c.yaml")).unwrap_err().to_string();
        assert!(err.contains("nest more than 32 deep"), "{err}");
        let just = format!("x: {}{}", "[".repeat(32), "]".repeat(32));
        assert!(check_nesting(&just).is_ok());
        assert!(check_nesting(&format!("[{just}]")).is_err());
        // Closing brackets never count below zero.
        assert!(check_nesting("]]]][[").is_ok());
    }

    #[test]
    fn a_key_with_line_breaks_gives_a_one_line_error() {
        // Found by the config fuzz target: the unknown key is quoted whole.
        let err = parse("{_pending_cyc\n?\n\n\nRbR}", Path::new("c.yaml"))
            .unwrap_err()
            .to_string();
        assert!(!err.contains('\n'), "{err}");
        assert!(err.contains("unknown field"), "{err}");
        let long = crate::config::single_line(&"k".repeat(5000));
        assert_eq!(long, format!("{}...", "k".repeat(1000)));
        assert_eq!(crate::config::single_line("a\tb\u{85}"), "a\\tb\\u{85}");
    }

    #[test]
    fn shipped_config_equals_the_defaults() {
        let shipped = include_str!("../../config.yaml");
        assert_eq!(
            parse(shipped, Path::new("config.yaml")).unwrap(),
            FileConfig::default()
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = parse("monitorin_interval: 5\n", Path::new("c.yaml")).unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown field `monitorin_interval`"),
            "{err}"
        );
        let err = parse("options:\n  track_totals: true\n", Path::new("c.yaml")).unwrap_err();
        assert!(err.to_string().contains("track_totals"), "{err}");
    }

    #[test]
    fn wrong_types_name_the_key() {
        let err = parse("database:\n  retention_days: -1\n", Path::new("c.yaml")).unwrap_err();
        assert!(err.to_string().contains("retention_days"), "{err}");
        let err = parse("interfaces: eth0\n", Path::new("c.yaml")).unwrap_err();
        assert!(err.to_string().contains("interfaces"), "{err}");
    }

    #[test]
    fn partial_sections_keep_other_defaults() {
        let parsed = parse("logging:\n  level: debug\n", Path::new("c.yaml")).unwrap();
        assert_eq!(parsed.logging.level, "debug");
        assert_eq!(parsed.logging.backup_count, 5);
        assert_eq!(parsed.database, DatabaseSection::default());
    }

    #[test]
    fn lookup_order() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path().join("cwd");
        let xdg = dir.path().join("xdg");
        std::fs::create_dir_all(&cwd).unwrap();
        std::fs::create_dir_all(xdg.join("netmon")).unwrap();
        let env = Env::from([("XDG_CONFIG_HOME".into(), xdg.to_string_lossy().into_owned())]);
        let system = dir.path().join("etc.yaml");
        assert_eq!(locate(None, &cwd, &env, &system).unwrap(), None);
        std::fs::write(&system, "").unwrap();
        assert_eq!(
            locate(None, &cwd, &env, &system).unwrap(),
            Some(system.clone())
        );
        std::fs::write(xdg.join("netmon/config.yaml"), "").unwrap();
        let found = locate(None, &cwd, &env, &system).unwrap();
        assert_eq!(found, Some(xdg.join("netmon/config.yaml")));
        std::fs::write(cwd.join("config.yaml"), "").unwrap();
        let found = locate(None, &cwd, &env, &system).unwrap();
        assert_eq!(found, Some(cwd.join("config.yaml")));
        let err = locate(Some(Path::new("missing.yaml")), &cwd, &env, &system).unwrap_err();
        assert!(
            err.to_string().contains("missing.yaml: no such file"),
            "{err}"
        );
    }
}

//! The one table of configuration keys. Each entry is a top-level key of
//! the YAML file (type, default, meaning) and, for a key an environment
//! variable overrides, that variable, the setting it layers into and the
//! kind of value it holds. The file's shape ([`FileConfig`]), its defaults,
//! [`ENV_KEYS`] and the override layers are generated from this table, so
//! adding a key is adding an entry.

use super::file::{DatabaseSection, InterfaceSection, LoggingSection, OptionsSection};
use super::layers::{AnyPath, FilePath, Kind, List, Number, OptionalNumber, Sourced, Text};
use crate::support::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Generates, from the table below: [`FileConfig`] and its defaults,
/// [`ENV_KEYS`], and [`Layers`] with its file and environment layers.
/// `top` lists the file's top-level keys, in the order error messages list
/// them; `also` the keys inside sections that a variable overrides too
/// (their type and default are their section's).
macro_rules! keys {
    (
        top {
            $(
                $(#[doc = $doc:literal])*
                $key:ident: $type:ty = $default:expr
                $(, $env:literal => $layer:ident: $kind:ty)?;
            )*
        }
        also {
            $( $($path:ident).+ ($name:literal), $also_env:literal => $also_layer:ident: $also_kind:ty; )*
        }
    ) => {
        /// The configuration file as written (SPEC §2). Every key has a
        /// default; unknown keys are rejected by name.
        #[derive(Debug, Clone, serde::Deserialize, PartialEq)]
        #[serde(deny_unknown_fields, default)]
        pub(crate) struct FileConfig {
            $( $(#[doc = $doc])* pub $key: $type, )*
        }

        impl Default for FileConfig {
            fn default() -> Self {
                FileConfig { $( $key: $default, )* }
            }
        }

        /// The `NETMON_<KEY>` variables, one per top-level key they
        /// override; any other `NETMON_*` variable is reported as a
        /// probable typo.
        pub(crate) const ENV_KEYS: [&str; [$($($env,)?)*].len()] = [$($($env,)?)*];

        /// Every setting that an override can replace, tagged with its origin.
        pub(super) struct Layers {
            $($(
                #[doc = concat!("`", stringify!($key), "`, layered.")]
                pub(super) $layer: Sourced<<$kind as Kind>::Value>,
            )?)*
            $(
                #[doc = concat!("`", $name, "`, layered.")]
                pub(super) $also_layer: Sourced<<$also_kind as Kind>::Value>,
            )*
        }

        impl Layers {
            /// The file layer: each setting as `file` (or the defaults)
            /// gives it, relative paths resolved against `base`, `origin`
            /// naming where a key was read.
            pub(super) fn from_file(
                file: &FileConfig,
                base: &Path,
                origin: impl Fn(&str) -> String,
            ) -> Layers {
                Layers {
                    $($(
                        $layer: Sourced::new(
                            <$kind as Kind>::from_file(&file.$key, base),
                            origin(stringify!($key)),
                        ),
                    )?)*
                    $(
                        $also_layer: Sourced::new(
                            <$also_kind as Kind>::from_file(&file.$($path).+, base),
                            origin($name),
                        ),
                    )*
                }
            }

            /// Replaces the setting `variable` overrides, if any, with
            /// `text` (relative paths against `cwd`); `origin` tells where
            /// it was set.
            pub(super) fn set_from_env(
                &mut self,
                variable: &str,
                text: &str,
                cwd: &Path,
                origin: impl FnOnce() -> String,
            ) -> Result<()> {
                match variable {
                    $($( $env => self.$layer = from_env::<$kind>(text, cwd, origin())?, )?)*
                    $( $also_env => self.$also_layer = from_env::<$also_kind>(text, cwd, origin())?, )*
                    _ => {}
                }
                Ok(())
            }
        }
    };
}

/// A setting read from an environment variable's `text`, set at `origin`.
fn from_env<K: Kind>(text: &str, cwd: &Path, origin: String) -> Result<Sourced<K::Value>> {
    match K::from_env(text, cwd) {
        Ok(value) => Ok(Sourced::new(value, origin)),
        Err(e) => Err(Error::config(format!("{origin}: {e}"))),
    }
}

keys! {
    top {
        /// Seconds between samples.
        monitoring_interval: f64 = 60.0, "NETMON_MONITORING_INTERVAL" => interval: Number;
        /// Exact interface names to monitor; empty means all.
        interfaces: Vec<String> = Vec::new(), "NETMON_INTERFACES" => interfaces: List;
        /// Regular expressions; matching interfaces are not monitored unless named.
        exclude_interfaces: Vec<String> = vec!["^lo$".into(), "^docker".into()],
            "NETMON_EXCLUDE_INTERFACES" => exclude: List;
        /// SQLite database path.
        database_file: String = "data/network_activity.db".into(),
            "NETMON_DATABASE_FILE" => database_file: FilePath;
        /// `auto`, `procfs` or `sysinfo`.
        collector: String = "auto".into(), "NETMON_COLLECTOR" => collector: Text;
        /// The `/proc/net/dev`-format file the procfs collector reads.
        proc_net_dev: String = "/proc/net/dev".into(),
            "NETMON_PROC_NET_DEV" => proc_net_dev: AnyPath;
        /// Opt-in spike guard: a delta implying more than this many Mbit/s is
        /// set aside (not counted). Unset: no guard.
        max_bandwidth_mbit: Option<f64> = None,
            "NETMON_MAX_BANDWIDTH_MBIT" => max_bandwidth_mbit: OptionalNumber;
        /// Address the Prometheus endpoint listens on while monitoring
        /// (`127.0.0.1:9157`); empty for none.
        metrics_listen: String = String::new(),
            "NETMON_METRICS_LISTEN" => metrics_listen: Text;
        /// Day of the month (1 to 28) months start on in reports.
        billing_day: u32 = 1;
        /// Settings for single interfaces, by name.
        per_interface: BTreeMap<String, InterfaceSection> = BTreeMap::new();
        /// The `database:` section.
        database: DatabaseSection = DatabaseSection::default();
        /// The `options:` section.
        options: OptionsSection = OptionsSection::default();
        /// The `logging:` section.
        logging: LoggingSection = LoggingSection::default();
    }
    also {
        logging.level ("logging.level"), "LOG_LEVEL" => log_level: Text;
    }
}

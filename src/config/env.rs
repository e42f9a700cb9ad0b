//! Environment overrides (SPEC §2): `LOG_LEVEL` and `NETMON_<KEY>` for the
//! top-level scalar keys.

use super::{sourced, Context, Layers};
use crate::error::{Error, Result};

/// Environment variables netmon reads besides `LOG_LEVEL`; any other
/// `NETMON_*` variable is reported as a probable typo.
pub const ENV_KEYS: [&str; 8] = [
    "NETMON_MONITORING_INTERVAL",
    "NETMON_INTERFACES",
    "NETMON_EXCLUDE_INTERFACES",
    "NETMON_DATABASE_FILE",
    "NETMON_COLLECTOR",
    "NETMON_PROC_NET_DEV",
    "NETMON_MAX_BANDWIDTH_MBIT",
    "NETMON_METRICS_LISTEN",
];

/// A list from the environment: comma-separated (`eth0,wlan0`), or, for
/// values that contain commas (a regex like `^veth.{1,3}$`), a YAML flow
/// sequence (`['^veth.{1,3}$', '^lo$']`).
fn parse_list(value: &str) -> std::result::Result<Vec<String>, String> {
    let trimmed = value.trim();
    if trimmed.starts_with('[') {
        super::file::check_nesting(trimmed)?;
        return serde_yaml::from_str::<Vec<String>>(trimmed).map_err(|e| {
            format!(
                "not a list of strings ({}); write ['a', 'b']",
                e.to_string().lines().next().unwrap_or_default()
            )
        });
    }
    Ok(trimmed
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect())
}

/// Applies `NETMON_*` and `LOG_LEVEL` from the environment (`.env` merged in);
/// relative paths resolve against the working directory.
pub(super) fn apply(layers: &mut Layers, context: &Context) -> Result<()> {
    let env = context.env;
    if let Some(unknown) = env
        .keys()
        .find(|k| k.starts_with("NETMON_") && !ENV_KEYS.contains(&k.as_str()))
    {
        return Err(Error::config(format!(
            "environment variable {unknown} is not one netmon knows; unset it or use one of {}",
            ENV_KEYS.join(", ")
        )));
    }
    let origin = |key: &str| {
        let shown: String = env[key].chars().take(80).collect();
        format!("environment variable {key}={shown:?}")
    };
    let list = |key: &str| -> Result<Vec<String>> {
        parse_list(&env[key]).map_err(|e| Error::config(format!("{}: {e}", origin(key))))
    };
    let number = |key: &str| -> Result<f64> {
        env[key]
            .trim()
            .parse()
            .map_err(|_| Error::config(format!("{}: not a number", origin(key))))
    };
    for key in env
        .keys()
        .filter(|k| ENV_KEYS.contains(&k.as_str()) || *k == "LOG_LEVEL")
    {
        let value = &env[key];
        match key.as_str() {
            "NETMON_MONITORING_INTERVAL" => layers.interval = sourced(number(key)?, origin(key)),
            "NETMON_INTERFACES" => layers.interfaces = sourced(list(key)?, origin(key)),
            "NETMON_EXCLUDE_INTERFACES" => layers.exclude = sourced(list(key)?, origin(key)),
            "NETMON_DATABASE_FILE" if value.is_empty() => {
                return Err(Error::config(format!("{}: must name a file", origin(key))))
            }
            "NETMON_DATABASE_FILE" => {
                layers.database_file = sourced(context.cwd.join(value), origin(key))
            }
            "NETMON_COLLECTOR" => layers.collector = sourced(value.clone(), origin(key)),
            "NETMON_PROC_NET_DEV" => {
                layers.proc_net_dev = sourced(context.cwd.join(value), origin(key))
            }
            "NETMON_MAX_BANDWIDTH_MBIT" => {
                layers.max_bandwidth_mbit = sourced(Some(number(key)?), origin(key))
            }
            "NETMON_METRICS_LISTEN" => layers.metrics_listen = sourced(value.clone(), origin(key)),
            _ => layers.log_level = sourced(value.clone(), origin(key)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_list;

    #[test]
    fn lists_are_comma_separated_or_yaml_sequences() {
        assert_eq!(
            parse_list("eth0, wlan0,,"),
            Ok(vec!["eth0".into(), "wlan0".into()])
        );
        assert_eq!(parse_list(""), Ok(vec![]));
        assert_eq!(
            parse_list(" ['^veth.{1,3}$', \"^lo$\"] "),
            Ok(vec!["^veth.{1,3}$".into(), "^lo$".into()])
        );
        assert_eq!(parse_list("[]"), Ok(vec![]));
        let err = parse_list("[unclosed").unwrap_err();
        assert!(err.starts_with("not a list of strings"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}

//! The environment layer (SPEC §2): `LOG_LEVEL` and `NETMON_<KEY>` for the
//! top-level scalar keys, read from the process environment with `.env`
//! merged in. Which variable overrides which key is listed in the table of
//! `config/keys.rs`.

use super::file::check_nesting;
use super::invalid::Invalid;
use super::keys::Layers;
use super::Context;
use crate::support::error::{Error, Result};

pub(crate) use super::keys::ENV_KEYS;

/// A list from the environment: comma-separated (`eth0,wlan0`), or, for
/// values that contain commas (a regex like `^veth.{1,3}$`), a YAML flow
/// sequence (`['^veth.{1,3}$', '^lo$']`).
pub(super) fn parse_list(value: &str) -> std::result::Result<Vec<String>, Invalid> {
    let trimmed = value.trim();
    if trimmed.starts_with('[') {
        check_nesting(trimmed)?;
        return serde_yaml::from_str::<Vec<String>>(trimmed).map_err(|e| {
            Invalid::NotAList(e.to_string().lines().next().unwrap_or_default().into())
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
    for (key, value) in env {
        let origin = || {
            let shown: String = value.chars().take(80).collect();
            format!("environment variable {key}={shown:?}")
        };
        layers.set_from_env(key, value, context.cwd, origin)?;
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
        let err = parse_list("[unclosed").unwrap_err().to_string();
        assert!(err.starts_with("not a list of strings"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}

//! `.env`: a layer of environment variables beneath the process's own
//! (SPEC §2: a variable already set wins). The configuration reads the
//! merged [`Env`]; it never reads the process environment itself.

use super::{read_limited, single_line, Env, MAX_CONFIG_BYTES};
use crate::support::error::{Error, Result};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::Path;

/// Longest value a `.env` variable may take once `${VAR}` references are
/// expanded: each line may double the text before it, so a 500-byte file
/// could otherwise ask for gigabytes.
pub(crate) const MAX_DOTENV_VALUE: usize = 64 * 1024;

/// Most `$` characters a `.env` file may hold: with [`MAX_DOTENV_VALUE`],
/// what expanding it can cost is bounded (16 MiB).
pub(crate) const MAX_DOTENV_REFERENCES: usize = 256;

/// The environment the configuration is read from: the process's
/// variables, and beneath them those of `.env` in `cwd` (a variable the
/// process has, even with a value that is not UTF-8, keeps it; one set
/// twice in `.env` keeps its first value). A variable netmon reads whose
/// value is not UTF-8 is an error, never silently ignored.
pub(crate) fn environment(cwd: &Path) -> Result<Env> {
    let dotenv = load(cwd)?;
    let (env, adopted) = layer(std::env::vars_os(), dotenv)?;
    for (key, value) in adopted.iter().filter(|(key, _)| !configures(key)) {
        // Read outside the configuration, from the process environment:
        // TZ (the calendar of a new database, local times on stdout),
        // TZDIR, TMPDIR. Set before any thread is started.
        std::env::set_var(key, value);
    }
    Ok(env)
}

/// The `process` variables with the `dotenv` ones beneath them, and the
/// `dotenv` ones taken (see [`environment`]).
fn layer(
    process: impl IntoIterator<Item = (OsString, OsString)>,
    dotenv: Vec<(String, String)>,
) -> Result<(Env, Vec<(String, String)>)> {
    let mut env = Env::new();
    let mut not_text = BTreeSet::new();
    for (key, value) in process {
        let Some(key) = key.to_str() else { continue };
        match value.into_string() {
            Ok(value) => {
                env.insert(key.to_string(), value);
            }
            Err(_) if configures(key) => {
                return Err(Error::config(format!(
                    "environment variable {key} is not valid UTF-8; write bytes of an interface \
                     name that are not UTF-8 as \\xNN (e.g. x\\xff)"
                )))
            }
            Err(_) => {
                not_text.insert(key.to_string());
            }
        }
    }
    let mut adopted = Vec::new();
    for (key, value) in dotenv {
        if env.contains_key(&key) || not_text.contains(&key) {
            continue;
        }
        env.insert(key.clone(), value.clone());
        adopted.push((key, value));
    }
    Ok((env, adopted))
}

/// Whether `key` is one of the variables the configuration reads
/// (`NETMON_*`, `LOG_LEVEL`).
fn configures(key: &str) -> bool {
    key.starts_with("NETMON_") || key == "LOG_LEVEL"
}

/// The variables of `.env` in `cwd`, in order; none without the file.
fn load(cwd: &Path) -> Result<Vec<(String, String)>> {
    let path = cwd.join(".env");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = read_limited(&path, MAX_CONFIG_BYTES)?;
    parse_dotenv(&text, &path)
}

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
            single_line(&what)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn dotenv_lies_beneath_the_process_environment() {
        let process = vec![
            (OsString::from("LOG_LEVEL"), OsString::from("warn")),
            (OsString::from("HOME"), OsString::from_vec(vec![0xff])),
        ];
        let dotenv = pairs(&[
            ("LOG_LEVEL", "debug"),
            ("HOME", "/elsewhere"),
            ("TZ", "UTC"),
            ("TZ", "Asia/Kathmandu"),
        ]);
        let (env, adopted) = layer(process, dotenv).unwrap();
        // The process wins, even with a value that is not text; the first
        // of two values in .env wins.
        assert_eq!(
            env,
            Env::from_iter(pairs(&[("LOG_LEVEL", "warn"), ("TZ", "UTC")]))
        );
        assert_eq!(adopted, pairs(&[("TZ", "UTC")]));
    }

    #[test]
    fn a_netmon_variable_that_is_not_text_is_an_error() {
        let process = vec![(
            OsString::from("NETMON_INTERFACES"),
            OsString::from_vec(vec![b'x', 0xff]),
        )];
        let err = layer(process, Vec::new()).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err
            .to_string()
            .contains("NETMON_INTERFACES is not valid UTF-8"));
    }
}

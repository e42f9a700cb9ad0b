//! The layers a setting can come from (SPEC §2: flags > environment, `.env`
//! merged in > file > defaults) and the kinds of value a key holds: how a
//! kind is taken from the file and read from an environment variable. The
//! keys themselves are listed once, in [`super::keys`].

use super::env::parse_list;
use super::invalid::Invalid;
use super::keys::Layers;
use super::validate::shown;
use crate::cli::Cli;
use crate::support::error::Error;
use std::fmt::Display;
use std::path::{Path, PathBuf};

/// A value together with where it came from, for error messages.
pub(super) struct Sourced<T> {
    /// The value.
    pub(super) value: T,
    /// Where it was set: `<file>: <key>`, `default <key>`, `environment
    /// variable NAME="value"` or the flag.
    pub(super) origin: String,
}

impl<T> Sourced<T> {
    /// `value`, set at `origin`.
    pub(super) fn new(value: T, origin: String) -> Self {
        Sourced { value, origin }
    }

    /// The configuration error `<origin>: <what>`.
    pub(super) fn fail(&self, what: impl Display) -> Error {
        Error::config(format!("{}: {what}", self.origin))
    }
}

/// How a kind of value is taken from each layer.
pub(super) trait Kind {
    /// The key's type in the YAML file.
    type File;
    /// The setting's type once layered.
    type Value;
    /// The file's value; relative paths resolve against `base`, the file's
    /// directory (the working directory when there is no file).
    fn from_file(value: &Self::File, base: &Path) -> Self::Value;
    /// An environment variable's text; relative paths resolve against `cwd`.
    fn from_env(text: &str, cwd: &Path) -> Result<Self::Value, Invalid>;
}

/// A number of anything (the range is checked when validating).
pub(super) struct Number;
/// A number that may be unset (unset: the feature is off).
pub(super) struct OptionalNumber;
/// A list of strings: comma-separated or a YAML list in the environment.
pub(super) struct List;
/// Text taken as written (checked when validating).
pub(super) struct Text;
/// A path, which may be empty.
pub(super) struct AnyPath;
/// A path that must name a file.
pub(super) struct FilePath;

impl Kind for Number {
    type File = f64;
    type Value = f64;
    fn from_file(value: &f64, _: &Path) -> f64 {
        *value
    }
    fn from_env(text: &str, _: &Path) -> Result<f64, Invalid> {
        text.trim().parse().map_err(|_| Invalid::NotANumber)
    }
}

impl Kind for OptionalNumber {
    type File = Option<f64>;
    type Value = Option<f64>;
    fn from_file(value: &Option<f64>, _: &Path) -> Option<f64> {
        *value
    }
    fn from_env(text: &str, cwd: &Path) -> Result<Option<f64>, Invalid> {
        Number::from_env(text, cwd).map(Some)
    }
}

impl Kind for List {
    type File = Vec<String>;
    type Value = Vec<String>;
    fn from_file(value: &Vec<String>, _: &Path) -> Vec<String> {
        value.clone()
    }
    fn from_env(text: &str, _: &Path) -> Result<Vec<String>, Invalid> {
        parse_list(text)
    }
}

impl Kind for Text {
    type File = String;
    type Value = String;
    fn from_file(value: &String, _: &Path) -> String {
        value.clone()
    }
    fn from_env(text: &str, _: &Path) -> Result<String, Invalid> {
        Ok(text.to_string())
    }
}

impl Kind for AnyPath {
    type File = String;
    type Value = PathBuf;
    fn from_file(value: &String, base: &Path) -> PathBuf {
        base.join(value)
    }
    fn from_env(text: &str, cwd: &Path) -> Result<PathBuf, Invalid> {
        Ok(cwd.join(text))
    }
}

impl Kind for FilePath {
    type File = String;
    type Value = PathBuf;
    fn from_file(value: &String, base: &Path) -> PathBuf {
        AnyPath::from_file(value, base)
    }
    fn from_env(text: &str, cwd: &Path) -> Result<PathBuf, Invalid> {
        if text.is_empty() {
            return Err(Invalid::NoFile);
        }
        AnyPath::from_env(text, cwd)
    }
}

/// The flags layer, the top one: `--interval`, `--interfaces`, `--listen`.
pub(super) fn apply_flags(layers: &mut Layers, cli: &Cli) {
    if let Some(interval) = cli.interval {
        layers.interval = Sourced::new(interval, format!("--interval {}", shown(interval)));
    }
    if let Some(names) = &cli.interfaces {
        layers.interfaces = Sourced::new(names.clone(), "--interfaces".into());
    }
    if let Some(address) = &cli.listen {
        layers.metrics_listen = Sourced::new(address.clone(), format!("--listen {address:?}"));
    }
}

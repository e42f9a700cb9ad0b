//! `--live`'s start-up: the counter source, logging on stderr only, and
//! the live view's sampling loop.

use super::{open_source, signal_channel};
use crate::cli::Cli;
use crate::config::{self, Config};
use crate::run::live::{self, Style};
use crate::sample::select;
use crate::support::error::{Error, Result};
use crate::support::logging;

/// `--live`: rates now, from the configured counter source and selection;
/// logs on stderr only, writes nothing.
pub(super) fn start(cli: &Cli, config: &Config, style: Style) -> Result<()> {
    let source = open_source(config, false)?;
    let signals = signal_channel()?;
    let _log = logging::init(&config::LogSettings {
        file: None,
        ..config.logging.clone()
    });
    let options = live::LiveOptions {
        interval: cli.interval.unwrap_or(1.0),
        count: cli.count,
        style,
    };
    let selection = select::Selection::new(config.interfaces.clone(), config.exclude.clone());
    live::run(source, selection, signals, &options).map_err(Error::write("to stdout"))
}

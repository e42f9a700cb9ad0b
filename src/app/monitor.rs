//! The monitor's start-up: the database file, the time zone, the counter
//! source and the endpoint's address are checked (a refusal is a usage
//! error with nothing written), then the sampling loop takes over.

use super::{open_source, signal_channel};
use crate::cli::Cli;
use crate::config::{CollectorKind, Config};
use crate::model::calendar;
use crate::sample::select;
use crate::store::{self, Store};
use crate::support::error::{Error, Result};
use crate::support::{logging, wallclock};
use crate::{metrics, run};

/// Starts the monitor: everything that can be refused is checked before
/// the first file is created, then the sampling loop runs until done.
pub(super) fn start(cli: &Cli, config: &Config) -> Result<()> {
    let database = &config.database_file;
    config.check_writable_paths()?;
    if database.exists() {
        store::schema::inspect(database).map_err(Error::config)?;
    }
    // The zone a new database's days are cut in: a TZ that names none is a
    // usage error found before anything is created.
    calendar::Calendar::system().map_err(|e| {
        Error::config(match std::env::var("TZ") {
            Ok(tz) => format!(
                "TZ={:?} names no time zone this system knows; set TZ to a name under \
                 /usr/share/zoneinfo such as Europe/Berlin, or unset it",
                tz.chars().take(80).collect::<String>()
            ),
            Err(_) => e.to_string(),
        })
    })?;
    let source = open_source(config, false)?;
    // Bound before anything is written: an address in use stops netmon here.
    let listener = match config.metrics_listen.filter(|_| !cli.once) {
        Some(address) => Some(metrics::bind(address).map_err(|e| {
            Error::runtime(format!(
                "{}: cannot listen on {address}: {e}; choose another address or stop what listens there",
                config.metrics_origin
            ))
        })?),
        None => None,
    };
    let signals = signal_channel()?;
    // The log file is created with its first line; the database is the
    // first file created, and a path that cannot be created is still a
    // usage error with nothing written.
    let log = logging::init(&config.logging);
    let store = Store::open_as(
        database,
        run::monitor::write_wait(config),
        config.database_access,
    )
    .map_err(|e| match e {
        store::StoreError::Refused(_) | store::StoreError::Create { .. } => Error::config(e),
        e => Error::runtime(e),
    })?
    .with_raw_counts(config.sample.store_raw_counts);
    tracing::info!(
        "netmon {} starting ({} collector): {}; days and months in {}",
        env!("CARGO_PKG_VERSION"),
        source.name(),
        config.describe(),
        store.calendar().describe(wallclock::now())
    );
    if config.collector == CollectorKind::Sysinfo {
        tracing::warn!(
            "collector sysinfo records drop counters as 0 (sysinfo does not expose them)"
        );
    }
    let server = match listener {
        Some(listener) => {
            let exporter = metrics::Exporter::new(
                open_source(config, true)?,
                select::Selection::new(config.interfaces.clone(), config.exclude.clone()),
                metrics::SharedStats::default(),
                database,
            )
            .with_billing(config.billing.clone());
            Some(
                metrics::MetricsServer::start(listener, exporter).map_err(|e| {
                    Error::runtime(format!("cannot start the metrics endpoint: {e}"))
                })?,
            )
        }
        None => None,
    };
    let options = run::monitor::RunOptions {
        samples: if cli.once { Some(1) } else { cli.count },
        detailed: cli.once,
        quiet: cli.quiet,
    };
    run::monitor::run(config, source, store, &log, signals, &options, server)
}

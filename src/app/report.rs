//! The reports on the history: `--summary` (tables, JSON, CSV, charts),
//! `--summary --alert` and `--audit`, each read from a consistent view of
//! the database and written to stdout.

use crate::cli::{self, Cli, Format};
use crate::config::Config;
use crate::sample::TOTAL_INTERFACE;
use crate::support::error::{Error, Result};
use crate::support::wallclock;
use crate::{report, store};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `--summary --alert`: the current period of each selected interface
/// (default `_total`) against `limit`; exit 3 when any is over it.
pub(super) fn alert(cli: &Cli, config: &Config, limit: u64) -> Result<()> {
    let database = &config.database_file;
    let opened = report::open_read_only(database)?;
    let calendar = store::read_calendar(&opened.conn).map_err(unreadable(database))?;
    let alert = report::alert::Alert {
        limit,
        period: cli.by.unwrap_or(cli::Period::Month),
        direction: cli.direction,
        estimate: cli.estimate,
    };
    let now = wallclock::now();
    let current = report::current::current_periods(
        &opened.history(),
        &calendar,
        alert.period,
        &config.billing,
        now,
    )
    .map_err(unreadable(database))?;
    let interfaces = if config.interfaces.is_empty() {
        vec![TOTAL_INTERFACE.to_string()]
    } else {
        report::alert::check_known(&opened.history(), &config.interfaces).map_err(Error::config)?;
        config.interfaces.clone()
    };
    let periods = report::period::Periods {
        period: alert.period,
        billing_day: config.billing.default,
    };
    let start = periods.floor(&calendar, now);
    let empty = (start, periods.next(&calendar, start));
    let verdicts = alert.judge(&interfaces, &current, &calendar, empty);
    let mut out = std::io::stdout().lock();
    let written = match cli.format {
        Format::Table => report::alert::table(&mut out, &alert, &verdicts),
        Format::Json => report::alert::json(&mut out, &alert, &verdicts),
        Format::Csv | Format::Svg => report::alert::csv(&mut out, &verdicts),
    };
    let written = written.and_then(|()| out.flush());
    // The verdict is the answer a monitoring system waits for: it wins
    // over a stdout that could not take the table.
    if verdicts.iter().any(|v| v.exceeded) {
        return Err(Error::AlertExceeded);
    }
    written.map_err(Error::write("the alert"))
}

/// `--audit`: how each selected interface's total over the window was
/// obtained; exit 4 when some bytes are not accounted for.
pub(super) fn audit(cli: &Cli, config: &Config) -> Result<()> {
    let now = wallclock::now();
    let database = &config.database_file;
    let opened = report::open_read_only(database)?;
    let calendar = store::read_calendar(&opened.conn).map_err(unreadable(database))?;
    let (since, until) = report::window::resolve(
        cli.since.as_deref(),
        cli.until.as_deref(),
        None,
        now,
        &calendar,
    )
    .map_err(Error::config)?;
    let query = report::audit::AuditQuery {
        calendar,
        since,
        until,
        interfaces: config.interfaces.clone(),
        now,
    };
    let audit =
        report::audit::build(&opened.history(), database, &query).map_err(unreadable(database))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match cli.format {
        Format::Json => report::audit::render::json(&mut out, &audit),
        _ => report::audit::render::table(&mut out, &audit),
    }
    .and_then(|()| out.flush());
    if !audit.accounted() {
        return Err(Error::AuditUncertain);
    }
    written.map_err(Error::write("the audit"))
}

/// Attempts at a consistent read of a database that a monitor may start
/// writing while it is read.
const SUMMARY_ATTEMPTS: usize = 3;

/// `--summary`: totals, periods, top days or percentiles over a window, as
/// a table, JSON, CSV or a chart.
pub(super) fn summary(cli: &Cli, config: &Config) -> Result<()> {
    let database: PathBuf = config.database_file.clone();
    let mut attempt = 0;
    let report = loop {
        attempt += 1;
        let opened = report::open_read_only(&database)?;
        let calendar = store::read_calendar(&opened.conn)
            .map_err(|e| Error::runtime(format!("database {}: {e}", database.display())))?;
        let (since, until) = report::window::resolve(
            cli.since.as_deref(),
            cli.until.as_deref(),
            cli.by.map(|period| report::period::Periods {
                period,
                billing_day: config.billing.default,
            }),
            wallclock::now(),
            &calendar,
        )
        .map_err(Error::config)?;
        let query = report::Query {
            calendar,
            since,
            until,
            interfaces: config.interfaces.clone(),
            by: cli.by,
            billing: config.billing.clone(),
            top: cli.top.map(|n| n as usize),
            estimate_at: Some(wallclock::now()),
            percentile: cli.percentile,
        };
        let report =
            report::build(&opened.history(), &database, &query).map_err(unreadable(&database))?;
        if opened.still_valid() || attempt == SUMMARY_ATTEMPTS {
            break report;
        }
    };
    // Buffered: a --by day report over a year is thousands of lines.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match cli.format {
        Format::Table if report.total_records == 0 => writeln!(
            out,
            "database {} has no samples yet; run netmon to collect some",
            database.display()
        ),
        Format::Table => report::render::table(&mut out, &report),
        Format::Json => report::render::json(&mut out, &report),
        Format::Csv => report::render::csv(&mut out, &report),
        Format::Svg => {
            let host = rustix::system::uname()
                .nodename()
                .to_string_lossy()
                .into_owned();
            let period = cli.by.unwrap_or(cli::Period::Day);
            let chart = report::chart::svg(&report, period, &host)
                .map_err(|e| Error::runtime(format!("cannot draw the chart: {e}")))?;
            out.write_all(chart.as_bytes())
        }
    }
    .and_then(|()| out.flush());
    written.map_err(Error::write("the report"))
}

/// A converter of a failed read of `database` into the error that says so.
fn unreadable<E: std::fmt::Display>(database: &Path) -> impl Fn(E) -> Error + '_ {
    move |e| Error::runtime(format!("cannot read {}: {e}", database.display()))
}

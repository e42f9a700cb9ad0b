//! The command line: flags, not subcommands (these invocations are the
//! public interface).

use clap::{ArgGroup, Parser, ValueEnum};
use std::path::PathBuf;

/// netmon's command-line flags.
#[derive(Parser, Debug, Default, Clone)]
#[command(
    name = "netmon",
    version,
    about = "Samples network interface counters into SQLite and reports on the history.",
    long_about = "Samples every network interface's byte, packet, error and drop counters at a \
fixed interval, computes transfer rates and keeps the history in an SQLite database.\n\n\
With no flags netmon monitors until Ctrl-C or SIGTERM.\n\n\
Exit codes: 0 success; 1 runtime failure; 2 bad usage or configuration (nothing written); \
3 an --alert limit exceeded; 4 --audit found bytes it cannot account for."
)]
#[command(group = ArgGroup::new("reading").args(["summary", "live", "audit"]))]
#[command(group = ArgGroup::new("history").args(["summary", "audit"]).multiple(true))]
pub struct Cli {
    /// Take one sample of every selected interface, store it, print it, and exit.
    #[arg(long, conflicts_with_all = ["count", "summary", "audit"])]
    pub once: bool,

    /// Seconds between samples, 0.01 to 86400 (fractions allowed, e.g. 0.5). Overrides monitoring_interval.
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub interval: Option<f64>,

    /// Monitor (or, with --summary, report) only these interfaces (exact names).
    #[arg(long, num_args = 1.., value_name = "NAME")]
    pub interfaces: Option<Vec<String>>,

    /// Print the history report from the database and exit; never writes.
    #[arg(long)]
    pub summary: bool,

    /// Show how each interface's total over the window was obtained: the share covered by
    /// samples, every stretch nobody watched (netmon stopped, a reboot, the interface absent)
    /// with how it was bridged and the bytes still unaccounted, and the resets, wraps, glitches
    /// and set-aside deltas. Exit 0 when every byte is accounted for, 4 when not. Never writes.
    #[arg(long, conflicts_with_all = ["by", "top", "percentile", "alert", "direction", "estimate"])]
    pub audit: bool,

    /// Show each interface's rates now, every --interval (default 1 s here), rewritten in place
    /// on a terminal; Ctrl-C or --count N ends it with a summary of the session. Writes nothing,
    /// takes no lock: it runs beside a monitor.
    #[arg(long, conflicts_with_all = ["once", "summary", "listen"])]
    pub live: bool,

    /// Use this configuration file (must exist).
    #[arg(short = 'c', long = "config", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Take N samples, then exit (a bounded run for scripts and tests).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), conflicts_with_all = ["summary", "audit"])]
    pub count: Option<u64>,

    /// Do not print each cycle's rates on stdout (logging is unaffected).
    #[arg(short, long)]
    pub quiet: bool,

    /// With --summary or --audit: only samples at or after this time: a duration back from now
    /// (90m, 24h, 7d, 1h30m), a date (2026-11-01, midnight in the database's time zone) or RFC
    /// 3339; `all` for the whole history [default: all; with --by, the last 24 hours, 30 days or
    /// 12 months].
    #[arg(long, value_name = "WHEN", requires = "history")]
    pub since: Option<String>,

    /// With --summary or --audit: only samples before this time (same forms as --since)
    /// [default: now].
    #[arg(long, value_name = "WHEN", requires = "history")]
    pub until: Option<String>,

    /// While monitoring, serve Prometheus metrics (node_exporter's netdev names plus netmon_*) on
    /// this address: IP:PORT, e.g. 127.0.0.1:9157, [::1]:9157, 0.0.0.0:9157. Overrides
    /// metrics_listen.
    #[arg(long, value_name = "ADDR", conflicts_with_all = ["once", "summary", "audit"])]
    pub listen: Option<String>,

    /// With --summary: also list the N days with the most traffic in the window (like vnstat -t);
    /// without --since or --by the window is the whole history.
    #[arg(long, value_name = "N", requires = "summary", value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub top: Option<u32>,

    /// With --summary: also the P-th percentile (e.g. 95, for burstable billing) of the 5-minute
    /// average rates in the window, received, sent and the higher of the two.
    #[arg(long, value_name = "P", requires = "summary", value_parser = parse_percent)]
    pub percentile: Option<f64>,

    /// With --summary: compare the current period (month unless --by says otherwise) of each
    /// selected interface (default _total) with SIZE (500GiB, 1.5TB, 123456789) and exit 3 if
    /// it is exceeded, 0 if not.
    #[arg(long, value_name = "SIZE", requires = "summary", conflicts_with_all = ["since", "until", "top"])]
    pub alert: Option<String>,

    /// With --alert: the traffic compared: rx (received), tx (sent) or total.
    #[arg(long, value_enum, value_name = "DIRECTION", default_value_t = Direction::Total, requires = "alert", hide_possible_values = true)]
    pub direction: Direction,

    /// With --alert: compare the estimated total at the period's end instead of the traffic so
    /// far (the traffic so far while the period has less than an hour of data).
    #[arg(long, requires = "alert")]
    pub estimate: bool,

    /// Print the completion script for SHELL (bash, elvish, fish, powershell or zsh) and exit.
    #[arg(
        long,
        value_name = "SHELL",
        exclusive = true,
        hide_possible_values = true
    )]
    pub completions: Option<clap_complete::Shell>,

    /// Print the man page (roff) and exit.
    #[arg(long, exclusive = true)]
    pub manpage: bool,

    /// With --summary, --audit or --live: output format: table (aligned, human-readable), json
    /// (one object with exact integers and stable field names; with --live one object per line)
    /// or csv (with --summary: a header row, then one row per interface) or svg (with --summary
    /// --by: one self-contained SVG chart of received and sent bytes per period).
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t = Format::Table,
        requires = "reading",
        hide_possible_values = true
    )]
    pub format: Format,

    /// With --summary: also break the totals down by PERIOD: hour, day, week (ISO, from Monday),
    /// month (from billing_day) or year, in the time zone the database records; without --since
    /// it covers the last 24 hours, 30 days, 12 weeks, 12 months or 5 years, like vnStat.
    #[arg(
        long,
        value_enum,
        value_name = "PERIOD",
        requires = "summary",
        hide_possible_values = true
    )]
    pub by: Option<Period>,
}

/// How `--summary` prints.
#[derive(ValueEnum, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned, human-readable table.
    #[default]
    Table,
    /// One JSON object with exact integers (field names are stable).
    Json,
    /// Comma-separated values with a header row.
    Csv,
    /// With --summary --by: one self-contained SVG chart.
    Svg,
}

/// A `--percentile` value that is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a percentile is a number above 0 and at most 100, e.g. 95")]
pub(crate) struct BadPercentile;

/// A percentile: a number above 0 and at most 100.
fn parse_percent(text: &str) -> Result<f64, BadPercentile> {
    match text.trim().parse::<f64>() {
        Ok(p) if p > 0.0 && p <= 100.0 => Ok(p),
        _ => Err(BadPercentile),
    }
}

/// Which traffic `--alert` compares with its limit.
#[derive(ValueEnum, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Bytes received.
    Rx,
    /// Bytes sent.
    Tx,
    /// Bytes received and sent.
    #[default]
    Total,
}

impl Period {
    /// The period's name as written on the command line (`day`).
    pub fn name(self) -> &'static str {
        match self {
            Period::Hour => "hour",
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Year => "year",
        }
    }
}

/// Period length for `--summary --by`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Local clock hours.
    Hour,
    /// Local calendar days.
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Months (from the billing day, the 1st by default).
    Month,
    /// Calendar years.
    Year,
}

//! Printing a [`Report`] as an aligned table, JSON (SPEC §6) or CSV.

use super::current::{CurrentPeriod, MIN_ESTIMATE_SECONDS};
use super::percentile::Percentile;
use super::{InterfaceReport, Report, Totals};
use crate::calendar::Calendar;
use crate::ifname::printable;
use crate::store::codec::parse_timestamp;
use crate::units::{name_width, BitRate, HumanBytes, HumanRate, RxTx};
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The proportional bar of the widest period in `--by` tables; the others
/// print a prefix of it.
const BAR: &str = "##############################";

/// Narrowest interface column (kernel names are at most 15 bytes).
const NAME_WIDTH: usize = 16;

/// A stored timestamp shown in the database's zone.
fn local_time(calendar: &Calendar, stored: &str) -> String {
    parse_timestamp(stored)
        .map(|t| calendar.local(t).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| printable(stored).into_owned())
}

/// Width of the interface column: the longest printable name, at least
/// [`NAME_WIDTH`].
fn interface_width(report: &Report) -> usize {
    name_width(
        report.interfaces.iter().map(|e| printable(&e.interface)),
        NAME_WIDTH,
    )
}

/// Prints the human-readable table.
pub fn table(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let calendar = &report.calendar;
    let bound = |t: Option<DateTime<Utc>>, open: &str| {
        t.map_or(open.to_string(), |t| {
            calendar.local(t).format("%Y-%m-%d %H:%M:%S").to_string()
        })
    };
    writeln!(
        out,
        "netmon summary of {}",
        printable(&report.database.display().to_string())
    )?;
    writeln!(
        out,
        "window: {} .. {}",
        bound(report.since, "beginning"),
        bound(report.until, "now")
    )?;
    writeln!(
        out,
        "times, days and months in {}, the time zone this database records",
        calendar.describe(crate::wallclock::now())
    )?;
    for (flag, requested, effective) in [
        ("--since", report.rounded.0, report.since),
        ("--until", report.rounded.1, report.until),
    ] {
        if let (Some(requested), Some(effective)) = (requested, effective) {
            writeln!(
                out,
                "note: {flag} {} was resolved to the hour ({}): the raw samples that would \
                 place it exactly are gone (database.retention_days)",
                bound(Some(requested), ""),
                bound(Some(effective), "")
            )?;
        }
    }
    writeln!(out)?;
    match &report.held {
        Some((first, last)) => writeln!(
            out,
            "no samples in this window; the database holds samples from {} to {}: \
             widen the window with --since/--until, or --since all",
            local_time(calendar, first),
            local_time(calendar, last)
        )?,
        None => totals_table(out, report)?,
    }
    writeln!(out)?;
    writeln!(out, "total records in database: {}", report.total_records)
}

/// One line per interface, then with `--by` one block of periods each.
fn totals_table(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let width = interface_width(report);
    writeln!(
        out,
        "{:<width$} {:<19} {:<19} {:>8} {:>11} {:>11} {:>11} {:>13} {:>13} {:>13} {:>13} {:>9} {:>9} {:>9} {:>9}",
        "interface", "first sample", "last sample", "samples", "received", "sent", "total",
        "avg rx", "avg tx", "peak rx", "peak tx", "errs in", "errs out", "drops in", "drops out"
    )?;
    for entry in &report.interfaces {
        let t = &entry.totals;
        writeln!(
            out,
            "{:<width$} {:<19} {:<19} {:>8} {:>11} {:>11} {:>11} {:>13} {:>13} {:>13} {:>13} {:>9} {:>9} {:>9} {:>9}",
            printable(&entry.interface),
            local_time(&report.calendar, &t.first_sample),
            local_time(&report.calendar, &t.last_sample),
            t.samples,
            HumanBytes(t.bytes_recv as f64),
            HumanBytes(t.bytes_sent as f64),
            HumanBytes(t.bytes_total() as f64),
            HumanRate(t.avg_recv_rate()),
            HumanRate(t.avg_sent_rate()),
            HumanRate(t.peak_recv_rate),
            HumanRate(t.peak_sent_rate),
            t.errin,
            t.errout,
            t.dropin,
            t.dropout,
        )?;
    }
    for entry in report.interfaces.iter().filter(|e| !e.periods.is_empty()) {
        let title = match entry.billing_day {
            Some(day) if day != 1 => format!(" (months from day {day}, its billing day)"),
            _ => String::new(),
        };
        periods_table(out, &entry.interface, &title, &entry.periods)?;
    }
    for entry in report.interfaces.iter().filter(|e| !e.top.is_empty()) {
        let title = format!(": the {} days with the most traffic", entry.top.len());
        periods_table(out, &entry.interface, &title, &entry.top)?;
    }
    estimates_table(out, report)?;
    percentile_table(out, report)
}

/// `--percentile`: per interface, received, sent and the higher of the two.
fn percentile_table(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let Some(p) = report.interfaces.iter().find_map(|e| e.percentile.as_ref()) else {
        return Ok(());
    };
    let width = interface_width(report);
    writeln!(out)?;
    writeln!(
        out,
        "{}th percentile of the 5-minute average rates (at most {}% of the slots were faster)",
        p.p,
        100.0 - p.p
    )?;
    writeln!(
        out,
        "{:<width$} {:>7} {:>13} {:>14} {:>13} {:>14} {:>14}",
        "interface", "slots", "rx", "rx bits", "tx", "tx bits", "higher (bits)"
    )?;
    for entry in &report.interfaces {
        let Some(p) = &entry.percentile else { continue };
        writeln!(
            out,
            "{:<width$} {:>7} {:>13} {:>14} {:>13} {:>14} {:>14}",
            printable(&entry.interface),
            p.slots,
            HumanRate(p.recv),
            BitRate(p.recv),
            HumanRate(p.sent),
            BitRate(p.sent),
            BitRate(p.max()),
        )?;
    }
    Ok(())
}

/// The current day and month of each interface: so far and estimated.
fn estimates_table(out: &mut impl Write, report: &Report) -> io::Result<()> {
    if report.interfaces.iter().all(|e| e.estimates.is_empty()) {
        return Ok(());
    }
    let width = interface_width(report);
    writeln!(out)?;
    writeln!(
        out,
        "estimates: the current period's traffic so far, scaled to its whole length \
         (none from less than {} minutes of data)",
        MIN_ESTIMATE_SECONDS / 60.0
    )?;
    writeln!(
        out,
        "{:<width$} {:<6} {:<16} {:>11} {:>11} {:>11} {:>11}",
        "interface", "period", "since", "so far rx", "so far tx", "est. rx", "est. tx"
    )?;
    for entry in &report.interfaces {
        for current in &entry.estimates {
            let since = report
                .calendar
                .local(current.data_since)
                .format("%Y-%m-%d %H:%M");
            let estimated = |pick: fn(RxTx<u64>) -> u64| {
                current
                    .estimate
                    .map_or("-".to_string(), |e| HumanBytes(pick(e) as f64).to_string())
            };
            writeln!(
                out,
                "{:<width$} {:<6} {since:<16} {:>11} {:>11} {:>11} {:>11}",
                printable(&entry.interface),
                current.period.name(),
                HumanBytes(current.so_far.bytes_recv as f64),
                HumanBytes(current.so_far.bytes_sent as f64),
                estimated(|e| e.recv),
                estimated(|e| e.sent),
            )?;
        }
    }
    Ok(())
}

/// One block of periods (or top days) of an interface, with a bar
/// proportional to each row's total.
fn periods_table(
    out: &mut impl Write,
    interface: &str,
    title: &str,
    periods: &[(DateTime<FixedOffset>, Totals)],
) -> io::Result<()> {
    let widest = periods
        .iter()
        .map(|(_, t)| t.bytes_total())
        .max()
        .unwrap_or(0)
        .max(1);
    writeln!(out)?;
    writeln!(out, "{}{title}", printable(interface))?;
    writeln!(
        out,
        "  {:<16} {:>11} {:>11} {:>11} {:>13} {:>13}  total traffic",
        "period start", "received", "sent", "total", "peak rx", "peak tx"
    )?;
    for (start, t) in periods {
        use chrono::{Datelike, Timelike};
        let total = t.bytes_total();
        let filled = ((total as f64 / widest as f64) * BAR.len() as f64).round() as usize;
        // The period start as `2026-11-24 00:00`, from its fields: cheaper
        // than a strftime pattern for thousands of rows.
        let local = start.naive_local();
        writeln!(
            out,
            "  {:04}-{:02}-{:02} {:02}:{:02} {:>11} {:>11} {:>11} {:>13} {:>13}  {}",
            local.year(),
            local.month(),
            local.day(),
            local.hour(),
            local.minute(),
            HumanBytes(t.bytes_recv as f64),
            HumanBytes(t.bytes_sent as f64),
            HumanBytes(total as f64),
            HumanRate(t.peak_recv_rate),
            HumanRate(t.peak_sent_rate),
            BAR.get(..filled).unwrap_or(BAR)
        )?;
    }
    Ok(())
}

/// The numbers of one interface or period, in SPEC §6 order.
#[derive(Serialize)]
struct JsonTotals {
    samples: u64,
    bytes_recv: u64,
    bytes_sent: u64,
    bytes_total: u64,
    avg_recv_rate: Option<f64>,
    avg_sent_rate: Option<f64>,
    peak_recv_rate: Option<f64>,
    peak_sent_rate: Option<f64>,
    errin: u64,
    errout: u64,
    dropin: u64,
    dropout: u64,
}

impl From<&Totals> for JsonTotals {
    fn from(t: &Totals) -> Self {
        JsonTotals {
            samples: t.samples,
            bytes_recv: t.bytes_recv,
            bytes_sent: t.bytes_sent,
            bytes_total: t.bytes_total(),
            avg_recv_rate: t.avg_recv_rate(),
            avg_sent_rate: t.avg_sent_rate(),
            peak_recv_rate: t.peak_recv_rate,
            peak_sent_rate: t.peak_sent_rate,
            errin: t.errin,
            errout: t.errout,
            dropin: t.dropin,
            dropout: t.dropout,
        }
    }
}

/// The JSON object of SPEC §6, serialized straight from the [`Report`]:
/// a year of `--by hour` is ~80 000 periods, too many for a value tree.
#[derive(Serialize)]
struct JsonReport<'a> {
    database: String,
    total_records: u64,
    since: Option<String>,
    until: Option<String>,
    /// The requested bounds, when they had to be resolved to the hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    since_requested: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    until_requested: Option<String>,
    /// The zone days and months (and period starts) are in.
    time_zone: &'a str,
    interfaces: Vec<JsonInterface<'a>>,
}

#[derive(Serialize)]
struct JsonInterface<'a> {
    interface: &'a str,
    first_sample: &'a str,
    last_sample: &'a str,
    #[serde(flatten)]
    totals: JsonTotals,
    #[serde(skip_serializing_if = "Option::is_none")]
    billing_day: Option<u32>,
    #[serde(skip_serializing_if = "JsonPeriods::is_empty")]
    periods: JsonPeriods<'a>,
    #[serde(skip_serializing_if = "JsonPeriods::is_empty")]
    top: JsonPeriods<'a>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    estimate: BTreeMap<&'static str, JsonEstimate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    percentile: Option<JsonPercentile>,
}

/// `--percentile` in JSON: bytes/s and bits/s.
#[derive(Serialize)]
struct JsonPercentile {
    p: f64,
    slots: usize,
    recv_bytes_per_s: Option<f64>,
    sent_bytes_per_s: Option<f64>,
    max_bytes_per_s: Option<f64>,
    recv_bits_per_s: Option<f64>,
    sent_bits_per_s: Option<f64>,
    max_bits_per_s: Option<f64>,
}

impl From<&Percentile> for JsonPercentile {
    fn from(p: &Percentile) -> Self {
        let bits = |rate: Option<f64>| rate.map(|r| r * 8.0);
        JsonPercentile {
            p: p.p,
            slots: p.slots,
            recv_bytes_per_s: p.recv,
            sent_bytes_per_s: p.sent,
            max_bytes_per_s: p.max(),
            recv_bits_per_s: bits(p.recv),
            sent_bits_per_s: bits(p.sent),
            max_bits_per_s: bits(p.max()),
        }
    }
}

/// One current period in JSON: so far, and the estimate at its end.
#[derive(Serialize)]
struct JsonEstimate {
    start: String,
    end: String,
    data_since: String,
    bytes_recv: u64,
    bytes_sent: u64,
    bytes_total: u64,
    estimated_recv: Option<u64>,
    estimated_sent: Option<u64>,
    estimated_total: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
}

/// Why a current period has no estimate.
const NO_ESTIMATE: &str = "less than an hour of data in this period: no estimate yet";

impl JsonEstimate {
    fn of(current: &CurrentPeriod, calendar: &Calendar) -> JsonEstimate {
        let time = |t: DateTime<Utc>| {
            calendar
                .local(t)
                .to_rfc3339_opts(SecondsFormat::Secs, false)
        };
        let so_far = &current.so_far;
        JsonEstimate {
            start: time(current.start),
            end: time(current.end),
            data_since: time(current.data_since),
            bytes_recv: so_far.bytes_recv,
            bytes_sent: so_far.bytes_sent,
            bytes_total: so_far.bytes_total(),
            estimated_recv: current.estimate.map(|e| e.recv),
            estimated_sent: current.estimate.map(|e| e.sent),
            estimated_total: current.estimate.map(RxTx::total),
            note: current.estimate.is_none().then_some(NO_ESTIMATE),
        }
    }
}

/// `"periods"`, each converted as it is written.
struct JsonPeriods<'a>(&'a [(DateTime<FixedOffset>, Totals)]);

impl JsonPeriods<'_> {
    /// Without `--by` there are none, and no `"periods"` key.
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Serialize)]
struct JsonPeriod {
    start: String,
    #[serde(flatten)]
    totals: JsonTotals,
}

impl Serialize for JsonPeriods<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|(start, t)| JsonPeriod {
            start: start.to_rfc3339_opts(SecondsFormat::Secs, false),
            totals: t.into(),
        }))
    }
}

/// Prints the report as one JSON object (SPEC §6).
pub fn json(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let window =
        |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true));
    let document = JsonReport {
        database: report.database.display().to_string(),
        total_records: report.total_records,
        since: window(report.since),
        until: window(report.until),
        since_requested: window(report.rounded.0),
        until_requested: window(report.rounded.1),
        time_zone: report.calendar.name(),
        interfaces: report
            .interfaces
            .iter()
            .map(|entry| JsonInterface {
                interface: &entry.interface,
                first_sample: &entry.totals.first_sample,
                last_sample: &entry.totals.last_sample,
                totals: (&entry.totals).into(),
                billing_day: entry.billing_day,
                periods: JsonPeriods(&entry.periods),
                top: JsonPeriods(&entry.top),
                estimate: entry
                    .estimates
                    .iter()
                    .map(|current| {
                        (
                            current.period.name(),
                            JsonEstimate::of(current, &report.calendar),
                        )
                    })
                    .collect(),
                percentile: entry.percentile.as_ref().map(JsonPercentile::from),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// Prints CSV: one row per interface, or per interface and period with
/// `--by` (per interface and top day with `--top`).
pub fn csv(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let by_period = report.interfaces.iter().any(|e| !rows_of(e).is_empty());
    let header = "samples,bytes_recv,bytes_sent,bytes_total,avg_recv_rate,avg_sent_rate,peak_recv_rate,peak_sent_rate,errin,errout,dropin,dropout";
    if by_period {
        writeln!(
            out,
            "interface,period_start,first_sample,last_sample,{header}"
        )?;
    } else {
        writeln!(out, "interface,first_sample,last_sample,{header}")?;
    }
    for entry in &report.interfaces {
        if by_period {
            for (start, t) in rows_of(entry) {
                let start = start.to_rfc3339_opts(SecondsFormat::Secs, false);
                writeln!(
                    out,
                    "{},{start},{}",
                    csv_text(&printable(&entry.interface)),
                    csv_fields(t)
                )?;
            }
        } else {
            writeln!(
                out,
                "{},{}",
                csv_text(&printable(&entry.interface)),
                csv_fields(&entry.totals)
            )?;
        }
    }
    Ok(())
}

/// The rows CSV lists for an interface: its top days, else its periods.
fn rows_of(entry: &InterfaceReport) -> &[(DateTime<FixedOffset>, Totals)] {
    if entry.top.is_empty() {
        &entry.periods
    } else {
        &entry.top
    }
}

/// A text field as CSV writes it: a field a spreadsheet would take for a
/// formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return;
/// an interface may be named `=1+2`) gets a leading `'`, as OWASP
/// recommends against CSV injection, and it is quoted when it holds a
/// comma, quote or line break.
pub(super) fn csv_text(text: &str) -> String {
    let neutral = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral.into_owned()
    }
}

fn csv_fields(t: &Totals) -> String {
    let rate = |r: Option<f64>| r.map_or(String::new(), |r| format!("{r:.3}"));
    format!(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        t.first_sample,
        t.last_sample,
        t.samples,
        t.bytes_recv,
        t.bytes_sent,
        t.bytes_total(),
        rate(t.avg_recv_rate()),
        rate(t.avg_sent_rate()),
        rate(t.peak_recv_rate),
        rate(t.peak_sent_rate),
        t.errin,
        t.errout,
        t.dropin,
        t.dropout
    )
}

//! The human-readable summary: the window, one line per interface, then
//! the `--by`/`--top` blocks, the estimates and the percentiles.

use crate::model::calendar::Calendar;
use crate::model::ifname::printable;
use crate::model::units::{name_width, BitRate, HumanBytes, HumanRate, RxTx};
use crate::report::current::MIN_ESTIMATE_SECONDS;
use crate::report::{Report, Totals};
use crate::store::codec::parse_timestamp;
use chrono::{DateTime, FixedOffset, Utc};
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
pub(crate) fn table(out: &mut impl Write, report: &Report) -> io::Result<()> {
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
        calendar.describe(crate::support::wallclock::now())
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

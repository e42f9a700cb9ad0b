//! The summary as CSV, and the one rule for a text field in CSV.

use crate::model::ifname::printable;
use crate::report::{InterfaceReport, Report, Totals};
use chrono::{DateTime, FixedOffset, SecondsFormat};
use std::borrow::Cow;
use std::io::{self, Write};

/// Prints CSV: one row per interface, or per interface and period with
/// `--by` (per interface and top day with `--top`).
pub(crate) fn csv(out: &mut impl Write, report: &Report) -> io::Result<()> {
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
pub(in crate::report) fn csv_text(text: &str) -> String {
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

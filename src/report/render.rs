//! Printing a [`Report`] as an aligned table, JSON (SPEC §6) or CSV.

use super::{InterfaceReport, Report, Totals};
use crate::output::{HumanBytes, HumanRate};
use chrono::{DateTime, Local, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::io::{self, Write};

/// The proportional bar of the widest period in `--by` tables; the others
/// print a prefix of it.
const BAR: &str = "##############################";

fn local_time(stored: &str) -> String {
    DateTime::parse_from_rfc3339(stored)
        .map(|t| {
            t.with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| stored.to_string())
}

fn window_text(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| {
        Value::String(t.to_rfc3339_opts(SecondsFormat::Millis, true))
    })
}

/// Prints the human-readable table.
pub fn table(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let bound = |t: Option<DateTime<Utc>>, open: &str| {
        t.map_or(open.to_string(), |t| {
            t.with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
    };
    writeln!(out, "netmon summary of {}", report.database.display())?;
    writeln!(
        out,
        "window: {} .. {}",
        bound(report.since, "beginning"),
        bound(report.until, "now")
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<16} {:<19} {:<19} {:>8} {:>11} {:>11} {:>11} {:>13} {:>13} {:>13} {:>13} {:>9} {:>9} {:>9} {:>9}",
        "interface", "first sample", "last sample", "samples", "received", "sent", "total",
        "avg rx", "avg tx", "peak rx", "peak tx", "errs in", "errs out", "drops in", "drops out"
    )?;
    for entry in &report.interfaces {
        let t = &entry.totals;
        writeln!(
            out,
            "{:<16} {:<19} {:<19} {:>8} {:>11} {:>11} {:>11} {:>13} {:>13} {:>13} {:>13} {:>9} {:>9} {:>9} {:>9}",
            entry.interface,
            local_time(&t.first_sample),
            local_time(&t.last_sample),
            t.samples,
            HumanBytes(t.bytes_recv as f64),
            HumanBytes(t.bytes_sent as f64),
            HumanBytes((t.bytes_recv + t.bytes_sent) as f64),
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
        periods_table(out, entry)?;
    }
    writeln!(out)?;
    writeln!(out, "total records in database: {}", report.total_records)
}

fn periods_table(out: &mut impl Write, entry: &InterfaceReport) -> io::Result<()> {
    let widest = entry
        .periods
        .iter()
        .map(|(_, t)| t.bytes_recv + t.bytes_sent)
        .max()
        .unwrap_or(0)
        .max(1);
    writeln!(out)?;
    writeln!(out, "{}", entry.interface)?;
    writeln!(
        out,
        "  {:<16} {:>11} {:>11} {:>11} {:>13} {:>13}  total traffic",
        "period start", "received", "sent", "total", "peak rx", "peak tx"
    )?;
    for (start, t) in &entry.periods {
        use chrono::{Datelike, Timelike};
        let total = t.bytes_recv + t.bytes_sent;
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

fn totals_json(t: &Totals) -> serde_json::Map<String, Value> {
    let mut object = serde_json::Map::new();
    object.insert("samples".into(), json!(t.samples));
    object.insert("bytes_recv".into(), json!(t.bytes_recv));
    object.insert("bytes_sent".into(), json!(t.bytes_sent));
    object.insert("bytes_total".into(), json!(t.bytes_recv + t.bytes_sent));
    object.insert("avg_recv_rate".into(), json!(t.avg_recv_rate()));
    object.insert("avg_sent_rate".into(), json!(t.avg_sent_rate()));
    object.insert("peak_recv_rate".into(), json!(t.peak_recv_rate));
    object.insert("peak_sent_rate".into(), json!(t.peak_sent_rate));
    object.insert("errin".into(), json!(t.errin));
    object.insert("errout".into(), json!(t.errout));
    object.insert("dropin".into(), json!(t.dropin));
    object.insert("dropout".into(), json!(t.dropout));
    object
}

/// The report as the JSON value of SPEC §6.
pub fn json_value(report: &Report) -> Value {
    let interfaces: Vec<Value> = report
        .interfaces
        .iter()
        .map(|entry| {
            let mut object = serde_json::Map::new();
            object.insert("interface".into(), json!(entry.interface));
            object.insert("first_sample".into(), json!(entry.totals.first_sample));
            object.insert("last_sample".into(), json!(entry.totals.last_sample));
            object.extend(totals_json(&entry.totals));
            if !entry.periods.is_empty() {
                let periods: Vec<Value> = entry
                    .periods
                    .iter()
                    .map(|(start, t)| {
                        let mut period = serde_json::Map::new();
                        period.insert(
                            "start".into(),
                            json!(start.to_rfc3339_opts(SecondsFormat::Secs, false)),
                        );
                        period.extend(totals_json(t));
                        Value::Object(period)
                    })
                    .collect();
                object.insert("periods".into(), Value::Array(periods));
            }
            Value::Object(object)
        })
        .collect();
    json!({
        "database": report.database.display().to_string(),
        "total_records": report.total_records,
        "since": window_text(report.since),
        "until": window_text(report.until),
        "interfaces": interfaces,
    })
}

/// Prints the report as one JSON object.
pub fn json(out: &mut impl Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &json_value(report))?;
    writeln!(out)
}

/// Prints CSV: one row per interface, or per interface and period with `--by`.
pub fn csv(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let by_period = report.interfaces.iter().any(|e| !e.periods.is_empty());
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
            for (start, t) in &entry.periods {
                let start = start.to_rfc3339_opts(SecondsFormat::Secs, false);
                writeln!(
                    out,
                    "{},{start},{}",
                    csv_text(&entry.interface),
                    csv_fields(t)
                )?;
            }
        } else {
            writeln!(
                out,
                "{},{}",
                csv_text(&entry.interface),
                csv_fields(&entry.totals)
            )?;
        }
    }
    Ok(())
}

/// Quotes a CSV field when it holds a comma, quote or line break.
fn csv_text(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
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
        t.bytes_recv + t.bytes_sent,
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

//! Printing an [`Audit`]: an aligned table with one line per interface and
//! one per unwatched stretch, or one JSON object.

use super::{Audit, Bridge, Cause, InterfaceAudit, Stretch, Tally, Unaccounted};
use crate::model::calendar::Calendar;
use crate::model::ifname::printable;
use crate::model::units::HumanBytes;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::io::{self, Write};

/// Narrowest interface column (kernel names are at most 15 bytes).
const NAME_WIDTH: usize = 15;

impl Cause {
    /// What happened, in a few words.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Cause::Stopped => "netmon stopped",
            Cause::Reboot => "reboot",
            Cause::Recreated => "interface re-created",
            Cause::NotContinued => "not continued",
        }
    }
}

impl Bridge {
    /// How the stretch was counted, in a few words.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Bridge::Continuation => "continuation",
            Bridge::SinceBoot => "since-boot reading",
            Bridge::FinalSampleAndSinceBoot => "final sample + since-boot reading",
            Bridge::SinceCreation => "since-creation reading",
            Bridge::Nothing => "none",
        }
    }
}

impl std::fmt::Display for Unaccounted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unaccounted::None => f.pad("0 B"),
            Unaccounted::AtMost(bytes) => f.pad(&format!("<= {}", HumanBytes(*bytes as f64))),
            Unaccounted::Unknown => f.pad("unknown"),
        }
    }
}

/// A time in the database's zone, to the second.
fn local(calendar: &Calendar, t: DateTime<Utc>) -> String {
    calendar.local(t).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A tally as `N (SIZE)`, or `0`.
fn tally(t: Tally) -> String {
    if t.count == 0 {
        "0".into()
    } else {
        format!("{} ({})", t.count, HumanBytes(t.bytes as f64))
    }
}

/// Prints the audit as a table: the window, one line per interface, its
/// unwatched stretches, and the verdict.
pub(crate) fn table(out: &mut impl Write, audit: &Audit) -> io::Result<()> {
    let calendar = &audit.calendar;
    let bound =
        |t: Option<DateTime<Utc>>, open: &str| t.map_or(open.into(), |t| local(calendar, t));
    writeln!(
        out,
        "netmon audit of {}",
        printable(&audit.database.display().to_string())
    )?;
    writeln!(
        out,
        "window: {} .. {}, times in {}",
        bound(audit.since, "beginning"),
        bound(audit.until, "now"),
        calendar.describe(crate::support::wallclock::now())
    )?;
    if let Some(from) = audit.facts_from {
        writeln!(
            out,
            "note: samples before {} were stored before netmon recorded how each delta was \
             obtained: only their missing deltas are known",
            local(calendar, from)
        )?;
    }
    if audit.only_total {
        writeln!(
            out,
            "note: some cycles stored only _total (track_per_interface: false): how their \
             interfaces' deltas were obtained is not recorded"
        )?;
    }
    if audit.interfaces.is_empty() {
        writeln!(out, "no interface samples in this window")?;
        return verdict(out, audit);
    }
    let width = audit
        .interfaces
        .iter()
        .map(|i| printable(&i.interface).chars().count())
        .max()
        .unwrap_or(0)
        .max(NAME_WIDTH);
    writeln!(
        out,
        "\n{:<width$} {:>7} {:>9} {:>11} {:>6} {:>6} {:>8} {:>9}",
        "interface",
        "covered",
        "stretches",
        "unaccounted",
        "resets",
        "wraps",
        "glitches",
        "set aside"
    )?;
    for entry in &audit.interfaces {
        writeln!(
            out,
            "{:<width$} {:>6.1}% {:>9} {:>11} {:>6} {:>6} {:>8} {:>9}",
            printable(&entry.interface),
            entry.covered_share() * 100.0,
            entry.stretches.len(),
            entry.unaccounted().to_string(),
            entry.resets.count,
            entry.wraps.count,
            entry.glitches.count,
            entry.set_aside.count
        )?;
    }
    for entry in &audit.interfaces {
        details(out, calendar, entry)?;
    }
    writeln!(out)?;
    verdict(out, audit)
}

/// The stretches and facts of one interface, where it has any.
fn details(out: &mut impl Write, calendar: &Calendar, entry: &InterfaceAudit) -> io::Result<()> {
    let facts = [
        ("resets", entry.resets),
        ("wraps", entry.wraps),
        ("glitches", entry.glitches),
        ("lasting dips", entry.lasting_dips),
        ("set aside", entry.set_aside),
    ];
    if entry.stretches.is_empty() && facts.iter().all(|(_, t)| t.count == 0) {
        return Ok(());
    }
    writeln!(out, "\n{}:", printable(&entry.interface))?;
    for stretch in &entry.stretches {
        writeln!(out, "  {}", stretch_line(calendar, stretch))?;
    }
    let listed: Vec<String> = facts
        .iter()
        .filter(|(_, t)| t.count > 0)
        .map(|(name, t)| format!("{name} {}", tally(*t)))
        .collect();
    if !listed.is_empty() {
        writeln!(out, "  {}", listed.join(", "))?;
    }
    Ok(())
}

/// One stretch: when, why, how it was bridged, what is unaccounted.
fn stretch_line(calendar: &Calendar, stretch: &Stretch) -> String {
    let from = stretch
        .from
        .map_or("(no earlier sample)".into(), |t| local(calendar, t));
    let length = stretch.from.map_or(String::new(), |from| {
        let seconds = (stretch.to - from).num_seconds().max(0) as u64;
        format!(
            " ({})",
            humantime::format_duration(std::time::Duration::from_secs(seconds))
        )
    });
    format!(
        "{from} .. {}{length}: {}, bridged by {}, unaccounted {}",
        local(calendar, stretch.to),
        stretch.cause.describe(),
        stretch.bridge.describe(),
        stretch.unaccounted
    )
}

/// The last line: every byte accounted for, or which interfaces are not.
fn verdict(out: &mut impl Write, audit: &Audit) -> io::Result<()> {
    let mut uncertain: Vec<String> = audit
        .interfaces
        .iter()
        .filter(|i| i.unaccounted() != Unaccounted::None)
        .map(|i| format!("{} ({})", printable(&i.interface), i.unaccounted()))
        .collect();
    if audit.facts_from.is_some() || audit.only_total {
        uncertain.push("samples whose facts were not recorded".into());
    }
    if uncertain.is_empty() {
        writeln!(out, "every byte in the window is accounted for")
    } else {
        writeln!(
            out,
            "not every byte is accounted for: {} (exit code 4)",
            uncertain.join(", ")
        )
    }
}

#[derive(Serialize)]
struct JsonAudit<'a> {
    database: String,
    since: Option<String>,
    until: Option<String>,
    time_zone: &'a str,
    facts_from: Option<String>,
    only_total: bool,
    accounted: bool,
    interfaces: Vec<JsonInterface<'a>>,
}

#[derive(Serialize)]
struct JsonInterface<'a> {
    interface: &'a str,
    first_sample: &'a str,
    last_sample: &'a str,
    bytes_recv: u64,
    bytes_sent: u64,
    span_seconds: f64,
    covered_seconds: f64,
    covered_share: f64,
    accounted: bool,
    unaccounted_bytes: Option<u64>,
    unaccounted_bytes_at_most: Option<u64>,
    stretches: Vec<JsonStretch>,
    resets: JsonTally,
    wraps: JsonTally,
    glitches: JsonTally,
    set_aside: JsonTally,
    set_aside_lost_bytes: u64,
    lasting_dips: JsonTally,
    final_samples: u64,
}

#[derive(Serialize)]
struct JsonStretch {
    from: Option<String>,
    to: String,
    seconds: Option<f64>,
    cause: &'static str,
    bridged_by: &'static str,
    unaccounted_bytes: Option<u64>,
    unaccounted_bytes_at_most: Option<u64>,
}

#[derive(Serialize)]
struct JsonTally {
    count: u64,
    bytes: u64,
}

impl From<Tally> for JsonTally {
    fn from(t: Tally) -> Self {
        JsonTally {
            count: t.count,
            bytes: t.bytes,
        }
    }
}

/// (exactly unaccounted, at most) bytes: `(0, 0)`, `(None, n)` or `(None, None)`.
fn bounds(unaccounted: Unaccounted) -> (Option<u64>, Option<u64>) {
    match unaccounted {
        Unaccounted::None => (Some(0), Some(0)),
        Unaccounted::AtMost(bytes) => (None, Some(bytes)),
        Unaccounted::Unknown => (None, None),
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Prints the audit as one JSON object.
pub(crate) fn json(out: &mut impl Write, audit: &Audit) -> io::Result<()> {
    let document = JsonAudit {
        database: audit.database.display().to_string(),
        since: audit.since.map(rfc3339),
        until: audit.until.map(rfc3339),
        time_zone: audit.calendar.name(),
        facts_from: audit.facts_from.map(rfc3339),
        only_total: audit.only_total,
        accounted: audit.accounted(),
        interfaces: audit
            .interfaces
            .iter()
            .map(|entry| {
                let (unaccounted_bytes, unaccounted_bytes_at_most) = bounds(entry.unaccounted());
                JsonInterface {
                    interface: &entry.interface,
                    first_sample: &entry.totals.first_sample,
                    last_sample: &entry.totals.last_sample,
                    bytes_recv: entry.totals.bytes_recv,
                    bytes_sent: entry.totals.bytes_sent,
                    span_seconds: entry.span_seconds,
                    covered_seconds: entry.totals.seconds,
                    covered_share: entry.covered_share(),
                    accounted: entry.unaccounted() == Unaccounted::None,
                    unaccounted_bytes,
                    unaccounted_bytes_at_most,
                    stretches: entry.stretches.iter().map(json_stretch).collect(),
                    resets: entry.resets.into(),
                    wraps: entry.wraps.into(),
                    glitches: entry.glitches.into(),
                    set_aside: entry.set_aside.into(),
                    set_aside_lost_bytes: entry.set_aside_lost,
                    lasting_dips: entry.lasting_dips.into(),
                    final_samples: entry.final_samples,
                }
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

fn json_stretch(stretch: &Stretch) -> JsonStretch {
    let (unaccounted_bytes, unaccounted_bytes_at_most) = bounds(stretch.unaccounted);
    JsonStretch {
        from: stretch.from.map(rfc3339),
        to: rfc3339(stretch.to),
        seconds: stretch
            .from
            .map(|from| (stretch.to - from).num_milliseconds() as f64 / 1000.0),
        cause: stretch.cause.describe(),
        bridged_by: stretch.bridge.describe(),
        unaccounted_bytes,
        unaccounted_bytes_at_most,
    }
}

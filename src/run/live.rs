//! `--live`: the counters' rates right now, like `vnstat -l` or nload. Reads
//! the counters every interval and prints rates; writes nothing (no
//! database, no lock, no log file), so it runs beside a monitor. On a
//! terminal one line per interface is rewritten in place; otherwise one
//! plain line per interface per sample; `--format json` prints NDJSON.
//! Ctrl-C (or `--count`) ends it with a summary of the session.

use crate::model::units::{name_width, per_second, HumanBytes, HumanRate, RxTx};
use crate::run::{Limit, Pipeline, Plan, Signal, Sink, SystemClock};
use crate::sample::select::Selection;
use crate::sample::{Cycle, Row, SampleOptions, Sampler};
use crate::source::CounterSource;
use chrono::Local;
use serde_json::json;
use std::io::{self, Write};
use std::sync::mpsc::Receiver;

/// How the session prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// A terminal: the lines are rewritten in place.
    InPlace,
    /// A pipe or file: one line per interface per sample.
    Plain,
    /// One JSON object per sample (NDJSON), then one for the summary.
    Json,
}

/// What `--live` was asked to do.
pub(crate) struct LiveOptions {
    /// Seconds between reads.
    pub interval: f64,
    /// Stop after this many samples with rates; `None`: until Ctrl-C.
    pub count: Option<u64>,
    /// How to print.
    pub style: Style,
}

/// Packets per second over a row's interval.
fn packet_rates(row: &Row) -> RxTx<Option<f64>> {
    match (row.deltas, row.interval_s) {
        (Some(d), Some(seconds)) => RxTx {
            recv: d.packets_recv,
            sent: d.packets_sent,
        }
        .map(|packets| per_second(packets, seconds)),
        _ => RxTx::default(),
    }
}

/// The lowest, sum and highest of a series of rates.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct RateRange {
    /// Lowest rate seen.
    pub min: Option<f64>,
    /// Highest rate seen.
    pub max: Option<f64>,
}

impl RateRange {
    fn add(&mut self, rate: Option<f64>) {
        if let Some(rate) = rate {
            self.min = Some(self.min.map_or(rate, |m| m.min(rate)));
            self.max = Some(self.max.map_or(rate, |m| m.max(rate)));
        }
    }
}

/// One interface's traffic over the session.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SessionTotals {
    /// Bytes received (sum of the deltas).
    pub bytes_recv: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Packets received.
    pub packets_recv: u64,
    /// Packets sent.
    pub packets_sent: u64,
    /// Seconds the deltas cover.
    pub seconds: f64,
    /// Receive rates seen (per sample).
    pub recv: RateRange,
    /// Send rates seen.
    pub sent: RateRange,
}

impl SessionTotals {
    /// Average receive rate over the session.
    pub(crate) fn avg_recv_rate(&self) -> Option<f64> {
        per_second(self.bytes_recv, self.seconds)
    }

    /// Average send rate over the session.
    pub(crate) fn avg_sent_rate(&self) -> Option<f64> {
        per_second(self.bytes_sent, self.seconds)
    }
}

/// What a live session saw, per interface (`_total` included).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Session {
    /// Samples with rates.
    pub samples: u64,
    /// Per interface, in the order first seen.
    pub interfaces: Vec<(String, SessionTotals)>,
}

impl Session {
    /// Adds a cycle's deltas and rates.
    pub(crate) fn add(&mut self, cycle: &Cycle) {
        let mut counted = false;
        for row in &cycle.rows {
            let (Some(deltas), Some(seconds)) = (row.deltas, row.interval_s) else {
                continue;
            };
            counted = true;
            let index = match self
                .interfaces
                .iter()
                .position(|(n, _)| *n == row.interface)
            {
                Some(index) => index,
                None => {
                    self.interfaces
                        .push((row.interface.clone(), SessionTotals::default()));
                    self.interfaces.len() - 1
                }
            };
            let totals = &mut self.interfaces[index].1;
            totals.bytes_recv += deltas.bytes_recv;
            totals.bytes_sent += deltas.bytes_sent;
            totals.packets_recv += deltas.packets_recv;
            totals.packets_sent += deltas.packets_sent;
            totals.seconds += seconds;
            totals.recv.add(row.bytes_recv_rate);
            totals.sent.add(row.bytes_sent_rate);
        }
        self.samples += u64::from(counted);
    }
}

/// Narrowest interface column.
const NAME_WIDTH: usize = 12;

/// One interface's live line: rates in bytes/s and packets/s.
fn line(row: &Row, width: usize) -> String {
    let packets = packet_rates(row);
    let pps = |rate: Option<f64>| rate.map_or("-".to_string(), |r| format!("{r:.0}"));
    format!(
        "{:<width$}  rx {:>13} {:>9} pkt/s   tx {:>13} {:>9} pkt/s",
        row.interface,
        HumanRate(row.bytes_recv_rate),
        pps(packets.recv),
        HumanRate(row.bytes_sent_rate),
        pps(packets.sent),
    )
}

/// One NDJSON object for a sample.
fn sample_json(cycle: &Cycle) -> serde_json::Value {
    let interfaces: Vec<_> = cycle
        .rows
        .iter()
        .map(|row| {
            let packets = packet_rates(row);
            json!({
                "interface": row.interface,
                "interval_s": row.interval_s,
                "bytes_recv": row.deltas.map(|d| d.bytes_recv),
                "bytes_sent": row.deltas.map(|d| d.bytes_sent),
                "recv_rate": row.bytes_recv_rate,
                "sent_rate": row.bytes_sent_rate,
                "recv_packets_rate": packets.recv,
                "sent_packets_rate": packets.sent,
            })
        })
        .collect();
    json!({
        "timestamp": crate::store::format_timestamp(cycle.timestamp),
        "interfaces": interfaces,
    })
}

/// Prints the samples of a session in one [`Style`].
struct Printer<W: Write> {
    out: W,
    style: Style,
    drawn: usize,
}

impl<W: Write> Printer<W> {
    fn sample(&mut self, cycle: &Cycle, interval: f64) -> io::Result<()> {
        let width = name_width(cycle.rows.iter().map(|r| &r.interface), NAME_WIDTH);
        let time = cycle
            .timestamp
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M:%S");
        match self.style {
            Style::Json => writeln!(self.out, "{}", sample_json(cycle))?,
            Style::Plain => {
                for row in &cycle.rows {
                    writeln!(self.out, "{time}  {}", line(row, width))?;
                }
            }
            Style::InPlace => {
                if self.drawn > 0 {
                    write!(self.out, "\x1b[{}A", self.drawn)?;
                }
                write!(
                    self.out,
                    "\r\x1b[2Knetmon live  {time}  every {interval} s  (Ctrl-C to stop)\n"
                )?;
                for row in &cycle.rows {
                    write!(self.out, "\r\x1b[2K{}\n", line(row, width))?;
                }
                // Clears what is left of a longer previous drawing.
                write!(self.out, "\x1b[J")?;
                self.drawn = cycle.rows.len() + 1;
            }
        }
        self.out.flush()
    }

    fn summary(&mut self, session: &Session, seconds: f64) -> io::Result<()> {
        if self.style == Style::Json {
            let interfaces: Vec<_> = session
                .interfaces
                .iter()
                .map(|(name, t)| {
                    json!({
                        "interface": name,
                        "seconds": t.seconds,
                        "bytes_recv": t.bytes_recv,
                        "bytes_sent": t.bytes_sent,
                        "packets_recv": t.packets_recv,
                        "packets_sent": t.packets_sent,
                        "min_recv_rate": t.recv.min,
                        "avg_recv_rate": t.avg_recv_rate(),
                        "max_recv_rate": t.recv.max,
                        "min_sent_rate": t.sent.min,
                        "avg_sent_rate": t.avg_sent_rate(),
                        "max_sent_rate": t.sent.max,
                    })
                })
                .collect();
            let summary = json!({"summary": {
                "samples": session.samples,
                "duration_s": seconds,
                "interfaces": interfaces,
            }});
            writeln!(self.out, "{summary}")?;
            return self.out.flush();
        }
        let width = name_width(session.interfaces.iter().map(|(n, _)| n), NAME_WIDTH);
        writeln!(
            self.out,
            "\nlive session: {} samples over {seconds:.1} s",
            session.samples
        )?;
        writeln!(
            self.out,
            "{:<width$} {:>12} {:>12} {:>11} {:>11}  {:>13} {:>13} {:>13}  {:>13} {:>13} {:>13}",
            "interface",
            "received",
            "sent",
            "rx packets",
            "tx packets",
            "rx min",
            "rx avg",
            "rx max",
            "tx min",
            "tx avg",
            "tx max"
        )?;
        for (name, t) in &session.interfaces {
            writeln!(
                self.out,
                "{name:<width$} {:>12} {:>12} {:>11} {:>11}  {:>13} {:>13} {:>13}  {:>13} {:>13} {:>13}",
                HumanBytes(t.bytes_recv as f64),
                HumanBytes(t.bytes_sent as f64),
                t.packets_recv,
                t.packets_sent,
                HumanRate(t.recv.min),
                HumanRate(t.avg_recv_rate()),
                HumanRate(t.recv.max),
                HumanRate(t.sent.min),
                HumanRate(t.avg_sent_rate()),
                HumanRate(t.sent.max),
            )?;
        }
        self.out.flush()
    }
}

/// The live view as a sink of the sampling loop: adds each cycle to the
/// session and prints those with rates.
struct View<W: Write> {
    printer: Printer<W>,
    session: Session,
    interval: f64,
    /// When the first and the last cycle were sampled (boot clock).
    reads: Option<(f64, f64)>,
}

impl<W: Write> Sink for View<W> {
    fn cycle(&mut self, cycle: &Cycle) -> io::Result<()> {
        let first = self.reads.map_or(cycle.clock, |(first, _)| first);
        self.reads = Some((first, cycle.clock));
        self.session.add(cycle);
        if cycle.rows.iter().any(|r| r.deltas.is_some()) {
            self.printer.sample(cycle, self.interval)?;
        }
        Ok(())
    }
}

/// Runs a live session until `--count` samples with rates or a stop signal.
pub(crate) fn run(
    source: Box<dyn CounterSource + Send>,
    selection: Selection,
    signals: Receiver<Signal>,
    options: &LiveOptions,
) -> io::Result<()> {
    let mut view = View {
        printer: Printer {
            out: io::stdout().lock(),
            style: options.style,
            drawn: 0,
        },
        session: Session::default(),
        interval: options.interval,
        reads: None,
    };
    let mut pipeline = Pipeline::new(source, selection, Sampler::new(SampleOptions::default()))
        .with_sink(&mut view);
    let plan = Plan {
        interval: options.interval,
        limit: options.count.map_or(Limit::Endless, Limit::Rated),
        final_sample: false,
    };
    crate::run::run(
        &plan,
        &mut pipeline,
        &mut SystemClock::new(signals),
        &mut || {},
    )?;
    drop(pipeline);
    let (first, last) = view.reads.unwrap_or_default();
    view.printer.summary(&view.session, last - first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::counters::Counters;
    use crate::source::InterfaceCounters;
    use chrono::{TimeZone, Utc};
    use std::collections::BTreeMap;

    fn reading(bytes_recv: u64, packets_recv: u64, bytes_sent: u64) -> Vec<InterfaceCounters> {
        vec![InterfaceCounters {
            name: "va".into(),
            ifindex: None,
            counters: Counters {
                bytes_recv,
                packets_recv,
                bytes_sent,
                ..Counters::default()
            },
        }]
    }

    fn totals_by_name(session: &Session) -> BTreeMap<&str, &SessionTotals> {
        session
            .interfaces
            .iter()
            .map(|(name, totals)| (name.as_str(), totals))
            .collect()
    }

    fn session_of(readings: &[(u64, u64, u64)]) -> Session {
        let mut sampler = Sampler::new(SampleOptions::default());
        let mut session = Session::default();
        let at = Utc.timestamp_opt(1_764_000_000, 0).unwrap();
        for (second, &(rx, packets, tx)) in readings.iter().enumerate() {
            session.add(&sampler.sample(&reading(rx, packets, tx), second as f64, at));
        }
        session
    }

    #[test]
    fn session_rule_bytes_are_the_counter_change_and_rates_their_range() {
        let session = session_of(&[
            (1000, 10, 0),
            (3000, 30, 500),
            (3500, 35, 500),
            (9500, 95, 800),
        ]);
        assert_eq!(session.samples, 3, "the first read has no rates");
        let totals = totals_by_name(&session);
        let va = totals["va"];
        assert_eq!((va.bytes_recv, va.bytes_sent), (8500, 800));
        assert_eq!((va.packets_recv, va.packets_sent), (85, 0));
        assert_eq!(va.seconds, 3.0);
        assert_eq!((va.recv.min, va.recv.max), (Some(500.0), Some(6000.0)));
        assert_eq!(va.avg_recv_rate(), Some(8500.0 / 3.0));
        assert_eq!((va.sent.min, va.sent.max), (Some(0.0), Some(500.0)));
        assert_eq!(totals["_total"].bytes_recv, 8500, "the sum row too");
    }

    #[test]
    fn an_idle_session_has_no_rates() {
        let session = session_of(&[(1000, 10, 0)]);
        assert_eq!(session, Session::default());
        assert_eq!(SessionTotals::default().avg_recv_rate(), None);
    }

    #[test]
    fn lines_show_bytes_and_packets_per_second() {
        let mut sampler = Sampler::new(SampleOptions::default());
        let at = Utc.timestamp_opt(1_764_000_000, 0).unwrap();
        sampler.sample(&reading(0, 0, 0), 0.0, at);
        let cycle = sampler.sample(&reading(2048, 20, 1024), 2.0, at);
        let text = line(&cycle.rows[0], 12);
        assert!(text.starts_with("va            rx"), "{text}");
        assert!(text.contains("rx    1.00 KiB/s        10 pkt/s"), "{text}");
        assert!(text.contains("tx       512 B/s         0 pkt/s"), "{text}");
        let json = sample_json(&cycle);
        assert_eq!(json["interfaces"][0]["recv_rate"], 1024.0);
        assert_eq!(json["interfaces"][0]["recv_packets_rate"], 10.0);
        assert_eq!(json["interfaces"][0]["bytes_recv"], 2048);
    }

    #[test]
    fn in_place_drawing_rewrites_the_previous_lines() {
        let mut sampler = Sampler::new(SampleOptions::default());
        let at = Utc.timestamp_opt(1_764_000_000, 0).unwrap();
        sampler.sample(&reading(0, 0, 0), 0.0, at);
        let mut printer = Printer {
            out: Vec::new(),
            style: Style::InPlace,
            drawn: 0,
        };
        let cycle = sampler.sample(&reading(100, 1, 0), 1.0, at);
        printer.sample(&cycle, 1.0).unwrap();
        assert!(!String::from_utf8_lossy(&printer.out).contains("\x1b[3A"));
        printer.sample(&cycle, 1.0).unwrap();
        let text = String::from_utf8_lossy(&printer.out);
        assert_eq!(printer.drawn, 3, "header, va, _total");
        assert!(
            text.contains("\x1b[3A"),
            "moves up over the last drawing: {text:?}"
        );
    }
}

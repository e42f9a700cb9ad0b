//! The summary as one JSON object (SPEC §6), serialized straight from the
//! [`Report`] without an intermediate value tree.

use crate::model::calendar::Calendar;
use crate::model::units::RxTx;
use crate::report::current::CurrentPeriod;
use crate::report::percentile::Percentile;
use crate::report::{Report, Totals};
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

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
pub(crate) fn json(out: &mut impl Write, report: &Report) -> io::Result<()> {
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

//! `--summary --alert SIZE`: is the current period's traffic of each
//! selected interface over a limit? One line (or JSON object, or CSV row)
//! per interface; the caller exits 3 when any limit is exceeded.

use super::current::CurrentPeriod;
use crate::cli::{Direction, Period};
use crate::model::calendar::Calendar;
use crate::model::ifname::printable;
use crate::model::units::{HumanBytes, RxTx};
use crate::store::history::{History, ReadError};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::io::{self, Write};

/// An `--alert` value that is not a size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--alert {shown:?}: {source}; write a size such as 500GiB, 1.5TB or 123456789 (bytes)")]
pub(crate) struct BadLimit {
    /// The value as given, cut to 40 characters.
    shown: String,
    /// What the size parser said.
    #[source]
    source: parse_size::Error,
}

/// Parses a size: bytes (`123456789`), SI (`1.5TB`, `500 GB`) or IEC
/// (`500GiB`) units, any case.
pub(crate) fn parse_limit(text: &str) -> Result<u64, BadLimit> {
    parse_size::parse_size(text.trim()).map_err(|source| BadLimit {
        shown: text.chars().take(40).collect(),
        source,
    })
}

/// One interface's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Verdict {
    /// Interface name or `_total`.
    pub interface: String,
    /// The current period's start, in the database's zone (RFC 3339).
    pub period_start: String,
    /// Its end.
    pub period_end: String,
    /// Bytes compared with the limit.
    pub bytes: u64,
    /// The limit.
    pub limit: u64,
    /// Whether `bytes` is an estimate of the period's end.
    pub estimated: bool,
    /// Whether `bytes` is above the limit.
    pub exceeded: bool,
}

/// What `--alert` was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Alert {
    /// Bytes allowed per period.
    pub limit: u64,
    /// The period compared.
    pub period: Period,
    /// Which traffic.
    pub direction: Direction,
    /// Compare the estimate at the period's end.
    pub estimate: bool,
}

impl Alert {
    /// The verdict for each of `interfaces` from their current periods (an
    /// interface without samples in its period has moved 0 bytes).
    pub(crate) fn judge(
        &self,
        interfaces: &[String],
        current: &[CurrentPeriod],
        calendar: &Calendar,
        empty_period: (DateTime<Utc>, DateTime<Utc>),
    ) -> Vec<Verdict> {
        let time = |t: DateTime<Utc>| {
            calendar
                .local(t)
                .to_rfc3339_opts(SecondsFormat::Secs, false)
        };
        interfaces
            .iter()
            .map(|interface| {
                let found = current.iter().find(|c| &c.interface == interface);
                let (start, end) = found.map_or(empty_period, |c| (c.start, c.end));
                let so_far = found.map_or(RxTx::default(), |c| RxTx {
                    recv: c.so_far.bytes_recv,
                    sent: c.so_far.bytes_sent,
                });
                let estimate = found.and_then(|c| c.estimate).filter(|_| self.estimate);
                let traffic = estimate.unwrap_or(so_far);
                let bytes = match self.direction {
                    Direction::Rx => traffic.recv,
                    Direction::Tx => traffic.sent,
                    Direction::Total => traffic.total(),
                };
                Verdict {
                    interface: interface.clone(),
                    period_start: time(start),
                    period_end: time(end),
                    bytes,
                    limit: self.limit,
                    estimated: estimate.is_some(),
                    exceeded: bytes > self.limit,
                }
            })
            .collect()
    }
}

/// Why an alert's interfaces cannot be checked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UnknownInterface {
    /// The database never stored an interface of that name.
    #[error(
        "--interfaces {name:?}: this database never stored an interface of that name, so \
         its alert could never fire; check the name (stored: {stored})"
    )]
    Unknown {
        /// The name asked for (printable).
        name: String,
        /// Up to ten stored names (printable), comma-separated.
        stored: String,
    },
    /// The stored names could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// Refuses an interface name that this database never stored (not in its
/// samples nor in its monthly rollups): an alert on a misspelled name
/// would say "ok" forever.
pub(crate) fn check_known(
    history: &History,
    interfaces: &[String],
) -> Result<(), UnknownInterface> {
    let known = history.known_interfaces()?;
    match interfaces.iter().find(|name| !known.contains(*name)) {
        Some(unknown) => {
            let listed: Vec<String> = known
                .iter()
                .filter(|name| *name != crate::sample::TOTAL_INTERFACE)
                .take(10)
                .map(|name| crate::model::ifname::printable(name).into_owned())
                .collect();
            Err(UnknownInterface::Unknown {
                name: crate::model::ifname::printable(unknown).into_owned(),
                stored: listed.join(", "),
            })
        }
        None => Ok(()),
    }
}

fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Rx => "rx",
        Direction::Tx => "tx",
        Direction::Total => "total",
    }
}

/// One line per interface: usage, limit, verdict.
pub(crate) fn table(out: &mut impl Write, alert: &Alert, verdicts: &[Verdict]) -> io::Result<()> {
    for v in verdicts {
        let what = if v.estimated {
            "estimated at the end of"
        } else if alert.estimate {
            "so far (no estimate from less than an hour of data) in"
        } else {
            "so far in"
        };
        writeln!(
            out,
            "{}: {} {} of {} {what} this {} ({} .. {}): {}",
            printable(&v.interface),
            HumanBytes(v.bytes as f64),
            direction_name(alert.direction),
            HumanBytes(v.limit as f64),
            alert.period.name(),
            v.period_start,
            v.period_end,
            if v.exceeded { "EXCEEDED" } else { "ok" }
        )?;
    }
    Ok(())
}

/// One JSON object: the question and each verdict.
pub(crate) fn json(out: &mut impl Write, alert: &Alert, verdicts: &[Verdict]) -> io::Result<()> {
    let document = serde_json::json!({
        "alert": {
            "limit": alert.limit,
            "period": alert.period.name(),
            "direction": direction_name(alert.direction),
            "estimate": alert.estimate,
        },
        "exceeded": verdicts.iter().any(|v| v.exceeded),
        "interfaces": verdicts,
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// A header and one row per interface.
pub(crate) fn csv(out: &mut impl Write, verdicts: &[Verdict]) -> io::Result<()> {
    writeln!(
        out,
        "interface,period_start,period_end,bytes,limit,estimated,exceeded"
    )?;
    for v in verdicts {
        writeln!(
            out,
            "{},{},{},{},{},{},{}",
            super::render::csv_text(&printable(&v.interface)),
            v.period_start,
            v.period_end,
            v.bytes,
            v.limit,
            v.estimated,
            v.exceeded
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Totals;
    use chrono::TimeZone;

    fn current(
        interface: &str,
        recv: u64,
        sent: u64,
        estimate: Option<(u64, u64)>,
    ) -> CurrentPeriod {
        CurrentPeriod {
            interface: interface.into(),
            period: Period::Month,
            start: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
            data_since: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            so_far: Totals {
                bytes_recv: recv,
                bytes_sent: sent,
                ..Totals::default()
            },
            estimate: estimate.map(RxTx::from),
        }
    }

    fn rendered(write: impl Fn(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn verdicts_render_as_lines_json_and_csv() {
        let alert = Alert {
            limit: 1000,
            period: Period::Month,
            direction: Direction::Rx,
            estimate: false,
        };
        let periods = [current("_total", 1500, 0, None)];
        let empty = (periods[0].start, periods[0].end);
        let verdicts = alert.judge(&["_total".into()], &periods, &Calendar::utc(), empty);
        let line = rendered(|out| table(out, &alert, &verdicts));
        assert_eq!(
            line,
            "_total: 1.46 KiB rx of 1000 B so far in this month \
             (2026-11-01T00:00:00+00:00 .. 2026-12-01T00:00:00+00:00): EXCEEDED\n"
        );
        let document: serde_json::Value =
            serde_json::from_str(&rendered(|out| json(out, &alert, &verdicts))).unwrap();
        assert_eq!(document["exceeded"], true);
        assert_eq!(document["alert"]["direction"], "rx");
        assert_eq!(document["alert"]["period"], "month");
        assert_eq!(document["interfaces"][0]["bytes"], 1500);
        let text = rendered(|out| csv(out, &verdicts));
        assert_eq!(
            text,
            "interface,period_start,period_end,bytes,limit,estimated,exceeded\n\
             _total,2026-11-01T00:00:00+00:00,2026-12-01T00:00:00+00:00,1500,1000,false,true\n"
        );
        let estimating = Alert {
            estimate: true,
            direction: Direction::Total,
            ..alert
        };
        let line = rendered(|out| table(out, &estimating, &verdicts));
        assert!(
            line.contains(" total of ") && line.contains("no estimate from less than an hour"),
            "{line}"
        );
        let tx = Alert {
            direction: Direction::Tx,
            ..alert
        };
        assert!(rendered(|out| table(out, &tx, &verdicts)).contains(" tx of "));
        assert_eq!(direction_name(Direction::Total), "total");
    }

    #[test]
    fn sizes_take_si_and_iec_units() {
        assert_eq!(parse_limit("500GiB"), Ok(500 << 30));
        assert_eq!(parse_limit("1.5TB"), Ok(1_500_000_000_000));
        assert_eq!(parse_limit(" 123456789 "), Ok(123_456_789));
        assert_eq!(parse_limit("2 kib"), Ok(2048));
        let err = parse_limit("lots").unwrap_err().to_string();
        assert!(
            err.starts_with("--alert \"lots\":") && err.contains("500GiB"),
            "{err}"
        );
    }

    #[test]
    fn alert_rule_exceeded_only_above_the_limit_in_the_chosen_direction() {
        let periods = [
            current("_total", 600, 400, Some((1800, 1200))),
            current("eth0", 10, 0, None),
        ];
        let judge = |direction, estimate, limit| {
            let alert = Alert {
                limit,
                period: Period::Month,
                direction,
                estimate,
            };
            let names = ["_total".to_string(), "eth0".to_string(), "wg0".to_string()];
            let empty = (periods[0].start, periods[0].end);
            alert.judge(&names, &periods, &Calendar::utc(), empty)
        };
        let total = judge(Direction::Total, false, 1000);
        assert_eq!(
            total
                .iter()
                .map(|v| (v.bytes, v.exceeded))
                .collect::<Vec<_>>(),
            [(1000, false), (10, false), (0, false)],
            "equal to the limit is not over it; an interface without samples moved 0"
        );
        let rx = judge(Direction::Rx, false, 599);
        assert_eq!((rx[0].bytes, rx[0].exceeded), (600, true));
        assert_eq!(judge(Direction::Tx, false, 399)[0].bytes, 400);
        let estimated = judge(Direction::Total, true, 2999);
        assert_eq!(
            (
                estimated[0].bytes,
                estimated[0].estimated,
                estimated[0].exceeded
            ),
            (3000, true, true)
        );
        assert_eq!(
            (estimated[1].bytes, estimated[1].estimated),
            (10, false),
            "no estimate yet"
        );
        assert_eq!(total[0].period_start, "2026-11-01T00:00:00+00:00");
    }
}

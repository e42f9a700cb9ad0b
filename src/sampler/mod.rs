//! Turns successive counter snapshots into stored rows: deltas, rates and the
//! `_total` row. Pure logic: time comes in as arguments, so tests can script
//! counters and a fake clock.

use crate::collector::InterfaceCounters;
use crate::counters::Counters;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Name of the row holding the sum of the monitored interfaces.
pub const TOTAL_INTERFACE: &str = "_total";

/// Interfaces unseen for this long (monotonic seconds) are forgotten, so
/// container churn cannot grow memory without bound.
const FORGET_AFTER_SECONDS: f64 = 3600.0;

/// What each cycle stores (the `options` configuration section).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleOptions {
    /// Emit one row per monitored interface.
    pub track_per_interface: bool,
    /// Emit a `_total` row summing the monitored interfaces.
    pub track_total: bool,
    /// Fill the rate columns (bytes/s).
    pub calculate_rates: bool,
    /// Store cumulative counters; when false those columns hold 0.
    pub store_raw_counts: bool,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            track_per_interface: true,
            track_total: true,
            calculate_rates: true,
            store_raw_counts: true,
        }
    }
}

/// One row of `network_stats`, as computed for one interface in one cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Kernel interface name or [`TOTAL_INTERFACE`].
    pub interface: String,
    /// Cumulative counters (all 0 when raw counts are not stored).
    pub counters: Counters,
    /// Traffic since this interface's previous sample; `None` on a first sample.
    pub deltas: Option<Counters>,
    /// Measured seconds since this interface's previous sample.
    pub interval_s: Option<f64>,
    /// Received bytes per second over `interval_s`.
    pub bytes_recv_rate: Option<f64>,
    /// Sent bytes per second over `interval_s`.
    pub bytes_sent_rate: Option<f64>,
}

/// Everything one cycle stores: all rows share one timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// Wall-clock time of the read (UTC).
    pub timestamp: DateTime<Utc>,
    /// Per-interface rows (in read order), then `_total` if tracked.
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, Copy)]
struct Previous {
    counters: Counters,
    at: f64,
}

/// Gives the highest believable rate (bytes/s, per direction) of an
/// interface, or `None` when unknown; asked once per interface.
pub type SpikeGuard = Box<dyn Fn(&str) -> Option<f64>>;

/// Holds the previous snapshot of every interface and computes each cycle.
pub struct Sampler {
    options: SampleOptions,
    previous: HashMap<String, Previous>,
    last_cycle_at: Option<f64>,
    guard: SpikeGuard,
    limits: HashMap<String, Option<f64>>,
}

impl Sampler {
    /// A sampler with no history: every interface's first sample has NULL deltas.
    pub fn new(options: SampleOptions) -> Self {
        Sampler {
            options,
            previous: HashMap::new(),
            last_cycle_at: None,
            guard: Box::new(|_| None),
            limits: HashMap::new(),
        }
    }

    /// Installs the spike guard: a delta implying more than the interface's
    /// limit is logged and stored as a reset (NULL deltas, a new baseline),
    /// never as traffic.
    pub fn with_spike_guard(mut self, guard: SpikeGuard) -> Self {
        self.guard = guard;
        self
    }

    /// Seeds an interface with counters stored `seconds_ago` before the
    /// monotonic instant `now` (continuing across a netmon restart within the
    /// same boot), so its next sample gets the whole gap as one delta.
    pub fn resume(&mut self, interface: &str, counters: Counters, seconds_ago: f64, now: f64) {
        if seconds_ago.is_finite() && seconds_ago > 0.0 {
            self.previous.insert(
                interface.to_string(),
                Previous {
                    counters,
                    at: now - seconds_ago,
                },
            );
        }
    }

    /// Computes one cycle from a snapshot read at monotonic second `now` and
    /// wall time `timestamp`.
    pub fn sample(
        &mut self,
        interfaces: &[InterfaceCounters],
        now: f64,
        timestamp: DateTime<Utc>,
    ) -> Cycle {
        let mut rows = Vec::with_capacity(interfaces.len() + 1);
        let mut total = TotalAccumulator::default();
        for interface in interfaces {
            let row = self.interface_row(interface, now);
            total.add(&row);
            if self.options.track_per_interface {
                rows.push(row);
            }
        }
        if self.options.track_total {
            let cycle_interval = self.last_cycle_at.map(|at| now - at);
            rows.push(total.into_row(cycle_interval));
        }
        self.last_cycle_at = Some(now);
        self.previous
            .retain(|_, previous| now - previous.at <= FORGET_AFTER_SECONDS);
        Cycle { timestamp, rows }
    }

    fn interface_row(&mut self, interface: &InterfaceCounters, now: f64) -> Row {
        let current = Previous {
            counters: interface.counters,
            at: now,
        };
        // Known interfaces are updated in place: no key allocation per cycle.
        let replaced = match self.previous.get_mut(&interface.name) {
            Some(slot) => Some(std::mem::replace(slot, current)),
            None => {
                self.previous.insert(interface.name.clone(), current);
                None
            }
        };
        let (deltas, interval_s) = match replaced {
            Some(previous) => {
                let (deltas, reset) = interface.counters.delta_since(previous.counters);
                if reset {
                    tracing::info!(
                        interface = %interface.name,
                        "counters went down: counted as a reset, delta = traffic since the reset"
                    );
                }
                let seconds = now - previous.at;
                if self.is_spike(&interface.name, &deltas, seconds) {
                    (None, None)
                } else {
                    (Some(deltas), Some(seconds))
                }
            }
            None => (None, None),
        };
        let rate = |select: fn(&Counters) -> u64| match (deltas, interval_s) {
            (Some(d), Some(seconds)) if self.options.calculate_rates && seconds > 0.0 => {
                Some(select(&d) as f64 / seconds)
            }
            _ => None,
        };
        Row {
            interface: interface.name.clone(),
            counters: if self.options.store_raw_counts {
                interface.counters
            } else {
                Counters::default()
            },
            bytes_recv_rate: rate(|c| c.bytes_recv),
            bytes_sent_rate: rate(|c| c.bytes_sent),
            deltas,
            interval_s,
        }
    }
}

impl Sampler {
    fn is_spike(&mut self, interface: &str, deltas: &Counters, seconds: f64) -> bool {
        let limit = match self.limits.get(interface) {
            Some(limit) => *limit,
            None => {
                let limit = (self.guard)(interface);
                self.limits.insert(interface.to_string(), limit);
                limit
            }
        };
        let Some(limit) = limit else { return false };
        let busiest = deltas.bytes_recv.max(deltas.bytes_sent) as f64;
        // Allow a little scheduling jitter on very short intervals.
        let spike = busiest > limit * seconds.max(0.0) + limit * 0.05;
        if spike {
            tracing::warn!(
                interface,
                delta_bytes = busiest,
                seconds,
                limit_bytes_per_s = limit,
                "delta exceeds the interface's maximum bandwidth: stored as a reset, not as traffic"
            );
        }
        spike
    }
}

/// Sums interface rows into the `_total` row.
#[derive(Default)]
struct TotalAccumulator {
    counters: Counters,
    deltas: Option<Counters>,
    recv_rate: Option<f64>,
    sent_rate: Option<f64>,
}

impl TotalAccumulator {
    fn add(&mut self, row: &Row) {
        self.counters = self.counters + row.counters;
        if let Some(deltas) = row.deltas {
            self.deltas = Some(self.deltas.unwrap_or_default() + deltas);
        }
        let sum = |acc: Option<f64>, rate: Option<f64>| match rate {
            Some(rate) => Some(acc.unwrap_or(0.0) + rate),
            None => acc,
        };
        self.recv_rate = sum(self.recv_rate, row.bytes_recv_rate);
        self.sent_rate = sum(self.sent_rate, row.bytes_sent_rate);
    }

    fn into_row(self, cycle_interval: Option<f64>) -> Row {
        Row {
            interface: TOTAL_INTERFACE.to_string(),
            counters: self.counters,
            interval_s: self.deltas.and(cycle_interval),
            deltas: self.deltas,
            bytes_recv_rate: self.recv_rate,
            bytes_sent_rate: self.sent_rate,
        }
    }
}

#[cfg(test)]
mod tests;

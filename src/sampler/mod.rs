//! Turns successive counter snapshots into stored rows: deltas, rates and the
//! `_total` row. Pure logic: time comes in as arguments, so tests can script
//! counters and a fake clock.

mod fold;

use crate::collector::InterfaceCounters;
use crate::counters::{Continuity, Counters, Step};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Name of the row holding the sum of the monitored interfaces.
pub const TOTAL_INTERFACE: &str = "_total";

/// Interfaces unseen for this long (monotonic seconds) are forgotten, so
/// container churn cannot grow memory without bound.
const FORGET_AFTER_SECONDS: f64 = 3600.0;

/// Bytes per second in one Mbit/s.
const BYTES_PER_MBIT: f64 = 1_000_000.0 / 8.0;

/// Slack the spike guard allows on top of `limit x seconds`: this many
/// seconds' worth of traffic at the limit, for scheduling jitter on very
/// short intervals.
const GUARD_SLACK_SECONDS: f64 = 0.05;

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

/// The opt-in spike guard: the highest believable rate per interface. A
/// delta above it is set aside (stored as a new baseline, never as traffic).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpikeGuard {
    /// Limit for every interface, in Mbit/s (`None`: no guard).
    pub default_mbit: Option<f64>,
    /// Per-interface limits in Mbit/s, overriding `default_mbit`.
    pub per_interface: HashMap<String, f64>,
}

impl SpikeGuard {
    /// The limit of `interface` in bytes per second, if it has one.
    pub fn limit_bytes_per_second(&self, interface: &str) -> Option<f64> {
        self.per_interface
            .get(interface)
            .copied()
            .or(self.default_mbit)
            .map(|mbit| mbit * BYTES_PER_MBIT)
    }

    /// Whether moving `bytes` in `seconds` is beyond `limit` bytes/s (with a
    /// little slack for scheduling jitter).
    pub fn exceeds(limit: f64, bytes: u64, seconds: f64) -> bool {
        bytes as f64 > limit * (seconds.max(0.0) + GUARD_SLACK_SECONDS)
    }
}

/// One row of `network_stats`, as computed for one interface in one cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Stored interface name or [`TOTAL_INTERFACE`].
    pub interface: String,
    /// The kernel's interface index, where known (kept for restarts).
    pub ifindex: Option<u32>,
    /// Cumulative counters as read (the store writes 0s when raw counts
    /// are not stored).
    pub counters: Counters,
    /// Traffic since this interface's previous sample; `None` on a first sample.
    pub deltas: Option<Counters>,
    /// Measured seconds since this interface's previous sample.
    pub interval_s: Option<f64>,
    /// Received bytes per second over `interval_s`.
    pub bytes_recv_rate: Option<f64>,
    /// Sent bytes per second over `interval_s`.
    pub bytes_sent_rate: Option<f64>,
    /// How the counters got here from the previous sample (`None` on a first
    /// sample or when the spike guard set the delta aside).
    pub step: Option<Step>,
    /// The spike guard set this sample's delta aside (not counted).
    pub set_aside: bool,
}

/// Everything one cycle stores: all rows share one timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// Wall-clock time of the read (UTC).
    pub timestamp: DateTime<Utc>,
    /// Per-interface rows (in read order), then `_total` if tracked.
    pub rows: Vec<Row>,
}

/// What the sampler remembers of an interface.
#[derive(Debug, Clone, Copy)]
struct Previous {
    counters: Counters,
    ifindex: Option<u32>,
    /// Monotonic second of the reading.
    at: f64,
    /// Number of the cycle it was last read in.
    cycle: u64,
    /// Seeded from the database after a restart: unwatched time before it.
    resumed: bool,
}

/// Holds the previous snapshot of every interface and computes each cycle.
pub struct Sampler {
    options: SampleOptions,
    guard: SpikeGuard,
    previous: HashMap<String, Previous>,
    /// Cycles sampled so far (resumed state counts as cycle 0).
    cycles: u64,
    last_cycle_at: Option<f64>,
}

impl Sampler {
    /// A sampler with no history and no spike guard: every interface's first
    /// sample has NULL deltas.
    pub fn new(options: SampleOptions) -> Self {
        Sampler {
            options,
            guard: SpikeGuard::default(),
            previous: HashMap::new(),
            cycles: 0,
            last_cycle_at: None,
        }
    }

    /// Installs the spike guard.
    pub fn with_spike_guard(mut self, guard: SpikeGuard) -> Self {
        self.guard = guard;
        self
    }

    /// Seeds an interface with counters stored `seconds_ago` before the
    /// monotonic instant `now` (continuing across a netmon restart within the
    /// same boot), so its next sample gets the unwatched gap as one delta.
    /// Call before the first [`Sampler::sample`].
    pub fn resume(
        &mut self,
        interface: &str,
        counters: Counters,
        ifindex: Option<u32>,
        seconds_ago: f64,
        now: f64,
    ) {
        if seconds_ago.is_finite() && seconds_ago > 0.0 {
            self.previous.insert(
                interface.to_string(),
                Previous {
                    counters,
                    ifindex,
                    at: now - seconds_ago,
                    cycle: self.cycles,
                    resumed: true,
                },
            );
        }
    }

    /// Seeds the time of the last stored cycle (`seconds_ago` before the
    /// monotonic instant `now`), so that the first `_total` after a restart
    /// covers the same gap as its interfaces.
    pub fn resume_cycle(&mut self, seconds_ago: f64, now: f64) {
        if seconds_ago.is_finite() && seconds_ago > 0.0 {
            self.last_cycle_at = Some(now - seconds_ago);
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
        self.cycles += 1;
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
            let cycle_interval = self.last_cycle_at.map(|at| whole_microseconds(now - at));
            rows.push(total.into_row(cycle_interval));
        }
        self.last_cycle_at = Some(now);
        self.previous
            .retain(|_, previous| now - previous.at <= FORGET_AFTER_SECONDS);
        Cycle { timestamp, rows }
    }

    /// What is known about `interface` between `previous` and this cycle.
    fn continuity(&self, previous: &Previous, ifindex: Option<u32>) -> Continuity {
        let index_changed = matches!((previous.ifindex, ifindex), (Some(a), Some(b)) if a != b);
        if index_changed || previous.cycle + 1 != self.cycles {
            Continuity::Recreated
        } else if previous.resumed {
            Continuity::Gap
        } else {
            Continuity::Contiguous
        }
    }

    fn interface_row(&mut self, interface: &InterfaceCounters, now: f64) -> Row {
        let current = Previous {
            counters: interface.counters,
            ifindex: interface.ifindex,
            at: now,
            cycle: self.cycles,
            resumed: false,
        };
        // Known interfaces are updated in place: no key allocation per cycle.
        let replaced = match self.previous.get_mut(&interface.name) {
            Some(slot) => Some(std::mem::replace(slot, current)),
            None => {
                self.previous.insert(interface.name.clone(), current);
                None
            }
        };
        let mut measured = replaced.map(|previous| {
            let continuity = self.continuity(&previous, interface.ifindex);
            let (deltas, step) = interface
                .counters
                .delta_since(previous.counters, continuity);
            if step == Step::Reset {
                tracing::info!(
                    interface = %interface.name,
                    ?continuity,
                    "interface was reset or re-created: delta = its counters since then"
                );
            }
            (deltas, whole_microseconds(now - previous.at), step)
        });
        let set_aside = measured
            .is_some_and(|(deltas, seconds, _)| self.set_aside(&interface.name, &deltas, seconds));
        if set_aside {
            measured = None;
        }
        let mut row = Row {
            interface: interface.name.clone(),
            ifindex: interface.ifindex,
            counters: interface.counters,
            deltas: measured.map(|m| m.0),
            interval_s: measured.map(|m| m.1),
            bytes_recv_rate: None,
            bytes_sent_rate: None,
            step: measured.map(|m| m.2),
            set_aside,
        };
        if self.options.calculate_rates {
            row.fill_rates();
        }
        row
    }

    /// The spike guard: whether a delta is beyond the interface's limit, in
    /// which case it is logged with its size and not counted.
    fn set_aside(&self, interface: &str, deltas: &Counters, seconds: f64) -> bool {
        let Some(limit) = self.guard.limit_bytes_per_second(interface) else {
            return false;
        };
        let busiest = deltas.bytes_recv.max(deltas.bytes_sent);
        let spike = SpikeGuard::exceeds(limit, busiest, seconds);
        if spike {
            tracing::warn!(
                "{interface}: {busiest} bytes in {seconds:.3} s would be {:.0} Mbit/s, above \
                 its max_bandwidth_mbit of {:.0}: set aside (not counted as traffic; the next \
                 delta starts from these counters)",
                busiest as f64 / seconds.max(f64::MIN_POSITIVE) / BYTES_PER_MBIT,
                limit / BYTES_PER_MBIT
            );
        }
        spike
    }
}

/// `seconds` to the microsecond, as intervals are stored: rates computed
/// over it are then exactly the ones the database derives from the stored
/// interval.
pub fn whole_microseconds(seconds: f64) -> f64 {
    (seconds * 1e6).round() / 1e6
}

impl Row {
    /// Sets the byte rates to delta / interval where both are known (and the
    /// interval is positive); otherwise to `None`.
    pub fn fill_rates(&mut self) {
        let rate = |bytes: fn(&Counters) -> u64| match (self.deltas, self.interval_s) {
            (Some(d), Some(seconds)) if seconds > 0.0 => Some(bytes(&d) as f64 / seconds),
            _ => None,
        };
        self.bytes_recv_rate = rate(|c| c.bytes_recv);
        self.bytes_sent_rate = rate(|c| c.bytes_sent);
    }
}

/// Sums interface rows into the `_total` row.
#[derive(Default)]
struct TotalAccumulator {
    counters: Counters,
    deltas: Option<Counters>,
    recv_rate: Option<f64>,
    sent_rate: Option<f64>,
    longest_interval: Option<f64>,
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
        self.longest_interval = match (self.longest_interval, row.interval_s) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// The `_total` row: its interval is the time since the previous cycle
    /// (the span its interfaces' deltas cover), or, when that is unknown, the
    /// longest interval among them; its rates are the sums of theirs.
    fn into_row(self, cycle_interval: Option<f64>) -> Row {
        Row {
            interface: TOTAL_INTERFACE.to_string(),
            ifindex: None,
            counters: self.counters,
            interval_s: self.deltas.and(cycle_interval.or(self.longest_interval)),
            deltas: self.deltas,
            bytes_recv_rate: self.recv_rate,
            bytes_sent_rate: self.sent_rate,
            step: None,
            set_aside: false,
        }
    }
}

#[cfg(test)]
mod tests;

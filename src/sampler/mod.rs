//! Turns successive counter snapshots into stored rows: deltas, rates and the
//! `_total` row. Pure logic: time comes in as arguments, so tests can script
//! counters and a fake clock.

mod fold;

use crate::collector::InterfaceCounters;
use crate::counters::{Continuity, Counters, Step};
use crate::provenance::Provenance;
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
    /// What the next delta is measured from: the counters, except that a
    /// glitched counter keeps its higher previous value (kept for restarts).
    pub baseline: Counters,
    /// Traffic since this interface's previous sample; `None` on a first sample.
    pub deltas: Option<Counters>,
    /// Measured seconds since this interface's previous sample.
    pub interval_s: Option<f64>,
    /// Received bytes per second over `interval_s`.
    pub bytes_recv_rate: Option<f64>,
    /// Sent bytes per second over `interval_s`.
    pub bytes_sent_rate: Option<f64>,
    /// How the delta was obtained (wraps, glitches, resets, set aside, the
    /// unwatched stretch it bridges); none for `_total`.
    pub provenance: Provenance,
    /// Bytes (received + sent) the provenance concerns: the delta set
    /// aside, the dip of a glitch, else the delta's bytes.
    pub event_bytes: u64,
    /// Where the unwatched stretch this delta bridges began: the wall time
    /// of the previous reading, when that was not the previous cycle.
    pub bridged_from: Option<DateTime<Utc>>,
}

/// Everything one cycle stores: all rows share one timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// Wall-clock time of the read (UTC).
    pub timestamp: DateTime<Utc>,
    /// The sampler's clock at the read (seconds since boot on Linux).
    pub clock: f64,
    /// Whether this is the sample taken when netmon was asked to stop.
    pub final_sample: bool,
    /// Per-interface rows (in read order), then `_total` if tracked.
    pub rows: Vec<Row>,
}

impl Cycle {
    /// Marks this cycle as the one taken when netmon was asked to stop.
    pub fn mark_final(&mut self) {
        self.final_sample = true;
        for row in &mut self.rows {
            if row.interface != TOTAL_INTERFACE {
                row.provenance = row.provenance.with(Provenance::FINAL);
            }
        }
    }
}

/// What the sampler remembers of an interface.
#[derive(Debug, Clone, Copy)]
struct Previous {
    /// What the next delta is measured from.
    baseline: Counters,
    ifindex: Option<u32>,
    /// Clock second of the reading (0 for a reading of another boot: the
    /// next delta covers the time since boot).
    at: f64,
    /// Clock second it was last read or resumed (for forgetting).
    seen: f64,
    /// Wall time of the reading.
    wall: DateTime<Utc>,
    /// Number of the cycle it was last read in.
    cycle: u64,
    /// How the next reading relates to it when read in the next cycle.
    continuity: Continuity,
    /// Facts to add to the next delta's provenance (a resumed reading's).
    resumed: Provenance,
    /// Whether a counter was below its baseline at this reading (a glitch
    /// that lasts is logged once).
    glitching: bool,
}

/// A reading of an earlier run that the next cycle continues from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Continuation {
    /// The counters the next delta is measured from.
    pub baseline: Counters,
    /// The interface's kernel index then, where known.
    pub ifindex: Option<u32>,
    /// When it was read, on the sampler's clock (0 for another boot's).
    pub at: f64,
    /// When it was read, on the wall clock.
    pub wall: DateTime<Utc>,
    /// How the next cycle's reading relates to it.
    pub continuity: Continuity,
    /// Facts the next delta carries (e.g. that the previous boot ended
    /// with a final sample).
    pub provenance: Provenance,
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

    /// Seeds an interface with a reading of an earlier run, so that its
    /// next sample's delta continues from it (see [`crate::resume`]): read
    /// in the first cycle, it relates to it as `continuation.continuity`
    /// says; read later, it was re-created. Call before the first
    /// [`Sampler::sample`], with `now` the sampler's clock (a reading not
    /// before it is ignored).
    pub fn resume(&mut self, interface: &str, continuation: Continuation, now: f64) {
        if !(continuation.at.is_finite() && continuation.at < now) {
            return;
        }
        self.previous.insert(
            interface.to_string(),
            Previous {
                baseline: continuation.baseline,
                ifindex: continuation.ifindex,
                at: continuation.at,
                seen: now,
                wall: continuation.wall,
                cycle: self.cycles,
                continuity: continuation.continuity,
                resumed: continuation.provenance,
                glitching: false,
            },
        );
    }

    /// Seeds the time of the last stored cycle on the sampler's clock
    /// (before `now`), so that the first `_total` after a restart covers the
    /// same stretch as its interfaces.
    pub fn resume_cycle(&mut self, at: f64, now: f64) {
        if at.is_finite() && at < now {
            self.last_cycle_at = Some(at);
        }
    }

    /// Computes one cycle from a snapshot read at clock second `now` and
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
            let row = self.interface_row(interface, now, timestamp);
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
            .retain(|_, previous| now - previous.seen <= FORGET_AFTER_SECONDS);
        Cycle {
            timestamp,
            clock: now,
            final_sample: false,
            rows,
        }
    }

    /// What is known about `interface` between `previous` and this cycle.
    fn continuity(&self, previous: &Previous, ifindex: Option<u32>) -> Continuity {
        let index_changed = matches!((previous.ifindex, ifindex), (Some(a), Some(b)) if a != b);
        match previous.continuity {
            // Every interface of another boot is new in this one, whenever
            // it appears.
            Continuity::NewBoot => Continuity::NewBoot,
            _ if index_changed || previous.cycle + 1 != self.cycles => Continuity::Recreated,
            continuity => continuity,
        }
    }

    fn interface_row(
        &mut self,
        interface: &InterfaceCounters,
        now: f64,
        timestamp: DateTime<Utc>,
    ) -> Row {
        let current = Previous {
            baseline: interface.counters,
            ifindex: interface.ifindex,
            at: now,
            seen: now,
            wall: timestamp,
            cycle: self.cycles,
            continuity: Continuity::Contiguous,
            resumed: Provenance::NONE,
            glitching: false,
        };
        // Known interfaces are updated in place: no key allocation per cycle.
        let replaced = match self.previous.get_mut(&interface.name) {
            Some(slot) => Some(std::mem::replace(slot, current)),
            None => {
                self.previous.insert(interface.name.clone(), current);
                None
            }
        };
        let mut row = Row {
            interface: interface.name.clone(),
            ifindex: interface.ifindex,
            counters: interface.counters,
            baseline: interface.counters,
            deltas: None,
            interval_s: None,
            bytes_recv_rate: None,
            bytes_sent_rate: None,
            provenance: Provenance::NONE,
            event_bytes: 0,
            bridged_from: None,
        };
        match replaced {
            Some(previous) => {
                self.measure(&mut row, &previous, now);
                if let Some(slot) = self.previous.get_mut(&interface.name) {
                    slot.baseline = row.baseline;
                    slot.glitching = row.provenance.contains(Provenance::GLITCH);
                }
            }
            None => row.provenance = Provenance::BASELINE,
        }
        if self.options.calculate_rates {
            row.fill_rates();
        }
        row
    }

    /// Fills `row`'s deltas, interval, baseline and provenance from its
    /// interface's `previous` reading, setting aside a delta beyond any link
    /// or above the spike guard.
    fn measure(&self, row: &mut Row, previous: &Previous, now: f64) {
        let continuity = self.continuity(previous, row.ifindex);
        let advance = row.counters.advance(previous.baseline, continuity);
        let seconds = whole_microseconds(now - previous.at);
        let mut provenance = previous.resumed.with(match continuity {
            Continuity::Contiguous => Provenance::of_step(advance.step),
            Continuity::Gap => Provenance::CONTINUED.with(Provenance::of_step(advance.step)),
            Continuity::Recreated => Provenance::RECREATED,
            Continuity::NewBoot => Provenance::SINCE_BOOT,
        });
        if !matches!(continuity, Continuity::Contiguous) {
            row.bridged_from = Some(previous.wall);
        }
        row.baseline = advance.baseline;
        let bytes = advance
            .deltas
            .bytes_recv
            .saturating_add(advance.deltas.bytes_sent);
        row.event_bytes = bytes;
        if advance.step == Step::Glitch {
            let dip = |now: u64, before: u64| before.saturating_sub(now);
            row.event_bytes = dip(row.counters.bytes_recv, previous.baseline.bytes_recv)
                + dip(row.counters.bytes_sent, previous.baseline.bytes_sent);
        }
        if let Some(note) = step_note(provenance, previous.glitching) {
            tracing::info!(interface = %row.interface, "{note}");
        }
        if self.set_aside(&row.interface, &advance.deltas, seconds) {
            provenance = provenance.with(Provenance::SET_ASIDE);
            row.event_bytes = bytes;
            // The next delta starts from these counters, as read.
            row.baseline = row.counters;
        } else {
            row.deltas = Some(advance.deltas);
            row.interval_s = Some(seconds);
        }
        row.provenance = provenance;
    }

    /// Whether a delta is set aside instead of counted, logging why with
    /// its size (see [`Sampler::set_aside_reason`]).
    fn set_aside(&self, interface: &str, deltas: &Counters, seconds: f64) -> bool {
        let reason = self.set_aside_reason(interface, deltas, seconds);
        if let Some(reason) = &reason {
            tracing::warn!("{reason}");
        }
        reason.is_some()
    }

    /// Why a delta is set aside instead of counted, if it is: beyond any
    /// link ([`Counters::beyond_any_link`]), or above the interface's spike
    /// guard.
    fn set_aside_reason(&self, interface: &str, deltas: &Counters, seconds: f64) -> Option<String> {
        if deltas.beyond_any_link(seconds) {
            return Some(format!(
                "{interface}: a delta of {} in {seconds:.3} s is beyond any link (at most {} \
                 bytes/s): set aside as a corrupt reading (not counted; the next delta \
                 starts from these counters)",
                deltas.to_array().iter().max().copied().unwrap_or(0),
                crate::counters::MAX_BYTES_PER_SECOND
            ));
        }
        let limit = self.guard.limit_bytes_per_second(interface)?;
        let busiest = deltas.bytes_recv.max(deltas.bytes_sent);
        SpikeGuard::exceeds(limit, busiest, seconds).then(|| {
            let mbit = |bytes_per_second: f64| bytes_per_second / BYTES_PER_MBIT;
            format!(
                "{interface}: {busiest} bytes in {seconds:.3} s would be {:.0} Mbit/s, above \
                 its max_bandwidth_mbit of {:.0}: set aside (not counted as traffic; the next \
                 delta starts from these counters)",
                mbit(busiest as f64 / seconds.max(f64::MIN_POSITIVE)),
                mbit(limit)
            )
        })
    }
}

/// The line a step is worth in the log, if any: resets, re-created
/// interfaces and glitches (a glitch once while a dip lasts: not when the
/// previous reading was `glitching` already). Wraps and continuations are
/// ordinary; a new boot is logged at start.
fn step_note(provenance: Provenance, glitching: bool) -> Option<&'static str> {
    if provenance.contains(Provenance::RECREATED) {
        Some("interface was re-created: its delta is everything the new one counted")
    } else if provenance.contains(Provenance::RESET) {
        Some("a counter fell (reset): its delta is what it counted since the reset")
    } else if provenance.contains(Provenance::GLITCH) && !glitching {
        Some(
            "a counter dipped below its previous value (glitch): no traffic counted, the next \
             delta starts from the higher value",
        )
    } else {
        None
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
            baseline: self.counters,
            interval_s: self.deltas.and(cycle_interval.or(self.longest_interval)),
            deltas: self.deltas,
            bytes_recv_rate: self.recv_rate,
            bytes_sent_rate: self.sent_rate,
            provenance: Provenance::NONE,
            event_bytes: 0,
            bridged_from: None,
        }
    }
}

#[cfg(test)]
mod tests;

//! Turns successive counter snapshots into stored rows: deltas, rates and the
//! `_total` row. Pure logic: time comes in as arguments, so tests can script
//! counters and a fake clock.

mod fold;
pub(crate) mod resume;
pub(crate) mod select;
mod guard;
mod measure;

pub(crate) use guard::SpikeGuard;

use crate::model::counters::{Continuity, Counters};
use crate::model::provenance::Provenance;
use crate::source::InterfaceCounters;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Name of the row holding the sum of the monitored interfaces.
pub(crate) const TOTAL_INTERFACE: &str = "_total";

/// Interfaces of this boot unseen for this long (boot-clock seconds) are
/// forgotten, so container churn cannot grow memory without bound; a run
/// continuing an earlier one forgets them the same way.
pub(crate) const FORGET_AFTER_SECONDS: f64 = 3600.0;

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

/// A reading a delta can be measured from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baseline {
    /// The counters (a glitched counter keeps its higher previous value).
    pub counters: Counters,
    /// When, on the sampler's clock (0 for another boot's reading: the next
    /// delta covers the time since the boot).
    pub at: f64,
    /// When, on the wall clock.
    pub wall: DateTime<Utc>,
}

/// What an interface's next delta is measured from (kept for restarts).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NextFrom {
    /// The last reading counted from.
    pub good: Baseline,
    /// Whether `good` is a reading of another boot: the next delta is then
    /// everything counted since the boot.
    pub other_boot: bool,
    /// A reading set aside since (corrupt, or above the spike guard): the
    /// counters may go on from it, if they really jumped.
    pub set_aside: Option<Baseline>,
}

impl NextFrom {
    /// When the interface was last read: the set-aside reading's time, else
    /// the good one's.
    pub fn read(&self) -> Baseline {
        self.set_aside.unwrap_or(self.good)
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
    /// What the interface's next delta is measured from.
    pub next_from: NextFrom,
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

/// Everything one cycle stores: all rows share one timestamp. A cycle
/// without rows says that nothing was selected (or listed) at that time.
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
    /// The interfaces read but not stored (`track_per_interface: false`):
    /// their next deltas are still kept for restarts.
    pub unstored: Vec<Row>,
    /// Interfaces listed on lines whose counters could not be read: there,
    /// but unwatched in this cycle (see [`Sampler::unreadable`]).
    pub unreadable: Vec<String>,
}

impl Cycle {
    /// Marks this cycle as the one taken when netmon was asked to stop.
    pub fn mark_final(&mut self) {
        self.final_sample = true;
        for row in self.rows.iter_mut().chain(&mut self.unstored) {
            if row.interface != TOTAL_INTERFACE {
                row.provenance = row.provenance.with(Provenance::FINAL);
            }
        }
    }

    /// Every interface row, stored or not (never `_total`).
    pub fn interface_rows(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .chain(&self.unstored)
            .filter(|row| row.interface != TOTAL_INTERFACE)
    }
}

/// What the sampler remembers of an interface.
#[derive(Debug, Clone, Copy)]
struct Previous {
    /// What the next delta is measured from.
    next_from: NextFrom,
    ifindex: Option<u32>,
    /// Clock second it was last read or resumed (for forgetting).
    seen: f64,
    /// Number of the cycle it was last read in.
    cycle: u64,
    /// How the next reading relates to `next_from.good` when read in the
    /// next cycle.
    continuity: Continuity,
    /// Facts to add to the next delta's provenance (a resumed reading's).
    resumed: Provenance,
    /// Whether a counter was below its baseline at the last reading (a dip
    /// that lasts).
    glitching: bool,
}

/// A reading of an earlier run that the next cycle continues from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Continuation {
    /// What the next delta is measured from.
    pub next_from: NextFrom,
    /// The interface's kernel index then, where known.
    pub ifindex: Option<u32>,
    /// How the next cycle's reading relates to `next_from.good`.
    pub continuity: Continuity,
    /// Facts the next delta carries (e.g. that the previous boot ended
    /// with a final sample).
    pub provenance: Provenance,
    /// Whether a counter was below its baseline at that reading (a dip
    /// that may last).
    pub glitching: bool,
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
    /// next sample's delta continues from it (see [`crate::sample::resume`]): read
    /// in the first cycle, it relates to it as `continuation.continuity`
    /// says; read later, it was re-created. Call before the first
    /// [`Sampler::sample`], with `now` the sampler's clock (a reading not
    /// before it is ignored).
    pub fn resume(&mut self, interface: &str, continuation: Continuation, now: f64) {
        let before_now = |at: f64| at.is_finite() && at < now;
        let next_from = continuation.next_from;
        if !before_now(next_from.good.at) || !next_from.set_aside.is_none_or(|b| before_now(b.at)) {
            return;
        }
        self.previous.insert(
            interface.to_string(),
            Previous {
                next_from,
                ifindex: continuation.ifindex,
                seen: now,
                cycle: self.cycles,
                continuity: continuation.continuity,
                resumed: continuation.provenance,
                glitching: continuation.glitching,
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
            rows.push(row);
        }
        let unstored = if self.options.track_per_interface {
            Vec::new()
        } else {
            std::mem::take(&mut rows)
        };
        if self.options.track_total {
            let cycle_interval = self.last_cycle_at.map(|at| whole_microseconds(now - at));
            rows.push(total.into_row(cycle_interval, timestamp, now));
        }
        self.last_cycle_at = Some(now);
        self.previous.retain(|_, previous| {
            previous.continuity == Continuity::NewBoot
                || now - previous.seen <= FORGET_AFTER_SECONDS
        });
        Cycle {
            timestamp,
            clock: now,
            final_sample: false,
            rows,
            unstored,
            unreadable: Vec::new(),
        }
    }

    /// A cycle in which nothing was selected (or listed): every interface
    /// known was absent from it, so one that comes back was re-created.
    pub fn empty_cycle(&mut self, now: f64, timestamp: DateTime<Utc>) -> Cycle {
        self.sample(&[], now, timestamp).without_rows()
    }

    /// A cycle whose read failed: nobody saw the interfaces, so the next
    /// reading of each is across an unwatched stretch (a drop is never a
    /// guessed wrap), but not a re-creation.
    pub fn nothing_read(&mut self) {
        for previous in self.previous.values_mut() {
            if previous.continuity == Continuity::Contiguous {
                previous.continuity = Continuity::Gap;
            }
        }
    }

    /// Interfaces `cycle`'s read listed on lines that could not be read:
    /// they were there, unwatched, not absent. The cycle says so too, for
    /// a restart.
    pub fn unreadable(&mut self, cycle: &mut Cycle, names: &[String]) {
        cycle.unreadable = names
            .iter()
            .filter(|name| self.previous.contains_key(*name))
            .cloned()
            .collect();
        for name in &cycle.unreadable {
            if let Some(previous) = self.previous.get_mut(name) {
                previous.cycle = self.cycles;
                previous.seen = cycle.clock;
                if previous.continuity == Continuity::Contiguous {
                    previous.continuity = Continuity::Gap;
                }
            }
        }
    }

    fn interface_row(
        &mut self,
        interface: &InterfaceCounters,
        now: f64,
        timestamp: DateTime<Utc>,
    ) -> Row {
        let read = Baseline {
            counters: interface.counters,
            at: now,
            wall: timestamp,
        };
        let mut row = Row {
            interface: interface.name.clone(),
            ifindex: interface.ifindex,
            counters: interface.counters,
            next_from: NextFrom {
                good: read,
                other_boot: false,
                set_aside: None,
            },
            deltas: None,
            interval_s: None,
            bytes_recv_rate: None,
            bytes_sent_rate: None,
            provenance: Provenance::BASELINE,
            event_bytes: 0,
            bridged_from: None,
        };
        let judge = measure::Judge {
            guard: &self.guard,
            cycles: self.cycles,
        };
        // Known interfaces are updated in place: one lookup, no key
        // allocation per cycle.
        match self.previous.get_mut(&interface.name) {
            Some(slot) => {
                *slot = judge.measure(&mut row, slot, read);
                row.next_from = slot.next_from;
            }
            None => {
                let first = Previous {
                    next_from: row.next_from,
                    ifindex: interface.ifindex,
                    seen: now,
                    cycle: self.cycles,
                    continuity: Continuity::Contiguous,
                    resumed: Provenance::NONE,
                    glitching: false,
                };
                self.previous.insert(interface.name.clone(), first);
            }
        }
        if self.options.calculate_rates {
            row.fill_rates();
        }
        row
    }
}

impl Cycle {
    /// The same cycle with no rows (the sampler still counted it).
    fn without_rows(mut self) -> Cycle {
        self.rows.clear();
        self.unstored.clear();
        self.unreadable.clear();
        self
    }
}

pub(crate) use crate::store::codec::whole_microseconds;

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

    /// The `_total` row read at `timestamp` and clock `now`: its interval is
    /// the time since the previous cycle (the span its interfaces' deltas
    /// cover), or, when that is unknown, the longest interval among them;
    /// its rates are the sums of theirs.
    fn into_row(self, cycle_interval: Option<f64>, timestamp: DateTime<Utc>, now: f64) -> Row {
        Row {
            interface: TOTAL_INTERFACE.to_string(),
            ifindex: None,
            counters: self.counters,
            next_from: NextFrom {
                good: Baseline {
                    counters: self.counters,
                    at: now,
                    wall: timestamp,
                },
                other_boot: false,
                set_aside: None,
            },
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

//! Continuing an earlier run: the resume point seeds the sampler so that
//! the first cycle of a run counts what happened since the last one, by the
//! same rules as consecutive cycles of one run.
//!
//! - **Same boot** (the kernel's `boot_id`): each interface continues from
//!   its last reading, placed on the boot clock, never the wall clock. A run
//!   whose previous cycle is *recent* ([`continuation_window`]) is its next
//!   consecutive cycle: a 32-bit counter may wrap, and an interface that was
//!   absent from that cycle was re-created. After a longer pause the stretch
//!   was unwatched: a drop is never a guessed wrap.
//! - **Another boot**: the kernel started every counter at zero, so each
//!   interface's first reading is its traffic since the boot, counted.
//! - **Unknown boot** (no identity recorded, or none readable now):
//!   nothing is continued.

use crate::model::counters::{Continuity, Counters};
use crate::model::provenance::Provenance;
use crate::sample::{Baseline, Continuation, NextFrom, Sampler, FORGET_AFTER_SECONDS};
use crate::source::boot::Boot;
use crate::store::resume_point::{LastReading, Reading, ResumePoint};
use chrono::{DateTime, Utc};

/// Boot times (`btime`) within this many seconds are the same boot: only for
/// resume points written before boot ids were recorded.
const BOOT_TIME_TOLERANCE: i64 = 2;

/// The shortest pause after which a run is no longer the next cycle of the
/// one before: 20 minutes, so cron jobs every 5, 10 or 15 minutes are
/// consecutive cycles like the monitor's.
const CONTINUATION_MIN_SECONDS: f64 = 1200.0;

/// Longest pause (boot-clock seconds) after which a run is still the next
/// consecutive cycle of the previous one: three monitoring intervals, and
/// at least 20 minutes.
pub(crate) fn continuation_window(interval: f64) -> f64 {
    (3.0 * interval).max(CONTINUATION_MIN_SECONDS)
}

/// The run that is starting.
#[derive(Debug, Clone)]
pub(crate) struct Start<'a> {
    /// The boot running now.
    pub boot: &'a Boot,
    /// The boot clock now (the sampler's clock).
    pub clock: f64,
    /// The wall clock now.
    pub wall: DateTime<Utc>,
    /// The monitoring interval, seconds.
    pub interval: f64,
    /// Which interfaces this run selects ([`crate::sample::select::Selection::fingerprint`]).
    pub selection: u64,
}

/// How a run relates to the resume point it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resumed {
    /// Nothing to continue from (no point, or its boot cannot be told).
    Fresh,
    /// The same boot: each interface continues; `consecutive` when the
    /// previous cycle was recent.
    SameBoot {
        /// Whether this run is the next consecutive cycle of the last one.
        consecutive: bool,
    },
    /// Another boot: each interface's first reading counts since the boot.
    NewBoot,
}

/// Whether a resume point of boot `id` (or, converted from before boot ids,
/// of boot time `legacy_btime`) belongs to the boot running now.
fn boot_of(point: &ResumePoint, boot: &Boot) -> Option<bool> {
    match (&point.boot_id, &boot.id, point.legacy_btime, boot.btime) {
        (Some(stored), Some(now), _, _) => Some(stored == now),
        // Before boot ids, a moved btime may be a reboot or a clock step:
        // never guessed to be another boot.
        (None, _, Some(stored), Some(now)) => {
            ((stored - now).abs() <= BOOT_TIME_TOLERANCE).then_some(true)
        }
        _ => None,
    }
}

/// Where a reading stands on the boot clock now (`None` when it cannot be
/// placed there): its recorded boot clock, or for a converted reading its
/// wall-clock age before `start`.
fn place(reading: Reading, start: &Start) -> Option<f64> {
    let at = reading.clock().unwrap_or_else(|| {
        start.clock - (start.wall - reading.wall()).num_milliseconds() as f64 / 1000.0
    });
    (at.is_finite() && (0.0..=start.clock).contains(&at)).then_some(at)
}

/// Whether two readings are the same one: by the boot clock where both
/// have it (a stamp nudged past a stored one keeps its clock), else by
/// their wall time.
fn same_reading(a: Reading, b: Reading) -> bool {
    match (a.clock_us, b.clock_us) {
        (Some(x), Some(y)) => x == y,
        _ => a.t_ms == b.t_ms,
    }
}

/// Seeds `sampler` from `point` for the run `start` describes; says how.
pub(crate) fn continue_from(point: &ResumePoint, start: &Start, sampler: &mut Sampler) -> Resumed {
    let in_last = |at: Reading| point.last_cycle.is_some_and(|c| same_reading(at, c));
    // A reading of another boot counts everything since this one began.
    let since_boot = |last: &LastReading, provenance| Continuation {
        next_from: NextFrom {
            good: Baseline {
                counters: last.counters(),
                at: 0.0,
                wall: last.read_at().wall(),
            },
            other_boot: true,
            set_aside: None,
        },
        ifindex: None,
        continuity: Continuity::NewBoot,
        provenance,
        glitching: false,
    };
    match boot_of(point, start.boot) {
        None => Resumed::Fresh,
        Some(false) => {
            for (name, last) in &point.interfaces {
                // A final sample at the stop that ended the old boot covers
                // the interfaces it read.
                // (A reading kept from a boot before: unknown.)
                let after_final = !last.other_boot && point.final_sample && in_last(last.read_at());
                let provenance = if after_final {
                    Provenance::AFTER_FINAL
                } else {
                    Provenance::NONE
                };
                sampler.resume(name, since_boot(last, provenance), start.clock);
            }
            sampler.resume_cycle(0.0, start.clock);
            Resumed::NewBoot
        }
        Some(true) => {
            let cycle = point.last_cycle.and_then(|c| place(c, start));
            let consecutive =
                cycle.is_some_and(|at| start.clock - at <= continuation_window(start.interval));
            let same_selection = point.selection == Some(start.selection);
            for (name, last) in &point.interfaces {
                if last.other_boot {
                    let provenance = if last.after_final {
                        Provenance::AFTER_FINAL
                    } else {
                        Provenance::NONE
                    };
                    sampler.resume(name, since_boot(last, provenance), start.clock);
                    continue;
                }
                let (Some(at), Some(seen)) = (place(last.at, start), place(last.seen_at(), start))
                else {
                    continue;
                };
                let in_last_cycle = in_last(last.seen_at());
                if !in_last_cycle && start.clock - seen > FORGET_AFTER_SECONDS {
                    // Gone so long that a monitor would have forgotten it.
                    continue;
                }
                // Listed, unreadable, in the last cycle: there, unwatched.
                let read_in_last = in_last(last.read_at());
                let continuity = if !in_last_cycle && same_selection {
                    // Absent from the last cycle while it was selected.
                    Continuity::Recreated
                } else if consecutive && read_in_last {
                    Continuity::Contiguous
                } else {
                    Continuity::Gap
                };
                let set_aside = last.set_aside.and_then(|(reading, counters)| {
                    Some(Baseline {
                        counters: Counters::from_array(counters),
                        at: place(reading, start)?,
                        wall: reading.wall(),
                    })
                });
                let continuation = Continuation {
                    next_from: NextFrom {
                        good: Baseline {
                            counters: last.counters(),
                            at,
                            wall: last.at.wall(),
                        },
                        other_boot: false,
                        set_aside,
                    },
                    ifindex: last.ifindex,
                    continuity,
                    provenance: Provenance::NONE,
                    glitching: last.glitching,
                };
                sampler.resume(name, continuation, start.clock);
            }
            if let Some(at) = cycle {
                sampler.resume_cycle(at, start.clock);
            }
            Resumed::SameBoot { consecutive }
        }
    }
}

#[cfg(test)]
mod tests;

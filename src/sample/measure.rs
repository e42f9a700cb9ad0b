//! How one reading follows the interface's previous one: the deltas and
//! their interval, the facts of the delta, and what the next reading is
//! measured from. A reading set aside is not forgotten: the next reading
//! goes on from it when the counters really jumped (they rise from it: what
//! was set aside is then lost, and recorded so), and from the last counted
//! reading when the set-aside one was corrupt (then nothing is lost).

use super::{whole_microseconds, Baseline, NextFrom, Previous, Row, SpikeGuard};
use crate::model::counters::{Advance, Continuity, Counters, Step};
use crate::model::provenance::Provenance;

/// Which reading a delta was measured from.
enum From {
    /// The last counted reading, as the continuity says.
    Counted(Continuity),
    /// The reading set aside in the previous cycle (the counters jumped).
    SetAside,
}

/// What measuring a reading needs of the sampler: the spike guard and the
/// number of the cycle being sampled.
pub(super) struct Judge<'a> {
    pub(super) guard: &'a SpikeGuard,
    pub(super) cycles: u64,
}

impl Judge<'_> {
    /// Whether the interface is new since its last reading: absent for a
    /// cycle, or with another ifindex.
    fn fresh(&self, previous: &Previous, ifindex: Option<u32>) -> bool {
        let index_changed = matches!((previous.ifindex, ifindex), (Some(a), Some(b)) if a != b);
        index_changed || previous.cycle + 1 != self.cycles
    }

    /// What is known about the interface between its last counted reading
    /// and this cycle.
    fn continuity(&self, previous: &Previous, ifindex: Option<u32>) -> Continuity {
        match previous.continuity {
            // Every interface of another boot is new in this one, whenever
            // it appears.
            Continuity::NewBoot => Continuity::NewBoot,
            _ if self.fresh(previous, ifindex) => Continuity::Recreated,
            continuity => continuity,
        }
    }

    /// Fills `row` (read as `read`) from its interface's `previous`
    /// reading; returns what the sampler keeps of the interface.
    pub(super) fn measure(&self, row: &mut Row, previous: &Previous, read: Baseline) -> Previous {
        let fresh = self.fresh(previous, row.ifindex);
        let continuity = self.continuity(previous, row.ifindex);
        let (advance, from, how) = self.choose_baseline(row, previous, continuity, fresh, read);
        let seconds = whole_microseconds(read.at - from.at);
        let lasting = previous.glitching && advance.step == Step::Glitch;
        let step_facts = match advance.step {
            Step::Glitch if lasting => Provenance::DIP_LASTS,
            step => Provenance::of_step(step),
        };
        let mut provenance = previous.resumed.with(match how {
            From::SetAside => Provenance::JUMPED,
            From::Counted(Continuity::Contiguous) => step_facts,
            From::Counted(Continuity::Gap) => Provenance::CONTINUED.with(step_facts),
            From::Counted(Continuity::Recreated) => Provenance::RECREATED,
            From::Counted(Continuity::NewBoot) => Provenance::SINCE_BOOT,
        });
        if matches!(how, From::Counted(c) if c != Continuity::Contiguous) {
            row.bridged_from = Some(from.wall);
        }
        let recovered = previous.next_from.set_aside.is_some() && matches!(how, From::Counted(_));
        let bytes = byte_sum(advance.deltas);
        row.event_bytes = match how {
            // What was set aside, between the last counted reading and the
            // one the counters went on from, is lost.
            From::SetAside => byte_sum(rise(previous.next_from.good.counters, from.counters)),
            From::Counted(_) if advance.step == Step::Glitch => {
                byte_sum(rise(row.counters, from.counters))
            }
            From::Counted(_) => bytes,
        };
        if let Some(note) = step_note(provenance) {
            tracing::info!(interface = %row.interface, "{note}");
        }
        if let Some(reason) = self
            .guard
            .set_aside_reason(&row.interface, &advance.deltas, seconds)
        {
            tracing::warn!(
                "{reason}; the next delta starts from these counters if they go on rising \
                 from them, else from the last counted ones"
            );
            row.provenance = provenance.with(Provenance::SET_ASIDE);
            row.event_bytes = bytes;
            return self.keep_counted(previous, continuity, row.ifindex, read);
        }
        if recovered {
            provenance = provenance.with(Provenance::RECOVERED);
        }
        row.provenance = provenance;
        row.deltas = Some(advance.deltas);
        row.interval_s = Some(seconds);
        Previous {
            next_from: NextFrom {
                good: Baseline {
                    counters: advance.baseline,
                    ..read
                },
                other_boot: false,
                set_aside: None,
            },
            ifindex: row.ifindex,
            seen: read.at,
            cycle: self.cycles,
            continuity: Continuity::Contiguous,
            resumed: Provenance::NONE,
            glitching: advance.step == Step::Glitch,
        }
    }

    /// What the sampler keeps of an interface whose reading `read` was set
    /// aside: the last counted reading, as `continuity` relates to it (a
    /// re-created interface's: zero, where the new one started), and the
    /// set-aside reading, which the next may go on from.
    fn keep_counted(
        &self,
        previous: &Previous,
        continuity: Continuity,
        ifindex: Option<u32>,
        read: Baseline,
    ) -> Previous {
        let mut next_from = NextFrom {
            set_aside: Some(read),
            ..previous.next_from
        };
        let mut continuity = continuity;
        if continuity == Continuity::Recreated {
            next_from.good.counters = Counters::default();
            continuity = Continuity::Contiguous;
        }
        Previous {
            next_from,
            ifindex,
            seen: read.at,
            cycle: self.cycles,
            continuity,
            glitching: false,
            ..*previous
        }
    }

    /// Which reading `read` is measured from: the reading set aside in the
    /// previous cycle when the counters rose from it (they really jumped)
    /// within any link; else the last counted reading, as `continuity`
    /// says. A set-aside reading of an interface `fresh` since (absent for
    /// a cycle, or a new ifindex) is another interface's.
    fn choose_baseline(
        &self,
        row: &Row,
        previous: &Previous,
        continuity: Continuity,
        fresh: bool,
        read: Baseline,
    ) -> (Advance, Baseline, From) {
        let from_set_aside =
            previous
                .next_from
                .set_aside
                .filter(|_| !fresh)
                .and_then(|set_aside| {
                    let advance = row
                        .counters
                        .advance(set_aside.counters, Continuity::Contiguous);
                    let seconds = whole_microseconds(read.at - set_aside.at);
                    let plausible = advance.step == Step::Forward
                        && self
                            .guard
                            .set_aside_reason(&row.interface, &advance.deltas, seconds)
                            .is_none();
                    plausible.then_some((advance, set_aside, From::SetAside))
                });
        from_set_aside.unwrap_or_else(|| {
            let good = previous.next_from.good;
            (
                row.counters.advance(good.counters, continuity),
                good,
                From::Counted(continuity),
            )
        })
    }
}

/// Received plus sent bytes.
fn byte_sum(counters: Counters) -> u64 {
    counters.bytes_recv.saturating_add(counters.bytes_sent)
}

/// How far each counter of `higher` is above `lower` (0 where it is not).
fn rise(lower: Counters, higher: Counters) -> Counters {
    let (a, b) = (lower.to_array(), higher.to_array());
    Counters::from_array(std::array::from_fn(|i| b[i].saturating_sub(a[i])))
}

/// The line a step is worth in the log, if any: resets, re-created
/// interfaces and glitches (once while a dip lasts: its later readings are
/// [`Provenance::DIP_LASTS`]). Wraps and continuations are ordinary; a new
/// boot is logged at start.
pub(super) fn step_note(provenance: Provenance) -> Option<&'static str> {
    if provenance.contains(Provenance::RECREATED) {
        Some("interface was re-created: its delta is everything the new one counted")
    } else if provenance.contains(Provenance::RESET) {
        Some("a counter fell (reset): its delta is what it counted since the reset")
    } else if provenance.contains(Provenance::GLITCH) {
        Some(
            "a counter dipped below its previous value (glitch): no traffic counted, the next \
             delta starts from the higher value",
        )
    } else {
        None
    }
}

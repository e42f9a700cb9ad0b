//! How one reading follows the interface's previous one: the deltas and
//! their interval, the facts of the delta, and what the next reading is
//! measured from. A reading set aside is not forgotten: the next reading
//! goes on from it when the counters really jumped (they rise from it), and
//! from the last counted reading when the set-aside one was corrupt.

use super::{whole_microseconds, Baseline, NextFrom, Previous, Row, Sampler};
use crate::counters::{Advance, Continuity, Step};
use crate::provenance::Provenance;

impl Sampler {
    /// Fills `row` (read as `read`) from its interface's `previous`
    /// reading; returns what the sampler keeps of the interface.
    pub(super) fn measure(&self, row: &mut Row, previous: &Previous, read: Baseline) -> Previous {
        let continuity = self.continuity(previous, row.ifindex);
        let (advance, from, continuity) = self.choose_baseline(row, previous, continuity, read);
        let seconds = whole_microseconds(read.at - from.at);
        let lasting = previous.glitching && advance.step == Step::Glitch;
        let step_facts = match advance.step {
            Step::Glitch if lasting => Provenance::DIP_LASTS,
            step => Provenance::of_step(step),
        };
        let provenance = previous.resumed.with(match continuity {
            Continuity::Contiguous => step_facts,
            Continuity::Gap => Provenance::CONTINUED.with(step_facts),
            Continuity::Recreated => Provenance::RECREATED,
            Continuity::NewBoot => Provenance::SINCE_BOOT,
        });
        if continuity != Continuity::Contiguous {
            row.bridged_from = Some(from.wall);
        }
        let bytes = advance
            .deltas
            .bytes_recv
            .saturating_add(advance.deltas.bytes_sent);
        row.event_bytes = if advance.step == Step::Glitch {
            let dip = |now: u64, before: u64| before.saturating_sub(now);
            dip(row.counters.bytes_recv, from.counters.bytes_recv)
                .saturating_add(dip(row.counters.bytes_sent, from.counters.bytes_sent))
        } else {
            bytes
        };
        if let Some(note) = step_note(provenance) {
            tracing::info!(interface = %row.interface, "{note}");
        }
        if let Some(reason) = self.set_aside_reason(&row.interface, &advance.deltas, seconds) {
            tracing::warn!(
                "{reason}; the next delta starts from these counters if they go on rising \
                 from them, else from the last counted ones"
            );
            row.provenance = provenance.with(Provenance::SET_ASIDE);
            row.event_bytes = bytes;
            return Previous {
                next_from: NextFrom {
                    set_aside: Some(read),
                    ..previous.next_from
                },
                ifindex: row.ifindex,
                seen: read.at,
                cycle: self.cycles,
                glitching: false,
                ..*previous
            };
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

    /// Which reading `read` is measured from: the reading set aside last
    /// time when the counters rose from it (they really jumped) within any
    /// link, as consecutive readings; else the last counted reading, as
    /// `continuity` says.
    fn choose_baseline(
        &self,
        row: &Row,
        previous: &Previous,
        continuity: Continuity,
        read: Baseline,
    ) -> (Advance, Baseline, Continuity) {
        let from_set_aside = previous
            .next_from
            .set_aside
            .filter(|_| continuity != Continuity::Recreated)
            .and_then(|set_aside| {
                let advance = row
                    .counters
                    .advance(set_aside.counters, Continuity::Contiguous);
                let seconds = whole_microseconds(read.at - set_aside.at);
                let plausible = advance.step == Step::Forward
                    && self
                        .set_aside_reason(&row.interface, &advance.deltas, seconds)
                        .is_none();
                plausible.then_some((advance, set_aside, Continuity::Contiguous))
            });
        from_set_aside.unwrap_or_else(|| {
            let good = previous.next_from.good;
            (
                row.counters.advance(good.counters, continuity),
                good,
                continuity,
            )
        })
    }
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

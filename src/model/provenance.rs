//! How a stored sample's delta was obtained: the facts `--audit` reports
//! (wraps, glitches, resets, set-aside deltas, and the unwatched stretches a
//! delta bridges). The bits are stored as they are in `netmon_events.kind`,
//! so this is the one place that gives them their meaning.

use crate::model::counters::Step;

/// A set of facts about one sample's delta.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Provenance(u16);

impl Provenance {
    /// A counter fell within the same interface incarnation (a driver
    /// reset): its delta is its new value; what it counted between the
    /// previous reading and the reset is unknown.
    pub const RESET: Provenance = Provenance(1);
    /// A 32-bit counter wrapped between consecutive readings.
    pub const WRAP: Provenance = Provenance(1 << 1);
    /// A counter dipped a little below its previous value (a glitch): it
    /// counted nothing, and the next delta starts from the higher value.
    pub const GLITCH: Provenance = Provenance(1 << 2);
    /// The delta was beyond any link (or above `max_bandwidth_mbit`): set
    /// aside, not counted; the next delta starts from these counters.
    pub const SET_ASIDE: Provenance = Provenance(1 << 3);
    /// The delta bridges a stretch nobody watched in the same boot (netmon
    /// was stopped): the counters' rise is the traffic of the whole stretch.
    pub const CONTINUED: Provenance = Provenance(1 << 4);
    /// The first reading in a new boot: the delta is everything the
    /// interface counted since the boot (or its creation).
    pub const SINCE_BOOT: Provenance = Provenance(1 << 5);
    /// The interface was re-created (absent for a cycle, or a new ifindex):
    /// the delta is everything the new one counted; what the old one
    /// counted after its last reading is unknown.
    pub const RECREATED: Provenance = Provenance(1 << 6);
    /// The sample netmon took when it was asked to stop.
    pub const FINAL: Provenance = Provenance(1 << 7);
    /// With [`Provenance::SINCE_BOOT`]: the previous boot's last sample was
    /// a final one, taken at shutdown, so nothing of that boot is missing.
    pub const AFTER_FINAL: Provenance = Provenance(1 << 8);

    /// No previous reading to measure from (the interface's first sample in
    /// this run, or its counters could not be continued): the counters
    /// start the count and the sample has no delta. After an earlier sample
    /// of the interface, the stretch between them is not accounted for.
    pub const BASELINE: Provenance = Provenance(1 << 9);
    /// A counter is still below the value it dipped from at an earlier
    /// reading: if it did not glitch but really went back, what it counted
    /// since the dip, up to `bytes`, is missing.
    pub const DIP_LASTS: Provenance = Provenance(1 << 10);
    /// The counters went on from a reading set aside before (they really
    /// jumped): the traffic that reading claimed, `bytes`, is not counted.
    pub const JUMPED: Provenance = Provenance(1 << 11);
    /// Measured from the last counted reading, over readings set aside
    /// since (they were corrupt): nothing set aside is missing.
    pub const RECOVERED: Provenance = Provenance(1 << 12);

    /// No fact: a delta between consecutive readings that rose.
    pub const NONE: Provenance = Provenance(0);

    /// The facts of a counter step.
    pub fn of_step(step: Step) -> Provenance {
        match step {
            Step::Forward => Provenance::NONE,
            Step::Glitch => Provenance::GLITCH,
            Step::Wrap32 => Provenance::WRAP,
            Step::Reset => Provenance::RESET,
        }
    }

    /// The stored code.
    pub fn bits(self) -> u16 {
        self.0
    }

    /// The facts of a stored code (unknown bits are kept, and mean nothing
    /// to this version).
    pub fn from_bits(bits: u16) -> Provenance {
        Provenance(bits)
    }

    /// Whether every fact of `other` is in `self`.
    pub fn contains(self, other: Provenance) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether `self` has any fact of `other`.
    pub fn intersects(self, other: Provenance) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether there is no fact at all.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The facts of both.
    #[must_use]
    pub fn with(self, other: Provenance) -> Provenance {
        Provenance(self.0 | other.0)
    }

    /// The facts of `self` that are not in `other`.
    #[must_use]
    pub fn without(self, other: Provenance) -> Provenance {
        Provenance(self.0 & !other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_rule_each_fact_has_its_own_bit() {
        let all = [
            Provenance::RESET,
            Provenance::WRAP,
            Provenance::GLITCH,
            Provenance::SET_ASIDE,
            Provenance::CONTINUED,
            Provenance::SINCE_BOOT,
            Provenance::RECREATED,
            Provenance::FINAL,
            Provenance::AFTER_FINAL,
            Provenance::BASELINE,
            Provenance::DIP_LASTS,
            Provenance::JUMPED,
            Provenance::RECOVERED,
        ];
        let mut union = Provenance::NONE;
        for fact in all {
            assert_eq!(fact.bits().count_ones(), 1, "{fact:?}");
            assert!(!union.intersects(fact), "{fact:?} shares a bit");
            union = union.with(fact);
        }
        assert_eq!(union.bits(), 0x1fff, "the stored codes never change");
        assert!(union.contains(Provenance::WRAP.with(Provenance::FINAL)));
        assert_eq!(Provenance::RESET.with(Provenance::RESET), Provenance::RESET);
        assert!(!Provenance::WRAP.contains(union));
        assert_eq!(
            union.without(Provenance::FINAL).bits(),
            0x1fff & !Provenance::FINAL.bits()
        );
        assert_eq!(Provenance::from_bits(0x2000).bits(), 0x2000);
        assert!(Provenance::NONE.is_empty() && !Provenance::RESET.is_empty());
    }

    #[test]
    fn provenance_rule_steps_map_to_their_facts() {
        assert_eq!(Provenance::of_step(Step::Forward), Provenance::NONE);
        assert_eq!(Provenance::of_step(Step::Glitch), Provenance::GLITCH);
        assert_eq!(Provenance::of_step(Step::Wrap32), Provenance::WRAP);
        assert_eq!(Provenance::of_step(Step::Reset), Provenance::RESET);
    }
}

//! The eight kernel counters netmon tracks, and how one reading follows another.

use std::ops::Add;

/// One reading of an interface's cumulative counters, or a per-sample delta of them.
///
/// Field names match the database columns: `recv`/`in` is the receive side,
/// `sent`/`out` the transmit side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Bytes received.
    pub bytes_recv: u64,
    /// Bytes transmitted.
    pub bytes_sent: u64,
    /// Packets received.
    pub packets_recv: u64,
    /// Packets transmitted.
    pub packets_sent: u64,
    /// Receive errors.
    pub errin: u64,
    /// Transmit errors.
    pub errout: u64,
    /// Received packets dropped.
    pub dropin: u64,
    /// Transmitted packets dropped.
    pub dropout: u64,
}

/// What is known about an interface between two readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuity {
    /// The same interface read in consecutive cycles (of one run, or of a
    /// run that continues a recent one): a drop may be a 32-bit wrap.
    Contiguous,
    /// The same interface in the same boot, but nobody watched in between
    /// (netmon was stopped): a 32-bit counter may have wrapped any number of
    /// times, so a drop is never a guessed wrap.
    Gap,
    /// The interface was absent for a cycle, or its ifindex changed: it was
    /// re-created, so its counters started again from zero.
    Recreated,
    /// The first reading in a new boot: the kernel started every counter
    /// from zero at boot (or at the interface's creation since).
    NewBoot,
}

impl Continuity {
    /// Whether the two readings are of the same interface incarnation (same
    /// boot, same interface), so that a small drop is a glitch.
    fn same_incarnation(self) -> bool {
        matches!(self, Continuity::Contiguous | Continuity::Gap)
    }
}

/// How a counter got from one reading to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// The counter went up (or stayed): delta = new - old.
    Forward,
    /// The counter dipped a little below its previous value within the same
    /// incarnation (a driver's torn read): delta = 0, and the next delta is
    /// measured from the higher value, so nothing is invented.
    Glitch,
    /// A 32-bit counter passed 2^32 - 1: delta = new + 2^32 - old.
    Wrap32,
    /// The counter restarted (reboot, driver reload, interface re-created):
    /// delta = new, the traffic since the reset.
    Reset,
}

/// The deltas from one reading to the next, and where the next delta is
/// measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advance {
    /// Per-counter traffic between the two readings.
    pub deltas: Counters,
    /// The most notable step among the counters (see [`Counters::advance`]).
    pub step: Step,
    /// What the next reading is compared with: the new reading, except
    /// that a glitched counter keeps its higher previous value.
    pub baseline: Counters,
}

impl Counters {
    /// The counters in database column order.
    pub fn to_array(self) -> [u64; 8] {
        [
            self.bytes_recv,
            self.bytes_sent,
            self.packets_recv,
            self.packets_sent,
            self.errin,
            self.errout,
            self.dropin,
            self.dropout,
        ]
    }

    /// Builds counters from values in database column order.
    pub fn from_array(values: [u64; 8]) -> Self {
        let [bytes_recv, bytes_sent, packets_recv, packets_sent, errin, errout, dropin, dropout] =
            values;
        Counters {
            bytes_recv,
            bytes_sent,
            packets_recv,
            packets_sent,
            errin,
            errout,
            dropin,
            dropout,
        }
    }

    /// How `self` follows `previous` (a baseline, see [`Advance`]): each
    /// counter by the rule of `counter_delta`, and the most notable step
    /// among them ([`Step::Reset`] over [`Step::Wrap32`] over
    /// [`Step::Glitch`] over [`Step::Forward`]). Each counter keeps its own
    /// delta: a counter that fell is counted from zero, the others by their
    /// rise, so a drop misread as a reset can only undercount, never invent
    /// traffic on the others.
    pub fn advance(self, previous: Counters, continuity: Continuity) -> Advance {
        let old = previous.to_array();
        let new = self.to_array();
        let mut deltas = [0u64; 8];
        let mut baseline = new;
        let mut step = Step::Forward;
        for i in 0..8 {
            let (delta, counter_step) = counter_delta(old[i], new[i], continuity);
            deltas[i] = delta;
            if counter_step == Step::Glitch {
                baseline[i] = old[i];
            }
            step = step.max(counter_step);
        }
        Advance {
            deltas: Counters::from_array(deltas),
            step,
            baseline: Counters::from_array(baseline),
        }
    }

    /// Whether these deltas are more than any link carries in `seconds`
    /// ([`MAX_BYTES_PER_SECOND`] on any counter, over at least one second):
    /// a corrupt reading, set aside rather than counted, so that no stored
    /// value can make a sum overflow.
    pub fn beyond_any_link(self, seconds: f64) -> bool {
        let ceiling = MAX_BYTES_PER_SECOND as f64 * seconds.max(1.0);
        self.to_array().iter().any(|&delta| delta as f64 > ceiling)
    }
}

impl Add for Counters {
    type Output = Counters;

    /// Field-wise sum; saturates rather than wraps or panics (deltas beyond
    /// any link are set aside before they are added).
    fn add(self, other: Counters) -> Counters {
        let a = self.to_array();
        let b = other.to_array();
        Counters::from_array(std::array::from_fn(|i| a[i].saturating_add(b[i])))
    }
}

/// The most any counter may grow per second before its delta is taken for
/// a corrupt reading: 2^38 B/s (275 GB/s, 2.2 Tbit/s), above every link and
/// above loopback's memory-copy speed. At this rate a sum of an
/// interface's deltas would need more than a year to reach 2^63.
pub(crate) const MAX_BYTES_PER_SECOND: u64 = 1 << 38;

/// A drop of at most this fraction of a counter's value (1/64) within one
/// interface incarnation is a glitch, not a reset: a reset would have to be
/// followed, before the next reading, by more than 63/64 of everything the
/// counter had counted before.
const GLITCH_DIVISOR: u64 = 64;

const TWO_POW_32: u64 = 1 << 32;

/// The delta between two readings of one cumulative counter.
///
/// After [`Continuity::Recreated`] or [`Continuity::NewBoot`] the counter
/// restarted from zero: the delta is the new value whatever the old one
/// was. Otherwise a drop is a 32-bit wrap only between
/// [`Continuity::Contiguous`] readings where both values fit in 32 bits
/// *and* the counter fell by more than half the 32-bit range (so the
/// wrapped delta is under 2^31, i.e. the wrap is the likelier story); a drop
/// of at most 1/64 of the old value is a glitch (delta 0); any other drop
/// is a reset, whose delta is the new value. The result is never negative
/// and never near 2^64.
fn counter_delta(old: u64, new: u64, continuity: Continuity) -> (u64, Step) {
    if !continuity.same_incarnation() {
        (new, Step::Reset)
    } else if new >= old {
        (new - old, Step::Forward)
    } else if continuity == Continuity::Contiguous && old < TWO_POW_32 && old - new > TWO_POW_32 / 2
    {
        (new + TWO_POW_32 - old, Step::Wrap32)
    } else if old - new <= old / GLITCH_DIVISOR {
        (0, Step::Glitch)
    } else {
        (new, Step::Reset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Continuity::{Contiguous, Gap, NewBoot, Recreated};

    fn delta_since(new: Counters, old: Counters, continuity: Continuity) -> (Counters, Step) {
        let advance = new.advance(old, continuity);
        (advance.deltas, advance.step)
    }

    #[test]
    fn forward_is_plain_difference() {
        for continuity in [Contiguous, Gap] {
            assert_eq!(counter_delta(100, 250, continuity), (150, Step::Forward));
            assert_eq!(counter_delta(7, 7, continuity), (0, Step::Forward));
        }
    }

    #[test]
    fn wrap_of_a_32_bit_counter() {
        let old = u64::from(u32::MAX) - 99;
        assert_eq!(counter_delta(old, 50, Contiguous), (150, Step::Wrap32));
        // The largest wrap the rule accepts: a drop of exactly 2^31 + 1.
        let old = TWO_POW_32 / 2 + 1;
        assert_eq!(
            counter_delta(old, 0, Contiguous),
            (TWO_POW_32 / 2 - 1, Step::Wrap32)
        );
        assert_eq!(
            counter_delta(TWO_POW_32 - 1, 0, Contiguous),
            (1, Step::Wrap32)
        );
    }

    #[test]
    fn wrap_rule_drop_of_half_the_range_or_less_is_a_reset() {
        // 3,000,000,000 -> 2,000,000,000: both 32-bit, but a drop of 1e9 < 2^31
        // is a reset (delta = the new value), not a 3.29e9 B wrap.
        assert_eq!(
            counter_delta(3_000_000_000, 2_000_000_000, Contiguous),
            (2_000_000_000, Step::Reset)
        );
        // Exactly 2^31 down is still a reset.
        let old = TWO_POW_32 / 2 + 10;
        assert_eq!(counter_delta(old, 10, Contiguous), (10, Step::Reset));
    }

    #[test]
    fn wrap_rule_needs_an_old_value_that_fits_in_32_bits() {
        // Old value exactly 2^32: a 64-bit counter, so a drop is a reset.
        assert_eq!(counter_delta(TWO_POW_32, 5, Contiguous), (5, Step::Reset));
        assert_eq!(
            counter_delta(TWO_POW_32 + 7, 3, Contiguous),
            (3, Step::Reset)
        );
    }

    #[test]
    fn small_drop_is_a_reset_not_a_4gib_wrap() {
        assert_eq!(counter_delta(1_000, 10, Contiguous), (10, Step::Reset));
        assert_eq!(counter_delta(1_000, 0, Contiguous), (0, Step::Reset));
    }

    #[test]
    fn drop_of_a_64_bit_counter_is_a_reset() {
        assert_eq!(counter_delta(u64::MAX - 5, 3, Contiguous), (3, Step::Reset));
        assert_eq!(
            counter_delta(1 << 40, 1 << 20, Contiguous),
            (1 << 20, Step::Reset)
        );
    }

    #[test]
    fn gap_rule_never_guesses_a_wrap() {
        // Unwatched time: the same drop that is a wrap between consecutive
        // cycles is a reset after a gap.
        let old = u64::from(u32::MAX) - 99;
        assert_eq!(counter_delta(old, 50, Gap), (50, Step::Reset));
    }

    #[test]
    fn recreated_rule_counts_the_new_value_even_when_it_is_higher() {
        for continuity in [Recreated, NewBoot] {
            assert_eq!(
                counter_delta(3_000_000_000, 1_000, continuity),
                (1_000, Step::Reset)
            );
            assert_eq!(counter_delta(100, 5_000, continuity), (5_000, Step::Reset));
            assert_eq!(counter_delta(0, 0, continuity), (0, Step::Reset));
            // Even a value just below the old one: another incarnation's
            // counters are never a glitch of this one's.
            assert_eq!(
                counter_delta(5_000_000_000_000, 4_999_999_999_999, continuity),
                (4_999_999_999_999, Step::Reset)
            );
        }
    }

    #[test]
    fn glitch_rule_a_small_dip_in_the_same_incarnation_counts_nothing() {
        let old = 5_000_000_000_000;
        for continuity in [Contiguous, Gap] {
            assert_eq!(counter_delta(old, old - 1, continuity), (0, Step::Glitch));
            // The largest glitch: a drop of exactly 1/64 of the old value.
            assert_eq!(counter_delta(6_400, 6_300, continuity), (0, Step::Glitch));
            // One more is a reset.
            assert_eq!(
                counter_delta(6_400, 6_299, continuity),
                (6_299, Step::Reset)
            );
            // A genuine reset goes to near zero.
            assert_eq!(counter_delta(old, 100, continuity), (100, Step::Reset));
        }
        // Below 64 no drop is small enough.
        assert_eq!(counter_delta(63, 62, Contiguous), (62, Step::Reset));
        assert_eq!(counter_delta(64, 63, Contiguous), (0, Step::Glitch));
    }

    #[test]
    fn glitch_rule_the_next_delta_starts_from_the_higher_value() {
        let high = 5_000_000_000_000;
        let before = Counters::from_array([high, 10, 5, 5, 0, 0, 0, 0]);
        let dip = Counters::from_array([high - 1, 20, 5, 6, 0, 0, 0, 0]);
        let advance = dip.advance(before, Contiguous);
        assert_eq!(advance.deltas.to_array(), [0, 10, 0, 1, 0, 0, 0, 0]);
        assert_eq!(advance.step, Step::Glitch);
        assert_eq!(
            advance.baseline.to_array(),
            [high, 20, 5, 6, 0, 0, 0, 0],
            "the dipped counter keeps its old value, the others move on"
        );
        let after = Counters::from_array([high + 500, 20, 6, 6, 0, 0, 0, 0]);
        let advance = after.advance(advance.baseline, Contiguous);
        assert_eq!(advance.deltas.to_array(), [500, 0, 1, 0, 0, 0, 0, 0]);
        assert_eq!(advance.step, Step::Forward);
        // Without a glitch the baseline is the reading itself.
        assert_eq!(advance.baseline, after);
    }

    #[test]
    fn step_rule_a_reset_outranks_a_wrap_outranks_a_glitch() {
        let near = u64::from(u32::MAX) - 9;
        let old = Counters::from_array([near, 6_400, 1_000, 0, 0, 0, 0, 0]);
        let wrap_and_glitch = Counters::from_array([5, 6_399, 1_000, 0, 0, 0, 0, 0]);
        assert_eq!(wrap_and_glitch.advance(old, Contiguous).step, Step::Wrap32);
        let glitch = Counters::from_array([near, 6_399, 1_000, 0, 0, 0, 0, 0]);
        assert_eq!(glitch.advance(old, Contiguous).step, Step::Glitch);
        let all = Counters::from_array([5, 6_399, 1, 0, 0, 0, 0, 0]);
        assert_eq!(all.advance(old, Contiguous).step, Step::Reset);
    }

    #[test]
    fn ceiling_rule_deltas_beyond_any_link_are_told_apart() {
        let per_second = MAX_BYTES_PER_SECOND;
        let at = |i: usize, value: u64| {
            let mut values = [0; 8];
            values[i] = value;
            Counters::from_array(values)
        };
        for i in 0..8 {
            assert!(!at(i, per_second).beyond_any_link(1.0));
            assert!(at(i, per_second + 1).beyond_any_link(1.0), "counter {i}");
            assert!(!at(i, 60 * per_second).beyond_any_link(60.0));
            assert!(at(i, 60 * per_second + 1).beyond_any_link(60.0));
        }
        // Sub-second intervals are judged as one second.
        assert!(!at(0, per_second).beyond_any_link(0.001));
        assert!(!at(0, per_second).beyond_any_link(-5.0));
        // The case that used to stop every write: 2^62 to nearly 2^64.
        assert!(at(0, 18_446_744_073_709_551_000 - (1 << 62)).beyond_any_link(60.0));
        assert!(!Counters::default().beyond_any_link(0.0));
    }

    #[test]
    fn near_2_pow_64_forward_is_exact() {
        assert_eq!(
            counter_delta(u64::MAX - 10, u64::MAX, Contiguous),
            (10, Step::Forward)
        );
    }

    #[test]
    fn reset_rule_each_counter_keeps_its_own_delta() {
        let old = Counters::from_array([10, 20, 1, 2, 0, 0, 0, 0]);
        let new = Counters::from_array([15, 5, 2, 3, 0, 0, 0, 0]);
        // bytes_sent went down: it counts from zero (5); the others rose.
        let (delta, step) = delta_since(new, old, Contiguous);
        assert_eq!(delta.to_array(), [5, 5, 1, 1, 0, 0, 0, 0]);
        assert_eq!(step, Step::Reset);
        // A reset anywhere is reported, wraps elsewhere notwithstanding.
        let near = u64::from(u32::MAX) - 9;
        let old = Counters::from_array([near, 20, 1, 2, 0, 0, 0, 9]);
        let new = Counters::from_array([5, 25, 2, 3, 0, 0, 0, 1]);
        let (delta, step) = delta_since(new, old, Contiguous);
        assert_eq!(delta.to_array(), [15, 5, 1, 1, 0, 0, 0, 1]);
        assert_eq!(step, Step::Reset);
    }

    #[test]
    fn forward_readings_give_per_counter_deltas() {
        let old = Counters::from_array([10, 20, 1, 2, 0, 1, 2, 3]);
        let new = Counters::from_array([15, 25, 3, 7, 1, 1, 4, 9]);
        let (delta, step) = delta_since(new, old, Contiguous);
        assert_eq!(delta.to_array(), [5, 5, 2, 5, 1, 0, 2, 6]);
        assert_eq!(step, Step::Forward);
        assert_eq!(delta_since(new, old, Gap), (delta, Step::Forward));
    }

    #[test]
    fn a_wrap_is_reported_as_a_wrap_when_nothing_reset() {
        let near = u64::from(u32::MAX) - 9;
        let old = Counters::from_array([near, 20, 1, 2, 0, 0, 0, 0]);
        let new = Counters::from_array([5, 30, 2, 3, 0, 0, 0, 0]);
        let (delta, step) = delta_since(new, old, Contiguous);
        assert_eq!(delta.to_array(), [15, 10, 1, 1, 0, 0, 0, 0]);
        assert_eq!(step, Step::Wrap32);
        // The same readings across a gap: a reset, never a guessed wrap.
        let (delta, step) = delta_since(new, old, Gap);
        assert_eq!(delta.to_array(), [5, 10, 1, 1, 0, 0, 0, 0]);
        assert_eq!(step, Step::Reset);
    }

    #[test]
    fn recreated_interface_counts_everything_since_it_appeared() {
        let old = Counters::from_array([3_000_000_000, 20, 1, 2, 0, 0, 0, 0]);
        let new = Counters::from_array([3_000_000_500, 30, 2, 3, 0, 0, 0, 0]);
        assert_eq!(delta_since(new, old, Recreated), (new, Step::Reset));
    }

    #[test]
    fn array_round_trip_keeps_column_order() {
        let c = Counters::from_array([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(c.bytes_recv, 1);
        assert_eq!(c.bytes_sent, 2);
        assert_eq!(c.packets_recv, 3);
        assert_eq!(c.packets_sent, 4);
        assert_eq!(c.errin, 5);
        assert_eq!(c.errout, 6);
        assert_eq!(c.dropin, 7);
        assert_eq!(c.dropout, 8);
        assert_eq!(c.to_array(), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!((c + c).to_array(), [2, 4, 6, 8, 10, 12, 14, 16]);
        let max = Counters::from_array([u64::MAX; 8]);
        assert_eq!((max + c).to_array(), [u64::MAX; 8], "sums saturate");
    }
}

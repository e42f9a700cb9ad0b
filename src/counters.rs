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
    /// Read in consecutive cycles, same interface: a drop may be a 32-bit wrap.
    Contiguous,
    /// The same interface, but nobody watched in between (netmon was
    /// stopped): a 32-bit counter may have wrapped any number of times, so a
    /// drop is a reset, never a guessed wrap.
    Gap,
    /// The interface was absent for a cycle, or its ifindex changed: it was
    /// re-created, so its counters started again from zero.
    Recreated,
}

/// How a counter got from one reading to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The counter went up (or stayed): delta = new - old.
    Forward,
    /// A 32-bit counter passed 2^32 - 1: delta = new + 2^32 - old.
    Wrap32,
    /// The counter restarted (reboot, driver reload, interface re-created):
    /// delta = new, the traffic since the reset.
    Reset,
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

    /// The per-counter deltas from `previous` to `self` (the rule of
    /// `counter_delta` for each) and the most notable step among them: [`Step::Reset`] if any
    /// counter was reset, else [`Step::Wrap32`] if any wrapped, else
    /// [`Step::Forward`]. Each counter keeps its own delta: a counter that
    /// fell is counted from zero, the others by their rise, so a drop misread
    /// as a reset can only undercount, never invent traffic on the others.
    pub fn delta_since(self, previous: Counters, continuity: Continuity) -> (Counters, Step) {
        let old = previous.to_array();
        let new = self.to_array();
        let mut out = [0u64; 8];
        let (mut reset, mut wrapped) = (false, false);
        for i in 0..8 {
            let (delta, step) = counter_delta(old[i], new[i], continuity);
            reset |= step == Step::Reset;
            wrapped |= step == Step::Wrap32;
            out[i] = delta;
        }
        let step = if reset {
            Step::Reset
        } else if wrapped {
            Step::Wrap32
        } else {
            Step::Forward
        };
        (Counters::from_array(out), step)
    }
}

impl Add for Counters {
    type Output = Counters;

    /// Field-wise sum; wraps rather than panics on (practically impossible) overflow.
    fn add(self, other: Counters) -> Counters {
        let a = self.to_array();
        let b = other.to_array();
        Counters::from_array(std::array::from_fn(|i| a[i].wrapping_add(b[i])))
    }
}

const TWO_POW_32: u64 = 1 << 32;

/// The delta between two readings of one cumulative counter.
///
/// After [`Continuity::Recreated`] the counter restarted from zero: the delta
/// is the new value whatever the old one was. Otherwise a drop is a 32-bit wrap only between [`Continuity::Contiguous`] readings
/// where both values fit in 32 bits *and* the counter fell by more than half
/// the 32-bit range (so the wrapped delta is under 2^31, i.e. the wrap is the
/// likelier story). Any other drop is a reset, whose delta is the new value.
/// The result is never negative and never near 2^64.
fn counter_delta(old: u64, new: u64, continuity: Continuity) -> (u64, Step) {
    if continuity == Continuity::Recreated {
        (new, Step::Reset)
    } else if new >= old {
        (new - old, Step::Forward)
    } else if continuity == Continuity::Contiguous && old < TWO_POW_32 && old - new > TWO_POW_32 / 2
    {
        (new + TWO_POW_32 - old, Step::Wrap32)
    } else {
        (new, Step::Reset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Continuity::{Contiguous, Gap, Recreated};

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
        assert_eq!(
            counter_delta(3_000_000_000, 1_000, Recreated),
            (1_000, Step::Reset)
        );
        assert_eq!(counter_delta(100, 5_000, Recreated), (5_000, Step::Reset));
        assert_eq!(counter_delta(0, 0, Recreated), (0, Step::Reset));
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
        let (delta, step) = new.delta_since(old, Contiguous);
        assert_eq!(delta.to_array(), [5, 5, 1, 1, 0, 0, 0, 0]);
        assert_eq!(step, Step::Reset);
        // A reset anywhere is reported, wraps elsewhere notwithstanding.
        let near = u64::from(u32::MAX) - 9;
        let old = Counters::from_array([near, 20, 1, 2, 0, 0, 0, 9]);
        let new = Counters::from_array([5, 25, 2, 3, 0, 0, 0, 1]);
        let (delta, step) = new.delta_since(old, Contiguous);
        assert_eq!(delta.to_array(), [15, 5, 1, 1, 0, 0, 0, 1]);
        assert_eq!(step, Step::Reset);
    }

    #[test]
    fn forward_readings_give_per_counter_deltas() {
        let old = Counters::from_array([10, 20, 1, 2, 0, 1, 2, 3]);
        let new = Counters::from_array([15, 25, 3, 7, 1, 1, 4, 9]);
        let (delta, step) = new.delta_since(old, Contiguous);
        assert_eq!(delta.to_array(), [5, 5, 2, 5, 1, 0, 2, 6]);
        assert_eq!(step, Step::Forward);
        assert_eq!(new.delta_since(old, Gap), (delta, Step::Forward));
    }

    #[test]
    fn a_wrap_is_reported_as_a_wrap_when_nothing_reset() {
        let near = u64::from(u32::MAX) - 9;
        let old = Counters::from_array([near, 20, 1, 2, 0, 0, 0, 0]);
        let new = Counters::from_array([5, 30, 2, 3, 0, 0, 0, 0]);
        let (delta, step) = new.delta_since(old, Contiguous);
        assert_eq!(delta.to_array(), [15, 10, 1, 1, 0, 0, 0, 0]);
        assert_eq!(step, Step::Wrap32);
        // The same readings across a gap: a reset, never a guessed wrap.
        let (delta, step) = new.delta_since(old, Gap);
        assert_eq!(delta.to_array(), [5, 10, 1, 1, 0, 0, 0, 0]);
        assert_eq!(step, Step::Reset);
    }

    #[test]
    fn recreated_interface_counts_everything_since_it_appeared() {
        let old = Counters::from_array([3_000_000_000, 20, 1, 2, 0, 0, 0, 0]);
        let new = Counters::from_array([3_000_000_500, 30, 2, 3, 0, 0, 0, 0]);
        assert_eq!(new.delta_since(old, Recreated), (new, Step::Reset));
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
        assert_eq!((max + c).to_array(), [0, 1, 2, 3, 4, 5, 6, 7]);
    }
}

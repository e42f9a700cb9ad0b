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

    /// The per-counter deltas from `previous` to `self`, and whether any
    /// counter was reset (a reset of one counter means the interface restarted).
    pub fn delta_since(self, previous: Counters) -> (Counters, bool) {
        let mut any_reset = false;
        let old = previous.to_array();
        let new = self.to_array();
        let mut out = [0u64; 8];
        for i in 0..8 {
            let (delta, step) = counter_delta(old[i], new[i]);
            any_reset |= step == Step::Reset;
            out[i] = delta;
        }
        (Counters::from_array(out), any_reset)
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
/// A drop is a 32-bit wrap only when both values fit in 32 bits *and* the
/// counter fell by more than half the 32-bit range (so the wrapped delta is
/// under 2^31, i.e. the wrap is the likelier story). Any other drop is a reset,
/// whose delta is the new value. The result is never negative and never near 2^64.
pub fn counter_delta(old: u64, new: u64) -> (u64, Step) {
    if new >= old {
        (new - old, Step::Forward)
    } else if old < TWO_POW_32 && old - new > TWO_POW_32 / 2 {
        (new + TWO_POW_32 - old, Step::Wrap32)
    } else {
        (new, Step::Reset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_is_plain_difference() {
        assert_eq!(counter_delta(100, 250), (150, Step::Forward));
        assert_eq!(counter_delta(7, 7), (0, Step::Forward));
    }

    #[test]
    fn wrap_of_a_32_bit_counter() {
        let old = u64::from(u32::MAX) - 99;
        assert_eq!(counter_delta(old, 50), (150, Step::Wrap32));
    }

    #[test]
    fn small_drop_is_a_reset_not_a_4gib_wrap() {
        assert_eq!(counter_delta(1_000, 10), (10, Step::Reset));
        assert_eq!(counter_delta(1_000, 0), (0, Step::Reset));
    }

    #[test]
    fn drop_of_a_64_bit_counter_is_a_reset() {
        assert_eq!(counter_delta(u64::MAX - 5, 3), (3, Step::Reset));
        assert_eq!(counter_delta(1 << 40, 1 << 20), (1 << 20, Step::Reset));
    }

    #[test]
    fn near_2_pow_64_forward_is_exact() {
        assert_eq!(counter_delta(u64::MAX - 10, u64::MAX), (10, Step::Forward));
    }

    #[test]
    fn delta_since_reports_reset() {
        let old = Counters::from_array([10, 20, 1, 2, 0, 0, 0, 0]);
        let new = Counters::from_array([15, 5, 2, 3, 0, 0, 0, 0]);
        let (delta, reset) = new.delta_since(old);
        assert_eq!(delta.to_array(), [5, 5, 1, 1, 0, 0, 0, 0]);
        assert!(reset);
    }

    #[test]
    fn array_round_trip_keeps_column_order() {
        let c = Counters::from_array([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(c.bytes_recv, 1);
        assert_eq!(c.dropout, 8);
        assert_eq!(c.to_array(), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!((c + c).to_array(), [2, 4, 6, 8, 10, 12, 14, 16]);
    }
}

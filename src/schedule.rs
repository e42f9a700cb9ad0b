//! The fixed sampling cadence: cycle k starts at start + k × interval on a
//! monotonic clock, so the schedule never drifts; a cycle that overran skips
//! to the next free slot instead of running late ones back to back.

/// The index of the next slot strictly after `elapsed` seconds since start.
pub fn next_slot(elapsed: f64, interval: f64) -> u64 {
    (elapsed / interval).floor().max(0.0) as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_start_not_the_previous_cycle() {
        assert_eq!(next_slot(0.0, 1.0), 1);
        assert_eq!(next_slot(0.03, 1.0), 1);
        assert_eq!(next_slot(1.02, 1.0), 2);
        assert_eq!(next_slot(0.21, 0.2), 2);
    }

    #[test]
    fn overrun_skips_to_the_next_free_slot() {
        // Cycle 1 started at 1.0 s and took 1.7 s: slot 2 (2.0 s) is gone.
        assert_eq!(next_slot(2.7, 1.0), 3);
        assert_eq!(next_slot(125.0, 60.0), 3);
    }
}

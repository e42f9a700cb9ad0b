//! Deltas that are set aside instead of counted: beyond any link (a
//! corrupt reading), or above the opt-in spike guard of an interface.

use crate::model::counters::{Counters, MAX_BYTES_PER_SECOND};
use std::collections::HashMap;

/// Bytes per second in one Mbit/s.
const BYTES_PER_MBIT: f64 = 1_000_000.0 / 8.0;

/// Slack the spike guard allows on top of `limit x seconds`: this many
/// seconds' worth of traffic at the limit, for scheduling jitter on very
/// short intervals.
const GUARD_SLACK_SECONDS: f64 = 0.05;

/// The opt-in spike guard: the highest believable rate per interface. A
/// delta above it is set aside (not counted as traffic).
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

impl SpikeGuard {
    /// Why a delta is set aside instead of counted, if it is: beyond any
    /// link ([`Counters::beyond_any_link`]), or above the interface's spike
    /// guard.
    pub(super) fn set_aside_reason(
        &self,
        interface: &str,
        deltas: &Counters,
        seconds: f64,
    ) -> Option<String> {
        if deltas.beyond_any_link(seconds) {
            return Some(format!(
                "{interface}: a delta of {} in {seconds:.3} s is beyond any link (at most \
                 {MAX_BYTES_PER_SECOND} bytes/s): set aside as a corrupt reading (not counted)",
                deltas.to_array().iter().max().copied().unwrap_or(0),
            ));
        }
        let limit = self.limit_bytes_per_second(interface)?;
        let busiest = deltas.bytes_recv.max(deltas.bytes_sent);
        SpikeGuard::exceeds(limit, busiest, seconds).then(|| {
            let mbit = |bytes_per_second: f64| bytes_per_second / BYTES_PER_MBIT;
            format!(
                "{interface}: {busiest} bytes in {seconds:.3} s would be {:.0} Mbit/s, above \
                 its max_bandwidth_mbit of {:.0}: set aside (not counted as traffic)",
                mbit(busiest as f64 / seconds.max(f64::MIN_POSITIVE)),
                mbit(limit)
            )
        })
    }
}

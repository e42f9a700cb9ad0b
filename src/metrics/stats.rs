//! The monitor's bookkeeping that the metrics endpoint publishes: written
//! by the sampling loop after each cycle, read by each scrape. The lock is
//! held only to copy numbers, never across I/O.

use crate::model::provenance::Provenance;
use crate::sample::Cycle;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Most devices whose events are remembered; past it, devices absent from
/// the current cycle are forgotten (container churn cannot grow memory).
const MAX_TRACKED_DEVICES: usize = 1024;

/// What happened to one device's counters since the monitor started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceEvents {
    /// Samples in which a counter went down (reset or re-created interface).
    pub resets: u64,
    /// Samples in which a 32-bit counter wrapped.
    pub wraps: u64,
    /// Samples in which a counter dipped a little (a glitch, not counted).
    pub glitches: u64,
    /// Samples whose delta was set aside (beyond any link, or above the
    /// spike guard).
    pub set_aside: u64,
}

/// The monitor's running totals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonitorStats {
    /// Rows written to the database.
    pub rows_stored: u64,
    /// Cycles written to the database.
    pub cycles_stored: u64,
    /// Cycles waiting in memory for the database.
    pub cycles_pending: u64,
    /// Cycles folded into a later one.
    pub cycles_merged: u64,
    /// Database writes that failed.
    pub write_failures: u64,
    /// Counter reads that failed in the sampling loop.
    pub read_failures: u64,
    /// Unix time of the last successful write.
    pub last_write_unix: Option<f64>,
    /// Per stored interface name, the events of its counters.
    pub devices: BTreeMap<String, DeviceEvents>,
}

impl MonitorStats {
    /// Counts the resets, wraps, glitches and set-aside deltas of a
    /// sampled cycle.
    pub fn record_events(&mut self, cycle: &Cycle) {
        let resets = Provenance::RESET
            .with(Provenance::RECREATED)
            .with(Provenance::SINCE_BOOT);
        for row in &cycle.rows {
            let has = |fact: Provenance| u64::from(row.provenance.intersects(fact));
            let found = DeviceEvents {
                resets: has(resets),
                wraps: has(Provenance::WRAP),
                glitches: has(Provenance::GLITCH),
                set_aside: has(Provenance::SET_ASIDE),
            };
            if found == DeviceEvents::default() {
                continue;
            }
            let events = self.devices.entry(row.interface.clone()).or_default();
            events.resets += found.resets;
            events.wraps += found.wraps;
            events.glitches += found.glitches;
            events.set_aside += found.set_aside;
        }
        if self.devices.len() > MAX_TRACKED_DEVICES {
            self.devices
                .retain(|name, _| cycle.rows.iter().any(|row| &row.interface == name));
        }
    }
}

/// [`MonitorStats`] shared between the sampling loop and the endpoint.
#[derive(Debug, Clone, Default)]
pub struct SharedStats(Arc<Mutex<MonitorStats>>);

impl SharedStats {
    /// The stats, for reading or updating. A panic elsewhere while holding
    /// the lock leaves plain numbers behind, so a poisoned lock is used as is.
    pub fn lock(&self) -> MutexGuard<'_, MonitorStats> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::counters::Counters;
    use crate::sample::{SampleOptions, Sampler, SpikeGuard};
    use crate::source::InterfaceCounters;
    use chrono::{TimeZone, Utc};

    fn snapshot(values: &[(&str, u64)]) -> Vec<InterfaceCounters> {
        values
            .iter()
            .map(|&(name, bytes_recv)| InterfaceCounters {
                name: name.into(),
                ifindex: None,
                counters: Counters {
                    bytes_recv,
                    ..Counters::default()
                },
            })
            .collect()
    }

    #[test]
    fn resets_wraps_and_set_aside_deltas_are_counted_per_device() {
        let guard = SpikeGuard {
            default_mbit: None,
            per_interface: [("guarded".to_string(), 0.008)].into(), // 1000 B/s
        };
        let mut sampler = Sampler::new(SampleOptions::default()).with_spike_guard(guard);
        let mut stats = MonitorStats::default();
        let at = |s| Utc.timestamp_opt(1_764_000_000 + s, 0).unwrap();
        let readings: [&[(&str, u64)]; 3] = [
            &[("reset", 5000), ("wrap", 4_294_967_000), ("guarded", 0)],
            &[("reset", 10), ("wrap", 100), ("guarded", 1 << 30)],
            &[("reset", 5), ("wrap", 200), ("guarded", 1 << 30)],
        ];
        for (second, reading) in readings.iter().enumerate() {
            let cycle = sampler.sample(&snapshot(reading), second as f64, at(second as i64));
            stats.record_events(&cycle);
        }
        let events = |name: &str| stats.devices.get(name).copied();
        let one = |resets, wraps, set_aside| {
            Some(DeviceEvents {
                resets,
                wraps,
                glitches: 0,
                set_aside,
            })
        };
        assert_eq!(events("reset"), one(2, 0, 0));
        assert_eq!(events("wrap"), one(0, 1, 0));
        assert_eq!(events("guarded"), one(0, 0, 1));
        assert_eq!(events("_total"), None, "the sum has no events of its own");
    }

    #[test]
    fn devices_up_to_the_limit_are_all_remembered() {
        let mut stats = MonitorStats::default();
        for i in 0..MAX_TRACKED_DEVICES - 1 {
            stats
                .devices
                .insert(format!("veth{i}"), DeviceEvents::default());
        }
        let mut sampler = Sampler::new(SampleOptions::default());
        let at = Utc.timestamp_opt(1_764_000_000, 0).unwrap();
        sampler.sample(&snapshot(&[("eth0", 100)]), 0.0, at);
        let cycle = sampler.sample(&snapshot(&[("eth0", 1)]), 1.0, at);
        stats.record_events(&cycle);
        assert_eq!(
            stats.devices.len(),
            MAX_TRACKED_DEVICES,
            "at the limit, nothing forgotten"
        );
    }

    #[test]
    fn churn_past_the_limit_forgets_devices_gone_from_the_cycle() {
        let mut stats = MonitorStats::default();
        for i in 0..=MAX_TRACKED_DEVICES {
            stats
                .devices
                .insert(format!("veth{i}"), DeviceEvents::default());
        }
        let mut sampler = Sampler::new(SampleOptions::default());
        let at = Utc.timestamp_opt(1_764_000_000, 0).unwrap();
        sampler.sample(&snapshot(&[("veth0", 100)]), 0.0, at);
        let cycle = sampler.sample(&snapshot(&[("veth0", 1)]), 1.0, at);
        stats.record_events(&cycle);
        assert_eq!(stats.devices.len(), 1);
        assert_eq!(stats.devices["veth0"].resets, 1);
    }
}

//! Turns successive counter snapshots into stored rows: deltas, rates and the
//! `_total` row. Pure logic: time comes in as arguments, so tests can script
//! counters and a fake clock.

use crate::collector::InterfaceCounters;
use crate::counters::Counters;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Name of the row holding the sum of the monitored interfaces.
pub const TOTAL_INTERFACE: &str = "_total";

/// Interfaces unseen for this long (monotonic seconds) are forgotten, so
/// container churn cannot grow memory without bound.
const FORGET_AFTER_SECONDS: f64 = 3600.0;

/// What each cycle stores (the `options` configuration section).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleOptions {
    /// Emit one row per monitored interface.
    pub track_per_interface: bool,
    /// Emit a `_total` row summing the monitored interfaces.
    pub track_total: bool,
    /// Fill the rate columns (bytes/s).
    pub calculate_rates: bool,
    /// Store cumulative counters; when false those columns hold 0.
    pub store_raw_counts: bool,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            track_per_interface: true,
            track_total: true,
            calculate_rates: true,
            store_raw_counts: true,
        }
    }
}

/// One row of `network_stats`, as computed for one interface in one cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Kernel interface name or [`TOTAL_INTERFACE`].
    pub interface: String,
    /// Cumulative counters (all 0 when raw counts are not stored).
    pub counters: Counters,
    /// Traffic since this interface's previous sample; `None` on a first sample.
    pub deltas: Option<Counters>,
    /// Measured seconds since this interface's previous sample.
    pub interval_s: Option<f64>,
    /// Received bytes per second over `interval_s`.
    pub bytes_recv_rate: Option<f64>,
    /// Sent bytes per second over `interval_s`.
    pub bytes_sent_rate: Option<f64>,
}

/// Everything one cycle stores: all rows share one timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// Wall-clock time of the read (UTC).
    pub timestamp: DateTime<Utc>,
    /// Per-interface rows (in read order), then `_total` if tracked.
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, Copy)]
struct Previous {
    counters: Counters,
    at: f64,
}

/// Gives the highest believable rate (bytes/s, per direction) of an
/// interface, or `None` when unknown; asked once per interface.
pub type SpikeGuard = Box<dyn Fn(&str) -> Option<f64>>;

/// Holds the previous snapshot of every interface and computes each cycle.
pub struct Sampler {
    options: SampleOptions,
    previous: HashMap<String, Previous>,
    last_cycle_at: Option<f64>,
    guard: SpikeGuard,
    limits: HashMap<String, Option<f64>>,
}

impl Sampler {
    /// A sampler with no history: every interface's first sample has NULL deltas.
    pub fn new(options: SampleOptions) -> Self {
        Sampler {
            options,
            previous: HashMap::new(),
            last_cycle_at: None,
            guard: Box::new(|_| None),
            limits: HashMap::new(),
        }
    }

    /// Installs the spike guard: a delta implying more than the interface's
    /// limit is logged and stored as a reset (NULL deltas, a new baseline),
    /// never as traffic.
    pub fn with_spike_guard(mut self, guard: SpikeGuard) -> Self {
        self.guard = guard;
        self
    }

    /// Seeds an interface with counters stored `seconds_ago` before the
    /// monotonic instant `now` (continuing across a netmon restart within the
    /// same boot), so its next sample gets the whole gap as one delta.
    pub fn resume(&mut self, interface: &str, counters: Counters, seconds_ago: f64, now: f64) {
        if seconds_ago.is_finite() && seconds_ago > 0.0 {
            self.previous.insert(
                interface.to_string(),
                Previous {
                    counters,
                    at: now - seconds_ago,
                },
            );
        }
    }

    /// Computes one cycle from a snapshot read at monotonic second `now` and
    /// wall time `timestamp`.
    pub fn sample(
        &mut self,
        interfaces: &[InterfaceCounters],
        now: f64,
        timestamp: DateTime<Utc>,
    ) -> Cycle {
        let mut rows = Vec::with_capacity(interfaces.len() + 1);
        let mut total = TotalAccumulator::default();
        for interface in interfaces {
            let row = self.interface_row(interface, now);
            total.add(&row);
            if self.options.track_per_interface {
                rows.push(row);
            }
        }
        if self.options.track_total {
            let cycle_interval = self.last_cycle_at.map(|at| now - at);
            rows.push(total.into_row(cycle_interval));
        }
        self.last_cycle_at = Some(now);
        self.previous
            .retain(|_, previous| now - previous.at <= FORGET_AFTER_SECONDS);
        Cycle { timestamp, rows }
    }

    fn interface_row(&mut self, interface: &InterfaceCounters, now: f64) -> Row {
        let current = Previous {
            counters: interface.counters,
            at: now,
        };
        // Known interfaces are updated in place: no key allocation per cycle.
        let replaced = match self.previous.get_mut(&interface.name) {
            Some(slot) => Some(std::mem::replace(slot, current)),
            None => {
                self.previous.insert(interface.name.clone(), current);
                None
            }
        };
        let (deltas, interval_s) = match replaced {
            Some(previous) => {
                let (deltas, reset) = interface.counters.delta_since(previous.counters);
                if reset {
                    tracing::info!(
                        interface = %interface.name,
                        "counters went down: counted as a reset, delta = traffic since the reset"
                    );
                }
                let seconds = now - previous.at;
                if self.is_spike(&interface.name, &deltas, seconds) {
                    (None, None)
                } else {
                    (Some(deltas), Some(seconds))
                }
            }
            None => (None, None),
        };
        let rate = |select: fn(&Counters) -> u64| match (deltas, interval_s) {
            (Some(d), Some(seconds)) if self.options.calculate_rates && seconds > 0.0 => {
                Some(select(&d) as f64 / seconds)
            }
            _ => None,
        };
        Row {
            interface: interface.name.clone(),
            counters: if self.options.store_raw_counts {
                interface.counters
            } else {
                Counters::default()
            },
            bytes_recv_rate: rate(|c| c.bytes_recv),
            bytes_sent_rate: rate(|c| c.bytes_sent),
            deltas,
            interval_s,
        }
    }
}

impl Sampler {
    fn is_spike(&mut self, interface: &str, deltas: &Counters, seconds: f64) -> bool {
        let limit = match self.limits.get(interface) {
            Some(limit) => *limit,
            None => {
                let limit = (self.guard)(interface);
                self.limits.insert(interface.to_string(), limit);
                limit
            }
        };
        let Some(limit) = limit else { return false };
        let busiest = deltas.bytes_recv.max(deltas.bytes_sent) as f64;
        // Allow a little scheduling jitter on very short intervals.
        let spike = busiest > limit * seconds.max(0.0) + limit * 0.05;
        if spike {
            tracing::warn!(
                interface,
                delta_bytes = busiest,
                seconds,
                limit_bytes_per_s = limit,
                "delta exceeds the interface's maximum bandwidth: stored as a reset, not as traffic"
            );
        }
        spike
    }
}

/// Sums interface rows into the `_total` row.
#[derive(Default)]
struct TotalAccumulator {
    counters: Counters,
    deltas: Option<Counters>,
    recv_rate: Option<f64>,
    sent_rate: Option<f64>,
}

impl TotalAccumulator {
    fn add(&mut self, row: &Row) {
        self.counters = self.counters + row.counters;
        if let Some(deltas) = row.deltas {
            self.deltas = Some(self.deltas.unwrap_or_default() + deltas);
        }
        let sum = |acc: Option<f64>, rate: Option<f64>| match rate {
            Some(rate) => Some(acc.unwrap_or(0.0) + rate),
            None => acc,
        };
        self.recv_rate = sum(self.recv_rate, row.bytes_recv_rate);
        self.sent_rate = sum(self.sent_rate, row.bytes_sent_rate);
    }

    fn into_row(self, cycle_interval: Option<f64>) -> Row {
        Row {
            interface: TOTAL_INTERFACE.to_string(),
            counters: self.counters,
            interval_s: self.deltas.and(cycle_interval),
            deltas: self.deltas,
            bytes_recv_rate: self.recv_rate,
            bytes_sent_rate: self.sent_rate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn snapshot(entries: &[(&str, u64, u64)]) -> Vec<InterfaceCounters> {
        entries
            .iter()
            .map(|&(name, recv, sent)| InterfaceCounters {
                name: name.to_string(),
                counters: Counters {
                    bytes_recv: recv,
                    bytes_sent: sent,
                    packets_recv: recv / 100,
                    packets_sent: sent / 100,
                    ..Counters::default()
                },
            })
            .collect()
    }

    fn at(second: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_764_000_000 + second, 0).unwrap()
    }

    fn row<'a>(cycle: &'a Cycle, name: &str) -> &'a Row {
        cycle.rows.iter().find(|r| r.interface == name).unwrap()
    }

    #[test]
    fn first_sample_has_null_deltas_and_rates() {
        let mut sampler = Sampler::new(SampleOptions::default());
        let cycle = sampler.sample(&snapshot(&[("eth0", 1000, 500)]), 0.0, at(0));
        assert_eq!(cycle.timestamp, at(0));
        for r in &cycle.rows {
            assert_eq!(r.deltas, None);
            assert_eq!(r.interval_s, None);
            assert_eq!(r.bytes_recv_rate, None);
        }
        assert_eq!(row(&cycle, "eth0").counters.bytes_recv, 1000);
        assert_eq!(row(&cycle, TOTAL_INTERFACE).counters.bytes_recv, 1000);
    }

    #[test]
    fn rates_use_measured_elapsed_time_not_the_interval() {
        let mut sampler = Sampler::new(SampleOptions::default());
        sampler.sample(&snapshot(&[("eth0", 1000, 500)]), 10.0, at(0));
        // Configured interval might be 1 s; the read really came 2.5 s later.
        let cycle = sampler.sample(&snapshot(&[("eth0", 6000, 1500)]), 12.5, at(2));
        let eth0 = row(&cycle, "eth0");
        assert_eq!(eth0.deltas.unwrap().bytes_recv, 5000);
        assert_eq!(eth0.deltas.unwrap().packets_recv, 50);
        assert_eq!(eth0.interval_s, Some(2.5));
        assert_eq!(eth0.bytes_recv_rate, Some(2000.0));
        assert_eq!(eth0.bytes_sent_rate, Some(400.0));
    }

    #[test]
    fn reset_counts_traffic_since_the_reset() {
        let mut sampler = Sampler::new(SampleOptions::default());
        sampler.sample(&snapshot(&[("eth0", 5_000_000, 9_000)]), 0.0, at(0));
        let cycle = sampler.sample(&snapshot(&[("eth0", 300, 9_100)]), 1.0, at(1));
        let deltas = row(&cycle, "eth0").deltas.unwrap();
        assert_eq!(deltas.bytes_recv, 300);
        assert_eq!(deltas.bytes_sent, 100);
    }

    #[test]
    fn wrap_of_32_bit_counters() {
        let mut sampler = Sampler::new(SampleOptions::default());
        let near_max = u64::from(u32::MAX) - 999;
        sampler.sample(&snapshot(&[("eth0", near_max, 0)]), 0.0, at(0));
        let cycle = sampler.sample(&snapshot(&[("eth0", 24, 0)]), 1.0, at(1));
        assert_eq!(row(&cycle, "eth0").deltas.unwrap().bytes_recv, 1024);
        assert_eq!(row(&cycle, "eth0").bytes_recv_rate, Some(1024.0));
    }

    #[test]
    fn total_sums_monitored_interfaces() {
        let mut sampler = Sampler::new(SampleOptions::default());
        sampler.sample(&snapshot(&[("a", 100, 10), ("b", 1000, 20)]), 0.0, at(0));
        let cycle = sampler.sample(&snapshot(&[("a", 300, 30), ("b", 1500, 60)]), 2.0, at(2));
        let total = row(&cycle, TOTAL_INTERFACE);
        assert_eq!(cycle.rows.last().unwrap().interface, TOTAL_INTERFACE);
        assert_eq!(total.counters.bytes_recv, 1800);
        assert_eq!(total.counters.bytes_sent, 90);
        assert_eq!(total.deltas.unwrap().bytes_recv, 700);
        assert_eq!(total.deltas.unwrap().bytes_sent, 60);
        assert_eq!(total.interval_s, Some(2.0));
        assert_eq!(total.bytes_recv_rate, Some(350.0));
    }

    #[test]
    fn interfaces_appear_and_vanish() {
        let mut sampler = Sampler::new(SampleOptions::default());
        sampler.sample(&snapshot(&[("a", 100, 0)]), 0.0, at(0));
        let cycle = sampler.sample(&snapshot(&[("a", 200, 0), ("vpn0", 50, 0)]), 1.0, at(1));
        assert_eq!(row(&cycle, "vpn0").deltas, None);
        assert_eq!(row(&cycle, TOTAL_INTERFACE).deltas.unwrap().bytes_recv, 100);
        assert_eq!(row(&cycle, TOTAL_INTERFACE).counters.bytes_recv, 250);
        let cycle = sampler.sample(&snapshot(&[("vpn0", 80, 0)]), 2.0, at(2));
        let names: Vec<_> = cycle.rows.iter().map(|r| r.interface.as_str()).collect();
        assert_eq!(names, ["vpn0", TOTAL_INTERFACE]);
        assert_eq!(row(&cycle, TOTAL_INTERFACE).deltas.unwrap().bytes_recv, 30);
        // `a` comes back re-created with fresh counters: a reset, never negative.
        let cycle = sampler.sample(&snapshot(&[("a", 7, 0), ("vpn0", 80, 0)]), 3.0, at(3));
        assert_eq!(row(&cycle, "a").deltas.unwrap().bytes_recv, 7);
        assert_eq!(row(&cycle, "a").interval_s, Some(2.0));
    }

    #[test]
    fn long_gone_interfaces_are_forgotten() {
        let mut sampler = Sampler::new(SampleOptions::default());
        sampler.sample(&snapshot(&[("a", 100, 0)]), 0.0, at(0));
        sampler.sample(&snapshot(&[]), FORGET_AFTER_SECONDS + 1.0, at(3601));
        let cycle = sampler.sample(&snapshot(&[("a", 200, 0)]), 3602.0, at(3602));
        assert_eq!(row(&cycle, "a").deltas, None);
    }

    #[test]
    fn options_shape_the_rows() {
        let options = SampleOptions {
            track_per_interface: false,
            track_total: true,
            calculate_rates: false,
            store_raw_counts: false,
        };
        let mut sampler = Sampler::new(options);
        sampler.sample(&snapshot(&[("a", 100, 0), ("b", 5, 0)]), 0.0, at(0));
        let cycle = sampler.sample(&snapshot(&[("a", 200, 0), ("b", 10, 0)]), 1.0, at(1));
        assert_eq!(cycle.rows.len(), 1);
        let total = &cycle.rows[0];
        assert_eq!(total.interface, TOTAL_INTERFACE);
        assert_eq!(total.counters, Counters::default());
        assert_eq!(total.deltas.unwrap().bytes_recv, 105);
        assert_eq!(total.bytes_recv_rate, None);

        let mut no_total = Sampler::new(SampleOptions {
            track_total: false,
            ..SampleOptions::default()
        });
        let cycle = no_total.sample(&snapshot(&[("a", 1, 0)]), 0.0, at(0));
        assert_eq!(cycle.rows.len(), 1);
        assert_eq!(cycle.rows[0].interface, "a");
    }

    #[test]
    fn spike_guard_turns_impossible_deltas_into_a_reset() {
        let mut sampler = Sampler::new(SampleOptions::default())
            .with_spike_guard(Box::new(|name| (name == "eth0").then_some(1000.0)));
        sampler.sample(&snapshot(&[("eth0", 0, 0), ("wg0", 0, 0)]), 0.0, at(0));
        let cycle = sampler.sample(
            &snapshot(&[("eth0", 900, 0), ("wg0", 1 << 40, 0)]),
            1.0,
            at(1),
        );
        assert_eq!(row(&cycle, "eth0").deltas.unwrap().bytes_recv, 900);
        assert_eq!(
            row(&cycle, "wg0").deltas.unwrap().bytes_recv,
            1 << 40,
            "no limit known"
        );
        // A phantom 4 GiB jump in one second on a 1000 B/s link.
        let cycle = sampler.sample(
            &snapshot(&[("eth0", 1 << 32, 0), ("wg0", 1 << 40, 0)]),
            2.0,
            at(2),
        );
        let eth0 = row(&cycle, "eth0");
        assert_eq!((eth0.deltas, eth0.bytes_recv_rate), (None, None));
        assert_eq!(row(&cycle, TOTAL_INTERFACE).deltas.unwrap().bytes_recv, 0);
        // The next delta counts from the new baseline.
        let cycle = sampler.sample(&snapshot(&[("eth0", (1 << 32) + 500, 0)]), 3.0, at(3));
        assert_eq!(row(&cycle, "eth0").deltas.unwrap().bytes_recv, 500);
    }

    #[test]
    fn resume_counts_the_gap_as_one_delta() {
        let mut sampler = Sampler::new(SampleOptions::default());
        let stored = snapshot(&[("eth0", 1000, 100)])[0].counters;
        sampler.resume("eth0", stored, 300.0, 5.0);
        let cycle = sampler.sample(&snapshot(&[("eth0", 31_000, 100)]), 5.0, at(0));
        let eth0 = row(&cycle, "eth0");
        assert_eq!(eth0.deltas.unwrap().bytes_recv, 30_000);
        assert_eq!(eth0.interval_s, Some(300.0));
        assert_eq!(eth0.bytes_recv_rate, Some(100.0));
        // A stored row from the future (clock moved back) is not resumed.
        let mut fresh = Sampler::new(SampleOptions::default());
        fresh.resume("eth0", stored, -3.0, 5.0);
        let cycle = fresh.sample(&snapshot(&[("eth0", 31_000, 100)]), 5.0, at(0));
        assert_eq!(row(&cycle, "eth0").deltas, None);
    }
}

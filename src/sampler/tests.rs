//! Unit tests for the sampler: scripted counters and a fake clock.

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

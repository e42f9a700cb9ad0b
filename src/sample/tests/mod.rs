//! Unit tests for the sampler: scripted counters and a fake clock. Each test
//! names the rule it pins.

use super::*;
use chrono::TimeZone;

mod gaps;
mod guard;

fn interface(name: &str, recv: u64, sent: u64, ifindex: Option<u32>) -> InterfaceCounters {
    InterfaceCounters {
        name: name.to_string(),
        ifindex,
        counters: Counters {
            bytes_recv: recv,
            bytes_sent: sent,
            packets_recv: recv / 100,
            packets_sent: sent / 100,
            ..Counters::default()
        },
    }
}

/// Counters with bytes only (packets 0), for wrap tests: a packet counter
/// falling with the bytes would be a reset of the whole interface.
fn bytes_only(entries: &[(&str, u64, u64)]) -> Vec<InterfaceCounters> {
    entries
        .iter()
        .map(|&(name, recv, sent)| {
            let mut interface = interface(name, recv, sent, None);
            interface.counters.packets_recv = 0;
            interface.counters.packets_sent = 0;
            interface
        })
        .collect()
}

fn snapshot(entries: &[(&str, u64, u64)]) -> Vec<InterfaceCounters> {
    entries
        .iter()
        .map(|&(name, recv, sent)| interface(name, recv, sent, None))
        .collect()
}

fn at(second: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_764_000_000 + second, 0).unwrap()
}

fn row<'a>(cycle: &'a Cycle, name: &str) -> &'a Row {
    cycle.rows.iter().find(|r| r.interface == name).unwrap()
}

/// Seeds `name` as read `ago` seconds before `now` in an earlier run of the
/// same boot, unwatched since (or consecutive, by `continuity`).
fn resume(
    sampler: &mut Sampler,
    name: &str,
    baseline: Counters,
    ifindex: Option<u32>,
    (ago, now): (f64, f64),
    continuity: Continuity,
) {
    let continuation = Continuation {
        next_from: NextFrom {
            good: Baseline {
                counters: baseline,
                at: now - ago,
                wall: at(-1000),
            },
            other_boot: continuity == Continuity::NewBoot,
            set_aside: None,
        },
        ifindex,
        continuity,
        provenance: Provenance::NONE,
        glitching: false,
    };
    sampler.resume(name, continuation, now);
}

fn recv_delta(cycle: &Cycle, name: &str) -> Option<u64> {
    row(cycle, name).deltas.map(|d| d.bytes_recv)
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
    assert_eq!(row(&cycle, "eth0").provenance, Provenance::BASELINE);
    assert_eq!(
        row(&cycle, TOTAL_INTERFACE).provenance,
        Provenance::NONE,
        "the sum has no facts of its own"
    );
    assert_eq!(row(&cycle, "eth0").counters.bytes_recv, 1000);
    assert_eq!(row(&cycle, TOTAL_INTERFACE).counters.bytes_recv, 1000);
}

#[test]
fn rate_rule_uses_measured_elapsed_time_not_the_interval() {
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
    assert_eq!(eth0.provenance, Provenance::NONE);
}

#[test]
fn rate_rule_no_rate_over_a_zero_interval() {
    let mut row = Row {
        interface: "eth0".into(),
        ifindex: None,
        counters: Counters::default(),
        next_from: NextFrom {
            good: Baseline {
                counters: Counters::default(),
                at: 0.0,
                wall: at(0),
            },
            other_boot: false,
            set_aside: None,
        },
        deltas: Some(Counters::default()),
        interval_s: Some(0.0),
        bytes_recv_rate: Some(1.0),
        bytes_sent_rate: Some(1.0),
        provenance: Provenance::NONE,
        event_bytes: 0,
        bridged_from: None,
    };
    row.fill_rates();
    assert_eq!((row.bytes_recv_rate, row.bytes_sent_rate), (None, None));
}

#[test]
fn reset_rule_counts_everything_since_the_reset() {
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&snapshot(&[("eth0", 5_000_000, 9_000)]), 0.0, at(0));
    // Received bytes fell: counted from zero; the sent bytes rose by 100.
    let cycle = sampler.sample(&snapshot(&[("eth0", 300, 9_100)]), 1.0, at(1));
    let eth0 = row(&cycle, "eth0");
    assert_eq!(eth0.deltas.unwrap().bytes_recv, 300);
    assert_eq!(eth0.deltas.unwrap().bytes_sent, 100);
    assert_eq!(eth0.provenance, Provenance::RESET);
    assert_eq!(eth0.event_bytes, 400);
    assert_eq!(eth0.bridged_from, None);
}

#[test]
fn wrap_rule_between_consecutive_cycles() {
    let mut sampler = Sampler::new(SampleOptions::default());
    let near_max = u64::from(u32::MAX) - 999;
    sampler.sample(&bytes_only(&[("eth0", near_max, 0)]), 0.0, at(0));
    let cycle = sampler.sample(&bytes_only(&[("eth0", 24, 0)]), 1.0, at(1));
    assert_eq!(recv_delta(&cycle, "eth0"), Some(1024));
    assert_eq!(row(&cycle, "eth0").bytes_recv_rate, Some(1024.0));
    assert_eq!(row(&cycle, "eth0").provenance, Provenance::WRAP);
}

#[test]
fn final_rule_the_stop_sample_says_so_on_every_interface() {
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&snapshot(&[("eth0", 1, 0)]), 0.0, at(0));
    let mut cycle = sampler.sample(&snapshot(&[("eth0", 2, 0)]), 1.5, at(1));
    assert!(!cycle.final_sample);
    cycle.mark_final();
    assert!(cycle.final_sample);
    assert_eq!(row(&cycle, "eth0").provenance, Provenance::FINAL);
    assert_eq!(row(&cycle, TOTAL_INTERFACE).provenance, Provenance::NONE);
    assert_eq!(cycle.clock, 1.5);
}

#[test]
fn total_rule_sums_monitored_interfaces() {
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
    assert_eq!(total.bytes_sent_rate, Some(30.0));
    assert_eq!(total.ifindex, None);
}

#[test]
fn total_rule_interval_is_the_time_since_the_previous_cycle() {
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&snapshot(&[("a", 100, 0), ("b", 50, 0)]), 0.0, at(0));
    sampler.sample(&snapshot(&[("a", 200, 0)]), 1.5, at(1));
    // `b` comes back after a cycle away: its own interval is 4 s, but its
    // traffic (all since it was re-created) lies inside this cycle's 2.5 s.
    let cycle = sampler.sample(&snapshot(&[("a", 300, 0), ("b", 40, 0)]), 4.0, at(4));
    assert_eq!(row(&cycle, "b").interval_s, Some(4.0));
    assert_eq!(row(&cycle, "a").interval_s, Some(2.5));
    let total = row(&cycle, TOTAL_INTERFACE);
    assert_eq!(total.interval_s, Some(2.5));
    assert_eq!(total.deltas.unwrap().bytes_recv, 140);
}

#[test]
fn total_rule_without_any_delta_has_no_interval() {
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&snapshot(&[("a", 100, 0)]), 0.0, at(0));
    // Only a new interface: no deltas, so `_total` is a baseline too.
    let cycle = sampler.sample(&snapshot(&[("new", 5, 0)]), 1.0, at(1));
    let total = row(&cycle, TOTAL_INTERFACE);
    assert_eq!((total.deltas, total.interval_s), (None, None));
    assert_eq!(total.bytes_recv_rate, None);
}

#[test]
fn total_rule_after_a_restart_covers_the_same_gap_as_its_interfaces() {
    let mut sampler = Sampler::new(SampleOptions::default());
    let stored = interface("eth0", 1000, 100, None).counters;
    resume(
        &mut sampler,
        "eth0",
        stored,
        None,
        (300.0, 305.0),
        Continuity::Gap,
    );
    sampler.resume_cycle(5.0, 305.0);
    let cycle = sampler.sample(&snapshot(&[("eth0", 31_000, 100)]), 305.0, at(0));
    let (eth0, total) = (row(&cycle, "eth0"), row(&cycle, TOTAL_INTERFACE));
    assert_eq!(total.interval_s, Some(300.0));
    assert_eq!(total.interval_s, eth0.interval_s);
    assert_eq!(total.deltas, eth0.deltas);
    assert_eq!(total.bytes_recv_rate, eth0.bytes_recv_rate);
}

#[test]
fn total_rule_falls_back_to_the_longest_member_interval() {
    // Resumed interfaces but no stored cycle time (an older database).
    let mut sampler = Sampler::new(SampleOptions::default());
    let stored = interface("a", 0, 0, None).counters;
    let gap = Continuity::Gap;
    resume(&mut sampler, "a", stored, None, (30.0, 100.0), gap);
    resume(&mut sampler, "b", stored, None, (60.0, 100.0), gap);
    let cycle = sampler.sample(&snapshot(&[("a", 10, 0), ("b", 20, 0)]), 100.0, at(0));
    assert_eq!(row(&cycle, TOTAL_INTERFACE).interval_s, Some(60.0));
    let mut sampler = Sampler::new(SampleOptions::default());
    resume(&mut sampler, "b", stored, None, (60.0, 100.0), gap);
    resume(&mut sampler, "a", stored, None, (30.0, 100.0), gap);
    let cycle = sampler.sample(&snapshot(&[("a", 10, 0), ("b", 20, 0)]), 100.0, at(0));
    assert_eq!(row(&cycle, TOTAL_INTERFACE).interval_s, Some(60.0));
}

#[test]
fn recreated_rule_an_interface_absent_for_a_cycle_was_reset() {
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&snapshot(&[("a", 3_000_000_000, 0)]), 0.0, at(0));
    let cycle = sampler.sample(&snapshot(&[("vpn0", 50, 0)]), 1.0, at(1));
    assert_eq!(recv_delta(&cycle, "vpn0"), None, "first sample");
    assert_eq!(recv_delta(&cycle, TOTAL_INTERFACE), None);
    assert_eq!(row(&cycle, TOTAL_INTERFACE).counters.bytes_recv, 50);
    // `a` comes back reading 1000: re-created, so 1000 bytes moved, not a
    // 1.29 GB phantom wrap.
    let cycle = sampler.sample(&snapshot(&[("a", 1000, 0), ("vpn0", 80, 0)]), 2.0, at(2));
    assert_eq!(recv_delta(&cycle, "a"), Some(1000));
    assert_eq!(row(&cycle, "a").provenance, Provenance::RECREATED);
    assert_eq!(row(&cycle, "a").bridged_from, Some(at(0)));
    assert_eq!(row(&cycle, "a").interval_s, Some(2.0));
    assert_eq!(recv_delta(&cycle, "vpn0"), Some(30));
    // Even when its counters came back higher than before.
    sampler.sample(&snapshot(&[("vpn0", 90, 0)]), 3.0, at(3));
    let cycle = sampler.sample(&snapshot(&[("a", 5_000, 0), ("vpn0", 95, 0)]), 4.0, at(4));
    assert_eq!(recv_delta(&cycle, "a"), Some(5_000));
    // Present in consecutive cycles again: plain differences.
    let cycle = sampler.sample(&snapshot(&[("a", 5_600, 0), ("vpn0", 95, 0)]), 5.0, at(5));
    assert_eq!(recv_delta(&cycle, "a"), Some(600));
    assert_eq!(row(&cycle, "a").provenance, Provenance::NONE);
}

#[test]
fn recreated_rule_a_changed_ifindex_means_a_new_interface() {
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&[interface("veth0", 8_000, 10, Some(7))], 0.0, at(0));
    let cycle = sampler.sample(&[interface("veth0", 9_000, 20, Some(9))], 1.0, at(1));
    assert_eq!(recv_delta(&cycle, "veth0"), Some(9_000));
    assert_eq!(row(&cycle, "veth0").provenance, Provenance::RECREATED);
    assert_eq!(row(&cycle, "veth0").ifindex, Some(9));
    // The same index: a plain difference.
    let cycle = sampler.sample(&[interface("veth0", 9_500, 20, Some(9))], 2.0, at(2));
    assert_eq!(recv_delta(&cycle, "veth0"), Some(500));
    // An unknown index on either side says nothing.
    let cycle = sampler.sample(&[interface("veth0", 9_700, 20, None)], 3.0, at(3));
    assert_eq!(recv_delta(&cycle, "veth0"), Some(200));
    let cycle = sampler.sample(&[interface("veth0", 9_800, 20, Some(4))], 4.0, at(4));
    assert_eq!(recv_delta(&cycle, "veth0"), Some(100));
}

#[test]
fn forget_rule_long_gone_interfaces_start_afresh() {
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&snapshot(&[("a", 100, 0), ("b", 1, 0)]), 0.0, at(0));
    sampler.sample(
        &snapshot(&[("b", 2, 0)]),
        FORGET_AFTER_SECONDS + 1.0,
        at(3601),
    );
    let cycle = sampler.sample(&snapshot(&[("a", 200, 0), ("b", 3, 0)]), 3602.0, at(3602));
    assert_eq!(recv_delta(&cycle, "a"), None);
    // Gone exactly FORGET_AFTER_SECONDS: still remembered (and re-created).
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&snapshot(&[("a", 100, 0)]), 0.0, at(0));
    sampler.sample(&snapshot(&[]), FORGET_AFTER_SECONDS, at(3600));
    let cycle = sampler.sample(&snapshot(&[("a", 200, 0)]), 3601.0, at(3601));
    assert_eq!(recv_delta(&cycle, "a"), Some(200));
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
    // The counters are kept (the store decides what to write).
    assert_eq!(total.counters.bytes_recv, 210);
    assert_eq!(total.deltas.unwrap().bytes_recv, 105);
    assert_eq!(total.interval_s, Some(1.0));
    assert_eq!(total.bytes_recv_rate, None);
    assert_eq!(total.bytes_sent_rate, None);

    let mut no_total = Sampler::new(SampleOptions {
        track_total: false,
        ..SampleOptions::default()
    });
    let cycle = no_total.sample(&snapshot(&[("a", 1, 0)]), 0.0, at(0));
    assert_eq!(cycle.rows.len(), 1);
    assert_eq!(cycle.rows[0].interface, "a");
}

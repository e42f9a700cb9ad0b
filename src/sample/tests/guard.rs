//! The glitch, spike-guard and ceiling rules: what a reading that cannot be
//! true costs, and what it never becomes.

use super::*;

#[test]
fn glitch_rule_a_dip_counts_nothing_and_invents_nothing() {
    let mut sampler = Sampler::new(SampleOptions::default());
    let high = 5_000_000_000_000;
    sampler.sample(&bytes_only(&[("eth0", high, 10)]), 0.0, at(0));
    let cycle = sampler.sample(&bytes_only(&[("eth0", high - 1, 20)]), 1.0, at(1));
    assert_eq!(recv_delta(&cycle, "eth0"), Some(0));
    let eth0 = row(&cycle, "eth0");
    assert_eq!(eth0.deltas.unwrap().bytes_sent, 10);
    assert_eq!(eth0.provenance, Provenance::GLITCH);
    assert_eq!(eth0.event_bytes, 1, "the dip");
    // Both directions dipping: the dips add up.
    let mut both = Sampler::new(SampleOptions::default());
    both.sample(&bytes_only(&[("eth0", high, high)]), 0.0, at(0));
    let cycle = both.sample(&bytes_only(&[("eth0", high - 3, high - 4)]), 1.0, at(1));
    assert_eq!(row(&cycle, "eth0").event_bytes, 7);
    assert_eq!(eth0.counters.bytes_recv, high - 1, "stored as read");
    assert_eq!(
        eth0.next_from.good.counters.bytes_recv, high,
        "measured from the higher value"
    );
    let cycle = sampler.sample(&bytes_only(&[("eth0", high + 500, 20)]), 2.0, at(2));
    assert_eq!(recv_delta(&cycle, "eth0"), Some(500));
    assert_eq!(row(&cycle, "eth0").provenance, Provenance::NONE);
    // A genuine reset to near zero still counts.
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&bytes_only(&[("eth0", high, 0)]), 0.0, at(0));
    let cycle = sampler.sample(&bytes_only(&[("eth0", 100, 0)]), 1.0, at(1));
    assert_eq!(recv_delta(&cycle, "eth0"), Some(100));
    let cycle = sampler.sample(&bytes_only(&[("eth0", 600, 0)]), 2.0, at(2));
    assert_eq!(recv_delta(&cycle, "eth0"), Some(500));
}

#[test]
fn guard_rule_says_how_fast_and_how_far_above_the_limit() {
    let guard = SpikeGuard {
        default_mbit: Some(8.0), // 1 000 000 B/s
        per_interface: HashMap::new(),
    };
    let deltas = |recv: u64, sent: u64| Counters {
        bytes_recv: recv,
        bytes_sent: sent,
        ..Counters::default()
    };
    let reason = guard
        .set_aside_reason("wan0", &deltas(1_000, 6_000_000), 2.0)
        .unwrap();
    assert!(
        reason.starts_with(
            "wan0: 6000000 bytes in 2.000 s would be 24 Mbit/s, above its max_bandwidth_mbit of 8:"
        ),
        "{reason}"
    );
    assert_eq!(
        guard.set_aside_reason("wan0", &deltas(1_000, 2_000_000), 2.0),
        None
    );
    let reason = guard
        .set_aside_reason("eth0", &deltas(1 << 50, 0), 4.0)
        .unwrap();
    assert!(
        reason.starts_with(&format!(
            "eth0: a delta of {} in 4.000 s is beyond any link (at most 274877906944 bytes/s)",
            1u64 << 50
        )),
        "{reason}"
    );
}

#[test]
fn log_rule_resets_re_creations_and_the_start_of_a_glitch_are_worth_a_line() {
    let line = measure::step_note;
    assert!(line(Provenance::RECREATED).unwrap().contains("re-created"));
    assert!(line(Provenance::RECREATED.with(Provenance::GLITCH))
        .unwrap()
        .contains("re-created"));
    assert!(line(Provenance::CONTINUED.with(Provenance::RESET))
        .unwrap()
        .contains("reset"));
    assert!(line(Provenance::GLITCH).unwrap().contains("glitch"));
    for ordinary in [
        Provenance::NONE,
        Provenance::WRAP,
        Provenance::CONTINUED,
        Provenance::SINCE_BOOT,
        Provenance::BASELINE,
        Provenance::SET_ASIDE,
        Provenance::DIP_LASTS,
    ] {
        assert_eq!(line(ordinary), None, "{ordinary:?}");
    }
}

#[test]
fn glitch_rule_a_dip_that_lasts_is_one_glitch_then_lasting_readings() {
    let mut sampler = Sampler::new(SampleOptions::default());
    let readings = [6_400_000, 6_350_000, 6_360_000, 6_450_000];
    let rows: Vec<Row> = readings
        .iter()
        .enumerate()
        .map(|(k, &recv)| {
            let cycle = sampler.sample(&bytes_only(&[("bond0", recv, 0)]), k as f64, at(k as i64));
            row(&cycle, "bond0").clone()
        })
        .collect();
    let facts: Vec<_> = rows.iter().map(|r| (r.provenance, r.event_bytes)).collect();
    assert_eq!(
        facts,
        [
            (Provenance::BASELINE, 0),
            (Provenance::GLITCH, 50_000),
            (Provenance::DIP_LASTS, 40_000),
            (Provenance::NONE, 50_000),
        ]
    );
    let deltas: Vec<_> = rows
        .iter()
        .map(|r| r.deltas.map(|d| d.bytes_recv))
        .collect();
    assert_eq!(deltas, [None, Some(0), Some(0), Some(50_000)]);
}

#[test]
fn ceiling_rule_a_corrupt_reading_never_becomes_a_baseline_the_next_one_falls_below() {
    // 1e10, then a corrupt 2^63 - 1, then back to 1e10 + 1000: the 1000
    // bytes, never the whole counter as a reset from the corrupt value.
    let mut sampler = Sampler::new(SampleOptions::default());
    let g = 10_000_000_000;
    for (k, recv) in [g, i64::MAX as u64, g + 1_000].into_iter().enumerate() {
        let cycle = sampler.sample(
            &bytes_only(&[("eth0", recv, 0)]),
            60.0 * k as f64,
            at(60 * k as i64),
        );
        if k == 1 {
            let eth0 = row(&cycle, "eth0");
            assert_eq!(eth0.provenance, Provenance::SET_ASIDE);
            assert_eq!(
                eth0.next_from.good.counters.bytes_recv, g,
                "keeps the last counted"
            );
            assert_eq!(
                eth0.next_from.set_aside.map(|b| b.counters.bytes_recv),
                Some(i64::MAX as u64)
            );
            assert_eq!(eth0.next_from.read().at, 60.0);
        }
        if k == 2 {
            assert_eq!(recv_delta(&cycle, "eth0"), Some(1_000));
            assert_eq!(
                row(&cycle, "eth0").interval_s,
                Some(120.0),
                "since the last counted"
            );
            assert_eq!(row(&cycle, "eth0").provenance, Provenance::RECOVERED);
            assert_eq!(row(&cycle, "eth0").next_from.set_aside, None);
        }
    }
    // A counter that really jumped goes on from the jump, as consecutive
    // readings (a drop from it would be a reset, never taken from it).
    let guard = SpikeGuard {
        default_mbit: Some(8.0), // 1 000 000 B/s
        per_interface: HashMap::new(),
    };
    let mut sampler = Sampler::new(SampleOptions::default()).with_spike_guard(guard);
    for (k, recv, expected) in [
        (0, 1_000, None),
        (1, 50_000_000, None),
        (2, 50_000_500, Some(500)),
        (3, 400, Some(400)),
    ] {
        let cycle = sampler.sample(&bytes_only(&[("wan0", recv, 0)]), k as f64, at(k));
        assert_eq!(recv_delta(&cycle, "wan0"), expected, "reading {k}");
        if k == 2 {
            let wan0 = row(&cycle, "wan0");
            assert_eq!(wan0.interval_s, Some(1.0));
            assert_eq!(wan0.provenance, Provenance::JUMPED);
            assert_eq!(
                wan0.event_bytes,
                50_000_000 - 1_000,
                "what was set aside is lost"
            );
        }
    }
}

#[test]
fn ceiling_rule_a_re_created_interfaces_set_aside_first_reading_is_its_own() {
    // fk0 at 3e9, absent for a cycle, back with a corrupt 2^50, then 1000:
    // the new interface's 1000 bytes, never a wrap against the old one.
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&bytes_only(&[("fk0", 3_000_000_000, 0)]), 0.0, at(0));
    sampler.sample(&bytes_only(&[]), 1.0, at(1));
    let cycle = sampler.sample(&bytes_only(&[("fk0", 1 << 50, 0)]), 2.0, at(2));
    assert_eq!(
        row(&cycle, "fk0").provenance,
        Provenance::RECREATED.with(Provenance::SET_ASIDE)
    );
    let cycle = sampler.sample(&bytes_only(&[("fk0", 1_000, 0)]), 3.0, at(3));
    assert_eq!(recv_delta(&cycle, "fk0"), Some(1_000));
    assert_eq!(row(&cycle, "fk0").provenance, Provenance::RECOVERED);
    // A reading set aside before the interface went away is not the new
    // one's either.
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&bytes_only(&[("fk1", 1_000, 0)]), 0.0, at(0));
    sampler.sample(&bytes_only(&[("fk1", 1 << 50, 0)]), 1.0, at(1));
    sampler.sample(&bytes_only(&[]), 2.0, at(2));
    let cycle = sampler.sample(&bytes_only(&[("fk1", (1 << 50) + 9, 0)]), 3.0, at(3));
    assert_eq!(
        recv_delta(&cycle, "fk1"),
        None,
        "beyond any link as a new interface"
    );
}

#[test]
fn ceiling_rule_a_set_aside_reading_keeps_what_it_read() {
    // Its ifindex: the next reading of the same new interface may go on
    // from it.
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&[interface("veth0", 1_000, 0, Some(7))], 0.0, at(0));
    sampler.sample(&[interface("veth0", 1 << 50, 0, Some(9))], 1.0, at(1));
    let cycle = sampler.sample(
        &[interface("veth0", (1 << 50) + 500, 0, Some(9))],
        2.0,
        at(2),
    );
    assert_eq!(recv_delta(&cycle, "veth0"), Some(500));
    assert_eq!(row(&cycle, "veth0").provenance, Provenance::JUMPED);
    // When it was seen: readings set aside for over an hour are not forgotten.
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&bytes_only(&[("eth0", 1_000, 0)]), 0.0, at(0));
    for k in 1..=4 {
        let corrupt = (1u64 << 60) - k;
        sampler.sample(
            &bytes_only(&[("eth0", corrupt, 0)]),
            1_000.0 * k as f64,
            at(1_000 * k as i64),
        );
    }
    let cycle = sampler.sample(&bytes_only(&[("eth0", 2_000, 0)]), 5_000.0, at(5_000));
    assert_eq!(recv_delta(&cycle, "eth0"), Some(1_000));
    assert_eq!(row(&cycle, "eth0").provenance, Provenance::RECOVERED);
    // That a dip ended: the next dip is a glitch of its own, not a lasting one.
    let mut sampler = Sampler::new(SampleOptions::default());
    let high = 5_000_000_000_000;
    for (k, recv) in [high, high - 1, 1 << 62, high - 2].into_iter().enumerate() {
        let cycle = sampler.sample(&bytes_only(&[("eth0", recv, 0)]), k as f64, at(k as i64));
        if k == 3 {
            assert_eq!(
                row(&cycle, "eth0").provenance,
                Provenance::GLITCH.with(Provenance::RECOVERED)
            );
        }
    }
    // A resumed interface absent at first, then back with a corrupt
    // reading: the new one starts from zero, as consecutive readings.
    let mut sampler = Sampler::new(SampleOptions::default());
    let stored = interface("ppp0", 3_000, 0, None).counters;
    resume(
        &mut sampler,
        "ppp0",
        stored,
        None,
        (60.0, 65.0),
        Continuity::Gap,
    );
    sampler.sample(&bytes_only(&[]), 65.0, at(0));
    sampler.sample(&bytes_only(&[("ppp0", 1 << 50, 0)]), 66.0, at(1));
    let cycle = sampler.sample(&bytes_only(&[("ppp0", 700, 0)]), 67.0, at(2));
    assert_eq!(recv_delta(&cycle, "ppp0"), Some(700));
    assert_eq!(row(&cycle, "ppp0").provenance, Provenance::RECOVERED);
}

#[test]
fn guard_rule_going_on_from_a_set_aside_reading_is_judged_over_its_own_interval() {
    let guard = SpikeGuard {
        default_mbit: Some(8.0), // 1 000 000 B/s
        per_interface: HashMap::new(),
    };
    let mut sampler = Sampler::new(SampleOptions::default()).with_spike_guard(guard);
    sampler.sample(&bytes_only(&[("wan0", 0, 0)]), 0.0, at(0));
    sampler.sample(&bytes_only(&[("wan0", 5_000_000, 0)]), 1.0, at(1));
    // 2 MB more in one second after the set-aside reading: above the limit
    // from it, so measured from the last counted reading, and set aside.
    let cycle = sampler.sample(&bytes_only(&[("wan0", 7_000_000, 0)]), 2.0, at(2));
    assert_eq!(recv_delta(&cycle, "wan0"), None);
}

#[test]
fn guard_rule_the_interval_from_a_set_aside_reading_is_its_own_not_a_longer_one() {
    let guard = || SpikeGuard {
        default_mbit: Some(8.0), // 1 000 000 B/s
        per_interface: HashMap::new(),
    };
    // 20 MB in 10 s is set aside; 1.5 MB in the next second is above the
    // limit too, so the pair is measured from the last counted reading
    // (21.5 MB over 11 s), and what is set aside is all of it.
    let mut sampler = Sampler::new(SampleOptions::default()).with_spike_guard(guard());
    sampler.sample(&bytes_only(&[("wan0", 0, 0)]), 0.0, at(0));
    sampler.sample(&bytes_only(&[("wan0", 20_000_000, 0)]), 10.0, at(10));
    let cycle = sampler.sample(&bytes_only(&[("wan0", 21_500_000, 0)]), 11.0, at(11));
    assert_eq!(recv_delta(&cycle, "wan0"), None);
    assert_eq!(row(&cycle, "wan0").event_bytes, 21_500_000);
    // 100 MB in 10 s is set aside; 10 MB in the next 20 s is within the
    // limit from it: counted from the set-aside reading.
    let mut sampler = Sampler::new(SampleOptions::default()).with_spike_guard(guard());
    sampler.sample(&bytes_only(&[("wan0", 0, 0)]), 0.0, at(0));
    sampler.sample(&bytes_only(&[("wan0", 100_000_000, 0)]), 10.0, at(10));
    let cycle = sampler.sample(&bytes_only(&[("wan0", 110_000_000, 0)]), 30.0, at(30));
    assert_eq!(recv_delta(&cycle, "wan0"), Some(10_000_000));
    assert_eq!(row(&cycle, "wan0").provenance, Provenance::JUMPED);
}

#[test]
fn ceiling_rule_a_delta_beyond_any_link_is_set_aside() {
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&bytes_only(&[("eth0", 1 << 62, 0)]), 0.0, at(0));
    let cycle = sampler.sample(
        &bytes_only(&[("eth0", 18_446_744_073_709_551_000, 0)]),
        60.0,
        at(60),
    );
    let eth0 = row(&cycle, "eth0");
    assert_eq!((eth0.deltas, eth0.interval_s), (None, None));
    assert_eq!(eth0.provenance, Provenance::SET_ASIDE);
    assert_eq!(eth0.event_bytes, 18_446_744_073_709_551_000 - (1 << 62));
    assert_eq!(recv_delta(&cycle, TOTAL_INTERFACE), None);
    let cycle = sampler.sample(&bytes_only(&[("eth0", u64::MAX, 0)]), 120.0, at(120));
    assert_eq!(
        recv_delta(&cycle, "eth0"),
        Some(615),
        "from the set-aside reading"
    );
    // Fast real traffic is never taken for a corrupt reading.
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&bytes_only(&[("lo", 0, 0)]), 0.0, at(0));
    let cycle = sampler.sample(&bytes_only(&[("lo", 100_000_000_000, 0)]), 1.0, at(1));
    assert_eq!(recv_delta(&cycle, "lo"), Some(100_000_000_000));
}

#[test]
fn guard_rule_limits_come_from_mbit_per_second() {
    let guard = SpikeGuard {
        default_mbit: Some(1000.0),
        per_interface: HashMap::from([("wan0".to_string(), 8.0)]),
    };
    assert_eq!(guard.limit_bytes_per_second("eth0"), Some(125_000_000.0));
    assert_eq!(guard.limit_bytes_per_second("wan0"), Some(1_000_000.0));
    let per_interface_only = SpikeGuard {
        default_mbit: None,
        per_interface: HashMap::from([("wan0".to_string(), 8.0)]),
    };
    assert_eq!(per_interface_only.limit_bytes_per_second("eth0"), None);
    assert_eq!(SpikeGuard::default().limit_bytes_per_second("eth0"), None);
}

#[test]
fn guard_rule_threshold_is_limit_times_seconds_plus_50_ms() {
    // 1000 B/s for 2 s, plus 0.05 s of slack: 2050 bytes is the most allowed.
    assert!(!SpikeGuard::exceeds(1000.0, 2050, 2.0));
    assert!(SpikeGuard::exceeds(1000.0, 2051, 2.0));
    assert!(!SpikeGuard::exceeds(1000.0, 0, 2.0));
    // A negative interval (a clock oddity) counts as none: only the slack.
    assert!(!SpikeGuard::exceeds(1000.0, 50, -4.0));
    assert!(SpikeGuard::exceeds(1000.0, 51, -4.0));
    assert!(SpikeGuard::exceeds(4000.0, 8201, 2.0));
    assert!(!SpikeGuard::exceeds(4000.0, 8200, 2.0));
}

#[test]
fn guard_rule_is_off_by_default_so_fast_links_keep_their_traffic() {
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&snapshot(&[("veth0", 0, 0)]), 0.0, at(0));
    // 9.4 GB in one second (a veth pair under iperf3): real traffic.
    let cycle = sampler.sample(&snapshot(&[("veth0", 0, 9_366_468_773)]), 1.0, at(1));
    assert_eq!(
        row(&cycle, "veth0").deltas.unwrap().bytes_sent,
        9_366_468_773
    );
}

#[test]
fn guard_rule_sets_aside_impossible_deltas() {
    let guard = SpikeGuard {
        default_mbit: None,
        per_interface: HashMap::from([("eth0".to_string(), 0.008)]), // 1000 B/s
    };
    let mut sampler = Sampler::new(SampleOptions::default()).with_spike_guard(guard);
    sampler.sample(&snapshot(&[("eth0", 0, 0), ("wg0", 0, 0)]), 0.0, at(0));
    let cycle = sampler.sample(
        &snapshot(&[("eth0", 900, 1050), ("wg0", 1 << 37, 0)]),
        1.0,
        at(1),
    );
    assert_eq!(recv_delta(&cycle, "eth0"), Some(900));
    assert_eq!(recv_delta(&cycle, "wg0"), Some(1 << 37), "no limit for wg0");
    assert!(row(&cycle, "eth0").provenance.is_empty() && row(&cycle, "wg0").provenance.is_empty());
    // A phantom 4 GiB jump in one second on a 1000 B/s link.
    let cycle = sampler.sample(
        &snapshot(&[("eth0", 1 << 32, 1050), ("wg0", 1 << 37, 0)]),
        2.0,
        at(2),
    );
    let eth0 = row(&cycle, "eth0");
    assert_eq!(
        (eth0.deltas, eth0.interval_s, eth0.bytes_recv_rate),
        (None, None, None)
    );
    assert_eq!(
        eth0.provenance,
        Provenance::SET_ASIDE,
        "the row says the guard set its delta aside"
    );
    assert_eq!(eth0.event_bytes, (1 << 32) - 900);
    assert!(row(&cycle, TOTAL_INTERFACE).provenance.is_empty());
    assert_eq!(recv_delta(&cycle, TOTAL_INTERFACE), Some(0));
    // The send side alone trips it too.
    let cycle = sampler.sample(&snapshot(&[("eth0", 1 << 32, 1_000_000)]), 3.0, at(3));
    assert_eq!(recv_delta(&cycle, "eth0"), None);
    // The next delta counts from the new baseline.
    let cycle = sampler.sample(
        &snapshot(&[("eth0", (1 << 32) + 500, 1_000_000)]),
        4.0,
        at(4),
    );
    assert_eq!(recv_delta(&cycle, "eth0"), Some(500));
    assert_eq!(
        row(&cycle, "eth0").provenance,
        Provenance::JUMPED,
        "gone on from the set-aside reading"
    );
}

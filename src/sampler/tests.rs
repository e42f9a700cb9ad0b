//! Unit tests for the sampler: scripted counters and a fake clock. Each test
//! names the rule it pins.

use super::*;
use chrono::TimeZone;

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
fn unwatched_rule_a_failed_read_is_a_gap_not_an_absence() {
    let mut sampler = Sampler::new(SampleOptions::default());
    let near = u64::from(u32::MAX) - 99;
    sampler.sample(&bytes_only(&[("wg0", near, 0)]), 0.0, at(0));
    sampler.nothing_read();
    // Read again: a drop across the unwatched read is a reset, never a
    // guessed wrap; and the interface was there all along.
    let cycle = sampler.sample(&bytes_only(&[("wg0", 50, 0)]), 2.0, at(2));
    assert_eq!(recv_delta(&cycle, "wg0"), Some(50));
    assert_eq!(
        row(&cycle, "wg0").provenance,
        Provenance::CONTINUED.with(Provenance::RESET)
    );
    // A rise is counted whole.
    sampler.nothing_read();
    let cycle = sampler.sample(&bytes_only(&[("wg0", 80, 0)]), 3.0, at(3));
    assert_eq!(recv_delta(&cycle, "wg0"), Some(30));
}

#[test]
fn unwatched_rule_a_cycle_with_nothing_selected_makes_every_interface_absent() {
    let mut sampler = Sampler::new(SampleOptions::default());
    sampler.sample(&bytes_only(&[("wg0", 3_000_000_000, 0)]), 0.0, at(0));
    let empty = sampler.empty_cycle(1.0, at(1));
    assert!(empty.rows.is_empty() && empty.unstored.is_empty());
    assert_eq!((empty.clock, empty.timestamp), (1.0, at(1)));
    let cycle = sampler.sample(&bytes_only(&[("wg0", 1_000, 0)]), 2.0, at(2));
    assert_eq!(
        recv_delta(&cycle, "wg0"),
        Some(1_000),
        "re-created, not a wrap"
    );
    assert_eq!(row(&cycle, "wg0").provenance, Provenance::RECREATED);
    assert_eq!(row(&cycle, TOTAL_INTERFACE).interval_s, Some(1.0));
}

#[test]
fn unwatched_rule_an_unreadable_line_is_a_gap_not_an_absence() {
    let mut sampler = Sampler::new(SampleOptions::default());
    let big = 100_000_000_000;
    sampler.sample(&bytes_only(&[("eth0", big, 0), ("wg0", 5, 0)]), 0.0, at(0));
    // eth0's line could not be read this cycle.
    let mut unread = sampler.sample(&bytes_only(&[("wg0", 6, 0)]), 1.0, at(1));
    sampler.unreadable(&mut unread, &["eth0".to_string(), "gone0".to_string()]);
    assert_eq!(unread.unreadable, ["eth0"], "the names the sampler knows");
    let cycle = sampler.sample(
        &bytes_only(&[("eth0", big + 1_000, 0), ("wg0", 7, 0)]),
        2.0,
        at(2),
    );
    assert_eq!(
        recv_delta(&cycle, "eth0"),
        Some(1_000),
        "never the whole counter again"
    );
    assert_eq!(row(&cycle, "eth0").provenance, Provenance::CONTINUED);
    assert_eq!(row(&cycle, "eth0").interval_s, Some(2.0));
}

#[test]
fn options_rule_unstored_interfaces_still_say_where_they_go_on_from() {
    let mut sampler = Sampler::new(SampleOptions {
        track_per_interface: false,
        ..SampleOptions::default()
    });
    sampler.sample(&snapshot(&[("eth0", 100, 0)]), 0.0, at(0));
    let mut cycle = sampler.sample(&snapshot(&[("eth0", 300, 0)]), 1.0, at(1));
    assert_eq!(cycle.rows.len(), 1);
    assert_eq!(cycle.unstored.len(), 1);
    cycle.mark_final();
    let names: Vec<_> = cycle
        .interface_rows()
        .map(|r| r.interface.as_str())
        .collect();
    assert_eq!(names, ["eth0"]);
    assert_eq!(cycle.unstored[0].provenance, Provenance::FINAL);
    assert_eq!(cycle.unstored[0].next_from.good.counters.bytes_recv, 300);
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

#[test]
fn gap_rule_resume_counts_the_unwatched_time_as_one_delta() {
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
    let cycle = sampler.sample(&snapshot(&[("eth0", 31_000, 100)]), 305.0, at(0));
    let eth0 = row(&cycle, "eth0");
    assert_eq!(eth0.deltas.unwrap().bytes_recv, 30_000);
    assert_eq!(eth0.interval_s, Some(300.0));
    assert_eq!(eth0.bytes_recv_rate, Some(100.0));
    assert_eq!(eth0.provenance, Provenance::CONTINUED);
    assert_eq!(eth0.bridged_from, Some(at(-1000)));
    assert_eq!(eth0.event_bytes, 30_000);
}

#[test]
fn gap_rule_a_drop_across_a_restart_is_a_reset_never_a_wrap() {
    let mut sampler = Sampler::new(SampleOptions::default());
    let near_max = bytes_only(&[("eth0", u64::from(u32::MAX) - 99, 0)])[0].counters;
    resume(
        &mut sampler,
        "eth0",
        near_max,
        None,
        (60.0, 65.0),
        Continuity::Gap,
    );
    let cycle = sampler.sample(&bytes_only(&[("eth0", 50, 0)]), 65.0, at(0));
    assert_eq!(recv_delta(&cycle, "eth0"), Some(50));
    assert_eq!(
        row(&cycle, "eth0").provenance,
        Provenance::CONTINUED.with(Provenance::RESET)
    );
    // After the first cycle the interface is watched again: wraps count.
    let cycle = sampler.sample(
        &bytes_only(&[("eth0", u64::from(u32::MAX) - 49, 0)]),
        66.0,
        at(1),
    );
    assert_eq!(recv_delta(&cycle, "eth0"), Some(u64::from(u32::MAX) - 99));
    let cycle = sampler.sample(&bytes_only(&[("eth0", 50, 0)]), 67.0, at(2));
    assert_eq!(recv_delta(&cycle, "eth0"), Some(100));
    assert_eq!(row(&cycle, "eth0").provenance, Provenance::WRAP);
    // A consecutive run (a cron --once) may wrap at its first cycle.
    let mut sampler = Sampler::new(SampleOptions::default());
    resume(
        &mut sampler,
        "eth0",
        near_max,
        None,
        (60.0, 65.0),
        Continuity::Contiguous,
    );
    let cycle = sampler.sample(&bytes_only(&[("eth0", 50, 0)]), 65.0, at(0));
    assert_eq!(recv_delta(&cycle, "eth0"), Some(150));
}

#[test]
fn gap_rule_a_resumed_interface_with_a_new_ifindex_was_re_created() {
    let stored = interface("veth0", 3_000, 0, None).counters;
    for (index, expected) in [(13, 4_000), (12, 1_000)] {
        let mut sampler = Sampler::new(SampleOptions::default());
        resume(
            &mut sampler,
            "veth0",
            stored,
            Some(12),
            (60.0, 65.0),
            Continuity::Gap,
        );
        let cycle = sampler.sample(&[interface("veth0", 4_000, 0, Some(index))], 65.0, at(0));
        assert_eq!(recv_delta(&cycle, "veth0"), Some(expected));
    }
}

#[test]
fn gap_rule_a_resumed_interface_missing_at_the_first_cycle_was_re_created() {
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
    sampler.sample(&snapshot(&[("eth0", 1, 0)]), 65.0, at(0));
    let cycle = sampler.sample(
        &snapshot(&[("eth0", 1, 0), ("ppp0", 4_000, 0)]),
        66.0,
        at(1),
    );
    assert_eq!(recv_delta(&cycle, "ppp0"), Some(4_000));
    assert_eq!(row(&cycle, "ppp0").interval_s, Some(61.0));
    assert_eq!(row(&cycle, "ppp0").provenance, Provenance::RECREATED);
}

#[test]
fn boot_rule_an_interface_of_another_boot_counts_since_the_boot_whenever_it_appears() {
    let mut sampler = Sampler::new(SampleOptions::default());
    let stored = interface("ppp0", 9_000_000, 0, Some(4)).counters;
    resume(
        &mut sampler,
        "ppp0",
        stored,
        Some(4),
        (65.0, 65.0),
        Continuity::NewBoot,
    );
    sampler.sample(&snapshot(&[("eth0", 1, 0)]), 65.0, at(0));
    let cycle = sampler.sample(&[interface("ppp0", 4_000, 0, Some(9))], 80.0, at(15));
    assert_eq!(recv_delta(&cycle, "ppp0"), Some(4_000));
    assert_eq!(row(&cycle, "ppp0").interval_s, Some(80.0), "since the boot");
    assert_eq!(row(&cycle, "ppp0").provenance, Provenance::SINCE_BOOT);
}

#[test]
fn gap_rule_readings_from_the_future_or_nonsense_are_not_resumed() {
    let stored = interface("eth0", 1000, 100, None).counters;
    for ago in [-3.0, 0.0, f64::NAN, f64::INFINITY] {
        let mut fresh = Sampler::new(SampleOptions::default());
        resume(
            &mut fresh,
            "eth0",
            stored,
            None,
            (ago, 5.0),
            Continuity::Gap,
        );
        fresh.resume_cycle(5.0 - ago, 5.0);
        let cycle = fresh.sample(&snapshot(&[("eth0", 31_000, 100)]), 5.0, at(0));
        assert_eq!(recv_delta(&cycle, "eth0"), None, "{ago}");
        assert_eq!(row(&cycle, TOTAL_INTERFACE).interval_s, None, "{ago}");
    }
}

#[test]
fn gap_rule_a_nonsense_cycle_time_falls_back_to_the_interfaces_interval() {
    let stored = interface("eth0", 1000, 100, None).counters;
    for ago in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        let mut sampler = Sampler::new(SampleOptions::default());
        resume(
            &mut sampler,
            "eth0",
            stored,
            None,
            (30.0, 100.0),
            Continuity::Gap,
        );
        sampler.resume_cycle(100.0 - ago, 100.0);
        let cycle = sampler.sample(&snapshot(&[("eth0", 4000, 100)]), 100.0, at(0));
        assert_eq!(row(&cycle, TOTAL_INTERFACE).interval_s, Some(30.0), "{ago}");
    }
}

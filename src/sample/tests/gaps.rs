//! Gaps: failed reads, unreadable lines, restarts of the same or another
//! boot, interfaces that came and went meanwhile.

use super::*;

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

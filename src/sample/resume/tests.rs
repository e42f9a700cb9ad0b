//! The resume rules with scripted resume points, boots and clocks: each
//! test names the boundary it pins.

use super::*;
use crate::model::counters::Counters;
use crate::sample::FORGET_AFTER_SECONDS;
use crate::sample::{Cycle, Row, SampleOptions, TOTAL_INTERFACE};
use crate::source::InterfaceCounters;
use crate::store::resume_point::LastReading;
use chrono::TimeZone;

const BOOT: &str = "c1527b7e-baa5-4c41-9826-7775cdbce0fb";
const OTHER_BOOT: &str = "0b6a4c9e-1111-4c41-9826-7775cdbce0fb";

fn wall(second: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_764_000_000 + second, 0).unwrap()
}

fn boot(id: &str) -> Boot {
    Boot {
        id: Some(id.into()),
        btime: Some(1_763_990_000),
    }
}

/// A resume point of boot `id` whose last cycle was at boot clock 1000 s
/// (wall second 0), with `eth0` read in it at `recv` bytes and `wg0` read
/// one cycle earlier (absent from the last one).
fn point(id: Option<&str>, recv: u64) -> ResumePoint {
    let cycle = Reading::new(wall(0), 1_000.0);
    let mut point = ResumePoint {
        boot_id: id.map(String::from),
        selection: Some(7),
        last_cycle: Some(cycle),
        ..ResumePoint::default()
    };
    let reading = |at, bytes_recv| LastReading {
        at,
        ifindex: Some(2),
        baseline: Counters {
            bytes_recv,
            ..Counters::default()
        }
        .to_array(),
        other_boot: false,
        after_final: false,
        glitching: false,
        set_aside: None,
        listed: None,
    };
    point.record("eth0", reading(cycle, recv));
    point.record("wg0", reading(Reading::new(wall(-60), 940.0), 5_000));
    point
}

fn start(boot: &Boot, clock: f64, wall_second: i64) -> Start<'_> {
    Start {
        boot,
        clock,
        wall: wall(wall_second),
        interval: 60.0,
        selection: 7,
    }
}

/// The first cycle after resuming: `eth0` and `wg0` at these received bytes.
fn first_cycle(sampler: &mut Sampler, clock: f64, eth0: u64, wg0: u64) -> Cycle {
    let snapshot = [("eth0", eth0), ("wg0", wg0)].map(|(name, bytes_recv)| InterfaceCounters {
        name: name.into(),
        ifindex: Some(2),
        counters: Counters {
            bytes_recv,
            ..Counters::default()
        },
    });
    sampler.sample(&snapshot, clock, wall(60))
}

fn row<'a>(cycle: &'a Cycle, name: &str) -> &'a Row {
    cycle.rows.iter().find(|r| r.interface == name).unwrap()
}

fn recv(cycle: &Cycle, name: &str) -> Option<u64> {
    row(cycle, name).deltas.map(|d| d.bytes_recv)
}

fn resumed(point: &ResumePoint, start: &Start) -> (Resumed, Sampler) {
    let mut sampler = Sampler::new(SampleOptions::default());
    let how = continue_from(point, start, &mut sampler);
    (how, sampler)
}

#[test]
fn once_rule_a_recent_run_of_the_same_boot_is_the_next_cycle_and_may_wrap() {
    let now = boot(BOOT);
    let (how, mut sampler) = resumed(&point(Some(BOOT), 4_294_000_000), &start(&now, 1_060.0, 60));
    assert_eq!(how, Resumed::SameBoot { consecutive: true });
    let cycle = first_cycle(&mut sampler, 1_060.0, 1_000_000, 6_000);
    assert_eq!(
        recv(&cycle, "eth0"),
        Some(1_967_296),
        "a 32-bit wrap, as in a monitor"
    );
    assert_eq!(row(&cycle, "eth0").interval_s, Some(60.0));
    assert_eq!(row(&cycle, "eth0").provenance, Provenance::WRAP);
    assert_eq!(row(&cycle, "eth0").bridged_from, None);
    assert_eq!(row(&cycle, TOTAL_INTERFACE).interval_s, Some(60.0));
}

#[test]
fn once_rule_an_interface_absent_from_the_last_run_was_re_created() {
    let now = boot(BOOT);
    let (_, mut sampler) = resumed(&point(Some(BOOT), 1_000), &start(&now, 1_060.0, 60));
    let cycle = first_cycle(&mut sampler, 1_060.0, 2_000, 3_000_001_000);
    assert_eq!(recv(&cycle, "wg0"), Some(3_000_001_000));
    assert_eq!(row(&cycle, "wg0").provenance, Provenance::RECREATED);
    assert_eq!(row(&cycle, "wg0").bridged_from, Some(wall(-60)));
    assert_eq!(row(&cycle, "wg0").interval_s, Some(120.0));
    // Unless the last run did not select it: then it was only unwatched.
    let mut other = point(Some(BOOT), 1_000);
    other.selection = Some(8);
    let (_, mut sampler) = resumed(&other, &start(&now, 1_060.0, 60));
    let cycle = first_cycle(&mut sampler, 1_060.0, 2_000, 7_000);
    assert_eq!(recv(&cycle, "wg0"), Some(2_000));
    assert_eq!(row(&cycle, "wg0").provenance, Provenance::CONTINUED);
}

#[test]
fn gap_rule_after_a_long_pause_a_drop_is_a_reset_never_a_wrap() {
    let now = boot(BOOT);
    let later = 1_000.0 + continuation_window(60.0) + 1.0;
    let (how, mut sampler) = resumed(&point(Some(BOOT), 4_294_000_000), &start(&now, later, 60));
    assert_eq!(how, Resumed::SameBoot { consecutive: false });
    let cycle = first_cycle(&mut sampler, later, 1_000_000, 6_000);
    assert_eq!(recv(&cycle, "eth0"), Some(1_000_000));
    assert_eq!(
        row(&cycle, "eth0").provenance,
        Provenance::CONTINUED.with(Provenance::RESET)
    );
    assert_eq!(row(&cycle, "eth0").bridged_from, Some(wall(0)));
    // A rise is the traffic of the whole stretch.
    let (_, mut sampler) = resumed(&point(Some(BOOT), 1_000), &start(&now, later, 60));
    let cycle = first_cycle(&mut sampler, later, 5_000, 6_000);
    assert_eq!(recv(&cycle, "eth0"), Some(4_000));
    assert_eq!(row(&cycle, "eth0").provenance, Provenance::CONTINUED);
    assert_eq!(row(&cycle, "eth0").interval_s, Some(later - 1_000.0));
}

#[test]
fn window_rule_recent_is_three_intervals_and_at_least_20_minutes() {
    assert_eq!(continuation_window(60.0), 1_200.0);
    assert_eq!(continuation_window(1.0), 1_200.0);
    assert_eq!(continuation_window(600.0), 1_800.0);
    let now = boot(BOOT);
    let edge = 1_000.0 + 1_200.0;
    let (how, _) = resumed(&point(Some(BOOT), 1), &start(&now, edge, 60));
    assert_eq!(how, Resumed::SameBoot { consecutive: true });
    let (how, _) = resumed(&point(Some(BOOT), 1), &start(&now, edge + 0.001, 60));
    assert_eq!(how, Resumed::SameBoot { consecutive: false });
}

#[test]
fn clock_rule_the_wall_clock_never_decides_what_is_counted() {
    // The last run was stamped a day ahead (the wall clock was wrong then,
    // or is now): the boot clock still says one minute.
    let now = boot(BOOT);
    let (how, mut sampler) = resumed(&point(Some(BOOT), 100_000), &start(&now, 1_060.0, -86_400));
    assert_eq!(how, Resumed::SameBoot { consecutive: true });
    let cycle = first_cycle(&mut sampler, 1_060.0, 200_000, 6_000);
    assert_eq!(recv(&cycle, "eth0"), Some(100_000));
    assert_eq!(row(&cycle, "eth0").interval_s, Some(60.0));
}

#[test]
fn boot_rule_a_new_boot_counts_each_interface_since_the_boot() {
    let now = boot(OTHER_BOOT);
    let (how, mut sampler) = resumed(&point(Some(BOOT), 9_000_000), &start(&now, 90.0, 60));
    assert_eq!(how, Resumed::NewBoot);
    let cycle = first_cycle(&mut sampler, 90.0, 70_000, 300);
    assert_eq!(
        recv(&cycle, "eth0"),
        Some(70_000),
        "what it counted since boot"
    );
    assert_eq!(recv(&cycle, "wg0"), Some(300));
    assert_eq!(row(&cycle, "eth0").interval_s, Some(90.0), "since the boot");
    assert_eq!(row(&cycle, "eth0").provenance, Provenance::SINCE_BOOT);
    assert_eq!(row(&cycle, "eth0").bridged_from, Some(wall(0)));
    assert_eq!(row(&cycle, TOTAL_INTERFACE).interval_s, Some(90.0));
    // Even above the old counters, and later in the run: a new boot's.
    let mut ended = point(Some(BOOT), 1_000);
    ended.final_sample = true;
    // The final sample read eth0 and not wg0, which had gone before it.
    let (_, mut early) = resumed(&ended, &start(&now, 90.0, 60));
    let cycle = first_cycle(&mut early, 90.0, 70_000, 300);
    assert_eq!(
        row(&cycle, "wg0").provenance,
        Provenance::SINCE_BOOT,
        "no final sample covered wg0"
    );
    let (_, mut sampler) = resumed(&ended, &start(&now, 90.0, 60));
    sampler.sample(&[], 90.0, wall(60));
    let cycle = first_cycle(&mut sampler, 150.0, 80_000, 400);
    assert_eq!(recv(&cycle, "eth0"), Some(80_000));
    assert_eq!(
        row(&cycle, "eth0").provenance,
        Provenance::SINCE_BOOT.with(Provenance::AFTER_FINAL)
    );
    assert_eq!(row(&cycle, "eth0").interval_s, Some(150.0));
}

#[test]
fn boot_rule_an_unknown_boot_continues_nothing() {
    for (stored, now) in [
        (None, boot(BOOT)),
        (
            Some(BOOT),
            Boot {
                id: None,
                btime: None,
            },
        ),
    ] {
        let (how, mut sampler) = resumed(&point(stored, 1_000), &start(&now, 1_060.0, 60));
        assert_eq!(how, Resumed::Fresh);
        let cycle = first_cycle(&mut sampler, 1_060.0, 2_000, 6_000);
        assert_eq!(recv(&cycle, "eth0"), None);
        assert_eq!(row(&cycle, TOTAL_INTERFACE).interval_s, None);
    }
}

#[test]
fn legacy_rule_points_from_before_boot_ids_continue_by_btime_and_wall_age() {
    let mut legacy = point(None, 1_000);
    legacy.legacy_btime = Some(1_763_990_001);
    for reading in legacy.interfaces.values_mut() {
        reading.at.clock_us = None;
    }
    let cycle_reading = legacy.last_cycle.map(|c| Reading {
        clock_us: None,
        ..c
    });
    legacy.last_cycle = cycle_reading;
    legacy.interfaces.get_mut("eth0").unwrap().at = cycle_reading.unwrap();
    let now = boot(BOOT);
    let (how, mut sampler) = resumed(&legacy, &start(&now, 5_000.0, 60));
    assert_eq!(how, Resumed::SameBoot { consecutive: true });
    let cycle = first_cycle(&mut sampler, 5_000.0, 2_000, 6_000);
    assert_eq!(recv(&cycle, "eth0"), Some(1_000));
    assert_eq!(row(&cycle, "eth0").interval_s, Some(60.0), "its wall age");
    // A moved btime may be a clock step: never taken for another boot.
    legacy.legacy_btime = Some(1_763_990_000 + 7_200);
    let (how, _) = resumed(&legacy, &start(&now, 5_000.0, 60));
    assert_eq!(how, Resumed::Fresh);
    // A reading that cannot be placed on the boot clock is not continued.
    let mut ahead = legacy.clone();
    ahead.legacy_btime = Some(1_763_990_000);
    let (_, mut sampler) = resumed(&ahead, &start(&now, 10.0, -86_400));
    let cycle = first_cycle(&mut sampler, 10.0, 2_000, 6_000);
    assert_eq!(recv(&cycle, "eth0"), None, "stamped after now");
    // Read longer ago than the boot clock goes back: before this boot.
    let (_, mut sampler) = resumed(&ahead, &start(&now, 10.0, 60));
    let cycle = first_cycle(&mut sampler, 10.0, 2_000, 6_000);
    assert_eq!(recv(&cycle, "eth0"), None, "read before this boot began");
}

#[test]
fn boot_rule_readings_of_an_older_boot_count_since_this_boot_in_a_later_run() {
    // The first run of this boot did not see wg0: its reading stays the
    // old boot's, and a later run of this boot counts it since the boot.
    let mut kept = point(Some(BOOT), 1_000);
    kept.interfaces.get_mut("wg0").unwrap().other_boot = true;
    let now = boot(BOOT);
    let (how, mut sampler) = resumed(&kept, &start(&now, 1_060.0, 60));
    assert_eq!(how, Resumed::SameBoot { consecutive: true });
    let cycle = first_cycle(&mut sampler, 1_060.0, 2_000, 700);
    assert_eq!(recv(&cycle, "wg0"), Some(700));
    assert_eq!(row(&cycle, "wg0").provenance, Provenance::SINCE_BOOT);
    assert_eq!(row(&cycle, "wg0").interval_s, Some(1_060.0));
}

#[test]
fn forget_rule_a_run_forgets_what_a_monitor_would_have_forgotten() {
    let now = boot(BOOT);
    // wg0 was last read at 940 s; an hour and more later it is not continued
    // (a monitor forgets an interface gone for an hour), eth0 still is.
    let later = 940.0 + FORGET_AFTER_SECONDS + 1.0;
    let (_, mut sampler) = resumed(&point(Some(BOOT), 1_000), &start(&now, later, 60));
    let cycle = first_cycle(&mut sampler, later, 2_000, 700);
    assert_eq!(recv(&cycle, "wg0"), None);
    assert_eq!(recv(&cycle, "eth0"), Some(1_000));
    // Gone exactly an hour: still remembered, as by a monitor.
    let (_, mut sampler) = resumed(&point(Some(BOOT), 1_000), &start(&now, later - 1.0, 60));
    let cycle = first_cycle(&mut sampler, later - 1.0, 2_000, 700);
    assert_eq!(
        recv(&cycle, "wg0"),
        Some(700),
        "re-created, within the hour"
    );
}

#[test]
fn ceiling_rule_a_reading_set_aside_in_an_earlier_run_is_gone_on_from() {
    let mut jumped = point(Some(BOOT), 1 << 62);
    let cycle = jumped.last_cycle.unwrap();
    let eth0 = jumped.interfaces.get_mut("eth0").unwrap();
    eth0.at = Reading::new(wall(-60), 940.0);
    eth0.set_aside = Some((cycle, [18_446_744_073_709_551_000, 0, 0, 0, 0, 0, 0, 0]));
    let now = boot(BOOT);
    let (_, mut sampler) = resumed(&jumped, &start(&now, 1_060.0, 60));
    let cycle = first_cycle(&mut sampler, 1_060.0, u64::MAX, 5_000);
    assert_eq!(recv(&cycle, "eth0"), Some(615));
    assert_eq!(row(&cycle, "eth0").interval_s, Some(60.0));
    assert_eq!(
        row(&cycle, "eth0").provenance,
        Provenance::JUMPED,
        "gone on from the reading set aside in the last cycle"
    );
}

#[test]
fn clock_rule_a_stamp_nudged_past_a_stored_one_is_still_the_same_reading() {
    let mut nudged = point(Some(BOOT), 1_000);
    let cycle = nudged.last_cycle.unwrap();
    nudged.last_cycle = Some(Reading {
        t_ms: cycle.t_ms + 1,
        ..cycle
    });
    let now = boot(BOOT);
    let (_, mut sampler) = resumed(&nudged, &start(&now, 1_060.0, 60));
    let cycle = first_cycle(&mut sampler, 1_060.0, 2_000, 700);
    assert_eq!(row(&cycle, "eth0").provenance, Provenance::NONE);
}

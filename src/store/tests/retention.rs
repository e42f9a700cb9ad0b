//! Retention: deleting in slices, keeping the rollups, forgetting gone interfaces.

use super::{at, count, cycle_at, open};
use crate::sample::{SampleOptions, Sampler};
use crate::store::retention::Retention;
use crate::store::Store;

#[test]
fn retention_deletes_in_slices_and_keeps_rollups() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("n.db"));
    let mut sampler = Sampler::new(SampleOptions::default());
    // 5 days of one sample every 5 minutes on one interface (+ _total rows).
    const PER_DAY: i64 = 288;
    for k in 0..5 * PER_DAY {
        let mut cycle = cycle_at(&mut sampler, k * 300, &[("a", k as u64 * 100, 0)]);
        // A fact on day 0 and one on day 4 (a final sample each).
        if k == 1 || k == 4 * PER_DAY + 1 {
            cycle.mark_final();
        }
        store.write_cycle(&cycle).unwrap();
    }
    let events = |store: &Store| count(store, "SELECT COUNT(*) FROM netmon_events");
    assert_eq!(
        events(&store),
        3,
        "the first sample's baseline and two stops"
    );
    let now = at(5 * 86_400);
    let mut work = Retention::plan(now, 2, 0, store.calendar()).unwrap();
    let mut slices = 0;
    let done = loop {
        slices += 1;
        if let Some(done) = work
            .step(&mut store, std::time::Duration::from_millis(1))
            .unwrap()
        {
            break done;
        }
    };
    assert!(slices > 1, "a 1 ms budget needs several slices");
    assert_eq!(
        done.raw_deleted as i64,
        2 * 3 * PER_DAY,
        "days 0-2 are older than 2 days"
    );
    assert_eq!(events(&store), 3, "facts stay as long as the rollups");
    assert!(done.batches > slices / 2);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM network_stats"),
        2 * 2 * PER_DAY
    );
    assert_eq!(
        count(
            &store,
            "SELECT CAST(value AS INTEGER) FROM netmon_meta WHERE key = 'raw_rows'"
        ),
        2 * 2 * PER_DAY,
        "the kept count"
    );
    assert_eq!(
        count(
            &store,
            "SELECT SUM(bytes_recv) FROM network_stats_hourly WHERE interface = 'a'"
        ),
        (5 * PER_DAY - 1) * 100 - 12 * 100,
        "rollups keep the whole history but its last hour (12 samples), not folded yet"
    );
    let mut work = Retention::plan(now, 0, 1, store.calendar()).unwrap();
    let done = work
        .step(&mut store, std::time::Duration::from_secs(5))
        .unwrap()
        .unwrap();
    // The history starts 2025-11-24 16:00 UTC; the cutoff is 4 days later.
    let hours_left = count(&store, "SELECT COUNT(*) FROM network_stats_hourly");
    assert_eq!(
        hours_left,
        2 * 23,
        "day 4's hours stay, for a and _total (its last is not folded yet)"
    );
    // Days that ended before the cutoff's midnight go: 4 of 6 per interface.
    assert_eq!(count(&store, "SELECT COUNT(*) FROM network_stats_daily"), 4);
    assert_eq!(events(&store), 1, "day 0's facts went with its rollups");
    assert_eq!(done.rollup_deleted as i64, 2 * 96 + 2 * 4 + 2);
}

#[test]
fn retention_forgets_resume_points_of_long_gone_interfaces() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("n.db"));
    let mut sampler = Sampler::new(SampleOptions::default());
    store
        .write_cycle(&cycle_at(&mut sampler, 0, &[("old", 1, 1), ("a", 1, 1)]))
        .unwrap();
    store
        .write_cycle(&cycle_at(&mut sampler, 3 * 86_400, &[("a", 2, 2)]))
        .unwrap();
    let mut work = Retention::plan(at(3 * 86_400 + 1), 1, 0, store.calendar()).unwrap();
    work.step(&mut store, std::time::Duration::from_secs(5))
        .unwrap()
        .unwrap();
    let names: Vec<_> = store.resume_point().interfaces.keys().cloned().collect();
    assert_eq!(names, ["a"]);
}

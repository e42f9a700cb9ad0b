//! The writer: refused cycles folded, a bounded queue, batching.

use super::{count, cycle_at, open};
use crate::model::calendar::Calendar;
use crate::model::counters::Counters;
use crate::sample::{SampleOptions, Sampler};
use crate::store::writer::Writer;
use crate::store::{Store, BUSY_TIMEOUT};
use rusqlite::Connection;

#[test]
fn a_refused_cycle_is_folded_into_the_next_and_never_blocks_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(open(&dir.path().join("n.db")), 10, BUSY_TIMEOUT);
    let mut sampler = Sampler::new(SampleOptions {
        track_total: false,
        ..SampleOptions::default()
    });
    writer.submit(cycle_at(&mut sampler, 0, &[("a", 100, 0)]));
    // A cycle the database refuses: the same interface twice (the second
    // row moved nothing).
    let mut refused = cycle_at(&mut sampler, 1, &[("a", 150, 0)]);
    let mut twin = refused.rows[0].clone();
    twin.deltas = Some(Counters::default());
    refused.rows.push(twin);
    let outcome = writer.submit(refused);
    assert_eq!(
        (outcome.written, outcome.pending),
        (0, 1),
        "kept until a cycle follows"
    );
    let outcome = writer.submit(cycle_at(&mut sampler, 2, &[("a", 400, 0)]));
    assert_eq!(
        (outcome.written, outcome.pending),
        (1, 0),
        "folded, then written"
    );
    assert_eq!((writer.written(), writer.merged()), (2, 1));
    assert_eq!(writer.rows_written(), 2, "one row per written cycle");
    assert_eq!(
        writer.failures(),
        2,
        "each refused attempt counts as a failed write"
    );
    let store = writer.store().unwrap();
    assert_eq!(
        count(store, "SELECT SUM(bytes_recv_delta) FROM network_stats"),
        300,
        "every byte kept"
    );
    assert_eq!(count(store, "SELECT COUNT(*) FROM network_stats"), 2);
}

#[test]
fn a_full_queue_folds_the_oldest_cycle_into_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.db");
    // Writes wait 10 ms for the lock, not the readers' 5 s.
    let wait = std::time::Duration::from_millis(10);
    let store = Store::open_in(&path, wait, Some(&Calendar::utc())).unwrap();
    let mut writer = Writer::new(store, 2, wait);
    let mut sampler = Sampler::new(SampleOptions::default());
    writer.submit(cycle_at(&mut sampler, 0, &[("a", 100, 0)]));
    let blocker = Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    for (second, recv) in [(1, 200), (2, 350), (3, 600), (4, 1000)] {
        let outcome = writer.submit(cycle_at(&mut sampler, second, &[("a", recv, 0)]));
        assert_eq!(outcome.written, 0);
        assert!(outcome.pending <= 2, "bounded queue");
    }
    assert_eq!(writer.merged(), 2);
    assert_eq!((writer.pending(), writer.failures()), (2, 4));
    blocker.execute_batch("COMMIT").unwrap();
    let outcome = writer.flush();
    assert_eq!((outcome.written, outcome.pending), (2, 0));
    assert_eq!(
        (writer.pending(), writer.rows_written()),
        (0, 6),
        "3 cycles x (a + _total)"
    );
    let store = writer.store().unwrap();
    assert_eq!(
        count(
            store,
            "SELECT SUM(bytes_recv_delta) FROM network_stats WHERE interface = 'a'"
        ),
        900
    );
    let intervals: f64 = store
        .conn
        .query_row(
            "SELECT SUM(interval_s) FROM network_stats WHERE interface = 'a'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(intervals, 4.0, "the merged cycles' intervals add up too");
}

#[test]
fn batching_rule_flush_every_writes_n_cycles_in_one_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer =
        Writer::new(open(&dir.path().join("n.db")), 10, BUSY_TIMEOUT).with_flush_every(3);
    let mut sampler = Sampler::new(SampleOptions::default());
    for (second, recv) in [(0, 100), (1, 150)] {
        let outcome = writer.submit(cycle_at(&mut sampler, second, &[("a", recv, 0)]));
        assert_eq!((outcome.written, outcome.pending), (0, second as usize + 1));
    }
    let store = writer.store().unwrap();
    assert_eq!(
        count(store, "SELECT COUNT(*) FROM network_stats"),
        0,
        "kept in memory"
    );
    let outcome = writer.submit(cycle_at(&mut sampler, 2, &[("a", 400, 0)]));
    assert_eq!((outcome.written, outcome.pending), (3, 0));
    let store = writer.store().unwrap();
    assert_eq!(count(store, "SELECT COUNT(*) FROM network_stats"), 6);
    // A batch with a cycle the database refuses: found one by one, folded.
    writer.submit(cycle_at(&mut sampler, 3, &[("a", 500, 0)]));
    let mut refused = cycle_at(&mut sampler, 4, &[("a", 650, 0)]);
    let mut twin = refused.rows[0].clone();
    twin.deltas = Some(Counters::default());
    refused.rows.insert(1, twin);
    writer.submit(refused);
    let outcome = writer.submit(cycle_at(&mut sampler, 5, &[("a", 900, 0)]));
    assert_eq!(outcome.pending, 0, "{outcome:?}");
    assert_eq!(writer.merged(), 1);
    let store = writer.store().unwrap();
    assert_eq!(
        count(
            store,
            "SELECT SUM(bytes_recv_delta) FROM network_stats WHERE interface = 'a'"
        ),
        800,
        "every byte kept"
    );
    // The last partial batch is written by an explicit flush (at stop).
    writer.submit(cycle_at(&mut sampler, 6, &[("a", 1000, 0)]));
    assert_eq!(writer.pending(), 1);
    assert_eq!(writer.flush().written, 1);
}

//! The resume point's record of each run's boot.

use super::{cycle_at, open};
use crate::sample::resume::Resumed;
use crate::sample::{SampleOptions, Sampler};
use crate::store::resume_point::ResumePoint;
use crate::store::writer::Writer;
use rusqlite::Connection;
use std::fs;

#[test]
fn boot_rule_the_first_cycle_of_a_boot_records_it_and_drops_the_old_readings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.db");
    let mut store = open(&path);
    let mut sampler = Sampler::new(SampleOptions::default());
    store.begin_run(Some("first".into()), 7, Resumed::Fresh);
    store
        .write_cycle(&cycle_at(&mut sampler, 0, &[("a", 100, 10), ("b", 1, 1)]))
        .unwrap();
    let point = store.resume_point();
    assert_eq!(point.boot_id.as_deref(), Some("first"));
    assert_eq!((point.selection, point.interfaces.len()), (Some(7), 2));
    drop(store);
    // Another boot: nothing changes until its first cycle is written ...
    let mut store = open(&path);
    store.begin_run(Some("second".into()), 8, Resumed::NewBoot);
    assert_eq!(store.resume_point().boot_id.as_deref(), Some("first"));
    let mut sampler = Sampler::new(SampleOptions::default());
    let mut last = cycle_at(&mut sampler, 5, &[("a", 7, 7)]);
    last.mark_final();
    store.write_cycle(&last).unwrap();
    // ... which keeps the readings of the old boot as such: an interface
    // that appears later in this boot counts since the boot.
    let point = store.resume_point();
    assert_eq!(point.boot_id.as_deref(), Some("second"));
    assert_eq!(point.selection, Some(8));
    assert_eq!(point.interfaces.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert!(!point.interfaces["a"].other_boot);
    assert!(point.interfaces["b"].other_boot);
    assert!(point.final_sample);
    drop(store);
    // At the next reboot, a reading kept from two boots ago goes; one the
    // old boot's final sample read remembers it; an interface only listed
    // (unreadable) in the first cycle of the new boot is not read in it.
    let mut store = open(&path);
    store.begin_run(Some("third".into()), 8, Resumed::NewBoot);
    let mut sampler = Sampler::new(SampleOptions::default());
    let mut first = cycle_at(&mut sampler, 20, &[("c", 1, 1)]);
    first.unreadable = vec!["a".into()];
    store.write_cycle(&first).unwrap();
    let point = store.resume_point();
    assert_eq!(point.interfaces.keys().collect::<Vec<_>>(), ["a", "c"]);
    assert!(point.interfaces["a"].other_boot, "listed, not read");
    assert!(
        point.interfaces["a"].after_final,
        "read by the final sample"
    );
    drop(store);
    // A run that cannot tell its boot keeps only what it read.
    let mut store = open(&path);
    store.begin_run(None, 8, Resumed::Fresh);
    let mut sampler = Sampler::new(SampleOptions::default());
    store
        .write_cycle(&cycle_at(&mut sampler, 30, &[("b", 1, 1)]))
        .unwrap();
    let point = store.resume_point();
    assert_eq!(point.boot_id, None);
    assert_eq!(point.interfaces.keys().collect::<Vec<_>>(), ["b"]);
    // One of the same boot keeps every reading.
    drop(store);
    let mut store = open(&path);
    store.begin_run(None, 8, Resumed::SameBoot { consecutive: true });
    store
        .write_cycle(&cycle_at(&mut sampler, 40, &[("c", 1, 1)]))
        .unwrap();
    assert_eq!(
        store.resume_point().interfaces.keys().collect::<Vec<_>>(),
        ["b", "c"]
    );
}

#[test]
fn boot_rule_a_database_reopened_after_removal_still_names_the_boot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.db");
    let mut store = open(&path);
    store.begin_run(Some("this-boot".into()), 7, Resumed::Fresh);
    let mut writer = Writer::new(store, 4, std::time::Duration::from_millis(10));
    let mut sampler = Sampler::new(SampleOptions::default());
    writer.submit(cycle_at(&mut sampler, 0, &[("a", 1, 1)]));
    fs::remove_file(&path).unwrap();
    let outcome = writer.submit(cycle_at(&mut sampler, 1, &[("a", 2, 2)]));
    assert_eq!(outcome.written, 1, "written to a new file");
    let point = writer.store().unwrap().resume_point();
    assert_eq!(point.boot_id.as_deref(), Some("this-boot"));
    assert_eq!(point.selection, Some(7));
    drop(writer);
    let conn = Connection::open(&path).unwrap();
    assert_eq!(
        ResumePoint::load(&conn).unwrap().boot_id.as_deref(),
        Some("this-boot")
    );
}

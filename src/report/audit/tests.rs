//! The audit over scripted histories written through the store: each test
//! names the boundary it reports.

use super::*;
use crate::model::counters::{Continuity, Counters};
use crate::sample::{Baseline, Continuation, NextFrom, SampleOptions, Sampler};
use crate::source::InterfaceCounters;
use crate::store::fixtures::set_meta;
use crate::store::{meta, read_only, to_ms, Store};
use chrono::TimeZone;

fn wall(second: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_764_000_000 + second, 0).unwrap()
}

/// A database, and a run that writes cycles into it.
struct History {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: Store,
    sampler: Sampler,
}

impl History {
    /// A history where eth0 read 100 bytes at 0 s and 200 at 60 s.
    fn watched() -> History {
        let mut history = History::new();
        history
            .cycle(0, &[("eth0", 100)])
            .cycle(60, &[("eth0", 200)]);
        history
    }

    fn new() -> History {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.db");
        let store = Store::open_in(
            &path,
            std::time::Duration::from_secs(5),
            Some(&Calendar::utc()),
        )
        .unwrap();
        History {
            _dir: dir,
            path,
            store,
            sampler: Sampler::new(SampleOptions::default()),
        }
    }

    /// One cycle at wall second `second` (the boot clock follows it) with
    /// (interface, received bytes) readings.
    fn cycle(&mut self, second: i64, readings: &[(&str, u64)]) -> &mut History {
        self.write(second, readings, false)
    }

    fn write(&mut self, second: i64, readings: &[(&str, u64)], last: bool) -> &mut History {
        let snapshot: Vec<_> = readings
            .iter()
            .map(|&(name, bytes_recv)| InterfaceCounters {
                name: name.into(),
                ifindex: None,
                counters: Counters {
                    bytes_recv,
                    ..Counters::default()
                },
            })
            .collect();
        let mut cycle = self.sampler.sample(&snapshot, second as f64, wall(second));
        if last {
            cycle.mark_final();
        }
        self.store.write_cycle(&cycle).unwrap();
        self
    }

    /// A new run whose first reading of `name` relates to its reading of
    /// `recv` bytes at `second` as `continuity` says.
    fn restart(
        &mut self,
        (name, recv, second): (&str, u64, i64),
        continuity: Continuity,
        after_final: bool,
    ) -> &mut History {
        self.sampler = Sampler::new(SampleOptions::default());
        let continuation = Continuation {
            next_from: NextFrom {
                good: Baseline {
                    counters: Counters {
                        bytes_recv: recv,
                        ..Counters::default()
                    },
                    at: if continuity == Continuity::NewBoot {
                        0.0
                    } else {
                        second as f64
                    },
                    wall: wall(second),
                },
                other_boot: continuity == Continuity::NewBoot,
                set_aside: None,
            },
            ifindex: None,
            continuity,
            provenance: if after_final {
                Provenance::AFTER_FINAL
            } else {
                Provenance::NONE
            },
            glitching: false,
        };
        self.sampler.resume(name, continuation, f64::MAX);
        self
    }

    fn audit(&self, since: Option<i64>, interfaces: &[&str]) -> Audit {
        self.audit_until(since, None, interfaces)
    }

    fn audit_until(&self, since: Option<i64>, until: Option<i64>, interfaces: &[&str]) -> Audit {
        let opened = read_only::open(&self.path).unwrap();
        let query = AuditQuery {
            calendar: Calendar::utc(),
            since: since.map(wall),
            until: until.map(wall),
            interfaces: interfaces.iter().map(|s| s.to_string()).collect(),
            now: wall(10_000),
        };
        build(&opened.history(), &self.path, &query).unwrap()
    }
}

fn of<'a>(audit: &'a Audit, name: &str) -> &'a InterfaceAudit {
    audit
        .interfaces
        .iter()
        .find(|i| i.interface == name)
        .unwrap()
}

#[test]
fn audit_rule_a_watched_interface_is_accounted_for() {
    let mut history = History::new();
    for k in 0..=10 {
        history.cycle(k * 1_000, &[("eth0", k as u64 * 500)]);
    }
    let audit = history.audit(None, &[]);
    assert!(audit.accounted());
    let eth0 = of(&audit, "eth0");
    assert!(eth0.stretches.is_empty(), "the first sample starts it");
    assert_eq!(eth0.totals.bytes_recv, 5_000);
    assert_eq!(eth0.span_seconds, 10_000.0);
    assert_eq!(eth0.covered_share(), 1.0);
    assert_eq!(eth0.unaccounted(), Unaccounted::None);
    assert!(
        audit.interfaces.iter().all(|i| i.interface != "_total"),
        "the sum is not audited on its own"
    );
    // A window from before the first sample: only the watched part counts.
    let audit = history.audit(Some(-10_000), &[]);
    assert_eq!(of(&audit, "eth0").covered_share(), 0.5);
    assert!(audit.accounted(), "before the history is no missing byte");
}

#[test]
fn audit_rule_an_empty_span_is_wholly_covered() {
    let history = History::watched();
    // A window that ends where it starts (at the first sample).
    let audit = history.audit_until(None, Some(0), &[]);
    assert!(audit.interfaces.is_empty());
    let mut only = of(&history.audit(None, &[]), "eth0").clone();
    only.span_seconds = 0.0;
    assert_eq!(only.covered_share(), 1.0);

    only.span_seconds = 120.0;
    assert_eq!(only.covered_share(), 0.5);
    // Nothing covered in no time: nothing to cover.
    only.totals.seconds = 0.0;
    only.span_seconds = 0.0;
    assert_eq!(only.covered_share(), 1.0);
}

#[test]
fn audit_rule_history_from_before_the_facts_were_recorded_is_noted() {
    let history = History::watched();
    set_meta(
        &history.path,
        meta::PROVENANCE_FROM,
        &to_ms(wall(30)).to_string(),
    );
    let before = history.audit(None, &[]);
    assert_eq!(before.facts_from, Some(wall(30)));
    assert!(
        !before.accounted(),
        "what the old samples went through is not known"
    );
    assert_eq!(history.audit(Some(29), &[]).facts_from, Some(wall(30)));
    let after = history.audit(Some(30), &[]);
    assert_eq!(after.facts_from, None);
    assert!(after.accounted());
    assert_eq!(history.audit(Some(31), &[]).facts_from, None);
}

#[test]
fn audit_rule_a_restart_in_the_same_boot_is_bridged_exactly() {
    let mut history = History::watched();
    history
        .restart(("eth0", 200, 60), Continuity::Gap, false)
        .cycle(5_000, &[("eth0", 9_000)]);
    let audit = history.audit(None, &[]);
    let eth0 = of(&audit, "eth0");
    assert_eq!(
        eth0.stretches,
        [Stretch {
            from: Some(wall(60)),
            to: wall(5_000),
            cause: Cause::Stopped,
            bridge: Bridge::Continuation,
            unaccounted: Unaccounted::None,
        }]
    );
    assert!(audit.accounted());
    assert_eq!(eth0.totals.bytes_recv, 8_900);
}

#[test]
fn audit_rule_a_reboot_after_a_final_sample_is_accounted_one_without_is_not() {
    for after_final in [true, false] {
        let mut history = History::new();
        history.cycle(0, &[("eth0", 100)]);
        history.write(60, &[("eth0", 200)], after_final);
        history
            .restart(("eth0", 200, 60), Continuity::NewBoot, after_final)
            .cycle(500, &[("eth0", 70_000)]);
        let audit = history.audit(None, &[]);
        let eth0 = of(&audit, "eth0");
        let stretch = &eth0.stretches[0];
        assert_eq!((stretch.from, stretch.to), (Some(wall(60)), wall(500)));
        assert_eq!(stretch.cause, Cause::Reboot);
        assert_eq!(eth0.totals.bytes_recv, 100 + 70_000, "since boot, counted");
        if after_final {
            assert_eq!(stretch.bridge, Bridge::FinalSampleAndSinceBoot);
            assert_eq!(eth0.final_samples, 1);
            assert!(audit.accounted());
        } else {
            assert_eq!(stretch.bridge, Bridge::SinceBoot);
            assert_eq!(eth0.unaccounted(), Unaccounted::Unknown);
            assert!(!audit.accounted());
        }
    }
}

#[test]
fn audit_rule_a_re_created_interface_leaves_the_old_ones_tail_unknown() {
    let mut history = History::new();
    history
        .cycle(0, &[("eth0", 100), ("veth0", 3_000)])
        .cycle(60, &[("eth0", 200)])
        .cycle(120, &[("eth0", 300), ("veth0", 40)]);
    let audit = history.audit(None, &[]);
    let veth0 = of(&audit, "veth0");
    assert_eq!(veth0.stretches.len(), 1);
    assert_eq!(veth0.stretches[0].cause, Cause::Recreated);
    assert_eq!(veth0.stretches[0].bridge, Bridge::SinceCreation);
    assert_eq!(veth0.stretches[0].from, Some(wall(0)));
    assert_eq!(veth0.unaccounted(), Unaccounted::Unknown);
    assert!(!audit.accounted());
    // Asked about eth0 alone, every byte is accounted for.
    let audit = history.audit(None, &["eth0"]);
    assert!(audit.accounted());
    assert_eq!(audit.interfaces.len(), 1);
}

#[test]
fn audit_rule_counting_that_restarted_from_scratch_is_an_unknown_stretch() {
    let mut history = History::watched();
    history.sampler = Sampler::new(SampleOptions::default());
    history
        .cycle(900, &[("eth0", 5_000)])
        .cycle(960, &[("eth0", 6_000)]);
    let audit = history.audit(None, &[]);
    let eth0 = of(&audit, "eth0");
    assert_eq!(
        eth0.stretches,
        [Stretch {
            from: Some(wall(60)),
            to: wall(900),
            cause: Cause::NotContinued,
            bridge: Bridge::Nothing,
            unaccounted: Unaccounted::Unknown,
        }]
    );
    // A window that starts after it holds none.
    let audit = history.audit(Some(930), &[]);
    assert!(of(&audit, "eth0").stretches.is_empty() && audit.accounted());
}

#[test]
fn audit_rule_wraps_and_glitches_are_listed_and_accounted() {
    let mut history = History::new();
    let high = 5_000_000_000_000;
    history
        .cycle(0, &[("wan0", u64::from(u32::MAX) - 99), ("eth0", high)])
        .cycle(60, &[("wan0", 50), ("eth0", high - 1)])
        .cycle(120, &[("wan0", 70), ("eth0", high + 500)]);
    let audit = history.audit(None, &[]);
    assert_eq!(
        of(&audit, "wan0").wraps,
        Tally {
            count: 1,
            bytes: 150
        }
    );
    assert_eq!(of(&audit, "eth0").glitches, Tally { count: 1, bytes: 1 });
    assert_eq!(of(&audit, "eth0").totals.bytes_recv, 500);
    assert!(audit.accounted());
}

#[test]
fn audit_rule_resets_are_unknown_and_set_aside_deltas_an_upper_bound() {
    let mut history = History::new();
    history
        .cycle(0, &[("eth0", 5_000_000), ("wg0", 0)])
        .cycle(60, &[("eth0", 300), ("wg0", 1 << 62)])
        .cycle(120, &[("eth0", 600), ("wg0", (1 << 62) + 10)]);
    let audit = history.audit(None, &[]);
    let eth0 = of(&audit, "eth0");
    assert_eq!(
        eth0.resets,
        Tally {
            count: 1,
            bytes: 300
        }
    );
    assert_eq!(eth0.unaccounted(), Unaccounted::Unknown);
    let wg0 = of(&audit, "wg0");
    assert_eq!(
        wg0.set_aside,
        Tally {
            count: 1,
            bytes: 1 << 62
        }
    );
    assert_eq!(wg0.unaccounted(), Unaccounted::AtMost(1 << 62));
    assert_eq!(wg0.totals.bytes_recv, 10);
    assert_eq!(
        Unaccounted::AtMost(1).and(Unaccounted::AtMost(2)),
        Unaccounted::AtMost(3)
    );
    assert_eq!(
        Unaccounted::None.and(Unaccounted::Unknown),
        Unaccounted::Unknown
    );
}

#[test]
fn audit_rule_a_dip_that_lasts_bounds_what_may_be_missing() {
    let mut history = History::new();
    for (second, recv) in [
        (0, 6_400_000),
        (60, 6_350_000),
        (120, 6_360_000),
        (180, 6_450_000),
    ] {
        history.cycle(second, &[("bond0", recv)]);
    }
    let audit = history.audit(None, &[]);
    let bond0 = of(&audit, "bond0");
    assert_eq!(
        bond0.glitches,
        Tally {
            count: 1,
            bytes: 50_000
        },
        "one glitch"
    );
    assert_eq!(
        bond0.lasting_dips,
        Tally {
            count: 1,
            bytes: 50_000
        },
        "one dip, bounded by its deepest reading"
    );
    assert_eq!(bond0.unaccounted(), Unaccounted::AtMost(50_000));
    assert!(!audit.accounted());
}

#[test]
fn audit_rule_a_corrupt_reading_bypassed_later_leaves_nothing_missing() {
    let mut history = History::new();
    history
        .cycle(0, &[("eth0", 1_000)])
        .cycle(60, &[("eth0", 1 << 50)])
        .cycle(120, &[("eth0", 2_000)]);
    let audit = history.audit(None, &[]);
    let eth0 = of(&audit, "eth0");
    assert_eq!(eth0.set_aside.count, 1);
    assert_eq!(eth0.set_aside_lost, 0, "the next delta counted it all");
    assert_eq!(eth0.totals.bytes_recv, 1_000);
    assert!(audit.accounted());
    // Still set aside at the window's end: it may be missing.
    let audit = history.audit_until(None, Some(100), &[]);
    assert_eq!(of(&audit, "eth0").set_aside_lost, (1 << 50) - 1_000);
}

#[test]
fn audit_rule_only_the_sum_stored_vouches_for_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.db");
    let mut store = Store::open_in(
        &path,
        std::time::Duration::from_secs(5),
        Some(&Calendar::utc()),
    )
    .unwrap();
    let mut sampler = Sampler::new(SampleOptions {
        track_per_interface: false,
        ..SampleOptions::default()
    });
    for second in [0, 60] {
        let snapshot = [InterfaceCounters {
            name: "eth0".into(),
            ifindex: None,
            counters: Counters::default(),
        }];
        store
            .write_cycle(&sampler.sample(&snapshot, second as f64, wall(second)))
            .unwrap();
    }
    let opened = read_only::open(&path).unwrap();
    let conn = opened.history();
    let query = AuditQuery {
        calendar: Calendar::utc(),
        since: None,
        until: None,
        interfaces: Vec::new(),
        now: wall(100),
    };
    let audit = build(&conn, &path, &query).unwrap();
    assert!(audit.only_total && audit.interfaces.is_empty());
    assert!(!audit.accounted());
    // Also when some cycles stored their interfaces, and whatever the
    // interfaces asked about.
    let mut sampler = Sampler::new(SampleOptions::default());
    for second in [80, 90] {
        let snapshot = [InterfaceCounters {
            name: "eth0".into(),
            ifindex: None,
            counters: Counters::default(),
        }];
        store
            .write_cycle(&sampler.sample(&snapshot, second as f64, wall(second)))
            .unwrap();
    }
    let query = AuditQuery {
        interfaces: vec!["eth0".into()],
        ..query
    };
    let audit = build(&conn, &path, &query).unwrap();
    assert!(audit.only_total && !audit.interfaces.is_empty());
    assert!(!audit.accounted());
    let since_then = AuditQuery {
        since: Some(wall(80)),
        ..query
    };
    assert!(build(&conn, &path, &since_then).unwrap().accounted());
}

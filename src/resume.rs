//! Continuing after a restart: the counters stored in the same boot seed the
//! sampler, so the unwatched gap is one delta per interface and `_total`
//! covers the same gap. Counters from another boot (or of unknown boot)
//! are never continued: the kernel started them again from zero.

use crate::sampler::Sampler;
use crate::store::ResumePoint;
use chrono::{DateTime, Utc};

/// Boot times within this many seconds are the same boot (`btime` jitters).
const BOOT_TIME_TOLERANCE: i64 = 2;

/// Whether stored counters (from `stored` boot) continue in the `current` boot.
pub fn same_boot(current: Option<i64>, stored: Option<i64>) -> bool {
    matches!((current, stored), (Some(a), Some(b)) if (a - b).abs() <= BOOT_TIME_TOLERANCE)
}

/// Seeds `sampler` from `point` if it belongs to the `boot` running now:
/// each interface at its stored counters and the `_total` clock at the last
/// written cycle, placed by their wall-clock age before `wall_now` on the
/// sampler's monotonic clock at `now`. Returns whether it did.
pub fn continue_from(
    point: &ResumePoint,
    boot: Option<i64>,
    sampler: &mut Sampler,
    wall_now: DateTime<Utc>,
    now: f64,
) -> bool {
    if !same_boot(boot, point.boot_time) {
        return false;
    }
    let ago = |t: DateTime<Utc>| (wall_now - t).num_milliseconds() as f64 / 1000.0;
    for last in &point.interfaces {
        sampler.resume(
            &last.interface,
            last.counters,
            last.ifindex,
            ago(last.timestamp),
            now,
        );
    }
    if let Some(cycle) = point.last_cycle {
        sampler.resume_cycle(ago(cycle), now);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::InterfaceCounters;
    use crate::counters::Counters;
    use crate::sampler::{SampleOptions, TOTAL_INTERFACE};
    use crate::store::LastSample;
    use chrono::TimeZone;

    #[test]
    fn boot_rule_boots_match_within_btime_jitter_only() {
        assert!(same_boot(Some(1_000), Some(1_000)));
        assert!(same_boot(Some(1_002), Some(1_000)));
        assert!(same_boot(Some(998), Some(1_000)));
        assert!(!same_boot(Some(1_003), Some(1_000)));
        assert!(!same_boot(Some(997), Some(1_000)));
        assert!(
            !same_boot(Some(5_000), Some(1_000)),
            "a reboot starts fresh"
        );
        assert!(!same_boot(None, Some(1_000)));
        assert!(!same_boot(Some(1_000), None));
        assert!(!same_boot(None, None));
    }

    fn point(boot: Option<i64>) -> ResumePoint {
        let at = |s: i64| Utc.timestamp_opt(1_764_000_000 + s, 0).unwrap();
        ResumePoint {
            boot_time: boot,
            last_cycle: Some(at(0)),
            interfaces: vec![LastSample {
                interface: "eth0".into(),
                timestamp: at(-30),
                ifindex: Some(2),
                counters: Counters {
                    bytes_recv: 1_000,
                    ..Counters::default()
                },
            }],
        }
    }

    fn first_cycle(sampler: &mut Sampler) -> crate::sampler::Cycle {
        let snapshot = [InterfaceCounters {
            name: "eth0".into(),
            ifindex: Some(2),
            counters: Counters {
                bytes_recv: 7_000,
                ..Counters::default()
            },
        }];
        let wall = Utc.timestamp_opt(1_764_000_060, 0).unwrap();
        sampler.sample(&snapshot, 100.0, wall)
    }

    #[test]
    fn resume_rule_the_same_boot_continues_with_the_gap_as_one_delta() {
        let mut sampler = Sampler::new(SampleOptions::default());
        let wall_now = Utc.timestamp_opt(1_764_000_060, 0).unwrap();
        assert!(continue_from(
            &point(Some(500)),
            Some(501),
            &mut sampler,
            wall_now,
            100.0
        ));
        let cycle = first_cycle(&mut sampler);
        let eth0 = &cycle.rows[0];
        assert_eq!(eth0.deltas.map(|d| d.bytes_recv), Some(6_000));
        assert_eq!(
            eth0.interval_s,
            Some(90.0),
            "stored 30 s before the last cycle, 60 s ago"
        );
        let total = cycle
            .rows
            .iter()
            .find(|r| r.interface == TOTAL_INTERFACE)
            .unwrap();
        assert_eq!(total.interval_s, Some(60.0), "since the last written cycle");
    }

    #[test]
    fn resume_rule_another_boot_starts_fresh() {
        for boot in [Some(9_000), None] {
            let mut sampler = Sampler::new(SampleOptions::default());
            let wall_now = Utc.timestamp_opt(1_764_000_060, 0).unwrap();
            assert!(!continue_from(
                &point(Some(500)),
                boot,
                &mut sampler,
                wall_now,
                100.0
            ));
            let cycle = first_cycle(&mut sampler);
            assert_eq!(cycle.rows[0].deltas, None);
            assert_eq!(cycle.rows[1].interval_s, None);
        }
    }
}

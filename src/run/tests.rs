//! The loop driven by a scripted source and a fake clock: what it reads
//! when, what reaches the sinks and the keeper, and how it ends.

use super::pipeline::Unread;
use super::*;
use crate::model::counters::Counters;
use crate::sample::select::Selection;
use crate::sample::{Cycle, SampleOptions, Sampler};
use crate::source::boot::Boot;
use crate::source::{CounterSource, InterfaceCounters, ReadError};
use chrono::{DateTime, TimeZone, Utc};
use std::collections::VecDeque;

/// Counters of one interface `va` that receives `rate` bytes per second;
/// the reads listed in `failing` (0-based) fail.
struct Scripted {
    reads: u64,
    rate: u64,
    failing: Vec<u64>,
}

impl CounterSource for Scripted {
    fn read(&mut self) -> Result<Vec<InterfaceCounters>, ReadError> {
        let read = self.reads;
        self.reads += 1;
        if self.failing.contains(&read) {
            return Err(ReadError::Io {
                path: "/scripted".into(),
                source: std::io::Error::other("gone"),
            });
        }
        Ok(vec![InterfaceCounters {
            name: "va".into(),
            ifindex: None,
            counters: Counters {
                bytes_recv: read * self.rate,
                ..Counters::default()
            },
        }])
    }

    fn boot(&self) -> Boot {
        Boot::default()
    }

    fn name(&self) -> &'static str {
        "scripted"
    }
}

/// Time that passes only when the loop waits; signals arrive at set times.
struct FakeClock {
    now: f64,
    signals: VecDeque<(f64, Signal)>,
}

impl Clock for FakeClock {
    fn elapsed(&self) -> f64 {
        self.now
    }

    fn boot(&self) -> f64 {
        1000.0 + self.now
    }

    fn wall(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(1_764_000_000, 0).unwrap()
            + chrono::Duration::milliseconds((self.now * 1000.0) as i64)
    }

    fn wait(&mut self, until: f64) -> Option<Signal> {
        if let Some(&(at, signal)) = self.signals.front() {
            if at <= until {
                self.signals.pop_front();
                self.now = self.now.max(at);
                return Some(signal);
            }
        }
        self.now = until;
        None
    }

    fn pause(&mut self, seconds: f64) {
        self.now += seconds.max(0.0);
    }
}

/// Records what reached it.
#[derive(Default)]
struct Recorder {
    seen: Vec<f64>,
    failed: u64,
}

impl Sink for Recorder {
    fn cycle(&mut self, cycle: &Cycle) -> std::io::Result<()> {
        self.seen.push(cycle.clock - 1000.0);
        Ok(())
    }

    fn read_failed(&mut self) {
        self.failed += 1;
    }
}

/// Keeps what it is given.
#[derive(Default)]
struct Kept {
    cycles: Vec<Cycle>,
    between: u64,
}

impl Keeper for Kept {
    fn keep(&mut self, cycle: Cycle) {
        self.cycles.push(cycle);
    }

    fn between(&mut self) {
        self.between += 1;
    }
}

struct Outcome {
    sink: Recorder,
    kept: Kept,
    taken: u64,
    unread: Unread,
    reopened: u64,
    end: f64,
}

fn drive(plan: Plan, failing: Vec<u64>, signals: &[(f64, Signal)]) -> Outcome {
    let source = Scripted {
        reads: 0,
        rate: 100,
        failing,
    };
    let mut sink = Recorder::default();
    let mut kept = Kept::default();
    let mut clock = FakeClock {
        now: 0.0,
        signals: signals.iter().copied().collect(),
    };
    let mut reopened = 0;
    let mut pipeline = Pipeline::new(
        Box::new(source),
        Selection::new(Vec::new(), Vec::new()),
        Sampler::new(SampleOptions::default()),
    )
    .with_sink(&mut sink)
    .with_keeper(&mut kept);
    run(&plan, &mut pipeline, &mut clock, &mut || reopened += 1).unwrap();
    let (taken, unread) = pipeline.into_tally();
    Outcome {
        end: clock.now,
        sink,
        kept,
        taken,
        unread,
        reopened,
    }
}

fn plan(limit: Limit) -> Plan {
    Plan {
        interval: 2.0,
        limit,
        final_sample: true,
    }
}

#[test]
fn loop_rule_cycles_start_on_the_schedule_and_every_one_is_kept() {
    let outcome = drive(plan(Limit::Cycles(4)), Vec::new(), &[]);
    assert_eq!(outcome.sink.seen, [0.0, 2.0, 4.0, 6.0]);
    assert_eq!(outcome.kept.cycles.len(), 4);
    assert_eq!(
        outcome.kept.between, 4,
        "the keeper's work after each cycle"
    );
    assert_eq!(outcome.taken, 4);
    let rates: Vec<_> = outcome.kept.cycles[1..]
        .iter()
        .map(|cycle| cycle.rows[0].bytes_recv_rate)
        .collect();
    assert_eq!(rates, [Some(50.0); 3], "100 bytes every 2 s");
    assert!(outcome.kept.cycles.iter().all(|c| !c.final_sample));
}

#[test]
fn loop_rule_a_stop_takes_one_final_sample_at_least_a_second_after_the_last() {
    let outcome = drive(
        plan(Limit::Endless),
        Vec::new(),
        &[(2.2, Signal::Reopen), (4.5, Signal::Stop)],
    );
    assert_eq!(outcome.reopened, 1, "SIGHUP reopens, it does not stop");
    assert_eq!(
        outcome.sink.seen,
        [0.0, 2.0, 4.0, 5.0],
        "the final one 1 s after 4 s"
    );
    let last = outcome.kept.cycles.last().unwrap();
    assert!(last.final_sample, "marked final");
    assert_eq!(outcome.end, 5.0);
}

#[test]
fn loop_rule_without_a_final_sample_a_stop_ends_at_once() {
    let plan = Plan {
        final_sample: false,
        ..plan(Limit::Endless)
    };
    let outcome = drive(plan, Vec::new(), &[(3.0, Signal::Stop)]);
    assert_eq!(outcome.sink.seen, [0.0, 2.0]);
    assert_eq!(outcome.end, 3.0);
}

#[test]
fn loop_rule_failed_reads_count_as_cycles_and_reach_the_sinks_as_failures() {
    let outcome = drive(plan(Limit::Cycles(4)), vec![1, 2], &[]);
    assert_eq!(outcome.taken, 4);
    assert_eq!(outcome.unread.cycles, 2);
    assert!(outcome.unread.last.is_some());
    assert_eq!(outcome.sink.failed, 2);
    assert_eq!(outcome.sink.seen, [0.0, 6.0]);
    assert_eq!(
        outcome.kept.cycles[1].rows[0].interval_s,
        Some(6.0),
        "the delta spans the unread cycles"
    );
}

#[test]
fn loop_rule_a_rated_limit_counts_only_cycles_with_rates() {
    let outcome = drive(plan(Limit::Rated(2)), vec![1], &[]);
    assert_eq!(outcome.sink.seen, [0.0, 4.0, 6.0], "the first has no rates");
    assert_eq!(outcome.taken, 4);
}

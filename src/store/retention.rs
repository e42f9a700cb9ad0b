//! Retention in slices: raw samples older than `retention_days`, rollups
//! whose period ended more than `rollup_retention_days` ago (and the facts
//! of the deltas, `netmon_events`, older than that), and the resume
//! rows of interfaces not seen since the raw cutoff. Each slice deletes
//! small batches (each its own short transaction) until a time budget is
//! spent, so a large backlog never delays a sampling cycle; the monitor runs
//! one slice after each cycle until the work is done.

use super::rollup::{period_key, LEVELS};
use super::{meta, to_ms, Store, StoreError};
use crate::model::calendar::Calendar;
use chrono::{DateTime, Duration, Utc};
use rusqlite::params;
use rusqlite::types::Value;
use std::time::Instant;

/// Rows per batch at the start; adapted to the budget as batches are timed.
const FIRST_BATCH: usize = 1_000;
/// Bounds of the adaptive batch size.
const BATCH_RANGE: (usize, usize) = (16, 50_000);

/// One piece of retention.
#[derive(Debug)]
enum Task {
    /// Deleting from a table: the statement (parameters: cutoff, batch
    /// size) and whether its rows are raw samples.
    Delete {
        sql: String,
        cutoff: Value,
        raw: bool,
    },
    /// Forgetting the resume points of interfaces last written before this.
    ResumePoints(DateTime<Utc>),
}

/// Retention work in progress.
#[derive(Debug)]
pub(crate) struct Retention {
    tasks: Vec<Task>,
    batch: usize,
    raw_deleted: usize,
    rollup_deleted: usize,
    batches: usize,
}

/// What a finished retention run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetentionReport {
    /// Raw rows deleted.
    pub raw_deleted: usize,
    /// Rollup rows deleted (all levels).
    pub rollup_deleted: usize,
    /// Delete statements it took.
    pub batches: usize,
}

impl Retention {
    /// The work for retention at `now`: `None` when both periods are 0
    /// (keep forever) or reach before the calendar's range.
    pub(crate) fn plan(
        now: DateTime<Utc>,
        raw_days: u32,
        rollup_days: u32,
        calendar: &Calendar,
    ) -> Option<Retention> {
        let cutoff = |days: u32| {
            (days > 0)
                .then(|| now.checked_sub_signed(Duration::days(i64::from(days))))
                .flatten()
        };
        let mut tasks = Vec::new();
        if let Some(raw) = cutoff(raw_days) {
            // Raw samples go only once they are in the rollups.
            tasks.push(Task::Delete {
                sql: format!(
                    "DELETE FROM netmon_samples WHERE (t, iface) IN
                     (SELECT t, iface FROM netmon_samples WHERE t < MIN(?1,
                         (SELECT CAST(value AS INTEGER) FROM netmon_meta WHERE key = '{}'))
                      LIMIT ?2)",
                    meta::FOLDED_UNTIL
                ),
                cutoff: Value::Integer(to_ms(raw)),
                raw: true,
            });
            tasks.push(Task::ResumePoints(raw));
        }
        if let Some(rollup) = cutoff(rollup_days) {
            for level in LEVELS {
                // A bin goes only once it ended before the cutoff.
                tasks.push(Task::Delete {
                    sql: format!(
                        "DELETE FROM {0} WHERE (period_start, interface) IN
                         (SELECT period_start, interface FROM {0} WHERE period_start < ?1 LIMIT ?2)",
                        level.table()
                    ),
                    cutoff: Value::Text(period_key(level.floor(calendar, rollup))),
                    raw: false,
                });
            }
            // The facts of the deltas go with the rollups that hold them.
            tasks.push(Task::Delete {
                sql: "DELETE FROM netmon_events WHERE (t, iface) IN
                      (SELECT t, iface FROM netmon_events WHERE t < ?1 LIMIT ?2)"
                    .into(),
                cutoff: Value::Integer(to_ms(rollup)),
                raw: false,
            });
        }
        (!tasks.is_empty()).then_some(Retention {
            tasks,
            batch: FIRST_BATCH,
            raw_deleted: 0,
            rollup_deleted: 0,
            batches: 0,
        })
    }

    /// Deletes batches for at most about `budget`; returns the report once
    /// every table is done, `None` while work remains.
    pub(crate) fn step(
        &mut self,
        store: &mut Store,
        budget: std::time::Duration,
    ) -> Result<Option<RetentionReport>, StoreError> {
        let started = Instant::now();
        let mut slowest = std::time::Duration::ZERO;
        while let Some(task) = self.tasks.first() {
            let spent = started.elapsed();
            if spent + slowest > budget && self.batches > 0 {
                return Ok(None);
            }
            let Task::Delete { sql, cutoff, raw } = task else {
                if let Task::ResumePoints(cutoff) = self.tasks.remove(0) {
                    store.forget_interfaces_before(cutoff)?;
                }
                continue;
            };
            let before = Instant::now();
            let deleted = store.execute(sql, cutoff, self.batch, *raw)?;
            let took = before.elapsed();
            slowest = slowest.max(took);
            self.batches += 1;
            if *raw {
                self.raw_deleted += deleted;
            } else {
                self.rollup_deleted += deleted;
            }
            let exhausted = deleted < self.batch;
            self.batch = adapt(self.batch, took, budget);
            if exhausted {
                self.tasks.remove(0);
            }
        }
        Ok(Some(RetentionReport {
            raw_deleted: self.raw_deleted,
            rollup_deleted: self.rollup_deleted,
            batches: self.batches,
        }))
    }
}

/// The next batch size: halved when a batch took over a quarter of the
/// budget, doubled when it took under a sixteenth.
fn adapt(batch: usize, took: std::time::Duration, budget: std::time::Duration) -> usize {
    let next = if took * 4 > budget {
        batch / 2
    } else if took * 16 < budget {
        batch * 2
    } else {
        batch
    };
    next.clamp(BATCH_RANGE.0, BATCH_RANGE.1)
}

impl Store {
    /// Forgets the resume points of interfaces last written before
    /// `cutoff`; returns how many.
    pub fn forget_interfaces_before(&mut self, cutoff: DateTime<Utc>) -> Result<usize, StoreError> {
        let forgotten = self.resume.forget_before(cutoff);
        if forgotten > 0 {
            self.resume.save(&self.conn).map_err(|e| self.sqlite(e))?;
        }
        Ok(forgotten)
    }

    /// Runs one retention statement (parameters: cutoff, batch size) in its
    /// own transaction, taking deleted raw samples off the row count;
    /// returns the rows deleted.
    fn execute(
        &self,
        sql: &str,
        cutoff: &Value,
        batch: usize,
        raw: bool,
    ) -> Result<usize, StoreError> {
        let run = || -> rusqlite::Result<usize> {
            let tx = self.conn.unchecked_transaction()?;
            let deleted = tx.prepare_cached(sql)?.execute(params![cutoff, batch])?;
            if raw {
                meta::add(&tx, meta::RAW_ROWS, -(deleted as i64))?;
            }
            tx.commit()?;
            Ok(deleted)
        };
        run().map_err(|e| self.sqlite(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration as Std;

    #[test]
    fn batches_shrink_when_slow_and_grow_when_fast() {
        let budget = Std::from_millis(100);
        assert_eq!(adapt(1000, Std::from_millis(30), budget), 500);
        assert_eq!(adapt(1000, Std::from_millis(25), budget), 1000);
        assert_eq!(adapt(1000, Std::from_millis(10), budget), 1000);
        assert_eq!(adapt(1000, Std::from_millis(6), budget), 2000);
        assert_eq!(adapt(20, Std::from_millis(90), budget), 16);
        assert_eq!(adapt(40_000, Std::ZERO, budget), 50_000);
    }

    #[test]
    fn nothing_to_plan_when_everything_is_kept() {
        let now = Utc::now();
        assert!(Retention::plan(now, 0, 0, &Calendar::utc()).is_none());
        let raw_only = Retention::plan(now, 30, 0, &Calendar::utc()).unwrap();
        assert_eq!(raw_only.tasks.len(), 2);
        let rollups_only = Retention::plan(now, 0, 400, &Calendar::utc()).unwrap();
        assert_eq!(rollups_only.tasks.len(), 4, "three levels and the facts");
        assert!(rollups_only
            .tasks
            .iter()
            .all(|t| matches!(t, Task::Delete { raw: false, .. })));
    }
}

//! Writes cycles without losing them: while the database cannot be written
//! (disk full, file locked, directory gone) cycles wait in a bounded
//! in-memory queue and are written in order once writing works again.

use super::Store;
use crate::sampler::Cycle;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A store plus the queue of cycles not yet written.
pub struct Writer {
    store: Option<Store>,
    path: PathBuf,
    busy_timeout: Duration,
    pending: VecDeque<Cycle>,
    max_pending: usize,
    failing: bool,
    dropped: u64,
}

/// What a flush achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushOutcome {
    /// Cycles written by this flush.
    pub written: usize,
    /// Cycles still waiting.
    pub pending: usize,
}

impl Writer {
    /// A writer over an open store, keeping at most `max_pending` unwritten cycles.
    pub fn new(store: Store, max_pending: usize, busy_timeout: Duration) -> Self {
        Writer {
            path: store.path().to_path_buf(),
            busy_timeout,
            store: Some(store),
            pending: VecDeque::new(),
            max_pending: max_pending.max(1),
            failing: false,
            dropped: 0,
        }
    }

    /// The open store, if the database is currently open.
    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Cycles dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Queues `cycle` (dropping the oldest one if the queue is full) and
    /// writes as much of the queue as the database accepts.
    pub fn submit(&mut self, cycle: Cycle) -> FlushOutcome {
        if self.pending.len() == self.max_pending {
            self.pending.pop_front();
            self.dropped += 1;
            if self.dropped == 1 || self.dropped.is_power_of_two() {
                tracing::error!(
                    max_pending_cycles = self.max_pending,
                    dropped_total = self.dropped,
                    "write queue full: dropping the oldest unwritten cycles"
                );
            }
        }
        self.pending.push_back(cycle);
        self.flush()
    }

    /// Writes queued cycles in order until one fails; logs a warning once
    /// per failure episode and an info line when it ends.
    pub fn flush(&mut self) -> FlushOutcome {
        if self.store.as_ref().is_some_and(|store| !store.is_current()) {
            tracing::warn!(database = %self.path.display(), "database file was removed or replaced; re-creating it");
            self.store = None;
        }
        let mut written = 0;
        while let Some(cycle) = self.pending.front() {
            let result = match &mut self.store {
                Some(store) => store.write_cycle(cycle),
                None => Store::open(&self.path, self.busy_timeout).and_then(|store| {
                    tracing::info!(database = %self.path.display(), "database reopened");
                    self.store.insert(store).write_cycle(cycle)
                }),
            };
            match result {
                Ok(()) => {
                    self.pending.pop_front();
                    written += 1;
                }
                Err(message) => {
                    if !self.failing {
                        tracing::warn!(
                            error = %message,
                            "cannot write to the database; keeping cycles in memory (up to {}) and retrying every cycle",
                            self.max_pending
                        );
                        self.failing = true;
                    }
                    break;
                }
            }
        }
        if self.pending.is_empty() && std::mem::take(&mut self.failing) {
            tracing::info!(
                written,
                dropped_total = self.dropped,
                "database writable again; queued cycles written"
            );
        }
        FlushOutcome {
            written,
            pending: self.pending.len(),
        }
    }
}

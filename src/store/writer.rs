//! Writes cycles without losing traffic: while the database cannot be
//! written (disk full, file locked, directory gone) cycles wait in a bounded
//! in-memory queue and are written in order once writing works again. When
//! the queue is full, or the database refuses a cycle for good (a constraint
//! it violates), that cycle's deltas are folded into the next one
//! ([`Cycle::absorb`]): the sums stay exact, only granularity is lost.

use super::{LostFiles, Store, StoreError};
use crate::sample::Cycle;
use crate::support::fsutil::{sibling, Access};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A store plus the queue of cycles not yet written.
pub(crate) struct Writer {
    store: Option<Store>,
    path: PathBuf,
    opened_as: OpenedAs,
    pending: VecDeque<Cycle>,
    max_pending: usize,
    flush_every: usize,
    failing: bool,
    /// Flushes since the database's files were found lost (0: they are not).
    rescue_attempts: u64,
    written: u64,
    rows_written: u64,
    failures: u64,
    merged: u64,
    merged_bytes: u64,
}

/// How the writer's store was opened, to open it again the same way after
/// the file was removed or replaced.
#[derive(Debug, Clone)]
struct OpenedAs {
    busy_timeout: Duration,
    raw_counts: bool,
    access: Access,
    /// The boot and selection of this run.
    run: Option<super::Run>,
}

/// What a flush achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FlushOutcome {
    /// Cycles written by this flush.
    pub written: usize,
    /// Cycles still waiting.
    pub pending: usize,
}

impl Writer {
    /// A writer over an open store, keeping at most `max_pending` unwritten cycles.
    pub(crate) fn new(store: Store, max_pending: usize, busy_timeout: Duration) -> Self {
        Writer {
            path: store.path().to_path_buf(),
            opened_as: OpenedAs {
                busy_timeout,
                raw_counts: store.raw_counts,
                access: store.access(),
                run: store.run.clone(),
            },
            store: Some(store),
            pending: VecDeque::new(),
            max_pending: max_pending.max(1),
            flush_every: 1,
            failing: false,
            rescue_attempts: 0,
            written: 0,
            rows_written: 0,
            failures: 0,
            merged: 0,
            merged_bytes: 0,
        }
    }

    /// Keeps `cycles` cycles in memory and writes them in one transaction
    /// (`database.flush_every`, for flash storage); 1 writes every cycle.
    pub(crate) fn with_flush_every(mut self, cycles: usize) -> Self {
        self.flush_every = cycles.clamp(1, self.max_pending);
        self
    }

    /// The open store, if the database is currently open.
    pub(crate) fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    /// The open store, for maintenance that changes what it keeps in
    /// memory (retention of resume points).
    pub(crate) fn store_mut(&mut self) -> Option<&mut Store> {
        self.store.as_mut()
    }

    /// The database path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Cycles written so far.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Rows (interface samples, `_total` included) written so far.
    pub(crate) fn rows_written(&self) -> u64 {
        self.rows_written
    }

    /// Writes that failed so far (each retried or folded later).
    pub(crate) fn failures(&self) -> u64 {
        self.failures
    }

    /// Cycles waiting in memory.
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }

    /// What became of the database's files, if they are no longer at the
    /// path and could not be re-created there yet.
    pub(crate) fn lost_files(&self) -> Option<LostFiles> {
        self.store.as_ref()?.lost_files()
    }

    /// Cycles folded into a later one so far (queue overflow or refusal).
    pub(crate) fn merged(&self) -> u64 {
        self.merged
    }

    /// Queues `cycle` (folding the oldest one into the next if the queue is
    /// full) and, once `flush_every` cycles wait, writes as much of the
    /// queue as the database accepts.
    pub(crate) fn submit(&mut self, cycle: Cycle) -> FlushOutcome {
        self.pending.push_back(cycle);
        if self.pending.len() > self.max_pending {
            self.fold_oldest("write queue full");
        }
        if self.pending.len() < self.flush_every {
            return FlushOutcome {
                written: 0,
                pending: self.pending.len(),
            };
        }
        self.flush()
    }

    /// Folds the oldest queued cycle into the next one.
    fn fold_oldest(&mut self, why: &str) {
        let Some(oldest) = self.pending.pop_front() else {
            return;
        };
        let Some(next) = self.pending.front_mut() else {
            self.pending.push_front(oldest);
            return;
        };
        let from = super::format_timestamp(oldest.timestamp);
        self.merged_bytes += next.absorb(oldest);
        self.merged += 1;
        if self.merged == 1 || self.merged.is_power_of_two() {
            tracing::warn!(
                "{why}: the cycle of {from} was merged into the next one ({} cycle(s) merged so \
                 far, {} bytes moved with them): totals stay exact, only their granularity is lost",
                self.merged,
                self.merged_bytes
            );
        }
    }

    /// Writes queued cycles in order until one fails; logs a warning once
    /// per failure episode and an info line when it ends.
    pub(crate) fn flush(&mut self) -> FlushOutcome {
        self.flush_with(false)
    }

    /// The last flush before exit: like [`Writer::flush`], and if the
    /// database's files were lost, re-creating them is tried now whatever
    /// the back-off says.
    pub(crate) fn finish(&mut self) -> FlushOutcome {
        self.flush_with(true)
    }

    fn flush_with(&mut self, rescue_now: bool) -> FlushOutcome {
        self.recover(rescue_now);
        let mut written = 0;
        // Batches of flush_every cycles; one by one once a batch was
        // refused, so that the refused cycle is found and folded.
        let mut batch = self.flush_every;
        while !self.pending.is_empty() {
            let take = batch.min(self.pending.len());
            match write(
                &mut self.store,
                &self.path,
                &self.opened_as,
                self.pending.range(..take),
            ) {
                Ok(()) => {
                    for cycle in self.pending.drain(..take) {
                        self.rows_written += cycle.rows.len() as u64;
                        // A cycle without rows only tells the resume point
                        // that nothing was selected: not a stored cycle.
                        self.written += u64::from(!cycle.rows.is_empty());
                    }
                    written += take;
                }
                Err(e) if e.rejects_cycle() && take > 1 => batch = 1,
                Err(e) if e.rejects_cycle() && self.pending.len() > 1 => {
                    self.failures += 1;
                    if !std::mem::replace(&mut self.failing, true) {
                        tracing::error!("the database refused a cycle: {e}");
                    }
                    self.fold_oldest("cycle refused");
                }
                Err(e) => {
                    self.failures += 1;
                    if !self.failing {
                        tracing::warn!(
                            error = %e,
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
                merged_total = self.merged,
                "database writable again; queued cycles written"
            );
        }
        FlushOutcome {
            written,
            pending: self.pending.len(),
        }
    }
}

impl Writer {
    /// When the database's files are no longer at the path, writes what
    /// the open connection still holds (every committed cycle) to a new
    /// file there, and writes on into that one. A file that replaced the
    /// database is kept beside it (`.replaced`). While the new file cannot
    /// be made (disk full, directory gone), the open files are written on
    /// and the copy retried at every flush.
    fn recover(&mut self, now: bool) {
        let Some(store) = &self.store else {
            return;
        };
        let Some(lost) = store.lost_files() else {
            self.rescue_attempts = 0;
            return;
        };
        // While it keeps failing, try at the 1st, 2nd, 4th, 8th... flush:
        // each try copies the whole database.
        self.rescue_attempts += 1;
        if !now && !self.rescue_attempts.is_power_of_two() {
            return;
        }
        let path = store.real_path().to_path_buf();
        let rescue = sibling(&path, ".rescue");
        let moved = std::fs::remove_file(&rescue)
            .or_else(ignore_missing)
            .and_then(|()| {
                crate::support::fsutil::open_append(&rescue, self.opened_as.access).map(drop)
            })
            .map_err(|source| StoreError::Create {
                path: rescue.clone(),
                source,
            })
            .and_then(|()| store.copy_to(&rescue))
            .and_then(|()| {
                replace_database(&path, &rescue, lost == LostFiles::Replaced).map_err(|source| {
                    StoreError::Create {
                        path: path.clone(),
                        source,
                    }
                })
            });
        match moved {
            Ok(kept) => {
                // Only now is the old store let go (it leaves the path alone).
                self.store = None;
                self.rescue_attempts = 0;
                tracing::warn!(
                    database = %path.display(),
                    kept_aside = kept.as_ref().map(|p| p.display().to_string()),
                    "{lost}: re-created it with every stored cycle"
                );
            }
            Err(e) => {
                let _ = std::fs::remove_file(&rescue);
                if self.rescue_attempts == 1 {
                    tracing::error!(
                        database = %path.display(),
                        "{lost}, and it cannot be re-created yet ({e}); writing on to the open \
                         files and trying again, less often each time"
                    );
                }
            }
        }
    }
}

/// `Ok` for a file that was not there.
fn ignore_missing(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}

/// Moves the copy at `rescue` to `path`. A file that `replaced` the
/// database there is kept beside it (`path.replaced`, or `.replaced.2`...
/// when that is taken) with its `-wal` and `-shm`; otherwise the `-wal`
/// and `-shm` at `path`, which belonged to the lost file, are removed.
/// Returns where a file found at `path` was kept.
fn replace_database(
    path: &Path,
    rescue: &Path,
    replaced: bool,
) -> std::io::Result<Option<PathBuf>> {
    let kept = if replaced && path.symlink_metadata().is_ok() {
        let aside = (1..)
            .map(|n| {
                sibling(
                    path,
                    &if n == 1 {
                        ".replaced".into()
                    } else {
                        format!(".replaced.{n}")
                    },
                )
            })
            .find(|aside| aside.symlink_metadata().is_err())
            .unwrap_or_else(|| sibling(path, ".replaced"));
        for suffix in ["-wal", "-shm"] {
            let from = sibling(path, suffix);
            if from.symlink_metadata().is_ok() {
                std::fs::rename(&from, sibling(&aside, suffix))?;
            }
        }
        std::fs::rename(path, &aside)?;
        Some(aside)
    } else {
        for suffix in ["-wal", "-shm"] {
            std::fs::remove_file(sibling(path, suffix)).or_else(ignore_missing)?;
        }
        None
    };
    std::fs::rename(rescue, path)?;
    Ok(kept)
}

/// Writes cycles in one transaction, reopening the database at `path`
/// first if it is closed (with the settings the writer's store was opened
/// with).
fn write<'a>(
    store: &mut Option<Store>,
    path: &Path,
    opened_as: &OpenedAs,
    cycles: impl Iterator<Item = &'a Cycle>,
) -> Result<(), StoreError> {
    let store = match store {
        Some(store) => store,
        None => {
            let mut opened = Store::open_as(path, opened_as.busy_timeout, opened_as.access)?
                .with_raw_counts(opened_as.raw_counts);
            // The new file records the run's boot with its first cycle.
            opened.run = opened_as.run.clone().map(|run| super::Run {
                recorded: false,
                ..run
            });
            tracing::info!(database = %path.display(), "database reopened");
            store.insert(opened)
        }
    };
    store.write_cycles(cycles)
}

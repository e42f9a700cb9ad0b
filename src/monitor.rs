//! The sampling loop: read, select, sample, store, print, on a fixed
//! schedule until the sample count is reached or a signal asks to stop.
//! Retention runs in slices between cycles, so it never delays one.

use crate::collector::CounterSource;
use crate::config::Config;
use crate::episode::Episode;
use crate::error::{Error, Result};
use crate::logging::LogHandle;
use crate::metrics::{MetricsServer, SharedStats};
use crate::output;
use crate::sampler::Sampler;
use crate::schedule::next_slot;
use crate::select::Selection;
use crate::store::retention::Retention;
use crate::store::writer::Writer;
use crate::store::Store;
use chrono::Utc;
use std::io::Write;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How often retention runs while monitoring.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);
/// Share of the interval one retention slice may take after a cycle (it
/// runs between one cycle's write and the next slot, so it delays nothing;
/// the batches inside it are sized to a quarter of it).
const RETENTION_SHARE: f64 = 0.25;
/// Longest retention slice, whatever the interval.
const RETENTION_SLICE_MAX: Duration = Duration::from_secs(1);

/// What the loop was asked to do.
pub struct RunOptions {
    /// Stop after this many samples (`--once` is 1); `None` runs until a signal.
    pub samples: Option<u64>,
    /// Print `--once`'s detailed sample instead of rate lines.
    pub detailed: bool,
    /// Print nothing on stdout.
    pub quiet: bool,
}

/// A signal the loop reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT or SIGTERM: finish the current cycle, commit, exit 0.
    Stop,
    /// SIGHUP: reopen the log file.
    Reopen,
}

/// Forwards SIGINT, SIGTERM and SIGHUP to a channel the loop waits on.
pub fn signal_channel() -> Result<Receiver<Signal>> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let (sender, receiver) = mpsc::channel();
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .map_err(|e| Error::runtime(format!("cannot install signal handlers: {e}")))?;
    std::thread::spawn(move || {
        for signal in signals.forever() {
            let message = if signal == SIGHUP {
                Signal::Reopen
            } else {
                Signal::Stop
            };
            if sender.send(message).is_err() {
                break;
            }
        }
    });
    Ok(receiver)
}

/// Runs the monitor with an opened store until done; returns once every
/// cycle is committed (or fails if some could not be written). A metrics
/// endpoint, if given, is kept up to date and stopped before the database
/// is closed.
pub fn run(
    config: &Config,
    mut source: Box<dyn CounterSource + Send>,
    mut store: Store,
    log: &LogHandle,
    signals: &Receiver<Signal>,
    options: &RunOptions,
    metrics: Option<MetricsServer>,
) -> Result<()> {
    let stats = metrics.as_ref().map(|server| server.stats().clone());
    let start = Instant::now();
    let mut sampler = Sampler::new(config.sample).with_spike_guard(config.spike_guard.clone());
    resume(
        source.as_ref(),
        &mut store,
        &mut sampler,
        start.elapsed().as_secs_f64(),
    );
    let mut retention = if config.cleanup_on_startup {
        plan_retention(config, &store)
    } else {
        None
    };
    let mut next_retention = Instant::now() + RETENTION_EVERY;
    let slice = Duration::from_secs_f64(config.interval * RETENTION_SHARE).min(RETENTION_SLICE_MAX);
    let mut writer = Writer::new(store, config.max_pending_cycles, write_wait(config))
        .with_flush_every(config.flush_every);
    let mut selection = Selection::new(config.interfaces.clone(), config.exclude.clone());
    let mut stdout = std::io::stdout().lock();
    let (mut unreadable, mut nothing_listed, mut nothing_selected) =
        (Episode::default(), Episode::default(), Episode::default());
    let mut taken = 0u64;
    let mut stopping = false;
    while !stopping {
        match source.read() {
            Ok(snapshot) => {
                if let Some(missed) = unreadable.ends() {
                    tracing::info!(missed_cycles = missed, "counters readable again");
                }
                taken += 1;
                let listed = !snapshot.is_empty();
                note(&mut nothing_listed, !listed, || {
                    format!(
                        "{} lists no interfaces: nothing stored until it does",
                        source.name()
                    )
                });
                let selected = selection.apply(snapshot);
                note(&mut nothing_selected, listed && selected.is_empty(), || {
                    "no interface is selected (see interfaces / exclude_interfaces): nothing stored until one is".into()
                });
                if !selected.is_empty() {
                    let now = start.elapsed().as_secs_f64();
                    let cycle = sampler.sample(&selected, now, Utc::now());
                    tracing::debug!(rows = cycle.rows.len(), "cycle sampled");
                    let shown = if options.quiet {
                        Ok(())
                    } else if options.detailed {
                        output::print_sample(&mut stdout, &cycle)
                    } else {
                        output::print_rates(&mut stdout, &cycle)
                    };
                    if let Err(e) = shown {
                        tracing::debug!("stdout closed: {e}");
                    }
                    if let Some(stats) = &stats {
                        stats.lock().record_events(&cycle);
                    }
                    let outcome = writer.submit(cycle);
                    if let Some(stats) = &stats {
                        publish(stats, &writer, outcome.written > 0);
                    }
                }
            }
            Err(e) => {
                if let Some(stats) = &stats {
                    stats.lock().read_failures += 1;
                }
                if unreadable.occurs() {
                    tracing::error!(
                        "cannot read counters: {e}; retrying every cycle (logged again when it recovers)"
                    );
                }
            }
        }
        if retention.is_none() && Instant::now() >= next_retention {
            retention = writer
                .store()
                .and_then(|store| plan_retention(config, store));
            next_retention = Instant::now() + RETENTION_EVERY;
        }
        if let (Some(work), Some(store)) = (retention.as_mut(), writer.store_mut()) {
            match work.step(store, slice) {
                Ok(None) => {}
                Ok(Some(done)) => {
                    tracing::info!(
                        raw_rows_deleted = done.raw_deleted,
                        rollup_rows_deleted = done.rollup_deleted,
                        batches = done.batches,
                        retention_days = config.retention_days,
                        "retention done"
                    );
                    retention = None;
                }
                Err(e) => {
                    tracing::warn!("retention failed (will retry in an hour): {e}");
                    retention = None;
                }
            }
        }
        if options.samples.is_some_and(|limit| taken >= limit) {
            break;
        }
        let slot = next_slot(start.elapsed().as_secs_f64(), config.interval);
        let deadline = start + Duration::from_secs_f64(slot as f64 * config.interval);
        stopping = wait_until(deadline, signals, log);
    }
    let _ = stdout.flush();
    if let Some(server) = metrics {
        server.stop();
    }
    let outcome = writer.flush();
    if outcome.pending > 0 {
        return Err(Error::runtime(format!(
            "{} cycle(s) could not be written to {}",
            outcome.pending,
            writer.path().display(),
        )));
    }
    tracing::info!(
        cycles_stored = writer.written(),
        cycles_merged = writer.merged(),
        "netmon stopped; every cycle committed"
    );
    Ok(())
}

/// Copies the writer's bookkeeping into the endpoint's stats.
fn publish(stats: &SharedStats, writer: &Writer, wrote: bool) {
    let mut stats = stats.lock();
    stats.rows_stored = writer.rows_written();
    stats.cycles_stored = writer.written();
    stats.cycles_pending = writer.pending() as u64;
    stats.cycles_merged = writer.merged();
    stats.write_failures = writer.failures();
    if wrote {
        stats.last_write_unix = Some(Utc::now().timestamp_millis() as f64 / 1000.0);
    }
}

/// Logs `message` once when `happening` starts, and a line when it ends.
fn note(episode: &mut Episode, happening: bool, message: impl FnOnce() -> String) {
    if happening {
        if episode.occurs() {
            tracing::warn!("{}", message());
        }
    } else if let Some(cycles) = episode.ends() {
        tracing::info!(cycles, "interfaces to store again");
    }
}

/// Sleeps until `deadline`, handling signals; true when asked to stop.
fn wait_until(deadline: Instant, signals: &Receiver<Signal>, log: &LogHandle) -> bool {
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match signals.recv_timeout(remaining) {
            Ok(Signal::Stop) => {
                tracing::info!("stop requested");
                return true;
            }
            Ok(Signal::Reopen) => log.reopen(),
            Err(RecvTimeoutError::Timeout) => return false,
            Err(RecvTimeoutError::Disconnected) => {
                std::thread::sleep(remaining);
                return false;
            }
        }
    }
}

/// Continues from the database's last stored counters when they come from
/// this boot (see [`crate::resume`]), and records the boot the new counters
/// belong to. `now` is the sampler's monotonic second at which the wall
/// clock is read.
fn resume(source: &dyn CounterSource, store: &mut Store, sampler: &mut Sampler, now: f64) {
    let boot = source.boot_time();
    let point = match store.resume_point() {
        Ok(point) => point,
        Err(e) => {
            tracing::warn!("cannot read the last stored counters, starting fresh: {e}");
            return;
        }
    };
    let same = crate::resume::continue_from(&point, boot, sampler, Utc::now(), now);
    if same {
        tracing::info!(
            interfaces = point.interfaces.len(),
            "continuing from the stored counters of this boot"
        );
    }
    if let Err(e) = store.record_boot(boot, same) {
        tracing::warn!("cannot record the boot time: {e}");
    }
}

/// How long a write waits for another process's lock: half the interval
/// (between 50 ms and 5 s), so a held lock delays sampling only briefly.
pub fn write_wait(config: &Config) -> Duration {
    Duration::from_secs_f64((config.interval / 2.0).clamp(0.05, 5.0))
}

fn plan_retention(config: &Config, store: &Store) -> Option<Retention> {
    Retention::plan(
        Utc::now(),
        config.retention_days,
        config.rollup_retention_days,
        store.calendar(),
    )
}

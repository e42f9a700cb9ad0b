//! The sampling loop: read, select, sample, store, print, on a fixed
//! schedule until the sample count is reached or a signal asks to stop.

use crate::collector::CounterSource;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::logging::LogHandle;
use crate::output;
use crate::sampler::Sampler;
use crate::schedule::next_slot;
use crate::select::Selection;
use crate::store::writer::Writer;
use crate::store::Store;
use chrono::Utc;
use std::io::Write;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How often retention runs while monitoring.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);
/// Boot times within this many seconds are the same boot (`btime` jitters).
const BOOT_TIME_TOLERANCE: i64 = 2;
/// `netmon_meta` key holding the boot the stored counters belong to.
const BOOT_TIME_KEY: &str = "counters_boot_time";

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
/// cycle is committed (or fails if some could not be written).
pub fn run(
    config: &Config,
    mut source: Box<dyn CounterSource>,
    store: Store,
    log: &LogHandle,
    signals: &Receiver<Signal>,
    options: &RunOptions,
) -> Result<()> {
    let start = Instant::now();
    let mut sampler = Sampler::new(config.sample).with_spike_guard(spike_guard(config));
    resume(
        config,
        source.as_ref(),
        &store,
        &mut sampler,
        start.elapsed().as_secs_f64(),
    );
    if config.cleanup_on_startup {
        run_retention(config, &store);
    }
    let mut last_retention = Instant::now();
    let mut writer = Writer::new(store, config.max_pending_cycles, write_wait(config));
    let mut selection = Selection::new(config.interfaces.clone(), config.exclude.clone());
    let mut stdout = std::io::stdout().lock();
    let mut taken = 0u64;
    let mut stopping = false;
    while !stopping {
        match source.read() {
            Ok(snapshot) => {
                let now = start.elapsed().as_secs_f64();
                let cycle = sampler.sample(&selection.apply(snapshot), now, Utc::now());
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
                writer.submit(cycle);
            }
            Err(e) => tracing::error!("cannot read counters: {e}"),
        }
        taken += 1;
        if options.samples.is_some_and(|limit| taken >= limit) {
            break;
        }
        if last_retention.elapsed() >= RETENTION_EVERY {
            if let Some(store) = writer.store() {
                run_retention(config, store);
            }
            last_retention = Instant::now();
        }
        let slot = next_slot(start.elapsed().as_secs_f64(), config.interval);
        let deadline = start + Duration::from_secs_f64(slot as f64 * config.interval);
        stopping = wait_until(deadline, signals, log);
    }
    let _ = stdout.flush();
    let outcome = writer.flush();
    if outcome.pending > 0 || writer.dropped() > 0 {
        return Err(Error::runtime(format!(
            "{} cycle(s) could not be written to {} and {} were dropped from the full queue",
            outcome.pending,
            writer.path().display(),
            writer.dropped()
        )));
    }
    tracing::info!(samples = taken, "netmon stopped; every cycle committed");
    Ok(())
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

/// Continues each interface from its last stored counters when they come
/// from this boot, and records the boot the new counters belong to. `now`
/// is the sampler's monotonic second at which the wall clock is read.
fn resume(
    config: &Config,
    source: &dyn CounterSource,
    store: &Store,
    sampler: &mut Sampler,
    now: f64,
) {
    let boot = source.boot_time();
    let stored_boot = store
        .meta(BOOT_TIME_KEY)
        .ok()
        .flatten()
        .and_then(|v| v.parse::<i64>().ok());
    if same_boot(boot, stored_boot) && config.sample.store_raw_counts {
        match store.last_samples() {
            Ok(samples) => {
                let wall_now = Utc::now();
                for sample in &samples {
                    let ago = (wall_now - sample.timestamp).num_milliseconds() as f64 / 1000.0;
                    sampler.resume(&sample.interface, sample.counters, ago, now);
                }
                tracing::info!(
                    interfaces = samples.len(),
                    "continuing from the stored counters of this boot"
                );
            }
            Err(e) => tracing::warn!("cannot read the last stored counters, starting fresh: {e}"),
        }
    }
    let value = boot
        .filter(|_| config.sample.store_raw_counts)
        .map(|b| b.to_string());
    if let Err(e) = store.set_meta(BOOT_TIME_KEY, value.as_deref()) {
        tracing::warn!("cannot record the boot time: {e}");
    }
}

/// How long a write waits for another process's lock: half the interval
/// (between 50 ms and 5 s), so a held lock delays sampling only briefly.
pub fn write_wait(config: &Config) -> Duration {
    Duration::from_secs_f64((config.interval / 2.0).clamp(0.05, 5.0))
}

/// Whether stored counters (from `stored` boot) continue in the `current` boot.
fn same_boot(current: Option<i64>, stored: Option<i64>) -> bool {
    matches!((current, stored), (Some(a), Some(b)) if (a - b).abs() <= BOOT_TIME_TOLERANCE)
}

/// The spike guard's limit per interface in bytes/s: `max_bandwidth_mbit`
/// when configured, else the link speed from sysfs (with 25 % headroom)
/// where the kernel knows it.
fn spike_guard(config: &Config) -> crate::sampler::SpikeGuard {
    const BYTES_PER_MBIT: f64 = 1_000_000.0 / 8.0;
    match config.max_bandwidth_mbit {
        Some(mbit) => Box::new(move |_| Some(mbit * BYTES_PER_MBIT)),
        None => Box::new(|interface| {
            let path = format!("/sys/class/net/{interface}/speed");
            let mbit: f64 = std::fs::read_to_string(path).ok()?.trim().parse().ok()?;
            (mbit > 0.0).then_some(mbit * BYTES_PER_MBIT * 1.25)
        }),
    }
}

fn run_retention(config: &Config, store: &Store) {
    if config.retention_days == 0 && config.rollup_retention_days == 0 {
        return;
    }
    match store.apply_retention(
        Utc::now(),
        config.retention_days,
        config.rollup_retention_days,
    ) {
        Ok((raw, rollups)) => tracing::info!(
            raw_rows_deleted = raw,
            hourly_rows_deleted = rollups,
            retention_days = config.retention_days,
            "retention done"
        ),
        Err(e) => tracing::warn!("retention failed (will retry in an hour): {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boots_match_within_btime_jitter_only() {
        assert!(same_boot(Some(1_000), Some(1_000)));
        assert!(same_boot(Some(1_001), Some(1_000)));
        assert!(
            !same_boot(Some(5_000), Some(1_000)),
            "a reboot starts fresh"
        );
        assert!(!same_boot(None, Some(1_000)));
        assert!(!same_boot(Some(1_000), None));
    }
}

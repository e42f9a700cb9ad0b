//! The sampling loop: read, select, sample, store, print, on a fixed
//! schedule until the sample count is reached or a signal asks to stop.
//! Retention runs in slices between cycles, so it never delays one.

use crate::boot::boot_clock;
use crate::collector::{CounterSource, ReadError};
use crate::config::Config;
use crate::episode::Episode;
use crate::error::{Error, Result};
use crate::logging::LogHandle;
use crate::metrics::{MetricsServer, SharedStats};
use crate::output;
use crate::resume::Resumed;
use crate::sampler::{Cycle, Sampler};
use crate::schedule::next_slot;
use crate::select::Selection;
use crate::store::retention::Retention;
use crate::store::writer::Writer;
use crate::store::Store;
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

/// The state the sampling loop carries from cycle to cycle.
struct Sampling<'a> {
    source: Box<dyn CounterSource + Send>,
    selection: Selection,
    sampler: Sampler,
    writer: Writer,
    stats: Option<SharedStats>,
    options: &'a RunOptions,
    stdout: std::io::StdoutLock<'static>,
    unreadable: Episode,
    nothing_listed: Episode,
    nothing_selected: Episode,
    /// When the counters were last read (or tried).
    last_taken: Instant,
}

impl Sampling<'_> {
    /// Reads the counters once and, when some interface is selected,
    /// samples, prints and stores a cycle (`final_sample`: the one taken
    /// when asked to stop). Fails when the counters could not be read.
    fn take(&mut self, final_sample: bool) -> std::result::Result<(), ReadError> {
        self.last_taken = Instant::now();
        let snapshot = match self.source.read() {
            Ok(snapshot) => snapshot,
            Err(e) => {
                // Nobody saw the interfaces this cycle.
                self.sampler.nothing_read();
                if let Some(stats) = &self.stats {
                    stats.lock().read_failures += 1;
                }
                if self.unreadable.occurs() {
                    tracing::error!(
                        "cannot read counters: {e}; retrying every cycle (logged again when it recovers)"
                    );
                }
                return Err(e);
            }
        };
        if let Some(missed) = self.unreadable.ends() {
            tracing::info!(missed_cycles = missed, "counters readable again");
        }
        let listed = !snapshot.is_empty();
        let source = self.source.name();
        let started_unlisted = note(&mut self.nothing_listed, !listed, || {
            format!("{source} lists no interfaces: nothing stored until it does")
        });
        let selected = self.selection.apply(snapshot);
        let started_unselected = note(
            &mut self.nothing_selected,
            listed && selected.is_empty(),
            || {
                "no interface is selected (see interfaces / exclude_interfaces): nothing stored until one is".into()
            },
        );
        let (now, timestamp) = (boot_clock(), crate::wallclock::now());
        let unreadable: Vec<String> = self
            .source
            .unreadable()
            .iter()
            .filter(|name| self.selection.selects(name))
            .cloned()
            .collect();
        if selected.is_empty() {
            // Every interface known was absent from this cycle (but those
            // listed unreadable); a restart must know it too, once per
            // episode.
            let mut cycle = self.sampler.empty_cycle(now, timestamp);
            self.sampler.unreadable(&mut cycle, &unreadable);
            if started_unlisted || started_unselected || final_sample || !unreadable.is_empty() {
                cycle.final_sample = final_sample;
                self.store(cycle);
            }
            return Ok(());
        }
        let mut cycle = self.sampler.sample(&selected, now, timestamp);
        self.sampler.unreadable(&mut cycle, &unreadable);
        if final_sample {
            cycle.mark_final();
        }
        tracing::debug!(rows = cycle.rows.len(), final_sample, "cycle sampled");
        let shown = if self.options.quiet {
            Ok(())
        } else if self.options.detailed {
            output::print_sample(&mut self.stdout, &cycle)
        } else {
            output::print_rates(&mut self.stdout, &cycle)
        };
        if let Err(e) = shown {
            tracing::debug!("stdout closed: {e}");
        }
        if let Some(stats) = &self.stats {
            stats.lock().record_events(&cycle);
        }
        self.store(cycle);
        Ok(())
    }

    /// Hands a cycle to the writer and publishes the writer's bookkeeping.
    fn store(&mut self, cycle: Cycle) {
        let outcome = self.writer.submit(cycle);
        if let Some(stats) = &self.stats {
            publish(stats, &self.writer, outcome.written > 0);
        }
    }
}

/// Runs the monitor with an opened store until done; returns once every
/// cycle is committed (or fails if some could not be written). Asked to
/// stop by a signal, it takes one last sample first, so the traffic up to
/// the stop is kept. A metrics endpoint, if given, is kept up to date and
/// stopped before the database is closed.
pub fn run(
    config: &Config,
    source: Box<dyn CounterSource + Send>,
    mut store: Store,
    log: &LogHandle,
    signals: &Receiver<Signal>,
    options: &RunOptions,
    metrics: Option<MetricsServer>,
) -> Result<()> {
    let start = Instant::now();
    let mut sampler = Sampler::new(config.sample).with_spike_guard(config.spike_guard.clone());
    let selection = Selection::new(config.interfaces.clone(), config.exclude.clone());
    resume(
        source.as_ref(),
        &mut store,
        &mut sampler,
        (config.interval, selection.fingerprint()),
    );
    let mut retention = if config.cleanup_on_startup {
        plan_retention(config, &store)
    } else {
        None
    };
    let mut next_retention = Instant::now() + RETENTION_EVERY;
    let slice = Duration::from_secs_f64(config.interval * RETENTION_SHARE).min(RETENTION_SLICE_MAX);
    let mut sampling = Sampling {
        source,
        selection,
        sampler,
        writer: Writer::new(store, config.max_pending_cycles, write_wait(config))
            .with_flush_every(config.flush_every),
        stats: metrics.as_ref().map(|server| server.stats().clone()),
        options,
        stdout: std::io::stdout().lock(),
        unreadable: Episode::default(),
        nothing_listed: Episode::default(),
        nothing_selected: Episode::default(),
        last_taken: Instant::now(),
    };
    // With a sample count, a cycle whose read failed counts too: a run of
    // N samples ends after N cycles even when its source is gone.
    let (mut taken, mut unread) = (0u64, Unread::default());
    loop {
        taken += 1;
        if let Err(e) = sampling.take(false) {
            unread.note(e);
        }
        if retention.is_none() && Instant::now() >= next_retention {
            retention = sampling
                .writer
                .store()
                .and_then(|store| plan_retention(config, store));
            next_retention = Instant::now() + RETENTION_EVERY;
        }
        if let (Some(work), Some(store)) = (retention.as_mut(), sampling.writer.store_mut()) {
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
        if wait_until(deadline, signals, log) {
            // The last sample is judged over at least one interval (at most
            // a second), as any cycle is: a counter that a driver updates
            // in bursts never looks like a spike for being read too soon.
            let least = Duration::from_secs_f64(config.interval.min(1.0));
            std::thread::sleep(least.saturating_sub(sampling.last_taken.elapsed()));
            taken += 1;
            if let Err(e) = sampling.take(true) {
                unread.note(e);
            }
            break;
        }
    }
    let Sampling {
        mut writer,
        mut stdout,
        ..
    } = sampling;
    let _ = stdout.flush();
    if let Some(server) = metrics {
        server.stop();
    }
    let outcome = writer.finish();
    if outcome.pending > 0 {
        return Err(Error::runtime(format!(
            "{} cycle(s) could not be written to {}",
            outcome.pending,
            writer.path().display(),
        )));
    }
    if let Some(lost) = writer.lost_files() {
        return Err(Error::runtime(format!(
            "{lost}, and it could not be re-created at {}: the cycles stored since its last \
             checkpoint may be only in the lost files",
            writer.path().display(),
        )));
    }
    tracing::info!(
        cycles_stored = writer.written(),
        cycles_merged = writer.merged(),
        "netmon stopped; every cycle committed"
    );
    match (options.samples, unread.last) {
        (Some(_), Some(e)) => Err(Error::runtime(format!(
            "the counters could not be read in {} of {taken} cycle(s), last: {e}",
            unread.cycles
        ))),
        _ => Ok(()),
    }
}

/// The cycles whose counters could not be read.
#[derive(Default)]
struct Unread {
    /// How many.
    cycles: u64,
    /// Why the last of them failed.
    last: Option<ReadError>,
}

impl Unread {
    fn note(&mut self, error: ReadError) {
        self.cycles += 1;
        self.last = Some(error);
    }
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
        stats.last_write_unix = Some(crate::wallclock::now().timestamp_millis() as f64 / 1000.0);
    }
}

/// Logs `message` once when `happening` starts, and a line when it ends;
/// whether it started now.
fn note(episode: &mut Episode, happening: bool, message: impl FnOnce() -> String) -> bool {
    if happening {
        let started = episode.occurs();
        if started {
            tracing::warn!("{}", message());
        }
        return started;
    }
    if let Some(cycles) = episode.ends() {
        tracing::info!(cycles, "interfaces to store again");
    }
    false
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

/// Continues from the database's resume point (see [`crate::resume`]) and
/// tells the store which boot and selection this run's cycles belong to.
/// `(interval, selection)`: the monitoring interval and
/// [`Selection::fingerprint`].
fn resume(
    source: &dyn CounterSource,
    store: &mut Store,
    sampler: &mut Sampler,
    (interval, selection): (f64, u64),
) {
    let boot = source.boot();
    let start = crate::resume::Start {
        boot: &boot,
        clock: boot_clock(),
        wall: crate::wallclock::now(),
        interval,
        selection,
    };
    let point = store.resume_point();
    let interfaces = point.interfaces.len();
    let resumed = crate::resume::continue_from(point, &start, sampler);
    match resumed {
        Resumed::Fresh if interfaces > 0 => {
            tracing::info!("the stored counters cannot be told to be of this boot: starting fresh")
        }
        Resumed::Fresh => {}
        Resumed::SameBoot { consecutive } => tracing::info!(
            interfaces,
            consecutive,
            "continuing from the stored counters of this boot"
        ),
        Resumed::NewBoot => tracing::info!(
            interfaces,
            "the host rebooted since the last run: each interface's first reading counts its \
             traffic since the boot"
        ),
    }
    if boot.id.is_none() {
        tracing::warn!(
            "cannot tell which boot this is ({} unreadable): a later run will not continue \
             from this one's counters",
            crate::boot::BOOT_ID_PATH
        );
    }
    store.begin_run(boot.id, selection, resumed);
}

/// How long a write waits for another process's lock: half the interval
/// (between 50 ms and 5 s), so a held lock delays sampling only briefly.
pub fn write_wait(config: &Config) -> Duration {
    Duration::from_secs_f64((config.interval / 2.0).clamp(0.05, 5.0))
}

fn plan_retention(config: &Config, store: &Store) -> Option<Retention> {
    Retention::plan(
        crate::wallclock::now(),
        config.retention_days,
        config.rollup_retention_days,
        store.calendar(),
    )
}

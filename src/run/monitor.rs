//! The monitor: the sampling loop (see [`crate::run`]) with the database
//! as its keeper, stdout and the endpoint's statistics as its sinks, and
//! the resume point read before the first cycle.

use crate::config::Config;
use crate::metrics::{MetricsServer, SharedStats};
use crate::run::print;
use crate::run::{Keeper, Limit, Pipeline, Plan, Signal, Sink, SystemClock};
use crate::sample::resume::Resumed;
use crate::sample::select::Selection;
use crate::sample::{Cycle, Sampler};
use crate::source::boot::boot_clock;
use crate::source::CounterSource;
use crate::store::retention::Retention;
use crate::store::writer::Writer;
use crate::store::Store;
use crate::support::error::{Error, Result};
use crate::support::logging::LogHandle;
use std::io::Write;
use std::sync::mpsc::Receiver;
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
pub(crate) struct RunOptions {
    /// Stop after this many samples (`--once` is 1); `None` runs until a signal.
    pub samples: Option<u64>,
    /// Print `--once`'s detailed sample instead of rate lines.
    pub detailed: bool,
    /// Print nothing on stdout.
    pub quiet: bool,
}

/// Prints each cycle on stdout: rate lines, or `--once`'s detailed sample.
/// A closed stdout never stops monitoring.
struct Stdout {
    out: std::io::StdoutLock<'static>,
    detailed: bool,
}

impl Sink for Stdout {
    fn cycle(&mut self, cycle: &Cycle) -> std::io::Result<()> {
        let shown = if self.detailed {
            print::print_sample(&mut self.out, cycle)
        } else {
            print::print_rates(&mut self.out, cycle)
        };
        if let Err(e) = shown {
            tracing::debug!("stdout closed: {e}");
        }
        Ok(())
    }
}

/// Counts the events and read failures the metrics endpoint reports.
struct Events(SharedStats);

impl Sink for Events {
    fn cycle(&mut self, cycle: &Cycle) -> std::io::Result<()> {
        self.0.lock().record_events(cycle);
        Ok(())
    }

    fn read_failed(&mut self) {
        self.0.lock().read_failures += 1;
    }
}

/// Keeps the cycles in the database through the writer, publishes its
/// bookkeeping to the endpoint, and runs retention in slices between
/// cycles, so it never delays one.
struct Keep<'a> {
    writer: Writer,
    stats: Option<SharedStats>,
    config: &'a Config,
    retention: Option<Retention>,
    next_retention: Instant,
    slice: Duration,
}

impl Keeper for Keep<'_> {
    fn keep(&mut self, cycle: Cycle) {
        let outcome = self.writer.submit(cycle);
        if let Some(stats) = &self.stats {
            publish(stats, &self.writer, outcome.written > 0);
        }
    }

    fn between(&mut self) {
        if self.retention.is_none() && Instant::now() >= self.next_retention {
            self.retention = self
                .writer
                .store()
                .and_then(|store| plan_retention(self.config, store));
            self.next_retention = Instant::now() + RETENTION_EVERY;
        }
        let (Some(work), Some(store)) = (self.retention.as_mut(), self.writer.store_mut()) else {
            return;
        };
        match work.step(store, self.slice) {
            Ok(None) => {}
            Ok(Some(done)) => {
                tracing::info!(
                    raw_rows_deleted = done.raw_deleted,
                    rollup_rows_deleted = done.rollup_deleted,
                    batches = done.batches,
                    retention_days = self.config.retention_days,
                    "retention done"
                );
                self.retention = None;
            }
            Err(e) => {
                tracing::warn!("retention failed (will retry in an hour): {e}");
                self.retention = None;
            }
        }
    }
}

/// Runs the monitor with an opened store until done; returns once every
/// cycle is committed (or fails if some could not be written). Asked to
/// stop by a signal, it takes one last sample first, so the traffic up to
/// the stop is kept. A metrics endpoint, if given, is kept up to date and
/// stopped before the database is closed.
pub(crate) fn run(
    config: &Config,
    source: Box<dyn CounterSource + Send>,
    mut store: Store,
    log: &LogHandle,
    signals: Receiver<Signal>,
    options: &RunOptions,
    metrics: Option<MetricsServer>,
) -> Result<()> {
    let mut sampler = Sampler::new(config.sample).with_spike_guard(config.spike_guard.clone());
    let selection = Selection::new(config.interfaces.clone(), config.exclude.clone());
    resume(
        source.as_ref(),
        &mut store,
        &mut sampler,
        (config.interval, selection.fingerprint()),
    );
    let stats = metrics.as_ref().map(|server| server.stats().clone());
    let mut keep = Keep {
        retention: if config.cleanup_on_startup {
            plan_retention(config, &store)
        } else {
            None
        },
        writer: Writer::new(store, config.max_pending_cycles, write_wait(config))
            .with_flush_every(config.flush_every),
        stats: stats.clone(),
        config,
        next_retention: Instant::now() + RETENTION_EVERY,
        slice: Duration::from_secs_f64(config.interval * RETENTION_SHARE).min(RETENTION_SLICE_MAX),
    };
    let mut stdout = Stdout {
        out: std::io::stdout().lock(),
        detailed: options.detailed,
    };
    let mut events = stats.map(Events);
    let mut pipeline = Pipeline::new(source, selection, sampler);
    if !options.quiet {
        pipeline = pipeline.with_sink(&mut stdout);
    }
    if let Some(events) = events.as_mut() {
        pipeline = pipeline.with_sink(events);
    }
    let mut pipeline = pipeline.with_keeper(&mut keep);
    // With a sample count, a cycle whose read failed counts too: a run of
    // N samples ends after N cycles even when its source is gone.
    let plan = Plan {
        interval: config.interval,
        limit: options.samples.map_or(Limit::Endless, Limit::Cycles),
        final_sample: true,
    };
    let mut clock = SystemClock::new(signals);
    // The sinks above never fail: a closed stdout does not stop monitoring.
    let _ = crate::run::run(&plan, &mut pipeline, &mut clock, &mut || log.reopen());
    let (taken, unread) = pipeline.into_tally();
    let _ = stdout.out.flush();
    if let Some(server) = metrics {
        server.stop();
    }
    let Keep { mut writer, .. } = keep;
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

/// Copies the writer's bookkeeping into the endpoint's stats.
fn publish(stats: &SharedStats, writer: &Writer, wrote: bool) {
    let mut stats = stats.lock();
    stats.rows_stored = writer.rows_written();
    stats.cycles_stored = writer.written();
    stats.cycles_pending = writer.pending() as u64;
    stats.cycles_merged = writer.merged();
    stats.write_failures = writer.failures();
    if wrote {
        stats.last_write_unix =
            Some(crate::support::wallclock::now().timestamp_millis() as f64 / 1000.0);
    }
}

/// Continues from the database's resume point (see [`crate::sample::resume`]) and
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
    let start = crate::sample::resume::Start {
        boot: &boot,
        clock: boot_clock(),
        wall: crate::support::wallclock::now(),
        interval,
        selection,
    };
    let point = store.resume_point();
    let interfaces = point.interfaces.len();
    let resumed = crate::sample::resume::continue_from(point, &start, sampler);
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
            crate::source::boot::BOOT_ID_PATH
        );
    }
    store.begin_run(boot.id, selection, resumed);
}

/// How long a write waits for another process's lock: half the interval
/// (between 50 ms and 5 s), so a held lock delays sampling only briefly.
pub(crate) fn write_wait(config: &Config) -> Duration {
    Duration::from_secs_f64((config.interval / 2.0).clamp(0.05, 5.0))
}

fn plan_retention(config: &Config, store: &Store) -> Option<Retention> {
    Retention::plan(
        crate::support::wallclock::now(),
        config.retention_days,
        config.rollup_retention_days,
        store.calendar(),
    )
}

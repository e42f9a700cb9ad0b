//! One cycle: read the counters, select the interfaces, sample them, and
//! hand the cycle to the sinks. Conditions that last (unreadable counters,
//! nothing listed or selected) are logged when they start and end.

use super::ticker::Clock;
use crate::sample::select::Selection;
use crate::sample::{Cycle, Sampler};
use crate::source::{CounterSource, ReadError};
use crate::support::episode::Episode;
use std::io;

/// Something that sees every sampled cycle: a printer, the endpoint's
/// statistics, the live view.
pub(crate) trait Sink {
    /// Sees a cycle with interfaces in it. An error stops the loop.
    fn cycle(&mut self, cycle: &Cycle) -> io::Result<()>;
    /// The counters could not be read this cycle.
    fn read_failed(&mut self) {}
}

/// Where cycles are kept (the store's writer), and what it does between
/// cycles (retention).
pub(crate) trait Keeper {
    /// Keeps a cycle, after the sinks saw it.
    fn keep(&mut self, cycle: Cycle);
    /// Work that runs after each cycle, before the wait for the next.
    fn between(&mut self) {}
}

/// The cycles whose counters could not be read.
#[derive(Debug, Default)]
pub(crate) struct Unread {
    /// How many.
    pub cycles: u64,
    /// Why the last of them failed.
    pub last: Option<ReadError>,
}

/// Reads, selects and samples one cycle at a time, and hands it on.
pub(crate) struct Pipeline<'a> {
    source: Box<dyn CounterSource + Send>,
    selection: Selection,
    sampler: Sampler,
    sinks: Vec<&'a mut dyn Sink>,
    keeper: Option<&'a mut dyn Keeper>,
    unreadable: Episode,
    nothing_listed: Episode,
    nothing_selected: Episode,
    /// When, on the loop's clock, the counters were last read (or tried).
    pub(super) last_taken: f64,
    /// Cycles taken, read or not.
    pub(super) taken: u64,
    /// Cycles with at least one rate.
    pub(super) rated: u64,
    /// Cycles whose counters could not be read.
    pub(super) unread: Unread,
}

impl<'a> Pipeline<'a> {
    /// A pipeline over `source`, keeping the interfaces `selection` picks.
    pub(crate) fn new(
        source: Box<dyn CounterSource + Send>,
        selection: Selection,
        sampler: Sampler,
    ) -> Self {
        Pipeline {
            source,
            selection,
            sampler,
            sinks: Vec::new(),
            keeper: None,
            unreadable: Episode::default(),
            nothing_listed: Episode::default(),
            nothing_selected: Episode::default(),
            last_taken: 0.0,
            taken: 0,
            rated: 0,
            unread: Unread::default(),
        }
    }

    /// Adds a sink, which sees every cycle after those added before it.
    pub(crate) fn with_sink(mut self, sink: &'a mut dyn Sink) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Keeps the cycles in `keeper`.
    pub(crate) fn with_keeper(mut self, keeper: &'a mut dyn Keeper) -> Self {
        self.keeper = Some(keeper);
        self
    }

    /// Ends the pipeline: the cycles it took, and those of them whose
    /// counters could not be read.
    pub(crate) fn into_tally(self) -> (u64, Unread) {
        (self.taken, self.unread)
    }

    /// Runs the keeper's work between cycles.
    pub(super) fn between(&mut self) {
        if let Some(keeper) = self.keeper.as_mut() {
            keeper.between();
        }
    }

    /// Reads the counters once and, when some interface is selected,
    /// samples a cycle and hands it on (`final_sample`: the one taken when
    /// asked to stop). Fails only when a sink does.
    pub(super) fn take(&mut self, final_sample: bool, clock: &impl Clock) -> io::Result<()> {
        self.taken += 1;
        self.last_taken = clock.elapsed();
        let snapshot = match self.source.read() {
            Ok(snapshot) => snapshot,
            Err(e) => {
                // Nobody saw the interfaces this cycle.
                self.sampler.nothing_read();
                for sink in &mut self.sinks {
                    sink.read_failed();
                }
                if self.unreadable.occurs() {
                    tracing::error!(
                        "cannot read counters: {e}; retrying every cycle (logged again when it recovers)"
                    );
                }
                self.unread.cycles += 1;
                self.unread.last = Some(e);
                return Ok(());
            }
        };
        if let Some(missed) = self.unreadable.ends() {
            tracing::info!(missed_cycles = missed, "counters readable again");
        }
        let listed = !snapshot.is_empty();
        let source = self.source.name();
        // What is stored is only worth a line when something stores.
        let storing = self.keeper.is_some();
        let started_unlisted = note(&mut self.nothing_listed, !listed && storing, || {
            format!("{source} lists no interfaces: nothing stored until it does")
        });
        let selected = self.selection.apply(snapshot);
        let started_unselected = note(
            &mut self.nothing_selected,
            listed && selected.is_empty() && storing,
            || {
                "no interface is selected (see interfaces / exclude_interfaces): nothing stored until one is".into()
            },
        );
        let (now, timestamp) = (clock.boot(), clock.wall());
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
                self.keep(cycle);
            }
            return Ok(());
        }
        let mut cycle = self.sampler.sample(&selected, now, timestamp);
        self.sampler.unreadable(&mut cycle, &unreadable);
        if final_sample {
            cycle.mark_final();
        }
        tracing::debug!(rows = cycle.rows.len(), final_sample, "cycle sampled");
        if cycle
            .rows
            .iter()
            .any(|row| row.deltas.is_some() && row.interval_s.is_some())
        {
            self.rated += 1;
        }
        for sink in &mut self.sinks {
            sink.cycle(&cycle)?;
        }
        self.keep(cycle);
        Ok(())
    }

    fn keep(&mut self, cycle: Cycle) {
        if let Some(keeper) = self.keeper.as_mut() {
            keeper.keep(cycle);
        }
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

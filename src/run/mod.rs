//! The one sampling loop, shared by the monitor and `--live`: on each tick
//! of the schedule a [`Pipeline`] reads, selects and samples the counters
//! and hands the cycle to its sinks and keeper; between cycles the keeper
//! does its own work. The loop itself owns no I/O: the clock and signals
//! come in through [`Clock`], the counters through the pipeline's source;
//! [`monitor`] and [`live`] wire it to the database and to stdout.

pub(crate) mod live;
pub(crate) mod monitor;
mod pipeline;
pub(crate) mod print;
#[cfg(test)]
mod tests;
mod ticker;

pub(crate) use pipeline::{Keeper, Pipeline, Sink};
pub(crate) use ticker::{signal_channel, Clock, Signal, SystemClock};

use std::io;
use ticker::{next_tick, Wake};

/// When the loop ends on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// Never: only a stop signal ends it.
    Endless,
    /// After this many cycles, whether their counters could be read or not
    /// (`--once`, `--count` of the monitor).
    Cycles(u64),
    /// After this many cycles with rates (`--count` of `--live`).
    Rated(u64),
}

/// How the loop runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Seconds between cycles.
    pub interval: f64,
    /// When it ends on its own.
    pub limit: Limit,
    /// Asked to stop, take one last cycle first, so the traffic up to the
    /// stop is kept.
    pub final_sample: bool,
}

/// Runs `pipeline` on `clock`'s schedule until `plan`'s limit or a stop
/// signal; `on_reopen` runs for each SIGHUP. Fails when a sink does.
pub(crate) fn run(
    plan: &Plan,
    pipeline: &mut Pipeline,
    clock: &mut impl Clock,
    on_reopen: &mut dyn FnMut(),
) -> io::Result<()> {
    loop {
        pipeline.take(false, clock)?;
        pipeline.between();
        let done = match plan.limit {
            Limit::Endless => false,
            Limit::Cycles(limit) => pipeline.taken >= limit,
            Limit::Rated(limit) => pipeline.rated >= limit,
        };
        if done {
            return Ok(());
        }
        if next_tick(clock, plan.interval, on_reopen) == Wake::Stop {
            if plan.final_sample {
                tracing::info!("stop requested");
                // The last sample is judged over at least one interval (at
                // most a second), as any cycle is: a counter that a driver
                // updates in bursts never looks like a spike for being read
                // too soon.
                let least = plan.interval.min(1.0);
                clock.pause(least - (clock.elapsed() - pipeline.last_taken));
                pipeline.take(true, clock)?;
            }
            return Ok(());
        }
    }
}

//! The fixed cadence and what may interrupt it: cycle k starts at
//! start + k × interval on a clock that never steps back, so the schedule
//! never drifts; a cycle that overran skips to the next free slot instead of
//! running late ones back to back. Signals arrive while waiting.

use chrono::{DateTime, Utc};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// A signal the loop reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// SIGINT or SIGTERM: finish the current cycle, commit, exit 0.
    Stop,
    /// SIGHUP: reopen the log file.
    Reopen,
}

/// Forwards SIGINT, SIGTERM and SIGHUP to a channel the loop waits on.
pub(crate) fn signal_channel() -> std::io::Result<Receiver<Signal>> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let (sender, receiver) = mpsc::channel();
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
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

/// Everything the loop asks of the outside world about time: the schedule's
/// clock, the clocks a sample is stamped with, and waiting (which a signal
/// may cut short). The process has [`SystemClock`]; tests drive a fake one.
pub(crate) trait Clock {
    /// Seconds since the loop started, on a clock that never steps back.
    fn elapsed(&self) -> f64;
    /// Seconds on the boot clock, which intervals between samples are
    /// measured on (it keeps counting while the host is suspended).
    fn boot(&self) -> f64;
    /// The wall-clock time a sample is stamped with.
    fn wall(&self) -> DateTime<Utc>;
    /// Waits until [`Clock::elapsed`] reaches `until`; the signal that
    /// arrived first, if one did.
    fn wait(&mut self, until: f64) -> Option<Signal>;
    /// Sleeps `seconds`, whatever arrives meanwhile.
    fn pause(&mut self, seconds: f64);
}

/// The process's clocks and signals.
pub(crate) struct SystemClock {
    start: Instant,
    signals: Receiver<Signal>,
}

impl SystemClock {
    /// Clocks starting now, woken by `signals`.
    pub(crate) fn new(signals: Receiver<Signal>) -> Self {
        SystemClock {
            start: Instant::now(),
            signals,
        }
    }
}

impl Clock for SystemClock {
    fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    fn boot(&self) -> f64 {
        crate::source::boot::boot_clock()
    }

    fn wall(&self) -> DateTime<Utc> {
        crate::support::wallclock::now()
    }

    fn wait(&mut self, until: f64) -> Option<Signal> {
        let deadline = self.start + Duration::from_secs_f64(until.max(0.0));
        let remaining = deadline.saturating_duration_since(Instant::now());
        match self.signals.recv_timeout(remaining) {
            Ok(signal) => Some(signal),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                std::thread::sleep(remaining);
                None
            }
        }
    }

    fn pause(&mut self, seconds: f64) {
        std::thread::sleep(Duration::from_secs_f64(seconds.max(0.0)));
    }
}

/// Why a wait for the next slot ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wake {
    /// The next slot is here: take a cycle.
    Slot,
    /// A stop signal arrived.
    Stop,
}

/// Waits on `clock` for the slot after now, every `interval` seconds;
/// `on_reopen` runs for each SIGHUP meanwhile.
pub(super) fn next_tick(
    clock: &mut impl Clock,
    interval: f64,
    on_reopen: &mut dyn FnMut(),
) -> Wake {
    let at = next_slot(clock.elapsed(), interval) as f64 * interval;
    loop {
        match clock.wait(at) {
            None => return Wake::Slot,
            Some(Signal::Stop) => return Wake::Stop,
            Some(Signal::Reopen) => on_reopen(),
        }
    }
}

/// The index of the next slot strictly after `elapsed` seconds since start.
fn next_slot(elapsed: f64, interval: f64) -> u64 {
    (elapsed / interval).floor().max(0.0) as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_start_not_the_previous_cycle() {
        assert_eq!(next_slot(0.0, 1.0), 1);
        assert_eq!(next_slot(0.03, 1.0), 1);
        assert_eq!(next_slot(1.02, 1.0), 2);
        assert_eq!(next_slot(0.21, 0.2), 2);
    }

    #[test]
    fn overrun_skips_to_the_next_free_slot() {
        // Cycle 1 started at 1.0 s and took 1.7 s: slot 2 (2.0 s) is gone.
        assert_eq!(next_slot(2.7, 1.0), 3);
        assert_eq!(next_slot(125.0, 60.0), 3);
    }
}

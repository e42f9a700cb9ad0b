//! Synthetic but realistic traffic history, written through the store's own
//! write path with a simulated clock: for benchmarks, demos and the
//! `synth_history` example.

use crate::model::counters::Counters;
use crate::sample::{SampleOptions, Sampler};
use crate::source::InterfaceCounters;
use crate::store::Store;
use chrono::{DateTime, Duration, Timelike, Utc};
use std::path::Path;

/// What history to write.
#[derive(Debug, Clone)]
pub struct SynthSpec {
    /// Days of history, ending now.
    pub days: u32,
    /// Seconds between samples.
    pub interval: f64,
    /// Number of interfaces (`eth0`, `eth1`, ...).
    pub interfaces: usize,
    /// Seed of the traffic noise.
    pub seed: u64,
}

/// Deterministic noise (a linear congruential generator).
struct Noise(u64);

impl Noise {
    /// A value in [0, 1).
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Daily shape: quiet at 04:00, busiest at 16:00 (UTC).
fn diurnal(at: DateTime<Utc>) -> f64 {
    let hour = f64::from(at.hour()) + f64::from(at.minute()) / 60.0;
    1.05 + (std::f64::consts::TAU * (hour - 10.0) / 24.0).sin()
}

/// Writes the history to `path` (created if missing, its days in UTC);
/// `progress` is called
/// with the fraction done every 10 000 cycles. Returns the number of cycles.
pub fn write_history(
    path: &Path,
    spec: &SynthSpec,
    mut progress: impl FnMut(f64),
) -> Result<u64, crate::store::StoreError> {
    // Days in UTC, whatever this process's zone: benchmarks query it so.
    let utc = crate::model::calendar::Calendar::utc();
    let mut store = Store::open_in(path, std::time::Duration::from_secs(5), Some(&utc))?;
    let mut sampler = Sampler::new(SampleOptions::default());
    let mut noise = Noise(spec.seed);
    let cycles = (f64::from(spec.days) * 86_400.0 / spec.interval) as u64;
    let start = Utc::now() - Duration::days(i64::from(spec.days));
    let mut counters = vec![Counters::default(); spec.interfaces];
    let names: Vec<String> = (0..spec.interfaces).map(|i| format!("eth{i}")).collect();
    for cycle in 0..cycles {
        let seconds = cycle as f64 * spec.interval;
        let at = start + Duration::milliseconds((seconds * 1000.0) as i64);
        let shape = diurnal(at);
        let snapshot: Vec<InterfaceCounters> = counters
            .iter_mut()
            .enumerate()
            .map(|(i, c)| {
                // A few counter resets (driver reloads) per interface per year.
                if cycle > 0 && (cycle + i as u64 * 7_919).is_multiple_of(150_000) {
                    *c = Counters::default();
                }
                let base = 200_000.0 / (i as f64 + 1.0);
                let recv = (base * shape * (0.5 + noise.next()) * spec.interval) as u64;
                let sent = (recv as f64 * (0.1 + 0.2 * noise.next())) as u64;
                c.bytes_recv += recv;
                c.bytes_sent += sent;
                c.packets_recv += recv / 900 + 1;
                c.packets_sent += sent / 400 + 1;
                c.dropin += u64::from(noise.next() < 0.001);
                InterfaceCounters {
                    name: names[i].clone(),
                    ifindex: None,
                    counters: *c,
                }
            })
            .collect();
        store.write_cycle(&sampler.sample(&snapshot, seconds, at))?;
        if cycle.is_multiple_of(10_000) {
            progress(cycle as f64 / cycles as f64);
        }
    }
    Ok(cycles)
}

/// Histories older than this are rewritten by [`cached_history`], so that
/// they end about now (summaries' default windows follow the clock).
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The benchmarks' history of `days` days (60 s samples, 8 interfaces) in
/// `dir/history-{days}d.db`, written when missing, of an older schema or
/// over a day old (the 365-day one takes a minute or two).
pub fn cached_history(
    dir: &Path,
    days: u32,
) -> Result<std::path::PathBuf, crate::store::StoreError> {
    let path = dir.join(format!("history-{days}d.db"));
    let age = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|modified| modified.elapsed().ok());
    use crate::store::schema::{inspect, Kind, SCHEMA_VERSION};
    let current_schema = inspect(&path).is_ok_and(|kind| kind == Kind::Netmon(SCHEMA_VERSION));
    if !current_schema || age.is_none_or(|age| age > STALE_AFTER) {
        std::fs::create_dir_all(dir).map_err(|source| crate::store::StoreError::Create {
            path: dir.to_path_buf(),
            source,
        })?;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let spec = SynthSpec {
            days,
            interval: 60.0,
            interfaces: 8,
            seed: 1,
        };
        eprintln!("writing {} (once a day)", path.display());
        write_history(&path, &spec, |_| {})?;
    }
    Ok(path)
}

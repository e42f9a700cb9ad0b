//! Human-readable units and the per-cycle lines printed on stdout.

use crate::sampler::{Cycle, Row};
use chrono::Local;
use std::io::Write;

const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// Scales a byte count to IEC units: (value, unit index).
fn scaled(bytes: f64) -> (f64, usize) {
    let mut value = bytes;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    (value, unit)
}

fn with_unit(bytes: f64, suffix: &str) -> String {
    match scaled(bytes) {
        (value, 0) => format!("{value:.0} B{suffix}"),
        (value, unit) => format!("{value:.2} {}{suffix}", UNITS[unit]),
    }
}

/// Formats a byte count with IEC units: `512 B`, `1.50 KiB`, `3.21 GiB`.
pub fn human_bytes(bytes: f64) -> String {
    with_unit(bytes, "")
}

/// Formats a rate in bytes per second, or `-` when unknown.
pub fn human_rate(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".to_string(), |r| with_unit(r, "/s"))
}

/// Prints one continuous-mode line per row: time, interface, rx and tx rates.
pub fn print_rates(out: &mut impl Write, cycle: &Cycle) -> std::io::Result<()> {
    let time = cycle
        .timestamp
        .with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S");
    for row in &cycle.rows {
        writeln!(
            out,
            "{time}  {:<16} rx {:>13}  tx {:>13}",
            row.interface,
            human_rate(row.bytes_recv_rate),
            human_rate(row.bytes_sent_rate)
        )?;
    }
    out.flush()
}

/// Prints a `--once` sample: counters, deltas where known, and rates.
pub fn print_sample(out: &mut impl Write, cycle: &Cycle) -> std::io::Result<()> {
    let time = cycle
        .timestamp
        .with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S %Z");
    writeln!(out, "sample at {time}")?;
    writeln!(
        out,
        "{:<16} {:>12} {:>12} {:>12} {:>12} {:>8} {:>8} {:>8} {:>8} {:>13} {:>13}",
        "interface",
        "rx bytes",
        "tx bytes",
        "rx packets",
        "tx packets",
        "rx errs",
        "tx errs",
        "rx drop",
        "tx drop",
        "rx rate",
        "tx rate"
    )?;
    for row in &cycle.rows {
        write_sample_row(out, row)?;
    }
    out.flush()
}

fn write_sample_row(out: &mut impl Write, row: &Row) -> std::io::Result<()> {
    let c = &row.counters;
    writeln!(
        out,
        "{:<16} {:>12} {:>12} {:>12} {:>12} {:>8} {:>8} {:>8} {:>8} {:>13} {:>13}",
        row.interface,
        human_bytes(c.bytes_recv as f64),
        human_bytes(c.bytes_sent as f64),
        c.packets_recv,
        c.packets_sent,
        c.errin,
        c.errout,
        c.dropin,
        c.dropout,
        human_rate(row.bytes_recv_rate),
        human_rate(row.bytes_sent_rate)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iec_units() {
        assert_eq!(human_bytes(0.0), "0 B");
        assert_eq!(human_bytes(1023.0), "1023 B");
        assert_eq!(human_bytes(1536.0), "1.50 KiB");
        assert_eq!(human_bytes(5.0 * 1024.0 * 1024.0 * 1024.0), "5.00 GiB");
        assert_eq!(human_bytes(u64::MAX as f64), "16.00 EiB");
        assert_eq!(human_rate(None), "-");
        assert_eq!(human_rate(Some(2048.0)), "2.00 KiB/s");
    }
}

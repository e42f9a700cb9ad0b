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

/// A byte count with IEC units: `512 B`, `1.50 KiB`, `3.21 GiB`. Honours
/// width and alignment (`{:>11}`) and formats without allocating: a
/// `--by hour --since all` table prints hundreds of thousands of these.
#[derive(Debug, Clone, Copy)]
pub struct HumanBytes(pub f64);

/// A rate in bytes per second with IEC units (`2.00 KiB/s`), or `-` when
/// unknown; formats like [`HumanBytes`].
#[derive(Debug, Clone, Copy)]
pub struct HumanRate(pub Option<f64>);

impl std::fmt::Display for HumanBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_with_unit(f, self.0, "")
    }
}

impl std::fmt::Display for HumanRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(rate) => write_with_unit(f, rate, "/s"),
            None => f.pad("-"),
        }
    }
}

/// Writes `value` scaled to its IEC unit, with no decimals for bytes and two
/// for KiB and up: the same text as `format!("{:.2}")`, from integers.
fn write_with_unit(f: &mut std::fmt::Formatter<'_>, value: f64, suffix: &str) -> std::fmt::Result {
    let (scaled, unit) = scaled(value);
    let decimals = if unit == 0 { 0 } else { 2 };
    let Some(fixed) = to_fixed_point(scaled, decimals) else {
        // Not finite, or beyond 2^64 hundredths: the standard (allocating) formatting.
        return f.pad(&format!(
            "{scaled:.*} {}{suffix}",
            decimals as usize, UNITS[unit]
        ));
    };
    let mut text = StackText::default();
    if scaled.is_sign_negative() {
        text.push("-");
    }
    if decimals == 0 {
        text.push_decimal(fixed, 1);
    } else {
        text.push_decimal(fixed / 100, 1);
        text.push(".");
        text.push_decimal(fixed % 100, 2);
    }
    text.push(" ");
    text.push(UNITS[unit]);
    text.push(suffix);
    f.pad(text.as_str()?)
}

/// `|value| x 10^decimals` rounded to an integer, half to even, exactly as
/// the standard library rounds `{:.N}` (it works on the exact binary value,
/// mantissa x 2^exponent, not on a rounded product). `None` when not finite
/// or above `u64::MAX`. `decimals` is at most 2.
fn to_fixed_point(value: f64, decimals: u32) -> Option<u64> {
    if !value.is_finite() {
        return None;
    }
    let bits = value.abs().to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (mantissa, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    };
    // Below 2^53 x 100 < 2^60: no overflow.
    let scaled = mantissa * 10u64.pow(decimals);
    if exponent >= 0 {
        let shifted = scaled.checked_shl(exponent.unsigned_abs())?;
        return (shifted >> exponent == scaled).then_some(shifted);
    }
    let shift = exponent.unsigned_abs();
    if shift >= 64 {
        return Some(0); // below 2^-4: rounds to zero, and is no tie
    }
    let quotient = scaled >> shift;
    let remainder = scaled & ((1 << shift) - 1);
    let half = 1 << (shift - 1);
    let round_up = remainder > half || (remainder == half && quotient & 1 == 1);
    Some(quotient + u64::from(round_up))
}

/// A short text built on the stack: room for a sign, the 20 digits of a
/// `u64`, two decimals and the longest unit.
struct StackText {
    bytes: [u8; 40],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        StackText {
            bytes: [0; 40],
            len: 0,
        }
    }
}

impl StackText {
    /// Appends `text`.
    fn push(&mut self, text: &str) {
        self.push_bytes(text.as_bytes());
    }

    /// Appends `n` in decimal, zero-padded to at least `width` (<= 20) digits.
    fn push_decimal(&mut self, mut n: u64, width: usize) {
        let mut digits = [b'0'; 20];
        let mut start = digits.len();
        while start > 0 && (n > 0 || digits.len() - start < width) {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        self.push_bytes(&digits[start..]);
    }

    /// Appends ASCII `bytes`; what does not fit is dropped (nothing written
    /// here is longer than the buffer).
    fn push_bytes(&mut self, bytes: &[u8]) {
        let end = (self.len + bytes.len()).min(self.bytes.len());
        self.bytes[self.len..end].copy_from_slice(&bytes[..end - self.len]);
        self.len = end;
    }

    fn as_str(&self) -> Result<&str, std::fmt::Error> {
        std::str::from_utf8(&self.bytes[..self.len]).map_err(|_| std::fmt::Error)
    }
}

/// Narrowest interface column.
const NAME_WIDTH: usize = 16;

/// Width of the interface column for a cycle: its longest name, at least
/// [`NAME_WIDTH`] (names are already printable: see [`crate::ifname`]).
fn name_width(cycle: &Cycle) -> usize {
    cycle
        .rows
        .iter()
        .map(|r| r.interface.chars().count())
        .max()
        .unwrap_or(0)
        .max(NAME_WIDTH)
}

/// Prints one continuous-mode line per row: time, interface, rx and tx rates.
pub fn print_rates(out: &mut impl Write, cycle: &Cycle) -> std::io::Result<()> {
    let time = cycle
        .timestamp
        .with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S");
    let width = name_width(cycle);
    for row in &cycle.rows {
        writeln!(
            out,
            "{time}  {:<width$} rx {:>13}  tx {:>13}",
            row.interface,
            HumanRate(row.bytes_recv_rate),
            HumanRate(row.bytes_sent_rate)
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
    let width = name_width(cycle);
    writeln!(
        out,
        "{:<width$} {:>12} {:>12} {:>12} {:>12} {:>8} {:>8} {:>8} {:>8} {:>13} {:>13}",
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
        write_sample_row(out, row, width)?;
    }
    out.flush()
}

fn write_sample_row(out: &mut impl Write, row: &Row, width: usize) -> std::io::Result<()> {
    let c = &row.counters;
    writeln!(
        out,
        "{:<width$} {:>12} {:>12} {:>12} {:>12} {:>8} {:>8} {:>8} {:>8} {:>13} {:>13}",
        row.interface,
        HumanBytes(c.bytes_recv as f64),
        HumanBytes(c.bytes_sent as f64),
        c.packets_recv,
        c.packets_sent,
        c.errin,
        c.errout,
        c.dropin,
        c.dropout,
        HumanRate(row.bytes_recv_rate),
        HumanRate(row.bytes_sent_rate)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(value: f64) -> String {
        HumanBytes(value).to_string()
    }

    /// What the table printed before [`to_fixed_point`]: `format!` on the
    /// scaled float.
    fn reference(value: f64) -> String {
        match scaled(value) {
            (scaled, 0) => format!("{scaled:.0} B"),
            (scaled, unit) => format!("{scaled:.2} {}", UNITS[unit]),
        }
    }

    #[test]
    fn iec_units() {
        assert_eq!(bytes(0.0), "0 B");
        assert_eq!(bytes(1023.0), "1023 B");
        assert_eq!(bytes(1536.0), "1.50 KiB");
        assert_eq!(bytes(5.0 * 1024.0 * 1024.0 * 1024.0), "5.00 GiB");
        assert_eq!(bytes(u64::MAX as f64), "16.00 EiB");
        assert_eq!(HumanRate(None).to_string(), "-");
        assert_eq!(HumanRate(Some(2048.0)).to_string(), "2.00 KiB/s");
        assert_eq!(format!("[{:>10}]", HumanBytes(1536.0)), "[  1.50 KiB]");
        assert_eq!(format!("[{:<4}]", HumanRate(None)), "[-   ]");
    }

    #[test]
    fn fixed_point_text_equals_the_standard_formatting() {
        let mut values: Vec<f64> = (0..5_000).map(f64::from).collect();
        // Exact ties at the second decimal (x.125, x.375, ...) in every unit.
        for unit in 0..7 {
            let scale = 1024f64.powi(unit);
            for eighths in 0..4_000 {
                values.push(f64::from(eighths) / 8.0 * scale);
            }
        }
        // Pseudo-random byte counts and rates across the whole range.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            values.push((state >> (state % 64)) as f64);
            values.push(f64::from_bits(state >> 2) % 1e15);
        }
        values.extend([0.5, 1.5, 2.5, 1023.5, 1e-300, f64::MIN_POSITIVE, 1e300]);
        values.extend([-1536.0, -0.0, f64::NAN, f64::INFINITY, 1.8e35, 2.2e35, 1e20]);
        for value in values {
            assert_eq!(bytes(value), reference(value), "{value:e}");
        }
    }
}

//! The units netmon prints in, in one place: the ladders of byte and bit
//! units ([`Steps`]), their text ([`HumanBytes`], [`HumanRate`],
//! [`BitRate`]), rates per second, the interface column's width and a
//! received/sent pair ([`RxTx`]). Formats; never reads or writes anything.

use std::fmt;

/// One ladder of units, each `base` times the one before it.
#[derive(Debug)]
pub(crate) struct Steps {
    /// How much bigger each unit is than the one before.
    base: f64,
    /// The units, smallest first.
    units: &'static [&'static str],
    /// Decimals shown in the smallest unit (every larger one shows two).
    first_decimals: u32,
}

/// Bytes in IEC units: `512 B`, `1.50 KiB`, `3.21 GiB`.
pub(crate) const IEC_BYTES: Steps = Steps {
    base: 1024.0,
    units: &["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"],
    first_decimals: 0,
};

/// Bits in SI units: `12.00 bit`, `12.34 Mbit`.
pub(crate) const SI_BITS: Steps = Steps {
    base: 1000.0,
    units: &["bit", "kbit", "Mbit", "Gbit", "Tbit"],
    first_decimals: 2,
};

impl Steps {
    /// `value` in the largest unit of which it is at least one (the
    /// smallest unit below that, the largest beyond): (scaled value, unit
    /// index).
    pub(crate) fn scale(&self, value: f64) -> (f64, usize) {
        let mut scaled = value;
        let mut unit = 0;
        while scaled.abs() >= self.base && unit < self.units.len() - 1 {
            scaled /= self.base;
            unit += 1;
        }
        (scaled, unit)
    }

    /// The name of unit `index`.
    pub(crate) fn name(&self, index: usize) -> &'static str {
        self.units[index]
    }

    /// How many of the smallest unit make one of unit `index`.
    pub(crate) fn size(&self, index: usize) -> f64 {
        self.base.powi(index as i32)
    }

    /// Writes `value` scaled to its unit, then `suffix`: the same text as
    /// `format!("{:.N} {unit}{suffix}")`, from integers and without
    /// allocating (a `--by hour --since all` table prints hundreds of
    /// thousands of these). Honours width and alignment.
    fn write(&self, f: &mut fmt::Formatter<'_>, value: f64, suffix: &str) -> fmt::Result {
        let (scaled, unit) = self.scale(value);
        let decimals = if unit == 0 { self.first_decimals } else { 2 };
        let Some(fixed) = to_fixed_point(scaled, decimals) else {
            // Not finite, or beyond 2^64 hundredths: the standard (allocating) formatting.
            return f.pad(&format!(
                "{scaled:.*} {}{suffix}",
                decimals as usize,
                self.name(unit)
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
        text.push(self.name(unit));
        text.push(suffix);
        f.pad(text.as_str()?)
    }
}

/// A byte count in [`IEC_BYTES`]: `512 B`, `1.50 KiB`, `3.21 GiB`. Honours
/// width and alignment (`{:>11}`) and formats without allocating.
#[derive(Debug, Clone, Copy)]
pub struct HumanBytes(pub f64);

/// A rate in bytes per second in [`IEC_BYTES`] (`2.00 KiB/s`), or `-` when
/// unknown; formats like [`HumanBytes`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct HumanRate(pub Option<f64>);

/// A rate given in bytes per second, shown in bits per second in
/// [`SI_BITS`] (`12.34 Mbit/s`), or `-` when unknown.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BitRate(pub Option<f64>);

impl fmt::Display for HumanBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        IEC_BYTES.write(f, self.0, "")
    }
}

impl fmt::Display for HumanRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(rate) => IEC_BYTES.write(f, rate, "/s"),
            None => f.pad("-"),
        }
    }
}

impl fmt::Display for BitRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(rate) => SI_BITS.write(f, rate * 8.0, "/s"),
            None => f.pad("-"),
        }
    }
}

/// `amount` per second over `seconds`; `None` over no time.
pub(crate) fn per_second(amount: u64, seconds: f64) -> Option<f64> {
    (seconds > 0.0).then(|| amount as f64 / seconds)
}

/// Width of an interface column: its longest name in characters, at least
/// `narrowest` (names are already printable: see [`crate::model::ifname`]).
pub(crate) fn name_width<S: AsRef<str>>(
    names: impl IntoIterator<Item = S>,
    narrowest: usize,
) -> usize {
    names
        .into_iter()
        .map(|name| name.as_ref().chars().count())
        .max()
        .unwrap_or(0)
        .max(narrowest)
}

/// Something received and its counterpart sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RxTx<T> {
    /// Received.
    pub recv: T,
    /// Sent.
    pub sent: T,
}

impl<T> RxTx<T> {
    /// Both directions through `f`.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> RxTx<U> {
        RxTx {
            recv: f(self.recv),
            sent: f(self.sent),
        }
    }
}

impl RxTx<u64> {
    /// Received plus sent.
    pub fn total(self) -> u64 {
        self.recv + self.sent
    }
}

impl<T> From<(T, T)> for RxTx<T> {
    /// From `(received, sent)`.
    fn from((recv, sent): (T, T)) -> Self {
        RxTx { recv, sent }
    }
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

    fn as_str(&self) -> Result<&str, fmt::Error> {
        std::str::from_utf8(&self.bytes[..self.len]).map_err(|_| fmt::Error)
    }
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
        match IEC_BYTES.scale(value) {
            (scaled, 0) => format!("{scaled:.0} B"),
            (scaled, unit) => format!("{scaled:.2} {}", IEC_BYTES.name(unit)),
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

    /// Ties, pseudo-random counts and rates across the whole range, and
    /// the awkward floats.
    fn awkward_values() -> Vec<f64> {
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
        values
    }

    #[test]
    fn fixed_point_text_equals_the_standard_formatting() {
        for value in awkward_values() {
            assert_eq!(bytes(value), reference(value), "{value:e}");
        }
    }

    /// What the percentile table printed before [`SI_BITS`]: `format!` on
    /// the scaled float (rates are never negative).
    fn bits_reference(bytes: f64) -> String {
        const UNITS: [&str; 5] = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"];
        let mut value = bytes * 8.0;
        let mut unit = 0;
        while value >= 1000.0 && unit < UNITS.len() - 1 {
            value /= 1000.0;
            unit += 1;
        }
        format!("{value:.2} {}", UNITS[unit])
    }

    #[test]
    fn bit_rates_equal_the_standard_formatting() {
        for rate in awkward_values()
            .into_iter()
            .filter(|v| !v.is_sign_negative())
        {
            assert_eq!(
                BitRate(Some(rate)).to_string(),
                bits_reference(rate),
                "{rate:e}"
            );
        }
    }

    #[test]
    fn bits_per_second_take_si_units_with_two_decimals() {
        let bits = |rate: Option<f64>| BitRate(rate).to_string();
        assert_eq!(bits(None), "-");
        assert_eq!(bits(Some(1.5)), "12.00 bit/s");
        assert_eq!(bits(Some(125.0)), "1.00 kbit/s");
        assert_eq!(bits(Some(1_542_500.0)), "12.34 Mbit/s");
        assert_eq!(bits(Some(1e15)), "8000.00 Tbit/s");
        assert_eq!(
            format!("[{:>14}]", BitRate(Some(125.0))),
            "[   1.00 kbit/s]"
        );
    }

    #[test]
    fn the_ladders_scale_by_their_base() {
        assert_eq!(IEC_BYTES.scale(1536.0), (1.5, 1));
        assert_eq!(IEC_BYTES.size(3), 1024.0 * 1024.0 * 1024.0);
        assert_eq!(SI_BITS.scale(2500.0), (2.5, 1));
        assert_eq!(per_second(10, 4.0), Some(2.5));
        assert_eq!(per_second(10, 0.0), None);
        assert_eq!(name_width(["eth0", "wlp0s20f3xyz"], 4), 12);
        assert_eq!(name_width(Vec::<&str>::new(), 16), 16);
        assert_eq!(RxTx::from((1, 2)).map(|n| n * 10).total(), 30);
    }
}

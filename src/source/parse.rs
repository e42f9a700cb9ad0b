//! The pure `/proc/net/dev` parser: text in, interfaces out, a malformed
//! line costing only itself.

use super::{DeviceColumns, InterfaceCounters, ParseError, STORED_COLUMNS};
use crate::model::counters::Counters;
use crate::model::ifname;
use std::collections::HashSet;

/// Longest part of a malformed line quoted in an error.
pub(super) const MAX_QUOTED: usize = 120;

/// What a read of `/proc/net/dev` text gave: the interfaces of every
/// well-formed line, and the first malformed line with how many there were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    /// One entry per well-formed interface line, in file order.
    pub interfaces: Vec<T>,
    /// The first line that could not be read, if any.
    pub first_skipped: Option<ParseError>,
    /// Lines that could not be read (skipped).
    pub skipped: usize,
    /// The names (as stored) of the skipped lines that had one: those
    /// interfaces were listed, though their counters could not be read.
    pub unreadable: Vec<String>,
}

impl<T> Parsed<T> {
    /// The interfaces, unless the text had lines and none could be read
    /// (then it is not in `/proc/net/dev` format at all: the first error).
    pub fn into_result(self) -> Result<Vec<T>, ParseError> {
        match self.first_skipped {
            Some(error) if self.interfaces.is_empty() => Err(error),
            _ => Ok(self.interfaces),
        }
    }
}

/// Parses the text of `/proc/net/dev` (or `/proc/<pid>/net/dev`).
///
/// The two header lines are skipped; each other non-blank line must be
/// `NAME: 16 unsigned integers`. The name ends at the line's last `:`, as
/// node_exporter reads it (old kernels listed aliases such as `ibr10:30`),
/// and may be glued to the first number (`veth1234567890a:123 ...`). Names
/// are bytes: one that is not printable UTF-8 is escaped
/// ([`ifname::escape`]), never an error. A malformed line (or a name listed
/// twice) costs that line only: it is counted and the first one kept, with
/// its line number and (shortened) content.
pub fn parse_proc_net_dev(text: &[u8]) -> Parsed<InterfaceCounters> {
    parse_lines(text, |name, fields| InterfaceCounters {
        name,
        ifindex: None,
        counters: Counters::from_array(STORED_COLUMNS.map(|column| fields[column])),
    })
}

/// Parses `/proc/net/dev` text like [`parse_proc_net_dev`], keeping all 16
/// columns of every interface.
pub(crate) fn parse_all_columns(text: &[u8]) -> Parsed<DeviceColumns> {
    parse_lines(text, |name, fields| DeviceColumns {
        name,
        values: fields.map(Some),
    })
}

/// The line rules of [`parse_proc_net_dev`]: builds an entry from each
/// interface's stored name and its 16 counters.
pub(super) fn parse_lines<T>(
    text: &[u8],
    mut entry: impl FnMut(String, [u64; 16]) -> T,
) -> Parsed<T> {
    let mut parsed = Parsed {
        interfaces: Vec::new(),
        first_skipped: None,
        skipped: 0,
        unreadable: Vec::new(),
    };
    let mut seen = HashSet::new();
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() || (index < 2 && line.contains(&b'|')) {
            continue;
        }
        match parse_line(line, &mut seen) {
            Ok((name, fields)) => parsed.interfaces.push(entry(name, fields)),
            Err((reason, name)) => {
                parsed.skipped += 1;
                parsed.unreadable.extend(name);
                parsed.first_skipped.get_or_insert_with(|| ParseError {
                    line: index + 1,
                    reason,
                    content: quoted(line),
                });
            }
        }
    }
    parsed
}

/// One interface line: its stored name and 16 counters, or why not (and
/// the name of an interface whose counters could not be read).
pub(super) fn parse_line<'a>(
    line: &'a [u8],
    seen: &mut HashSet<&'a [u8]>,
) -> Result<(String, [u64; 16]), (String, Option<String>)> {
    let colon = line
        .iter()
        .rposition(|&b| b == b':')
        .ok_or(("no ':' after the interface name".to_string(), None))?;
    let (raw_name, numbers) = (line[..colon].trim_ascii(), &line[colon + 1..]);
    if raw_name.is_empty() {
        return Err(("empty interface name".into(), None));
    }
    // Escaping is one-to-one, so the raw names tell repeats.
    if !seen.insert(raw_name) {
        return Err(("interface listed twice".into(), None));
    }
    let fields = parse_counters(numbers)
        .map_err(|reason| (reason.to_string(), Some(ifname::escape(raw_name))))?;
    Ok((ifname::escape(raw_name), fields))
}

/// A line (or part of one) as quoted in an error, between double quotes:
/// lossily decoded, control characters, quotes and backslashes escaped as
/// Rust writes them (`\u{1b}`), at most [`MAX_QUOTED`] characters of that.
pub(super) fn quoted(line: &[u8]) -> String {
    let mut out = String::from("\"");
    for c in String::from_utf8_lossy(line).chars() {
        let escaped: String = if c.is_control() || c == '"' || c == '\\' {
            c.escape_debug().collect()
        } else {
            c.into()
        };
        if out.len() + escaped.len() > MAX_QUOTED + 1 {
            out.push_str("...");
            break;
        }
        out.push_str(&escaped);
    }
    out.push('"');
    out
}

/// Why the counters after an interface name cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum CountersError {
    /// A 17th number.
    #[error("more than 16 counters")]
    TooMany,
    /// A token that is not a counter, [`quoted`].
    #[error("counter {0} is not an unsigned integer")]
    NotACounter(String),
    /// Fewer than 16 numbers (how many).
    #[error("expected 16 counters, found {0}")]
    TooFew(usize),
}

/// The 16 whitespace-separated unsigned counters after an interface name.
pub(super) fn parse_counters(numbers: &[u8]) -> Result<[u64; 16], CountersError> {
    let mut fields = [0u64; 16];
    let mut count = 0;
    let mut rest = numbers.trim_ascii_start();
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(u8::is_ascii_whitespace)
            .unwrap_or(rest.len());
        let (token, tail) = rest.split_at(end);
        if count == fields.len() {
            return Err(CountersError::TooMany);
        }
        fields[count] = decimal(token).ok_or_else(|| CountersError::NotACounter(quoted(token)))?;
        count += 1;
        rest = tail.trim_ascii_start();
    }
    if count != fields.len() {
        return Err(CountersError::TooFew(count));
    }
    Ok(fields)
}

/// The value of a run of ASCII digits (as the kernel prints counters);
/// `None` for anything else or a value beyond 64 bits.
pub(super) fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |value, &b| {
        let digit = b.is_ascii_digit().then(|| b - b'0')?;
        value.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

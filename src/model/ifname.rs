//! Interface names as stored and printed. The kernel's names are bytes: any
//! byte but `/`, `:`, whitespace and NUL, not necessarily UTF-8. netmon stores
//! each under one printable, distinct text:
//!
//! - a byte that is not part of valid UTF-8, every control character (C0,
//!   DEL, C1) and every invisible one that changes how text around it
//!   reads (Unicode's format characters, such as U+202E RIGHT-TO-LEFT
//!   OVERRIDE and U+200B ZERO WIDTH SPACE, and the line and paragraph
//!   separators) is written `\xNN` (each byte of its encoding);
//! - a backslash is written `\\`, so an escape can never be mistaken for a
//!   real name;
//! - a real interface named exactly `_total` is stored as `\x5ftotal`, so the
//!   synthetic sum row keeps its name.
//!
//! [`escape`] and [`unescape`] are inverse: distinct kernel names give
//! distinct stored names.

use crate::sample::TOTAL_INTERFACE;
use std::borrow::Cow;
use std::fmt::Write;

/// The printable, distinct text a kernel interface name is stored under.
pub(crate) fn escape(raw: &[u8]) -> String {
    if raw == TOTAL_INTERFACE.as_bytes() {
        return format!("\\x{:02x}{}", b'_', &TOTAL_INTERFACE[1..]);
    }
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        push_bytes(&mut out, chunk.invalid());
    }
    out
}

/// Makes a name read back from a database (or given by a user) safe for a
/// terminal: control and format characters become `\xNN`. Names netmon
/// stored are already printable and come back borrowed, unchanged.
pub(crate) fn printable(name: &str) -> Cow<'_, str> {
    if !name.chars().any(is_hidden) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        if is_hidden(c) {
            push_bytes(&mut out, c.encode_utf8(&mut [0; 4]).as_bytes());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The kernel bytes of a stored name (the inverse of [`escape`]); `None` when
/// `stored` is not something [`escape`] produces.
pub(crate) fn unescape(stored: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(stored.len());
    let mut rest = stored.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first != b'\\' {
            out.push(first);
            rest = tail;
            continue;
        }
        match tail {
            [b'\\', after @ ..] => {
                out.push(b'\\');
                rest = after;
            }
            [b'x', high, low, after @ ..] => {
                let hex = [*high, *low];
                let text = std::str::from_utf8(&hex).ok()?;
                out.push(u8::from_str_radix(text, 16).ok()?);
                rest = after;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Whether `c` is written `\xNN` rather than shown: a control character,
/// or one that is invisible yet changes how the text around it is shown or
/// copied (a format character, a line or paragraph separator).
fn is_hidden(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    c.is_control()
        || matches!(
            c.general_category(),
            GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        c if is_hidden(c) => push_bytes(out, c.encode_utf8(&mut [0; 4]).as_bytes()),
        c => out.push(c),
    }
}

fn push_bytes(out: &mut String, bytes: &[u8]) {
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "\\x{byte:02x}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_are_stored_as_they_are() {
        for name in [
            "eth0",
            "wlp2s0",
            "veth1234567890a",
            "br-9f3c",
            "wg0.100",
            "_tot",
        ] {
            assert_eq!(escape(name.as_bytes()), name);
            assert!(matches!(printable(name), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_escaped() {
        assert_eq!(escape(b"x\xff"), "x\\xff");
        assert_eq!(escape(b"\xc3\x28a"), "\\xc3(a");
        // Valid multi-byte UTF-8 is kept.
        assert_eq!(escape("caf\u{e9}".as_bytes()), "caf\u{e9}");
    }

    #[test]
    fn control_characters_are_escaped_so_names_are_printable() {
        assert_eq!(escape(b"a\x1b[31m"), "a\\x1b[31m");
        assert_eq!(escape(b"bell\x07"), "bell\\x07");
        assert_eq!(escape(b"del\x7f"), "del\\x7f");
        // C1 control U+0085 is escaped byte by byte.
        assert_eq!(escape("n\u{85}".as_bytes()), "n\\xc2\\x85");
        assert_eq!(printable("a\x1b[0m\x07"), "a\\x1b[0m\\x07");
    }

    #[test]
    fn invisible_characters_that_reorder_or_hide_text_are_escaped() {
        // RIGHT-TO-LEFT OVERRIDE, ZERO WIDTH SPACE, SOFT HYPHEN, BOM,
        // LINE SEPARATOR: each byte of their UTF-8 encoding.
        assert_eq!(escape("a\u{202e}b".as_bytes()), "a\\xe2\\x80\\xaeb");
        assert_eq!(escape("a\u{200b}".as_bytes()), "a\\xe2\\x80\\x8b");
        assert_eq!(escape("a\u{ad}".as_bytes()), "a\\xc2\\xad");
        assert_eq!(printable("\u{feff}x"), "\\xef\\xbb\\xbfx");
        assert_eq!(printable("a\u{2028}b"), "a\\xe2\\x80\\xa8b");
        assert_eq!(
            unescape(&escape("a\u{202e}".as_bytes())).unwrap(),
            "a\u{202e}".as_bytes()
        );
        // Letters of right-to-left scripts are shown as they are.
        assert!(matches!(printable("\u{5e9}\u{5dc}"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_real_total_interface_never_collides_with_the_sum_row() {
        assert_eq!(escape(b"_total"), "\\x5ftotal");
        assert_ne!(escape(b"_total"), TOTAL_INTERFACE);
        assert_eq!(escape(b"_total2"), "_total2");
    }

    #[test]
    fn backslashes_are_doubled_so_escapes_stay_distinct() {
        assert_eq!(escape(b"a\\xff"), "a\\\\xff");
        assert_ne!(escape(b"a\\xff"), escape(b"a\xff"));
        assert_eq!(escape(b"\\x5ftotal"), "\\\\x5ftotal");
    }

    #[test]
    fn unescape_inverts_escape() {
        let names: [&[u8]; 9] = [
            b"eth0",
            b"x\xff",
            b"_total",
            b"a\\b",
            b"\\x5ftotal",
            b"a\x1b[31m",
            "n\u{85}".as_bytes(),
            b"\xff\xfe",
            b"",
        ];
        for raw in names {
            assert_eq!(unescape(&escape(raw)).as_deref(), Some(raw), "{raw:?}");
        }
        assert_eq!(unescape("bad\\"), None);
        assert_eq!(unescape("bad\\q"), None);
        assert_eq!(unescape("bad\\xZZ"), None);
        assert_eq!(unescape("bad\\x4"), None);
    }
}

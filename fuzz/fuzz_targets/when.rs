//! Fuzzes the `--since`/`--until` parser and the window it resolves to:
//! any text must give a window or a one-line error naming the flag, never a
//! panic (multi-byte characters, huge numbers, dates at the calendar's ends).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netmon::api::Calendar;
use netmon::api::Period;
use netmon::api::Periods;
use netmon::api::{resolve, validate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (since, until) = text.split_once('\u{0}').unwrap_or((text, "1d"));
    // A fixed "now": a finding replays the same way.
    let now = chrono::DateTime::from_timestamp(1_795_000_000, 0).expect("a valid instant");
    let zones = [
        Calendar::utc(),
        Calendar::from_spec("+05:45", 2700).expect("zone"),
    ];
    let checked = validate(Some(since), Some(until), now);
    for calendar in &zones {
        for by in [
            None,
            Some(Period::Hour),
            Some(Period::Day),
            Some(Period::Month),
        ]
        .map(|by| by.map(Periods::calendar))
        {
            match resolve(Some(since), Some(until), by, now, calendar) {
                Ok((from, to)) => {
                    if calendar == &Calendar::utc() && by.is_none() {
                        assert!(checked.is_ok(), "validate refused what resolve accepted");
                    }
                    if let (Some(from), Some(to)) = (from, to) {
                        assert!(from < to);
                    }
                }
                Err(error) => {
                    let message = error.to_string();
                    assert!(
                        message.starts_with("--since") || message.starts_with("--until"),
                        "{message}"
                    );
                    assert!(!message.contains('\n'), "{message}");
                }
            }
            if let Ok((from, _)) = resolve(None, Some(until), by, now, calendar) {
                assert!(by.is_none() || from.is_some());
            }
        }
    }
});

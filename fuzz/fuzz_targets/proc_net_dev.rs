//! Fuzzes the /proc/net/dev parser on raw bytes (names need not be UTF-8):
//! any input must parse, never panic; parsed names are non-empty,
//! printable, unique, and never `_total`; a skipped line is reported in
//! one short line naming it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = netmon::api::parse_proc_net_dev(data);
    let mut names = std::collections::HashSet::new();
    for interface in &parsed.interfaces {
        assert!(!interface.name.is_empty());
        assert!(!interface.name.chars().any(char::is_control), "{:?}", interface.name);
        assert_ne!(interface.name, "_total");
        assert!(names.insert(interface.name.clone()), "duplicate accepted");
    }
    assert_eq!(parsed.first_skipped.is_some(), parsed.skipped > 0);
    if let Some(e) = parsed.first_skipped {
        let message = e.to_string();
        assert!(message.starts_with("line "), "{message}");
        assert!(!message.contains('\n'), "{message}");
        assert!(message.len() < 1_000, "{message}");
    }
});

//! Fuzzes the /proc/net/dev parser on raw bytes (names need not be UTF-8):
//! any input must parse or fail with a one-line message naming a line, never
//! panic; parsed names are non-empty, printable, unique, and never `_total`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match netmon::collector::parse_proc_net_dev(data) {
        Ok(interfaces) => {
            let mut names = std::collections::HashSet::new();
            for interface in &interfaces {
                assert!(!interface.name.is_empty());
                assert!(!interface.name.chars().any(char::is_control), "{:?}", interface.name);
                assert_ne!(interface.name, "_total");
                assert!(names.insert(interface.name.clone()), "duplicate accepted");
            }
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.starts_with("line "), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
    }
});

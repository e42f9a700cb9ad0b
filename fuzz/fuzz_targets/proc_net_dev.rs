//! Fuzzes the /proc/net/dev parser: any input must parse or fail with a
//! message naming a line, never panic; parsed names are non-empty and unique.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match netmon::collector::parse_proc_net_dev(text) {
        Ok(interfaces) => {
            let mut names = std::collections::HashSet::new();
            for interface in &interfaces {
                assert!(!interface.name.is_empty());
                assert!(names.insert(interface.name.clone()), "duplicate accepted");
            }
        }
        Err(message) => assert!(message.starts_with("line "), "{message}"),
    }
});

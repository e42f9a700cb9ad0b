//! Fuzzes the configuration loader (YAML parsing plus validation): any text
//! must give a configuration or a one-line error with exit code 2, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netmon::api::Cli;
use netmon::api::{from_text, Context, Env};
use std::path::{Path, PathBuf};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let env = Env::new();
    let context = Context {
        cwd: Path::new("/nonexistent-fuzz-cwd"),
        env: &env,
        system_config: Path::new("/nonexistent-fuzz-system.yaml"),
    };
    let file = Some(PathBuf::from("/nonexistent-fuzz-cwd/config.yaml"));
    match from_text(&Cli::default(), &context, file, Some(text)) {
        Ok(config) => {
            assert!(config.interval > 0.0 && config.interval.is_finite());
            assert!(config.logging.max_bytes >= 1024);
        }
        Err(e) => {
            assert_eq!(e.exit_code(), 2);
            assert!(!e.to_string().contains('\n'), "multi-line error: {e}");
        }
    }
});

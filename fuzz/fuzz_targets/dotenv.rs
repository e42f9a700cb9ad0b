//! Fuzzes `.env` handling: any text must give variables or a one-line
//! usage error naming the file, and the variables it sets must give a
//! configuration or a one-line usage error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netmon::api::Cli;
use netmon::api::{from_text, parse_dotenv, Context, Env};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/nonexistent-fuzz-cwd/.env");
    let variables = match parse_dotenv(text, path) {
        Ok(variables) => variables,
        Err(e) => {
            assert_eq!(e.exit_code(), 2);
            let message = e.to_string();
            assert!(!message.contains('\n'), "multi-line error: {message}");
            assert!(message.contains(".env"), "{message}");
            return;
        }
    };
    let env: Env = variables.into_iter().collect();
    let context = Context {
        cwd: Path::new("/nonexistent-fuzz-cwd"),
        env: &env,
        system_config: Path::new("/nonexistent-fuzz-system.yaml"),
    };
    match from_text(&Cli::default(), &context, None, None) {
        Ok(config) => assert!(config.interval > 0.0 && config.interval.is_finite()),
        Err(e) => {
            assert_eq!(e.exit_code(), 2);
            assert!(!e.to_string().contains('\n'), "multi-line error: {e}");
        }
    }
});

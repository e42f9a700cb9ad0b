//! The netmon binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(netmon::main_exit_code())
}

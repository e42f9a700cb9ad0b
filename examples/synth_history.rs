//! Writes a realistic synthetic history into a netmon database:
//! `cargo run --release --example synth_history -- --days 365 --interval 60 --interfaces 8 --out PATH`

use clap::Parser;
use std::path::PathBuf;

/// Flags of the example.
#[derive(Parser)]
struct Args {
    /// Days of history, ending now.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Seconds between samples.
    #[arg(long, default_value_t = 60.0)]
    interval: f64,
    /// Number of interfaces.
    #[arg(long, default_value_t = 8)]
    interfaces: usize,
    /// Database to write (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Seed of the traffic noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let spec = netmon::api::SynthSpec {
        days: args.days,
        interval: args.interval,
        interfaces: args.interfaces,
        seed: args.seed,
    };
    let started = std::time::Instant::now();
    let result = netmon::api::write_history(&args.out, &spec, |done| {
        eprint!("\r{:5.1} %", done * 100.0);
    });
    match result {
        Ok(cycles) => {
            eprintln!(
                "\rwrote {cycles} cycles to {} in {:.1} s",
                args.out.display(),
                started.elapsed().as_secs_f64()
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\nsynth_history: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

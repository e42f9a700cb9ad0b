//! `--summary` cost on 30 days vs 365 days of 60 s samples x 8 interfaces.
//! The databases are written once by `netmon::synth` into
//! `target/bench-data/` (the 365-day one takes a few minutes).
//! Run: `cargo bench --bench summary`

use criterion::{criterion_group, criterion_main, Criterion};
use netmon::cli::Period;
use netmon::report::{self, Query};
use netmon::synth::{write_history, SynthSpec};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn database(days: u32) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let path = dir.join(format!("history-{days}d.db"));
    if !path.exists() {
        std::fs::create_dir_all(&dir).expect("bench data directory");
        let spec = SynthSpec {
            days,
            interval: 60.0,
            interfaces: 8,
            seed: 1,
        };
        eprintln!("writing {} (once)", path.display());
        write_history(&path, &spec, |_| {}).expect("synthetic history");
    }
    path
}

fn summary(c: &mut Criterion) {
    let mut group = c.benchmark_group("summary");
    group.sample_size(30);
    for days in [30, 365] {
        let path = database(days);
        let conn = report::open_read_only(&path).expect("open");
        for (label, by) in [("totals", None), ("by-day", Some(Period::Day))] {
            let query = Query {
                by,
                ..Query::default()
            };
            group.bench_function(format!("build/{label}/{days}d"), |b| {
                b.iter(|| report::build(&conn, &path, &query).expect("report"))
            });
            let mut args = vec!["--summary"];
            if by.is_some() {
                args.extend(["--by", "day"]);
            }
            group.bench_function(format!("process/{label}/{days}d"), |b| {
                b.iter(|| {
                    let status = Command::new(env!("CARGO_BIN_EXE_netmon"))
                        .args(&args)
                        .current_dir(std::env::temp_dir())
                        .env_clear()
                        .env("NETMON_DATABASE_FILE", &path)
                        .stdout(Stdio::null())
                        .status()
                        .expect("netmon");
                    assert!(status.success());
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, summary);
criterion_main!(benches);

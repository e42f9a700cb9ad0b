//! `netmon --once` on a year of history (60 s samples x 8 interfaces, about
//! 4.7 million rows) against `--once` on a database holding only its own
//! cycles: a restart resumes from `netmon_meta`'s `last_samples` (one value), so
//! the year must cost no more than twice the empty database (target 2x).
//! Both read a counters file with the history's interfaces (eth0..eth7), so
//! every run continues all eight; retention is off in both, to time the
//! start itself. The year is a copy of the summary benchmark's history.
//! Run: `cargo bench --features synth --bench once`

use criterion::{criterion_group, criterion_main, Criterion};
use netmon::api::cached_history;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A `/proc/net/dev` text with the history's eight interfaces.
fn counters() -> String {
    let mut text = String::from("Inter-|\n face |\n");
    for i in 0..8 {
        text.push_str(&format!(
            "eth{i}: {} 1 0 0 0 0 0 0 {} 1 0 0 0 0 0 0\n",
            1u64 << 40,
            1u64 << 39
        ));
    }
    text
}

/// A directory with a config for `database`, the counters file and the
/// database itself.
fn setup(dir: &Path, database: Option<&Path>) -> PathBuf {
    std::fs::create_dir_all(dir).expect("bench directory");
    std::fs::write(dir.join("dev.txt"), counters()).expect("counters");
    let db = dir.join("n.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    if let Some(history) = database {
        std::fs::copy(history, &db).expect("copy of the history");
    }
    let config = dir.join("config.yaml");
    std::fs::write(
        &config,
        "proc_net_dev: dev.txt\ndatabase_file: n.db\ndatabase:\n  retention_days: 0\n  cleanup_on_startup: false\nlogging:\n  file: ''\n",
    )
    .expect("config");
    config
}

fn once(config: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_netmon"))
        .args(["--once", "--quiet", "-c"])
        .arg(config)
        .current_dir(config.parent().expect("a directory"))
        .env_clear()
        .env("TZ", "UTC")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("netmon");
    assert!(status.success());
}

fn bench(c: &mut Criterion) {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let year = cached_history(&data, 365).expect("synthetic history");
    let mut group = c.benchmark_group("once");
    group.sample_size(30);
    for (label, history) in [("empty", None), ("365d", Some(year.as_path()))] {
        let config = setup(&data.join(format!("once-{label}")), history);
        // The first run records the boot; from then on every run resumes.
        once(&config);
        group.bench_function(label, |b| b.iter(|| once(&config)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Cost of one counter read: the procfs source (one read of /proc/net/dev)
//! against the sysinfo source (the portable one), and the pure parser alone.
//! Run: `cargo bench --bench collect`

use criterion::{criterion_group, criterion_main, Criterion};
use netmon::api::{parse_proc_net_dev, CounterSource, ProcfsSource, SysinfoSource};
use std::path::Path;

fn collect(c: &mut Criterion) {
    let mut group = c.benchmark_group("collect");
    let mut procfs = ProcfsSource::new(Path::new("/proc/net/dev"));
    group.bench_function("procfs-read", |b| b.iter(|| procfs.read().expect("read")));
    let mut sysinfo = SysinfoSource::new();
    group.bench_function("sysinfo-read", |b| b.iter(|| sysinfo.read().expect("read")));
    let text = include_bytes!("../tests/fixtures/proc_net_dev_host.txt");
    group.bench_function("parse-5-interfaces", |b| {
        b.iter(|| parse_proc_net_dev(text).into_result().expect("parse"))
    });
    group.finish();
}

criterion_group!(benches, collect);
criterion_main!(benches);

//! Cost of one `/metrics` scrape (one read of the counters, the rollups'
//! current day and month from the database, the text encoding) at 8 and
//! 200 interfaces, against one read of the same `/proc/net/dev`-format
//! file, in one criterion run. Prints the response size of each.
//! Run: `cargo bench --bench scrape`

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};
use netmon::api::Selection;
use netmon::api::Store;
use netmon::api::{CounterSource, ProcfsSource};
use netmon::api::{Exporter, SharedStats};
use netmon::api::{SampleOptions, Sampler};
use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

/// A `/proc/net/dev` text of `interfaces` interfaces with busy counters.
fn proc_net_dev(interfaces: usize, round: u64) -> String {
    let mut text = String::from(
        "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n",
    );
    for i in 0..interfaces as u64 {
        let base = (i + 1) * 1_000_003 * (round + 1);
        let _ = writeln!(
            text,
            "veth{i:04}: {} {} 0 {} 0 0 0 {} {} {} 0 0 0 0 0 0",
            base * 1500,
            base,
            i,
            i * 3,
            base * 700,
            base / 2
        );
    }
    text
}

fn scrape(c: &mut Criterion) {
    let mut group = c.benchmark_group("scrape");
    let dir = tempfile::tempdir().expect("temp dir");
    for interfaces in [8, 200] {
        let counters = dir.path().join(format!("dev-{interfaces}"));
        let database = dir.path().join(format!("db-{interfaces}.db"));
        // A database with rollups for the current day and month.
        let mut store = Store::open(&database, Duration::from_secs(1)).expect("store");
        let mut sampler = Sampler::new(SampleOptions::default());
        let mut source = ProcfsSource::new(&counters);
        for round in 0..3 {
            std::fs::write(&counters, proc_net_dev(interfaces, round)).expect("counters");
            let snapshot = source.read().expect("read");
            let cycle = sampler.sample(&snapshot, round as f64, Utc::now());
            store.write_cycle(&cycle).expect("write");
        }
        drop(store);
        let mut exporter = Exporter::new(
            Box::new(ProcfsSource::new(&counters)),
            Selection::new(Vec::new(), Vec::new()),
            SharedStats::default(),
            &database,
        );
        let response = exporter.scrape(Utc::now());
        println!(
            "scrape at {interfaces} interfaces: {} bytes, {} lines",
            response.len(),
            response.lines().count()
        );
        group.bench_function(format!("read-{interfaces}-interfaces"), |b| {
            b.iter(|| source.read_columns().expect("read"))
        });
        group.bench_function(format!("scrape-{interfaces}-interfaces"), |b| {
            b.iter(|| exporter.scrape(Utc::now()))
        });
    }
    let mut kernel = ProcfsSource::new(Path::new("/proc/net/dev"));
    group.bench_function("read-proc-net-dev-of-this-host", |b| {
        b.iter(|| kernel.read_columns().expect("read"))
    });
    group.finish();
}

criterion_group!(benches, scrape);
criterion_main!(benches);

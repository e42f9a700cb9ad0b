//! `--summary` cost on 30 days vs 365 days of 60 s samples x 8 interfaces:
//! totals, `--by day` (its default window, the last 30 days) and
//! `--by day --since all` (every day: 12x more output for the year),
//! `--by week`, `--by year`, `--top 10` (days over the whole history),
//! `--percentile 95` (over the whole history) and the `--by day` SVG chart.
//! The databases are written once by `netmon::synth` into
//! `target/bench-data/`, and again when older than a day, since the default
//! window follows the clock (the 365-day one takes several minutes).
//! The baseline, in the same run: summing every raw row with one SQL query.
//! Run: `cargo bench --bench summary`

use criterion::{criterion_group, criterion_main, Criterion};
use netmon::api::cached_history;
use netmon::api::Calendar;
use netmon::api::Period;
use netmon::api::{build, open_read_only, recent_periods_start, Periods, Query};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn database(days: u32) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    cached_history(&dir, days).expect("synthetic history")
}

fn summary(c: &mut Criterion) {
    let mut group = c.benchmark_group("summary");
    group.sample_size(30);
    let now = chrono::Utc::now();
    let by_day_default = Query {
        since: Some(recent_periods_start(
            Periods::calendar(Period::Day),
            now,
            &Calendar::utc(),
        )),
        by: Some(Period::Day),
        ..Query::default()
    };
    let by_default = |period| Query {
        since: Some(recent_periods_start(
            Periods::calendar(period),
            now,
            &Calendar::utc(),
        )),
        by: Some(period),
        ..Query::default()
    };
    let top_days = Query {
        top: Some(10),
        ..Query::default()
    };
    let by_day_all = Query {
        by: Some(Period::Day),
        ..Query::default()
    };
    let percentile = Query {
        percentile: Some(95.0),
        ..Query::default()
    };
    let variants: [(&str, &[&str], Query); 8] = [
        ("totals", &[], Query::default()),
        ("by-day", &["--by", "day"], by_day_default),
        ("by-day-all", &["--by", "day", "--since", "all"], by_day_all),
        ("by-week", &["--by", "week"], by_default(Period::Week)),
        ("by-year", &["--by", "year"], by_default(Period::Year)),
        ("top-10-days", &["--top", "10"], top_days),
        ("percentile-95", &["--percentile", "95"], percentile),
        (
            "chart-by-day",
            &["--by", "day", "--format", "svg"],
            by_default(Period::Day),
        ),
    ];
    for days in [30, 365] {
        let path = database(days);
        let opened = open_read_only(&path).expect("open");
        for (label, flags, query) in &variants {
            group.bench_function(format!("build/{label}/{days}d"), |b| {
                b.iter(|| build(&opened.history(), &path, query).expect("report"))
            });
            group.bench_function(format!("process/{label}/{days}d"), |b| {
                b.iter(|| {
                    let status = Command::new(env!("CARGO_BIN_EXE_netmon"))
                        .arg("--summary")
                        .args(*flags)
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

/// The baseline in the same run: what a user without rollups does, summing
/// every raw row's deltas.
fn raw_sum_baseline(c: &mut Criterion) {
    let mut group = c.benchmark_group("baseline");
    group.sample_size(10);
    for days in [30, 365] {
        let path = database(days);
        let conn = open_read_only(&path).expect("open").conn;
        group.bench_function(format!("raw-sum/{days}d"), |b| {
            b.iter(|| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT interface, SUM(bytes_recv_delta), SUM(bytes_sent_delta), COUNT(*)
                         FROM network_stats GROUP BY interface",
                    )
                    .expect("prepare");
                let rows: Vec<(String, i64)> = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                    .expect("query")
                    .collect::<Result<_, _>>()
                    .expect("rows");
                rows
            })
        });
    }
    group.finish();
}

criterion_group!(benches, summary, raw_sum_baseline);
criterion_main!(benches);

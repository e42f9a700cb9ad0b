//! Days and months are exact in every zone tzdata knows, not only the zones
//! we thought of: for each zone in `/usr/share/zoneinfo`, a database cut in
//! that zone gets a year of samples through netmon's own write path (three
//! a day: just before and just after each local midnight, and at noon), and
//! every day and month of the summary must equal the raw sum of the deltas
//! stamped in it, the local date told by jiff from the zone file itself.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use jiff::tz::TimeZone as Zone;
use netmon::api::Calendar;
use netmon::api::Counters;
use netmon::api::History;
use netmon::api::InterfaceCounters;
use netmon::api::Period;
use netmon::api::Store;
use netmon::api::{build, Query};
use netmon::api::{SampleOptions, Sampler};
use std::collections::BTreeMap;
use std::path::Path;

mod common;

const ZONEINFO: &str = "/usr/share/zoneinfo";

/// Every zone file under the tz database (the `posix/` and `right/` copies
/// and non-TZif files left out), by name.
fn zones() -> Vec<String> {
    fn walk(dir: &Path, root: &Path, found: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                if name != "posix" && name != "right" {
                    walk(&path, root, found);
                }
            } else if std::fs::read(&path).is_ok_and(|bytes| bytes.starts_with(b"TZif"))
                && Zone::get(&name).is_ok()
            {
                found.push(name);
            }
        }
    }
    let mut found = Vec::new();
    walk(Path::new(ZONEINFO), Path::new(ZONEINFO), &mut found);
    found.sort();
    found
}

/// A UTC instant from a jiff timestamp.
fn utc(ts: jiff::Timestamp) -> DateTime<Utc> {
    Utc.timestamp_opt(ts.as_second(), 0).unwrap()
}

/// The sample times of 2026 in `zone`: 23:53, 00:07 and 12:00 local on
/// each day (where a local time does not exist, the first instant after).
fn sample_times(zone: &Zone) -> Vec<DateTime<Utc>> {
    let mut times = Vec::new();
    let mut date = jiff::civil::date(2025, 12, 31);
    while date < jiff::civil::date(2027, 1, 2) {
        for (day, hour, minute) in [(date, 0, 7), (date, 12, 0), (date, 23, 53)] {
            let civil = day.at(hour, minute, 0, 0);
            if let Ok(ts) = zone.to_ambiguous_timestamp(civil).compatible() {
                times.push(utc(ts));
            }
        }
        date = date.tomorrow().unwrap();
    }
    times.sort();
    times.dedup();
    times
}

/// Writes `times` (bytes growing by 1000 + k % 7 at sample k) into a new
/// database cut in `calendar`; the deltas of each sample after the first.
fn write_year(path: &Path, calendar: &Calendar, times: &[DateTime<Utc>]) -> Vec<u64> {
    let mut store =
        Store::open_in(path, std::time::Duration::from_secs(5), Some(calendar)).unwrap();
    let mut sampler = Sampler::new(SampleOptions {
        track_total: false,
        ..SampleOptions::default()
    });
    let origin = times[0];
    let mut counter = 0u64;
    let mut deltas = Vec::new();
    let mut cycles = Vec::new();
    for (k, at) in times.iter().enumerate() {
        if k > 0 {
            let delta = 1_000 + k as u64 % 7;
            counter += delta;
            deltas.push(delta);
        }
        let snapshot = [InterfaceCounters {
            name: "eth0".into(),
            ifindex: None,
            counters: Counters {
                bytes_recv: counter,
                ..Counters::default()
            },
        }];
        let clock = (*at - origin).num_milliseconds() as f64 / 1000.0;
        cycles.push(sampler.sample(&snapshot, clock, *at));
        if cycles.len() == 64 {
            store.write_cycles(&cycles).unwrap();
            cycles.clear();
        }
    }
    store.write_cycles(&cycles).unwrap();
    deltas
}

/// Checks one zone; a description of the first difference, if any.
fn check_zone(name: &str, dir: &Path) -> Option<String> {
    let zone = Zone::get(name).unwrap();
    let times = sample_times(&zone);
    let first = jiff::Timestamp::from_second(times[0].timestamp()).unwrap();
    let phase = i64::from(zone.to_offset(first).seconds()).rem_euclid(3600);
    let calendar = Calendar::from_spec(name, phase).unwrap();
    let path = dir.join(name.replace('/', "_") + ".db");
    let deltas = write_year(&path, &calendar, &times);
    let local = |t: DateTime<Utc>| {
        zone.to_datetime(jiff::Timestamp::from_second(t.timestamp()).unwrap())
            .date()
    };
    let mut days: BTreeMap<(i16, i8, i8), u64> = BTreeMap::new();
    let mut months: BTreeMap<(i16, i8), u64> = BTreeMap::new();
    for (at, delta) in times[1..].iter().zip(&deltas) {
        let date = local(*at);
        *days
            .entry((date.year(), date.month(), date.day()))
            .or_default() += delta;
        *months.entry((date.year(), date.month())).or_default() += delta;
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let report = |by: Period| {
        let query = Query {
            calendar: calendar.clone(),
            by: Some(by),
            ..Query::default()
        };
        let report = build(&History::of(&conn), &path, &query).unwrap();
        report.interfaces[0].periods.clone()
    };
    let reported_days: BTreeMap<(i16, i8, i8), u64> = report(Period::Day)
        .iter()
        .filter(|(_, t)| t.bytes_recv > 0)
        .map(|(start, t)| {
            let d = start.date_naive();
            (
                (d.year() as i16, d.month() as i8, d.day() as i8),
                t.bytes_recv,
            )
        })
        .collect();
    if reported_days != days {
        let wrong = days
            .iter()
            .find(|(day, bytes)| reported_days.get(day) != Some(bytes))
            .map(|(day, bytes)| {
                format!(
                    "{day:?}: {bytes} raw, {:?} reported",
                    reported_days.get(day)
                )
            });
        return Some(format!(
            "{name} days: {}",
            wrong.unwrap_or_else(|| "an extra day".into())
        ));
    }
    let reported_months: BTreeMap<(i16, i8), u64> = report(Period::Month)
        .iter()
        .filter(|(_, t)| t.bytes_recv > 0)
        .map(|(start, t)| {
            let d = start.date_naive();
            ((d.year() as i16, d.month() as i8), t.bytes_recv)
        })
        .collect();
    (reported_months != months).then(|| format!("{name} months: {reported_months:?} != {months:?}"))
}

#[test]
fn days_and_months_are_exact_in_every_tzdata_zone() {
    let all = zones();
    if !common::require(
        all.len() > 300,
        "tzdata is not installed (/usr/share/zoneinfo; .ci/run installs it)",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut failed = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(name) = all.get(i) else {
                            return failed;
                        };
                        failed.extend(check_zone(name, dir.path()));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    println!("{} zones checked", all.len());
    assert!(
        failures.is_empty(),
        "{} zones wrong: {failures:#?}",
        failures.len()
    );
}

//! Unit tests for window splitting and folding, on real SQLite files.

use super::*;
use crate::model::counters::Counters;
use crate::sample::{SampleOptions, Sampler};
use crate::source::InterfaceCounters;
use crate::store::fixtures::{delete_raw_before, raw_deltas};
use crate::store::slots::slot_rates;
use crate::store::{Store, BUSY_TIMEOUT};
use chrono::Duration;

/// Writes one sample per minute for `minutes` minutes from 2026-11-01 00:00 UTC,
/// with 1000 bytes received per minute on `eth0`.
fn history(minutes: i64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = Store::open_in(&path, BUSY_TIMEOUT, Some(&Calendar::utc())).unwrap();
    let mut sampler = Sampler::new(SampleOptions::default());
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    for minute in 0..minutes {
        let snapshot = [InterfaceCounters {
            name: "eth0".into(),
            ifindex: None,
            counters: Counters {
                bytes_recv: minute as u64 * 1000,
                ..Counters::default()
            },
        }];
        let at = start + Duration::minutes(minute);
        store
            .write_cycle(&sampler.sample(&snapshot, minute as f64 * 60.0, at))
            .unwrap();
    }
    (dir, path)
}

fn eth0(report: &Report) -> &Totals {
    &report
        .interfaces
        .iter()
        .find(|r| r.interface == "eth0")
        .unwrap()
        .totals
}

#[test]
fn windows_mixing_rollups_and_raw_edges_match_raw_sums() {
    let (_dir, path) = history(300);
    let opened = open_read_only(&path).unwrap();
    let conn = opened.history();
    let t = |h: u32, m: u32| Utc.with_ymd_and_hms(2026, 11, 1, h, m, 0).unwrap();
    let cases = [
        (None, None, 299_000, 300),
        (Some(t(0, 30)), None, 270_000, 270),
        (None, Some(t(2, 15)), 134_000, 135),
        (Some(t(0, 30)), Some(t(3, 45)), 195_000, 195),
        (Some(t(1, 10)), Some(t(1, 20)), 10_000, 10),
        (Some(t(1, 0)), Some(t(2, 0)), 60_000, 60),
    ];
    for (since, until, bytes, samples) in cases {
        let query = Query {
            since,
            until,
            ..Query::default()
        };
        let report = build(&conn, &path, &query).unwrap();
        assert_eq!(eth0(&report).bytes_recv, bytes, "{since:?}..{until:?}");
        assert_eq!(eth0(&report).samples, samples, "{since:?}..{until:?}");
        assert_eq!(report.total_records, 600);
        assert_eq!(report.interfaces.last().unwrap().interface, TOTAL_INTERFACE);
    }
}

#[test]
fn averages_peaks_and_hourly_periods() {
    let (_dir, path) = history(150);
    let opened = open_read_only(&path).unwrap();
    let conn = opened.history();
    let query = Query {
        by: Some(Period::Hour),
        ..Query::default()
    };
    let report = build(&conn, &path, &query).unwrap();
    let totals = eth0(&report);
    assert_eq!(totals.avg_recv_rate(), Some(1000.0 / 60.0));
    assert_eq!(totals.peak_recv_rate, Some(1000.0 / 60.0));
    assert_eq!(totals.first_sample, "2026-11-01T00:00:00.000Z");
    assert_eq!(totals.last_sample, "2026-11-01T02:29:00.000Z");
    let periods = &report.interfaces[0].periods;
    let bytes: Vec<u64> = periods.iter().map(|(_, t)| t.bytes_recv).collect();
    assert_eq!(bytes, [59_000, 60_000, 30_000]);
}

#[test]
fn interface_filter_keeps_total() {
    let (_dir, path) = history(10);
    let opened = open_read_only(&path).unwrap();
    let conn = opened.history();
    let query = Query {
        interfaces: vec!["wlan0".into()],
        ..Query::default()
    };
    let report = build(&conn, &path, &query).unwrap();
    let names: Vec<_> = report
        .interfaces
        .iter()
        .map(|r| r.interface.as_str())
        .collect();
    assert_eq!(names, [TOTAL_INTERFACE]);
}

#[test]
fn json_has_the_spec_fields_in_order() {
    let (_dir, path) = history(90);
    let opened = open_read_only(&path).unwrap();
    let conn = opened.history();
    let json_of = |by| {
        let query = Query {
            by,
            ..Query::default()
        };
        let mut text = Vec::new();
        render::json(&mut text, &build(&conn, &path, &query).unwrap()).unwrap();
        serde_json::from_slice::<serde_json::Value>(&text).unwrap()
    };
    let keys = |value: &serde_json::Value| -> Vec<String> {
        value.as_object().unwrap().keys().cloned().collect()
    };
    let totals = [
        "samples",
        "bytes_recv",
        "bytes_sent",
        "bytes_total",
        "avg_recv_rate",
        "avg_sent_rate",
        "peak_recv_rate",
        "peak_sent_rate",
        "errin",
        "errout",
        "dropin",
        "dropout",
    ];
    let plain = json_of(None);
    assert_eq!(
        keys(&plain),
        [
            "database",
            "total_records",
            "since",
            "until",
            "time_zone",
            "interfaces"
        ]
    );
    assert_eq!(plain["time_zone"], "UTC");
    let eth0 = &plain["interfaces"][0];
    let mut expected = vec!["interface", "first_sample", "last_sample"];
    expected.extend(totals);
    assert_eq!(keys(eth0), expected, "no periods without --by");
    assert_eq!(eth0["bytes_recv"], 89_000);
    assert_eq!(plain["since"], serde_json::Value::Null);
    let hourly = json_of(Some(Period::Hour));
    let periods = hourly["interfaces"][0]["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 2);
    let mut expected = vec!["start"];
    expected.extend(totals);
    assert_eq!(keys(&periods[1]), expected);
    assert_eq!(periods[1]["bytes_recv"], 30_000);
    let start = periods[1]["start"].as_str().unwrap();
    assert_eq!(
        DateTime::parse_from_rfc3339(start).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 1, 1, 0, 0).unwrap()
    );
}

/// One sample per minute from 2026-11-01 10:00 UTC for `minutes` minutes on
/// `a`, receiving `600 * (minute % 7 + 1)` bytes and sending 60 a minute.
fn varied_history(minutes: i64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let mut store = Store::open_in(&path, BUSY_TIMEOUT, Some(&Calendar::utc())).unwrap();
    let mut sampler = Sampler::new(SampleOptions::default());
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap();
    let mut received = 0;
    for minute in 0..minutes {
        received += 600 * (minute as u64 % 7 + 1);
        let snapshot = [InterfaceCounters {
            name: "a".into(),
            ifindex: None,
            counters: Counters {
                bytes_recv: received,
                bytes_sent: minute as u64 * 60,
                ..Counters::default()
            },
        }];
        store
            .write_cycle(&sampler.sample(
                &snapshot,
                minute as f64 * 60.0,
                start + Duration::minutes(minute),
            ))
            .unwrap();
    }
    (dir, path)
}

#[test]
fn percentile_rule_rollup_slots_and_raw_edges_give_the_raw_answer() {
    // 10:00-12:30: hours 10 and 11 are folded (slots), 12:00-12:30 is raw.
    let (_dir, path) = varied_history(151);
    let opened = open_read_only(&path).unwrap();
    let conn = opened.history();
    let t = |h: u32, m: u32| Utc.with_ymd_and_hms(2026, 11, 1, h, m, 0).unwrap();
    assert_eq!(conn.folded_until().unwrap(), t(12, 0));
    // The answer from the raw rows alone, slot by slot.
    let from_raw = |from: DateTime<Utc>, to: DateTime<Utc>| {
        let samples = raw_deltas(&conn, "a", from, to);
        slot_rates(samples)
    };
    for (from, to) in [
        (t(10, 2), t(12, 27)),
        (t(10, 0), t(12, 0)),
        (t(11, 0), t(12, 0)),
        (t(10, 31), t(10, 49)),
        (t(9, 0), t(13, 0)),
    ] {
        let expected = from_raw(from, to);
        for p in [50.0, 95.0, 100.0] {
            let got = percentile::of_window(&conn, &Calendar::utc(), from, to, p).unwrap();
            let a = &got["a"];
            let (mut recv, mut sent): (Vec<f64>, Vec<f64>) = expected.iter().copied().unzip();
            assert_eq!(a.slots, expected.len(), "{from}..{to}");
            assert_eq!(
                a.recv,
                percentile::nearest_rank(&mut recv, p),
                "{from}..{to} p{p}"
            );
            assert_eq!(
                a.sent,
                percentile::nearest_rank(&mut sent, p),
                "{from}..{to} p{p}"
            );
        }
    }
    // With the folded hours' raw rows gone (retention), whole hours still
    // come from their slots.
    let whole_hours = from_raw(t(10, 0), t(12, 0));
    let raw_tail = from_raw(t(12, 0), t(12, 30));
    drop(opened);
    delete_raw_before(&path, t(12, 0));
    let opened = open_read_only(&path).unwrap();
    let conn = opened.history();
    let got = percentile::of_window(&conn, &Calendar::utc(), t(10, 0), t(12, 30), 95.0).unwrap();
    let (mut recv, _): (Vec<f64>, Vec<f64>) = whole_hours.iter().chain(&raw_tail).copied().unzip();
    assert_eq!(got["a"].slots, whole_hours.len() + raw_tail.len());
    assert_eq!(got["a"].recv, percentile::nearest_rank(&mut recv, 95.0));
}

//! Each Rust rule against its SQL fragment, run in an in-memory SQLite on
//! edge values: negatives, halves, slot and second boundaries.

use super::*;
use crate::store::history::Totals;
use crate::store::rollup::{create_table, upsert_sql, Level};
use rusqlite::types::ToSql;
use rusqlite::Connection;

fn memory() -> Connection {
    Connection::open_in_memory().unwrap()
}

/// The value of one SQL expression over `params`.
fn eval<T: rusqlite::types::FromSql>(conn: &Connection, sql: &str, params: &[&dyn ToSql]) -> T {
    conn.query_row(&format!("SELECT {sql}"), params, |r| r.get(0))
        .unwrap()
}

#[test]
fn codec_interval_rounding_is_the_same_in_sql() {
    let conn = memory();
    for seconds in [
        0.0,
        0.5e-6,
        1.5e-6,
        2.5e-6,
        -0.5e-6,
        -1.5e-6,
        -2.5e-6,
        1e-7,
        0.1 + 0.2,
        59.9999995,
        3600.0000005,
        60.0,
        -60.0,
        1e9,
    ] {
        let sql: i64 = eval(&conn, &interval_us_sql("?1"), &[&seconds]);
        assert_eq!(sql, interval_us(seconds), "{seconds}");
        let whole: f64 = eval(
            &conn,
            &seconds_of_us_sql(&interval_us_sql("?1")),
            &[&seconds],
        );
        assert_eq!(
            whole.to_bits(),
            whole_microseconds(seconds).to_bits(),
            "{seconds}"
        );
        assert_eq!(
            whole_microseconds(seconds).to_bits(),
            seconds_of_us(interval_us(seconds)).to_bits()
        );
    }
}

#[test]
fn codec_derived_rate_is_the_same_in_sql() {
    let conn = memory();
    for (delta, us) in [
        (1000, 1_000_000),
        (1, 3),
        (7, 999_999),
        (-5, 7),
        (i64::MAX, 1),
        (123_456_789, 59_999_999),
        (0, 5),
    ] {
        let sql: f64 = eval(&conn, &derived_rate_sql("?1", "?2"), &[&delta, &us]);
        assert_eq!(
            sql.to_bits(),
            derived_rate(delta, us).to_bits(),
            "{delta}/{us}"
        );
    }
    let none: Option<f64> = eval(&conn, &derived_rate_sql("?1", "?2"), &[&1, &0]);
    assert_eq!(none, None, "no rate over no time in SQL");
}

#[test]
fn codec_slots_are_the_same_in_sql_before_and_after_the_epoch() {
    let conn = memory();
    for t in [
        i64::MIN,
        -600_001,
        -600_000,
        -300_001,
        -300_000,
        -299_999,
        -1,
        0,
        1,
        299_999,
        300_000,
        300_001,
        1_763_974_800_000,
        i64::MAX,
    ] {
        let sql: i64 = eval(&conn, &slot_number_sql("?1"), &[&t]);
        assert_eq!(sql, slot_number(t), "{t}");
    }
    assert_eq!(slot_number(-1), -1);
    assert_eq!(slot_number(SLOT_MS), 1);
}

#[test]
fn codec_stored_time_text_is_the_same_in_sql() {
    let conn = memory();
    for ms in [
        -62_135_596_800_000,
        -1001,
        -1000,
        -1,
        0,
        1,
        999,
        1000,
        1_763_974_800_000,
        1_763_974_800_999,
        1_763_974_859_999,
        253_402_300_799_999,
    ] {
        let sql: String = eval(&conn, &ms_as_text_sql("?1"), &[&ms]);
        assert_eq!(sql, format_timestamp(from_ms(ms)), "{ms}");
        assert_eq!(parse_timestamp(&sql).map(to_ms), Some(ms));
    }
}

#[test]
fn codec_covered_seconds_are_the_same_in_sql() {
    let conn = memory();
    conn.execute_batch("CREATE TABLE network_stats (bytes_recv_delta INTEGER, interval_s REAL)")
        .unwrap();
    let covered = || -> f64 {
        eval(
            &conn,
            &format!("{COVERED_SECONDS_SQL} FROM network_stats"),
            &[],
        )
    };
    assert_eq!(covered(), 0.0, "nothing covers nothing");
    for (delta, us) in [
        (Some(5_i64), Some(1_500_001_i64)),
        (None, Some(60_000_000)),
        (Some(0), None),
        (None, None),
        (Some(1), Some(0)),
    ] {
        conn.execute("DELETE FROM network_stats", []).unwrap();
        conn.execute(
            &format!(
                "INSERT INTO network_stats VALUES (?1, {})",
                seconds_of_us_sql("?2")
            ),
            rusqlite::params![delta, us],
        )
        .unwrap();
        assert_eq!(
            covered().to_bits(),
            covered_seconds(delta.is_some(), us).to_bits(),
            "{delta:?} {us:?}"
        );
    }
}

fn totals(first: &str, last: &str, n: u64, peaks: (Option<f64>, Option<f64>)) -> Totals {
    Totals {
        first_sample: first.into(),
        last_sample: last.into(),
        samples: n,
        seconds: n as f64 * 1.5,
        bytes_recv: n * 1000,
        bytes_sent: n * 10,
        errin: n,
        errout: 2 * n,
        dropin: 3 * n,
        dropout: 4 * n,
        peak_recv_rate: peaks.0,
        peak_sent_rate: peaks.1,
    }
}

/// Upserts `t` into the hour rollups' row of one interface.
fn upsert(conn: &Connection, t: &Totals) {
    let n = |v: u64| v as i64;
    conn.execute(
        &upsert_sql(Level::Hour),
        rusqlite::params![
            "2026-11-24T09:00:00Z",
            "eth0",
            n(t.samples),
            t.first_sample,
            t.last_sample,
            t.seconds,
            n(t.bytes_sent),
            n(t.bytes_recv),
            0,
            0,
            n(t.errin),
            n(t.errout),
            n(t.dropin),
            n(t.dropout),
            t.peak_sent_rate,
            t.peak_recv_rate,
        ],
    )
    .unwrap();
}

#[test]
fn codec_rollup_rows_merge_in_sql_as_totals_merge() {
    let early = "2026-11-24T09:00:00.000Z";
    let mid = "2026-11-24T09:10:00.500Z";
    let late = "2026-11-24T09:59:59.999Z";
    let cases = [
        ((early, mid, Some(1.5), None), (mid, late, None, Some(2.0))),
        ((mid, late, None, None), (early, mid, Some(3.0), Some(0.5))),
        (
            (early, late, Some(4.0), Some(1.0)),
            (mid, mid, Some(2.5), Some(7.0)),
        ),
        ((early, mid, None, None), (mid, late, None, None)),
    ];
    for ((f1, l1, r1, s1), (f2, l2, r2, s2)) in cases {
        let conn = memory();
        conn.execute_batch(&create_table(Level::Hour)).unwrap();
        let (a, b) = (totals(f1, l1, 3, (r1, s1)), totals(f2, l2, 5, (r2, s2)));
        upsert(&conn, &a);
        upsert(&conn, &b);
        let mut merged = a.clone();
        merged.merge(&b);
        let stored = conn
            .query_row(
                "SELECT first_sample, last_sample, samples, interval_s, bytes_recv, bytes_sent,
                        errin, errout, dropin, dropout, peak_recv_rate, peak_sent_rate
                 FROM network_stats_hourly",
                [],
                |r| {
                    let n = |i: usize| r.get::<_, i64>(i).map(|v| v as u64);
                    Ok(Totals {
                        first_sample: r.get(0)?,
                        last_sample: r.get(1)?,
                        samples: n(2)?,
                        seconds: r.get(3)?,
                        bytes_recv: n(4)?,
                        bytes_sent: n(5)?,
                        errin: n(6)?,
                        errout: n(7)?,
                        dropin: n(8)?,
                        dropout: n(9)?,
                        peak_recv_rate: r.get(10)?,
                        peak_sent_rate: r.get(11)?,
                    })
                },
            )
            .unwrap();
        assert_eq!(stored, merged);
    }
}

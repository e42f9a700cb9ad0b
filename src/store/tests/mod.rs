//! Unit tests for the repository against real SQLite files, one file per
//! concern; the helpers every file uses are here.

mod open;
mod resume_point;
mod retention;
mod upgrade;
mod write;
mod writer;

use super::{Store, BUSY_TIMEOUT};
use crate::model::calendar::Calendar;
use crate::model::counters::Counters;
use crate::sample::{Cycle, Sampler};
use crate::source::InterfaceCounters;
use chrono::{DateTime, TimeZone, Utc};
use std::path::Path;

fn counters(recv: u64, sent: u64) -> Counters {
    Counters {
        bytes_recv: recv,
        bytes_sent: sent,
        ..Counters::default()
    }
}

fn at(second: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_764_000_000 + second, 0).unwrap()
}

fn cycle_at(sampler: &mut Sampler, second: i64, values: &[(&str, u64, u64)]) -> Cycle {
    let snapshot: Vec<_> = values
        .iter()
        .map(|&(name, recv, sent)| InterfaceCounters {
            name: name.into(),
            ifindex: Some(name.len() as u32),
            counters: counters(recv, sent),
        })
        .collect();
    sampler.sample(&snapshot, second as f64, at(second))
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn open(path: &Path) -> Store {
    Store::open_in(path, BUSY_TIMEOUT, Some(&Calendar::utc())).unwrap()
}

fn rollup(store: &Store, level: &str, column: &str, interface: &str) -> Option<i64> {
    store
        .conn
        .query_row(
            &format!("SELECT SUM({column}) FROM network_stats_{level} WHERE interface = ?1"),
            [interface],
            |r| r.get(0),
        )
        .unwrap()
}

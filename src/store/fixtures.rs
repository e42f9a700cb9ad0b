//! Test fixtures that change or inspect a database behind the read API's
//! back (what retention or an older netmon would have left), for the tests
//! of the modules that read it.

use super::history::History;
use super::{interval_us, meta, to_ms};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use std::path::Path;

/// (time in ms, received bytes, sent bytes, microseconds covered) of each
/// raw sample of `interface` with a delta in [from, to).
pub(crate) fn raw_deltas(
    history: &History,
    interface: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(i64, u64, u64, u64)> {
    let mut stmt = history
        .conn
        .prepare(
            "SELECT t_ms, bytes_recv_delta, bytes_sent_delta, interval_s FROM network_stats
                 WHERE interface = ?3 AND t_ms >= ?1 AND t_ms < ?2
                   AND bytes_recv_delta IS NOT NULL",
        )
        .unwrap();
    stmt.query_map(rusqlite::params![to_ms(from), to_ms(to), interface], |r| {
        Ok((
            r.get(0)?,
            r.get::<_, i64>(1)? as u64,
            r.get::<_, i64>(2)? as u64,
            interval_us(r.get(3)?) as u64,
        ))
    })
    .unwrap()
    .map(|row| row.unwrap())
    .collect()
}

/// Deletes the raw samples before `t` (as retention does, without
/// touching the rollups).
pub(crate) fn delete_raw_before(path: &Path, t: DateTime<Utc>) {
    Connection::open(path)
        .unwrap()
        .execute("DELETE FROM netmon_samples WHERE t < ?1", [to_ms(t)])
        .unwrap();
}

/// Sets `key` of `netmon_meta` to `value`.
pub(crate) fn set_meta(path: &Path, key: &str, value: &str) {
    meta::set(&Connection::open(path).unwrap(), key, value).unwrap();
}

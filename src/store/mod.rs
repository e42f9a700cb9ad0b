//! The SQLite repository: opening (and refusing or upgrading) a database,
//! writing one cycle per transaction, resume points, retention and counts.

pub mod lock;
pub mod rollup;
pub mod schema;
pub mod writer;

use crate::counters::Counters;
use crate::sampler::{Cycle, Row, TOTAL_INTERFACE};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rusqlite::{params, Connection, ErrorCode, OpenFlags};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// How long a reader waits for a lock before failing.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// Rows deleted per retention transaction, so the write lock is held briefly.
const RETENTION_BATCH: usize = 5_000;
/// Times a cycle's timestamp is nudged by 1 ms when it collides with a stored
/// one (the wall clock went backwards).
const MAX_TIMESTAMP_NUDGES: i64 = 1_000;

const INSERT_ROW: &str = "INSERT INTO network_stats (timestamp, interface,
    bytes_sent, bytes_recv, packets_sent, packets_recv, errin, errout, dropin, dropout,
    bytes_sent_rate, bytes_recv_rate, interval_s,
    bytes_sent_delta, bytes_recv_delta, packets_sent_delta, packets_recv_delta,
    errin_delta, errout_delta, dropin_delta, dropout_delta)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)";

/// Formats a timestamp as stored: UTC, RFC 3339, milliseconds, `Z`.
pub fn format_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Cumulative counters are stored bit-for-bit as SQLite's signed 64-bit
/// integers (values from 2^63 read back negative in plain SQL; netmon reads
/// them back exactly).
fn counter_to_sql(value: u64) -> i64 {
    value as i64
}

/// Deltas are stored as non-negative integers (saturating; a real delta never
/// comes near 2^63).
fn delta_to_sql(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The last stored counters of one interface, for continuing after a restart.
#[derive(Debug, Clone, PartialEq)]
pub struct LastSample {
    /// Interface name.
    pub interface: String,
    /// When it was stored.
    pub timestamp: DateTime<Utc>,
    /// Its cumulative counters.
    pub counters: Counters,
}

/// An open, validated, writable netmon database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    identity: (u64, u64),
}

impl Store {
    /// Opens the database at `path` for writing, creating it (mode 0600, new
    /// directories 0700) or upgrading it in place. A file that is not a netmon
    /// database is refused untouched. A write waits at most `busy_timeout`
    /// for another process's lock before failing (and being retried later).
    pub fn open(path: &Path, busy_timeout: std::time::Duration) -> Result<Store, String> {
        crate::fsutil::open_private_append(path)
            .map_err(|e| format!("cannot create database {}: {e}", path.display()))?;
        let kind = schema::inspect(path)?;
        let fail = |e: rusqlite::Error| format!("database {}: {e}", path.display());
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(fail)?;
        conn.busy_timeout(busy_timeout).map_err(fail)?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(fail)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(fail)?;
        if kind != schema::Kind::Netmon(schema::SCHEMA_VERSION) {
            match kind {
                schema::Kind::Empty => {
                    tracing::info!(database = %path.display(), "creating a new netmon database")
                }
                schema::Kind::Netmon(from) => {
                    tracing::info!(database = %path.display(), from, to = schema::SCHEMA_VERSION, "upgrading the database schema in place")
                }
            }
            schema::upgrade(&mut conn, &kind).map_err(fail)?;
        }
        let identity = file_identity(path)
            .ok_or_else(|| format!("database {} vanished while opening", path.display()))?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            identity,
        })
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file at the path is still the one this store opened (not
    /// removed or replaced; writes to an unlinked file would be lost).
    pub fn is_current(&self) -> bool {
        file_identity(&self.path) == Some(self.identity)
    }

    /// Writes one cycle in one transaction (all its rows and their rollups,
    /// or nothing). If the wall clock went backwards onto a stored timestamp,
    /// the cycle's timestamp is nudged forward by milliseconds until unique.
    pub fn write_cycle(&mut self, cycle: &Cycle) -> Result<(), String> {
        for nudge in 0..=MAX_TIMESTAMP_NUDGES {
            let at = cycle.timestamp + Duration::milliseconds(nudge);
            match self.try_write(at, &format_timestamp(at), &cycle.rows) {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == ErrorCode::ConstraintViolation =>
                {
                    continue
                }
                other => {
                    if nudge > 0 {
                        tracing::warn!(nudged_ms = nudge, "a stored cycle already had this timestamp (clock went back); stored 1 ms later");
                    }
                    return other
                        .map_err(|e| format!("cannot write to {}: {e}", self.path.display()));
                }
            }
        }
        Err(format!(
            "cannot write to {}: timestamps around {} are all taken",
            self.path.display(),
            format_timestamp(cycle.timestamp)
        ))
    }

    fn try_write(
        &mut self,
        at: DateTime<Utc>,
        timestamp: &str,
        rows: &[Row],
    ) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(INSERT_ROW)?;
            for row in rows {
                let c = row.counters.to_array().map(counter_to_sql);
                let d = row.deltas.map(|d| d.to_array().map(delta_to_sql));
                let delta = |i: usize| d.map(|d| d[i]);
                insert.execute(params![
                    timestamp,
                    row.interface,
                    c[1],
                    c[0],
                    c[3],
                    c[2],
                    c[4],
                    c[5],
                    c[6],
                    c[7],
                    row.bytes_sent_rate,
                    row.bytes_recv_rate,
                    row.interval_s,
                    delta(1),
                    delta(0),
                    delta(3),
                    delta(2),
                    delta(4),
                    delta(5),
                    delta(6),
                    delta(7),
                ])?;
                rollup::add(&tx, at, timestamp, row)?;
            }
        }
        tx.commit()
    }

    /// The newest stored counters of every interface (not `_total`).
    pub fn last_samples(&self) -> rusqlite::Result<Vec<LastSample>> {
        let mut stmt = self.conn.prepare(
            "SELECT s.interface, s.timestamp, s.bytes_recv, s.bytes_sent, s.packets_recv,
                    s.packets_sent, s.errin, s.errout, s.dropin, s.dropout
             FROM network_stats s
             JOIN (SELECT interface, MAX(timestamp) AS ts FROM network_stats
                   WHERE interface != ?1 GROUP BY interface) newest
               ON s.interface = newest.interface AND s.timestamp = newest.ts",
        )?;
        let rows = stmt.query_map([TOTAL_INTERFACE], |r| {
            let text: String = r.get(1)?;
            let counters: [i64; 8] = std::array::from_fn(|i| r.get(i + 2).unwrap_or(0));
            Ok((r.get::<_, String>(0)?, text, counters))
        })?;
        let mut samples = Vec::new();
        for row in rows {
            let (interface, text, counters) = row?;
            if let Ok(timestamp) = DateTime::parse_from_rfc3339(&text) {
                samples.push(LastSample {
                    interface,
                    timestamp: timestamp.with_timezone(&Utc),
                    counters: Counters::from_array(counters.map(|v| v as u64)),
                });
            }
        }
        Ok(samples)
    }

    /// Reads a value from the `netmon_meta` table.
    pub fn meta(&self, key: &str) -> rusqlite::Result<Option<String>> {
        use rusqlite::OptionalExtension;
        self.conn
            .query_row("SELECT value FROM netmon_meta WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
    }

    /// Writes (or with `None` removes) a value in the `netmon_meta` table.
    pub fn set_meta(&self, key: &str, value: Option<&str>) -> rusqlite::Result<()> {
        match value {
            Some(value) => self.conn.execute(
                "INSERT INTO netmon_meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )?,
            None => self
                .conn
                .execute("DELETE FROM netmon_meta WHERE key = ?1", [key])?,
        };
        Ok(())
    }

    /// Deletes raw samples older than `raw_days` and rollups older than
    /// `rollup_days` (0 = keep), in small transactions; returns the numbers
    /// of raw rows and rollup rows deleted.
    pub fn apply_retention(
        &self,
        now: DateTime<Utc>,
        raw_days: u32,
        rollup_days: u32,
    ) -> rusqlite::Result<(usize, usize)> {
        let cutoff = |days: u32| format_timestamp(now - Duration::days(i64::from(days)));
        let mut deleted = (0, 0);
        if raw_days > 0 {
            deleted.0 = self.delete_in_batches(
                "DELETE FROM network_stats WHERE id IN
                 (SELECT id FROM network_stats WHERE timestamp < ?1 LIMIT ?2)",
                &cutoff(raw_days),
            )?;
        }
        if rollup_days > 0 {
            let cutoff = now - Duration::days(i64::from(rollup_days));
            for level in rollup::LEVELS {
                // A bin goes only once it ended before the cutoff.
                let key = rollup::period_key(level.floor(cutoff));
                deleted.1 += self.delete_in_batches(
                    &format!(
                        "DELETE FROM {0} WHERE (period_start, interface) IN
                         (SELECT period_start, interface FROM {0} WHERE period_start < ?1 LIMIT ?2)",
                        level.table()
                    ),
                    &key,
                )?;
            }
        }
        Ok(deleted)
    }

    fn delete_in_batches(&self, sql: &str, cutoff: &str) -> rusqlite::Result<usize> {
        let mut total = 0;
        loop {
            let deleted = self.conn.execute(sql, params![cutoff, RETENTION_BATCH])?;
            total += deleted;
            if deleted < RETENTION_BATCH {
                return Ok(total);
            }
        }
    }
}

/// (device, inode) of a file, to notice it being removed or replaced.
fn file_identity(path: &Path) -> Option<(u64, u64)> {
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(test)]
mod tests;

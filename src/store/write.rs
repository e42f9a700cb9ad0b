//! The write path: one transaction per batch of cycles, one savepoint per
//! cycle, each row inserted with its facts and the hours that ended before
//! it folded. A timestamp the wall clock went back onto is nudged here;
//! no other failure is retried (the writer queues and retries).

use super::files::file_identity;
use super::ids::{interface_id, interface_ids};
use super::resume_point::Reading;
use super::{codec, format_timestamp, interval_us, meta, rollup, to_ms, Store, StoreError};
use crate::sample::Cycle;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, ErrorCode};

/// Times a cycle's timestamp is nudged by 1 ms when it collides with a stored
/// one (the wall clock went backwards).
const MAX_TIMESTAMP_NUDGES: i64 = 1_000;

const INSERT_SAMPLE: &str = "INSERT INTO netmon_samples (t, iface, interval_us,
    bytes_recv, bytes_sent, packets_recv, packets_sent, errin, errout, dropin, dropout,
    bytes_recv_delta, bytes_sent_delta, packets_recv_delta, packets_sent_delta,
    errin_delta, errout_delta, dropin_delta, dropout_delta, rated, recv_rate, sent_rate)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
    ?20, ?21, ?22)";

const INSERT_EVENT: &str =
    "INSERT INTO netmon_events (t, iface, kind, bytes, bridged_from) VALUES (?1, ?2, ?3, ?4, ?5)";

/// Cumulative counters are stored bit-for-bit as SQLite's signed 64-bit
/// integers (values from 2^63 read back negative in plain SQL; netmon reads
/// them back exactly).
pub(super) fn counter_to_sql(value: u64) -> i64 {
    value as i64
}

/// Deltas are stored as non-negative integers (saturating; a real delta never
/// comes near 2^63).
pub(super) fn delta_to_sql(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Writes one cycle in one transaction (all its rows, the rollups of an
    /// hour that ended before it, and resume points, or nothing). If the
    /// wall clock went back onto a stored timestamp, the cycle's timestamp
    /// is nudged forward by milliseconds until unique; no other failure is
    /// retried here.
    pub fn write_cycle(&mut self, cycle: &Cycle) -> Result<(), StoreError> {
        self.write_cycles(std::iter::once(cycle))
    }

    /// Writes several cycles in one transaction (each as [`Store::write_cycle`]
    /// does, inside it): all of them, or none.
    pub fn write_cycles<'a>(
        &mut self,
        cycles: impl IntoIterator<Item = &'a Cycle>,
    ) -> Result<(), StoreError> {
        run(&self.conn, "BEGIN IMMEDIATE").map_err(|e| self.sqlite(e))?;
        let mut written = Written {
            new_ids: Vec::new(),
            purged: false,
            folded_until: self.folded_until,
        };
        for cycle in cycles {
            if let Err(e) = self.write_one(cycle, &mut written) {
                self.roll_back();
                return Err(e);
            }
        }
        if let Err(e) = run(&self.conn, "COMMIT") {
            self.roll_back();
            return Err(self.sqlite(e));
        }
        if self.wal_identity.is_none() {
            self.wal_identity =
                file_identity(&crate::support::fsutil::sibling(&self.real_path, "-wal"));
        }
        if written.purged {
            // Committed: nothing may fail now. Without the reloaded map,
            // every name is looked up in the table.
            self.ids = interface_ids(&self.conn).unwrap_or_default();
        } else {
            self.ids.extend(written.new_ids);
        }
        self.folded_until = written.folded_until;
        Ok(())
    }

    /// Rolls the open transaction back, and the resume point in memory
    /// with it.
    fn roll_back(&mut self) {
        let _ = run(&self.conn, "ROLLBACK");
        self.reload_resume_point();
    }

    /// Writes one cycle inside the open transaction, nudging its timestamp
    /// past stored ones; what it changed is added to `written`.
    fn write_one(&mut self, cycle: &Cycle, written: &mut Written) -> Result<(), StoreError> {
        for nudge in 0..=MAX_TIMESTAMP_NUDGES {
            let at = cycle.timestamp + Duration::milliseconds(nudge);
            let mut attempt = Written {
                new_ids: Vec::new(),
                purged: written.purged,
                folded_until: written.folded_until,
            };
            run(&self.conn, "SAVEPOINT cycle").map_err(|e| self.sqlite(e))?;
            let result = self.try_write(at, cycle, &mut attempt);
            if result.is_err() {
                let _ = run(&self.conn, "ROLLBACK TO cycle");
            }
            run(&self.conn, "RELEASE cycle").map_err(|e| self.sqlite(e))?;
            match result {
                Err(e) if is_unique_clash(&e) && self.timestamp_taken(at)? => continue,
                Err(e) => return Err(self.sqlite(e)),
                Ok(()) => {
                    written.new_ids.extend(attempt.new_ids);
                    written.purged = attempt.purged;
                    written.folded_until = attempt.folded_until;
                    if nudge > 0 {
                        tracing::warn!(nudged_ms = nudge, "a stored cycle already had this timestamp (clock went back); stored 1 ms later");
                    }
                    return Ok(());
                }
            }
        }
        Err(StoreError::ClockCollision {
            path: self.path.clone(),
            around: format_timestamp(cycle.timestamp),
        })
    }

    fn timestamp_taken(&self, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM netmon_samples WHERE t = ?1)",
                [to_ms(at)],
                |r| r.get(0),
            )
            .map_err(|e| self.sqlite(e))
    }

    /// Writes one cycle's rows inside the open savepoint (stamped `at`),
    /// with the facts of their deltas and the resume point, folding the
    /// hours that ended before it into the rollups.
    fn try_write(
        &mut self,
        at: DateTime<Utc>,
        cycle: &Cycle,
        written: &mut Written,
    ) -> rusqlite::Result<()> {
        let conn = &self.conn;
        let t = to_ms(at);
        let hour = to_ms(rollup::Level::Hour.floor(&self.calendar, at));
        let late = written.folded_until.is_some_and(|mark| t < mark);
        if written.folded_until.is_none_or(|mark| hour > mark) {
            if let Some(mark) = written.folded_until {
                rollup::fold(conn, &self.calendar, mark, hour)?;
            }
            meta::set(conn, meta::FOLDED_UNTIL, &hour.to_string())?;
            written.folded_until = Some(hour);
        }
        let reading = Reading::new(at, cycle.clock);
        let mut insert = conn.prepare_cached(INSERT_SAMPLE)?;
        for row in &cycle.rows {
            let iface = interface_id(conn, &self.ids, written, &row.interface)?;
            let counters = row.counters.to_array().map(counter_to_sql);
            let c = if self.raw_counts { counters } else { [0; 8] };
            let d = row.deltas.map(|d| d.to_array().map(delta_to_sql));
            let delta = |i: usize| d.map(|d| d[i]);
            let us = row.interval_s.map(interval_us);
            // A rate is stored only where it is not the derived one.
            let explicit = |rate: Option<f64>, i: usize| {
                let derived = delta(i).zip(us).map(|(d, us)| codec::derived_rate(d, us));
                rate.filter(|r| derived.is_none_or(|d| d.to_bits() != r.to_bits()))
            };
            insert.execute(params![
                t,
                iface,
                us,
                c[0],
                c[1],
                c[2],
                c[3],
                c[4],
                c[5],
                c[6],
                c[7],
                delta(0),
                delta(1),
                delta(2),
                delta(3),
                delta(4),
                delta(5),
                delta(6),
                delta(7),
                row.bytes_recv_rate.is_some() || row.bytes_sent_rate.is_some(),
                explicit(row.bytes_recv_rate, 0),
                explicit(row.bytes_sent_rate, 1),
            ])?;
            if !row.provenance.is_empty() {
                conn.prepare_cached(INSERT_EVENT)?.execute(params![
                    t,
                    iface,
                    row.provenance.bits(),
                    counter_to_sql(row.event_bytes),
                    row.bridged_from.map(to_ms),
                ])?;
            }
        }
        if late {
            rollup::fold(conn, &self.calendar, t, t + 1)?;
        }
        drop(insert);
        meta::add(conn, meta::RAW_ROWS, cycle.rows.len() as i64)?;
        self.record_resume_point(cycle, reading)
    }
}

/// What a transaction of cycles changed that the store keeps in memory
/// once it commits.
pub(super) struct Written {
    /// Interfaces given an id.
    pub(super) new_ids: Vec<(String, i64)>,
    /// Whether names without samples were forgotten (see [`free_id`]).
    pub(super) purged: bool,
    /// The fold mark.
    pub(super) folded_until: Option<i64>,
}

/// Runs a statement without parameters, prepared once per connection.
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// Whether `e` is a key clash (a row with the same time and interface
/// exists).
fn is_unique_clash(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == ErrorCode::ConstraintViolation
            && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE))
}

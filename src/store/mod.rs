//! The SQLite repository: opening (and refusing or upgrading) a database,
//! writing one cycle per transaction, resume points, retention and counts.

pub mod codec;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod history;
pub mod lock;
pub mod meta;
pub mod read_only;
mod repair;
pub mod resume_point;
pub mod retention;
pub mod rollup;
pub mod schema;
pub mod slots;
pub mod writer;

use crate::calendar::Calendar;
use crate::fsutil::Access;
use crate::provenance::Provenance;
use crate::resume::Resumed;
use crate::sampler::Baseline;
use crate::sampler::Cycle;
use chrono::{DateTime, Duration, Utc};
pub use codec::{format_timestamp, from_ms, interval_us, parse_timestamp, to_ms};
use lock::{DatabaseLock, LockError};
use resume_point::{LastReading, Reading, ResumePoint};
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension};
use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// How long a reader waits for a lock before failing.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
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
fn counter_to_sql(value: u64) -> i64 {
    value as i64
}

/// Deltas are stored as non-negative integers (saturating; a real delta never
/// comes near 2^63).
fn delta_to_sql(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file or its directory could not be created or opened.
    #[error("cannot create database {}: {source}", path.display())]
    Create {
        /// The database.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a database netmon may write.
    #[error("{0}")]
    Refused(String),
    /// Another monitor holds the database.
    #[error(transparent)]
    Locked(#[from] LockError),
    /// SQLite failed.
    #[error("database {}: {source}", path.display())]
    Sqlite {
        /// The database.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The wall clock went back so far that every nearby timestamp is taken.
    #[error("cannot write to {}: timestamps around {around} are all taken", path.display())]
    ClockCollision {
        /// The database.
        path: PathBuf,
        /// The cycle's timestamp.
        around: String,
    },
    /// The database records a time zone this machine does not know.
    #[error("database {}: {reason}", path.display())]
    Zone {
        /// The database.
        path: PathBuf,
        /// Why the zone cannot be used.
        reason: String,
    },
}

impl StoreError {
    /// Whether the database refused this cycle's content (a constraint, a
    /// value too big, a clock collision): writing the same cycle again can
    /// never work. Every other failure (disk full, locked, directory gone,
    /// I/O) may pass, so the cycle is kept and retried.
    pub fn rejects_cycle(&self) -> bool {
        match self {
            StoreError::ClockCollision { .. } => true,
            StoreError::Sqlite {
                source: rusqlite::Error::SqliteFailure(e, _),
                ..
            } => matches!(
                e.code,
                ErrorCode::ConstraintViolation | ErrorCode::TooBig | ErrorCode::TypeMismatch
            ),
            _ => false,
        }
    }
}

/// How a store's files went missing from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LostFiles {
    /// Nothing is at the database's path.
    #[error("the database file was removed")]
    Removed,
    /// Another file is at the database's path.
    #[error("the database file was replaced by another file")]
    Replaced,
    /// The write-ahead log beside it was removed or replaced.
    #[error("the database's write-ahead log (-wal) was removed or replaced")]
    LogLost,
}

/// An open, validated, writable netmon database, locked for this process.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    identity: (u64, u64),
    /// The path with links resolved (SQLite's `-wal` is beside it).
    real_path: PathBuf,
    /// (device, inode) of its write-ahead log, once a commit made one.
    wal_identity: Option<(u64, u64)>,
    calendar: Calendar,
    raw_counts: bool,
    access: Access,
    /// Interface names and their ids in `netmon_interfaces` (committed ones).
    ids: HashMap<String, i64>,
    /// What the next run continues from (saved with every cycle).
    resume: ResumePoint,
    /// The boot and selection of this run, recorded with its first cycle
    /// (`None`: a writer of history, not a run; the point keeps its boot).
    run: Option<Run>,
    /// [`meta::FOLDED_UNTIL`] as committed.
    folded_until: Option<i64>,
    _lock: DatabaseLock,
}

impl Store {
    /// Opens the database at `path` for writing, creating it (mode 0600, new
    /// directories 0700) or upgrading it in place, and takes its monitor
    /// lock. A file that is not a netmon database is refused untouched. A
    /// write waits at most `busy_timeout` for another process's lock before
    /// failing (and being retried later).
    pub fn open(path: &Path, busy_timeout: std::time::Duration) -> Result<Store, StoreError> {
        Store::open_full(path, busy_timeout, None, Access::Private)
    }

    /// Like [`Store::open`], creating a missing database (and directories)
    /// with `access`'s modes: 0640/0750 lets the file's group read it.
    pub fn open_as(
        path: &Path,
        busy_timeout: std::time::Duration,
        access: Access,
    ) -> Result<Store, StoreError> {
        Store::open_full(path, busy_timeout, None, access)
    }

    /// Like [`Store::open`], but a database that records no calendar yet
    /// gets `calendar` (`None`: this process's time zone).
    pub fn open_in(
        path: &Path,
        busy_timeout: std::time::Duration,
        calendar: Option<&Calendar>,
    ) -> Result<Store, StoreError> {
        Store::open_full(path, busy_timeout, calendar, Access::Private)
    }

    fn open_full(
        path: &Path,
        busy_timeout: std::time::Duration,
        calendar: Option<&Calendar>,
        access: Access,
    ) -> Result<Store, StoreError> {
        crate::fsutil::check_regular(path).map_err(|why| {
            StoreError::Refused(format!(
                "database_file {}: {why}; name a database file",
                path.display()
            ))
        })?;
        crate::fsutil::open_append(path, access).map_err(|source| StoreError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        let lock = DatabaseLock::acquire(path)?;
        let kind = schema::inspect(path).map_err(StoreError::Refused)?;
        let fail = |source: rusqlite::Error| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
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
            let system = match calendar {
                Some(calendar) => calendar.clone(),
                None => Calendar::system().map_err(|reason| StoreError::Zone {
                    path: path.to_path_buf(),
                    reason: reason.to_string(),
                })?,
            };
            match kind {
                schema::Kind::Empty => {
                    tracing::info!(database = %path.display(), time_zone = system.name(), "creating a new netmon database")
                }
                schema::Kind::Netmon(from) => {
                    tracing::info!(database = %path.display(), from, to = schema::SCHEMA_VERSION, "upgrading the database schema in place");
                }
            }
            // Schema 2 started recording the calendar.
            if matches!(kind, schema::Kind::Netmon(0 | 1)) {
                tracing::warn!(
                    "database {} did not record the time zone its days and months are cut in: \
                         taking {} (this process's time zone)",
                    path.display(),
                    system.name()
                );
            }
            schema::upgrade(&mut conn, &kind, &system).map_err(|e| match e {
                schema::UpgradeError::Sqlite(source) => fail(source),
                zone @ schema::UpgradeError::Zone(_) => StoreError::Zone {
                    path: path.to_path_buf(),
                    reason: zone.to_string(),
                },
            })?;
        }
        let calendar = read_calendar(&conn).map_err(|e| StoreError::Zone {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let identity = file_identity(path).ok_or_else(|| StoreError::Create {
            path: path.to_path_buf(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        })?;
        let ids = interface_ids(&conn).map_err(fail)?;
        let resume = ResumePoint::load(&conn).map_err(fail)?;
        let folded_until = meta::get(&conn, meta::FOLDED_UNTIL)
            .map_err(fail)?
            .and_then(|v| v.parse().ok());
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            identity,
            real_path: fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
            wal_identity: None,
            calendar,
            raw_counts: true,
            access,
            ids,
            resume,
            run: None,
            folded_until,
            _lock: lock,
        })
    }

    /// Whether `network_stats` gets the cumulative counters (`false`: those
    /// columns hold 0; the resume points keep them either way, for restarts).
    pub fn with_raw_counts(mut self, raw_counts: bool) -> Store {
        self.raw_counts = raw_counts;
        self
    }

    /// Who may read the files it creates.
    pub fn access(&self) -> Access {
        self.access
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The calendar this database's rollups are cut in.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// What became of the files this store writes, if they are no longer
    /// at the path (removed or replaced by hand, a cleanup job, a restore):
    /// writes to an unlinked file would be lost when the process ends, and
    /// other processes read what is at the path. `None` while they are.
    pub fn lost_files(&self) -> Option<LostFiles> {
        use std::os::unix::fs::MetadataExt;
        // Only "not found" (or a directory on the way that is no longer
        // one) is gone: a stat that fails otherwise (EACCES, an NFS hiccup)
        // cannot tell, and the files are taken as current.
        let identity = |path: &Path| match fs::metadata(path) {
            Ok(m) => Some(Some((m.dev(), m.ino()))),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Some(None)
            }
            Err(_) => None,
        };
        match identity(&self.real_path)? {
            None => Some(LostFiles::Removed),
            Some(found) if found != self.identity => Some(LostFiles::Replaced),
            _ if self.wal_identity.is_some()
                && identity(&crate::fsutil::sibling(&self.real_path, "-wal"))?
                    != self.wal_identity =>
            {
                Some(LostFiles::LogLost)
            }
            _ => None,
        }
    }

    /// The database file's own path, links resolved when it was opened:
    /// where SQLite keeps it and its `-wal`.
    pub fn real_path(&self) -> &Path {
        &self.real_path
    }

    /// Writes everything this store's connection sees (the database with
    /// its write-ahead log, which the connection keeps open even when
    /// they were removed) to the database file at `target` (SQLite's
    /// online backup, which takes any path).
    pub fn copy_to(&self, target: &Path) -> Result<(), StoreError> {
        self.conn
            .backup(rusqlite::MAIN_DB, target, None)
            .map_err(|source| StoreError::Sqlite {
                path: target.to_path_buf(),
                source,
            })
    }

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

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
            self.wal_identity = file_identity(&crate::fsutil::sibling(&self.real_path, "-wal"));
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

    /// Rolls the open transaction back, and the resume point in memory to
    /// the one in the database (it must never say more than the rows do:
    /// retention may save it before the cycles are written again).
    fn roll_back(&mut self) {
        let _ = run(&self.conn, "ROLLBACK");
        if let Ok(committed) = ResumePoint::load(&self.conn) {
            self.resume = committed;
        }
        if let Some(run) = &mut self.run {
            run.recorded =
                self.resume.boot_id == run.boot_id && self.resume.selection == Some(run.selection);
        }
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

    /// Records in the resume point where each interface of `cycle` (stored
    /// or not) goes on from, the cycle itself (stamped `reading`) and, with
    /// the run's first cycle, the run's boot; saves it.
    fn record_resume_point(&mut self, cycle: &Cycle, reading: Reading) -> rusqlite::Result<()> {
        // A reading taken with its cycle is recorded at the cycle's stamp
        // (nudged past a stored one if the clock went back).
        let reading_of = |b: &Baseline| {
            if b.at == cycle.clock {
                reading
            } else {
                Reading::new(b.wall, b.at)
            }
        };
        for row in cycle.interface_rows() {
            let next = &row.next_from;
            // A baseline kept from another boot keeps what that boot said.
            let after_final = next.other_boot
                && self
                    .resume
                    .interfaces
                    .get(&row.interface)
                    .is_some_and(|last| last.after_final);
            self.resume.record(
                &row.interface,
                LastReading {
                    at: reading_of(&next.good),
                    ifindex: row.ifindex,
                    baseline: next.good.counters.to_array(),
                    other_boot: next.other_boot,
                    after_final,
                    glitching: row
                        .provenance
                        .intersects(Provenance::GLITCH.with(Provenance::DIP_LASTS)),
                    set_aside: next
                        .set_aside
                        .map(|b| (reading_of(&b), b.counters.to_array())),
                    listed: None,
                },
            );
        }
        for name in &cycle.unreadable {
            if let Some(last) = self.resume.interfaces.get_mut(name) {
                last.listed = Some(reading);
            }
        }
        if let Some(run) = self.run.as_mut().filter(|run| !run.recorded) {
            let read_now = |last: &LastReading| last.read_at() == reading;
            match run.continues {
                Resumed::SameBoot { .. } => {}
                Resumed::NewBoot => {
                    // The old boot's readings wait for their interfaces to
                    // appear in this one (counted since the boot); a
                    // reading of a boot before that goes.
                    let (ended_final, last_cycle) =
                        (self.resume.final_sample, self.resume.last_cycle);
                    self.resume
                        .interfaces
                        .retain(|_, last| read_now(last) || !last.other_boot);
                    for last in self.resume.interfaces.values_mut() {
                        if !read_now(last) {
                            last.after_final = ended_final && Some(last.read_at()) == last_cycle;
                            last.other_boot = true;
                            last.listed = None;
                        }
                    }
                }
                Resumed::Fresh => self.resume.interfaces.retain(|_, last| read_now(last)),
            }
            self.resume.boot_id.clone_from(&run.boot_id);
            self.resume.legacy_btime = None;
            self.resume.selection = Some(run.selection);
            run.recorded = true;
        }
        self.resume.last_cycle = Some(reading);
        self.resume.final_sample = cycle.final_sample;
        self.resume.save(&self.conn)
    }

    /// What the next run continues from: the boot, the last written cycle
    /// and each interface's last reading (one value in `netmon_meta`:
    /// O(interfaces), whatever the history's size).
    pub fn resume_point(&self) -> &ResumePoint {
        &self.resume
    }

    /// Forgets the resume points of interfaces last written before
    /// `cutoff`; returns how many.
    pub fn forget_interfaces_before(&mut self, cutoff: DateTime<Utc>) -> Result<usize, StoreError> {
        let forgotten = self.resume.forget_before(cutoff);
        if forgotten > 0 {
            self.resume.save(&self.conn).map_err(|e| self.sqlite(e))?;
        }
        Ok(forgotten)
    }

    /// Sets the boot and selection this run's cycles are taken in, and how
    /// the run continues the resume point (see [`crate::resume`]). They are
    /// recorded with its first cycle written: until then the point keeps
    /// saying what the earlier run left. Then the readings of the point that
    /// the first cycle did not replace stay if they are of the same boot,
    /// are kept as another boot's readings after a reboot (an interface that
    /// appears later counts since the boot), and go when the boot could not
    /// be told.
    pub fn begin_run(&mut self, boot_id: Option<String>, selection: u64, continues: Resumed) {
        self.run = Some(Run {
            boot_id,
            selection,
            continues,
            recorded: false,
        });
    }

    /// Runs one retention statement (parameters: cutoff, batch size) in its
    /// own transaction, taking deleted raw samples off the row count;
    /// returns the rows deleted.
    fn execute(
        &self,
        sql: &str,
        cutoff: &rusqlite::types::Value,
        batch: usize,
        raw: bool,
    ) -> Result<usize, StoreError> {
        let run = || -> rusqlite::Result<usize> {
            let tx = self.conn.unchecked_transaction()?;
            let deleted = tx.prepare_cached(sql)?.execute(params![cutoff, batch])?;
            if raw {
                meta::add(&tx, meta::RAW_ROWS, -(deleted as i64))?;
            }
            tx.commit()?;
            Ok(deleted)
        };
        run().map_err(|e| self.sqlite(e))
    }
}

impl Drop for Store {
    /// Leaves the database in rollback-journal mode when the monitor stops
    /// (checkpointing the WAL into it), so that readers of a stopped
    /// monitor's database need no `-wal`/`-shm` file. If another connection
    /// has it open, it simply stays in WAL mode.
    fn drop(&mut self) {
        // A store whose files were lost must not touch the path: leaving
        // WAL mode deletes `<path>-wal` by name, which is another file's now.
        if self.lost_files().is_some() {
            return;
        }
        let _ = self.conn.busy_timeout(std::time::Duration::ZERO);
        let _ = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0));
    }
}

/// The boot and selection of the running process, and how it relates to
/// the resume point it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    boot_id: Option<String>,
    selection: u64,
    /// How the run continues the point (which of its readings stay).
    continues: Resumed,
    /// Whether the point already says this run's boot.
    recorded: bool,
}

/// What a transaction of cycles changed that the store keeps in memory
/// once it commits.
struct Written {
    /// Interfaces given an id.
    new_ids: Vec<(String, i64)>,
    /// Whether names without samples were forgotten (see [`free_id`]).
    purged: bool,
    /// The fold mark.
    folded_until: Option<i64>,
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

/// Every interface name and its id.
fn interface_ids(conn: &Connection) -> rusqlite::Result<HashMap<String, i64>> {
    let mut stmt = conn.prepare("SELECT name, id FROM netmon_interfaces")?;
    let ids = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect();
    ids
}

/// The id of interface `name`: from `known` (committed), from the
/// database (given in this transaction), or a new one, recorded in
/// `written`. New ids count up from 1, below [`schema::TOTAL_ID`]; once
/// they reach it, freed ids are given again (see [`free_id`]).
fn interface_id(
    conn: &Connection,
    known: &HashMap<String, i64>,
    written: &mut Written,
    name: &str,
) -> rusqlite::Result<i64> {
    // After a purge in this transaction, only the table tells which ids
    // still stand.
    if let Some(&id) = known.get(name).filter(|_| !written.purged) {
        return Ok(id);
    }
    let stored: Option<i64> = conn
        .prepare_cached("SELECT id FROM netmon_interfaces WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    let id = match stored {
        Some(id) => id,
        None => {
            let next: i64 = conn.query_row(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM netmon_interfaces WHERE id < ?1",
                [schema::TOTAL_ID],
                |r| r.get(0),
            )?;
            let id = if next < schema::TOTAL_ID {
                next
            } else {
                free_id(conn, written)?
            };
            conn.execute(
                "INSERT INTO netmon_interfaces (id, name) VALUES (?1, ?2)",
                params![id, name],
            )?;
            id
        }
    };
    written.new_ids.push((name.to_string(), id));
    Ok(id)
}

/// An id below [`schema::TOTAL_ID`] that no interface holds, once every
/// one was given out (a million interface names: years of container
/// churn). The names whose samples and events retention deleted are
/// forgotten first (their rollups keep their names), which frees theirs.
/// Fails only when every id names an interface that still has samples.
fn free_id(conn: &Connection, written: &mut Written) -> rusqlite::Result<i64> {
    const LOWEST_FREE: &str = "SELECT CASE
            WHEN NOT EXISTS (SELECT 1 FROM netmon_interfaces WHERE id = 1) THEN 1
            ELSE (SELECT MIN(a.id) + 1 FROM netmon_interfaces a
                  WHERE a.id + 1 < ?1
                    AND NOT EXISTS (SELECT 1 FROM netmon_interfaces b WHERE b.id = a.id + 1))
        END";
    let lowest = |conn: &Connection| {
        conn.query_row(LOWEST_FREE, [schema::TOTAL_ID], |r| {
            r.get::<_, Option<i64>>(0)
        })
    };
    if let Some(id) = lowest(conn)? {
        return Ok(id);
    }
    let forgotten = conn.execute(
        "DELETE FROM netmon_interfaces WHERE id < ?1
             AND id NOT IN (SELECT iface FROM netmon_samples)
             AND id NOT IN (SELECT iface FROM netmon_events)",
        [schema::TOTAL_ID],
    )?;
    written.purged = true;
    tracing::info!(
        forgotten,
        "every interface id was given out: forgot the names that have no samples left, \
         their ids are given again"
    );
    lowest(conn)?.ok_or_else(|| {
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            Some(format!(
                "{} interfaces have samples: no interface id is free; lower retention_days",
                schema::TOTAL_ID - 1
            )),
        )
    })
}

/// Why the calendar a database records cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The recorded zone is not one this machine knows (why).
    #[error("{0}")]
    Unknown(String),
}

/// The calendar recorded in the database (UTC hours and days for a database
/// that records none).
pub fn read_calendar(conn: &Connection) -> Result<Calendar, CalendarError> {
    let zone = meta::get(conn, meta::ZONE)?;
    let phase = meta::get(conn, meta::HOUR_PHASE)?
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    match zone {
        Some(spec) => {
            Calendar::from_spec(&spec, phase).map_err(|e| CalendarError::Unknown(e.to_string()))
        }
        None => Ok(Calendar::utc()),
    }
}

/// (device, inode) of a file, to notice it being removed or replaced.
fn file_identity(path: &Path) -> Option<(u64, u64)> {
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(test)]
mod tests;

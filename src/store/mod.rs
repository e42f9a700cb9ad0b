//! The SQLite repository: the [`Store`] a monitor writes through, opened
//! (a file that is not netmon's is refused untouched, an older one is
//! upgraded in place) and locked for one process. Writing cycles, interface
//! ids, the resume point, retention and its files are its modules' own;
//! reading the history is [`history`]'s, which never writes.

pub(crate) mod codec;
mod files;
#[cfg(test)]
pub(crate) mod fixtures;
pub(crate) mod history;
mod ids;
pub(crate) mod lock;
pub(crate) mod meta;
pub(crate) mod read_only;
mod repair;
pub(crate) mod resume_point;
mod resume_record;
pub(crate) mod retention;
pub(crate) mod rollup;
pub(crate) mod schema;
pub(crate) mod slots;
mod write;
pub(crate) mod writer;

use crate::model::calendar::Calendar;
use crate::support::fsutil::Access;
pub(crate) use codec::{format_timestamp, from_ms, interval_us, parse_timestamp, to_ms};
use files::{check_database_file, file_identity};
pub(crate) use files::{LostFiles, NotAFile};
use ids::interface_ids;
use lock::{DatabaseLock, LockError};
use resume_point::ResumePoint;
use resume_record::Run;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// How long a reader waits for a lock before failing.
pub(crate) const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

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
    /// The path is not a database netmon may write.
    #[error(transparent)]
    Refused(#[from] Refusal),
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
    /// The database's calendar cannot be used.
    #[error("database {}: {source}", path.display())]
    Zone {
        /// The database.
        path: PathBuf,
        /// Why the zone cannot be used.
        #[source]
        source: ZoneError,
    },
}

/// Why the calendar of a database being opened cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    /// This process's time zone, for a database that records none yet, is
    /// not one this machine knows.
    #[error(transparent)]
    System(crate::model::calendar::ZoneError),
    /// The zone the database records is unknown here, found upgrading it.
    #[error(transparent)]
    Upgrading(schema::UpgradeError),
    /// The zone the database records cannot be read or is unknown here.
    #[error(transparent)]
    Recorded(CalendarError),
}

/// Why netmon will not write a database at a path.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The path names something other than a database file.
    #[error(transparent)]
    NotAFile(NotAFile),
    /// The file is not a netmon database netmon may write.
    #[error(transparent)]
    NotNetmon(schema::NotNetmon),
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
        check_database_file(path).map_err(Refusal::NotAFile)?;
        crate::support::fsutil::open_append(path, access).map_err(|source| StoreError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        let lock = DatabaseLock::acquire(path)?;
        let kind = schema::inspect(path).map_err(Refusal::NotNetmon)?;
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
                    source: ZoneError::System(reason),
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
                    source: ZoneError::Upgrading(zone),
                },
            })?;
        }
        let calendar = read_calendar(&conn).map_err(|e| StoreError::Zone {
            path: path.to_path_buf(),
            source: ZoneError::Recorded(e),
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

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
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

/// Why the calendar a database records cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The recorded zone is not one this machine knows.
    #[error(transparent)]
    Unknown(crate::model::calendar::ZoneError),
}

/// The calendar recorded in the database (UTC hours and days for a database
/// that records none).
pub(crate) fn read_calendar(conn: &Connection) -> Result<Calendar, CalendarError> {
    let zone = meta::get(conn, meta::ZONE)?;
    let phase = meta::get(conn, meta::HOUR_PHASE)?
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    match zone {
        Some(spec) => Calendar::from_spec(&spec, phase).map_err(CalendarError::Unknown),
        None => Ok(Calendar::utc()),
    }
}

#[cfg(test)]
mod tests;

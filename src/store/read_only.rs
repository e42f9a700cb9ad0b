//! Reading a netmon database without writing anything beside it, from any
//! user and in any directory (what `--summary` and schema inspection need).

use super::files::{check_database_file, NotAFile};
use super::history::History;
use super::schema;
use crate::support::fsutil::sibling;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// Why a database cannot be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    /// The path names something other than a database file.
    #[error(transparent)]
    NotAFile(NotAFile),
    /// Nothing is at the path.
    #[error("database {} does not exist; run netmon first to collect samples (or check database_file)", path.display())]
    Missing {
        /// The path.
        path: PathBuf,
    },
    /// This user may not read it.
    #[error(
        "database {}: permission denied; reading it needs read access to the file and \
         its directories: ask its owner, or join its group (the netmon group for the \
         packaged service)",
        path.display()
    )]
    PermissionDenied {
        /// The path.
        path: PathBuf,
    },
    /// It cannot be read for another reason.
    #[error("cannot read database {}: {source}", path.display())]
    Unreadable {
        /// The path.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// It is not a netmon database.
    #[error(transparent)]
    NotNetmon(schema::NotNetmon),
    /// Nothing was collected into it yet.
    #[error(
        "database {} is empty: nothing collected yet; run netmon first to collect samples \
         (or check database_file)",
        path.display()
    )]
    Empty {
        /// The path.
        path: PathBuf,
    },
    /// Its schema is older than this netmon's.
    #[error("database {} has an older schema ({kind}); run netmon --once on it to upgrade it in place", path.display())]
    OlderSchema {
        /// The path.
        path: PathBuf,
        /// What it is.
        kind: schema::Kind,
    },
    /// SQLite could not open it.
    #[error("cannot open {}: {source}", path.display())]
    Sqlite {
        /// The path.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
}

impl OpenError {
    /// Whether the configuration names something that is no netmon
    /// database (a usage error), rather than a database that cannot be
    /// read now.
    pub(crate) fn is_usage(&self) -> bool {
        matches!(self, OpenError::NotAFile(_) | OpenError::NotNetmon(_))
    }
}

/// Opens `path` like [`open`] after checking that it is a netmon database
/// at the current schema; a read waits at most `wait` for a writer's lock.
pub(crate) fn open_current(path: &Path, wait: std::time::Duration) -> Result<ReadOnly, OpenError> {
    let at = || path.to_path_buf();
    check_database_file(path).map_err(OpenError::NotAFile)?;
    let readable = std::fs::metadata(path).and_then(|_| std::fs::File::open(path));
    match readable {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(OpenError::Missing { path: at() })
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(OpenError::PermissionDenied { path: at() })
        }
        Err(source) => return Err(OpenError::Unreadable { path: at(), source }),
        Ok(_) => {}
    }
    let kind = schema::inspect(path).map_err(OpenError::NotNetmon)?;
    if kind == schema::Kind::Empty {
        return Err(OpenError::Empty { path: at() });
    }
    if kind != schema::Kind::Netmon(schema::SCHEMA_VERSION) {
        return Err(OpenError::OlderSchema { path: at(), kind });
    }
    open_waiting(path, wait).map_err(|source| OpenError::Sqlite { path: at(), source })
}

/// Opens `path` like [`open`]; a read waits at most `wait` for a writer's
/// lock.
pub(crate) fn open_waiting(path: &Path, wait: std::time::Duration) -> rusqlite::Result<ReadOnly> {
    let connect = |path: &Path| {
        let conn = Connection::open_with_flags(path, READ_ONLY)?;
        // Before the first read: the probe below waits no longer either.
        conn.busy_timeout(wait)?;
        Ok::<_, rusqlite::Error>(conn)
    };
    let wal = sibling(path, "-wal");
    if !wal.exists() && is_wal_mode(path) {
        return Ok(ReadOnly {
            conn: open_immutable(path, READ_ONLY)?,
            immutable_without: Some(wal),
            _copy: None,
        });
    }
    let conn = connect(path)?;
    match probe(&conn) {
        Ok(()) => Ok(ReadOnly {
            conn,
            immutable_without: None,
            _copy: None,
        }),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::CannotOpen => {
            drop(conn);
            let (copy, copied) = PrivateCopy::of(path, &wal).map_err(|e| {
                rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                    Some(format!(
                        "its WAL cannot be read here, nor copied to read it: {e}"
                    )),
                )
            })?;
            let conn = connect(&copied)?;
            probe(&conn)?;
            Ok(ReadOnly {
                conn,
                immutable_without: None,
                _copy: Some(copy),
            })
        }
        Err(e) => Err(e),
    }
}

/// Opens `path` read-only, never creating or changing anything beside it,
/// from any user and in any directory:
///
/// - a database in rollback-journal mode (how netmon leaves it when it stops)
///   is opened normally: that needs no extra file;
/// - a database whose WAL file exists is opened normally (a monitor may be
///   writing it). If its `-shm` cannot be created there (a read-only
///   directory or mount, as another user), the database and its WAL are
///   read from a private copy in the temporary directory, removed afterwards;
/// - a WAL-mode database without a WAL file (a copy, or one left by a crash)
///   holds all its data in the main file and is opened as immutable, so no
///   `-wal`/`-shm` file is created beside it. [`ReadOnly::still_valid`]
///   tells whether a monitor started meanwhile (then read again).
pub(crate) fn open(path: &Path) -> rusqlite::Result<ReadOnly> {
    open_waiting(path, SQLITE_WAIT)
}

/// How long a reader waits for a writer's lock unless told otherwise
/// (rusqlite's own default).
const SQLITE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How every reader opens: read-only, no mutex (one thread per connection).
const READ_ONLY: OpenFlags =
    OpenFlags::SQLITE_OPEN_READ_ONLY.union(OpenFlags::SQLITE_OPEN_NO_MUTEX);

/// Reads the schema once, which is where opening a WAL database can fail.
fn probe(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|_| ())
}

/// A read-only connection from [`open`].
pub struct ReadOnly {
    /// The connection.
    pub conn: Connection,
    /// The WAL file that did not exist when the database was opened as
    /// immutable.
    immutable_without: Option<PathBuf>,
    /// The private copy being read, if any (dropped after the connection).
    _copy: Option<PrivateCopy>,
}

impl ReadOnly {
    /// The history this connection reads.
    pub fn history(&self) -> History<'_> {
        History::of(&self.conn)
    }

    /// Whether what was read is valid: false when the database was read as
    /// immutable and a monitor has since started writing it.
    pub fn still_valid(&self) -> bool {
        self.immutable_without
            .as_ref()
            .is_none_or(|wal| !wal.exists())
    }
}

/// A copy of a database and its WAL in a private temporary directory
/// (mode 0700), removed with everything in it when dropped.
struct PrivateCopy {
    _dir: tempfile::TempDir,
}

impl PrivateCopy {
    /// Copies `database` and `wal`; returns the copy and the copied database.
    fn of(database: &Path, wal: &Path) -> std::io::Result<(PrivateCopy, PathBuf)> {
        let dir = tempfile::Builder::new().prefix("netmon-read-").tempdir()?;
        let copied = dir.path().join("copy.db");
        std::fs::copy(database, &copied)?;
        std::fs::copy(wal, sibling(&copied, "-wal"))?;
        Ok((PrivateCopy { _dir: dir }, copied))
    }
}

/// Whether the database header says WAL mode (file format versions 2).
fn is_wal_mode(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut header))
        .is_ok_and(|()| header.starts_with(b"SQLite format 3\0") && header[18] == 2)
}

fn open_immutable(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '?' | '#' | '%' => uri.push_str(&format!("%{:02X}", c as u32)),
            _ => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
}

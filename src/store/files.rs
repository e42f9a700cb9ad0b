//! The files of a database: whether a path names a database file at all,
//! noticing a store's files lost (removed or replaced at their path, or
//! their write-ahead log gone), and copying what the connection still sees
//! elsewhere. It never reopens anything.

use super::{Store, StoreError};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A database path that names something other than a database file.
#[derive(Debug, thiserror::Error)]
#[error("database_file {}: {why}; name a database file", path.display())]
pub struct NotAFile {
    /// The path.
    pub path: PathBuf,
    /// What it is instead.
    pub why: crate::support::fsutil::NotRegular,
}

/// Checks that `path` names a regular file, or nothing yet.
pub(super) fn check_database_file(path: &Path) -> Result<(), NotAFile> {
    crate::support::fsutil::check_regular(path).map_err(|why| NotAFile {
        path: path.to_path_buf(),
        why,
    })
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

impl Store {
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
                && identity(&crate::support::fsutil::sibling(&self.real_path, "-wal"))?
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
}

/// (device, inode) of a file, to notice it being removed or replaced.
pub(super) fn file_identity(path: &Path) -> Option<(u64, u64)> {
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

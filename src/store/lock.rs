//! One monitoring process per database: an exclusive `flock` on the database
//! file itself, so a symlink, a hard link or a second path to the same file
//! meets the same lock. SQLite's own locks are POSIX record locks, which
//! `flock` locks never interfere with on Linux. The kernel drops the lock
//! when the process dies, so a `kill -9` never leaves a stale lock; the
//! holder's pid is read from `/proc/locks`, where it appears atomically with
//! the lock.

use std::fs::{File, TryLockError};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Held for as long as this process writes the database.
#[derive(Debug)]
pub(crate) struct DatabaseLock {
    _file: File,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error(
        "database {} is already being monitored by {}; stop that process or use another database_file",
        path.display(),
        holder.map_or("another process".to_string(), |pid| format!("process {pid}"))
    )]
    Held {
        /// The database.
        path: PathBuf,
        /// The holder's pid, when the kernel says.
        holder: Option<u32>,
    },
    /// The file could not be opened or locked.
    #[error("cannot lock database {}: {source}", path.display())]
    Io {
        /// The database.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

/// Attempts before giving up on naming a holder that keeps vanishing.
const ATTEMPTS: u32 = 5;

impl DatabaseLock {
    /// Takes the lock of the existing file at `path`, or fails naming the
    /// process that holds it.
    pub(crate) fn acquire(path: &Path) -> Result<DatabaseLock, LockError> {
        let io = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let metadata = file.metadata().map_err(io)?;
        let mut holder = None;
        for _ in 0..ATTEMPTS {
            match file.try_lock() {
                Ok(()) => return Ok(DatabaseLock { _file: file }),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
            let locks = std::fs::read_to_string("/proc/locks").unwrap_or_default();
            holder = lock_holder(&locks, metadata.dev(), metadata.ino());
            if holder.is_some() {
                break;
            }
            // The holder let go between our attempt and the read: try again.
            std::thread::sleep(Duration::from_millis(5));
        }
        Err(LockError::Held {
            path: path.to_path_buf(),
            holder,
        })
    }
}

/// The pid holding a `flock` write lock on the file (`dev`, `ino`), from the
/// text of `/proc/locks` (`1: FLOCK ADVISORY WRITE 4242 fd:01:123 0 EOF`;
/// waiting locks are marked `->` and skipped).
fn lock_holder(proc_locks: &str, dev: u64, ino: u64) -> Option<u32> {
    let wanted = format!(
        "{:02x}:{:02x}:{ino}",
        rustix::fs::major(dev),
        rustix::fs::minor(dev)
    );
    proc_locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [_, "FLOCK", _, "WRITE", pid, file, ..] if *file == wanted => pid.parse().ok(),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_is_read_from_proc_locks() {
        let dev = rustix::fs::makedev(0xfd, 1);
        let text = "1: POSIX  ADVISORY  WRITE 11 fd:01:77 0 EOF\n\
                    2: FLOCK  ADVISORY  WRITE 4242 fd:01:77 0 EOF\n\
                    2: -> FLOCK  ADVISORY  WRITE 5151 fd:01:77 0 EOF\n\
                    3: FLOCK  ADVISORY  WRITE 99 fd:01:78 0 EOF\n";
        assert_eq!(lock_holder(text, dev, 77), Some(4242));
        assert_eq!(lock_holder(text, dev, 78), Some(99));
        assert_eq!(lock_holder(text, dev, 79), None);
        assert_eq!(lock_holder(text, rustix::fs::makedev(8, 1), 77), None);
        assert_eq!(lock_holder("", dev, 77), None);
    }

    #[test]
    fn a_second_lock_on_the_same_file_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        std::fs::write(&db, "").unwrap();
        let link = dir.path().join("link.db");
        std::os::unix::fs::symlink(&db, &link).unwrap();
        let held = DatabaseLock::acquire(&db).unwrap();
        for path in [&db, &link] {
            let err = DatabaseLock::acquire(path).unwrap_err();
            let message = err.to_string();
            assert!(
                message.contains(&format!("by process {}", std::process::id())),
                "{message}"
            );
            assert!(message.contains(&path.display().to_string()), "{message}");
        }
        drop(held);
        DatabaseLock::acquire(&link).unwrap();
    }
}

//! One monitoring process per database: an exclusive lock on `<database>.lock`
//! holding the owner's pid. The kernel drops the lock when the process dies,
//! so a `kill -9` never leaves a stale lock behind.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Held for as long as this process writes the database.
#[derive(Debug)]
pub struct MonitorLock {
    _file: File,
    path: PathBuf,
}

/// The lock file that guards `database`.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl MonitorLock {
    /// Takes the lock for `database`, or fails naming the process that holds it.
    pub fn acquire(database: &Path) -> Result<MonitorLock> {
        let path = lock_path(database);
        crate::fsutil::create_private_parent(&path).map_err(|e| {
            Error::config(format!(
                "database_file {}: cannot create its directory ({e}); choose another path",
                database.display()
            ))
        })?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| {
                Error::runtime(format!("cannot open lock file {}: {e}", path.display()))
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut owner = String::new();
                let _ = file.read_to_string(&mut owner);
                let owner = owner.trim();
                let owner = if owner.is_empty() { "unknown" } else { owner };
                return Err(Error::runtime(format!(
                    "database {} is already being monitored by process {owner} (lock {}); stop that process or use another database_file",
                    database.display(),
                    path.display()
                )));
            }
            Err(TryLockError::Error(e)) => {
                return Err(Error::runtime(format!(
                    "cannot lock {}: {e}",
                    path.display()
                )))
            }
        }
        let write_pid = |file: &mut File| -> std::io::Result<()> {
            file.set_len(0)?;
            file.rewind()?;
            writeln!(file, "{}", std::process::id())?;
            file.flush()
        };
        write_pid(&mut file).map_err(|e| {
            Error::runtime(format!("cannot write lock file {}: {e}", path.display()))
        })?;
        Ok(MonitorLock { _file: file, path })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        let held = MonitorLock::acquire(&db).unwrap();
        assert_eq!(held.path(), dir.path().join("x.db.lock"));
        let err = MonitorLock::acquire(&db).unwrap_err();
        assert_eq!(err.exit_code(), 1);
        let message = err.to_string();
        assert!(
            message.contains(&format!("by process {}", std::process::id())),
            "{message}"
        );
        assert!(message.contains("x.db"), "{message}");
        drop(held);
        MonitorLock::acquire(&db).unwrap();
    }
}

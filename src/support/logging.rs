//! Tracing to stderr and to a size-rotated log file (SPEC §7).

use crate::config::LogSettings;
use crate::support::fsutil::open_private_append;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// A log file that rotates itself at `max_bytes`: `f.log` → `f.log.1` → … →
/// `f.log.N` (N = `backup_count`), the oldest discarded.
#[derive(Debug)]
struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    backup_count: u32,
    state: Mutex<Option<(File, u64)>>,
}

impl RotatingFile {
    /// A log at `path`, opened (created with mode 0600, its new directories
    /// 0700) on the first line written: nothing exists on disk before a
    /// line is logged.
    pub(crate) fn new(path: &Path, max_bytes: u64, backup_count: u32) -> Self {
        RotatingFile {
            path: path.to_path_buf(),
            max_bytes,
            backup_count,
            state: Mutex::new(None),
        }
    }

    /// Closes and reopens the file (after logrotate moved it: SIGHUP).
    pub(crate) fn reopen(&self) -> io::Result<()> {
        *self.lock() = Some(self.open_append()?);
        Ok(())
    }

    fn open_append(&self) -> io::Result<(File, u64)> {
        let file = open_private_append(&self.path)?;
        let size = file.metadata()?.len();
        Ok((file, size))
    }

    fn lock(&self) -> MutexGuard<'_, Option<(File, u64)>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn rotate(&self, state: &mut Option<(File, u64)>) -> io::Result<()> {
        *state = None;
        let numbered = |n: u32| {
            let mut name = self.path.as_os_str().to_owned();
            name.push(format!(".{n}"));
            PathBuf::from(name)
        };
        // The live file may be gone already (removed by hand or by an
        // external logrotate): then there is nothing to move.
        let gone = |e: io::Error| {
            if e.kind() == io::ErrorKind::NotFound {
                Ok(())
            } else {
                Err(e)
            }
        };
        if self.backup_count == 0 {
            fs::remove_file(&self.path).or_else(gone)?;
        } else {
            for n in (1..self.backup_count).rev() {
                if numbered(n).exists() {
                    fs::rename(numbered(n), numbered(n + 1))?;
                }
            }
            fs::rename(&self.path, numbered(1)).or_else(gone)?;
        }
        *state = Some((open_private_append(&self.path)?, 0));
        Ok(())
    }

    /// Whether the open file is no longer the one at the path (removed, or
    /// moved away by an external logrotate without SIGHUP).
    fn detached(&self, file: &File) -> bool {
        let open = file.metadata().map(|m| (m.dev(), m.ino()));
        let named = fs::metadata(&self.path).map(|m| (m.dev(), m.ino()));
        !matches!((open, named), (Ok(a), Ok(b)) if a == b)
    }
}

impl Write for &RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut state = self.lock();
        if state.as_ref().is_none_or(|(file, _)| self.detached(file)) {
            *state = Some(self.open_append()?);
        }
        let full = matches!(&*state, Some((_, size)) if *size > 0 && size + buf.len() as u64 > self.max_bytes);
        if full {
            self.rotate(&mut state)?;
        }
        match state.as_mut() {
            Some((file, size)) => {
                file.write_all(buf)?;
                *size += buf.len() as u64;
                Ok(buf.len())
            }
            None => Err(io::Error::other("log file is not open")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.lock().as_mut() {
            Some((file, _)) => file.flush(),
            None => Ok(()),
        }
    }
}

/// Keeps the log file reachable for SIGHUP reopening.
#[derive(Debug, Clone, Default)]
pub(crate) struct LogHandle {
    file: Option<Arc<RotatingFile>>,
}

impl LogHandle {
    /// Reopens the log file, if there is one.
    pub(crate) fn reopen(&self) {
        if let Some(file) = &self.file {
            match file.reopen() {
                Ok(()) => tracing::info!(file = %file.path.display(), "log file reopened"),
                Err(e) => {
                    tracing::error!(file = %file.path.display(), "cannot reopen log file: {e}")
                }
            }
        }
    }
}

/// Installs the global subscriber: stderr always, the file when configured
/// (created when the first line is written).
pub(crate) fn init(settings: &LogSettings) -> LogHandle {
    let level = LevelFilter::from_level(settings.level);
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(io::stderr)
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .with_target(false)
        .with_filter(level);
    let file = settings.file.as_ref().map(|path| {
        Arc::new(RotatingFile::new(
            path,
            settings.max_bytes,
            settings.backup_count,
        ))
    });
    let file_layer = file.clone().map(|file| {
        tracing_subscriber::fmt::layer()
            .with_writer(file)
            .with_ansi(false)
            .with_target(false)
            .with_filter(level)
    });
    // A second init in one process (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file_layer)
        .try_init();
    LogHandle { file }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_at_max_bytes_keeping_backup_count_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/x.log");
        let log = RotatingFile::new(&path, 100, 2);
        let line = [b'a'; 40];
        for _ in 0..10 {
            (&log).write_all(&line).unwrap();
        }
        assert!(fs::metadata(&path).unwrap().len() <= 100);
        assert_eq!(
            fs::metadata(dir.path().join("logs/x.log.1")).unwrap().len(),
            80
        );
        assert!(dir.path().join("logs/x.log.2").exists());
        assert!(!dir.path().join("logs/x.log.3").exists());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_removed_log_file_is_created_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let log = RotatingFile::new(&path, 1 << 20, 1);
        (&log).write_all(b"before\n").unwrap();
        fs::remove_file(&path).unwrap();
        (&log).write_all(b"after\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "after\n");
        // Moved away by logrotate without a SIGHUP: a new file too.
        fs::rename(&path, dir.path().join("x.log.old")).unwrap();
        (&log).write_all(b"new\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(
            fs::read_to_string(dir.path().join("x.log.old")).unwrap(),
            "after\n"
        );
    }

    #[test]
    fn rotation_survives_a_vanished_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        for backups in [0, 2] {
            let log = RotatingFile::new(&path, 10, backups);
            (&log).write_all(b"x").unwrap();
            let mut state = log.lock();
            fs::remove_file(&path).unwrap();
            log.rotate(&mut state).unwrap();
            drop(state);
            assert!(path.exists());
        }
    }

    #[test]
    fn reopen_follows_a_moved_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let log = RotatingFile::new(&path, 1 << 20, 1);
        (&log).write_all(b"before\n").unwrap();
        fs::rename(&path, dir.path().join("moved.log")).unwrap();
        log.reopen().unwrap();
        (&log).write_all(b"after\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "after\n");
    }
}

//! The files configuration names: reading a bounded configuration file,
//! and checking, creating nothing, that the database and log files can be
//! written where they are configured.

use super::Config;
use crate::support::error::{Error, Result};
use std::fmt::Display;
use std::path::{Path, PathBuf};

/// Reads a text file of at most `limit` bytes; a bigger one is refused
/// before it is read (a configuration that asks for gigabytes is a mistake).
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<String> {
    let fail = |e: &dyn Display| Error::config(format!("{}: cannot read: {e}", path.display()));
    let mut bytes = Vec::new();
    let longer = crate::support::fsutil::open_regular(path)
        .and_then(|file| crate::support::fsutil::read_at_most(file, limit, &mut bytes))
        .map_err(|e| fail(&e))?;
    if longer {
        return Err(Error::config(format!(
            "{}: larger than {} KiB; a configuration file is a few KiB, check the path",
            path.display(),
            limit / 1024
        )));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        fail(&format!(
            "not UTF-8 text (byte {} is not valid)",
            e.utf8_error().valid_up_to()
        ))
    })?;
    // A byte order mark (editors on Windows write one) is not content.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

impl Config {
    /// Checks that the database and log files can be created or written,
    /// creating nothing (monitoring modes only: `--summary` only reads).
    pub fn check_writable_paths(&self) -> Result<()> {
        check_file_location(&self.database_file, &self.database_origin)?;
        let Some(log) = &self.logging.file else {
            return Ok(());
        };
        // Appending log lines to a file netmon reads would break it.
        let mut taken: Vec<(PathBuf, String)> = ["", "-wal", "-shm", "-journal"]
            .iter()
            .map(|suffix| {
                let what = if suffix.is_empty() {
                    "the database".to_string()
                } else {
                    format!("the database's {suffix}")
                };
                (
                    crate::support::fsutil::sibling(&self.database_file, suffix),
                    what,
                )
            })
            .collect();
        taken.push((self.proc_net_dev.clone(), "the proc_net_dev".into()));
        if let Some(config) = &self.config_file {
            taken.push((config.clone(), "the configuration".into()));
        }
        if let Some((_, what)) = taken.iter().find(|(path, _)| same_file(log, path)) {
            return Err(Error::config(format!(
                "{}: {} is {what} file; give the log a file of its own",
                self.log_origin,
                log.display(),
            )));
        }
        check_file_location(log, &self.log_origin)
    }
}

/// Checks, without creating anything, that a file can be created or opened
/// at `path`: it is not a directory, and its nearest existing ancestor is a
/// writable directory.
fn check_file_location(path: &Path, origin: &str) -> Result<()> {
    let fail = |what: String| Error::config(format!("{origin}: {what}"));
    if path.as_os_str().as_encoded_bytes().ends_with(b"/") {
        return Err(fail(format!(
            "{} names a directory (it ends in /); name a file",
            path.display()
        )));
    }
    crate::support::fsutil::check_regular(path)
        .map_err(|e| fail(format!("{} {e}; name a regular file", path.display())))?;
    crate::support::fsutil::check_link_owner(path)
        .map_err(|e| fail(format!("{} {e}", path.display())))?;
    let mut ancestor = path.parent();
    while let Some(dir) = ancestor {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if dir.exists() {
            if !dir.is_dir() {
                return Err(fail(format!(
                    "{} is not a directory, so {} cannot be created there",
                    dir.display(),
                    path.display()
                )));
            }
            let target = if path.exists() { path } else { dir };
            return rustix::fs::access(target, rustix::fs::Access::WRITE_OK).map_err(|e| {
                fail(format!(
                    "{} is not writable ({}); choose another path or fix its permissions",
                    target.display(),
                    crate::support::fsutil::reason(&e.into())
                ))
            });
        }
        ancestor = dir.parent();
    }
    Ok(())
}

/// Whether two paths name the same file: equal once `.` components are
/// dropped, or the same inode where both exist.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let inode = |path: &Path| std::fs::metadata(path).map(|m| (m.dev(), m.ino())).ok();
    a.components().eq(b.components()) || inode(a).is_some_and(|a| Some(a) == inode(b))
}

//! Creating netmon's files privately: new directories 0700, new files 0600.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates the missing directories above `path` with mode 0700.
pub fn create_private_parent(path: &Path) -> io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir),
        None => Ok(()),
    }
}

/// Opens `path` for appending, creating it with mode 0600 (and its
/// directories with 0700) if missing.
pub fn open_private_append(path: &Path) -> io::Result<File> {
    create_private_parent(path)?;
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

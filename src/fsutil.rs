//! Creating netmon's files privately: new directories 0700, new files 0600.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates the missing directories above `path` with mode 0700.
fn create_private_parent(path: &Path) -> io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir),
        None => Ok(()),
    }
}

/// Refuses anything at `path` that is not a regular file (or a link to
/// one): opening a FIFO blocks forever, a device or directory is never a
/// database or log. A missing file is fine (it will be created).
pub fn check_regular(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(metadata) = fs::metadata(path) else {
        return Ok(());
    };
    let kind = metadata.file_type();
    let what = if kind.is_file() {
        return Ok(());
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    };
    Err(format!("is {what}, not a regular file"))
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

//! Creating netmon's files privately: new directories 0700, new files 0600
//! (0750 and 0640 where a group is to read them).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Who may read the files netmon creates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Access {
    /// The owner only: files 0600, directories 0700.
    #[default]
    Private,
    /// The owner and the file's group: files 0640, directories 0750.
    GroupReadable,
}

impl Access {
    fn file_mode(self) -> u32 {
        match self {
            Access::Private => 0o600,
            Access::GroupReadable => 0o640,
        }
    }

    fn dir_mode(self) -> u32 {
        match self {
            Access::Private => 0o700,
            Access::GroupReadable => 0o750,
        }
    }
}

/// Creates the missing directories above `path` with `access`'s mode.
fn create_parent(path: &Path, access: Access) -> io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => fs::DirBuilder::new()
            .recursive(true)
            .mode(access.dir_mode())
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
    open_append(path, Access::Private)
}

/// Opens `path` for appending, creating it (and its directories) with
/// `access`'s modes if missing. An existing file keeps its mode.
pub fn open_append(path: &Path, access: Access) -> io::Result<File> {
    create_parent(path, access)?;
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(access.file_mode())
        .open(path)
}

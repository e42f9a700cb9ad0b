//! Creating netmon's files privately: new directories 0700, new files 0600
//! (0750 and 0640 where a group is to read them).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// `O_NONBLOCK` as `OpenOptionsExt::custom_flags` takes it.
const NONBLOCK: i32 = rustix::fs::OFlags::NONBLOCK.bits() as i32;
/// `O_NOFOLLOW` as `OpenOptionsExt::custom_flags` takes it.
const NOFOLLOW: i32 = rustix::fs::OFlags::NOFOLLOW.bits() as i32;

/// What the OS said, without the " (os error N)" that `io::Error` adds:
/// the words of `strerror`, for messages that read as one sentence.
pub(crate) fn reason(error: &io::Error) -> String {
    let text = error.to_string();
    match (text.find(" (os error "), error.raw_os_error()) {
        (Some(at), Some(_)) => text[..at].to_string(),
        _ => text,
    }
}

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

/// `path` with `suffix` added to its file name: SQLite's `-wal` and
/// `-shm` beside a database, netmon's `.rescue` and `.replaced` copies.
pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
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
pub(crate) fn check_regular(path: &Path) -> Result<(), NotRegular> {
    match fs::metadata(path) {
        Ok(metadata) => regular(&metadata),
        Err(_) => Ok(()),
    }
}

/// Something that is not a regular file where one is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("is {what}, not a regular file")]
pub struct NotRegular {
    /// What it is instead (`a FIFO`).
    what: &'static str,
}

impl From<NotRegular> for io::Error {
    /// An invalid-input I/O error, for the openers.
    fn from(not_regular: NotRegular) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, not_regular)
    }
}

/// `Ok` for a regular file; otherwise an error saying what it is instead.
fn regular(metadata: &fs::Metadata) -> Result<(), NotRegular> {
    use std::os::unix::fs::FileTypeExt;
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
    Err(NotRegular { what })
}

/// Opens the regular file at `path` for reading. A FIFO, device or socket
/// is refused without blocking (it is opened non-blocking and looked at
/// before anything is read), so no path netmon reads can hang it.
pub(crate) fn open_regular(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(NONBLOCK)
        .open(path)?;
    regular(&file.metadata()?)?;
    Ok(file)
}

/// Reads `reader` to its end into `buffer` (cleared first), stopping after
/// `limit` bytes; whether it was longer than that (then `buffer` holds
/// `limit + 1` bytes and is not to be used).
pub(crate) fn read_at_most(
    reader: impl io::Read,
    limit: u64,
    buffer: &mut Vec<u8>,
) -> io::Result<bool> {
    buffer.clear();
    reader.take(limit + 1).read_to_end(buffer)?;
    Ok(buffer.len() as u64 > limit)
}

/// Refuses a symbolic link at `path`, or at any directory above it, unless
/// this user or root owns it: in a directory others may write, a link they
/// planted would make netmon (perhaps running as root) write wherever it
/// points. The check systemd and logrotate make; the kernel's
/// `protected_symlinks` only covers sticky directories.
pub(crate) fn check_link_owner(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    for step in path.ancestors().filter(|p| !p.as_os_str().is_empty()) {
        let Ok(link) = fs::symlink_metadata(step) else {
            continue;
        };
        if link.file_type().is_symlink() && link.uid() != me && link.uid() != 0 {
            let what = if step == path {
                "is a symbolic link".to_string()
            } else {
                format!("is below {}, a symbolic link", step.display())
            };
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{what} owned by user {}, who could point it anywhere; replace it with \
                     the real path or a link owned by you or root",
                    link.uid()
                ),
            ));
        }
    }
    Ok(())
}

/// Opens `path` for appending, creating it with mode 0600 (and its
/// directories with 0700) if missing.
pub(crate) fn open_private_append(path: &Path) -> io::Result<File> {
    open_append(path, Access::Private)
}

/// Opens `path` for appending, creating it (and its directories) with
/// `access`'s modes if missing. An existing file keeps its mode. A link at
/// `path` is followed only when this user or root owns it
/// ([`check_link_owner`]).
pub(crate) fn open_append(path: &Path, access: Access) -> io::Result<File> {
    check_link_owner(path)?;
    create_parent(path, access)?;
    let mut options = OpenOptions::new();
    // Non-blocking: a FIFO put there is refused, never waited on.
    options
        .create(true)
        .append(true)
        .mode(access.file_mode())
        .custom_flags(NONBLOCK);
    // Not following a link is the rule; a link is looked at only when
    // there is one, so it cannot be swapped in between a look and the open.
    let file = match options.clone().custom_flags(NONBLOCK | NOFOLLOW).open(path) {
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            check_link_owner(path)?;
            options.open(path)?
        }
        opened => opened?,
    };
    regular(&file.metadata()?)?;
    Ok(file)
}

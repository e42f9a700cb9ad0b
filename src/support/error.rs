//! The error type shared by every module, split by the exit code it maps to.

use std::fmt::Display;

/// Everything that can stop netmon, classified by who must act on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad usage or configuration: a flag, key, value, path or file the user
    /// must correct. Exit code 2; nothing has been written.
    #[error("{0}")]
    Config(String),
    /// A failure while running (I/O, database, another monitor). Exit code 1.
    #[error("{0}")]
    Runtime(String),
    /// What netmon prints could not be written. Exit code 1, or 0 when the
    /// reader went away (a broken pipe: `netmon --summary | head`).
    #[error("cannot write {what}: {source}")]
    Write {
        /// What was being written (`the report`, `to stdout`).
        what: &'static str,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// Not a failure: `--alert` found a limit exceeded and said so on
    /// stdout. Exit code 3, for cron and monitoring systems.
    #[error("an --alert limit was exceeded")]
    AlertExceeded,
    /// Not a failure: `--audit` found bytes it cannot account for and said
    /// so on stdout. Exit code 4.
    #[error("--audit found bytes it cannot account for")]
    AuditUncertain,
}

impl Error {
    /// A configuration error built from any displayable message.
    pub fn config(message: impl Display) -> Self {
        Error::Config(message.to_string())
    }

    /// A runtime error built from any displayable message.
    pub fn runtime(message: impl Display) -> Self {
        Error::Runtime(message.to_string())
    }

    /// A converter of a write error into [`Error::Write`] about `what`.
    pub fn write(what: &'static str) -> impl Fn(std::io::Error) -> Self {
        move |source| Error::Write { what, source }
    }

    /// Whether this is a write to a reader that went away, which is no
    /// failure of netmon's.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Write { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// The process exit code this error maps to (SPEC §1).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) => 2,
            Error::Runtime(_) | Error::Write { .. } => 1,
            Error::AlertExceeded => 3,
            Error::AuditUncertain => 4,
        }
    }
}

/// Shorthand for results that fail with [`Error`].
pub(crate) type Result<T> = std::result::Result<T, Error>;

//! Where counters come from: the [`CounterSource`] trait, the pure
//! `/proc/net/dev` parser, and the procfs and sysinfo sources.

pub(crate) mod boot;
mod parse;
mod procfs;
mod sysinfo;
#[cfg(test)]
mod tests;

pub use parse::parse_proc_net_dev;
pub use procfs::ProcfsSource;
pub use sysinfo::SysinfoSource;

use crate::model::counters::Counters;
use crate::source::boot::Boot;
use std::path::PathBuf;

/// One interface's counters as read at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceCounters {
    /// Interface name as stored: the kernel name, escaped where it is not
    /// printable UTF-8 (see [`crate::model::ifname`]).
    pub name: String,
    /// The kernel's interface index, where netmon can ask this namespace's
    /// kernel (`None` for another namespace's counters and for sysinfo).
    /// A changed index means the interface was re-created.
    pub ifindex: Option<u32>,
    /// Cumulative counters since the interface came up (or boot).
    pub counters: Counters,
}

/// Why a read of the counters failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not in `/proc/net/dev` format.
    #[error("{path}: {source}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The offending line.
        #[source]
        source: ParseError,
    },
}

/// A line of `/proc/net/dev` text that is not `NAME: 16 counters`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}: {content}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
    /// The line, trimmed, quoted: lossily decoded where not UTF-8, its
    /// control characters escaped, shortened past [`MAX_QUOTED`] characters.
    pub content: String,
}

/// A source of interface counters; one `read` is one consistent snapshot.
pub trait CounterSource {
    /// Reads every interface's counters once.
    fn read(&mut self) -> Result<Vec<InterfaceCounters>, ReadError>;
    /// The boot the counters belong to (see [`crate::source::boot`]).
    fn boot(&self) -> Boot;
    /// Short name for logs (`procfs`, `sysinfo`).
    fn name(&self) -> &'static str;
    /// Interfaces the last read listed on lines whose counters could not be
    /// read (they were there, not absent).
    fn unreadable(&self) -> &[String] {
        &[]
    }
    /// Reads every interface's counters once with every column the source
    /// has (the metrics endpoint publishes them all). By default, the eight
    /// of [`CounterSource::read`].
    fn read_columns(&mut self) -> Result<Vec<DeviceColumns>, ReadError> {
        Ok(self
            .read()?
            .iter()
            .map(DeviceColumns::from_counters)
            .collect())
    }
}

/// The 16 columns of a `/proc/net/dev` line, in file order, named as
/// node_exporter names them (`node_network_<name>_total`).
pub(crate) const COLUMN_NAMES: [&str; 16] = [
    "receive_bytes",
    "receive_packets",
    "receive_errs",
    "receive_drop",
    "receive_fifo",
    "receive_frame",
    "receive_compressed",
    "receive_multicast",
    "transmit_bytes",
    "transmit_packets",
    "transmit_errs",
    "transmit_drop",
    "transmit_fifo",
    "transmit_colls",
    "transmit_carrier",
    "transmit_compressed",
];

/// Positions in [`COLUMN_NAMES`] of the eight counters netmon stores, in
/// [`Counters::to_array`] order.
const STORED_COLUMNS: [usize; 8] = [0, 8, 1, 9, 2, 10, 3, 11];

/// Every column of one interface's line, for the metrics endpoint (which
/// publishes all 16, like node_exporter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceColumns {
    /// Interface name as stored (see [`InterfaceCounters::name`]).
    pub name: String,
    /// The values in [`COLUMN_NAMES`] order; `None` where the source does
    /// not have that counter (sysinfo has only the eight netmon stores).
    pub values: [Option<u64>; 16],
}

impl DeviceColumns {
    /// The columns known from the eight stored counters alone.
    pub fn from_counters(interface: &InterfaceCounters) -> Self {
        let mut values = [None; 16];
        for (&column, value) in STORED_COLUMNS.iter().zip(interface.counters.to_array()) {
            values[column] = Some(value);
        }
        DeviceColumns {
            name: interface.name.clone(),
            values,
        }
    }
}

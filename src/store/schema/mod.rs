//! The database schema, its version, and recognising and upgrading existing
//! files. A file that is not a netmon database is never touched.
//!
//! Versions: 0 is the original tool's seed `network_stats` table; 1 added
//! deltas, rollups and bookkeeping; 2 added `netmon_last` (each interface's
//! last counters, so a restart resumes in O(interfaces)) and records the
//! calendar the rollups are cut in; 3 keeps the samples in a compact
//! clustered table (`netmon_samples`: integer times, interface ids, rates
//! derived) behind a `network_stats` view with the old columns, folds the
//! rollups once per hour instead of with every row, and keeps 5-minute
//! slots in the hourly rollups for `--percentile`; 4 records how each
//! delta was obtained (`netmon_events`), identifies the boot of the resume
//! point by the kernel's `boot_id`, and sets aside stored deltas beyond any
//! link (which made sums overflow).
//!
//! Recognising a file (and refusing one that is not netmon's) is
//! [`inspect`]'s; what a new database gets is `create`'s; bringing an older
//! one to [`SCHEMA_VERSION`] is `upgrade`'s, with `backfill` for the
//! deltas of seed-era rows.

mod backfill;
mod create;
mod inspect;
mod upgrade;

pub(crate) use inspect::{inspect, NotNetmon};
pub(crate) use upgrade::{upgrade, UpgradeError};

/// `PRAGMA application_id` of netmon databases ("NTMN").
pub(crate) const APPLICATION_ID: i64 = 0x4e54_4d4e;
/// `PRAGMA user_version` this build writes.
pub const SCHEMA_VERSION: i64 = 4;
/// The interface id `_total` is stored under: the highest, so that a
/// cycle's `_total` row sorts after its interfaces.
pub(crate) const TOTAL_ID: i64 = (1 << 20) - 1;

/// What an existing file turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A new or empty SQLite file: netmon creates its schema.
    Empty,
    /// A netmon (or original seed-schema) database at this schema version.
    Netmon(i64),
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kind::Empty => f.write_str("no netmon schema yet (an empty file)"),
            Kind::Netmon(version) => write!(f, "schema {version}"),
        }
    }
}

//! The pure rules every layer shares: the counters and their delta rule,
//! interface names, the calendar rollups are cut in, how a delta was
//! obtained, and the units netmon prints. Nothing here reads or writes
//! files, but the calendar asking the system for its time zone.

pub(crate) mod counters;
pub(crate) mod ifname;
pub(crate) mod calendar;
pub(crate) mod provenance;
pub(crate) mod units;

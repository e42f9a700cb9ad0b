//! What every layer leans on and no layer owns: the error type and exit
//! codes, careful file opening, logging, the wall clock's sane range, and
//! conditions logged when they start and end.

pub(crate) mod error;
pub(crate) mod fsutil;
pub(crate) mod logging;
pub(crate) mod wallclock;
pub(crate) mod episode;

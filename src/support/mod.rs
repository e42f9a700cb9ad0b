//! What every layer leans on and no layer owns: the error type and exit
//! codes, careful file opening, logging, the wall clock's sane range, and
//! conditions logged when they start and end.

pub mod error;
pub mod fsutil;
pub mod logging;
pub mod wallclock;
pub mod episode;

//! netmon: samples network interface counters into SQLite and reports on the
//! history. [`app`] is the whole program; `main.rs` only calls it.

pub mod app;
pub mod boot;
pub mod calendar;
pub mod cli;
pub mod collector;
pub mod config;
pub mod counters;
pub mod episode;
pub mod error;
pub mod fsutil;
pub mod ifname;
pub mod logging;
pub mod manual;
pub mod metrics;
pub mod output;
pub mod provenance;
pub mod report;
pub mod resume;
pub mod run;
pub mod sampler;
pub mod select;
pub mod store;
#[cfg(feature = "synth")]
pub mod synth;
#[cfg(test)]
mod test_support;
pub mod units;
pub mod wallclock;

pub use app::main_exit_code;

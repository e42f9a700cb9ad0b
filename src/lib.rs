//! netmon: samples network interface counters into SQLite and reports on the
//! history. Read top-down, the modules follow the data: counters come from a
//! [`source`], become deltas and rates in [`sample`] on the schedule of
//! [`run`], are kept by [`store`], and are read back by [`report`],
//! [`metrics`] and the live view ([`run::live`]). [`model`] holds the pure
//! rules they share, [`cli`] and [`config`] what the user asked for, and
//! [`app`] the program that ties them together; `main.rs` only calls it.

#![warn(unreachable_pub)]

mod model;
mod source;
mod sample;
mod run;
mod store;
mod report;
mod metrics;
mod cli;
mod config;
mod manual;
mod app;
mod support;
pub mod api;
#[cfg(feature = "synth")]
mod synth;
#[cfg(test)]
mod test_support;

pub use app::main_exit_code;

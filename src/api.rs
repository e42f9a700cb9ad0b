//! What the integration tests, benchmarks, fuzz targets and examples use;
//! everything else in the crate is private to it (`unreachable_pub` keeps
//! it so).

pub use crate::cli::{Cli, Period};
pub use crate::config::{from_text, parse_dotenv, Context, Env};
pub use crate::metrics::{Exporter, SharedStats};
pub use crate::model::calendar::Calendar;
pub use crate::model::counters::Counters;
pub use crate::model::units::HumanBytes;
pub use crate::report::period::Periods;
pub use crate::report::window::{recent_periods_start, resolve, validate};
pub use crate::report::{build, open_read_only, Query};
pub use crate::sample::select::Selection;
pub use crate::sample::{SampleOptions, Sampler};
pub use crate::source::{
    parse_proc_net_dev, CounterSource, InterfaceCounters, ProcfsSource, SysinfoSource,
};
pub use crate::store::history::History;
pub use crate::store::resume_point::ResumePoint;
pub use crate::store::schema::SCHEMA_VERSION;
pub use crate::store::Store;
#[cfg(feature = "synth")]
pub use crate::synth::{cached_history, write_history, SynthSpec};

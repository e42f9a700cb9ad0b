//! Why a single value is refused, before it is tied to where it was set:
//! the caller prefixes the origin (`<origin>: <reason>`).

use super::validate::{shown, MAX_BANDWIDTH_MBIT};

/// A value that cannot be used, whatever layer gave it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum Invalid {
    /// YAML flow brackets nested too deep (32) to parse cheaply.
    #[error(
        "brackets nest more than {} deep; no setting nests more than two",
        super::file::MAX_NESTING
    )]
    TooDeep,
    /// An environment list in `[...]` form that is not a YAML list of
    /// strings (the parser's first line).
    #[error("not a list of strings ({0}); write ['a', 'b']")]
    NotAList(String),
    /// An environment number that does not parse.
    #[error("not a number")]
    NotANumber,
    /// An empty path where a file must be named.
    #[error("must name a file")]
    NoFile,
    /// A metrics address that is not `IP:PORT` (as written, shortened).
    #[error(
        "{0:?} is not an address to listen on; write IP:PORT, e.g. 127.0.0.1:9157, \
         [::1]:9157 or 0.0.0.0:9157 (all interfaces), or '' for no endpoint"
    )]
    NotAnAddress(String),
    /// A spike-guard limit outside (0, 1e9] Mbit/s.
    #[error(
        "must be a number of Mbit/s above 0 and at most {:e}, got {}",
        MAX_BANDWIDTH_MBIT,
        shown(*.0)
    )]
    Bandwidth(f64),
}

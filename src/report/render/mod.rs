//! Printing a [`Report`](super::Report) as an aligned table, JSON (SPEC §6)
//! or CSV; one file per format (the SVG chart is [`super::chart`]).

mod csv;
mod json;
mod table;

pub(crate) use csv::csv;
pub(super) use csv::csv_text;
pub(crate) use json::json;
pub(crate) use table::table;

//! The per-cycle lines the monitor prints on stdout.

use crate::model::units::{name_width, HumanBytes, HumanRate};
use crate::sample::{Cycle, Row};
use chrono::Local;
use std::io::Write;

/// Narrowest interface column.
const NAME_WIDTH: usize = 16;

/// Width of the interface column for a cycle.
fn interface_width(cycle: &Cycle) -> usize {
    name_width(cycle.rows.iter().map(|r| &r.interface), NAME_WIDTH)
}

/// Prints one continuous-mode line per row: time, interface, rx and tx rates.
pub(crate) fn print_rates(out: &mut impl Write, cycle: &Cycle) -> std::io::Result<()> {
    let time = cycle
        .timestamp
        .with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S");
    let width = interface_width(cycle);
    for row in &cycle.rows {
        writeln!(
            out,
            "{time}  {:<width$} rx {:>13}  tx {:>13}",
            row.interface,
            HumanRate(row.bytes_recv_rate),
            HumanRate(row.bytes_sent_rate)
        )?;
    }
    out.flush()
}

/// Prints a `--once` sample: counters, deltas where known, and rates.
pub(crate) fn print_sample(out: &mut impl Write, cycle: &Cycle) -> std::io::Result<()> {
    let time = cycle
        .timestamp
        .with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S %Z");
    writeln!(out, "sample at {time}")?;
    let width = interface_width(cycle);
    writeln!(
        out,
        "{:<width$} {:>12} {:>12} {:>12} {:>12} {:>8} {:>8} {:>8} {:>8} {:>13} {:>13}",
        "interface",
        "rx bytes",
        "tx bytes",
        "rx packets",
        "tx packets",
        "rx errs",
        "tx errs",
        "rx drop",
        "tx drop",
        "rx rate",
        "tx rate"
    )?;
    for row in &cycle.rows {
        write_sample_row(out, row, width)?;
    }
    out.flush()
}

fn write_sample_row(out: &mut impl Write, row: &Row, width: usize) -> std::io::Result<()> {
    let c = &row.counters;
    writeln!(
        out,
        "{:<width$} {:>12} {:>12} {:>12} {:>12} {:>8} {:>8} {:>8} {:>8} {:>13} {:>13}",
        row.interface,
        HumanBytes(c.bytes_recv as f64),
        HumanBytes(c.bytes_sent as f64),
        c.packets_recv,
        c.packets_sent,
        c.errin,
        c.errout,
        c.dropin,
        c.dropout,
        HumanRate(row.bytes_recv_rate),
        HumanRate(row.bytes_sent_rate)
    )
}

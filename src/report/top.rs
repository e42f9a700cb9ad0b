//! `--top N`: the N days with the most traffic of each interface in the
//! window, biggest first, the earlier of equal days first.

use super::{
    binned_totals, outside, piece_of_row, whole_bins, InterfaceReport, Piece, Totals, BIN_COLUMNS,
};
use crate::calendar::Calendar;
use crate::store::rollup::{period_key, Level};
use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use std::collections::BTreeMap;

/// Fills each interface's `top` with its `n` biggest days in [from, to).
pub(super) fn attach(
    conn: &Connection,
    calendar: &Calendar,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    n: usize,
    interfaces: &mut [InterfaceReport],
) -> rusqlite::Result<()> {
    let days = candidates(conn, calendar, from, to, n)?;
    let mut by_interface: BTreeMap<String, BTreeMap<DateTime<Utc>, Totals>> = BTreeMap::new();
    for (interface, day, totals) in days {
        if let Some(day) = day.filter(|_| totals.samples > 0) {
            by_interface
                .entry(interface)
                .or_default()
                .entry(day)
                .or_default()
                .merge(&totals);
        }
    }
    for entry in interfaces.iter_mut() {
        let mut days: Vec<(DateTime<Utc>, Totals)> = by_interface
            .remove(&entry.interface)
            .unwrap_or_default()
            .into_iter()
            .collect();
        // Biggest first; among equals, the earlier day.
        days.sort_by_key(|(day, t)| (std::cmp::Reverse(t.bytes_total()), *day));
        days.truncate(n);
        entry.top = days
            .into_iter()
            .map(|(day, t)| (calendar.local(day), t))
            .collect();
    }
    Ok(())
}

/// Candidates for the `n` biggest days of each interface in [from, to):
/// the `n` biggest whole days from the daily rollups (ranked on their
/// totals alone, then only those rows read whole, so a year costs little
/// more than a month), and the partial days at the window's edges.
fn candidates(
    conn: &Connection,
    calendar: &Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    n: usize,
) -> rusqlite::Result<Vec<Piece>> {
    let (start, end) = whole_bins(conn, calendar, Level::Day, from, to)?;
    let mut pieces = Vec::new();
    if start < end {
        let mut ranked: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
        let mut stmt = conn.prepare_cached(
            "SELECT interface, period_start, bytes_recv + bytes_sent FROM network_stats_daily
             WHERE period_start >= ?1 AND period_start < ?2",
        )?;
        let mut rows = stmt.query([period_key(start), period_key(end)])?;
        while let Some(row) = rows.next()? {
            let ValueRef::Text(name) = row.get_ref(0)? else {
                continue;
            };
            let name = String::from_utf8_lossy(name);
            let day = (
                row.get::<_, i64>(2)?.max(0) as u64,
                row.get::<_, String>(1)?,
            );
            match ranked.get_mut(name.as_ref()) {
                Some(days) => days.push(day),
                None => {
                    ranked.insert(name.into_owned(), vec![day]);
                }
            }
        }
        let mut whole = conn.prepare_cached(&format!(
            "SELECT interface, period_start, {BIN_COLUMNS} FROM network_stats_daily
             WHERE period_start = ?1 AND interface = ?2"
        ))?;
        for (interface, mut days) in ranked {
            days.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            for (_, day) in days.iter().take(n) {
                for piece in whole.query_map([day, &interface], piece_of_row)? {
                    pieces.push(piece?);
                }
            }
        }
    }
    for (edge_from, edge_to) in outside(conn, from, to, (start, end))? {
        pieces.extend(binned_totals(
            conn,
            calendar,
            Level::Day,
            edge_from,
            edge_to,
        )?);
    }
    Ok(pieces)
}

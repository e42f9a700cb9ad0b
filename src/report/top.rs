//! `--top N`: the N days with the most traffic of each interface in the
//! window, biggest first, the earlier of equal days first.

use super::{InterfaceReport, Totals};
use crate::model::calendar::Calendar;
use crate::store::history::{History, ReadResult};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Fills each interface's `top` with its `n` biggest days in [from, to).
pub(super) fn attach(
    history: &History,
    calendar: &Calendar,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    n: usize,
    interfaces: &mut [InterfaceReport],
) -> ReadResult<()> {
    let days = history.top_day_candidates(calendar, from, to, n)?;
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

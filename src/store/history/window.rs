//! Totals over a window: which rollup level or raw rows answer which part
//! of it (the fewest rows that cover it exactly), per interface, per bin,
//! and the biggest days.

use super::totals::{aggregate, piece_of_row, Source, BIN_COLUMNS};
use super::{History, Level, Piece, ReadResult, LEVELS};
use crate::model::calendar::Calendar;
use crate::store::rollup::period_key;
use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use std::collections::BTreeMap;

/// Splits [from, to) into the fewest pieces: whole months from the monthly
/// rollups, then whole days, whole hours, and raw rows for partial hours.
fn cover(
    calendar: &Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    levels: &[Level],
    out: &mut Vec<(Source, DateTime<Utc>, DateTime<Utc>)>,
) {
    if from >= to {
        return;
    }
    match levels.split_last() {
        None => out.push((Source::Raw, from, to)),
        Some((&level, finer)) => {
            let (start, end) = (level.ceil(calendar, from), level.floor(calendar, to));
            if start < end {
                out.push((Source::Rollup(level), start, end));
                cover(calendar, from, start, finer, out);
                cover(calendar, end, to, finer, out);
            } else {
                cover(calendar, from, to, finer, out);
            }
        }
    }
}

/// Splits [from, to) like [`cover`] where the rollups hold the samples
/// (before `folded_until`), and into raw rows from there on.
fn cover_window(
    calendar: &Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    folded_until: DateTime<Utc>,
    out: &mut Vec<(Source, DateTime<Utc>, DateTime<Utc>)>,
) {
    cover(calendar, from, to.min(folded_until), &LEVELS, out);
    let raw_from = from.max(folded_until);
    if raw_from < to {
        out.push((Source::Raw, raw_from, to));
    }
}

impl History<'_> {
    /// Totals per interface over [from, to), from the coarsest rollups that
    /// fit and the raw rows since the last fold (an interface may have
    /// several pieces; none without samples).
    pub fn window_totals(
        &self,
        calendar: &Calendar,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ReadResult<Vec<Piece>> {
        let mut pieces = Vec::new();
        cover_window(calendar, from, to, self.folded_until()?, &mut pieces);
        let mut totals = Vec::new();
        for (source, start, end) in pieces {
            totals.extend(aggregate(self.conn, source, start, end, false)?);
        }
        Ok(totals)
    }

    /// Totals per interface and `level` bin over [from, to), each with its
    /// bin's start: whole bins from the level's table, the partial first
    /// and last bins from the coarsest pieces that fit.
    pub fn binned_totals(
        &self,
        calendar: &Calendar,
        level: Level,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ReadResult<Vec<Piece>> {
        let (start, end) = self.whole_bins(calendar, level, from, to)?;
        let mut pieces = if start < end {
            aggregate(self.conn, Source::Rollup(level), start, end, true)?
        } else {
            Vec::new()
        };
        for (edge_from, edge_to) in self.outside(from, to, (start, end))? {
            pieces.extend(self.edge_bins(calendar, level, edge_from, edge_to)?);
        }
        Ok(pieces)
    }

    /// Candidates for the `n` biggest days of each interface in [from, to):
    /// the `n` biggest whole days from the daily rollups (ranked on their
    /// totals alone, then only those rows read whole, so a year costs little
    /// more than a month), and the partial days at the window's edges, each
    /// with its day's start.
    pub fn top_day_candidates(
        &self,
        calendar: &Calendar,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        n: usize,
    ) -> ReadResult<Vec<Piece>> {
        let (start, end) = self.whole_bins(calendar, Level::Day, from, to)?;
        let mut pieces = Vec::new();
        if start < end {
            let mut ranked: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
            let mut stmt = self.conn.prepare_cached(
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
            let mut whole = self.conn.prepare_cached(&format!(
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
        for (edge_from, edge_to) in self.outside(from, to, (start, end))? {
            pieces.extend(self.edge_bins(calendar, Level::Day, edge_from, edge_to)?);
        }
        Ok(pieces)
    }

    /// The whole `level` bins of [from, to) that the rollups hold entirely.
    fn whole_bins(
        &self,
        calendar: &Calendar,
        level: Level,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ReadResult<(DateTime<Utc>, DateTime<Utc>)> {
        let folded_until = self.folded_until()?;
        Ok((
            level.ceil(calendar, from),
            level.floor(calendar, to.min(folded_until)),
        ))
    }

    /// The parts of [from, to) outside the whole bins [start, end), up to
    /// the latest raw sample.
    fn outside(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
    ) -> ReadResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
        // Samples are in the rollups before folded_until, raw after it.
        let folded_until = self.folded_until()?;
        let held_until = self.raw_range()?.map_or(folded_until, |(_, last)| {
            folded_until.max(last + chrono::Duration::milliseconds(1))
        });
        let to = to.min(held_until.max(end));
        Ok(if start < end {
            vec![(from, start.min(to)), (end, to)]
        } else {
            vec![(from, to)]
        })
    }

    /// Totals per interface of each `level` bin's part of [from, to), with
    /// that bin's start.
    fn edge_bins(
        &self,
        calendar: &Calendar,
        level: Level,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ReadResult<Vec<Piece>> {
        let mut pieces = Vec::new();
        let mut start = from;
        while start < to {
            let bin = level.floor(calendar, start);
            let next = level.next(calendar, bin).min(to);
            for (interface, _, totals) in self.window_totals(calendar, start, next)? {
                pieces.push((interface, Some(bin), totals));
            }
            start = next;
        }
        Ok(pieces)
    }
}

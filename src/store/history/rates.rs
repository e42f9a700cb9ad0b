//! The 5-minute slot rates of a window (what `--percentile` ranks): whole
//! hours from the slots kept in the hourly rollups, the rest from raw
//! samples.

use super::{History, Level, ReadResult};
use crate::model::calendar::Calendar;
use crate::store::rollup::period_key;
use crate::store::slots::{slot_rates, HourSlots};
use crate::store::{interval_us, to_ms};
use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use std::collections::BTreeMap;

impl History<'_> {
    /// The (received, sent) average rates of every 5-minute slot with
    /// samples in [from, to), per interface: the slots of the whole hours
    /// the hourly rollups hold, and those of the raw samples of the rest
    /// (the window's partial hours and the time since the last fold).
    pub fn slot_rates(
        &self,
        calendar: &Calendar,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ReadResult<BTreeMap<String, Vec<(f64, f64)>>> {
        let folded_until = self.folded_until()?;
        // The whole hours the rollups hold, [start, end): none when end is start.
        let start = Level::Hour.ceil(calendar, from);
        let end = Level::Hour.floor(calendar, to.min(folded_until)).max(start);
        let mut rates: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT interface, slots FROM network_stats_hourly
             WHERE period_start >= ?1 AND period_start < ?2 AND slots IS NOT NULL",
            )?;
            let mut rows = stmt.query([period_key(start), period_key(end)])?;
            while let Some(row) = rows.next()? {
                let (ValueRef::Text(name), ValueRef::Blob(blob)) =
                    (row.get_ref(0)?, row.get_ref(1)?)
                else {
                    continue;
                };
                let name = String::from_utf8_lossy(name);
                let list = match rates.get_mut(name.as_ref()) {
                    Some(list) => list,
                    None => rates.entry(name.into_owned()).or_default(),
                };
                HourSlots::rates_into(blob, list);
            }
        }
        // The rest from raw samples (an empty part reads nothing).
        let raw_parts = [(from, start.min(to)), (end, to)];
        let mut raw: BTreeMap<String, Vec<(i64, u64, u64, u64)>> = BTreeMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT interface, t_ms, bytes_recv_delta, bytes_sent_delta, interval_s FROM network_stats
         WHERE t_ms >= ?1 AND t_ms < ?2 AND bytes_recv_delta IS NOT NULL AND interval_s > 0",
        )?;
        for (part_from, part_to) in raw_parts {
            let mut rows = stmt.query([to_ms(part_from), to_ms(part_to)])?;
            while let Some(row) = rows.next()? {
                let count = |i: usize| {
                    row.get::<_, Option<i64>>(i)
                        .map(|v| v.unwrap_or(0).max(0) as u64)
                };
                let sample = (
                    row.get(1)?,
                    count(2)?,
                    count(3)?,
                    interval_us(row.get(4)?).max(0) as u64,
                );
                raw.entry(row.get(0)?).or_default().push(sample);
            }
        }
        for (interface, samples) in raw {
            rates
                .entry(interface)
                .or_default()
                .extend(slot_rates(samples));
        }
        Ok(rates)
    }
}

//! The deltas of seed-era rows (schema 0 stored only counters), derived
//! with the sampler's own rule when such a database is upgraded.

use crate::model::counters::{Continuity, Counters};
use crate::sample::TOTAL_INTERFACE;
use rusqlite::{params, Transaction};
use std::collections::HashMap;

/// Derives `interval_s` and the `*_delta` columns of seed-era rows from the
/// previous row of the same interface, with the sampler's own rule
/// ([`Counters::advance`]): readings from consecutive cycles may wrap;
/// readings with cycles in between (the interface was not read, or the tool
/// was stopped) are a gap. `_total` rows get the sum of their cycle's deltas
/// over the time since the previous cycle.
pub(super) fn backfill_deltas(tx: &Transaction) -> rusqlite::Result<()> {
    let cycles: Vec<String> = tx
        .prepare("SELECT DISTINCT timestamp FROM network_stats ORDER BY timestamp")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let cycle_of: HashMap<&str, usize> = cycles
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let seconds = |a: &str, b: &str| -> Option<f64> {
        let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
        Some((parse(b)? - parse(a)?).num_milliseconds() as f64 / 1000.0)
    };
    let mut totals: HashMap<usize, Counters> = HashMap::new();
    {
        let mut select = tx.prepare(
            "SELECT id, timestamp, interface, bytes_recv, bytes_sent, packets_recv, packets_sent,
                    errin, errout, dropin, dropout
             FROM network_stats WHERE interface != ?1 ORDER BY interface, timestamp",
        )?;
        let mut update = tx.prepare(UPDATE_DELTAS)?;
        let mut rows = select.query([TOTAL_INTERFACE])?;
        let mut previous: Option<(String, String, usize, Counters)> = None;
        while let Some(r) = rows.next()? {
            let (id, timestamp, interface): (i64, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?);
            let counters = Counters::from_array(std::array::from_fn(|i| {
                r.get::<_, i64>(i + 3).map_or(0, |v| v as u64)
            }));
            let cycle = cycle_of.get(timestamp.as_str()).copied().unwrap_or(0);
            let (deltas, interval, baseline) = match &previous {
                Some((name, at, previous_cycle, old)) if *name == interface => {
                    let continuity = if previous_cycle + 1 == cycle {
                        Continuity::Contiguous
                    } else {
                        Continuity::Gap
                    };
                    let advance = counters.advance(*old, continuity);
                    let total = totals.entry(cycle).or_default();
                    *total = *total + advance.deltas;
                    (
                        Some(advance.deltas),
                        seconds(at, &timestamp),
                        advance.baseline,
                    )
                }
                _ => (None, None, counters),
            };
            let d = delta_params(deltas);
            update.execute(params![
                interval, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], id
            ])?;
            previous = Some((interface, timestamp, cycle, baseline));
        }
    }
    let mut update =
        tx.prepare(&UPDATE_DELTAS.replace("id = ?10", "timestamp = ?10 AND interface = ?11"))?;
    for (cycle, deltas) in totals {
        let interval = cycle
            .checked_sub(1)
            .and_then(|before| seconds(&cycles[before], &cycles[cycle]));
        let d = delta_params(Some(deltas));
        update.execute(params![
            interval,
            d[0],
            d[1],
            d[2],
            d[3],
            d[4],
            d[5],
            d[6],
            d[7],
            cycles[cycle],
            TOTAL_INTERFACE
        ])?;
    }
    Ok(())
}

const UPDATE_DELTAS: &str = "UPDATE network_stats SET interval_s = ?1,
    bytes_sent_delta = ?3, bytes_recv_delta = ?2, packets_sent_delta = ?5, packets_recv_delta = ?4,
    errin_delta = ?6, errout_delta = ?7, dropin_delta = ?8, dropout_delta = ?9
    WHERE id = ?10";

/// Deltas as SQL values in [`Counters::to_array`] order (`None`: NULL).
fn delta_params(deltas: Option<Counters>) -> [Option<i64>; 8] {
    deltas.map_or([None; 8], |d| {
        d.to_array()
            .map(|v| Some(crate::store::write::delta_to_sql(v)))
    })
}

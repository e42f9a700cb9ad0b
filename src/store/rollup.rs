//! Hourly rollups (`network_stats_hourly`): per UTC hour and interface, the
//! sums of the deltas, the seconds they cover and the peak rates. Kept in the
//! same transaction as each cycle so long-range summaries read a few rows per
//! hour, and raw-sample retention never erases long-term totals.

use crate::sampler::Row;
use rusqlite::{params, Transaction};

/// Adds one stored row to its hour's rollup.
const UPSERT: &str = "
INSERT INTO network_stats_hourly (hour, interface, samples, first_sample, last_sample, interval_s,
    bytes_sent, bytes_recv, packets_sent, packets_recv, errin, errout, dropin, dropout,
    peak_sent_rate, peak_recv_rate)
VALUES (?1, ?2, 1, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
ON CONFLICT(hour, interface) DO UPDATE SET
    samples = samples + 1,
    first_sample = MIN(first_sample, excluded.first_sample),
    last_sample = MAX(last_sample, excluded.last_sample),
    interval_s = interval_s + excluded.interval_s,
    bytes_sent = bytes_sent + excluded.bytes_sent,
    bytes_recv = bytes_recv + excluded.bytes_recv,
    packets_sent = packets_sent + excluded.packets_sent,
    packets_recv = packets_recv + excluded.packets_recv,
    errin = errin + excluded.errin,
    errout = errout + excluded.errout,
    dropin = dropin + excluded.dropin,
    dropout = dropout + excluded.dropout,
    peak_sent_rate = MAX(COALESCE(peak_sent_rate, excluded.peak_sent_rate),
                         COALESCE(excluded.peak_sent_rate, peak_sent_rate)),
    peak_recv_rate = MAX(COALESCE(peak_recv_rate, excluded.peak_recv_rate),
                         COALESCE(excluded.peak_recv_rate, peak_recv_rate))";

/// Recomputes every rollup from the raw rows (used when upgrading a database).
pub const REBUILD_ALL: &str = "
DELETE FROM network_stats_hourly;
INSERT INTO network_stats_hourly (hour, interface, samples, first_sample, last_sample, interval_s,
    bytes_sent, bytes_recv, packets_sent, packets_recv, errin, errout, dropin, dropout,
    peak_sent_rate, peak_recv_rate)
SELECT strftime('%Y-%m-%dT%H:00:00Z', timestamp) AS hour, interface, COUNT(*), MIN(timestamp),
       MAX(timestamp), COALESCE(SUM(CASE WHEN bytes_recv_delta IS NOT NULL THEN interval_s END), 0),
       COALESCE(SUM(bytes_sent_delta), 0), COALESCE(SUM(bytes_recv_delta), 0),
       COALESCE(SUM(packets_sent_delta), 0), COALESCE(SUM(packets_recv_delta), 0),
       COALESCE(SUM(errin_delta), 0), COALESCE(SUM(errout_delta), 0),
       COALESCE(SUM(dropin_delta), 0), COALESCE(SUM(dropout_delta), 0),
       MAX(bytes_sent_rate), MAX(bytes_recv_rate)
FROM network_stats GROUP BY hour, interface;
";

/// Folds `row`, stored at `timestamp` (RFC 3339, UTC), into its hour.
pub fn add(tx: &Transaction, timestamp: &str, row: &Row) -> rusqlite::Result<()> {
    let hour = format!("{}:00:00Z", &timestamp[..13]);
    let deltas = row.deltas.unwrap_or_default();
    let covered = if row.deltas.is_some() {
        row.interval_s.unwrap_or(0.0)
    } else {
        0.0
    };
    let d = deltas.to_array().map(super::delta_to_sql);
    tx.prepare_cached(UPSERT)?.execute(params![
        hour,
        row.interface,
        timestamp,
        covered,
        d[1],
        d[0],
        d[3],
        d[2],
        d[4],
        d[5],
        d[6],
        d[7],
        row.bytes_sent_rate,
        row.bytes_recv_rate,
    ])?;
    Ok(())
}

//! Totals of an interface over some span, and reading them from one
//! source: a rollup level's rows or the raw rows of a range.

use super::super::rollup::{period_key, Level};
use crate::store::codec::{max_present, ms_as_text_sql, to_ms, COVERED_SECONDS_SQL};
use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use std::sync::LazyLock;

/// Aggregated traffic of one interface over some span.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// Earliest sample (stored RFC 3339 text).
    pub first_sample: String,
    /// Latest sample.
    pub last_sample: String,
    /// Number of stored samples.
    pub samples: u64,
    /// Seconds covered by the deltas (for average rates).
    pub seconds: f64,
    /// Bytes received (sum of deltas).
    pub bytes_recv: u64,
    /// Bytes sent (sum of deltas).
    pub bytes_sent: u64,
    /// Receive errors.
    pub errin: u64,
    /// Transmit errors.
    pub errout: u64,
    /// Received packets dropped.
    pub dropin: u64,
    /// Transmitted packets dropped.
    pub dropout: u64,
    /// Highest per-sample receive rate.
    pub peak_recv_rate: Option<f64>,
    /// Highest per-sample send rate.
    pub peak_sent_rate: Option<f64>,
}

impl Totals {
    /// Adds the totals of another span: the rule the rollups' upsert
    /// follows in SQL ([`crate::store::codec::merge_sql`]), saturating.
    pub fn merge(&mut self, other: &Totals) {
        if self.samples == 0 || other.first_sample < self.first_sample {
            self.first_sample.clone_from(&other.first_sample);
        }
        if other.last_sample > self.last_sample {
            self.last_sample.clone_from(&other.last_sample);
        }
        // Saturating: no stored value can make a report fail.
        self.samples = self.samples.saturating_add(other.samples);
        self.seconds += other.seconds;
        self.bytes_recv = self.bytes_recv.saturating_add(other.bytes_recv);
        self.bytes_sent = self.bytes_sent.saturating_add(other.bytes_sent);
        self.errin = self.errin.saturating_add(other.errin);
        self.errout = self.errout.saturating_add(other.errout);
        self.dropin = self.dropin.saturating_add(other.dropin);
        self.dropout = self.dropout.saturating_add(other.dropout);
        self.peak_recv_rate = max_present(self.peak_recv_rate, other.peak_recv_rate);
        self.peak_sent_rate = max_present(self.peak_sent_rate, other.peak_sent_rate);
    }

    /// Bytes received and sent.
    pub fn bytes_total(&self) -> u64 {
        self.bytes_recv.saturating_add(self.bytes_sent)
    }

    /// Average receive rate (bytes/s) over the covered seconds.
    pub fn avg_recv_rate(&self) -> Option<f64> {
        crate::model::units::per_second(self.bytes_recv, self.seconds)
    }

    /// Average send rate (bytes/s) over the covered seconds.
    pub fn avg_sent_rate(&self) -> Option<f64> {
        crate::model::units::per_second(self.bytes_sent, self.seconds)
    }
}

/// (interface, rollup bin start if grouped by bin, totals)
pub(crate) type Piece = (String, Option<DateTime<Utc>>, Totals);

/// Where one piece of a window is answered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    Rollup(Level),
    Raw,
}

/// The totals columns of one rollup row, in [`TOTALS_COLUMNS`] order.
pub(super) const BIN_COLUMNS: &str =
    "first_sample, last_sample, samples, interval_s, bytes_recv, bytes_sent,
    errin, errout, dropin, dropout, peak_recv_rate, peak_sent_rate";

const TOTALS_COLUMNS: &str = "MIN(first_sample), MAX(last_sample), SUM(samples), SUM(interval_s),
    SUM(bytes_recv), SUM(bytes_sent), SUM(errin), SUM(errout), SUM(dropin), SUM(dropout),
    MAX(peak_recv_rate), MAX(peak_sent_rate)";

/// Totals per interface of the raw rows in [?1, ?2) (milliseconds).
static RAW_TOTALS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT interface, NULL, {}, {}, COUNT(*),
    {COVERED_SECONDS_SQL},
    COALESCE(SUM(bytes_recv_delta), 0), COALESCE(SUM(bytes_sent_delta), 0),
    COALESCE(SUM(errin_delta), 0), COALESCE(SUM(errout_delta), 0),
    COALESCE(SUM(dropin_delta), 0), COALESCE(SUM(dropout_delta), 0),
    MAX(bytes_recv_rate), MAX(bytes_sent_rate)
FROM network_stats WHERE t_ms >= ?1 AND t_ms < ?2 GROUP BY interface",
        ms_as_text_sql("MIN(t_ms)"),
        ms_as_text_sql("MAX(t_ms)")
    )
});

/// Totals per interface over [from, to) from one source; with `per_bin`,
/// per interface and rollup bin.
pub(super) fn aggregate(
    conn: &Connection,
    source: Source,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    per_bin: bool,
) -> rusqlite::Result<Vec<Piece>> {
    let (sql, bounds) = match source {
        Source::Raw => {
            let mut stmt = conn.prepare_cached(&RAW_TOTALS)?;
            let rows = stmt.query_map([to_ms(from), to_ms(to)], piece_of_row)?;
            return rows.collect();
        }
        Source::Rollup(level) => {
            // One rollup row is one bin: per bin, no aggregation is needed.
            let (select, group) = if per_bin {
                ("period_start, ".to_string() + BIN_COLUMNS, "")
            } else {
                ("NULL, ".to_string() + TOTALS_COLUMNS, " GROUP BY interface")
            };
            (
                format!(
                    "SELECT interface, {select} FROM {} WHERE period_start >= ?1 AND period_start < ?2{group}",
                    level.table()
                ),
                [period_key(from), period_key(to)],
            )
        }
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(bounds, piece_of_row)?;
    rows.collect()
}

/// A piece from a row of (interface, bin start or NULL, then the
/// [`TOTALS_COLUMNS`]).
pub(super) fn piece_of_row(r: &rusqlite::Row) -> rusqlite::Result<Piece> {
    let count = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
    // Parsed in place: no String per bin.
    let bin = match r.get_ref(1)? {
        ValueRef::Text(text) => std::str::from_utf8(text)
            .ok()
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|start| start.with_timezone(&Utc)),
        _ => None,
    };
    Ok((
        r.get::<_, String>(0)?,
        bin,
        Totals {
            first_sample: r.get(2)?,
            last_sample: r.get(3)?,
            samples: count(4)?,
            seconds: r.get(5)?,
            bytes_recv: count(6)?,
            bytes_sent: count(7)?,
            errin: count(8)?,
            errout: count(9)?,
            dropin: count(10)?,
            dropout: count(11)?,
            peak_recv_rate: r.get(12)?,
            peak_sent_rate: r.get(13)?,
        },
    ))
}

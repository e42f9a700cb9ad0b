//! `--percentile P` (burstable billing): the P-th percentile of the 5-minute
//! average rates in the window, per interface, received and sent, and the
//! higher of the two (what a 95th-percentile bill charges).
//!
//! A 5-minute slot is a UTC clock interval (:00-:05, :05-:10, ...; also
//! whole local minutes in every zone, all of whose offsets are multiples of
//! five minutes). Each stored sample belongs to the slot its timestamp (the
//! end of its interval) falls in, and a slot's rate is the bytes of its
//! samples over the seconds they cover; slots without a sample are not
//! counted. With an interval longer than 5 minutes a sample's average is its
//! slot's rate. The percentile is the nearest rank: the smallest rate that
//! at least P % of the slots do not exceed. It reads raw samples, so it
//! covers what `database.retention_days` keeps.

use rusqlite::types::ValueRef;
use rusqlite::Connection;

/// One interface's percentile over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Percentile {
    /// The percentile asked for (0 < P <= 100).
    pub p: f64,
    /// 5-minute slots with samples in the window.
    pub slots: usize,
    /// The P-th percentile of the received rates, bytes/s.
    pub recv: Option<f64>,
    /// The P-th percentile of the sent rates, bytes/s.
    pub sent: Option<f64>,
}

impl Percentile {
    /// The higher of the received and sent percentiles.
    pub fn max(&self) -> Option<f64> {
        match (self.recv, self.sent) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The nearest-rank `p`-th percentile of `values` (sorted in place).
pub fn nearest_rank(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = (p / 100.0 * values.len() as f64).ceil() as usize;
    values.get(rank.clamp(1, values.len()) - 1).copied()
}

/// A 5-minute slot: a stored timestamp's text up to the hour
/// (`2026-11-24T09:`) and its minute / 5.
type Slot = ([u8; 14], u8);

/// The slot a stored timestamp (`2026-11-24T09:37:21.954Z`) falls in.
fn slot_of(timestamp: &[u8]) -> Option<Slot> {
    let hour: [u8; 14] = timestamp.get(..14)?.try_into().ok()?;
    let (tens, units) = (timestamp.get(14)?, timestamp.get(15)?);
    if !tens.is_ascii_digit() || !units.is_ascii_digit() {
        return None;
    }
    Some((hour, ((tens - b'0') * 10 + (units - b'0')) / 5))
}

/// Per-slot average rates of samples given in time order.
#[derive(Debug, Default)]
pub struct SlotRates {
    open: Option<(Slot, u64, u64, f64)>,
    /// (received, sent) bytes/s of each closed slot.
    rates: Vec<(f64, f64)>,
}

impl SlotRates {
    /// Adds a sample: its stored timestamp, received and sent bytes and
    /// the seconds they cover.
    pub fn add(&mut self, timestamp: &[u8], recv: u64, sent: u64, seconds: f64) {
        let Some(slot) = slot_of(timestamp) else {
            return;
        };
        match &mut self.open {
            Some((open, r, s, t)) if *open == slot => {
                *r += recv;
                *s += sent;
                *t += seconds;
            }
            _ => {
                let closed = self.open.replace((slot, recv, sent, seconds));
                self.close(closed);
            }
        }
    }

    fn close(&mut self, slot: Option<(Slot, u64, u64, f64)>) {
        if let Some((_, recv, sent, seconds)) = slot.filter(|s| s.3 > 0.0) {
            self.rates
                .push((recv as f64 / seconds, sent as f64 / seconds));
        }
    }

    /// The rates of every slot, the last one included.
    pub fn finish(mut self) -> Vec<(f64, f64)> {
        let last = self.open.take();
        self.close(last);
        self.rates
    }
}

/// The percentile of `interface` over the raw samples in [from, to),
/// streamed in time order from the (interface, timestamp) index.
pub fn of_interface(
    conn: &Connection,
    interface: &str,
    from: &str,
    to: &str,
    p: f64,
) -> rusqlite::Result<Percentile> {
    let mut stmt = conn.prepare_cached(
        "SELECT timestamp, bytes_recv_delta, bytes_sent_delta, interval_s FROM network_stats
         WHERE interface = ?1 AND timestamp >= ?2 AND timestamp < ?3
           AND bytes_recv_delta IS NOT NULL AND interval_s > 0
         ORDER BY timestamp",
    )?;
    let mut rows = stmt.query(rusqlite::params![interface, from, to])?;
    let mut slots = SlotRates::default();
    while let Some(row) = rows.next()? {
        let count = |i: usize| {
            row.get::<_, Option<i64>>(i)
                .map(|v| v.unwrap_or(0).max(0) as u64)
        };
        if let ValueRef::Text(timestamp) = row.get_ref(0)? {
            slots.add(timestamp, count(1)?, count(2)?, row.get(3)?);
        }
    }
    let (mut recv, mut sent): (Vec<f64>, Vec<f64>) = slots.finish().into_iter().unzip();
    Ok(Percentile {
        p,
        slots: recv.len(),
        recv: nearest_rank(&mut recv, p),
        sent: nearest_rank(&mut sent, p),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates_of(samples: &[(&str, u64, u64, f64)]) -> Vec<(f64, f64)> {
        let mut slots = SlotRates::default();
        for &(timestamp, recv, sent, seconds) in samples {
            slots.add(timestamp.as_bytes(), recv, sent, seconds);
        }
        slots.finish()
    }

    #[test]
    fn percentile_rule_nearest_rank() {
        let mut twenty: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(
            nearest_rank(&mut twenty, 95.0),
            Some(19.0),
            "the top 5 % (one slot) is dropped"
        );
        assert_eq!(nearest_rank(&mut twenty, 100.0), Some(20.0));
        assert_eq!(nearest_rank(&mut twenty, 50.0), Some(10.0));
        assert_eq!(nearest_rank(&mut twenty, 0.1), Some(1.0));
        let mut shuffled = vec![5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(nearest_rank(&mut shuffled, 60.0), Some(3.0));
        assert_eq!(nearest_rank(&mut [], 95.0), None);
    }

    #[test]
    fn slot_rule_samples_go_to_the_slot_their_timestamp_is_in() {
        let samples = [
            ("2026-11-24T09:00:30.000Z", 600, 60, 60.0),
            ("2026-11-24T09:04:59.999Z", 600, 60, 60.0),
            ("2026-11-24T09:05:00.000Z", 3000, 0, 60.0),
            ("2026-11-24T09:59:00.000Z", 100, 100, 50.0),
            ("2026-11-24T10:59:00.000Z", 200, 0, 0.0),
        ];
        let rates = rates_of(&samples);
        assert_eq!(
            rates,
            [(10.0, 1.0), (50.0, 0.0), (2.0, 2.0)],
            "09:00-09:05 averages two samples; a slot covering no seconds is left out"
        );
    }

    #[test]
    fn slot_rule_slots_are_the_minutes_divided_by_five() {
        let samples = [
            ("2026-11-24T09:35:00.000Z", 100, 0, 10.0),
            ("2026-11-24T09:39:59.999Z", 100, 0, 10.0),
            ("2026-11-24T09:40:00.000Z", 600, 0, 10.0),
            ("2026-11-24T09:4x:00.000Z", 9999, 0, 1.0),
            ("2026-11-24T09:x4:00.000Z", 9999, 0, 1.0),
            ("2026-11-24T09", 9999, 0, 1.0),
        ];
        assert_eq!(
            rates_of(&samples),
            [(10.0, 0.0), (60.0, 0.0)],
            ":35 and :39 share a slot, :40 starts one; malformed times are skipped"
        );
    }

    #[test]
    fn a_long_interval_gives_its_average_to_the_slot_it_ends_in() {
        let samples = [("2026-11-24T09:10:00.000Z", 60_000, 0, 600.0)];
        assert_eq!(rates_of(&samples), [(100.0, 0.0)]);
    }

    #[test]
    fn the_billed_value_is_the_higher_direction() {
        let p = Percentile {
            p: 95.0,
            slots: 3,
            recv: Some(10.0),
            sent: Some(30.0),
        };
        assert_eq!(p.max(), Some(30.0));
        let none = Percentile {
            recv: None,
            sent: None,
            ..p
        };
        assert_eq!(none.max(), None);
    }
}

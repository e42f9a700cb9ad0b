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
//! at least P % of the slots do not exceed. Whole hours come from the
//! slots kept in the hourly rollups ([`crate::store::slots`]), the rest of
//! the window from raw samples.

use crate::model::calendar::Calendar;
use crate::store::history::{History, ReadResult};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

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
    /// The percentile of an interface without slots in the window.
    pub fn empty(p: f64) -> Percentile {
        Percentile {
            p,
            slots: 0,
            recv: None,
            sent: None,
        }
    }

    /// The higher of the received and sent percentiles.
    pub fn max(&self) -> Option<f64> {
        match (self.recv, self.sent) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The nearest-rank `p`-th percentile of `values` (reordered in place):
/// the smallest value that at least `p` % of them do not exceed.
pub(crate) fn nearest_rank(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * values.len() as f64).ceil() as usize;
    let index = rank.clamp(1, values.len()) - 1;
    Some(*values.select_nth_unstable_by(index, f64::total_cmp).1)
}

/// The percentile of every interface over [from, to): the 5-minute slots
/// of the whole hours the hourly rollups hold, and the raw samples of the
/// rest (the window's partial hours and the time since the last fold).
pub(crate) fn of_window(
    history: &History,
    calendar: &Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    p: f64,
) -> ReadResult<BTreeMap<String, Percentile>> {
    let rates = history.slot_rates(calendar, from, to)?;
    Ok(rates
        .into_iter()
        .map(|(interface, slots)| {
            let (mut recv, mut sent): (Vec<f64>, Vec<f64>) = slots.into_iter().unzip();
            let percentile = Percentile {
                p,
                slots: recv.len(),
                recv: nearest_rank(&mut recv, p),
                sent: nearest_rank(&mut sent, p),
            };
            (interface, percentile)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::slots::slot_rates;

    /// 2026-11-24T09:00:00Z in milliseconds.
    const NINE: i64 = 1_763_974_800_000;
    const MINUTE: i64 = 60_000;

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
            (NINE + MINUTE / 2, 600, 60, 60_000_000),
            (NINE + 5 * MINUTE - 1, 600, 60, 60_000_000),
            (NINE + 5 * MINUTE, 3000, 0, 60_000_000),
            (NINE + 59 * MINUTE, 100, 100, 50_000_000),
            (NINE + 119 * MINUTE, 200, 0, 0),
        ];
        assert_eq!(
            slot_rates(samples),
            [(10.0, 1.0), (50.0, 0.0), (2.0, 2.0)],
            "09:00-09:05 averages two samples; a slot covering no seconds is left out"
        );
    }

    #[test]
    fn slot_rule_slots_are_the_minutes_divided_by_five() {
        let samples = [
            (NINE + 40 * MINUTE, 600, 0, 10_000_000),
            (NINE + 35 * MINUTE, 100, 0, 10_000_000),
            (NINE + 40 * MINUTE - 1, 100, 0, 10_000_000),
        ];
        assert_eq!(
            slot_rates(samples),
            [(10.0, 0.0), (60.0, 0.0)],
            ":35 and :39:59.999 share a slot, :40 starts one, in any order"
        );
    }

    #[test]
    fn a_long_interval_gives_its_average_to_the_slot_it_ends_in() {
        let samples = [(NINE + 10 * MINUTE, 60_000, 0, 600_000_000)];
        assert_eq!(slot_rates(samples), [(100.0, 0.0)]);
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

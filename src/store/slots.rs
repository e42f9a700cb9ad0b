//! Five-minute slots for `--percentile`: per interface and hour rollup, the
//! received and sent bytes of the samples whose timestamps fall in each UTC
//! 5-minute clock interval, and the microseconds their intervals cover.
//! They are kept in the hourly rollup's `slots` column, so a year's
//! percentile reads one small value per interface-hour instead of every raw
//! sample. The encoding is postcard's (varints): about 13 bytes a slot.

use super::codec::{seconds_of_us, slot_number};
use serde::{Deserialize, Serialize};

/// The sums of one slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SlotSums {
    /// Received bytes.
    pub recv: u64,
    /// Sent bytes.
    pub sent: u64,
    /// Microseconds the samples' intervals cover.
    pub covered_us: u64,
}

impl SlotSums {
    /// Adds another slot's (or sample's) sums.
    pub(crate) fn add(&mut self, other: SlotSums) {
        self.recv = self.recv.saturating_add(other.recv);
        self.sent = self.sent.saturating_add(other.sent);
        self.covered_us = self.covered_us.saturating_add(other.covered_us);
    }

    /// The slot's average (received, sent) bytes/s; `None` when it covers
    /// no time.
    pub(crate) fn rates(&self) -> Option<(f64, f64)> {
        (self.covered_us > 0).then(|| {
            let seconds = seconds_of_us(self.covered_us as i64);
            (self.recv as f64 / seconds, self.sent as f64 / seconds)
        })
    }
}

/// The per-slot (received, sent) average rates of samples given as (time
/// in ms, received bytes, sent bytes, microseconds covered); slots covering
/// no time are left out.
pub(crate) fn slot_rates(
    samples: impl IntoIterator<Item = (i64, u64, u64, u64)>,
) -> Vec<(f64, f64)> {
    let mut slots: std::collections::BTreeMap<i64, SlotSums> = std::collections::BTreeMap::new();
    for (t_ms, recv, sent, covered_us) in samples {
        slots.entry(slot_number(t_ms)).or_default().add(SlotSums {
            recv,
            sent,
            covered_us,
        });
    }
    slots.values().filter_map(SlotSums::rates).collect()
}

/// The slots of one hour rollup, by slot number, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HourSlots(Vec<(i64, SlotSums)>);

impl HourSlots {
    /// Adds `sums` to slot `number`.
    pub(crate) fn add(&mut self, number: i64, sums: SlotSums) {
        match self.0.binary_search_by_key(&number, |(n, _)| *n) {
            Ok(i) => self.0[i].1.add(sums),
            Err(i) => self.0.insert(i, (number, sums)),
        }
    }

    /// Adds every slot of `other`.
    pub(crate) fn merge(&mut self, other: &HourSlots) {
        for &(number, sums) in &other.0 {
            self.add(number, sums);
        }
    }

    /// The slots, oldest first (the tests read them).
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &(i64, SlotSums)> {
        self.0.iter()
    }

    /// The stored form: the first slot's number, then each slot's offset
    /// from it and its sums.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let first = self.0.first().map_or(0, |(n, _)| *n);
        let relative: Vec<(u16, SlotSums)> = self
            .0
            .iter()
            .map(|(n, s)| (u16::try_from(n - first).unwrap_or(u16::MAX), *s))
            .collect();
        postcard::to_allocvec(&(first, relative)).unwrap_or_default()
    }

    /// Appends the (received, sent) rate of every slot of the stored form
    /// `bytes` to `out` (nothing when it is not one): what `--percentile`
    /// needs, without building the slots.
    pub(crate) fn rates_into(bytes: &[u8], out: &mut Vec<(f64, f64)>) {
        if let Ok((_, relative)) = postcard::from_bytes::<(i64, Vec<(u16, SlotSums)>)>(bytes) {
            out.extend(relative.iter().filter_map(|(_, sums)| sums.rates()));
        }
    }

    /// Reads the stored form; `None` when it is not one.
    pub(crate) fn decode(bytes: &[u8]) -> Option<HourSlots> {
        let (first, relative): (i64, Vec<(u16, SlotSums)>) = postcard::from_bytes(bytes).ok()?;
        Some(HourSlots(
            relative
                .into_iter()
                .map(|(offset, s)| (first + i64::from(offset), s))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(recv: u64, sent: u64, covered_us: u64) -> SlotSums {
        SlotSums {
            recv,
            sent,
            covered_us,
        }
    }

    #[test]
    fn slot_rule_five_minute_utc_clock_intervals() {
        // 2026-11-24T09:35:00Z and 09:39:59.999Z share a slot; 09:40 starts one.
        let at_0935 = 1_763_976_900_000;
        assert_eq!(slot_number(at_0935), slot_number(at_0935 + 299_999));
        assert_eq!(slot_number(at_0935) + 1, slot_number(at_0935 + 300_000));
        assert_eq!(slot_number(-1), -1, "before the epoch rounds down");
    }

    #[test]
    fn slots_merge_by_number_and_stay_in_order() {
        let mut hour = HourSlots::default();
        hour.add(12, sums(100, 10, 60_000_000));
        hour.add(10, sums(5, 0, 1_000_000));
        hour.add(12, sums(200, 20, 60_000_000));
        let mut other = HourSlots::default();
        other.add(11, sums(1, 1, 1));
        other.add(10, sums(5, 0, 1_000_000));
        hour.merge(&other);
        let slots: Vec<_> = hour.iter().copied().collect();
        assert_eq!(
            slots,
            [
                (10, sums(10, 0, 2_000_000)),
                (11, sums(1, 1, 1)),
                (12, sums(300, 30, 120_000_000)),
            ]
        );
        assert_eq!(slots[2].1.rates(), Some((2.5, 0.25)));
        assert_eq!(sums(1, 1, 0).rates(), None, "a slot covering no time");
    }

    #[test]
    fn the_stored_form_reads_back_exactly_and_is_small() {
        let mut hour = HourSlots::default();
        let first = slot_number(1_763_976_900_000);
        for i in 0..12 {
            hour.add(
                first + i,
                sums(u64::MAX - i as u64, 12_345_678, 300_000_000),
            );
        }
        let bytes = hour.encode();
        assert_eq!(HourSlots::decode(&bytes), Some(hour.clone()));
        let mut rates = Vec::new();
        HourSlots::rates_into(&bytes, &mut rates);
        let expected: Vec<_> = hour.iter().filter_map(|(_, s)| s.rates()).collect();
        assert_eq!(rates, expected);
        let mut typical = HourSlots::default();
        for i in 0..12 {
            typical.add(first + i, sums(60_000_000, 6_000_000, 300_000_000));
        }
        assert!(typical.encode().len() <= 12 * 14 + 8);
        assert_eq!(HourSlots::decode(b"\xff\xff"), None);
        assert_eq!(
            HourSlots::decode(&HourSlots::default().encode()),
            Some(HourSlots::default())
        );
    }
}

//! Folding one cycle into the next: when a cycle cannot be stored (the write
//! queue overflowed, or the database refused it for good), its deltas move
//! into the next cycle of each interface, so the stored deltas still add up
//! to the counters' change. Only granularity is lost.

use super::{Cycle, Row, TOTAL_INTERFACE};

impl Cycle {
    /// Absorbs `older`, the cycle just before this one, which will not be
    /// stored: each of its rows' deltas and interval are added to this
    /// cycle's row of the same interface (rates recomputed over the longer
    /// interval); a row whose interface has none here is kept as it is.
    /// The same goes for the rows read but not stored, and the names of
    /// unreadable lines. Returns the interfaces' bytes (received + sent)
    /// moved.
    pub fn absorb(&mut self, older: Cycle) -> u64 {
        let mut moved = 0;
        for old in older.rows {
            if let Some(deltas) = old.deltas.filter(|_| old.interface != TOTAL_INTERFACE) {
                moved += deltas.bytes_recv.saturating_add(deltas.bytes_sent);
            }
            absorb_row(&mut self.rows, old);
        }
        for old in older.unstored {
            absorb_row(&mut self.unstored, old);
        }
        for name in older.unreadable {
            let read_here = self.interface_rows().any(|row| row.interface == name);
            if !read_here && !self.unreadable.contains(&name) {
                self.unreadable.push(name);
            }
        }
        moved
    }
}

/// Adds `old` to the row of its interface in `rows`, or keeps it as it is.
fn absorb_row(rows: &mut Vec<Row>, old: Row) {
    match rows.iter_mut().find(|r| r.interface == old.interface) {
        Some(row) => row.absorb(&old),
        None => rows.push(old),
    }
}

impl Row {
    /// Adds `older`'s deltas and interval to this row (see [`Cycle::absorb`]).
    /// A row that was a new baseline (no deltas) takes `older`'s as they are.
    fn absorb(&mut self, older: &Row) {
        self.provenance = self.provenance.with(older.provenance);
        self.event_bytes = self.event_bytes.saturating_add(older.event_bytes);
        self.bridged_from = older.bridged_from.or(self.bridged_from);
        let Some(old_deltas) = older.deltas else {
            return;
        };
        let had_rates = self.bytes_recv_rate.is_some() || older.bytes_recv_rate.is_some();
        match self.deltas {
            Some(deltas) => {
                self.deltas = Some(deltas + old_deltas);
                self.interval_s = match (self.interval_s, older.interval_s) {
                    (Some(a), Some(b)) => Some(super::whole_microseconds(a + b)),
                    (a, b) => a.or(b),
                };
            }
            None => {
                self.deltas = Some(old_deltas);
                self.interval_s = older.interval_s;
            }
        }
        if had_rates {
            self.fill_rates();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::counters::Counters;
    use crate::model::provenance::Provenance;
    use crate::sample::{Baseline, NextFrom};
    use chrono::{TimeZone, Utc};

    fn row(name: &str, deltas: Option<u64>, interval: Option<f64>) -> Row {
        let counters = Counters {
            bytes_recv: 1_000_000,
            ..Counters::default()
        };
        let mut row = Row {
            interface: name.into(),
            ifindex: None,
            counters,
            next_from: NextFrom {
                good: Baseline {
                    counters,
                    at: 0.0,
                    wall: Utc.timestamp_opt(1_764_000_000, 0).unwrap(),
                },
                other_boot: false,
                set_aside: None,
            },
            deltas: deltas.map(|d| Counters {
                bytes_recv: d,
                bytes_sent: d / 2,
                packets_recv: 1,
                ..Counters::default()
            }),
            interval_s: interval,
            bytes_recv_rate: None,
            bytes_sent_rate: None,
            provenance: Provenance::NONE,
            event_bytes: 0,
            bridged_from: None,
        };
        row.fill_rates();
        row
    }

    fn cycle(second: i64, rows: Vec<Row>) -> Cycle {
        Cycle {
            timestamp: Utc.timestamp_opt(1_764_000_000 + second, 0).unwrap(),
            clock: second as f64,
            final_sample: false,
            rows,
            unstored: Vec::new(),
            unreadable: Vec::new(),
        }
    }

    #[test]
    fn fold_rule_deltas_and_intervals_add_up() {
        let older = cycle(
            0,
            vec![
                row("eth0", Some(100), Some(1.0)),
                row(TOTAL_INTERFACE, Some(100), Some(1.0)),
            ],
        );
        let mut next = cycle(
            1,
            vec![
                row("eth0", Some(300), Some(2.0)),
                row(TOTAL_INTERFACE, Some(300), Some(2.0)),
            ],
        );
        assert_eq!(next.absorb(older), 150);
        for r in &next.rows {
            let d = r.deltas.unwrap();
            assert_eq!((d.bytes_recv, d.bytes_sent, d.packets_recv), (400, 200, 2));
            assert_eq!(r.interval_s, Some(3.0));
            assert_eq!(r.bytes_recv_rate, Some(400.0 / 3.0));
            assert_eq!(r.bytes_sent_rate, Some(200.0 / 3.0));
        }
        assert_eq!(next.rows.len(), 2);
        assert_eq!(next.timestamp, Utc.timestamp_opt(1_764_000_001, 0).unwrap());
    }

    #[test]
    fn fold_rule_a_baseline_row_takes_the_older_deltas() {
        let mut wrapped = row("eth0", Some(100), Some(1.0));
        wrapped.provenance = Provenance::WRAP;
        wrapped.event_bytes = 150;
        let older = cycle(0, vec![wrapped]);
        let mut set_aside = row("eth0", None, None);
        set_aside.provenance = Provenance::SET_ASIDE;
        set_aside.event_bytes = 7;
        let mut next = cycle(1, vec![set_aside]);
        next.absorb(older);
        let eth0 = &next.rows[0];
        assert_eq!(eth0.deltas.unwrap().bytes_recv, 100);
        assert_eq!(eth0.interval_s, Some(1.0));
        assert_eq!(
            eth0.provenance,
            Provenance::WRAP.with(Provenance::SET_ASIDE),
            "both rows' facts are kept"
        );
        assert_eq!(eth0.event_bytes, 157);
        assert_eq!(eth0.bytes_recv_rate, Some(100.0));
    }

    #[test]
    fn fold_rule_unstored_rows_and_unreadable_names_are_kept_too() {
        let mut older = cycle(0, vec![]);
        older.unstored = vec![row("eth0", Some(100), Some(1.0))];
        older.unreadable = vec!["wg0".into(), "eth1".into()];
        let mut next = cycle(1, vec![]);
        next.unstored = vec![
            row("eth0", Some(300), Some(2.0)),
            row("eth1", Some(5), Some(2.0)),
        ];
        next.unreadable = vec!["wg0".into()];
        next.absorb(older);
        assert_eq!(next.unstored[0].deltas.unwrap().bytes_recv, 400);
        assert_eq!(next.unreadable, ["wg0"], "eth1 was read in the newer cycle");
        let mut next = cycle(1, vec![row("eth0", Some(1), Some(1.0))]);
        let mut older = cycle(0, vec![]);
        older.unstored = vec![row("vpn0", Some(70), Some(1.0))];
        older.unreadable = vec!["wg1".into()];
        next.absorb(older);
        assert_eq!(next.unstored.len(), 1, "kept as it is");
        assert_eq!(next.unreadable, ["wg1"], "not read in the newer cycle");
    }

    #[test]
    fn fold_rule_rows_without_deltas_move_nothing() {
        let older = cycle(0, vec![row("eth0", None, None)]);
        let mut next = cycle(1, vec![row("eth0", Some(300), Some(2.0))]);
        assert_eq!(next.absorb(older), 0);
        assert_eq!(next.rows[0].deltas.unwrap().bytes_recv, 300);
        assert_eq!(next.rows[0].interval_s, Some(2.0));
    }

    #[test]
    fn fold_rule_an_interface_missing_from_the_next_cycle_keeps_its_row() {
        let older = cycle(0, vec![row("vpn0", Some(70), Some(1.0))]);
        let mut next = cycle(1, vec![row("eth0", Some(300), Some(2.0))]);
        assert_eq!(next.absorb(older), 105);
        let names: Vec<_> = next.rows.iter().map(|r| r.interface.as_str()).collect();
        assert_eq!(names, ["eth0", "vpn0"]);
        assert_eq!(next.rows[1].deltas.unwrap().bytes_recv, 70);
    }

    #[test]
    fn fold_rule_rates_stay_off_when_they_were_off() {
        let mut older_row = row("eth0", Some(100), Some(1.0));
        older_row.bytes_recv_rate = None;
        older_row.bytes_sent_rate = None;
        let mut next_row = row("eth0", Some(300), Some(2.0));
        next_row.bytes_recv_rate = None;
        next_row.bytes_sent_rate = None;
        let mut next = cycle(1, vec![next_row]);
        next.absorb(cycle(0, vec![older_row]));
        assert_eq!(next.rows[0].bytes_recv_rate, None);
        assert_eq!(next.rows[0].deltas.unwrap().bytes_recv, 400);
    }

    #[test]
    fn fold_rule_one_missing_interval_keeps_the_known_one() {
        let older = cycle(0, vec![row("eth0", Some(100), None)]);
        let mut next = cycle(1, vec![row("eth0", Some(300), Some(2.0))]);
        next.absorb(older);
        assert_eq!(next.rows[0].interval_s, Some(2.0));
        let older = cycle(0, vec![row("eth0", Some(100), Some(1.5))]);
        let mut next = cycle(1, vec![row("eth0", Some(300), None)]);
        next.absorb(older);
        assert_eq!(next.rows[0].interval_s, Some(1.5));
    }
}

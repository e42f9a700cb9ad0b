//! The resume points: each interface's last written counters, kept as one
//! postcard-encoded value in `netmon_meta` (key `last_samples`). It is
//! rewritten with every cycle, in the page the cycle's bookkeeping dirties
//! anyway, with one statement whatever the number of interfaces.

use super::{from_ms, meta, to_ms, LastSample};
use crate::counters::Counters;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One interface's last written sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    t_ms: i64,
    ifindex: Option<u32>,
    counters: [u64; 8],
}

/// Every interface's last written sample, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSamples(BTreeMap<String, Entry>);

impl LastSamples {
    /// Records `interface`'s counters as written at `at`.
    pub fn record(
        &mut self,
        interface: &str,
        at: DateTime<Utc>,
        ifindex: Option<u32>,
        counters: Counters,
    ) {
        let entry = Entry {
            t_ms: to_ms(at),
            ifindex,
            counters: counters.to_array(),
        };
        match self.0.get_mut(interface) {
            Some(slot) => *slot = entry,
            None => {
                self.0.insert(interface.to_string(), entry);
            }
        }
    }

    /// Forgets interfaces last written before `cutoff`; returns how many.
    pub fn forget_before(&mut self, cutoff: DateTime<Utc>) -> usize {
        let before = self.0.len();
        let cutoff = to_ms(cutoff);
        self.0.retain(|_, entry| entry.t_ms >= cutoff);
        before - self.0.len()
    }

    /// Forgets every interface (counters of another boot).
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The samples, by interface name.
    pub fn samples(&self) -> Vec<LastSample> {
        self.0
            .iter()
            .map(|(interface, entry)| LastSample {
                interface: interface.clone(),
                timestamp: from_ms(entry.t_ms),
                ifindex: entry.ifindex,
                counters: Counters::from_array(entry.counters),
            })
            .collect()
    }

    /// Reads them from the database (none when absent or unreadable: a
    /// restart then starts fresh).
    pub fn load(conn: &Connection) -> rusqlite::Result<LastSamples> {
        let stored: Option<Vec<u8>> = conn
            .prepare_cached("SELECT value FROM netmon_meta WHERE key = ?1")?
            .query_row([meta::LAST_SAMPLES], |r| r.get(0))
            .optional()?;
        Ok(stored
            .and_then(|bytes| postcard::from_bytes(&bytes).ok())
            .unwrap_or_default())
    }

    /// Writes them to the database.
    pub fn save(&self, conn: &Connection) -> rusqlite::Result<()> {
        let bytes = postcard::to_allocvec(self).unwrap_or_default();
        conn.prepare_cached(
            "INSERT INTO netmon_meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )?
        .execute(rusqlite::params![meta::LAST_SAMPLES, bytes])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn resume_points_round_trip_and_age_out() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE netmon_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            .unwrap();
        assert_eq!(LastSamples::load(&conn).unwrap(), LastSamples::default());
        let at = |s: i64| Utc.timestamp_opt(1_764_000_000 + s, 0).unwrap();
        let mut last = LastSamples::default();
        let big = Counters::from_array([u64::MAX, 1, 2, 3, 4, 5, 6, 7]);
        last.record("eth0", at(0), Some(2), big);
        last.record("wg0", at(10), None, Counters::default());
        last.record("eth0", at(20), Some(3), big);
        last.save(&conn).unwrap();
        let loaded = LastSamples::load(&conn).unwrap();
        assert_eq!(loaded, last);
        let samples = loaded.samples();
        assert_eq!(samples.len(), 2);
        assert_eq!(
            (
                samples[0].timestamp,
                samples[0].ifindex,
                samples[0].counters
            ),
            (at(20), Some(3), big)
        );
        let mut aged = loaded;
        assert_eq!(aged.forget_before(at(15)), 1);
        assert_eq!(aged.samples()[0].interface, "eth0");
        aged.clear();
        assert!(aged.samples().is_empty());
    }
}

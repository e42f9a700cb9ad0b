//! The resume point: what the next run continues from. The boot the
//! counters belong to, the last cycle written (wall time and boot clock),
//! and each interface's last reading: its time, ifindex and the counters
//! its next delta is measured from. One value in `netmon_meta` (key
//! `resume_point`), rewritten with every cycle in the page the cycle's
//! bookkeeping dirties anyway, with one statement whatever the number of
//! interfaces. Earlier formats (`last_samples`, `netmon_last`, with the
//! boot told by `btime`) are converted once, by the schema upgrade.

use super::{from_ms, meta, to_ms};
use crate::model::counters::Counters;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The first byte of the stored value: the format of what follows.
const FORMAT: u8 = 1;

/// When something was read: on the wall clock and on the boot clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// Wall time, milliseconds since the epoch (as sample times are stored).
    pub t_ms: i64,
    /// Boot clock, microseconds since boot (`None`: converted from a format
    /// that did not record it).
    pub clock_us: Option<i64>,
}

impl Reading {
    /// A reading at wall time `at` and boot clock `clock` seconds.
    pub fn new(at: DateTime<Utc>, clock: f64) -> Reading {
        Reading {
            t_ms: to_ms(at),
            clock_us: Some(super::interval_us(clock)),
        }
    }

    /// The wall time.
    pub fn wall(self) -> DateTime<Utc> {
        from_ms(self.t_ms)
    }

    /// The boot clock in seconds, where recorded.
    pub fn clock(self) -> Option<f64> {
        self.clock_us.map(crate::store::codec::seconds_of_us)
    }
}

/// What one interface's next delta is measured from, as last written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastReading {
    /// When `baseline` was read.
    pub at: Reading,
    /// Its kernel index then, where known.
    pub ifindex: Option<u32>,
    /// The last counters counted from (as read, except that a glitched
    /// counter keeps its higher previous value), in [`Counters::to_array`]
    /// order.
    pub baseline: [u64; 8],
    /// Whether `baseline` is a reading of another boot than the point's:
    /// the interface has not been read in this boot yet.
    pub other_boot: bool,
    /// With `other_boot`: whether that boot's final sample (taken at the
    /// stop before the reboot) read the interface.
    pub after_final: bool,
    /// Whether a counter was below its baseline at the last reading (a dip
    /// that lasts into the next run).
    pub glitching: bool,
    /// A reading set aside since (when, counters), which the counters may
    /// go on from.
    pub set_aside: Option<(Reading, [u64; 8])>,
    /// A cycle since that listed the interface on a line whose counters
    /// could not be read: it was there, unwatched.
    pub listed: Option<Reading>,
}

impl LastReading {
    /// The baseline as counters.
    pub fn counters(&self) -> Counters {
        Counters::from_array(self.baseline)
    }

    /// When the interface was last read: the set-aside reading's time,
    /// else the baseline's.
    pub fn read_at(&self) -> Reading {
        self.set_aside.map_or(self.at, |(at, _)| at)
    }

    /// When the interface was last seen: read, or listed unreadable.
    pub fn seen_at(&self) -> Reading {
        self.listed.unwrap_or_else(|| self.read_at())
    }
}

/// What the next run continues from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResumePoint {
    /// The boot the counters belong to (the kernel's `boot_id`).
    pub boot_id: Option<String>,
    /// For a point converted from before boot ids were recorded: the boot
    /// time (`btime`) it was written in.
    pub legacy_btime: Option<i64>,
    /// Which interfaces the run that wrote the last cycle selected (see
    /// [`crate::sample::select::Selection::fingerprint`]).
    pub selection: Option<u64>,
    /// The last cycle written.
    pub last_cycle: Option<Reading>,
    /// Whether the last cycle was the sample taken when netmon was asked
    /// to stop.
    pub final_sample: bool,
    /// Each interface's last written reading, by stored name.
    pub interfaces: BTreeMap<String, LastReading>,
}

impl ResumePoint {
    /// Records `interface`'s reading.
    pub fn record(&mut self, interface: &str, reading: LastReading) {
        match self.interfaces.get_mut(interface) {
            Some(slot) => *slot = reading,
            None => {
                self.interfaces.insert(interface.to_string(), reading);
            }
        }
    }

    /// Forgets interfaces last written before `cutoff`; returns how many.
    pub fn forget_before(&mut self, cutoff: DateTime<Utc>) -> usize {
        let before = self.interfaces.len();
        let cutoff = to_ms(cutoff);
        self.interfaces
            .retain(|_, last| last.read_at().t_ms >= cutoff);
        before - self.interfaces.len()
    }

    /// Reads it from the database (an empty one when absent or unreadable:
    /// the next run then starts fresh).
    pub fn load(conn: &Connection) -> rusqlite::Result<ResumePoint> {
        let stored: Option<Vec<u8>> = conn
            .prepare_cached("SELECT value FROM netmon_meta WHERE key = ?1")?
            .query_row([meta::RESUME_POINT], |r| r.get(0))
            .optional()?;
        Ok(stored
            .as_deref()
            .and_then(|bytes| match bytes.split_first() {
                Some((&FORMAT, rest)) => postcard::from_bytes::<Stored>(rest).ok(),
                _ => None,
            })
            .map(Stored::into_point)
            .unwrap_or_default())
    }

    /// Writes it to the database.
    pub fn save(&self, conn: &Connection) -> rusqlite::Result<()> {
        let mut bytes = vec![FORMAT];
        // Serialising plain data into a Vec cannot fail.
        bytes.extend(postcard::to_allocvec(&Stored::of(self)).unwrap_or_default());
        conn.prepare_cached(
            "INSERT INTO netmon_meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )?
        .execute(rusqlite::params![meta::RESUME_POINT, bytes])?;
        Ok(())
    }
}

/// The resume point as stored: a reading of the last cycle (where most
/// interfaces were read) is stored once, not with each interface, so the
/// value rewritten with every cycle stays small.
#[derive(Serialize, Deserialize)]
struct Stored<'a> {
    #[serde(borrow)]
    boot_id: Option<std::borrow::Cow<'a, str>>,
    legacy_btime: Option<i64>,
    selection: Option<u64>,
    last_cycle: Option<Reading>,
    final_sample: bool,
    #[serde(borrow)]
    interfaces: Vec<StoredReading<'a>>,
}

/// An interface's reading as stored. A reading of the last cycle is `None`.
#[derive(Serialize, Deserialize)]
struct StoredReading<'a> {
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
    at: Option<Reading>,
    ifindex: Option<u32>,
    baseline: [u64; 8],
    /// [`OTHER_BOOT`], [`GLITCHING`], [`AFTER_FINAL`].
    flags: u8,
    set_aside: Option<(Option<Reading>, [u64; 8])>,
    listed: Option<Option<Reading>>,
}

/// [`LastReading::other_boot`] in [`StoredReading::flags`].
const OTHER_BOOT: u8 = 1;
/// [`LastReading::glitching`] in [`StoredReading::flags`].
const GLITCHING: u8 = 1 << 1;
/// [`LastReading::after_final`] in [`StoredReading::flags`].
const AFTER_FINAL: u8 = 1 << 2;

impl<'a> Stored<'a> {
    fn of(point: &'a ResumePoint) -> Stored<'a> {
        // A reading of the last cycle is not repeated.
        let compact = |at: Reading| Some(at).filter(|at| point.last_cycle != Some(*at));
        Stored {
            boot_id: point.boot_id.as_deref().map(Into::into),
            legacy_btime: point.legacy_btime,
            selection: point.selection,
            last_cycle: point.last_cycle,
            final_sample: point.final_sample,
            interfaces: point
                .interfaces
                .iter()
                .map(|(name, last)| StoredReading {
                    name: name.as_str().into(),
                    at: compact(last.at),
                    ifindex: last.ifindex,
                    baseline: last.baseline,
                    flags: [
                        (last.other_boot, OTHER_BOOT),
                        (last.glitching, GLITCHING),
                        (last.after_final, AFTER_FINAL),
                    ]
                    .iter()
                    .filter(|(set, _)| *set)
                    .fold(0, |flags, (_, bit)| flags | bit),
                    set_aside: last.set_aside.map(|(at, counters)| (compact(at), counters)),
                    listed: last.listed.map(compact),
                })
                .collect(),
        }
    }

    fn into_point(self) -> ResumePoint {
        let last_cycle = self.last_cycle;
        let full = |at: Option<Reading>| at.or(last_cycle);
        let interfaces = self.interfaces.into_iter().filter_map(|stored| {
            let set_aside = match stored.set_aside {
                Some((at, counters)) => Some((full(at)?, counters)),
                None => None,
            };
            let listed = match stored.listed {
                Some(at) => Some(full(at)?),
                None => None,
            };
            let reading = LastReading {
                at: full(stored.at)?,
                ifindex: stored.ifindex,
                baseline: stored.baseline,
                other_boot: stored.flags & OTHER_BOOT != 0,
                glitching: stored.flags & GLITCHING != 0,
                after_final: stored.flags & AFTER_FINAL != 0,
                set_aside,
                listed,
            };
            Some((stored.name.into_owned(), reading))
        });
        ResumePoint {
            boot_id: self.boot_id.map(std::borrow::Cow::into_owned),
            legacy_btime: self.legacy_btime,
            selection: self.selection,
            last_cycle,
            final_sample: self.final_sample,
            interfaces: interfaces.collect(),
        }
    }
}

/// The resume point of a database from before it was recorded as one
/// value with the boot's identity: schema 2's `netmon_last` table or schema
/// 3's `last_samples` value, with `counters_boot_time` and `last_cycle`.
/// Removes those; the boot is told by its `btime`, and boot clock times are
/// unknown.
pub(crate) fn convert_legacy(conn: &Connection) -> rusqlite::Result<ResumePoint> {
    let mut point = ResumePoint {
        legacy_btime: meta::get(conn, meta::LEGACY_BOOT_TIME)?.and_then(|v| v.parse().ok()),
        last_cycle: meta::get(conn, meta::LEGACY_LAST_CYCLE)?
            .and_then(|v| super::parse_timestamp(&v))
            .map(|at| Reading {
                t_ms: to_ms(at),
                clock_us: None,
            }),
        ..ResumePoint::default()
    };
    let mut record = |name: String, t_ms: i64, ifindex: Option<u32>, baseline: [u64; 8]| {
        let at = Reading {
            t_ms,
            clock_us: None,
        };
        point.record(
            &name,
            LastReading {
                at,
                ifindex,
                baseline,
                other_boot: false,
                after_final: false,
                glitching: false,
                set_aside: None,
                listed: None,
            },
        );
    };
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'netmon_last')",
        [],
        |r| r.get(0),
    )?;
    if has_table {
        let mut stmt = conn.prepare(
            "SELECT interface, timestamp, ifindex, bytes_recv, bytes_sent, packets_recv,
                    packets_sent, errin, errout, dropin, dropout FROM netmon_last",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let Some(at) = super::parse_timestamp(&r.get::<_, String>(1)?) else {
                continue;
            };
            let counters: [i64; 8] = std::array::from_fn(|i| r.get(i + 3).unwrap_or(0));
            let ifindex = r
                .get::<_, Option<i64>>(2)?
                .and_then(|i| u32::try_from(i).ok());
            record(r.get(0)?, to_ms(at), ifindex, counters.map(|v| v as u64));
        }
        drop(rows);
        drop(stmt);
        conn.execute_batch("DROP TABLE netmon_last")?;
    }
    let samples: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM netmon_meta WHERE key = ?1",
            [meta::LEGACY_LAST_SAMPLES],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(old) = samples
        .as_deref()
        .and_then(|bytes| postcard::from_bytes::<BTreeMap<String, LegacyEntry>>(bytes).ok())
    {
        for (name, entry) in old {
            record(name, entry.t_ms, entry.ifindex, entry.counters);
        }
    }
    for key in [
        meta::LEGACY_BOOT_TIME,
        meta::LEGACY_LAST_CYCLE,
        meta::LEGACY_LAST_SAMPLES,
    ] {
        meta::remove(conn, key)?;
    }
    Ok(point)
}

/// One interface of schema 3's `last_samples` value.
#[derive(Debug, Clone, Copy, Deserialize)]
struct LegacyEntry {
    t_ms: i64,
    ifindex: Option<u32>,
    counters: [u64; 8],
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn meta_table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE netmon_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            .unwrap();
        conn
    }

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_764_000_000 + s, 0).unwrap()
    }

    #[test]
    fn resume_point_round_trips_and_ages_out() {
        let conn = meta_table();
        assert_eq!(ResumePoint::load(&conn).unwrap(), ResumePoint::default());
        let big = [u64::MAX, 1, 2, 3, 4, 5, 6, 7];
        let reading = |s: i64, ifindex, baseline| LastReading {
            at: Reading::new(at(s), 100.0 + s as f64),
            ifindex,
            baseline,
            other_boot: s == 10,
            after_final: s == 10,
            glitching: s == 20,
            set_aside: (s == 20).then(|| (Reading::new(at(20), 120.0), [9; 8])),
            listed: (s == 10).then(|| Reading::new(at(20), 120.0)),
        };
        let mut point = ResumePoint {
            boot_id: Some("c1527b7e-baa5-4c41-9826-7775cdbce0fb".into()),
            selection: Some(42),
            last_cycle: Some(Reading::new(at(20), 120.0)),
            final_sample: true,
            ..ResumePoint::default()
        };
        point.record("eth0", reading(0, Some(2), big));
        point.record("wg0", reading(10, None, [0; 8]));
        point.record("eth0", reading(20, Some(3), big));
        point.interfaces.get_mut("eth0").unwrap().at = Reading::new(at(15), 115.0);
        point.save(&conn).unwrap();
        let loaded = ResumePoint::load(&conn).unwrap();
        assert_eq!(loaded, point);
        assert_eq!(loaded.interfaces["eth0"].at.clock(), Some(115.0));
        assert_eq!(loaded.interfaces["eth0"].read_at().wall(), at(20));
        assert_eq!(
            loaded.interfaces["eth0"].read_at(),
            point.last_cycle.unwrap()
        );
        assert!(loaded.interfaces["wg0"].other_boot);
        assert_eq!(
            loaded.interfaces["wg0"].seen_at(),
            point.last_cycle.unwrap()
        );
        assert_eq!(loaded.interfaces["eth0"].counters().bytes_recv, u64::MAX);
        let mut aged = loaded;
        assert_eq!(aged.forget_before(at(15)), 1);
        assert_eq!(aged.interfaces.keys().collect::<Vec<_>>(), ["eth0"]);
    }

    #[test]
    fn an_unknown_format_is_no_resume_point() {
        let conn = meta_table();
        conn.execute(
            "INSERT INTO netmon_meta (key, value) VALUES (?1, x'02ff')",
            [meta::RESUME_POINT],
        )
        .unwrap();
        assert_eq!(ResumePoint::load(&conn).unwrap(), ResumePoint::default());
    }

    #[test]
    fn schema_3_resume_points_are_converted_with_their_btime() {
        let conn = meta_table();
        let old: BTreeMap<String, (i64, Option<u32>, [u64; 8])> =
            [("eth0".to_string(), (to_ms(at(0)), Some(2), [7; 8]))].into();
        conn.execute(
            "INSERT INTO netmon_meta (key, value) VALUES ('last_samples', ?1),
                 ('counters_boot_time', '1764000000'), ('last_cycle', '2025-11-24T16:00:00.000Z')",
            [postcard::to_allocvec(&old).unwrap()],
        )
        .unwrap();
        let point = convert_legacy(&conn).unwrap();
        assert_eq!(point.legacy_btime, Some(1_764_000_000));
        assert_eq!(point.boot_id, None);
        assert_eq!(
            point.last_cycle,
            Some(Reading {
                t_ms: to_ms(at(0)),
                clock_us: None
            })
        );
        let eth0 = point.interfaces["eth0"];
        assert_eq!((eth0.at.t_ms, eth0.at.clock_us), (to_ms(at(0)), None));
        assert_eq!((eth0.ifindex, eth0.baseline), (Some(2), [7; 8]));
        let left: i64 = conn
            .query_row("SELECT COUNT(*) FROM netmon_meta", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0, "the old keys are gone");
    }
}

//! `--audit`: how each interface's total over a window was obtained. The
//! share of the window its samples cover; every stretch nobody watched
//! (netmon stopped, a reboot, the interface absent) with how it was bridged
//! and the bytes that remain unaccounted (0, an upper bound, or unknown);
//! and the resets, wraps, glitches and set-aside deltas with their bytes.
//! Built from the facts stored with each sample (`netmon_events`, kept as
//! long as the rollups) and the totals a summary reads. Never writes.

pub mod render;

use super::Totals;
use crate::calendar::Calendar;
use crate::provenance::Provenance;
use crate::sampler::TOTAL_INTERFACE;
use crate::store::rollup::period_key;
use crate::store::schema::TOTAL_ID;
use crate::store::{format_timestamp, from_ms, meta, parse_timestamp, to_ms};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to audit.
#[derive(Debug, Clone)]
pub struct AuditQuery {
    /// The database's calendar.
    pub calendar: Calendar,
    /// Inclusive start (`None`: the whole history).
    pub since: Option<DateTime<Utc>>,
    /// Exclusive end (`None`: now).
    pub until: Option<DateTime<Utc>>,
    /// Only these interfaces; empty = all.
    pub interfaces: Vec<String>,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Why nobody watched an interface for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// netmon was not running (same boot).
    Stopped,
    /// The host rebooted.
    Reboot,
    /// The interface was absent, or re-created under the same name.
    Recreated,
    /// netmon could not continue from the earlier counters (their boot
    /// could not be told, or they were forgotten).
    NotContinued,
}

/// How the traffic of an unwatched stretch was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bridge {
    /// The counters' rise across it, in the same boot and interface: exact.
    Continuation,
    /// The first reading of the new boot (everything since the boot).
    SinceBoot,
    /// A final sample at the stop before the reboot, then the first
    /// reading of the new boot: nothing of either boot is missing.
    FinalSampleAndSinceBoot,
    /// The re-created interface's first reading (everything since its creation).
    SinceCreation,
    /// Not bridged: counting restarted from the next reading.
    Nothing,
}

/// Bytes of a stretch or a window that no delta accounts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unaccounted {
    /// Every byte is accounted for.
    None,
    /// At most this many bytes.
    AtMost(u64),
    /// Some bytes may be missing, and nothing bounds how many.
    Unknown,
}

impl Unaccounted {
    /// The unaccounted bytes of two parts together.
    fn and(self, other: Unaccounted) -> Unaccounted {
        match (self, other) {
            (Unaccounted::Unknown, _) | (_, Unaccounted::Unknown) => Unaccounted::Unknown,
            (Unaccounted::AtMost(a), Unaccounted::AtMost(b)) => {
                Unaccounted::AtMost(a.saturating_add(b))
            }
            (Unaccounted::AtMost(a), Unaccounted::None)
            | (Unaccounted::None, Unaccounted::AtMost(a)) => Unaccounted::AtMost(a),
            (Unaccounted::None, Unaccounted::None) => Unaccounted::None,
        }
    }
}

/// A stretch nobody watched, and how its traffic was counted.
#[derive(Debug, Clone, PartialEq)]
pub struct Stretch {
    /// The last reading before it (`None` when no earlier sample is left).
    pub from: Option<DateTime<Utc>>,
    /// The reading that ended it.
    pub to: DateTime<Utc>,
    /// Why nobody watched.
    pub cause: Cause,
    /// How its traffic was counted.
    pub bridge: Bridge,
    /// What remains unaccounted.
    pub unaccounted: Unaccounted,
}

/// How many samples had a fact, and the bytes concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Samples.
    pub count: u64,
    /// Bytes (received + sent): for resets the traffic counted since the
    /// reset, for wraps the delta, for glitches the dip, for set-aside
    /// deltas the bytes set aside.
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, bytes: u64) {
        self.count += 1;
        self.bytes = self.bytes.saturating_add(bytes);
    }
}

/// One interface's audit.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceAudit {
    /// Interface name.
    pub interface: String,
    /// Its totals over the window (bytes, covered seconds, first and last sample).
    pub totals: Totals,
    /// The part of the window audited: from the window's start (or the
    /// interface's first sample) to its end (or now).
    pub span_seconds: f64,
    /// Unwatched stretches, oldest first.
    pub stretches: Vec<Stretch>,
    /// Counters that fell within one interface's life (a driver reset).
    pub resets: Tally,
    /// 32-bit wraps.
    pub wraps: Tally,
    /// Dips held at the previous value.
    pub glitches: Tally,
    /// Deltas set aside (beyond any link, or above `max_bandwidth_mbit`).
    pub set_aside: Tally,
    /// Of the bytes set aside, those no later delta counted: the counters
    /// went on from a set-aside reading (they really jumped), or nothing
    /// was read from them since (an upper bound).
    pub set_aside_lost: u64,
    /// Dips that lasted beyond one reading (count), and the deepest dip of
    /// each (bytes): had a counter really gone back, up to that is missing.
    pub lasting_dips: Tally,
    /// Samples taken when netmon was asked to stop.
    pub final_samples: u64,
}

impl InterfaceAudit {
    /// The share of the audited span its samples' deltas cover (0 to 1).
    pub fn covered_share(&self) -> f64 {
        if self.span_seconds > 0.0 {
            (self.totals.seconds / self.span_seconds).clamp(0.0, 1.0)
        } else {
            1.0
        }
    }

    /// What no delta accounts for: the unbridged parts of its stretches,
    /// the traffic lost to resets, and the deltas set aside.
    pub fn unaccounted(&self) -> Unaccounted {
        let mut total = self
            .stretches
            .iter()
            .fold(Unaccounted::None, |sum, s| sum.and(s.unaccounted));
        if self.resets.count > 0 {
            total = total.and(Unaccounted::Unknown);
        }
        if self.set_aside_lost > 0 {
            total = total.and(Unaccounted::AtMost(self.set_aside_lost));
        }
        if self.lasting_dips.count > 0 {
            total = total.and(Unaccounted::AtMost(self.lasting_dips.bytes));
        }
        total
    }
}

/// The whole `--audit` answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Audit {
    /// Database path.
    pub database: PathBuf,
    /// Window start, if bounded.
    pub since: Option<DateTime<Utc>>,
    /// Window end, if bounded.
    pub until: Option<DateTime<Utc>>,
    /// The calendar times are shown in.
    pub calendar: Calendar,
    /// Per interface, alphabetically.
    pub interfaces: Vec<InterfaceAudit>,
    /// Where the window starts before every sample's facts were recorded
    /// (a database upgraded from before they were): the first instant
    /// from which they are.
    pub facts_from: Option<DateTime<Utc>>,
    /// Whether some cycles of the window stored only `_total`
    /// (`track_per_interface: false`): their interfaces' facts are unknown.
    pub only_total: bool,
}

impl Audit {
    /// Whether every byte of every interface in the window is accounted
    /// for. Where facts are missing (samples from before they were
    /// recorded, or only `_total` stored), nothing can be vouched for.
    pub fn accounted(&self) -> bool {
        self.facts_from.is_none()
            && !self.only_total
            && self
                .interfaces
                .iter()
                .all(|i| i.unaccounted() == Unaccounted::None)
    }
}

/// One stored fact.
struct Event {
    t: i64,
    iface: i64,
    kind: Provenance,
    bytes: u64,
    bridged_from: Option<i64>,
}

/// Builds the audit for `query` from an open database.
pub fn build(conn: &Connection, database: &Path, query: &AuditQuery) -> rusqlite::Result<Audit> {
    let snapshot = conn.unchecked_transaction()?;
    let conn: &Connection = &snapshot;
    let (earliest, latest) = super::unbounded();
    let from = query.since.unwrap_or(earliest);
    let to = query.until.unwrap_or(latest).max(from);
    let wanted = |name: &str| {
        name != TOTAL_INTERFACE
            && (query.interfaces.is_empty() || query.interfaces.iter().any(|i| i == name))
    };
    let mut totals: BTreeMap<String, Totals> = BTreeMap::new();
    // Every piece holds samples: rollup rows and raw groups exist only for them.
    for (interface, _, piece) in super::window_totals(conn, &query.calendar, from, to)? {
        if wanted(&interface) {
            totals.entry(interface).or_default().merge(&piece);
        }
    }
    let only_total = total_only_cycles(conn, from, to)?;
    let names = interface_names(conn)?;
    let mut audits: BTreeMap<String, InterfaceAudit> = totals
        .into_iter()
        .map(|(interface, totals)| {
            let start = query
                .since
                .or_else(|| parse_timestamp(&totals.first_sample))
                .unwrap_or(query.now);
            let end = query.until.unwrap_or(query.now).min(query.now);
            let span_seconds = (end - start).num_milliseconds().max(0) as f64 / 1000.0;
            let audit = InterfaceAudit {
                interface: interface.clone(),
                totals,
                span_seconds,
                stretches: Vec::new(),
                resets: Tally::default(),
                wraps: Tally::default(),
                glitches: Tally::default(),
                set_aside: Tally::default(),
                set_aside_lost: 0,
                lasting_dips: Tally::default(),
                final_samples: 0,
            };
            (interface, audit)
        })
        .collect();
    let mut episodes: BTreeMap<i64, Episodes> = BTreeMap::new();
    for event in events(conn, to_ms(from), to_ms(to))? {
        let Some(audit) = names
            .get(&event.iface)
            .and_then(|name| audits.get_mut(name))
        else {
            continue;
        };
        record(conn, audit, &event)?;
        episodes
            .entry(event.iface)
            .or_default()
            .follow(audit, &event);
    }
    for (iface, open) in episodes {
        if let Some(audit) = names.get(&iface).and_then(|name| audits.get_mut(name)) {
            open.close(audit);
        }
    }
    let facts_from = meta::get(conn, meta::PROVENANCE_FROM)?
        .and_then(|v| v.parse().ok())
        .map(from_ms)
        .filter(|&complete| from < complete);
    Ok(Audit {
        database: database.to_path_buf(),
        since: query.since,
        until: query.until,
        calendar: query.calendar.clone(),
        interfaces: audits.into_values().collect(),
        facts_from,
        only_total,
    })
}

/// Adds one fact to an interface's audit.
fn record(conn: &Connection, audit: &mut InterfaceAudit, event: &Event) -> rusqlite::Result<()> {
    let kind = event.kind;
    let to = from_ms(event.t);
    let bridged_from = event.bridged_from.map(from_ms);
    let stretch = if kind.contains(Provenance::SINCE_BOOT) {
        let after_final = kind.contains(Provenance::AFTER_FINAL);
        Some(Stretch {
            from: bridged_from,
            to,
            cause: Cause::Reboot,
            bridge: if after_final {
                Bridge::FinalSampleAndSinceBoot
            } else {
                Bridge::SinceBoot
            },
            unaccounted: if after_final {
                Unaccounted::None
            } else {
                Unaccounted::Unknown
            },
        })
    } else if kind.contains(Provenance::RECREATED) {
        Some(Stretch {
            from: bridged_from,
            to,
            cause: Cause::Recreated,
            bridge: Bridge::SinceCreation,
            unaccounted: Unaccounted::Unknown,
        })
    } else if kind.contains(Provenance::CONTINUED) {
        Some(Stretch {
            from: bridged_from,
            to,
            cause: Cause::Stopped,
            bridge: Bridge::Continuation,
            // A reset inside the stretch is counted with the resets.
            unaccounted: Unaccounted::None,
        })
    } else if kind.contains(Provenance::BASELINE) {
        earlier_sample(conn, event)?.map(|earlier| Stretch {
            from: Some(earlier),
            to,
            cause: Cause::NotContinued,
            bridge: Bridge::Nothing,
            unaccounted: Unaccounted::Unknown,
        })
    } else {
        None
    };
    audit.stretches.extend(stretch);
    let bytes = event.bytes;
    if kind.contains(Provenance::RESET) {
        audit.resets.add(bytes);
    }
    if kind.contains(Provenance::WRAP) {
        audit.wraps.add(bytes);
    }
    if kind.contains(Provenance::GLITCH) {
        audit.glitches.add(bytes);
    }
    if kind.contains(Provenance::SET_ASIDE) {
        audit.set_aside.add(bytes);
    }

    if kind.contains(Provenance::FINAL) {
        audit.final_samples += 1;
    }
    Ok(())
}

/// What an interface's facts left open while the audit reads them in order:
/// set-aside readings not yet resolved, and a dip not yet over.
#[derive(Debug, Default)]
struct Episodes {
    /// The bytes of the last set-aside delta since the last counted one.
    set_aside: Option<u64>,
    /// The deepest dip of the current glitch, and whether it lasted.
    dip: Option<(u64, bool)>,
}

impl Episodes {
    /// Follows one fact of the interface of `audit`.
    fn follow(&mut self, audit: &mut InterfaceAudit, event: &Event) {
        let kind = event.kind;
        if kind.contains(Provenance::SET_ASIDE) {
            self.set_aside = Some(event.bytes);
        } else if kind.contains(Provenance::JUMPED) {
            // What the set-aside readings claimed was never counted.
            audit.set_aside_lost = audit.set_aside_lost.saturating_add(event.bytes);
            self.set_aside = None;
        } else if kind.contains(Provenance::RECOVERED) {
            self.set_aside = None;
        } else if kind.intersects(
            Provenance::SINCE_BOOT
                .with(Provenance::RECREATED)
                .with(Provenance::BASELINE),
        ) {
            self.close_set_aside(audit);
        }
        if kind.contains(Provenance::GLITCH) {
            self.close_dip(audit);
            self.dip = Some((event.bytes, false));
        } else if kind.contains(Provenance::DIP_LASTS) {
            let deepest = self.dip.map_or(0, |(dip, _)| dip).max(event.bytes);
            self.dip = Some((deepest, true));
        }
    }

    /// Ends a set-aside episode no counted delta resolved: what it claimed
    /// may be missing.
    fn close_set_aside(&mut self, audit: &mut InterfaceAudit) {
        if let Some(bytes) = self.set_aside.take() {
            audit.set_aside_lost = audit.set_aside_lost.saturating_add(bytes);
        }
    }

    /// Ends a glitch: one that lasted beyond a reading bounds what may be
    /// missing by its deepest dip.
    fn close_dip(&mut self, audit: &mut InterfaceAudit) {
        if let Some((deepest, true)) = self.dip.take() {
            audit.lasting_dips.add(deepest);
        }
    }

    /// Ends whatever is still open at the window's end.
    fn close(mut self, audit: &mut InterfaceAudit) {
        self.close_set_aside(audit);
        self.close_dip(audit);
    }
}

/// Whether some cycle in [`from`, `to`) stored `_total` without any
/// interface row (`track_per_interface: false`): told exactly from the raw
/// samples, and from the hour rollups (where `_total` has more samples than
/// all interfaces together) before them.
fn total_only_cycles(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let first_raw: Option<i64> =
        conn.query_row("SELECT MIN(t) FROM netmon_samples", [], |r| r.get(0))?;
    let raw_from = first_raw.map_or(i64::MAX, |first| first.max(to_ms(from)));
    let in_raw: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM netmon_samples s
             WHERE s.iface = ?1 AND s.t >= ?2 AND s.t < ?3
               AND NOT EXISTS (SELECT 1 FROM netmon_samples o WHERE o.t = s.t AND o.iface < ?1))",
        rusqlite::params![TOTAL_ID, raw_from, to_ms(to)],
        |r| r.get(0),
    )?;
    let rolled_until = from_ms(raw_from).min(to);
    let in_rollups: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM network_stats_hourly h
             WHERE h.interface = ?1 AND h.period_start >= ?2 AND h.period_start < ?3
               AND h.samples > (SELECT COALESCE(SUM(o.samples), 0) FROM network_stats_hourly o
                                WHERE o.period_start = h.period_start AND o.interface != ?1))",
        rusqlite::params![TOTAL_INTERFACE, period_key(from), period_key(rolled_until)],
        |r| r.get(0),
    )?;
    Ok(in_raw || in_rollups)
}

/// The facts stored in [`from_ms`, `to_ms`), oldest first.
fn events(conn: &Connection, from_ms: i64, to_ms: i64) -> rusqlite::Result<Vec<Event>> {
    let mut stmt = conn.prepare(
        "SELECT t, iface, kind, bytes, bridged_from FROM netmon_events
         WHERE t >= ?1 AND t < ?2 ORDER BY t, iface",
    )?;
    let rows = stmt.query_map([from_ms, to_ms], |r| {
        Ok(Event {
            t: r.get(0)?,
            iface: r.get(1)?,
            kind: Provenance::from_bits(r.get(2)?),
            // Stored bit for bit, like the counters.
            bytes: r.get::<_, i64>(3)? as u64,
            bridged_from: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// Interface names by id.
fn interface_names(conn: &Connection) -> rusqlite::Result<BTreeMap<i64, String>> {
    let mut stmt = conn.prepare("SELECT id, name FROM netmon_interfaces")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// The interface's sample before a baseline: from the raw samples, else
/// (retention deleted them) from the hour rollups.
fn earlier_sample(conn: &Connection, event: &Event) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let raw: Option<i64> = conn.query_row(
        "SELECT MAX(t) FROM netmon_samples WHERE iface = ?1 AND t < ?2",
        [event.iface, event.t],
        |r| r.get(0),
    )?;
    if let Some(t) = raw {
        return Ok(Some(from_ms(t)));
    }
    let rolled: Option<String> = conn
        .query_row(
            "SELECT MAX(h.last_sample) FROM network_stats_hourly h
             JOIN netmon_interfaces i ON i.name = h.interface
             WHERE i.id = ?1 AND h.last_sample < ?2",
            rusqlite::params![event.iface, format_timestamp(from_ms(event.t))],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    Ok(rolled.as_deref().and_then(parse_timestamp))
}

#[cfg(test)]
mod tests;

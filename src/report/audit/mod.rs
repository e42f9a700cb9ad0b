//! `--audit`: how each interface's total over a window was obtained. The
//! share of the window its samples cover; every stretch nobody watched
//! (netmon stopped, a reboot, the interface absent) with how it was bridged
//! and the bytes that remain unaccounted (0, an upper bound, or unknown);
//! and the resets, wraps, glitches and set-aside deltas with their bytes.
//! Built from the facts stored with each sample (`netmon_events`, kept as
//! long as the rollups) and the totals a summary reads. Never writes.

pub(crate) mod render;

use super::Totals;
use crate::model::calendar::Calendar;
use crate::model::provenance::Provenance;
use crate::sample::TOTAL_INTERFACE;
use crate::store::codec::{from_ms, parse_timestamp};
use crate::store::history::{Event, History, ReadResult};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to audit.
#[derive(Debug, Clone)]
pub(crate) struct AuditQuery {
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
pub(crate) enum Cause {
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
pub(crate) enum Bridge {
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
pub(crate) enum Unaccounted {
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
pub(crate) struct Stretch {
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
pub(crate) struct Tally {
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
pub(crate) struct InterfaceAudit {
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
    pub(crate) fn covered_share(&self) -> f64 {
        if self.span_seconds > 0.0 {
            (self.totals.seconds / self.span_seconds).clamp(0.0, 1.0)
        } else {
            1.0
        }
    }

    /// What no delta accounts for: the unbridged parts of its stretches,
    /// the traffic lost to resets, and the deltas set aside.
    pub(crate) fn unaccounted(&self) -> Unaccounted {
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
pub(crate) struct Audit {
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
    pub(crate) fn accounted(&self) -> bool {
        self.facts_from.is_none()
            && !self.only_total
            && self
                .interfaces
                .iter()
                .all(|i| i.unaccounted() == Unaccounted::None)
    }
}

/// Builds the audit for `query` from an open database.
pub(crate) fn build(history: &History, database: &Path, query: &AuditQuery) -> ReadResult<Audit> {
    let snapshot = history.snapshot()?;
    let history = &snapshot.history();
    let (earliest, latest) = super::unbounded();
    let from = query.since.unwrap_or(earliest);
    let to = query.until.unwrap_or(latest).max(from);
    let wanted = |name: &str| {
        name != TOTAL_INTERFACE
            && (query.interfaces.is_empty() || query.interfaces.iter().any(|i| i == name))
    };
    let mut totals: BTreeMap<String, Totals> = BTreeMap::new();
    // Every piece holds samples: rollup rows and raw groups exist only for them.
    for (interface, _, piece) in history.window_totals(&query.calendar, from, to)? {
        if wanted(&interface) {
            totals.entry(interface).or_default().merge(&piece);
        }
    }
    let only_total = history.total_only_cycles(from, to)?;
    let names = history.interface_names()?;
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
    for event in history.events(from, to)? {
        let Some(audit) = names
            .get(&event.iface)
            .and_then(|name| audits.get_mut(name))
        else {
            continue;
        };
        record(history, audit, &event)?;
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
    let facts_from = history.facts_from()?.filter(|&complete| from < complete);
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
fn record(history: &History, audit: &mut InterfaceAudit, event: &Event) -> ReadResult<()> {
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
        history.earlier_sample(event)?.map(|earlier| Stretch {
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

#[cfg(test)]
mod tests;

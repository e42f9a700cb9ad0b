//! What a run and each cycle it writes record in the resume point: the
//! interfaces' readings, the boot and selection of the run (with its first
//! cycle), and which readings of an earlier boot stay. It never writes
//! samples; the write path saves the point in each cycle's transaction.

use super::resume_point::{LastReading, Reading, ResumePoint};
use super::Store;
use crate::model::provenance::Provenance;
use crate::sample::resume::Resumed;
use crate::sample::{Baseline, Cycle};

impl Store {
    /// Rolls the resume point in memory back to the one in the database
    /// (it must never say more than the rows do: retention may save it
    /// before the cycles are written again), and whether it says this
    /// run's boot with it.
    pub(super) fn reload_resume_point(&mut self) {
        if let Ok(committed) = ResumePoint::load(&self.conn) {
            self.resume = committed;
        }
        if let Some(run) = &mut self.run {
            run.recorded =
                self.resume.boot_id == run.boot_id && self.resume.selection == Some(run.selection);
        }
    }

    /// Records in the resume point where each interface of `cycle` (stored
    /// or not) goes on from, the cycle itself (stamped `reading`) and, with
    /// the run's first cycle, the run's boot; saves it.
    pub(super) fn record_resume_point(
        &mut self,
        cycle: &Cycle,
        reading: Reading,
    ) -> rusqlite::Result<()> {
        // A reading taken with its cycle is recorded at the cycle's stamp
        // (nudged past a stored one if the clock went back).
        let reading_of = |b: &Baseline| {
            if b.at == cycle.clock {
                reading
            } else {
                Reading::new(b.wall, b.at)
            }
        };
        for row in cycle.interface_rows() {
            let next = &row.next_from;
            // A baseline kept from another boot keeps what that boot said.
            let after_final = next.other_boot
                && self
                    .resume
                    .interfaces
                    .get(&row.interface)
                    .is_some_and(|last| last.after_final);
            self.resume.record(
                &row.interface,
                LastReading {
                    at: reading_of(&next.good),
                    ifindex: row.ifindex,
                    baseline: next.good.counters.to_array(),
                    other_boot: next.other_boot,
                    after_final,
                    glitching: row
                        .provenance
                        .intersects(Provenance::GLITCH.with(Provenance::DIP_LASTS)),
                    set_aside: next
                        .set_aside
                        .map(|b| (reading_of(&b), b.counters.to_array())),
                    listed: None,
                },
            );
        }
        for name in &cycle.unreadable {
            if let Some(last) = self.resume.interfaces.get_mut(name) {
                last.listed = Some(reading);
            }
        }
        if let Some(run) = self.run.as_mut().filter(|run| !run.recorded) {
            let read_now = |last: &LastReading| last.read_at() == reading;
            match run.continues {
                Resumed::SameBoot { .. } => {}
                Resumed::NewBoot => {
                    // The old boot's readings wait for their interfaces to
                    // appear in this one (counted since the boot); a
                    // reading of a boot before that goes.
                    let (ended_final, last_cycle) =
                        (self.resume.final_sample, self.resume.last_cycle);
                    self.resume
                        .interfaces
                        .retain(|_, last| read_now(last) || !last.other_boot);
                    for last in self.resume.interfaces.values_mut() {
                        if !read_now(last) {
                            last.after_final = ended_final && Some(last.read_at()) == last_cycle;
                            last.other_boot = true;
                            last.listed = None;
                        }
                    }
                }
                Resumed::Fresh => self.resume.interfaces.retain(|_, last| read_now(last)),
            }
            self.resume.boot_id.clone_from(&run.boot_id);
            self.resume.legacy_btime = None;
            self.resume.selection = Some(run.selection);
            run.recorded = true;
        }
        self.resume.last_cycle = Some(reading);
        self.resume.final_sample = cycle.final_sample;
        self.resume.save(&self.conn)
    }

    /// What the next run continues from: the boot, the last written cycle
    /// and each interface's last reading (one value in `netmon_meta`:
    /// O(interfaces), whatever the history's size).
    pub fn resume_point(&self) -> &ResumePoint {
        &self.resume
    }

    /// Sets the boot and selection this run's cycles are taken in, and how
    /// the run continues the resume point (see [`crate::sample::resume`]). They are
    /// recorded with its first cycle written: until then the point keeps
    /// saying what the earlier run left. Then the readings of the point that
    /// the first cycle did not replace stay if they are of the same boot,
    /// are kept as another boot's readings after a reboot (an interface that
    /// appears later counts since the boot), and go when the boot could not
    /// be told.
    pub fn begin_run(&mut self, boot_id: Option<String>, selection: u64, continues: Resumed) {
        self.run = Some(Run {
            boot_id,
            selection,
            continues,
            recorded: false,
        });
    }
}

/// The boot and selection of the running process, and how it relates to
/// the resume point it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    pub(super) boot_id: Option<String>,
    pub(super) selection: u64,
    /// How the run continues the point (which of its readings stay).
    pub(super) continues: Resumed,
    /// Whether the point already says this run's boot.
    pub(super) recorded: bool,
}

//! `netmon_meta`: the database's own facts, one text value per key.

use rusqlite::{Connection, OptionalExtension};

/// What the next run continues from ([`super::resume_point::ResumePoint`]).
pub(crate) const RESUME_POINT: &str = "resume_point";
/// Schemas 1 to 3: the kernel boot (`btime`) the resume points' counters
/// belong to (converted into [`RESUME_POINT`]).
pub(crate) const LEGACY_BOOT_TIME: &str = "counters_boot_time";
/// Schemas 2 and 3: the time of the last cycle written (converted).
pub(crate) const LEGACY_LAST_CYCLE: &str = "last_cycle";
/// Schema 3: each interface's last written counters (converted).
pub(crate) const LEGACY_LAST_SAMPLES: &str = "last_samples";
/// Rows in `network_stats` (kept with each write and deletion, so that
/// counting them costs nothing).
pub(crate) const RAW_ROWS: &str = "raw_rows";
/// Milliseconds since the epoch before which every sample is in the
/// rollups (an hour boundary); samples from there on are folded in once
/// their hour has passed.
pub(crate) const FOLDED_UNTIL: &str = "rollups_complete_until_ms";
/// Milliseconds since the epoch from which every sample's facts are in
/// `netmon_events`; set when a database from before schema 4 is upgraded,
/// whose earlier samples record only their baselines.
pub(crate) const PROVENANCE_FROM: &str = "provenance_complete_from_ms";
/// The time zone day and month rollups are cut in ([`crate::model::calendar::Calendar::spec`]).
pub(crate) const ZONE: &str = "rollup_time_zone";
/// Seconds past each UTC hour at which hour rollups start.
pub(crate) const HOUR_PHASE: &str = "rollup_hour_phase_s";

/// The value of `key`, if set.
pub(crate) fn get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM netmon_meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

/// Sets `key` to `value`.
pub(crate) fn set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO netmon_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

/// Adds `n` to the integer value of `key`.
pub(crate) fn add(conn: &Connection, key: &str, n: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE netmon_meta SET value = CAST(value AS INTEGER) + ?2 WHERE key = ?1",
    )?
    .execute(rusqlite::params![key, n])?;
    Ok(())
}

/// Removes `key`.
pub(crate) fn remove(conn: &Connection, key: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM netmon_meta WHERE key = ?1", [key])?;
    Ok(())
}

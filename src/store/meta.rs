//! `netmon_meta`: the database's own facts, one text value per key.

use rusqlite::{Connection, OptionalExtension};

/// The kernel boot (`btime`) the counters in `netmon_last` belong to.
pub const BOOT_TIME: &str = "counters_boot_time";
/// Timestamp of the last cycle written (what a restart resumes from).
pub const LAST_CYCLE: &str = "last_cycle";
/// The time zone day and month rollups are cut in ([`crate::calendar::Calendar::spec`]).
pub const ZONE: &str = "rollup_time_zone";
/// Seconds past each UTC hour at which hour rollups start.
pub const HOUR_PHASE: &str = "rollup_hour_phase_s";

/// The value of `key`, if set.
pub fn get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM netmon_meta WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
}

/// Sets `key` to `value`.
pub fn set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO netmon_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

/// Removes `key`.
pub fn remove(conn: &Connection, key: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM netmon_meta WHERE key = ?1", [key])?;
    Ok(())
}

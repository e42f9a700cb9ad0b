//! Interface names and the ids samples are stored under: the committed
//! map, ids given within a transaction, and reusing freed ids once every
//! one was given out. It never writes samples.

use super::schema;
use super::write::Written;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// Every interface name and its id.
pub(super) fn interface_ids(conn: &Connection) -> rusqlite::Result<HashMap<String, i64>> {
    let mut stmt = conn.prepare("SELECT name, id FROM netmon_interfaces")?;
    let ids = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect();
    ids
}

/// The id of interface `name`: from `known` (committed), from the
/// database (given in this transaction), or a new one, recorded in
/// `written`. New ids count up from 1, below [`schema::TOTAL_ID`]; once
/// they reach it, freed ids are given again (see [`free_id`]).
pub(super) fn interface_id(
    conn: &Connection,
    known: &HashMap<String, i64>,
    written: &mut Written,
    name: &str,
) -> rusqlite::Result<i64> {
    // After a purge in this transaction, only the table tells which ids
    // still stand.
    if let Some(&id) = known.get(name).filter(|_| !written.purged) {
        return Ok(id);
    }
    let stored: Option<i64> = conn
        .prepare_cached("SELECT id FROM netmon_interfaces WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    let id = match stored {
        Some(id) => id,
        None => {
            let next: i64 = conn.query_row(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM netmon_interfaces WHERE id < ?1",
                [schema::TOTAL_ID],
                |r| r.get(0),
            )?;
            let id = if next < schema::TOTAL_ID {
                next
            } else {
                free_id(conn, written)?
            };
            conn.execute(
                "INSERT INTO netmon_interfaces (id, name) VALUES (?1, ?2)",
                params![id, name],
            )?;
            id
        }
    };
    written.new_ids.push((name.to_string(), id));
    Ok(id)
}

/// An id below [`schema::TOTAL_ID`] that no interface holds, once every
/// one was given out (a million interface names: years of container
/// churn). The names whose samples and events retention deleted are
/// forgotten first (their rollups keep their names), which frees theirs.
/// Fails only when every id names an interface that still has samples.
fn free_id(conn: &Connection, written: &mut Written) -> rusqlite::Result<i64> {
    const LOWEST_FREE: &str = "SELECT CASE
            WHEN NOT EXISTS (SELECT 1 FROM netmon_interfaces WHERE id = 1) THEN 1
            ELSE (SELECT MIN(a.id) + 1 FROM netmon_interfaces a
                  WHERE a.id + 1 < ?1
                    AND NOT EXISTS (SELECT 1 FROM netmon_interfaces b WHERE b.id = a.id + 1))
        END";
    let lowest = |conn: &Connection| {
        conn.query_row(LOWEST_FREE, [schema::TOTAL_ID], |r| {
            r.get::<_, Option<i64>>(0)
        })
    };
    if let Some(id) = lowest(conn)? {
        return Ok(id);
    }
    let forgotten = conn.execute(
        "DELETE FROM netmon_interfaces WHERE id < ?1
             AND id NOT IN (SELECT iface FROM netmon_samples)
             AND id NOT IN (SELECT iface FROM netmon_events)",
        [schema::TOTAL_ID],
    )?;
    written.purged = true;
    tracing::info!(
        forgotten,
        "every interface id was given out: forgot the names that have no samples left, \
         their ids are given again"
    );
    lowest(conn)?.ok_or_else(|| {
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            Some(format!(
                "{} interfaces have samples: no interface id is free; lower retention_days",
                schema::TOTAL_ID - 1
            )),
        )
    })
}

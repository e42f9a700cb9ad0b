//! Recognising the file at a database path without writing to it: a
//! netmon database of some schema, an empty file, or a refusal saying why
//! netmon will not touch it.

use super::{Kind, APPLICATION_ID, SCHEMA_VERSION};
use rusqlite::Connection;
use std::path::Path;

/// The seed columns of `network_stats`, as the original tool created them.
const SEED_COLUMNS: [&str; 12] = [
    "timestamp",
    "interface",
    "bytes_sent",
    "bytes_recv",
    "packets_sent",
    "packets_recv",
    "errin",
    "errout",
    "dropin",
    "dropout",
    "bytes_sent_rate",
    "bytes_recv_rate",
];

/// Recognises the database at `path` without writing to it; an error
/// message explains why the file is refused.
pub fn inspect(path: &Path) -> Result<Kind, String> {
    let refuse = |why: String| {
        format!(
            "database_file {}: {why}; netmon will not touch it — point database_file at a new path",
            path.display()
        )
    };
    let unreadable =
        |e: rusqlite::Error| refuse(format!("is not a readable SQLite database ({e})"));
    let opened = crate::store::read_only::open(path).map_err(unreadable)?;
    let conn = &opened.conn;
    let probe = || -> rusqlite::Result<(i64, i64, Vec<String>)> {
        let app_id = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let version = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let mut stmt = conn.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )?;
        let tables = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok((app_id, version, tables))
    };
    let (app_id, version, tables) = probe().map_err(unreadable)?;
    classify(conn, app_id, version, &tables).map_err(refuse)
}

fn classify(
    conn: &Connection,
    app_id: i64,
    version: i64,
    tables: &[String],
) -> Result<Kind, String> {
    if app_id == APPLICATION_ID {
        return if version > SCHEMA_VERSION {
            Err(format!(
                "was written by a newer netmon (schema {version}, this build knows {SCHEMA_VERSION}); upgrade netmon"
            ))
        } else {
            Ok(Kind::Netmon(version))
        };
    }
    if app_id != 0 {
        return Err(format!(
            "belongs to another application (application_id {app_id:#x})"
        ));
    }
    if tables.is_empty() {
        return Ok(Kind::Empty);
    }
    if tables.iter().any(|t| t == "network_stats") {
        let columns = table_columns(conn, "network_stats")
            .map_err(|e| format!("cannot read its network_stats table ({e})"))?;
        if let Some(missing) = SEED_COLUMNS
            .iter()
            .find(|c| !columns.iter().any(|have| have == *c))
        {
            return Err(format!(
                "has a network_stats table without the {missing} column"
            ));
        }
        return Ok(Kind::Netmon(0));
    }
    Err(format!(
        "is an SQLite database of something else (tables: {})",
        tables.join(", ")
    ))
}

pub(super) fn table_columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let columns = stmt.query_map([], |r| r.get::<_, String>(1))?.collect();
    columns
}

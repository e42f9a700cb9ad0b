//! Recognising the file at a database path without writing to it: a
//! netmon database of some schema, an empty file, or a refusal saying why
//! netmon will not touch it.

use super::{Kind, APPLICATION_ID, SCHEMA_VERSION};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

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

/// A file netmon will not touch, and why.
#[derive(Debug, thiserror::Error)]
#[error(
    "database_file {}: {reason}; netmon will not touch it — point database_file at a new path",
    path.display()
)]
pub struct NotNetmon {
    /// The file.
    pub path: PathBuf,
    /// Why it is refused.
    #[source]
    pub reason: Reason,
}

/// Why a file is not a database netmon may use.
#[derive(Debug, thiserror::Error)]
pub enum Reason {
    /// SQLite cannot read it as a database.
    #[error("is not a readable SQLite database ({0})")]
    Unreadable(#[source] rusqlite::Error),
    /// A newer netmon wrote it (its schema version).
    #[error(
        "was written by a newer netmon (schema {0}, this build knows {known}); upgrade netmon",
        known = SCHEMA_VERSION
    )]
    Newer(i64),
    /// Another application's `application_id` is set.
    #[error("belongs to another application (application_id {0:#x})")]
    OtherApplication(i64),
    /// Its `network_stats` table cannot be read.
    #[error("cannot read its network_stats table ({0})")]
    UnreadableStats(#[source] rusqlite::Error),
    /// Its `network_stats` table lacks this seed column.
    #[error("has a network_stats table without the {0} column")]
    MissingColumn(&'static str),
    /// It holds other tables (these) and no `network_stats`.
    #[error("is an SQLite database of something else (tables: {})", .0.join(", "))]
    OtherTables(Vec<String>),
}

/// Recognises the database at `path` without writing to it; a refusal
/// says why the file is not touched.
pub(crate) fn inspect(path: &Path) -> Result<Kind, NotNetmon> {
    let refuse = |reason: Reason| NotNetmon {
        path: path.to_path_buf(),
        reason,
    };
    let unreadable = |e: rusqlite::Error| refuse(Reason::Unreadable(e));
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
    classify(conn, app_id, version, tables).map_err(refuse)
}

fn classify(
    conn: &Connection,
    app_id: i64,
    version: i64,
    tables: Vec<String>,
) -> Result<Kind, Reason> {
    if app_id == APPLICATION_ID {
        return if version > SCHEMA_VERSION {
            Err(Reason::Newer(version))
        } else {
            Ok(Kind::Netmon(version))
        };
    }
    if app_id != 0 {
        return Err(Reason::OtherApplication(app_id));
    }
    if tables.is_empty() {
        return Ok(Kind::Empty);
    }
    if tables.iter().any(|t| t == "network_stats") {
        let columns = table_columns(conn, "network_stats").map_err(Reason::UnreadableStats)?;
        if let Some(missing) = SEED_COLUMNS
            .iter()
            .find(|c| !columns.iter().any(|have| have == *c))
        {
            return Err(Reason::MissingColumn(missing));
        }
        return Ok(Kind::Netmon(0));
    }
    Err(Reason::OtherTables(tables))
}

/// The column names of `table`, in order.
pub(super) fn table_columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let columns = stmt.query_map([], |r| r.get::<_, String>(1))?.collect();
    columns
}

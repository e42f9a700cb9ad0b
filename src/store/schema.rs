//! The database schema, its version, and recognising and upgrading existing
//! files (SPEC §5). A file that is not a netmon database is never touched.

use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// `PRAGMA application_id` of netmon databases ("NTMN").
pub const APPLICATION_ID: i64 = 0x4e54_4d4e;
/// `PRAGMA user_version` this build writes.
pub const SCHEMA_VERSION: i64 = 1;

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

/// Columns added to `network_stats` by schema 1.
const ADDED_COLUMNS: [(&str, &str); 9] = [
    ("interval_s", "REAL"),
    ("bytes_sent_delta", "INTEGER"),
    ("bytes_recv_delta", "INTEGER"),
    ("packets_sent_delta", "INTEGER"),
    ("packets_recv_delta", "INTEGER"),
    ("errin_delta", "INTEGER"),
    ("errout_delta", "INTEGER"),
    ("dropin_delta", "INTEGER"),
    ("dropout_delta", "INTEGER"),
];

const SEED_TABLE: &str = "CREATE TABLE network_stats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp TEXT NOT NULL,
    interface TEXT NOT NULL,
    bytes_sent INTEGER NOT NULL,
    bytes_recv INTEGER NOT NULL,
    packets_sent INTEGER NOT NULL,
    packets_recv INTEGER NOT NULL,
    errin INTEGER NOT NULL,
    errout INTEGER NOT NULL,
    dropin INTEGER NOT NULL,
    dropout INTEGER NOT NULL,
    bytes_sent_rate REAL,
    bytes_recv_rate REAL,
    UNIQUE(timestamp, interface)
)";

const SCHEMA_1_OBJECTS: &str = "
CREATE INDEX IF NOT EXISTS network_stats_interface_time ON network_stats(interface, timestamp);
CREATE TABLE IF NOT EXISTS netmon_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS netmon_row_count (rows INTEGER NOT NULL);
INSERT INTO netmon_row_count (rows)
    SELECT COUNT(*) FROM network_stats WHERE NOT EXISTS (SELECT 1 FROM netmon_row_count);
CREATE TRIGGER IF NOT EXISTS network_stats_count_insert AFTER INSERT ON network_stats
    BEGIN UPDATE netmon_row_count SET rows = rows + 1; END;
CREATE TRIGGER IF NOT EXISTS network_stats_count_delete AFTER DELETE ON network_stats
    BEGIN UPDATE netmon_row_count SET rows = rows - 1; END;
";

/// Opens `path` read-only, never creating or changing anything. A WAL
/// database on a read-only file system cannot get its `-shm` file; it is then
/// opened as immutable (nothing can be writing it there anyway).
pub fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    match conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(conn),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::CannotOpen => {
            let mut uri = String::from("file:");
            for c in path.to_string_lossy().chars() {
                match c {
                    '?' | '#' | '%' => uri.push_str(&format!("%{:02X}", c as u32)),
                    _ => uri.push(c),
                }
            }
            uri.push_str("?immutable=1");
            Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
        }
        Err(e) => Err(e),
    }
}

/// What an existing file turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    /// A new or empty SQLite file: netmon creates its schema.
    Empty,
    /// A netmon (or original seed-schema) database at this schema version.
    Netmon(i64),
}

/// Recognises the database at `path` without writing to it; an error
/// message explains why the file is refused.
pub fn inspect(path: &Path) -> Result<Kind, String> {
    let refuse = |why: String| {
        format!(
            "database_file {}: {why}; netmon will not touch it — point database_file at a new path",
            path.display()
        )
    };
    let conn = open_read_only(path)
        .map_err(|e| refuse(format!("is not a readable SQLite database ({e})")))?;
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
    let (app_id, version, tables) =
        probe().map_err(|e| refuse(format!("is not a readable SQLite database ({e})")))?;
    classify(&conn, app_id, version, &tables).map_err(refuse)
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

fn table_columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let columns = stmt.query_map([], |r| r.get::<_, String>(1))?.collect();
    columns
}

/// Brings a database of kind `kind` to [`SCHEMA_VERSION`] in one transaction,
/// keeping every row.
pub fn upgrade(conn: &mut Connection, kind: &Kind) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    match kind {
        Kind::Empty => {
            tx.execute_batch(SEED_TABLE)?;
            add_schema_1(&tx, false)?;
        }
        Kind::Netmon(0) => add_schema_1(&tx, true)?,
        Kind::Netmon(_) => {}
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()
}

/// Adds schema 1's columns and tables; for a seed-era database also derives
/// the deltas from successive counters (same reset and wrap rules as the
/// sampler) and fills the hourly rollups.
fn add_schema_1(conn: &Connection, backfill: bool) -> rusqlite::Result<()> {
    let existing = table_columns(conn, "network_stats")?;
    for (name, kind) in ADDED_COLUMNS {
        if !existing.iter().any(|c| c == name) {
            conn.execute_batch(&format!(
                "ALTER TABLE network_stats ADD COLUMN {name} {kind}"
            ))?;
        }
    }
    conn.execute_batch(SCHEMA_1_OBJECTS)?;
    for level in super::rollup::LEVELS {
        conn.execute_batch(&super::rollup::create_table(level))?;
    }
    if backfill {
        conn.execute_batch(BACKFILL_DELTAS)?;
        super::rollup::rebuild(conn)?;
    }
    Ok(())
}

/// Derives `interval_s` and the `*_delta` columns of seed-era rows from the
/// previous row of the same interface.
const BACKFILL_DELTAS: &str = "
CREATE TEMP TABLE backfill AS
SELECT id,
       (julianday(timestamp) - julianday(LAG(timestamp) OVER w)) * 86400.0 AS interval_s,
       LAG(bytes_sent) OVER w AS p0, bytes_sent AS n0,
       LAG(bytes_recv) OVER w AS p1, bytes_recv AS n1,
       LAG(packets_sent) OVER w AS p2, packets_sent AS n2,
       LAG(packets_recv) OVER w AS p3, packets_recv AS n3,
       LAG(errin) OVER w AS p4, errin AS n4,
       LAG(errout) OVER w AS p5, errout AS n5,
       LAG(dropin) OVER w AS p6, dropin AS n6,
       LAG(dropout) OVER w AS p7, dropout AS n7
FROM network_stats
WHERE interface != '_total'
WINDOW w AS (PARTITION BY interface ORDER BY timestamp);
UPDATE network_stats SET
    interval_s = b.interval_s,
    bytes_sent_delta = CASE WHEN b.p0 IS NULL THEN NULL WHEN b.n0 >= b.p0 THEN b.n0 - b.p0 WHEN b.p0 < 4294967296 AND b.p0 - b.n0 > 2147483648 THEN b.n0 + 4294967296 - b.p0 ELSE b.n0 END,
    bytes_recv_delta = CASE WHEN b.p1 IS NULL THEN NULL WHEN b.n1 >= b.p1 THEN b.n1 - b.p1 WHEN b.p1 < 4294967296 AND b.p1 - b.n1 > 2147483648 THEN b.n1 + 4294967296 - b.p1 ELSE b.n1 END,
    packets_sent_delta = CASE WHEN b.p2 IS NULL THEN NULL WHEN b.n2 >= b.p2 THEN b.n2 - b.p2 WHEN b.p2 < 4294967296 AND b.p2 - b.n2 > 2147483648 THEN b.n2 + 4294967296 - b.p2 ELSE b.n2 END,
    packets_recv_delta = CASE WHEN b.p3 IS NULL THEN NULL WHEN b.n3 >= b.p3 THEN b.n3 - b.p3 WHEN b.p3 < 4294967296 AND b.p3 - b.n3 > 2147483648 THEN b.n3 + 4294967296 - b.p3 ELSE b.n3 END,
    errin_delta = CASE WHEN b.p4 IS NULL THEN NULL WHEN b.n4 >= b.p4 THEN b.n4 - b.p4 ELSE b.n4 END,
    errout_delta = CASE WHEN b.p5 IS NULL THEN NULL WHEN b.n5 >= b.p5 THEN b.n5 - b.p5 ELSE b.n5 END,
    dropin_delta = CASE WHEN b.p6 IS NULL THEN NULL WHEN b.n6 >= b.p6 THEN b.n6 - b.p6 ELSE b.n6 END,
    dropout_delta = CASE WHEN b.p7 IS NULL THEN NULL WHEN b.n7 >= b.p7 THEN b.n7 - b.p7 ELSE b.n7 END
FROM backfill b WHERE network_stats.id = b.id;
UPDATE network_stats SET
    interval_s = t.interval_s,
    bytes_sent_delta = t.d0, bytes_recv_delta = t.d1, packets_sent_delta = t.d2, packets_recv_delta = t.d3,
    errin_delta = t.d4, errout_delta = t.d5, dropin_delta = t.d6, dropout_delta = t.d7
FROM (SELECT timestamp, MAX(interval_s) AS interval_s,
             SUM(bytes_sent_delta) AS d0, SUM(bytes_recv_delta) AS d1,
             SUM(packets_sent_delta) AS d2, SUM(packets_recv_delta) AS d3,
             SUM(errin_delta) AS d4, SUM(errout_delta) AS d5,
             SUM(dropin_delta) AS d6, SUM(dropout_delta) AS d7
      FROM network_stats WHERE interface != '_total' GROUP BY timestamp) t
WHERE network_stats.interface = '_total' AND network_stats.timestamp = t.timestamp;
DROP TABLE backfill;
";

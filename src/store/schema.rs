//! The database schema, its version, and recognising and upgrading existing
//! files. A file that is not a netmon database is never touched.
//!
//! Versions: 0 is the original tool's seed `network_stats` table; 1 added
//! deltas, rollups and bookkeeping; 2 added `netmon_last` (each interface's
//! last counters, so a restart resumes in O(interfaces)) and records the
//! calendar the rollups are cut in; 3 keeps the samples in a compact
//! clustered table (`netmon_samples`: integer times, interface ids, rates
//! derived) behind a `network_stats` view with the old columns, folds the
//! rollups once per hour instead of with every row, and keeps 5-minute
//! slots in the hourly rollups for `--percentile`; 4 records how each
//! delta was obtained (`netmon_events`), identifies the boot of the resume
//! point by the kernel's `boot_id`, and sets aside stored deltas beyond any
//! link (which made sums overflow).

use super::{codec, meta};
use crate::calendar::Calendar;
use crate::counters::{Continuity, Counters};
use crate::provenance::Provenance;
use crate::sampler::TOTAL_INTERFACE;
use rusqlite::{params, Connection, Transaction};
use std::collections::HashMap;
use std::path::Path;

/// `PRAGMA application_id` of netmon databases ("NTMN").
pub const APPLICATION_ID: i64 = 0x4e54_4d4e;
/// `PRAGMA user_version` this build writes.
pub const SCHEMA_VERSION: i64 = 4;
/// The interface id `_total` is stored under: the highest, so that a
/// cycle's `_total` row sorts after its interfaces.
pub const TOTAL_ID: i64 = (1 << 20) - 1;

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

const META_TABLE: &str = "CREATE TABLE IF NOT EXISTS netmon_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);";

const SCHEMA_1_OBJECTS: &str = "
CREATE INDEX IF NOT EXISTS network_stats_interface_time ON network_stats(interface, timestamp);
";

/// Schema 2: the last counters of every interface, written with each cycle
/// (moved into `netmon_meta` by schema 3).
const SCHEMA_2_OBJECTS: &str = "
CREATE TABLE IF NOT EXISTS netmon_last (
    interface TEXT PRIMARY KEY,
    timestamp TEXT NOT NULL,
    ifindex INTEGER,
    bytes_recv INTEGER NOT NULL,
    bytes_sent INTEGER NOT NULL,
    packets_recv INTEGER NOT NULL,
    packets_sent INTEGER NOT NULL,
    errin INTEGER NOT NULL,
    errout INTEGER NOT NULL,
    dropin INTEGER NOT NULL,
    dropout INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Schema 3: interface names by id, the samples keyed by (time, interface)
/// with nothing else to maintain per row, and the view with the columns
/// users query. Rates are derived from the deltas and the interval, except
/// where the sampler's differ (`_total`'s are the sum of its members'):
/// those are stored in `recv_rate`/`sent_rate`.
static SCHEMA_3_OBJECTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "
CREATE TABLE IF NOT EXISTS netmon_interfaces (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS netmon_samples (
    t INTEGER NOT NULL,
    iface INTEGER NOT NULL,
    interval_us INTEGER,
    bytes_recv INTEGER NOT NULL,
    bytes_sent INTEGER NOT NULL,
    packets_recv INTEGER NOT NULL,
    packets_sent INTEGER NOT NULL,
    errin INTEGER NOT NULL,
    errout INTEGER NOT NULL,
    dropin INTEGER NOT NULL,
    dropout INTEGER NOT NULL,
    bytes_recv_delta INTEGER,
    bytes_sent_delta INTEGER,
    packets_recv_delta INTEGER,
    packets_sent_delta INTEGER,
    errin_delta INTEGER,
    errout_delta INTEGER,
    dropin_delta INTEGER,
    dropout_delta INTEGER,
    rated INTEGER NOT NULL,
    recv_rate REAL,
    sent_rate REAL,
    PRIMARY KEY (t, iface)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS network_stats AS
SELECT (s.t << 20) + s.iface AS id,
    {time_text} AS timestamp,
    i.name AS interface,
    s.bytes_sent, s.bytes_recv, s.packets_sent, s.packets_recv,
    s.errin, s.errout, s.dropin, s.dropout,
    CASE WHEN s.rated THEN COALESCE(s.sent_rate, {sent_rate}) END
        AS bytes_sent_rate,
    CASE WHEN s.rated THEN COALESCE(s.recv_rate, {recv_rate}) END
        AS bytes_recv_rate,
    {interval_s} AS interval_s,
    s.bytes_sent_delta, s.bytes_recv_delta, s.packets_sent_delta, s.packets_recv_delta,
    s.errin_delta, s.errout_delta, s.dropin_delta, s.dropout_delta,
    s.t AS t_ms
FROM netmon_samples s JOIN netmon_interfaces i ON i.id = s.iface;
",
        time_text = codec::ms_as_text_sql("s.t"),
        sent_rate = codec::derived_rate_sql("s.bytes_sent_delta", "s.interval_us"),
        recv_rate = codec::derived_rate_sql("s.bytes_recv_delta", "s.interval_us"),
        interval_s = codec::seconds_of_us_sql("s.interval_us"),
    )
});

/// Schema 4: the facts of the deltas that did not simply follow the
/// previous reading (see [`crate::provenance::Provenance`]), one row per
/// sample that has any.
const SCHEMA_4_OBJECTS: &str = "
CREATE TABLE IF NOT EXISTS netmon_events (
    t INTEGER NOT NULL,
    iface INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    bridged_from INTEGER,
    PRIMARY KEY (t, iface)
) WITHOUT ROWID;
";

/// What an existing file turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    /// A new or empty SQLite file: netmon creates its schema.
    Empty,
    /// A netmon (or original seed-schema) database at this schema version.
    Netmon(i64),
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kind::Empty => f.write_str("no netmon schema yet (an empty file)"),
            Kind::Netmon(version) => write!(f, "schema {version}"),
        }
    }
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
    let unreadable =
        |e: rusqlite::Error| refuse(format!("is not a readable SQLite database ({e})"));
    let opened = super::read_only::open(path).map_err(unreadable)?;
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

fn table_columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let columns = stmt.query_map([], |r| r.get::<_, String>(1))?.collect();
    columns
}

/// Why a database could not be upgraded.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The calendar the database records cannot be used here.
    #[error("the recorded time zone: {0}")]
    Zone(#[source] super::CalendarError),
}

/// Brings a database of kind `kind` to [`SCHEMA_VERSION`] in one transaction,
/// keeping every row. A database that does not record its calendar yet gets
/// `calendar` (this process's time zone); hour bins of a schema-1 database
/// stay on the UTC hour, as they were cut.
pub fn upgrade(
    conn: &mut Connection,
    kind: &Kind,
    calendar: &Calendar,
) -> Result<(), UpgradeError> {
    let tx = conn.transaction()?;
    match kind {
        Kind::Empty => {
            tx.execute_batch(META_TABLE)?;
            create_rollups(&tx)?;
            tx.execute_batch(&SCHEMA_3_OBJECTS)?;
            tx.execute_batch(SCHEMA_4_OBJECTS)?;
            tx.execute(
                "INSERT INTO netmon_interfaces (id, name) VALUES (?1, ?2)",
                params![TOTAL_ID, TOTAL_INTERFACE],
            )?;
            record_calendar(&tx, calendar)?;
            meta::set(&tx, meta::RAW_ROWS, "0")?;
            super::resume_point::ResumePoint::default().save(&tx)?;
        }
        Kind::Netmon(version @ 0..=3) => {
            let rollups = match version {
                0 => {
                    add_schema_1(&tx)?;
                    backfill_deltas(&tx)?;
                    add_schema_2(&tx, calendar)?;
                    Rollups::Rebuild
                }
                1 => {
                    add_schema_2(&tx, &calendar.clone().with_hour_phase(0))?;
                    Rollups::Complete
                }
                _ => Rollups::Complete,
            };
            let recorded = super::read_calendar(&tx).map_err(UpgradeError::Zone)?;
            if *version < 3 {
                add_schema_3(&tx, &recorded, rollups)?;
            }
            // Rollups rebuilt from seed rows are cut as they are now.
            let cut = if *version == 0 {
                super::repair::HourCut::AtMidnight
            } else {
                super::repair::HourCut::ClockHours
            };
            add_schema_4(&tx, &recorded, cut)?;
        }
        Kind::Netmon(_) => {}
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(tx.commit()?)
}

/// Adds schema 1's columns and tables.
fn add_schema_1(conn: &Connection) -> rusqlite::Result<()> {
    let existing = table_columns(conn, "network_stats")?;
    for (name, kind) in ADDED_COLUMNS {
        if !existing.iter().any(|c| c == name) {
            conn.execute_batch(&format!(
                "ALTER TABLE network_stats ADD COLUMN {name} {kind}"
            ))?;
        }
    }
    conn.execute_batch(META_TABLE)?;
    conn.execute_batch(SCHEMA_1_OBJECTS)?;
    create_rollups(conn)
}

/// Creates the rollup tables that do not exist yet.
fn create_rollups(conn: &Connection) -> rusqlite::Result<()> {
    for level in super::rollup::LEVELS {
        conn.execute_batch(&super::rollup::create_table(level))?;
    }
    Ok(())
}

/// What the rollups of a database being brought to schema 3 hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rollups {
    /// Every stored row (schemas 1 and 2 added each row as it was written).
    Complete,
    /// Nothing yet: they are built from the rows.
    Rebuild,
}

/// Moves the rows of the `network_stats` table into `netmon_samples` (in
/// key order), replaces the table with the view, counts the rows, and
/// gives the hourly rollups their 5-minute slots. Rows are kept as they
/// were except `interval_s`, now whole microseconds; a rate that is not
/// the one derived from its delta and interval is kept as stored.
fn add_schema_3(tx: &Transaction, calendar: &Calendar, rollups: Rollups) -> rusqlite::Result<()> {
    tx.execute_batch(
        "ALTER TABLE network_stats RENAME TO netmon_old_stats;
         DROP TABLE IF EXISTS netmon_row_count;",
    )?;
    tx.execute_batch(&SCHEMA_3_OBJECTS)?;
    tx.execute(
        "INSERT INTO netmon_interfaces (name) SELECT interface FROM netmon_old_stats
         WHERE interface != ?1 GROUP BY interface ORDER BY MIN(id)",
        [TOTAL_INTERFACE],
    )?;
    tx.execute(
        "INSERT INTO netmon_interfaces (id, name) VALUES (?1, ?2)",
        params![TOTAL_ID, TOTAL_INTERFACE],
    )?;
    let old_rows: i64 = tx.query_row("SELECT COUNT(*) FROM netmon_old_stats", [], |r| r.get(0))?;
    tx.execute_batch(&format!(
        "INSERT OR IGNORE INTO netmon_samples (t, iface, interval_us,
             bytes_recv, bytes_sent, packets_recv, packets_sent, errin, errout, dropin, dropout,
             bytes_recv_delta, bytes_sent_delta, packets_recv_delta, packets_sent_delta,
             errin_delta, errout_delta, dropin_delta, dropout_delta, rated, recv_rate, sent_rate)
         SELECT t, iface, us, bytes_recv, bytes_sent, packets_recv, packets_sent,
             errin, errout, dropin, dropout,
             bytes_recv_delta, bytes_sent_delta, packets_recv_delta, packets_sent_delta,
             errin_delta, errout_delta, dropin_delta, dropout_delta,
             bytes_recv_rate IS NOT NULL OR bytes_sent_rate IS NOT NULL,
             CASE WHEN bytes_recv_rate IS NOT {recv_rate} THEN bytes_recv_rate END,
             CASE WHEN bytes_sent_rate IS NOT {sent_rate} THEN bytes_sent_rate END
         FROM (SELECT CAST(ROUND(unixepoch(o.timestamp, 'subsec') * 1000) AS INTEGER) AS t,
                      i.id AS iface, {us} AS us, o.*
               FROM netmon_old_stats o JOIN netmon_interfaces i ON i.name = o.interface)
         WHERE t IS NOT NULL ORDER BY t, iface;
         DROP TABLE netmon_old_stats;",
        recv_rate = codec::derived_rate_sql("bytes_recv_delta", "us"),
        sent_rate = codec::derived_rate_sql("bytes_sent_delta", "us"),
        us = codec::interval_us_sql("o.interval_s"),
    ))?;
    let rows: i64 = tx.query_row("SELECT COUNT(*) FROM netmon_samples", [], |r| r.get(0))?;
    if rows < old_rows {
        tracing::warn!(
            rows_skipped = old_rows - rows,
            "rows whose timestamp is not a time, or repeats another's to the millisecond, were not kept"
        );
    }
    meta::set(tx, meta::RAW_ROWS, &rows.to_string())?;
    if !table_columns(tx, "network_stats_hourly")?
        .iter()
        .any(|c| c == "slots")
    {
        tx.execute_batch("ALTER TABLE network_stats_hourly ADD COLUMN slots BLOB")?;
    }
    let last: Option<i64> = tx.query_row("SELECT MAX(t) FROM netmon_samples", [], |r| r.get(0))?;
    let Some(last) = last else {
        return Ok(());
    };
    match rollups {
        Rollups::Rebuild => super::rollup::fold(tx, calendar, i64::MIN, i64::MAX)?,
        Rollups::Complete => super::rollup::fold_slots(tx, calendar, i64::MIN, i64::MAX, None)?,
    }
    // Everything up to the end of the last row's hour is in the rollups; a
    // row written later in that hour is added to them as it comes.
    let last_hour = super::rollup::Level::Hour.floor(calendar, super::from_ms(last));
    let mark = super::rollup::Level::Hour.next(calendar, last_hour);
    meta::set(tx, meta::FOLDED_UNTIL, &super::to_ms(mark).to_string())
}

/// Adds the events table, converts the resume point to the one value that
/// names its boot, and sets aside stored deltas beyond any link.
fn add_schema_4(
    tx: &Transaction,
    calendar: &Calendar,
    cut: super::repair::HourCut,
) -> rusqlite::Result<()> {
    tx.execute_batch(SCHEMA_4_OBJECTS)?;
    super::resume_point::convert_legacy(tx)?.save(tx)?;
    // Of the earlier samples only the baselines can be told: rows without
    // deltas (a first sample, or a restart that could not continue).
    tx.execute(
        "INSERT OR IGNORE INTO netmon_events (t, iface, kind, bytes)
         SELECT t, iface, ?1, 0 FROM netmon_samples
         WHERE bytes_recv_delta IS NULL AND iface != ?2",
        params![Provenance::BASELINE.bits(), TOTAL_ID],
    )?;
    let last: Option<i64> = tx.query_row("SELECT MAX(t) FROM netmon_samples", [], |r| r.get(0))?;
    if let Some(last) = last {
        meta::set(tx, meta::PROVENANCE_FROM, &(last + 1).to_string())?;
    }
    super::repair::set_aside_deltas_beyond_any_link(tx, calendar, cut)
}

/// Adds `netmon_last` (filled from each interface's last written row) and
/// records the calendar.
fn add_schema_2(conn: &Connection, calendar: &Calendar) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA_2_OBJECTS)?;
    conn.execute(
        "INSERT OR REPLACE INTO netmon_last (interface, timestamp, ifindex, bytes_recv, bytes_sent,
             packets_recv, packets_sent, errin, errout, dropin, dropout)
         SELECT s.interface, s.timestamp, NULL, s.bytes_recv, s.bytes_sent, s.packets_recv,
                s.packets_sent, s.errin, s.errout, s.dropin, s.dropout
         FROM network_stats s
         JOIN (SELECT MAX(id) AS id FROM network_stats WHERE interface != ?1 GROUP BY interface) last
           ON s.id = last.id",
        [TOTAL_INTERFACE],
    )?;
    let last_cycle: Option<String> = conn
        .query_row(
            "SELECT timestamp FROM network_stats WHERE id = (SELECT MAX(id) FROM network_stats)",
            [],
            |r| r.get(0),
        )
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    if let Some(last_cycle) = last_cycle {
        meta::set(conn, meta::LEGACY_LAST_CYCLE, &last_cycle)?;
    }
    record_calendar(conn, calendar)
}

/// Records `calendar` as the one rollups are cut in, unless one is recorded.
fn record_calendar(conn: &Connection, calendar: &Calendar) -> rusqlite::Result<()> {
    if meta::get(conn, meta::ZONE)?.is_none() {
        meta::set(conn, meta::ZONE, calendar.spec())?;
        meta::set(conn, meta::HOUR_PHASE, &calendar.hour_phase().to_string())?;
    }
    Ok(())
}

/// Derives `interval_s` and the `*_delta` columns of seed-era rows from the
/// previous row of the same interface, with the sampler's own rule
/// ([`Counters::advance`]): readings from consecutive cycles may wrap;
/// readings with cycles in between (the interface was not read, or the tool
/// was stopped) are a gap. `_total` rows get the sum of their cycle's deltas
/// over the time since the previous cycle.
fn backfill_deltas(tx: &Transaction) -> rusqlite::Result<()> {
    let cycles: Vec<String> = tx
        .prepare("SELECT DISTINCT timestamp FROM network_stats ORDER BY timestamp")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let cycle_of: HashMap<&str, usize> = cycles
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let seconds = |a: &str, b: &str| -> Option<f64> {
        let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
        Some((parse(b)? - parse(a)?).num_milliseconds() as f64 / 1000.0)
    };
    let mut totals: HashMap<usize, Counters> = HashMap::new();
    {
        let mut select = tx.prepare(
            "SELECT id, timestamp, interface, bytes_recv, bytes_sent, packets_recv, packets_sent,
                    errin, errout, dropin, dropout
             FROM network_stats WHERE interface != ?1 ORDER BY interface, timestamp",
        )?;
        let mut update = tx.prepare(UPDATE_DELTAS)?;
        let mut rows = select.query([TOTAL_INTERFACE])?;
        let mut previous: Option<(String, String, usize, Counters)> = None;
        while let Some(r) = rows.next()? {
            let (id, timestamp, interface): (i64, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?);
            let counters = Counters::from_array(std::array::from_fn(|i| {
                r.get::<_, i64>(i + 3).map_or(0, |v| v as u64)
            }));
            let cycle = cycle_of.get(timestamp.as_str()).copied().unwrap_or(0);
            let (deltas, interval, baseline) = match &previous {
                Some((name, at, previous_cycle, old)) if *name == interface => {
                    let continuity = if previous_cycle + 1 == cycle {
                        Continuity::Contiguous
                    } else {
                        Continuity::Gap
                    };
                    let advance = counters.advance(*old, continuity);
                    let total = totals.entry(cycle).or_default();
                    *total = *total + advance.deltas;
                    (
                        Some(advance.deltas),
                        seconds(at, &timestamp),
                        advance.baseline,
                    )
                }
                _ => (None, None, counters),
            };
            let d = delta_params(deltas);
            update.execute(params![
                interval, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], id
            ])?;
            previous = Some((interface, timestamp, cycle, baseline));
        }
    }
    let mut update =
        tx.prepare(&UPDATE_DELTAS.replace("id = ?10", "timestamp = ?10 AND interface = ?11"))?;
    for (cycle, deltas) in totals {
        let interval = cycle
            .checked_sub(1)
            .and_then(|before| seconds(&cycles[before], &cycles[cycle]));
        let d = delta_params(Some(deltas));
        update.execute(params![
            interval,
            d[0],
            d[1],
            d[2],
            d[3],
            d[4],
            d[5],
            d[6],
            d[7],
            cycles[cycle],
            TOTAL_INTERFACE
        ])?;
    }
    Ok(())
}

const UPDATE_DELTAS: &str = "UPDATE network_stats SET interval_s = ?1,
    bytes_sent_delta = ?3, bytes_recv_delta = ?2, packets_sent_delta = ?5, packets_recv_delta = ?4,
    errin_delta = ?6, errout_delta = ?7, dropin_delta = ?8, dropout_delta = ?9
    WHERE id = ?10";

/// Deltas as SQL values in [`Counters::to_array`] order (`None`: NULL).
fn delta_params(deltas: Option<Counters>) -> [Option<i64>; 8] {
    deltas.map_or([None; 8], |d| {
        d.to_array().map(|v| Some(super::write::delta_to_sql(v)))
    })
}

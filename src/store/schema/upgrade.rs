//! Bringing a database of an earlier schema to [`SCHEMA_VERSION`] in one
//! transaction, keeping every row (creating a new one is `create`'s).

use super::backfill::backfill_deltas;
use super::create::{
    create, create_rollups, record_calendar, META_TABLE, SCHEMA_1_OBJECTS, SCHEMA_2_OBJECTS,
    SCHEMA_3_OBJECTS, SCHEMA_4_OBJECTS,
};
use super::inspect::table_columns;
use super::{Kind, APPLICATION_ID, SCHEMA_VERSION, TOTAL_ID};
use crate::model::calendar::Calendar;
use crate::model::provenance::Provenance;
use crate::sample::TOTAL_INTERFACE;
use crate::store::{codec, meta};
use rusqlite::{params, Connection, Transaction};

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

/// Why a database could not be upgraded.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The calendar the database records cannot be used here.
    #[error("the recorded time zone: {0}")]
    Zone(#[source] crate::store::CalendarError),
}

/// Brings a database of kind `kind` to [`SCHEMA_VERSION`] in one transaction,
/// keeping every row. A database that does not record its calendar yet gets
/// `calendar` (this process's time zone); hour bins of a schema-1 database
/// stay on the UTC hour, as they were cut.
pub(crate) fn upgrade(
    conn: &mut Connection,
    kind: &Kind,
    calendar: &Calendar,
) -> Result<(), UpgradeError> {
    let tx = conn.transaction()?;
    match kind {
        Kind::Empty => create(&tx, calendar)?,
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
            let recorded = crate::store::read_calendar(&tx).map_err(UpgradeError::Zone)?;
            if *version < 3 {
                add_schema_3(&tx, &recorded, rollups)?;
            }
            // Rollups rebuilt from seed rows are cut as they are now.
            let cut = if *version == 0 {
                crate::store::repair::HourCut::AtMidnight
            } else {
                crate::store::repair::HourCut::ClockHours
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
        Rollups::Rebuild => crate::store::rollup::fold(tx, calendar, i64::MIN, i64::MAX)?,
        Rollups::Complete => {
            crate::store::rollup::fold_slots(tx, calendar, i64::MIN, i64::MAX, None)?
        }
    }
    // Everything up to the end of the last row's hour is in the rollups; a
    // row written later in that hour is added to them as it comes.
    let last_hour = crate::store::rollup::Level::Hour.floor(calendar, crate::store::from_ms(last));
    let mark = crate::store::rollup::Level::Hour.next(calendar, last_hour);
    meta::set(
        tx,
        meta::FOLDED_UNTIL,
        &crate::store::to_ms(mark).to_string(),
    )
}

/// Adds the events table, converts the resume point to the one value that
/// names its boot, and sets aside stored deltas beyond any link.
fn add_schema_4(
    tx: &Transaction,
    calendar: &Calendar,
    cut: crate::store::repair::HourCut,
) -> rusqlite::Result<()> {
    tx.execute_batch(SCHEMA_4_OBJECTS)?;
    crate::store::resume_point::convert_legacy(tx)?.save(tx)?;
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
    crate::store::repair::set_aside_deltas_beyond_any_link(tx, calendar, cut)
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

//! What a new database gets, and the objects each schema version added
//! (the upgrades add them to older databases). Nothing here moves rows.

use super::TOTAL_ID;
use crate::model::calendar::Calendar;
use crate::sample::TOTAL_INTERFACE;
use crate::store::{codec, meta};
use rusqlite::{params, Connection, Transaction};

/// Creates the schema of a new database in `tx`, recording `calendar` as
/// the one its rollups are cut in.
pub(super) fn create(tx: &Transaction, calendar: &Calendar) -> rusqlite::Result<()> {
    tx.execute_batch(META_TABLE)?;
    create_rollups(tx)?;
    tx.execute_batch(&SCHEMA_3_OBJECTS)?;
    tx.execute_batch(SCHEMA_4_OBJECTS)?;
    tx.execute(
        "INSERT INTO netmon_interfaces (id, name) VALUES (?1, ?2)",
        params![TOTAL_ID, TOTAL_INTERFACE],
    )?;
    record_calendar(tx, calendar)?;
    meta::set(tx, meta::RAW_ROWS, "0")?;
    crate::store::resume_point::ResumePoint::default().save(tx)
}

/// The bookkeeping table (schema version, calendar, counts).
pub(super) const META_TABLE: &str = "CREATE TABLE IF NOT EXISTS netmon_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);";

/// Schema 1: the index that reads of one interface over time use.
pub(super) const SCHEMA_1_OBJECTS: &str = "
CREATE INDEX IF NOT EXISTS network_stats_interface_time ON network_stats(interface, timestamp);
";

/// Schema 2: the last counters of every interface, written with each cycle
/// (moved into `netmon_meta` by schema 3).
pub(super) const SCHEMA_2_OBJECTS: &str = "
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
pub(super) static SCHEMA_3_OBJECTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
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
/// previous reading (see [`crate::model::provenance::Provenance`]), one row per
/// sample that has any.
pub(super) const SCHEMA_4_OBJECTS: &str = "
CREATE TABLE IF NOT EXISTS netmon_events (
    t INTEGER NOT NULL,
    iface INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    bridged_from INTEGER,
    PRIMARY KEY (t, iface)
) WITHOUT ROWID;
";

/// Creates the rollup tables that do not exist yet.
pub(super) fn create_rollups(conn: &Connection) -> rusqlite::Result<()> {
    for level in crate::store::rollup::LEVELS {
        conn.execute_batch(&crate::store::rollup::create_table(level))?;
    }
    Ok(())
}

/// Records `calendar` as the one rollups are cut in, unless one is recorded.
pub(super) fn record_calendar(conn: &Connection, calendar: &Calendar) -> rusqlite::Result<()> {
    if meta::get(conn, meta::ZONE)?.is_none() {
        meta::set(conn, meta::ZONE, calendar.spec())?;
        meta::set(conn, meta::HOUR_PHASE, &calendar.hour_phase().to_string())?;
    }
    Ok(())
}

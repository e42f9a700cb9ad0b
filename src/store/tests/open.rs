//! Opening: a new database, the one-writer lock, and the files refused untouched.

use super::{count, open};
use crate::model::calendar::Calendar;
use crate::store::{schema, Store, StoreError, BUSY_TIMEOUT};
use rusqlite::Connection;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

#[test]
fn new_database_has_schema_modes_and_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new/sub/n.db");
    let india = Calendar::from_spec("+05:30", 1800).unwrap();
    let store = Store::open_in(&path, BUSY_TIMEOUT, Some(&india)).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.path().join("new/sub")), 0o700);
    assert_eq!(mode(&dir.path().join("new")), 0o700);
    assert_eq!(count(&store, "PRAGMA user_version"), schema::SCHEMA_VERSION);
    let journal: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    assert_eq!(count(&store, "PRAGMA synchronous"), 1, "synchronous=NORMAL");
    assert_eq!(store.calendar(), &india);
    drop(store);
    // A stopped monitor leaves the database in rollback mode, no WAL.
    let plain = Connection::open(&path).unwrap();
    let journal: String = plain
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "delete");
    drop(plain);
    assert!(!dir.path().join("new/sub/n.db-wal").exists());
    // The recorded zone wins over the one offered on reopening.
    let store = open(&path);
    assert_eq!(store.calendar(), &india);
}

#[test]
fn one_writer_per_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.db");
    let store = open(&path);
    let link = dir.path().join("link.db");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    for other in [&path, &link] {
        let err = Store::open(other, BUSY_TIMEOUT).err().unwrap();
        assert!(matches!(err, StoreError::Locked(_)), "{err}");
        assert!(
            err.to_string()
                .contains("already being monitored by process"),
            "{err}"
        );
    }
    drop(store);
    open(&link);
}

#[test]
fn foreign_and_special_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    let content = "hello, this is not a database at all, just some text\n";
    fs::write(&text, content).unwrap();
    let err = Store::open(&text, BUSY_TIMEOUT).err().unwrap().to_string();
    assert!(
        err.contains("notes.txt") && err.contains("will not touch it"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&text).unwrap(), content);

    let other = dir.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let err = Store::open(&other, BUSY_TIMEOUT).err().unwrap().to_string();
    assert!(err.contains("something else (tables: t)"), "{err}");

    let newer = dir.path().join("newer.db");
    let conn = Connection::open(&newer).unwrap();
    conn.pragma_update(None, "application_id", schema::APPLICATION_ID)
        .unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Store::open(&newer, BUSY_TIMEOUT).err().unwrap().to_string();
    assert!(err.contains("newer netmon"), "{err}");

    let fifo = dir.path().join("fifo.db");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let err = Store::open(&fifo, BUSY_TIMEOUT).err().unwrap();
    assert!(matches!(err, StoreError::Refused(_)), "{err}");
    assert!(err.to_string().contains("is a FIFO"), "{err}");
    let err = Store::open(dir.path(), BUSY_TIMEOUT).err().unwrap();
    assert!(err.to_string().contains("is a directory"), "{err}");
}

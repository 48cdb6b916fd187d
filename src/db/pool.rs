//! The r2d2 pool of SQLite connections and the set-up every connection gets.

use r2d2::CustomizeConnection;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use crate::config::DatabaseConfig;

/// The pool every handler draws from.
pub type DbPool = r2d2::Pool<SqliteConnectionManager>;

/// Prepares each new pooled connection: [`configure`], and (when metrics are on) the statement
/// timing hook.
#[derive(Debug, Clone)]
pub struct ConnectionSetup {
    busy_timeout: std::time::Duration,
    /// Install the statement timing hook (`METRICS_ENABLED`).
    instrument: bool,
}

/// Bytes the WAL file is truncated to when a checkpoint resets it.
pub const JOURNAL_SIZE_LIMIT: i64 = 16 * 1024 * 1024;

/// The settings every connection to the database gets, pooled or opened by a subcommand.
///
/// `synchronous=FULL` in WAL mode fsyncs the WAL at every commit, so a transaction that has
/// committed survives a power cut (with `NORMAL` it is synced only at the next checkpoint, and a
/// power cut loses every recent commit). It costs one fsync per write transaction; reads never
/// sync. Bulk work (import) batches many rows into one transaction instead of weakening this.
pub fn configure(conn: &Connection, busy_timeout: std::time::Duration) -> rusqlite::Result<()> {
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // A burst of writes under concurrent reads can grow the WAL to tens of MB before a
    // checkpoint resets it; past this size it is truncated again at the reset.
    conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // Statement journals and sorts stay in memory: a static binary in an empty root (the
    // `scratch` image, a systemd `RootDirectory=`) has no writable temporary directory, and
    // SQLite reports a missing one as "disk I/O error" (seen migrating a table with a
    // full-text index in the image).
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

/// Opens the database file outside the pool (for the command line), configured like a pooled
/// connection.
pub fn open(
    path: &std::path::Path,
    busy_timeout: std::time::Duration,
) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    configure(&conn, busy_timeout)?;
    Ok(conn)
}

impl CustomizeConnection<Connection, rusqlite::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut Connection) -> Result<(), rusqlite::Error> {
        configure(conn, self.busy_timeout)?;
        if self.instrument {
            crate::monitoring::db::install(conn)?;
        }
        Ok(())
    }
}

/// Builds the pool for the configured database file (its directory must exist).
///
/// Connections are not probed with `SELECT 1` on checkout: SQLite connections to a local file
/// do not go stale, and the probe would cost a statement per request.
pub fn build_pool(config: &DatabaseConfig, instrument: bool) -> Result<DbPool, r2d2::Error> {
    let manager = SqliteConnectionManager::file(&config.path);
    r2d2::Pool::builder()
        .max_size(config.pool_size)
        .min_idle(Some(1))
        .connection_timeout(config.pool_timeout.max(std::time::Duration::from_millis(1)))
        .test_on_check_out(false)
        .connection_customizer(Box::new(ConnectionSetup {
            busy_timeout: config.busy_timeout,
            instrument,
        }))
        .build(manager)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn every_connection_commits_durably() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = open(&path, std::time::Duration::from_secs(1)).unwrap();
        // 2 = FULL: the WAL is fsynced at each commit.
        assert_eq!(synchronous(&conn), 2);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let limit: i64 = conn
            .query_row("PRAGMA journal_size_limit", [], |r| r.get(0))
            .unwrap();
        assert_eq!(limit, JOURNAL_SIZE_LIMIT);
        // 2 = MEMORY: no temporary directory needed (the scratch image has none).
        let temp: i64 = conn
            .query_row("PRAGMA temp_store", [], |r| r.get(0))
            .unwrap();
        assert_eq!(temp, 2);
    }
}

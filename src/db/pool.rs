//! The r2d2 pool of SQLite connections and the set-up every connection gets.

use r2d2::CustomizeConnection;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use crate::config::DatabaseConfig;

/// The pool every handler draws from.
pub type DbPool = r2d2::Pool<SqliteConnectionManager>;

/// Prepares each new pooled connection: WAL journal, foreign keys, busy timeout, and (when
/// metrics are on) the statement timing hook.
#[derive(Debug, Clone)]
pub struct ConnectionSetup {
    busy_timeout: std::time::Duration,
    /// Install the statement timing hook (`METRICS_ENABLED`).
    instrument: bool,
}

impl CustomizeConnection<Connection, rusqlite::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut Connection) -> Result<(), rusqlite::Error> {
        conn.busy_timeout(self.busy_timeout)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        if self.instrument {
            crate::monitoring::db::install(conn);
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

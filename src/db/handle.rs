//! Running database work from async handlers: [`Db`] (pool, metrics, storage watch) and
//! [`run`]/[`run_quick`].

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use rusqlite::Connection;

use super::DbPool;
use super::storage::StorageWatch;
use crate::error::AppError;
use crate::monitoring::{self, Metrics, request_id};

/// What a caller needs to run SQL: the pool and the metrics store its statements report to.
/// Cheap to clone (both are shared handles).
#[derive(Debug, Clone)]
pub struct Db {
    /// The SQLite connection pool.
    pub pool: DbPool,
    /// Where checkouts, waits and statement timings are recorded.
    pub metrics: Arc<Metrics>,
    /// Full, failing or read-only storage, logged once per incident.
    pub storage: Arc<StorageWatch>,
}

impl Db {
    /// A handle over `pool` reporting to `metrics`, with no storage incident yet.
    pub fn new(pool: DbPool, metrics: Arc<Metrics>) -> Self {
        Db {
            pool,
            metrics,
            storage: Arc::default(),
        }
    }
}

/// Runs `work` on `conn` and records what it says about the database: failed statements in the
/// metrics, storage faults in the incident log, and a committed write as storage being well.
fn observe<T>(
    db: &Db,
    enabled: bool,
    conn: &mut Connection,
    work: impl FnOnce(&mut Connection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let changes = conn.total_changes();
    let result = work(conn);
    match &result {
        Ok(_) if conn.total_changes() != changes => db.storage.write_succeeded(),
        Ok(_) => {}
        Err(AppError::Storage { fault, source }) => {
            db.storage.fault(*fault, source);
            if enabled {
                monitoring::db::record_error(&db.metrics, source);
            }
        }
        Err(AppError::Database(e)) if enabled => monitoring::db::record_error(&db.metrics, e),
        Err(_) => {}
    }
    result
}

/// Runs `work` on a pooled connection on the blocking thread pool.
///
/// The blocking thread inherits the request id (for log lines) and reports its statements to
/// the application's metrics store; checkouts, waits and timeouts are counted. A pool that
/// cannot hand out a connection in time answers 503; SQL errors are recorded as failed database
/// operations; a panic of the blocking task is an internal error, never a crash.
pub async fn run<T, F>(db: &Db, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, AppError> + Send + 'static,
{
    let db = db.clone();
    let request = request_id::context();
    actix_web::web::block(move || {
        let _id = request_id::enter_thread(request);
        let enabled = db.metrics.enabled();
        let _store = monitoring::db::enter(enabled.then(|| db.metrics.clone()));
        let mut conn = checkout(&db.pool, enabled.then_some(&*db.metrics))?;
        observe(&db, enabled, &mut conn, work)
    })
    .await
    .map_err(AppError::internal)?
}

/// A checkout slower than this counts as a wait.
const WAIT_THRESHOLD: std::time::Duration = std::time::Duration::from_micros(200);

/// Like [`run`], but for work of a few microseconds (a primary-key lookup): when an idle
/// connection is at hand it runs right here on the calling thread instead of hopping to the
/// blocking pool; otherwise it falls back to [`run`]. Never waits for a connection in place.
pub async fn run_quick<T, F>(db: &Db, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, AppError> + Send + 'static,
{
    let Some(mut conn) = db.pool.try_get() else {
        return run(db, work).await;
    };
    let metrics = &db.metrics;
    let enabled = metrics.enabled();
    if enabled {
        metrics.pool.checkouts.fetch_add(1, Ordering::Relaxed);
    }
    let _store = monitoring::db::enter(enabled.then(|| metrics.clone()));
    observe(db, enabled, &mut conn, work)
}

/// Takes a connection from the pool, counting the checkout, any wait and any timeout.
fn checkout(
    pool: &DbPool,
    metrics: Option<&Metrics>,
) -> Result<r2d2::PooledConnection<r2d2_sqlite::SqliteConnectionManager>, AppError> {
    let Some(metrics) = metrics else {
        return pool.get().map_err(pool_exhausted);
    };
    let start = Instant::now();
    let counters = &metrics.pool;
    match pool.get() {
        Ok(conn) => {
            counters.checkouts.fetch_add(1, Ordering::Relaxed);
            // An idle connection is handed out in microseconds; anything slower waited for
            // one to be returned or opened. (Reading the pool's state here would take its
            // lock a second time on every checkout.)
            if start.elapsed() >= WAIT_THRESHOLD {
                counters.waits.fetch_add(1, Ordering::Relaxed);
                let waited = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
                counters.wait_us.fetch_add(waited, Ordering::Relaxed);
            }
            Ok(conn)
        }
        Err(e) => {
            counters.timeouts.fetch_add(1, Ordering::Relaxed);
            Err(pool_exhausted(e))
        }
    }
}

fn pool_exhausted(e: r2d2::Error) -> AppError {
    log::warn!("database pool exhausted: {e}");
    AppError::Unavailable("The database is busy; please try again.".to_owned())
}

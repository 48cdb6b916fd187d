//! All SQL lives here: the pool, migrations and one plain function per statement.
//!
//! Handlers never hold a connection across an `.await`: they call [`run`] once with a closure
//! that does its work on a pooled connection inside `web::block`.

pub mod migrate;
pub mod notes;
pub mod pool;
pub mod sessions;

pub use pool::{DbPool, build_pool};

use rusqlite::Connection;

use crate::error::AppError;

/// Runs `work` on a pooled connection on the blocking thread pool.
///
/// A pool that cannot hand out a connection in time answers 503; a panic or cancellation of
/// the blocking task is an internal error, never a crash.
pub async fn run<T, F>(pool: &DbPool, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(|e| {
            log::warn!("database pool exhausted: {e}");
            AppError::Unavailable("The database is busy; please try again.".to_owned())
        })?;
        work(&mut conn)
    })
    .await
    .map_err(AppError::internal)?
}

/// The current time in Unix seconds.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

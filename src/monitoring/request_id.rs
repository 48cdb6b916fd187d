//! Request ids: kept from a safe incoming `X-Request-ID`, else generated, and available to every
//! log line of the request — on the worker (a task-local) and inside `web::block` (a
//! thread-local set by [`crate::db::run`]). Beside the id travels the request's [`Tally`]: the
//! statements it ran and their time, which the SQLite hook adds to wherever the work runs.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::RequestWork;

/// The header carrying the id both ways.
pub const HEADER: &str = "x-request-id";

/// The SQL work of one request, added to from whichever thread runs its statements.
#[derive(Debug, Default)]
pub struct Tally {
    statements: AtomicU64,
    database_us: AtomicU64,
}

impl Tally {
    /// Counts one statement that took `us` microseconds.
    pub fn add_statement(&self, us: u64) {
        self.statements.fetch_add(1, Ordering::Relaxed);
        self.database_us.fetch_add(us, Ordering::Relaxed);
    }

    /// What was counted.
    pub fn work(&self) -> RequestWork {
        RequestWork {
            statements: self.statements.load(Ordering::Relaxed),
            database_us: self.database_us.load(Ordering::Relaxed),
        }
    }
}

/// The request being handled: its id and its tally.
#[derive(Debug, Clone)]
pub struct Current {
    /// The request id.
    pub id: String,
    /// Its SQL work so far.
    pub tally: Arc<Tally>,
}

tokio::task_local! {
    static TASK: Current;
}

thread_local! {
    static THREAD: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// Whether an incoming id is safe to keep and echo: 1–64 of `[A-Za-z0-9._-]`.
pub fn is_safe(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A new random id: 16 lower-case hex digits.
pub fn generate() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// The id of the request being handled on this task or thread, if any.
pub fn current() -> Option<String> {
    with_current(|c| c.id.clone())
}

/// The request being handled on this task or thread, if any.
pub fn context() -> Option<Current> {
    with_current(Clone::clone)
}

/// Applies `f` to the current request, if any, without cloning it.
pub fn with_current<T>(f: impl FnOnce(&Current) -> T) -> Option<T> {
    let mut f = Some(f);
    let on_task = TASK.try_with(|c| f.take().map(|f| f(c))).ok().flatten();
    on_task.or_else(|| {
        THREAD.with(|slot| {
            let slot = slot.borrow();
            slot.as_ref().and_then(|c| f.take().map(|f| f(c)))
        })
    })
}

/// Runs `future` with `current` as the request of its task.
pub async fn scope<F: std::future::Future>(current: Current, future: F) -> F::Output {
    TASK.scope(current, future).await
}

/// Sets the current thread's request until the guard drops (for blocking work).
pub fn enter_thread(current: Option<Current>) -> ThreadGuard {
    let previous = THREAD.with(|slot| std::mem::replace(&mut *slot.borrow_mut(), current));
    ThreadGuard { previous }
}

/// Restores the thread's previous request when dropped.
pub struct ThreadGuard {
    previous: Option<Current>,
}

impl Drop for ThreadGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        THREAD.with(|slot| *slot.borrow_mut() = previous);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(is_safe("abc-123_X.y"));
        assert!(is_safe(&"a".repeat(64)));
        for bad in ["", "a b", "<script>", "a\nb", "ü", &"a".repeat(65)] {
            assert!(!is_safe(bad), "{bad:?}");
        }
        assert!(is_safe(&generate()));
    }
}

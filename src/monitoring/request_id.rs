//! Request ids: kept from a safe incoming `X-Request-ID`, else generated, and available to every
//! log line of the request — on the worker (a task-local) and inside `web::block` (a
//! thread-local set by [`crate::db::run`]).

use std::cell::RefCell;

/// The header carrying the id both ways.
pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static TASK_ID: String;
}

thread_local! {
    static THREAD_ID: RefCell<Option<String>> = const { RefCell::new(None) };
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
    TASK_ID
        .try_with(Clone::clone)
        .ok()
        .or_else(|| THREAD_ID.with(|id| id.borrow().clone()))
}

/// Runs `future` with `id` as the current request id of its task.
pub async fn scope<F: std::future::Future>(id: String, future: F) -> F::Output {
    TASK_ID.scope(id, future).await
}

/// Sets the current thread's request id until the guard drops (for blocking work).
pub fn enter_thread(id: Option<String>) -> ThreadGuard {
    let previous = THREAD_ID.with(|slot| std::mem::replace(&mut *slot.borrow_mut(), id));
    ThreadGuard { previous }
}

/// Restores the thread's previous request id when dropped.
pub struct ThreadGuard {
    previous: Option<String>,
}

impl Drop for ThreadGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        THREAD_ID.with(|slot| *slot.borrow_mut() = previous);
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

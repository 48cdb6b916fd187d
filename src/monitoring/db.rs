//! Statement timing installed in every pooled connection by the pool's customizer.
//!
//! SQLite's trace hook takes a plain `fn`, so it reports through thread-locals: the store of the
//! application whose work runs on this thread (set by [`crate::db::run`] and at start-up through
//! [`enter`]), the start `Instant` of the running statement (SQLite's own profile duration has
//! only millisecond resolution here) and the rows it has produced so far: rows returned are
//! counted by the trace hook's row events, rows inserted, updated or deleted by an update hook.
//! Each statement is recorded under its fingerprint ([`super::fingerprint`]) and added to the
//! tally of the request that ran it. No call site wraps its statements.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use rusqlite::Connection;
use rusqlite::trace::{TraceEvent, TraceEventCodes};
use serde_json::{Map, Value};

use super::fingerprint::{Fingerprint, fingerprint};
use super::{DbMeta, Metadata, Metrics, OpType, request_id};

/// Longest SQL text kept in a sample.
pub const SQL_MAX_CHARS: usize = 200;

thread_local! {
    static STORE: RefCell<Option<Arc<Metrics>>> = const { RefCell::new(None) };
    static STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
    static ROWS: Cell<u64> = const { Cell::new(0) };
}

/// Installs the statement hooks on a connection (called by the pool's customizer).
pub fn install(conn: &Connection) -> rusqlite::Result<()> {
    conn.trace_v2(
        TraceEventCodes::SQLITE_TRACE_STMT
            | TraceEventCodes::SQLITE_TRACE_PROFILE
            | TraceEventCodes::SQLITE_TRACE_ROW,
        Some(hook),
    );
    conn.update_hook(Some(|_, _: &str, _: &str, _| {
        ROWS.with(|rows| rows.set(rows.get() + 1));
    }))
}

/// Makes `metrics` the store that statements on this thread report to, until the guard drops.
pub fn enter(metrics: Option<Arc<Metrics>>) -> StoreGuard {
    let previous = STORE.with(|slot| std::mem::replace(&mut *slot.borrow_mut(), metrics));
    StoreGuard { previous }
}

/// Restores the thread's previous store when dropped.
pub struct StoreGuard {
    previous: Option<Arc<Metrics>>,
}

impl Drop for StoreGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        STORE.with(|slot| *slot.borrow_mut() = previous);
    }
}

fn hook(event: TraceEvent<'_>) {
    match event {
        // A trigger's subprogram starts with `-- TRIGGER name`; it is part of the statement
        // that fired it, whose clock keeps running.
        TraceEvent::Stmt(_, sql) if sql.starts_with("--") => {}
        TraceEvent::Stmt(..) => {
            STARTED.with(|s| s.set(Some(Instant::now())));
            ROWS.with(|rows| rows.set(0));
        }
        TraceEvent::Row(_) => ROWS.with(|rows| rows.set(rows.get() + 1)),
        TraceEvent::Profile(stmt, sqlite_duration) => {
            let duration = STARTED
                .with(Cell::take)
                .map_or(sqlite_duration, |start| start.elapsed());
            let rows = ROWS.with(|rows| rows.replace(0));
            STORE.with(|slot| {
                if let Some(metrics) = slot.borrow().as_ref() {
                    record(metrics, &stmt.sql(), duration, rows);
                }
            });
        }
        _ => {}
    }
}

/// A statement's fingerprint and its text for samples, worked out once per distinct text.
struct Known {
    fingerprint: Arc<Fingerprint>,
    sql: Arc<str>,
}

/// Distinct statement texts remembered per thread before the cache starts over.
const KNOWN_MAX: usize = 512;

thread_local! {
    static KNOWN: RefCell<HashMap<String, Arc<Known>>> = RefCell::new(HashMap::new());
}

fn known(sql: &str) -> Arc<Known> {
    KNOWN.with(|cache| {
        if let Some(found) = cache.borrow().get(sql) {
            return found.clone();
        }
        let info = Arc::new(Known {
            fingerprint: Arc::new(fingerprint(sql)),
            sql: Arc::from(cut(sql)),
        });
        let mut cache = cache.borrow_mut();
        if cache.len() >= KNOWN_MAX {
            cache.clear();
        }
        cache.insert(sql.to_owned(), info.clone());
        info
    })
}

/// Records one finished statement that returned or changed `rows` rows.
pub fn record(metrics: &Metrics, sql: &str, duration: std::time::Duration, rows: u64) {
    let info = known(sql);
    let us = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
    request_id::with_current(|c| c.tally.add_statement(us));
    if duration >= metrics.config().slow_query_threshold {
        log::warn!(
            "slow query ({:.1} ms, request {}): {}",
            duration.as_secs_f64() * 1000.0,
            request_id::current().unwrap_or_else(|| "-".to_owned()),
            info.sql
        );
    }
    let fingerprint = &info.fingerprint;
    metrics.record_statement(fingerprint, duration, rows, || {
        Metadata::Database(DbMeta {
            kind: fingerprint.kind.as_str(),
            table: Arc::from(fingerprint.subject.as_str()),
            sql: info.sql.clone(),
            fingerprint: fingerprint.id.clone(),
            rows,
            request_id: request_id::current(),
        })
    });
}

/// Records a statement that failed (the hook sees only statements that ran).
pub fn record_error(metrics: &Metrics, error: &rusqlite::Error) {
    metrics.record(
        OpType::Database,
        "error",
        std::time::Duration::ZERO,
        true,
        true,
        || {
            let mut meta = Map::new();
            meta.insert("error".into(), Value::from(cut(&error.to_string())));
            if let Some(id) = request_id::current() {
                meta.insert("request_id".into(), Value::from(id));
            }
            Metadata::Fields(meta)
        },
    );
}

/// At most [`SQL_MAX_CHARS`] characters of SQL on one line.
pub fn cut(sql: &str) -> String {
    let one_line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(SQL_MAX_CHARS) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_text_is_cut_to_two_hundred_characters() {
        let long = format!("SELECT {} FROM notes", "x, ".repeat(200));
        let cut = cut(&long);
        assert_eq!(cut.chars().count(), SQL_MAX_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(super::cut("SELECT\n  1"), "SELECT 1");
    }
}

//! Statement timing installed in every pooled connection by the pool's customizer.
//!
//! SQLite's trace hook takes a plain `fn`, so it reports through thread-locals: the store of the
//! application whose work runs on this thread (set by [`crate::db::run`] and at start-up through
//! [`enter`]) and the statements running on it, each with its start `Instant` (SQLite's own
//! profile duration has only millisecond resolution here) and the rows it has produced: rows
//! returned are counted by the trace hook's row events, rows inserted, updated or deleted in
//! the statement's own tables by an update hook (as `sqlite3_changes` counts, not what its
//! triggers change elsewhere).
//!
//! Only top-level statements are recorded, as `pg_stat_statements` does by default: SQLite's
//! FTS5 runs statements of its own on its shadow tables *inside* a search or a note write, and
//! their time is already part of that statement's. Each statement is recorded under its
//! fingerprint ([`super::fingerprint`]) and added to the tally of the request that ran it. No
//! call site wraps its statements.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use rusqlite::Connection;
use rusqlite::trace::{StmtRef, TraceEvent, TraceEventCodes};
use serde_json::{Map, Value};

use super::fingerprint::{Fingerprint, fingerprint};
use super::{DbMeta, Metadata, Metrics, OpType, request_id};

/// Longest SQL text kept in a sample.
pub const SQL_MAX_CHARS: usize = 200;

/// A statement running on this thread.
struct Running {
    /// Which prepared statement: the address of its SQL text, which SQLite keeps per statement.
    key: usize,
    started: Instant,
    /// Rows returned so far.
    returned: u64,
    /// Rows inserted, updated or deleted in its own tables so far.
    changed: u64,
    /// What it is; `None` for a statement run inside another one (not recorded).
    top: Option<Arc<Known>>,
}

thread_local! {
    static STORE: RefCell<Option<Arc<Metrics>>> = const { RefCell::new(None) };
    static RUNNING: RefCell<Vec<Running>> = const { RefCell::new(Vec::new()) };
}

/// Installs the statement hooks on a connection (called by the pool's customizer).
pub fn install(conn: &Connection) -> rusqlite::Result<()> {
    conn.trace_v2(
        TraceEventCodes::SQLITE_TRACE_STMT
            | TraceEventCodes::SQLITE_TRACE_PROFILE
            | TraceEventCodes::SQLITE_TRACE_ROW,
        Some(hook),
    );
    conn.update_hook(Some(|_, _: &str, table: &str, _| changed(table)))
}

/// The identity of a prepared statement while it runs.
fn key(stmt: &StmtRef<'_>) -> usize {
    stmt.sql().as_ptr() as usize
}

/// Makes `metrics` the store that statements on this thread report to, until the guard drops.
/// Statements still marked running from earlier work on this thread are forgotten, so a missed
/// finish can never make later statements look nested.
pub fn enter(metrics: Option<Arc<Metrics>>) -> StoreGuard {
    RUNNING.with(|running| running.borrow_mut().clear());
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
        TraceEvent::Stmt(stmt, _) => started(&stmt),
        TraceEvent::Row(stmt) => RUNNING.with(|running| {
            let mut running = running.borrow_mut();
            // Usually one statement runs: no need to work out which one (a row event per row).
            let row_of = match running.len() {
                0 => None,
                1 => running.first_mut(),
                _ => {
                    let key = key(&stmt);
                    running.iter_mut().rev().find(|r| r.key == key)
                }
            };
            if let Some(r) = row_of {
                r.returned += 1;
            }
        }),
        TraceEvent::Profile(stmt, _) => finished(&stmt),
        _ => {}
    }
}

fn started(stmt: &StmtRef<'_>) {
    let key = key(stmt);
    RUNNING.with(|running| {
        let mut running = running.borrow_mut();
        // A statement started again without finishing (reset unseen) starts over.
        running.retain(|r| r.key != key);
        let top = running
            .is_empty()
            .then(|| {
                STORE
                    .with(|s| s.borrow().is_some())
                    .then(|| known(&stmt.sql()))
            })
            .flatten();
        running.push(Running {
            key,
            started: Instant::now(),
            returned: 0,
            changed: 0,
            top,
        });
    });
}

fn finished(stmt: &StmtRef<'_>) {
    let key = key(stmt);
    let done = RUNNING.with(|running| {
        let mut running = running.borrow_mut();
        let at = running.iter().rposition(|r| r.key == key)?;
        Some(running.remove(at))
    });
    let Some(Running {
        started,
        returned,
        changed,
        top: Some(info),
        ..
    }) = done
    else {
        return;
    };
    // `INSERT … RETURNING` both changes and returns its rows: count them once.
    let rows = if changed > 0 { changed } else { returned };
    STORE.with(|slot| {
        if let Some(metrics) = slot.borrow().as_ref() {
            record(metrics, &info, started.elapsed(), rows);
        }
    });
}

/// A row was inserted, updated or deleted in `table`: counted for the top-level statement when
/// the table is one of its own.
fn changed(table: &str) {
    RUNNING.with(|running| {
        if let Some(top) = running.borrow_mut().first_mut()
            && top
                .top
                .as_ref()
                .is_some_and(|k| k.fingerprint.tables.iter().any(|t| t == table))
        {
            top.changed += 1;
        }
    });
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

/// Records one finished top-level statement that returned or changed `rows` rows.
fn record(metrics: &Metrics, info: &Known, duration: std::time::Duration, rows: u64) {
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

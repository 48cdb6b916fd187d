//! Statement timing installed in every pooled connection by the pool's customizer.
//!
//! SQLite's trace hook takes a plain `fn`, so it reports through thread-locals: the store of the
//! application whose work runs on this thread (set by [`crate::db::run`] and at start-up through
//! [`enter`]) and the start `Instant` of the running statement (SQLite's own profile duration has
//! only millisecond resolution here). No call site wraps its statements.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use rusqlite::Connection;
use rusqlite::trace::{TraceEvent, TraceEventCodes};
use serde_json::{Map, Value};

use super::{DbMeta, Metadata, Metrics, OpType, request_id};

/// Longest SQL text kept in a sample.
pub const SQL_MAX_CHARS: usize = 200;

thread_local! {
    static STORE: RefCell<Option<Arc<Metrics>>> = const { RefCell::new(None) };
    static STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Installs the statement hook on a connection (called by the pool's customizer).
pub fn install(conn: &Connection) {
    conn.trace_v2(
        TraceEventCodes::SQLITE_TRACE_STMT | TraceEventCodes::SQLITE_TRACE_PROFILE,
        Some(hook),
    );
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
        TraceEvent::Stmt(..) => STARTED.with(|s| s.set(Some(Instant::now()))),
        TraceEvent::Profile(stmt, sqlite_duration) => {
            let duration = STARTED
                .with(Cell::take)
                .map_or(sqlite_duration, |start| start.elapsed());
            STORE.with(|slot| {
                if let Some(metrics) = slot.borrow().as_ref() {
                    let sql = stmt.sql();
                    record(metrics, &sql, duration);
                }
            });
        }
        _ => {}
    }
}

/// What a statement's SQL text tells, worked out once per distinct text and cached per thread.
struct Classified {
    name: String,
    kind: &'static str,
    table: Arc<str>,
    sql: Arc<str>,
}

/// Distinct statement texts remembered per thread before the cache starts over.
const CLASSIFIED_MAX: usize = 512;

thread_local! {
    static CLASSIFIED: RefCell<HashMap<String, Rc<Classified>>> = RefCell::new(HashMap::new());
}

fn classified(sql: &str) -> Rc<Classified> {
    CLASSIFIED.with(|cache| {
        if let Some(found) = cache.borrow().get(sql) {
            return found.clone();
        }
        let (kind, table) = classify(sql);
        let info = Rc::new(Classified {
            name: format!("{kind} {table}"),
            kind,
            table: Arc::from(table),
            sql: Arc::from(cut(sql)),
        });
        let mut cache = cache.borrow_mut();
        if cache.len() >= CLASSIFIED_MAX {
            cache.clear();
        }
        cache.insert(sql.to_owned(), info.clone());
        info
    })
}

/// Records one finished statement.
pub fn record(metrics: &Metrics, sql: &str, duration: std::time::Duration) {
    let info = classified(sql);
    let slow = duration >= metrics.config().slow_query_threshold;
    if slow {
        log::warn!(
            "slow query ({:.1} ms, request {}): {}",
            duration.as_secs_f64() * 1000.0,
            request_id::current().unwrap_or_else(|| "-".to_owned()),
            info.sql
        );
    }
    metrics.record(OpType::Database, &info.name, duration, false, slow, || {
        Metadata::Database(DbMeta {
            kind: info.kind,
            table: info.table.clone(),
            sql: info.sql.clone(),
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

/// The statement's kind (`select`, `insert`, `update`, `delete`, `other`) and main table
/// (`unknown` when unclear).
pub fn classify(sql: &str) -> (&'static str, String) {
    let words: Vec<String> = sql
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',' || c == ';')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let first = words.first().map(String::as_str).unwrap_or("");
    let kind = match first {
        "select" | "with" => "select",
        "insert" | "replace" => "insert",
        "update" => "update",
        "delete" => "delete",
        _ => "other",
    };
    let after = |keyword: &str| {
        words
            .iter()
            .position(|w| w == keyword)
            .and_then(|i| words.get(i + 1))
            .cloned()
    };
    let table = match kind {
        "select" => after("from"),
        "insert" => after("into"),
        "update" => words
            .get(1)
            .filter(|w| *w != "or")
            .cloned()
            .or_else(|| words.get(3).cloned()),
        "delete" => after("from"),
        _ => None,
    };
    let table = table
        .map(|t| {
            t.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
                .to_owned()
        })
        .filter(|t| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        })
        .unwrap_or_else(|| "unknown".to_owned());
    (kind, table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_classified_by_kind_and_table() {
        let cases = [
            ("SELECT id FROM notes WHERE id = ?1", ("select", "notes")),
            (
                "select exists (select 1 from notes where slug = ?1)",
                ("select", "notes"),
            ),
            (
                "INSERT INTO sessions (a) VALUES (?1)",
                ("insert", "sessions"),
            ),
            ("UPDATE notes SET x = 1", ("update", "notes")),
            ("UPDATE OR IGNORE notes SET x = 1", ("update", "notes")),
            (
                "DELETE FROM sessions WHERE expires_at <= ?1",
                ("delete", "sessions"),
            ),
            ("PRAGMA journal_mode = WAL", ("other", "unknown")),
            ("SELECT 1", ("select", "unknown")),
            ("BEGIN IMMEDIATE", ("other", "unknown")),
        ];
        for (sql, (kind, table)) in cases {
            assert_eq!(classify(sql), (kind, table.to_owned()), "{sql}");
        }
    }

    #[test]
    fn sql_text_is_cut_to_two_hundred_characters() {
        let long = format!("SELECT {} FROM notes", "x, ".repeat(200));
        let cut = cut(&long);
        assert_eq!(cut.chars().count(), SQL_MAX_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(super::cut("SELECT\n  1"), "SELECT 1");
    }
}

//! What the metrics store records: operation types, detailed samples and their metadata, memory
//! readings. Plain data, serialised as the JSON report shows it.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

/// What kind of operation was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OpType {
    /// An HTTP request (name: `METHOD /route/{pattern}`).
    Http,
    /// A SQL statement (name: `kind table`; per fingerprint in the report's `statements`).
    Database,
    /// A template or feed render (name: the page).
    Render,
    /// A business event such as `note.created` (always sampled).
    Business,
}

impl OpType {
    /// Every type, in display order.
    pub const ALL: [OpType; 4] = [
        OpType::Http,
        OpType::Database,
        OpType::Render,
        OpType::Business,
    ];

    /// The lower-case name used in JSON and Prometheus labels.
    pub fn as_str(self) -> &'static str {
        match self {
            OpType::Http => "http",
            OpType::Database => "database",
            OpType::Render => "render",
            OpType::Business => "business",
        }
    }
}

/// One detailed sample in the ring buffer.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Operation type.
    #[serde(rename = "type")]
    pub kind: OpType,
    /// Operation name.
    pub name: String,
    /// When it finished, Unix milliseconds.
    pub timestamp_ms: i64,
    /// How long it took, milliseconds (fractional).
    pub duration_ms: f64,
    /// The process that recorded it.
    pub process_id: u32,
    /// Details: status, sizes, SQL text, request id ….
    pub metadata: Metadata,
}

impl Sample {
    /// The SQL text of a database sample.
    pub fn sql(&self) -> Option<&str> {
        match &self.metadata {
            Metadata::Database(db) => Some(&db.sql),
            _ => None,
        }
    }
}

/// Typed details of a sample; serialised as a plain JSON object.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Metadata {
    /// An HTTP request.
    Http(HttpMeta),
    /// A SQL statement.
    Database(DbMeta),
    /// Anything else (renders, business events).
    Fields(Map<String, Value>),
}

/// Details of an HTTP request.
#[derive(Debug, Clone, Serialize)]
pub struct HttpMeta {
    /// The request id.
    pub request_id: String,
    /// The method.
    pub method: String,
    /// The route pattern.
    pub route: String,
    /// The status code.
    pub status: u16,
    /// Declared request body size (`Content-Length`), if any.
    pub request_size: Option<u64>,
    /// Declared response body size; `None` for a streamed body.
    pub response_size: Option<u64>,
    /// SQL statements the request ran.
    pub statements: u64,
    /// Time those statements took, ms.
    pub database_ms: f64,
}

/// Details of a SQL statement.
#[derive(Debug, Clone, Serialize)]
pub struct DbMeta {
    /// `select`, `insert`, `update`, `delete`, `schema`, `pragma`, `transaction`,
    /// `maintenance` or `other`.
    pub kind: &'static str,
    /// The tables it touches (comma-separated), or for other kinds what it is about (the
    /// pragma's name, `begin` …).
    pub table: Arc<str>,
    /// The SQL text, at most 200 characters.
    pub sql: Arc<str>,
    /// The statement's fingerprint id (the `statements` list of the report).
    pub fingerprint: String,
    /// Rows returned or changed.
    pub rows: u64,
    /// The request that ran it, if any.
    pub request_id: Option<String>,
}

/// One memory reading.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MemorySample {
    /// Unix seconds.
    pub at: i64,
    /// Resident set size, bytes.
    pub rss_bytes: u64,
    /// High-water mark of the resident set, bytes.
    pub hwm_bytes: u64,
}

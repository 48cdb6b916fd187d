//! The one error type: everything a request can fail with, its status and its public text.
//!
//! [`AppError`] maps to a status code in one match. Its own `error_response` is only a plain
//! placeholder: the [`render_errors`](crate::error_pages::render_errors) middleware, which sees
//! the request, turns every 4xx/5xx answer (ours, actix's own 404/405 and extractor failures
//! alike) into the styled page or, for JSON clients and API paths, a
//! `{"error", "error_description"}` document. Internal details are logged once there and never
//! sent. This module imports nothing of the crate: every layer may use it.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed; the message says how (400).
    #[error("{0}")]
    BadRequest(String),
    /// The page needs the owner's session (redirect to login for browsers, 401 for APIs).
    #[error("you need to log in to see this page")]
    LoginRequired,
    /// An API request without usable credentials (401 `unauthorized`, with a Bearer challenge).
    #[error("{0}")]
    Unauthorized(String),
    /// A token was sent but is not valid (401 `unauthorized`, challenge `invalid_token`).
    #[error("{0}")]
    InvalidToken(String),
    /// A valid token that lacks the scope the action needs (403 `insufficient_scope`).
    #[error("this token does not have the `{scope}` scope")]
    InsufficientScope {
        /// The scope the action needs.
        scope: &'static str,
    },
    /// The request is understood but refused, e.g. a missing or wrong CSRF token (403).
    #[error("{0}")]
    Forbidden(String),
    /// Nothing lives here (404).
    #[error("there is nothing at this address")]
    NotFound,
    /// Something lived here and was deleted (410).
    #[error("this note has been deleted")]
    Gone,
    /// The body is larger than this endpoint accepts (413).
    #[error("the request body is too large (limit {limit} bytes)")]
    PayloadTooLarge {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// What was sent is larger than accepted, e.g. an image with too many pixels; the message
    /// says what and the limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// The body's content type is not one this endpoint reads (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Too many failed attempts: try again after `retry_after` seconds (429 with `Retry-After`).
    #[error("too many failed attempts; try again in {retry_after} seconds")]
    TooManyRequests {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// A dependency (the database pool) cannot serve now (503).
    #[error("{0}")]
    Unavailable(String),
    /// A SQL statement failed; logged and recorded, never shown (500).
    #[error("database: {0}")]
    Database(rusqlite::Error),
    /// The database could not write: the disk is full, failing or read-only (507, or 503 when
    /// read-only). Nothing was saved; the message says what to do.
    #[error("{}", fault.message())]
    Storage {
        /// What went wrong.
        fault: StorageFault,
        /// SQLite's error, for the log and the metrics.
        source: rusqlite::Error,
    },
    /// A bug or an I/O failure; the text is logged, never shown (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// An internal error from anything displayable; the text goes to the log only.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    /// The machine-readable code used in JSON error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "invalid_request",
            AppError::LoginRequired | AppError::Unauthorized(_) | AppError::InvalidToken(_) => {
                "unauthorized"
            }
            AppError::InsufficientScope { .. } => "insufficient_scope",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Gone => "gone",
            AppError::PayloadTooLarge { .. } | AppError::TooLarge(_) => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Unavailable(_) => "temporarily_unavailable",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Storage { fault, .. } => fault.code(),
            AppError::Internal(_) | AppError::Database(_) => "server_error",
        }
    }

    /// For a failure that loses nothing and may pass on a later try (storage faults, a busy
    /// database): the status and message a form shows above what the owner typed.
    pub fn retry_notice(&self) -> Option<(StatusCode, String)> {
        match self {
            AppError::Storage { fault, .. } => Some((fault.status(), fault.message().to_owned())),
            AppError::Unavailable(message) => {
                Some((StatusCode::SERVICE_UNAVAILABLE, message.clone()))
            }
            _ => None,
        }
    }

    /// The text shown to the visitor: never internal detail for 5xx.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) | AppError::Database(_) => {
                "Something went wrong on our side.".to_owned()
            }
            AppError::Storage { fault, .. } => fault.message().to_owned(),
            other => other.to_string(),
        }
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        if let Some(fault) = StorageFault::of(&e) {
            return AppError::Storage { fault, source: e };
        }
        match e.sqlite_error_code() {
            // Another writer held the database past the busy timeout: a moment later works.
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                log::warn!("database busy: {e}");
                AppError::Unavailable(
                    "The database is busy; nothing was saved. Please try again in a moment."
                        .to_owned(),
                )
            }
            _ => AppError::Database(e),
        }
    }
}

/// Why the database could not write what it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFault {
    /// The file system is full (`SQLITE_FULL`, `ENOSPC`).
    Full,
    /// The disk failed a read, write or sync (`SQLITE_IOERR`).
    Io,
    /// The database file or its directory cannot be written (`SQLITE_READONLY`).
    ReadOnly,
}

impl StorageFault {
    /// The fault behind a SQLite error, if it is one.
    pub fn of(e: &rusqlite::Error) -> Option<Self> {
        match e.sqlite_error_code()? {
            rusqlite::ErrorCode::DiskFull => Some(StorageFault::Full),
            rusqlite::ErrorCode::SystemIoFailure => Some(StorageFault::Io),
            rusqlite::ErrorCode::ReadOnly => Some(StorageFault::ReadOnly),
            _ => None,
        }
    }

    /// What happened and what to do, for the owner and API clients.
    pub fn message(self) -> &'static str {
        match self {
            StorageFault::Full => {
                "The server's disk is full, so nothing was saved. Free some space on the \
                 server (old backups, logs), then send this again."
            }
            StorageFault::Io => {
                "The server could not write to its disk (an I/O error), so nothing was saved. \
                 Check the server's storage, then send this again."
            }
            StorageFault::ReadOnly => {
                "The database is read-only, so nothing was saved. Check that the data \
                 directory and the database file are writable by starpunk (and that the file \
                 system is not mounted read-only), then send this again."
            }
        }
    }

    /// The machine-readable code of JSON error bodies.
    pub fn code(self) -> &'static str {
        match self {
            StorageFault::Full | StorageFault::Io => "insufficient_storage",
            StorageFault::ReadOnly => "read_only_storage",
        }
    }

    /// 507 Insufficient Storage (RFC 4918), or 503 when the storage is read-only.
    pub fn status(self) -> StatusCode {
        match self {
            StorageFault::Full | StorageFault::Io => StatusCode::INSUFFICIENT_STORAGE,
            StorageFault::ReadOnly => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::LoginRequired | AppError::Unauthorized(_) | AppError::InvalidToken(_) => {
                StatusCode::UNAUTHORIZED
            }
            AppError::Forbidden(_) | AppError::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Gone => StatusCode::GONE,
            AppError::PayloadTooLarge { .. } | AppError::TooLarge(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Storage { fault, .. } => fault.status(),
            AppError::Internal(_) | AppError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        // RFC 6750 §3: Bearer challenges for token failures.
        match self {
            AppError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"micropub\""));
            }
            AppError::InvalidToken(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"micropub\", error=\"invalid_token\"",
                ));
            }
            AppError::InsufficientScope { scope } => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(
                        "Bearer realm=\"micropub\", error=\"insufficient_scope\", scope=\"{scope}\""
                    ),
                ));
            }
            AppError::TooManyRequests { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            _ => {}
        }
        response
            .content_type("text/plain; charset=utf-8")
            .body(self.public_message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn storage_faults_are_told_apart_from_sql_errors() {
        let full = AppError::from(sqlite(rusqlite::ffi::SQLITE_FULL));
        assert_eq!(full.status_code(), StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(full.code(), "insufficient_storage");
        assert!(full.public_message().contains("disk is full"));
        let io = AppError::from(sqlite(rusqlite::ffi::SQLITE_IOERR_FSYNC));
        assert_eq!(io.status_code(), StatusCode::INSUFFICIENT_STORAGE);
        let read_only = AppError::from(sqlite(rusqlite::ffi::SQLITE_READONLY));
        assert_eq!(read_only.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let busy = AppError::from(sqlite(rusqlite::ffi::SQLITE_BUSY));
        assert_eq!(busy.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let other = AppError::from(sqlite(rusqlite::ffi::SQLITE_CONSTRAINT));
        assert_eq!(other.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    /// A real read-only database: SQLite's own refusal becomes the read-only fault.
    #[test]
    fn a_read_only_database_file_is_a_503_that_says_why() {
        let dir = std::env::temp_dir().join(format!("starpunk-ro-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ro.db");
        let rw = rusqlite::Connection::open(&path).unwrap();
        rw.execute_batch("CREATE TABLE t (x)").unwrap();
        drop(rw);
        let ro = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let error = AppError::from(ro.execute("INSERT INTO t VALUES (1)", []).unwrap_err());
        assert!(matches!(
            error,
            AppError::Storage {
                fault: StorageFault::ReadOnly,
                ..
            }
        ));
        assert!(error.public_message().contains("read-only"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

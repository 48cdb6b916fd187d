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
    /// The body's content type is not one this endpoint reads (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A dependency (the database pool) cannot serve now (503).
    #[error("{0}")]
    Unavailable(String),
    /// A SQL statement failed; logged and recorded, never shown (500).
    #[error("database: {0}")]
    Database(rusqlite::Error),
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
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Unavailable(_) => "temporarily_unavailable",
            AppError::Internal(_) | AppError::Database(_) => "server_error",
        }
    }

    /// The text shown to the visitor: never internal detail for 5xx.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) | AppError::Database(_) => {
                "Something went wrong on our side.".to_owned()
            }
            other => other.to_string(),
        }
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        AppError::Database(e)
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
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
            _ => {}
        }
        response
            .content_type("text/plain; charset=utf-8")
            .body(self.public_message())
    }
}

//! The web layer's one error type and how every error becomes a response.
//!
//! [`AppError`] maps to a status code in one match. Its own `error_response` is only a plain
//! placeholder: the [`render_errors`] middleware, which sees the request, turns every 4xx/5xx
//! answer (ours, actix's own 404/405 and extractor failures alike) into the styled page or, for
//! JSON clients and API paths, a `{"error", "error_description"}` document. Internal details are
//! logged once there and never sent.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::startup::AppState;
use crate::views;

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

/// Whether the client wants JSON rather than a page: API paths, or an `Accept` that names JSON
/// and not HTML.
pub fn wants_json(req: &HttpRequest) -> bool {
    let path = req.path();
    if path.starts_with("/api/") || path.starts_with("/micropub") || path == "/health" {
        return true;
    }
    if req.query_string().split('&').any(|kv| kv == "format=json") {
        return true;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (mut json, mut html) = (0.0_f32, 0.0_f32);
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .filter(|q| (0.0..=1.0).contains(q))
            .unwrap_or(1.0);
        if media == "application/json"
            || (media.starts_with("application/") && media.ends_with("+json"))
        {
            json = json.max(q);
        } else if media == "text/html" || media == "application/xhtml+xml" {
            html = html.max(q);
        }
    }
    json > 0.0 && json > html
}

/// Middleware: gives every error answer its page or JSON body, and logs 5xx causes once.
///
/// Only the error's *value* is inspected; a successful body is never touched.
pub async fn render_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res.map_into_boxed_body());
    }
    let app_error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>());
    let (message, code) = match app_error {
        Some(e) => (e.public_message(), e.code()),
        None => match res.response().error() {
            // Errors from actix itself (extractors, payload limits): their text is safe to show
            // for client errors and replaced for server errors.
            Some(e) if status.is_client_error() => (e.to_string(), code_for(status)),
            Some(_) => (
                "Something went wrong on our side.".to_owned(),
                "server_error",
            ),
            // A bare status with a body of its own (e.g. a handler's 503 JSON) is kept.
            None if !matches!(
                res.response().body().size(),
                actix_web::body::BodySize::Sized(0) | actix_web::body::BodySize::None
            ) =>
            {
                return Ok(res.map_into_boxed_body());
            }
            None => (default_message(status).to_owned(), code_for(status)),
        },
    };
    if let (true, Some(e)) = (status.is_server_error(), res.response().error()) {
        log::error!(
            "{} {} failed: {e}",
            res.request().method(),
            res.request().path()
        );
    }
    let request = res.request().clone();
    let mut response = if status == StatusCode::UNAUTHORIZED
        && matches!(app_error, Some(AppError::LoginRequired))
        && !wants_json(&request)
    {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/auth/login"))
            .finish()
    } else if wants_json(&request) {
        HttpResponse::build(status).json(serde_json::json!({
            "error": code,
            "error_description": message,
        }))
    } else {
        let state = request.app_data::<web::Data<AppState>>();
        let page = views::error::page(state.map(|s| &s.config.site), status, &message);
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(page.into_string())
    };
    for (name, value) in res.response().headers() {
        if name == header::ALLOW || name == header::SET_COOKIE || name == header::WWW_AUTHENTICATE {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(res.into_response(response))
}

fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "invalid_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        410 => "gone",
        413 => "payload_too_large",
        503 => "temporarily_unavailable",
        s if s >= 500 => "server_error",
        _ => "invalid_request",
    }
}

fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "There is nothing at this address.",
        405 => "This address does not accept that method.",
        410 => "This note has been deleted.",
        413 => "The request body is too large.",
        s if s >= 500 => "Something went wrong on our side.",
        _ => status.canonical_reason().unwrap_or("Request failed"),
    }
}

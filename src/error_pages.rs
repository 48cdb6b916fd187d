//! Error answers: every 4xx/5xx response gets the site's styled page or, for JSON clients and
//! API paths, a `{"error", "error_description"}` document; 5xx causes are logged once here.
//!
//! The page needs only the site identity, which it takes from the request's app data
//! (`web::Data<SiteConfig>`), not from the application state.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::config::SiteConfig;
use crate::error::AppError;
use crate::views;

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
    // Storage faults are logged once per incident by `db::storage`, not once per request.
    let storage_fault = matches!(app_error, Some(AppError::Storage { .. }));
    if let (true, false, Some(e)) = (
        status.is_server_error(),
        storage_fault,
        res.response().error(),
    ) {
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
        let site = request.app_data::<web::Data<SiteConfig>>();
        let page = views::error::page(site.map(|s| s.get_ref()), status, &message);
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(page.into_string())
    };
    for (name, value) in res.response().headers() {
        if name == header::ALLOW
            || name == header::SET_COOKIE
            || name == header::WWW_AUTHENTICATE
            || name == header::RETRY_AFTER
        {
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
        429 => "too_many_requests",
        507 => "insufficient_storage",
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

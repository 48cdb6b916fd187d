//! Files served exactly as stored: the compiled-in assets at `/static/{path}` and the
//! conditional-request rules every stored body shares (uploads use [`stored_file`] too).
//!
//! Bodies are served *sized* (`Content-Length`, never a stream) with a strong ETag made from the
//! content's SHA-256, so conditional requests cost nothing.

use std::borrow::Cow;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::assets;
use crate::error::AppError;

/// Cache lifetime for a request that names the current fingerprint (`?v=`): one year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache lifetime for an unversioned request: one hour, then revalidate with the ETag.
const SHORT: &str = "public, max-age=3600";

/// Whether an `If-None-Match` value matches `etag` (weak comparison, as RFC 9110 asks for GET).
/// Shared by every handler that answers 304.
pub fn none_match(value: &str, etag: &str) -> bool {
    let bare = etag.trim_start_matches("W/");
    value
        .split(',')
        .map(|t| t.trim())
        .any(|t| t == "*" || t.trim_start_matches("W/") == bare)
}

/// `GET`/`HEAD /static/{path}`.
pub async fn serve(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let file = assets::lookup(&path.into_inner()).ok_or(AppError::NotFound)?;
    let digest = hex::encode(file.metadata.sha256_hash());
    let etag = format!("\"{digest}\"");
    let versioned = req.query_string().split('&').any(|kv| {
        kv.strip_prefix("v=")
            .is_some_and(|v| !v.is_empty() && digest.starts_with(v))
    });
    let cache_control = if versioned { IMMUTABLE } else { SHORT };
    let body = match file.data {
        Cow::Borrowed(bytes) => Bytes::from_static(bytes),
        Cow::Owned(bytes) => Bytes::from(bytes),
    };
    Ok(stored_file(
        &req,
        &etag,
        cache_control,
        file.metadata.mimetype(),
        body,
    ))
}

/// A file served exactly as stored (an asset, an upload): sized body, its type, strong `etag`,
/// `304` when `If-None-Match` matches, `nosniff`.
pub fn stored_file(
    req: &HttpRequest,
    etag: &str,
    cache_control: &'static str,
    content_type: &str,
    body: Bytes,
) -> HttpResponse {
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| none_match(v, etag));
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Served as stored: the strong ETag names exactly these bytes, so the compression
        // middleware must not re-encode them under the same ETag.
        .insert_header((
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        ));
    if matches {
        return response.finish();
    }
    response.content_type(content_type).body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_uses_weak_comparison_and_lists() {
        assert!(none_match("\"abc\"", "\"abc\""));
        assert!(none_match("W/\"abc\"", "\"abc\""));
        assert!(none_match("\"x\", \"abc\"", "\"abc\""));
        assert!(none_match("*", "\"abc\""));
        assert!(!none_match("\"abd\"", "\"abc\""));
    }
}

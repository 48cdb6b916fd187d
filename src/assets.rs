//! Compiled-in assets (`assets/`) and the one handler that serves them at `/static/{path}`.
//!
//! Bodies are served *sized* (`Content-Length`, never a stream) with a strong ETag made from the
//! embedded SHA-256, so conditional requests cost nothing. Only paths that are exactly a key of
//! the embedded set are served; anything with `..`, `.`, empty, absolute or backslash segments is
//! a 404 before the lookup.

use std::borrow::Cow;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

use crate::error::AppError;

/// The files under `assets/`, embedded in every build (`debug-embed`), so tests exercise exactly
/// what a release serves.
#[derive(RustEmbed)]
#[folder = "assets/"]
pub struct Assets;

/// Cache lifetime for a request that names the current fingerprint (`?v=`): one year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache lifetime for an unversioned request: one hour, then revalidate with the ETag.
const SHORT: &str = "public, max-age=3600";

/// The hex SHA-256 of an embedded asset, if it exists.
pub fn hash(path: &str) -> Option<String> {
    Assets::get(path).map(|f| hex::encode(f.metadata.sha256_hash()))
}

/// The URL of an asset with a fingerprint, e.g. `/static/css/site.css?v=1a2b3c4d5e6f`; views
/// use it so browsers may cache the file for a year and still see every new version.
pub fn url(path: &str) -> String {
    match hash(path) {
        Some(h) => format!("/static/{path}?v={}", &h[..12]),
        None => format!("/static/{path}"),
    }
}

/// Whether a requested path is a plain relative path inside the asset tree.
fn is_safe(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..")
}

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
    let path = path.into_inner();
    if !is_safe(&path) {
        return Err(AppError::NotFound);
    }
    let file = Assets::get(&path).ok_or(AppError::NotFound)?;
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
    fn only_plain_relative_paths_are_safe() {
        assert!(is_safe("css/site.css"));
        for bad in [
            "",
            "/etc/passwd",
            "../Cargo.toml",
            "css/../../x",
            "css//x",
            "./x",
            "a\\b",
            "css/.",
        ] {
            assert!(!is_safe(bad), "{bad:?}");
        }
    }

    #[test]
    fn if_none_match_uses_weak_comparison_and_lists() {
        assert!(none_match("\"abc\"", "\"abc\""));
        assert!(none_match("W/\"abc\"", "\"abc\""));
        assert!(none_match("\"x\", \"abc\"", "\"abc\""));
        assert!(none_match("*", "\"abc\""));
        assert!(!none_match("\"abd\"", "\"abc\""));
    }
}

//! Reading Micropub requests: JSON, form-encoded and multipart bodies with their limits, and
//! the query string.

use actix_web::{HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use serde_json::Value;

use crate::error::AppError;
use crate::state::{AppState, FORM_LIMIT};

/// Most files in one request.
const MAX_FILES: usize = 10;
/// All the files of one request together may be this many times `MAX_UPLOAD_BYTES`.
const MAX_FILES_TOTAL_FACTOR: usize = 4;

/// The `key=value` pairs of the query string, in order.
pub(super) fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

/// The first value of `name` among `pairs`.
pub(super) fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A file part of a multipart body.
pub(super) struct FilePart {
    /// The multipart part's name.
    pub(super) field: String,
    /// The file's content.
    pub(super) bytes: Vec<u8>,
}

/// A request body as text fields (form or multipart) or JSON, with any files.
pub(super) enum Body {
    Fields(Vec<(String, String)>),
    Json(Value),
}

/// Reads the body by content type: JSON, form-encoded or multipart. Too large → 413, an
/// unknown type → 415, anything unreadable → 400.
pub(super) async fn read_body(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
    authenticated: bool,
) -> Result<(Body, Vec<FilePart>), AppError> {
    let mime = req.mime_type().ok().flatten();
    let essence = mime.as_ref().map(|m| m.essence_str().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/json") => {
            let bytes = read_limited(payload, FORM_LIMIT).await?;
            let value = serde_json::from_slice(&bytes)
                .map_err(|_| AppError::BadRequest("The JSON body could not be parsed.".into()))?;
            Ok((Body::Json(value), Vec::new()))
        }
        Some("application/x-www-form-urlencoded") => {
            let bytes = read_limited(payload, FORM_LIMIT).await?;
            Ok((Body::Fields(form_pairs(&bytes)?), Vec::new()))
        }
        Some("multipart/form-data") => {
            let (fields, files) = read_multipart(state, req, payload, authenticated).await?;
            Ok((Body::Fields(fields), files))
        }
        Some(other) => Err(AppError::UnsupportedMediaType(format!(
            "Micropub reads application/json, application/x-www-form-urlencoded or multipart/form-data, not {other}."
        ))),
        None => Err(AppError::UnsupportedMediaType(
            "The request has no Content-Type; send JSON, a form or multipart.".into(),
        )),
    }
}

/// Collects a body of at most `limit` bytes.
async fn read_limited(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, AppError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| AppError::BadRequest("The request body was cut off.".into()))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `key=value` pairs of a form body, in order. Unlike a lossy decoder, refuses any name or
/// value whose percent-decoded bytes are not UTF-8 rather than storing replacement characters.
fn form_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    let decode = |raw: &[u8]| -> Result<String, AppError> {
        let spaced: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_encoding::percent_decode(&spaced)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| AppError::BadRequest("The form body is not valid UTF-8.".into()))
    };
    bytes
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            Ok((decode(key)?, decode(value)?))
        })
        .collect()
}

/// Reads a multipart body: text parts (at most [`FORM_LIMIT`] bytes in all) and file parts
/// (each at most `MAX_UPLOAD_BYTES`, 413 above).
///
/// Without a verified header token (the token, if any, is in the body) at most two such bodies
/// are read at once, so strangers cannot make the server hold many large uploads.
pub(super) async fn read_multipart(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
    authenticated: bool,
) -> Result<(Vec<(String, String)>, Vec<FilePart>), AppError> {
    let _permit = if authenticated {
        None
    } else {
        Some(
            state
                .unauthenticated_uploads
                .acquire()
                .await
                .map_err(AppError::internal)?,
        )
    };
    let malformed = || AppError::BadRequest("The multipart body could not be read.".into());
    let file_limit = state.config.max_upload_bytes;
    let total_limit = file_limit.saturating_mul(MAX_FILES_TOTAL_FACTOR);
    // The whole body is read first (within the limits) and must end with the closing
    // delimiter: actix-multipart waits forever on a body cut short before it, so the parser only
    // ever sees complete bodies, and a timeout guards it anyway.
    let boundary = req
        .mime_type()
        .ok()
        .flatten()
        .and_then(|m| m.get_param("boundary").map(|b| b.as_str().to_owned()))
        .filter(|b| !b.is_empty() && b.len() <= 200)
        .ok_or_else(|| {
            AppError::BadRequest("The multipart Content-Type has no boundary.".into())
        })?;
    let body_limit = FORM_LIMIT
        .saturating_add(total_limit)
        .saturating_add(MULTIPART_OVERHEAD);
    let body = read_limited(payload, body_limit).await?;
    let closing = format!("--{boundary}--");
    if !body.trim_ascii_end().ends_with(closing.as_bytes()) {
        return Err(AppError::BadRequest(
            "The multipart body is incomplete: it does not end with its closing boundary.".into(),
        ));
    }
    let stream = futures_util::stream::once(std::future::ready(Ok::<
        _,
        actix_web::error::PayloadError,
    >(web::Bytes::from(body))));
    let parse = parse_multipart(req, stream, file_limit, total_limit);
    actix_web::rt::time::timeout(MULTIPART_PARSE_TIMEOUT, parse)
        .await
        .map_err(|_| malformed())?
}

/// Room for multipart headers and delimiters beyond the fields' and files' own bytes.
const MULTIPART_OVERHEAD: usize = 256 * 1024;
/// Parsing a body already in memory never needs to wait; this only guards against parser stalls.
const MULTIPART_PARSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Splits a complete multipart body into text fields and files, within the per-part limits.
async fn parse_multipart(
    req: &HttpRequest,
    stream: impl futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>>
    + 'static,
    file_limit: usize,
    total_limit: usize,
) -> Result<(Vec<(String, String)>, Vec<FilePart>), AppError> {
    let malformed = || AppError::BadRequest("The multipart body could not be read.".into());
    let mut multipart = actix_multipart::Multipart::new(req.headers(), stream);
    let (mut fields, mut files) = (Vec::new(), Vec::new());
    let (mut text_bytes, mut file_bytes) = (0usize, 0usize);
    while let Some(part) = multipart.next().await {
        let mut part = part.map_err(|_| malformed())?;
        let name = part.name().unwrap_or_default().to_owned();
        let is_file = part
            .content_disposition()
            .is_some_and(|cd| cd.get_filename().is_some());
        let limit = if is_file {
            file_limit.min(total_limit.saturating_sub(file_bytes))
        } else {
            FORM_LIMIT.saturating_sub(text_bytes)
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|_| malformed())?;
            if bytes.len() + chunk.len() > limit {
                let limit = match (is_file, limit < file_limit) {
                    (true, true) => total_limit,
                    (true, false) => file_limit,
                    (false, _) => FORM_LIMIT,
                };
                return Err(AppError::PayloadTooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            if files.len() == MAX_FILES {
                return Err(AppError::BadRequest(format!(
                    "At most {MAX_FILES} files may be sent at once."
                )));
            }
            file_bytes += bytes.len();
            files.push(FilePart { field: name, bytes });
        } else {
            text_bytes += bytes.len();
            let text = String::from_utf8(bytes).map_err(|_| {
                AppError::BadRequest(format!("The multipart field `{name}` is not valid UTF-8."))
            })?;
            fields.push((name, text));
        }
    }
    Ok((fields, files))
}

//! The Micropub endpoint (`/micropub`) and media endpoint (`/micropub/media`), and uploaded
//! media at `/media/{name}`.
//!
//! Every request is authenticated with an access token verified at the owner's token endpoint
//! (see [`crate::indieauth`]); every failure is a JSON `{"error", "error_description"}` from
//! [`AppError`]. `/micropub` never redirects.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::clock;
use crate::db::{self, media, notes};
use crate::domain::media::{detect_image, is_media_name};
use crate::domain::micropub::{self, Action, Create, MicropubError, Update};
use crate::domain::{Note, Slug};
use crate::error::AppError;
use crate::indieauth::{Credentials, TokenInfo};
use crate::state::{AppState, FORM_LIMIT};

/// Queries `GET /micropub` answers.
const QUERIES: [&str; 4] = ["config", "source", "syndicate-to", "category"];
/// Most files in one request.
const MAX_FILES: usize = 10;
/// All the files of one request together may be this many times `MAX_UPLOAD_BYTES`.
const MAX_FILES_TOTAL_FACTOR: usize = 4;

impl From<MicropubError> for AppError {
    fn from(e: MicropubError) -> Self {
        AppError::BadRequest(e.0)
    }
}

/// The `key=value` pairs of the query string, in order.
fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

/// The first value of `name` among `pairs`.
fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Checks a verified token's scope. A `create` token may also upload media.
fn require(info: &TokenInfo, scope: &'static str) -> Result<(), AppError> {
    let granted = info.has_scope(scope)
        || (scope == "media" && info.has_scope("create"))
        // `post` is the pre-2016 IndieAuth name of `create`, still sent by older clients.
        || (scope == "create" && info.has_scope("post"));
    if granted {
        Ok(())
    } else {
        Err(AppError::InsufficientScope { scope })
    }
}

/// A file part of a multipart body.
struct FilePart {
    field: String,
    bytes: Vec<u8>,
}

/// A request body as text fields (form or multipart) or JSON, with any files.
enum Body {
    Fields(Vec<(String, String)>),
    Json(Value),
}

/// Reads the body by content type: JSON, form-encoded or multipart. Too large → 413, an
/// unknown type → 415, anything unreadable → 400.
async fn read_body(
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
async fn read_multipart(
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

/// An upload checked to be an image of an accepted type, named and hashed.
fn image(bytes: Vec<u8>) -> Result<media::Media, AppError> {
    if bytes.is_empty() {
        return Err(AppError::BadRequest("The uploaded file is empty.".into()));
    }
    let Some((content_type, extension)) = detect_image(&bytes) else {
        return Err(AppError::UnsupportedMediaType(
            "Only JPEG, PNG, GIF and WebP images can be uploaded (the type is read from the file's content)."
                .into(),
        ));
    };
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(AppError::internal)?;
    Ok(media::Media::new(
        format!("{}.{extension}", hex::encode(random)),
        content_type,
        bytes,
    ))
}

/// `POST /micropub`: create, update, delete or undelete.
pub async fn post(
    credentials: Credentials,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (body, files) = read_body(&state, &req, payload, credentials.authenticated()).await?;
    let request = match body {
        Body::Json(value) => micropub::from_json(value)?,
        Body::Fields(pairs) => micropub::from_form(pairs)?,
    };
    let info = credentials.finish(request.body_token).await?;
    require(&info, request.action.scope())?;
    if !files.is_empty() && !matches!(request.action, Action::Create(_)) {
        return Err(AppError::BadRequest(
            "Files can only be sent with a create request.".into(),
        ));
    }
    match request.action {
        Action::Create(create) => create_post(&state, create, files).await,
        Action::Update { url, update } => update_post(&state, &url, update).await,
        Action::Delete { url } => set_deleted(&state, &url, true).await,
        Action::Undelete { url } => set_deleted(&state, &url, false).await,
    }
}

async fn create_post(
    state: &AppState,
    mut create: Create,
    files: Vec<FilePart>,
) -> Result<HttpResponse, AppError> {
    let mut uploads = Vec::with_capacity(files.len());
    for file in files {
        let field = file.field.strip_suffix("[]").unwrap_or(&file.field);
        if field != "photo" {
            return Err(AppError::BadRequest(format!(
                "Only `photo` files can be uploaded with a post, not `{field}`."
            )));
        }
        let upload = image(file.bytes)?;
        let url = state
            .config
            .site
            .absolute(&format!("media/{}", upload.name));
        micropub::push(&mut create.properties, "photo", Value::String(url));
        uploads.push(upload);
    }
    let note = create.into_note()?;
    let now = OffsetDateTime::now_utc();
    let stored = db::run(&state.db, move |conn| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for upload in &uploads {
            media::insert(&tx, upload, now.unix_timestamp())?;
        }
        let note = notes::insert_in(&tx, &note, now)?;
        tx.commit()?;
        Ok(note)
    })
    .await?;
    state
        .metrics
        .event("note.created", event_meta(&stored, "micropub"));
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, state.config.site.absolute(&stored.path())))
        .finish())
}

/// The slug of one of our post URLs, or a 400 naming the URL.
fn slug_of(state: &AppState, url: &str) -> Result<Slug, AppError> {
    let not_ours = || AppError::BadRequest(format!("{url} is not a post on this site."));
    let path = url
        .strip_prefix(state.config.site.url.as_str())
        .ok_or_else(not_ours)?;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| not_ours())?;
    let slug = path
        .strip_prefix("notes/")
        .map(|s| s.trim_end_matches('/'))
        .ok_or_else(not_ours)?;
    Slug::parse(slug).map_err(|_| not_ours())
}

fn no_post(url: &str) -> AppError {
    AppError::BadRequest(format!("There is no post at {url}."))
}

async fn update_post(
    state: &AppState,
    url: &str,
    update: Update,
) -> Result<HttpResponse, AppError> {
    let slug = slug_of(state, url)?;
    let url = url.to_owned();
    let now = clock::unix_now();
    let stored = db::run(&state.db, move |conn| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let note = notes::by_slug(&tx, &slug)?.ok_or_else(|| no_post(&url))?;
        if note.is_deleted() {
            return Err(AppError::BadRequest(format!(
                "The post at {url} is deleted; undelete it before updating."
            )));
        }
        let mut properties = note.source_properties();
        micropub::apply(&mut properties, &update);
        let changed = Create {
            properties,
            slug: None,
        }
        .into_note()?;
        let stored = notes::rewrite(&tx, note.id, &changed, now)?.ok_or_else(|| no_post(&url))?;
        tx.commit()?;
        Ok(stored)
    })
    .await?;
    state
        .metrics
        .event("note.updated", event_meta(&stored, "micropub"));
    Ok(HttpResponse::NoContent().finish())
}

async fn set_deleted(state: &AppState, url: &str, delete: bool) -> Result<HttpResponse, AppError> {
    let slug = slug_of(state, url)?;
    let url = url.to_owned();
    let now = clock::unix_now();
    let note = db::run(&state.db, move |conn| {
        let note = notes::by_slug(conn, &slug)?.ok_or_else(|| no_post(&url))?;
        // Deleting a deleted post (or restoring a live one) changes nothing and succeeds.
        if note.is_deleted() != delete {
            notes::set_deleted(conn, note.id, delete.then_some(now), now)?;
        }
        Ok(note)
    })
    .await?;
    let event = if delete {
        "note.deleted"
    } else {
        "note.undeleted"
    };
    state.metrics.event(event, event_meta(&note, "micropub"));
    Ok(HttpResponse::NoContent().finish())
}

fn event_meta(note: &Note, via: &str) -> Map<String, Value> {
    let mut meta = Map::new();
    meta.insert("note_id".into(), note.id.into());
    meta.insert("slug".into(), note.slug.as_str().into());
    meta.insert("via".into(), via.into());
    meta
}

/// `GET /micropub?q=…`: `config`, `source` (one post or a list), `syndicate-to`, `category`.
pub async fn query(
    credentials: Credentials,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let pairs = query_pairs(&req);
    let param = |name: &str| first(&pairs, name);
    let query_token = param("access_token").map(str::to_owned);
    credentials.finish(query_token).await?;
    let site = &state.config.site;
    let body = match param("q") {
        Some("config") => json!({
            "media-endpoint": site.absolute("micropub/media"),
            "syndicate-to": [],
            "q": QUERIES,
            "post-types": [
                {"type": "note", "name": "Note"},
                {"type": "article", "name": "Article"},
                {"type": "photo", "name": "Photo"},
            ],
        }),
        Some("syndicate-to") => json!({ "syndicate-to": [] }),
        Some("category") => {
            let prefix = param("filter").unwrap_or_default().to_owned();
            let categories =
                db::run(&state.db, move |conn| Ok(notes::categories(conn, &prefix)?)).await?;
            json!({ "categories": categories })
        }
        Some("source") => match param("url") {
            Some(url) => {
                let wanted: Vec<&str> = pairs
                    .iter()
                    .filter(|(k, _)| k == "properties[]" || k == "properties")
                    .map(|(_, v)| v.as_str())
                    .collect();
                source(&state, url, &wanted).await?
            }
            None => {
                // Whole numbers of any size: past the end is simply an empty list.
                let number = |name: &str, default: u32| -> Result<u32, AppError> {
                    match param(name) {
                        None => Ok(default),
                        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                            Ok(v.parse().unwrap_or(u32::MAX))
                        }
                        Some(_) => Err(AppError::BadRequest(format!(
                            "`{name}` must be a whole number (0 or more)."
                        ))),
                    }
                };
                let limit = number("limit", 20)?.min(100);
                let offset = number("offset", 0)?;
                let page = db::run(&state.db, move |conn| {
                    Ok(notes::newest(conn, limit, offset)?)
                })
                .await?;
                let items: Vec<Value> = page
                    .iter()
                    .map(|note| {
                        let mut properties = note.source_properties();
                        properties.insert("url".into(), json!([site.absolute(&note.path())]));
                        json!({ "type": ["h-entry"], "properties": properties })
                    })
                    .collect();
                json!({ "items": items })
            }
        },
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "Unknown query `q={other}`; this endpoint answers {}.",
                QUERIES.join(", ")
            )));
        }
        None => {
            return Err(AppError::BadRequest(
                "A GET to the Micropub endpoint needs a query such as `q=config`.".into(),
            ));
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}

/// `q=source&url=…`: the post's properties, all or the `properties[]` named.
async fn source(state: &AppState, url: &str, wanted: &[&str]) -> Result<Value, AppError> {
    let slug = slug_of(state, url)?;
    let owned_url = url.to_owned();
    let note = db::run(&state.db, move |conn| {
        notes::by_slug(conn, &slug)?.ok_or_else(|| no_post(&owned_url))
    })
    .await?;
    if note.is_deleted() {
        return Err(AppError::BadRequest(format!(
            "The post at {url} is deleted."
        )));
    }
    let properties = note.source_properties();
    if wanted.is_empty() {
        return Ok(json!({ "type": ["h-entry"], "properties": properties }));
    }
    let selected: Map<String, Value> = properties
        .into_iter()
        .filter(|(k, _)| wanted.contains(&k.as_str()))
        .collect();
    Ok(json!({ "properties": selected }))
}

/// `POST /micropub/media`: one image in the multipart part `file`; 201 with its URL.
pub async fn upload(
    credentials: Credentials,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let is_multipart = req
        .mime_type()
        .ok()
        .flatten()
        .is_some_and(|m| m.essence_str().eq_ignore_ascii_case("multipart/form-data"));
    if !is_multipart {
        return Err(AppError::UnsupportedMediaType(
            "The media endpoint reads multipart/form-data with the file in the part `file`.".into(),
        ));
    }
    let (fields, files) =
        read_multipart(&state, &req, payload, credentials.authenticated()).await?;
    let mut body_tokens = fields.into_iter().filter(|(k, _)| k == "access_token");
    let body_token = body_tokens.next().map(|(_, v)| v);
    if body_tokens.next().is_some() {
        return Err(AppError::BadRequest(
            "`access_token` may be given only once.".into(),
        ));
    }
    let info = credentials.finish(body_token).await?;
    require(&info, "media")?;
    let mut files = files.into_iter().filter(|f| f.field == "file");
    let (Some(file), None) = (files.next(), files.next()) else {
        return Err(AppError::BadRequest(
            "Send exactly one file, in the multipart part named `file`.".into(),
        ));
    };
    let upload = image(file.bytes)?;
    let location = state
        .config
        .site
        .absolute(&format!("media/{}", upload.name));
    let (name, size) = (upload.name.clone(), upload.data.len());
    let now = clock::unix_now();
    db::run(&state.db, move |conn| {
        Ok(media::insert(conn, &upload, now)?)
    })
    .await?;
    let mut meta = Map::new();
    meta.insert("name".into(), name.into());
    meta.insert("bytes".into(), size.into());
    state.metrics.event("media.uploaded", meta);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location.clone()))
        .json(json!({ "url": location })))
}

/// `GET /micropub/media?q=…`: the media endpoint's own `q=config`.
pub async fn media_query(
    credentials: Credentials,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let pairs = query_pairs(&req);
    let query_token = first(&pairs, "access_token").map(str::to_owned);
    let info = credentials.finish(query_token).await?;
    require(&info, "media")?;
    let body = match first(&pairs, "q") {
        Some("config") => json!({ "q": ["config", "last"] }),
        // The newest upload (Micropub extension), so a client can find what it just sent.
        Some("last") => {
            let last = db::run(&state.db, move |conn| Ok(media::last_name(conn)?)).await?;
            match last {
                Some(name) => {
                    json!({ "url": state.config.site.absolute(&format!("media/{name}")) })
                }
                None => json!({}),
            }
        }
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "Unknown query `q={other}`; the media endpoint answers config and last."
            )));
        }
        None => {
            return Err(AppError::BadRequest(
                "A GET to the media endpoint needs a query such as `q=config`.".into(),
            ));
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}

/// `GET /media/{name}`: an upload, sized, typed and cached for a year (names never change).
pub async fn serve(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let name = name.into_inner();
    if !is_media_name(&name) {
        return Err(AppError::NotFound);
    }
    let file = db::run(&state.db, move |conn| Ok(media::by_name(conn, &name)?))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(super::files::stored_file(
        &req,
        &format!("\"{}\"", file.sha256),
        "public, max-age=31536000, immutable",
        &file.content_type,
        web::Bytes::from(file.data),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(scopes: &[&str]) -> TokenInfo {
        TokenInfo {
            me: "https://me.example/".into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            client_id: None,
        }
    }

    #[test]
    fn scopes_cover_their_actions_only() {
        assert!(require(&info(&["create"]), "create").is_ok());
        assert!(
            require(&info(&["create"]), "media").is_ok(),
            "create may upload"
        );
        assert!(require(&info(&["post"]), "create").is_ok(), "legacy scope");
        assert!(require(&info(&["media"]), "create").is_err());
        assert!(require(&info(&["create"]), "update").is_err());
        assert!(require(&info(&["delete"]), "undelete").is_err());
        assert!(require(&info(&[]), "delete").is_err());
    }

    #[test]
    fn images_are_detected_by_content() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        assert_eq!(image(png).unwrap().content_type, "image/png");
        assert!(image(b"GIF89a....".to_vec()).is_ok());
        assert!(image(b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec()).is_err());
        assert!(image(Vec::new()).is_err());
    }
}

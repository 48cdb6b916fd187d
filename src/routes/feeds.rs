//! Feeds: `/feed.rss`, `/feed.xml` (RSS, for old subscribers), `/feed.atom`, `/feed.json`,
//! `/feed` (chosen by `Accept`) and `/opml.xml`.
//!
//! Every answer carries a strong ETag (format, site version and process) and Last-Modified
//! (the last note change); `If-None-Match` / `If-Modified-Since` get a 304 with no body before
//! any feed is generated or looked up. Generated feeds are cached per site version.

use std::time::{Duration, Instant, UNIX_EPOCH};

use actix_web::http::header::{self, HttpDate, IfModifiedSince};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::clock;
use crate::db::{self, site};
use crate::error::AppError;
use crate::feeds::cache::Cached;
use crate::feeds::negotiate::{self, AVAILABLE};
use crate::feeds::{self, FeedInput, Format};
use crate::monitoring::OpType;
use crate::state::AppState;

fn http_date(unix: i64) -> HttpDate {
    HttpDate::from(UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap_or(0)))
}

/// Whether the request's validators say the client already has `etag` / `last_modified`.
fn not_modified(req: &HttpRequest, etag: &str, last_modified: i64) -> bool {
    if let Some(value) = req.headers().get(header::IF_NONE_MATCH) {
        let Ok(value) = value.to_str() else {
            return false;
        };
        return super::files::none_match(value, etag);
    }
    match req.get_header::<IfModifiedSince>() {
        Some(IfModifiedSince(since)) => {
            let since = std::time::SystemTime::from(since);
            let modified =
                UNIX_EPOCH + Duration::from_secs(u64::try_from(last_modified).unwrap_or(0));
            modified <= since
        }
        None => false,
    }
}

/// `rss`, `atom` or `json`: the name used in metrics.
fn short(format: Format) -> &'static str {
    format.path().trim_start_matches("feed.")
}

/// What happened to a feed request, for the metrics.
#[derive(Clone, Copy)]
enum Event {
    Request,
    NotModified,
    CacheHit,
    CacheMiss,
}

/// The metric name of an event, e.g. `feed.cache_hit.atom` (static: no allocation per request).
fn event(format: Format, event: Event) -> &'static str {
    use Event::*;
    match (format, event) {
        (Format::Rss, Request) => "feed.request.rss",
        (Format::Rss, NotModified) => "feed.not_modified.rss",
        (Format::Rss, CacheHit) => "feed.cache_hit.rss",
        (Format::Rss, CacheMiss) => "feed.cache_miss.rss",
        (Format::Atom, Request) => "feed.request.atom",
        (Format::Atom, NotModified) => "feed.not_modified.atom",
        (Format::Atom, CacheHit) => "feed.cache_hit.atom",
        (Format::Atom, CacheMiss) => "feed.cache_miss.atom",
        (Format::Json, Request) => "feed.request.json",
        (Format::Json, NotModified) => "feed.not_modified.json",
        (Format::Json, CacheHit) => "feed.cache_hit.json",
        (Format::Json, CacheMiss) => "feed.cache_miss.json",
    }
}

fn tally(state: &AppState, name: &str) {
    state.metrics.tally(name);
}

/// Serves one feed format, labelled `content_type`.
async fn serve(
    state: &AppState,
    req: &HttpRequest,
    format: Format,
    content_type: &'static str,
) -> Result<HttpResponse, AppError> {
    // One primary-key lookup: read on this worker when a connection is idle, so a cache hit or a
    // 304 does not spend most of its time hopping to the blocking pool.
    let current = db::run_quick(&state.db, |conn| Ok(site::version(conn)?)).await?;
    // The label is part of the representation: an alias-typed answer has its own ETag.
    let label = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .replace('/', "-");
    let etag = format!("\"{label}-{}-{}\"", current.version, state.boot_id);
    // A restart may change the settings a feed is made from (site name, item count): never
    // claim the feed is older than this process.
    let last_modified = current.changed_at.max(state.started_unix);
    // A change within the current second makes a date validator unreliable (a second change in
    // the same second would carry the same date): then send no Last-Modified, only the ETag.
    let date_is_reliable = last_modified < clock::unix_now();
    let max_age = state.config.feed.cache_seconds;
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")));
    if date_is_reliable {
        response.insert_header(header::LastModified(http_date(last_modified)));
    }
    tally(state, event(format, Event::Request));
    if not_modified(req, &etag, last_modified) {
        tally(state, event(format, Event::NotModified));
        let mut not_modified = HttpResponse::NotModified();
        not_modified
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")));
        if date_is_reliable {
            not_modified.insert_header(header::LastModified(http_date(last_modified)));
        }
        return Ok(not_modified.finish());
    }
    let body = match state.feed_cache.get(format, current.version) {
        Some(cached) => {
            tally(state, event(format, Event::CacheHit));
            cached.body
        }
        None => {
            tally(state, event(format, Event::CacheMiss));
            let limit = state.config.feed.max_items;
            let site_config = state.config.site.clone();
            let (version, notes, media) = db::run(&state.db, move |conn| {
                let (version, notes) = site::feed_snapshot(conn, limit)?;
                // Uploads never change once stored: their type and size give the enclosures.
                let names = feeds::photos::upload_names(&site_config, &notes);
                let media = db::media::infos(conn, &names)?;
                Ok((version, notes, media))
            })
            .await?;
            let start = Instant::now();
            let input = FeedInput {
                site: &state.config.site,
                notes: &notes,
                media: &media,
                updated: version.changed_at,
            };
            let body = web::Bytes::from(feeds::render(format, &input));
            state.metrics.record(
                OpType::Render,
                &format!("feed.{}", short(format)),
                start.elapsed(),
                false,
                false,
                || crate::monitoring::Metadata::Fields(Default::default()),
            );
            if version.version == current.version {
                state.feed_cache.put(
                    format,
                    Cached {
                        body: body.clone(),
                        version: version.version,
                    },
                );
            }
            body
        }
    };
    Ok(response.content_type(content_type).body(body))
}

/// `GET /feed.rss` and `/feed.xml`.
pub async fn rss(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    serve(&state, &req, Format::Rss, Format::Rss.content_type()).await
}

/// `GET /feed.atom`.
pub async fn atom(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    serve(&state, &req, Format::Atom, Format::Atom.content_type()).await
}

/// `GET /feed.json`.
pub async fn json(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    serve(&state, &req, Format::Json, Format::Json.content_type()).await
}

/// `GET /feed`: the format the `Accept` header prefers (RSS when nothing is preferred); 406
/// listing the available types when nothing offered is acceptable.
pub async fn negotiated(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    match negotiate::choose_type(accept) {
        Ok((format, content_type)) => {
            let mut res = serve(&state, &req, format, content_type).await?;
            res.headers_mut()
                .insert(header::VARY, header::HeaderValue::from_static("Accept"));
            Ok(res)
        }
        Err(_) => Ok(HttpResponse::NotAcceptable()
            .insert_header((header::VARY, "Accept"))
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "None of the feed formats offered here is acceptable to your client.\n\
                 Available types: {}\n\
                 Or fetch /feed.rss, /feed.atom or /feed.json directly.\n",
                AVAILABLE.join(", ")
            ))),
    }
}

/// `GET /opml.xml`: the three feeds as an OPML 2.0 outline.
pub async fn opml(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let body = feeds::opml::opml(&state.config.site);
    let etag = format!("\"opml-{}\"", &crate::secret::hash_token(&body)[..16]);
    let modified = state.started_unix;
    let max_age = state.config.feed.cache_seconds;
    let unchanged = not_modified(&req, &etag, modified);
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header(header::LastModified(http_date(modified)))
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")));
    if unchanged {
        return response.finish();
    }
    response
        .content_type("text/x-opml; charset=utf-8")
        .body(body)
}

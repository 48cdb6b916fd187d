//! The HTTP middleware: request id, access log line, and one record per request.
//!
//! The response size is taken only from the body's *declared* size (`BodySize`): this
//! middleware never reads, buffers or converts a body, so a streamed or compressed body passes
//! through untouched (StarPunk 1.1.2 read streaming bodies here and answered 500 for every
//! static file). It is registered outermost, outside compression, so it sees the handler's own
//! sized bodies.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use super::Metrics;
use super::{HttpMeta, Metadata, request_id};
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, web};

/// The operation name and route pattern of a (method, path).
type RouteNames = (Rc<str>, Rc<str>);

/// Distinct (method, path) pairs remembered per worker thread before the cache starts over.
const ROUTE_CACHE_MAX: usize = 2048;

thread_local! {
    static ROUTES: RefCell<HashMap<(Method, String), RouteNames>> = RefCell::new(HashMap::new());
}

/// The operation name (`GET /notes/{slug}`) and route pattern of a request. Finding the
/// pattern walks the whole route table, so results are cached per worker thread by path.
fn route_name(req: &HttpRequest, method: &Method) -> (String, String) {
    let key = (method.clone(), req.path().to_owned());
    let cached = ROUTES.with(|cache| cache.borrow().get(&key).cloned());
    let (name, route) = cached.unwrap_or_else(|| {
        let route: Rc<str> = req
            .match_pattern()
            .unwrap_or_else(|| "(unmatched)".to_owned())
            .into();
        let name: Rc<str> = format!("{method} {route}").into();
        ROUTES.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.len() >= ROUTE_CACHE_MAX {
                cache.clear();
            }
            cache.insert(key, (name.clone(), route.clone()));
        });
        (name, route)
    });
    (name.to_string(), route.to_string())
}

/// The request id of a request, stored in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Middleware: see the module documentation.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(request_id::HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| request_id::is_safe(v))
        .map_or_else(request_id::generate, str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let current = request_id::Current {
        id: id.clone(),
        tally: Arc::default(),
    };
    let tally = current.tally.clone();
    request_id::scope(current, observe(req, next, id, tally)).await
}

/// The measured part of [`track`], run with the request id in scope so every log line of the
/// request (the access line included) carries it.
async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    id: String,
    tally: Arc<request_id::Tally>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let start = Instant::now();
    let metrics = req
        .app_data::<web::Data<Metrics>>()
        .map(|m| m.clone().into_inner())
        .filter(|m| m.enabled());
    let method = req.method().clone();
    let path = req.path().to_owned();
    let request_size = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());

    // Handler errors arrive here as responses (the error pages middleware renders them), so
    // they get their id and record too. The request must not be cloned before the call: the
    // router needs to own it.
    let mut res = next.call(req).await?.map_into_boxed_body();

    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(request_id::HEADER), value);
    }
    let status = res.status();
    let elapsed = start.elapsed();
    let response_size = match res.response().body().size() {
        BodySize::Sized(n) => Some(n),
        BodySize::None => Some(0),
        BodySize::Stream => None,
    };
    log::info!(
        target: "starpunk::access",
        "{method} {path} {} {:.1}ms",
        status.as_u16(),
        elapsed.as_secs_f64() * 1000.0
    );
    if let Some(metrics) = metrics {
        let (name, route) = route_name(res.request(), &method);
        let work = tally.work();
        let view = page_view(&res, &route);
        let meta = || {
            Metadata::Http(HttpMeta {
                request_id: id,
                method: method.as_str().to_owned(),
                route,
                status: status.as_u16(),
                request_size,
                response_size,
                statements: work.statements,
                database_ms: work.database_us as f64 / 1000.0,
            })
        };
        match view {
            Some(bot) => {
                metrics.record_page_view(&name, elapsed, status.as_u16(), work, (&path, bot), meta)
            }
            None => metrics.record_request(&name, elapsed, status.as_u16(), work, meta),
        };
    }
    Ok(res)
}

/// Route prefixes that are never reader pages.
const NOT_PAGES: [&str; 4] = ["/admin", "/auth", "/dev", "/metrics"];

/// The owner's session cookie (`crate::auth::SESSION_COOKIE`, a layer above): its presence
/// marks the owner's own browsing, which is not counted as a view.
const SESSION_COOKIE: &str = "starpunk_session=";

/// Whether a response is a reader's view of a page: a `GET` answered `200` with HTML, on a
/// public route, from a browser without the owner's session cookie. `Some(true)` when the user
/// agent is a crawler or another bot. Nothing about the visitor is kept.
fn page_view(res: &ServiceResponse<BoxBody>, route: &str) -> Option<bool> {
    let req = res.request();
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let page = req.method() == Method::GET
        && res.status() == actix_web::http::StatusCode::OK
        && html
        && route != "(unmatched)"
        && !NOT_PAGES.iter().any(|p| route.starts_with(p))
        && !req.headers().get_all(header::COOKIE).any(|v| {
            v.as_bytes()
                .windows(SESSION_COOKIE.len())
                .any(|w| w == SESSION_COOKIE.as_bytes())
        });
    page.then(|| {
        req.headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .is_none_or(is_bot)
    })
}

/// Words in a user agent that mark a crawler, a feed reader's fetcher or a script.
const BOT_MARKERS: [&str; 14] = [
    "bot", "crawl", "spider", "slurp", "fetch", "preview", "monitor", "curl", "wget", "python",
    "go-http", "java/", "headless", "scrapy",
];

/// Whether a user agent is a bot: it names itself one (`Googlebot`, `bingbot`, `…crawler`),
/// is a tool or library (`curl`, `python-requests`) or is empty.
pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    ua.trim().is_empty() || BOT_MARKERS.iter().any(|m| ua.contains(m))
}

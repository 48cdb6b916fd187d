//! `/admin/metrics` (dashboard and JSON, owner only) and `/metrics` (Prometheus, bearer token).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use hmac::Mac;
use serde::Deserialize;

use crate::auth::Owner;
use crate::error::AppError;
use crate::monitoring::health::disk_space;
use crate::monitoring::report::{PoolGauges, Report, StorageGauges};
use crate::monitoring::{self, prometheus};
use crate::state::AppState;
use crate::views;

/// `?format=json`, and the page's choices: `?window=15m|1h|6h|24h`,
/// `?type=http|database|render|business`, `?request=<id>`.
#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    format: Option<String>,
    window: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    request: Option<String>,
}

impl DashboardQuery {
    /// The page's choices, or a 400 that names the parameter.
    fn options(&self) -> Result<views::metrics::Options, AppError> {
        let bad = |what: &str| AppError::BadRequest(what.to_owned());
        let window = match self.window.as_deref() {
            None | Some("") => views::metrics::Window::default(),
            Some(w) => views::metrics::Window::parse(w)
                .ok_or_else(|| bad("`window` must be 15m, 1h, 6h or 24h."))?,
        };
        let kind = match self.kind.as_deref() {
            None | Some("") => None,
            Some(t) => Some(
                views::metrics::parse_type(t)
                    .ok_or_else(|| bad("`type` must be http, database, render or business."))?,
            ),
        };
        let request = match self.request.as_deref() {
            None | Some("") => None,
            Some(id) if monitoring::request_id::is_safe(id) => Some(id.to_owned()),
            Some(_) => {
                return Err(bad(
                    "`request` must be a request id (letters, digits, . _ -).",
                ));
            }
        };
        Ok(views::metrics::Options {
            window,
            kind,
            request,
        })
    }
}

/// The pool's gauges now.
pub fn pool_gauges(state: &AppState) -> PoolGauges {
    let pool = state.db.pool.state();
    PoolGauges {
        size: state.config.database.pool_size,
        connections: pool.connections,
        idle: pool.idle_connections,
        in_use: pool.connections.saturating_sub(pool.idle_connections),
    }
}

/// The data directory's sizes and free space, and whether writes are failing now (reads file
/// metadata: call it off the async workers).
pub fn storage_gauges(state: &AppState) -> StorageGauges {
    let database = &state.config.database.path;
    let mut wal = database.clone().into_os_string();
    wal.push("-wal");
    let size = |path: &std::path::Path| std::fs::metadata(path).ok().map(|m| m.len());
    StorageGauges {
        database_bytes: size(database),
        wal_bytes: size(std::path::Path::new(&wal)).or(Some(0)),
        disk_free_bytes: disk_space(&state.config.data_path).map(|d| d.free_bytes),
        failing: state.db.storage.incidents().0.is_some(),
    }
}

/// The metrics report now.
pub async fn report(state: &web::Data<AppState>) -> Report {
    let for_storage = state.clone();
    let storage = web::block(move || storage_gauges(&for_storage))
        .await
        .unwrap_or_default();
    Report::build(
        &state.metrics,
        state.metrics.snapshot(),
        pool_gauges(state),
        storage,
    )
}

/// `GET /admin/metrics` and `/admin/metrics-dashboard`: the page, or JSON for
/// `Accept: application/json` / `?format=json` (the same document whatever the page's choices).
pub async fn dashboard(
    state: web::Data<AppState>,
    owner: Owner,
    req: HttpRequest,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, AppError> {
    let report = report(&state).await;
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let json = query.format.as_deref() == Some("json")
        || (accept.contains("application/json") && !accept.contains("text/html"));
    if json {
        return Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(report));
    }
    let options = query.options()?;
    let ctx = state.page(Some(&owner.csrf_token));
    let html = monitoring::render(&state.metrics, "admin.metrics", || {
        views::metrics::dashboard(&ctx, &report, &options)
    });
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Accept"))
        .body(html))
}

/// `GET /metrics`: Prometheus text, only with `METRICS_PROMETHEUS_TOKEN` and that bearer
/// token; 404 otherwise, so the endpoint's existence is not revealed.
pub async fn prometheus(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let Some(expected) = &state.config.metrics.prometheus_token else {
        return Err(AppError::NotFound);
    };
    if !matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    ) {
        return Err(AppError::NotFound);
    }
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !same_secret(given, expected.expose()) {
        return Err(AppError::NotFound);
    }
    let report = report(&state).await;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(prometheus::render(&report)))
}

/// Constant-time comparison (through HMAC verification) of two secrets.
fn same_secret(given: &str, expected: &str) -> bool {
    let key = b"starpunk-token-compare";
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(expected.as_bytes());
    let tag = mac.finalize().into_bytes();
    let mut check = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    check.update(given.as_bytes());
    check.verify_slice(&tag).is_ok()
}

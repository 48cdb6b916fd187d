//! Health: `GET /health` (public, cheap), `GET /health?detailed=true` (owner only) and
//! `GET /admin/health` (the details as a page).

use std::time::Instant;

use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use actix_web::FromRequest;

use crate::auth::Owner;
use crate::db::{self, migrate};
use crate::indieauth::Credentials;
use crate::monitoring;
use crate::monitoring::health::{Details, Memory, disk_space, probe_writable};
use crate::state::AppState;
use crate::views;

/// The version compiled into this binary.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

struct Checks {
    failed: serde_json::Map<String, serde_json::Value>,
    database_latency_ms: Option<f64>,
    migrations: Vec<String>,
}

async fn checks(state: &AppState, detailed: bool) -> Checks {
    let start = Instant::now();
    let database = db::run(&state.db, move |conn| {
        if detailed {
            Ok(migrate::applied_migrations(conn)?)
        } else {
            conn.query_row("SELECT count(*) FROM schema_migrations", [], |r| {
                r.get::<_, i64>(0)
            })?;
            Ok(Vec::new())
        }
    })
    .await;
    let latency = start.elapsed().as_secs_f64() * 1000.0;
    let data_path = state.config.data_path.clone();
    let data_dir = web::block(move || probe_writable(&data_path)).await;
    let mut failed = serde_json::Map::new();
    let mut migrations = Vec::new();
    let mut database_latency_ms = None;
    match database {
        Ok(applied) => {
            migrations = applied;
            database_latency_ms = Some(latency);
        }
        Err(e) => {
            log::warn!("health: database check failed: {e}");
            failed.insert("database".into(), json!("the database does not answer"));
        }
    }
    match data_dir {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            log::warn!("health: data directory is not writable: {e}");
            failed.insert(
                "data_dir".into(),
                json!("the data directory is not writable"),
            );
        }
        Err(e) => {
            log::warn!("health: data directory check did not run: {e}");
            failed.insert(
                "data_dir".into(),
                json!("the data directory check did not run"),
            );
        }
    }
    Checks {
        failed,
        database_latency_ms,
        migrations,
    }
}

/// The detailed health report.
pub async fn details(state: &AppState) -> Details {
    let checks = checks(state, true).await;
    let (storage_incident, last_storage_incident) = state.db.storage.incidents();
    Details {
        status: if checks.failed.is_empty() {
            "ok"
        } else {
            "error"
        },
        version: VERSION,
        uptime_seconds: state.started.elapsed().as_secs(),
        failed: checks.failed,
        database_latency_ms: checks.database_latency_ms,
        pool: super::metrics::pool_gauges(state),
        migrations_applied: checks.migrations,
        migrations_known: migrate::known_migrations().len(),
        disk: disk_space(&state.config.data_path),
        memory: monitoring::memory::read().map(|(rss, hwm)| Memory {
            rss_bytes: rss,
            peak_rss_bytes: hwm,
            sqlite_bytes: monitoring::health::sqlite_memory(),
        }),
        data_path: state.config.data_path.display().to_string(),
        metrics_enabled: state.metrics.enabled(),
        storage_incident,
        last_storage_incident,
    }
}

/// `GET /health`: 200 `{"status":"ok","version":…}` when the database answers and the data
/// directory is writable, 503 naming the failed checks otherwise. With `?detailed=true` the
/// owner (session or a valid token) gets the details; anyone else gets the basic answer.
pub async fn health(
    state: web::Data<AppState>,
    owner: Option<Owner>,
    req: HttpRequest,
) -> HttpResponse {
    // Read leniently: a probe's odd query string must never turn a health check into a 400.
    let asked = req
        .query_string()
        .split('&')
        .any(|kv| kv == "detailed=true");
    let detailed = asked && (owner.is_some() || owner_token(&req).await);
    let mut response = if detailed {
        let details = details(&state).await;
        if details.failed.is_empty() {
            HttpResponse::Ok().json(details)
        } else {
            HttpResponse::ServiceUnavailable().json(details)
        }
    } else {
        let checks = checks(&state, false).await;
        if checks.failed.is_empty() {
            HttpResponse::Ok().json(json!({"status": "ok", "version": VERSION}))
        } else {
            HttpResponse::ServiceUnavailable().json(json!({
                "status": "error",
                "version": VERSION,
                "failed": checks.failed,
            }))
        }
    };
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Whether the request carries a Bearer token of the owner's (verified like Micropub's; an
/// unreachable token endpoint means no).
async fn owner_token(req: &HttpRequest) -> bool {
    Credentials::extract(req)
        .await
        .is_ok_and(|credentials| credentials.authenticated())
}

/// `GET /admin/health`: the details as a page.
pub async fn page(state: web::Data<AppState>, owner: Owner) -> HttpResponse {
    let details = details(&state).await;
    let ctx = state.page(Some(&owner.csrf_token));
    let html = monitoring::render(&state.metrics, "admin.health", || {
        views::health::page(&ctx, &details)
    });
    let mut builder = if details.failed.is_empty() {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    builder
        .content_type("text/html; charset=utf-8")
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(html)
}

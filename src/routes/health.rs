//! `GET /health`: cheap liveness for load balancers and the container's health check.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::db;
use crate::startup::AppState;

/// The version compiled into this binary.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// 200 `{"status":"ok","version":…}` when the database answers and the data directory is
/// writable; 503 naming the failed checks otherwise.
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let database = db::run(&state.pool, |conn| {
        Ok(
            conn.query_row("SELECT count(*) FROM schema_migrations", [], |r| {
                r.get::<_, i64>(0)
            })?,
        )
    })
    .await;
    let data_path = state.config.data_path.clone();
    let data_dir = web::block(move || probe_writable(&data_path)).await;
    let mut failures = serde_json::Map::new();
    if let Err(e) = database {
        log::warn!("health: database check failed: {e}");
        failures.insert("database".into(), json!("the database does not answer"));
    }
    match data_dir {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            log::warn!("health: data directory is not writable: {e}");
            failures.insert(
                "data_dir".into(),
                json!("the data directory is not writable"),
            );
        }
        Err(e) => {
            log::warn!("health: data directory check did not run: {e}");
            failures.insert(
                "data_dir".into(),
                json!("the data directory check did not run"),
            );
        }
    }
    let builder = if failures.is_empty() {
        HttpResponse::Ok().json(json!({"status": "ok", "version": VERSION}))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({
            "status": "error",
            "version": VERSION,
            "failed": failures,
        }))
    };
    let mut response = builder;
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    response
}

/// Creates, writes and removes a small file in the data directory.
fn probe_writable(dir: &std::path::Path) -> std::io::Result<()> {
    let probe = dir.join(format!(
        ".health-{}-{:016x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::write(&probe, b"ok")?;
    std::fs::remove_file(&probe)
}

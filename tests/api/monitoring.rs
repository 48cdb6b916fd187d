//! Monitoring through HTTP: the two StarPunk 1.1.2 release bugs pinned, the dashboard, JSON,
//! Prometheus, request ids, health tiers and the off switch.

use std::net::TcpListener;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use reqwest::StatusCode;
use serde_json::Value;
use starpunk::assets::Assets;
use starpunk::monitoring;

use crate::helpers::{TestApp, client, location, select, spawn_app, spawn_app_with, texts};

async fn metrics_json(app: &TestApp) -> Value {
    let res = app.get("/admin/metrics?format=json").await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn http_samples<'a>(report: &'a Value, route: &str) -> Vec<&'a Value> {
    report["recent"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["type"] == "http" && s["metadata"]["route"] == route)
        .collect()
}

/// Seed bug 1 (v1.1.2-rc.1): the metrics middleware read streaming bodies and every static
/// file answered 500. Every embedded asset must pass through the middleware untouched and be
/// recorded with its declared size.
#[tokio::test]
async fn seed_bug_1_every_static_asset_is_served_and_recorded_with_its_size() {
    let app = spawn_app_with(&[("DEV_MODE", "true"), ("METRICS_SAMPLING_RATE", "1.0")]).await;
    let files: Vec<String> = Assets::iter().map(|f| f.to_string()).collect();
    for file in &files {
        let res = app.get(&format!("/static/{file}")).await;
        assert_eq!(res.status(), StatusCode::OK, "{file}");
        assert!(res.headers().contains_key("x-request-id"), "{file}");
        let body = res.bytes().await.unwrap();
        assert_eq!(&body[..], &Assets::get(file).unwrap().data[..], "{file}");
    }
    app.login().await;
    let report = metrics_json(&app).await;
    let samples = http_samples(&report, "/static/{path:.*}");
    assert_eq!(samples.len(), files.len());
    for file in &files {
        let size = Assets::get(file).unwrap().data.len();
        assert!(
            samples
                .iter()
                .any(|s| s["metadata"]["response_size"] == size),
            "{file} recorded with its size {size}"
        );
    }
}

/// Seed bug 1, the other shapes: a large sized body and a streamed body through the same
/// middleware on a real server. The streamed one is recorded with an unknown (null) size.
#[tokio::test]
async fn seed_bug_1_large_and_streamed_bodies_pass_through_untouched() {
    let app = spawn_app().await;
    let state = app.state.clone();
    let large = vec![b'x'; 4 * 1024 * 1024];
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let body = large.clone();
    let server = HttpServer::new(move || {
        let body = body.clone();
        App::new()
            // The middleware reads the metrics store from the app data.
            .app_data(web::Data::from(state.metrics.clone()))
            .wrap(from_fn(monitoring::http::track))
            .route(
                "/large",
                web::get().to(move || {
                    let body = body.clone();
                    async move { HttpResponse::Ok().body(body) }
                }),
            )
            .route(
                "/stream",
                web::get().to(|| async {
                    let chunks = (0..100).map(|i| {
                        Ok::<_, std::io::Error>(web::Bytes::from(format!("chunk {i:03}\n")))
                    });
                    HttpResponse::Ok().streaming(futures_util::stream::iter(chunks))
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);

    let res = client()
        .get(format!("http://127.0.0.1:{port}/large"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(res.bytes().await.unwrap().len(), large.len());
    let res = client()
        .get(format!("http://127.0.0.1:{port}/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert_eq!(text.lines().count(), 100);
    assert!(text.ends_with("chunk 099\n"));

    app.login().await;
    let report = metrics_json(&app).await;
    let large_sample = http_samples(&report, "/large");
    assert_eq!(large_sample[0]["metadata"]["response_size"], large.len());
    let stream_sample = http_samples(&report, "/stream");
    assert_eq!(stream_sample.len(), 1);
    assert!(
        stream_sample[0]["metadata"]["response_size"].is_null(),
        "streamed: unknown size"
    );
}

/// Seed bug 2 (v1.1.2-rc.1): the sampling rate was set under one key and read under another,
/// so database metrics read zero. With the default configuration, a few requests must give
/// non-zero HTTP and database counts.
#[tokio::test]
async fn seed_bug_2_default_config_counts_http_and_database_operations() {
    let app = spawn_app().await;
    let csrf = app.login().await;
    app.create_note(&csrf, "Counted note", true).await;
    for _ in 0..3 {
        assert_eq!(app.get("/").await.status(), StatusCode::OK);
    }
    let report = metrics_json(&app).await;
    assert!(
        report["totals"]["http"]["count"].as_u64().unwrap() >= 5,
        "{}",
        report["totals"]
    );
    assert!(
        report["totals"]["database"]["count"].as_u64().unwrap() >= 5,
        "{}",
        report["totals"]
    );
    assert!(report["totals"]["render"]["count"].as_u64().unwrap() >= 3);
    let names: Vec<&str> = report["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"GET /"), "{names:?}");
    assert!(names.contains(&"select notes"), "{names:?}");
    assert!(names.contains(&"insert notes"), "{names:?}");
    assert!(names.contains(&"note.created"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.contains("counted-note")),
        "routes are recorded by pattern, never by raw path"
    );
    assert!(
        report["per_minute"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["http"].as_u64() > Some(0))
    );
    assert!(report["pool"]["checkouts"].as_u64().unwrap() > 0);
}

/// Seed bug 2, the sampling half: at rate 0 the aggregates still count everything while the
/// sample buffer holds only forced entries (business events, errors, slow statements).
#[tokio::test]
async fn seed_bug_2_rate_zero_still_counts_everything_but_samples_nothing_unforced() {
    let app = spawn_app_with(&[("DEV_MODE", "true"), ("METRICS_SAMPLING_RATE", "0.0")]).await;
    let csrf = app.login().await;
    app.create_note(&csrf, "Quiet note", true).await;
    for _ in 0..5 {
        app.get("/").await;
    }
    let report = metrics_json(&app).await;
    assert!(report["totals"]["http"]["count"].as_u64().unwrap() >= 7);
    assert!(report["totals"]["database"]["count"].as_u64().unwrap() >= 7);
    let recent = report["recent"].as_array().unwrap();
    assert!(!recent.is_empty());
    assert!(
        recent.iter().all(|s| s["type"] == "business"),
        "only forced samples at rate 0: {recent:?}"
    );
}

#[tokio::test]
async fn a_slow_statement_is_recorded_and_listed_even_at_rate_zero() {
    let app = spawn_app_with(&[
        ("DEV_MODE", "true"),
        ("METRICS_SAMPLING_RATE", "0"),
        ("METRICS_SLOW_QUERY_THRESHOLD", "0.02"),
    ])
    .await;
    app.login().await;
    let state = app.state.clone();
    // A genuinely slow statement on a pooled connection: no wrapper, only the pool's hook.
    tokio::task::spawn_blocking(move || {
        let _store = monitoring::db::enter(Some(state.metrics.clone()));
        let conn = state.db.pool.get().unwrap();
        let n: i64 = conn
            .query_row(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) \
                 SELECT count(*) FROM c",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1_000_000);
    })
    .await
    .unwrap();
    let report = metrics_json(&app).await;
    // The migrations may have been slow too on a busy machine: look for ours.
    let slow: Vec<&Value> = report["slow_queries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["metadata"]["sql"]
                .as_str()
                .unwrap()
                .starts_with("WITH RECURSIVE")
        })
        .collect();
    assert_eq!(slow.len(), 1, "{slow:?}");
    assert!(slow[0]["duration_ms"].as_f64().unwrap() >= 20.0);
    assert_eq!(
        slow[0]["name"], "select no table",
        "the CTE `c` is not a table"
    );
    assert!(
        report["recent"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["type"] == "database")
    );
    let page = app.get_html("/admin/metrics", StatusCode::OK).await;
    assert!(
        texts(&page, "#slow li")
            .iter()
            .any(|li| li.contains("WITH RECURSIVE"))
    );
}

#[tokio::test]
async fn the_dashboard_renders_with_an_empty_and_with_a_full_store() {
    let app = spawn_app_with(&[("DEV_MODE", "true"), ("METRICS_MEMORY_INTERVAL", "0")]).await;
    app.login().await;
    let empty = app.get_html("/admin/metrics", StatusCode::OK).await;
    assert_eq!(select(&empty, "#panels").len(), 1);
    assert!(select(&empty, "#panels svg.chart").len() >= 2);
    assert!(
        select(&empty, "script[src^=\"http\"]").is_empty(),
        "no external scripts"
    );
    assert_eq!(
        select(&empty, "script[src^=\"/static/js/metrics.js\"]").len(),
        1
    );

    let csrf = app.csrf().await;
    for i in 0..30 {
        app.create_note(&csrf, &format!("Busy note {i}"), true)
            .await;
        app.get("/").await;
    }
    let full = app
        .get_html("/admin/metrics-dashboard", StatusCode::OK)
        .await;
    assert!(select(&full, "#routes tbody tr").len() >= 3);
    assert!(select(&full, "#queries tbody tr").len() >= 3);
    assert!(
        !select(&full, "svg.chart rect.bar").is_empty(),
        "request-rate bars drawn"
    );
    assert!(select(&full, "#recent tbody tr").len() >= 10);
    let total: u64 = texts(&full, "#total-http")[0].parse().unwrap();
    assert!(total >= 60);
}

#[tokio::test]
async fn the_json_report_has_its_documented_shape() {
    let app = spawn_app().await;
    app.login().await;
    app.get("/").await;
    let report = metrics_json(&app).await;
    for key in [
        "enabled",
        "generated_at_ms",
        "uptime_seconds",
        "process_id",
        "sampling",
        "buffer_size",
        "slow_query_threshold_ms",
        "totals",
        "operations",
        "per_minute",
        "pool",
        "memory",
        "slow_queries",
        "recent",
    ] {
        assert!(report.get(key).is_some(), "missing {key}");
    }
    for kind in ["http", "database", "render", "business"] {
        assert!(report["totals"][kind]["count"].is_u64(), "{kind}");
        assert!(report["totals"][kind]["errors"].is_u64(), "{kind}");
    }
    let op = &report["operations"][0];
    for key in [
        "type", "name", "count", "errors", "total_ms", "min_ms", "max_ms", "mean_ms", "p50_ms",
        "p95_ms", "p99_ms",
    ] {
        assert!(op.get(key).is_some(), "operation lacks {key}");
    }
    for key in [
        "size",
        "connections",
        "idle",
        "in_use",
        "checkouts",
        "waits",
        "wait_ms_total",
        "timeouts",
    ] {
        assert!(report["pool"][key].is_number(), "pool lacks {key}");
    }
    let minute = &report["per_minute"][0];
    for key in [
        "minute",
        "http",
        "database",
        "errors",
        "http_p50_ms",
        "http_p95_ms",
        "http_p99_ms",
    ] {
        assert!(minute.get(key).is_some(), "minute lacks {key}");
    }
    let sample = &report["recent"][0];
    for key in [
        "type",
        "name",
        "timestamp_ms",
        "duration_ms",
        "process_id",
        "metadata",
    ] {
        assert!(sample.get(key).is_some(), "sample lacks {key}");
    }
    assert!(!report["memory"]["samples"].as_array().unwrap().is_empty());
    // Accept: application/json gets the same document.
    let res = app
        .client
        .get(app.url("/admin/metrics"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
}

#[tokio::test]
async fn anonymous_visitors_never_see_metrics_or_health_details() {
    let app = spawn_app().await;
    for path in [
        "/admin/metrics",
        "/admin/metrics-dashboard",
        "/admin/health",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&res), "/auth/login");
    }
    let res = app.get("/admin/metrics?format=json").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    let res = app.get("/health?detailed=true").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert!(
        body.get("pool").is_none() && body.get("database_latency_ms").is_none(),
        "{body}"
    );
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_owner_gets_detailed_health_as_json_and_as_a_page() {
    let app = spawn_app().await;
    app.login().await;
    let body: Value = app.get("/health?detailed=true").await.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert!(body["database_latency_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(body["migrations_applied"][0], "001_initial");
    assert!(body["disk"]["free_bytes"].as_u64().unwrap() > 0);
    assert!(body["pool"]["size"].as_u64().unwrap() >= 1);
    assert!(body["uptime_seconds"].is_u64());
    assert!(body["memory"]["rss_bytes"].as_u64().unwrap() > 0);
    let page = app.get_html("/admin/health", StatusCode::OK).await;
    assert_eq!(texts(&page, "#health-status"), ["All checks pass."]);
}

#[tokio::test]
async fn request_ids_are_kept_when_safe_and_generated_otherwise() {
    let app = spawn_app().await;
    let send = |id: Option<&str>, path: &str| {
        let mut req = app.client.get(app.url(path));
        if let Some(id) = id {
            req = req.header("X-Request-ID", id);
        }
        req.send()
    };
    for path in ["/", "/static/css/site.css", "/no/such/page"] {
        let res = send(Some("trace-42.a_b"), path).await.unwrap();
        assert_eq!(res.headers()["x-request-id"], "trace-42.a_b", "{path}");
        let res = send(Some("<script>"), path).await.unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(id, "<script>");
        assert!(monitoring::request_id::is_safe(&id));
        let too_long = "a".repeat(65);
        let res = send(Some(&too_long), path).await.unwrap();
        assert_ne!(res.headers()["x-request-id"].to_str().unwrap(), too_long);
        let a = send(None, path).await.unwrap();
        let b = send(None, path).await.unwrap();
        assert_ne!(a.headers()["x-request-id"], b.headers()["x-request-id"]);
    }
}

#[tokio::test]
async fn prometheus_text_needs_the_bearer_token_and_parses() {
    let app = spawn_app_with(&[
        ("DEV_MODE", "true"),
        ("METRICS_PROMETHEUS_TOKEN", "scrape-me-please"),
    ])
    .await;
    let csrf = app.login().await;
    app.create_note(&csrf, "Scraped note", true).await;
    app.get("/").await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me-not")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me-please")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text().await.unwrap();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid exposition text");
    let find = |metric: &'static str| scrape.samples.iter().filter(move |s| s.metric == metric);
    assert_eq!(find("starpunk_build_info").count(), 1);
    assert!(find("starpunk_operations_total").any(|s| {
        s.labels.get("type") == Some("http")
            && s.labels.get("name") == Some("GET /")
            && matches!(s.value, prometheus_parse::Value::Counter(n) if n >= 1.0)
    }));
    assert!(find("starpunk_operation_duration_seconds").any(|s| {
        s.labels.get("type") == Some("database")
            && matches!(&s.value, prometheus_parse::Value::Histogram(buckets) if buckets.len() > 10)
    }));
    for gauge in [
        "starpunk_db_pool_connections",
        "starpunk_db_pool_idle_connections",
        "starpunk_memory_resident_bytes",
    ] {
        assert!(
            find(gauge).any(|s| matches!(s.value, prometheus_parse::Value::Gauge(_))),
            "{gauge}"
        );
    }
    assert!(
        find("starpunk_db_pool_checkouts_total")
            .any(|s| matches!(s.value, prometheus_parse::Value::Counter(n) if n > 0.0))
    );
}

#[tokio::test]
async fn metrics_off_records_nothing_but_keeps_request_ids() {
    let app = spawn_app_with(&[("DEV_MODE", "true"), ("METRICS_ENABLED", "false")]).await;
    let csrf = app.login().await;
    app.create_note(&csrf, "Unmeasured", true).await;
    let res = app.get("/").await;
    assert!(res.headers().contains_key("x-request-id"));
    let report = metrics_json(&app).await;
    assert_eq!(report["enabled"], false);
    assert_eq!(report["totals"]["http"]["count"], 0);
    assert_eq!(report["totals"]["database"]["count"], 0);
    assert_eq!(report["pool"]["checkouts"], 0);
    assert!(report["recent"].as_array().unwrap().is_empty());
    let page = app.get_html("/admin/metrics", StatusCode::OK).await;
    assert_eq!(select(&page, "#metrics-off").len(), 1);
}

//! The metrics breakdown over real HTTP: statements by fingerprint with their rows, statements
//! per request, RED per route, page views, slow statements tied to their request, and the
//! report's version. Every statement the whole suite runs is checked for classification when
//! its `TestApp` drops (tests/api/helpers.rs).

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app_with};

async fn report(app: &TestApp) -> Value {
    let res = app.get("/admin/metrics?format=json").await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn route<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no route {name} in {:#}", report["routes"]))
}

async fn sampled_app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("DEV_MODE", "true"), ("METRICS_SAMPLING_RATE", "1.0")];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

#[tokio::test]
async fn the_report_is_version_two_with_its_new_sections() {
    let app = sampled_app(&[]).await;
    app.login().await;
    app.get("/").await;
    let report = report(&app).await;
    assert_eq!(report["version"], 2);
    for key in [
        "status",
        "version",
        "uptime_seconds",
        "requests_5m",
        "rate_per_second_5m",
        "server_error_rate_5m",
        "client_error_rate_5m",
        "p95_ms_5m",
        "storage",
        "pool_saturation",
        "memory_rss_bytes",
        "memory_peak_bytes",
        "slow_statements",
        "feed_cache_hit_ratio",
    ] {
        assert!(report["summary"].get(key).is_some(), "summary lacks {key}");
    }
    assert_eq!(report["summary"]["status"], "ok");
    let storage = &report["summary"]["storage"];
    assert!(storage["database_bytes"].as_u64().unwrap() > 0);
    assert!(storage["disk_free_bytes"].as_u64().unwrap() > 0);
    assert!(storage["wal_bytes"].is_u64());
    for key in ["p90_ms", "p999_ms", "client_errors"] {
        assert!(
            report["operations"][0].get(key).is_some(),
            "operation lacks {key}"
        );
    }
    assert!(report["memory"]["metrics_bytes"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn statements_are_listed_by_fingerprint_with_their_rows() {
    let app = sampled_app(&[]).await;
    let csrf = app.login().await;
    for i in 0..3 {
        app.create_note(&csrf, &format!("Fingerprint note {i}"), true)
            .await;
    }
    let anonymous = app.other_browser();
    for _ in 0..2 {
        assert_eq!(anonymous.get("/").await.status(), StatusCode::OK);
    }
    let report = report(&app).await;
    let statements = report["statements"].as_array().unwrap();
    assert!(!statements.is_empty());
    for s in statements {
        let id = s["id"].as_str().unwrap();
        assert!(
            id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{s}"
        );
        assert_ne!(s["kind"], "other", "{s}");
        assert!(!s["name"].as_str().unwrap().contains("unknown"), "{s}");
        for key in ["calls", "rows", "total_ms", "mean_ms", "p95_ms", "max_ms"] {
            assert!(s[key].is_number(), "{key} in {s}");
        }
    }
    // The home page's note list: a select on notes that returned the three notes each time.
    let listing = statements
        .iter()
        .filter(|s| s["kind"] == "select" && s["tables"][0] == "notes")
        .max_by_key(|s| s["rows"].as_u64().unwrap())
        .expect("a select on notes");
    assert!(listing["rows"].as_u64().unwrap() >= 6, "{listing}");
    // The inserts of the three notes changed rows, and parameters never show as values.
    let insert = statements
        .iter()
        .find(|s| s["kind"] == "insert" && s["tables"][0] == "notes")
        .expect("an insert into notes");
    assert_eq!(insert["calls"], 3, "{insert}");
    assert_eq!(
        insert["rows"], 3,
        "one row each, returned and changed, counted once"
    );
    assert!(
        !report["statements"]
            .to_string()
            .contains("Fingerprint note"),
        "statement texts never carry the data"
    );
    // The per-type view keeps its `kind table` names.
    assert!(
        report["operations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["type"] == "database" && o["name"] == "select notes")
    );
}

#[tokio::test]
async fn only_top_level_statements_count_not_what_full_text_search_runs_inside_them() {
    let app = sampled_app(&[]).await;
    let csrf = app.login().await;
    for i in 0..5 {
        app.create_note(&csrf, &format!("Harbour walk number {i}"), true)
            .await;
    }
    let res = app.other_browser().get("/search?q=harbour").await;
    assert_eq!(res.status(), StatusCode::OK);
    let report = report(&app).await;
    // FTS5 reads and writes its shadow tables (notes_fts_idx, notes_fts_data …) with
    // statements of its own inside ours; their time is part of ours, and they are not ours to
    // count (pg_stat_statements' default `track = top`).
    // (Its configuration read when a connection first opens the index happens while our
    // statement is prepared, before it runs, and is recorded on its own.)
    for s in report["statements"].as_array().unwrap() {
        let text = s["text"].as_str().unwrap();
        for shadow in ["notes_fts_idx", "notes_fts_data", "notes_fts_docsize"] {
            assert!(!text.contains(shadow), "nested statement recorded: {s}");
        }
    }
    let search = route(&report, "GET /search");
    assert!(
        search["statements_max"].as_u64().unwrap() <= 4,
        "a search runs a handful of statements, not FTS5's: {search}"
    );
    let create = route(&report, "POST /admin/new");
    assert!(create["statements_max"].as_u64().unwrap() < 10, "{create}");
}

#[tokio::test]
async fn every_request_counts_the_statements_it_ran() {
    let app = sampled_app(&[]).await;
    let csrf = app.login().await;
    let (slug, _) = app.create_note(&csrf, "Counted", true).await;
    let reader = app.other_browser();
    let res = reader.get(&format!("/notes/{slug}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let report = report(&app).await;
    let recent = report["recent"].as_array().unwrap();
    let ran = recent
        .iter()
        .filter(|s| s["type"] == "database" && s["metadata"]["request_id"] == id.as_str())
        .count() as u64;
    let http = recent
        .iter()
        .find(|s| s["type"] == "http" && s["metadata"]["request_id"] == id.as_str())
        .expect("the request's sample");
    assert!(ran >= 1);
    assert_eq!(http["metadata"]["statements"], ran, "{http}");
    assert!(http["metadata"]["database_ms"].as_f64().unwrap() >= 0.0);
    let permalink = route(&report, "GET /notes/{slug}");
    assert_eq!(
        permalink["statements_per_request"].as_f64().unwrap(),
        ran as f64
    );
    assert_eq!(permalink["statements_max"], ran);
}

#[tokio::test]
async fn routes_count_client_and_server_errors_apart() {
    let app = sampled_app(&[]).await;
    app.login().await;
    let reader = app.other_browser();
    for _ in 0..3 {
        reader.get("/notes/no-such-note").await;
    }
    let report = report(&app).await;
    let permalink = route(&report, "GET /notes/{slug}");
    assert_eq!(permalink["requests"], 3);
    assert_eq!(permalink["client_errors"], 3);
    assert_eq!(permalink["server_errors"], 0);
    assert_eq!(permalink["responses"]["4xx"], 3);
    assert_eq!(permalink["last_5m"]["requests"], 3);
    assert_eq!(permalink["last_5m"]["client_errors"], 3);
    assert!(permalink["last_5m"]["rate_per_second"].as_f64().unwrap() > 0.0);
    let latency = &permalink["last_5m"]["latency"];
    let (p50, p99, max) = (
        latency["p50_ms"].as_f64().unwrap(),
        latency["p99_ms"].as_f64().unwrap(),
        latency["max_ms"].as_f64().unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{latency}");
    let sparkline = permalink["sparkline"].as_array().unwrap();
    assert_eq!(sparkline.len(), 60);
    assert_eq!(sparkline[59]["requests"], 3);
    assert!(report["summary"]["client_error_rate_5m"].as_f64().unwrap() > 0.0);
    let minute = report["per_minute"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        minute["http_client_errors"].as_u64().unwrap() >= 3,
        "{minute}"
    );
    assert_eq!(minute["http_server_errors"], 0);
}

#[tokio::test]
async fn page_views_count_readers_and_bots_apart_and_keep_nothing_about_them() {
    let app = sampled_app(&[]).await;
    let csrf = app.login().await;
    let (slug, _) = app.create_note(&csrf, "Most read", true).await;
    let path = format!("/notes/{slug}");
    let browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
    let reader = crate::helpers::client();
    for (ua, times) in [
        (browser, 3),
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            2,
        ),
        ("curl/8.5.0", 1),
    ] {
        for _ in 0..times {
            let res = reader
                .get(app.url(&path))
                .header("User-Agent", ua)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert!(
                res.headers().get("set-cookie").is_none(),
                "no cookie for a view"
            );
        }
    }
    // Not views: the owner's own browsing, a missing page, the feed, the admin.
    assert_eq!(app.get(&path).await.status(), StatusCode::OK);
    reader
        .get(app.url("/notes/nothing-here"))
        .send()
        .await
        .unwrap();
    reader.get(app.url("/feed.xml")).send().await.unwrap();
    let report = report(&app).await;
    let views = &report["views"];
    let top = views["top"].as_array().unwrap();
    let entry = top
        .iter()
        .find(|v| v["path"] == path.as_str())
        .expect("the note");
    assert_eq!(entry["views"], 3, "{views}");
    assert_eq!(entry["bot_views"], 3, "{views}");
    assert_eq!(views["total"], 3);
    assert_eq!(views["bots"], 3);
    assert!(
        !views.to_string().contains("127.0.0.1") && !views.to_string().contains("Googlebot"),
        "no address or user agent is kept"
    );
}

#[tokio::test]
async fn a_slow_statement_names_the_request_that_ran_it() {
    // Every statement is "slow" at a zero threshold.
    let app = sampled_app(&[("METRICS_SLOW_QUERY_THRESHOLD", "0")]).await;
    app.login().await;
    let res = app.other_browser().get("/").await;
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let report = report(&app).await;
    let slow = report["slow_queries"].as_array().unwrap();
    let mine: Vec<_> = slow
        .iter()
        .filter(|s| s["metadata"]["request_id"] == id.as_str())
        .collect();
    assert!(!mine.is_empty(), "{slow:#?}");
    for s in mine {
        let fingerprint = s["metadata"]["fingerprint"].as_str().unwrap();
        assert!(
            report["statements"]
                .as_array()
                .unwrap()
                .iter()
                .any(|st| st["id"] == fingerprint),
            "the slow statement's fingerprint is listed"
        );
    }
    assert!(report["summary"]["slow_statements"].as_u64().unwrap() > 0);
}

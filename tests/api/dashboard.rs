//! The metrics dashboard as a reader sees it (issue 15): charts with axes, ticks, units and a
//! hover title per slot over a chosen window; "No data yet" instead of a line stuck to an edge;
//! RED per route with statements per request and a flag for an N+1; statements by fingerprint;
//! the most read pages; samples filtered by type and a slow statement linked to its request; a
//! summary row; tables that scroll inside their panel; nothing a strict Content-Security-Policy
//! would block; and no promise of a refresh that only the script keeps.
//!
//! A day of data is recorded into a store whose clock the test moves minute by minute, then
//! rendered directly; everything else goes through the real application over HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use scraper::{ElementRef, Html};
use serde_json::Value;
use starpunk::monitoring::fingerprint::fingerprint;
use starpunk::monitoring::report::{PoolGauges, Report, StorageGauges};
use starpunk::monitoring::{DbMeta, HttpMeta, MemorySample, Metadata, Metrics, RequestWork};
use starpunk::views::layout::PageContext;
use starpunk::views::metrics::{Options, Window, dashboard};

use crate::helpers::{attr, config_for, select, spawn_app_with, texts};

/// Midnight UTC, 14 November 2023: the test day starts here.
const DAY_START: i64 = 1_699_920_000;

/// A store that reads the time from `clock` (Unix seconds).
fn store(clock: &Arc<AtomicI64>) -> Metrics {
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &[("METRICS_SLOW_QUERY_THRESHOLD", "0.5")]);
    let clock = clock.clone();
    Metrics::with_clock(
        config.metrics.clone(),
        Arc::new(move || clock.load(Ordering::SeqCst) * 1000),
    )
}

/// Records one request of `route` through the store's public API.
fn request(metrics: &Metrics, route: &str, ms: u64, status: u16, statements: u64, id: &str) {
    metrics.record_request(
        route,
        Duration::from_millis(ms),
        status,
        RequestWork {
            statements,
            database_us: statements * 100,
        },
        || {
            Metadata::Http(HttpMeta {
                request_id: id.to_owned(),
                method: "GET".into(),
                route: route.split(' ').nth(1).unwrap_or("/").to_owned(),
                status,
                request_size: None,
                response_size: Some(1000),
                statements,
                database_ms: statements as f64 * 0.1,
            })
        },
    );
}

/// Records one statement of `sql` run by request `id`.
fn statement(metrics: &Metrics, sql: &str, ms: u64, rows: u64, id: &str) {
    let fp = Arc::new(fingerprint(sql));
    metrics.record_statement(&fp, Duration::from_millis(ms), rows, || {
        Metadata::Database(DbMeta {
            kind: "select",
            table: Arc::from("notes"),
            sql: Arc::from(sql),
            fingerprint: fp.id.clone(),
            rows,
            request_id: Some(id.to_owned()),
        })
    });
}

/// The page for `options`, rendered from the store now.
fn render(metrics: &Metrics, options: &Options) -> Html {
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &[]);
    let gauges = PoolGauges {
        size: 8,
        connections: 2,
        idle: 0,
        in_use: 2,
    };
    let storage = StorageGauges {
        database_bytes: Some(4 << 20),
        wal_bytes: Some(1 << 20),
        disk_free_bytes: Some(10 << 30),
        failing: false,
    };
    let report = Report::build(metrics, metrics.snapshot(), gauges, storage);
    let ctx = PageContext {
        config: &config,
        owner_csrf: Some("csrf"),
        endpoints: None,
        meta: None,
    };
    let html = dashboard(&ctx, &report, options).into_string();
    assert_strict_csp(&html);
    Html::parse_document(&html)
}

/// A day of traffic, minute by minute: two requests a minute (a 404 every third minute, a 500
/// every tenth), one statement, one memory reading; minute 5 has a 900 ms request.
fn a_day() -> Metrics {
    let clock = Arc::new(AtomicI64::new(DAY_START));
    let metrics = store(&clock);
    for minute in 0..24 * 60 {
        clock.store(DAY_START + minute * 60 + 30, Ordering::SeqCst);
        let status = match minute {
            m if m % 10 == 0 => 500,
            m if m % 3 == 0 => 404,
            _ => 200,
        };
        let slow = if minute == 5 { 900 } else { 3 };
        request(&metrics, "GET /notes/{slug}", slow, status, 2, "r");
        request(&metrics, "GET /", 4, 200, 1, "r");
        statement(&metrics, "SELECT id FROM notes WHERE slug = ?1", 1, 1, "r");
        metrics.record_memory(MemorySample {
            at: DAY_START + minute * 60 + 30,
            rss_bytes: (40 + minute as u64 % 7) << 20,
            hwm_bytes: 48 << 20,
        });
    }
    metrics
}

/// No `style` attribute or element, no script without `src`, no `on…` handler: nothing the
/// site's `script-src 'self'; style-src 'self'` would block.
fn assert_strict_csp(html: &str) {
    let doc = Html::parse_document(html);
    assert!(select(&doc, "style").is_empty(), "a <style> element");
    for script in select(&doc, "script") {
        assert!(script.value().attr("src").is_some(), "an inline script");
    }
    for element in select(&doc, "*") {
        for (name, _) in element.value().attrs() {
            assert!(
                name != "style" && !name.starts_with("on"),
                "<{} {name}=…> would be blocked by the CSP",
                element.value().name()
            );
        }
    }
    assert!(
        !html.contains("Refreshes every"),
        "the refresh is the script's to announce"
    );
}

/// A chart's panel by id.
fn chart<'a>(doc: &'a Html, id: &str) -> ElementRef<'a> {
    *select(doc, &format!("#{id} svg.chart"))
        .first()
        .unwrap_or_else(|| panic!("no chart #{id}"))
}

fn inside(element: ElementRef<'_>, selector: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).unwrap();
    element
        .select(&selector)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

fn count(element: ElementRef<'_>, selector: &str) -> usize {
    inside(element, selector).len()
}

/// The hover title of every slot with data, in order.
fn slot_titles(element: ElementRef<'_>) -> Vec<String> {
    inside(element, "g.slot > title")
}

/// A value `label: N unit` out of a hover title.
fn value_in(title: &str, label: &str) -> f64 {
    let line = title
        .lines()
        .find(|l| l.starts_with(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("no {label} in {title:?}"));
    line.split(' ').nth(1).unwrap().parse().unwrap()
}

const CHARTS: [(&str, &str); 6] = [
    ("chart-requests", "req/min"),
    ("chart-latency", "ms"),
    ("chart-errors", "%"),
    ("chart-memory", "MiB"),
    ("chart-pool", "ms/min"),
    ("chart-database", "ms/min"),
];

#[test]
fn an_empty_store_draws_every_chart_with_its_axes_and_no_data_yet() {
    let clock = Arc::new(AtomicI64::new(DAY_START + 12 * 3600 + 7 * 60));
    let doc = render(&store(&clock), &Options::default());
    for (id, unit) in CHARTS {
        let svg = chart(&doc, id);
        assert_eq!(inside(svg, ".no-data"), ["No data yet"], "{id}");
        assert_eq!(inside(svg, ".unit"), [unit], "{id}");
        assert!(
            count(svg, ".x-axis line.axis") == 2,
            "{id}: both axis lines"
        );
        // An hour from 11:08 to 12:08: labels at 11:15, 11:30, 11:45 and 12:00.
        assert_eq!(
            inside(svg, ".x-axis text"),
            ["11:15", "11:30", "11:45", "12:00"]
        );
        assert_eq!(
            count(svg, "g.slot, .series line, .series circle, rect.bar"),
            0
        );
        let label = svg.value().attr("aria-label").unwrap();
        assert!(label.ends_with("no data yet"), "{label}");
    }
    for id in [
        "summary-status",
        "summary-version",
        "summary-uptime",
        "summary-requests",
        "summary-errors",
        "summary-p95",
        "summary-database",
        "summary-wal",
        "summary-disk",
        "summary-pool",
        "summary-memory",
        "summary-slow",
        "summary-feed-cache",
    ] {
        assert_eq!(select(&doc, &format!("#{id} dt")).len(), 1, "{id}");
    }
    assert_eq!(texts(&doc, "#summary-p95 .value"), ["–"]);
    assert_eq!(texts(&doc, "#summary-database .value"), ["4.0 MiB"]);
    assert_eq!(texts(&doc, "#summary-pool .value"), ["25 %"]);
}

#[test]
fn a_day_of_data_fills_the_24_hour_window_in_twenty_minute_slots() {
    let metrics = a_day();
    let doc = render(&metrics, &Options::default().with_window(Window::Day));
    assert_eq!(
        attr(&doc, "a[aria-current=page][href*=window]", "href"),
        "/admin/metrics?window=24h"
    );
    let requests = chart(&doc, "chart-requests");
    let titles = slot_titles(requests);
    assert_eq!(titles.len(), 72, "every 20 minutes of the day has a bar");
    assert!(titles[0].starts_with("00:00–00:20 UTC"), "{}", titles[0]);
    assert!(titles[71].starts_with("23:40–00:00 UTC"), "{}", titles[71]);
    // Minutes 0–19: 40 requests, 404s in minutes 3, 6, 9, 12, 15, 18; 500s in 0 and 10.
    assert_eq!(value_in(&titles[0], "4xx"), 0.3);
    assert_eq!(value_in(&titles[0], "5xx"), 0.1);
    assert_eq!(value_in(&titles[0], "2xx–3xx"), 1.6);
    assert_eq!(
        inside(requests, ".x-axis text"),
        ["00:00", "06:00", "12:00", "18:00", "00:00"]
    );
    // Ticks are 1-2-5 steps from zero, and the top one is above every bar.
    let ticks: Vec<f64> = inside(requests, ".y-axis text:not(.unit)")
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
    assert_eq!(ticks[0], 0.0);
    assert!(ticks.len() >= 3, "{ticks:?}");
    assert!((ticks[ticks.len() - 1] - 2.0).abs() < 1e-9, "{ticks:?}");
    assert_eq!(count(requests, ".grid line"), ticks.len() - 1);

    let latency = chart(&doc, "chart-latency");
    let titles = slot_titles(latency);
    assert_eq!(titles.len(), 72);
    let p99 = value_in(&titles[0], "p99");
    assert!(
        (890.0..=910.0).contains(&p99),
        "the slowest minute's p99: {p99}"
    );
    assert!(value_in(&titles[1], "p99") < 10.0);
    assert_eq!(
        count(latency, "g.series line"),
        3 * 71,
        "three unbroken lines"
    );
    let legend = inside(doc.root_element(), "#chart-latency figcaption").join(" ");
    assert!(
        legend.contains("20-minute slots over the last 24 hours"),
        "{legend}"
    );
    assert!(legend.contains("slowest minute"), "{legend}");
    for (id, _) in CHARTS {
        let svg = chart(&doc, id);
        assert!(inside(svg, ".no-data").is_empty(), "{id} has data");
        assert!(!slot_titles(svg).is_empty(), "{id}: a hover title per slot");
    }
    // Nothing waited for a connection all day: zero, said in words, is not "no data".
    assert_eq!(
        inside(chart(&doc, "chart-pool"), ".zero-note"),
        ["No waits"]
    );
    assert!(inside(chart(&doc, "chart-errors"), ".zero-note").is_empty());
    let memory = slot_titles(chart(&doc, "chart-memory"));
    assert_eq!(memory.len(), 72);
    assert_eq!(value_in(&memory[0], "high-water"), 48.0);
}

#[test]
fn each_window_has_its_own_slots_and_says_how_they_are_summarised() {
    let metrics = a_day();
    for (window, slots, note) in [
        (
            Window::FifteenMinutes,
            15,
            "1-minute slots over the last 15 minutes",
        ),
        (Window::Hour, 60, "1-minute slots over the last hour"),
        (Window::SixHours, 72, "5-minute slots over the last 6 hours"),
        (Window::Day, 72, "20-minute slots over the last 24 hours"),
    ] {
        let doc = render(&metrics, &Options::default().with_window(window));
        assert_eq!(
            slot_titles(chart(&doc, "chart-requests")).len(),
            slots,
            "{window:?}"
        );
        let legend = texts(&doc, "#chart-latency figcaption").join(" ");
        assert!(legend.contains(note), "{window:?}: {legend}");
        assert_eq!(
            legend.contains("slowest minute"),
            window.slot_minutes() > 1,
            "{legend}"
        );
        assert_eq!(
            texts(&doc, ".window-picker a[aria-current=page]"),
            [window.label()]
        );
    }
}

#[test]
fn a_store_that_just_started_draws_at_the_right_edge_not_stuck_to_the_left() {
    // The memory chart of StarPunk's first dashboard: one reading, drawn at the left edge.
    let clock = Arc::new(AtomicI64::new(DAY_START + 3600));
    let metrics = store(&clock);
    metrics.record_memory(MemorySample {
        at: DAY_START + 3600,
        rss_bytes: 30 << 20,
        hwm_bytes: 31 << 20,
    });
    for minute in 0..3 {
        clock.store(DAY_START + 3600 + minute * 60, Ordering::SeqCst);
        request(&metrics, "GET /", 3, 200, 1, "r");
    }
    let doc = render(&metrics, &Options::default());
    let memory = chart(&doc, "chart-memory");
    assert!(inside(memory, ".no-data").is_empty());
    let dots = select(&doc, "#chart-memory .series circle");
    assert_eq!(dots.len(), 2, "one dot per series, no line");
    assert_eq!(count(memory, ".series line"), 0);
    for dot in dots {
        let cx: f64 = dot
            .value()
            .attr("cx")
            .unwrap()
            .trim_end_matches('%')
            .parse()
            .unwrap();
        assert!(cx > 95.0, "drawn at its time, the newest minute: {cx}%");
    }
    let hits = select(&doc, "#chart-requests rect.hit");
    assert_eq!(hits.len(), 3, "only the three minutes since the start");
    for hit in hits {
        let x: f64 = hit
            .value()
            .attr("x")
            .unwrap()
            .trim_end_matches('%')
            .parse()
            .unwrap();
        assert!(x >= 95.0, "{x}%");
    }
}

#[test]
fn routes_show_rate_errors_and_percentiles_and_flag_many_statements_per_request() {
    let clock = Arc::new(AtomicI64::new(DAY_START + 600));
    let metrics = store(&clock);
    for i in 0..20 {
        request(&metrics, "GET /notes/{slug}", 5, 200, 12, "a");
        let statements = if i == 0 { 30 } else { 2 };
        request(
            &metrics,
            "GET /",
            3,
            if i < 2 { 404 } else { 200 },
            statements,
            "b",
        );
        request(
            &metrics,
            "GET /feed.rss",
            2,
            if i < 1 { 503 } else { 200 },
            2,
            "c",
        );
    }
    let doc = render(&metrics, &Options::default());
    let rows = select(&doc, "#routes tbody tr");
    assert_eq!(rows.len(), 3);
    let row = |name: &str| {
        *rows
            .iter()
            .find(|r| inside(**r, "th").join("") == name)
            .unwrap_or_else(|| panic!("no row {name}"))
    };
    let headers = texts(&doc, "#routes thead th");
    let cell = |name: &str, header: &str| {
        let i = headers.iter().position(|h| h == header).unwrap();
        inside(row(name), "th, td")[i].clone()
    };
    assert_eq!(cell("GET /", "4xx"), "2");
    assert_eq!(cell("GET /", "5xx"), "0");
    assert_eq!(cell("GET /feed.rss", "5xx"), "1");
    assert_eq!(cell("GET /notes/{slug}", "p95 ms"), "5.00");
    assert_eq!(cell("GET /notes/{slug}", "Requests since start"), "20");
    assert!(cell("GET /notes/{slug}", "SQL per request").starts_with("12.0"));
    assert_eq!(cell("GET /", "Most SQL"), "30");
    // 12 a request on average, and one request far above a mean of 3.4: both flagged.
    for (name, flagged) in [
        ("GET /notes/{slug}", true),
        ("GET /", true),
        ("GET /feed.rss", false),
    ] {
        let r = row(name);
        assert_eq!(
            r.value().classes().any(|c| c == "flagged"),
            flagged,
            "{name}"
        );
        assert_eq!(inside(r, ".flag") == ["N+1?"], flagged, "{name}");
    }
    let spark = select(&doc, "#routes svg.sparkline[role=img]");
    assert_eq!(spark.len(), 3);
    // Slowest route first; its sparkline says when its slowest request was, draws that as a
    // line over the request bars and titles every minute for hover.
    assert_eq!(
        spark[0].value().attr("aria-label"),
        Some(
            "Last hour: 20 requests, at most 20 a minute, 0 answered 5xx; \
             slowest request 5.00 ms at 00:10"
        )
    );
    let titles = spark[0]
        .select(&scraper::Selector::parse("g > title").unwrap())
        .count();
    assert_eq!(titles, 60);
    assert!(
        spark[0]
            .select(&scraper::Selector::parse("polyline.slowest").unwrap())
            .next()
            .is_some()
    );
}

#[tokio::test]
async fn the_dashboard_of_a_busy_site_shows_its_routes_statements_and_most_read_pages() {
    let app = spawn_app_with(&[("DEV_MODE", "true")]).await;
    let csrf = app.login().await;
    let mut notes = Vec::new();
    for i in 0..3 {
        let (slug, _) = app
            .create_note(&csrf, &format!("Harbour note {i}"), true)
            .await;
        notes.push(format!("/notes/{slug}"));
    }
    let reader = app.other_browser();
    let people = [(
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    )];
    let bots = [("user-agent", "Mozilla/5.0 (compatible; Googlebot/2.1)")];
    for (agent, times) in [(people, 3), (bots, 2)] {
        for _ in 0..times {
            for path in ["/".to_owned(), notes[0].clone(), "/no/such/page".to_owned()] {
                reader
                    .client
                    .get(app.url(&path))
                    .header(agent[0].0, agent[0].1)
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
    let page = app.get("/admin/metrics").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert_strict_csp(&html);
    let doc = Html::parse_document(&html);
    assert_eq!(
        select(&doc, "script[src^=\"/static/js/metrics.js\"]").len(),
        1
    );

    for (id, unit) in CHARTS {
        assert_eq!(inside(chart(&doc, id), ".unit"), [unit]);
    }
    assert!(!slot_titles(chart(&doc, "chart-requests")).is_empty());
    let route_names = texts(&doc, "#routes tbody th");
    assert!(
        route_names.iter().any(|n| n == "GET /notes/{slug}"),
        "{route_names:?}"
    );
    assert!(
        route_names.iter().any(|n| n == "GET (unmatched)"),
        "{route_names:?}"
    );
    let statements = select(&doc, "#queries tbody tr");
    assert!(statements.len() >= 3);
    for row in statements {
        assert!(row.value().attr("id").unwrap().starts_with("statement-"));
        assert!(count(row, "code.sql") >= 1, "the normalised text");
        assert!(inside(row, ".share .num")[0].ends_with('%'));
    }
    let most_read: Vec<String> = texts(&doc, "#most-read tbody tr");
    let note_row = select(&doc, "#most-read tbody tr")
        .into_iter()
        .find(|r| inside(*r, "th").join("") == notes[0])
        .unwrap_or_else(|| panic!("{} not in {most_read:?}", notes[0]));
    assert_eq!(inside(note_row, "td"), ["3", "2"], "people and bots apart");

    // Every table scrolls inside a named, focusable region; the page itself never does.
    let tables = select(&doc, "#panels table");
    assert!(tables.len() >= 6);
    for table in tables {
        let region = table
            .ancestors()
            .filter_map(ElementRef::wrap)
            .find(|a| a.value().classes().any(|c| c == "table-scroll"))
            .unwrap_or_else(|| panic!("#{:?} outside a scroll region", table.value().id()));
        let region = region.value();
        assert_eq!(region.attr("tabindex"), Some("0"));
        assert_eq!(region.attr("role"), Some("region"));
        assert!(!region.attr("aria-label").unwrap_or("").is_empty());
    }
    let requests: u64 = texts(&doc, "#summary-requests .value")[0].parse().unwrap();
    assert!(requests >= 15, "{requests}");
}

#[tokio::test]
async fn the_window_and_the_sample_type_are_links_that_work_without_javascript() {
    let app = spawn_app_with(&[("DEV_MODE", "true")]).await;
    let csrf = app.login().await;
    app.create_note(&csrf, "A note to sample", true).await;
    app.get("/").await;

    let six = app
        .get_html("/admin/metrics?window=6h", StatusCode::OK)
        .await;
    assert_eq!(texts(&six, ".window-picker a[aria-current=page]"), ["6 h"]);
    assert!(texts(&six, "#chart-requests figcaption")[0].contains("5-minute slots"));
    let filters = select(&six, ".filter a");
    assert!(
        filters
            .iter()
            .all(|a| a.value().attr("href").unwrap().contains("window=6h"))
    );

    for kind in ["http", "database", "render", "business"] {
        let doc = app
            .get_html(&format!("/admin/metrics?type={kind}"), StatusCode::OK)
            .await;
        let types = texts(&doc, "#recent tbody td:nth-child(2)");
        assert!(!types.is_empty(), "{kind}: some samples");
        assert!(types.iter().all(|t| t == kind), "{kind}: {types:?}");
        assert_eq!(
            attr(&doc, ".filter a[aria-current=page]", "href"),
            format!("/admin/metrics?type={kind}")
        );
    }
    let http = app
        .get_html("/admin/metrics?type=http", StatusCode::OK)
        .await;
    let details = texts(&http, "#recent tbody .details");
    assert!(
        details.iter().all(|d| d.contains("SQL statement")),
        "{details:?}"
    );
    assert!(!select(&http, "#recent tbody a.request-id").is_empty());
    let db = app
        .get_html("/admin/metrics?type=database", StatusCode::OK)
        .await;
    let links = select(&db, "#recent tbody .details a[href^=\"#statement-\"]");
    assert!(
        !links.is_empty(),
        "a database sample links to its fingerprint"
    );

    for bad in ["window=2d", "type=sql", "request=%3Cscript%3E"] {
        let res = app.get(&format!("/admin/metrics?{bad}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    // The JSON report does not change with the page's choices.
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let plain: Value = app
        .get("/admin/metrics?format=json")
        .await
        .json()
        .await
        .unwrap();
    let chosen: Value = app
        .get("/admin/metrics?format=json&window=24h&type=database")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&plain), keys(&chosen));
}

#[tokio::test]
async fn a_slow_statement_links_to_the_request_that_ran_it() {
    let app = spawn_app_with(&[("DEV_MODE", "true"), ("METRICS_SLOW_QUERY_THRESHOLD", "0")]).await;
    app.login().await;
    let res = app
        .client
        .get(app.url("/"))
        .header("x-request-id", "reader-visit-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let page = app.get_html("/admin/metrics", StatusCode::OK).await;
    let link = "/admin/metrics?request=reader-visit-42";
    assert!(
        !select(&page, &format!("#slow li a[href=\"{link}\"]")).is_empty(),
        "{:?}",
        texts(&page, "#slow li")
    );
    let html = app.get(link).await.text().await.unwrap();
    assert_strict_csp(&html);
    let doc = Html::parse_document(&html);
    assert_eq!(texts(&doc, "#request h2"), ["Request reader-visit-42"]);
    let types = texts(&doc, "#request-samples tbody td:nth-child(2)");
    assert_eq!(
        types.iter().filter(|t| *t == "http").count(),
        1,
        "{types:?}"
    );
    assert_eq!(types[0], "http", "the request first, then its statements");
    assert!(types.iter().any(|t| t == "database"), "{types:?}");
    let requests = texts(&doc, "#request-samples tbody td:last-child");
    assert!(
        requests.iter().all(|r| r == "reader-visit-42"),
        "{requests:?}"
    );
    assert!(texts(&doc, "#request p")[0].contains("GET /"));

    let unknown = app
        .get_html("/admin/metrics?request=never-seen", StatusCode::OK)
        .await;
    assert!(texts(&unknown, "#request .empty")[0].starts_with("No sample of this request"));
}

//! The Prometheus exposition as a scraper sees it after real traffic, and the Grafana dashboard
//! built on it (`deploy/grafana-dashboard.json`): the series issue 15 added, with sane values
//! (responses by class, statements by fingerprint, cumulative histograms, ordered quantiles,
//! page views), and every metric the dashboard queries really exposed, so that it can never
//! show a panel of a series that does not exist.
//!
//! Samples are read twice: with the `prometheus-parse` crate, and with the exact parser below.
//! The crate splits label values at `,` and `=` and skips a whole line when a value holds a `}`
//! (`GET /notes/{slug}`, statement texts), so exact values come from the parser here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::iter::Peekable;
use std::str::Chars;

use prometheus_parse::{Scrape, Value as Parsed};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, client, spawn_app_with};
use crate::peers::{Advertise, Peer};

const TOKEN: &str = "scrape-for-grafana";
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CRAWLER: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
/// `starpunk::monitoring::store::BUCKETS_US` in seconds: the histogram's finite bounds.
const BOUNDS: [f64; 19] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 5.0, 10.0, 30.0, 60.0,
];

/// One sample line, label values unescaped.
#[derive(Debug)]
struct Series {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A whole exposition: each family's `# TYPE`, and every sample in order.
struct Exposition {
    types: HashMap<String, String>,
    series: Vec<Series>,
}

fn take_while(chars: &mut Peekable<Chars>, ok: impl Fn(char) -> bool) -> String {
    let mut out = String::new();
    while let Some(&c) = chars.peek().filter(|c| ok(**c)) {
        out.push(c);
        chars.next();
    }
    out
}

/// Parses `name{label="value",…} value` exactly as the text format 0.0.4 defines it.
fn parse_sample(line: &str) -> Series {
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut chars = line.chars().peekable();
    let name = take_while(&mut chars, name_char);
    assert!(!name.is_empty(), "no metric name: {line}");
    let mut labels = BTreeMap::new();
    if chars.next_if_eq(&'{').is_some() {
        while chars.next_if_eq(&'}').is_none() {
            let key = take_while(&mut chars, name_char);
            assert!(
                chars.next() == Some('=') && chars.next() == Some('"'),
                "{line}"
            );
            let mut value = String::new();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => value.push(match chars.next() {
                        Some('n') => '\n',
                        Some(c @ ('\\' | '"')) => c,
                        other => panic!("bad escape {other:?}: {line}"),
                    }),
                    Some(c) => value.push(c),
                    None => panic!("unterminated label value: {line}"),
                }
            }
            assert!(labels.insert(key, value).is_none(), "label twice: {line}");
            if chars.next_if_eq(&',').is_none() {
                assert_eq!(chars.next(), Some('}'), "{line}");
                break;
            }
        }
    }
    assert_eq!(chars.next(), Some(' '), "{line}");
    let value = match chars.collect::<String>().as_str() {
        "+Inf" => f64::INFINITY,
        v => v.parse().unwrap_or_else(|_| panic!("bad value: {line}")),
    };
    Series {
        name,
        labels,
        value,
    }
}

impl Exposition {
    fn parse(text: &str) -> Exposition {
        let (mut types, mut helped, mut series) = (HashMap::new(), BTreeSet::new(), Vec::new());
        for line in text.lines().filter(|l| !l.is_empty()) {
            if let Some(help) = line.strip_prefix("# HELP ") {
                helped.insert(help.split(' ').next().unwrap().to_owned());
            } else if let Some(decl) = line.strip_prefix("# TYPE ") {
                let (family, kind) = decl.split_once(' ').unwrap();
                assert!(
                    helped.contains(family),
                    "{family} has a HELP before its TYPE"
                );
                let known = ["counter", "gauge", "histogram", "summary"].contains(&kind);
                assert!(known, "{line}");
                let first = types.insert(family.to_owned(), kind.to_owned()).is_none();
                assert!(first, "{family} declared twice");
            } else {
                series.push(parse_sample(line));
            }
        }
        let exposition = Exposition { types, series };
        for s in &exposition.series {
            assert!(
                exposition.family(&s.name).is_some(),
                "{} has no TYPE",
                s.name
            );
        }
        exposition
    }

    /// The family a sample belongs to, and its type.
    fn family<'a>(&'a self, sample: &'a str) -> Option<(&'a str, &'a str)> {
        let (family, suffix) = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| sample.strip_suffix(s).map(|f| (f, *s)))
            .filter(|(f, _)| {
                matches!(
                    self.types.get(*f).map(String::as_str),
                    Some("histogram" | "summary")
                )
            })
            .unwrap_or((sample, ""));
        let kind = self.types.get(family)?.as_str();
        (suffix != "_bucket" || kind == "histogram").then_some((family, kind))
    }

    /// The samples of `name` that have all of `labels`.
    fn find<'a>(&'a self, name: &'a str, labels: &'a [(&str, &str)]) -> Vec<&'a Series> {
        self.series
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(v))
            })
            .collect()
    }

    /// The value of the one sample of `name` with `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        match self.find(name, labels).as_slice() {
            [one] => one.value,
            other => panic!("{name}{labels:?}: {} samples, not one", other.len()),
        }
    }

    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.find(name, labels).iter().map(|s| s.value).sum()
    }

    /// Every distinct value of `label` among the samples of `name`.
    fn label_values(&self, name: &str, label: &str) -> BTreeSet<String> {
        let with = self.find(name, &[]).into_iter();
        with.filter_map(|s| s.labels.get(label).cloned()).collect()
    }
}

/// The app after the traffic the dashboard shows, and its scrape: pages read by a person and a
/// crawler, the owner's own browsing, a 404, a note through the admin and one through Micropub.
async fn scrape_after_traffic() -> (String, TestApp, Peer) {
    let peer = Peer::start(Advertise::Html).await;
    let me = peer.me();
    let app = spawn_app_with(&[
        ("DEV_MODE", "true"),
        ("ADMIN_ME", me.as_str()),
        ("METRICS_PROMETHEUS_TOKEN", TOKEN),
    ])
    .await;
    let csrf = app.login().await;
    let (slug, _) = app.create_note(&csrf, "Scraped by Prometheus", true).await;
    let token = peer.issue_token("create");
    let entry = json!({"type": ["h-entry"], "properties": {"content": ["Posted from an app"]}});
    let res = app
        .client
        .post(app.url("/micropub"))
        .bearer_auth(&token)
        .json(&entry)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // The owner's browsing (session cookie): answered, never counted as a view.
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/no-such-page").await.status(),
        StatusCode::NOT_FOUND
    );
    let visitor = client();
    for (agent, path) in [
        (BROWSER, "/".to_owned()),
        (BROWSER, format!("/notes/{slug}")),
        (CRAWLER, "/".to_owned()),
    ] {
        let res = visitor
            .get(app.url(&path))
            .header(header::USER_AGENT, agent)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    let res = client()
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    (res.text().await.unwrap(), app, peer)
}

#[tokio::test]
async fn the_new_series_are_exposed_with_sane_values() {
    let (text, _app, _peer) = scrape_after_traffic().await;
    let x = Exposition::parse(&text);
    for (family, kind) in [
        ("starpunk_operation_duration_seconds", "histogram"),
        ("starpunk_http_responses_total", "counter"),
        ("starpunk_http_statements_total", "counter"),
        ("starpunk_http_request_duration_5m_seconds", "summary"),
        ("starpunk_statement_info", "gauge"),
        ("starpunk_statement_calls_total", "counter"),
        ("starpunk_statement_seconds_total", "counter"),
        ("starpunk_statement_rows_total", "counter"),
        ("starpunk_db_size_bytes", "gauge"),
        ("starpunk_db_wal_bytes", "gauge"),
        ("starpunk_disk_free_bytes", "gauge"),
        ("starpunk_slow_statements_total", "counter"),
        ("starpunk_page_views_total", "counter"),
    ] {
        assert_eq!(
            x.types.get(family).map(String::as_str),
            Some(kind),
            "{family}"
        );
    }
    let version = [("version", env!("CARGO_PKG_VERSION"))];
    assert_eq!(x.value("starpunk_build_info", &version), 1.0);

    // Answers by status class: the 404 is a 4xx of the unmatched route, and each route's
    // classes add up to its requests.
    let responses = "starpunk_http_responses_total";
    let unmatched = [("name", "GET (unmatched)"), ("class", "4xx")];
    assert_eq!(x.value(responses, &unmatched), 1.0);
    assert_eq!(
        x.value(responses, &[("name", "POST /micropub"), ("class", "2xx")]),
        1.0
    );
    assert!(x.value(responses, &[("name", "GET /"), ("class", "2xx")]) >= 3.0);
    let classes = x.label_values(responses, "class");
    assert!(
        classes
            .iter()
            .all(|c| ["1xx", "2xx", "3xx", "4xx", "5xx"].contains(&c.as_str()))
    );
    let routes = x.label_values(responses, "name");
    for route in &routes {
        let requests = x.value(
            "starpunk_operations_total",
            &[("type", "http"), ("name", route)],
        );
        assert_eq!(x.sum(responses, &[("name", route)]), requests, "{route}");
        let statements = x.value("starpunk_http_statements_total", &[("name", route)]);
        assert!(statements >= 0.0 && statements.fract() == 0.0, "{route}");
    }
    let home = [("name", "GET /")];
    let home_requests = x.value("starpunk_operations_total", &[("type", "http"), home[0]]);
    assert!(x.value("starpunk_http_statements_total", &home) >= home_requests);

    statements_have_their_text_and_add_up(&x);
    histograms_are_cumulative(&x, &text);
    recent_quantiles_are_ordered(&x, &routes, &text);

    // Page views: the person's two pages and the crawler's one; not the owner's, not the 404.
    assert_eq!(
        x.value("starpunk_page_views_total", &[("audience", "people")]),
        2.0
    );
    assert_eq!(
        x.value("starpunk_page_views_total", &[("audience", "bots")]),
        1.0
    );
    assert!(x.value("starpunk_db_size_bytes", &[]) > 0.0);
    assert!(x.value("starpunk_db_wal_bytes", &[]) >= 0.0);
    assert!(x.value("starpunk_disk_free_bytes", &[]) > 0.0);
    assert!(x.value("starpunk_slow_statements_total", &[]) >= 0.0);
}

/// Every fingerprint has one info series with its text; calls, time and rows are exposed for
/// the same fingerprints and add up to the per-type totals.
fn statements_have_their_text_and_add_up(x: &Exposition) {
    let info = x.find("starpunk_statement_info", &[]);
    let ids: BTreeSet<&str> = info.iter().map(|s| s.labels["id"].as_str()).collect();
    assert_eq!(ids.len(), info.len(), "one info series per fingerprint");
    let kinds = [
        "select",
        "insert",
        "update",
        "delete",
        "schema",
        "pragma",
        "transaction",
        "maintenance",
        "other",
    ];
    for s in &info {
        assert_eq!(s.value, 1.0);
        assert!(!s.labels["text"].trim().is_empty(), "{:?}", s.labels);
        assert!(kinds.contains(&s.labels["kind"].as_str()), "{:?}", s.labels);
        assert!(!s.labels["name"].is_empty(), "{:?}", s.labels);
    }
    for metric in [
        "starpunk_statement_calls_total",
        "starpunk_statement_seconds_total",
        "starpunk_statement_rows_total",
    ] {
        let of: BTreeSet<&str> = x
            .find(metric, &[])
            .iter()
            .map(|s| s.labels["id"].as_str())
            .collect();
        assert_eq!(
            of, ids,
            "{metric}: the fingerprints of starpunk_statement_info"
        );
    }
    let calls = |id: &str| x.value("starpunk_statement_calls_total", &[("id", id)]);
    let rows = |id: &str| x.value("starpunk_statement_rows_total", &[("id", id)]);
    assert!(ids.iter().all(|id| calls(id) >= 1.0));
    let text = |s: &Series| s.labels["text"].to_ascii_lowercase();
    // Reading notes returned rows; the two notes were inserted.
    assert!(info.iter().any(|s| {
        s.labels["kind"] == "select"
            && text(s).contains("from notes")
            && rows(&s.labels["id"]) >= 1.0
    }));
    let inserted: f64 = info
        .iter()
        .filter(|s| s.labels["kind"] == "insert" && text(s).contains("insert into notes"))
        .map(|s| rows(&s.labels["id"]))
        .sum();
    assert!(inserted >= 2.0, "rows inserted into notes: {inserted}");
    let database = [("type", "database")];
    assert_eq!(
        x.sum("starpunk_statement_calls_total", &[]),
        x.sum("starpunk_operations_total", &database)
    );
    let seconds = x.sum("starpunk_statement_seconds_total", &[]);
    let histogram = x.sum("starpunk_operation_duration_seconds_sum", &database);
    assert!(
        seconds > 0.0 && (seconds - histogram).abs() < 1e-9,
        "{seconds} {histogram}"
    );
}

/// Every histogram: the finite bounds 50 µs … 60 s then `+Inf`, counts cumulative and
/// monotone, `+Inf` equal to `_count` and to the operations counted.
fn histograms_are_cumulative(x: &Exposition, text: &str) {
    let buckets = x.find("starpunk_operation_duration_seconds_bucket", &[]);
    let mut by_op: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for b in &buckets {
        let le = match b.labels["le"].as_str() {
            "+Inf" => f64::INFINITY,
            le => le.parse().unwrap(),
        };
        let op = (b.labels["type"].clone(), b.labels["name"].clone());
        by_op.entry(op).or_default().push((le, b.value));
    }
    assert!(by_op.keys().any(|(kind, _)| kind == "http"));
    assert!(by_op.keys().any(|(kind, _)| kind == "database"));
    for ((kind, name), counts) in &by_op {
        let op = [("type", kind.as_str()), ("name", name.as_str())];
        let bounds: Vec<f64> = counts.iter().map(|(le, _)| *le).collect();
        assert_eq!(bounds[..BOUNDS.len()], BOUNDS, "{op:?}");
        assert_eq!(bounds[BOUNDS.len()..], [f64::INFINITY], "{op:?}");
        assert!(
            counts.windows(2).all(|w| w[0].1 <= w[1].1),
            "{op:?}: {counts:?}"
        );
        let count = x.value("starpunk_operation_duration_seconds_count", &op);
        assert_eq!(counts.last().unwrap().1, count, "{op:?}: +Inf is the count");
        assert_eq!(count, x.value("starpunk_operations_total", &op), "{op:?}");
        assert!(x.value("starpunk_operation_duration_seconds_sum", &op) >= 0.0);
    }
    // The same through prometheus-parse, for a route it can read.
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let home = scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == "starpunk_operation_duration_seconds"
                && s.labels.get("type") == Some("http")
                && s.labels.get("name") == Some("GET /")
        })
        .expect("the home page's histogram");
    let Parsed::Histogram(parsed) = &home.value else {
        panic!("{:?}", home.value)
    };
    let counts: Vec<(f64, f64)> = parsed.iter().map(|h| (h.less_than, h.count)).collect();
    assert_eq!(counts, by_op[&("http".to_owned(), "GET /".to_owned())]);
}

/// The last five minutes' percentiles of every route that had requests: p50 ≤ p90 ≤ p95 ≤ p99
/// ≤ p99.9 ≤ max, all positive.
fn recent_quantiles_are_ordered(x: &Exposition, routes: &BTreeSet<String>, text: &str) {
    let summary = "starpunk_http_request_duration_5m_seconds";
    assert_eq!(
        &x.label_values(summary, "name"),
        routes,
        "every route was requested just now"
    );
    for route in routes {
        let quantiles: Vec<(String, f64)> = x
            .find(summary, &[("name", route)])
            .iter()
            .map(|s| (s.labels["quantile"].clone(), s.value))
            .collect();
        let names: Vec<&str> = quantiles.iter().map(|(q, _)| q.as_str()).collect();
        assert_eq!(
            names,
            ["0.5", "0.9", "0.95", "0.99", "0.999", "1"],
            "{route}"
        );
        assert!(quantiles[0].1 > 0.0, "{route}: {quantiles:?}");
        assert!(
            quantiles.windows(2).all(|w| w[0].1 <= w[1].1),
            "{route}: {quantiles:?}"
        );
    }
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let home = scrape
        .samples
        .iter()
        .find(|s| s.metric == summary && s.labels.get("name") == Some("GET /"))
        .expect("the home page's summary");
    let Parsed::Summary(parsed) = &home.value else {
        panic!("{:?}", home.value)
    };
    assert_eq!(parsed.len(), 6);
    assert!(
        parsed
            .windows(2)
            .all(|w| w[0].quantile < w[1].quantile && w[0].count <= w[1].count)
    );
}

/// Every panel, rows' children included.
fn panels(dashboard: &Value) -> Vec<&Value> {
    fn walk<'a>(list: &'a Value, out: &mut Vec<&'a Value>) {
        for panel in list.as_array().into_iter().flatten() {
            out.push(panel);
            walk(&panel["panels"], out);
        }
    }
    let mut out = Vec::new();
    walk(&dashboard["panels"], &mut out);
    out
}

fn dashboard() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/grafana-dashboard.json");
    let text = std::fs::read_to_string(path).expect("deploy/grafana-dashboard.json");
    serde_json::from_str(&text).expect("the dashboard is JSON")
}

/// Every panel query: (where, expression).
fn exprs(dashboard: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for panel in panels(dashboard) {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let title = panel["title"].as_str().unwrap_or_default();
            let at = format!("panel {} {title:?} {}", panel["id"], target["refId"]);
            out.push((at, target["expr"].as_str().unwrap_or_default().to_owned()));
        }
    }
    out
}

/// The metric names in an expression, each with what follows it and the function it is the
/// first argument of (`rate`, `histogram_quantile(…, sum(rate(` → `rate`).
fn metrics_in(expr: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find("starpunk_") {
        let (before, from) = rest.split_at(at);
        let boundary = !before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        let len = from
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(from.len());
        if boundary {
            let call = before.trim_end().strip_suffix('(').unwrap_or_default();
            let function = call
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default();
            let (name, after) = from.split_at(len);
            out.push((name.to_owned(), after.to_owned(), function.to_owned()));
        }
        rest = &from[len..];
    }
    out
}

#[tokio::test]
async fn the_grafana_dashboard_queries_only_series_the_app_exposes() {
    let dashboard = dashboard();
    let (text, _app, _peer) = scrape_after_traffic().await;
    let x = Exposition::parse(&text);
    let exposed: BTreeSet<&str> = x.series.iter().map(|s| s.name.as_str()).collect();
    let mut used = BTreeSet::new();
    let mut queries = exprs(&dashboard);
    for variable in dashboard["templating"]["list"].as_array().unwrap() {
        let query = variable["query"]["query"].as_str().unwrap().to_owned();
        queries.push((format!("variable {}", variable["name"]), query));
    }
    for (at, expr) in &queries {
        let metrics = metrics_in(expr);
        assert!(!metrics.is_empty(), "{at}: no starpunk metric in {expr}");
        for (name, after, function) in metrics {
            assert!(
                exposed.contains(name.as_str()),
                "{at}: {name} is not exposed: {expr}"
            );
            let (family, kind) = x.family(&name).unwrap();
            used.insert(family.to_owned());
            let histogram_part = kind == "histogram" && name != family;
            if ["rate", "increase"].contains(&function.as_str()) {
                assert!(
                    kind == "counter" || histogram_part,
                    "{at}: {function}({name}) of a {kind}"
                );
            }
            if kind == "histogram" {
                assert!(
                    histogram_part,
                    "{at}: {name} is a histogram: query _bucket, _sum or _count"
                );
            }
            if at.starts_with("panel") {
                let selector = after.strip_prefix('{').and_then(|s| s.split_once('}'));
                let (matchers, _) = selector.unwrap_or_else(|| panic!("{at}: {name} unfiltered"));
                assert!(
                    matchers.contains(r#"job=~"$job""#)
                        && matchers.contains(r#"instance=~"$instance""#),
                    "{at}: {name} must be filtered by $job and $instance: {expr}"
                );
            }
        }
        if expr.contains("histogram_quantile(") {
            assert!(
                expr.contains("_bucket{") && expr.contains("le)"),
                "{at}: {expr}"
            );
        }
    }
    // And the other way round: the dashboard shows every family the app exposes.
    let families: BTreeSet<String> = x.types.keys().cloned().collect();
    let unused: Vec<&String> = families.difference(&used).collect();
    assert!(unused.is_empty(), "exposed but on no panel: {unused:?}");
}

#[tokio::test]
async fn the_grafana_dashboard_imports_with_a_prometheus_data_source() {
    let dashboard = dashboard();
    let inputs = dashboard["__inputs"].as_array().expect("__inputs");
    assert!(inputs.iter().any(|i| i["name"] == "DS_PROMETHEUS"
        && i["type"] == "datasource"
        && i["pluginId"] == "prometheus"));
    assert!(dashboard["schemaVersion"].as_u64().unwrap() >= 39);
    let uid = dashboard["uid"].as_str().unwrap();
    assert!(!uid.is_empty() && uid.len() <= 40);
    assert!(dashboard["id"].is_null(), "an import gets its own id");
    assert!(
        dashboard["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("starpunk"))
    );
    assert!(!dashboard["refresh"].as_str().unwrap().is_empty());
    assert_eq!(dashboard["time"], json!({"from": "now-6h", "to": "now"}));
    let data_source = json!({"type": "prometheus", "uid": "${DS_PROMETHEUS}"});
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    let names: Vec<&str> = variables
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["job", "instance"]);
    for variable in variables {
        assert_eq!(variable["type"], "query");
        assert_eq!(variable["datasource"], data_source);
    }
    assert!(
        variables[1]["query"]["query"]
            .as_str()
            .unwrap()
            .contains(r#"job=~"$job""#)
    );

    let all = panels(&dashboard);
    let rows: Vec<&str> = all
        .iter()
        .filter(|p| p["type"] == "row")
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(rows, ["Overview", "Routes (RED)", "Database", "Resources"]);
    let ids: Vec<u64> = all
        .iter()
        .map(|p| p["id"].as_u64().expect("an id"))
        .collect();
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>().len(),
        ids.len(),
        "panel ids are unique"
    );
    let mut boxes = Vec::new();
    for panel in &all {
        let g = &panel["gridPos"];
        let [h, w, x, y] = ["h", "w", "x", "y"].map(|k| g[k].as_u64().expect("gridPos"));
        assert!(h > 0 && w > 0 && x + w <= 24, "panel {}: {g}", panel["id"]);
        boxes.push((panel["id"].clone(), x, y, w, h));
        if panel["type"] == "row" {
            continue;
        }
        assert_eq!(panel["datasource"], data_source, "panel {}", panel["id"]);
        let targets = panel["targets"].as_array().expect("targets");
        let refs: BTreeSet<&str> = targets
            .iter()
            .map(|t| t["refId"].as_str().unwrap())
            .collect();
        assert_eq!(
            refs.len(),
            targets.len(),
            "panel {}: refIds unique",
            panel["id"]
        );
        assert!(targets.iter().all(|t| t["datasource"] == data_source));
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let apart =
                a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1 || a.2 + a.4 <= b.2 || b.2 + b.4 <= a.2;
            assert!(apart, "panels {} and {} overlap", a.0, b.0);
        }
    }

    // The panels the issue asks for, by what they query.
    let queries = exprs(&dashboard);
    let has = |parts: &[&str]| {
        queries
            .iter()
            .any(|(_, e)| parts.iter().all(|p| e.contains(p)))
    };
    let wanted: &[(&str, &[&str])] = &[
        (
            "request rate",
            &["rate(starpunk_operations_total{type=\"http\""],
        ),
        ("4xx rate", &["starpunk_http_responses_total{class=\"4xx\""]),
        ("5xx rate", &["starpunk_http_responses_total{class=\"5xx\""]),
        (
            "error ratio",
            &["starpunk_operation_errors_total{type=\"http\"", " / "],
        ),
        (
            "overall p50",
            &[
                "histogram_quantile(0.5, sum by (le) (rate(starpunk_operation_duration_seconds_bucket{type=\"http\"",
            ],
        ),
        (
            "overall p95",
            &[
                "histogram_quantile(0.95, sum by (le) (rate(starpunk_operation_duration_seconds_bucket{type=\"http\"",
            ],
        ),
        (
            "overall p99",
            &[
                "histogram_quantile(0.99, sum by (le) (rate(starpunk_operation_duration_seconds_bucket{type=\"http\"",
            ],
        ),
        (
            "p95 by route",
            &[
                "histogram_quantile(0.95, sum by (name, le) (rate(starpunk_operation_duration_seconds_bucket{type=\"http\"",
            ],
        ),
        (
            "p99 by route",
            &["histogram_quantile(0.99, sum by (name, le)"],
        ),
        (
            "statements per request",
            &[
                "rate(starpunk_http_statements_total{",
                " / sum by (name) (rate(starpunk_operations_total{type=\"http\"",
            ],
        ),
        (
            "top statements by time",
            &[
                "topk(",
                "starpunk_statement_seconds_total{",
                "* on(id) group_left(",
                "text) ",
                "starpunk_statement_info{",
            ],
        ),
        (
            "statement calls",
            &[
                "topk(10, sum by (id) (rate(starpunk_statement_calls_total{",
                "group_left(text)",
            ],
        ),
        (
            "statement rows",
            &[
                "topk(10, sum by (id) (rate(starpunk_statement_rows_total{",
                "group_left(text)",
            ],
        ),
        ("database size", &["starpunk_db_size_bytes{"]),
        ("WAL", &["starpunk_db_wal_bytes{"]),
        ("free disk", &["starpunk_disk_free_bytes{"]),
        ("pool in use", &["starpunk_db_pool_in_use_connections{"]),
        ("pool waits", &["rate(starpunk_db_pool_waits_total{"]),
        ("pool timeouts", &["rate(starpunk_db_pool_timeouts_total{"]),
        ("memory", &["starpunk_memory_resident_bytes{"]),
        ("peak memory", &["starpunk_memory_peak_resident_bytes{"]),
        (
            "slow statements",
            &["increase(starpunk_slow_statements_total{"],
        ),
        (
            "people and bots",
            &["sum by (audience) (rate(starpunk_page_views_total{"],
        ),
        ("uptime", &["starpunk_uptime_seconds{"]),
        ("version", &["starpunk_build_info{"]),
    ];
    for (what, parts) in wanted {
        assert!(has(parts), "no panel shows the {what}: {parts:?}");
    }
    let routes = all
        .iter()
        .find(|p| p["type"] == "table" && p["title"] == "Routes");
    let routes = routes.expect("the per-route table");
    let route_queries: Vec<&str> = routes["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["expr"].as_str().unwrap())
        .collect();
    for part in [
        "starpunk_operations_total{type=\"http\"",
        "starpunk_operation_errors_total{type=\"http\"",
        "histogram_quantile(0.95",
        "starpunk_http_statements_total{",
    ] {
        assert!(
            route_queries.iter().any(|q| q.contains(part)),
            "the route table: {part}"
        );
    }
}

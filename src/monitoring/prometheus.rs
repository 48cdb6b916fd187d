//! Prometheus text exposition (format 0.0.4) of the store.

use std::fmt::Write;

use super::OpType;
use super::report::Report;
use super::store::BUCKETS_US;

/// Escapes a label value (backslash, double quote, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The exposition text.
pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = writeln!(out, "# HELP starpunk_build_info Build information.");
    let _ = writeln!(out, "# TYPE starpunk_build_info gauge");
    let _ = writeln!(
        out,
        "starpunk_build_info{{version=\"{}\"}} 1",
        label(env!("CARGO_PKG_VERSION"))
    );
    let _ = writeln!(
        out,
        "# HELP starpunk_uptime_seconds Seconds since the process started."
    );
    let _ = writeln!(out, "# TYPE starpunk_uptime_seconds gauge");
    let _ = writeln!(out, "starpunk_uptime_seconds {}", report.uptime_seconds);

    let _ = writeln!(
        out,
        "# HELP starpunk_operations_total Operations recorded, by type and name."
    );
    let _ = writeln!(out, "# TYPE starpunk_operations_total counter");
    for o in &report.operations {
        let _ = writeln!(
            out,
            "starpunk_operations_total{{type=\"{}\",name=\"{}\"}} {}",
            o.kind.as_str(),
            label(&o.name),
            o.count
        );
    }
    let _ = writeln!(
        out,
        "# HELP starpunk_operation_errors_total Failed operations, by type and name."
    );
    let _ = writeln!(out, "# TYPE starpunk_operation_errors_total counter");
    for o in &report.operations {
        let _ = writeln!(
            out,
            "starpunk_operation_errors_total{{type=\"{}\",name=\"{}\"}} {}",
            o.kind.as_str(),
            label(&o.name),
            o.errors
        );
    }
    let _ = writeln!(
        out,
        "# HELP starpunk_operation_duration_seconds Operation latency."
    );
    let _ = writeln!(out, "# TYPE starpunk_operation_duration_seconds histogram");
    for o in report
        .operations
        .iter()
        .filter(|o| o.kind != OpType::Business)
    {
        let labels = format!("type=\"{}\",name=\"{}\"", o.kind.as_str(), label(&o.name));
        for (bound, cumulative) in BUCKETS_US.iter().zip(&o.buckets) {
            let _ = writeln!(
                out,
                "starpunk_operation_duration_seconds_bucket{{{labels},le=\"{}\"}} {cumulative}",
                *bound as f64 / 1e6
            );
        }
        let _ = writeln!(
            out,
            "starpunk_operation_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            o.count
        );
        let _ = writeln!(
            out,
            "starpunk_operation_duration_seconds_sum{{{labels}}} {}",
            o.total_ms / 1e3
        );
        let _ = writeln!(
            out,
            "starpunk_operation_duration_seconds_count{{{labels}}} {}",
            o.count
        );
    }
    routes(&mut out, report);
    statements(&mut out, report);
    site(&mut out, report);

    let pool = &report.pool;
    let gauges = [
        (
            "starpunk_db_pool_size",
            "Configured pool size.",
            pool.gauges.size,
        ),
        (
            "starpunk_db_pool_connections",
            "Open pool connections.",
            pool.gauges.connections,
        ),
        (
            "starpunk_db_pool_idle_connections",
            "Idle pool connections.",
            pool.gauges.idle,
        ),
        (
            "starpunk_db_pool_in_use_connections",
            "Pool connections in use.",
            pool.gauges.in_use,
        ),
    ];
    for (metric, help, value) in gauges {
        let _ = writeln!(out, "# HELP {metric} {help}");
        let _ = writeln!(out, "# TYPE {metric} gauge");
        let _ = writeln!(out, "{metric} {value}");
    }
    let counters = [
        (
            "starpunk_db_pool_checkouts_total",
            "Connections handed out.",
            pool.checkouts as f64,
        ),
        (
            "starpunk_db_pool_waits_total",
            "Checkouts that waited.",
            pool.waits as f64,
        ),
        (
            "starpunk_db_pool_wait_seconds_total",
            "Time spent waiting for a connection.",
            pool.wait_ms_total / 1000.0,
        ),
        (
            "starpunk_db_pool_timeouts_total",
            "Checkouts that timed out.",
            pool.timeouts as f64,
        ),
    ];
    for (metric, help, value) in counters {
        let _ = writeln!(out, "# HELP {metric} {help}");
        let _ = writeln!(out, "# TYPE {metric} counter");
        let _ = writeln!(out, "{metric} {value}");
    }
    if let (Some(rss), Some(peak)) = (
        report.memory.current_rss_bytes,
        report.memory.peak_rss_bytes,
    ) {
        let _ = writeln!(
            out,
            "# HELP starpunk_memory_resident_bytes Resident memory."
        );
        let _ = writeln!(out, "# TYPE starpunk_memory_resident_bytes gauge");
        let _ = writeln!(out, "starpunk_memory_resident_bytes {rss}");
        let _ = writeln!(
            out,
            "# HELP starpunk_memory_peak_resident_bytes High-water mark of resident memory."
        );
        let _ = writeln!(out, "# TYPE starpunk_memory_peak_resident_bytes gauge");
        let _ = writeln!(out, "starpunk_memory_peak_resident_bytes {peak}");
    }
    out
}

/// Writes a metric's `# HELP` and `# TYPE` lines.
fn head(out: &mut String, metric: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {metric} {help}");
    let _ = writeln!(out, "# TYPE {metric} {kind}");
}

/// Per route: answers by status class, statements run, and the last five minutes' percentiles.
fn routes(out: &mut String, report: &Report) {
    head(
        out,
        "starpunk_http_responses_total",
        "counter",
        "HTTP answers by route and status class.",
    );
    for r in &report.routes {
        for (class, n) in &r.responses {
            let _ = writeln!(
                out,
                "starpunk_http_responses_total{{name=\"{}\",class=\"{class}\"}} {n}",
                label(&r.name)
            );
        }
    }
    head(
        out,
        "starpunk_http_statements_total",
        "counter",
        "SQL statements run by the requests of a route (divide by requests for the mean).",
    );
    for r in &report.routes {
        let total = (r.statements_per_request * r.requests as f64).round();
        let _ = writeln!(
            out,
            "starpunk_http_statements_total{{name=\"{}\"}} {total}",
            label(&r.name)
        );
    }
    // A summary (quantiles over a sliding window, as client libraries' summaries with a maximum
    // age), not a gauge: `promtool check metrics` rejects a `quantile` label on anything else.
    // Quantiles only; the since-start sum and count are `starpunk_operation_duration_seconds`'.
    head(
        out,
        "starpunk_http_request_duration_5m_seconds",
        "summary",
        "Request latency percentiles of a route over the last five minutes (≤ 1 % error).",
    );
    for r in report.routes.iter().filter(|r| r.last_5m.requests > 0) {
        let q = &r.last_5m.latency;
        for (quantile, value) in [
            ("0.5", q.p50_ms),
            ("0.9", q.p90_ms),
            ("0.95", q.p95_ms),
            ("0.99", q.p99_ms),
            ("0.999", q.p999_ms),
            ("1", q.max_ms),
        ] {
            let _ = writeln!(
                out,
                "starpunk_http_request_duration_5m_seconds{{name=\"{}\",quantile=\"{quantile}\"}} {}",
                label(&r.name),
                value / 1e3
            );
        }
    }
}

/// Per statement fingerprint, as `pg_stat_statements` exporters show it.
fn statements(out: &mut String, report: &Report) {
    head(
        out,
        "starpunk_statement_info",
        "gauge",
        "A statement fingerprint: its normalised text, kind and tables.",
    );
    for s in &report.statements {
        let _ = writeln!(
            out,
            "starpunk_statement_info{{id=\"{}\",name=\"{}\",kind=\"{}\",text=\"{}\"}} 1",
            s.id,
            label(&s.name),
            s.kind.as_str(),
            label(&s.text)
        );
    }
    type Value = fn(&super::report::Statement) -> f64;
    let series: [(&str, &str, Value); 3] = [
        (
            "starpunk_statement_calls_total",
            "Calls of a statement fingerprint.",
            |s| s.calls as f64,
        ),
        (
            "starpunk_statement_seconds_total",
            "Time spent in a statement fingerprint.",
            |s| s.total_ms / 1e3,
        ),
        (
            "starpunk_statement_rows_total",
            "Rows returned or changed by a statement fingerprint.",
            |s| s.rows as f64,
        ),
    ];
    for (metric, help, value) in series {
        head(out, metric, "counter", help);
        for s in &report.statements {
            let _ = writeln!(
                out,
                "{metric}{{id=\"{}\",name=\"{}\"}} {}",
                s.id,
                label(&s.name),
                value(s)
            );
        }
    }
}

/// The site as a whole: storage, slow statements, page views.
fn site(out: &mut String, report: &Report) {
    let storage = &report.summary.storage;
    for (metric, help, value) in [
        (
            "starpunk_db_size_bytes",
            "Size of the database file.",
            storage.database_bytes,
        ),
        (
            "starpunk_db_wal_bytes",
            "Size of the database's write-ahead log.",
            storage.wal_bytes,
        ),
        (
            "starpunk_disk_free_bytes",
            "Free space for the data directory.",
            storage.disk_free_bytes,
        ),
    ] {
        if let Some(value) = value {
            head(out, metric, "gauge", help);
            let _ = writeln!(out, "{metric} {value}");
        }
    }
    head(
        out,
        "starpunk_slow_statements_total",
        "counter",
        "Statements at or over METRICS_SLOW_QUERY_THRESHOLD.",
    );
    let _ = writeln!(
        out,
        "starpunk_slow_statements_total {}",
        report.summary.slow_statements
    );
    head(
        out,
        "starpunk_page_views_total",
        "counter",
        "Views of reader pages, by people and by bots (user agent).",
    );
    let _ = writeln!(
        out,
        "starpunk_page_views_total{{audience=\"people\"}} {}",
        report.views.total
    );
    let _ = writeln!(
        out,
        "starpunk_page_views_total{{audience=\"bots\"}} {}",
        report.views.bots
    );
}

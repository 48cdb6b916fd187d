//! The page: a summary row (is the site well, how busy and fast is it now), the charts, and
//! the tables, in a grid that uses a desktop's width and is one column on a phone.

use maud::{Markup, html};

use super::query::Options;
use super::units::{bytes, duration, maybe_bytes, ms_unit, percent, rate};
use super::{samples, tables, timeline};
use crate::assets;
use crate::monitoring::report::Report;
use crate::views::layout::{PageContext, page};

/// One cell of the summary row.
fn cell(id: &str, label: &str, value: Markup, detail: Option<String>) -> Markup {
    html! {
        div id=(id) {
            dt { (label) }
            dd {
                span.value { (value) }
                @if let Some(detail) = detail { span.detail { (detail) } }
            }
        }
    }
}

/// The summary row.
fn summary(report: &Report) -> Markup {
    let s = &report.summary;
    let storage = &s.storage;
    let ok = s.status == "ok";
    let in_use = report.pool.gauges.in_use;
    html! {
        section.panel.panel-wide.summary aria-label="Summary" {
            dl.cards {
                (cell("summary-status", "Status", html! { span.status-ok[ok].status-bad[!ok] { (s.status) } },
                    (!ok).then(|| if storage.failing { "storage failing".to_owned() } else { "5xx in the last 5 min".to_owned() })))
                (cell("summary-version", "Version", html! { (s.version) }, None))
                (cell("summary-uptime", "Uptime", html! { (duration(s.uptime_seconds)) }, None))
                (cell("summary-requests", "Requests, 5 min", html! { (s.requests_5m) },
                    Some(format!("{} req/s", rate(s.rate_per_second_5m)))))
                (cell("summary-errors", "Errors, 5 min", html! {
                    span.bad[s.server_error_rate_5m > 0.0] { (percent(s.server_error_rate_5m)) " 5xx" }
                }, Some(format!("{} 4xx", percent(s.client_error_rate_5m)))))
                (cell("summary-p95", "p95, 5 min", html! {
                    @if s.requests_5m > 0 { (ms_unit(s.p95_ms_5m)) } @else { "–" }
                }, None))
                (cell("summary-database", "Database", html! { (maybe_bytes(storage.database_bytes)) }, None))
                (cell("summary-wal", "WAL", html! { (maybe_bytes(storage.wal_bytes)) }, None))
                (cell("summary-disk", "Free disk", html! { (maybe_bytes(storage.disk_free_bytes)) }, None))
                (cell("summary-pool", "Pool in use", html! { (percent(s.pool_saturation)) },
                    Some(format!("{in_use} of {}", report.pool.gauges.size))))
                (cell("summary-memory", "Memory", html! { (maybe_bytes(s.memory_rss_bytes)) },
                    s.memory_peak_bytes.map(|b| format!("high-water {}", bytes(b)))))
                (cell("summary-slow", "Slow statements", html! { (s.slow_statements) },
                    Some(format!("over {}", ms_unit(report.slow_query_threshold_ms)))))
                (cell("summary-feed-cache", "Feed cache hits", html! {
                    @match s.feed_cache_hit_ratio { Some(r) => (percent(r)), None => "–" }
                }, None))
            }
        }
    }
}

/// Totals since start, the pool and the store itself.
fn process(report: &Report) -> Markup {
    let totals = &report.totals;
    let pool = &report.pool;
    html! {
        section.panel #process {
            h2 { "Since start" }
            dl.facts {
                div { dt { "HTTP requests" } dd #total-http { (totals.http.count) } }
                div { dt { "of which 5xx" } dd { (totals.http.errors) } }
                div { dt { "SQL statements" } dd #total-database { (totals.database.count) } }
                div { dt { "Renders" } dd { (totals.render.count) } }
                div { dt { "Events" } dd { (totals.business.count) } }
                div { dt { "Pool checkouts" } dd { (pool.checkouts) } }
                div { dt { "Checkouts that waited" } dd { (pool.waits) " (" (ms_unit(pool.wait_ms_total)) ")" } }
                div { dt { "Checkouts that timed out" } dd { (pool.timeouts) } }
                div { dt { "Connections" } dd {
                    (pool.gauges.in_use) " in use, " (pool.gauges.idle) " idle, "
                    (pool.gauges.connections) " open of " (pool.gauges.size)
                } }
                div { dt { "Metrics store" } dd { (bytes(report.memory.metrics_bytes as u64)) } }
            }
        }
    }
}

/// The panels: also what the refresh script swaps in.
fn panels(report: &Report, options: &Options) -> Markup {
    html! {
        div #panels {
            (summary(report))
            @if let Some(id) = &options.request {
                (samples::request(report, options, id))
            }
            (timeline::charts(report, options))
            (tables::routes(report))
            (tables::statements(report))
            (samples::slow(report, options))
            (tables::most_read(report))
            (process(report))
            (tables::feeds(report))
            (tables::renders_and_events(report))
            (samples::recent(report, options))
        }
    }
}

/// The whole dashboard page for the reader's `options`.
pub fn dashboard(ctx: &PageContext<'_>, report: &Report, options: &Options) -> Markup {
    let content = html! {
        div.metrics-page {
            div.admin-header.metrics-header {
                h1 { "Metrics" }
                a.button.button-secondary href="/admin/metrics?format=json" { "JSON" }
            }
            @if !report.enabled {
                p.flash.flash-warning #metrics-off {
                    "Metrics are off (METRICS_ENABLED=false): nothing is being recorded."
                }
            } @else {
                p.small {
                    "Sampling: http " (report.sampling.http) ", database " (report.sampling.database)
                    ", render " (report.sampling.render) ". Counts and percentiles are exact; only the "
                    "sample lists are sampled."
                }
            }
            (panels(report, options))
        }
        script src=(assets::url("js/metrics.js")) defer {}
    };
    page(ctx, "Metrics", content)
}

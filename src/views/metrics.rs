//! `/admin/metrics`: the performance dashboard, server-rendered with inline SVG charts.
//!
//! Readable with JavaScript off; with it on, `assets/js/metrics.js` reloads the `#panels`
//! element every 10 seconds.

use maud::{Markup, html};

use super::layout::{PageContext, page};
use crate::assets;
use crate::monitoring::OpType;
use crate::monitoring::report::{MinuteReport, Report};

const CHART_W: f64 = 600.0;
const CHART_H: f64 = 140.0;

fn fmt_ms(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 1.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.0} µs", ms * 1000.0)
    }
}

fn fmt_bytes(bytes: u64) -> String {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    format!("{mib:.1} MiB")
}

fn fmt_time(ms: i64) -> String {
    super::rfc3339(ms / 1000)
        .get(11..19)
        .unwrap_or_default()
        .to_owned()
}

/// The last 60 minutes, one slot a minute, missing minutes empty.
fn last_hour(report: &Report) -> Vec<Option<MinuteReport>> {
    let now_minute = report.generated_at_ms / 1000 / 60 * 60;
    (0..60)
        .map(|i| {
            let minute = now_minute - (59 - i) * 60;
            report
                .per_minute
                .iter()
                .find(|m| m.minute == minute)
                .copied()
        })
        .collect()
}

/// Requests per minute as bars.
fn request_rate_chart(hour: &[Option<MinuteReport>]) -> Markup {
    let max = hour
        .iter()
        .flatten()
        .map(|m| m.http)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = CHART_W / 60.0;
    html! {
        svg.chart viewBox=(format!("0 0 {CHART_W} {}", CHART_H + 20.0)) role="img"
            aria-label="HTTP requests per minute over the last hour" {
            line.axis x1="0" y1=(CHART_H) x2=(CHART_W) y2=(CHART_H) {}
            @for (i, minute) in hour.iter().enumerate() {
                @if let Some(m) = minute {
                    @let h = (m.http as f64 / max * (CHART_H - 10.0)).max(1.0);
                    rect.bar x=(format!("{:.1}", i as f64 * slot + 1.0)) y=(format!("{:.1}", CHART_H - h))
                        width=(format!("{:.1}", slot - 2.0)) height=(format!("{h:.1}")) {
                        title { (m.http) " requests, " (m.errors) " errors" }
                    }
                }
            }
            text x="0" y=(CHART_H + 15.0) { "60 min ago" }
            text x=(CHART_W) y=(CHART_H + 15.0) text-anchor="end" { "now" }
            text x="0" y="10" { "max " (max as u64) "/min" }
        }
    }
}

/// p50/p95/p99 HTTP latency per minute as three lines.
fn latency_chart(hour: &[Option<MinuteReport>]) -> Markup {
    let max = hour
        .iter()
        .flatten()
        .map(|m| m.http_p99_ms)
        .fold(0.0_f64, f64::max)
        .max(0.001);
    let slot = CHART_W / 60.0;
    let line = |pick: fn(&MinuteReport) -> f64| {
        hour.iter()
            .enumerate()
            .filter_map(|(i, m)| m.filter(|m| m.http > 0).map(|m| (i, pick(&m))))
            .map(|(i, v)| {
                format!(
                    "{:.1},{:.1}",
                    i as f64 * slot + slot / 2.0,
                    CHART_H - v / max * (CHART_H - 10.0)
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    html! {
        svg.chart viewBox=(format!("0 0 {CHART_W} {}", CHART_H + 20.0)) role="img"
            aria-label="HTTP latency percentiles per minute over the last hour" {
            line.axis x1="0" y1=(CHART_H) x2=(CHART_W) y2=(CHART_H) {}
            polyline.p50 points=(line(|m| m.http_p50_ms)) {}
            polyline.p95 points=(line(|m| m.http_p95_ms)) {}
            polyline.p99 points=(line(|m| m.http_p99_ms)) {}
            text x="0" y="10" { "max " (fmt_ms(max)) }
            text x=(CHART_W) y=(CHART_H + 15.0) text-anchor="end" { "now" }
        }
        p.legend { span.key.p50 { "p50" } " " span.key.p95 { "p95" } " " span.key.p99 { "p99" } }
    }
}

/// Resident memory over the last hour.
fn memory_chart(report: &Report) -> Markup {
    let samples = &report.memory.samples;
    let max = samples
        .iter()
        .map(|s| s.hwm_bytes)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let first = samples.first().map_or(0, |s| s.at);
    let span = (samples.last().map_or(0, |s| s.at) - first).max(1) as f64;
    let points = samples
        .iter()
        .map(|s| {
            format!(
                "{:.1},{:.1}",
                (s.at - first) as f64 / span * CHART_W,
                CHART_H - s.rss_bytes as f64 / max * (CHART_H - 10.0)
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        svg.chart viewBox=(format!("0 0 {CHART_W} {}", CHART_H + 20.0)) role="img"
            aria-label="Resident memory over the last hour" {
            line.axis x1="0" y1=(CHART_H) x2=(CHART_W) y2=(CHART_H) {}
            polyline.p50 points=(points) {}
            text x="0" y="10" { "peak " (fmt_bytes(max as u64)) }
        }
    }
}

/// A horizontal bar (0–1) for tables.
fn bar(fraction: f64) -> Markup {
    let width = (fraction.clamp(0.0, 1.0) * 100.0).max(1.0);
    html! {
        svg.minibar viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" {
            rect x="0" y="0" width=(format!("{width:.1}")) height="8" {}
        }
    }
}

/// The panels (also what the refresh script swaps in).
fn panels(report: &Report) -> Markup {
    let hour = last_hour(report);
    let mut routes: Vec<_> = report
        .operations
        .iter()
        .filter(|o| o.kind == OpType::Http)
        .collect();
    routes.sort_by(|a, b| b.p95_ms.total_cmp(&a.p95_ms));
    let top_p95 = routes.first().map_or(1.0, |r| r.p95_ms.max(0.001));
    let mut queries: Vec<_> = report
        .operations
        .iter()
        .filter(|o| o.kind == OpType::Database)
        .collect();
    queries.sort_by_key(|q| std::cmp::Reverse(q.count));
    let mut slowest: Vec<_> = report
        .recent
        .iter()
        .filter(|s| s.kind == OpType::Database)
        .collect();
    slowest.sort_by(|a, b| b.duration_ms.total_cmp(&a.duration_ms));
    slowest.truncate(10);
    let events: Vec<_> = report
        .operations
        .iter()
        .filter(|o| o.kind == OpType::Business)
        .collect();
    let renders: Vec<_> = report
        .operations
        .iter()
        .filter(|o| o.kind == OpType::Render)
        .collect();
    let pool = &report.pool;
    html! {
        div #panels {
            section.panel.summary {
                dl.cards {
                    div { dt { "Requests" } dd #total-http { (report.totals.http.count) } }
                    div { dt { "Errors (5xx)" } dd { (report.totals.http.errors) } }
                    div { dt { "SQL statements" } dd #total-database { (report.totals.database.count) } }
                    div { dt { "Renders" } dd { (report.totals.render.count) } }
                    div { dt { "Uptime" } dd { (report.uptime_seconds / 3600) "h " (report.uptime_seconds / 60 % 60) "m" } }
                    div { dt { "Memory" } dd { (report.memory.current_rss_bytes.map_or("–".to_owned(), fmt_bytes)) } }
                }
            }
            section.panel {
                h2 { "Requests per minute" }
                (request_rate_chart(&hour))
            }
            section.panel {
                h2 { "HTTP latency" }
                (latency_chart(&hour))
            }
            section.panel {
                h2 { "Routes by p95" }
                table.metrics-table #routes {
                    thead { tr { th { "Route" } th { "Count" } th { "Errors" } th { "p50" } th { "p95" } th { "p99" } th { span.visually-hidden { "p95 compared" } } } }
                    tbody {
                        @for r in routes.iter().take(15) {
                            tr {
                                td { code { (r.name) } }
                                td { (r.count) } td { (r.errors) }
                                td { (fmt_ms(r.p50_ms)) } td { (fmt_ms(r.p95_ms)) } td { (fmt_ms(r.p99_ms)) }
                                td.barcell { (bar(r.p95_ms / top_p95)) }
                            }
                        }
                    }
                }
            }
            section.panel {
                h2 { "Database" }
                table.metrics-table #queries {
                    thead { tr { th { "Kind / table" } th { "Count" } th { "Errors" } th { "Mean" } th { "p95" } th { "Max" } } }
                    tbody {
                        @for q in &queries {
                            tr {
                                td { code { (q.name) } }
                                td { (q.count) } td { (q.errors) }
                                td { (fmt_ms(q.mean_ms)) } td { (fmt_ms(q.p95_ms)) } td { (fmt_ms(q.max_ms)) }
                            }
                        }
                    }
                }
                h3 { "Slowest sampled statements" }
                @if slowest.is_empty() { p.empty { "No statements sampled yet." } }
                ol.statements {
                    @for s in &slowest {
                        li { (fmt_ms(s.duration_ms)) " — " code { (s.sql().unwrap_or(&s.name)) } }
                    }
                }
                h3 { "Slow queries (over " (fmt_ms(report.slow_query_threshold_ms)) ")" }
                @if report.slow_queries.is_empty() { p.empty #no-slow { "None." } }
                ol.statements #slow {
                    @for s in &report.slow_queries {
                        li { (fmt_time(s.timestamp_ms)) " · " (fmt_ms(s.duration_ms)) " — " code { (s.sql().unwrap_or(&s.name)) } }
                    }
                }
            }
            section.panel {
                h2 { "Connection pool" }
                p {
                    (pool.gauges.in_use) " in use, " (pool.gauges.idle) " idle, "
                    (pool.gauges.connections) " open of " (pool.gauges.size)
                }
                (bar(f64::from(pool.gauges.in_use) / f64::from(pool.gauges.size.max(1))))
                p.small {
                    (pool.checkouts) " checkouts · " (pool.waits) " waits (" (fmt_ms(pool.wait_ms_total)) ") · "
                    (pool.timeouts) " timeouts"
                }
            }
            section.panel {
                h2 { "Memory" }
                @if report.memory.samples.is_empty() {
                    p.empty { "No readings (METRICS_MEMORY_INTERVAL=0 or not on Linux)." }
                } @else {
                    (memory_chart(report))
                    p.small {
                        "Resident " (report.memory.current_rss_bytes.map_or("–".to_owned(), fmt_bytes))
                        " · peak " (report.memory.peak_rss_bytes.map_or("–".to_owned(), fmt_bytes))
                    }
                }
            }
            section.panel #feeds {
                h2 { "Feeds" }
                table.metrics-table {
                    thead { tr { th { "Format" } th { "Requests" } th { "304" } th { "Cache hits" } th { "Misses" } th { "Hit rate" } } }
                    tbody {
                        @for format in ["rss", "atom", "json"] {
                            @let count = |what: &str| report.operations.iter()
                                .find(|o| o.kind == OpType::Business && o.name == format!("feed.{what}.{format}"))
                                .map_or(0, |o| o.count);
                            @let (hits, misses) = (count("cache_hit"), count("cache_miss"));
                            tr {
                                td { (format) } td { (count("request")) } td { (count("not_modified")) }
                                td { (hits) } td { (misses) }
                                td { @if hits + misses > 0 { (format!("{:.0}%", hits as f64 * 100.0 / (hits + misses) as f64)) } @else { "–" } }
                            }
                        }
                    }
                }
            }
            section.panel {
                h2 { "Renders and events" }
                table.metrics-table {
                    thead { tr { th { "Name" } th { "Count" } th { "p95" } } }
                    tbody {
                        @for r in renders.iter().chain(events.iter()) {
                            tr { td { code { (r.kind.as_str()) " " (r.name) } } td { (r.count) } td { (fmt_ms(r.p95_ms)) } }
                        }
                    }
                }
            }
            section.panel {
                h2 { "Recent samples" }
                p.small { (report.recent.len()) " of at most " (report.buffer_size) " kept" }
                table.metrics-table #recent {
                    thead { tr { th { "Time" } th { "Type" } th { "Name" } th { "Duration" } } }
                    tbody {
                        @for s in report.recent.iter().take(50) {
                            tr { td { (fmt_time(s.timestamp_ms)) } td { (s.kind.as_str()) } td { code { (s.name) } } td { (fmt_ms(s.duration_ms)) } }
                        }
                    }
                }
            }
        }
    }
}

/// The whole dashboard page.
pub fn dashboard(ctx: &PageContext<'_>, report: &Report) -> Markup {
    let content = html! {
        div.admin-header {
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
                "sample lists are sampled. Refreshes every 10 s."
            }
        }
        (panels(report))
        script src=(assets::url("js/metrics.js")) defer {}
    };
    page(ctx, "Metrics", content)
}

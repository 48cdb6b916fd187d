//! The dashboard's tables: routes (rate, errors, duration, statements per request and the last
//! hour), statement fingerprints, the most read pages, feeds, renders and events. Each table
//! scrolls inside its own focusable region, so a phone's page never scrolls sideways.

use maud::{Markup, html};

use super::chart::{SparkMinute, share_bar, sparkline};
use super::units::{hhmm, ms, percent, rate};
use crate::monitoring::OpType;
use crate::monitoring::report::{Report, Route};

/// Statement fingerprints listed (the JSON report has them all).
const STATEMENTS_SHOWN: usize = 30;
/// Mean statements per request from which a route is flagged.
pub const MANY_STATEMENTS: f64 = 10.0;

/// A table in a region that scrolls sideways by itself, reachable by keyboard.
pub fn scroll(id: &str, label: &str, table: Markup) -> Markup {
    html! {
        div.table-scroll id=(format!("{id}-scroll")) tabindex="0" role="region" aria-label=(label) {
            (table)
        }
    }
}

/// SQL text as a block; a long one (a schema statement) shows its start, and the rest behind
/// "Full text".
pub fn sql(text: &str) -> Markup {
    const SHOWN: usize = 200;
    const LONG: usize = 280;
    if text.chars().nth(LONG).is_none() {
        return html! { code.sql { (text) } };
    }
    match text.char_indices().nth(SHOWN) {
        None => html! { code.sql { (text) } },
        Some((cut, _)) => html! {
            code.sql { (&text[..cut]) "…" }
            details.full-sql {
                summary { "Full text (" (text.chars().count()) " characters)" }
                code.sql { (text) }
            }
        },
    }
}

/// Whether a route looks like an N+1: many statements per request on average, or one request
/// that ran far more than the mean.
pub fn many_statements(route: &Route) -> bool {
    let mean = route.statements_per_request;
    let max = route.statements_max as f64;
    mean >= MANY_STATEMENTS || (max >= MANY_STATEMENTS && max >= 3.0 * mean.max(1.0))
}

/// Milliseconds, or a dash when nothing was measured.
fn ms_or_dash(value: f64, count: u64) -> String {
    if count == 0 {
        "–".to_owned()
    } else {
        ms(value)
    }
}

/// Rate, errors and duration per route (RED), with statements per request and the last hour.
pub fn routes(report: &Report) -> Markup {
    let mut routes: Vec<&Route> = report.routes.iter().collect();
    // Slowest first: the p95 of the last five minutes, or since start for a quiet route.
    let p95 = |r: &Route| {
        if r.last_5m.requests > 0 {
            r.last_5m.latency.p95_ms
        } else {
            r.since_start.p95_ms
        }
    };
    routes.sort_by(|a, b| p95(b).total_cmp(&p95(a)).then_with(|| a.name.cmp(&b.name)));
    let table = html! {
        table.metrics-table #routes {
            thead {
                tr {
                    th scope="col" { "Route" }
                    th.num scope="col" { "Req/s" }
                    th.num scope="col" { "4xx" }
                    th.num scope="col" { "5xx" }
                    th.num scope="col" { "p50 ms" }
                    th.num scope="col" { "p95 ms" }
                    th.num scope="col" { "p99 ms" }
                    th.num scope="col" { "p95 ms since start" }
                    th.num scope="col" { "Requests since start" }
                    th.num scope="col" { "SQL per request" }
                    th.num scope="col" { "Most SQL" }
                    th.num scope="col" { "SQL ms per request" }
                    th scope="col" { "Last hour (bars: requests; line: slowest)" }
                }
            }
            tbody {
                @for r in &routes {
                    @let recent = &r.last_5m;
                    @let flagged = many_statements(r);
                    tr.flagged[flagged] {
                        th scope="row" { code { (r.name) } }
                        td.num { (rate(recent.rate_per_second)) }
                        td.num.warn[recent.client_errors > 0] { (recent.client_errors) }
                        td.num.bad[recent.server_errors > 0] { (recent.server_errors) }
                        td.num { (ms_or_dash(recent.latency.p50_ms, recent.requests)) }
                        td.num { (ms_or_dash(recent.latency.p95_ms, recent.requests)) }
                        td.num { (ms_or_dash(recent.latency.p99_ms, recent.requests)) }
                        td.num { (ms_or_dash(r.since_start.p95_ms, r.requests)) }
                        td.num { (r.requests) }
                        td.num {
                            (format!("{:.1}", r.statements_per_request))
                            @if flagged { " " strong.flag { "N+1?" } }
                        }
                        td.num { (r.statements_max) }
                        td.num { (ms(r.database_ms_per_request)) }
                        td { (route_sparkline(r)) }
                    }
                }
            }
        }
    };
    html! {
        section.panel.panel-wide #routes-panel {
            h2 { "Routes" }
            p.small {
                "Slowest first (p95). Rate, 4xx, 5xx and percentiles over the last five minutes; the \
                 rest since start. "
                strong.flag { "N+1?" } " marks a route whose requests run "
                (MANY_STATEMENTS) " or more SQL statements on average, or whose busiest request ran "
                "at least three times the mean."
            }
            @if routes.is_empty() {
                p.empty { "No requests yet." }
            }
            (scroll("routes", "Routes", table))
        }
    }
}

/// A route's sparkline with a sentence for screen readers.
fn route_sparkline(route: &Route) -> Markup {
    let points: Vec<SparkMinute> = route
        .sparkline
        .iter()
        .map(|p| SparkMinute {
            requests: p.requests,
            errors: p.errors,
            slowest_ms: p.max_us as f64 / 1000.0,
            title: if p.requests == 0 {
                format!("{}: no requests", hhmm(p.minute))
            } else {
                format!(
                    "{}: {} requests, {} 5xx, mean {} ms, slowest {} ms",
                    hhmm(p.minute),
                    p.requests,
                    p.errors,
                    ms(p.mean_us as f64 / 1000.0),
                    ms(p.max_us as f64 / 1000.0)
                )
            },
        })
        .collect();
    let total: u64 = points.iter().map(|p| p.requests).sum();
    let peak = points.iter().map(|p| p.requests).max().unwrap_or(0);
    let errors: u64 = points.iter().map(|p| p.errors).sum();
    let slowest = route.sparkline.iter().max_by_key(|p| p.max_us);
    let mut label =
        format!("Last hour: {total} requests, at most {peak} a minute, {errors} answered 5xx");
    if let Some(p) = slowest.filter(|p| p.requests > 0) {
        label.push_str(&format!(
            "; slowest request {} ms at {}",
            ms(p.max_us as f64 / 1000.0),
            hhmm(p.minute)
        ));
    }
    sparkline(&points, &label)
}

/// Statement fingerprints, most total time first.
pub fn statements(report: &Report) -> Markup {
    let shown = &report.statements[..report.statements.len().min(STATEMENTS_SHOWN)];
    let table = html! {
        table.metrics-table #queries {
            thead {
                tr {
                    th scope="col" { "Statement" }
                    th.num scope="col" { "Calls" }
                    th.num scope="col" { "Total ms" }
                    th.num scope="col" { "Mean ms" }
                    th.num scope="col" { "p95 ms" }
                    th.num scope="col" { "Max ms" }
                    th.num scope="col" { "Rows" }
                    th scope="col" { "Share of SQL time" }
                }
            }
            tbody {
                @for s in shown {
                    tr id=(format!("statement-{}", s.id)) {
                        th.statement scope="row" {
                            strong { (s.name) }
                            " " span.small {
                                (s.kind.as_str()) " · "
                                @if !s.tables.is_empty() { (s.tables.join(", ")) " · " }
                                code { (s.id) }
                            }
                            (sql(&s.text))
                        }
                        td.num { (s.calls) }
                        td.num { (ms(s.total_ms)) }
                        td.num { (ms(s.mean_ms)) }
                        td.num { (ms(s.p95_ms)) }
                        td.num { (ms(s.max_ms)) }
                        td.num { (s.rows) }
                        td.share { span.num { (percent(s.share_of_database_time)) } (share_bar(s.share_of_database_time)) }
                    }
                }
            }
        }
    };
    html! {
        section.panel.panel-wide #statements-panel {
            h2 { "SQL statements" }
            p.small {
                "By fingerprint (literals as ?), since start, most total time first."
                @if report.statements.len() > shown.len() {
                    " " (report.statements.len() - shown.len()) " more in the JSON report."
                }
            }
            @if shown.is_empty() {
                p.empty { "No statements yet." }
            }
            (scroll("queries", "SQL statements", table))
        }
    }
}

/// The ten most read pages, people and bots apart.
pub fn most_read(report: &Report) -> Markup {
    let views = &report.views;
    let table = html! {
        table.metrics-table #most-read {
            thead { tr { th scope="col" { "Page" } th.num scope="col" { "People" } th.num scope="col" { "Bots" } } }
            tbody {
                @for v in &views.top {
                    tr {
                        th scope="row" {
                            @if v.path.starts_with('/') && !v.path.starts_with("//") {
                                a href=(v.path) { (v.path) }
                            } @else {
                                (v.path)
                            }
                        }
                        td.num { (v.views) }
                        td.num { (v.bot_views) }
                    }
                }
            }
        }
    };
    html! {
        section.panel #views {
            h2 { "Most read" }
            p.small {
                (views.total) " views by people and " (views.bots)
                " by bots (told apart by user agent) across " (views.pages) " pages since start."
            }
            @if views.top.is_empty() {
                p.empty { "No page views yet." }
            } @else {
                (scroll("most-read", "Most read pages", table))
            }
        }
    }
}

/// Feed requests and cache use per format.
pub fn feeds(report: &Report) -> Markup {
    let count = |name: String| {
        report
            .operations
            .iter()
            .find(|o| o.kind == OpType::Business && o.name == name)
            .map_or(0, |o| o.count)
    };
    let table = html! {
        table.metrics-table {
            thead { tr {
                th scope="col" { "Format" } th.num scope="col" { "Requests" } th.num scope="col" { "304" }
                th.num scope="col" { "Cache hits" } th.num scope="col" { "Misses" } th.num scope="col" { "Hit rate" }
            } }
            tbody {
                @for format in ["rss", "atom", "json"] {
                    @let (hits, misses) = (count(format!("feed.cache_hit.{format}")), count(format!("feed.cache_miss.{format}")));
                    tr {
                        th scope="row" { (format) }
                        td.num { (count(format!("feed.request.{format}"))) }
                        td.num { (count(format!("feed.not_modified.{format}"))) }
                        td.num { (hits) }
                        td.num { (misses) }
                        td.num { @if hits + misses > 0 { (percent(hits as f64 / (hits + misses) as f64)) } @else { "–" } }
                    }
                }
            }
        }
    };
    html! {
        section.panel #feeds {
            h2 { "Feeds" }
            (scroll("feeds", "Feeds", table))
        }
    }
}

/// Page renders and business events since start.
pub fn renders_and_events(report: &Report) -> Markup {
    let rows: Vec<_> = report
        .operations
        .iter()
        .filter(|o| matches!(o.kind, OpType::Render | OpType::Business))
        .collect();
    let table = html! {
        table.metrics-table #renders {
            thead { tr {
                th scope="col" { "Name" } th scope="col" { "Type" }
                th.num scope="col" { "Count" } th.num scope="col" { "p95 ms" }
            } }
            tbody {
                @for r in &rows {
                    tr {
                        th scope="row" { code { (r.name) } }
                        td { (r.kind.as_str()) }
                        td.num { (r.count) }
                        td.num { @if r.kind == OpType::Render { (ms(r.p95_ms)) } @else { "–" } }
                    }
                }
            }
        }
    };
    html! {
        section.panel #renders-panel {
            h2 { "Renders and events" }
            @if rows.is_empty() {
                p.empty { "None yet." }
            } @else {
                (scroll("renders", "Renders and events", table))
            }
        }
    }
}

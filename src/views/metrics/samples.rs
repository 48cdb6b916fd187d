//! The sampled detail: recent samples filtered by type, slow statements linked to the request
//! that ran them, and every kept sample of one request.

use maud::{Markup, html};

use super::query::Options;
use super::tables::{scroll, sql};
use super::units::{count, hhmmss, ms, ms_unit};
use crate::monitoring::report::Report;
use crate::monitoring::{Metadata, OpType, Sample};

/// Rows of the recent samples table.
const RECENT_SHOWN: usize = 50;

/// The request a sample belongs to, if it says.
fn request_id(sample: &Sample) -> Option<&str> {
    match &sample.metadata {
        Metadata::Http(h) => Some(&h.request_id),
        Metadata::Database(d) => d.request_id.as_deref(),
        Metadata::Fields(f) => f.get("request_id").and_then(|v| v.as_str()),
    }
}

/// A link to every kept sample of `id`.
fn request_link(options: &Options, id: &str) -> Markup {
    html! { a.request-id href=(options.with_request(id).href()) { code { (id) } } }
}

/// What a sample says besides its name and duration.
fn details(sample: &Sample) -> Markup {
    match &sample.metadata {
        Metadata::Http(h) => html! {
            span.status.warn[(400..500).contains(&h.status)].bad[h.status >= 500] { (h.status) }
            " · " (count(h.statements, "SQL statement", "SQL statements")) ", " (ms_unit(h.database_ms))
        },
        Metadata::Database(d) => html! {
            a href=(format!("#statement-{}", d.fingerprint)) { "fingerprint " code { (d.fingerprint) } }
            " · " (count(d.rows, "row", "rows"))
            (sql(&d.sql))
        },
        Metadata::Fields(fields) => html! {
            @for (i, (key, value)) in fields.iter().filter(|(k, _)| *k != "request_id").enumerate() {
                @if i > 0 { ", " }
                (key) "=" (value.as_str().map_or_else(|| value.to_string(), str::to_owned))
            }
        },
    }
}

/// Samples as a table: time (to the millisecond with `millis`), type, name, duration, details,
/// request.
fn table(id: &str, samples: &[&Sample], options: &Options, millis: bool) -> Markup {
    html! {
        table.metrics-table.samples id=(id) {
            thead { tr {
                th scope="col" { "Time" } th scope="col" { "Type" } th scope="col" { "Route or statement" }
                th.num scope="col" { "ms" } th scope="col" { "Details" } th scope="col" { "Request" }
            } }
            tbody {
                @for s in samples {
                    tr {
                        td.time {
                            (hhmmss(s.timestamp_ms))
                            @if millis { "." (format!("{:03}", s.timestamp_ms.rem_euclid(1000))) }
                        }
                        td { (s.kind.as_str()) }
                        th scope="row" { code { (s.name) } }
                        td.num { (ms(s.duration_ms)) }
                        td.details { (details(s)) }
                        td { @if let Some(id) = request_id(s) { (request_link(options, id)) } }
                    }
                }
            }
        }
    }
}

/// Recent samples, newest first, filtered by `options.kind`, with the filter's links.
pub fn recent(report: &Report, options: &Options) -> Markup {
    let kept: Vec<&Sample> = report
        .recent
        .iter()
        .filter(|s| options.kind.is_none_or(|k| s.kind == k))
        .collect();
    let shown = &kept[..kept.len().min(RECENT_SHOWN)];
    let filters = [(None, "All")]
        .into_iter()
        .chain(OpType::ALL.map(|t| (Some(t), type_label(t))));
    html! {
        section.panel.panel-wide #recent-panel {
            h2 { "Recent samples" }
            nav.filter aria-label="Sample type" {
                @for (kind, label) in filters {
                    @if kind == options.kind {
                        a href=(options.with_kind(kind).href()) aria-current="page" { (label) }
                    } @else {
                        a href=(options.with_kind(kind).href()) { (label) }
                    }
                }
            }
            p.small {
                "Newest first: " (shown.len()) " of " (kept.len()) " kept"
                @if let Some(kind) = options.kind { " " (type_label(kind)) }
                " samples (the buffer keeps " (report.buffer_size) " of all types); times in UTC."
            }
            (scroll("recent", "Recent samples", table("recent", shown, options, false)))
        }
    }
}

/// A type's name on its filter link.
fn type_label(kind: OpType) -> &'static str {
    match kind {
        OpType::Http => "HTTP",
        OpType::Database => "Database",
        OpType::Render => "Render",
        OpType::Business => "Business",
    }
}

/// Slow statements, newest first, each linked to its request.
pub fn slow(report: &Report, options: &Options) -> Markup {
    html! {
        section.panel #slow-panel {
            h2 { "Slow statements" }
            p.small {
                "At or over " (ms_unit(report.slow_query_threshold_ms)) "; "
                (report.summary.slow_statements) " since start, the latest "
                (report.slow_queries.len()) " here."
            }
            @if report.slow_queries.is_empty() { p.empty #no-slow { "None." } }
            ol.statements #slow {
                @for s in &report.slow_queries {
                    li {
                        span.time { (hhmmss(s.timestamp_ms)) } " · " strong { (ms_unit(s.duration_ms)) }
                        " · " (s.name)
                        @if let Some(id) = request_id(s) { " · request " (request_link(options, id)) }
                        (sql(s.sql().unwrap_or(&s.name)))
                    }
                }
            }
        }
    }
}

/// Every kept sample of the request `id`: its HTTP sample, then its statements oldest first.
pub fn request(report: &Report, options: &Options, id: &str) -> Markup {
    let mut samples: Vec<&Sample> = report
        .recent
        .iter()
        .chain(&report.slow_queries)
        .filter(|s| request_id(s) == Some(id))
        .collect();
    let key = |s: &Sample| (s.kind != OpType::Http, s.timestamp_ms);
    samples.sort_by(|a, b| {
        (key(a), &a.name)
            .cmp(&(key(b), &b.name))
            .then(a.duration_ms.total_cmp(&b.duration_ms))
    });
    // A slow statement is kept in both lists.
    samples.dedup_by(|a, b| {
        (a.timestamp_ms, a.kind, &a.name) == (b.timestamp_ms, b.kind, &b.name)
            && a.duration_ms == b.duration_ms
    });
    let http = samples.iter().find_map(|s| match &s.metadata {
        Metadata::Http(h) => Some((s, h)),
        _ => None,
    });
    html! {
        section.panel.panel-wide #request {
            h2 { "Request " code { (id) } }
            @if let Some((sample, h)) = http {
                p {
                    code { (sample.name) } " answered " strong { (h.status) } " in "
                    (ms_unit(sample.duration_ms)) " after " (count(h.statements, "SQL statement", "SQL statements")) " ("
                    (ms_unit(h.database_ms)) "). "
                    (count(samples.len() as u64 - 1, "sample", "samples"))
                    " of its work are still kept (the buffer holds the latest " (report.buffer_size) ")."
                }
            }
            @if samples.is_empty() {
                p.empty {
                    "No sample of this request is kept: the buffer holds the latest "
                    (report.buffer_size) " samples."
                }
            } @else {
                (scroll("request", "Samples of this request", table("request-samples", &samples, options, true)))
            }
            p { a href=(options.with_kind(None).href()) { "All recent samples" } }
        }
    }
}

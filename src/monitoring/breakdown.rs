//! The report's breakdown of the site: one entry per operation, route, statement fingerprint
//! and page, with their percentiles in milliseconds.

use std::collections::BTreeMap;

use serde::Serialize;

use super::fingerprint::StatementKind;
use super::histogram::Quantiles;
use super::records::OpType;
use super::snapshot::{PageViews, StatementSummary};
use super::stats::{OpSummary, SparkPoint};

/// Latency percentiles of a set of operations, milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Percentiles {
    /// Operations.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl Percentiles {
    pub(crate) fn new(count: u64, q: &Quantiles) -> Self {
        Percentiles {
            count,
            p50_ms: ms(q.p50),
            p90_ms: ms(q.p90),
            p95_ms: ms(q.p95),
            p99_ms: ms(q.p99),
            p999_ms: ms(q.p999),
            max_ms: ms(q.max),
        }
    }
}

/// One (type, name) with its statistics in milliseconds, since start.
#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    /// `http`, `database`, `render` or `business`.
    #[serde(rename = "type")]
    pub kind: OpType,
    /// E.g. `GET /notes/{slug}` or `select notes`.
    pub name: String,
    /// Operations recorded.
    pub count: u64,
    /// Of which failed.
    pub errors: u64,
    /// HTTP 4xx answers (requests only).
    pub client_errors: u64,
    /// Sum of durations.
    pub total_ms: f64,
    /// Fastest.
    pub min_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
    /// Median (≤ 1 % error).
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Operations at most each bound of [`super::store::BUCKETS_US`] (for Prometheus).
    #[serde(skip)]
    pub buckets: Vec<u64>,
}

/// The last five minutes of a route.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RecentRequests {
    /// Requests.
    pub requests: u64,
    /// Requests per second, averaged over the five minutes.
    pub rate_per_second: f64,
    /// 4xx answers.
    pub client_errors: u64,
    /// 5xx answers.
    pub server_errors: u64,
    /// Latency.
    pub latency: Percentiles,
}

/// Rate, errors and duration of one route.
#[derive(Debug, Clone, Serialize)]
pub struct Route {
    /// `GET /notes/{slug}`.
    pub name: String,
    /// Requests since start.
    pub requests: u64,
    /// 4xx answers since start.
    pub client_errors: u64,
    /// 5xx answers since start.
    pub server_errors: u64,
    /// Answers by status class (`"2xx"` …) since start.
    pub responses: BTreeMap<String, u64>,
    /// Latency since start.
    pub since_start: Percentiles,
    /// The last five minutes.
    pub last_5m: RecentRequests,
    /// SQL statements per request: mean since start.
    pub statements_per_request: f64,
    /// Most statements one request ran.
    pub statements_max: u64,
    /// Time in SQL per request, mean since start.
    pub database_ms_per_request: f64,
    /// Requests, 5xx, mean and slowest latency (µs) per minute over the last hour, oldest
    /// first.
    pub sparkline: Vec<SparkPoint>,
}

/// One statement fingerprint, as `pg_stat_statements` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    /// 16 hex digits, stable across restarts.
    pub id: String,
    /// `select notes`: kind and subject.
    pub name: String,
    /// What it does.
    pub kind: StatementKind,
    /// Tables it reads or writes.
    pub tables: Vec<String>,
    /// The normalised text: literals and parameters as `?`, lists as `(...)`.
    pub text: String,
    /// Calls since start.
    pub calls: u64,
    /// Rows returned or changed.
    pub rows: u64,
    /// Total time.
    pub total_ms: f64,
    /// Mean.
    pub mean_ms: f64,
    /// 95th percentile since start.
    pub p95_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// Share of all statement time since start, 0–1.
    pub share_of_database_time: f64,
    /// Percentiles since start.
    pub since_start: Percentiles,
    /// Percentiles over the last five minutes.
    pub last_5m: Percentiles,
}

/// Page views since start (in memory; no cookies, no addresses).
#[derive(Debug, Clone, Serialize)]
pub struct Views {
    /// Views by people.
    pub total: u64,
    /// Views by crawlers and other bots (by user agent).
    pub bots: u64,
    /// Distinct pages viewed.
    pub pages: usize,
    /// The ten most viewed pages by people.
    pub top: Vec<PageView>,
}

/// Views of one page.
#[derive(Debug, Clone, Serialize)]
pub struct PageView {
    /// The path.
    pub path: String,
    /// By people.
    pub views: u64,
    /// By bots.
    pub bot_views: u64,
}

/// Microseconds as milliseconds.
pub(crate) fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// `part ÷ whole`, 0 when there is no whole.
pub(crate) fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Seconds the five-minute window spans (fewer right after start).
pub(crate) fn window_seconds(uptime: u64) -> f64 {
    uptime.clamp(1, 300) as f64
}

/// One operation since start.
pub(crate) fn operation(o: &OpSummary) -> Operation {
    let q = &o.since_start;
    Operation {
        kind: o.kind,
        name: o.name.clone(),
        count: o.agg.count,
        errors: o.agg.errors,
        client_errors: o.agg.client_errors,
        total_ms: ms(o.agg.total_us),
        min_ms: ms(o.agg.min_us),
        max_ms: ms(o.agg.max_us),
        mean_ms: ms(o.agg.mean_us()),
        p50_ms: ms(q.p50),
        p90_ms: ms(q.p90),
        p95_ms: ms(q.p95),
        p99_ms: ms(q.p99),
        p999_ms: ms(q.p999),
        buckets: o.buckets.to_vec(),
    }
}

/// One route's rate, errors and duration.
pub(crate) fn route(o: &OpSummary, uptime: u64) -> Route {
    let requests = o.agg.count;
    let recent = &o.last_5m;
    Route {
        name: o.name.clone(),
        requests,
        client_errors: o.agg.client_errors,
        server_errors: o.agg.errors,
        responses: o
            .classes
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (format!("{}xx", i + 1), *n))
            .collect(),
        since_start: Percentiles::new(requests, &o.since_start),
        last_5m: RecentRequests {
            requests: recent.count,
            rate_per_second: recent.count as f64 / window_seconds(uptime),
            client_errors: recent.client_errors,
            server_errors: recent.errors,
            latency: Percentiles::new(recent.count, &recent.quantiles),
        },
        statements_per_request: ratio(o.work.statements, requests),
        statements_max: o.statements_max,
        database_ms_per_request: ratio(o.work.database_us, requests) / 1000.0,
        sparkline: o.hour.clone(),
    }
}

/// The most viewed pages.
pub(crate) fn views(list: &[PageViews], total: [u64; 2]) -> Views {
    Views {
        total: total[0],
        bots: total[1],
        pages: list.len(),
        top: list
            .iter()
            .filter(|v| v.views > 0)
            .take(10)
            .map(|v| PageView {
                path: v.path.clone(),
                views: v.views,
                bot_views: v.bot_views,
            })
            .collect(),
    }
}

/// One statement fingerprint; `database_us` is all statements' time since start.
pub(crate) fn statement(s: &StatementSummary, database_us: u64) -> Statement {
    let (f, o) = (&s.fingerprint, &s.summary);
    Statement {
        id: f.id.clone(),
        name: o.name.clone(),
        kind: f.kind,
        tables: f.tables.clone(),
        text: f.text.clone(),
        calls: o.agg.count,
        rows: o.rows,
        total_ms: ms(o.agg.total_us),
        mean_ms: ms(o.agg.mean_us()),
        p95_ms: ms(o.since_start.p95),
        max_ms: ms(o.agg.max_us),
        share_of_database_time: ratio(o.agg.total_us, database_us),
        since_start: Percentiles::new(o.agg.count, &o.since_start),
        last_5m: Percentiles::new(o.last_5m.count, &o.last_5m.quantiles),
    }
}

//! The metrics as one JSON document: the shape served by `/admin/metrics?format=json`
//! (documented in the README; fields are only ever added, and `version` says which set).

use serde::Serialize;

pub use super::breakdown::{
    Operation, PageView, Percentiles, RecentRequests, Route, Statement, Views,
};
use super::breakdown::{ms, operation, ratio, route, statement, views, window_seconds};
use super::records::{MemorySample, OpType, Sample};
use super::snapshot::Snapshot;
use super::store::Metrics;

/// The report's version: 2 added percentiles p90/p99.9, routes, statements, views, summary.
pub const VERSION: u32 = 2;

/// Pool gauges read at report time.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PoolGauges {
    /// Configured maximum (`DB_POOL_SIZE`).
    pub size: u32,
    /// Open connections.
    pub connections: u32,
    /// Idle connections.
    pub idle: u32,
    /// Connections in use.
    pub in_use: u32,
}

/// The data directory's sizes, read at report time.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct StorageGauges {
    /// The database file, bytes.
    pub database_bytes: Option<u64>,
    /// Its write-ahead log, bytes.
    pub wal_bytes: Option<u64>,
    /// Free space for the data directory, bytes.
    pub disk_free_bytes: Option<u64>,
    /// Whether writes are failing now (full disk, I/O error, read-only).
    pub failing: bool,
}

/// Counts and HTTP latency of one minute.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MinuteReport {
    /// Unix time of the minute's start, seconds.
    pub minute: i64,
    /// HTTP requests.
    pub http: u64,
    /// SQL statements.
    pub database: u64,
    /// Failed operations.
    pub errors: u64,
    /// Median HTTP latency in that minute.
    pub http_p50_ms: f64,
    /// 95th percentile.
    pub http_p95_ms: f64,
    /// 99th percentile.
    pub http_p99_ms: f64,
    /// 90th percentile.
    pub http_p90_ms: f64,
    /// Slowest request.
    pub http_max_ms: f64,
    /// 4xx answers.
    pub http_client_errors: u64,
    /// 5xx answers.
    pub http_server_errors: u64,
    /// Time spent in SQL statements.
    pub database_ms: f64,
    /// Pool checkouts that waited.
    pub pool_waits: u64,
    /// Time spent waiting for a pool connection.
    pub pool_wait_ms: f64,
}

/// Totals of one operation type.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TypeTotals {
    /// Operations recorded.
    pub count: u64,
    /// Of which failed.
    pub errors: u64,
}

/// Pool counters and gauges.
#[derive(Debug, Clone, Serialize)]
pub struct Pool {
    /// Gauges now.
    #[serde(flatten)]
    pub gauges: PoolGauges,
    /// Connections handed out.
    pub checkouts: u64,
    /// Checkouts that had to wait.
    pub waits: u64,
    /// Total wait.
    pub wait_ms_total: f64,
    /// Checkouts that gave up.
    pub timeouts: u64,
}

/// Memory readings.
#[derive(Debug, Clone, Serialize)]
pub struct Memory {
    /// Latest resident set size, bytes.
    pub current_rss_bytes: Option<u64>,
    /// High-water mark, bytes.
    pub peak_rss_bytes: Option<u64>,
    /// Bytes held by the metrics store's histograms and minutes.
    pub metrics_bytes: usize,
    /// Readings of the last 24 hours, oldest first.
    pub samples: Vec<MemorySample>,
}

/// Totals per type.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// HTTP requests.
    pub http: TypeTotals,
    /// SQL statements.
    pub database: TypeTotals,
    /// Renders.
    pub render: TypeTotals,
    /// Business events.
    pub business: TypeTotals,
}

/// The dashboard's top row: is the site well, and how busy and fast is it now.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `ok`, or `degraded` (storage failing now, or 5xx answers in the last five minutes).
    pub status: &'static str,
    /// The version compiled in.
    pub version: &'static str,
    /// Seconds since start.
    pub uptime_seconds: u64,
    /// Requests in the last five minutes.
    pub requests_5m: u64,
    /// Requests per second over the last five minutes.
    pub rate_per_second_5m: f64,
    /// Share of those answered 5xx, 0–1.
    pub server_error_rate_5m: f64,
    /// Share answered 4xx, 0–1.
    pub client_error_rate_5m: f64,
    /// p95 of those requests.
    pub p95_ms_5m: f64,
    /// Data directory sizes and free space.
    pub storage: StorageGauges,
    /// Connections in use ÷ pool size, 0–1.
    pub pool_saturation: f64,
    /// Latest resident memory, bytes.
    pub memory_rss_bytes: Option<u64>,
    /// Its high-water mark, bytes.
    pub memory_peak_bytes: Option<u64>,
    /// Statements over the slow threshold since start.
    pub slow_statements: u64,
    /// Feed cache hits ÷ lookups since start (all formats); `null` before the first lookup.
    pub feed_cache_hit_ratio: Option<f64>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`VERSION`].
    pub version: u32,
    /// `METRICS_ENABLED`.
    pub enabled: bool,
    /// Unix milliseconds.
    pub generated_at_ms: i64,
    /// Seconds since start.
    pub uptime_seconds: u64,
    /// This process.
    pub process_id: u32,
    /// Effective sampling rates.
    pub sampling: Sampling,
    /// `METRICS_BUFFER_SIZE`.
    pub buffer_size: usize,
    /// `METRICS_SLOW_QUERY_THRESHOLD`, ms.
    pub slow_query_threshold_ms: f64,
    /// The top row.
    pub summary: Summary,
    /// Totals per type (exact).
    pub totals: Totals,
    /// Every operation (exact); statements grouped by kind and table.
    pub operations: Vec<Operation>,
    /// Every route: rate, errors, duration.
    pub routes: Vec<Route>,
    /// Every statement fingerprint, most total time first.
    pub statements: Vec<Statement>,
    /// Totals per minute, up to 24 hours, oldest first; minutes without any operation absent.
    pub per_minute: Vec<MinuteReport>,
    /// Pool.
    pub pool: Pool,
    /// Memory.
    pub memory: Memory,
    /// Page views.
    pub views: Views,
    /// Slow statements, newest first.
    pub slow_queries: Vec<Sample>,
    /// Sampled detail, newest first.
    pub recent: Vec<Sample>,
}

/// Effective sampling rates.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Sampling {
    /// Database statements.
    pub database: f64,
    /// HTTP requests.
    pub http: f64,
    /// Renders.
    pub render: f64,
}

impl Report {
    /// Builds the report from a snapshot and the gauges read now.
    pub fn build(
        metrics: &Metrics,
        snap: Snapshot,
        gauges: PoolGauges,
        storage: StorageGauges,
    ) -> Report {
        let totals = |kind| {
            let (count, errors) = snap.totals(kind);
            TypeTotals { count, errors }
        };
        let config = metrics.config();
        let uptime = metrics.uptime().as_secs();
        let database_us: u64 = snap.statements.iter().map(|s| s.summary.agg.total_us).sum();
        let business = |name: &str| {
            snap.operations
                .iter()
                .filter(|o| o.kind == OpType::Business && o.name.starts_with(name))
                .map(|o| o.agg.count)
                .sum::<u64>()
        };
        let (hits, misses) = (business("feed.cache_hit."), business("feed.cache_miss."));
        let recent = &snap.requests.last_5m;
        let degraded = storage.failing || recent.errors > 0;
        Report {
            version: VERSION,
            enabled: metrics.enabled(),
            generated_at_ms: snap.now_ms,
            uptime_seconds: uptime,
            process_id: std::process::id(),
            sampling: Sampling {
                database: config.sampling.database,
                http: config.sampling.http,
                render: config.sampling.render,
            },
            buffer_size: config.buffer_size,
            slow_query_threshold_ms: config.slow_query_threshold.as_secs_f64() * 1000.0,
            summary: Summary {
                status: if degraded { "degraded" } else { "ok" },
                version: env!("CARGO_PKG_VERSION"),
                uptime_seconds: uptime,
                requests_5m: recent.count,
                rate_per_second_5m: recent.count as f64 / window_seconds(uptime),
                server_error_rate_5m: ratio(recent.errors, recent.count),
                client_error_rate_5m: ratio(recent.client_errors, recent.count),
                p95_ms_5m: ms(recent.quantiles.p95),
                storage,
                pool_saturation: ratio(u64::from(gauges.in_use), u64::from(gauges.size)),
                memory_rss_bytes: snap.memory.last().map(|m| m.rss_bytes),
                memory_peak_bytes: snap.memory.last().map(|m| m.hwm_bytes),
                slow_statements: snap.slow_total,
                feed_cache_hit_ratio: (hits + misses > 0).then(|| ratio(hits, hits + misses)),
            },
            totals: Totals {
                http: totals(OpType::Http),
                database: totals(OpType::Database),
                render: totals(OpType::Render),
                business: totals(OpType::Business),
            },
            operations: snap.operations.iter().map(operation).collect(),
            routes: snap
                .operations
                .iter()
                .filter(|o| o.kind == OpType::Http)
                .map(|o| route(o, uptime))
                .collect(),
            statements: snap
                .statements
                .iter()
                .map(|s| statement(s, database_us))
                .collect(),
            per_minute: snap
                .minutes
                .iter()
                .map(|m| MinuteReport {
                    minute: m.minute,
                    http: m.http,
                    database: m.database,
                    errors: m.errors,
                    http_p50_ms: ms(m.latency.p50),
                    http_p95_ms: ms(m.latency.p95),
                    http_p99_ms: ms(m.latency.p99),
                    http_p90_ms: ms(m.latency.p90),
                    http_max_ms: ms(m.latency.max),
                    http_client_errors: m.http_client_errors,
                    http_server_errors: m.http_server_errors,
                    database_ms: ms(m.database_us),
                    pool_waits: m.pool_waits,
                    pool_wait_ms: ms(m.pool_wait_us),
                })
                .collect(),
            pool: Pool {
                gauges,
                checkouts: snap.pool_checkouts,
                waits: snap.pool_waits,
                wait_ms_total: ms(snap.pool_wait_us),
                timeouts: snap.pool_timeouts,
            },
            memory: Memory {
                current_rss_bytes: snap.memory.last().map(|m| m.rss_bytes),
                peak_rss_bytes: snap.memory.last().map(|m| m.hwm_bytes),
                metrics_bytes: snap.histogram_bytes,
                samples: snap.memory.clone(),
            },
            views: views(&snap.views, snap.views_total),
            slow_queries: snap.slow.iter().rev().cloned().collect(),
            recent: snap.samples.iter().rev().cloned().collect(),
        }
    }
}

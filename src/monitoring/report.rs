//! The metrics as one JSON document: the shape served by `/admin/metrics?format=json`
//! (documented in the README; fields are only ever added).

use serde::Serialize;

use super::records::{MemorySample, OpType, Sample};
use super::store::Snapshot;

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
}

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

/// Totals of one operation type.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TypeTotals {
    /// Operations recorded.
    pub count: u64,
    /// Of which failed.
    pub errors: u64,
}

/// One (type, name) with its statistics in milliseconds.
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
    /// Sum of durations.
    pub total_ms: f64,
    /// Fastest.
    pub min_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
    /// Median (histogram estimate).
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
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
    /// Readings of the last hour, oldest first.
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

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
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
    /// Totals per type (exact).
    pub totals: Totals,
    /// Every operation (exact).
    pub operations: Vec<Operation>,
    /// Counts per minute, last hour, oldest first.
    pub per_minute: Vec<MinuteReport>,
    /// Pool.
    pub pool: Pool,
    /// Memory.
    pub memory: Memory,
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

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

impl Report {
    /// Builds the report from a snapshot and the pool gauges.
    pub fn build(metrics: &super::Metrics, snap: Snapshot, gauges: PoolGauges) -> Report {
        let totals = |kind| {
            let (count, errors) = snap.totals(kind);
            TypeTotals { count, errors }
        };
        let config = metrics.config();
        Report {
            enabled: metrics.enabled(),
            generated_at_ms: (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
                as i64,
            uptime_seconds: metrics.uptime().as_secs(),
            process_id: std::process::id(),
            sampling: Sampling {
                database: config.sampling.database,
                http: config.sampling.http,
                render: config.sampling.render,
            },
            buffer_size: config.buffer_size,
            slow_query_threshold_ms: config.slow_query_threshold.as_secs_f64() * 1000.0,
            totals: Totals {
                http: totals(OpType::Http),
                database: totals(OpType::Database),
                render: totals(OpType::Render),
                business: totals(OpType::Business),
            },
            operations: snap
                .operations
                .iter()
                .map(|(kind, name, a)| Operation {
                    kind: *kind,
                    name: name.clone(),
                    count: a.count,
                    errors: a.errors,
                    total_ms: ms(a.total_us),
                    min_ms: ms(a.min_us),
                    max_ms: ms(a.max_us),
                    mean_ms: ms(a.mean_us()),
                    p50_ms: ms(a.quantile_us(0.50)),
                    p95_ms: ms(a.quantile_us(0.95)),
                    p99_ms: ms(a.quantile_us(0.99)),
                })
                .collect(),
            per_minute: snap
                .minutes
                .iter()
                .map(|m| MinuteReport {
                    minute: m.minute,
                    http: m.http,
                    database: m.database,
                    errors: m.errors,
                    http_p50_ms: ms(m.http_latency.quantile_us(0.50)),
                    http_p95_ms: ms(m.http_latency.quantile_us(0.95)),
                    http_p99_ms: ms(m.http_latency.quantile_us(0.99)),
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
                samples: snap.memory.clone(),
            },
            slow_queries: snap.slow.iter().rev().cloned().collect(),
            recent: snap.samples.iter().rev().cloned().collect(),
        }
    }
}

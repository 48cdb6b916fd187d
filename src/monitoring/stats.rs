//! What the store keeps per operation and per minute, and the read-only summaries it hands out.

use std::sync::atomic::AtomicU64;

use super::histogram::{Latency, Quantiles, Window, WindowSum};
use super::records::OpType;

/// Minutes of per-minute totals kept: 24 hours.
pub const MINUTES_KEPT: usize = 24 * 60;
/// Distinct pages whose views are counted; later ones count only in the totals.
pub const PAGES_KEPT: usize = 10_000;

/// Upper bounds of the Prometheus histogram buckets, in microseconds (a 1-2.5-5 series from
/// 50 µs to 60 s; anything slower falls in the implicit `+Inf` bucket). Percentiles come from
/// the log-linear [`Latency`] histograms, not from these.
pub const BUCKETS_US: [u64; 19] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 5_000_000, 10_000_000, 30_000_000, 60_000_000,
];

/// Exact totals of one operation since start.
#[derive(Debug, Clone, Copy, Default)]
pub struct Aggregate {
    /// Operations recorded.
    pub count: u64,
    /// Of which failed (HTTP 5xx, SQL errors).
    pub errors: u64,
    /// HTTP 4xx answers (requests only).
    pub client_errors: u64,
    /// Sum of durations, µs.
    pub total_us: u64,
    /// Fastest, µs.
    pub min_us: u64,
    /// Slowest, µs.
    pub max_us: u64,
}

impl Aggregate {
    pub(crate) fn add(&mut self, us: u64, error: bool, client_error: bool) {
        if self.count == 0 || us < self.min_us {
            self.min_us = us;
        }
        self.max_us = self.max_us.max(us);
        self.count += 1;
        self.errors += u64::from(error);
        self.client_errors += u64::from(client_error);
        self.total_us = self.total_us.saturating_add(us);
    }

    fn merge(&mut self, other: &Aggregate) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 || other.min_us < self.min_us {
            self.min_us = other.min_us;
        }
        self.max_us = self.max_us.max(other.max_us);
        self.count += other.count;
        self.errors += other.errors;
        self.client_errors += other.client_errors;
        self.total_us = self.total_us.saturating_add(other.total_us);
    }

    /// Mean duration, µs.
    pub fn mean_us(&self) -> u64 {
        self.total_us.checked_div(self.count).unwrap_or(0)
    }
}

/// Requests and failures of one minute of the last hour (a route's sparkline).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SparkPoint {
    /// Unix second of the minute's start.
    pub minute: i64,
    /// Requests.
    pub requests: u64,
    /// 5xx answers.
    pub errors: u64,
    /// Total latency of the minute's requests, µs.
    pub total_us: u64,
    /// Mean latency of the minute's requests, µs (0 without requests).
    pub mean_us: u64,
    /// Slowest request of the minute, µs.
    pub max_us: u64,
}

/// A ring of the last 60 minutes' counts.
#[derive(Debug, Clone)]
struct Hour([SparkPoint; 60]);

impl Hour {
    fn add(&mut self, minute: i64, us: u64, error: bool) {
        let point = &mut self.0[(minute / 60).rem_euclid(60) as usize];
        if point.minute != minute {
            *point = SparkPoint {
                minute,
                ..SparkPoint::default()
            };
        }
        point.requests += 1;
        point.total_us = point.total_us.saturating_add(us);
        point.mean_us = point.total_us / point.requests;
        point.errors += u64::from(error);
        point.max_us = point.max_us.max(us);
    }

    /// The 60 minutes ending with `now_minute`, oldest first, missing minutes as zeros.
    fn points(&self, now_minute: i64) -> Vec<SparkPoint> {
        (0..60)
            .map(|i| {
                let minute = now_minute - (59 - i) * 60;
                let point = self.0[(minute / 60).rem_euclid(60) as usize];
                if point.minute == minute {
                    point
                } else {
                    SparkPoint {
                        minute,
                        ..SparkPoint::default()
                    }
                }
            })
            .collect()
    }
}

/// What one HTTP request did besides answering.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestWork {
    /// SQL statements it ran.
    pub statements: u64,
    /// Time those statements took, µs.
    pub database_us: u64,
}

/// Everything kept about one operation (a route, a statement fingerprint, a render, an event).
#[derive(Debug, Clone, Default)]
pub(crate) struct Stats {
    pub(crate) agg: Aggregate,
    latency: Latency,
    pub(crate) window: Window,
    /// Answers by status class 1xx–5xx (requests).
    classes: [u64; 5],
    /// Statements run by all requests, their maximum in one request, and their time (requests).
    work: RequestWork,
    statements_max: u64,
    hour: Option<Box<Hour>>,
    /// Rows returned or changed (statements).
    rows: u64,
}

impl Stats {
    /// Adds one operation that ended in `minute`.
    pub(crate) fn add(&mut self, minute: i64, us: u64, error: bool, client_error: bool) {
        self.agg.add(us, error, client_error);
        self.latency.record(us);
        self.window.record(minute, us, error, client_error);
    }

    /// Counts an operation that has no duration (a business event): the totals only, no
    /// histograms to allocate.
    pub(crate) fn count(&mut self, error: bool) {
        self.agg.add(0, error, false);
    }

    /// Adds what a request's answer and work say (after [`Stats::add`]).
    pub(crate) fn add_request(&mut self, minute: i64, us: u64, status: u16, work: RequestWork) {
        if let Some(class) = (status / 100).checked_sub(1).filter(|c| *c < 5) {
            self.classes[usize::from(class)] += 1;
        }
        self.work.statements += work.statements;
        self.work.database_us += work.database_us;
        self.statements_max = self.statements_max.max(work.statements);
        self.hour
            .get_or_insert_with(|| Box::new(Hour([SparkPoint::default(); 60])))
            .add(minute, us, status >= 500);
    }

    /// Adds the rows a statement returned or changed.
    pub(crate) fn add_rows(&mut self, rows: u64) {
        self.rows += rows;
    }

    /// Bytes held by this operation's histograms.
    pub(crate) fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.latency.footprint()
            + self.window.footprint()
            + self
                .hour
                .as_ref()
                .map_or(0, |_| std::mem::size_of::<Hour>())
    }

    /// The read-only summary as of `now_minute`.
    pub(crate) fn summary(&self, kind: OpType, name: &str, now_minute: i64) -> OpSummary {
        let mut sum = Summed::default();
        sum.add(self, now_minute);
        sum.finish(kind, name, now_minute)
    }
}

/// Several [`Stats`] added together (the statements of one kind and table).
#[derive(Debug, Default)]
pub(crate) struct Summed<'a> {
    agg: Aggregate,
    latency: Latency,
    window: WindowSum,
    rows: u64,
    first: Option<&'a Stats>,
    added: usize,
}

impl<'a> Summed<'a> {
    pub(crate) fn add(&mut self, stats: &'a Stats, now_minute: i64) {
        self.agg.merge(&stats.agg);
        self.latency.merge(&stats.latency);
        let window = stats.window.sum(now_minute);
        self.window.latency.merge(&window.latency);
        self.window.errors += window.errors;
        self.window.client_errors += window.client_errors;
        self.rows += stats.rows;
        self.first.get_or_insert(stats);
        self.added += 1;
    }

    pub(crate) fn finish(self, kind: OpType, name: &str, now_minute: i64) -> OpSummary {
        let mut buckets = [0; BUCKETS_US.len()];
        for (count, bound) in buckets.iter_mut().zip(BUCKETS_US) {
            *count = self.latency.count_at_most(bound);
        }
        // A request's own counts (status classes, statements, sparkline) of one route only.
        let request = self
            .first
            .filter(|_| kind == OpType::Http && self.added == 1);
        OpSummary {
            kind,
            name: name.to_owned(),
            agg: self.agg,
            since_start: self.latency.quantiles(),
            last_5m: WindowSummary {
                count: self.window.latency.count(),
                errors: self.window.errors,
                client_errors: self.window.client_errors,
                quantiles: self.window.latency.quantiles(),
            },
            buckets,
            classes: request.map_or([0; 5], |s| s.classes),
            work: request.map_or(RequestWork::default(), |s| s.work),
            statements_max: request.map_or(0, |s| s.statements_max),
            hour: request
                .and_then(|s| s.hour.as_ref())
                .map(|h| h.points(now_minute))
                .unwrap_or_default(),
            rows: self.rows,
        }
    }
}

/// The last five minutes of one operation.
#[derive(Debug, Clone, Copy, Default)]
pub struct WindowSummary {
    /// Operations.
    pub count: u64,
    /// Failures.
    pub errors: u64,
    /// Client errors (4xx).
    pub client_errors: u64,
    /// Percentiles, µs.
    pub quantiles: Quantiles,
}

/// One operation as the report sees it.
#[derive(Debug, Clone)]
pub struct OpSummary {
    /// Type.
    pub kind: OpType,
    /// Name: `GET /notes/{slug}`, `select notes`, `home`, `note.created`.
    pub name: String,
    /// Exact totals since start.
    pub agg: Aggregate,
    /// Percentiles since start, µs.
    pub since_start: Quantiles,
    /// The last five minutes.
    pub last_5m: WindowSummary,
    /// Operations at most each of [`BUCKETS_US`] (cumulative), since start.
    pub buckets: [u64; BUCKETS_US.len()],
    /// Requests by status class, 1xx to 5xx.
    pub classes: [u64; 5],
    /// Statements and database time of all requests (requests).
    pub work: RequestWork,
    /// Most statements run by one request.
    pub statements_max: u64,
    /// Requests per minute over the last hour, oldest first (requests; empty otherwise).
    pub hour: Vec<SparkPoint>,
    /// Rows returned or changed (statements).
    pub rows: u64,
}

/// Everything recorded in one wall-clock minute.
#[derive(Debug, Clone, Copy, Default)]
pub struct Minute {
    /// Unix time of the minute's start, seconds.
    pub minute: i64,
    /// HTTP requests.
    pub http: u64,
    /// 4xx answers.
    pub http_client_errors: u64,
    /// 5xx answers.
    pub http_server_errors: u64,
    /// SQL statements.
    pub database: u64,
    /// Time spent in SQL statements, µs.
    pub database_us: u64,
    /// Failed operations of any type.
    pub errors: u64,
    /// HTTP latency percentiles of the minute, µs.
    pub latency: Quantiles,
    /// Pool checkouts that waited.
    pub pool_waits: u64,
    /// Time spent waiting for a connection, µs.
    pub pool_wait_us: u64,
}

/// Counters of the connection pool, updated around every checkout.
#[derive(Debug, Default)]
pub struct PoolCounters {
    /// Connections handed out.
    pub checkouts: AtomicU64,
    /// Checkouts that found no idle connection and had to wait.
    pub waits: AtomicU64,
    /// Total time spent waiting, µs.
    pub wait_us: AtomicU64,
    /// Checkouts that gave up (503).
    pub timeouts: AtomicU64,
}

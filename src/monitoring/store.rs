//! The metrics store: exact aggregates that are never sampled, plus a ring buffer of sampled
//! detail.
//!
//! Every operation (an HTTP request, a SQL statement, a template render, a business event) is
//! counted exactly per (type, name): count, failures, total/min/max, and log-linear latency
//! histograms (≤ 1 % error, [`super::histogram`]) since start and over the last five minutes.
//! SQL statements are kept per fingerprint (normalised text, as `pg_stat_statements` does) and
//! grouped by kind and table for the per-type view; requests also keep their status classes,
//! the statements they ran and a per-minute sparkline of the last hour. Per-minute totals of the
//! whole site are kept for 24 hours. So a quiet site never shows zero (the second bug of
//! StarPunk 1.1.2). Separately, a bounded ring buffer keeps detailed samples, admitted by the
//! per-type sampling rate; slow statements, errors and business events are always admitted.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::fingerprint::Fingerprint;
use super::inner::{Inner, Statement};
use super::records::{MemorySample, Metadata, OpType, Sample};
use super::stats::Stats;
pub use super::stats::{
    Aggregate, BUCKETS_US, MINUTES_KEPT, Minute, OpSummary, PAGES_KEPT, PoolCounters, RequestWork,
    SparkPoint, WindowSummary,
};
use crate::config::MetricsConfig;

/// Slow statements kept for the dashboard's list.
const SLOW_KEPT: usize = 50;
/// Distinct statement fingerprints kept; later ones are counted under one "other" entry.
pub const STATEMENTS_KEPT: usize = 256;

/// The part of a record worked out before taking the lock.
struct Begun {
    minute: i64,
    us: u64,
    admission: Option<Admission>,
    sample: Option<Sample>,
}

/// Where the store reads the time: Unix milliseconds.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The process's metrics. Cheap to record into; shared by `Arc`.
pub struct Metrics {
    config: MetricsConfig,
    inner: Mutex<Inner>,
    /// Pool counters (lock-free).
    pub pool: PoolCounters,
    started: Instant,
    process_id: u32,
    clock: Clock,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Whether a record must be kept in the sample buffer whatever the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Admitted by the type's sampling rate.
    Sampled,
    /// Always admitted (errors, slow statements, business events).
    Forced,
}

/// The wall clock, Unix milliseconds.
fn wall_clock() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

impl Metrics {
    /// A store following `config` (rates, buffer size, slow threshold).
    pub fn new(config: MetricsConfig) -> Self {
        Self::with_clock(config, Arc::new(wall_clock))
    }

    /// A store that reads the time from `clock` (a day of data in a test, without the wait).
    pub fn with_clock(config: MetricsConfig, clock: Clock) -> Self {
        Metrics {
            config,
            inner: Mutex::new(Inner::default()),
            pool: PoolCounters::default(),
            started: Instant::now(),
            process_id: std::process::id(),
            clock,
        }
    }

    /// The settings this store follows.
    pub fn config(&self) -> &MetricsConfig {
        &self.config
    }

    /// Whether instrumentation is on (`METRICS_ENABLED`).
    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    /// Time since the store was created.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Now, Unix milliseconds, by the store's clock.
    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    fn rate(&self, kind: OpType) -> f64 {
        match kind {
            OpType::Http => self.config.sampling.http,
            OpType::Database => self.config.sampling.database,
            OpType::Render => self.config.sampling.render,
            OpType::Business => 1.0,
        }
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the counters inconsistent in a way that
        // matters more than losing all metrics: keep going with the data.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether a record of `kind` goes to the sample buffer; `None` when it does not.
    fn admit(&self, kind: OpType, forced: bool) -> Option<Admission> {
        let rate = self.rate(kind);
        if forced || kind == OpType::Business {
            Some(Admission::Forced)
        } else if rate >= 1.0 || (rate > 0.0 && fastrand::f64() < rate) {
            Some(Admission::Sampled)
        } else {
            None
        }
    }

    /// What every record starts with, outside the lock: the time, its minute, the duration
    /// in µs, and the sample if the record is admitted (only then are `name` and `metadata`
    /// built). `None` when metrics are off: nothing is recorded.
    fn begin(
        &self,
        kind: OpType,
        forced: bool,
        duration: Duration,
        name: impl FnOnce() -> String,
        metadata: impl FnOnce() -> Metadata,
    ) -> Option<Begun> {
        if !self.config.enabled {
            return None;
        }
        let now = self.now_ms();
        let admission = self.admit(kind, forced);
        let sample = admission.map(|_| Sample {
            kind,
            name: name(),
            timestamp_ms: now,
            duration_ms: duration.as_secs_f64() * 1000.0,
            process_id: self.process_id,
            metadata: metadata(),
        });
        Some(Begun {
            minute: now / 60_000 * 60,
            us: micros(duration),
            admission,
            sample,
        })
    }

    fn keep(&self, inner: &mut Inner, sample: Sample, slow: bool) {
        if slow {
            if inner.slow.len() >= SLOW_KEPT {
                inner.slow.pop_front();
            }
            inner.slow.push_back(sample.clone());
        }
        if inner.samples.len() >= self.config.buffer_size {
            inner.samples.pop_front();
        }
        inner.samples.push_back(sample);
    }

    /// Records one render, business event or other operation. `metadata` is built only if the
    /// sample is admitted. (Requests and statements have their own, richer, entry points.)
    pub fn record(
        &self,
        kind: OpType,
        name: &str,
        duration: Duration,
        error: bool,
        forced: bool,
        metadata: impl FnOnce() -> Metadata,
    ) -> Option<Admission> {
        let Begun {
            minute,
            us,
            admission,
            sample,
        } = self.begin(
            kind,
            forced || error,
            duration,
            || name.to_owned(),
            metadata,
        )?;
        let mut inner = self.lock();
        let m = inner.minute(minute, &self.pool);
        m.errors += u64::from(error);
        match kind {
            OpType::Http => m.http += 1,
            OpType::Database => {
                m.database += 1;
                m.database_us += us;
            }
            _ => {}
        }
        let stats = inner.stats(kind, name);
        if kind == OpType::Business {
            stats.count(error);
        } else {
            stats.add(minute, us, error, false);
        }
        if let Some(sample) = sample {
            self.keep(&mut inner, sample, false);
        }
        admission
    }

    /// Records one answered HTTP request of route `name` with its `status` and the SQL work it
    /// did. A 5xx is a failure (always sampled); a 4xx is counted apart.
    pub fn record_request(
        &self,
        name: &str,
        duration: Duration,
        status: u16,
        work: RequestWork,
        metadata: impl FnOnce() -> Metadata,
    ) -> Option<Admission> {
        self.record_answer(name, duration, status, work, None, metadata)
    }

    /// Like [`Metrics::record_request`], and counts the request as a view of the page at
    /// `path` by a person or (`bot`) a crawler, under the same lock. Nothing about the visitor
    /// is kept.
    pub fn record_page_view(
        &self,
        name: &str,
        duration: Duration,
        status: u16,
        work: RequestWork,
        (path, bot): (&str, bool),
        metadata: impl FnOnce() -> Metadata,
    ) -> Option<Admission> {
        self.record_answer(name, duration, status, work, Some((path, bot)), metadata)
    }

    fn record_answer(
        &self,
        name: &str,
        duration: Duration,
        status: u16,
        work: RequestWork,
        view: Option<(&str, bool)>,
        metadata: impl FnOnce() -> Metadata,
    ) -> Option<Admission> {
        let (error, client_error) = (status >= 500, (400..500).contains(&status));
        let Begun {
            minute,
            us,
            admission,
            sample,
        } = self.begin(OpType::Http, error, duration, || name.to_owned(), metadata)?;
        let mut inner = self.lock();
        let m = inner.minute(minute, &self.pool);
        m.http += 1;
        m.http_client_errors += u64::from(client_error);
        m.http_server_errors += u64::from(error);
        m.errors += u64::from(error);
        let stats = inner.stats(OpType::Http, name);
        stats.add(minute, us, error, client_error);
        stats.add_request(minute, us, status, work);
        if let Some((path, bot)) = view {
            inner.count_view(path, bot);
        }
        if let Some(sample) = sample {
            self.keep(&mut inner, sample, false);
        }
        admission
    }

    /// Records one finished SQL statement under its fingerprint, with the rows it returned or
    /// changed. Statements at or over the slow threshold are always sampled and listed.
    pub fn record_statement(
        &self,
        fingerprint: &Arc<Fingerprint>,
        duration: Duration,
        rows: u64,
        metadata: impl FnOnce() -> Metadata,
    ) -> Option<Admission> {
        let slow = duration >= self.config.slow_query_threshold;
        let Begun {
            minute,
            us,
            admission,
            sample,
        } = self.begin(
            OpType::Database,
            slow,
            duration,
            || fingerprint.name(),
            metadata,
        )?;
        let mut inner = self.lock();
        let key = if inner.statements.len() < STATEMENTS_KEPT
            || inner.statements.contains(&fingerprint.id)
        {
            fingerprint.id.as_str()
        } else {
            OVERFLOW_ID
        };
        let statement = inner.statements.get_or_insert_with(key, || Statement {
            fingerprint: if key == OVERFLOW_ID {
                Arc::new(overflow_fingerprint())
            } else {
                fingerprint.clone()
            },
            stats: Stats::default(),
        });
        statement.stats.add(minute, us, false, false);
        statement.stats.add_rows(rows);
        let m = inner.minute(minute, &self.pool);
        m.database += 1;
        m.database_us += us;
        inner.slow_total += u64::from(slow);
        if let Some(sample) = sample {
            self.keep(&mut inner, sample, slow);
        }
        admission
    }

    /// Records a business event (always sampled), e.g. `note.created`.
    pub fn event(&self, name: &str, metadata: Map<String, Value>) {
        self.record(OpType::Business, name, Duration::ZERO, false, true, || {
            Metadata::Fields(metadata)
        });
    }

    /// Counts a business occurrence in the aggregates only (no sample): for frequent events
    /// such as feed cache hits, which would otherwise flood the sample buffer.
    pub fn tally(&self, name: &str) {
        if !self.config.enabled {
            return;
        }
        self.lock().stats(OpType::Business, name).count(false);
    }

    /// Adds a memory reading, keeping the last 24 hours.
    pub fn record_memory(&self, sample: MemorySample) {
        let mut inner = self.lock();
        inner.memory.push_back(sample);
        while inner
            .memory
            .front()
            .is_some_and(|m| m.at <= sample.at - 60 * MINUTES_KEPT as i64)
        {
            inner.memory.pop_front();
        }
    }
}

/// The key of the entry that counts statements past [`STATEMENTS_KEPT`].
const OVERFLOW_ID: &str = "0000000000000000";

fn overflow_fingerprint() -> Fingerprint {
    Fingerprint {
        id: OVERFLOW_ID.to_owned(),
        text: format!("(statements past the first {STATEMENTS_KEPT} distinct ones)"),
        kind: super::fingerprint::StatementKind::Other,
        tables: Vec::new(),
        subject: "overflow".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SamplingRates;
    use std::sync::atomic::{AtomicI64, Ordering};

    fn config(rate: f64, buffer: usize) -> MetricsConfig {
        MetricsConfig {
            enabled: true,
            sampling: SamplingRates {
                database: rate,
                http: rate,
                render: rate,
            },
            buffer_size: buffer,
            slow_query_threshold: Duration::from_millis(100),
            memory_interval: None,
            prometheus_token: None,
        }
    }

    fn metrics(rate: f64, buffer: usize) -> Metrics {
        Metrics::new(config(rate, buffer))
    }

    /// A store whose clock the test moves.
    fn clocked(start_ms: i64) -> (Metrics, Arc<AtomicI64>) {
        let now = Arc::new(AtomicI64::new(start_ms));
        let read = now.clone();
        let clock: Clock = Arc::new(move || read.load(Ordering::Relaxed));
        (Metrics::with_clock(config(1.0, 100), clock), now)
    }

    fn fields() -> Metadata {
        Metadata::Fields(Map::new())
    }

    /// A reader's request for the page at `path`.
    fn view(m: &Metrics, path: &str, bot: bool) {
        m.record_page_view(
            "GET /notes/{slug}",
            Duration::from_micros(300),
            200,
            RequestWork::default(),
            (path, bot),
            fields,
        );
    }

    fn statement(sql: &str) -> Arc<Fingerprint> {
        Arc::new(super::super::fingerprint::fingerprint(sql))
    }

    #[test]
    fn aggregates_are_exact_whatever_the_rate() {
        let m = metrics(0.0, 10);
        for i in 0..1000 {
            let status = if i % 10 == 0 { 500 } else { 200 };
            m.record_request(
                "GET /",
                Duration::from_micros(i),
                status,
                RequestWork::default(),
                fields,
            );
        }
        let snap = m.snapshot();
        assert_eq!(snap.totals(OpType::Http), (1000, 100));
        let agg = &snap.operations[0].agg;
        assert_eq!((agg.min_us, agg.max_us), (0, 999));
        assert_eq!(agg.total_us, (0..1000).sum::<u64>());
        // 5xx answers are forced into the buffer even at rate 0; nothing else is.
        assert_eq!(snap.samples.len(), 10);
        assert!(snap.samples.iter().all(|s| s.kind == OpType::Http));
    }

    #[test]
    fn sampling_at_half_admits_about_half_and_the_buffer_stays_bounded() {
        let m = metrics(0.5, 100_000);
        let select = statement("SELECT id FROM notes WHERE id = ?1");
        let admitted = (0..10_000)
            .filter(|_| {
                m.record_statement(&select, Duration::from_micros(5), 1, fields)
                    .is_some()
            })
            .count();
        let share = admitted as f64 / 10_000.0;
        assert!((0.45..=0.55).contains(&share), "admitted share {share}");

        let small = metrics(1.0, 50);
        for _ in 0..10_000 {
            small.record(
                OpType::Render,
                "home",
                Duration::from_micros(5),
                false,
                false,
                fields,
            );
        }
        assert_eq!(small.snapshot().samples.len(), 50);
    }

    #[test]
    fn slow_statements_and_business_events_are_always_kept() {
        let m = metrics(0.0, 10);
        let select = statement("SELECT id FROM notes WHERE id = ?1");
        m.record_statement(&select, Duration::from_millis(150), 1, fields);
        m.record_statement(&select, Duration::from_millis(1), 1, fields);
        m.event("note.created", Map::new());
        let snap = m.snapshot();
        assert_eq!(snap.samples.len(), 2);
        assert_eq!(snap.slow.len(), 1);
        assert_eq!(snap.slow_total, 1);
    }

    #[test]
    fn requests_keep_status_classes_statements_and_the_last_five_minutes() {
        let (m, now) = clocked(1_800_000_000_000);
        for status in [200, 200, 304, 404, 503] {
            m.record_request(
                "GET /notes/{slug}",
                Duration::from_micros(1_000),
                status,
                RequestWork {
                    statements: if status == 404 { 30 } else { 2 },
                    database_us: 100,
                },
                fields,
            );
        }
        let route = m.snapshot().operations.remove(0);
        assert_eq!(route.classes, [0, 2, 1, 1, 1], "2xx, 3xx, 4xx, 5xx");
        assert_eq!((route.agg.client_errors, route.agg.errors), (1, 1));
        assert_eq!((route.work.statements, route.statements_max), (38, 30));
        assert_eq!(route.last_5m.count, 5);
        assert_eq!(route.hour.len(), 60);
        assert_eq!(
            route.hour.last().map(|p| (p.requests, p.errors)),
            Some((5, 1))
        );
        // Six minutes later the window is empty; the totals since start are not.
        now.fetch_add(6 * 60_000, Ordering::Relaxed);
        let route = m.snapshot().operations.remove(0);
        assert_eq!((route.last_5m.count, route.agg.count), (0, 5));
        assert_eq!(route.since_start.p50, 1_000);
    }

    #[test]
    fn statements_are_kept_by_fingerprint_and_grouped_by_kind_and_table() {
        let m = metrics(1.0, 10);
        m.record_statement(
            &statement("SELECT * FROM notes WHERE id = 1"),
            Duration::from_micros(10),
            1,
            fields,
        );
        m.record_statement(
            &statement("SELECT * FROM notes WHERE id = 2"),
            Duration::from_micros(30),
            1,
            fields,
        );
        m.record_statement(
            &statement("SELECT slug FROM notes"),
            Duration::from_micros(50),
            7,
            fields,
        );
        let snap = m.snapshot();
        let group: Vec<_> = snap
            .operations
            .iter()
            .filter(|o| o.kind == OpType::Database)
            .collect();
        assert_eq!(group.len(), 1, "one kind and table");
        assert_eq!((group[0].agg.count, group[0].rows), (3, 9));
        assert_eq!(
            snap.statements.len(),
            2,
            "literals folded into one fingerprint"
        );
        assert_eq!(
            snap.statements[0].summary.agg.total_us, 50,
            "most total time first"
        );
    }

    #[test]
    fn per_minute_totals_cover_twenty_four_hours() {
        let start = 1_800_000_000_000 / 60_000 * 60_000;
        let (m, now) = clocked(start);
        let select = statement("SELECT 1");
        for minute in 0..(25 * 60) {
            now.store(start + minute * 60_000, Ordering::Relaxed);
            m.record_request(
                "GET /",
                Duration::from_micros(200 + minute as u64),
                200,
                RequestWork::default(),
                fields,
            );
            m.record_statement(&select, Duration::from_micros(20), 1, fields);
        }
        let snap = m.snapshot();
        assert_eq!(snap.minutes.len(), MINUTES_KEPT);
        let newest = snap.minutes.last().unwrap();
        assert_eq!(
            (newest.http, newest.database, newest.database_us),
            (1, 1, 20)
        );
        assert_eq!(
            newest.latency.p50,
            200 + 25 * 60 - 1,
            "the open minute's latency"
        );
        assert_eq!(
            snap.minutes[0].latency.p99,
            200 + 60,
            "a closed minute keeps its latency"
        );
    }

    #[test]
    fn page_views_are_counted_by_audience_and_bounded() {
        let m = metrics(1.0, 10);
        view(&m, "/notes/a", false);
        view(&m, "/notes/a", false);
        view(&m, "/notes/a", true);
        view(&m, "/", false);
        for i in 0..PAGES_KEPT + 10 {
            view(&m, &format!("/notes/{i}"), true);
        }
        let snap = m.snapshot();
        assert_eq!(snap.views[0].path, "/notes/a");
        assert_eq!((snap.views[0].views, snap.views[0].bot_views), (2, 1));
        assert_eq!(snap.views.len(), PAGES_KEPT);
        assert_eq!(snap.views_total, [3, PAGES_KEPT as u64 + 11]);
    }

    #[test]
    fn a_disabled_store_records_nothing() {
        let mut config = config(1.0, 10);
        config.enabled = false;
        let m = Metrics::new(config);
        assert!(
            m.record_request("GET /", Duration::ZERO, 500, RequestWork::default(), fields)
                .is_none()
        );
        view(&m, "/", false);
        let snap = m.snapshot();
        assert!(snap.operations.is_empty());
        assert_eq!(snap.views_total, [0, 0]);
    }
}

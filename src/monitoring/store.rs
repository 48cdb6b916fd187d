//! The metrics store: exact aggregates that are never sampled, plus a ring buffer of sampled
//! detail.
//!
//! Every operation (an HTTP request, a SQL statement, a template render, a business event) is
//! counted exactly: count, errors, total/min/max and a fixed-bucket latency histogram per
//! (type, name), and per-minute counts for the last hour. So a quiet site never shows zero (the
//! second bug of StarPunk 1.1.2). Separately, a bounded ring buffer keeps detailed samples,
//! admitted by the per-type sampling rate; slow statements, errors and business events are
//! always admitted.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::records::{MemorySample, Metadata, OpType, Sample};
use crate::config::MetricsConfig;

/// Upper bounds of the latency histogram buckets, in microseconds (a 1-2.5-5 series from 50 µs
/// to 10 s; anything slower falls in the implicit `+Inf` bucket).
pub const BUCKETS_US: [u64; 19] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 5_000_000, 10_000_000, 30_000_000, 60_000_000,
];

/// Exact statistics of one (type, name).
#[derive(Debug, Clone, Copy, Default)]
pub struct Aggregate {
    /// Operations recorded.
    pub count: u64,
    /// Of which failed.
    pub errors: u64,
    /// Sum of durations, µs.
    pub total_us: u64,
    /// Fastest, µs.
    pub min_us: u64,
    /// Slowest, µs.
    pub max_us: u64,
    /// Counts per bucket of [`BUCKETS_US`], plus one for `+Inf` (not cumulative).
    pub buckets: [u64; BUCKETS_US.len() + 1],
}

impl Aggregate {
    fn add(&mut self, us: u64, error: bool) {
        if self.count == 0 || us < self.min_us {
            self.min_us = us;
        }
        self.max_us = self.max_us.max(us);
        self.count += 1;
        self.errors += u64::from(error);
        self.total_us = self.total_us.saturating_add(us);
        let bucket = BUCKETS_US
            .iter()
            .position(|&b| us <= b)
            .unwrap_or(BUCKETS_US.len());
        self.buckets[bucket] += 1;
    }

    /// The `q` quantile (0–1) estimated from the histogram: the upper bound of the bucket that
    /// holds it, never above the observed maximum nor below the minimum.
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let bound = BUCKETS_US.get(i).copied().unwrap_or(self.max_us);
                return bound.clamp(self.min_us, self.max_us);
            }
        }
        self.max_us
    }

    /// Mean duration, µs.
    pub fn mean_us(&self) -> u64 {
        self.total_us.checked_div(self.count).unwrap_or(0)
    }
}

/// Operations of one wall-clock minute.
#[derive(Debug, Clone, Copy, Default)]
pub struct Minute {
    /// Unix time of the minute's start, seconds.
    pub minute: i64,
    /// HTTP requests.
    pub http: u64,
    /// SQL statements.
    pub database: u64,
    /// Failed operations of any type.
    pub errors: u64,
    /// Latency of this minute's HTTP requests.
    pub http_latency: Aggregate,
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

#[derive(Debug, Default)]
struct Inner {
    ops: HashMap<OpType, HashMap<String, Aggregate>>,
    minutes: VecDeque<Minute>,
    samples: VecDeque<Sample>,
    slow: VecDeque<Sample>,
    memory: VecDeque<MemorySample>,
}

impl Inner {
    /// The aggregate of (kind, name), created on first use (the name is copied only then).
    fn aggregate(&mut self, kind: OpType, name: &str) -> &mut Aggregate {
        let by_name = self.ops.entry(kind).or_default();
        if !by_name.contains_key(name) {
            by_name.insert(name.to_owned(), Aggregate::default());
        }
        by_name.get_mut(name).expect("inserted above")
    }
}

/// Slow statements kept for the dashboard's list.
const SLOW_KEPT: usize = 50;

/// The process's metrics. Cheap to record into; shared by `Arc`.
#[derive(Debug)]
pub struct Metrics {
    config: MetricsConfig,
    inner: Mutex<Inner>,
    /// Pool counters (lock-free).
    pub pool: PoolCounters,
    started: Instant,
    process_id: u32,
}

/// Whether a record must be kept in the sample buffer whatever the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Admitted by the type's sampling rate.
    Sampled,
    /// Always admitted (errors, slow statements, business events).
    Forced,
}

impl Metrics {
    /// A store following `config` (rates, buffer size, slow threshold).
    pub fn new(config: MetricsConfig) -> Self {
        Metrics {
            config,
            inner: Mutex::new(Inner::default()),
            pool: PoolCounters::default(),
            started: Instant::now(),
            process_id: std::process::id(),
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

    fn rate(&self, kind: OpType) -> f64 {
        match kind {
            OpType::Http => self.config.sampling.http,
            OpType::Database => self.config.sampling.database,
            OpType::Render => self.config.sampling.render,
            OpType::Business => 1.0,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the counters inconsistent in a way that
        // matters more than losing all metrics: keep going with the data.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records one operation. `metadata` is built only if the sample is admitted.
    pub fn record(
        &self,
        kind: OpType,
        name: &str,
        duration: Duration,
        error: bool,
        forced: bool,
        metadata: impl FnOnce() -> Metadata,
    ) -> Option<Admission> {
        if !self.config.enabled {
            return None;
        }
        let us = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        let forced = forced || error || kind == OpType::Business;
        let rate = self.rate(kind);
        let admission = if forced {
            Some(Admission::Forced)
        } else if rate >= 1.0 || (rate > 0.0 && fastrand::f64() < rate) {
            Some(Admission::Sampled)
        } else {
            None
        };
        let now = time::OffsetDateTime::now_utc();
        let sample = admission.map(|_| Sample {
            kind,
            name: name.to_owned(),
            timestamp_ms: (now.unix_timestamp_nanos() / 1_000_000) as i64,
            duration_ms: duration.as_secs_f64() * 1000.0,
            process_id: self.process_id,
            metadata: metadata(),
        });
        let minute = now.unix_timestamp() / 60 * 60;
        let slow = kind == OpType::Database && duration >= self.config.slow_query_threshold;
        let mut inner = self.lock();
        inner.aggregate(kind, name).add(us, error);
        if inner.minutes.back().is_none_or(|m| m.minute != minute) {
            inner.minutes.push_back(Minute {
                minute,
                ..Minute::default()
            });
            while inner
                .minutes
                .front()
                .is_some_and(|m| m.minute <= minute - 3600)
            {
                inner.minutes.pop_front();
            }
        }
        if let Some(m) = inner.minutes.back_mut() {
            match kind {
                OpType::Http => {
                    m.http += 1;
                    m.http_latency.add(us, error);
                }
                OpType::Database => m.database += 1,
                _ => {}
            }
            m.errors += u64::from(error);
        }
        if let Some(sample) = sample {
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
        self.lock().aggregate(OpType::Business, name).add(0, false);
    }

    /// Adds a memory reading, keeping the last hour.
    pub fn record_memory(&self, sample: MemorySample) {
        let mut inner = self.lock();
        inner.memory.push_back(sample);
        while inner
            .memory
            .front()
            .is_some_and(|m| m.at <= sample.at - 3600)
        {
            inner.memory.pop_front();
        }
    }

    /// A consistent copy of everything, for the dashboard, JSON and Prometheus.
    pub fn snapshot(&self) -> Snapshot {
        let inner = self.lock();
        let mut operations: Vec<(OpType, String, Aggregate)> = inner
            .ops
            .iter()
            .flat_map(|(kind, names)| {
                names
                    .iter()
                    .map(move |(name, agg)| (*kind, name.clone(), *agg))
            })
            .collect();
        operations.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Snapshot {
            operations,
            minutes: inner.minutes.iter().copied().collect(),
            samples: inner.samples.iter().cloned().collect(),
            slow: inner.slow.iter().cloned().collect(),
            memory: inner.memory.iter().copied().collect(),
            pool_checkouts: self.pool.checkouts.load(Ordering::Relaxed),
            pool_waits: self.pool.waits.load(Ordering::Relaxed),
            pool_wait_us: self.pool.wait_us.load(Ordering::Relaxed),
            pool_timeouts: self.pool.timeouts.load(Ordering::Relaxed),
        }
    }
}

/// A copy of the store at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Every (type, name) with its aggregate, sorted.
    pub operations: Vec<(OpType, String, Aggregate)>,
    /// Per-minute counts, oldest first (last hour).
    pub minutes: Vec<Minute>,
    /// Sampled detail, oldest first.
    pub samples: Vec<Sample>,
    /// Slow statements, oldest first.
    pub slow: Vec<Sample>,
    /// Memory readings, oldest first.
    pub memory: Vec<MemorySample>,
    /// Pool checkouts.
    pub pool_checkouts: u64,
    /// Pool checkouts that waited.
    pub pool_waits: u64,
    /// Total pool wait, µs.
    pub pool_wait_us: u64,
    /// Pool checkouts that timed out.
    pub pool_timeouts: u64,
}

impl Snapshot {
    /// Count and errors of one type.
    pub fn totals(&self, kind: OpType) -> (u64, u64) {
        self.operations
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .fold((0, 0), |(c, e), (_, _, a)| (c + a.count, e + a.errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SamplingRates;

    fn metrics(rate: f64, buffer: usize) -> Metrics {
        Metrics::new(MetricsConfig {
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
        })
    }

    #[test]
    fn aggregates_are_exact_whatever_the_rate() {
        let m = metrics(0.0, 10);
        for i in 0..1000 {
            m.record(
                OpType::Http,
                "GET /",
                Duration::from_micros(i),
                i % 10 == 0,
                false,
                || Metadata::Fields(Map::new()),
            );
        }
        let snap = m.snapshot();
        assert_eq!(snap.totals(OpType::Http), (1000, 100));
        let (_, _, agg) = &snap.operations[0];
        assert_eq!((agg.min_us, agg.max_us), (0, 999));
        assert_eq!(agg.total_us, (0..1000).sum::<u64>());
        // Errors are forced into the buffer even at rate 0; nothing else is.
        assert_eq!(snap.samples.len(), 10);
        assert!(snap.samples.iter().all(|s| s.kind == OpType::Http));
    }

    #[test]
    fn sampling_at_half_admits_about_half_and_the_buffer_stays_bounded() {
        let m = metrics(0.5, 100_000);
        let admitted = (0..10_000)
            .filter(|_| {
                m.record(
                    OpType::Database,
                    "select notes",
                    Duration::from_micros(5),
                    false,
                    false,
                    || Metadata::Fields(Map::new()),
                )
                .is_some()
            })
            .count();
        let share = admitted as f64 / 10_000.0;
        assert!((0.45..=0.55).contains(&share), "admitted share {share}");

        let small = metrics(1.0, 50);
        for _ in 0..10_000 {
            small.record(
                OpType::Http,
                "GET /",
                Duration::from_micros(5),
                false,
                false,
                || Metadata::Fields(Map::new()),
            );
        }
        assert_eq!(small.snapshot().samples.len(), 50);
    }

    #[test]
    fn slow_statements_and_business_events_are_always_kept() {
        let m = metrics(0.0, 10);
        m.record(
            OpType::Database,
            "select notes",
            Duration::from_millis(150),
            false,
            true,
            || Metadata::Fields(Map::new()),
        );
        m.event("note.created", Map::new());
        let snap = m.snapshot();
        assert_eq!(snap.samples.len(), 2);
        assert_eq!(snap.slow.len(), 1);
    }

    #[test]
    fn quantiles_come_from_the_histogram() {
        let m = metrics(1.0, 10);
        for _ in 0..90 {
            m.record(
                OpType::Http,
                "GET /",
                Duration::from_micros(80),
                false,
                false,
                || Metadata::Fields(Map::new()),
            );
        }
        for _ in 0..10 {
            m.record(
                OpType::Http,
                "GET /",
                Duration::from_millis(40),
                false,
                false,
                || Metadata::Fields(Map::new()),
            );
        }
        let (_, _, agg) = m.snapshot().operations.remove(0);
        assert_eq!(agg.quantile_us(0.5), 100);
        assert_eq!(
            agg.quantile_us(0.95),
            40_000,
            "clamped to the observed maximum"
        );
        assert_eq!(agg.quantile_us(0.99), 40_000);
    }

    #[test]
    fn a_disabled_store_records_nothing() {
        let mut config = metrics(1.0, 10).config.clone();
        config.enabled = false;
        let m = Metrics::new(config);
        assert!(
            m.record(OpType::Http, "GET /", Duration::ZERO, true, true, || {
                Metadata::Fields(Map::new())
            })
            .is_none()
        );
        assert!(m.snapshot().operations.is_empty());
    }
}

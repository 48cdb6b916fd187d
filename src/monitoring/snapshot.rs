//! What the store hands out: a consistent summary of everything at one moment.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::fingerprint::Fingerprint;
use super::inner::pool_totals;
use super::records::{MemorySample, OpType, Sample};
use super::stats::{Minute, OpSummary, Stats, Summed};
use super::store::Metrics;

impl Metrics {
    /// A consistent summary of everything, for the dashboard, JSON and Prometheus.
    pub fn snapshot(&self) -> Snapshot {
        let now_ms = self.now_ms();
        let now_minute = now_ms / 60_000 * 60;
        let inner = self.lock();
        let mut operations: Vec<OpSummary> = OpType::ALL
            .iter()
            .flat_map(|kind| {
                inner.ops[*kind as usize]
                    .iter()
                    .map(move |(name, stats)| stats.summary(*kind, name, now_minute))
            })
            .collect();
        // The per-type view of statements: one entry per kind and table, as before fingerprints.
        let mut groups: HashMap<String, Summed<'_>> = HashMap::new();
        for statement in inner.statements.values() {
            groups
                .entry(statement.fingerprint.name())
                .or_default()
                .add(&statement.stats, now_minute);
        }
        operations.extend(
            groups
                .into_iter()
                .map(|(name, sum)| sum.finish(OpType::Database, &name, now_minute)),
        );
        operations.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        let mut statements: Vec<StatementSummary> = inner
            .statements
            .values()
            .map(|s| StatementSummary {
                fingerprint: s.fingerprint.clone(),
                summary: s
                    .stats
                    .summary(OpType::Database, &s.fingerprint.name(), now_minute),
            })
            .collect();
        statements.sort_by_key(|s| std::cmp::Reverse(s.summary.agg.total_us));
        let mut minutes: Vec<Minute> = inner.minutes.iter().copied().collect();
        if let Some(open) = minutes.last_mut() {
            open.latency = inner.request_latency(open.minute).quantiles();
            let (waits, wait_us) = pool_totals(&self.pool);
            open.pool_waits = waits.saturating_sub(inner.pool_seen.0);
            open.pool_wait_us = wait_us.saturating_sub(inner.pool_seen.1);
        }
        let mut views: Vec<PageViews> = inner
            .views
            .iter()
            .map(|(path, [people, bots])| PageViews {
                path: path.clone(),
                views: *people,
                bot_views: *bots,
            })
            .collect();
        views.sort_by(|a, b| (b.views, b.bot_views, &a.path).cmp(&(a.views, a.bot_views, &b.path)));
        let footprint = inner
            .ops
            .iter()
            .flat_map(|named| named.values())
            .chain(inner.statements.values().map(|s| &s.stats))
            .map(Stats::footprint)
            .sum::<usize>()
            + inner.minutes.len() * std::mem::size_of::<Minute>();
        Snapshot {
            now_ms,
            requests: {
                let mut all = Summed::default();
                for stats in inner.ops[OpType::Http as usize].values() {
                    all.add(stats, now_minute);
                }
                all.finish(OpType::Http, "all requests", now_minute)
            },
            operations,
            statements,
            minutes,
            samples: inner.samples.iter().cloned().collect(),
            slow: inner.slow.iter().cloned().collect(),
            slow_total: inner.slow_total,
            memory: inner.memory.iter().copied().collect(),
            views,
            views_total: inner.views_total,
            histogram_bytes: footprint,
            pool_checkouts: self.pool.checkouts.load(Ordering::Relaxed),
            pool_waits: self.pool.waits.load(Ordering::Relaxed),
            pool_wait_us: self.pool.wait_us.load(Ordering::Relaxed),
            pool_timeouts: self.pool.timeouts.load(Ordering::Relaxed),
        }
    }
}

/// One statement fingerprint and its statistics.
#[derive(Debug, Clone)]
pub struct StatementSummary {
    /// The normalised statement.
    pub fingerprint: Arc<Fingerprint>,
    /// Its statistics (name: kind and subject).
    pub summary: OpSummary,
}

/// Views of one page since start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageViews {
    /// The path.
    pub path: String,
    /// Views by people.
    pub views: u64,
    /// Views by crawlers and other bots.
    pub bot_views: u64,
}

/// A summary of the store at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// When, Unix milliseconds.
    pub now_ms: i64,
    /// Every request together.
    pub requests: OpSummary,
    /// Every (type, name), sorted; database entries grouped by kind and table.
    pub operations: Vec<OpSummary>,
    /// Every statement fingerprint, most total time first.
    pub statements: Vec<StatementSummary>,
    /// Per-minute totals, oldest first (up to 24 hours; minutes with nothing are absent).
    pub minutes: Vec<Minute>,
    /// Sampled detail, oldest first.
    pub samples: Vec<Sample>,
    /// Slow statements, oldest first.
    pub slow: Vec<Sample>,
    /// Slow statements since start.
    pub slow_total: u64,
    /// Memory readings, oldest first (24 hours).
    pub memory: Vec<MemorySample>,
    /// Page views, most viewed first.
    pub views: Vec<PageViews>,
    /// All page views: people, bots.
    pub views_total: [u64; 2],
    /// Bytes held by the latency histograms and minutes.
    pub histogram_bytes: usize,
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
    /// Count and failures of one type.
    pub fn totals(&self, kind: OpType) -> (u64, u64) {
        self.operations
            .iter()
            .filter(|o| o.kind == kind)
            .fold((0, 0), |(c, e), o| (c + o.agg.count, e + o.agg.errors))
    }
}

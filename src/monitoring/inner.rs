//! The store's state behind its lock: every operation's statistics by name, the statement
//! fingerprints, the per-minute totals, the sample buffers, memory readings and page views.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::fingerprint::Fingerprint;
use super::histogram::Latency;
use super::records::{MemorySample, OpType, Sample};
use super::stats::{MINUTES_KEPT, Minute, PAGES_KEPT, PoolCounters, Stats};

/// A statement fingerprint with its statistics.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) fingerprint: Arc<Fingerprint>,
    pub(crate) stats: Stats,
}

/// Items by name, found with one hash of the name (a map to their place in a list), since a
/// record looks one up on every request and statement.
#[derive(Debug)]
pub(crate) struct Named<T> {
    places: HashMap<String, usize>,
    items: Vec<(String, T)>,
}

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named {
            places: HashMap::new(),
            items: Vec::new(),
        }
    }
}

impl<T> Named<T> {
    /// The item called `name`, made by `make` on first use (the name is copied only then).
    pub(crate) fn get_or_insert_with(&mut self, name: &str, make: impl FnOnce() -> T) -> &mut T {
        let place = match self.places.get(name) {
            Some(&place) => place,
            None => {
                self.items.push((name.to_owned(), make()));
                self.places.insert(name.to_owned(), self.items.len() - 1);
                self.items.len() - 1
            }
        };
        &mut self.items[place].1
    }

    /// Whether an item is called `name`.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.places.contains_key(name)
    }

    /// How many items there are.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Every item with its name, in the order they were first used.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.items.iter().map(|(name, item)| (name.as_str(), item))
    }

    /// Every item.
    pub(crate) fn values(&self) -> impl Iterator<Item = &T> {
        self.items.iter().map(|(_, item)| item)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    /// Per type (indexed by [`OpType`]), per name.
    pub(crate) ops: [Named<Stats>; 4],
    pub(crate) statements: Named<Statement>,
    pub(crate) minutes: VecDeque<Minute>,
    /// Pool wait counters when the newest minute started.
    pub(crate) pool_seen: (u64, u64),
    pub(crate) samples: VecDeque<Sample>,
    pub(crate) slow: VecDeque<Sample>,
    pub(crate) slow_total: u64,
    pub(crate) memory: VecDeque<MemorySample>,
    pub(crate) views: HashMap<String, [u64; 2]>,
    pub(crate) views_total: [u64; 2],
}

impl Inner {
    /// The statistics of (kind, name), created on first use (the name is copied only then).
    pub(crate) fn stats(&mut self, kind: OpType, name: &str) -> &mut Stats {
        self.ops[kind as usize].get_or_insert_with(name, Stats::default)
    }

    /// Counts a page view; pages past [`PAGES_KEPT`] count only in the totals.
    pub(crate) fn count_view(&mut self, path: &str, bot: bool) {
        let audience = usize::from(bot);
        self.views_total[audience] += 1;
        if let Some(counts) = self.views.get_mut(path) {
            counts[audience] += 1;
        } else if self.views.len() < PAGES_KEPT {
            let mut counts = [0; 2];
            counts[audience] = 1;
            self.views.insert(path.to_owned(), counts);
        }
    }

    /// Every request of the minute starting at `minute`, from the routes' five-minute windows
    /// (so a request is recorded in one histogram only). Call it while the minute is in them.
    pub(crate) fn request_latency(&self, minute: i64) -> Latency {
        let mut all = Latency::default();
        for stats in self.ops[OpType::Http as usize].values() {
            if let Some(latency) = stats.window.minute(minute) {
                all.merge(latency);
            }
        }
        all
    }

    /// The minute starting at `minute`, opened (and the previous one closed) if new. Call it
    /// before recording into a window, so the closing minute is still there to read.
    pub(crate) fn minute(&mut self, minute: i64, pool: &PoolCounters) -> &mut Minute {
        if self.minutes.back().is_none_or(|m| m.minute != minute) {
            let seen = pool_totals(pool);
            let (waits, wait_us) = self.pool_seen;
            if let Some(last) = self.minutes.back().map(|m| m.minute) {
                let latency = self.request_latency(last).quantiles();
                let closed = self.minutes.back_mut().expect("just seen");
                closed.latency = latency;
                closed.pool_waits = seen.0.saturating_sub(waits);
                closed.pool_wait_us = seen.1.saturating_sub(wait_us);
            }
            self.pool_seen = seen;
            self.minutes.push_back(Minute {
                minute,
                ..Minute::default()
            });
            while self
                .minutes
                .front()
                .is_some_and(|m| m.minute <= minute - 60 * MINUTES_KEPT as i64)
            {
                self.minutes.pop_front();
            }
        }
        self.minutes.back_mut().expect("pushed above")
    }
}

pub(crate) fn pool_totals(pool: &PoolCounters) -> (u64, u64) {
    (
        pool.waits.load(Ordering::Relaxed),
        pool.wait_us.load(Ordering::Relaxed),
    )
}

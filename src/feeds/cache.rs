//! A bounded in-memory cache of generated feeds, keyed by format and site version.
//!
//! The site version is bumped by database triggers on every note change, so an entry can never
//! outlive the notes it was made from; entries of older versions are dropped when a newer one
//! is stored. The cache holds at most `FEED_CACHE_MAX_SIZE` entries.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::web::Bytes;

use super::Format;

/// One generated feed.
#[derive(Debug, Clone)]
pub struct Cached {
    /// The document.
    pub body: Bytes,
    /// The site version it was made from.
    pub version: i64,
}

/// The cache.
#[derive(Debug)]
pub struct FeedCache {
    enabled: bool,
    max_entries: usize,
    entries: Mutex<HashMap<(Format, i64), Cached>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl FeedCache {
    /// A cache that is on or off (`FEED_CACHE_ENABLED`) holding at most `max_entries`.
    pub fn new(enabled: bool, max_entries: usize) -> Self {
        FeedCache {
            enabled,
            max_entries: max_entries.max(1),
            entries: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Whether caching is on.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(Format, i64), Cached>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The feed of `format` at `version`, counting a hit or a miss.
    pub fn get(&self, format: Format, version: i64) -> Option<Cached> {
        if !self.enabled {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let found = self.lock().get(&(format, version)).cloned();
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Stores a generated feed, dropping entries of older versions and keeping the bound.
    pub fn put(&self, format: Format, cached: Cached) {
        if !self.enabled {
            return;
        }
        let mut entries = self.lock();
        let newest = cached.version;
        entries.retain(|(_, v), _| *v >= newest);
        while entries.len() >= self.max_entries {
            let Some(oldest) = entries.keys().min_by_key(|(_, v)| *v).copied() else {
                break;
            };
            entries.remove(&oldest);
        }
        entries.insert((format, newest), cached);
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hits and misses so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(version: i64) -> Cached {
        Cached {
            body: Bytes::from_static(b"<rss/>"),
            version,
        }
    }

    #[test]
    fn a_newer_version_replaces_older_entries_and_the_bound_holds() {
        let cache = FeedCache::new(true, 2);
        cache.put(Format::Rss, cached(1));
        cache.put(Format::Atom, cached(1));
        assert!(cache.get(Format::Rss, 1).is_some());
        cache.put(Format::Rss, cached(2));
        assert!(
            cache.get(Format::Atom, 1).is_none(),
            "stale versions dropped"
        );
        cache.put(Format::Atom, cached(2));
        cache.put(Format::Json, cached(2));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.counts(), (1, 1));
    }

    #[test]
    fn a_disabled_cache_stores_nothing() {
        let cache = FeedCache::new(false, 10);
        cache.put(Format::Rss, cached(1));
        assert!(cache.get(Format::Rss, 1).is_none());
        assert!(cache.is_empty());
    }
}

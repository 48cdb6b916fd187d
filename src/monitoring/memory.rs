//! The memory sampler: resident memory and its high-water mark from `/proc/self/status`.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::{MemorySample, Metrics};

/// Resident set size and its high-water mark, in bytes (Linux; `None` elsewhere).
pub fn read() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kb| kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Takes one reading into the store now.
pub fn sample_now(metrics: &Metrics) {
    if let Some((rss, hwm)) = read() {
        metrics.record_memory(MemorySample {
            at: crate::clock::unix_now(),
            rss_bytes: rss,
            hwm_bytes: hwm,
        });
    }
}

/// Starts the sampler thread; it ends by itself once the store is dropped.
pub fn spawn(metrics: &Arc<Metrics>, interval: Duration) {
    let weak: Weak<Metrics> = Arc::downgrade(metrics);
    let spawned = std::thread::Builder::new()
        .name("starpunk-memory".into())
        .spawn(move || {
            let tick = Duration::from_millis(250).min(interval);
            let mut waited = interval;
            loop {
                if waited >= interval {
                    match weak.upgrade() {
                        Some(metrics) => sample_now(&metrics),
                        None => return,
                    }
                    waited = Duration::ZERO;
                }
                std::thread::sleep(tick);
                waited += tick;
                if weak.strong_count() == 0 {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        log::warn!("memory sampler not started: {e}");
    }
}

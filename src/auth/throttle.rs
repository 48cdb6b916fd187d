//! Slowing down password and passkey guessing: failed sign-ins per client address and in all,
//! with exponential back-off that always expires (the owner is never locked out for good, and
//! the command line works regardless).
//!
//! From one address, the first [`FREE_PER_ADDRESS`] failures cost nothing; after that each
//! attempt must wait 1 s, 2 s, 4 s … after the last failure, at most [`MAX_WAIT`]. Across all
//! addresses the same holds after [`FREE_GLOBAL`] failures, at most [`MAX_GLOBAL_WAIT`] (so a
//! distributed guesser cannot keep the owner out for long). A quiet [`FORGET_AFTER`] resets a
//! count; a success resets its address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures from one address before back-off starts.
pub const FREE_PER_ADDRESS: u32 = 5;
/// Failures from all addresses before global back-off starts.
pub const FREE_GLOBAL: u32 = 50;
/// Longest wait for one address.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Longest global wait.
pub const MAX_GLOBAL_WAIT: Duration = Duration::from_secs(60);
/// A count is forgotten after this long without failures.
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Addresses remembered at most (the oldest are dropped first).
const MAX_ADDRESSES: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    fn wait(&self, free: u32, cap: Duration, now: Instant) -> Option<Duration> {
        if now.duration_since(self.last) >= FORGET_AFTER || self.count < free {
            return None;
        }
        let exponent = (self.count - free).min(20);
        let wait = Duration::from_secs(1u64 << exponent).min(cap);
        let ready = self.last + wait;
        (ready > now).then(|| ready - now)
    }

    fn add(&mut self, now: Instant) {
        if now.duration_since(self.last) >= FORGET_AFTER {
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.last = now;
    }
}

/// Failures per client address (`None`: unknown) and in all.
type Counts = (HashMap<Option<IpAddr>, Failures>, Option<Failures>);

/// The sign-in throttle of one application.
#[derive(Debug, Default)]
pub struct Throttle {
    state: Mutex<Counts>,
}

impl Throttle {
    /// `Err(wait)` when an attempt from `address` must wait that long first.
    pub fn check(&self, address: Option<IpAddr>) -> Result<(), Duration> {
        self.check_at(address, Instant::now())
    }

    fn check_at(&self, address: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let own = state
            .0
            .get(&address)
            .and_then(|f| f.wait(FREE_PER_ADDRESS, MAX_WAIT, now));
        let global = state
            .1
            .and_then(|f| f.wait(FREE_GLOBAL, MAX_GLOBAL_WAIT, now));
        match own.max(global) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Records a failed attempt.
    pub fn failure(&self, address: Option<IpAddr>) {
        self.failure_at(address, Instant::now());
    }

    fn failure_at(&self, address: Option<IpAddr>, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.0.len() >= MAX_ADDRESSES && !state.0.contains_key(&address) {
            state
                .0
                .retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
            if state.0.len() >= MAX_ADDRESSES
                && let Some(oldest) = state.0.iter().min_by_key(|(_, f)| f.last).map(|(a, _)| *a)
            {
                state.0.remove(&oldest);
            }
        }
        state
            .0
            .entry(address)
            .or_insert(Failures {
                count: 0,
                last: now,
            })
            .add(now);
        state
            .1
            .get_or_insert(Failures {
                count: 0,
                last: now,
            })
            .add(now);
    }

    /// Records a successful sign-in: the address starts afresh.
    pub fn success(&self, address: Option<IpAddr>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0.remove(&address);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_grows_per_address_and_expires() {
        let throttle = Throttle::default();
        let a: Option<IpAddr> = "192.0.2.1".parse().ok();
        let b: Option<IpAddr> = "192.0.2.2".parse().ok();
        let t0 = Instant::now();
        for _ in 0..FREE_PER_ADDRESS {
            assert!(throttle.check_at(a, t0).is_ok());
            throttle.failure_at(a, t0);
        }
        // Sixth failure: wait 1 s; seventh: 2 s.
        assert_eq!(throttle.check_at(a, t0), Err(Duration::from_secs(1)));
        assert!(throttle.check_at(b, t0).is_ok(), "others are not slowed");
        let t1 = t0 + Duration::from_secs(1);
        assert!(throttle.check_at(a, t1).is_ok());
        throttle.failure_at(a, t1);
        assert_eq!(throttle.check_at(a, t1), Err(Duration::from_secs(2)));
        // Capped, and forgotten after a quiet hour.
        for _ in 0..40 {
            throttle.failure_at(a, t1);
        }
        assert_eq!(throttle.check_at(a, t1), Err(MAX_WAIT));
        assert!(throttle.check_at(a, t1 + FORGET_AFTER).is_ok());
        throttle.success(a);
        assert!(throttle.check_at(a, t1).is_ok());
    }

    #[test]
    fn many_addresses_together_are_slowed_briefly() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for i in 0..FREE_GLOBAL + 10 {
            let ip: Option<IpAddr> = format!("198.51.100.{}", i % 250).parse().ok();
            throttle.failure_at(ip, t0);
        }
        let fresh: Option<IpAddr> = "203.0.113.5".parse().ok();
        assert_eq!(throttle.check_at(fresh, t0), Err(MAX_GLOBAL_WAIT));
        assert!(throttle.check_at(fresh, t0 + MAX_GLOBAL_WAIT).is_ok());
    }
}

//! Latency histograms with a bounded relative error, and windows of them.
//!
//! [`Latency`] wraps an HdrHistogram (log-linear buckets) kept to two significant digits: every
//! value from 0 to 255 µs has its own bucket and above that each power of two is split into 128
//! buckets, so a reported percentile is never more than 1/128 (0.78 %) above the true one.
//! Counts grow with the largest value recorded (a route that never takes more than 10 ms keeps
//! about 900 counters); see [`Latency::footprint`].

use hdrhistogram::{Counter, Histogram};

/// Decimal significant digits: two give buckets at most 1/128 of their value wide.
const SIGNIFICANT_DIGITS: u8 = 2;

/// The percentiles a [`Latency`] reports, in µs.
pub const QUANTILES: [f64; 5] = [0.50, 0.90, 0.95, 0.99, 0.999];

/// Percentiles of a histogram, µs: p50, p90, p95, p99, p99.9 and the maximum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quantiles {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 95th percentile.
    pub p95: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Slowest.
    pub max: u64,
}

/// A latency histogram in microseconds. Counters are `u64` by default; a minute's histogram
/// uses `u32` (half the memory; no minute holds four billion requests).
#[derive(Debug, Clone)]
pub struct Latency<C: Counter = u64> {
    histogram: Histogram<C>,
    /// The exact extremes (the histogram's own are rounded to their bucket).
    min: u64,
    max: u64,
}

impl<C: Counter> Default for Latency<C> {
    fn default() -> Self {
        Latency {
            histogram: Histogram::new(SIGNIFICANT_DIGITS)
                .expect("two significant digits are within HdrHistogram's range"),
            min: u64::MAX,
            max: 0,
        }
    }
}

impl<C: Counter> Latency<C> {
    /// Adds one duration, µs.
    pub fn record(&mut self, us: u64) {
        // An auto-resizing histogram only fails to record when it cannot grow (a value near
        // u64::MAX); such a value is kept in the extremes and the count is saturated instead.
        if self.histogram.record(us).is_err() {
            self.histogram.saturating_record(self.histogram.high());
        }
        self.min = self.min.min(us);
        self.max = self.max.max(us);
    }

    /// Durations recorded.
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// Forgets everything, keeping the allocated counters for reuse.
    pub fn clear(&mut self) {
        self.histogram.reset();
        self.min = u64::MAX;
        self.max = 0;
    }

    /// The [`QUANTILES`] and the maximum in one pass over the recorded buckets. A percentile is
    /// the upper end of the bucket holding the sample of rank ⌈q·n⌉, clamped to the exact
    /// minimum and maximum; all zero when empty.
    pub fn quantiles(&self) -> Quantiles {
        let count = self.count();
        if count == 0 {
            return Quantiles::default();
        }
        let ranks = QUANTILES.map(|q| ((q * count as f64).ceil() as u64).clamp(1, count));
        let mut found = [self.max; 5];
        let mut next = 0;
        let mut seen = 0;
        for bucket in self.histogram.iter_recorded() {
            seen += bucket.count_at_value().as_u64();
            while next < ranks.len() && seen >= ranks[next] {
                found[next] = bucket.value_iterated_to().clamp(self.min, self.max);
                next += 1;
            }
            if next == ranks.len() {
                break;
            }
        }
        let [p50, p90, p95, p99, p999] = found;
        Quantiles {
            p50,
            p90,
            p95,
            p99,
            p999,
            max: self.max,
        }
    }

    /// How many recorded durations are at most `us` (for Prometheus buckets).
    pub fn count_at_most(&self, us: u64) -> u64 {
        if us >= self.max {
            return self.count();
        }
        self.histogram.count_between(0, us)
    }

    /// Bytes this histogram occupies (its counters and the struct).
    pub fn footprint(&self) -> usize {
        self.histogram.distinct_values() * std::mem::size_of::<C>() + std::mem::size_of::<Self>()
    }
}

impl Latency {
    /// Adds every duration of `other` (bucket by bucket: both have the same buckets).
    pub fn merge<D: Counter>(&mut self, other: &Latency<D>) {
        if other.count() == 0 {
            return;
        }
        for bucket in other.histogram.iter_recorded() {
            let (value, n) = (bucket.value_iterated_to(), bucket.count_at_value().as_u64());
            if self.histogram.record_n(value, n).is_err() {
                self.histogram.saturating_record_n(self.histogram.high(), n);
            }
        }
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

/// Minutes a [`Window`] spans: the current minute and the four before it.
pub const WINDOW_MINUTES: usize = 5;

/// One minute of a [`Window`].
#[derive(Debug, Clone, Default)]
struct Slot {
    /// Unix second of the minute's start; 0 when never used.
    minute: i64,
    latency: Latency<u32>,
    /// Failures (5xx for requests).
    errors: u64,
    /// Client errors (4xx, requests only).
    client_errors: u64,
}

/// The last five minutes of one operation, sliding by the minute: a ring of per-minute
/// histograms, each made when its minute first sees an operation and then reused (cleared, not
/// reallocated) as minutes pass. An operation seen once (a migration) holds one.
#[derive(Debug, Clone, Default)]
pub struct Window {
    slots: [Option<Slot>; WINDOW_MINUTES],
}

/// What a [`Window`] holds now.
#[derive(Debug, Clone, Default)]
pub struct WindowSum {
    /// Every duration of the window.
    pub latency: Latency,
    /// Failures.
    pub errors: u64,
    /// Client errors.
    pub client_errors: u64,
}

impl Window {
    fn slot(&mut self, minute: i64) -> &mut Slot {
        let index = (minute / 60).rem_euclid(WINDOW_MINUTES as i64) as usize;
        let slot = self.slots[index].get_or_insert_with(Slot::default);
        if slot.minute != minute {
            slot.minute = minute;
            slot.latency.clear();
            slot.errors = 0;
            slot.client_errors = 0;
        }
        slot
    }

    /// Adds one operation that ended in the minute starting at `minute` (Unix seconds).
    pub fn record(&mut self, minute: i64, us: u64, error: bool, client_error: bool) {
        let slot = self.slot(minute);
        slot.latency.record(us);
        slot.errors += u64::from(error);
        slot.client_errors += u64::from(client_error);
    }

    /// Everything recorded in the minute starting at `now_minute` and the four before it.
    pub fn sum(&self, now_minute: i64) -> WindowSum {
        let mut sum = WindowSum::default();
        let oldest = now_minute - 60 * (WINDOW_MINUTES as i64 - 1);
        for slot in self.slots.iter().flatten() {
            if slot.minute >= oldest && slot.minute <= now_minute {
                sum.latency.merge(&slot.latency);
                sum.errors += slot.errors;
                sum.client_errors += slot.client_errors;
            }
        }
        sum
    }

    /// The durations recorded in the minute starting at `minute`, while it is in the window.
    pub fn minute(&self, minute: i64) -> Option<&Latency<u32>> {
        self.slots
            .iter()
            .flatten()
            .find(|s| s.minute == minute)
            .map(|s| &s.latency)
    }

    /// Bytes held by the window's histograms.
    pub fn footprint(&self) -> usize {
        self.slots
            .iter()
            .flatten()
            .map(|s| s.latency.footprint())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact percentile the histogram must approximate: the sample of rank ⌈q·n⌉.
    fn exact(sorted: &[u64], q: f64) -> u64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    fn check(name: &str, mut values: Vec<u64>) {
        let mut latency: Latency = Latency::default();
        for &v in &values {
            latency.record(v);
        }
        values.sort_unstable();
        let got = latency.quantiles();
        let pairs = [
            (0.50, got.p50),
            (0.90, got.p90),
            (0.95, got.p95),
            (0.99, got.p99),
            (0.999, got.p999),
            (1.0, got.max),
        ];
        for (q, reported) in pairs {
            let truth = exact(&values, q);
            let error = (reported as f64 - truth as f64).abs() / (truth.max(1) as f64);
            assert!(
                error <= 0.01,
                "{name}: p{q} reported {reported} µs, exact {truth} µs, error {:.3} %",
                error * 100.0
            );
        }
        assert_eq!(latency.count(), values.len() as u64);
    }

    /// A standard normal deviate (Box–Muller) from fastrand's uniform numbers.
    fn normal(rng: &mut fastrand::Rng) -> f64 {
        let (u1, u2) = (rng.f64().max(f64::MIN_POSITIVE), rng.f64());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    #[test]
    fn percentiles_are_within_one_percent_on_a_uniform_distribution() {
        let mut rng = fastrand::Rng::with_seed(1);
        check(
            "uniform 10 µs–100 ms",
            (0..200_000).map(|_| rng.u64(10..100_000)).collect(),
        );
        check(
            "uniform 0–300 µs",
            (0..50_000).map(|_| rng.u64(0..300)).collect(),
        );
    }

    #[test]
    fn percentiles_are_within_one_percent_on_a_log_normal_distribution() {
        let mut rng = fastrand::Rng::with_seed(2);
        // Median 800 µs, a long tail past a second: what real request latencies look like.
        let values = (0..200_000)
            .map(|_| (800.0 * (1.2 * normal(&mut rng)).exp()) as u64)
            .collect();
        check("log-normal", values);
    }

    #[test]
    fn percentiles_are_within_one_percent_on_a_bimodal_distribution() {
        let mut rng = fastrand::Rng::with_seed(3);
        // 90 % cache hits near 150 µs, 10 % misses near 40 ms: the p95 sits in the second mode.
        let values = (0..200_000)
            .map(|_| {
                if rng.f64() < 0.9 {
                    (150.0 + 20.0 * normal(&mut rng)).max(1.0) as u64
                } else {
                    (40_000.0 + 5_000.0 * normal(&mut rng)).max(1.0) as u64
                }
            })
            .collect();
        check("bimodal", values);
    }

    #[test]
    fn merging_is_the_same_as_recording_together() {
        let (mut a, mut b, mut both): (Latency, Latency<u32>, Latency) = Default::default();
        for v in 1..5_000 {
            if v % 3 == 0 {
                a.record(v * 7);
            } else {
                b.record(v * 7);
            }
            both.record(v * 7);
        }
        a.merge(&b);
        assert_eq!(a.quantiles(), both.quantiles());
        assert_eq!(a.count(), both.count());
    }

    #[test]
    fn an_empty_histogram_reports_zeros_and_extremes_are_exact() {
        assert_eq!(Latency::<u64>::default().quantiles(), Quantiles::default());
        let mut one: Latency = Latency::default();
        one.record(123_457);
        let q = one.quantiles();
        assert_eq!((q.p50, q.p999, q.max), (123_457, 123_457, 123_457));
        assert_eq!(one.count_at_most(100_000), 0);
        assert_eq!(one.count_at_most(123_457), 1);
    }

    #[test]
    fn the_window_keeps_the_last_five_minutes_only() {
        let mut window = Window::default();
        let start = 1_800_000_000 / 60 * 60;
        for minute in 0..10 {
            window.record(start + minute * 60, 100 + minute as u64, minute == 9, false);
        }
        let sum = window.sum(start + 9 * 60);
        assert_eq!(sum.latency.count(), 5, "minutes 5 to 9");
        assert_eq!(sum.latency.quantiles().max, 109);
        assert_eq!(sum.errors, 1);
        // Five minutes of silence later, nothing is left in the window.
        assert_eq!(window.sum(start + 14 * 60).latency.count(), 0);
    }

    #[test]
    fn memory_stays_small() {
        let mut latency: Latency = Latency::default();
        for v in (0..10_000).step_by(7) {
            latency.record(v);
        }
        // Up to 10 ms: 1,024 counters (8 bytes each since start, 4 in a minute's window slot).
        assert!(
            latency.footprint() <= 8 * 1024 + 128,
            "{}",
            latency.footprint()
        );
        let mut window = Window::default();
        assert_eq!(
            window.footprint(),
            0,
            "nothing allocated before the first record"
        );
        for v in (0..10_000).step_by(7) {
            window.record(1_800_000_000 / 60 * 60, v, false, false);
        }
        assert!(
            window.footprint() <= 5 * (2 * 1024 + 128),
            "{}",
            window.footprint()
        );
    }
}

//! [`LatencyHistogram`]: the latencies of a hedge's recent successful calls, in a fixed
//! number of atomic counters, and the percentiles a `delay = "p95"` reads from them.
//!
//! Buckets are log-linear: eight per power of two of microseconds (below 8 µs, one per
//! microsecond), up to about 18 minutes, where the last bucket takes everything longer. A
//! percentile is read as the upper bound of its bucket, so it is at most 12.5% above the true
//! value and never below it: a hedge never starts earlier than asked.
//!
//! Two windows of counters take turns: samples go to the current one; when it holds
//! [`WINDOW`] samples the other is cleared and becomes current. The percentiles are
//! computed from both, so they describe the last `WINDOW` to `2 × WINDOW` samples, and
//! older latencies fall out. Computing them walks every bucket, so it is done every
//! [`REFRESH`] samples by the call that records that sample, and cached; a call reads one
//! atomic. Until [`MIN_SAMPLES`] samples are in, no percentile is known.
//!
//! Everything is relaxed atomics: recording never waits and never allocates. A sample
//! recorded while the windows turn may land in the window being cleared and be lost, and a
//! percentile may be computed from a half-cleared window: both only shift the estimate
//! slightly, never out of the range of the latencies recorded.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use super::config::Percentile;

/// Sub-buckets per power of two: 2^3.
const SUB_BITS: u32 = 3;
const SUB: usize = 1 << SUB_BITS;
/// The highest power of two of microseconds with buckets of its own (2^29 µs ≈ 9 min; its
/// octave ends at about 18 min).
const MAX_EXPONENT: u32 = 29;
/// Buckets per window.
const BUCKETS: usize = (MAX_EXPONENT as usize - SUB_BITS as usize + 2) * SUB;

/// Samples a window takes before the other one becomes current.
pub(crate) const WINDOW: u32 = 512;
/// Every this many samples, the percentiles are computed again.
pub(crate) const REFRESH: u32 = 32;
/// The samples needed before a percentile is known.
pub(crate) const MIN_SAMPLES: u64 = 128;

/// The cached value of a percentile not known yet.
const UNKNOWN: u64 = u64::MAX;

/// The bucket of a latency of `micros` microseconds.
const fn bucket(micros: u64) -> usize {
    if micros < SUB as u64 {
        return micros as usize;
    }
    let exponent = 63 - micros.leading_zeros();
    if exponent > MAX_EXPONENT {
        return BUCKETS - 1;
    }
    let sub = (micros >> (exponent - SUB_BITS)) as usize & (SUB - 1);
    (exponent - SUB_BITS + 1) as usize * SUB + sub
}

/// The end of bucket `index` (exclusive), in microseconds.
const fn bucket_end(index: usize) -> u64 {
    if index < SUB {
        return index as u64 + 1;
    }
    let exponent = (index / SUB) as u32 + SUB_BITS - 1;
    let sub = (index % SUB) as u64;
    (SUB as u64 + sub + 1) << (exponent - SUB_BITS)
}

/// One window of counters.
#[derive(Debug)]
struct Window {
    buckets: [AtomicU32; BUCKETS],
    samples: AtomicU32,
}

impl Window {
    const fn new() -> Self {
        Self {
            buckets: [const { AtomicU32::new(0) }; BUCKETS],
            samples: AtomicU32::new(0),
        }
    }

    fn clear(&self) {
        for bucket in &self.buckets {
            bucket.store(0, Relaxed);
        }
        self.samples.store(0, Relaxed);
    }
}

/// A bounded, lock-free histogram of recent latencies (see the [module docs](self)).
#[derive(Debug)]
pub(crate) struct LatencyHistogram {
    windows: [Window; 2],
    /// Turns taken: the current window is `turns % 2`.
    turns: AtomicU64,
    /// p90, p95 and p99 in nanoseconds, as last computed, or [`UNKNOWN`].
    cached: [AtomicU64; 3],
}

impl LatencyHistogram {
    /// Empty: no percentile known.
    pub(crate) const fn new() -> Self {
        Self {
            windows: [Window::new(), Window::new()],
            turns: AtomicU64::new(0),
            cached: [const { AtomicU64::new(UNKNOWN) }; 3],
        }
    }

    /// Adds one latency.
    #[inline]
    pub(crate) fn record(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let turns = self.turns.load(Relaxed);
        let window = &self.windows[(turns % 2) as usize];
        window.buckets[bucket(micros)].fetch_add(1, Relaxed);
        let samples = window.samples.fetch_add(1, Relaxed).wrapping_add(1);
        if samples == WINDOW {
            self.turn(turns);
        } else if samples.is_multiple_of(REFRESH) {
            self.refresh();
        }
    }

    /// Clears the other window and makes it current (the call that filled the current one
    /// does this, once per turn).
    #[cold]
    fn turn(&self, turns: u64) {
        if self.turns.load(Relaxed) == turns {
            self.windows[((turns + 1) % 2) as usize].clear();
            let _ = self
                .turns
                .compare_exchange(turns, turns + 1, Relaxed, Relaxed);
        }
        self.refresh();
    }

    /// Computes the percentiles from both windows and caches them.
    #[cold]
    fn refresh(&self) {
        let mut counts = [0_u64; BUCKETS];
        for window in &self.windows {
            for (count, bucket) in counts.iter_mut().zip(&window.buckets) {
                *count += u64::from(bucket.load(Relaxed));
            }
        }
        let samples: u64 = counts.iter().sum();
        for (slot, percentile) in [Percentile::P90, Percentile::P95, Percentile::P99]
            .into_iter()
            .enumerate()
        {
            let value = if samples < MIN_SAMPLES {
                UNKNOWN
            } else {
                at_rank(&counts, samples, percentile).saturating_mul(1_000)
            };
            self.cached[slot].store(value, Relaxed);
        }
    }

    /// The percentile as last computed, once [`MIN_SAMPLES`] latencies are in.
    #[inline]
    pub(crate) fn percentile(&self, percentile: Percentile) -> Option<Duration> {
        let slot = match percentile {
            Percentile::P90 => 0,
            Percentile::P95 => 1,
            Percentile::P99 => 2,
        };
        match self.cached[slot].load(Relaxed) {
            UNKNOWN => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// The samples the windows hold now.
    pub(crate) fn samples(&self) -> u64 {
        self.windows
            .iter()
            .map(|window| {
                window
                    .buckets
                    .iter()
                    .map(|bucket| u64::from(bucket.load(Relaxed)))
                    .sum::<u64>()
            })
            .sum()
    }
}

/// The end of the bucket holding the sample of rank `⌈samples × p⌉`, in microseconds.
fn at_rank(counts: &[u64; BUCKETS], samples: u64, percentile: Percentile) -> u64 {
    let rank = (samples * percentile.per_mille()).div_ceil(1_000).max(1);
    let mut seen = 0;
    for (index, count) in counts.iter().enumerate() {
        seen += count;
        if seen >= rank {
            return bucket_end(index);
        }
    }
    bucket_end(BUCKETS - 1)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn buckets_cover_the_range_in_order_within_an_eighth() {
        let mut previous_end = 0;
        for index in 0..BUCKETS {
            let end = bucket_end(index);
            assert!(end > previous_end, "bucket {index}");
            // Every value of the bucket maps back to it.
            assert_eq!(bucket(previous_end), index, "start of {index}");
            assert_eq!(bucket(end - 1), index, "end of {index}");
            // The bucket is at most an eighth of its start wide (above the linear part).
            if previous_end >= 8 {
                assert!((end - previous_end) * 8 <= previous_end, "bucket {index}");
            }
            previous_end = end;
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
        assert_eq!(bucket(bucket_end(BUCKETS - 1) + 5), BUCKETS - 1);
    }

    #[test]
    fn no_percentile_until_enough_samples() {
        let histogram = LatencyHistogram::new();
        for _ in 0..MIN_SAMPLES - 1 {
            histogram.record(MS(10));
        }
        assert_eq!(histogram.percentile(Percentile::P95), None);
        // The next refresh after the minimum knows it.
        for _ in 0..REFRESH {
            histogram.record(MS(10));
        }
        let p95 = histogram.percentile(Percentile::P95).unwrap();
        assert!(p95 >= MS(10) && p95 <= MS(10) * 9 / 8, "{p95:?}");
    }

    #[test]
    fn percentiles_are_at_or_just_above_the_true_value() {
        let histogram = LatencyHistogram::new();
        // 1 ms, 2 ms, .., 512 ms once each (a full window, so the last sample refreshes):
        // the sample of rank ⌈512 × p⌉ is that many milliseconds.
        for millis in 1..=u64::from(WINDOW) {
            histogram.record(MS(millis));
        }
        for percentile in [Percentile::P90, Percentile::P95, Percentile::P99] {
            let truth = MS((u64::from(WINDOW) * percentile.per_mille()).div_ceil(1_000));
            let found = histogram.percentile(percentile).unwrap();
            assert!(
                found >= truth && found <= truth * 9 / 8,
                "{percentile}: {found:?} for {truth:?}"
            );
        }
    }

    #[test]
    fn old_latencies_fall_out_after_two_windows() {
        let histogram = LatencyHistogram::new();
        for _ in 0..WINDOW {
            histogram.record(MS(100));
        }
        assert!(histogram.percentile(Percentile::P90).unwrap() >= MS(100));
        for _ in 0..2 * WINDOW {
            histogram.record(MS(5));
        }
        let p99 = histogram.percentile(Percentile::P99).unwrap();
        assert!(p99 >= MS(5) && p99 <= MS(5) * 9 / 8, "{p99:?}");
        assert!(histogram.samples() <= u64::from(2 * WINDOW));
    }

    #[test]
    fn extremes_stay_in_bounds() {
        let histogram = LatencyHistogram::new();
        for _ in 0..MIN_SAMPLES + u64::from(REFRESH) {
            histogram.record(Duration::MAX);
            histogram.record(Duration::ZERO);
        }
        let p99 = histogram.percentile(Percentile::P99).unwrap();
        assert_eq!(p99, Duration::from_micros(bucket_end(BUCKETS - 1)));
        let p90 = histogram.percentile(Percentile::P90).unwrap();
        assert!(p90 <= p99);
    }

    #[test]
    fn concurrent_recording_keeps_the_percentiles_in_range() {
        let histogram = Arc::new(LatencyHistogram::new());
        let threads: Vec<_> = (0..4_u64)
            .map(|thread| {
                let histogram = Arc::clone(&histogram);
                std::thread::spawn(move || {
                    for i in 0..20_000_u64 {
                        // 2 ms to 9 ms, whichever thread.
                        histogram.record(MS(2 + (i + thread) % 8));
                        if i % 97 == 0
                            && let Some(p) = histogram.percentile(Percentile::P95)
                        {
                            assert!(p >= MS(2) && p <= MS(9) * 9 / 8, "{p:?}");
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let samples = histogram.samples();
        assert!(
            samples >= u64::from(WINDOW / 2) && samples <= u64::from(2 * WINDOW) + 1_000,
            "{samples}"
        );
        let p95 = histogram.percentile(Percentile::P95).unwrap();
        assert!(p95 >= MS(9) && p95 <= MS(9) * 9 / 8, "{p95:?}");
    }
}

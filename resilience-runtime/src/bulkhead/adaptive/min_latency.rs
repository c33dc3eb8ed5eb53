//! [`MinLatency`]: the no-load latency the adaptive algorithms compare each call with, tracked
//! without ever holding traffic back to measure it.
//!
//! Two ways of getting it wrong are known. A long-term average of the latencies seen (as
//! Netflix's Gradient2 keeps) includes the queueing the limit itself causes: under steady load
//! it drifts up, the tolerance above it grows with it, and the limit ratchets up to its
//! maximum. Probing (as Envoy's gradient controller does, and Netflix's Vegas resets its
//! estimate) drops concurrency to a minimum every so often to re-measure the latency without
//! load, which starves the traffic of that moment.
//!
//! Here the estimate is the smallest latency of a successful call. A faster call lowers it at
//! once. It can only go *up* at the end of a window ([`WINDOW`]) and only to what calls at low
//! in-flight measured in that window: those that started while at most half the window's
//! highest limit (and at least `min_concurrent`) were in flight. Under steady load the
//! calls run near the limit, none is "low", and the estimate stays where it is: no drift.
//! When the service itself became slower, every latency exceeds the tolerance, each algorithm
//! cuts its limit, in-flight halves as a consequence of that cut (not of a probe), and those
//! calls re-state the estimate at the window's end. Failed calls say nothing about it (an
//! error can be fast).

/// How long a window of samples lasts before calls at low in-flight may raise the estimate.
pub(crate) const WINDOW: u64 = 10_000_000_000;

/// The no-load latency estimate, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MinLatency {
    /// The estimate; 0 until the first successful call.
    estimate: u64,
    /// When the current window ends.
    window_end: u64,
    /// The smallest latency at low in-flight in this window; `u64::MAX` for none.
    low_min: u64,
    /// The highest limit seen in this window.
    peak_limit: f64,
}

impl MinLatency {
    /// No estimate yet.
    pub(crate) const fn new() -> Self {
        Self {
            estimate: 0,
            window_end: 0,
            low_min: u64::MAX,
            peak_limit: 0.0,
        }
    }

    /// The estimate, once a call succeeded.
    pub(crate) const fn estimate(&self) -> Option<u64> {
        if self.estimate == 0 {
            None
        } else {
            Some(self.estimate)
        }
    }

    /// Takes in one call that ended under `limit` (`floor`: the limit's minimum).
    pub(crate) fn observe(&mut self, sample: &super::Sample, limit: f64, floor: f64) {
        if sample.failed {
            return;
        }
        // A zero latency (a clock that did not move) still counts as the fastest possible.
        let latency = sample.latency.max(1);
        let ended = sample.ended();
        if self.estimate == 0 {
            self.estimate = latency;
            self.start_window(ended, limit);
            return;
        }
        if ended >= self.window_end {
            if self.low_min != u64::MAX {
                self.estimate = self.low_min;
            }
            self.start_window(ended, limit);
        }
        self.peak_limit = self.peak_limit.max(limit);
        self.estimate = self.estimate.min(latency);
        if sample.in_flight as f64 <= floor.max(self.peak_limit / 2.0) {
            self.low_min = self.low_min.min(latency);
        }
    }

    fn start_window(&mut self, now: u64, limit: f64) {
        self.window_end = now.saturating_add(WINDOW);
        self.low_min = u64::MAX;
        self.peak_limit = limit;
    }
}

#[cfg(test)]
mod tests {
    use super::super::sample::test_samples::{MS, Stream};
    use super::*;

    #[test]
    fn a_faster_call_lowers_the_estimate_at_once_and_failures_are_ignored() {
        let mut min = MinLatency::new();
        let mut calls = Stream::new();
        assert_eq!(min.estimate(), None);
        min.observe(&calls.next(1.0, 1, true), 10.0, 1.0);
        assert_eq!(
            min.estimate(),
            None,
            "a failure is no latency of the service"
        );
        min.observe(&calls.next(50.0, 1, false), 10.0, 1.0);
        min.observe(&calls.next(40.0, 9, false), 10.0, 1.0);
        assert_eq!(min.estimate(), Some(40 * MS));
        min.observe(&calls.next(60.0, 9, false), 10.0, 1.0);
        assert_eq!(min.estimate(), Some(40 * MS));
    }

    /// Under steady load, every call runs at the limit and slower than without load: a
    /// long-term average would follow them up; the estimate does not move, window after window.
    #[test]
    fn steady_load_never_raises_the_estimate() {
        let mut min = MinLatency::new();
        let mut calls = Stream::new();
        min.observe(&calls.next(10.0, 1, false), 20.0, 1.0);
        for _ in 0..10_000 {
            min.observe(&calls.next(15.0, 20, false), 20.0, 1.0);
        }
        assert!(calls.elapsed() > 10 * WINDOW);
        assert_eq!(min.estimate(), Some(10 * MS));
    }

    /// The service became slower: once the limit was cut and calls ran at half of it, the
    /// window's end re-states the estimate from them. Nothing was held back to measure it.
    #[test]
    fn calls_at_low_in_flight_restate_a_slower_service_at_the_window_end() {
        let mut min = MinLatency::new();
        let mut calls = Stream::new();
        min.observe(&calls.next(10.0, 1, false), 20.0, 1.0);
        min.observe(&calls.next(30.0, 20, false), 20.0, 1.0);
        // Cut to 10: the calls now start at 10 in flight, half the window's peak of 20.
        while calls.elapsed() + 50 * MS < WINDOW {
            min.observe(&calls.next(25.0, 10, false), 10.0, 1.0);
            assert_eq!(
                min.estimate(),
                Some(10 * MS),
                "raised only at the window's end"
            );
        }
        for _ in 0..1_000 {
            min.observe(&calls.next(25.0, 10, false), 10.0, 1.0);
        }
        assert_eq!(min.estimate(), Some(25 * MS));
    }

    #[test]
    fn at_min_concurrent_every_call_is_at_low_in_flight() {
        let mut min = MinLatency::new();
        let mut calls = Stream::new();
        min.observe(&calls.next(10.0, 4, false), 4.0, 4.0);
        for _ in 0..1_000 {
            min.observe(&calls.next(30.0, 4, false), 4.0, 4.0);
        }
        assert_eq!(min.estimate(), Some(30 * MS));
    }
}

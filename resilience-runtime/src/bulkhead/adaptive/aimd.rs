//! `adaptive = "aimd"`: additive increase, multiplicative decrease, as TCP's congestion window
//! and Netflix concurrency-limits' `AIMDLimit`.
//!
//! A call is a sign of congestion when it failed or took more than [`TOLERANCE`] times the
//! no-load latency ([`MinLatency`]; Netflix's AIMD uses a fixed timeout instead, which a
//! latency that grows with load never reaches). Congestion multiplies the limit by
//! [`BACKOFF`], at most once per round trip: the calls that started before the cut saw the
//! old limit and say nothing about the new one. Otherwise a call that started while the
//! bulkhead was at least half full adds `1 / limit` (one per round trip, as TCP's congestion
//! avoidance); a less busy bulkhead says nothing about a higher limit (it is app-limited).
//! Until the first congestion, each call adds 1 (the limit doubles every round trip, TCP's slow
//! start), so a bulkhead that starts at `min_concurrent` reaches its working limit quickly; as
//! in TCP, that first congestion halves the limit, since slow start can overshoot by as much.

use super::min_latency::MinLatency;
use super::sample::{Bounds, Sample};

/// A latency above this many times the no-load latency counts as congestion.
pub(crate) const TOLERANCE: f64 = 1.5;
/// The limit's factor on congestion.
pub(crate) const BACKOFF: f64 = 0.9;

/// The state of an AIMD limit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Aimd {
    limit: f64,
    min_latency: MinLatency,
    /// Calls that started before this instant predate the last cut.
    cut_at: u64,
    /// Still in slow start: no congestion seen yet.
    slow_start: bool,
}

impl Aimd {
    /// Starting at `limit`.
    pub(crate) const fn new(limit: f64) -> Self {
        Self {
            limit,
            min_latency: MinLatency::new(),
            cut_at: 0,
            slow_start: true,
        }
    }

    /// Puts the limit inside `bounds` (after they changed), keeping the rest of the state.
    pub(crate) fn clamp(&mut self, bounds: Bounds) {
        self.limit = bounds.clamp(self.limit);
    }

    /// The limit after `sample`, inside `bounds`.
    pub(crate) fn on_sample(&mut self, sample: &Sample, bounds: Bounds) -> f64 {
        self.min_latency.observe(sample, self.limit, bounds.min);
        let too_slow = self
            .min_latency
            .estimate()
            .is_some_and(|min| sample.latency as f64 > TOLERANCE * min as f64);
        if sample.failed || too_slow {
            if sample.started >= self.cut_at {
                self.limit *= if self.slow_start { 0.5 } else { BACKOFF };
                self.cut_at = sample.ended();
                self.slow_start = false;
            }
        } else if sample.in_flight as f64 * 2.0 >= self.limit {
            // A sample stands for `weight` calls, each of which would have added its share.
            let calls = f64::from(sample.weight.max(1));
            self.limit += calls
                * if self.slow_start {
                    1.0
                } else {
                    1.0 / self.limit.max(1.0)
                };
        }
        self.limit = bounds.clamp(self.limit);
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::super::sample::test_samples::Stream;
    use super::*;

    const BOUNDS: Bounds = Bounds {
        min: 1.0,
        max: 100.0,
    };

    #[test]
    fn good_latency_raises_the_limit_and_slow_start_ends_at_the_first_congestion() {
        let mut aimd = Aimd::new(1.0);
        let mut calls = Stream::new();
        let mut limit = 1.0;
        for _ in 0..10 {
            limit = aimd.on_sample(&calls.next(10.0, limit as usize, false), BOUNDS);
        }
        assert_eq!(limit, 11.0, "slow start: one per call");
        assert_eq!(
            aimd.on_sample(&calls.next(20.0, 11, false), BOUNDS),
            5.5,
            "halved"
        );
        let after = aimd.on_sample(&calls.next(10.0, 5, false), BOUNDS);
        assert!((after - (5.5 + 1.0 / 5.5)).abs() < 1e-9, "{after}");
        let cut = aimd.on_sample(&calls.next(20.0, 5, false), BOUNDS);
        assert!(
            (cut - after * BACKOFF).abs() < 1e-9,
            "then cut by BACKOFF: {cut}"
        );
    }

    #[test]
    fn an_app_limited_bulkhead_does_not_grow() {
        let mut aimd = Aimd::new(10.0);
        let mut calls = Stream::new();
        for _ in 0..100 {
            assert_eq!(aimd.on_sample(&calls.next(10.0, 4, false), BOUNDS), 10.0);
        }
    }

    #[test]
    fn errors_cut_the_limit_once_per_round_trip() {
        let mut aimd = Aimd::new(50.0);
        aimd.slow_start = false;
        let mut calls = Stream::new();
        aimd.on_sample(&calls.next(10.0, 10, false), BOUNDS);
        let first = calls.next(10.0, 50, true);
        assert_eq!(aimd.on_sample(&first, BOUNDS), 45.0);
        // A failure that started before the cut (in flight with the first) cuts nothing more.
        let overlapping = Sample {
            started: first.started,
            ..first
        };
        assert_eq!(aimd.on_sample(&overlapping, BOUNDS), 45.0);
        let later = calls.next(10.0, 45, true);
        assert_eq!(aimd.on_sample(&later, BOUNDS), 40.5);
    }

    #[test]
    fn latency_growth_cuts_and_the_limit_stays_within_its_bounds() {
        let bounds = Bounds {
            min: 5.0,
            max: 20.0,
        };
        let mut aimd = Aimd::new(20.0);
        let mut calls = Stream::new();
        aimd.on_sample(&calls.next(10.0, 1, false), bounds);
        let mut limit = 20.0;
        for _ in 0..100 {
            limit = aimd.on_sample(&calls.next(16.0, 20, false), bounds);
        }
        assert_eq!(limit, 5.0);
        for _ in 0..10_000 {
            limit = aimd.on_sample(&calls.next(10.0, limit as usize, false), bounds);
        }
        assert_eq!(limit, 20.0);
    }
}

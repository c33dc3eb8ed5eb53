//! `adaptive = "gradient"`: the limit follows the ratio of the no-load latency to the recent
//! latency, as Netflix concurrency-limits' `Gradient2Limit`, with its drift fixed.
//!
//! The calls admitted under the limit in force are averaged over one round trip (as many
//! calls as the limit, each started after the last move; Netflix pairs Gradient2 with such a
//! window): a limit moved on every call reacts to evidence one round trip old and
//! oscillates. Then `gradient = clamp(TOLERANCE × no_load / average, 0.5, 1)`, the new limit
//! is `limit × gradient + √limit` (the square root is the headroom that lets it grow), and the
//! limit moves half of the way there.
//!
//! Gradient2 compares the recent latency with a long-term average of all latencies, which
//! includes the queueing the limit causes: under steady load that average rises with the
//! limit, the gradient stays at 1, and the limit ratchets up to its maximum (Netflix
//! concurrency-limits issues #134 and #141). Here the comparison is with [`MinLatency`], which
//! steady load never raises. A failed call cuts the limit by [`BACKOFF`] at once, once per
//! round trip, as AIMD's; a call that started while the bulkhead was less than half full is
//! left out of the average (it says nothing about a higher limit).

use super::min_latency::MinLatency;
use super::sample::{Bounds, Sample};

/// The recent latency may exceed the no-load latency by this factor before the limit shrinks.
pub(crate) const TOLERANCE: f64 = 1.25;
/// The limit's factor on a failure.
pub(crate) const BACKOFF: f64 = 0.9;
/// How far the limit moves towards its new value at the end of a round trip.
const SMOOTHING: f64 = 0.5;

/// The state of a gradient limit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Gradient {
    limit: f64,
    min_latency: MinLatency,
    /// Calls that started before this instant predate the last move.
    moved_at: u64,
    /// The latencies (nanoseconds) of this round trip's calls, summed, and their count.
    window_sum: f64,
    window_calls: u32,
}

impl Gradient {
    /// Starting at `limit`.
    pub(crate) const fn new(limit: f64) -> Self {
        Self {
            limit,
            min_latency: MinLatency::new(),
            moved_at: 0,
            window_sum: 0.0,
            window_calls: 0,
        }
    }

    /// Puts the limit inside `bounds` (after they changed), keeping the rest of the state.
    pub(crate) fn clamp(&mut self, bounds: Bounds) {
        self.limit = bounds.clamp(self.limit);
    }

    /// The limit after `sample`, inside `bounds`.
    pub(crate) fn on_sample(&mut self, sample: &Sample, bounds: Bounds) -> f64 {
        self.min_latency.observe(sample, self.limit, bounds.min);
        if sample.started < self.moved_at {
            return self.limit;
        }
        if sample.failed {
            self.move_to(bounds.clamp(self.limit * BACKOFF), sample);
            return self.limit;
        }
        let Some(no_load) = self.min_latency.estimate() else {
            return self.limit;
        };
        if (sample.in_flight as f64) * 2.0 < self.limit {
            return self.limit;
        }
        // A sample stands for `weight` calls of its latency.
        let calls = sample.weight.max(1);
        self.window_sum += sample.latency.max(1) as f64 * f64::from(calls);
        self.window_calls = self.window_calls.saturating_add(calls);
        if f64::from(self.window_calls) < self.limit.floor() {
            return self.limit;
        }
        let average = self.window_sum / f64::from(self.window_calls);
        let gradient = (TOLERANCE * no_load as f64 / average).clamp(0.5, 1.0);
        let target = self.limit * gradient + self.limit.sqrt();
        self.move_to(
            bounds.clamp(self.limit + SMOOTHING * (target - self.limit)),
            sample,
        );
        self.limit
    }

    /// Sets the limit and starts a new round trip after the call `sample`.
    fn move_to(&mut self, limit: f64, sample: &Sample) {
        self.limit = limit;
        self.moved_at = sample.ended();
        self.window_sum = 0.0;
        self.window_calls = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::super::sample::test_samples::Stream;
    use super::*;

    const BOUNDS: Bounds = Bounds {
        min: 1.0,
        max: 1000.0,
    };

    #[test]
    fn good_latency_raises_the_limit_and_growth_lowers_it() {
        let mut gradient = Gradient::new(4.0);
        let mut calls = Stream::new();
        let mut limit = 4.0;
        for _ in 0..300 {
            limit = gradient.on_sample(&calls.next(10.0, limit as usize, false), BOUNDS);
        }
        assert!(limit > 20.0, "{limit}");
        let high = limit;
        for _ in 0..200 {
            limit = gradient.on_sample(&calls.next(30.0, limit as usize, false), BOUNDS);
        }
        assert!(limit < high / 2.0, "{high} -> {limit}");
    }

    #[test]
    fn errors_cut_the_limit_once_per_round_trip() {
        let mut gradient = Gradient::new(50.0);
        let mut calls = Stream::new();
        let first = calls.next(10.0, 50, true);
        assert_eq!(gradient.on_sample(&first, BOUNDS), 45.0);
        assert_eq!(gradient.on_sample(&first, BOUNDS), 45.0);
        assert_eq!(
            gradient.on_sample(&calls.next(10.0, 45, true), BOUNDS),
            40.5
        );
    }

    #[test]
    fn the_limit_stays_within_its_bounds() {
        let bounds = Bounds {
            min: 5.0,
            max: 30.0,
        };
        let mut gradient = Gradient::new(10.0);
        let mut calls = Stream::new();
        let mut limit = 10.0;
        for _ in 0..2_000 {
            limit = gradient.on_sample(&calls.next(10.0, limit as usize, false), bounds);
        }
        assert_eq!(limit, 30.0);
        // Within one window of the no-load estimate (240 calls of 40 ms after the first): it
        // has not been re-stated yet, and the limit shrinks to its floor.
        let mut gradient = Gradient::new(30.0);
        gradient.on_sample(&calls.next(10.0, 30, false), bounds);
        for _ in 0..240 {
            limit = gradient.on_sample(&calls.next(40.0, limit as usize, false), bounds);
        }
        assert_eq!(limit, 5.0);
    }

    /// A service that serves `capacity` calls at once at `base` and shares itself beyond
    /// (latency ∝ in-flight), under demand that keeps the bulkhead full: the limit settles
    /// near where the latency reaches the tolerance and stays there. Gradient2's long-term
    /// average (kept here beside it, as that algorithm computes it) rises with the queueing,
    /// and the limit it allows ratchets up to the maximum.
    #[test]
    fn steady_load_does_not_drift_the_limit_up_as_a_long_term_average_does() {
        const CAPACITY: f64 = 20.0;
        let latency = |in_flight: f64| 10.0 * (in_flight / CAPACITY).max(1.0);
        let mut ours = Gradient::new(1.0);
        let mut naive = NaiveGradient2::new(1.0);
        let (mut calls, mut ours_limit, mut naive_limit) = (Stream::new(), 1.0_f64, 1.0_f64);
        for round in 0..100_000 {
            let in_flight = ours_limit.floor().max(1.0);
            ours_limit = ours.on_sample(
                &calls.next(latency(in_flight), in_flight as usize, false),
                BOUNDS,
            );
            let in_flight = naive_limit.floor().max(1.0);
            naive_limit = naive.on_sample(latency(in_flight), in_flight, BOUNDS);
            if round > 1_000 {
                assert!(ours_limit < 1.6 * CAPACITY, "round {round}: {ours_limit}");
            }
        }
        assert!(
            ours_limit > CAPACITY,
            "{ours_limit}: the service is kept busy"
        );
        assert!(
            naive_limit > 500.0,
            "the long-term average drifts: {naive_limit}"
        );
    }

    /// Gradient2 as published, moved on every call: a short average (ten calls) compared with
    /// a long-term exponential average of every latency (600 calls), smoothing 0.2. Only to
    /// show the drift the test above rules out.
    struct NaiveGradient2 {
        limit: f64,
        recent: f64,
        long: f64,
    }

    impl NaiveGradient2 {
        const fn new(limit: f64) -> Self {
            Self {
                limit,
                recent: 0.0,
                long: 0.0,
            }
        }

        fn on_sample(&mut self, latency: f64, in_flight: f64, bounds: Bounds) -> f64 {
            let average = |value: f64, weight: f64| {
                if value == 0.0 {
                    latency
                } else {
                    value + weight * (latency - value)
                }
            };
            self.recent = average(self.recent, 0.1);
            self.long = average(self.long, 2.0 / 601.0);
            if in_flight * 2.0 < self.limit {
                return self.limit;
            }
            let gradient = (TOLERANCE * self.long / self.recent).clamp(0.5, 1.0);
            let target = self.limit * gradient + self.limit.sqrt();
            self.limit = bounds.clamp(self.limit + 0.2 * (target - self.limit));
            self.limit
        }
    }
}

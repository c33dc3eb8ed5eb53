//! `adaptive = "vegas"`: TCP Vegas' estimate of the queue, as Netflix concurrency-limits'
//! `VegasLimit`.
//!
//! The calls queued behind the service are estimated as
//! `queue = limit × (1 − no_load / latency)`: how much of the limit is waiting rather than
//! served. Below `α = 3·log10(limit)` the limit grows by `log10(limit)` (by `β = 6·log10(limit)`
//! while the queue is at most `log10(limit)`, almost empty); above `β` it shrinks by
//! `log10(limit)`; between the two it holds. The thresholds scale with the logarithm of the
//! limit, so that a large limit tolerates a longer queue but not proportionally longer. As in
//! TCP Vegas the limit moves at most once per round trip: the calls that started before the
//! last move saw the old limit. A failure shrinks the limit by `log10(limit)` (once per round
//! trip too); a call that started while the bulkhead was less than half full moves nothing.
//! The no-load latency is [`MinLatency`]'s: Netflix's Vegas re-measures it by resetting its
//! estimate now and then, which lets the limit run away while it is being re-learnt.

use super::min_latency::MinLatency;
use super::sample::{Bounds, Sample};

/// The state of a Vegas limit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Vegas {
    limit: f64,
    min_latency: MinLatency,
    /// Calls that started before this instant predate the last move.
    moved_at: u64,
}

/// `log10(limit)`, at least 1: the step and the unit of the thresholds.
fn log_step(limit: f64) -> f64 {
    limit.max(10.0).log10()
}

impl Vegas {
    /// Starting at `limit`.
    pub(crate) const fn new(limit: f64) -> Self {
        Self {
            limit,
            min_latency: MinLatency::new(),
            moved_at: 0,
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
        let step = log_step(self.limit);
        let next = if sample.failed {
            self.limit - step
        } else {
            let Some(no_load) = self.min_latency.estimate() else {
                return self.limit;
            };
            if (sample.in_flight as f64) * 2.0 < self.limit {
                return self.limit;
            }
            let latency = sample.latency.max(1) as f64;
            let queue = self.limit * (1.0 - no_load as f64 / latency);
            if queue <= step {
                self.limit + 6.0 * step
            } else if queue < 3.0 * step {
                self.limit + step
            } else if queue > 6.0 * step {
                self.limit - step
            } else {
                return self.limit;
            }
        };
        self.limit = bounds.clamp(next);
        self.moved_at = sample.ended();
        self.limit
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
    fn an_empty_queue_grows_the_limit_fast_and_a_long_one_shrinks_it() {
        let mut vegas = Vegas::new(10.0);
        let mut calls = Stream::new();
        assert_eq!(vegas.on_sample(&calls.next(10.0, 10, false), BOUNDS), 16.0);
        // Queue 16 × (1 − 10/12) ≈ 2.7: between log10 and 3·log10, one step up.
        let limit = vegas.on_sample(&calls.next(12.0, 16, false), BOUNDS);
        assert!((limit - (16.0 + 16f64.log10())).abs() < 1e-9, "{limit}");
        // Queue ≈ 17 × 0.5: above 6·log10, one step down.
        let down = vegas.on_sample(&calls.next(20.0, 17, false), BOUNDS);
        assert!((down - (limit - limit.log10())).abs() < 1e-9, "{down}");
    }

    #[test]
    fn errors_shrink_the_limit_once_per_round_trip() {
        let mut vegas = Vegas::new(100.0);
        let mut calls = Stream::new();
        let failed = calls.next(10.0, 100, true);
        assert_eq!(vegas.on_sample(&failed, BOUNDS), 98.0);
        assert_eq!(
            vegas.on_sample(&failed, BOUNDS),
            98.0,
            "started before the move"
        );
        let limit = vegas.on_sample(&calls.next(10.0, 98, true), BOUNDS);
        assert!((limit - (98.0 - 98f64.log10())).abs() < 1e-9);
    }

    /// In the service of the gradient's drift test (latency ∝ in-flight beyond 20), the
    /// limit settles where the queue it estimates is between α and β: a few calls past 20.
    #[test]
    fn steady_load_settles_just_past_the_capacity_within_bounds() {
        let latency = |in_flight: f64| 10.0 * (in_flight / 20.0).max(1.0);
        let mut vegas = Vegas::new(1.0);
        let (mut calls, mut limit) = (Stream::new(), 1.0_f64);
        for round in 0..100_000 {
            let in_flight = limit.floor().max(1.0);
            limit = vegas.on_sample(
                &calls.next(latency(in_flight), in_flight as usize, false),
                BOUNDS,
            );
            if round > 1_000 {
                assert!((20.0..32.0).contains(&limit), "round {round}: {limit}");
            }
        }
        let bounds = Bounds { min: 2.0, max: 8.0 };
        let mut vegas = Vegas::new(8.0);
        for _ in 0..100 {
            limit = vegas.on_sample(&calls.next(10.0, 8, true), bounds);
        }
        assert_eq!(limit, 2.0);
        for _ in 0..100 {
            limit = vegas.on_sample(&calls.next(10.0, limit as usize, false), bounds);
        }
        assert_eq!(limit, 8.0);
    }
}

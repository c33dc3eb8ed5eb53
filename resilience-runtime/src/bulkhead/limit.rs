//! The limit admission reads, and how an adaptive bulkhead moves it: finished calls feed the
//! algorithm ([`adaptive`](super::adaptive)), which publishes the new limit in one atomic.
//!
//! Admission stays lock-free: it reads the limit and, only when the bulkhead is adaptive and
//! the call is one it samples (`adaptive/sampling.rs`), the clock. A finished call takes the algorithm's lock with `try_lock`: when another call
//! holds it (two calls finishing at the same instant), this call's sample is skipped rather
//! than waited for. The algorithms need a stream of samples, not every one, and a release
//! must never block.

use std::sync::PoisonError;

use crate::base::clock;

use super::adaptive::{Adaptive, Bounds, Controller, Sample};
use super::config::BulkheadConfig;
use super::handle::Bulkhead;
use super::permit::Started;
use super::sync::{RELAXED, SEQ};

/// [`Bulkhead::algorithm`]'s code of a static limit.
pub(super) const STATIC: u8 = 0;

/// How `algorithm` is kept in an atomic.
pub(super) const fn algorithm_code(algorithm: Option<Adaptive>) -> u8 {
    match algorithm {
        None => STATIC,
        Some(Adaptive::Aimd) => 1,
        Some(Adaptive::Gradient) => 2,
        Some(Adaptive::Vegas) => 3,
    }
}

const fn algorithm_of(code: u8) -> Option<Adaptive> {
    match code {
        1 => Some(Adaptive::Aimd),
        2 => Some(Adaptive::Gradient),
        3 => Some(Adaptive::Vegas),
        _ => None,
    }
}

/// `min..=max` as the algorithms read it: `min` at least 1 (a limit of 0 would never see a
/// call again to raise it) and at most `max`.
const fn bounds_of(min: usize, max: usize) -> (usize, usize) {
    let min = if min == 0 { 1 } else { min };
    (if min > max { max } else { min }, max)
}

/// The limit a new bulkhead starts at: an adaptive one at `min_concurrent`, from which its
/// algorithm grows it quickly while calls stay fast.
pub(super) const fn starting_limit(config: &BulkheadConfig) -> usize {
    match config.adaptive() {
        Some(_) => bounds_of(config.min_concurrent(), config.max_concurrent()).0,
        None => config.max_concurrent(),
    }
}

/// The algorithm's state of a new bulkhead.
pub(super) const fn starting_controller(config: &BulkheadConfig) -> Option<Controller> {
    match config.adaptive() {
        Some(algorithm) => Some(Controller::new(algorithm, starting_limit(config) as f64)),
        None => None,
    }
}

impl Bulkhead {
    /// The limit in force: for a static bulkhead its `max_concurrent`, for an adaptive one
    /// where its algorithm has moved it (between `min_concurrent` and `max_concurrent`).
    ///
    /// ```
    /// use resilience_runtime::bulkhead::{Adaptive, Bulkhead, BulkheadConfig};
    ///
    /// let fixed = Bulkhead::new("fixed", BulkheadConfig::new(8));
    /// assert_eq!(fixed.limit(), 8);
    /// let adaptive = Bulkhead::new(
    ///     "adaptive",
    ///     BulkheadConfig::new(8).with_adaptive(Adaptive::Aimd).with_min_concurrent(2),
    /// );
    /// assert_eq!(adaptive.limit(), 2); // starts low, grows while calls stay fast
    /// ```
    #[must_use]
    pub fn limit(&self) -> usize {
        self.limit.load(RELAXED)
    }

    /// The algorithm moving the limit, if it is adaptive.
    #[must_use]
    pub fn adaptive(&self) -> Option<Adaptive> {
        algorithm_of(self.algorithm.load(RELAXED))
    }

    /// The lowest an adaptive limit goes.
    #[must_use]
    pub fn min_concurrent(&self) -> usize {
        self.min_concurrent.load(RELAXED)
    }

    /// Switches the algorithm while calls run: `None` makes the limit static
    /// (`max_concurrent`) again; an algorithm other than the one in force starts from the
    /// limit in force (a static bulkhead's: `max_concurrent`), and the same one keeps its
    /// state. Calls in flight keep their slots.
    pub fn set_adaptive(&self, algorithm: Option<Adaptive>) {
        let mut controller = self.lock_controller();
        let before = controller.as_ref().map(Controller::algorithm);
        if before == algorithm {
            return;
        }
        *controller = algorithm.map(|algorithm| Controller::new(algorithm, self.limit() as f64));
        self.sample_stride.store(1, RELAXED);
        self.algorithm.store(algorithm_code(algorithm), SEQ);
        let limit = self.clamp_limit_locked(&mut controller);
        drop(controller);
        tracing::info!(
            target: "resilience_runtime::bulkhead",
            name = self.name,
            before = before.map_or("off", Adaptive::as_str),
            after = algorithm.map_or("off", Adaptive::as_str),
            limit,
            "bulkhead algorithm changed"
        );
        self.wake_all();
    }

    /// Changes the lowest an adaptive limit goes (a limit below it is raised to it).
    pub fn set_min_concurrent(&self, min_concurrent: usize) {
        self.min_concurrent.store(min_concurrent, SEQ);
        let before = self.limit.load(SEQ);
        if self.clamp_limit() > before {
            self.wake_all();
        }
    }

    /// Puts the limit back inside its bounds after a change of them, keeping the algorithm's
    /// state; the new limit.
    pub(super) fn clamp_limit(&self) -> usize {
        let mut controller = self.lock_controller();
        self.clamp_limit_locked(&mut controller)
    }

    fn clamp_limit_locked(&self, controller: &mut Option<Controller>) -> usize {
        let limit = match controller {
            None => self.max_concurrent.load(SEQ),
            Some(controller) => {
                let bounds = self.bounds();
                controller.clamp(bounds);
                (bounds.clamp(self.limit.load(SEQ) as f64)) as usize
            }
        };
        self.limit.store(limit, SEQ);
        limit
    }

    fn bounds(&self) -> Bounds {
        let (min, max) = bounds_of(
            self.min_concurrent.load(RELAXED),
            self.max_concurrent.load(SEQ),
        );
        Bounds::new(min, max)
    }

    fn lock_controller(&self) -> std::sync::MutexGuard<'_, Option<Controller>> {
        self.controller
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Feeds the call that started at `started` and ended now to the algorithm, and publishes
    /// the limit it gives. Skipped when another call is feeding it right now.
    #[cold]
    pub(super) fn record(&self, started: Started, failed: bool) {
        let now = clock::now();
        let Ok(mut controller) = self.controller.try_lock() else {
            return;
        };
        let Some(controller) = controller.as_mut() else {
            return;
        };
        let sample = Sample {
            started: started.at,
            latency: now.saturating_sub(started.at),
            in_flight: started.in_flight,
            failed,
            weight: started.weight,
        };
        let bounds = self.bounds();
        let limit = bounds.clamp(controller.on_sample(&sample, bounds)) as usize;
        let stride = controller.stride_after(&sample);
        if stride != self.sample_stride.load(RELAXED) {
            self.sample_stride.store(stride, RELAXED);
        }
        // Most samples leave the whole limit where it was: read before writing, so that the
        // cache line admission reads stays shared.
        let before = self.limit.load(SEQ);
        if limit == before {
            return;
        }
        self.limit.store(limit, SEQ);
        if limit > before
            && (self.async_waiters.load(SEQ) != 0 || self.blocking_waiters.load(SEQ) != 0)
        {
            self.wake_all();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::adaptive::Adaptive;
    use super::super::test_support::*;
    use super::RELAXED;

    /// Rounds of calls, each filling the bulkhead to its limit at once and ending them all
    /// `latency` later; the limit after.
    async fn rounds(pool: &Bulkhead, rounds: usize, latency: Duration) -> usize {
        for _ in 0..rounds {
            let permits: Vec<_> = std::iter::from_fn(|| pool.try_acquire().ok()).collect();
            tokio::time::advance(latency).await;
            for permit in permits {
                permit.succeeded();
            }
        }
        pool.limit()
    }

    #[tokio::test(start_paused = true)]
    async fn fast_calls_are_sampled_and_still_move_the_limit() {
        let config = BulkheadConfig::new(200).with_adaptive(Adaptive::Aimd);
        let pool = Bulkhead::new("sampled", config);
        // Calls of 10 µs, as many at once as the limit: millions a second once it has grown.
        assert_eq!(rounds(&pool, 2_000, Duration::from_micros(10)).await, 200);
        let stride = pool.sample_stride.load(RELAXED);
        assert!(stride >= 32, "fast calls are sampled: one in {stride}");
        // The service slows down tenfold: the sampled calls still show it and the limit falls.
        let slowed = rounds(&pool, 2_000, Duration::from_micros(100)).await;
        assert!(slowed < 20, "{slowed}");
        assert_eq!(pool.in_flight(), 0);
    }
}

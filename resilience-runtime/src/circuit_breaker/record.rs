//! Recording a permit's outcome. In the closed (and metrics-only) state an outcome goes into
//! the consecutive-failure count and the sliding window, whose rates are judged against the
//! thresholds and may open the breaker; a trial call's outcome goes on to `trial`.

use crate::base::clock::{self, Nanos};

use super::CircuitBreaker;
use super::event::TransitionReason;
use super::metrics::Counters;
use super::permit::{Outcome, PermitKind, PermitPeriod};
use super::sliding_window::Counts;
use super::state::{CircuitState, Word};
use super::sync::Ordering;
use super::tuning::Model;

/// A closed-state call's outcome, on its way into the window.
#[derive(Debug, Clone, Copy)]
struct Recorded {
    now: Nanos,
    failed: bool,
    slow: bool,
}

impl CircuitBreaker {
    /// Records the outcome of a permit's call. A closed breaker's success without slow-call
    /// tracking or a time window (the common case) is recorded inline.
    #[inline(always)]
    pub(super) fn complete(&self, period: PermitPeriod, started: Nanos, outcome: Outcome) {
        if outcome == Outcome::Success
            && period.kind() == PermitKind::Closed
            && !self.tuning.needs_clock()
        {
            self.counters.succeeded();
            if !self.record_plain_success(period.generation()) {
                self.record_late_success(period.generation());
            }
            return;
        }
        self.complete_slowly(period.generation(), period.kind(), started, outcome);
    }

    /// [`complete`](Self::complete) for everything but the common case.
    #[inline(never)]
    fn complete_slowly(&self, generation: u32, kind: PermitKind, started: Nanos, outcome: Outcome) {
        if kind == PermitKind::Disabled {
            return; // A disabled breaker records nothing.
        }
        let failed = match outcome {
            Outcome::Success => false,
            Outcome::Failure => true,
            Outcome::Ignored => {
                Counters::bump(&self.counters.ignored);
                if kind == PermitKind::Trial {
                    self.release_trial(generation);
                }
                return;
            }
        };
        let model = self.tuning.model();
        let now = if model.needs_clock { clock::now() } else { 0 };
        // `started` is 0 when the call started before slow-call tracking was switched on.
        let slow = started != 0
            && self
                .tuning
                .slow_after()
                .is_some_and(|limit| now.saturating_sub(started) > limit);
        if failed {
            Counters::bump(&self.counters.failed);
        } else {
            self.counters.succeeded();
        }
        if slow {
            Counters::bump(&self.counters.slow);
        }
        match kind {
            PermitKind::Trial if model.trials_by_rate() => {
                self.record_rated_trial(generation, failed, slow);
            }
            PermitKind::Trial => self.record_trial(generation, failed, slow),
            PermitKind::Closed | PermitKind::MetricsOnly | PermitKind::Disabled => {
                self.record_closed(generation, model, Recorded { now, failed, slow });
            }
        }
    }

    /// Records a success of a closed breaker in its period without reading the clock (no
    /// time window, no slow-call tracking): it ends a run of failures and takes its turn in a
    /// count window. False when the permit is from an earlier period, for
    /// [`record_closed`](Self::record_closed).
    #[inline(always)]
    fn record_plain_success(&self, generation: u32) -> bool {
        let current = self.load();
        if current.generation() != generation || current.state() != CircuitState::Closed {
            return false;
        }
        self.end_failure_run();
        if let Some(window) = self.windows.current()
            && let Some(counts) = window.record(0, false, false)
        {
            self.open_if_judged(current, self.tuning.model(), counts);
        }
        true
    }

    /// A success ends a run of consecutive failures.
    #[inline(always)]
    fn end_failure_run(&self) {
        // Load first so a run of successes does not keep writing the shared line.
        if self.consecutive.load(Ordering::Relaxed) != 0 {
            self.consecutive.store(0, Ordering::Relaxed);
        }
    }

    /// A success [`record_plain_success`](Self::record_plain_success) left alone.
    #[cold]
    fn record_late_success(&self, generation: u32) {
        let call = Recorded {
            now: 0,
            failed: false,
            slow: false,
        };
        self.record_closed(generation, self.tuning.model(), call);
    }

    /// Opens the breaker from `current` if the window's `counts` say so; whether they did.
    #[cold]
    fn open_if_judged(&self, current: Word, model: Model, counts: Counts) -> bool {
        if self.fleet_decides() {
            return false; // The fleet judges the fleet's counts.
        }
        let Some(reason) = self.judge(model, counts) else {
            return false;
        };
        // Losing the swap means another thread opened (or reset) the breaker already.
        let _ = self.transition(current, current.next(CircuitState::Open), reason);
        true
    }

    /// Records a closed or metrics-only call's outcome in its period: the consecutive-failure
    /// count and the window, which may open a closed breaker.
    #[inline(never)]
    fn record_closed(&self, generation: u32, model: Model, call: Recorded) {
        let current = self.load();
        let may_open = current.state() == CircuitState::Closed;
        if current.generation() != generation
            || !(may_open || current.state() == CircuitState::MetricsOnly)
        {
            // From an earlier period: counted in the totals only. It still takes its turn in
            // a count window, which empties that slot.
            if let Some(window) = self.windows.current() {
                window.skip();
            }
            return;
        }
        let consecutive = if call.failed {
            self.consecutive.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            self.end_failure_run();
            0
        };
        if let Some(window) = self.windows.current()
            && let Some(counts) = window.record(call.now, call.failed, call.slow)
            && may_open
            && self.open_if_judged(current, model, counts)
        {
            return;
        }
        if may_open
            && call.failed
            && model.failure_rate.is_none()
            && consecutive >= u64::from(model.failure_threshold)
            && !self.fleet_decides()
        {
            let reason = TransitionReason::ConsecutiveFailures {
                failures: consecutive,
            };
            let _ = self.transition(current, current.next(CircuitState::Open), reason);
        }
    }

    /// The reason to open, if the window's rates cross a threshold.
    fn judge(&self, model: Model, counts: Counts) -> Option<TransitionReason> {
        if counts.calls == 0 || counts.calls < self.tuning.minimum_calls() {
            return None;
        }
        let reached = |part: u64, threshold: u8| part * 100 >= u64::from(threshold) * counts.calls;
        if let Some(threshold) = model.failure_rate
            && reached(counts.failed, threshold)
        {
            return Some(TransitionReason::FailureRate {
                failed: counts.failed,
                calls: counts.calls,
                threshold,
            });
        }
        if let Some(threshold) = model.slow_call_rate
            && reached(counts.slow, threshold)
        {
            return Some(TransitionReason::SlowCallRate {
                slow: counts.slow,
                calls: counts.calls,
                threshold,
            });
        }
        None
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn consecutive_failures_trip() {
        start().await;
        let breaker = breaker(CircuitBreakerConfig::new().with_failure_threshold(3));
        fail(&breaker);
        fail(&breaker);
        assert_eq!(breaker.metrics().consecutive_failures, 2);
        succeed(&breaker); // a success breaks the run
        assert_eq!(breaker.metrics().consecutive_failures, 0);
        fail(&breaker);
        fail(&breaker);
        assert_eq!(breaker.state(), CircuitState::Closed);
        fail(&breaker);
        assert_eq!(breaker.state(), CircuitState::Open);

        let metrics = breaker.metrics();
        assert_eq!(metrics.failed, 5);
        assert_eq!(metrics.successful, 1);
        assert_eq!(metrics.consecutive_failures, 3);
        assert_eq!(metrics.transitions, 1);
        // No window in the consecutive model.
        assert_eq!(metrics.failure_rate, None);
        assert_eq!(metrics.calls_in_window, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn failure_rate_waits_for_minimum_calls() {
        start().await;
        let breaker = breaker(
            CircuitBreakerConfig::new()
                .with_failure_rate(50)
                .with_window_calls(20)
                .with_minimum_calls(10),
        );
        for _ in 0..9 {
            fail(&breaker);
        }
        // 9 failures out of 9, but fewer than minimum_calls: not judged.
        assert_eq!(breaker.state(), CircuitState::Closed);
        let metrics = breaker.metrics();
        assert_eq!(metrics.failure_rate, None);
        assert_eq!(metrics.calls_in_window, 9);
        // The rate model ignores the consecutive threshold (5).
        assert_eq!(metrics.consecutive_failures, 9);

        succeed(&breaker); // the 10th call makes the 90% count
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(breaker.metrics().failure_rate, Some(90.0));
    }

    #[tokio::test(start_paused = true)]
    async fn failure_rate_threshold_is_inclusive() {
        start().await;
        let config = CircuitBreakerConfig::new()
            .with_failure_rate(50)
            .with_window_calls(10)
            .with_minimum_calls(10);

        let below = breaker(config);
        for i in 0..10 {
            if i < 4 { fail(&below) } else { succeed(&below) }
        }
        assert_eq!(below.state(), CircuitState::Closed);
        assert_eq!(below.metrics().failure_rate, Some(40.0));

        let at = breaker(config);
        for i in 0..10 {
            if i < 5 { succeed(&at) } else { fail(&at) }
        }
        assert_eq!(at.state(), CircuitState::Open);
        assert_eq!(at.metrics().failure_rate, Some(50.0));
    }

    #[tokio::test(start_paused = true)]
    async fn count_window_slides() {
        start().await;
        let breaker = breaker(
            CircuitBreakerConfig::new()
                .with_failure_rate(100)
                .with_window_calls(4)
                .with_minimum_calls(4),
        );
        fail(&breaker);
        fail(&breaker);
        fail(&breaker);
        succeed(&breaker);
        // [F F F S]
        assert_eq!(breaker.metrics().failure_rate, Some(75.0));
        fail(&breaker);
        fail(&breaker);
        fail(&breaker);
        // [S F F F]: the oldest failures slid out, the success is still in.
        assert_eq!(breaker.state(), CircuitState::Closed);
        assert_eq!(breaker.metrics().failure_rate, Some(75.0));
        assert_eq!(breaker.metrics().calls_in_window, 4);
        fail(&breaker);
        // [F F F F]: the success slid out.
        assert_eq!(breaker.state(), CircuitState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn time_window_expires_old_seconds() {
        start().await;
        let config = CircuitBreakerConfig::new()
            .with_failure_rate(50)
            .with_window_duration(SEC * 10)
            .with_minimum_calls(3);

        // Two failures, then a third one 9 seconds later: all three are in the window.
        let inside = breaker(config);
        fail(&inside);
        fail(&inside);
        advance(SEC * 9).await;
        assert_eq!(inside.metrics().calls_in_window, 2);
        fail(&inside);
        assert_eq!(inside.state(), CircuitState::Open);

        // The same 10 seconds apart: the first two expired.
        let expired = breaker(config);
        fail(&expired);
        fail(&expired);
        advance(SEC * 10).await;
        assert_eq!(expired.metrics().calls_in_window, 0);
        fail(&expired);
        assert_eq!(expired.state(), CircuitState::Closed);
        let metrics = expired.metrics();
        assert_eq!(metrics.calls_in_window, 1);
        assert_eq!(metrics.failure_rate, None);

        // A long idle gap (more than a whole window) expires everything too.
        succeed(&expired);
        advance(SEC * 95).await;
        assert_eq!(expired.metrics().calls_in_window, 0);
        fail(&expired);
        fail(&expired);
        succeed(&expired);
        assert_eq!(expired.metrics().calls_in_window, 3);
        assert_eq!(expired.state(), CircuitState::Open); // 2 of 3 ≥ 50%
    }

    #[tokio::test(start_paused = true)]
    async fn slow_calls_trip_and_exact_threshold_is_not_slow() {
        start().await;
        let breaker = breaker(
            CircuitBreakerConfig::new()
                .with_slow_call_duration(Duration::from_millis(100))
                .with_slow_call_rate(50)
                .with_window_calls(4)
                .with_minimum_calls(4),
        );
        let call = |took: Duration, ok: bool| {
            let permit = breaker.try_acquire().expect("permitted");
            async move {
                advance(took).await;
                if ok {
                    permit.record_success();
                } else {
                    permit.record_failure();
                }
            }
        };
        call(Duration::from_millis(100), true).await; // exactly the limit: not slow
        call(Duration::from_millis(10), false).await;
        call(Duration::from_millis(101), true).await; // slow
        let metrics = breaker.metrics();
        assert_eq!(metrics.slow, 1);
        assert_eq!(metrics.slow_call_rate, None); // below minimum_calls
        assert_eq!(breaker.state(), CircuitState::Closed);

        call(Duration::from_secs(5), false).await; // slow failure: 2 of 4 slow
        assert_eq!(breaker.state(), CircuitState::Open);
        let metrics = breaker.metrics();
        assert_eq!(metrics.slow, 2);
        assert_eq!(metrics.slow_call_rate, Some(50.0));
        // No failure rate configured, but the window still reports it.
        assert_eq!(metrics.failure_rate, Some(50.0));
    }

    #[tokio::test(start_paused = true)]
    async fn ignored_outcomes_do_not_count() {
        start().await;
        let breaker = breaker(
            CircuitBreakerConfig::new()
                .with_failure_rate(50)
                .with_window_calls(4)
                .with_minimum_calls(1),
        );
        for _ in 0..10 {
            breaker.try_acquire().expect("closed").record_ignored();
        }
        succeed(&breaker);
        let metrics = breaker.metrics();
        assert_eq!(metrics.ignored, 10);
        assert_eq!(metrics.calls_in_window, 1);
        assert_eq!(metrics.failure_rate, Some(0.0));
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn stale_outcomes_do_not_change_the_new_state() {
        start().await;
        let breaker = breaker(
            CircuitBreakerConfig::new()
                .with_failure_threshold(2)
                .with_recovery_timeout(SEC)
                .with_success_threshold(1),
        );
        let old_success = breaker.try_acquire().expect("closed");
        let old_failure = breaker.try_acquire().expect("closed");
        fail(&breaker);
        fail(&breaker);
        assert_eq!(breaker.state(), CircuitState::Open);

        // Outcomes from the closed period, recorded while open: counted, not acted on.
        old_success.record_success();
        assert_eq!(breaker.metrics().consecutive_failures, 2);
        advance(SEC).await;
        let trial = breaker.try_acquire().expect("trial");
        old_failure.record_failure(); // would reopen a half-open breaker if it were current
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        trial.record_success();
        assert_eq!(breaker.state(), CircuitState::Closed);

        let metrics = breaker.metrics();
        assert_eq!(metrics.successful, 2);
        assert_eq!(metrics.failed, 3);
        assert_eq!(metrics.consecutive_failures, 0);
        assert_eq!(metrics.transitions, 3);
    }
}

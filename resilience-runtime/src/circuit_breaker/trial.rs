//! The trial calls of a half-open breaker: one by one in the consecutive model (a failure
//! reopens, enough successes close), together in the rate model (the last trial call to
//! complete decides by their rates), and the permits a cancelled or ignored trial gives back.

use super::CircuitBreaker;
use super::event::TransitionReason;
use super::state::{CircuitState, Word};
use super::sync::Ordering;

/// The trial calls of the current half-open period.
pub(super) struct TrialCounts {
    /// Trial calls completed.
    pub(super) calls: u64,
    /// The failure and slow-call rates among them, in percent (rate model, once one completed).
    pub(super) rates: Option<(f64, f64)>,
    /// Trial permits not yet handed out.
    pub(super) permits_left: u32,
}

impl CircuitBreaker {
    /// A trial call finished (consecutive model): a failure or a slow call reopens, enough
    /// successes close.
    pub(super) fn record_trial(&self, generation: u32, failed: bool, slow: bool) {
        let mut current = self.load();
        loop {
            if current.state() != CircuitState::HalfOpen || current.generation() != generation {
                return; // From an earlier period: counted in the totals only.
            }
            let (next, reason) = if failed || slow {
                let reason = if failed {
                    TransitionReason::TrialFailure
                } else {
                    TransitionReason::TrialSlowCall
                };
                (self.reopened(current), reason)
            } else {
                let successes = current.successes() + 1;
                if successes < self.tuning.success_threshold() {
                    match self.count_trial(current, successes) {
                        Ok(()) => return,
                        Err(actual) => {
                            current = actual;
                            continue;
                        }
                    }
                }
                (
                    current.next(CircuitState::Closed),
                    TransitionReason::TrialSuccesses { successes },
                )
            };
            match self.transition(current, next, reason) {
                Ok(()) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Stores `count` as the half-open tally of `current` (successes in the consecutive
    /// model, completed trial calls in the rate model), unless the word changed meanwhile:
    /// then the word it holds now.
    fn count_trial(&self, current: Word, count: u32) -> Result<(), Word> {
        self.word
            .compare_exchange_weak(
                current.raw(),
                current.with_successes(count).raw(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .map(drop)
            .map_err(Word::from_raw)
    }

    /// A trial call finished (rate model): counted until every permitted trial call has
    /// completed; the last one decides by the trial calls' rates.
    pub(super) fn record_rated_trial(&self, generation: u32, failed: bool, slow: bool) {
        if failed || slow {
            self.tally_trial(generation, failed, slow);
        }
        let mut current = self.load();
        loop {
            if current.state() != CircuitState::HalfOpen || current.generation() != generation {
                return; // From an earlier period: counted in the totals only.
            }
            let completed = current.successes() + 1;
            if completed < self.tuning.half_open_max() {
                match self.count_trial(current, completed) {
                    Ok(()) => return,
                    Err(actual) => {
                        current = actual;
                        continue;
                    }
                }
            }
            // Every other trial call's tally was added before its count, which this thread
            // has read through the word.
            let (failed, slow) = self.trial_tally(generation);
            let calls = u64::from(completed);
            let reached = |part: u64, threshold: u8| part * 100 >= u64::from(threshold) * calls;
            let model = self.tuning.model();
            let (failure_rate, slow_rate) = (model.failure_rate, model.slow_call_rate);
            let (next, reason) = if let Some(threshold) = failure_rate
                && reached(failed, threshold)
            {
                let reason = TransitionReason::TrialFailureRate {
                    failed,
                    calls,
                    threshold,
                };
                (self.reopened(current), reason)
            } else if let Some(threshold) = slow_rate
                && reached(slow, threshold)
            {
                let reason = TransitionReason::TrialSlowCallRate {
                    slow,
                    calls,
                    threshold,
                };
                (self.reopened(current), reason)
            } else {
                let reason = TransitionReason::TrialRatesBelowThresholds {
                    failed,
                    slow,
                    calls,
                };
                (current.next(CircuitState::Closed), reason)
            };
            match self.transition(current, next, reason) {
                Ok(()) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Adds a failed or slow trial call to the tally of half-open period `generation`.
    fn tally_trial(&self, generation: u32, failed: bool, slow: bool) {
        let delta = u64::from(failed) << 16 | u64::from(slow);
        let tag = u64::from(generation) << 32;
        let mut tally = self.trials.load(Ordering::Acquire);
        loop {
            let next = if tally >> 32 == u64::from(generation) {
                tally + delta
            } else {
                // Another period's tally: replace it, but only while this period is current,
                // and only if no newer period wrote meanwhile (the swap fails then).
                let current = self.load();
                if current.state() != CircuitState::HalfOpen || current.generation() != generation {
                    return;
                }
                tag | delta
            };
            match self.trials.compare_exchange_weak(
                tally,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => tally = actual,
            }
        }
    }

    /// Failed and slow trial calls of half-open period `generation`.
    fn trial_tally(&self, generation: u32) -> (u64, u64) {
        let tally = self.trials.load(Ordering::Acquire);
        if tally >> 32 == u64::from(generation) {
            ((tally >> 16) & 0xffff, tally & 0xffff)
        } else {
            (0, 0)
        }
    }

    /// What half-open `word`'s trial calls have shown so far, for metrics.
    pub(super) fn trial_counts(&self, word: Word) -> TrialCounts {
        let permits_left = self.tuning.half_open_max().saturating_sub(word.used());
        let calls = u64::from(word.successes());
        if self.tuning.model().failure_rate.is_none() {
            // Consecutive model: the tally counts successes; a failure would have reopened.
            return TrialCounts {
                calls,
                rates: None,
                permits_left,
            };
        }
        // A trial call's failure is tallied just before it is counted: never more than counted.
        let (failed, slow) = self.trial_tally(word.generation());
        let rate = |part: u64| part.min(calls) as f64 * 100.0 / calls as f64;
        TrialCounts {
            calls,
            rates: (calls > 0).then(|| (rate(failed), rate(slow))),
            permits_left,
        }
    }

    /// Gives a trial permit of `generation` back, if that half-open period is still current.
    pub(super) fn release_trial(&self, generation: u32) {
        let mut current = self.load();
        while current.state() == CircuitState::HalfOpen && current.generation() == generation {
            match self.word.compare_exchange_weak(
                current.raw(),
                current.with_used(current.used().saturating_sub(1)).raw(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = Word::from_raw(actual),
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn half_open_successes_close_and_clear_counts() {
        start().await;
        // The consecutive model, with a window for slow calls that the close must clear.
        let breaker = breaker(
            CircuitBreakerConfig::new()
                .with_failure_threshold(2)
                .with_slow_call_duration(SEC)
                .with_window_calls(4)
                .with_minimum_calls(2)
                .with_recovery_timeout(SEC)
                .with_success_threshold(2)
                .with_half_open_max_calls(3),
        );
        fail(&breaker);
        fail(&breaker);
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(breaker.metrics().calls_in_window, 2);
        advance(SEC).await;
        let first = breaker.try_acquire().expect("trial");
        let second = breaker.try_acquire().expect("trial");
        let third = breaker.try_acquire().expect("trial");
        first.record_success();
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        second.record_success();
        assert_eq!(breaker.state(), CircuitState::Closed);
        // The third trial permit belongs to the half-open period that ended: no effect.
        third.record_failure();
        assert_eq!(breaker.state(), CircuitState::Closed);

        let metrics = breaker.metrics();
        assert_eq!(metrics.calls_in_window, 0);
        assert_eq!(metrics.consecutive_failures, 0);
        assert_eq!(metrics.slow_call_rate, None);
        assert_eq!(metrics.transitions, 3); // closed → open → half-open → closed
        // The new closed period counts its own failures.
        fail(&breaker);
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn half_open_failure_reopens_for_a_new_period() {
        start().await;
        let breaker = tripped(CircuitBreakerConfig::new().with_recovery_timeout(SEC * 5));
        advance(SEC * 5).await;
        let trial = breaker.try_acquire().expect("trial");
        let other = breaker.try_acquire().expect("trial");
        advance(SEC * 2).await;
        trial.record_failure();
        assert_eq!(breaker.state(), CircuitState::Open);
        // The open period restarts from the failure.
        assert_eq!(retry_after(breaker.try_acquire()), Some(SEC * 5));
        // A success from the dead half-open period changes nothing.
        other.record_success();
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(breaker.metrics().transitions, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn slow_trial_call_reopens() {
        start().await;
        let breaker = tripped(
            CircuitBreakerConfig::new()
                .with_recovery_timeout(SEC)
                .with_slow_call_duration(SEC),
        );
        advance(SEC).await;
        let trial = breaker.try_acquire().expect("trial");
        advance(SEC * 2).await;
        trial.record_success();
        assert_eq!(breaker.state(), CircuitState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_and_ignored_permits_give_trial_permits_back() {
        start().await;
        let breaker = tripped(
            CircuitBreakerConfig::new()
                .with_recovery_timeout(SEC)
                .with_success_threshold(2),
        );
        advance(SEC).await;
        let first = breaker.try_acquire().expect("trial");
        let second = breaker.try_acquire().expect("trial");
        assert!(breaker.try_acquire().is_err());
        drop(first);
        let third = breaker.try_acquire().expect("the dropped permit came back");
        second.record_ignored();
        let fourth = breaker.try_acquire().expect("the ignored permit came back");
        assert!(breaker.try_acquire().is_err());
        third.record_success();
        fourth.record_success();
        assert_eq!(breaker.state(), CircuitState::Closed);
        assert_eq!(breaker.metrics().ignored, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn success_threshold_above_trial_permits_closes_when_all_succeed() {
        start().await;
        let breaker = tripped(
            CircuitBreakerConfig::new()
                .with_recovery_timeout(SEC)
                .with_success_threshold(5)
                .with_half_open_max_calls(2),
        );
        advance(SEC).await;
        let first = breaker.try_acquire().expect("trial");
        let second = breaker.try_acquire().expect("trial");
        assert!(breaker.try_acquire().is_err());
        first.record_success();
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        second.record_success();
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn rate_model_half_open_decides_after_all_trial_calls() {
        start().await;
        // 1 failure of 4 trial calls: 25% < 50%, closes, although a trial call failed.
        let breaker =
            rated_half_open(CircuitBreakerConfig::new().with_half_open_max_calls(4)).await;
        let (_subscription, events) = record_events(&breaker);
        let permits: Vec<_> = (0..4)
            .map(|_| breaker.try_acquire().expect("trial"))
            .collect();
        assert!(breaker.try_acquire().is_err(), "exactly 4 trial permits");
        let mut permits = permits.into_iter();
        permits.next().unwrap().record_failure();
        assert_eq!(
            breaker.state(),
            CircuitState::HalfOpen,
            "one failure does not decide"
        );
        permits.next().unwrap().record_success();
        permits.next().unwrap().record_success();
        assert_eq!(breaker.state(), CircuitState::HalfOpen, "3 of 4 completed");
        permits.next().unwrap().record_success();
        assert_eq!(breaker.state(), CircuitState::Closed);
        assert_eq!(
            *events.lock().unwrap(),
            [
                "open → half_open (open for 1s)",
                "half_open → closed (trial calls within thresholds: 1 of 4 failed, 0 slow)"
            ]
        );

        // 2 of 4: 50% ≥ 50%, reopens (inclusive, as in the closed state).
        let breaker =
            rated_half_open(CircuitBreakerConfig::new().with_half_open_max_calls(4)).await;
        let (_subscription, events) = record_events(&breaker);
        for fails in [false, true, false, true] {
            let permit = breaker.try_acquire().expect("trial");
            if fails {
                permit.record_failure();
            } else {
                permit.record_success();
            }
        }
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(
            *events.lock().unwrap(),
            [
                "open → half_open (open for 1s)",
                "half_open → open (trial failure rate 50% ≥ 50% over 4 calls)"
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn rate_model_half_open_ignored_and_dropped_calls_do_not_count() {
        start().await;
        let breaker =
            rated_half_open(CircuitBreakerConfig::new().with_half_open_max_calls(2)).await;
        let first = breaker.try_acquire().expect("trial");
        let second = breaker.try_acquire().expect("trial");
        second.record_ignored();
        first.record_success();
        assert_eq!(
            breaker.state(),
            CircuitState::HalfOpen,
            "one of two recorded"
        );
        drop(breaker.try_acquire().expect("the ignored permit came back"));
        breaker
            .try_acquire()
            .expect("the dropped permit came back")
            .record_success();
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn rate_model_half_open_judges_slow_trial_calls() {
        start().await;
        let breaker = rated_half_open(
            CircuitBreakerConfig::new()
                .with_half_open_max_calls(2)
                .with_slow_call_duration(Duration::from_millis(100))
                .with_slow_call_rate(100),
        )
        .await;
        let (_subscription, events) = record_events(&breaker);
        let first = breaker.try_acquire().expect("trial");
        let second = breaker.try_acquire().expect("trial");
        advance(Duration::from_millis(101)).await;
        first.record_success();
        second.record_success();
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(
            events.lock().unwrap().last().unwrap(),
            "half_open → open (trial slow-call rate 100% ≥ 100% over 2 calls)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stale_trial_tally_does_not_leak_into_the_next_half_open_period() {
        start().await;
        let breaker =
            rated_half_open(CircuitBreakerConfig::new().with_half_open_max_calls(2)).await;
        // Period 1: two failures reopen it.
        fail(&breaker);
        fail(&breaker);
        assert_eq!(breaker.state(), CircuitState::Open);
        advance(SEC * 2).await; // no backoff: the same 1s wait
        // Period 2: the tally starts from zero, so two successes close it.
        succeed(&breaker);
        succeed(&breaker);
        assert_eq!(breaker.state(), CircuitState::Closed);
    }
}

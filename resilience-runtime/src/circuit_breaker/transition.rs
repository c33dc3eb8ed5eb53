//! The state machine's transitions. Every change of state is one compare-and-swap of the
//! packed [`Word`], so exactly one thread makes it; then comes what entering the new state
//! requires: publishing a timed state's start, clearing the counts of a new recording period,
//! the event. Also the timing of the timed states: how long an open period lasts, and what is
//! left of one.
//!
//! The loom models at the bottom check the state machine under every interleaving of a few
//! threads (`RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`).

use std::time::SystemTime;

use crate::base::clock::{self, Nanos};

use super::CircuitBreaker;
use super::event::{CircuitEvent, TransitionReason};
use super::metrics::Counters;
use super::state::{CircuitState, MAX_STREAK, Word};
use super::subscription::EventLog;
use super::sync::Ordering;

impl CircuitBreaker {
    /// The current state word.
    #[inline]
    pub(super) fn load(&self) -> Word {
        Word::from_raw(self.word.load(Ordering::Acquire))
    }

    /// How long the open period with `streak` earlier failed recoveries lasts: the recovery
    /// timeout, grown by the backoff factor per failed recovery, capped at the maximum.
    pub(super) fn open_wait(&self, streak: u32) -> Nanos {
        let recovery = self.tuning.recovery();
        let Some(factor) = self.tuning.backoff() else {
            return recovery;
        };
        let max_recovery = self.tuning.max_recovery();
        // The streak is at most 255, so the exponent fits; the product may be infinite, and
        // the cap (or the saturating cast) takes care of that.
        let grown = recovery as f64 * factor.powi(streak.min(MAX_STREAK) as i32);
        if grown >= max_recovery as f64 {
            max_recovery
        } else {
            grown as Nanos
        }
    }

    /// How long the open period of `current` lasts: fixed if the breaker was reconfigured
    /// during it, else by the tuning.
    #[inline]
    pub(super) fn open_length(&self, current: Word) -> Nanos {
        match self.frozen.get(current.generation()) {
            Some(length) => length.unwrap_or(Nanos::MAX),
            None => self.open_wait(current.streak()),
        }
    }

    /// The longest the half-open period of `current` may last, if limited.
    pub(super) fn half_open_limit(&self, current: Word) -> Option<Nanos> {
        self.frozen
            .get(current.generation())
            .unwrap_or_else(|| self.tuning.max_half_open())
    }

    /// Time left of a timed period of `length` that `current` is in; 0 when it is over.
    #[inline]
    pub(super) fn remaining(&self, current: Word, length: Nanos) -> Nanos {
        if current.pending() {
            // Just entered, its start not yet published.
            return length.max(1);
        }
        let entered_at = self.entered_at.load(Ordering::Acquire);
        let elapsed = clock::now().saturating_sub(entered_at);
        length.saturating_sub(elapsed)
    }

    /// The open word after a failed recovery from half-open word `current`.
    pub(super) fn reopened(&self, current: Word) -> Word {
        current
            .next(CircuitState::Open)
            .with_streak(current.streak().saturating_add(1))
    }

    /// Swaps `from` for `to` (a word of the next generation) and does what entering `to`
    /// requires. Fails with the actual word when another thread changed it first.
    pub(super) fn transition(
        &self,
        from: Word,
        to: Word,
        reason: TransitionReason,
    ) -> Result<(), Word> {
        // A timed word starts pending until its start time is published, so no reader can pair
        // it with the previous period's time.
        let timed = to.state() == CircuitState::Open
            || (to.state() == CircuitState::HalfOpen && self.tuning.max_half_open().is_some());
        let to = to.with_pending(timed);
        self.word
            .compare_exchange(from.raw(), to.raw(), Ordering::AcqRel, Ordering::Acquire)
            .map_err(Word::from_raw)?;
        if timed {
            self.publish_entry(to);
        }
        match to.state() {
            CircuitState::Closed | CircuitState::MetricsOnly => {
                // A new recording period judges only its own calls.
                self.consecutive.store(0, Ordering::Relaxed);
                self.windows.clear();
            }
            CircuitState::Open
            | CircuitState::HalfOpen
            | CircuitState::ForcedOpen
            | CircuitState::Disabled => {}
        }
        let changed = from.state() != to.state();
        let event = changed.then(|| {
            Counters::bump(&self.counters.transitions);
            CircuitEvent {
                name: self.name,
                from: from.state(),
                to: to.state(),
                reason,
                at: SystemTime::now(),
            }
        });
        // Published when this guard drops, after the log, and also if a `tracing` subscriber
        // panics while logging: a generation left undelivered would hold back every later
        // event for good.
        let publish = Publish {
            events: &self.events,
            generation: to.generation(),
            event,
        };
        if changed {
            log_transition(self.name, from.state(), to.state(), reason);
        }
        drop(publish);
        Ok(())
    }

    /// Publishes when the timed period of pending word `to` started, then clears its pending
    /// bit, unless the breaker has moved on to another period meanwhile.
    fn publish_entry(&self, to: Word) {
        // `fetch_max`: a delayed publisher of an older period never moves a newer one back.
        self.entered_at.fetch_max(clock::now(), Ordering::AcqRel);
        let mut current = to;
        // Half-open permits may change the word meanwhile; the generation says whose it is.
        while current.pending() && current.generation() == to.generation() {
            match self.word.compare_exchange_weak(
                current.raw(),
                current.with_pending(false).raw(),
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
    use std::sync::Barrier;
    use std::sync::atomic::AtomicUsize;

    use super::super::test_support::*;
    use super::*;

    /// Many threads failing at once open the breaker exactly once, in both trip models.
    #[test]
    fn concurrent_failures_open_exactly_once() {
        const THREADS: usize = 8;
        const CALLS: usize = 2_000;
        let configs = [
            CircuitBreakerConfig::new().with_failure_threshold(5),
            CircuitBreakerConfig::new()
                .with_failure_rate(50)
                .with_window_calls(50)
                .with_minimum_calls(20),
            CircuitBreakerConfig::new()
                .with_failure_rate(50)
                .with_window_duration(SEC * 60)
                .with_minimum_calls(20),
        ];
        for config in configs {
            // Real clock here; the 60s recovery timeout keeps the breaker open throughout.
            let breaker = CircuitBreaker::new("stress", config);
            let barrier = Barrier::new(THREADS);
            let admitted = AtomicUsize::new(0);
            std::thread::scope(|scope| {
                for _ in 0..THREADS {
                    scope.spawn(|| {
                        barrier.wait();
                        for _ in 0..CALLS {
                            if let Ok(permit) = breaker.try_acquire() {
                                admitted.fetch_add(1, Ordering::Relaxed);
                                permit.record_failure();
                            }
                        }
                    });
                }
            });
            let metrics = breaker.metrics();
            assert_eq!(breaker.state(), CircuitState::Open, "{config:?}");
            assert_eq!(metrics.transitions, 1, "{config:?}");
            let admitted = admitted.load(Ordering::Relaxed) as u64;
            assert_eq!(metrics.failed, admitted);
            assert_eq!(
                metrics.failed + metrics.not_permitted,
                (THREADS * CALLS) as u64
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn recovery_backoff_grows_the_open_wait_and_resets_on_close() {
        start().await;
        let breaker = tripped(
            CircuitBreakerConfig::new()
                .with_recovery_timeout(SEC * 10)
                .with_recovery_backoff(1.5)
                .with_max_recovery_timeout(SEC * 30)
                .with_success_threshold(1),
        );
        let mut waits = Vec::new();
        for _ in 0..5 {
            let wait = retry_after(breaker.try_acquire()).expect("open");
            assert_eq!(breaker.metrics().open_wait, Some(wait));
            waits.push(wait.as_secs_f64());
            advance(wait).await;
            fail(&breaker); // the trial call fails: open again, for longer
        }
        assert_eq!(waits, [10.0, 15.0, 22.5, 30.0, 30.0]);
        // A recovery that succeeds closes it; the next opening waits the base timeout again.
        advance(SEC * 30).await;
        succeed(&breaker);
        assert_eq!(breaker.state(), CircuitState::Closed);
        assert_eq!(breaker.metrics().open_wait, None);
        fail(&breaker);
        assert_eq!(retry_after(breaker.try_acquire()), Some(SEC * 10));
    }

    #[tokio::test(start_paused = true)]
    async fn recovery_backoff_without_a_cap_and_without_growth() {
        start().await;
        let uncapped = tripped(
            CircuitBreakerConfig::new()
                .with_recovery_timeout(SEC)
                .with_recovery_backoff(2.0)
                .with_success_threshold(1),
        );
        for expected in [1, 2, 4, 8] {
            assert_eq!(retry_after(uncapped.try_acquire()), Some(SEC * expected));
            advance(SEC * expected).await;
            fail(&uncapped);
        }
        // The word counts at most 255 failed recoveries, and a huge wait saturates.
        let word = uncapped.load().with_streak(u32::MAX);
        assert_eq!(uncapped.open_wait(word.streak()), Nanos::MAX);

        let flat = tripped(CircuitBreakerConfig::new().with_recovery_timeout(SEC));
        for _ in 0..3 {
            assert_eq!(retry_after(flat.try_acquire()), Some(SEC));
            advance(SEC).await;
            fail(&flat);
        }
        let config = CircuitBreakerConfig::new()
            .with_recovery_timeout(SEC * 10)
            .with_max_recovery_timeout(SEC);
        assert_eq!(config.max_recovery_timeout(), Some(SEC * 10), "never below");
        assert_eq!(
            CircuitBreakerConfig::new()
                .with_recovery_backoff(f64::NAN)
                .recovery_backoff(),
            Some(1.0)
        );
        assert_eq!(
            CircuitBreakerConfig::new()
                .with_recovery_backoff(100.0)
                .recovery_backoff(),
            Some(10.0)
        );
    }
}

/// Publishes a transition to the event log when dropped, even while unwinding.
struct Publish<'a> {
    events: &'a EventLog,
    generation: u32,
    event: Option<CircuitEvent>,
}

impl Drop for Publish<'_> {
    fn drop(&mut self) {
        self.events.publish(self.generation, self.event.take());
    }
}

/// Logs a change of state: opening is a warning, every other change `info`.
#[cold]
fn log_transition(name: &str, from: CircuitState, to: CircuitState, reason: TransitionReason) {
    if matches!(to, CircuitState::Open | CircuitState::ForcedOpen) {
        tracing::warn!(
            target: "resilience_runtime::circuit_breaker",
            name, from = %from, to = %to, reason = %reason, "circuit breaker changed state");
    } else {
        tracing::info!(
            target: "resilience_runtime::circuit_breaker",
            name, from = %from, to = %to, reason = %reason, "circuit breaker changed state");
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Loom models of the breaker's state machine: every interleaving of a few threads.
    //!
    //! Run with `RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`.
    //! The models are kept to two or three threads and a handful of atomic steps each, so the
    //! whole suite explores its state space in seconds.

    use std::sync::Arc;
    use std::time::Duration;

    use loom::thread;

    use super::super::CircuitBreakerConfig;
    use super::*;
    use crate::base::loom_support::count_admitted;

    fn shared(config: CircuitBreakerConfig) -> Arc<CircuitBreaker> {
        Arc::new(CircuitBreaker::new("loom", config))
    }

    /// An open breaker whose recovery timeout (zero) has elapsed: the next call moves it to
    /// half-open.
    fn recovered(config: CircuitBreakerConfig) -> Arc<CircuitBreaker> {
        let breaker = shared(
            config
                .with_failure_threshold(1)
                .with_recovery_timeout(Duration::ZERO),
        );
        breaker.try_acquire().expect("closed").record_failure();
        assert_eq!(breaker.state(), CircuitState::Open);
        breaker
    }

    #[test]
    fn loom_concurrent_failures_open_exactly_once() {
        loom::model(|| {
            let breaker = shared(CircuitBreakerConfig::new().with_failure_threshold(1));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let breaker = Arc::clone(&breaker);
                    thread::spawn(move || {
                        if let Ok(permit) = breaker.try_acquire() {
                            permit.record_failure();
                        }
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
            assert_eq!(breaker.state(), CircuitState::Open);
            assert_eq!(breaker.metrics().transitions, 1);
            assert_eq!(breaker.recent_transitions().len(), 1);
        });
    }

    #[test]
    fn loom_half_open_admits_exactly_its_permits() {
        loom::model(|| {
            let breaker = recovered(CircuitBreakerConfig::new().with_success_threshold(1));
            let admitted = count_admitted(2, |_| {
                let breaker = Arc::clone(&breaker);
                // Keep the permit past the join: nobody gives it back.
                move || breaker.try_acquire().map(std::mem::forget).is_ok()
            });
            assert_eq!(admitted, 1);
            assert_eq!(breaker.state(), CircuitState::HalfOpen);
            assert_eq!(breaker.metrics().transitions, 2);
        });
    }

    #[test]
    fn loom_released_trial_permit_is_reused_without_exceeding_the_limit() {
        loom::model(|| {
            let breaker = recovered(
                CircuitBreakerConfig::new()
                    .with_success_threshold(2)
                    .with_half_open_max_calls(2),
            );
            let first = breaker.try_acquire().expect("first trial permit");
            let dropper = {
                let breaker = Arc::clone(&breaker);
                // Takes the second permit, if the taker has not, and gives it back unrecorded.
                thread::spawn(move || drop(breaker.try_acquire()))
            };
            let taker = {
                let breaker = Arc::clone(&breaker);
                thread::spawn(move || {
                    // Admitted unless the dropper holds the second permit; never a third at once.
                    if let Ok(permit) = breaker.try_acquire() {
                        permit.record_success();
                        true
                    } else {
                        false
                    }
                })
            };
            dropper.join().unwrap();
            let took = taker.join().unwrap();
            let word = breaker.load();
            assert!(word.used() <= 2);
            first.record_success();
            if took {
                assert_eq!(breaker.state(), CircuitState::Closed);
            } else {
                assert_eq!(breaker.state(), CircuitState::HalfOpen);
                assert_eq!(breaker.load().used(), 1);
            }
        });
    }

    #[test]
    fn loom_rate_model_half_open_decides_once_from_all_trial_calls() {
        loom::model(|| {
            let breaker = shared(
                CircuitBreakerConfig::new()
                    .with_failure_rate(50)
                    .with_window_calls(1)
                    .with_minimum_calls(1)
                    .with_recovery_timeout(Duration::ZERO)
                    .with_half_open_max_calls(2),
            );
            breaker.try_acquire().expect("closed").record_failure();
            let threads: Vec<_> = [true, false]
                .into_iter()
                .map(|fails| {
                    let breaker = Arc::clone(&breaker);
                    thread::spawn(move || {
                        // Two permits for two calls: both are admitted whatever the order.
                        let permit = breaker.try_acquire().expect("trial");
                        if fails {
                            permit.record_failure();
                        } else {
                            permit.record_success();
                        }
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
            // Whichever finished last saw the other's failure: 1 of 2 ≥ 50% reopens.
            assert_eq!(breaker.state(), CircuitState::Open);
            assert_eq!(breaker.metrics().transitions, 3);
            let last = breaker.recent_transitions().pop().unwrap();
            assert_eq!(
                last.reason,
                TransitionReason::TrialFailureRate {
                    failed: 1,
                    calls: 2,
                    threshold: 50
                }
            );
        });
    }

    #[test]
    fn loom_stale_outcome_cannot_flip_a_manual_transition() {
        loom::model(|| {
            let breaker = shared(CircuitBreakerConfig::new().with_failure_threshold(1));
            let permit_holder = {
                let breaker = Arc::clone(&breaker);
                thread::spawn(move || {
                    let permit = breaker.try_acquire();
                    if let Ok(permit) = permit {
                        permit.record_failure();
                    }
                })
            };
            let operator = {
                let breaker = Arc::clone(&breaker);
                thread::spawn(move || breaker.force_open())
            };
            permit_holder.join().unwrap();
            operator.join().unwrap();
            // Forced open wins whatever the order; at most one automatic opening happened first.
            assert_eq!(breaker.state(), CircuitState::ForcedOpen);
            let transitions = breaker.metrics().transitions;
            assert!((1..=2).contains(&transitions), "{transitions}");
            assert_eq!(breaker.recent_transitions().len() as u64, transitions);
            assert!(!breaker.load().pending());
        });
    }
}

//! Loom models of the breaker's state machine: every interleaving of a few threads.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`.
//! The models are kept to two or three threads and a handful of atomic steps each, so the
//! whole suite explores its state space in seconds.

use std::sync::Arc;
use std::time::Duration;

use loom::thread;

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

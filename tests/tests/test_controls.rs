//! What tests of a user's own code drive: a breaker opened for a while or put in half-open by
//! hand, and a limiter's permits read without taking any.

use std::time::Duration;

use resilience_runtime::circuit_breaker::{CircuitBreakerConfig, CircuitState, TransitionReason};
use resilience_runtime::rate_limit::{OnLimit, Rate, RateLimitConfig};
use resilience_runtime::{Error, registry};

#[tokio::test(start_paused = true)]
async fn open_for_rejects_with_the_time_left_then_recovers_through_half_open() {
    let breaker = registry().register_circuit_breaker(
        "controls-open-for",
        CircuitBreakerConfig::new()
            .with_recovery_timeout(Duration::from_secs(60))
            .with_success_threshold(1),
    );
    breaker.open_for(Duration::from_secs(5));
    assert_eq!(breaker.state(), CircuitState::Open);
    tokio::time::advance(Duration::from_secs(2)).await;
    match breaker.try_acquire() {
        Err(Error::CircuitOpen { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(3)));
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    tokio::time::advance(Duration::from_secs(3)).await;
    let trial = breaker
        .try_acquire()
        .expect("half-open after 5s, not the 60s recovery");
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    trial.record_success();
    assert_eq!(breaker.state(), CircuitState::Closed);
    let reasons: Vec<TransitionReason> = breaker
        .recent_transitions()
        .iter()
        .map(|event| event.reason)
        .collect();
    assert_eq!(
        reasons[0],
        TransitionReason::OpenedFor {
            duration: Duration::from_secs(5)
        }
    );
}

#[tokio::test(start_paused = true)]
async fn half_open_by_hand_admits_trial_calls_that_decide() {
    let breaker = registry().register_circuit_breaker(
        "controls-half-open",
        CircuitBreakerConfig::new()
            .with_recovery_timeout(Duration::from_secs(30))
            .with_success_threshold(2),
    );
    breaker.half_open();
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    assert_eq!(breaker.metrics().trial_permits_left, Some(2));
    breaker.try_acquire().unwrap().record_failure();
    assert_eq!(
        breaker.state(),
        CircuitState::Open,
        "a failed trial reopens"
    );
    assert!(breaker.try_acquire().is_err());
    breaker.half_open();
    breaker.try_acquire().unwrap().record_success();
    breaker.try_acquire().unwrap().record_success();
    assert_eq!(breaker.state(), CircuitState::Closed);
}

#[tokio::test(start_paused = true)]
async fn available_reads_the_permits_without_taking_them() {
    let limiter = registry().register_rate_limiter(
        "controls-available",
        RateLimitConfig::new(Rate::per_second(10))
            .with_burst(3)
            .with_on_limit(OnLimit::Reject),
    );
    assert_eq!(limiter.available(), 3);
    assert_eq!(limiter.available(), 3, "reading takes nothing");
    limiter.try_acquire().unwrap();
    limiter.try_acquire().unwrap();
    assert_eq!(limiter.available(), 1);
    limiter.try_acquire().unwrap();
    assert_eq!(limiter.available(), 0);
    assert!(limiter.try_acquire().is_err());
    tokio::time::advance(Duration::from_millis(100)).await;
    assert_eq!(limiter.available(), 1);
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(limiter.available(), 3, "never more than the burst");

    assert_eq!(
        limiter.available_key("acme"),
        3,
        "an untracked key has its burst"
    );
    limiter.try_acquire_key("acme").unwrap();
    assert_eq!(limiter.available_key("acme"), 2);
    assert_eq!(limiter.available_key("globex"), 3);
}

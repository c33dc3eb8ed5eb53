//! Helpers the breaker's unit tests share, on tokio's paused clock.

pub(super) use std::sync::Mutex;
pub(super) use std::time::Duration;

pub(super) use tokio::time::advance;

pub(super) use super::{
    CircuitBreaker, CircuitBreakerConfig, CircuitPermit, CircuitState, Subscription,
};
pub(super) use crate::Error;

pub(super) const SEC: Duration = Duration::from_secs(1);

/// Moves the paused clock well past the process-wide clock origin, which another test's runtime
/// may have set after this runtime froze its clock, so time never saturates at zero here.
pub(super) async fn start() {
    advance(Duration::from_secs(3_600)).await;
}

pub(super) fn breaker(config: CircuitBreakerConfig) -> CircuitBreaker {
    CircuitBreaker::new("test", config)
}

pub(super) fn succeed(breaker: &CircuitBreaker) {
    breaker.try_acquire().expect("permitted").record_success();
}

pub(super) fn fail(breaker: &CircuitBreaker) {
    breaker.try_acquire().expect("permitted").record_failure();
}

pub(super) fn retry_after(result: Result<CircuitPermit<'_>, Error>) -> Option<Duration> {
    match result {
        Err(Error::CircuitOpen { name, retry_after }) => {
            assert_eq!(name, "test");
            retry_after
        }
        other => panic!("expected CircuitOpen, got {other:?}"),
    }
}

/// Trips a consecutive-model breaker (threshold 1 in these tests) and returns it open.
pub(super) fn tripped(config: CircuitBreakerConfig) -> CircuitBreaker {
    let breaker = breaker(config.with_failure_threshold(1));
    fail(&breaker);
    assert_eq!(breaker.state(), CircuitState::Open);
    breaker
}

/// Collects a breaker's events as `from → to (reason)` strings.
pub(super) fn record_events(
    breaker: &CircuitBreaker,
) -> (Subscription, std::sync::Arc<Mutex<Vec<String>>>) {
    let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&seen);
    let subscription = breaker.subscribe(move |event| {
        sink.lock()
            .unwrap()
            .push(format!("{} → {} ({})", event.from, event.to, event.reason));
    });
    (subscription, seen)
}

/// A rate-model breaker (50% over 4 calls) opened by four failures, its recovery elapsed.
pub(super) async fn rated_half_open(config: CircuitBreakerConfig) -> CircuitBreaker {
    let breaker = breaker(
        config
            .with_failure_rate(50)
            .with_window_calls(4)
            .with_minimum_calls(4)
            .with_recovery_timeout(SEC),
    );
    for _ in 0..4 {
        fail(&breaker);
    }
    assert_eq!(breaker.state(), CircuitState::Open);
    advance(SEC).await;
    breaker
}

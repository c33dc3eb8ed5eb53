//! Unit tests for the circuit breaker, on tokio's paused clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::Duration;

use tokio::time::advance;

use super::*;

const SEC: Duration = Duration::from_secs(1);

/// Moves the paused clock well past the process-wide clock origin, which another test's runtime
/// may have set after this runtime froze its clock, so time never saturates at zero here.
async fn start() {
    advance(Duration::from_secs(3_600)).await;
}

fn breaker(config: CircuitBreakerConfig) -> CircuitBreaker {
    CircuitBreaker::new("test", config)
}

fn succeed(breaker: &CircuitBreaker) {
    breaker.try_acquire().expect("permitted").record_success();
}

fn fail(breaker: &CircuitBreaker) {
    breaker.try_acquire().expect("permitted").record_failure();
}

fn retry_after(result: Result<CircuitPermit<'_>, Error>) -> Option<Duration> {
    match result {
        Err(Error::CircuitOpen { name, retry_after }) => {
            assert_eq!(name, "test");
            retry_after
        }
        other => panic!("expected CircuitOpen, got {other:?}"),
    }
}

/// Trips a consecutive-model breaker (threshold 1 in these tests) and returns it open.
fn tripped(config: CircuitBreakerConfig) -> CircuitBreaker {
    let breaker = breaker(config.with_failure_threshold(1));
    fail(&breaker);
    assert_eq!(breaker.state(), CircuitState::Open);
    breaker
}

#[test]
fn config_defaults_and_clamping() {
    let config = CircuitBreakerConfig::new();
    assert_eq!(config, CircuitBreakerConfig::default());
    assert_eq!(config.failure_threshold(), 5);
    assert_eq!(config.failure_rate(), None);
    assert_eq!(config.window(), SlidingWindow::Calls(100));
    assert_eq!(config.minimum_calls(), 100);
    assert_eq!(config.slow_call_duration(), None);
    assert_eq!(config.slow_call_rate(), None);
    assert_eq!(config.recovery_timeout(), Duration::from_secs(60));
    assert_eq!(config.success_threshold(), 2);
    assert_eq!(config.half_open_max_calls(), 2);

    // minimum_calls is capped by a count window, not by a time window.
    assert_eq!(config.with_window_calls(20).minimum_calls(), 20);
    assert_eq!(
        config
            .with_window_calls(20)
            .with_minimum_calls(50)
            .minimum_calls(),
        20
    );
    assert_eq!(config.with_window_duration(SEC * 10).minimum_calls(), 100);
    // half_open_max_calls follows success_threshold unless set.
    assert_eq!(config.with_success_threshold(4).half_open_max_calls(), 4);
    assert_eq!(
        config
            .with_success_threshold(4)
            .with_half_open_max_calls(7)
            .half_open_max_calls(),
        7
    );
    // Slow-call rate defaults to 100% once slow calls are tracked.
    assert_eq!(
        config.with_slow_call_duration(SEC).slow_call_rate(),
        Some(100)
    );

    // Out-of-range values are clamped, never a panic.
    let clamped = config
        .with_failure_threshold(0)
        .with_failure_rate(0)
        .with_window_calls(0)
        .with_minimum_calls(0)
        .with_success_threshold(0)
        .with_half_open_max_calls(u32::MAX);
    assert_eq!(clamped.failure_threshold(), 1);
    assert_eq!(clamped.failure_rate(), Some(1));
    assert_eq!(clamped.window(), SlidingWindow::Calls(1));
    assert_eq!(clamped.minimum_calls(), 1);
    assert_eq!(clamped.success_threshold(), 1);
    assert_eq!(clamped.half_open_max_calls(), 16_383);
    assert_eq!(config.with_failure_rate(200).failure_rate(), Some(100));
    assert_eq!(
        config.with_window_calls(u32::MAX).window(),
        SlidingWindow::Calls(MAX_WINDOW_CALLS)
    );
    assert_eq!(
        config
            .with_window_duration(Duration::from_millis(1_500))
            .window(),
        SlidingWindow::Time(SEC * 2)
    );
    assert_eq!(
        config.with_window_duration(Duration::ZERO).window(),
        SlidingWindow::Time(SEC)
    );
    assert_eq!(
        config.with_window_duration(Duration::MAX).window(),
        SlidingWindow::Time(SEC * 3_600)
    );
}

#[test]
fn state_word_round_trips() {
    let word = Word::new(CircuitState::HalfOpen, state::GENERATION_MASK)
        .with_used(state::MAX_HALF_OPEN_CALLS)
        .with_successes(3)
        .with_streak(300)
        .with_pending(true);
    assert_eq!(word.state(), CircuitState::HalfOpen);
    assert_eq!(word.generation(), state::GENERATION_MASK);
    assert_eq!(word.used(), state::MAX_HALF_OPEN_CALLS);
    assert_eq!(word.successes(), 3);
    assert_eq!(word.streak(), state::MAX_STREAK, "the streak saturates");
    assert!(word.pending());
    let next = word.next(CircuitState::Closed);
    assert_eq!(next, Word::new(CircuitState::Closed, 0));
    for state in [
        CircuitState::Closed,
        CircuitState::Open,
        CircuitState::HalfOpen,
        CircuitState::ForcedOpen,
        CircuitState::Disabled,
        CircuitState::MetricsOnly,
    ] {
        let word = Word::new(state, 7).with_streak(2).with_used(1);
        assert_eq!((word.state(), word.generation()), (state, 7));
    }
    assert_eq!(CircuitState::HalfOpen.to_string(), "half_open");
    assert_eq!(CircuitState::ForcedOpen.to_string(), "forced_open");
    assert_eq!(CircuitState::MetricsOnly.to_string(), "metrics_only");
}

#[test]
fn reasons_read_well() {
    let rate = TransitionReason::FailureRate {
        failed: 6,
        calls: 10,
        threshold: 50,
    };
    assert_eq!(rate.to_string(), "failure rate 60% ≥ 50% over 10 calls");
    let slow = TransitionReason::SlowCallRate {
        slow: 2,
        calls: 3,
        threshold: 50,
    };
    assert_eq!(slow.to_string(), "slow-call rate 66.7% ≥ 50% over 3 calls");
    assert_eq!(
        TransitionReason::ConsecutiveFailures { failures: 5 }.to_string(),
        "5 consecutive failures"
    );
    assert_eq!(
        TransitionReason::TrialFailureRate {
            failed: 1,
            calls: 2,
            threshold: 50
        }
        .to_string(),
        "trial failure rate 50% ≥ 50% over 2 calls"
    );
    assert_eq!(
        TransitionReason::TrialRatesBelowThresholds {
            failed: 1,
            slow: 0,
            calls: 4
        }
        .to_string(),
        "trial calls within thresholds: 1 of 4 failed, 0 slow"
    );
    assert_eq!(
        TransitionReason::RecoveryTimeout { waited: SEC * 30 }.to_string(),
        "open for 30s"
    );
    assert_eq!(
        serde_json::to_value(rate).unwrap(),
        "failure rate 60% ≥ 50% over 10 calls"
    );
}

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
async fn open_rejects_with_remaining_time() {
    start().await;
    let breaker = tripped(CircuitBreakerConfig::new().with_recovery_timeout(SEC * 30));
    assert_eq!(retry_after(breaker.try_acquire()), Some(SEC * 30));
    advance(SEC * 10).await;
    assert_eq!(retry_after(breaker.try_acquire()), Some(SEC * 20));
    let err = breaker.try_acquire().unwrap_err();
    assert!(err.is_rejection());
    assert_eq!(
        err.to_string(),
        "circuit breaker `test` is open; retry after 20s"
    );
    assert_eq!(breaker.metrics().not_permitted, 3);
}

#[tokio::test(start_paused = true)]
async fn half_open_comes_lazily_after_recovery_timeout() {
    start().await;
    let breaker = tripped(CircuitBreakerConfig::new().with_recovery_timeout(SEC * 30));
    advance(SEC * 30 - Duration::from_nanos(1)).await;
    assert_eq!(
        retry_after(breaker.try_acquire()),
        Some(Duration::from_nanos(1))
    );
    advance(Duration::from_nanos(1)).await;
    // Nothing moves the breaker until a call arrives.
    assert_eq!(breaker.state(), CircuitState::Open);
    assert_eq!(breaker.metrics().transitions, 1);
    let permit = breaker.try_acquire().expect("first trial call");
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    assert_eq!(breaker.metrics().transitions, 2);
    drop(permit);
}

#[tokio::test(start_paused = true)]
async fn half_open_admits_exactly_its_permits() {
    start().await;
    let breaker = tripped(
        CircuitBreakerConfig::new()
            .with_recovery_timeout(SEC)
            .with_success_threshold(3),
    );
    advance(SEC).await;
    let permits: Vec<_> = (0..3)
        .map(|_| breaker.try_acquire().expect("trial permit"))
        .collect();
    assert_eq!(retry_after(breaker.try_acquire()), None);
    assert_eq!(retry_after(breaker.try_acquire()), None);
    assert_eq!(breaker.metrics().not_permitted, 2);
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    drop(permits);
}

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

#[test]
fn handles_permits_and_calls_are_send() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    fn assert_send<T: Send>(_: &T) {}
    let breaker: CircuitBreakerHandle =
        std::sync::Arc::new(CircuitBreaker::new("send", CircuitBreakerConfig::new()));
    assert_send_sync(&breaker);
    let permit = breaker.try_acquire().expect("closed");
    assert_send(&permit);
    drop(permit);
    let call = breaker.call(async { Ok::<(), Error>(()) });
    assert_send(&call);
}

#[tokio::test(start_paused = true)]
async fn cancelled_call_gives_trial_permit_back() {
    start().await;
    let breaker = tripped(
        CircuitBreakerConfig::new()
            .with_recovery_timeout(SEC)
            .with_success_threshold(1),
    );
    advance(SEC).await;
    let outcome = tokio::time::timeout(
        SEC,
        breaker.call(std::future::pending::<Result<(), Error>>()),
    )
    .await;
    assert!(outcome.is_err(), "the call never finishes");
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    let result: Result<u8, Error> = breaker.call(async { Ok(7) }).await;
    assert_eq!(result, Ok(7));
    assert_eq!(breaker.state(), CircuitState::Closed);
    let metrics = breaker.metrics();
    assert_eq!((metrics.ignored, metrics.successful), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn panicking_call_gives_trial_permit_back() {
    start().await;
    let breaker = tripped(
        CircuitBreakerConfig::new()
            .with_recovery_timeout(SEC)
            .with_success_threshold(1),
    );
    advance(SEC).await;
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _permit = breaker.try_acquire().expect("trial");
        panic!("the call panics");
    }));
    assert!(panicked.is_err());
    succeed(&breaker);
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

#[tokio::test(start_paused = true)]
async fn force_open_until_reset() {
    start().await;
    let breaker = breaker(CircuitBreakerConfig::new().with_recovery_timeout(SEC));
    let before = breaker.try_acquire().expect("closed");
    fail(&breaker);
    breaker.force_open();
    breaker.force_open(); // idempotent
    assert_eq!(breaker.state(), CircuitState::ForcedOpen);
    assert_eq!(retry_after(breaker.try_acquire()), None);
    advance(SEC * 120).await; // no recovery timeout applies
    assert_eq!(retry_after(breaker.try_acquire()), None);
    assert_eq!(breaker.state(), CircuitState::ForcedOpen);

    breaker.reset();
    assert_eq!(breaker.state(), CircuitState::Closed);
    let metrics = breaker.metrics();
    assert_eq!(
        (
            metrics.failed,
            metrics.not_permitted,
            metrics.consecutive_failures
        ),
        (0, 0, 0)
    );
    assert_eq!(metrics.transitions, 2);
    // A permit from before the reset does not count in the new period.
    before.record_failure();
    assert_eq!(breaker.metrics().consecutive_failures, 0);
    succeed(&breaker);

    // Reset of an open breaker closes it at once.
    for _ in 0..5 {
        fail(&breaker);
    }
    assert_eq!(breaker.state(), CircuitState::Open);
    breaker.reset();
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.metrics().transitions, 4);
}

#[tokio::test(start_paused = true)]
async fn call_records_outcomes_and_converts_rejections() {
    #[derive(Debug, PartialEq)]
    enum AppError {
        Breaker(Error),
        Service,
    }
    impl From<Error> for AppError {
        fn from(err: Error) -> Self {
            Self::Breaker(err)
        }
    }

    start().await;
    let breaker = breaker(
        CircuitBreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(SEC),
    );
    assert_eq!(breaker.call(async { Ok::<_, AppError>(1) }).await, Ok(1));
    assert_eq!(
        breaker
            .call(async { Err::<(), _>(AppError::Service) })
            .await,
        Err(AppError::Service)
    );
    let polled = AtomicBool::new(false);
    let rejected = breaker
        .call(async {
            polled.store(true, Ordering::Relaxed);
            Ok::<(), AppError>(())
        })
        .await;
    assert_eq!(
        rejected,
        Err(AppError::Breaker(Error::circuit_open("test", Some(SEC))))
    );
    assert!(
        !polled.load(Ordering::Relaxed),
        "a rejected future is never polled"
    );
}

#[tokio::test(start_paused = true)]
async fn snapshot_serializes() {
    start().await;
    let breaker = breaker(
        CircuitBreakerConfig::new()
            .with_failure_rate(50)
            .with_window_calls(10),
    );
    fail(&breaker);
    let snapshot = breaker.snapshot();
    assert_eq!(snapshot.name, "test");
    assert_eq!(snapshot.state, CircuitState::Closed);
    assert_eq!(snapshot.config, breaker.config());
    let json = serde_json::to_value(&snapshot).expect("serializes");
    assert_eq!(json["state"], "closed");
    assert_eq!(json["config"]["failure_rate"], 50);
    assert_eq!(json["config"]["window"]["calls"], 10);
    assert_eq!(json["metrics"]["failed"], 1);
    assert_eq!(json["metrics"]["calls_in_window"], 1);
    assert!(json["metrics"]["failure_rate"].is_null());
}

#[test]
fn named_trait_builds_from_config() {
    use crate::base::named::Named;
    let config = CircuitBreakerConfig::new().with_failure_threshold(9);
    let breaker = <CircuitBreaker as Named>::create("named", config);
    assert_eq!(<CircuitBreaker as Named>::KIND, "circuit_breaker");
    assert_eq!(breaker.config(), config);
    assert_eq!(breaker.name(), "named");
}

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

/// Under contention a half-open breaker never has more than `half_open_max_calls` trial calls
/// of one period in flight, and admits exactly that many when nobody gives permits back.
#[test]
fn concurrent_half_open_admission_never_exceeds_permits() {
    const THREADS: usize = 8;
    const PERMITS: u32 = 3;
    let config = CircuitBreakerConfig::new()
        .with_failure_threshold(1)
        .with_recovery_timeout(Duration::ZERO)
        .with_success_threshold(PERMITS);

    // Nobody gives a permit back: exactly PERMITS calls are admitted in total.
    let breaker = CircuitBreaker::new("stress", config);
    breaker.try_acquire().expect("closed").record_failure();
    let barrier = Barrier::new(THREADS);
    let held = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                barrier.wait();
                for _ in 0..1_000 {
                    if let Ok(permit) = breaker.try_acquire() {
                        // Keep the permit's generation; the permit itself must not be dropped.
                        held.lock().unwrap().push(permit.period.generation());
                        std::mem::forget(permit);
                    }
                }
            });
        }
    });
    assert_eq!(held.lock().unwrap().len(), PERMITS as usize);
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    assert_eq!(breaker.load().used(), PERMITS);

    // Permits come and go, trial calls succeed, fail or are cancelled, the breaker cycles
    // through open, half-open and closed: per half-open period, never more than PERMITS held.
    let breaker = CircuitBreaker::new("stress", config);
    let in_flight: Mutex<HashMap<u32, u32>> = Mutex::new(HashMap::new());
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (breaker, in_flight, barrier) = (&breaker, &in_flight, &barrier);
            scope.spawn(move || {
                barrier.wait();
                for i in 0..3_000 {
                    let Ok(permit) = breaker.try_acquire() else {
                        continue;
                    };
                    let generation = permit.period.generation();
                    let trial = permit.period.kind() == PermitKind::Trial;
                    if trial {
                        let mut map = in_flight.lock().unwrap();
                        let count = map.entry(generation).or_default();
                        *count += 1;
                        assert!(*count <= PERMITS, "{count} trial calls in flight");
                    }
                    std::thread::yield_now();
                    if trial {
                        *in_flight.lock().unwrap().get_mut(&generation).unwrap() -= 1;
                    }
                    match (thread + i) % 7 {
                        0 => permit.record_failure(),
                        1 | 2 => drop(permit),
                        3 => permit.record_ignored(),
                        _ => permit.record_success(),
                    }
                }
            });
        }
    });
    // At rest, every trial permit still counted is one whose success was recorded.
    let word = breaker.load();
    if word.state() == CircuitState::HalfOpen {
        assert_eq!(word.used(), word.successes());
    }
    assert!(!word.pending());
}

/// Collects a breaker's events as `from → to (reason)` strings.
fn record_events(breaker: &CircuitBreaker) -> (Subscription, std::sync::Arc<Mutex<Vec<String>>>) {
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
async fn rated_half_open(config: CircuitBreakerConfig) -> CircuitBreaker {
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

#[tokio::test(start_paused = true)]
async fn rate_model_half_open_decides_after_all_trial_calls() {
    start().await;
    // 1 failure of 4 trial calls: 25% < 50%, closes, although a trial call failed.
    let breaker = rated_half_open(CircuitBreakerConfig::new().with_half_open_max_calls(4)).await;
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
    let breaker = rated_half_open(CircuitBreakerConfig::new().with_half_open_max_calls(4)).await;
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
    let breaker = rated_half_open(CircuitBreakerConfig::new().with_half_open_max_calls(2)).await;
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
    let breaker = rated_half_open(CircuitBreakerConfig::new().with_half_open_max_calls(2)).await;
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

#[tokio::test(start_paused = true)]
async fn max_wait_in_half_open_reopens_on_the_next_call() {
    start().await;
    let breaker = tripped(
        CircuitBreakerConfig::new()
            .with_recovery_timeout(SEC)
            .with_success_threshold(2)
            .with_max_wait_in_half_open(SEC * 10),
    );
    advance(SEC).await;
    let stuck = breaker.try_acquire().expect("trial");
    let (_subscription, events) = record_events(&breaker);
    advance(SEC * 10 - Duration::from_nanos(1)).await;
    let second = breaker.try_acquire().expect("still within the wait");
    assert_eq!(retry_after(breaker.try_acquire()), None, "no permits left");
    advance(Duration::from_nanos(1)).await;
    assert_eq!(breaker.state(), CircuitState::HalfOpen, "lazily");
    assert_eq!(retry_after(breaker.try_acquire()), Some(SEC));
    assert_eq!(breaker.state(), CircuitState::Open);
    assert_eq!(
        *events.lock().unwrap(),
        ["half_open → open (no decision within 10s in half-open)"]
    );
    // The stuck trial calls end in a period that is over: no effect.
    stuck.record_success();
    second.record_success();
    assert_eq!(breaker.state(), CircuitState::Open);
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

#[tokio::test(start_paused = true)]
async fn disabled_passes_everything_and_records_nothing() {
    start().await;
    let breaker = breaker(CircuitBreakerConfig::new().with_failure_threshold(1));
    let (_subscription, events) = record_events(&breaker);
    breaker.disable();
    breaker.disable(); // already disabled: nothing happens
    assert_eq!(breaker.state(), CircuitState::Disabled);
    for _ in 0..10 {
        fail(&breaker);
        breaker.try_acquire().expect("passes").record_ignored();
    }
    let metrics = breaker.metrics();
    assert_eq!(
        (
            metrics.failed,
            metrics.ignored,
            metrics.consecutive_failures
        ),
        (0, 0, 0)
    );
    assert_eq!(breaker.state(), CircuitState::Disabled);
    breaker.close();
    fail(&breaker);
    assert_eq!(breaker.state(), CircuitState::Open);
    assert_eq!(
        *events.lock().unwrap(),
        [
            "closed → disabled (disabled)",
            "disabled → closed (closed by hand)",
            "closed → open (1 consecutive failures)"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn metrics_only_records_but_never_opens() {
    start().await;
    let breaker = breaker(
        CircuitBreakerConfig::new()
            .with_failure_rate(50)
            .with_window_calls(4)
            .with_minimum_calls(4),
    );
    fail(&breaker);
    breaker.metrics_only();
    assert_eq!(breaker.state(), CircuitState::MetricsOnly);
    assert_eq!(breaker.metrics().calls_in_window, 0, "a fresh window");
    for _ in 0..8 {
        fail(&breaker);
    }
    let metrics = breaker.metrics();
    assert_eq!(breaker.state(), CircuitState::MetricsOnly);
    assert_eq!(metrics.failed, 9);
    assert_eq!(metrics.failure_rate, Some(100.0));
    assert_eq!(metrics.consecutive_failures, 8);
    // Back to closed with a fresh window: it takes new calls to open.
    breaker.close();
    assert_eq!(breaker.metrics().calls_in_window, 0);
    for _ in 0..3 {
        fail(&breaker);
    }
    assert_eq!(breaker.state(), CircuitState::Closed);
    fail(&breaker);
    assert_eq!(breaker.state(), CircuitState::Open);
}

#[tokio::test(start_paused = true)]
async fn manual_transitions_and_no_event_for_the_current_state() {
    start().await;
    let breaker = tripped(CircuitBreakerConfig::new().with_recovery_timeout(SEC * 60));
    let (_subscription, events) = record_events(&breaker);
    breaker.close();
    assert_eq!(breaker.state(), CircuitState::Closed);
    succeed(&breaker);
    breaker.close(); // closed already
    breaker.reset(); // a fresh period, counts cleared, no event
    assert_eq!(breaker.metrics().successful, 0);
    breaker.force_open();
    breaker.force_open();
    breaker.metrics_only();
    breaker.metrics_only();
    breaker.reset();
    assert_eq!(
        *events.lock().unwrap(),
        [
            "open → closed (closed by hand)",
            "closed → forced_open (forced open)",
            "forced_open → metrics_only (metrics only)",
            "metrics_only → closed (reset)"
        ]
    );
    assert_eq!(breaker.metrics().transitions, 5);
}

#[tokio::test(start_paused = true)]
async fn events_reach_subscribers_in_order_and_unsubscribe_on_drop() {
    start().await;
    let breaker = breaker(
        CircuitBreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(SEC)
            .with_success_threshold(1),
    );
    let (subscription, events) = record_events(&breaker);
    let (detached, kept) = record_events(&breaker);
    detached.detach();
    assert_eq!(breaker.subscribers(), 2);
    fail(&breaker);
    advance(SEC).await;
    succeed(&breaker);
    let expected = [
        "closed → open (1 consecutive failures)",
        "open → half_open (open for 1s)",
        "half_open → closed (1 successful trial calls)",
    ];
    assert_eq!(*events.lock().unwrap(), expected);
    drop(subscription);
    assert_eq!(breaker.subscribers(), 1);
    fail(&breaker);
    assert_eq!(events.lock().unwrap().len(), 3, "unsubscribed");
    assert_eq!(kept.lock().unwrap().len(), 4, "detached stays");

    // The ring keeps the last RECENT_TRANSITIONS, oldest first, and serializes.
    for _ in 0..20 {
        breaker.close();
        fail(&breaker);
    }
    let recent = breaker.recent_transitions();
    assert_eq!(recent.len(), RECENT_TRANSITIONS);
    assert_eq!(recent.last().unwrap().to, CircuitState::Open);
    assert_eq!(recent.last().unwrap().from, CircuitState::Closed);
    let json = serde_json::to_value(breaker.snapshot()).unwrap();
    let last = &json["recent_transitions"][RECENT_TRANSITIONS - 1];
    assert_eq!(last["reason"], "1 consecutive failures");
    assert_eq!(last["to"], "open");
    assert!(last["at_unix_ms"].as_u64().unwrap() > 0);
    // A subscription outliving its breaker drops quietly.
    let orphan = breaker.subscribe(|_| {});
    drop(breaker);
    drop(orphan);
}

#[tokio::test(start_paused = true)]
async fn panicking_subscriber_does_not_break_calls() {
    start().await;
    let breaker = breaker(
        CircuitBreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(SEC),
    );
    let _panics = breaker.subscribe(|_| panic!("subscriber bug"));
    let (_subscription, events) = record_events(&breaker);
    let outcome: Result<(), Error> = breaker.call(async { Err(Error::timeout(SEC)) }).await;
    assert!(matches!(outcome, Err(Error::Timeout { .. })));
    assert_eq!(breaker.state(), CircuitState::Open);
    assert_eq!(
        events.lock().unwrap().len(),
        1,
        "later subscribers still hear it"
    );
    advance(SEC).await;
    breaker.try_acquire().expect("trial").record_success();
    assert_eq!(events.lock().unwrap().len(), 2);
}

#[test]
fn a_subscriber_may_call_into_the_breaker() {
    let breaker = std::sync::Arc::new(breaker(
        CircuitBreakerConfig::new().with_failure_threshold(1),
    ));
    let weak = std::sync::Arc::downgrade(&breaker);
    let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&seen);
    breaker
        .subscribe(move |event| {
            sink.lock().unwrap().push(event.to);
            // Reset as soon as it opens: a transition from inside a callback.
            if event.to == CircuitState::Open
                && let Some(breaker) = weak.upgrade()
            {
                breaker.close();
            }
        })
        .detach();
    fail(&breaker);
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(
        *seen.lock().unwrap(),
        [CircuitState::Open, CircuitState::Closed]
    );
}

/// Events from transitions made by many threads at once arrive in generation order.
#[test]
fn concurrent_transitions_deliver_events_in_order() {
    const THREADS: usize = 4;
    let breaker = CircuitBreaker::new("ordered", CircuitBreakerConfig::new());
    let (_subscription, events) = record_events(&breaker);
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (breaker, barrier) = (&breaker, &barrier);
            scope.spawn(move || {
                barrier.wait();
                for i in 0..500 {
                    match (thread + i) % 4 {
                        0 => breaker.force_open(),
                        1 => breaker.close(),
                        2 => breaker.metrics_only(),
                        _ => breaker.disable(),
                    }
                }
            });
        }
    });
    let events = events.lock().unwrap();
    assert_eq!(events.len() as u64, breaker.metrics().transitions);
    // In order, each event starts where the previous one ended.
    for pair in events.windows(2) {
        let previous_to = pair[0]
            .split(" → ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        let from = pair[1].split(" → ").next().unwrap();
        assert_eq!(previous_to, from, "{pair:?}");
    }
    let last_to = events
        .last()
        .unwrap()
        .split(" → ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert_eq!(last_to, breaker.state().as_str());
}

//! A tower layer's response future gives back everything it holds when it is dropped at any
//! point, or when the inner service panics: bulkhead slots, a half-open breaker's trial
//! permit, a rate limiter's place in line, a retry's sleep. Polled again after it completed,
//! it answers an error rather than panicking.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::Poll;
use std::time::Duration;

use resilience_runtime::bulkhead::BulkheadConfig;
use resilience_runtime::circuit_breaker::{CircuitBreakerConfig, CircuitState};
use resilience_runtime::rate_limit::{Rate, RateLimitConfig};
use resilience_runtime::retry::{BackoffKind, Jitter, RetryConfig};
use resilience_runtime::tower::{BulkheadLayer, CircuitBreakerLayer, RateLimitLayer, RetryLayer};
use resilience_runtime::{Error, registry};
use tokio::time::{Instant, sleep, timeout};
use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};

const MS: fn(u64) -> Duration = Duration::from_millis;

async fn send<S: Service<Req>, Req>(
    service: &mut S,
    request: Req,
) -> Result<S::Response, S::Error> {
    service.ready().await?.call(request).await
}

/// Holds for the duration it is sent, then answers.
fn holding() -> impl Service<Duration, Response = (), Error = BoxError> + Clone {
    service_fn(|hold: Duration| async move {
        sleep(hold).await;
        Ok::<_, BoxError>(())
    })
}

/// Panics in its response future, or, for `true`, in `call` itself.
fn panicking() -> impl Service<bool, Response = (), Error = BoxError, Future: Send> + Clone {
    service_fn(|in_call: bool| {
        assert!(!in_call, "the service panics in call");
        async {
            sleep(MS(1)).await;
            panic!("the service panics in its future")
        }
    })
}

#[tokio::test(start_paused = true)]
async fn a_dropped_call_gives_its_bulkhead_slot_back_running_or_waiting() {
    let config = BulkheadConfig::new(1).with_max_wait(Duration::from_secs(10));
    let mut service = ServiceBuilder::new()
        .layer(BulkheadLayer::new("tower-cancel-pool", config))
        .service(holding());
    let pool = registry().bulkhead("tower-cancel-pool").unwrap();

    // Dropped while the inner call runs.
    let running = send(&mut service, Duration::from_secs(5));
    assert!(timeout(MS(100), running).await.is_err());
    assert_eq!(pool.in_flight(), 0);

    // Dropped while waiting for the slot another call holds.
    let first = service.ready().await.unwrap().call(Duration::from_secs(1));
    let waiting = service.ready().await.unwrap().call(MS(1));
    let (first, cut) = tokio::join!(first, timeout(MS(100), waiting));
    assert!(first.is_ok() && cut.is_err());
    assert_eq!(pool.in_flight(), 0);

    let start = Instant::now();
    send(&mut service, MS(1)).await.unwrap();
    assert_eq!(start.elapsed(), MS(1), "the slot was free at once");
}

#[tokio::test(start_paused = true)]
async fn a_dropped_trial_call_gives_its_permit_back() {
    let config = CircuitBreakerConfig::new()
        .with_failure_threshold(1)
        .with_success_threshold(1)
        .with_recovery_timeout(Duration::from_secs(1));
    let mut service = ServiceBuilder::new()
        .layer(CircuitBreakerLayer::new("tower-cancel-breaker", config))
        .service(holding());
    let breaker = registry().circuit_breaker("tower-cancel-breaker").unwrap();
    breaker.try_acquire().unwrap().record_failure();
    sleep(Duration::from_secs(1)).await;

    // The only trial permit, taken and dropped mid-call.
    let trial = send(&mut service, Duration::from_secs(5));
    assert!(timeout(MS(100), trial).await.is_err());
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    assert_eq!(breaker.metrics().trial_permits_left, Some(1));

    send(&mut service, MS(1)).await.unwrap();
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.metrics().ignored, 1);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_waiter_gives_its_place_in_line_back() {
    let config = RateLimitConfig::new(Rate::per_second(1))
        .with_burst(1)
        .with_max_wait(Duration::from_secs(10));
    let mut service = ServiceBuilder::new()
        .layer(RateLimitLayer::new("tower-cancel-limit", config))
        .service(holding());
    let start = Instant::now();

    send(&mut service, Duration::ZERO).await.unwrap();
    // Waits for the permit at 1s, and is dropped before.
    let waiting = send(&mut service, Duration::ZERO);
    assert!(timeout(MS(100), waiting).await.is_err());
    // The next call gets that permit, at 1s, not the one after it.
    send(&mut service, Duration::ZERO).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    let metrics = registry()
        .rate_limiter("tower-cancel-limit")
        .unwrap()
        .metrics();
    assert_eq!(metrics.waiting, 0);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_retry_stops_in_its_sleep() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let policy = RetryConfig::new()
        .with_max_attempts(5)
        .with_backoff(BackoffKind::Fixed)
        .with_initial_delay(Duration::from_secs(10))
        .with_jitter(Jitter::None);
    let mut service = ServiceBuilder::new()
        .layer(RetryLayer::new("tower-cancel-retry", policy))
        .service(service_fn(move |()| {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>(BoxError::from("down")) }
        }));

    assert!(
        timeout(Duration::from_secs(1), send(&mut service, ()))
            .await
            .is_err()
    );
    sleep(Duration::from_secs(60)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1, "no attempt after the drop");
}

#[tokio::test(start_paused = true)]
async fn a_panicking_service_releases_slots_and_trial_permits() {
    let config = CircuitBreakerConfig::new()
        .with_failure_threshold(1)
        .with_success_threshold(1)
        .with_recovery_timeout(Duration::from_secs(1));
    let mut service = ServiceBuilder::new()
        .layer(CircuitBreakerLayer::new(
            "tower-cancel-panic-breaker",
            config,
        ))
        .layer(BulkheadLayer::new(
            "tower-cancel-panic-pool",
            BulkheadConfig::new(1),
        ))
        .service(panicking());
    let breaker = registry()
        .circuit_breaker("tower-cancel-panic-breaker")
        .unwrap();
    let pool = registry().bulkhead("tower-cancel-panic-pool").unwrap();
    breaker.try_acquire().unwrap().record_failure();
    sleep(Duration::from_secs(1)).await;

    // In the response future, on a task of its own.
    let future = service.ready().await.unwrap().call(false);
    let panicked = tokio::spawn(future).await.unwrap_err();
    assert!(panicked.is_panic());
    assert_eq!(pool.in_flight(), 0);
    assert_eq!(breaker.metrics().trial_permits_left, Some(1));

    // In `call`.
    let ready = service.ready().await.unwrap();
    let panicked = std::panic::catch_unwind(AssertUnwindSafe(|| ready.call(true)));
    assert!(panicked.is_err());
    assert_eq!(pool.in_flight(), 0);
    assert_eq!(breaker.metrics().trial_permits_left, Some(1));
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
}

#[tokio::test(start_paused = true)]
async fn a_future_polled_after_it_completed_answers_an_error() {
    let mut service = ServiceBuilder::new()
        .layer(BulkheadLayer::new(
            "tower-cancel-full",
            BulkheadConfig::new(0),
        ))
        .service(holding());
    let mut future = std::pin::pin!(service.ready().await.unwrap().call(MS(1)));
    let Poll::Ready(Err(full)) = futures::poll!(future.as_mut()) else {
        panic!("a full bulkhead answers at once");
    };
    assert_eq!(
        full.downcast_ref::<Error>(),
        Some(&Error::bulkhead_full("tower-cancel-full", 0))
    );
    let Poll::Ready(Err(again)) = futures::poll!(future.as_mut()) else {
        panic!("polled again, it answers at once");
    };
    assert!(again.downcast_ref::<Error>().is_none());
    assert_eq!(
        again.to_string(),
        "a response future was polled after it completed"
    );
}

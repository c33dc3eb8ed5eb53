//! Tower layers stacked in a `ServiceBuilder` behave as the attributes stacked in the same
//! order: the first `.layer(..)` is the outermost, a rejection is not a failure for an outer
//! breaker, a retry waits out an inner rate limit's `retry_after` and never retries an open
//! circuit, and a timeout inside a retry limits each attempt, outside all of them. Each
//! scenario runs through an attribute stack and the tower stack of the same order, with
//! instances of their own, and compares.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilience_runtime::bulkhead::BulkheadConfig;
use resilience_runtime::circuit_breaker::{CircuitBreakerConfig, CircuitState};
use resilience_runtime::rate_limit::{OnLimit, Rate, RateLimitConfig};
use resilience_runtime::retry::{BackoffKind, Jitter, RetryConfig};
use resilience_runtime::tower::{
    BulkheadLayer, CircuitBreakerLayer, RateLimitLayer, RetryLayer, TimeoutLayer,
};
use resilience_runtime::{Error, circuit_breaker, rate_limit, registry, retry, timeout};
use resilience_tests::ServiceError;
use tokio::time::{Instant, sleep};
use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};

const MS: fn(u64) -> Duration = Duration::from_millis;

async fn send<S: Service<Req>, Req>(
    service: &mut S,
    request: Req,
) -> Result<S::Response, S::Error> {
    service.ready().await?.call(request).await
}

fn layer_error(error: &BoxError) -> Option<&Error> {
    error.downcast_ref()
}

fn fixed(attempts: u32, delay: Duration) -> RetryConfig {
    RetryConfig::new()
        .with_max_attempts(attempts)
        .with_backoff(BackoffKind::Fixed)
        .with_initial_delay(delay)
        .with_jitter(Jitter::None)
}

fn one_per_second() -> RateLimitConfig {
    RateLimitConfig::new(Rate::per_second(1))
        .with_burst(1)
        .with_on_limit(OnLimit::Reject)
}

fn ok_service() -> impl Service<(), Response = (), Error = BoxError> + Clone {
    service_fn(|()| async { Ok::<_, BoxError>(()) })
}

#[circuit_breaker(name = "tower-stack-attr-guarded", failure_threshold = 1)]
#[rate_limit(
    name = "tower-stack-attr-guarded-limit",
    rate = "1/s",
    burst = 1,
    on_limit = "reject"
)]
async fn guarded() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_outer_breaker_does_not_count_an_inner_rejection() {
    let mut service = ServiceBuilder::new()
        .layer(CircuitBreakerLayer::new(
            "tower-stack-guarded",
            CircuitBreakerConfig::new().with_failure_threshold(1),
        ))
        .layer(RateLimitLayer::new(
            "tower-stack-guarded-limit",
            one_per_second(),
        ))
        .layer(BulkheadLayer::new(
            "tower-stack-guarded-pool",
            BulkheadConfig::new(1),
        ))
        .service(service_fn(|hold: Duration| async move {
            sleep(hold).await;
            Ok::<_, BoxError>(())
        }));

    assert!(guarded().await.is_ok());
    assert!(send(&mut service, MS(1)).await.is_ok());
    assert!(matches!(
        guarded().await,
        Err(ServiceError::Resilience(Error::RateLimited { .. }))
    ));
    let limited = send(&mut service, MS(1)).await.unwrap_err();
    assert!(matches!(
        layer_error(&limited),
        Some(Error::RateLimited { .. })
    ));

    // A full bulkhead, the innermost layer, is a rejection too.
    sleep(Duration::from_secs(1)).await;
    let holding = service.ready().await.unwrap().call(Duration::from_secs(5));
    sleep(Duration::from_secs(1)).await;
    let full = send(&mut service, MS(1)).await.unwrap_err();
    assert!(matches!(
        layer_error(&full),
        Some(Error::BulkheadFull { .. })
    ));
    holding.await.unwrap();

    for name in ["tower-stack-attr-guarded", "tower-stack-guarded"] {
        let breaker = registry().circuit_breaker(name).unwrap();
        assert_eq!(breaker.state(), CircuitState::Closed, "{name}");
        assert_eq!(breaker.metrics().failed, 0, "{name}");
    }
    let tower = registry().circuit_breaker("tower-stack-guarded").unwrap();
    assert_eq!(
        (tower.metrics().successful, tower.metrics().ignored),
        (2, 2)
    );
}

#[circuit_breaker(name = "tower-stack-attr-timed", failure_threshold = 1)]
#[timeout("100ms")]
async fn timed() -> Result<(), ServiceError> {
    sleep(Duration::from_secs(1)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_outer_breaker_counts_an_inner_timeout() {
    let mut service = ServiceBuilder::new()
        .layer(CircuitBreakerLayer::new(
            "tower-stack-timed",
            CircuitBreakerConfig::new().with_failure_threshold(1),
        ))
        .layer(TimeoutLayer::new(MS(100)))
        .service(service_fn(|()| async {
            sleep(Duration::from_secs(1)).await;
            Ok::<_, BoxError>(())
        }));

    assert!(matches!(
        timed().await,
        Err(ServiceError::Resilience(Error::Timeout { .. }))
    ));
    let timed_out = send(&mut service, ()).await.unwrap_err();
    assert_eq!(layer_error(&timed_out), Some(&Error::timeout(MS(100))));
    for name in ["tower-stack-attr-timed", "tower-stack-timed"] {
        let breaker = registry().circuit_breaker(name).unwrap();
        assert_eq!(breaker.state(), CircuitState::Open, "{name}");
    }
}

#[retry(
    max_attempts = 3,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none"
)]
#[rate_limit(
    name = "tower-stack-attr-metered",
    rate = "1/s",
    burst = 1,
    on_limit = "reject"
)]
async fn metered() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_retry_waits_out_an_inner_rate_limit() {
    let mut service = ServiceBuilder::new()
        .layer(RetryLayer::new(
            "tower-stack-metered-retry",
            fixed(3, MS(10)),
        ))
        .layer(RateLimitLayer::new("tower-stack-metered", one_per_second()))
        .service(ok_service());

    // The second call is limited, and waits the limiter's second rather than the 10ms backoff.
    let start = Instant::now();
    metered().await.unwrap();
    metered().await.unwrap();
    let by_attributes = start.elapsed();
    let start = Instant::now();
    send(&mut service, ()).await.unwrap();
    send(&mut service, ()).await.unwrap();
    assert_eq!(start.elapsed(), by_attributes);
    assert_eq!(by_attributes, Duration::from_secs(1));
}

static ATTR_OPENED_CALLS: AtomicU32 = AtomicU32::new(0);

#[retry(
    max_attempts = 3,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none"
)]
#[circuit_breaker(
    name = "tower-stack-attr-opened",
    failure_threshold = 1,
    recovery_timeout = "1m"
)]
async fn opened() -> Result<(), ServiceError> {
    ATTR_OPENED_CALLS.fetch_add(1, Ordering::SeqCst);
    Err(ServiceError::Transient(String::from("down")))
}

#[tokio::test(start_paused = true)]
async fn a_retry_never_retries_an_open_circuit() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let mut service = ServiceBuilder::new()
        .layer(RetryLayer::new(
            "tower-stack-opened-retry",
            fixed(3, MS(10)),
        ))
        .layer(CircuitBreakerLayer::new(
            "tower-stack-opened",
            CircuitBreakerConfig::new()
                .with_failure_threshold(1)
                .with_recovery_timeout(Duration::from_secs(60)),
        ))
        .service(service_fn(move |()| {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>(BoxError::from("down")) }
        }));

    // The first attempt fails and opens the breaker; the second is rejected, and that ends it.
    let start = Instant::now();
    assert!(matches!(
        opened().await,
        Err(ServiceError::Resilience(Error::CircuitOpen { .. }))
    ));
    let by_attributes = start.elapsed();
    let start = Instant::now();
    let rejected = send(&mut service, ()).await.unwrap_err();
    assert!(matches!(
        layer_error(&rejected),
        Some(Error::CircuitOpen { .. })
    ));
    assert_eq!(start.elapsed(), by_attributes);
    assert_eq!(by_attributes, MS(10));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(ATTR_OPENED_CALLS.load(Ordering::SeqCst), 1);
    let metrics = registry()
        .retry("tower-stack-opened-retry")
        .unwrap()
        .metrics();
    assert_eq!((metrics.retries, metrics.exhausted), (1, 1));
}

/// Sleeps 10s on its first two calls (the count in `calls`), then answers at once.
fn slow_twice(
    calls: &Arc<AtomicU32>,
) -> impl Service<(), Response = u32, Error = BoxError> + Clone {
    let calls = Arc::clone(calls);
    service_fn(move |()| {
        let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            if call < 3 {
                sleep(Duration::from_secs(10)).await;
            }
            Ok::<_, BoxError>(call)
        }
    })
}

static ATTR_PER_ATTEMPT_CALLS: AtomicU32 = AtomicU32::new(0);

#[retry(
    max_attempts = 3,
    backoff = "fixed",
    initial_delay = "100ms",
    jitter = "none"
)]
#[timeout("1s")]
async fn per_attempt() -> Result<u32, ServiceError> {
    let call = ATTR_PER_ATTEMPT_CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    if call < 3 {
        sleep(Duration::from_secs(10)).await;
    }
    Ok(call)
}

#[tokio::test(start_paused = true)]
async fn a_timeout_inside_a_retry_limits_each_attempt() {
    let calls = Arc::new(AtomicU32::new(0));
    let mut service = ServiceBuilder::new()
        .layer(RetryLayer::new(
            "tower-stack-per-attempt",
            fixed(3, MS(100)),
        ))
        .layer(TimeoutLayer::new(Duration::from_secs(1)))
        .service(slow_twice(&calls));

    let start = Instant::now();
    assert_eq!(per_attempt().await, Ok(3));
    let by_attributes = start.elapsed();
    let start = Instant::now();
    assert_eq!(send(&mut service, ()).await.unwrap(), 3);
    assert_eq!(start.elapsed(), by_attributes);
    // Two attempts cut at 1s each, two 100ms pauses, then a quick success.
    assert_eq!(by_attributes, MS(2200));
}

static ATTR_IN_TOTAL_CALLS: AtomicU32 = AtomicU32::new(0);

#[timeout("1s")]
#[retry(
    max_attempts = 10,
    backoff = "fixed",
    initial_delay = "100ms",
    jitter = "none"
)]
async fn in_total() -> Result<(), ServiceError> {
    ATTR_IN_TOTAL_CALLS.fetch_add(1, Ordering::SeqCst);
    sleep(MS(400)).await;
    Err(ServiceError::Transient(String::from("slow")))
}

#[tokio::test(start_paused = true)]
async fn a_timeout_outside_a_retry_limits_all_attempts() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let mut service = ServiceBuilder::new()
        .layer(TimeoutLayer::new(Duration::from_secs(1)))
        .layer(RetryLayer::new("tower-stack-in-total", fixed(10, MS(100))))
        .service(service_fn(move |()| {
            counted.fetch_add(1, Ordering::SeqCst);
            async {
                sleep(MS(400)).await;
                Err::<(), _>(BoxError::from("slow"))
            }
        }));

    let start = Instant::now();
    assert!(matches!(
        in_total().await,
        Err(ServiceError::Resilience(Error::Timeout { .. }))
    ));
    let by_attributes = start.elapsed();
    let start = Instant::now();
    let timed_out = send(&mut service, ()).await.unwrap_err();
    assert_eq!(
        layer_error(&timed_out),
        Some(&Error::timeout(Duration::from_secs(1)))
    );
    assert_eq!(start.elapsed(), by_attributes);
    assert_eq!(by_attributes, Duration::from_secs(1));
    // 0–400ms, 500–900ms, then cut at 1000ms during the third attempt.
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(ATTR_IN_TOTAL_CALLS.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn an_outer_breaker_judges_the_outcome_after_the_retries() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let mut service = ServiceBuilder::new()
        .layer(CircuitBreakerLayer::new(
            "tower-stack-after-retries",
            CircuitBreakerConfig::new().with_failure_threshold(1),
        ))
        .layer(RetryLayer::new(
            "tower-stack-after-retries-retry",
            fixed(3, MS(10)),
        ))
        .service(service_fn(move |()| {
            let call = counted.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if call < 3 {
                    Err(BoxError::from("flaky"))
                } else {
                    Ok(call)
                }
            }
        }));

    assert_eq!(send(&mut service, ()).await.unwrap(), 3);
    let breaker = registry()
        .circuit_breaker("tower-stack-after-retries")
        .unwrap();
    assert_eq!(breaker.state(), CircuitState::Closed);
    let metrics = breaker.metrics();
    assert_eq!(
        (metrics.successful, metrics.failed),
        (1, 0),
        "one call, one success"
    );
}

//! Fused stacks: source order, per-attempt semantics, and how layers read each other's errors.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilience_runtime::circuit_breaker::CircuitState;
use resilience_runtime::{
    Error, bulkhead, circuit_breaker, fallback, rate_limit, registry, retry, timeout,
};
use resilience_tests::ServiceError;
use tokio::time::{Instant, sleep};

fn transient() -> ServiceError {
    ServiceError::Transient(String::from("flaky"))
}

static PER_ATTEMPT_CALLS: AtomicU32 = AtomicU32::new(0);

/// Retry outside, timeout inside: each attempt has its own second.
#[retry(
    max_attempts = 3,
    backoff = "fixed",
    initial_delay = "100ms",
    jitter = "none"
)]
#[timeout("1s")]
async fn timeout_per_attempt() -> Result<u32, ServiceError> {
    let call = PER_ATTEMPT_CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    if call < 3 {
        sleep(Duration::from_secs(10)).await;
    }
    Ok(call)
}

#[tokio::test(start_paused = true)]
async fn inner_timeout_bounds_each_attempt() {
    let start = Instant::now();
    assert_eq!(timeout_per_attempt().await, Ok(3));
    // Two attempts cut at 1s each, two 100ms pauses, then a quick success.
    assert_eq!(start.elapsed(), Duration::from_millis(2200));
}

static TOTAL_CALLS: AtomicU32 = AtomicU32::new(0);

/// Timeout outside, retry inside: one second for everything.
#[timeout("1s")]
#[retry(
    max_attempts = 10,
    backoff = "fixed",
    initial_delay = "100ms",
    jitter = "none"
)]
async fn timeout_in_total() -> Result<u32, ServiceError> {
    TOTAL_CALLS.fetch_add(1, Ordering::SeqCst);
    sleep(Duration::from_millis(400)).await;
    Err(transient())
}

#[tokio::test(start_paused = true)]
async fn outer_timeout_bounds_all_attempts() {
    let start = Instant::now();
    let result = timeout_in_total().await;
    assert!(
        matches!(result, Err(ServiceError::Resilience(Error::Timeout { after, .. })) if after == Duration::from_secs(1)),
        "{result:?}"
    );
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    // 0–400ms, 500–900ms, then cut at 1000ms during the third attempt.
    assert_eq!(TOTAL_CALLS.load(Ordering::SeqCst), 3);
}

#[circuit_breaker(name = "stacking-limited-breaker", failure_threshold = 2)]
#[rate_limit(
    name = "stacking-limited",
    rate = "1/s",
    burst = 1,
    on_limit = "reject"
)]
async fn limited() -> Result<(), ServiceError> {
    Ok(())
}

#[circuit_breaker(name = "stacking-full-breaker", failure_threshold = 1)]
#[bulkhead(name = "stacking-full", max_concurrent = 1)]
async fn crowded(hold: Duration) -> Result<(), ServiceError> {
    sleep(hold).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn outer_breaker_does_not_count_inner_rejections() {
    assert_eq!(limited().await, Ok(()));
    for _ in 0..5 {
        let result = limited().await;
        assert!(
            matches!(
                result,
                Err(ServiceError::Resilience(Error::RateLimited { .. }))
            ),
            "{result:?}"
        );
    }
    let breaker = registry()
        .circuit_breaker("stacking-limited-breaker")
        .unwrap();
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.metrics().failed, 0);

    let holder = tokio::spawn(crowded(Duration::from_secs(5)));
    tokio::task::yield_now().await;
    for _ in 0..3 {
        let result = crowded(Duration::ZERO).await;
        assert!(
            matches!(
                result,
                Err(ServiceError::Resilience(Error::BulkheadFull { .. }))
            ),
            "{result:?}"
        );
    }
    assert_eq!(holder.await.unwrap(), Ok(()));
    let breaker = registry().circuit_breaker("stacking-full-breaker").unwrap();
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.metrics().failed, 0);
}

static OPEN_CALLS: AtomicU32 = AtomicU32::new(0);

#[retry(
    max_attempts = 5,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none"
)]
#[circuit_breaker(
    name = "stacking-opens",
    failure_threshold = 1,
    recovery_timeout = "1h"
)]
async fn opens_at_once() -> Result<(), ServiceError> {
    OPEN_CALLS.fetch_add(1, Ordering::SeqCst);
    Err(transient())
}

#[tokio::test(start_paused = true)]
async fn retry_does_not_retry_an_open_circuit() {
    let start = Instant::now();
    let result = opens_at_once().await;
    assert!(
        matches!(
            result,
            Err(ServiceError::Resilience(Error::CircuitOpen {
                name: "stacking-opens",
                ..
            }))
        ),
        "{result:?}"
    );
    // The first attempt failed and opened the breaker; the second was rejected and not retried.
    assert_eq!(OPEN_CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(start.elapsed(), Duration::from_millis(10));
}

#[retry(
    max_attempts = 3,
    initial_delay = "1ms",
    max_delay = "10s",
    jitter = "none"
)]
#[rate_limit(name = "stacking-waits", rate = "1/2s", burst = 1, on_limit = "reject")]
async fn waits_out_the_limit() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn retry_waits_out_a_rate_limit() {
    assert_eq!(waits_out_the_limit().await, Ok(()));
    let start = Instant::now();
    assert_eq!(waits_out_the_limit().await, Ok(()));
    // The limiter said "retry after 2s"; the retry slept exactly that instead of 1ms.
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

fn cached(error: ServiceError) -> Result<&'static str, ServiceError> {
    match error {
        ServiceError::Resilience(Error::CircuitOpen { .. }) => Ok("cached while open"),
        ServiceError::Transient(_) => Ok("cached after failure"),
        other => Err(other),
    }
}

#[fallback(cached)]
#[circuit_breaker(
    name = "stacking-fallback",
    failure_threshold = 2,
    recovery_timeout = "1h"
)]
async fn with_fallback(fail: bool) -> Result<&'static str, ServiceError> {
    if fail { Err(transient()) } else { Ok("fresh") }
}

#[tokio::test(start_paused = true)]
async fn fallback_sees_the_error_of_the_layers_below() {
    assert_eq!(with_fallback(false).await, Ok("fresh"));
    assert_eq!(with_fallback(true).await, Ok("cached after failure"));
    assert_eq!(with_fallback(true).await, Ok("cached after failure"));
    assert_eq!(with_fallback(false).await, Ok("cached while open"));
}

static SHARED_CALLS: AtomicU32 = AtomicU32::new(0);

#[circuit_breaker(name = "stacking-shared")]
async fn adopts_shared() -> Result<(), ServiceError> {
    SHARED_CALLS.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

#[circuit_breaker(
    name = "stacking-shared",
    failure_threshold = 2,
    recovery_timeout = "1h"
)]
async fn declares_shared() -> Result<(), ServiceError> {
    Err(transient())
}

#[tokio::test(start_paused = true)]
async fn breakers_are_shared_by_name_and_adopted_whichever_site_runs_first() {
    // The adopting site runs first, yet it gets the declared configuration.
    assert_eq!(adopts_shared().await, Ok(()));
    let breaker = registry().circuit_breaker("stacking-shared").unwrap();
    assert_eq!(breaker.config().failure_threshold(), 2);
    assert!(declares_shared().await.is_err());
    assert!(declares_shared().await.is_err());
    assert_eq!(breaker.state(), CircuitState::Open);
    let result = adopts_shared().await;
    assert!(
        matches!(
            result,
            Err(ServiceError::Resilience(Error::CircuitOpen { .. }))
        ),
        "{result:?}"
    );
    assert_eq!(SHARED_CALLS.load(Ordering::SeqCst), 1);
}

#[bulkhead(name = "stacking-conflict", max_concurrent = 4)]
async fn declares_four() -> Result<(), ServiceError> {
    Ok(())
}

#[bulkhead(name = "stacking-conflict", max_concurrent = 8)]
async fn declares_eight() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn conflicting_declarations_are_reported_and_the_first_wins() {
    assert_eq!(declares_eight().await, Ok(()));
    assert_eq!(declares_four().await, Ok(()));
    let bulkhead = registry().bulkhead("stacking-conflict").unwrap();
    // Source order: `declares_four` comes first in this file.
    assert_eq!(bulkhead.max_concurrent(), 4);
    let conflicts = registry().snapshot().conflicts;
    let conflict = conflicts
        .iter()
        .find(|conflict| conflict.name == "stacking-conflict")
        .expect("the conflict is listed");
    assert_eq!(conflict.kind, "bulkhead");
    assert!(
        conflict.kept.contains('4') && conflict.ignored.contains('8'),
        "{conflict:?}"
    );
}

/// A timeout right above a waiting rate limit (through a breaker): the limit decides at the
/// instant the timeout started counting, and its wait counts against the timeout.
#[timeout("1500ms")]
#[circuit_breaker(name = "stacking-timed-limit-breaker")]
#[rate_limit(
    name = "stacking-timed-limit",
    rate = "1/s",
    burst = 1,
    max_wait = "5s"
)]
async fn timed_limit() -> Result<Instant, ServiceError> {
    Ok(Instant::now())
}

#[tokio::test(start_paused = true)]
async fn a_timeout_counts_the_wait_of_the_rate_limit_below_it() {
    let start = Instant::now();
    assert_eq!(timed_limit().await, Ok(start));
    // The next permit is a second away: within the 1.5s limit.
    assert_eq!(timed_limit().await, Ok(start + Duration::from_secs(1)));
    // Two callers at once: the second's permit is two seconds away, past its limit.
    let (first, second) = tokio::join!(timed_limit(), timed_limit());
    assert_eq!(first, Ok(start + Duration::from_secs(2)));
    assert!(matches!(
        second,
        Err(ServiceError::Resilience(Error::Timeout { .. }))
    ));
    assert_eq!(start.elapsed(), Duration::from_millis(2500));
    // The timed-out waiter gave its reservation back: the next permit is due at 3s.
    assert_eq!(timed_limit().await, Ok(start + Duration::from_secs(3)));
}

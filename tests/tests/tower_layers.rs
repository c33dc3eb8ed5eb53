//! Each tower layer alone, on the paused clock: what it lets through, what it refuses (a
//! `resilience_runtime::Error` inside the `BoxError`), and what its registry instance counts.

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
use resilience_runtime::{Error, registry};
use tokio::time::{Instant, sleep};
use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};

const MS: fn(u64) -> Duration = Duration::from_millis;

/// One request through `service`, waiting for it to be ready first.
async fn send<S: Service<Req>, Req>(
    service: &mut S,
    request: Req,
) -> Result<S::Response, S::Error> {
    service.ready().await?.call(request).await
}

/// The layer's error inside `error`.
fn layer_error(error: &BoxError) -> &Error {
    error
        .downcast_ref()
        .unwrap_or_else(|| panic!("not a layer's error: {error}"))
}

/// A counter shared by a service and its test.
fn counter() -> Arc<AtomicU32> {
    Arc::new(AtomicU32::new(0))
}

fn fixed(attempts: u32, delay: Duration) -> RetryConfig {
    RetryConfig::new()
        .with_max_attempts(attempts)
        .with_backoff(BackoffKind::Fixed)
        .with_initial_delay(delay)
        .with_jitter(Jitter::None)
}

/// A service answering with the outcome it is sent, counting its calls.
fn echo(
    calls: &Arc<AtomicU32>,
) -> impl Service<Result<u16, &'static str>, Response = u16, Error = BoxError> + Clone {
    let calls = Arc::clone(calls);
    service_fn(move |outcome: Result<u16, &'static str>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async move { outcome.map_err(BoxError::from) }
    })
}

/// A service failing with `"call N"` for its first `failures` calls, then answering `N`.
fn flaky(
    calls: &Arc<AtomicU32>,
    failures: u32,
) -> impl Service<(), Response = u32, Error = BoxError> + Clone {
    let calls = Arc::clone(calls);
    service_fn(move |()| {
        let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            if call <= failures {
                Err(BoxError::from(format!("call {call}")))
            } else {
                Ok(call)
            }
        }
    })
}

#[tokio::test(start_paused = true)]
async fn breaker_opens_and_then_rejects_without_calling() {
    let calls = counter();
    let config = CircuitBreakerConfig::new()
        .with_failure_threshold(2)
        .with_recovery_timeout(Duration::from_secs(30));
    let mut service = ServiceBuilder::new()
        .layer(CircuitBreakerLayer::new("tower-layers-breaker", config))
        .service(echo(&calls));

    for _ in 0..2 {
        let failed = send(&mut service, Err("down")).await.unwrap_err();
        assert_eq!(failed.to_string(), "down");
        assert!(
            failed.downcast_ref::<Error>().is_none(),
            "the service's own error"
        );
    }
    let breaker = registry().circuit_breaker("tower-layers-breaker").unwrap();
    assert_eq!(breaker.state(), CircuitState::Open);
    let rejected = send(&mut service, Ok(200)).await.unwrap_err();
    assert_eq!(
        layer_error(&rejected),
        &Error::circuit_open("tower-layers-breaker", Some(Duration::from_secs(30)))
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "a rejected call is not sent"
    );

    // After the recovery timeout a trial call goes through, and two successes close it.
    sleep(Duration::from_secs(30)).await;
    for _ in 0..2 {
        assert_eq!(send(&mut service, Ok(200)).await.unwrap(), 200);
    }
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.metrics().not_permitted, 1);
}

#[tokio::test(start_paused = true)]
async fn breaker_classifies_errors_and_responses() {
    let calls = counter();
    let layer = CircuitBreakerLayer::new(
        "tower-layers-classified",
        CircuitBreakerConfig::new().with_failure_threshold(10),
    )
    .record_if(|error: &BoxError| error.to_string() != "not found")
    .ignore_if(|error: &BoxError| error.to_string() == "cancelled")
    .record_if_ok(|status: &u16| *status >= 500);
    let mut service = ServiceBuilder::new().layer(layer).service(echo(&calls));

    assert_eq!(send(&mut service, Ok(200)).await.unwrap(), 200);
    // A 503 is a failure for the breaker, and still the caller's response.
    assert_eq!(send(&mut service, Ok(503)).await.unwrap(), 503);
    assert!(send(&mut service, Err("not found")).await.is_err());
    assert!(send(&mut service, Err("cancelled")).await.is_err());
    assert!(send(&mut service, Err("down")).await.is_err());

    let metrics = registry()
        .circuit_breaker("tower-layers-classified")
        .unwrap()
        .metrics();
    assert_eq!(
        (metrics.successful, metrics.failed, metrics.ignored),
        (2, 2, 1),
        "200 and the unrecorded 'not found' succeed; 503 and 'down' fail; 'cancelled' is ignored"
    );
}

#[tokio::test(start_paused = true)]
async fn bulkhead_rejects_when_full_and_frees_the_slot_when_the_call_ends() {
    let mut service = ServiceBuilder::new()
        .layer(BulkheadLayer::new(
            "tower-layers-pool",
            BulkheadConfig::new(1),
        ))
        .service(service_fn(|hold: Duration| async move {
            sleep(hold).await;
            Ok::<_, BoxError>(hold)
        }));
    let pool = registry().bulkhead("tower-layers-pool").unwrap();

    // The slot is taken by `call`, before the response future is polled.
    let first = service.ready().await.unwrap().call(Duration::from_secs(1));
    assert_eq!(pool.in_flight(), 1);
    let full = send(&mut service, MS(1)).await.unwrap_err();
    assert_eq!(
        layer_error(&full),
        &Error::bulkhead_full("tower-layers-pool", 1)
    );

    assert_eq!(first.await.unwrap(), Duration::from_secs(1));
    assert_eq!(pool.in_flight(), 0);
    assert_eq!(send(&mut service, MS(1)).await.unwrap(), MS(1));
    assert_eq!(pool.metrics().rejected, 1);
}

#[tokio::test(start_paused = true)]
async fn bulkhead_lets_a_call_wait_up_to_max_wait() {
    let config = BulkheadConfig::new(1).with_max_wait(MS(500));
    let mut service = ServiceBuilder::new()
        .layer(BulkheadLayer::new("tower-layers-waiting-pool", config))
        .service(service_fn(|hold: Duration| async move {
            sleep(hold).await;
            Ok::<_, BoxError>(Instant::now())
        }));
    let start = Instant::now();

    // The second call waits for the first one's slot, 200ms.
    let first = service.ready().await.unwrap().call(MS(200));
    let second = service.ready().await.unwrap().call(MS(200));
    let (first, second) = tokio::join!(first, second);
    assert_eq!(first.unwrap() - start, MS(200));
    assert_eq!(second.unwrap() - start, MS(400));

    // A slot that stays taken past max_wait: rejected after waiting 500ms.
    let start = Instant::now();
    let holding = service.ready().await.unwrap().call(Duration::from_secs(2));
    let waiting = async {
        let full = send(&mut service, MS(1)).await.unwrap_err();
        assert_eq!(
            layer_error(&full),
            &Error::bulkhead_full("tower-layers-waiting-pool", 1)
        );
        start.elapsed()
    };
    let (held, waited) = tokio::join!(holding, waiting);
    assert!(held.is_ok());
    assert_eq!(waited, MS(500));
}

#[tokio::test(start_paused = true)]
async fn rate_limit_rejects_with_the_time_until_a_permit() {
    let calls = counter();
    let config = RateLimitConfig::new(Rate::per_second(1))
        .with_burst(1)
        .with_on_limit(OnLimit::Reject);
    let mut service = ServiceBuilder::new()
        .layer(RateLimitLayer::new("tower-layers-limit", config))
        .service(echo(&calls));

    assert_eq!(send(&mut service, Ok(200)).await.unwrap(), 200);
    let limited = send(&mut service, Ok(200)).await.unwrap_err();
    assert_eq!(
        layer_error(&limited),
        &Error::rate_limited("tower-layers-limit", Some(Duration::from_secs(1)))
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a rejected call is not sent"
    );
    sleep(Duration::from_secs(1)).await;
    assert_eq!(send(&mut service, Ok(200)).await.unwrap(), 200);
}

#[tokio::test(start_paused = true)]
async fn rate_limit_lets_calls_wait_their_turn() {
    let config = RateLimitConfig::new(Rate::per_second(2)).with_burst(1);
    let mut service = ServiceBuilder::new()
        .layer(RateLimitLayer::new("tower-layers-waiting-limit", config))
        .service(service_fn(|()| async { Ok::<_, BoxError>(Instant::now()) }));
    let start = Instant::now();

    // Each `call` takes its place in line, in the order of the calls.
    let mut calls = Vec::new();
    for _ in 0..3 {
        calls.push(service.ready().await.unwrap().call(()));
    }
    let answered: Vec<Duration> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|answered| answered.unwrap() - start)
        .collect();
    assert_eq!(answered, [MS(0), MS(500), MS(1000)]);
}

#[tokio::test(start_paused = true)]
async fn keyed_rate_limits_are_separate() {
    let config = RateLimitConfig::new(Rate::per_second(1))
        .with_burst(1)
        .with_on_limit(OnLimit::Reject);
    let layer = RateLimitLayer::new("tower-layers-per-client", config)
        .key_by(|request: &(u32, &'static str)| request.0);
    let mut service = ServiceBuilder::new().layer(layer).service(service_fn(
        |(_, path): (u32, &'static str)| async move { Ok::<_, BoxError>(path) },
    ));

    assert_eq!(send(&mut service, (1, "/a")).await.unwrap(), "/a");
    let limited = send(&mut service, (1, "/b")).await.unwrap_err();
    assert!(matches!(layer_error(&limited), Error::RateLimited { .. }));
    assert_eq!(send(&mut service, (2, "/b")).await.unwrap(), "/b");
    let limiter = registry().rate_limiter("tower-layers-per-client").unwrap();
    assert_eq!(limiter.metrics().tracked_keys, 2);
}

#[tokio::test(start_paused = true)]
async fn timeout_cuts_a_call_at_its_limit_and_passes_other_outcomes_through() {
    let mut service = ServiceBuilder::new()
        .layer(TimeoutLayer::new(MS(250)))
        .service(service_fn(|(hold, fail): (Duration, bool)| async move {
            sleep(hold).await;
            if fail {
                Err(BoxError::from("boom"))
            } else {
                Ok(hold)
            }
        }));

    let start = Instant::now();
    let timed_out = send(&mut service, (Duration::from_secs(5), false))
        .await
        .unwrap_err();
    assert_eq!(layer_error(&timed_out), &Error::timeout(MS(250)));
    assert_eq!(start.elapsed(), MS(250));

    assert_eq!(send(&mut service, (MS(100), false)).await.unwrap(), MS(100));
    let failed = send(&mut service, (MS(100), true)).await.unwrap_err();
    assert_eq!(failed.to_string(), "boom");
    assert!(failed.downcast_ref::<Error>().is_none());
}

#[tokio::test(start_paused = true)]
async fn retry_follows_its_policy_and_returns_the_last_error() {
    let calls = counter();
    let mut service = ServiceBuilder::new()
        .layer(RetryLayer::new("tower-layers-retry", fixed(3, MS(100))))
        .service(flaky(&calls, 2));

    let start = Instant::now();
    assert_eq!(send(&mut service, ()).await.unwrap(), 3);
    assert_eq!(start.elapsed(), MS(200));

    let calls = counter();
    let mut failing = ServiceBuilder::new()
        .layer(RetryLayer::named("tower-layers-retry"))
        .service(flaky(&calls, u32::MAX));
    let failed = send(&mut failing, ()).await.unwrap_err();
    assert_eq!(failed.to_string(), "call 3", "the last attempt's error");

    let metrics = registry().retry("tower-layers-retry").unwrap().metrics();
    assert_eq!(
        (
            metrics.calls,
            metrics.retries,
            metrics.succeeded_after_retry,
            metrics.failed,
            metrics.exhausted
        ),
        (2, 4, 1, 1, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn retry_when_chooses_the_errors_worth_retrying() {
    let calls = counter();
    let layer = RetryLayer::new("tower-layers-retry-when", fixed(5, MS(10)))
        .when(|error: &BoxError| error.to_string() != "call 2");
    let mut service = ServiceBuilder::new().layer(layer).service(flaky(&calls, 5));

    let failed = send(&mut service, ()).await.unwrap_err();
    assert_eq!(failed.to_string(), "call 2", "not retried");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_when_ok_retries_responses_and_returns_the_last_one() {
    let calls = counter();
    let layer = RetryLayer::new("tower-layers-retry-when-ok", fixed(3, MS(100)))
        .when_ok(|status: &u16| *status == 503);
    let mut service = ServiceBuilder::new().layer(layer).service(echo(&calls));

    let start = Instant::now();
    assert_eq!(
        send(&mut service, Ok(503)).await.unwrap(),
        503,
        "the last response"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(start.elapsed(), MS(200));
    assert_eq!(send(&mut service, Ok(200)).await.unwrap(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 4);

    let metrics = registry()
        .retry("tower-layers-retry-when-ok")
        .unwrap()
        .metrics();
    assert_eq!(
        (metrics.succeeded, metrics.failed, metrics.exhausted),
        (1, 1, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_replaces_the_backoff_delay() {
    let calls = counter();
    let layer = RetryLayer::new(
        "tower-layers-retry-hint",
        fixed(3, MS(100)).with_max_delay(Duration::from_secs(10)),
    )
    .retry_after(|_: &BoxError| Some(Duration::from_secs(2)));
    let mut service = ServiceBuilder::new().layer(layer).service(flaky(&calls, 2));

    let start = Instant::now();
    assert_eq!(send(&mut service, ()).await.unwrap(), 3);
    assert_eq!(start.elapsed(), Duration::from_secs(4));
}

/// A request that is not `Clone`.
#[derive(Debug, PartialEq)]
struct Upload(u32);

#[tokio::test(start_paused = true)]
async fn a_request_is_sent_again_only_when_it_could_be_copied() {
    let calls = counter();
    let service = {
        let calls = Arc::clone(&calls);
        service_fn(move |upload: Upload| {
            let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if call < 3 {
                    Err(BoxError::from("busy"))
                } else {
                    Ok(upload)
                }
            }
        })
    };

    // Copied by hand: retried.
    let layer = RetryLayer::new("tower-layers-retry-copies", fixed(3, MS(10)))
        .clone_request(|upload: &Upload| Some(Upload(upload.0)));
    let mut copied = ServiceBuilder::new().layer(layer).service(service.clone());
    assert_eq!(send(&mut copied, Upload(7)).await.unwrap(), Upload(7));
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // Refused: sent once, and its error is final.
    calls.store(0, Ordering::SeqCst);
    let layer = RetryLayer::new("tower-layers-retry-copies", fixed(3, MS(10)))
        .clone_request(|_: &Upload| None);
    let mut refused = ServiceBuilder::new().layer(layer).service(service);
    let start = Instant::now();
    let failed = send(&mut refused, Upload(7)).await.unwrap_err();
    assert_eq!(failed.to_string(), "busy");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

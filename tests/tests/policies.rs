//! Each policy's semantics through its attribute, on tokio's paused clock.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use resilience_runtime::circuit_breaker::CircuitState;
use resilience_runtime::{Error, bulkhead, circuit_breaker, rate_limit, registry, retry, timeout};
use resilience_tests::ServiceError;
use tokio::time::{Instant, sleep};

fn transient() -> ServiceError {
    ServiceError::Transient(String::from("flaky"))
}

/// Records the paused-clock instant of every attempt.
struct Attempts(std::sync::Mutex<Vec<Duration>>, Instant);

impl Attempts {
    fn new() -> Self {
        Self(std::sync::Mutex::new(Vec::new()), Instant::now())
    }
    fn record(&self) {
        self.0.lock().unwrap().push(self.1.elapsed());
    }
    fn gaps(&self) -> Vec<Duration> {
        let times = self.0.lock().unwrap();
        times.windows(2).map(|pair| pair[1] - pair[0]).collect()
    }
}

#[retry(
    max_attempts = 5,
    backoff = "exponential",
    initial_delay = "100ms",
    max_delay = "500ms",
    multiplier = 3,
    jitter = "none"
)]
async fn exponential(attempts: &Attempts) -> Result<(), ServiceError> {
    attempts.record();
    Err(transient())
}

#[retry(
    max_attempts = 4,
    backoff = "linear",
    initial_delay = "50ms",
    jitter = "none"
)]
async fn linear(attempts: &Attempts) -> Result<(), ServiceError> {
    attempts.record();
    Err(transient())
}

#[retry(
    max_attempts = 3,
    backoff = "fixed",
    initial_delay = "70ms",
    jitter = "none"
)]
async fn fixed(attempts: &Attempts) -> Result<(), ServiceError> {
    attempts.record();
    Err(transient())
}

#[retry(max_attempts = 4, preset = "patient", jitter = "none")]
async fn patient(attempts: &Attempts) -> Result<(), ServiceError> {
    attempts.record();
    Err(transient())
}

#[tokio::test(start_paused = true)]
async fn exact_backoff_schedules_without_jitter() {
    let ms = Duration::from_millis;
    let attempts = Attempts::new();
    assert!(exponential(&attempts).await.is_err());
    assert_eq!(attempts.gaps(), [ms(100), ms(300), ms(500), ms(500)]);

    let attempts = Attempts::new();
    assert!(linear(&attempts).await.is_err());
    assert_eq!(attempts.gaps(), [ms(50), ms(100), ms(150)]);

    let attempts = Attempts::new();
    assert!(fixed(&attempts).await.is_err());
    assert_eq!(attempts.gaps(), [ms(70), ms(70)]);

    // patient: 2s initial, ×2.5, 60s cap.
    let attempts = Attempts::new();
    assert!(patient(&attempts).await.is_err());
    assert_eq!(attempts.gaps(), [ms(2000), ms(5000), ms(12_500)]);
}

#[retry(
    max_attempts = 2,
    backoff = "fixed",
    initial_delay = "1s",
    jitter = "full"
)]
async fn full_jitter(attempts: &Attempts) -> Result<(), ServiceError> {
    attempts.record();
    Err(transient())
}

#[retry(
    max_attempts = 2,
    backoff = "fixed",
    initial_delay = "1s",
    jitter = "equal"
)]
async fn equal_jitter(attempts: &Attempts) -> Result<(), ServiceError> {
    attempts.record();
    Err(transient())
}

#[retry(
    max_attempts = 2,
    backoff = "fixed",
    initial_delay = "1s",
    max_delay = "2s",
    jitter = "proportional",
    jitter_factor = 0.25
)]
async fn proportional_jitter(attempts: &Attempts) -> Result<(), ServiceError> {
    attempts.record();
    Err(transient())
}

#[tokio::test(start_paused = true)]
async fn jitter_stays_in_bounds() {
    let ms = Duration::from_millis;
    let mut distinct = std::collections::HashSet::new();
    for _ in 0..50 {
        let attempts = Attempts::new();
        assert!(full_jitter(&attempts).await.is_err());
        let gap = attempts.gaps()[0];
        assert!(gap <= ms(1000), "{gap:?}");
        distinct.insert(gap);

        let attempts = Attempts::new();
        assert!(equal_jitter(&attempts).await.is_err());
        let gap = attempts.gaps()[0];
        assert!((ms(500)..=ms(1000)).contains(&gap), "{gap:?}");

        let attempts = Attempts::new();
        assert!(proportional_jitter(&attempts).await.is_err());
        let gap = attempts.gaps()[0];
        assert!((ms(750)..=ms(1250)).contains(&gap), "{gap:?}");
    }
    assert!(
        distinct.len() > 10,
        "full jitter should spread: {distinct:?}"
    );
}

static WHEN_CALLS: AtomicU32 = AtomicU32::new(0);

#[retry(max_attempts = 5, initial_delay = "1ms", when = ServiceError::is_transient)]
async fn permanent_after_one() -> Result<(), ServiceError> {
    if WHEN_CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
        Err(transient())
    } else {
        Err(ServiceError::Permanent)
    }
}

#[retry(max_attempts = 3, initial_delay = "1ms", max_delay = "5s", jitter = "none",
        retry_after = ServiceError::retry_after)]
async fn hinted(attempts: &Attempts) -> Result<(), ServiceError> {
    attempts.record();
    Err(ServiceError::Transient(String::from("retry-after:9000")))
}

#[retry(
    max_attempts = 100,
    backoff = "fixed",
    initial_delay = "1s",
    jitter = "none",
    max_elapsed = "3500ms"
)]
async fn deadline(attempts: &Attempts) -> Result<(), ServiceError> {
    attempts.record();
    Err(transient())
}

#[tokio::test(start_paused = true)]
async fn when_hint_and_deadline() {
    assert_eq!(permanent_after_one().await, Err(ServiceError::Permanent));
    assert_eq!(WHEN_CALLS.load(Ordering::SeqCst), 2);

    // The server's 9s hint replaces the backoff and is capped by max_delay.
    let attempts = Attempts::new();
    assert!(hinted(&attempts).await.is_err());
    assert_eq!(
        attempts.gaps(),
        [Duration::from_secs(5), Duration::from_secs(5)]
    );

    // Attempts at 0, 1, 2, 3s; a fourth sleep would end at 4s, past the 3.5s deadline.
    let attempts = Attempts::new();
    assert!(deadline(&attempts).await.is_err());
    assert_eq!(attempts.gaps().len(), 3);
}

#[circuit_breaker(
    name = "policies-lifecycle",
    failure_threshold = 3,
    recovery_timeout = "30s",
    success_threshold = 2
)]
async fn lifecycle(fail: bool) -> Result<(), ServiceError> {
    if fail { Err(transient()) } else { Ok(()) }
}

#[tokio::test(start_paused = true)]
async fn breaker_closed_open_half_open_closed() {
    let breaker = registry().circuit_breaker("policies-lifecycle").unwrap();
    for _ in 0..3 {
        assert_eq!(lifecycle(true).await, Err(transient()));
    }
    assert_eq!(breaker.state(), CircuitState::Open);
    let result = lifecycle(false).await;
    assert!(
        matches!(
            result,
            Err(ServiceError::Resilience(Error::CircuitOpen { .. }))
        ),
        "{result:?}"
    );

    sleep(Duration::from_secs(30)).await;
    assert_eq!(lifecycle(false).await, Ok(()));
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    assert_eq!(lifecycle(false).await, Ok(()));
    assert_eq!(breaker.state(), CircuitState::Closed);

    // Open again, and a failure in half-open reopens it.
    for _ in 0..3 {
        let _ = lifecycle(true).await;
    }
    sleep(Duration::from_secs(30)).await;
    assert_eq!(lifecycle(true).await, Err(transient()));
    assert_eq!(breaker.state(), CircuitState::Open);
    let metrics = breaker.metrics();
    assert_eq!(metrics.not_permitted, 1);
    assert_eq!(metrics.transitions, 6);
}

#[circuit_breaker(
    name = "policies-rate",
    failure_rate = 50,
    window = 10,
    minimum_calls = 10
)]
async fn by_rate(fail: bool) -> Result<(), ServiceError> {
    if fail { Err(transient()) } else { Ok(()) }
}

#[tokio::test(start_paused = true)]
async fn breaker_trips_on_failure_rate_after_minimum_calls() {
    let breaker = registry().circuit_breaker("policies-rate").unwrap();
    for _ in 0..9 {
        let _ = by_rate(true).await;
    }
    assert_eq!(
        breaker.state(),
        CircuitState::Closed,
        "9 calls are below the minimum of 10"
    );
    let _ = by_rate(false).await;
    // 9 failures of 10 calls: 90% ≥ 50%.
    assert_eq!(breaker.state(), CircuitState::Open);
}

static HALF_OPEN_RELEASE: AtomicBool = AtomicBool::new(false);

#[circuit_breaker(
    name = "policies-half-open",
    failure_threshold = 1,
    recovery_timeout = "10s",
    success_threshold = 3,
    half_open_max_calls = 3
)]
async fn slow_probe(fail: bool) -> Result<(), ServiceError> {
    if fail {
        return Err(transient());
    }
    while !HALF_OPEN_RELEASE.load(Ordering::SeqCst) {
        sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn half_open_admits_exactly_its_permits_under_concurrency() {
    let breaker = registry().circuit_breaker("policies-half-open").unwrap();
    let _ = slow_probe(true).await;
    assert_eq!(breaker.state(), CircuitState::Open);
    sleep(Duration::from_secs(10)).await;

    let tasks: Vec<_> = (0..20).map(|_| tokio::spawn(slow_probe(false))).collect();
    sleep(Duration::from_millis(50)).await;
    HALF_OPEN_RELEASE.store(true, Ordering::SeqCst);
    let mut admitted = 0;
    let mut rejected = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => admitted += 1,
            Err(ServiceError::Resilience(Error::CircuitOpen { .. })) => rejected += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((admitted, rejected), (3, 17));
    assert_eq!(breaker.state(), CircuitState::Closed);
}

#[rate_limit(name = "policies-burst", rate = "10/s", burst = 3, max_wait = "10s")]
async fn paced(times: &Attempts) -> Result<(), ServiceError> {
    times.record();
    Ok(())
}

#[rate_limit(name = "policies-reject", rate = "2/s", burst = 2, on_limit = "reject")]
async fn rejecting() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn limiter_burst_pacing_and_retry_after() {
    let times = Attempts::new();
    for _ in 0..6 {
        paced(&times).await.unwrap();
    }
    let ms = Duration::from_millis;
    // Three at once (the burst), then one every 100ms.
    assert_eq!(times.gaps(), [ms(0), ms(0), ms(100), ms(100), ms(100)]);

    assert_eq!(rejecting().await, Ok(()));
    assert_eq!(rejecting().await, Ok(()));
    match rejecting().await {
        Err(ServiceError::Resilience(Error::RateLimited { retry_after, .. })) => {
            assert_eq!(retry_after, Some(ms(500)));
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    sleep(ms(500)).await;
    assert_eq!(rejecting().await, Ok(()));
}

#[rate_limit(name = "policies-keyed", rate = "1/s", on_limit = "reject", key = user)]
async fn per_user(user: &str) -> Result<(), ServiceError> {
    let _ = user;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn limiter_keys_are_independent() {
    assert_eq!(per_user("ada").await, Ok(()));
    assert_eq!(per_user("grace").await, Ok(()));
    assert!(per_user("ada").await.is_err());
    assert!(per_user("grace").await.is_err());
    assert_eq!(per_user("linus").await, Ok(()));
}

#[bulkhead(name = "policies-pool", max_concurrent = 2, max_wait = "100ms")]
async fn pooled(hold: Duration) -> Result<(), ServiceError> {
    sleep(hold).await;
    Ok(())
}

#[bulkhead(name = "policies-panics", max_concurrent = 1)]
async fn panics(should: bool) -> Result<(), ServiceError> {
    assert!(!should, "body panicked");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn bulkhead_rejects_waits_and_releases_on_cancel_and_panic() {
    let bulkhead = registry().bulkhead("policies-pool").unwrap();
    let first = tokio::spawn(pooled(Duration::from_secs(1)));
    let second = tokio::spawn(pooled(Duration::from_secs(1)));
    tokio::task::yield_now().await;
    assert_eq!(bulkhead.in_flight(), 2);

    // A third waits its 100ms, then is rejected.
    let start = Instant::now();
    let result = pooled(Duration::ZERO).await;
    assert!(
        matches!(
            result,
            Err(ServiceError::Resilience(Error::BulkheadFull { .. }))
        ),
        "{result:?}"
    );
    assert_eq!(start.elapsed(), Duration::from_millis(100));

    // Cancelling a running call releases its permit at once.
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    assert_eq!(bulkhead.in_flight(), 1);
    assert_eq!(pooled(Duration::ZERO).await, Ok(()));

    // A call dropped while waiting for a permit holds nothing.
    let third = tokio::spawn(pooled(Duration::from_secs(1)));
    tokio::task::yield_now().await;
    assert_eq!(bulkhead.in_flight(), 2);
    let dropped = tokio::time::timeout(Duration::from_millis(10), pooled(Duration::ZERO)).await;
    assert!(dropped.is_err(), "cancelled while waiting");
    assert_eq!(bulkhead.in_flight(), 2);
    second.await.unwrap().unwrap();
    third.await.unwrap().unwrap();
    assert_eq!(bulkhead.in_flight(), 0);

    // A panicking body releases its permit during unwinding.
    let panicked = tokio::spawn(panics(true)).await;
    assert!(panicked.unwrap_err().is_panic());
    assert_eq!(
        registry().bulkhead("policies-panics").unwrap().in_flight(),
        0
    );
    assert_eq!(panics(false).await, Ok(()));
}

#[timeout("250ms")]
async fn bounded(work: Duration) -> Result<Duration, ServiceError> {
    sleep(work).await;
    Ok(work)
}

#[tokio::test(start_paused = true)]
async fn timeout_cuts_at_exactly_its_duration() {
    assert_eq!(
        bounded(Duration::from_millis(249)).await,
        Ok(Duration::from_millis(249))
    );
    let start = Instant::now();
    let result = bounded(Duration::from_secs(60)).await;
    assert!(
        matches!(result, Err(ServiceError::Resilience(Error::Timeout { .. }))),
        "{result:?}"
    );
    assert_eq!(start.elapsed(), Duration::from_millis(250));
}

#[tokio::test(start_paused = true)]
async fn cancelled_stack_releases_everything() {
    #[circuit_breaker(
        name = "policies-cancel",
        failure_threshold = 1,
        recovery_timeout = "1s",
        half_open_max_calls = 1,
        success_threshold = 1
    )]
    #[bulkhead(name = "policies-cancel-pool", max_concurrent = 1)]
    async fn slow() -> Result<(), ServiceError> {
        sleep(Duration::from_secs(60)).await;
        Ok(())
    }
    #[circuit_breaker(name = "policies-cancel")]
    async fn fail() -> Result<(), ServiceError> {
        Err(transient())
    }
    let breaker = registry().circuit_breaker("policies-cancel").unwrap();
    let pool = registry().bulkhead("policies-cancel-pool").unwrap();
    let _ = fail().await;
    sleep(Duration::from_secs(1)).await;
    // The one half-open permit goes to a call that is then cancelled: both permits come back.
    let cancelled = tokio::spawn(slow());
    tokio::task::yield_now().await;
    assert_eq!(pool.in_flight(), 1);
    cancelled.abort();
    tokio::task::yield_now().await;
    assert_eq!(pool.in_flight(), 0);
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    let probe =
        tokio::spawn(async { tokio::time::timeout(Duration::from_millis(1), slow()).await });
    assert!(
        probe.await.unwrap().is_err(),
        "the probe was admitted and timed out"
    );
}

static IN_BODY: AtomicU32 = AtomicU32::new(0);
static PEAK_IN_BODY: AtomicU32 = AtomicU32::new(0);

#[circuit_breaker(
    name = "policies-stress",
    failure_rate = 90,
    window = 100,
    minimum_calls = 100
)]
#[retry(max_attempts = 3, initial_delay = "1ms", jitter = "full")]
#[bulkhead(name = "policies-stress-pool", max_concurrent = 4, max_wait = "10s")]
async fn stressed(n: u32) -> Result<u32, ServiceError> {
    /// Leaves the body on return and on cancellation alike.
    struct InBody;
    impl Drop for InBody {
        fn drop(&mut self) {
            IN_BODY.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let now = IN_BODY.fetch_add(1, Ordering::SeqCst) + 1;
    let _in_body = InBody;
    PEAK_IN_BODY.fetch_max(now, Ordering::SeqCst);
    tokio::task::yield_now().await;
    if n.is_multiple_of(7) {
        Err(transient())
    } else {
        Ok(n)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stacked_layers_hold_their_invariants_across_threads() {
    let tasks: Vec<_> = (1..=2000u32)
        .map(|n| {
            tokio::spawn(async move {
                let result = if n.is_multiple_of(5) {
                    // Every fifth caller gives up early: cancellation at a random point.
                    tokio::time::timeout(Duration::from_micros(50), stressed(n))
                        .await
                        .ok()
                } else {
                    Some(stressed(n).await)
                };
                (n, result)
            })
        })
        .collect();
    for task in tasks {
        let (n, result) = task.await.unwrap();
        match result {
            Some(Ok(value)) => assert_eq!(value, n),
            // Failing calls finish last (they back off), so the breaker may open at the end.
            Some(Err(ServiceError::Resilience(Error::CircuitOpen { .. }))) => {}
            Some(Err(error)) => assert!(n.is_multiple_of(7), "{n}: {error:?}"),
            None => assert_eq!(n % 5, 0),
        }
    }
    assert!(PEAK_IN_BODY.load(Ordering::SeqCst) <= 4);
    let pool = registry().bulkhead("policies-stress-pool").unwrap();
    assert_eq!(pool.in_flight(), 0, "every permit came back");
    assert_eq!(IN_BODY.load(Ordering::SeqCst), 0);
    // Every call is accounted for exactly once, and the breaker opened at most once.
    let metrics = registry()
        .circuit_breaker("policies-stress")
        .unwrap()
        .metrics();
    assert_eq!(
        metrics.successful + metrics.failed + metrics.ignored + metrics.not_permitted,
        2000,
        "{metrics:?}"
    );
    assert!(metrics.transitions <= 1, "{metrics:?}");
}

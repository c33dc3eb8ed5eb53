//! Circuit breaker scenarios through `#[circuit_breaker]`, as users write them, on tokio's
//! paused clock (except the concurrency scenarios, which need real threads and never sleep).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use resilience_runtime::circuit_breaker::{
    CircuitBreakerConfig, CircuitBreakerHandle, CircuitEvent, CircuitState, Subscription,
    TransitionReason,
};
use resilience_runtime::{Error, bulkhead, circuit_breaker, registry};
use tokio::time::{advance, sleep};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
enum AppError {
    /// The service failed: recorded.
    #[error("server error")]
    Server,
    /// The caller's fault: not recorded, so it counts as a success.
    #[error("client error")]
    Client,
    /// Neither: ignored, as if the call never happened.
    #[error("cancelled")]
    Cancelled,
    #[error(transparent)]
    Resilience(#[from] Error),
}

impl AppError {
    fn is_server_or_cancelled(&self) -> bool {
        matches!(self, Self::Server | Self::Cancelled)
    }

    fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled)
    }

    fn is_circuit_open(&self) -> bool {
        matches!(self, Self::Resilience(Error::CircuitOpen { .. }))
    }
}

fn outcome(fail: bool) -> Result<(), AppError> {
    if fail { Err(AppError::Server) } else { Ok(()) }
}

fn handle(name: &str) -> CircuitBreakerHandle {
    registry()
        .circuit_breaker(name)
        .unwrap_or_else(|| panic!("`{name}` is declared"))
}

/// Every transition of `breaker` from now on, as `"from → to (reason)"`.
fn transitions(breaker: &CircuitBreakerHandle) -> (Subscription, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let subscription = breaker.subscribe(move |event: &CircuitEvent| {
        sink.lock()
            .unwrap()
            .push(format!("{} → {} ({})", event.from, event.to, event.reason));
    });
    (subscription, seen)
}

// ---------------------------------------------------------------------------------------------
// Trip models
// ---------------------------------------------------------------------------------------------

#[circuit_breaker(
    name = "cb-minimum-calls",
    failure_rate = 50,
    window = 20,
    minimum_calls = 10
)]
async fn minimum_calls(fail: bool) -> Result<(), AppError> {
    outcome(fail)
}

#[tokio::test(start_paused = true)]
async fn minimum_calls_nine_failures_of_a_minimum_of_ten_stay_closed() {
    let breaker = handle("cb-minimum-calls");
    let (_subscription, events) = transitions(&breaker);
    for _ in 0..9 {
        assert_eq!(minimum_calls(true).await, Err(AppError::Server));
    }
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.metrics().failure_rate, None, "not judged yet");
    // The tenth call, a success, makes 9 of 10 judged: 90% ≥ 50%.
    assert_eq!(minimum_calls(false).await, Ok(()));
    assert_eq!(breaker.state(), CircuitState::Open);
    assert_eq!(
        *events.lock().unwrap(),
        ["closed → open (failure rate 90% ≥ 50% over 10 calls)"]
    );
}

#[circuit_breaker(
    name = "cb-inclusive-at",
    failure_rate = 50,
    window = 10,
    minimum_calls = 10
)]
async fn at_threshold(fail: bool) -> Result<(), AppError> {
    outcome(fail)
}

#[circuit_breaker(
    name = "cb-inclusive-below",
    failure_rate = 50,
    window = 10,
    minimum_calls = 10
)]
async fn below_threshold(fail: bool) -> Result<(), AppError> {
    outcome(fail)
}

#[tokio::test(start_paused = true)]
async fn failure_rate_threshold_is_inclusive() {
    for call in 0..10 {
        let _ = at_threshold(call % 2 == 0).await; // 5 of 10
        let _ = below_threshold(call < 4).await; // 4 of 10
    }
    assert_eq!(handle("cb-inclusive-at").state(), CircuitState::Open);
    assert_eq!(handle("cb-inclusive-below").state(), CircuitState::Closed);
    assert_eq!(
        handle("cb-inclusive-below").metrics().failure_rate,
        Some(40.0)
    );
}

#[circuit_breaker(name = "cb-sliding", failure_rate = 100, window = 4, minimum_calls = 4)]
async fn sliding(fail: bool) -> Result<(), AppError> {
    outcome(fail)
}

#[tokio::test(start_paused = true)]
async fn count_window_slides_over_the_last_calls() {
    let breaker = handle("cb-sliding");
    for fail in [true, true, true, false, true, true, true] {
        let _ = sliding(fail).await;
    }
    // [S F F F]: the first three failures slid out, the success is still in.
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.metrics().failure_rate, Some(75.0));
    let _ = sliding(true).await;
    // [F F F F]
    assert_eq!(breaker.state(), CircuitState::Open);
}

#[circuit_breaker(
    name = "cb-time-window",
    failure_rate = 50,
    window = "10s",
    minimum_calls = 3
)]
async fn timed(fail: bool) -> Result<(), AppError> {
    outcome(fail)
}

#[tokio::test(start_paused = true)]
async fn time_window_forgets_calls_older_than_the_window() {
    let breaker = handle("cb-time-window");
    let _ = timed(true).await;
    let _ = timed(true).await;
    advance(Duration::from_secs(10)).await;
    assert_eq!(breaker.metrics().calls_in_window, 0, "both expired");
    let _ = timed(true).await;
    let _ = timed(false).await;
    assert_eq!(breaker.state(), CircuitState::Closed, "2 calls < minimum 3");
    advance(Duration::from_secs(9)).await;
    let _ = timed(false).await; // 1 of 3 failed, all within 10s
    assert_eq!(breaker.state(), CircuitState::Closed);
    let _ = timed(true).await; // 2 of 4
    assert_eq!(breaker.state(), CircuitState::Open);
}

#[circuit_breaker(
    name = "cb-slow",
    slow_call_duration = "100ms",
    slow_call_rate = 50,
    window = 4,
    minimum_calls = 4
)]
async fn slow(took: Duration) -> Result<(), AppError> {
    sleep(took).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_call_of_exactly_the_slow_duration_is_not_slow() {
    let breaker = handle("cb-slow");
    for _ in 0..3 {
        assert_eq!(slow(Duration::from_millis(100)).await, Ok(()));
    }
    assert_eq!(breaker.metrics().slow, 0);
    assert_eq!(slow(Duration::from_millis(101)).await, Ok(()));
    assert_eq!(breaker.metrics().slow, 1);
    assert_eq!(breaker.state(), CircuitState::Closed, "1 of 4 slow");
    assert_eq!(slow(Duration::from_secs(2)).await, Ok(()));
    assert_eq!(
        breaker.state(),
        CircuitState::Open,
        "2 of 4 slow, all successful"
    );
    assert_eq!(breaker.metrics().failed, 0);
}

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------

#[circuit_breaker(
    name = "cb-classification",
    failure_threshold = 2,
    record_if = AppError::is_server_or_cancelled,
    ignore_if = AppError::is_cancelled
)]
async fn classified(result: Result<(), AppError>) -> Result<(), AppError> {
    result
}

#[tokio::test(start_paused = true)]
async fn ignored_recorded_and_unrecorded_errors() {
    let breaker = handle("cb-classification");
    assert_eq!(
        classified(Err(AppError::Server)).await,
        Err(AppError::Server)
    );
    assert_eq!(breaker.metrics().consecutive_failures, 1);
    // Both predicates accept `Cancelled`: ignore wins, and an ignored call leaves the run alone.
    assert_eq!(
        classified(Err(AppError::Cancelled)).await,
        Err(AppError::Cancelled)
    );
    assert_eq!(breaker.metrics().consecutive_failures, 1);
    // Not recorded: counts as a success, which breaks the run.
    assert_eq!(
        classified(Err(AppError::Client)).await,
        Err(AppError::Client)
    );
    assert_eq!(breaker.metrics().consecutive_failures, 0);
    let _ = classified(Err(AppError::Server)).await;
    assert_eq!(breaker.state(), CircuitState::Closed);
    let _ = classified(Err(AppError::Server)).await;
    assert_eq!(breaker.state(), CircuitState::Open);
    let metrics = breaker.metrics();
    assert_eq!(
        (metrics.failed, metrics.successful, metrics.ignored),
        (3, 1, 1)
    );
}

#[circuit_breaker(name = "cb-over-bulkhead", failure_threshold = 1)]
#[bulkhead(name = "cb-over-bulkhead-pool", max_concurrent = 1)]
async fn pooled(hold: Duration) -> Result<(), AppError> {
    sleep(hold).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn inner_rejections_never_count_as_failures() {
    let breaker = handle("cb-over-bulkhead");
    let holder = tokio::spawn(pooled(Duration::from_secs(5)));
    tokio::task::yield_now().await;
    for _ in 0..3 {
        let rejected = pooled(Duration::ZERO).await;
        assert!(
            matches!(
                rejected,
                Err(AppError::Resilience(Error::BulkheadFull { .. }))
            ),
            "{rejected:?}"
        );
    }
    assert_eq!(breaker.state(), CircuitState::Closed);
    let metrics = breaker.metrics();
    assert_eq!((metrics.failed, metrics.ignored), (0, 3));
    holder.await.unwrap().unwrap();
}

static OPEN_BODY_RUNS: AtomicU32 = AtomicU32::new(0);

#[circuit_breaker(
    name = "cb-not-permitted",
    failure_threshold = 1,
    recovery_timeout = "30s"
)]
async fn guarded(fail: bool) -> Result<(), AppError> {
    OPEN_BODY_RUNS.fetch_add(1, Ordering::SeqCst);
    outcome(fail)
}

#[tokio::test(start_paused = true)]
async fn not_permitted_calls_are_counted_and_never_run() {
    let breaker = handle("cb-not-permitted");
    let _ = guarded(true).await;
    for _ in 0..5 {
        let rejected = guarded(false).await.unwrap_err();
        assert!(rejected.is_circuit_open());
    }
    assert_eq!(OPEN_BODY_RUNS.load(Ordering::SeqCst), 1);
    let metrics = breaker.metrics();
    assert_eq!((metrics.not_permitted, metrics.failed), (5, 1));
    assert_eq!(
        guarded(false).await,
        Err(AppError::Resilience(Error::circuit_open(
            "cb-not-permitted",
            Some(Duration::from_secs(30))
        )))
    );
}

// ---------------------------------------------------------------------------------------------
// Half-open
// ---------------------------------------------------------------------------------------------

#[circuit_breaker(
    name = "cb-lazy",
    failure_threshold = 1,
    recovery_timeout = "10s",
    success_threshold = 1
)]
async fn lazy(fail: bool) -> Result<(), AppError> {
    outcome(fail)
}

#[tokio::test(start_paused = true)]
async fn half_open_is_entered_lazily_by_the_next_call() {
    let breaker = handle("cb-lazy");
    let _ = lazy(true).await;
    advance(Duration::from_secs(60)).await;
    assert_eq!(
        breaker.state(),
        CircuitState::Open,
        "nothing happens without a call"
    );
    let (_subscription, events) = transitions(&breaker);
    assert_eq!(lazy(false).await, Ok(()));
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(
        *events.lock().unwrap(),
        [
            "open → half_open (open for 10s)",
            "half_open → closed (1 successful trial calls)"
        ]
    );
}

static PROBES_RELEASED: AtomicU32 = AtomicU32::new(0);

#[circuit_breaker(
    name = "cb-permits",
    failure_threshold = 1,
    recovery_timeout = "1s",
    success_threshold = 3
)]
async fn probe(fail: bool) -> Result<(), AppError> {
    if fail {
        return Err(AppError::Server);
    }
    while PROBES_RELEASED.load(Ordering::SeqCst) == 0 {
        sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn half_open_admits_exactly_its_permits_and_cancelled_calls_give_them_back() {
    let breaker = handle("cb-permits");
    let _ = probe(true).await;
    sleep(Duration::from_secs(1)).await;
    let calls: Vec<_> = (0..10).map(|_| tokio::spawn(probe(false))).collect();
    sleep(Duration::from_millis(20)).await;
    assert_eq!(breaker.metrics().not_permitted, 7, "3 admitted, 7 rejected");
    // Cancel the admitted calls: their permits come back for new ones.
    for call in &calls {
        call.abort();
    }
    for call in calls {
        let _ = call.await;
    }
    let retries: Vec<_> = (0..3).map(|_| tokio::spawn(probe(false))).collect();
    sleep(Duration::from_millis(20)).await;
    PROBES_RELEASED.store(1, Ordering::SeqCst);
    for retry in retries {
        assert_eq!(retry.await.unwrap(), Ok(()));
    }
    assert_eq!(breaker.state(), CircuitState::Closed);
}

#[circuit_breaker(
    name = "cb-rate-decision",
    failure_rate = 50,
    window = 4,
    minimum_calls = 4,
    recovery_timeout = "1s",
    half_open_max_calls = 4
)]
async fn rate_decision(fail: bool) -> Result<(), AppError> {
    outcome(fail)
}

#[tokio::test(start_paused = true)]
async fn half_open_decision_by_rate_waits_for_every_trial_call() {
    let breaker = handle("cb-rate-decision");
    for _ in 0..4 {
        let _ = rate_decision(true).await;
    }
    let (_subscription, events) = transitions(&breaker);
    // 2 of 4 trial calls fail: 50% ≥ 50%, reopen; nothing is decided before the fourth.
    sleep(Duration::from_secs(1)).await;
    for fail in [true, false, true] {
        let _ = rate_decision(fail).await;
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
    }
    let _ = rate_decision(false).await;
    assert_eq!(breaker.state(), CircuitState::Open);
    // 1 of 4 fails: 25% < 50%, close (the consecutive model would have reopened).
    sleep(Duration::from_secs(1)).await;
    for fail in [true, false, false, false] {
        let _ = rate_decision(fail).await;
    }
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(
        *events.lock().unwrap(),
        [
            "open → half_open (open for 1s)",
            "half_open → open (trial failure rate 50% ≥ 50% over 4 calls)",
            "open → half_open (open for 1s)",
            "half_open → closed (trial calls within thresholds: 1 of 4 failed, 0 slow)",
        ]
    );
}

#[circuit_breaker(
    name = "cb-consecutive-decision",
    failure_threshold = 1,
    recovery_timeout = "1s",
    success_threshold = 2,
    half_open_max_calls = 4
)]
async fn consecutive_decision(fail: bool) -> Result<(), AppError> {
    outcome(fail)
}

#[tokio::test(start_paused = true)]
async fn half_open_decision_one_call_at_a_time_in_the_consecutive_model() {
    let breaker = handle("cb-consecutive-decision");
    let _ = consecutive_decision(true).await;
    sleep(Duration::from_secs(1)).await;
    let _ = consecutive_decision(false).await;
    let _ = consecutive_decision(true).await; // any failure reopens
    assert_eq!(breaker.state(), CircuitState::Open);
    sleep(Duration::from_secs(1)).await;
    let _ = consecutive_decision(false).await;
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    let _ = consecutive_decision(false).await; // success_threshold successes close
    assert_eq!(breaker.state(), CircuitState::Closed);
}

static STUCK_RELEASE: AtomicU32 = AtomicU32::new(0);

#[circuit_breaker(
    name = "cb-max-wait",
    failure_threshold = 1,
    recovery_timeout = "5s",
    success_threshold = 1,
    max_wait_in_half_open = "30s"
)]
async fn stuck(fail: bool) -> Result<(), AppError> {
    if fail {
        return Err(AppError::Server);
    }
    while STUCK_RELEASE.load(Ordering::SeqCst) == 0 {
        sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn max_wait_in_half_open_reopens_when_trial_calls_hang() {
    let breaker = handle("cb-max-wait");
    let _ = stuck(true).await;
    sleep(Duration::from_secs(5)).await;
    let hanging = tokio::spawn(stuck(false));
    sleep(Duration::from_secs(29)).await;
    assert!(
        stuck(false).await.unwrap_err().is_circuit_open(),
        "no permit left"
    );
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    sleep(Duration::from_secs(1)).await;
    assert_eq!(
        stuck(false).await,
        Err(AppError::Resilience(Error::circuit_open(
            "cb-max-wait",
            Some(Duration::from_secs(5))
        )))
    );
    assert_eq!(breaker.state(), CircuitState::Open);
    // The hung trial call finally succeeds, in a period that is over: no effect.
    STUCK_RELEASE.store(1, Ordering::SeqCst);
    assert_eq!(hanging.await.unwrap(), Ok(()));
    assert_eq!(breaker.state(), CircuitState::Open);
    let last = breaker.recent_transitions().pop().unwrap();
    assert_eq!(
        last.reason,
        TransitionReason::HalfOpenTimeout {
            waited: Duration::from_secs(30)
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Open
// ---------------------------------------------------------------------------------------------

#[circuit_breaker(
    name = "cb-backoff",
    failure_threshold = 1,
    recovery_timeout = "10s",
    recovery_backoff = 2,
    max_recovery_timeout = "35s",
    success_threshold = 1
)]
async fn backing_off(fail: bool) -> Result<(), AppError> {
    outcome(fail)
}

fn retry_after(result: Result<(), AppError>) -> Duration {
    match result {
        Err(AppError::Resilience(Error::CircuitOpen {
            retry_after: Some(after),
            ..
        })) => after,
        other => panic!("expected an open circuit with a hint, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn open_wait_grows_on_repeated_openings_and_resets_after_a_close() {
    let breaker = handle("cb-backoff");
    let _ = backing_off(true).await;
    let mut waits = Vec::new();
    for _ in 0..4 {
        let wait = retry_after(backing_off(false).await);
        waits.push(wait.as_secs());
        sleep(wait).await;
        let _ = backing_off(true).await; // the trial call fails
    }
    assert_eq!(waits, [10, 20, 35, 35]);
    sleep(Duration::from_secs(35)).await;
    assert_eq!(backing_off(false).await, Ok(()));
    assert_eq!(breaker.state(), CircuitState::Closed);
    let _ = backing_off(true).await;
    assert_eq!(
        retry_after(backing_off(false).await),
        Duration::from_secs(10)
    );
}

// ---------------------------------------------------------------------------------------------
// Special states and manual control
// ---------------------------------------------------------------------------------------------

#[circuit_breaker(name = "cb-special", failure_threshold = 2, recovery_timeout = "1m")]
async fn special(fail: bool) -> Result<(), AppError> {
    outcome(fail)
}

#[tokio::test(start_paused = true)]
async fn special_states_and_manual_transitions() {
    let breaker = handle("cb-special");
    let (_subscription, events) = transitions(&breaker);

    // Disabled: every call passes, nothing is recorded.
    breaker.disable();
    for _ in 0..5 {
        assert_eq!(special(true).await, Err(AppError::Server));
    }
    assert_eq!(breaker.state(), CircuitState::Disabled);
    assert_eq!(breaker.metrics().failed, 0);

    // Metrics-only: recorded, never opens.
    breaker.metrics_only();
    for _ in 0..5 {
        assert_eq!(special(true).await, Err(AppError::Server));
    }
    assert_eq!(breaker.state(), CircuitState::MetricsOnly);
    assert_eq!(breaker.metrics().failed, 5);
    assert_eq!(breaker.metrics().consecutive_failures, 5);

    // Forced open: every call is rejected without a hint, however long we wait.
    breaker.force_open();
    advance(Duration::from_secs(600)).await;
    assert_eq!(
        special(false).await,
        Err(AppError::Resilience(Error::circuit_open(
            "cb-special",
            None
        )))
    );

    // A transition to the current state does nothing.
    breaker.force_open();

    // Close by hand: a fresh period, the counts keep running.
    breaker.close();
    assert_eq!(special(false).await, Ok(()));
    assert_eq!(breaker.metrics().failed, 5);
    assert_eq!(breaker.metrics().consecutive_failures, 0);

    // Reset: closed with the counts cleared; closed already, so no event.
    breaker.reset();
    let metrics = breaker.metrics();
    assert_eq!(
        (metrics.successful, metrics.failed, metrics.not_permitted),
        (0, 0, 0)
    );
    assert_eq!(
        *events.lock().unwrap(),
        [
            "closed → disabled (disabled)",
            "disabled → metrics_only (metrics only)",
            "metrics_only → forced_open (forced open)",
            "forced_open → closed (closed by hand)",
        ]
    );
    // The snapshot shows them too. (This breaker's only: the registry's snapshot would read
    // every breaker's window on this test's paused clock, 600s ahead of the others'.)
    let snapshot = serde_json::to_value(breaker.snapshot()).unwrap();
    assert_eq!(
        snapshot["recent_transitions"][3]["reason"],
        "closed by hand"
    );
    assert_eq!(snapshot["recent_transitions"][3]["to"], "closed");
}

// ---------------------------------------------------------------------------------------------
// Stale results
// ---------------------------------------------------------------------------------------------

static STALE_GATE: AtomicU32 = AtomicU32::new(0);

#[circuit_breaker(
    name = "cb-stale",
    failure_threshold = 2,
    recovery_timeout = "1s",
    success_threshold = 1
)]
async fn maybe_slow(fail: bool, wait_for_gate: bool) -> Result<(), AppError> {
    while wait_for_gate && STALE_GATE.load(Ordering::SeqCst) == 0 {
        sleep(Duration::from_millis(10)).await;
    }
    outcome(fail)
}

#[tokio::test(start_paused = true)]
async fn a_result_arriving_after_a_transition_cannot_flip_the_new_state() {
    let breaker = handle("cb-stale");
    // A slow call starts while closed...
    let late = tokio::spawn(maybe_slow(true, true));
    tokio::task::yield_now().await;
    // ...the breaker opens, recovers and closes meanwhile...
    let _ = maybe_slow(true, false).await;
    let _ = maybe_slow(true, false).await;
    sleep(Duration::from_secs(1)).await;
    assert_eq!(maybe_slow(false, false).await, Ok(()));
    assert_eq!(breaker.state(), CircuitState::Closed);
    let _ = maybe_slow(true, false).await;
    assert_eq!(breaker.metrics().consecutive_failures, 1);
    // ...and its failure lands in the new closed period, one failure short of opening it.
    STALE_GATE.store(1, Ordering::SeqCst);
    assert_eq!(late.await.unwrap(), Err(AppError::Server));
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.metrics().consecutive_failures, 1);
    assert_eq!(breaker.metrics().failed, 4, "counted in the totals");
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

#[circuit_breaker(name = "cb-events", failure_rate = 50, window = 10, minimum_calls = 10)]
fn sync_call(fail: bool) -> Result<(), AppError> {
    outcome(fail)
}

#[test]
fn transitions_are_tracing_events_and_a_panicking_subscriber_breaks_nothing() {
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Self;
        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    // The transition events' callsites are hit first here, before the scoped subscriber:
    // `tracing` caches a callsite's interest when it is first hit, and a first hit on another
    // test's thread racing with `with_default` below can cache "never" for good.
    let warm = registry().register_circuit_breaker(
        "cb-events-warm",
        resilience_runtime::circuit_breaker::CircuitBreakerConfig::new(),
    );
    warm.force_open();
    warm.reset();

    let breaker = handle("cb-events");
    let _panics = breaker.subscribe(|_| panic!("a buggy subscriber"));
    let (_subscription, events) = transitions(&breaker);
    let logs = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        // Another test's thread registering a callsite while this subscriber was being set
        // may have left a stale interest: compute them again, with this subscriber in place.
        tracing::callsite::rebuild_interest_cache();
        for call in 0..10 {
            // 6 of 10 fail; the call that trips the breaker still returns its own result.
            assert_eq!(sync_call(call < 6).is_err(), call < 6);
        }
    });
    assert_eq!(breaker.state(), CircuitState::Open);
    assert_eq!(
        *events.lock().unwrap(),
        ["closed → open (failure rate 60% ≥ 50% over 10 calls)"]
    );
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("circuit breaker changed state"), "{logs}");
    assert!(
        logs.contains("reason=failure rate 60% ≥ 50% over 10 calls"),
        "{logs}"
    );
    assert!(logs.contains("subscriber panicked"), "{logs}");
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

static FAILING_BARRIER: std::sync::OnceLock<tokio::sync::Barrier> = std::sync::OnceLock::new();

#[circuit_breaker(
    name = "cb-thousand",
    failure_rate = 50,
    window = 100,
    minimum_calls = 10
)]
async fn failing_together() -> Result<(), AppError> {
    // Every task holds its closed-state permit until all 1 000 have one.
    FAILING_BARRIER
        .get_or_init(|| tokio::sync::Barrier::new(1_000))
        .wait()
        .await;
    Err(AppError::Server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_failing_tasks_open_the_breaker_exactly_once() {
    let breaker = handle("cb-thousand");
    let opened = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&opened);
    let _subscription = breaker.subscribe(move |event| {
        if event.to == CircuitState::Open {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let tasks: Vec<_> = (0..1_000)
        .map(|_| tokio::spawn(failing_together()))
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Err(AppError::Server));
    }
    assert_eq!(breaker.state(), CircuitState::Open);
    assert_eq!(opened.load(Ordering::SeqCst), 1);
    let metrics = breaker.metrics();
    assert_eq!(metrics.transitions, 1);
    assert_eq!(metrics.failed, 1_000, "every admitted call is counted");
    assert_eq!(breaker.recent_transitions().len(), 1);
}

static CONTENDED_GATE: AtomicU32 = AtomicU32::new(0);

/// Adopts the breaker the test registers from code, with no recovery wait: an attribute
/// insists on a positive `recovery_timeout`, and this test must not wait on the real clock.
#[circuit_breaker(name = "cb-contended")]
async fn contended(fail: bool) -> Result<(), AppError> {
    if fail {
        return Err(AppError::Server);
    }
    while CONTENDED_GATE.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn half_open_admits_exactly_n_calls_under_contention() {
    let breaker = registry().register_circuit_breaker(
        "cb-contended",
        CircuitBreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(Duration::ZERO)
            .with_success_threshold(5),
    );
    let _ = contended(true).await;
    assert_eq!(breaker.state(), CircuitState::Open);
    let tasks: Vec<_> = (0..200).map(|_| tokio::spawn(contended(false))).collect();
    // Wait until every task has been admitted or rejected.
    while breaker.metrics().not_permitted < 195 {
        tokio::task::yield_now().await;
    }
    CONTENDED_GATE.store(1, Ordering::SeqCst);
    let mut admitted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => admitted += 1,
            Err(error) => assert!(error.is_circuit_open(), "{error:?}"),
        }
    }
    assert_eq!(admitted, 5);
    assert_eq!(breaker.metrics().not_permitted, 195);
    assert_eq!(breaker.state(), CircuitState::Closed);
}

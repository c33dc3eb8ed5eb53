//! `Ok` outcomes that failed: `#[retry(when_ok = ..)]` tries a flagged `Ok` (a 503 response
//! returned as `Ok`) again, and returns the last one when the attempts run out;
//! `#[circuit_breaker(record_if_ok = ..)]` counts one as a failure and still returns it.
//! Through the attributes on async and sync fns, stacked with other layers, and through the
//! plain API, on tokio's paused clock (the sync fns retry without a delay).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use resilience_runtime::circuit_breaker::{
    CircuitBreaker, CircuitBreakerConfig, CircuitState, RecordOn,
};
use resilience_runtime::retry::{BackoffKind, Jitter, Retry, RetryConfig, RetryMetrics, RetryOn};
use resilience_runtime::{Error, circuit_breaker, fallback, registry, retry};
use resilience_tests::ServiceError;
use tokio::time::{Instant, advance};

/// A response that may be a failure although it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Response {
    status: u16,
}

impl Response {
    fn is_unavailable(&self) -> bool {
        self.status == 503
    }

    fn is_server_error(&self) -> bool {
        self.status >= 500
    }
}

/// What the server does on one call.
#[derive(Debug, Clone)]
enum Answer {
    /// Answers with this status.
    Status(u16),
    /// Fails with this (transient) error's text.
    Fail(&'static str),
}

use Answer::{Fail, Status};

/// Answers as its script says, one step per call, then `200`.
struct Server {
    script: Mutex<VecDeque<Answer>>,
    calls: Mutex<u32>,
}

impl Server {
    fn new(script: &[Answer]) -> Self {
        Self {
            script: Mutex::new(script.iter().cloned().collect()),
            calls: Mutex::new(0),
        }
    }

    /// Always answers `status`.
    fn always(status: u16) -> Self {
        Self::new(&vec![Status(status); 100])
    }

    fn answer(&self) -> Result<Response, ServiceError> {
        *self.calls.lock().unwrap() += 1;
        match self.script.lock().unwrap().pop_front() {
            Some(Status(status)) => Ok(Response { status }),
            Some(Fail(text)) => Err(ServiceError::Transient(String::from(text))),
            None => Ok(Response { status: 200 }),
        }
    }

    fn calls(&self) -> u32 {
        *self.calls.lock().unwrap()
    }
}

fn retry_metrics(name: &str) -> RetryMetrics {
    registry()
        .retry(name)
        .unwrap_or_else(|| panic!("`{name}` is declared"))
        .metrics()
}

/// (calls, retries, succeeded, succeeded after retry, failed, exhausted).
fn counts(metrics: RetryMetrics) -> (u64, u64, u64, u64, u64, u64) {
    (
        metrics.calls,
        metrics.retries,
        metrics.succeeded,
        metrics.succeeded_after_retry,
        metrics.failed,
        metrics.exhausted,
    )
}

fn breaker(name: &str) -> resilience_runtime::CircuitBreakerHandle {
    registry()
        .circuit_breaker(name)
        .unwrap_or_else(|| panic!("`{name}` is declared"))
}

// ---------------------------------------------------------------------------------------------
// #[retry(when_ok = ..)]
// ---------------------------------------------------------------------------------------------

#[retry(
    name = "ok-503-then-200",
    max_attempts = 4,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none",
    when_ok = Response::is_unavailable
)]
async fn fetch_until_available(server: &Server) -> Result<Response, ServiceError> {
    server.answer()
}

#[tokio::test(start_paused = true)]
async fn a_503_returned_as_ok_is_retried_until_a_200() {
    let server = Server::new(&[Status(503), Status(503)]);
    let started = Instant::now();
    let response = fetch_until_available(&server).await;
    assert_eq!(response, Ok(Response { status: 200 }));
    assert_eq!(server.calls(), 3);
    // The backoff's fixed delay before each retry.
    assert_eq!(started.elapsed(), Duration::from_millis(20));
    assert_eq!(counts(retry_metrics("ok-503-then-200")), (1, 2, 1, 1, 0, 0));
}

#[retry(
    name = "ok-always-503",
    max_attempts = 3,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none",
    when_ok = Response::is_unavailable
)]
async fn fetch_from_a_down_server(server: &Server) -> Result<Response, ServiceError> {
    server.answer()
}

#[tokio::test(start_paused = true)]
async fn when_attempts_run_out_the_last_ok_is_returned_and_counted_as_exhausted() {
    let server = Server::always(503);
    let response = fetch_from_a_down_server(&server).await;
    assert_eq!(response, Ok(Response { status: 503 }), "not an error");
    assert_eq!(server.calls(), 3);
    // Two retries, then the call failed after retrying: exhausted, never succeeded.
    assert_eq!(counts(retry_metrics("ok-always-503")), (1, 2, 0, 0, 1, 1));
}

#[retry(
    name = "ok-not-flagged",
    max_attempts = 3,
    initial_delay = "10ms",
    when_ok = Response::is_unavailable
)]
async fn fetch_a_404(server: &Server) -> Result<Response, ServiceError> {
    server.answer()
}

#[tokio::test(start_paused = true)]
async fn an_ok_the_predicate_does_not_flag_is_final() {
    let server = Server::new(&[Status(404)]);
    assert_eq!(fetch_a_404(&server).await, Ok(Response { status: 404 }));
    assert_eq!(server.calls(), 1);
    assert_eq!(counts(retry_metrics("ok-not-flagged")), (1, 0, 1, 0, 0, 0));
}

#[retry(
    name = "ok-with-errors-and-hints",
    max_attempts = 4,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none",
    when = ServiceError::is_transient,
    when_ok = Response::is_unavailable,
    retry_after = ServiceError::retry_after
)]
async fn fetch_with_hints(server: &Server) -> Result<Response, ServiceError> {
    server.answer()
}

#[tokio::test(start_paused = true)]
async fn errors_follow_when_and_their_hint_while_a_flagged_ok_waits_the_backoff() {
    let server = Server::new(&[Fail("retry-after:500"), Status(503), Fail("down")]);
    let started = Instant::now();
    let response = fetch_with_hints(&server).await;
    assert_eq!(response, Ok(Response { status: 200 }));
    assert_eq!(server.calls(), 4);
    // The error's hint (500ms), then the backoff after the 503 and after the plain error.
    assert_eq!(started.elapsed(), Duration::from_millis(520));
    assert_eq!(
        counts(retry_metrics("ok-with-errors-and-hints")),
        (1, 3, 1, 1, 0, 0)
    );
}

// ---------------------------------------------------------------------------------------------
// #[circuit_breaker(record_if_ok = ..)]
// ---------------------------------------------------------------------------------------------

#[circuit_breaker(
    name = "ok-breaker",
    failure_threshold = 3,
    recovery_timeout = "10s",
    success_threshold = 1,
    record_if_ok = Response::is_server_error
)]
async fn guarded(server: &Server) -> Result<Response, ServiceError> {
    server.answer()
}

#[tokio::test(start_paused = true)]
async fn flagged_oks_open_the_breaker_and_reach_the_caller_unchanged() {
    let db = breaker("ok-breaker");
    let server = Server::new(&[
        Status(500),
        Status(503),
        Status(404), // not flagged: a success, which ends the run of failures
        Status(500),
        Status(502),
        Status(503),
    ]);
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(guarded(&server).await.map(|response| response.status));
    }
    assert_eq!(
        statuses,
        [Ok(500), Ok(503), Ok(404), Ok(500), Ok(502), Ok(503)]
    );
    assert_eq!(db.state(), CircuitState::Open);
    let metrics = db.metrics();
    assert_eq!((metrics.successful, metrics.failed), (1, 5));

    // Open: rejected without calling the server.
    let rejected = guarded(&server).await;
    assert!(
        matches!(
            rejected,
            Err(ServiceError::Resilience(Error::CircuitOpen { .. }))
        ),
        "{rejected:?}"
    );
    assert_eq!(server.calls(), 6);

    // After the recovery timeout a trial call that answers 200 closes it; one that answers
    // 503 would have reopened it.
    advance(Duration::from_secs(10)).await;
    assert_eq!(guarded(&server).await, Ok(Response { status: 200 }));
    assert_eq!(db.state(), CircuitState::Closed);
}

#[circuit_breaker(
    name = "ok-breaker-trial",
    failure_threshold = 1,
    recovery_timeout = "10s",
    record_if_ok = Response::is_server_error
)]
async fn guarded_trial(server: &Server) -> Result<Response, ServiceError> {
    server.answer()
}

#[tokio::test(start_paused = true)]
async fn a_flagged_ok_in_half_open_reopens_the_breaker() {
    let db = breaker("ok-breaker-trial");
    let server = Server::always(503);
    assert_eq!(guarded_trial(&server).await, Ok(Response { status: 503 }));
    assert_eq!(db.state(), CircuitState::Open);
    advance(Duration::from_secs(10)).await;
    assert_eq!(guarded_trial(&server).await, Ok(Response { status: 503 }));
    assert_eq!(db.state(), CircuitState::Open, "the trial call failed");
}

// ---------------------------------------------------------------------------------------------
// Stacked
// ---------------------------------------------------------------------------------------------

#[retry(name = "ok-outer-retry", max_attempts = 3, initial_delay = "10ms")]
#[circuit_breaker(
    name = "ok-inner-breaker",
    failure_threshold = 10,
    record_if_ok = Response::is_server_error
)]
async fn retried_without_when_ok(server: &Server) -> Result<Response, ServiceError> {
    server.answer()
}

#[retry(
    name = "ok-outer-retry-when-ok",
    max_attempts = 3,
    initial_delay = "10ms",
    when_ok = Response::is_unavailable
)]
#[circuit_breaker(
    name = "ok-inner-breaker-when-ok",
    failure_threshold = 10,
    record_if_ok = Response::is_server_error
)]
async fn retried_with_when_ok(server: &Server) -> Result<Response, ServiceError> {
    server.answer()
}

#[tokio::test(start_paused = true)]
async fn an_ok_the_breaker_counts_as_failed_is_retried_only_if_when_ok_says_so() {
    let server = Server::new(&[Status(503), Status(503)]);
    assert_eq!(
        retried_without_when_ok(&server).await,
        Ok(Response { status: 503 })
    );
    assert_eq!(server.calls(), 1, "an `Ok` is final for an outer retry");
    assert_eq!(counts(retry_metrics("ok-outer-retry")), (1, 0, 1, 0, 0, 0));
    assert_eq!(breaker("ok-inner-breaker").metrics().failed, 1);

    let server = Server::new(&[Status(503), Status(503)]);
    assert_eq!(
        retried_with_when_ok(&server).await,
        Ok(Response { status: 200 })
    );
    assert_eq!(server.calls(), 3);
    let metrics = breaker("ok-inner-breaker-when-ok").metrics();
    assert_eq!((metrics.failed, metrics.successful), (2, 1), "each attempt");
}

#[circuit_breaker(
    name = "ok-outer-breaker",
    failure_threshold = 1,
    record_if_ok = Response::is_server_error
)]
#[retry(
    name = "ok-inner-retry",
    max_attempts = 2,
    initial_delay = "10ms",
    when_ok = Response::is_unavailable
)]
async fn breaker_around_retry(server: &Server) -> Result<Response, ServiceError> {
    server.answer()
}

#[tokio::test(start_paused = true)]
async fn a_breaker_around_the_retry_counts_the_last_ok_once() {
    let server = Server::always(503);
    assert_eq!(
        breaker_around_retry(&server).await,
        Ok(Response { status: 503 })
    );
    assert_eq!(server.calls(), 2);
    let db = breaker("ok-outer-breaker");
    assert_eq!(db.metrics().failed, 1, "one logical call");
    assert_eq!(db.state(), CircuitState::Open);
    let rejected = breaker_around_retry(&server).await;
    assert!(
        matches!(
            rejected,
            Err(ServiceError::Resilience(Error::CircuitOpen { .. }))
        ),
        "{rejected:?}"
    );
    assert_eq!(server.calls(), 2);
}

fn served_stale(_: ServiceError) -> Result<Response, ServiceError> {
    Ok(Response { status: 503 })
}

fn from_cache(_: ServiceError) -> Result<Response, ServiceError> {
    Ok(Response { status: 299 })
}

#[retry(
    name = "ok-retry-over-fallback",
    max_attempts = 3,
    initial_delay = "10ms",
    when_ok = Response::is_unavailable
)]
#[fallback(served_stale)]
async fn retry_over_fallback(server: &Server) -> Result<Response, ServiceError> {
    server.answer()
}

#[fallback(from_cache)]
#[retry(
    name = "ok-fallback-over-retry",
    max_attempts = 2,
    initial_delay = "10ms",
    when_ok = Response::is_unavailable
)]
async fn fallback_over_retry(server: &Server) -> Result<Response, ServiceError> {
    server.answer()
}

#[tokio::test(start_paused = true)]
async fn with_a_fallback_an_ok_is_judged_where_it_arrives() {
    // The fallback below turns each failure into a 503, which the retry tries again.
    let server = Server::new(&[Fail("down"), Fail("down")]);
    assert_eq!(
        retry_over_fallback(&server).await,
        Ok(Response { status: 200 })
    );
    assert_eq!(server.calls(), 3);

    // The retry's last `Ok` is an `Ok`: the fallback above it is not called.
    let server = Server::always(503);
    assert_eq!(
        fallback_over_retry(&server).await,
        Ok(Response { status: 503 })
    );
    assert_eq!(server.calls(), 2);
    assert_eq!(
        counts(retry_metrics("ok-fallback-over-retry")),
        (1, 1, 0, 0, 1, 1)
    );
}

// ---------------------------------------------------------------------------------------------
// Sync fns
// ---------------------------------------------------------------------------------------------

#[circuit_breaker(
    name = "ok-sync-breaker",
    failure_threshold = 2,
    record_if_ok = Response::is_server_error
)]
#[retry(
    name = "ok-sync-retry",
    max_attempts = 3,
    initial_delay = "0s",
    when_ok = Response::is_unavailable
)]
fn fetch_blocking(server: &Server) -> Result<Response, ServiceError> {
    server.answer()
}

#[test]
fn sync_fns_retry_flagged_oks_and_count_them_as_failures() {
    let server = Server::new(&[Status(503), Status(503)]);
    assert_eq!(fetch_blocking(&server), Ok(Response { status: 200 }));
    assert_eq!(server.calls(), 3);

    let server = Server::always(503);
    for _ in 0..2 {
        assert_eq!(fetch_blocking(&server), Ok(Response { status: 503 }));
    }
    assert_eq!(server.calls(), 6);
    assert_eq!(counts(retry_metrics("ok-sync-retry")), (3, 6, 1, 1, 2, 2));
    let db = breaker("ok-sync-breaker");
    assert_eq!((db.metrics().successful, db.metrics().failed), (1, 2));
    assert_eq!(db.state(), CircuitState::Open);
}

/// A borrowed `Ok` value: the predicate takes `&&str`.
fn is_blank(text: &&str) -> bool {
    text.trim().is_empty()
}

#[retry(
    name = "ok-sync-borrowed",
    max_attempts = 2,
    initial_delay = "0s",
    when_ok = is_blank
)]
#[circuit_breaker(
    name = "ok-sync-borrowed-breaker",
    failure_threshold = 5,
    record_if_ok = is_blank
)]
fn first_line(text: &str) -> Result<&str, ServiceError> {
    Ok(text.lines().next().unwrap_or_default())
}

#[test]
fn a_borrowed_ok_is_judged_through_its_reference() {
    assert_eq!(first_line("head\nbody"), Ok("head"));
    assert_eq!(first_line(" \nbody"), Ok(" "));
    assert_eq!(
        counts(retry_metrics("ok-sync-borrowed")),
        (2, 1, 1, 0, 1, 1)
    );
    let metrics = breaker("ok-sync-borrowed-breaker").metrics();
    assert_eq!((metrics.successful, metrics.failed), (1, 2));
}

// ---------------------------------------------------------------------------------------------
// The plain API
// ---------------------------------------------------------------------------------------------

fn fixed_retry(name: &'static str, attempts: u32) -> Retry {
    Retry::new(
        name,
        RetryConfig::new()
            .with_max_attempts(attempts)
            .with_backoff(BackoffKind::Fixed)
            .with_initial_delay(Duration::from_millis(10))
            .with_jitter(Jitter::None),
    )
}

#[tokio::test(start_paused = true)]
async fn run_on_retries_a_flagged_ok_and_returns_the_last_one() {
    let retry = fixed_retry("ok-plain-retry", 3);
    let server = Server::new(&[Status(503), Fail("down"), Status(503)]);
    let on = RetryOn::new()
        .when(ServiceError::is_transient)
        .when_ok(Response::is_unavailable);
    let started = Instant::now();
    let response = retry.run_on(on, || async { server.answer() }).await;
    assert_eq!(response, Ok(Response { status: 503 }));
    assert_eq!(server.calls(), 3);
    assert_eq!(started.elapsed(), Duration::from_millis(20));
    assert_eq!(counts(retry.metrics()), (1, 2, 0, 0, 1, 1));

    let server = Server::new(&[Status(503)]);
    let response = retry.run_on(on, || async { server.answer() }).await;
    assert_eq!(response, Ok(Response { status: 200 }));
    assert_eq!(counts(retry.metrics()), (2, 3, 1, 1, 1, 1));

    // The existing methods keep every `Ok` final.
    let server = Server::new(&[Status(503)]);
    let response = retry
        .run(ServiceError::is_transient, || async { server.answer() })
        .await;
    assert_eq!(
        (response, server.calls()),
        (Ok(Response { status: 503 }), 1)
    );
}

#[test]
fn run_blocking_on_retries_a_flagged_ok() {
    let retry = Retry::new(
        "ok-plain-blocking",
        RetryConfig::new()
            .with_max_attempts(3)
            .with_initial_delay(Duration::ZERO),
    );
    let server = Server::new(&[Status(503), Status(503)]);
    let response = retry.run_blocking_on(RetryOn::new().when_ok(Response::is_unavailable), || {
        server.answer()
    });
    assert_eq!(response, Ok(Response { status: 200 }));
    assert_eq!(counts(retry.metrics()), (1, 2, 1, 1, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn call_on_opens_the_breaker_on_flagged_oks() {
    let db = CircuitBreaker::new(
        "ok-plain-breaker",
        CircuitBreakerConfig::new()
            .with_failure_threshold(2)
            .with_recovery_timeout(Duration::from_secs(5)),
    );
    let on = RecordOn::new()
        .record_if_ok(Response::is_server_error)
        .ignore_if(|error: &ServiceError| matches!(error, ServiceError::Permanent));
    let server = Server::new(&[Status(500), Status(500)]);
    for _ in 0..2 {
        let response = db.call_on(async { server.answer() }, on).await;
        assert_eq!(response, Ok(Response { status: 500 }));
    }
    assert_eq!(db.state(), CircuitState::Open);
    let rejected = db.call_on(async { server.answer() }, on).await;
    assert!(matches!(
        rejected,
        Err(ServiceError::Resilience(Error::CircuitOpen { .. }))
    ));
    advance(Duration::from_secs(5)).await;
    for _ in 0..2 {
        assert_eq!(
            db.call_on(async { server.answer() }, on).await,
            Ok(Response { status: 200 })
        );
    }
    assert_eq!(db.state(), CircuitState::Closed);

    // `call` and `call_with` count every `Ok` as a success, as before.
    let server = Server::always(500);
    db.call(async { server.answer() }).await.unwrap();
    db.call_with(async { server.answer() }, |_| true, |_| false)
        .await
        .unwrap();
    assert_eq!(db.metrics().consecutive_failures, 0);
}

#[test]
fn a_permit_records_a_result_as_record_on_says() {
    let db = CircuitBreaker::new(
        "ok-plain-permit",
        CircuitBreakerConfig::new().with_failure_threshold(3),
    );
    let on = RecordOn::new()
        .record_if(ServiceError::is_transient)
        .ignore_if(|error: &ServiceError| matches!(error, ServiceError::Resilience(_)))
        .record_if_ok(Response::is_server_error);
    let outcomes: [Result<Response, ServiceError>; 5] = [
        Ok(Response { status: 200 }),                // success
        Ok(Response { status: 503 }),                // failure
        Err(ServiceError::Permanent),                // not recorded: a success
        Err(ServiceError::Transient(String::new())), // failure
        Err(ServiceError::Resilience(Error::timeout(
            Duration::from_secs(1),
        ))), // ignored
    ];
    for outcome in &outcomes {
        db.try_acquire().unwrap().record_result(outcome, &on);
    }
    let metrics = db.metrics();
    assert_eq!(
        (metrics.successful, metrics.failed, metrics.ignored),
        (2, 2, 1)
    );
}

#[circuit_breaker(
    name = "ok-attr-stack-breaker",
    failure_threshold = 2,
    recovery_timeout = "10s",
    record_if_ok = Response::is_server_error
)]
#[retry(
    name = "ok-attr-stack-retry",
    max_attempts = 3,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none",
    when = ServiceError::is_transient,
    when_ok = Response::is_unavailable
)]
async fn stacked_by_attributes(server: &Server) -> Result<Response, ServiceError> {
    server.answer()
}

#[tokio::test(start_paused = true)]
async fn by_hand_the_plain_api_judges_oks_as_the_attributes_do() {
    let script = [
        Status(200),
        Status(503),
        Status(200),
        Status(500), // flagged by the breaker only: final for the retry, a failure
        Status(503),
        Fail("down"),
        Status(503), // the retry gives up with this `Ok`: the breaker opens
        Status(200), // rejected by the open breaker: never called
    ];
    let (attr_server, hand_server) = (Server::new(&script), Server::new(&script));
    let hand_breaker = CircuitBreaker::new(
        "ok-hand-stack-breaker",
        CircuitBreakerConfig::new()
            .with_failure_threshold(2)
            .with_recovery_timeout(Duration::from_secs(10)),
    );
    let hand_retry = fixed_retry("ok-hand-stack-retry", 3);
    let record = RecordOn::new().record_if_ok(Response::is_server_error);
    let retry_on = RetryOn::new()
        .when(ServiceError::is_transient)
        .when_ok(Response::is_unavailable);

    let mut traces = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let (attr, hand) = tokio::join!(
            stacked_by_attributes(&attr_server),
            hand_breaker.call_on(
                hand_retry.run_on(retry_on, || async { hand_server.answer() }),
                record
            )
        );
        let (attr_breaker, attr_retry) = (
            breaker("ok-attr-stack-breaker"),
            retry_metrics("ok-attr-stack-retry"),
        );
        let trace = |outcome: Result<Response, ServiceError>, db: &CircuitBreaker, retry| {
            let metrics = db.metrics();
            (
                format!("{outcome:?}")
                    .replace("ok-attr-stack-", "")
                    .replace("ok-hand-stack-", ""),
                db.state(),
                (metrics.successful, metrics.failed, metrics.not_permitted),
                counts(retry),
            )
        };
        traces.0.push(trace(attr, &attr_breaker, attr_retry));
        traces
            .1
            .push(trace(hand, &hand_breaker, hand_retry.metrics()));
    }
    assert_eq!(traces.0, traces.1);
    assert_eq!(traces.1[3].1, CircuitState::Open, "{:?}", traces.1);
    assert!(traces.1[4].0.contains("CircuitOpen"), "{:?}", traces.1[4]);
    assert_eq!(attr_server.calls(), hand_server.calls());
}

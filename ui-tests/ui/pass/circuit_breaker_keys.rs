//! Every `#[circuit_breaker]` key in its valid forms: both trip models, count and time windows,
//! slow calls, the half-open keys, a growing open wait, `record_if` / `ignore_if`,
//! `record_if_ok`, defaults and `crate`.

use std::time::Duration;

use resilience_runtime::circuit_breaker::{CircuitState, SlidingWindow};
use resilience_runtime::{circuit_breaker, registry, Error};

#[derive(Debug, PartialEq)]
enum AppError {
    Server,
    Client,
    Cancelled,
    Layer(Error),
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        Self::Layer(error)
    }
}

impl AppError {
    fn is_server(&self) -> bool {
        matches!(self, Self::Server)
    }

    fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled)
    }

    fn is_circuit_open(&self) -> bool {
        matches!(self, Self::Layer(Error::CircuitOpen { .. }))
    }
}

#[circuit_breaker(
    name = "cb-threshold",
    failure_threshold = 2,
    recovery_timeout = "2s",
    success_threshold = 1,
    half_open_max_calls = 3
)]
async fn threshold(outcome: Result<(), AppError>) -> Result<(), AppError> {
    outcome
}

#[circuit_breaker(name = "cb-count-window", failure_rate = 50, window = 4, minimum_calls = 4)]
async fn count_window(outcome: Result<(), AppError>) -> Result<(), AppError> {
    outcome
}

#[circuit_breaker(name = "cb-time-window", failure_rate = 100, window = "60s", minimum_calls = 1)]
async fn time_window(outcome: Result<(), AppError>) -> Result<(), AppError> {
    outcome
}

#[circuit_breaker(name = "cb-time-window-1m", failure_rate = 1, window = "1m")]
async fn time_window_minutes() -> Result<(), AppError> {
    Ok(())
}

#[circuit_breaker(
    name = "cb-slow",
    slow_call_duration = "100ms",
    slow_call_rate = 100,
    window = 2,
    minimum_calls = 2
)]
async fn slow(delay: Duration) -> Result<(), AppError> {
    tokio::time::sleep(delay).await;
    Ok(())
}

// The rate model judges its one trial call by the rate: no `success_threshold` needed.
#[circuit_breaker(
    name = "cb-recovery",
    failure_rate = 50,
    window = 2,
    minimum_calls = 2,
    recovery_timeout = "1s",
    recovery_backoff = 2,
    max_recovery_timeout = "3s",
    half_open_max_calls = 1,
    max_wait_in_half_open = "10s"
)]
async fn recovering(outcome: Result<(), AppError>) -> Result<(), AppError> {
    outcome
}

#[circuit_breaker(
    name = "cb-filters",
    failure_threshold = 1,
    record_if = AppError::is_server,
    ignore_if = AppError::is_cancelled
)]
async fn filtered(outcome: Result<(), AppError>) -> Result<(), AppError> {
    outcome
}

fn is_zero(value: &u8) -> bool {
    *value == 0
}

#[circuit_breaker(name = "cb-record-if-ok", failure_threshold = 1, record_if_ok = is_zero)]
async fn counted_ok(value: u8) -> Result<u8, AppError> {
    Ok(value)
}

#[circuit_breaker]
async fn unnamed() -> Result<u8, AppError> {
    Ok(1)
}

#[circuit_breaker(crate = "resilience_runtime", name = "cb-crate")]
async fn with_crate() -> Result<u8, AppError> {
    Ok(2)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        // Consecutive failures, recovery, one success closes it again.
        assert_eq!(threshold(Err(AppError::Server)).await, Err(AppError::Server));
        assert_eq!(threshold(Err(AppError::Server)).await, Err(AppError::Server));
        let breaker = registry().circuit_breaker("cb-threshold").unwrap();
        assert_eq!(breaker.state(), CircuitState::Open);
        assert!(threshold(Ok(())).await.unwrap_err().is_circuit_open());
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(threshold(Ok(())).await, Ok(()));
        assert_eq!(breaker.state(), CircuitState::Closed);
        let config = breaker.config();
        assert_eq!(config.failure_threshold(), 2);
        assert_eq!(config.recovery_timeout(), Duration::from_secs(2));
        assert_eq!(config.success_threshold(), 1);
        assert_eq!(config.half_open_max_calls(), 3);

        // Half of a 4-call window failed: open.
        for outcome in [Ok(()), Err(AppError::Server), Ok(()), Err(AppError::Server)] {
            let _ = count_window(outcome).await;
        }
        let breaker = registry().circuit_breaker("cb-count-window").unwrap();
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(breaker.config().failure_rate(), Some(50));
        assert_eq!(breaker.config().window(), SlidingWindow::Calls(4));
        assert_eq!(breaker.config().minimum_calls(), 4);

        let _ = time_window(Err(AppError::Server)).await;
        let breaker = registry().circuit_breaker("cb-time-window").unwrap();
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(breaker.config().window(), SlidingWindow::Time(Duration::from_secs(60)));

        assert_eq!(time_window_minutes().await, Ok(()));
        let breaker = registry().circuit_breaker("cb-time-window-1m").unwrap();
        assert_eq!(breaker.config().window(), SlidingWindow::Time(Duration::from_secs(60)));

        // Two slow calls out of two: open, although both succeeded.
        assert_eq!(slow(Duration::from_millis(150)).await, Ok(()));
        assert_eq!(slow(Duration::from_millis(150)).await, Ok(()));
        let breaker = registry().circuit_breaker("cb-slow").unwrap();
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(breaker.config().slow_call_duration(), Some(Duration::from_millis(100)));
        assert_eq!(breaker.config().slow_call_rate(), Some(100));

        // Each failed recovery doubles the open wait, up to 3s.
        let _ = recovering(Err(AppError::Server)).await;
        let _ = recovering(Err(AppError::Server)).await;
        let breaker = registry().circuit_breaker("cb-recovery").unwrap();
        let config = breaker.config();
        assert_eq!(config.recovery_backoff(), Some(2.0));
        assert_eq!(config.max_recovery_timeout(), Some(Duration::from_secs(3)));
        assert_eq!(config.max_wait_in_half_open(), Some(Duration::from_secs(10)));
        for wait in [1, 2, 3, 3] {
            assert_eq!(breaker.metrics().open_wait, Some(Duration::from_secs(wait)));
            tokio::time::sleep(Duration::from_secs(wait)).await;
            let _ = recovering(Err(AppError::Server)).await;
            assert_eq!(breaker.state(), CircuitState::Open);
        }

        // A client error is not recorded, a cancellation is ignored, a server error trips.
        let breaker = registry().circuit_breaker("cb-filters").unwrap();
        assert_eq!(filtered(Err(AppError::Client)).await, Err(AppError::Client));
        assert_eq!(filtered(Err(AppError::Cancelled)).await, Err(AppError::Cancelled));
        assert_eq!(breaker.state(), CircuitState::Closed);
        assert_eq!(filtered(Err(AppError::Server)).await, Err(AppError::Server));
        assert_eq!(breaker.state(), CircuitState::Open);

        // A flagged `Ok` is a failure, and still the caller's value.
        let breaker = registry().circuit_breaker("cb-record-if-ok").unwrap();
        assert_eq!(counted_ok(1).await, Ok(1));
        assert_eq!(breaker.state(), CircuitState::Closed);
        assert_eq!(counted_ok(0).await, Ok(0));
        assert_eq!(breaker.state(), CircuitState::Open);

        assert_eq!(unnamed().await, Ok(1));
        assert_eq!(with_crate().await, Ok(2));
        let snapshot = registry().snapshot();
        assert!(snapshot.circuit_breakers.iter().any(|breaker| breaker.name.ends_with("::unnamed")));
        assert!(snapshot.circuit_breakers.iter().any(|breaker| breaker.name == "cb-crate"));
    });
}

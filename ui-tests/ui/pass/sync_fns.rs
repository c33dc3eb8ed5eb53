//! Plain (sync) fns under `#[retry]`, `#[circuit_breaker]`, `#[rate_limit]`, `#[bulkhead]` and
//! `#[fallback]`, alone and stacked. No tokio runtime is involved.

use std::cell::Cell;

use resilience_runtime::circuit_breaker::CircuitState;
use resilience_runtime::{bulkhead, circuit_breaker, fallback, rate_limit, registry, retry, Error};

#[derive(Debug, PartialEq)]
enum AppError {
    Flaky,
    Layer(Error),
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        Self::Layer(error)
    }
}

/// Fails while `failures` is above zero.
fn flaky(failures: &Cell<u32>) -> Result<u32, AppError> {
    if failures.get() > 0 {
        failures.set(failures.get() - 1);
        return Err(AppError::Flaky);
    }
    Ok(7)
}

#[retry(max_attempts = 3, backoff = "fixed", initial_delay = "1ms", jitter = "none")]
fn retried(failures: &Cell<u32>) -> Result<u32, AppError> {
    flaky(failures)
}

#[circuit_breaker(name = "sync-breaker", failure_threshold = 1)]
fn guarded(failures: &Cell<u32>) -> Result<u32, AppError> {
    flaky(failures)
}

#[rate_limit(name = "sync-limiter", rate = "1/h", on_limit = "reject")]
fn limited() -> Result<u32, AppError> {
    Ok(1)
}

#[bulkhead(name = "sync-pool", max_concurrent = 1)]
fn pooled() -> Result<u32, AppError> {
    Ok(registry().bulkhead("sync-pool").unwrap().in_flight() as u32)
}

fn zero(_: AppError) -> Result<u32, AppError> {
    Ok(0)
}

#[fallback(zero)]
fn with_fallback(failures: &Cell<u32>) -> Result<u32, AppError> {
    flaky(failures)
}

#[fallback(zero)]
#[circuit_breaker(name = "sync-stack", failure_rate = 50, window = 10, minimum_calls = 5)]
#[retry(max_attempts = 2, initial_delay = "1ms")]
#[rate_limit(name = "sync-stack-rate", rate = "1000/s")]
#[bulkhead(name = "sync-stack-pool", max_concurrent = 2, max_wait = "10ms")]
fn stacked(failures: &Cell<u32>) -> Result<u32, AppError> {
    flaky(failures)
}

fn main() {
    // The signature is kept: the fn still coerces to its plain fn-pointer type.
    let retried: fn(&Cell<u32>) -> Result<u32, AppError> = retried;
    assert_eq!(retried(&Cell::new(2)), Ok(7));
    assert_eq!(retried(&Cell::new(3)), Err(AppError::Flaky));

    assert_eq!(guarded(&Cell::new(1)), Err(AppError::Flaky));
    assert_eq!(registry().circuit_breaker("sync-breaker").unwrap().state(), CircuitState::Open);
    assert!(matches!(guarded(&Cell::new(0)), Err(AppError::Layer(Error::CircuitOpen { .. }))));

    assert_eq!(limited(), Ok(1));
    assert!(matches!(limited(), Err(AppError::Layer(Error::RateLimited { .. }))));

    assert_eq!(pooled(), Ok(1));
    assert_eq!(registry().bulkhead("sync-pool").unwrap().in_flight(), 0);

    assert_eq!(with_fallback(&Cell::new(0)), Ok(7));
    assert_eq!(with_fallback(&Cell::new(1)), Ok(0));

    assert_eq!(stacked(&Cell::new(1)), Ok(7));
    assert_eq!(stacked(&Cell::new(2)), Ok(0));
}

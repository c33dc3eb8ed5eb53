//! Code written as users write it, compiled with every lint denied.
//!
//! This crate uses every attribute on every kind of fn the contract covers (free fns, methods
//! with each receiver, generics, `impl Trait` arguments, elided lifetimes, sync fns,
//! `#[async_trait]` impls, `#[tracing::instrument]`), under `deny(warnings, clippy::pedantic)`,
//! so that generated code never raises a lint in a user's crate. The integration tests in
//! `tests/` drive these fns.
#![deny(warnings, clippy::pedantic)]

use std::fmt::Display;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilience_runtime::{
    bulkhead, chaos, circuit_breaker, fallback, hedge, rate_limit, retry, timeout,
};

/// The error type of the services below.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// Worth retrying.
    #[error("transient failure: {0}")]
    Transient(String),
    /// Not worth retrying.
    #[error("permanent failure")]
    Permanent,
    /// A resilience layer refused or cut short the call.
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

impl ServiceError {
    /// Whether a retry may help.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }

    /// The error `#[chaos]` injects: a transient failure.
    #[must_use]
    pub fn injected() -> Self {
        Self::Transient(String::from("injected by chaos"))
    }

    /// A server's retry-after hint, carried in the message as milliseconds.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Transient(message) => message
                .strip_prefix("retry-after:")
                .and_then(|millis| millis.parse().ok())
                .map(Duration::from_millis),
            _ => None,
        }
    }
}

/// A counter that fails its first `failures` calls.
#[derive(Debug, Default)]
pub struct Flaky {
    calls: AtomicU32,
    failures: u32,
}

impl Flaky {
    /// Fails the first `failures` calls, then succeeds.
    #[must_use]
    pub fn new(failures: u32) -> Self {
        Self {
            calls: AtomicU32::new(0),
            failures,
        }
    }

    /// How many times the service was called.
    #[must_use]
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    fn next(&self) -> Result<u32, ServiceError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if call <= self.failures {
            Err(ServiceError::Transient(format!("call {call}")))
        } else {
            Ok(call)
        }
    }

    /// A stacked free-standing use of every layer.
    ///
    /// # Errors
    /// The last failure once the retries are spent.
    #[circuit_breaker(name = "lint-flaky", failure_threshold = 50, recovery_timeout = "1s")]
    #[retry(max_attempts = 4, backoff = "exponential", initial_delay = "10ms", max_delay = "1s",
            jitter = "none", when = ServiceError::is_transient, retry_after = ServiceError::retry_after)]
    #[timeout("500ms")]
    #[rate_limit(name = "lint-flaky-rate", rate = "1000/s", max_wait = "1s")]
    #[bulkhead(name = "lint-flaky-pool", max_concurrent = 8, max_wait = "100ms")]
    pub async fn call(&self) -> Result<u32, ServiceError> {
        self.next()
    }

    /// `&mut self`, with `?` and an early `return`.
    ///
    /// # Errors
    /// When the input is not a number.
    #[retry(max_attempts = 2, initial_delay = "1ms", jitter = "none")]
    pub async fn parse_and_store(&mut self, input: &str) -> Result<u32, ServiceError> {
        if input.is_empty() {
            return Err(ServiceError::Permanent);
        }
        let value: u32 = input.parse().map_err(|_| ServiceError::Permanent)?;
        self.failures = value;
        Ok(value)
    }

    /// A sync method under every layer a sync fn may have.
    ///
    /// # Errors
    /// The last failure once the retries are spent.
    #[fallback(sync_fallback)]
    #[circuit_breaker(name = "lint-sync", failure_rate = 50, window = 10, minimum_calls = 5)]
    #[retry(
        max_attempts = 3,
        backoff = "fixed",
        initial_delay = "1ms",
        jitter = "equal"
    )]
    #[rate_limit(name = "lint-sync-rate", rate = "10000/s", on_limit = "reject")]
    #[bulkhead(name = "lint-sync-pool", max_concurrent = 2)]
    pub fn call_blocking(&self) -> Result<u32, ServiceError> {
        self.next()
    }

    /// Consumes `self`.
    ///
    /// # Errors
    /// A timeout.
    #[timeout(duration = "1s")]
    pub async fn into_calls(self) -> Result<u32, ServiceError> {
        Ok(self.calls.into_inner())
    }
}

fn sync_fallback(error: ServiceError) -> Result<u32, ServiceError> {
    match error {
        ServiceError::Resilience(_) => Ok(0),
        other => Err(other),
    }
}

async fn async_fallback(_: ServiceError) -> Result<String, ServiceError> {
    tokio::task::yield_now().await;
    Ok(String::from("cached"))
}

/// Generics, `impl Trait` arguments, elided lifetimes and a fallback.
///
/// # Errors
/// Never: the fallback answers.
#[fallback(async_fallback)]
#[retry(preset = "aggressive", initial_delay = "1ms", max_delay = "2ms")]
#[timeout("50ms")]
pub async fn describe<T: Display + Sync>(
    value: &T,
    suffix: impl Display + Send,
) -> Result<String, ServiceError> {
    Ok(format!("{value}{suffix}"))
}

/// Returns a borrow of its argument through the layers.
///
/// # Errors
/// When the rate limit is exceeded.
#[rate_limit(rate = "5/250ms", burst = 5, on_limit = "reject", key = key)]
pub async fn first_word<'a>(key: &str, text: &'a str) -> Result<&'a str, ServiceError> {
    text.split_whitespace()
        .next()
        .ok_or(ServiceError::Permanent)
}

/// A breaker shared by name with [`Flaky::call`]'s stack, declaring nothing of its own.
///
/// # Errors
/// When the shared breaker is open.
#[circuit_breaker(name = "lint-flaky", record_if = ServiceError::is_transient, ignore_if = is_permanent)]
pub async fn shares_breaker() -> Result<(), ServiceError> {
    Ok(())
}

fn is_permanent(error: &ServiceError) -> bool {
    *error == ServiceError::Permanent
}

/// Decorrelated backoff, proportional jitter elsewhere, and a time-window breaker whose open
/// wait grows.
///
/// # Errors
/// Always, to exercise the failure path.
#[circuit_breaker(
    failure_rate = 50,
    window = "10s",
    minimum_calls = 4,
    slow_call_duration = "1s",
    slow_call_rate = 80,
    half_open_max_calls = 2,
    max_wait_in_half_open = "30s",
    recovery_timeout = "5s",
    recovery_backoff = 1.5,
    max_recovery_timeout = "1m"
)]
#[retry(
    backoff = "decorrelated",
    initial_delay = "1ms",
    max_delay = "4ms",
    max_elapsed = "1s"
)]
pub async fn always_fails() -> Result<(), ServiceError> {
    Err(ServiceError::Transient(String::from("down")))
}

/// Proportional jitter, linear backoff, and `anyhow` as the error type.
///
/// # Errors
/// Never.
#[retry(
    backoff = "linear",
    jitter = "proportional",
    jitter_factor = 0.2,
    initial_delay = "1ms"
)]
pub fn with_anyhow(value: u32) -> anyhow::Result<u32> {
    Ok(value)
}

/// A trait whose implementations are resilient.
#[async_trait::async_trait]
pub trait Inventory {
    /// The stock of `sku`.
    async fn stock(&self, sku: &str) -> Result<u32, ServiceError>;
}

/// An [`Inventory`] that always has 7.
#[derive(Debug, Default)]
pub struct SevenOfEverything;

#[async_trait::async_trait]
impl Inventory for SevenOfEverything {
    #[circuit_breaker]
    #[retry(max_attempts = 2, initial_delay = "1ms")]
    #[timeout("100ms")]
    async fn stock(&self, sku: &str) -> Result<u32, ServiceError> {
        if sku.is_empty() {
            return Err(ServiceError::Permanent);
        }
        Ok(7)
    }
}

/// Next to `tracing::instrument`, on both sides.
///
/// # Errors
/// Never.
#[tracing::instrument]
#[retry(max_attempts = 2, initial_delay = "1ms")]
#[timeout("1s")]
pub async fn traced(id: u64) -> Result<u64, ServiceError> {
    Ok(id)
}

/// `tracing::instrument` inside the layers.
///
/// # Errors
/// Never.
#[retry(max_attempts = 2, initial_delay = "1ms")]
#[tracing::instrument(level = "debug")]
pub async fn traced_inside(id: u64) -> Result<u64, ServiceError> {
    Ok(id)
}

/// A bounded queue of waiters, per tenant, with a bounded key table.
///
/// # Errors
/// When the tenant's queue is full or the wait would exceed `max_wait`.
#[rate_limit(
    name = "lint-tenant-queue",
    rate = "100/s",
    burst = 10,
    on_limit = "queue",
    max_queue = 16,
    max_wait = "250ms",
    key = (tenant, region),
    max_keys = 10_000,
    idle_ttl = "5m"
)]
pub async fn per_tenant(tenant: &str, region: u8) -> Result<(), ServiceError> {
    let _ = (tenant, region);
    Ok(())
}

/// One limit shared by every process through Redis, deciding locally while Redis is down.
///
/// # Errors
/// When the shared limit is exhausted.
#[cfg(feature = "redis")]
#[rate_limit(
    name = "lint-shared",
    rate = "1000/min",
    on_limit = "reject",
    key = user_id,
    backend = "redis",
    on_backend_error = "local"
)]
pub async fn shared_limit(user_id: u64) -> Result<(), ServiceError> {
    let _ = user_id;
    Ok(())
}

/// Every `#[chaos]` key, innermost under a breaker and a retry that see its faults.
///
/// # Errors
/// The injected error once the retries are spent, or an open breaker.
#[circuit_breaker(name = "lint-chaos-breaker", failure_threshold = 20)]
#[retry(max_attempts = 3, initial_delay = "1ms", when = ServiceError::is_transient)]
#[chaos(
    name = "lint-chaos",
    error_rate = 0.2,
    error = ServiceError::injected,
    latency = "20ms",
    latency_rate = 0.5,
    outage = "5s",
    period = "1m",
    seed = 12_345_678_901
)]
pub async fn chaotic(id: u32) -> Result<u32, ServiceError> {
    Ok(id)
}

/// Latency only, with a borrowed result, named by default.
///
/// # Errors
/// Never: only latency is injected.
#[chaos(latency = "1ms")]
pub async fn slowed(value: &str) -> Result<&str, ServiceError> {
    Ok(value)
}

/// `#[chaos]` on a sync fn, under a sync retry.
///
/// # Errors
/// The injected error once the retries are spent.
#[retry(max_attempts = 2, initial_delay = "1ms")]
#[chaos(error_rate = 0.5, error = ServiceError::injected)]
pub fn chaotic_blocking(id: u32) -> Result<u32, ServiceError> {
    Ok(id)
}

/// A response that arrived, though it may say the service failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: String,
}

impl Response {
    /// 503: worth trying again.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        self.status == 503
    }

    /// Any 5xx: a failure of the service.
    #[must_use]
    pub fn is_server_error(&self) -> bool {
        self.status >= 500
    }
}

/// `Ok` values that failed: a 503 is tried again, and every 5xx counts as a failure for the
/// breaker, on an async fn and on a sync method with a borrowed result.
///
/// # Errors
/// An open breaker, or the service's error once the retries are spent.
#[circuit_breaker(name = "lint-ok-outcomes", failure_threshold = 5, record_if_ok = Response::is_server_error)]
#[retry(max_attempts = 3, initial_delay = "1ms", when = ServiceError::is_transient,
        when_ok = Response::is_unavailable, retry_after = ServiceError::retry_after)]
pub async fn fetch_response(status: u16) -> Result<Response, ServiceError> {
    Ok(Response {
        status,
        body: String::new(),
    })
}

impl Response {
    /// The body's first line, tried again while it is blank.
    ///
    /// # Errors
    /// An open breaker.
    #[circuit_breaker(name = "lint-ok-first-line", failure_threshold = 3, record_if_ok = is_blank)]
    #[retry(max_attempts = 2, initial_delay = "0s", when_ok = is_blank)]
    pub fn first_line(&self) -> Result<&str, ServiceError> {
        Ok(self.body.lines().next().unwrap_or_default())
    }
}

fn is_blank(line: &&str) -> bool {
    line.trim().is_empty()
}

/// Every `#[hedge]` key, under a retry and above a timeout and a bulkhead, with borrowed
/// arguments and a borrowed result.
///
/// # Errors
/// The service's error once the retries are spent, a timeout, or a full bulkhead.
#[retry(max_attempts = 2, initial_delay = "1ms", when = ServiceError::is_transient)]
#[hedge(name = "lint-hedge", delay = "p95", max_hedges = 2)]
#[timeout("1s")]
#[bulkhead(name = "lint-hedge-pool", max_concurrent = 8)]
pub async fn hedged<'a>(
    words: &'a [String],
    word: &str,
) -> Result<Option<&'a String>, ServiceError> {
    Ok(words.iter().find(|known| *known == word))
}

/// A hedged method on `&self`, named by default, with a fixed delay.
pub struct Index {
    /// The words it knows.
    pub words: Vec<String>,
}

impl Index {
    /// Whether the index knows `word`.
    ///
    /// # Errors
    /// Never: the body does not fail.
    #[hedge(delay = "20ms")]
    pub async fn knows(&self, word: &str) -> Result<bool, ServiceError> {
        Ok(self.words.iter().any(|known| known == word))
    }
}

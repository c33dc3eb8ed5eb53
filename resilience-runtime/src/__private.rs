//! What generated code calls. Not public API: no semver guarantees, hidden from docs.
//!
//! Each layer of a fused stack evaluates to an [`Attempt`], which keeps the service's own
//! error apart from a layer's [`Error`] until [`finish`] converts to the fn's `Result<T, E>`.
//! That is how an outer breaker tells an inner rejection from a failure, and how an outer
//! retry tells an open circuit (never retried) from a rate limit (waited out).

use std::future::Future;
use std::ops::ControlFlow;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub use inventory;

use crate::Error;
use crate::bulkhead::{Bulkhead, BulkheadConfig};
use crate::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitPermit};
use crate::rate_limit::{RateLimitConfig, RateLimiter};
pub use crate::registry::Declaration;
use crate::registry::registry;
use crate::retry::{Retry, RetryPolicy, RetryState};

/// Why an attempt failed: the service's error, or a layer's.
#[derive(Debug)]
pub enum Failure<E> {
    /// The body returned `Err`.
    Service(E),
    /// A layer rejected the call or cut it short.
    Layer(Error),
}

/// The value every layer passes outward.
pub type Attempt<T, E> = Result<T, Failure<E>>;

/// A call site's cached registry handle.
pub struct Site<P>(OnceLock<Arc<P>>);

impl<P> Site<P> {
    /// An empty site, for a `static`.
    #[must_use]
    pub const fn new() -> Self {
        Self(OnceLock::new())
    }

    /// The cached instance, declaring it on first use.
    #[inline]
    pub fn get_or_init(&'static self, declare: impl FnOnce() -> Arc<P>) -> &'static P {
        self.0.get_or_init(declare)
    }
}

impl<P> Default for Site<P> {
    fn default() -> Self {
        Self::new()
    }
}

/// Declares (or adopts) a circuit breaker for a call site.
#[must_use]
pub fn declare_circuit_breaker(
    name: &'static str,
    config: Option<CircuitBreakerConfig>,
    location: &'static str,
) -> Arc<CircuitBreaker> {
    registry().declare(name.into(), config, location)
}

/// Declares (or adopts) a rate limiter for a call site.
#[must_use]
pub fn declare_rate_limiter(
    name: &'static str,
    config: Option<RateLimitConfig>,
    location: &'static str,
) -> Arc<RateLimiter> {
    registry().declare(name.into(), config, location)
}

/// Declares (or adopts) a bulkhead for a call site.
#[must_use]
pub fn declare_bulkhead(
    name: &'static str,
    config: Option<BulkheadConfig>,
    location: &'static str,
) -> Arc<Bulkhead> {
    registry().declare(name.into(), config, location)
}

/// Declares (or adopts) a retry policy for a call site.
#[must_use]
pub fn declare_retry(
    name: &'static str,
    config: Option<RetryPolicy>,
    location: &'static str,
) -> Arc<Retry> {
    registry().declare(name.into(), config, location)
}

/// Compile-time check behind `backend = "redis"`: evaluating it fails the build, with the
/// reason, when this crate was built without its `redis` feature.
pub const fn require_redis_backend() {
    #[cfg(not(feature = "redis"))]
    panic!(
        "`backend = \"redis\"` needs the `redis` feature of resilience-runtime: depend on it \
         with `features = [\"redis\"]`"
    );
}

/// The default name of a method's policy: `Type::method`, without generic arguments.
/// Called once per call site; the name lives for the rest of the process.
#[must_use]
pub fn method_name(self_type: &str, method: &str) -> &'static str {
    let base = self_type.split('<').next().unwrap_or(self_type);
    Box::leak(format!("{base}::{method}").into_boxed_str())
}

/// Pins the body's output type so that `?` inside it knows what to convert into.
#[inline]
pub fn attempt<R, F: Future<Output = R>>(body: F) -> F {
    body
}

/// Runs a sync body once; `return` inside it ends this attempt only.
#[inline]
pub fn attempt_sync<R, F: FnOnce() -> R>(body: F) -> R {
    body()
}

/// The body's result as an [`Attempt`].
#[inline]
pub fn lift<T, E>(result: Result<T, E>) -> Attempt<T, E> {
    result.map_err(Failure::Service)
}

/// A layer's error as an [`Attempt`].
#[inline]
pub fn layer_error<T, E>(error: Error) -> Attempt<T, E> {
    Err(Failure::Layer(error))
}

/// The fn's `Result`: a layer's error converts into the user's error type.
#[inline]
pub fn finish<T, E: From<Error>>(outcome: Attempt<T, E>) -> Result<T, E> {
    outcome.map_err(into_error)
}

/// A failure as the user's error type.
#[inline]
pub fn into_error<E: From<Error>>(failure: Failure<E>) -> E {
    match failure {
        Failure::Service(error) => error,
        Failure::Layer(error) => E::from(error),
    }
}

/// Feeds an outcome to a breaker permit.
///
/// A layer's rejection is not the service's failure: its permit is released unrecorded. A
/// timeout is a failure. For the service's own errors `ignore_if` wins over `record_if`; an
/// error that is not recorded counts as a success.
#[inline]
pub fn record_outcome<T, E>(
    permit: CircuitPermit<'_>,
    outcome: &Attempt<T, E>,
    record_if: impl Fn(&E) -> bool,
    ignore_if: impl Fn(&E) -> bool,
) {
    match outcome {
        Ok(_) => permit.record_success(),
        Err(Failure::Service(error)) if ignore_if(error) => permit.record_ignored(),
        Err(Failure::Service(error)) if record_if(error) => permit.record_failure(),
        Err(Failure::Service(_)) => permit.record_success(),
        Err(Failure::Layer(error)) if error.is_rejection() => permit.record_ignored(),
        Err(Failure::Layer(_)) => permit.record_failure(),
    }
}

/// Default `record_if`: every error is a failure.
#[inline]
pub fn record_any<E>(_: &E) -> bool {
    true
}

/// Default `ignore_if`: no error is ignored.
#[inline]
pub fn ignore_none<E>(_: &E) -> bool {
    false
}

/// Default `when`: every error is retried.
#[inline]
pub fn retry_any<E>(_: &E) -> bool {
    true
}

/// Default `retry_after`: no server hint.
#[inline]
pub fn no_hint<E>(_: &E) -> Option<Duration> {
    None
}

/// Starts one call's retry loop.
#[inline]
pub fn retry_start(retry: &Retry) -> RetryState {
    retry.record_call();
    retry.policy().start()
}

/// Decides after one attempt: `Break` with the final outcome, or `Continue` with the delay
/// before the next attempt.
///
/// An open circuit is never retried; a rate limit is waited out using its `retry_after`;
/// timeouts and full bulkheads go through `when` as the user's error type.
pub fn retry_step<T, E: From<Error>>(
    retry: &Retry,
    state: &mut RetryState,
    outcome: Attempt<T, E>,
    when: impl Fn(&E) -> bool,
    hint: impl Fn(&E) -> Option<Duration>,
) -> ControlFlow<Attempt<T, E>, Duration> {
    let failure = match outcome {
        Ok(value) => {
            retry.record_outcome(true, state.attempts());
            return ControlFlow::Break(Ok(value));
        }
        Err(failure) => failure,
    };
    let (retryable, server_hint) = match &failure {
        Failure::Service(error) => (when(error), hint(error)),
        Failure::Layer(Error::CircuitOpen { .. }) => (false, None),
        Failure::Layer(Error::RateLimited { retry_after, .. }) => (true, *retry_after),
        Failure::Layer(error) => {
            let error = E::from(error.clone());
            (when(&error), hint(&error))
        }
    };
    if retryable && let Some(delay) = state.next_delay(server_hint) {
        retry.record_retry(state.attempts(), delay);
        return ControlFlow::Continue(delay);
    }
    retry.record_outcome(false, state.attempts());
    ControlFlow::Break(Err(failure))
}

/// Waits on tokio's clock.
pub async fn sleep(duration: Duration) {
    crate::clock::sleep(duration).await;
}

/// Blocks the thread; sync fns wait with this.
pub fn sleep_blocking(duration: Duration) {
    crate::clock::sleep_blocking(duration);
}

/// Runs `future` with a time limit.
#[inline]
pub fn timeout<F: Future>(after: Duration, future: F) -> crate::timeout::Timeout<F> {
    crate::timeout::timeout(after, future)
}

/// A fallback's value as a future, whether the fallback fn is sync (returns the `Result`) or
/// async (returns a future of it).
pub fn fallback<R, M, V: FallbackValue<R, M>>(value: V) -> impl Future<Output = R> {
    value.into_future()
}

/// Marker: the fallback returned its `Result` directly.
pub struct Ready;
/// Marker: the fallback returned a future.
pub struct Pending;

/// A sync or async fallback's return value.
pub trait FallbackValue<R, M> {
    /// The future of the fallback's `Result`.
    type Future: Future<Output = R>;
    /// Converts.
    fn into_future(self) -> Self::Future;
}

impl<T, E> FallbackValue<Result<T, E>, Ready> for Result<T, E> {
    type Future = std::future::Ready<Result<T, E>>;
    fn into_future(self) -> Self::Future {
        std::future::ready(self)
    }
}

impl<F: Future> FallbackValue<F::Output, Pending> for F {
    type Future = F;
    fn into_future(self) -> F {
        self
    }
}

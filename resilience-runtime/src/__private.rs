//! What generated code calls. Not public API: no semver guarantees, hidden from docs.
//!
//! Each layer of a fused stack evaluates to an [`Attempt`], which keeps the service's own
//! error apart from a layer's [`Error`] until [`finish`] converts to the fn's `Result<T, E>`.
//! That is how an outer breaker tells an inner rejection from a failure, and how an outer
//! retry tells an open circuit (never retried) from a rate limit (waited out).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub use inventory;

use crate::Error;
pub use crate::base::admission::Admission;
pub use crate::base::describe::{DescribeError, Described};
use crate::bulkhead::{Bulkhead, BulkheadConfig, BulkheadPermit};
use crate::chaos::{Chaos, ChaosConfig};
use crate::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitPermit};
use crate::rate_limit::{RateLimitConfig, RateLimiter};
use crate::registry::registry;
pub use crate::registry::{Adoption, Declaration};
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

impl<E> Failure<E> {
    /// The failure for a log field: a layer's error by its `Display`, the service's as
    /// `describe` shows it.
    pub fn describe(&self, describe: DescribeError<E>) -> FailureText<'_, E> {
        FailureText {
            failure: self,
            describe,
        }
    }
}

/// A [`Failure`] ready for a log field.
pub struct FailureText<'a, E> {
    failure: &'a Failure<E>,
    describe: DescribeError<E>,
}

impl<E> fmt::Display for FailureText<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.failure {
            Failure::Service(error) => self.describe.of(error).fmt(f),
            Failure::Layer(error) => error.fmt(f),
        }
    }
}

/// Picks how logs show an error type `E`, at no run-time cost. Where a fn such as
/// [`retry_step`] takes a [`DescribeWith<E>`], generated code passes
/// `|probe| probe.describe_error()` with [`ProbeDebug`] and [`ProbeOther`] in scope; the
/// closure's argument is a `&Probe<E>`, and method resolution picks `ProbeDebug`'s method when
/// `E: Debug`, `ProbeOther`'s (one autoref further) otherwise: autoref specialisation, so the
/// contract needs no `Debug` bound. The closure runs only when something is logged, and it
/// borrows nothing: a borrowed `outcome` would stay in the async fn's state across awaits.
pub struct Probe<E>(PhantomData<fn(&E)>);

/// How generated code says how to show `E`: a closure given the [`Probe`] for `E`.
pub trait DescribeWith<E>: FnOnce(&Probe<E>) -> DescribeError<E> {}

impl<E, F: FnOnce(&Probe<E>) -> DescribeError<E>> DescribeWith<E> for F {}

/// Shows `E` by its type name, for sites where generated code cannot probe it.
#[must_use]
pub fn by_type_name<E>(_: &Probe<E>) -> DescribeError<E> {
    DescribeError::type_name()
}

fn describer<E>(describe: impl DescribeWith<E>) -> DescribeError<E> {
    describe(&Probe(PhantomData))
}

/// See [`Probe`]: chosen when `E: Debug`.
pub trait ProbeDebug<E> {
    /// Shows `E` with `Debug`.
    fn describe_error(&self) -> DescribeError<E>;
}

impl<E: fmt::Debug> ProbeDebug<E> for Probe<E> {
    #[inline]
    fn describe_error(&self) -> DescribeError<E> {
        DescribeError::debug()
    }
}

/// See [`Probe`]: chosen when `E` has no `Debug`.
pub trait ProbeOther<E> {
    /// Shows `E` by its type name.
    fn describe_error(&self) -> DescribeError<E>;
}

impl<E> ProbeOther<E> for &Probe<E> {
    #[inline]
    fn describe_error(&self) -> DescribeError<E> {
        DescribeError::type_name()
    }
}

/// A call site's name, for layers that have no registry instance (timeouts, fallbacks) in
/// methods, whose name is made once at run time.
pub struct SiteName(OnceLock<&'static str>);

impl SiteName {
    /// An empty site name, for a `static`.
    #[must_use]
    pub const fn new() -> Self {
        Self(OnceLock::new())
    }

    /// The name, made on first use.
    pub fn get_or_init(&'static self, name: impl FnOnce() -> &'static str) -> &'static str {
        self.0.get_or_init(name)
    }
}

impl Default for SiteName {
    fn default() -> Self {
        Self::new()
    }
}

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

/// Declares a chaos instance for a call site.
#[must_use]
pub fn declare_chaos(
    name: &'static str,
    config: Option<ChaosConfig>,
    location: &'static str,
) -> Arc<Chaos> {
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

/// Names a fn's error type from its return type, so that generated code can write
/// `fn() -> <Result<T, E> as Outcome>::Error` for an alias such as `anyhow::Result<T>` too.
pub trait Outcome {
    /// `E` of `Result<T, E>`.
    type Error;
}

impl<T, E> Outcome for Result<T, E> {
    type Error = E;
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
#[inline(always)]
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

/// One call's retry bookkeeping, started lazily: a call that succeeds at once never reads
/// the policy, and reads the clock only when a `max_elapsed` deadline must count from its
/// start.
#[derive(Debug)]
pub struct RetryCall {
    state: Option<RetryState>,
    /// When the call started, if its deadline needs it; 0 otherwise.
    started: crate::base::clock::Nanos,
}

impl RetryCall {
    /// The bookkeeping, started on the first failure.
    fn state(&mut self, retry: &Retry) -> &mut RetryState {
        let started = self.started;
        self.state.get_or_insert_with(|| {
            retry.policy().start_at(|| {
                // 0: the policy gained its deadline after the call started.
                if started == 0 {
                    crate::base::clock::now()
                } else {
                    started
                }
            })
        })
    }

    /// Attempts made so far, counting the one in flight.
    #[inline(always)]
    fn attempts(&self) -> u32 {
        self.state.as_ref().map_or(1, RetryState::attempts)
    }
}

/// Starts one call's retry loop.
#[inline(always)]
pub fn retry_start(retry: &Retry) -> RetryCall {
    retry.record_call();
    RetryCall {
        state: None,
        started: if retry.has_deadline() {
            crate::base::clock::now()
        } else {
            0
        },
    }
}

/// Decides after one attempt: `Break` with the final outcome, or `Continue` with the delay
/// before the next attempt.
///
/// An open circuit is never retried; a rate limit is waited out using its `retry_after`;
/// timeouts and full bulkheads go through `when` as the user's error type. Retries and giving
/// up are logged with the error as `describe` shows it.
#[inline]
pub fn retry_step<T, E: From<Error>>(
    retry: &Retry,
    call: &mut RetryCall,
    outcome: Attempt<T, E>,
    when: impl Fn(&E) -> bool,
    hint: impl Fn(&E) -> Option<Duration>,
    // A type parameter, so `outcome` is the only parameter whose type names `E`, and rustc
    // reports an `E` without `From<Error>` at it (spanned at the fn's error type).
    describe: impl DescribeWith<E>,
) -> ControlFlow<Attempt<T, E>, Duration> {
    match outcome {
        Ok(value) => {
            retry.record_success(call.attempts());
            ControlFlow::Break(Ok(value))
        }
        Err(failure) => retry_failed(retry, call.state(retry), failure, when, hint, describe),
    }
}

/// [`retry_step`] after a failed attempt; kept out of line so the successful path stays small.
#[inline(never)]
fn retry_failed<T, E: From<Error>>(
    retry: &Retry,
    state: &mut RetryState,
    failure: Failure<E>,
    when: impl Fn(&E) -> bool,
    hint: impl Fn(&E) -> Option<Duration>,
    describe: impl DescribeWith<E>,
) -> ControlFlow<Attempt<T, E>, Duration> {
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
        let describe = describer(describe);
        retry.record_retry(state.attempts(), delay, &failure.describe(describe));
        return ControlFlow::Continue(delay);
    }
    retry.record_failure(state.attempts(), &failure.describe(describer(describe)));
    ControlFlow::Break(Err(failure))
}

/// Waits on tokio's clock: a retry's backoff, an injected latency. Boxed, like the slow
/// paths of [`Waiting`]: a timer is a few hundred bytes, which every call's future would
/// otherwise carry (and copy) although only calls that wait use it.
#[cold]
pub fn sleep(duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(crate::base::clock::sleep(duration))
}

/// Blocks the thread; sync fns wait with this.
pub fn sleep_blocking(duration: Duration) {
    crate::base::clock::sleep_blocking(duration);
}

/// When a call (one attempt) started: read once by a timeout layer, which counts from it,
/// and handed to a rate limit directly below it (only breakers between them, which never
/// wait), which decides at it. One clock read serves both.
#[derive(Debug, Clone, Copy)]
pub struct CallStart(crate::base::clock::Nanos);

impl CallStart {
    /// `start`, or the clock read now without one.
    #[inline]
    fn or_now(start: Option<Self>) -> crate::base::clock::Nanos {
        start.map_or_else(crate::base::clock::now, |start| start.0)
    }
}

/// The current time, as a [`CallStart`].
#[inline(always)]
#[must_use]
pub fn call_start() -> CallStart {
    CallStart(crate::base::clock::now())
}

/// Runs `future` with a time limit counted from `start`; the caller logs the expiry with
/// [`timed_out`].
#[inline]
pub fn timeout<F: Future>(
    start: CallStart,
    after: Duration,
    future: F,
) -> crate::timeout::Timeout<F> {
    crate::timeout::timeout_unlogged(start.0, after, future)
}

/// The future of a layer's slow path, boxed: the fused stack's future only holds a pointer
/// for it, instead of the whole waiting machinery inline in every call's state (which every
/// call would otherwise pay for in size and copies). Only calls that wait allocate.
pub type Waiting<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// A rate limit's decision without waiting, as of `start` (see [`CallStart`]) or now:
/// [`Admission::Wait`] when the call must wait (or ask a remote backend) with
/// [`rate_limit_wait`] (or, in a sync fn, [`RateLimiter::acquire_blocking`]).
#[inline(always)]
pub fn rate_limit_admit(limiter: &RateLimiter, start: Option<CallStart>) -> Admission<()> {
    limiter.admit_now(CallStart::or_now(start))
}

/// [`rate_limit_admit`] against `key`'s own limit.
#[inline]
pub fn rate_limit_admit_key<K: std::hash::Hash + ?Sized>(
    limiter: &RateLimiter,
    start: Option<CallStart>,
    key: &K,
) -> Admission<()> {
    limiter.admit_key_now(key, CallStart::or_now(start))
}

/// The slow path after [`rate_limit_admit`] said [`Admission::Wait`].
#[cold]
pub fn rate_limit_wait(limiter: &RateLimiter) -> Waiting<'_, ()> {
    Box::pin(limiter.acquire())
}

/// The slow path after [`rate_limit_admit_key`] said [`Admission::Wait`].
#[cold]
pub fn rate_limit_wait_key<'a, K: std::hash::Hash + ?Sized + 'a>(
    limiter: &'a RateLimiter,
    key: &K,
) -> Waiting<'a, ()> {
    Box::pin(limiter.acquire_key(key))
}

/// A bulkhead's decision without waiting: [`Admission::Wait`] when the call may wait for a
/// slot with [`bulkhead_wait`] (or, in a sync fn, [`Bulkhead::acquire_blocking`]).
#[inline(always)]
pub fn bulkhead_admit(bulkhead: &Bulkhead) -> Admission<BulkheadPermit<'_>> {
    bulkhead.admit_now()
}

/// The slow path after [`bulkhead_admit`] said [`Admission::Wait`].
#[cold]
pub fn bulkhead_wait(bulkhead: &Bulkhead) -> Waiting<'_, BulkheadPermit<'_>> {
    Box::pin(bulkhead.acquire())
}

/// Logs the timeout of the fn named `name` and passes its error on.
#[inline]
pub fn timed_out<T, E>(name: &'static str, error: Error) -> Attempt<T, E> {
    log_timeout(name, &error);
    Err(Failure::Layer(error))
}

/// Out of line and not generic: the logging code stays out of the caller's poll fn, whose
/// successful path it would otherwise slow down.
#[cold]
#[inline(never)]
fn log_timeout(name: &'static str, error: &Error) {
    if let Error::Timeout { after, .. } = error {
        tracing::debug!(name, after = ?after, "call timed out");
    }
}

/// Logs that the fn named `name` answers with its fallback `fallback` after `failure`.
#[cold]
#[inline(never)]
pub fn falling_back<E>(
    name: &'static str,
    fallback: &'static str,
    failure: &Failure<E>,
    describe: impl DescribeWith<E>,
) {
    tracing::debug!(
        name,
        fallback,
        error = %failure.describe(describer(describe)),
        "calling the fallback"
    );
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

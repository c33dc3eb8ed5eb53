//! Retrying failed calls with backoff and jitter.
//!
//! - [`RetryPolicy`] is the configuration (`const`-buildable, `Copy`).
//! - [`RetryState`] is the bookkeeping of one call: [`RetryPolicy::start`] it, and after each
//!   retryable failure ask [`RetryState::next_delay`] how long to sleep, or whether to give up.
//! - [`Retry`] is a *named* policy with counters, as kept in the registry;
//!   [`Retry::run`] is the whole loop for callers that do not use the `#[retry]` attribute.

mod backoff;
mod current;
mod policy;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde::Serialize;

use crate::base::clock;
use crate::base::describe::DescribeError;
use crate::base::named::Named;
use crate::base::stripes::Stripes;

use current::CurrentPolicy;

pub use policy::{BackoffKind, Jitter, Preset, RetryPolicy, RetryState};

/// A shared handle to a named [`Retry`].
pub type RetryHandle = Arc<Retry>;

/// A named retry policy with counters.
///
/// Every call site that names the same retry shares one instance (through the registry), so
/// its [`metrics`](Retry::metrics) add up across them. Counting is lock-free.
///
/// ```
/// use resilience_runtime::retry::{Jitter, Retry, RetryPolicy};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let retry = Retry::new("fetch", RetryPolicy::new().with_max_attempts(3).with_jitter(Jitter::None));
/// let mut calls = 0;
/// let result: Result<u32, &str> = retry
///     .run(
///         |err| *err == "busy", // which errors are worth retrying
///         || {
///             calls += 1;
///             let outcome = if calls < 3 { Err("busy") } else { Ok(calls) };
///             async move { outcome }
///         },
///     )
///     .await;
/// assert_eq!(result, Ok(3));
/// assert_eq!(retry.metrics().retries, 2);
/// # });
/// ```
#[derive(Debug)]
pub struct Retry {
    name: &'static str,
    /// The policy in force, replaceable while calls run.
    current: CurrentPolicy,
    /// What every call counts: [`CALLS`] and [`SUCCEEDED`], striped so that threads sharing
    /// the retry do not contend on them.
    counted: Stripes<2>,
    retries: AtomicU64,
    succeeded_after_retry: AtomicU64,
    failed: AtomicU64,
    exhausted: AtomicU64,
}

/// Slots of [`Retry::counted`].
const CALLS: usize = 0;
const SUCCEEDED: usize = 1;

/// Counters of a [`Retry`] since it was created.
///
/// A call still running (or cancelled while running) counts in `calls` only, so
/// `calls - succeeded - failed` is the number of calls in flight or abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct RetryMetrics {
    /// Logical calls started (each may make several attempts).
    pub calls: u64,
    /// Extra attempts made: every attempt after the first of its call.
    pub retries: u64,
    /// Calls that ended in `Ok`, at any attempt.
    pub succeeded: u64,
    /// Calls that ended in `Ok` after at least one retry.
    pub succeeded_after_retry: u64,
    /// Calls that ended in `Err`, for whatever reason.
    pub failed: u64,
    /// Calls that ended in `Err` after at least one retry: the attempts or the `max_elapsed`
    /// budget ran out, or a later error was not retryable. `failed - exhausted` calls failed
    /// on their first attempt and were not retried.
    pub exhausted: u64,
}

/// A point-in-time view of a [`Retry`], for status pages.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RetrySnapshot {
    /// The registry name.
    pub name: &'static str,
    /// The policy.
    pub policy: RetryPolicy,
    /// The counters.
    pub metrics: RetryMetrics,
}

impl Retry {
    /// A named retry with zeroed counters.
    #[must_use]
    pub const fn new(name: &'static str, policy: RetryPolicy) -> Self {
        Self {
            name,
            current: CurrentPolicy::new(policy),
            counted: Stripes::new(),
            retries: AtomicU64::new(0),
            succeeded_after_retry: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            exhausted: AtomicU64::new(0),
        }
    }

    /// The registry name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The policy in force: as declared, or as last [replaced](Self::set_policy).
    ///
    /// Lock-free and allocation-free. An annotated fn's call reads it once, at its first
    /// failure, and keeps that copy for all its retries (a `max_elapsed` deadline still counts
    /// from the call's start).
    #[must_use]
    #[inline]
    pub fn policy(&self) -> RetryPolicy {
        self.current.load()
    }

    /// Replaces the policy while calls run: calls that have not started retrying follow
    /// `policy`; calls already retrying finish with the policy they started retrying with. The counters are
    /// kept. Logged at `info` level.
    ///
    /// ```
    /// use resilience_runtime::retry::{Retry, RetryPolicy};
    ///
    /// let retry = Retry::new("doc-set-policy", RetryPolicy::new());
    /// retry.set_policy(RetryPolicy::new().with_max_attempts(5));
    /// assert_eq!(retry.policy().max_attempts(), 5);
    /// ```
    pub fn set_policy(&self, policy: RetryPolicy) {
        let before = self.policy();
        if before == policy {
            return;
        }
        self.current.store(&policy);
        tracing::info!(name = self.name, ?before, after = ?policy, "retry policy replaced");
    }

    /// The counters (each read individually; a concurrent call may be half-counted).
    #[must_use]
    pub fn metrics(&self) -> RetryMetrics {
        RetryMetrics {
            calls: self.counted.sum(CALLS),
            retries: self.retries.load(Relaxed),
            succeeded: self.counted.sum(SUCCEEDED),
            succeeded_after_retry: self.succeeded_after_retry.load(Relaxed),
            failed: self.failed.load(Relaxed),
            exhausted: self.exhausted.load(Relaxed),
        }
    }

    /// Name, policy and counters.
    #[must_use]
    pub fn snapshot(&self) -> RetrySnapshot {
        RetrySnapshot {
            name: self.name,
            policy: self.policy(),
            metrics: self.metrics(),
        }
    }

    /// Whether the policy in force has a `max_elapsed` deadline (one load, no policy copy):
    /// generated code then notes each call's start time, so the deadline counts from it.
    #[doc(hidden)]
    #[inline]
    pub fn has_deadline(&self) -> bool {
        self.current.has_max_elapsed()
    }

    /// Counts a logical call starting. For generated code.
    #[doc(hidden)]
    #[inline(always)]
    pub fn record_call(&self) {
        self.counted.bump(CALLS);
    }

    /// Counts a retry and logs it at warn level with `error`, the failure being retried:
    /// `attempt` is the number of the attempt about to run (2 for the first retry, i.e.
    /// [`RetryState::attempts`] after `next_delay` returned `delay`). For generated code.
    #[doc(hidden)]
    pub fn record_retry(&self, attempt: u32, delay: Duration, error: &dyn fmt::Display) {
        self.retries.fetch_add(1, Relaxed);
        tracing::warn!(
            name = self.name,
            attempt,
            max_attempts = self.policy().max_attempts(),
            delay = ?delay,
            error = %error,
            "retrying after a failed attempt"
        );
    }

    /// Counts a call that ended in `Ok` after `attempts` attempts. For generated code.
    #[doc(hidden)]
    #[inline(always)]
    pub fn record_success(&self, attempts: u32) {
        self.counted.bump(SUCCEEDED);
        if attempts > 1 {
            self.record_success_after_retry(attempts);
        }
    }

    #[cold]
    fn record_success_after_retry(&self, attempts: u32) {
        self.succeeded_after_retry.fetch_add(1, Relaxed);
        tracing::debug!(name = self.name, attempts, "succeeded after retrying");
    }

    /// Counts a call that ended in `Err` (`error`) after `attempts` attempts; giving up after
    /// retrying is logged at warn level. For generated code.
    #[doc(hidden)]
    pub fn record_failure(&self, attempts: u32, error: &dyn fmt::Display) {
        self.failed.fetch_add(1, Relaxed);
        if attempts > 1 {
            self.exhausted.fetch_add(1, Relaxed);
            tracing::warn!(
                name = self.name,
                attempts,
                max_attempts = self.policy().max_attempts(),
                error = %error,
                "giving up after retrying"
            );
        }
    }

    /// Runs `op` until it succeeds, fails with an error for which `when` is false, or the
    /// policy gives up; sleeps the backoff delay (on tokio's clock) between attempts. Returns
    /// the last outcome.
    ///
    /// Cancellation-safe: dropping the future drops the attempt or sleep in progress. Retries
    /// are logged at warn level; as `E` need not implement `Debug`, the log names the error's
    /// type, not its value (the attributes show the value when `E: Debug`).
    ///
    /// # Errors
    ///
    /// The last attempt's error, when it was not retryable or the policy gave up.
    pub async fn run<T, E, F, Fut>(&self, when: impl Fn(&E) -> bool, op: F) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.run_with_hint(when, |_| None, op).await
    }

    /// Like [`run`](Retry::run), with `retry_after` extracting a server hint from an error:
    /// when it returns `Some(d)`, the next delay is `d` (capped at `max_delay`, no jitter)
    /// instead of the backoff delay.
    ///
    /// # Errors
    ///
    /// The last attempt's error, when it was not retryable or the policy gave up.
    pub async fn run_with_hint<T, E, F, Fut>(
        &self,
        when: impl Fn(&E) -> bool,
        retry_after: impl Fn(&E) -> Option<Duration>,
        mut op: F,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.record_call();
        let mut state = self.policy().start();
        loop {
            let err = match op().await {
                Ok(value) => {
                    self.record_success(state.attempts());
                    return Ok(value);
                }
                Err(err) => err,
            };
            match self.next_delay(&mut state, &when, &retry_after, &err) {
                Some(delay) => clock::sleep(delay).await,
                None => {
                    let shown = DescribeError::type_name().of(&err);
                    self.record_failure(state.attempts(), &shown);
                    return Err(err);
                }
            }
        }
    }

    /// The blocking twin of [`run`](Retry::run), for sync fns: sleeps the thread (std time)
    /// between attempts.
    ///
    /// # Errors
    ///
    /// The last attempt's error, when it was not retryable or the policy gave up.
    pub fn run_blocking<T, E, F>(&self, when: impl Fn(&E) -> bool, op: F) -> Result<T, E>
    where
        F: FnMut() -> Result<T, E>,
    {
        self.run_blocking_with_hint(when, |_| None, op)
    }

    /// The blocking twin of [`run_with_hint`](Retry::run_with_hint).
    ///
    /// # Errors
    ///
    /// The last attempt's error, when it was not retryable or the policy gave up.
    pub fn run_blocking_with_hint<T, E, F>(
        &self,
        when: impl Fn(&E) -> bool,
        retry_after: impl Fn(&E) -> Option<Duration>,
        mut op: F,
    ) -> Result<T, E>
    where
        F: FnMut() -> Result<T, E>,
    {
        self.record_call();
        let mut state = self.policy().start();
        loop {
            let err = match op() {
                Ok(value) => {
                    self.record_success(state.attempts());
                    return Ok(value);
                }
                Err(err) => err,
            };
            match self.next_delay(&mut state, &when, &retry_after, &err) {
                Some(delay) => clock::sleep_blocking(delay),
                None => {
                    let shown = DescribeError::type_name().of(&err);
                    self.record_failure(state.attempts(), &shown);
                    return Err(err);
                }
            }
        }
    }

    /// The shared decision step of the run loops: `Some(delay)` (counted and logged) to retry.
    fn next_delay<E>(
        &self,
        state: &mut RetryState,
        when: impl Fn(&E) -> bool,
        retry_after: impl Fn(&E) -> Option<Duration>,
        err: &E,
    ) -> Option<Duration> {
        if !when(err) {
            return None;
        }
        let delay = state.next_delay(retry_after(err))?;
        // `run` does not require `E: Debug`, so the log shows the error's type.
        self.record_retry(state.attempts(), delay, &DescribeError::type_name().of(err));
        Some(delay)
    }
}

impl Named for Retry {
    const KIND: &'static str = "retry";
    type Config = RetryPolicy;

    fn create(name: &'static str, config: RetryPolicy) -> Self {
        Self::new(name, config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use tokio::time::Instant;

    fn no_jitter() -> RetryPolicy {
        RetryPolicy::new().with_jitter(Jitter::None)
    }

    /// An op that fails `failures` times with `"busy"` and then succeeds with the call count.
    fn flaky(
        calls: &Cell<u32>,
        failures: u32,
    ) -> impl FnMut() -> std::future::Ready<Result<u32, &'static str>> {
        move || {
            calls.set(calls.get() + 1);
            let n = calls.get();
            std::future::ready(if n <= failures { Err("busy") } else { Ok(n) })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn run_retries_until_success_with_the_exact_schedule() {
        let retry = Retry::new("t", no_jitter().with_max_attempts(4));
        let calls = Cell::new(0);
        let start = Instant::now();
        let result = retry.run(|_| true, flaky(&calls, 2)).await;
        assert_eq!(result, Ok(3));
        assert_eq!(calls.get(), 3);
        // 100ms after the first failure, 200ms after the second.
        assert_eq!(start.elapsed(), Duration::from_millis(300));
        let m = retry.metrics();
        assert_eq!(
            (
                m.calls,
                m.retries,
                m.succeeded,
                m.succeeded_after_retry,
                m.failed,
                m.exhausted
            ),
            (1, 2, 1, 1, 0, 0)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn run_gives_up_after_max_attempts() {
        let retry = Retry::new("t", no_jitter().with_max_attempts(3));
        let calls = Cell::new(0);
        let start = Instant::now();
        let result = retry.run(|_| true, flaky(&calls, u32::MAX)).await;
        assert_eq!(result, Err("busy"));
        assert_eq!(calls.get(), 3);
        assert_eq!(start.elapsed(), Duration::from_millis(300));
        let m = retry.metrics();
        assert_eq!(
            (m.calls, m.retries, m.succeeded, m.failed, m.exhausted),
            (1, 2, 0, 1, 1)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn run_respects_when() {
        let retry = Retry::new("t", no_jitter().with_max_attempts(5));
        let calls = Cell::new(0);
        let start = Instant::now();
        let result = retry
            .run(|err: &&str| *err != "busy", flaky(&calls, 1))
            .await;
        assert_eq!(result, Err("busy"));
        assert_eq!(calls.get(), 1, "a non-retryable error is returned at once");
        assert_eq!(start.elapsed(), Duration::ZERO);
        let m = retry.metrics();
        assert_eq!((m.calls, m.retries, m.failed, m.exhausted), (1, 0, 1, 0));

        // A first-try success counts as succeeded, not as succeeded after retry.
        let ok: Result<u32, &str> = retry.run(|_| true, || async { Ok(7) }).await;
        assert_eq!(ok, Ok(7));
        let m = retry.metrics();
        assert_eq!((m.calls, m.succeeded, m.succeeded_after_retry), (2, 1, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn run_with_hint_sleeps_the_capped_hint() {
        let retry = Retry::new("t", no_jitter().with_max_delay(Duration::from_secs(1)));
        let calls = Cell::new(0);
        let start = Instant::now();
        let result = retry
            .run_with_hint(|_| true, |_| Some(Duration::from_secs(5)), flaky(&calls, 2))
            .await;
        assert_eq!(result, Ok(3));
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(2),
            "two hints of 5s capped at 1s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn run_stops_at_max_elapsed() {
        let policy = no_jitter()
            .with_max_attempts(100)
            .with_backoff(BackoffKind::Fixed)
            .with_initial_delay(Duration::from_millis(300))
            .with_max_elapsed(Duration::from_secs(1));
        let retry = Retry::new("t", policy);
        let calls = Cell::new(0);
        let start = Instant::now();
        let result = retry.run(|_| true, flaky(&calls, u32::MAX)).await;
        assert_eq!(result, Err("busy"));
        // Attempts at 0, 300, 600 and 900 ms; the next would start at 1200 ms > 1 s.
        assert_eq!(calls.get(), 4);
        assert_eq!(start.elapsed(), Duration::from_millis(900));
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_run_cancels_the_sleep() {
        let retry = Retry::new("t", no_jitter().with_initial_delay(Duration::from_secs(10)));
        let calls = Cell::new(0);
        let cut = tokio::time::timeout(
            Duration::from_secs(1),
            retry.run(|_| true, flaky(&calls, u32::MAX)),
        )
        .await;
        assert!(cut.is_err());
        assert_eq!(calls.get(), 1);
        let m = retry.metrics();
        assert_eq!((m.calls, m.retries, m.succeeded, m.failed), (1, 1, 0, 0));
    }

    #[test]
    fn run_blocking_retries() {
        let policy = no_jitter()
            .with_max_attempts(3)
            .with_initial_delay(Duration::ZERO);
        let retry = Retry::new("t", policy);
        let mut calls = 0;
        let result: Result<u32, &str> = retry.run_blocking(
            |_| true,
            || {
                calls += 1;
                if calls < 3 { Err("busy") } else { Ok(calls) }
            },
        );
        assert_eq!(result, Ok(3));
        let m = retry.metrics();
        assert_eq!((m.calls, m.retries, m.succeeded_after_retry), (1, 2, 1));

        let mut calls = 0;
        let result: Result<u32, &str> = retry.run_blocking(
            |err| *err == "busy",
            || {
                calls += 1;
                Err("fatal")
            },
        );
        assert_eq!((result, calls), (Err("fatal"), 1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_replaced_policy_applies_to_calls_that_start_later() {
        let retry = Retry::new("t", no_jitter().with_max_attempts(2));
        let calls = Cell::new(0);
        let result: Result<(), &str> = retry
            .run(
                |_| true,
                || {
                    calls.set(calls.get() + 1);
                    // Replaced during the call's first attempt: this call keeps its policy.
                    retry.set_policy(no_jitter().with_max_attempts(5));
                    std::future::ready(Err("busy"))
                },
            )
            .await;
        assert_eq!((result, calls.get()), (Err("busy"), 2));
        calls.set(0);
        let result = retry.run(|_| true, flaky(&calls, u32::MAX)).await;
        assert_eq!((result, calls.get()), (Err("busy"), 5));
        let m = retry.metrics();
        assert_eq!(
            (m.calls, m.retries, m.exhausted),
            (2, 5, 2),
            "counters are kept"
        );
        assert_eq!(retry.snapshot().policy.max_attempts(), 5, "in force");
    }

    #[test]
    fn named_snapshot_serializes() {
        let retry = Retry::create("payments", RetryPolicy::preset(Preset::Patient));
        assert_eq!(Retry::KIND, "retry");
        assert_eq!(retry.policy(), RetryPolicy::preset(Preset::Patient));
        assert_eq!(retry.name(), "payments");
        retry.record_call();
        retry.record_retry(2, Duration::from_millis(5), &"boom");
        retry.record_failure(2, &"boom");
        let json = serde_json::to_value(retry.snapshot()).unwrap();
        assert_eq!(json["name"], "payments");
        assert_eq!(json["policy"]["max_attempts"], 4);
        assert_eq!(json["policy"]["backoff"], "exponential");
        assert_eq!(json["policy"]["jitter"], "full");
        assert_eq!(json["metrics"]["exhausted"], 1);
        let json = serde_json::to_value(RetryPolicy::new().with_jitter(Jitter::Proportional(0.25)))
            .unwrap();
        assert_eq!(json["jitter"]["proportional"], 0.25);
    }
}

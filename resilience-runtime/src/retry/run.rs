//! [`Retry::run`] and its siblings: the whole retry loop, for callers that do not use the
//! `#[retry]` attribute; [`Retry::run_on`] takes all of the attribute's predicates at once. Each attempt's outcome goes through the same [step](super::step) as
//! generated code's.

use std::future::Future;
use std::ops::ControlFlow;
use std::time::Duration;

use crate::base::call::noted::{Noted, NotedError, noted_blocking};
use crate::base::clock;

use super::instance::Retry;
use super::retry_on::RetryOn;
use super::step::{ErrorJudge, RetryCall};

impl Retry {
    /// Runs `op` until it succeeds, fails with an error for which `when` is false, or the
    /// policy gives up; sleeps the backoff delay (on tokio's clock) between attempts. Returns
    /// the last outcome.
    ///
    /// Follows the attribute's rules for the layers inside it: an attempt that ends on an open
    /// breaker's rejection ([`CircuitBreaker::call`](crate::circuit_breaker::CircuitBreaker::call))
    /// is not retried, whatever `when` says; one that ends on a rate limit is retried after its
    /// `retry_after`; other layers' errors go through `when` like the service's own.
    ///
    /// Cancellation-safe: dropping the future drops the attempt or sleep in progress. Attempts
    /// are logged at debug level and giving up at warn; as `E` need not implement `Debug`, the
    /// log names the error's type, not its value (the attributes show the value when
    /// `E: Debug`).
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
        op: F,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.run_on(RetryOn::new().when(when).retry_after(retry_after), op)
            .await
    }

    /// Like [`run`](Retry::run), with every way the attribute judges an attempt, given as a
    /// [`RetryOn`]: the errors to retry (`when`), the `Ok` values to retry (`when_ok`, e.g. a
    /// 503 response returned as `Ok`) and the server's hint (`retry_after`).
    ///
    /// A flagged `Ok` is tried again after the backoff's delay, within the policy's attempts
    /// and `max_elapsed`; when the policy gives up, that last `Ok` is returned, and the
    /// [metrics](Retry::metrics) count the call as failed (and as exhausted after a retry).
    ///
    /// ```
    /// use resilience_runtime::retry::{Jitter, Retry, RetryConfig, RetryOn};
    ///
    /// fn busy(status: &u16) -> bool {
    ///     *status == 503
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let retry = Retry::new("doc-run-on", RetryConfig::new().with_max_attempts(2).with_jitter(Jitter::None));
    /// // Always 503: after the two attempts the last `Ok` is the outcome.
    /// let status: Result<u16, std::io::Error> = retry
    ///     .run_on(RetryOn::new().when_ok(busy), || async { Ok(503) })
    ///     .await;
    /// assert_eq!(status.unwrap(), 503);
    /// let metrics = retry.metrics();
    /// assert_eq!((metrics.retries, metrics.failed, metrics.exhausted), (1, 1, 1));
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// The last attempt's error, when it was not retryable or the policy gave up.
    pub async fn run_on<T, E, W, K, H, F, Fut>(
        &self,
        on: RetryOn<T, E, W, K, H>,
        mut op: F,
    ) -> Result<T, E>
    where
        W: Fn(&E) -> bool,
        K: Fn(&T) -> bool,
        H: Fn(&E) -> Option<Duration>,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut call = RetryCall::start_eagerly(self);
        loop {
            let outcome = Noted::new(op()).await;
            let judge = ErrorJudge::new(&on.when, &on.retry_after);
            match call.step(self, outcome, judge, &on.when_ok) {
                ControlFlow::Break(outcome) => return outcome.map_err(NotedError::pass_on),
                ControlFlow::Continue(delay) => clock::sleep(delay).await,
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
        self.run_blocking_on(RetryOn::new().when(when), op)
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
        op: F,
    ) -> Result<T, E>
    where
        F: FnMut() -> Result<T, E>,
    {
        self.run_blocking_on(RetryOn::new().when(when).retry_after(retry_after), op)
    }

    /// The blocking twin of [`run_on`](Retry::run_on).
    ///
    /// # Errors
    ///
    /// The last attempt's error, when it was not retryable or the policy gave up.
    pub fn run_blocking_on<T, E, W, K, H, F>(
        &self,
        on: RetryOn<T, E, W, K, H>,
        mut op: F,
    ) -> Result<T, E>
    where
        W: Fn(&E) -> bool,
        K: Fn(&T) -> bool,
        H: Fn(&E) -> Option<Duration>,
        F: FnMut() -> Result<T, E>,
    {
        let mut call = RetryCall::start_eagerly(self);
        loop {
            let outcome = noted_blocking(&mut op);
            let judge = ErrorJudge::new(&on.when, &on.retry_after);
            match call.step(self, outcome, judge, &on.when_ok) {
                ControlFlow::Break(outcome) => return outcome.map_err(NotedError::pass_on),
                ControlFlow::Continue(delay) => clock::sleep_blocking(delay),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::backoff::BackoffKind;
    use crate::retry::config::RetryConfig;
    use crate::retry::jitter::Jitter;
    use std::cell::Cell;
    use tokio::time::Instant;

    fn no_jitter() -> RetryConfig {
        RetryConfig::new().with_jitter(Jitter::None)
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
    async fn a_flagged_ok_stops_at_max_elapsed_and_is_returned() {
        let policy = no_jitter()
            .with_max_attempts(100)
            .with_backoff(BackoffKind::Fixed)
            .with_initial_delay(Duration::from_millis(300))
            .with_max_elapsed(Duration::from_secs(1));
        let retry = Retry::new("t", policy);
        let calls = Cell::new(0);
        let start = Instant::now();
        let on = RetryOn::new()
            .when_ok(|n: &u32| *n < 100)
            .retry_after(|_: &&str| Some(Duration::from_secs(5)));
        let result = retry
            .run_on(on, || {
                calls.set(calls.get() + 1);
                std::future::ready(Ok::<_, &str>(calls.get()))
            })
            .await;
        // As for errors: attempts at 0, 300, 600 and 900 ms. The hint is an error's only, so
        // the backoff's delay applies.
        assert_eq!(result, Ok(4));
        assert_eq!(start.elapsed(), Duration::from_millis(900));
        let m = retry.metrics();
        assert_eq!(
            (m.calls, m.retries, m.succeeded, m.failed, m.exhausted),
            (1, 3, 0, 1, 1)
        );
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
}

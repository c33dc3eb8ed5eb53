//! The one decision a retry loop makes after each attempt, shared by [`Retry::run`] and its
//! siblings and by the loop `#[retry]` generates.
//!
//! [`RetryCall::step`] does the bookkeeping of a success or, out of line, judges a failure,
//! asks the call's [`RetryState`] for the next delay, counts and logs. An `Ok` that the
//! caller's `when_ok` flags is tried again like a retryable failure, with the backoff's delay
//! (an `Ok` carries no server hint); when no retry is left it is returned as it is, and the
//! call counts as failed. Before either kind of retry the policy's budget, if any, is asked
//! for one: when it is spent, the call ends with the outcome it has (the error, or the
//! flagged `Ok`), counted and not retried. How a failure is judged and shown depends on what the loop sees:
//! [`ErrorJudge`] for a plain error (the `run*` methods), [`FailureJudge`] for a fused
//! stack's [`Failure`] (generated code).
//!
//! [`Retry::run`]: super::Retry::run

use std::fmt;
use std::marker::PhantomData;
use std::ops::ControlFlow;
use std::time::Duration;

use crate::Error;
use crate::base::call::noted::NotedError;
use crate::base::call::outcome::Failure;
use crate::base::clock::{self, Nanos};
use crate::base::describe::DescribeError;
use crate::base::describe::probe::{DescribeWith, describer};

use super::instance::Retry;
use super::state::RetryState;

/// One call's retry bookkeeping. Started lazily by generated code: a call that succeeds at
/// once never reads the policy, and reads the clock only when a `max_elapsed` deadline must
/// count from its start.
#[derive(Debug)]
pub struct RetryCall {
    state: Option<RetryState>,
    /// When the call started, if its deadline needs it; 0 otherwise.
    started: Nanos,
}

impl RetryCall {
    /// Counts the call and defers reading the policy to its first failure.
    #[inline(always)]
    pub(crate) fn start_lazily(retry: &Retry) -> Self {
        retry.record_call();
        Self {
            state: None,
            started: if retry.has_deadline() {
                clock::now()
            } else {
                0
            },
        }
    }

    /// Counts the call and reads the policy now: the call keeps it even if the policy is
    /// replaced during its first attempt.
    pub(crate) fn start_eagerly(retry: &Retry) -> Self {
        retry.record_call();
        Self {
            state: Some(retry.policy().start()),
            started: 0,
        }
    }

    /// The bookkeeping, started on the first failure.
    fn state(&mut self, retry: &Retry) -> &mut RetryState {
        let started = self.started;
        self.state.get_or_insert_with(|| {
            retry.policy().start_at(|| {
                // 0: the policy gained its deadline after the call started.
                if started == 0 { clock::now() } else { started }
            })
        })
    }

    /// Counts the call's success (the attempt in flight ended it).
    #[inline(always)]
    pub(crate) fn succeeded(&self, retry: &Retry) {
        retry.record_success(self.attempts());
    }

    /// Attempts made so far, counting the one in flight.
    #[inline(always)]
    fn attempts(&self) -> u32 {
        self.state.as_ref().map_or(1, RetryState::attempts)
    }

    /// Decides after one attempt: `Break` with the final outcome, or `Continue` with the
    /// delay before the next attempt. A failure is retried as `judge` decides, an `Ok` when
    /// `when_ok` flags it. Retries and giving up are counted and logged, the failure shown as
    /// `judge` shows it.
    #[inline(always)]
    pub(crate) fn step<T, F>(
        &mut self,
        retry: &Retry,
        outcome: Result<T, F>,
        judge: impl Judge<F>,
        when_ok: impl Fn(&T) -> bool,
    ) -> ControlFlow<Result<T, F>, Duration> {
        match outcome {
            Ok(value) if !when_ok(&value) => {
                self.succeeded(retry);
                ControlFlow::Break(Ok(value))
            }
            Ok(value) => flagged_ok(retry, self.state(retry), value),
            Err(failure) => failed(retry, self.state(retry), failure, judge),
        }
    }
}

/// [`RetryCall::step`] after an `Ok` that `when_ok` flagged: tried again after the backoff's
/// delay while the policy allows; otherwise the `Ok` is the call's outcome, counted as a
/// failure (the caller said it is one) and logged as giving up.
#[inline(never)]
fn flagged_ok<T, F>(
    retry: &Retry,
    state: &mut RetryState,
    value: T,
) -> ControlFlow<Result<T, F>, Duration> {
    let shown = FlaggedOk::<T>(PhantomData);
    if let Some(delay) = state.next_delay(None) {
        if budget_refuses(retry, state) {
            retry.record_budget_refusal(state.attempts() - 1, &shown);
            return ControlFlow::Break(Ok(value));
        }
        retry.record_retry(state.attempts(), delay, &shown);
        return ControlFlow::Continue(delay);
    }
    retry.record_failure(state.attempts(), &shown);
    ControlFlow::Break(Ok(value))
}

/// Whether the budget of the call's policy refuses the retry its state just counted (the
/// attempt that would have run is then not made: `state.attempts() - 1` were).
fn budget_refuses(retry: &Retry, state: &RetryState) -> bool {
    state
        .policy()
        .budget()
        .is_some_and(|budget| !retry.try_spend_of(&budget, clock::now()))
}

/// A flagged `Ok` for a log field: by its type, as `T` need not implement `Debug`.
struct FlaggedOk<T>(PhantomData<fn(&T)>);

impl<T> fmt::Display for FlaggedOk<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an `Ok` of type `{}` that `when_ok` flagged",
            std::any::type_name::<T>()
        )
    }
}

/// [`RetryCall::step`] after a failed attempt; kept out of line so the successful path stays
/// small.
#[inline(never)]
fn failed<T, F>(
    retry: &Retry,
    state: &mut RetryState,
    failure: F,
    judge: impl Judge<F>,
) -> ControlFlow<Result<T, F>, Duration> {
    let (retryable, hint) = judge.judge(&failure);
    if retryable && let Some(delay) = state.next_delay(hint) {
        if budget_refuses(retry, state) {
            retry.record_budget_refusal(state.attempts() - 1, &judge.show(&failure));
            return ControlFlow::Break(Err(failure));
        }
        retry.record_retry(state.attempts(), delay, &judge.show(&failure));
        return ControlFlow::Continue(delay);
    }
    retry.record_failure(state.attempts(), &judge.show(&failure));
    ControlFlow::Break(Err(failure))
}

/// How a retry loop reads its failures of type `F`.
pub(crate) trait Judge<F> {
    /// Whether `failure` is worth retrying, and a server's hint for the delay before the next
    /// attempt.
    fn judge(&self, failure: &F) -> (bool, Option<Duration>);

    /// `failure` for a log field.
    fn show(self, failure: &F) -> impl fmt::Display;
}

/// Judges a plain error with `when` and, for a retryable one only, `retry_after`; shows it by
/// its type name, as `E` need not implement `Debug`.
pub(crate) struct ErrorJudge<W, H> {
    when: W,
    retry_after: H,
}

impl<W, H> ErrorJudge<W, H> {
    pub(crate) const fn new(when: W, retry_after: H) -> Self {
        Self { when, retry_after }
    }
}

impl<E, W, H> Judge<NotedError<E>> for ErrorJudge<W, H>
where
    W: Fn(&E) -> bool,
    H: Fn(&E) -> Option<Duration>,
{
    #[inline]
    fn judge(&self, failure: &NotedError<E>) -> (bool, Option<Duration>) {
        if let Some(verdict) = failure.layer.as_ref().and_then(layer_verdict) {
            return verdict;
        }
        if !(self.when)(&failure.error) {
            return (false, None);
        }
        (true, (self.retry_after)(&failure.error))
    }

    fn show(self, failure: &NotedError<E>) -> impl fmt::Display {
        DescribeError::type_name().of(&failure.error)
    }
}

/// What a layer's error decides by itself, whatever `when` says: an open circuit is never
/// retried, nor is a used-up quota (waiting out its period is not a retry's job: it may be a
/// day); a rate limit is waited out for its `retry_after`; `None` for the others, which go
/// through `when` as the caller's error.
fn layer_verdict(error: &Error) -> Option<(bool, Option<Duration>)> {
    match error {
        Error::CircuitOpen { .. } | Error::QuotaExceeded { .. } => Some((false, None)),
        Error::RateLimited { retry_after, .. } => Some((true, *retry_after)),
        _ => None,
    }
}

/// Judges a fused stack's [`Failure`]: an open circuit or a used-up quota is never retried; a
/// rate limit is waited out using its `retry_after`; timeouts and full bulkheads go through `when` (and
/// `hint`) as the user's error type, as the service's own errors do. Shows the error as
/// `describe` picks. A layer's error becomes the user's error type through `convert` (the
/// site's `E::from`, which generated code names once so that a missing conversion is reported
/// once, at the error type).
pub(crate) struct FailureJudge<W, H, D, E> {
    when: W,
    hint: H,
    describe: D,
    convert: fn(Error) -> E,
}

impl<W, H, D, E> FailureJudge<W, H, D, E> {
    pub(crate) const fn new(when: W, hint: H, describe: D, convert: fn(Error) -> E) -> Self {
        Self {
            when,
            hint,
            describe,
            convert,
        }
    }
}

impl<E, W, H, D> Judge<Failure<E>> for FailureJudge<W, H, D, E>
where
    W: Fn(&E) -> bool,
    H: Fn(&E) -> Option<Duration>,
    D: DescribeWith<E>,
{
    #[inline]
    fn judge(&self, failure: &Failure<E>) -> (bool, Option<Duration>) {
        match failure {
            Failure::Service(error) => ((self.when)(error), (self.hint)(error)),
            Failure::Layer(error) => layer_verdict(error).unwrap_or_else(|| {
                let error = (self.convert)(error.clone());
                ((self.when)(&error), (self.hint)(&error))
            }),
        }
    }

    fn show(self, failure: &Failure<E>) -> impl fmt::Display {
        failure.describe(describer(self.describe))
    }
}

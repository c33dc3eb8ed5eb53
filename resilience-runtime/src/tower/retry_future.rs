//! [`RetryFuture`]: the attempts of one call through a [`RetryLayer`](super::RetryLayer), and
//! the judgement after each, which is the retry step the attribute takes
//! (`retry::step`): the same verdicts on inner layers' errors, the same policy, counters and
//! logs.

use std::fmt;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use ::tower::{BoxError, Service};

use super::boxed::{self, into_box};
use super::classify::{Hint, Predicate};
use super::resend::CloneRequest;
use super::retry_rules::RetryRules;
use crate::Error;
use crate::base::call::outcome::Failure;
use crate::base::call::wait::sleep;
use crate::base::describe::probe::by_type_name;
use crate::retry::Retry;
use crate::retry::step::{FailureJudge, Judge, RetryCall};

pin_project_lite::pin_project! {
    /// The response future of a [`RetryService`](super::RetryService): the attempt in
    /// flight, or the sleep before the next one, until an outcome is final.
    #[must_use = "futures do nothing unless polled"]
    pub struct RetryFuture<S, Req, W, K, H, C>
    where
        S: Service<Req>,
    {
        #[pin]
        stage: Stage<S::Future>,
        retry: &'static Retry,
        call: RetryCall,
        // The service for the later attempts, and the copy of the request they send.
        service: S,
        resend: Option<Req>,
        rules: RetryRules<W, K, H, C>,
    }
}

pin_project_lite::pin_project! {
    #[project = StageProjection]
    enum Stage<F> {
        Attempting { #[pin] attempt: F },
        // Boxed: a timer is a few hundred bytes that calls which never retry need not carry.
        Sleeping { sleep: Pin<Box<dyn Future<Output = ()> + Send>> },
        // Waiting for the service to be ready for the next attempt.
        Readying,
        Done,
    }
}

impl<S: Service<Req>, Req, W, K, H, C> RetryFuture<S, Req, W, K, H, C> {
    /// A call whose first attempt is `attempt`.
    #[inline]
    pub(super) fn new(
        attempt: S::Future,
        retry: &'static Retry,
        call: RetryCall,
        service: S,
        resend: Option<Req>,
        rules: RetryRules<W, K, H, C>,
    ) -> Self {
        Self {
            stage: Stage::Attempting { attempt },
            retry,
            call,
            service,
            resend,
            rules,
        }
    }
}

impl<S, Req, W, K, H, C> Future for RetryFuture<S, Req, W, K, H, C>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    W: Predicate<BoxError>,
    K: Predicate<S::Response>,
    H: Hint<BoxError>,
    C: CloneRequest<Req>,
{
    type Output = Result<S::Response, BoxError>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The first attempt's answer, the common case, is taken here in the caller's poll;
        // every other stage and outcome is driven out of line, so that the caller's loop
        // carries none of their state.
        let mut this = self.as_mut().project();
        let StageProjection::Attempting { attempt } = this.stage.as_mut().project() else {
            return self.drive(cx, None);
        };
        match ready!(attempt.poll(cx)).map_err(Into::into) {
            Ok(response) if !this.rules.when_ok.test(&response) => {
                this.call.succeeded(this.retry);
                this.stage.set(Stage::Done);
                Poll::Ready(Ok(response))
            }
            outcome => self.drive(cx, Some(outcome)),
        }
    }
}

impl<S, Req, W, K, H, C> RetryFuture<S, Req, W, K, H, C>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    W: Predicate<BoxError>,
    K: Predicate<S::Response>,
    H: Hint<BoxError>,
    C: CloneRequest<Req>,
{
    /// Judges `answered`, an attempt's outcome already polled, if any, then polls the stage
    /// in flight, until the call's outcome is final or a stage is pending.
    #[inline(never)]
    fn drive(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut answered: Option<Result<S::Response, BoxError>>,
    ) -> Poll<Result<S::Response, BoxError>> {
        let mut this = self.project();
        loop {
            let outcome = match answered.take() {
                Some(outcome) => outcome,
                None => match this.stage.as_mut().project() {
                    StageProjection::Attempting { attempt } => {
                        ready!(attempt.poll(cx)).map_err(Into::into)
                    }
                    StageProjection::Sleeping { sleep } => {
                        ready!(sleep.as_mut().poll(cx));
                        this.stage.set(Stage::Readying);
                        continue;
                    }
                    StageProjection::Readying => match ready!(this.service.poll_ready(cx)) {
                        Ok(()) => {
                            if let Some(request) = this.resend.take() {
                                *this.resend = this.rules.clone_request.clone_request(&request);
                                let attempt = this.service.call(request);
                                this.stage.set(Stage::Attempting { attempt });
                                continue;
                            }
                            // Never: a retry is only decided while a copy is at hand.
                            this.stage.set(Stage::Done);
                            return Poll::Ready(Err(boxed::polled_after_completion()));
                        }
                        // The service failed before the attempt could be sent: judged as its
                        // outcome, with the request still at hand.
                        Err(error) => Err(error.into()),
                    },
                    StageProjection::Done => {
                        return Poll::Ready(Err(boxed::polled_after_completion()));
                    }
                },
            };
            let resendable = this.resend.is_some();
            match decide(this.retry, this.call, this.rules, resendable, outcome) {
                ControlFlow::Break(outcome) => {
                    this.stage.set(Stage::Done);
                    return Poll::Ready(outcome);
                }
                ControlFlow::Continue(delay) if delay.is_zero() => this.stage.set(Stage::Readying),
                ControlFlow::Continue(delay) => this.stage.set(Stage::Sleeping {
                    sleep: sleep(delay),
                }),
            }
        }
    }
}

impl<S: Service<Req>, Req, W, K, H, C> fmt::Debug for RetryFuture<S, Req, W, K, H, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryFuture")
            .field("name", &self.retry.name())
            .field("call", &self.call)
            .finish_non_exhaustive()
    }
}

/// An attempt that did not end the call by itself: a failure, or a response `when_ok`
/// accepted.
enum Missed<Res> {
    Failed(Failure<BoxError>),
    Response(Res),
}

impl<Res> Missed<Res> {
    /// The call's outcome when this was the last attempt: a response is returned as it is.
    fn into_outcome(self) -> Result<Res, BoxError> {
        match self {
            Self::Response(response) => Ok(response),
            Self::Failed(Failure::Service(error)) => Err(error),
            Self::Failed(Failure::Layer(error)) => Err(into_box(error)),
        }
    }
}

/// The retry step after an attempt's `outcome`: the final outcome, or the delay before the
/// next attempt. `resendable` says whether a copy of the request is at hand. A response that
/// ends the call is counted here, in the caller's poll; what needs judging is out of line.
#[inline(always)]
fn decide<Res, W, K, H, C>(
    retry: &Retry,
    call: &mut RetryCall,
    rules: &RetryRules<W, K, H, C>,
    resendable: bool,
    outcome: Result<Res, BoxError>,
) -> ControlFlow<Result<Res, BoxError>, Duration>
where
    W: Predicate<BoxError>,
    K: Predicate<Res>,
    H: Hint<BoxError>,
{
    let missed = match outcome {
        Ok(response) if rules.when_ok.test(&response) => Missed::Response(response),
        Ok(response) => {
            call.succeeded(retry);
            return ControlFlow::Break(Ok(response));
        }
        // An inner layer's error is told apart, as the attribute tells a `Failure::Layer`.
        Err(error) => Missed::Failed(match error.downcast::<Error>() {
            Ok(layer) => Failure::Layer(*layer),
            Err(error) => Failure::Service(error),
        }),
    };
    judge_missed(retry, call, rules, resendable, missed)
}

/// [`decide`] after an attempt that did not end the call by itself.
#[inline(never)]
fn judge_missed<Res, W, K, H, C>(
    retry: &Retry,
    call: &mut RetryCall,
    rules: &RetryRules<W, K, H, C>,
    resendable: bool,
    missed: Missed<Res>,
) -> ControlFlow<Result<Res, BoxError>, Duration>
where
    W: Predicate<BoxError>,
    H: Hint<BoxError>,
{
    let judge = OutcomeJudge {
        name: retry.name(),
        rules,
        resendable,
    };
    // A flagged response is already a `Missed` for the judge, which also knows whether the
    // request can be sent again; the step's own `when_ok` has nothing left to flag.
    match call.step(retry, Err(missed), judge, |_: &Res| false) {
        ControlFlow::Break(Ok(response)) => ControlFlow::Break(Ok(response)),
        ControlFlow::Break(Err(missed)) => ControlFlow::Break(missed.into_outcome()),
        ControlFlow::Continue(delay) => ControlFlow::Continue(delay),
    }
}

/// Judges a [`Missed`] attempt: a failure as the attribute's step judges a fused stack's
/// ([`FailureJudge`]: never an open circuit, a rate limit after its `retry_after`, the rest
/// through `when`), a response `when_ok` accepted as worth another attempt; neither when the
/// request cannot be sent again.
struct OutcomeJudge<'a, W, K, H, C> {
    name: &'static str,
    rules: &'a RetryRules<W, K, H, C>,
    resendable: bool,
}

impl<Res, W, K, H, C> Judge<Missed<Res>> for OutcomeJudge<'_, W, K, H, C>
where
    W: Predicate<BoxError>,
    H: Hint<BoxError>,
{
    fn judge(&self, missed: &Missed<Res>) -> (bool, Option<Duration>) {
        let verdict = match missed {
            Missed::Response(_) => (true, None),
            Missed::Failed(failure) => FailureJudge::new(
                |error: &BoxError| self.rules.when.test(error),
                |error: &BoxError| self.rules.retry_after.hint(error),
                by_type_name::<BoxError>,
                into_box,
            )
            .judge(failure),
        };
        if verdict.0 && !self.resendable {
            tracing::debug!(
                target: "resilience_runtime::retry",
                name = self.name,
                "not retried: the request could not be copied to send again"
            );
            return (false, None);
        }
        verdict
    }

    fn show(self, missed: &Missed<Res>) -> impl fmt::Display {
        Shown(missed)
    }
}

/// A [`Missed`] attempt for a log field.
struct Shown<'a, Res>(&'a Missed<Res>);

impl<Res> fmt::Display for Shown<'_, Res> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Missed::Failed(Failure::Service(error)) => error.fmt(f),
            Missed::Failed(Failure::Layer(error)) => error.fmt(f),
            Missed::Response(_) => f.write_str("a response that `when_ok` retries"),
        }
    }
}

//! [`AdmissionFuture`]: the response future of the layers that admit a call, or make it
//! wait for its turn or for a remote backend's decision, before it reaches the inner service
//! (bulkhead, rate limit and quota).
//!
//! The decision is taken in `call`, not in `poll_ready`: the instance is shared with
//! attribute sites and other services of its name, and a slot or permit reserved by a
//! service that is ready but never called would be taken from all of them. A call that may
//! wait does so inside its response future (up to the instance's `max_wait`), holding the
//! inner service that was made ready for it, and calls it once admitted.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ::tower::{BoxError, Service};

use super::boxed::{self, into_box};
use crate::Error;
use crate::base::admission::Admission;
use crate::base::call::wait::Waiting;
use crate::bulkhead::{BulkheadPermit, Verdict};

/// What an admitted call holds until the inner call ends, and gives back then: a bulkhead's
/// slot, or nothing (a rate limit's or a quota's permit). Called statically, so that a permit
/// that does nothing costs nothing.
pub(crate) trait Held {
    /// The inner call ended with `verdict`.
    fn finish(self, verdict: Verdict);
}

impl Held for () {
    #[inline(always)]
    fn finish(self, _: Verdict) {}
}

impl Held for BulkheadPermit<'static> {
    #[inline(always)]
    fn finish(self, verdict: Verdict) {
        Self::finish(self, verdict);
    }
}

pin_project_lite::pin_project! {
    /// The response future of a [`BulkheadService`](super::BulkheadService), a
    /// [`RateLimitService`](super::RateLimitService) or a
    /// [`QuotaService`](super::QuotaService): the inner call holding `P` (a bulkhead's slot;
    /// nothing for a rate limit or a quota), a wait for admission (or for the backend's
    /// decision), or a rejection.
    ///
    /// Dropped at any point, it gives back what it holds: a slot, or its place among the
    /// waiters.
    #[must_use = "futures do nothing unless polled"]
    pub struct AdmissionFuture<S, Req, P>
    where
        S: Service<Req>,
    {
        #[pin]
        stage: Stage<S, Req, P, S::Future>,
    }
}

pin_project_lite::pin_project! {
    #[project = StageProjection]
    enum Stage<S, Req, P, F> {
        // The service made ready for this call, and its request, until admitted.
        Waiting { wait: Waiting<'static, P>, call: Option<(S, Req)> },
        // The permit is taken out when the call ends, to be finished with its outcome.
        Running { #[pin] inner: F, permit: Option<P> },
        Rejected { error: Option<Error> },
        Done,
    }
}

impl<S: Service<Req>, Req, P> AdmissionFuture<S, Req, P> {
    /// The future of a call `admission` decided on: the call to `service` now, holding the
    /// permit; the rejection; or the wait `wait` makes, holding the ready `service` (a clone
    /// is left in its place, as tower's documentation advises). The permit is given back when
    /// the call ends, with the verdict of its outcome ([`Held::finish`]: an adaptive bulkhead
    /// learns from it).
    #[inline]
    pub(super) fn admit(
        service: &mut S,
        request: Req,
        admission: Admission<P>,
        wait: impl FnOnce() -> Waiting<'static, P>,
    ) -> Self
    where
        S: Clone,
    {
        let stage = match admission {
            // Should `call` panic, the permit is dropped, which releases it.
            Admission::Admitted(permit) => Stage::Running {
                inner: service.call(request),
                permit: Some(permit),
            },
            Admission::Rejected(error) => Stage::Rejected { error: Some(error) },
            Admission::Wait => {
                let fresh = service.clone();
                let ready = std::mem::replace(service, fresh);
                Stage::Waiting {
                    wait: wait(),
                    call: Some((ready, request)),
                }
            }
        };
        Self { stage }
    }
}

impl<S, Req, P> Future for AdmissionFuture<S, Req, P>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    P: Held,
{
    type Output = Result<S::Response, BoxError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut stage = self.project().stage;
        // An admitted call, the usual one, is decided here without the other stages' code.
        if let StageProjection::Running { inner, permit } = stage.as_mut().project() {
            let outcome = ready!(inner.poll(cx));
            let permit = permit.take();
            return Poll::Ready(end(stage, permit, outcome));
        }
        poll_stages(stage, cx)
    }
}

/// The stages after a wait or a rejection, until the call's outcome.
#[inline(never)]
fn poll_stages<S, Req, P>(
    mut stage: Pin<&mut Stage<S, Req, P, S::Future>>,
    cx: &mut Context<'_>,
) -> Poll<Result<S::Response, BoxError>>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    P: Held,
{
    loop {
        match stage.as_mut().project() {
            StageProjection::Running { inner, permit } => {
                let outcome = ready!(inner.poll(cx));
                let permit = permit.take();
                return Poll::Ready(end(stage, permit, outcome));
            }
            StageProjection::Waiting { wait, call } => {
                let admitted = ready!(wait.as_mut().poll(cx));
                let next = match (admitted, call.take()) {
                    (Ok(permit), Some((mut service, request))) => Stage::Running {
                        inner: service.call(request),
                        permit: Some(permit),
                    },
                    (Err(error), _) => Stage::Rejected { error: Some(error) },
                    // Only if `call` panicked during an earlier poll.
                    (Ok(_), None) => Stage::Done,
                };
                stage.set(next);
            }
            StageProjection::Rejected { error } => {
                let error = error.take();
                stage.set(Stage::Done);
                return Poll::Ready(Err(
                    error.map_or_else(boxed::polled_after_completion, into_box)
                ));
            }
            StageProjection::Done => return Poll::Ready(Err(boxed::polled_after_completion())),
        }
    }
}

/// The inner call ended with `outcome`: the permit is given back at once (not when the future
/// is dropped) with the outcome's verdict.
#[inline(always)]
fn end<S, Req, P, R, E>(
    mut stage: Pin<&mut Stage<S, Req, P, S::Future>>,
    permit: Option<P>,
    outcome: Result<R, E>,
) -> Result<R, BoxError>
where
    S: Service<Req>,
    E: Into<BoxError>,
    P: Held,
{
    let outcome = outcome.map_err(Into::into);
    if let Some(permit) = permit {
        permit.finish(verdict_of(&outcome));
    }
    stage.set(Stage::Done);
    outcome
}

/// What a call's outcome says of the service: an inner layer's rejection (a resilience
/// [`Error`] other than a timeout) says nothing.
fn verdict_of<R>(outcome: &Result<R, BoxError>) -> Verdict {
    match outcome {
        Ok(_) => Verdict::Succeeded,
        Err(error) => boxed::layer_error(error).map_or(Verdict::Failed, Verdict::of_layer_error),
    }
}

impl<S: Service<Req>, Req, P> fmt::Debug for AdmissionFuture<S, Req, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Waiting { .. } => "waiting",
            Stage::Running { .. } => "running",
            Stage::Rejected { .. } => "rejected",
            Stage::Done => "done",
        };
        f.debug_struct("AdmissionFuture")
            .field("stage", &stage)
            .finish()
    }
}

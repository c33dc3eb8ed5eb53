//! One attempt of a [`HedgeLayer`](super::HedgeLayer)'s call: the first is the request sent
//! at once; each hedge waits for a clone of the service to be ready, then sends a copy.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ::tower::{BoxError, Service};

use super::boxed::polled_after_completion;
use super::resend::CloneRequest;
use crate::hedge::{Attempts, MayHedge};

pin_project_lite::pin_project! {
    /// One attempt of a hedged tower call.
    #[project = HedgeAttemptProjection]
    #[must_use = "futures do nothing unless polled"]
    pub struct HedgeAttempt<S, Req>
    where
        S: Service<Req>,
    {
        #[pin]
        stage: Stage<S::Future>,
        service: Option<S>,
        request: Option<Req>,
    }
}

pin_project_lite::pin_project! {
    #[project = StageProjection]
    enum Stage<F> {
        // Waiting for the service to be ready for the copy.
        Readying,
        Calling { #[pin] future: F },
    }
}

impl<S: Service<Req>, Req> HedgeAttempt<S, Req> {
    /// The attempt of a request already sent.
    pub(super) fn calling(future: S::Future) -> Self {
        Self {
            stage: Stage::Calling { future },
            service: None,
            request: None,
        }
    }

    /// The attempt that sends `request` through `service` once it is ready.
    fn sending(service: S, request: Req) -> Self {
        Self {
            stage: Stage::Readying,
            service: Some(service),
            request: Some(request),
        }
    }
}

impl<S, Req> Future for HedgeAttempt<S, Req>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Output = Result<S::Response, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.stage.as_mut().project() {
                StageProjection::Calling { future } => {
                    return future.poll(cx).map_err(Into::into);
                }
                StageProjection::Readying => {
                    let (Some(service), Some(_)) = (this.service.as_mut(), this.request.as_ref())
                    else {
                        return Poll::Ready(Err(polled_after_completion()));
                    };
                    ready!(service.poll_ready(cx)).map_err(Into::into)?;
                    let request = this.request.take();
                    let Some(request) = request else {
                        return Poll::Ready(Err(polled_after_completion()));
                    };
                    let future = service.call(request);
                    this.stage.set(Stage::Calling { future });
                }
            }
        }
    }
}

impl<S: Service<Req>, Req> fmt::Debug for HedgeAttempt<S, Req> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HedgeAttempt").finish_non_exhaustive()
    }
}

/// The attempts of one hedged tower call: the request sent at once, then copies.
pub struct Resend<S: Service<Req>, Req, C> {
    first: Option<HedgeAttempt<S, Req>>,
    service: S,
    copy: Option<Req>,
    clone_request: C,
}

impl<S: Service<Req>, Req, C> Resend<S, Req, C> {
    pub(super) fn new(
        first: HedgeAttempt<S, Req>,
        service: S,
        copy: Option<Req>,
        clone_request: C,
    ) -> Self {
        Self {
            first: Some(first),
            service,
            copy,
            clone_request,
        }
    }
}

impl<S, Req, C> Attempts for Resend<S, Req, C>
where
    S: Service<Req> + Clone,
    S::Error: Into<BoxError>,
    C: CloneRequest<Req>,
{
    type Future = HedgeAttempt<S, Req>;

    fn start(&mut self, _attempt: u32) -> HedgeAttempt<S, Req> {
        if let Some(first) = self.first.take() {
            return first;
        }
        // The last hedge takes the copy itself; the others copy it again.
        let request = self
            .copy
            .as_ref()
            .and_then(|copy| self.clone_request.clone_request(copy))
            .or_else(|| self.copy.take());
        match request {
            Some(request) => HedgeAttempt::sending(self.service.clone(), request),
            // Never asked: a call without a copy does not hedge (`SendsAgain(false)`).
            None => HedgeAttempt {
                stage: Stage::Readying,
                service: None,
                request: None,
            },
        }
    }
}

impl<S: Service<Req>, Req, C> fmt::Debug for Resend<S, Req, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resend")
            .field("copy", &self.copy.is_some())
            .finish_non_exhaustive()
    }
}

/// Whether a tower call may hedge: only when a copy of its request was made.
#[derive(Debug, Clone, Copy)]
pub struct SendsAgain(pub(super) bool);

impl MayHedge for SendsAgain {
    #[inline]
    fn may_hedge(&mut self) -> bool {
        self.0
    }
}

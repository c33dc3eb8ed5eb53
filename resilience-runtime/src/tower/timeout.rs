//! [`TimeoutLayer`]: a time limit on each call of a tower service.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use ::tower::{BoxError, Layer, Service};

use super::boxed::into_box;
use crate::timeout::{Timeout, timeout};

/// Cuts a call short after a duration, as `#[timeout]` does: on the clock the policies read
/// (tokio's, so a paused test clock drives it), with the timer started only once the call
/// first waits. Past the limit the inner future is dropped, which releases what it held, and
/// the error is [`Error::Timeout`](crate::Error::Timeout) inside the `BoxError`.
///
/// A timeout has no registry instance, so no name. Inside a [`RetryLayer`](super::RetryLayer)
/// it limits each attempt; outside, all of them together. An outer breaker counts a timeout
/// as a failure, and an outer retry retries it (subject to its `when`).
///
/// ```
/// use std::time::Duration;
///
/// use resilience_runtime::tower::TimeoutLayer;
/// use resilience_runtime::Error;
/// use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let mut service = ServiceBuilder::new()
///     .layer(TimeoutLayer::new(Duration::from_millis(500)))
///     .service(service_fn(|delay: Duration| async move {
///         tokio::time::sleep(delay).await;
///         Ok::<_, BoxError>(delay)
///     }));
///
/// let slow = service.ready().await.unwrap().call(Duration::from_secs(2)).await.unwrap_err();
/// assert_eq!(slow.downcast_ref::<Error>(), Some(&Error::timeout(Duration::from_millis(500))));
/// assert!(service.ready().await.unwrap().call(Duration::from_millis(100)).await.is_ok());
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TimeoutLayer {
    after: Duration,
}

impl TimeoutLayer {
    /// A limit of `after` on each call.
    #[must_use]
    pub const fn new(after: Duration) -> Self {
        Self { after }
    }

    /// The limit.
    #[must_use]
    pub const fn after(&self) -> Duration {
        self.after
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = TimeoutService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TimeoutService {
            inner,
            after: self.after,
        }
    }
}

/// The service a [`TimeoutLayer`] builds.
#[derive(Debug, Clone)]
pub struct TimeoutService<S> {
    inner: S,
    after: Duration,
}

impl<S, Req> Service<Req> for TimeoutService<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = TimeoutFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    #[inline]
    fn call(&mut self, request: Req) -> Self::Future {
        TimeoutFuture {
            inner: timeout(self.after, self.inner.call(request)),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of a [`TimeoutService`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct TimeoutFuture<F> {
        #[pin]
        inner: Timeout<F>,
    }
}

impl<F, T, E> Future for TimeoutFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(match ready!(self.project().inner.poll(cx)) {
            Ok(outcome) => outcome.map_err(Into::into),
            Err(timed_out) => Err(into_box(timed_out)),
        })
    }
}

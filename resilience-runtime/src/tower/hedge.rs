//! [`HedgeLayer`]: a named hedge around a tower service.

use std::fmt;
use std::task::{Context, Poll};

use ::tower::{BoxError, Layer, Service};

use super::declare::declared;
use super::hedge_attempt::{HedgeAttempt, Resend, SendsAgain};
use super::resend::{CloneRequest, Cloned};
use crate::hedge::{Hedge, HedgeConfig, Hedging};
use crate::registry::registry;

/// Hedges calls with the named hedge: the same instance, delay, latency histogram and
/// metrics as every `#[hedge]` site and layer of that name.
///
/// A call sends the request to the inner service; each time the hedge's delay passes
/// without a response, it sends a copy again (up to `max_hedges` copies), through a clone of
/// the inner service once it is ready. The first `Ok` response is the call's, and the
/// requests still in flight are dropped (their response futures, and everything they hold,
/// such as an inner bulkhead's slot). A failed attempt does not send another; when the last
/// one in flight fails, its error is the call's. All attempts run inside the response
/// future: no task is spawned.
///
/// A request is hedged only if a copy of it could be made before it was sent: requests that
/// are `Clone` are cloned by default, and [`clone_request`](Self::clone_request) makes copies
/// of others, or refuses to with `None` (the request is then sent once). The inner service
/// must be `Clone`: each hedge is sent through a clone of it.
///
/// ```
/// use std::time::Duration;
///
/// use resilience_runtime::hedge::{HedgeConfig, HedgeDelay};
/// use resilience_runtime::tower::HedgeLayer;
/// use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let config = HedgeConfig::new(HedgeDelay::Fixed(Duration::from_millis(50)));
/// // Hedges send a copy of the request made by `clone_request`: here, marked not slow.
/// let layer = HedgeLayer::new("doc-tower-search", config).clone_request(|_: &bool| Some(false));
/// let mut search = ServiceBuilder::new().layer(layer).service(service_fn(|slow: bool| async move {
///     tokio::time::sleep(Duration::from_millis(if slow { 1_000 } else { 10 })).await;
///     Ok::<_, BoxError>(slow)
/// }));
/// let start = tokio::time::Instant::now();
/// assert_eq!(search.ready().await.unwrap().call(true).await.unwrap(), false);
/// assert_eq!(start.elapsed(), Duration::from_millis(60));
/// # }
/// ```
#[derive(Clone, Copy)]
pub struct HedgeLayer<C = Cloned> {
    hedge: &'static Hedge,
    clone_request: C,
}

impl HedgeLayer {
    /// The hedge named `name`, as declared by an attribute site, a `register_*` call, another
    /// layer or configuration; with the defaults (`delay = "p95"`, and a warning) if nothing
    /// declares it. Resolved now: a layer built inside a
    /// [`testing::scope`](crate::testing::scope) uses that scope's hedge.
    #[must_use]
    #[track_caller]
    pub fn named(name: &'static str) -> Self {
        Self::declare(name, None)
    }

    /// Declares the hedge named `name` with `config`, or adopts the one already declared (a
    /// different `config` is then reported as a conflict, as between two attribute sites).
    #[must_use]
    #[track_caller]
    pub fn new(name: &'static str, config: HedgeConfig) -> Self {
        Self::declare(name, Some(config))
    }

    #[track_caller]
    fn declare(name: &'static str, config: Option<HedgeConfig>) -> Self {
        let hedge = declared("tower::HedgeLayer", |at| {
            registry().declare(name.into(), config, at)
        });
        Self {
            hedge,
            clone_request: Cloned,
        }
    }
}

impl<C> HedgeLayer<C> {
    /// Makes the copies hedges send: any `Fn(&Req) -> Option<Req>`, where `None` sends the
    /// request once, unhedged.
    #[must_use]
    pub fn clone_request<F>(self, clone_request: F) -> HedgeLayer<F> {
        HedgeLayer {
            hedge: self.hedge,
            clone_request,
        }
    }

    /// The hedge this layer uses, the registry's instance.
    #[must_use]
    pub fn hedge(&self) -> &'static Hedge {
        self.hedge
    }
}

impl<S, C: Clone> Layer<S> for HedgeLayer<C> {
    type Service = HedgeService<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        HedgeService {
            inner,
            hedge: self.hedge,
            clone_request: self.clone_request.clone(),
        }
    }
}

impl<C> fmt::Debug for HedgeLayer<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HedgeLayer")
            .field("name", &self.hedge.name())
            .finish_non_exhaustive()
    }
}

/// The service a [`HedgeLayer`] builds.
#[derive(Clone)]
pub struct HedgeService<S, C = Cloned> {
    inner: S,
    hedge: &'static Hedge,
    clone_request: C,
}

impl<S: fmt::Debug, C> fmt::Debug for HedgeService<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HedgeService")
            .field("name", &self.hedge.name())
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// The response future of a [`HedgeService`].
pub type HedgeFuture<S, Req, C> = Hedging<'static, Resend<S, Req, C>, SendsAgain>;

impl<S, Req, C> Service<Req> for HedgeService<S, C>
where
    S: Service<Req> + Clone,
    S::Error: Into<BoxError>,
    C: CloneRequest<Req> + Clone,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = HedgeFuture<S, Req, C>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    #[inline]
    fn call(&mut self, request: Req) -> Self::Future {
        let copy = self.clone_request.clone_request(&request);
        let sends_again = SendsAgain(copy.is_some());
        let first: HedgeAttempt<S, Req> = HedgeAttempt::calling(self.inner.call(request));
        let attempts = Resend::new(first, self.inner.clone(), copy, self.clone_request.clone());
        self.hedge.run_with(attempts, sends_again)
    }
}

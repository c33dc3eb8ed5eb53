//! [`QuotaLayer`]: a named quota in front of a tower service, for all requests or per key.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ::tower::{BoxError, Layer, Service};

use super::boxed::{self, into_box};
use super::declare::declared;
use super::rate_limit::{KeyBy, Unkeyed};
use crate::Error;
use crate::quota::adapter::{quota_admit, quota_admit_key};
use crate::quota::{Quota, QuotaConfig, QuotaKey};
use crate::registry::registry;

/// Counts requests against the named quota: the same instance, counts and configuration as
/// every `#[quota]` site and layer of that name; one allowance for all requests, or one per
/// key with [`key_by`](Self::key_by).
///
/// A request over the allowance fails at once with
/// [`Error::QuotaExceeded`](crate::Error::QuotaExceeded) inside the `BoxError`, carrying the
/// time until the quota resets; the inner service is not called. An outer
/// [`RetryLayer`](super::RetryLayer) does not retry it. `poll_ready` is the inner service's:
/// the quota decides in `call`, so that a service made ready but never called counts nothing.
/// The decision is taken in this process, as [`Quota::try_acquire`] takes it: a quota with
/// `backend = "redis"` is counted here by its in-process count, not on the server.
///
/// ```
/// use resilience_runtime::quota::{QuotaConfig, QuotaLimit};
/// use resilience_runtime::tower::QuotaLayer;
/// use resilience_runtime::Error;
/// use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let config = QuotaConfig::new(QuotaLimit::per_day(1));
/// let mut service = ServiceBuilder::new()
///     .layer(QuotaLayer::new("doc-tower-quota", config).key_by(|client: &&'static str| *client))
///     .service(service_fn(|client: &'static str| async move { Ok::<_, BoxError>(client.len()) }));
///
/// assert_eq!(service.ready().await.unwrap().call("acme").await.unwrap(), 4);
/// let used_up = service.ready().await.unwrap().call("acme").await.unwrap_err();
/// assert!(matches!(used_up.downcast_ref::<Error>(), Some(Error::QuotaExceeded { .. })));
/// assert_eq!(service.ready().await.unwrap().call("globex").await.unwrap(), 6); // its own
/// # }
/// ```
#[derive(Clone, Copy)]
pub struct QuotaLayer<K = Unkeyed> {
    quota: &'static Quota,
    key: K,
}

impl QuotaLayer {
    /// The quota named `name`, as declared by an attribute site, a `register_*` call,
    /// another layer or configuration; with the defaults (and a warning) if nothing declares
    /// it. Resolved now: a layer built inside a
    /// [`testing::scope`](crate::testing::scope) uses that scope's quota.
    #[must_use]
    #[track_caller]
    pub fn named(name: &'static str) -> Self {
        Self::declare(name, None)
    }

    /// Declares the quota named `name` with `config`, or adopts the one already declared
    /// (a different `config` is then reported as a conflict, as between two attribute sites).
    #[must_use]
    #[track_caller]
    pub fn new(name: &'static str, config: QuotaConfig) -> Self {
        Self::declare(name, Some(config))
    }

    #[track_caller]
    fn declare(name: &'static str, config: Option<QuotaConfig>) -> Self {
        let quota = declared("tower::QuotaLayer", |at| {
            registry().declare(name.into(), config, at)
        });
        Self {
            quota,
            key: Unkeyed,
        }
    }

    /// One allowance per key: `key` reads it from each request (the client's id, its
    /// address), as `#[quota(key = ..)]` and with the same bound on the keys tracked. Any
    /// `Hash` value is a key ([`QuotaKey`]); only its hash is kept.
    #[must_use]
    pub fn key_by<F, Req, Key>(self, key: F) -> QuotaLayer<KeyBy<F>>
    where
        F: Fn(&Req) -> Key + Clone,
        Key: QuotaKey,
    {
        QuotaLayer {
            quota: self.quota,
            key: KeyBy::new(key),
        }
    }
}

impl<K> QuotaLayer<K> {
    /// The quota this layer counts against, the registry's instance.
    #[must_use]
    pub fn quota(&self) -> &'static Quota {
        self.quota
    }
}

impl<S, K: Clone> Layer<S> for QuotaLayer<K> {
    type Service = QuotaService<S, K>;

    fn layer(&self, inner: S) -> Self::Service {
        QuotaService {
            inner,
            quota: self.quota,
            key: self.key.clone(),
        }
    }
}

impl<K> fmt::Debug for QuotaLayer<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuotaLayer")
            .field("name", &self.quota.name())
            .finish_non_exhaustive()
    }
}

/// The service a [`QuotaLayer`] builds.
#[derive(Clone)]
pub struct QuotaService<S, K = Unkeyed> {
    inner: S,
    quota: &'static Quota,
    key: K,
}

impl<S: fmt::Debug, K> fmt::Debug for QuotaService<S, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuotaService")
            .field("name", &self.quota.name())
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

pin_project_lite::pin_project! {
    /// The response future of a [`QuotaService`]: the inner call, or the rejection.
    #[must_use = "futures do nothing unless polled"]
    pub struct QuotaFuture<F> {
        #[pin]
        stage: Stage<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = StageProjection]
    enum Stage<F> {
        // Counted: the inner service's future.
        Running { #[pin] inner: F },
        // Over the allowance; `None` once returned.
        Rejected { error: Option<Error> },
    }
}

impl<F> QuotaFuture<F> {
    #[inline]
    fn of(decision: Result<(), Error>, call: impl FnOnce() -> F) -> Self {
        let stage = match decision {
            Ok(()) => Stage::Running { inner: call() },
            Err(error) => Stage::Rejected { error: Some(error) },
        };
        Self { stage }
    }
}

impl<F, T, E> Future for QuotaFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().stage.project() {
            StageProjection::Running { inner } => {
                Poll::Ready(ready!(inner.poll(cx)).map_err(Into::into))
            }
            StageProjection::Rejected { error } => Poll::Ready(Err(error
                .take()
                .map_or_else(boxed::polled_after_completion, into_box))),
        }
    }
}

impl<F> fmt::Debug for QuotaFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Running { .. } => "running",
            Stage::Rejected { .. } => "rejected",
        };
        f.debug_struct("QuotaFuture")
            .field("stage", &stage)
            .finish()
    }
}

impl<S, Req> Service<Req> for QuotaService<S, Unkeyed>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = QuotaFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    #[inline]
    fn call(&mut self, request: Req) -> Self::Future {
        QuotaFuture::of(quota_admit(self.quota), || self.inner.call(request))
    }
}

impl<S, Req, F, Key> Service<Req> for QuotaService<S, KeyBy<F>>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    F: Fn(&Req) -> Key,
    Key: QuotaKey,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = QuotaFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    #[inline]
    fn call(&mut self, request: Req) -> Self::Future {
        let key = self.key.get()(&request).hashed_for(self.quota);
        QuotaFuture::of(quota_admit_key(self.quota, &key), || {
            self.inner.call(request)
        })
    }
}

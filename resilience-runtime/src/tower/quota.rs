//! [`QuotaLayer`]: a named quota in front of a tower service, for all requests or per key.

use std::fmt;
use std::task::{Context, Poll};

use ::tower::{BoxError, Layer, Service};

use super::admission::AdmissionFuture;
use super::declare::declared;
use super::rate_limit::{KeyBy, Unkeyed};
use crate::quota::adapter::{quota_ask, quota_ask_key, quota_decide, quota_decide_key};
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
///
/// A local quota decides in `call`, in place. A quota with `backend = "redis"` is decided by
/// the server, as at an attribute site, so every process naming it shares one count: the
/// response future asks it (within the quota's `backend_timeout`, then `on_backend_error`
/// decides), holding the inner service made ready for the request, which is why the inner
/// service must be `Clone` (only a call that asks the server clones it). As at an attribute
/// site, a response future dropped while the server decides may have been counted there.
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

/// The response future of a [`QuotaService`]: the inner call, the rejection, or (for a quota
/// with a remote backend) the backend's decision and then the inner call.
pub type QuotaFuture<S, Req> = AdmissionFuture<S, Req, ()>;

impl<S, Req> Service<Req> for QuotaService<S, Unkeyed>
where
    S: Service<Req> + Clone,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = QuotaFuture<S, Req>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    #[inline]
    fn call(&mut self, request: Req) -> Self::Future {
        let quota = self.quota;
        // A counted call holds nothing: the outcome is no one's concern here.
        AdmissionFuture::admit(&mut self.inner, request, quota_decide(quota), || {
            quota_ask(quota)
        })
    }
}

impl<S, Req, F, Key> Service<Req> for QuotaService<S, KeyBy<F>>
where
    S: Service<Req> + Clone,
    S::Error: Into<BoxError>,
    F: Fn(&Req) -> Key,
    Key: QuotaKey,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = QuotaFuture<S, Req>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    #[inline]
    fn call(&mut self, request: Req) -> Self::Future {
        let quota = self.quota;
        // Hashed at once: neither the decision nor the server's holds the key or the request.
        let key = self.key.get()(&request).hashed_for(quota);
        let decision = quota_decide_key(quota, &key);
        AdmissionFuture::admit(&mut self.inner, request, decision, || {
            quota_ask_key(quota, key)
        })
    }
}

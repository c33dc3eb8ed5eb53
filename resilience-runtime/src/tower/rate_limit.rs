//! [`RateLimitLayer`]: a named rate limit in front of a tower service, for all requests or
//! per key.

use std::fmt;
use std::task::{Context, Poll};

use ::tower::{BoxError, Layer, Service};

use super::admission::AdmissionFuture;
use super::declare::declared;
use crate::rate_limit::adapter::{
    rate_limit_admit, rate_limit_admit_key, rate_limit_wait, rate_limit_wait_key,
};
use crate::rate_limit::{RateLimitConfig, RateLimitKey, RateLimiter};
use crate::registry::registry;

/// Limits the rate of requests with the named rate limiter: the same instance, state and
/// configuration as every `#[rate_limit]` site and layer of that name; one limit for all
/// requests, or one per key with [`key_by`](Self::key_by).
///
/// A request without a permit waits for one when the limiter's `on_limit` says so (up to its
/// `max_wait`, in arrival order), or fails at once with
/// [`Error::RateLimited`](crate::Error::RateLimited) inside the `BoxError`, carrying the time
/// until a permit in `retry_after`; the inner service is not called. An outer
/// [`RetryLayer`](super::RetryLayer) waits that long before its next attempt. A waiting
/// response future dropped gives its place back.
///
/// `poll_ready` is the inner service's: the limiter decides in `call` (see
/// [`BulkheadLayer`](super::BulkheadLayer) for why), and a call that waits does so inside its
/// response future, which needs the inner service to be `Clone` (only a call that waits
/// clones it).
///
/// ```
/// use resilience_runtime::rate_limit::{OnLimit, Rate, RateLimitConfig};
/// use resilience_runtime::tower::RateLimitLayer;
/// use resilience_runtime::Error;
/// use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let config = RateLimitConfig::new(Rate::per_second(1)).with_on_limit(OnLimit::Reject);
/// let mut service = ServiceBuilder::new()
///     .layer(RateLimitLayer::new("doc-tower-api", config).key_by(|tenant: &&'static str| *tenant))
///     .service(service_fn(|tenant: &'static str| async move { Ok::<_, BoxError>(tenant.len()) }));
///
/// assert_eq!(service.ready().await.unwrap().call("acme").await.unwrap(), 4);
/// let limited = service.ready().await.unwrap().call("acme").await.unwrap_err();
/// assert!(matches!(limited.downcast_ref::<Error>(), Some(Error::RateLimited { .. })));
/// assert_eq!(service.ready().await.unwrap().call("globex").await.unwrap(), 6); // its own limit
/// # }
/// ```
#[derive(Clone, Copy)]
pub struct RateLimitLayer<K = Unkeyed> {
    limiter: &'static RateLimiter,
    key: K,
}

/// One limit for every request: the default of a [`RateLimitLayer`] (and a
/// [`QuotaLayer`](super::QuotaLayer)).
#[derive(Debug, Clone, Copy, Default)]
pub struct Unkeyed;

/// One limit (or quota allowance) per key, the key read from each request: see
/// [`RateLimitLayer::key_by`] and [`QuotaLayer::key_by`](super::QuotaLayer::key_by).
#[derive(Clone, Copy)]
pub struct KeyBy<F>(F);

impl<F> KeyBy<F> {
    pub(super) const fn new(key: F) -> Self {
        Self(key)
    }

    /// The fn that reads a request's key.
    pub(super) const fn get(&self) -> &F {
        &self.0
    }
}

impl<F> fmt::Debug for KeyBy<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyBy")
    }
}

impl RateLimitLayer {
    /// The limiter named `name`, as declared by an attribute site, a `register_*` call,
    /// another layer or configuration; with the defaults (and a warning) if nothing declares
    /// it. Resolved now: a layer built inside a
    /// [`testing::scope`](crate::testing::scope) uses that scope's limiter.
    #[must_use]
    #[track_caller]
    pub fn named(name: &'static str) -> Self {
        Self::declare(name, None)
    }

    /// Declares the limiter named `name` with `config`, or adopts the one already declared
    /// (a different `config` is then reported as a conflict, as between two attribute sites).
    #[must_use]
    #[track_caller]
    pub fn new(name: &'static str, config: RateLimitConfig) -> Self {
        Self::declare(name, Some(config))
    }

    #[track_caller]
    fn declare(name: &'static str, config: Option<RateLimitConfig>) -> Self {
        let limiter = declared("tower::RateLimitLayer", |at| {
            registry().declare(name.into(), config, at)
        });
        Self {
            limiter,
            key: Unkeyed,
        }
    }

    /// One limit per key: `key` reads it from each request, e.g. the client's address, and
    /// each key gets the limiter's full rate and burst (as `#[rate_limit(key = ..)]`, and
    /// with the same bound on the keys tracked, `max_keys`). Any `Hash` value is a key
    /// ([`RateLimitKey`]), and only its hash is kept. `key` returns it by value, so a key
    /// that is `Copy` (an `IpAddr`, an id) or shares its bytes (a `HeaderValue`) costs no
    /// allocation.
    #[must_use]
    pub fn key_by<F, Req, Key>(self, key: F) -> RateLimitLayer<KeyBy<F>>
    where
        F: Fn(&Req) -> Key + Clone,
        Key: RateLimitKey,
    {
        RateLimitLayer {
            limiter: self.limiter,
            key: KeyBy(key),
        }
    }
}

impl<K> RateLimitLayer<K> {
    /// The limiter this layer takes permits from, the registry's instance.
    #[must_use]
    pub fn limiter(&self) -> &'static RateLimiter {
        self.limiter
    }
}

impl<S, K: Clone> Layer<S> for RateLimitLayer<K> {
    type Service = RateLimitService<S, K>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimitService {
            inner,
            limiter: self.limiter,
            key: self.key.clone(),
        }
    }
}

impl<K> fmt::Debug for RateLimitLayer<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitLayer")
            .field("name", &self.limiter.name())
            .finish_non_exhaustive()
    }
}

/// The service a [`RateLimitLayer`] builds.
#[derive(Clone)]
pub struct RateLimitService<S, K = Unkeyed> {
    inner: S,
    limiter: &'static RateLimiter,
    key: K,
}

impl<S: fmt::Debug, K> fmt::Debug for RateLimitService<S, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitService")
            .field("name", &self.limiter.name())
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// The response future of a [`RateLimitService`].
pub type RateLimitFuture<S, Req> = AdmissionFuture<S, Req, ()>;

impl<S, Req> Service<Req> for RateLimitService<S, Unkeyed>
where
    S: Service<Req> + Clone,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = RateLimitFuture<S, Req>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    #[inline]
    fn call(&mut self, request: Req) -> Self::Future {
        let limiter = self.limiter;
        let admission = rate_limit_admit(limiter, None);
        // A rate limit's permit is nothing: the outcome is no one's concern here.
        AdmissionFuture::admit(&mut self.inner, request, admission, || {
            rate_limit_wait(limiter)
        })
    }
}

impl<S, Req, F, Key> Service<Req> for RateLimitService<S, KeyBy<F>>
where
    S: Service<Req> + Clone,
    S::Error: Into<BoxError>,
    F: Fn(&Req) -> Key,
    Key: RateLimitKey,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = RateLimitFuture<S, Req>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    #[inline]
    fn call(&mut self, request: Req) -> Self::Future {
        let limiter = self.limiter;
        // Hashed at once: neither the admission nor a wait holds the key or the request.
        let key = (self.key.0)(&request).hashed_for(limiter);
        let admission = rate_limit_admit_key(limiter, None, &key);
        AdmissionFuture::admit(&mut self.inner, request, admission, || {
            rate_limit_wait_key(limiter, key)
        })
    }
}

//! [`BulkheadLayer`]: a named bulkhead in front of a tower service.

use std::fmt;
use std::task::{Context, Poll};

use ::tower::{BoxError, Layer, Service};

use super::admission::AdmissionFuture;
use super::declare::declared;
use crate::bulkhead::adapter::{bulkhead_admit, bulkhead_wait};
use crate::bulkhead::{Bulkhead, BulkheadConfig, BulkheadPermit};
use crate::registry::registry;

/// Caps the calls in flight with the named bulkhead: the same instance, slots and
/// configuration as every `#[bulkhead]` site and layer of that name. An adaptive bulkhead
/// learns from the calls here as from an attribute's: the latency of each, and whether it
/// failed (the inner service's error, or a timeout; an inner layer's rejection is no sample).
///
/// A call takes a slot for as long as its response future runs. When none is free it waits
/// up to the bulkhead's `max_wait` (by default not at all), then fails with
/// [`Error::BulkheadFull`](crate::Error::BulkheadFull) inside the `BoxError`, without calling
/// the inner service. The slot is given back when the call ends, or when its response future
/// is dropped at any point, or the inner service panics.
///
/// `poll_ready` is the inner service's: unlike tower's `ConcurrencyLimit`, which reserves a
/// slot in `poll_ready`, this layer takes the slot in `call`. The slots are shared with the
/// attribute sites and other services of the same name, and a slot reserved by a service that
/// is ready but never called would be lost to all of them. The wait, if any, happens inside
/// the response future, which needs the inner service to be `Clone` (only a call that waits
/// clones it).
///
/// ```
/// use resilience_runtime::bulkhead::BulkheadConfig;
/// use resilience_runtime::tower::BulkheadLayer;
/// use resilience_runtime::Error;
/// use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut service = ServiceBuilder::new()
///     .layer(BulkheadLayer::new("doc-tower-pool", BulkheadConfig::new(1)))
///     .service(service_fn(|n: u32| async move { Ok::<_, BoxError>(n) }));
///
/// let first = service.ready().await.unwrap().call(1); // holds the only slot until it ends
/// let full = service.ready().await.unwrap().call(2).await.unwrap_err();
/// assert!(matches!(full.downcast_ref::<Error>(), Some(Error::BulkheadFull { .. })));
/// assert_eq!(first.await.unwrap(), 1);
/// # }
/// ```
#[derive(Clone, Copy)]
pub struct BulkheadLayer {
    bulkhead: &'static Bulkhead,
}

impl BulkheadLayer {
    /// The bulkhead named `name`, as declared by an attribute site, a `register_*` call,
    /// another layer or configuration; with the defaults (and a warning) if nothing declares
    /// it. Resolved now: a layer built inside a
    /// [`testing::scope`](crate::testing::scope) uses that scope's bulkhead.
    #[must_use]
    #[track_caller]
    pub fn named(name: &'static str) -> Self {
        Self::declare(name, None)
    }

    /// Declares the bulkhead named `name` with `config`, or adopts the one already declared
    /// (a different `config` is then reported as a conflict, as between two attribute sites).
    #[must_use]
    #[track_caller]
    pub fn new(name: &'static str, config: BulkheadConfig) -> Self {
        Self::declare(name, Some(config))
    }

    #[track_caller]
    fn declare(name: &'static str, config: Option<BulkheadConfig>) -> Self {
        let bulkhead = declared("tower::BulkheadLayer", |at| {
            registry().declare(name.into(), config, at)
        });
        Self { bulkhead }
    }

    /// The bulkhead this layer takes slots from, the registry's instance.
    #[must_use]
    pub fn bulkhead(&self) -> &'static Bulkhead {
        self.bulkhead
    }
}

impl<S> Layer<S> for BulkheadLayer {
    type Service = BulkheadService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BulkheadService {
            inner,
            bulkhead: self.bulkhead,
        }
    }
}

impl fmt::Debug for BulkheadLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkheadLayer")
            .field("name", &self.bulkhead.name())
            .finish()
    }
}

/// The service a [`BulkheadLayer`] builds.
#[derive(Clone)]
pub struct BulkheadService<S> {
    inner: S,
    bulkhead: &'static Bulkhead,
}

impl<S: fmt::Debug> fmt::Debug for BulkheadService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkheadService")
            .field("name", &self.bulkhead.name())
            .field("inner", &self.inner)
            .finish()
    }
}

/// The response future of a [`BulkheadService`].
pub type BulkheadFuture<S, Req> = AdmissionFuture<S, Req, BulkheadPermit<'static>>;

impl<S, Req> Service<Req> for BulkheadService<S>
where
    S: Service<Req> + Clone,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BulkheadFuture<S, Req>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    #[inline]
    fn call(&mut self, request: Req) -> Self::Future {
        let bulkhead = self.bulkhead;
        AdmissionFuture::admit(&mut self.inner, request, bulkhead_admit(bulkhead), || {
            bulkhead_wait(bulkhead)
        })
    }
}

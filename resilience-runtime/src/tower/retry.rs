//! [`RetryLayer`]: a named retry policy around a tower service.

use std::fmt;
use std::task::{Context, Poll};
use std::time::Duration;

use ::tower::{BoxError, Layer, Service};

use super::classify::{Always, Hint, Never, NoHint, Predicate};
use super::declare::declared;
use super::resend::{CloneRequest, Cloned};
use super::retry_future::RetryFuture;
use super::retry_rules::RetryRules;
use crate::registry::registry;
use crate::retry::driver::retry_start;
use crate::retry::{Retry, RetryConfig};

/// Retries failed calls with the named retry policy: the same instance, policy (attempts,
/// backoff, jitter, deadline) and metrics as every `#[retry]` site and layer of that name,
/// and the same decision after each attempt.
///
/// After a failed attempt the layer sleeps the backoff delay (on tokio's clock), waits for
/// the inner service to be ready, and sends the request again. What is retried follows the
/// attribute's rules: an inner breaker's [`Error::CircuitOpen`](crate::Error::CircuitOpen)
/// and an inner quota's [`Error::QuotaExceeded`](crate::Error::QuotaExceeded) never, an inner
/// rate limit's [`Error::RateLimited`](crate::Error::RateLimited) after its
/// `retry_after`; timeouts, full bulkheads and the service's own errors when
/// [`when`](Self::when) accepts them (all, by default), after the delay
/// [`retry_after`](Self::retry_after) reads from them, if any. A response
/// [`when_ok`](Self::when_ok) accepts (a 503) is retried too; when the attempts run out, the
/// last response is returned. The call ends on the last outcome, error or response.
///
/// A request is sent again only if a copy of it could be made before it was sent (tower's
/// `Policy::clone_request` convention): requests that are `Clone` are cloned by default, and
/// [`clone_request`](Self::clone_request) makes copies of others, or refuses to with `None`;
/// a request that cannot be copied is sent once, and its outcome is final. The inner service
/// must be `Clone`: each call keeps one for its later attempts.
///
/// Put a [`TimeoutLayer`](super::TimeoutLayer) below it to limit each attempt, above it to
/// limit all of them. Dropping the response future stops the attempt or the sleep in
/// progress.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
///
/// use resilience_runtime::retry::{Jitter, RetryConfig};
/// use resilience_runtime::tower::RetryLayer;
/// use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let calls = Arc::new(AtomicU32::new(0));
/// let counted = Arc::clone(&calls);
/// let policy = RetryConfig::new().with_max_attempts(3).with_jitter(Jitter::None);
/// let mut service = ServiceBuilder::new()
///     .layer(RetryLayer::new("doc-tower-retry", policy).when_ok(|status: &u16| *status == 503))
///     .service(service_fn(move |_path: &'static str| {
///         let call = counted.fetch_add(1, Ordering::Relaxed);
///         async move { Ok::<_, BoxError>(if call < 2 { 503 } else { 200 }) }
///     }));
///
/// let status = service.ready().await.unwrap().call("/stock").await.unwrap();
/// assert_eq!((status, calls.load(Ordering::Relaxed)), (200, 3));
/// # }
/// ```
#[derive(Clone)]
pub struct RetryLayer<W = Always, K = Never, H = NoHint, C = Cloned> {
    retry: &'static Retry,
    rules: RetryRules<W, K, H, C>,
}

impl RetryLayer {
    /// The retry policy named `name`, as declared by an attribute site, a `register_*` call,
    /// another layer or configuration; with the defaults (and a warning) if nothing declares
    /// it. Resolved now: a layer built inside a
    /// [`testing::scope`](crate::testing::scope) uses that scope's policy.
    #[must_use]
    #[track_caller]
    pub fn named(name: &'static str) -> Self {
        Self::declare(name, None)
    }

    /// Declares the retry policy named `name` with `config`, or adopts the one already
    /// declared (a different `config` is then reported as a conflict, as between two
    /// attribute sites).
    #[must_use]
    #[track_caller]
    pub fn new(name: &'static str, config: RetryConfig) -> Self {
        Self::declare(name, Some(config))
    }

    #[track_caller]
    fn declare(name: &'static str, config: Option<RetryConfig>) -> Self {
        let retry = declared("tower::RetryLayer", |at| {
            registry().declare(name.into(), config, at)
        });
        Self {
            retry,
            rules: RetryRules {
                when: Always,
                when_ok: Never,
                retry_after: NoHint,
                clone_request: Cloned,
            },
        }
    }
}

impl<W, K, H, C> RetryLayer<W, K, H, C> {
    /// Of the errors that go through a judgement (the service's own, inner timeouts and full
    /// bulkheads), only those `when` accepts are retried (the attribute's `when`).
    #[must_use]
    pub fn when<F>(self, when: F) -> RetryLayer<F, K, H, C>
    where
        F: Fn(&BoxError) -> bool + Clone,
    {
        let RetryRules {
            when_ok,
            retry_after,
            clone_request,
            ..
        } = self.rules;
        RetryLayer {
            retry: self.retry,
            rules: RetryRules {
                when,
                when_ok,
                retry_after,
                clone_request,
            },
        }
    }

    /// A response `when_ok` accepts is tried again, e.g.
    /// `|response: &http::Response<_>| response.status().is_server_error()`; when the
    /// attempts run out, the last response is returned (the attribute's `when_ok`).
    #[must_use]
    pub fn when_ok<F: Clone>(self, when_ok: F) -> RetryLayer<W, F, H, C> {
        let RetryRules {
            when,
            retry_after,
            clone_request,
            ..
        } = self.rules;
        RetryLayer {
            retry: self.retry,
            rules: RetryRules {
                when,
                when_ok,
                retry_after,
                clone_request,
            },
        }
    }

    /// A server's hint read from a retried error: when it returns `Some(delay)`, the next
    /// attempt comes after `delay` (capped by `max_delay`) instead of the backoff delay (the
    /// attribute's `retry_after`).
    #[must_use]
    pub fn retry_after<F>(self, retry_after: F) -> RetryLayer<W, K, F, C>
    where
        F: Fn(&BoxError) -> Option<Duration> + Clone,
    {
        let RetryRules {
            when,
            when_ok,
            clone_request,
            ..
        } = self.rules;
        RetryLayer {
            retry: self.retry,
            rules: RetryRules {
                when,
                when_ok,
                retry_after,
                clone_request,
            },
        }
    }

    /// How to copy a request before it is sent, for a later attempt: `Some(copy)`, or `None`
    /// when it cannot be sent again (its first outcome is then final). By default requests
    /// are cloned, which needs them to be `Clone`.
    #[must_use]
    pub fn clone_request<F: Clone>(self, clone_request: F) -> RetryLayer<W, K, H, F> {
        let RetryRules {
            when,
            when_ok,
            retry_after,
            ..
        } = self.rules;
        RetryLayer {
            retry: self.retry,
            rules: RetryRules {
                when,
                when_ok,
                retry_after,
                clone_request,
            },
        }
    }

    /// The retry policy this layer follows, the registry's instance.
    #[must_use]
    pub fn retry(&self) -> &'static Retry {
        self.retry
    }
}

impl<S, W: Clone, K: Clone, H: Clone, C: Clone> Layer<S> for RetryLayer<W, K, H, C> {
    type Service = RetryService<S, W, K, H, C>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            retry: self.retry,
            rules: self.rules.clone(),
        }
    }
}

impl<W, K, H, C> fmt::Debug for RetryLayer<W, K, H, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryLayer")
            .field("name", &self.retry.name())
            .finish_non_exhaustive()
    }
}

/// The service a [`RetryLayer`] builds.
#[derive(Clone)]
pub struct RetryService<S, W = Always, K = Never, H = NoHint, C = Cloned> {
    inner: S,
    retry: &'static Retry,
    rules: RetryRules<W, K, H, C>,
}

impl<S: fmt::Debug, W, K, H, C> fmt::Debug for RetryService<S, W, K, H, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryService")
            .field("name", &self.retry.name())
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, Req, W, K, H, C> Service<Req> for RetryService<S, W, K, H, C>
where
    S: Service<Req> + Clone,
    S::Error: Into<BoxError>,
    W: Predicate<BoxError> + Clone,
    K: Predicate<S::Response> + Clone,
    H: Hint<BoxError> + Clone,
    C: CloneRequest<Req> + Clone,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = RetryFuture<S, Req, W, K, H, C>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    #[inline]
    fn call(&mut self, request: Req) -> Self::Future {
        // The copy is made before the request is sent: afterwards the service owns it.
        let resend = self.rules.clone_request.clone_request(&request);
        // The service made ready for this call goes with it, for its later attempts; a
        // clone takes its place, as tower's documentation advises.
        let fresh = self.inner.clone();
        let mut service = std::mem::replace(&mut self.inner, fresh);
        let call = retry_start(self.retry);
        let attempt = service.call(request);
        RetryFuture::new(
            attempt,
            self.retry,
            call,
            service,
            resend,
            self.rules.clone(),
        )
    }
}

//! [`CircuitBreakerLayer`]: a named circuit breaker in front of a tower service.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ::tower::{BoxError, Layer, Service};

use super::boxed::{self, into_box};
use super::classify::{Always, Never, Predicate};
use super::declare::declared;
use crate::Error;
use crate::circuit_breaker::adapter::{record_layer_error, record_service_error};
use crate::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitPermit};
use crate::registry::registry;

/// Guards a service with the named circuit breaker: the same instance, state and
/// configuration as every `#[circuit_breaker]` site and layer of that name.
///
/// Each request asks the breaker for a permit. An open breaker answers at once with
/// [`Error::CircuitOpen`] inside the `BoxError`, without calling the inner service. A
/// permitted call's outcome is recorded by the attribute's rules: an inner layer's rejection
/// (a [`resilience_runtime::Error`](crate::Error) that is a rejection) is not a failure, an
/// inner timeout is; of the service's own errors, those [`ignore_if`](Self::ignore_if)
/// accepts are not recorded and those [`record_if`](Self::record_if) rejects count as
/// successes; a response [`record_if_ok`](Self::record_if_ok) accepts (a 5xx) is a failure.
/// A response future dropped before it completes records nothing and gives a half-open trial
/// permit back.
///
/// `poll_ready` is the inner service's: the breaker decides in `call`, so a service that is
/// ready but never called holds no trial permit of a breaker it shares with other callers.
///
/// ```
/// use resilience_runtime::circuit_breaker::{CircuitBreakerConfig, CircuitState};
/// use resilience_runtime::tower::CircuitBreakerLayer;
/// use resilience_runtime::{registry, Error};
/// use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let config = CircuitBreakerConfig::new().with_failure_threshold(2);
/// let mut service = ServiceBuilder::new()
///     .layer(CircuitBreakerLayer::new("doc-tower-db", config).record_if_ok(|status: &u16| *status >= 500))
///     .service(service_fn(|status: u16| async move { Ok::<_, BoxError>(status) }));
///
/// for _ in 0..2 {
///     assert_eq!(service.ready().await.unwrap().call(503).await.unwrap(), 503);
/// }
/// assert_eq!(registry().circuit_breaker("doc-tower-db").unwrap().state(), CircuitState::Open);
/// let rejected = service.ready().await.unwrap().call(200).await.unwrap_err();
/// assert!(matches!(rejected.downcast_ref::<Error>(), Some(Error::CircuitOpen { .. })));
/// # }
/// ```
#[derive(Clone)]
pub struct CircuitBreakerLayer<R = Always, I = Never, O = Never> {
    breaker: &'static CircuitBreaker,
    record_if: R,
    ignore_if: I,
    record_if_ok: O,
}

impl CircuitBreakerLayer {
    /// The breaker named `name`, as declared by an attribute site, a `register_*` call,
    /// another layer or configuration; with the defaults (and a warning) if nothing declares
    /// it. Resolved now: a layer built inside a
    /// [`testing::scope`](crate::testing::scope) uses that scope's breaker.
    #[must_use]
    #[track_caller]
    pub fn named(name: &'static str) -> Self {
        Self::declare(name, None)
    }

    /// Declares the breaker named `name` with `config`, or adopts the one already declared
    /// (a different `config` is then reported as a conflict, as between two attribute sites).
    #[must_use]
    #[track_caller]
    pub fn new(name: &'static str, config: CircuitBreakerConfig) -> Self {
        Self::declare(name, Some(config))
    }

    #[track_caller]
    fn declare(name: &'static str, config: Option<CircuitBreakerConfig>) -> Self {
        let breaker = declared("tower::CircuitBreakerLayer", |at| {
            registry().declare(name.into(), config, at)
        });
        Self {
            breaker,
            record_if: Always,
            ignore_if: Never,
            record_if_ok: Never,
        }
    }
}

impl<R, I, O> CircuitBreakerLayer<R, I, O> {
    /// Of the inner service's errors, only those `record_if` accepts are failures; the
    /// others count as successes (the attribute's `record_if`). Inner layers' errors are
    /// judged by the attribute's rules whatever it says.
    #[must_use]
    pub fn record_if<F>(self, record_if: F) -> CircuitBreakerLayer<F, I, O>
    where
        F: Fn(&BoxError) -> bool + Clone,
    {
        CircuitBreakerLayer {
            breaker: self.breaker,
            record_if,
            ignore_if: self.ignore_if,
            record_if_ok: self.record_if_ok,
        }
    }

    /// The inner service's errors that `ignore_if` accepts are not recorded at all (the
    /// attribute's `ignore_if`); it wins over [`record_if`](Self::record_if).
    #[must_use]
    pub fn ignore_if<F>(self, ignore_if: F) -> CircuitBreakerLayer<R, F, O>
    where
        F: Fn(&BoxError) -> bool + Clone,
    {
        CircuitBreakerLayer {
            breaker: self.breaker,
            record_if: self.record_if,
            ignore_if,
            record_if_ok: self.record_if_ok,
        }
    }

    /// A response `record_if_ok` accepts is a failure (the attribute's `record_if_ok`), e.g.
    /// `|response: &http::Response<_>| response.status().is_server_error()`. The response is
    /// still returned as it is.
    #[must_use]
    pub fn record_if_ok<F: Clone>(self, record_if_ok: F) -> CircuitBreakerLayer<R, I, F> {
        CircuitBreakerLayer {
            breaker: self.breaker,
            record_if: self.record_if,
            ignore_if: self.ignore_if,
            record_if_ok,
        }
    }

    /// The breaker this layer guards with, the registry's instance.
    #[must_use]
    pub fn breaker(&self) -> &'static CircuitBreaker {
        self.breaker
    }
}

impl<S, R: Clone, I: Clone, O: Clone> Layer<S> for CircuitBreakerLayer<R, I, O> {
    type Service = CircuitBreakerService<S, R, I, O>;

    fn layer(&self, inner: S) -> Self::Service {
        CircuitBreakerService {
            inner,
            breaker: self.breaker,
            record_if: self.record_if.clone(),
            ignore_if: self.ignore_if.clone(),
            record_if_ok: self.record_if_ok.clone(),
        }
    }
}

impl<R, I, O> fmt::Debug for CircuitBreakerLayer<R, I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerLayer")
            .field("name", &self.breaker.name())
            .finish_non_exhaustive()
    }
}

/// The service a [`CircuitBreakerLayer`] builds.
#[derive(Clone)]
pub struct CircuitBreakerService<S, R = Always, I = Never, O = Never> {
    inner: S,
    breaker: &'static CircuitBreaker,
    record_if: R,
    ignore_if: I,
    record_if_ok: O,
}

impl<S: fmt::Debug, R, I, O> fmt::Debug for CircuitBreakerService<S, R, I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerService")
            .field("name", &self.breaker.name())
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, Req, R, I, O> Service<Req> for CircuitBreakerService<S, R, I, O>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    R: Predicate<BoxError> + Clone,
    I: Predicate<BoxError> + Clone,
    O: Predicate<S::Response> + Clone,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = CircuitBreakerFuture<S::Future, R, I, O>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    #[inline]
    fn call(&mut self, request: Req) -> Self::Future {
        let state = match self.breaker.try_acquire() {
            // Should `call` panic, the permit is dropped, which gives a trial permit back.
            Ok(permit) => Stage::Running {
                inner: self.inner.call(request),
                permit: Some(permit),
            },
            Err(rejection) => Stage::Rejected {
                error: Some(rejection),
            },
        };
        CircuitBreakerFuture {
            state,
            record_if: self.record_if.clone(),
            ignore_if: self.ignore_if.clone(),
            record_if_ok: self.record_if_ok.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of a [`CircuitBreakerService`]: the inner call under its permit,
    /// or the breaker's rejection.
    #[must_use = "futures do nothing unless polled"]
    pub struct CircuitBreakerFuture<F, R, I, O> {
        #[pin]
        state: Stage<F>,
        record_if: R,
        ignore_if: I,
        record_if_ok: O,
    }
}

pin_project_lite::pin_project! {
    #[project = StageProjection]
    enum Stage<F> {
        // The permit is taken when the outcome is recorded; dropped before, it records the
        // call as ignored.
        Running { #[pin] inner: F, permit: Option<CircuitPermit<'static>> },
        Rejected { error: Option<Error> },
    }
}

impl<F, T, E, R, I, O> Future for CircuitBreakerFuture<F, R, I, O>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
    R: Predicate<BoxError>,
    I: Predicate<BoxError>,
    O: Predicate<T>,
{
    type Output = Result<T, BoxError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.state.project() {
            StageProjection::Running { inner, permit } => {
                let outcome = ready!(inner.poll(cx)).map_err(Into::into);
                if let Some(permit) = permit.take() {
                    record(
                        permit,
                        &outcome,
                        this.record_if,
                        this.ignore_if,
                        this.record_if_ok,
                    );
                }
                Poll::Ready(outcome)
            }
            StageProjection::Rejected { error } => Poll::Ready(Err(error
                .take()
                .map_or_else(boxed::polled_after_completion, into_box))),
        }
    }
}

/// Feeds a call's outcome to its permit, by the attribute's rules.
#[inline]
fn record<T>(
    permit: CircuitPermit<'_>,
    outcome: &Result<T, BoxError>,
    record_if: &impl Predicate<BoxError>,
    ignore_if: &impl Predicate<BoxError>,
    record_if_ok: &impl Predicate<T>,
) {
    match outcome {
        Ok(response) if record_if_ok.test(response) => permit.record_failure(),
        Ok(_) => permit.record_success(),
        Err(error) => match boxed::layer_error(error) {
            Some(layer) => record_layer_error(permit, layer),
            None => record_service_error(
                permit,
                error,
                |error| record_if.test(error),
                |error| ignore_if.test(error),
            ),
        },
    }
}

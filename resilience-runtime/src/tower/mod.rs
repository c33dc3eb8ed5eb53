//! The policies as [tower](https://docs.rs/tower) layers, on the named registry (feature
//! `tower`).
//!
//! [`CircuitBreakerLayer`], [`RetryLayer`], [`RateLimitLayer`], [`QuotaLayer`],
//! [`BulkheadLayer`] and [`HedgeLayer`] each take their instance from the registry: `::named("name")` is the same instance, state and
//! configuration as every attribute site and layer that gives that name (declared with the
//! defaults, or by configuration, if nothing declares it), and `::new("name", config)`
//! declares it, as an attribute with keys does. [`TimeoutLayer::new`] has no name.
//!
//! ```
//! use std::time::Duration;
//!
//! use resilience_runtime::circuit_breaker::CircuitBreakerConfig;
//! use resilience_runtime::retry::RetryConfig;
//! use resilience_runtime::tower::{CircuitBreakerLayer, RetryLayer, TimeoutLayer};
//! use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! // As #[circuit_breaker] #[retry] #[timeout("500ms")] on a fn, in that order.
//! let mut stock = ServiceBuilder::new()
//!     .layer(CircuitBreakerLayer::new("doc-tower-stock-db", CircuitBreakerConfig::new()))
//!     .layer(RetryLayer::new("doc-tower-stock-retry", RetryConfig::new().with_max_attempts(3)))
//!     .layer(TimeoutLayer::new(Duration::from_millis(500)))
//!     .service(service_fn(|sku: &'static str| async move { Ok::<_, BoxError>(sku.len()) }));
//!
//! assert_eq!(stock.ready().await.unwrap().call("ab-12").await.unwrap(), 5);
//! # }
//! ```
//!
//! # Stacking
//!
//! The first `.layer(..)` of a `ServiceBuilder` is the outermost, as the topmost attribute
//! is, and the layers read each other's errors as the attributes do: a rejection or timeout
//! is a [`resilience_runtime::Error`](crate::Error) inside the `BoxError`, so an outer
//! breaker does not count an inner rejection as a failure (a timeout it does), and an outer
//! retry never retries [`Error::CircuitOpen`](crate::Error::CircuitOpen) or
//! [`Error::QuotaExceeded`](crate::Error::QuotaExceeded) but waits out
//! [`Error::RateLimited`](crate::Error::RateLimited)'s `retry_after`. A timeout inside a
//! retry limits each attempt; outside, all of them. A hedge above a bulkhead or rate limit
//! takes a slot or permit per attempt, and gives a loser's back as soon as the winner answers.
//!
//! # Services
//!
//! Every service accepts an inner `Service<Req>` whose error is `Into<tower::BoxError>`, and
//! its own error is `tower::BoxError`: the inner service's error as it was boxed, or the
//! layer's [`Error`](crate::Error) (`error.downcast_ref::<resilience_runtime::Error>()`).
//! The breaker and retry take classifiers for errors and responses
//! ([`Predicate`]: any closure), so that a 5xx response can be a failure or a reason to
//! retry. The retry sends a request again only if it could copy it ([`CloneRequest`]).
//!
//! `poll_ready` is always the inner service's: each layer decides in `call`, on the
//! registry's instance, which is shared with attribute sites and other services, so a
//! service that is ready but never called holds no slot, permit or trial call. A bulkhead
//! or rate limit that lets a call wait, and a quota on Redis asking the server, do so inside
//! the response future.
//!
//! # Cost
//!
//! A layer resolves its instance once, when it is built, and keeps it for the rest of the
//! process (registry instances are never dropped): a call does no lookup, no reference
//! counting and no allocation on its happy path. A rejection or timeout allocates its
//! `BoxError`; waiting for a slot or permit, and sleeping between attempts, allocate their
//! boxed waits. The retry clones the inner service and the request once per call, as tower's
//! own retry does; the hedge clones them once per call, and again for each hedge it sends.
//!
//! # Tests
//!
//! A layer built inside a [`testing::scope`](crate::testing::scope) takes that scope's
//! instance, shared with the attribute sites the scope runs, and keeps it wherever its
//! services are called.

mod admission;
mod boxed;
mod bulkhead;
mod circuit_breaker;
mod classify;
mod declare;
mod hedge;
mod hedge_attempt;
mod quota;
mod rate_limit;
mod resend;
mod retry;
mod retry_future;
mod retry_rules;
mod timeout;

pub use admission::AdmissionFuture;
pub use bulkhead::{BulkheadFuture, BulkheadLayer, BulkheadService};
pub use circuit_breaker::{CircuitBreakerFuture, CircuitBreakerLayer, CircuitBreakerService};
pub use classify::{Always, Hint, Never, NoHint, Predicate};
pub use hedge::{HedgeFuture, HedgeLayer, HedgeService};
pub use hedge_attempt::{HedgeAttempt, Resend, SendsAgain};
pub use quota::{QuotaFuture, QuotaLayer, QuotaService};
pub use rate_limit::{KeyBy, RateLimitFuture, RateLimitLayer, RateLimitService, Unkeyed};
pub use resend::{CloneRequest, Cloned};
pub use retry::{RetryLayer, RetryService};
pub use retry_future::RetryFuture;
pub use timeout::{TimeoutFuture, TimeoutLayer, TimeoutService};

//! Chaos: injected errors, latency and outages, to test how your service and its resilience
//! layers behave when a dependency misbehaves.
//!
//! `#[chaos(..)]` (see [`macro@crate::chaos`]) goes *innermost*, below `#[retry]` and
//! `#[circuit_breaker]`, so those layers see the injected faults as the dependency's own:
//!
//! ```
//! use resilience_runtime::{chaos, registry, retry};
//!
//! #[derive(Debug, thiserror::Error)]
//! enum ApiError {
//!     #[error("service unavailable")]
//!     Unavailable,
//!     #[error(transparent)]
//!     Resilience(#[from] resilience_runtime::Error),
//! }
//!
//! fn unavailable() -> ApiError {
//!     ApiError::Unavailable
//! }
//!
//! #[retry(max_attempts = 5, initial_delay = "10ms")]
//! #[chaos(name = "doc-chaos-api", error_rate = 0.2, error = unavailable,
//!         latency = "200ms", latency_rate = 0.1, seed = 7)]
//! async fn fetch(id: u32) -> Result<u32, ApiError> {
//!     Ok(id)
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! chaos::set_enabled(true); // or the `chaos` feature, or RESILIENCE_CHAOS=1
//! for id in 0..100 {
//!     assert_eq!(fetch(id).await.unwrap(), id); // the retry absorbs the injected errors
//! }
//! let injected = registry().chaos("doc-chaos-api").unwrap().metrics();
//! assert!(injected.errors_injected > 0 && injected.latencies_injected > 0);
//! # }
//! ```
//!
//! # Armed only on purpose
//!
//! A chaos layer does nothing (one relaxed atomic load per call: no clock, no generator,
//! no counter) unless chaos is *armed* in the process:
//!
//! - by the `chaos` cargo feature of this crate: enable it only where tests are built,
//!   `resilience-runtime = { version = "..", features = ["chaos"] }` under
//!   `[dev-dependencies]` (with Cargo's resolver 2 or later, the default since edition
//!   2021, a dev-dependency's features reach test, example and bench builds only);
//! - or by `RESILIENCE_CHAOS=1` (also `true`, `yes`, `on`) in the environment.
//!   `RESILIENCE_CHAOS=0` (`false`, `no`, `off`) disarms it even with the feature;
//! - [`set_enabled`] from code overrides both.
//!
//! The feature and the variable are read once, at the first call of any chaos layer. Arming
//! is logged once at `warn` level, so nobody runs chaos unknowingly. The kill switch
//! ([`config::set_disabled`](crate::config::set_disabled), `RESILIENCE_DISABLED=1`) turns
//! chaos layers into pass-throughs too.
//!
//! # Faults
//!
//! Each armed call, in this order:
//!
//! 1. **Outage** (`outage` every `period`): a call in the first `outage` of each `period`,
//!    counted on tokio's clock from the instance's creation (its site's first call), fails
//!    with the injected error at once, without running the body.
//! 2. **Latency** (`latency`, for a fraction `latency_rate` of calls, default all): the call
//!    sleeps on tokio's clock before the body runs, so paused-clock tests see it instantly.
//!    Dropping the call while it sleeps cancels it cleanly.
//! 3. **Error** (`error_rate`): the call fails with the injected error instead of running
//!    the body (after its injected latency, if it drew one: a slow failure).
//!
//! The injected error is built by the user's `fn() -> E` (`error = path`), so outer layers
//! see the service's own error type: a retry's `when` and a breaker's `record_if` apply to
//! it as to a real failure.
//!
//! # Reproducible runs
//!
//! Every decision comes from a per-instance SplitMix64 generator: one lock-free draw per
//! armed call, whose 64 bits decide both the error (high half) and the latency (low half).
//! The generator starts from the instance's seed XOR a hash (FNV-1a) of its name, where the
//! seed is `RESILIENCE_CHAOS_SEED` if set, else the attribute's `seed`, else 0. So without
//! any seed the injections are still the same on every run, and two instances with the same
//! seed still inject independently. Same seed, same name and same call order give the same
//! injections (outages also depend on the time, which a paused tokio clock fixes);
//! [`Chaos::reset`] rewinds the generator to replay a run.
//!
//! # Inspection
//!
//! Every instance is in the [`registry`](crate::registry()) under its name:
//! [`Registry::chaos`](crate::Registry::chaos) returns it, and
//! [`snapshot()`](crate::Registry::snapshot) lists each with its configuration, seed and
//! counts ([`ChaosMetrics`]). Each injection is a `tracing` event at `debug` level with the
//! instance's `name`.
//!
//! Chaos instances are configured by the attribute (or
//! [`Registry::register_chaos`](crate::Registry::register_chaos)) only: configuration
//! files and `RESILIENCE_<KIND>_<NAME>_<KEY>` variables do not address them.

// The instance and what it injects.
mod call;
mod config;
mod fault_decision;
mod injection;
mod instance;

// What an instance draws on and reports: arming, its generator, its counters.
mod arming;
mod generator;
mod metrics;

#[cfg(test)]
mod test_support;

pub(crate) use arming::reread_env;
pub use arming::{ENABLE_VARIABLE, SEED_VARIABLE, is_enabled, set_enabled};
pub use config::ChaosConfig;
pub use injection::{Fault, Injection};
pub use instance::{Chaos, ChaosHandle};
pub use metrics::{ChaosMetrics, ChaosSnapshot};

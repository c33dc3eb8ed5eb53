//! Retrying failed calls with backoff and jitter.
//!
//! - [`RetryConfig`] is the configuration (`const`-buildable, `Copy`).
//! - [`RetryState`] is the bookkeeping of one call: [`RetryConfig::start`] it, and after each
//!   retryable failure ask [`RetryState::next_delay`] how long to sleep, or whether to give up.
//! - [`Retry`] is a *named* policy with counters, as kept in the registry;
//!   [`Retry::run`] is the whole loop for callers that do not use the `#[retry]` attribute,
//!   and [`Retry::run_on`] takes a [`RetryOn`]: which errors and which `Ok` values to retry.
//!
//! One file per concept: the schedules ([`BackoffKind`]) and [`Jitter`], the policy, the
//! per-call state, the named instance with its live tuning and metrics, and the
//! step after each attempt that both [`Retry::run`] and generated code take.

mod backoff;
mod config;
pub(crate) mod driver;
mod instance;
mod jitter;
mod metrics;
mod retry_on;
mod run;
mod state;
pub(crate) mod step;
mod tuning;

pub use backoff::BackoffKind;
pub use config::{Preset, RetryConfig};
pub use instance::{Retry, RetryHandle};
pub use jitter::Jitter;
pub use metrics::{RetryMetrics, RetrySnapshot};
pub use retry_on::RetryOn;

/// The first name of [`RetryConfig`], kept so that code written against it still compiles:
/// the same type.
pub type RetryPolicy = RetryConfig;
pub use state::RetryState;

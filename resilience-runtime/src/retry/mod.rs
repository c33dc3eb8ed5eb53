//! Retrying failed calls with backoff and jitter.
//!
//! - [`RetryConfig`] is the configuration (`const`-buildable, `Copy`).
//! - [`RetryState`] is the bookkeeping of one call: [`RetryConfig::start`] it, and after each
//!   retryable failure ask [`RetryState::next_delay`] how long to sleep, or whether to give up.
//! - [`Retry`] is a *named* policy with counters, as kept in the registry;
//!   [`Retry::run`] is the whole loop for callers that do not use the `#[retry]` attribute,
//!   and [`Retry::run_on`] takes a [`RetryOn`]: which errors and which `Ok` values to retry.
//!
//! - [`RetryBudget`] caps the retries of a named retry at a share of its calls over a
//!   sliding window, plus a minimum rate: shared by every site, tower layer and plain call
//!   naming that retry. A call that needs no retry pays nothing for it (the retry counts its
//!   calls anyway, and the budget reads that running total); a call that wants to retry asks
//!   the budget, and when it is spent ends with its last outcome (the last error, or the last
//!   `Ok` that `when_ok` flagged). [`Retry::budget`] reads its live figures.
//!
//!   Within the crate, every extra attempt made on behalf of a retry asks the same question,
//!   `Retry::try_spend(now) -> bool` ("may I spend one retry now?"): the retry step before
//!   each retry, and a `#[hedge]` inside the retry before each hedge it starts.
//!
//! One file per concept: the schedules ([`BackoffKind`]) and [`Jitter`], the policy, the
//! per-call state, the named instance with its live tuning and metrics, and the
//! step after each attempt that both [`Retry::run`] and generated code take.

mod backoff;
mod budget;
mod budget_ledger;
mod budget_window;
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
pub use budget::RetryBudget;
pub use config::{Preset, RetryConfig};
pub use instance::{Retry, RetryHandle};
pub use jitter::Jitter;
pub use metrics::{RetryBudgetSnapshot, RetryMetrics, RetrySnapshot};
pub use retry_on::RetryOn;

/// The first name of [`RetryConfig`], kept so that code written against it still compiles:
/// the same type.
pub type RetryPolicy = RetryConfig;
pub use state::RetryState;

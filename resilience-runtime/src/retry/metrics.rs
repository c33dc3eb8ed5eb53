//! What a [`Retry`](super::Retry) counts and shows: [`RetryMetrics`], [`RetrySnapshot`].

use serde::Serialize;

use super::budget::RetryBudget;
use super::config::RetryConfig;

/// Counters of a [`Retry`](super::Retry) since it was created.
///
/// A call still running (or cancelled while running) counts in `calls` only, so
/// `calls - succeeded - failed` is the number of calls in flight or abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct RetryMetrics {
    /// Logical calls started (each may make several attempts).
    pub calls: u64,
    /// Extra attempts made: every attempt after the first of its call.
    pub retries: u64,
    /// Calls that ended in `Ok`, at any attempt (an `Ok` that `when_ok` flagged counts as
    /// failed instead).
    pub succeeded: u64,
    /// Calls that ended in `Ok` after at least one retry.
    pub succeeded_after_retry: u64,
    /// Calls that ended in `Err`, for whatever reason, or in an `Ok` that `when_ok` flagged
    /// when no retry was left (that `Ok` is still the call's outcome).
    pub failed: u64,
    /// Failed calls that ended after at least one retry: the attempts or the `max_elapsed`
    /// budget ran out, or a later error was not retryable. `failed - exhausted` calls failed
    /// on their first attempt and were not retried.
    pub exhausted: u64,
    /// Retries the [budget](super::RetryBudget) refused: each ended its call with its last
    /// outcome, counted in `failed` too. 0 without a budget.
    pub budget_exhausted: u64,
}

/// A point-in-time view of a [`Retry`](super::Retry), for status pages.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RetrySnapshot {
    /// The registry name.
    pub name: &'static str,
    /// The policy.
    pub policy: RetryConfig,
    /// The counters.
    pub metrics: RetryMetrics,
    /// The budget's live figures, if the policy has one.
    pub budget: Option<RetryBudgetSnapshot>,
}

/// The live figures of a retry's [budget](super::RetryBudget), as
/// [`Retry::budget`](super::Retry::budget) reads them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RetryBudgetSnapshot {
    /// The budget's settings.
    pub budget: RetryBudget,
    /// Retries spent over the window ending now (a slice of the window that straddles its
    /// start counts whole, so this errs high and the budget low).
    pub retries_in_window: u64,
    /// Retries the window's calls allow now, minimum included.
    pub allowed_in_window: u64,
    /// Retries refused since the retry was created: each ended its call.
    pub refused: u64,
    /// Bursts of refusals: how often the budget ran out after having allowed a retry.
    pub exhaustions: u64,
    /// Whether the last retry that asked was refused.
    pub exhausted: bool,
}

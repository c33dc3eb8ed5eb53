//! What a [`Retry`](super::Retry) counts and shows: [`RetryMetrics`], [`RetrySnapshot`].

use serde::Serialize;

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
}

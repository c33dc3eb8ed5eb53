//! A bulkhead's configuration: the concurrency limit and the longest wait for a slot.

use std::time::Duration;

use serde::Serialize;

/// The configuration of a [`Bulkhead`](super::Bulkhead): how many calls may run at once, and
/// how long a call may wait for a slot when it is full.
///
/// ```
/// use resilience_runtime::bulkhead::BulkheadConfig;
/// use std::time::Duration;
///
/// const POOL: BulkheadConfig = BulkheadConfig::new(16).with_max_wait(Duration::from_millis(100));
/// assert_eq!(POOL.max_concurrent(), 16);
/// assert_eq!(POOL.max_wait(), Duration::from_millis(100));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct BulkheadConfig {
    max_concurrent: usize,
    max_wait: Duration,
}

impl BulkheadConfig {
    /// At most `max_concurrent` calls at once, failing fast when full. A limit of 0 rejects
    /// every call.
    #[must_use]
    pub const fn new(max_concurrent: usize) -> Self {
        Self {
            max_concurrent,
            max_wait: resilience_syntax::rules::bulkhead::DEFAULT_MAX_WAIT,
        }
    }

    /// How long a call may wait for a slot before it is rejected (0: reject at once).
    ///
    /// The bulkhead keeps the wait in nanoseconds: one longer than `u64::MAX` nanoseconds
    /// (about 584 years, never reached) is kept as that. Configuration (`max_wait` from the
    /// environment, a file or [`config::apply`](crate::config::apply)) rejects one instead.
    #[must_use]
    pub const fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// The concurrency limit.
    #[must_use]
    pub const fn max_concurrent(&self) -> usize {
        self.max_concurrent
    }

    /// The longest wait for a slot.
    #[must_use]
    pub const fn max_wait(&self) -> Duration {
        self.max_wait
    }
}

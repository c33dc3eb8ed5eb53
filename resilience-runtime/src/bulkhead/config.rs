//! A bulkhead's configuration: the concurrency limit, the longest wait for a slot, and,
//! for an adaptive bulkhead, the algorithm and the range its limit moves in.

use std::time::Duration;

use serde::Serialize;

use super::adaptive::Adaptive;

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
/// assert_eq!(POOL.adaptive(), None);
/// ```
///
/// With an [`Adaptive`] algorithm, the limit moves between
/// [`min_concurrent`](Self::min_concurrent) and `max_concurrent` from the latency and errors
/// the bulkhead observes ([`Bulkhead::limit`](super::Bulkhead::limit) reads it).
///
/// ```
/// use resilience_runtime::bulkhead::{Adaptive, BulkheadConfig};
///
/// const ADAPTIVE: BulkheadConfig =
///     BulkheadConfig::new(500).with_adaptive(Adaptive::Aimd).with_min_concurrent(2);
/// assert_eq!((ADAPTIVE.min_concurrent(), ADAPTIVE.max_concurrent()), (2, 500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct BulkheadConfig {
    max_concurrent: usize,
    max_wait: Duration,
    adaptive: Option<Adaptive>,
    min_concurrent: usize,
}

impl BulkheadConfig {
    /// At most `max_concurrent` calls at once, failing fast when full. A limit of 0 rejects
    /// every call.
    #[must_use]
    pub const fn new(max_concurrent: usize) -> Self {
        Self {
            max_concurrent,
            max_wait: resilience_syntax::rules::bulkhead::DEFAULT_MAX_WAIT,
            adaptive: None,
            min_concurrent: resilience_syntax::rules::bulkhead::DEFAULT_MIN_CONCURRENT as usize,
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

    /// `max_concurrent` changed, the rest kept.
    #[must_use]
    pub const fn with_max_concurrent(mut self, max_concurrent: usize) -> Self {
        self.max_concurrent = max_concurrent;
        self
    }

    /// Makes the limit adaptive: `algorithm` moves it between `min_concurrent` and
    /// `max_concurrent`. It starts at `min_concurrent` and grows quickly while calls stay fast.
    #[must_use]
    pub const fn with_adaptive(mut self, algorithm: Adaptive) -> Self {
        self.adaptive = Some(algorithm);
        self
    }

    /// A static limit again: `max_concurrent`.
    #[must_use]
    pub const fn without_adaptive(mut self) -> Self {
        self.adaptive = None;
        self
    }

    /// The lowest an adaptive limit goes (default 1; configuration and the attribute reject
    /// one above `max_concurrent`, and the bulkhead reads one as `max_concurrent`). A static
    /// bulkhead ignores it.
    #[must_use]
    pub const fn with_min_concurrent(mut self, min_concurrent: usize) -> Self {
        self.min_concurrent = min_concurrent;
        self
    }

    /// The concurrency limit; for an adaptive bulkhead, the highest its limit goes.
    #[must_use]
    pub const fn max_concurrent(&self) -> usize {
        self.max_concurrent
    }

    /// The longest wait for a slot.
    #[must_use]
    pub const fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// The algorithm moving the limit, if it is adaptive.
    #[must_use]
    pub const fn adaptive(&self) -> Option<Adaptive> {
        self.adaptive
    }

    /// The lowest an adaptive limit goes.
    #[must_use]
    pub const fn min_concurrent(&self) -> usize {
        self.min_concurrent
    }
}

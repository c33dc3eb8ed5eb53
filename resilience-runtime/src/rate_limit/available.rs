//! The permits a limit would grant now, for tests and status pages: read, never taken.

use std::hash::Hash;
use std::sync::atomic::Ordering;

use super::limiter::RateLimiter;
use crate::base::clock;

impl RateLimiter {
    /// The permits the unkeyed limit would grant now, one after another, without waiting;
    /// consumes none. With a Redis backend, the in-process limit's (what it falls back to).
    ///
    /// ```
    /// use resilience_runtime::rate_limit::{Rate, RateLimitConfig, RateLimiter};
    ///
    /// let limiter = RateLimiter::new("doc-available", RateLimitConfig::new(Rate::per_second(5)).with_burst(3));
    /// assert_eq!(limiter.available(), 3);
    /// limiter.try_acquire().unwrap();
    /// assert_eq!(limiter.available(), 2);
    /// ```
    #[must_use]
    pub fn available(&self) -> u64 {
        let tat = self.state.0.load(Ordering::Acquire);
        self.tuning.load().available(tat, clock::now())
    }

    /// [`available`](Self::available) for `key`'s own limit: the full burst for a key the
    /// limiter does not track (yet, or any more).
    #[must_use]
    pub fn available_key<K: Hash + ?Sized>(&self, key: &K) -> u64 {
        let gcra = self.tuning.load();
        let now = clock::now();
        let hash = self.keys.hash(key);
        self.keys
            .with_existing(hash, |state| {
                gcra.available(state.load(Ordering::Acquire), now)
            })
            .unwrap_or_else(|| gcra.available(0, now))
    }
}

//! [`RateLimiterMetrics`] and [`RateLimiterSnapshot`]: what a limiter reports.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::RateLimitConfig;
use crate::clock::{self, Nanos};

/// Counters of one [`RateLimiter`](super::RateLimiter) since it was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RateLimiterMetrics {
    /// Calls let through, at once or after waiting.
    pub permitted: u64,
    /// Calls rejected with [`Error::RateLimited`](crate::Error::RateLimited).
    pub rejected: u64,
    /// Permitted calls that had to wait for their permit.
    pub waited: u64,
    /// The total time those calls waited.
    pub total_wait: Duration,
    /// Waiting calls dropped (cancelled) before their permit came.
    pub cancelled: u64,
    /// Keys currently tracked by per-key limiting.
    pub tracked_keys: usize,
}

/// A serializable view of one limiter, for the registry's snapshot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RateLimiterSnapshot {
    /// The limiter's registry name.
    pub name: &'static str,
    /// The configuration it runs with.
    pub config: RateLimitConfig,
    /// Its counters.
    pub metrics: RateLimiterMetrics,
}

/// The live counters; relaxed atomics, each read on its own.
#[derive(Debug, Default)]
pub(super) struct Counters {
    permitted: AtomicU64,
    rejected: AtomicU64,
    waited: AtomicU64,
    total_wait: AtomicU64,
    cancelled: AtomicU64,
}

impl Counters {
    #[inline]
    pub(super) fn permitted(&self) {
        self.permitted.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn waited(&self, wait: Nanos) {
        self.permitted();
        self.waited.fetch_add(1, Ordering::Relaxed);
        self.total_wait.fetch_add(wait, Ordering::Relaxed);
    }

    pub(super) fn rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn cancelled(&self) {
        self.cancelled.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn read(&self, tracked_keys: usize) -> RateLimiterMetrics {
        RateLimiterMetrics {
            permitted: self.permitted.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            waited: self.waited.load(Ordering::Relaxed),
            total_wait: clock::to_duration(self.total_wait.load(Ordering::Relaxed)),
            cancelled: self.cancelled.load(Ordering::Relaxed),
            tracked_keys,
        }
    }
}

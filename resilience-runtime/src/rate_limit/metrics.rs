//! [`RateLimiterMetrics`], [`BackendStatus`] and [`RateLimiterSnapshot`]: what a limiter
//! reports.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{Backend, OnBackendError, RateLimitConfig};
use crate::base::clock::{self, Nanos};
use crate::base::stripes::Stripes;

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
    /// Calls waiting for a permit right now (in this process).
    pub waiting: usize,
    /// Keys currently tracked by per-key limiting (in this process).
    pub tracked_keys: usize,
}

/// How a limiter's remote [`Backend`] is doing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct BackendStatus {
    /// The backend.
    pub backend: Backend,
    /// What the limiter does while the backend cannot decide.
    pub on_backend_error: OnBackendError,
    /// Whether the last attempt to reach the backend succeeded (`false` before the first).
    pub available: bool,
    /// Decisions made by the backend.
    pub decisions: u64,
    /// Requests sent to the backend: one per decision and one per reservation given back,
    /// plus one when a server does not know a script yet.
    pub round_trips: u64,
    /// Reservations handed back to the backend by callers that did not wait for them.
    pub give_backs: u64,
    /// Failed attempts to reach the backend (errors and time-outs).
    pub errors: u64,
    /// Times the backend became unavailable: a run of failures, however long, counts once.
    pub incidents: u64,
    /// Decisions made by the `on_backend_error` policy instead of the backend.
    pub fallback_decisions: u64,
    /// The error of the current incident; `None` once the backend answers again.
    pub last_error: Option<String>,
}

/// A serializable view of one limiter, for the registry's snapshot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RateLimiterSnapshot {
    /// The limiter's registry name.
    pub name: &'static str,
    /// The configuration it runs with (including `set_rate` / `set_burst` changes).
    pub config: RateLimitConfig,
    /// Its counters.
    pub metrics: RateLimiterMetrics,
    /// Its remote backend's status; `None` for [`Backend::Local`].
    pub backend: Option<BackendStatus>,
}

/// The live counters; relaxed atomics, each read on its own.
#[derive(Debug, Default)]
pub(super) struct Counters {
    /// Striped: [`PERMITTED`], the one write of every permitted call besides the limit's
    /// own state (for keyed limits the only one callers with different keys would share),
    /// and [`REJECTED`], the one write of every rejected call.
    decided: Stripes<2>,
    waited: AtomicU64,
    total_wait: AtomicU64,
    cancelled: AtomicU64,
}

/// The striped counters.
const PERMITTED: usize = 0;
const REJECTED: usize = 1;

impl Counters {
    #[inline(always)]
    pub(super) fn permitted(&self) {
        self.decided.bump(PERMITTED);
    }

    pub(super) fn waited(&self, wait: Nanos) {
        self.permitted();
        self.waited.fetch_add(1, Ordering::Relaxed);
        self.total_wait.fetch_add(wait, Ordering::Relaxed);
    }

    #[inline(always)]
    pub(super) fn rejected(&self) {
        self.decided.bump(REJECTED);
    }

    pub(super) fn cancelled(&self) {
        self.cancelled.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn read(&self, waiting: usize, tracked_keys: usize) -> RateLimiterMetrics {
        RateLimiterMetrics {
            permitted: self.decided.sum(PERMITTED),
            rejected: self.decided.sum(REJECTED),
            waited: self.waited.load(Ordering::Relaxed),
            total_wait: clock::to_duration(self.total_wait.load(Ordering::Relaxed)),
            cancelled: self.cancelled.load(Ordering::Relaxed),
            waiting,
            tracked_keys,
        }
    }
}

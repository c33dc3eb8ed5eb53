//! What a breaker reports about itself.

use super::backend::{Backend, BackendStatus};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::config::CircuitBreakerConfig;
use super::event::CircuitEvent;
use super::state::CircuitState;
use crate::base::stripes::Stripes;

/// Counts and rates of a [`CircuitBreaker`](super::CircuitBreaker), read with
/// [`metrics`](super::CircuitBreaker::metrics).
///
/// The call counts run from the breaker's creation or its last
/// [`reset`](super::CircuitBreaker::reset). What the rates and `calls_in_window` describe
/// depends on the state, as what the breaker judges does:
///
/// | state | rates and `calls_in_window` | `trial_permits_left` |
/// |---|---|---|
/// | closed, metrics-only | the current sliding window | `None` |
/// | open, forced open | the window as it stood when the breaker opened (why it opened) | `None` |
/// | half-open | the trial calls of this half-open period | trial permits not yet handed out |
/// | disabled | the window, which records nothing while disabled | `None` |
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct CircuitBreakerMetrics {
    /// Calls recorded as successful.
    pub successful: u64,
    /// Calls recorded as failed.
    pub failed: u64,
    /// Calls (successful or failed) that took longer than the slow-call duration.
    pub slow: u64,
    /// Calls rejected because the breaker was open, forced open or out of trial permits.
    pub not_permitted: u64,
    /// Calls whose outcome was not counted: ignored errors, rejections of inner layers,
    /// cancelled or panicked calls.
    pub ignored: u64,
    /// Failures since the last success while closed.
    pub consecutive_failures: u64,
    /// The percentage of failed calls in the window; `None` without a window or while the
    /// window holds fewer than `minimum_calls` calls. Half-open: among the trial calls
    /// completed so far (rate model; `None` before the first).
    pub failure_rate: Option<f64>,
    /// The percentage of slow calls in the window, under the same conditions.
    pub slow_call_rate: Option<f64>,
    /// Calls in the sliding window (0 without one). Half-open: the trial calls completed in
    /// this half-open period (successes in the consecutive model).
    pub calls_in_window: u64,
    /// Half-open only: trial permits not yet handed out (`half_open_max_calls` less the trial
    /// calls admitted and not given back); `None` in every other state.
    pub trial_permits_left: Option<u32>,
    /// State changes since the breaker was created.
    pub transitions: u64,
    /// While open or half-open: how long this open period lasts (or the last one lasted), the
    /// recovery timeout grown by `recovery_backoff` after failed recoveries.
    pub open_wait: Option<Duration>,
}

/// Everything the registry shows about one breaker.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct CircuitBreakerSnapshot {
    /// The breaker's registry name.
    pub name: &'static str,
    /// The state as [`state`](super::CircuitBreaker::state) reports it.
    pub state: CircuitState,
    /// The configuration the breaker runs with.
    pub config: CircuitBreakerConfig,
    /// The breaker's counts and rates.
    pub metrics: CircuitBreakerMetrics,
    /// The last few state changes, oldest first.
    pub recent_transitions: Vec<CircuitEvent>,
    /// Where the state lives: `"local"`, or `"redis"` for a breaker shared by a fleet.
    pub backend: Backend,
    /// A fleet breaker's link to the shared state: connected, or fallen back to this
    /// process's own breaker and why; `None` for a local breaker.
    pub backend_status: Option<BackendStatus>,
}

/// Call counts since the breaker was created, resets included: what a metrics exporter
/// publishes as counters, which must never go down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
pub(crate) struct LifetimeCounts {
    pub(crate) successful: u64,
    pub(crate) failed: u64,
    pub(crate) slow: u64,
    pub(crate) not_permitted: u64,
    pub(crate) ignored: u64,
}

/// The breaker's running call counts.
#[derive(Debug, Default)]
pub(super) struct Counters {
    /// Striped (see [`Stripes`]): [`SUCCESSFUL`], the one write every successful call makes,
    /// and [`NOT_PERMITTED`], the one write of every rejected call, so threads sharing the
    /// breaker do not contend on either. Never zeroed: a reset records the totals they had
    /// reached in `cleared.striped` instead.
    striped: Stripes<2>,
    pub(super) failed: AtomicU64,
    pub(super) slow: AtomicU64,
    pub(super) ignored: AtomicU64,
    pub(super) transitions: AtomicU64,
    /// What resets took off the call counts, added up: only resets write it.
    cleared: Cleared,
}

/// The striped counters.
const SUCCESSFUL: usize = 0;
const NOT_PERMITTED: usize = 1;

#[derive(Debug, Default)]
struct Cleared {
    /// Unlike the others, the totals of the striped counters at the last reset.
    striped: [AtomicU64; 2],
    failed: AtomicU64,
    slow: AtomicU64,
    ignored: AtomicU64,
}

impl Counters {
    /// Adds one to `counter`; the counts are statistics, so no ordering is needed.
    pub(super) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a successful call.
    #[inline(always)]
    pub(super) fn succeeded(&self) {
        self.striped.bump(SUCCESSFUL);
    }

    /// Counts a rejected call.
    #[inline(always)]
    pub(super) fn rejected(&self) {
        self.striped.bump(NOT_PERMITTED);
    }

    /// Zeroes the call counts, keeping what they held for the lifetime counts; the
    /// transition count keeps running.
    pub(super) fn clear_calls(&self) {
        for (counter, cleared) in self.cleared.striped.iter().enumerate() {
            cleared.store(self.striped.sum(counter), Ordering::Relaxed);
        }
        for (counter, cleared) in self.shared() {
            cleared.fetch_add(counter.swap(0, Ordering::Relaxed), Ordering::Relaxed);
        }
    }

    /// The call counts including what resets cleared.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(super) fn lifetime(&self) -> LifetimeCounts {
        let [failed, slow, ignored] = self.shared().map(|(counter, cleared)| {
            cleared.load(Ordering::Relaxed) + counter.load(Ordering::Relaxed)
        });
        LifetimeCounts {
            successful: self.striped.sum(SUCCESSFUL),
            failed,
            slow,
            not_permitted: self.striped.sum(NOT_PERMITTED),
            ignored,
        }
    }

    /// Successful calls since the last reset.
    pub(super) fn successful(&self) -> u64 {
        self.since_reset(SUCCESSFUL)
    }

    /// Rejected calls since the last reset.
    pub(super) fn not_permitted(&self) -> u64 {
        self.since_reset(NOT_PERMITTED)
    }

    fn since_reset(&self, counter: usize) -> u64 {
        let cleared = self
            .cleared
            .striped
            .get(counter)
            .map_or(0, |cleared| cleared.load(Ordering::Relaxed));
        self.striped.sum(counter).saturating_sub(cleared)
    }

    /// The counters kept in one atomic each, with what resets took off them.
    fn shared(&self) -> [(&AtomicU64, &AtomicU64); 3] {
        [
            (&self.failed, &self.cleared.failed),
            (&self.slow, &self.cleared.slow),
            (&self.ignored, &self.cleared.ignored),
        ]
    }
}

//! [`RateLimiter`]: the shared instance behind `#[rate_limit]`, its construction and what it
//! reports. Taking permits is in `acquire.rs`, `admission.rs`, `waiting.rs` and
//! `remote_acquire.rs`; retuning in `retune.rs`.

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};

use super::gcra::Gcra;
use super::metrics::Counters;
use super::queue::WaitQueues;
use super::remote::Remote;
use super::tuning::Tuning;
use super::{OnLimit, RateLimitConfig, RateLimiterMetrics, RateLimiterSnapshot};
use crate::base::clock::{self, Nanos};
use crate::base::keyed::{KeyedStates, RATE_LIMIT_TARGET};

/// A shared [`RateLimiter`], as the registry hands it out.
pub type RateLimiterHandle = Arc<RateLimiter>;

/// Keeps a hot atomic on its own cache line, away from the counters.
#[repr(align(128))]
#[derive(Debug, Default)]
pub(super) struct Padded<T>(pub(super) T);

/// A GCRA rate limiter, with optional per-key limits.
///
/// The unkeyed limit ([`try_acquire`](Self::try_acquire), [`acquire`](Self::acquire),
/// [`acquire_blocking`](Self::acquire_blocking)) and each key's limit
/// ([`try_acquire_key`](Self::try_acquire_key) and friends) are independent: every key gets
/// the full [`Rate`](super::Rate) and burst of the config.
///
/// ```
/// use resilience_runtime::rate_limit::{OnLimit, Rate, RateLimitConfig, RateLimiter};
///
/// let limiter = RateLimiter::new(
///     "api",
///     RateLimitConfig::new(Rate::per_second(10)).with_burst(2).with_on_limit(OnLimit::Reject),
/// );
/// assert!(limiter.try_acquire().is_ok());
/// assert!(limiter.try_acquire().is_ok());
/// let err = limiter.try_acquire().unwrap_err();
/// // The next permit is one emission interval (100ms) away, give or take the time the
/// // three calls above took.
/// assert!(err.retry_after().unwrap() <= std::time::Duration::from_millis(100));
/// assert_eq!(limiter.metrics().permitted, 2);
/// ```
pub struct RateLimiter {
    pub(super) name: &'static str,
    /// The configuration in force: the declared one with `set_rate` / `set_burst` applied.
    pub(super) current: Mutex<RateLimitConfig>,
    pub(super) tuning: Tuning,
    /// How long `acquire` may wait: `max_wait` in the waiting modes, 0 in reject mode.
    pub(super) wait_budget: Nanos,
    /// How many calls may wait per limit (unbounded in wait mode).
    pub(super) max_queue: usize,
    /// The unkeyed limit's theoretical arrival time.
    pub(super) state: Padded<AtomicU64>,
    pub(super) keys: KeyedStates<AtomicU64>,
    pub(super) queues: WaitQueues,
    pub(super) counters: Padded<Counters>,
    pub(super) remote: Option<Remote>,
}

impl RateLimiter {
    /// A limiter with a full burst available.
    ///
    /// With [`Backend::Redis`](super::Backend::Redis), nothing is connected until the first
    /// decision.
    #[must_use]
    pub fn new(name: &'static str, config: RateLimitConfig) -> Self {
        let (wait_budget, max_queue) = match config.on_limit() {
            OnLimit::Wait => (clock::to_nanos(config.max_wait()), usize::MAX),
            OnLimit::Queue => (
                clock::to_nanos(config.max_wait()),
                usize::try_from(config.max_queue()).unwrap_or(usize::MAX),
            ),
            OnLimit::Reject => (0, 0),
        };
        Self {
            name,
            current: Mutex::new(config),
            tuning: Tuning::new(Gcra::new(&config)),
            wait_budget,
            max_queue,
            state: Padded::default(),
            keys: KeyedStates::new(
                name,
                RATE_LIMIT_TARGET,
                config.max_keys(),
                clock::to_nanos(config.idle_ttl()),
                (),
            ),
            queues: WaitQueues::default(),
            counters: Padded::default(),
            remote: Remote::new(name, &config),
        }
    }

    /// The registry name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The configuration the limiter runs with, including changes made with
    /// [`set_rate`](Self::set_rate) and [`set_burst`](Self::set_burst).
    #[must_use]
    pub fn config(&self) -> RateLimitConfig {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The counters since creation.
    #[must_use]
    pub fn metrics(&self) -> RateLimiterMetrics {
        self.counters.0.read(self.queues.waiting(), self.keys.len())
    }

    /// Name, config, metrics and backend status, for the registry's snapshot.
    #[must_use]
    pub fn snapshot(&self) -> RateLimiterSnapshot {
        RateLimiterSnapshot {
            name: self.name,
            config: self.config(),
            metrics: self.metrics(),
            backend: self.remote.as_ref().map(Remote::status),
        }
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("name", &self.name)
            .field("config", &self.config())
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

impl crate::base::named::Named for RateLimiter {
    const KIND: &'static str = "rate_limiter";
    type Config = RateLimitConfig;

    fn create(name: &'static str, config: RateLimitConfig) -> Self {
        Self::new(name, config)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::base::named::Named;

    #[test]
    fn snapshot_and_registry_trait() {
        let config = RateLimitConfig::new(Rate::per_minute(60)).with_on_limit(OnLimit::Reject);
        let rl = RateLimiter::create("api", config);
        assert_eq!(RateLimiter::KIND, "rate_limiter");
        assert_eq!(rl.config(), config);
        assert_eq!(rl.name(), "api");
        rl.try_acquire().unwrap();
        let snapshot = rl.snapshot();
        assert_eq!(snapshot.metrics.permitted, 1);
        let json = serde_json::to_value(&snapshot).unwrap();
        assert_eq!(json["name"], "api");
        assert_eq!(json["config"]["rate"], "60/min");
        assert_eq!(json["config"]["on_limit"], "reject");
        assert_eq!(json["metrics"]["permitted"], 1);
        assert_eq!(json["metrics"]["tracked_keys"], 0);
        assert_eq!(json["backend"], serde_json::Value::Null);
        assert!(format!("{rl:?}").contains("\"api\""));
    }
}

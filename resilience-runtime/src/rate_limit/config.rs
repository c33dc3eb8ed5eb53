//! [`RateLimitConfig`], [`OnLimit`], [`Backend`] and [`OnBackendError`]: how a limiter is
//! declared.

use std::fmt;
use std::time::Duration;

use super::Rate;
// Shared with quotas: one choice of backend and one policy for all kinds that have them.
pub use crate::base::backend::{Backend, OnBackendError};

/// What a limiter does when no permit is available right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnLimit {
    /// Wait for the next permit, if it comes within
    /// [`max_wait`](RateLimitConfig::max_wait); otherwise reject at once. Waiters are served
    /// in arrival order.
    #[default]
    Wait,
    /// Reject at once with [`Error::RateLimited`](crate::Error::RateLimited).
    Reject,
    /// Like [`Wait`](Self::Wait), but at most [`max_queue`](RateLimitConfig::max_queue)
    /// calls wait at once (per key, for per-key limits); further calls are rejected at once.
    Queue,
}

impl fmt::Display for OnLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Wait => "wait",
            Self::Reject => "reject",
            Self::Queue => "queue",
        })
    }
}

/// The declared configuration of a [`RateLimiter`](super::RateLimiter).
///
/// Built in `const` context, so generated code can keep it in a `static`:
///
/// ```
/// use resilience_runtime::rate_limit::{OnLimit, Rate, RateLimitConfig};
/// use std::time::Duration;
///
/// const CONFIG: RateLimitConfig = RateLimitConfig::new(Rate::per_second(10))
///     .with_burst(20)
///     .with_on_limit(OnLimit::Queue)
///     .with_max_queue(50)
///     .with_max_wait(Duration::from_millis(500));
///
/// assert_eq!(CONFIG.burst(), 20);
/// assert_eq!(RateLimitConfig::new(Rate::per_second(10)).burst(), 10);
/// // Long periods start with a minute's worth, not the whole day's budget.
/// assert_eq!(RateLimitConfig::new(Rate::per_day(10_000)).burst(), 7);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RateLimitConfig {
    rate: Rate,
    burst: u32,
    on_limit: OnLimit,
    max_wait: Duration,
    max_queue: u32,
    max_keys: usize,
    idle_ttl: Duration,
    backend: Backend,
    on_backend_error: OnBackendError,
    backend_timeout: Duration,
}

impl RateLimitConfig {
    /// The default `max_wait`: 5 seconds.
    pub const DEFAULT_MAX_WAIT: Duration = resilience_syntax::rules::rate_limit::DEFAULT_MAX_WAIT;
    /// The default `max_queue`: 100 waiting calls.
    pub const DEFAULT_MAX_QUEUE: u32 = resilience_syntax::rules::rate_limit::DEFAULT_MAX_QUEUE;
    /// The default `max_keys`: 100 000 tracked keys.
    pub const DEFAULT_MAX_KEYS: usize = resilience_syntax::rules::rate_limit::DEFAULT_MAX_KEYS;
    /// The default `idle_ttl`: 10 minutes.
    pub const DEFAULT_IDLE_TTL: Duration = resilience_syntax::rules::rate_limit::DEFAULT_IDLE_TTL;
    /// The default `backend_timeout`: 100 milliseconds.
    pub const DEFAULT_BACKEND_TIMEOUT: Duration = Duration::from_millis(100);

    /// A config for `rate` with the [default burst](Self::default_burst),
    /// [`OnLimit::Wait`], `max_wait` 5s, `max_queue` 100, at most 100 000 tracked keys
    /// forgotten 10 minutes after they go idle, and the [`Backend::Local`] backend.
    #[must_use]
    pub const fn new(rate: Rate) -> Self {
        Self {
            rate,
            burst: Self::default_burst(rate),
            on_limit: OnLimit::Wait,
            max_wait: Self::DEFAULT_MAX_WAIT,
            max_queue: Self::DEFAULT_MAX_QUEUE,
            max_keys: Self::DEFAULT_MAX_KEYS,
            idle_ttl: Self::DEFAULT_IDLE_TTL,
            backend: Backend::Local,
            on_backend_error: OnBackendError::Local,
            backend_timeout: Self::DEFAULT_BACKEND_TIMEOUT,
        }
    }

    /// The burst of a limiter whose config does not set one: the rate's N, but at most what
    /// the rate grants in one minute (rounded up). So `"10/s"` and `"100/min"` start with
    /// their full N, while `"500/h"` starts with 9 and `"10000/day"` with 7: a long-period
    /// quota is spread over its period instead of being handed out in the first second.
    #[must_use]
    pub const fn default_burst(rate: Rate) -> u32 {
        const MINUTE: u128 = 60_000_000_000;
        let count = rate.count();
        let period = rate.period().as_nanos();
        if period <= MINUTE || count == 0 {
            return count;
        }
        let per_minute = (count as u128 * MINUTE).div_ceil(period);
        // `per_minute < count` here, so the cast cannot truncate.
        if per_minute == 0 {
            1
        } else {
            per_minute as u32
        }
    }

    /// Another sustained rate, keeping every other setting (including the burst).
    #[must_use]
    pub const fn with_rate(mut self, rate: Rate) -> Self {
        self.rate = rate;
        self
    }

    /// How many permits can be taken at once after the limiter (or key) has been idle.
    ///
    /// A burst of zero admits nothing.
    #[must_use]
    pub const fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst;
        self
    }

    /// Whether to wait for a permit, reject at once, or wait in a bounded queue.
    #[must_use]
    pub const fn with_on_limit(mut self, on_limit: OnLimit) -> Self {
        self.on_limit = on_limit;
        self
    }

    /// The longest a call waits for a permit in [`OnLimit::Wait`] and [`OnLimit::Queue`]
    /// modes. A call that would need longer is rejected at once, without waiting.
    #[must_use]
    pub const fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// The most calls waiting at once in [`OnLimit::Queue`] mode (per key, for per-key
    /// limits); a call beyond it is rejected at once. Zero rejects every call that would
    /// have to wait.
    #[must_use]
    pub const fn with_max_queue(mut self, max_queue: u32) -> Self {
        self.max_queue = max_queue;
        self
    }

    /// The most keys tracked by per-key limiting; beyond it, keys whose limit has recovered
    /// (then, if none has, the least busy of a few of the oldest) are forgotten. Values below
    /// 1 count as 1.
    #[must_use]
    pub const fn with_max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self
    }

    /// How long a key whose limit has fully recovered is remembered before it is forgotten
    /// (it would start again from the same full burst, so forgetting it loses nothing).
    #[must_use]
    pub const fn with_idle_ttl(mut self, idle_ttl: Duration) -> Self {
        self.idle_ttl = idle_ttl;
        self
    }

    /// Where the limiter keeps its state.
    #[must_use]
    pub const fn with_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// What to do while a remote backend cannot decide.
    #[must_use]
    pub const fn with_on_backend_error(mut self, on_backend_error: OnBackendError) -> Self {
        self.on_backend_error = on_backend_error;
        self
    }

    /// The longest a remote backend may take to decide before
    /// [`on_backend_error`](Self::on_backend_error) applies. In the waiting modes the
    /// decision's time also counts against `max_wait`, so a call is never held past it.
    #[must_use]
    pub const fn with_backend_timeout(mut self, backend_timeout: Duration) -> Self {
        self.backend_timeout = backend_timeout;
        self
    }

    /// The sustained rate.
    #[must_use]
    pub const fn rate(&self) -> Rate {
        self.rate
    }

    /// The burst size (permits available at once after idle).
    #[must_use]
    pub const fn burst(&self) -> u32 {
        self.burst
    }

    /// What happens when no permit is available.
    #[must_use]
    pub const fn on_limit(&self) -> OnLimit {
        self.on_limit
    }

    /// The longest wait allowed in the waiting modes.
    #[must_use]
    pub const fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// The most calls waiting at once in [`OnLimit::Queue`] mode.
    #[must_use]
    pub const fn max_queue(&self) -> u32 {
        self.max_queue
    }

    /// The most keys tracked by per-key limiting.
    #[must_use]
    pub const fn max_keys(&self) -> usize {
        self.max_keys
    }

    /// How long a recovered key is remembered.
    #[must_use]
    pub const fn idle_ttl(&self) -> Duration {
        self.idle_ttl
    }

    /// Where the limiter keeps its state.
    #[must_use]
    pub const fn backend(&self) -> Backend {
        self.backend
    }

    /// What happens while a remote backend cannot decide.
    #[must_use]
    pub const fn on_backend_error(&self) -> OnBackendError {
        self.on_backend_error
    }

    /// The longest a remote backend may take to decide.
    #[must_use]
    pub const fn backend_timeout(&self) -> Duration {
        self.backend_timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        const C: RateLimitConfig = RateLimitConfig::new(Rate::per_minute(30));
        assert_eq!(C.rate(), Rate::per_minute(30));
        assert_eq!(C.burst(), 30);
        assert_eq!(C.on_limit(), OnLimit::Wait);
        assert_eq!(C.max_wait(), Duration::from_secs(5));
        assert_eq!(C.max_queue(), 100);
        assert_eq!(C.max_keys(), 100_000);
        assert_eq!(C.idle_ttl(), Duration::from_mins(10));
        assert_eq!(C.backend(), Backend::Local);
        assert_eq!(C.on_backend_error(), OnBackendError::Local);
        assert_eq!(C.backend_timeout(), Duration::from_millis(100));
    }

    #[test]
    fn default_burst_caps_long_periods_at_a_minute_of_the_rate() {
        let cases = [
            (Rate::per_second(10), 10),
            (Rate::per_minute(100), 100),
            (Rate::new(3, Duration::from_millis(250)), 3),
            (Rate::per_hour(500), 9),
            (Rate::per_day(10_000), 7),
            (Rate::per_day(1), 1),
            (Rate::new(10, Duration::from_mins(2)), 5),
            (Rate::per_hour(u32::MAX), 71_582_789),
            (Rate::new(5, Duration::MAX), 1),
            (Rate::new(5, Duration::ZERO), 5),
            (Rate::per_day(0), 0),
        ];
        for (rate, burst) in cases {
            assert_eq!(RateLimitConfig::default_burst(rate), burst, "{rate}");
        }
    }

    #[test]
    fn builders_set_each_field() {
        const C: RateLimitConfig = RateLimitConfig::new(Rate::per_second(10))
            .with_burst(3)
            .with_on_limit(OnLimit::Queue)
            .with_max_wait(Duration::from_millis(50))
            .with_max_queue(4)
            .with_max_keys(7)
            .with_idle_ttl(Duration::from_secs(30))
            .with_backend(Backend::Redis)
            .with_on_backend_error(OnBackendError::Deny)
            .with_backend_timeout(Duration::from_millis(20));
        assert_eq!(C.burst(), 3);
        assert_eq!(C.on_limit(), OnLimit::Queue);
        assert_eq!(C.max_wait(), Duration::from_millis(50));
        assert_eq!(C.max_queue(), 4);
        assert_eq!(C.max_keys(), 7);
        assert_eq!(C.idle_ttl(), Duration::from_secs(30));
        assert_eq!(C.backend(), Backend::Redis);
        assert_eq!(C.on_backend_error(), OnBackendError::Deny);
        assert_eq!(C.backend_timeout(), Duration::from_millis(20));
        assert_ne!(C, RateLimitConfig::new(Rate::per_second(10)));
    }

    #[test]
    fn serializes() {
        let c = RateLimitConfig::new(Rate::per_second(10)).with_on_limit(OnLimit::Reject);
        let json = serde_json::to_value(c).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "rate": "10/s",
                "burst": 10,
                "on_limit": "reject",
                "max_wait": {"secs": 5, "nanos": 0},
                "max_queue": 100,
                "max_keys": 100_000,
                "idle_ttl": {"secs": 600, "nanos": 0},
                "backend": "local",
                "on_backend_error": "local",
                "backend_timeout": {"secs": 0, "nanos": 100_000_000},
            })
        );
        assert_eq!(OnLimit::Wait.to_string(), "wait");
        assert_eq!(OnLimit::Queue.to_string(), "queue");
        assert_eq!(Backend::Redis.to_string(), "redis");
        assert_eq!(OnBackendError::Allow.to_string(), "allow");
        assert_eq!(OnBackendError::Deny.to_string(), "deny");
        assert_eq!(OnBackendError::Local.to_string(), "local");
    }
}

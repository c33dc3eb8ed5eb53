//! [`RateLimitConfig`] and [`OnLimit`]: how a limiter is declared.

use std::fmt;
use std::time::Duration;

use super::Rate;

/// What a limiter does when no permit is available right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnLimit {
    /// Wait for the next permit, if it comes within
    /// [`max_wait`](RateLimitConfig::max_wait); otherwise reject at once.
    #[default]
    Wait,
    /// Reject at once with [`Error::RateLimited`](crate::Error::RateLimited).
    Reject,
}

impl fmt::Display for OnLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Wait => "wait",
            Self::Reject => "reject",
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
///     .with_on_limit(OnLimit::Wait)
///     .with_max_wait(Duration::from_millis(500));
///
/// assert_eq!(CONFIG.burst(), 20);
/// assert_eq!(RateLimitConfig::new(Rate::per_second(10)).burst(), 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RateLimitConfig {
    rate: Rate,
    burst: u32,
    on_limit: OnLimit,
    max_wait: Duration,
    max_keys: usize,
}

impl RateLimitConfig {
    /// The default `max_wait`: 5 seconds.
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(5);
    /// The default `max_keys`: 100 000 tracked keys.
    pub const DEFAULT_MAX_KEYS: usize = 100_000;

    /// A config for `rate` with burst = `rate.count()`, [`OnLimit::Wait`], `max_wait` 5s and
    /// at most 100 000 tracked keys.
    #[must_use]
    pub const fn new(rate: Rate) -> Self {
        Self {
            rate,
            burst: rate.count(),
            on_limit: OnLimit::Wait,
            max_wait: Self::DEFAULT_MAX_WAIT,
            max_keys: Self::DEFAULT_MAX_KEYS,
        }
    }

    /// How many permits can be taken at once after the limiter (or key) has been idle.
    ///
    /// A burst of zero admits nothing.
    #[must_use]
    pub const fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst;
        self
    }

    /// Whether to wait for a permit or reject at once.
    #[must_use]
    pub const fn with_on_limit(mut self, on_limit: OnLimit) -> Self {
        self.on_limit = on_limit;
        self
    }

    /// The longest a call waits for a permit in [`OnLimit::Wait`] mode. A call that would
    /// need longer is rejected at once, without waiting.
    #[must_use]
    pub const fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// The most keys tracked by per-key limiting; beyond it, idle keys (then, if none is idle,
    /// the least busy ones) are forgotten. Values below 1 count as 1.
    #[must_use]
    pub const fn with_max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
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

    /// The longest wait allowed in [`OnLimit::Wait`] mode.
    #[must_use]
    pub const fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// The most keys tracked by per-key limiting.
    #[must_use]
    pub const fn max_keys(&self) -> usize {
        self.max_keys
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
        assert_eq!(C.max_keys(), 100_000);
    }

    #[test]
    fn builders_set_each_field() {
        const C: RateLimitConfig = RateLimitConfig::new(Rate::per_second(10))
            .with_burst(3)
            .with_on_limit(OnLimit::Reject)
            .with_max_wait(Duration::from_millis(50))
            .with_max_keys(7);
        assert_eq!(C.burst(), 3);
        assert_eq!(C.on_limit(), OnLimit::Reject);
        assert_eq!(C.max_wait(), Duration::from_millis(50));
        assert_eq!(C.max_keys(), 7);
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
                "max_keys": 100_000,
            })
        );
        assert_eq!(OnLimit::Wait.to_string(), "wait");
    }
}

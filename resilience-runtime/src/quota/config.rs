//! [`QuotaConfig`], [`QuotaLimit`] and [`QuotaWindow`]: how a quota is declared.

use std::fmt;
use std::time::Duration;

use resilience_syntax::rules::quota as rules;

use super::{Backend, OnBackendError};

/// How a quota counts its periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaWindow {
    /// Counts start again at every boundary of the period, aligned to UTC (days at 00:00
    /// UTC, hours on the hour, other periods at their multiples since the Unix epoch). The
    /// whole limit may be used right before a boundary and again right after it.
    #[default]
    Fixed,
    /// Never more than the limit in any span of one period, exactly; a call's slot comes
    /// back one period after it, up to a thirty-first of the period later (see the
    /// [module docs](super)).
    Sliding,
}

impl fmt::Display for QuotaWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Fixed => "fixed",
            Self::Sliding => "sliding",
        })
    }
}

/// How many calls a quota allows per period: `"1000/day"`.
///
/// ```
/// use resilience_runtime::quota::QuotaLimit;
/// use std::time::Duration;
///
/// let limit = QuotaLimit::per_day(1000);
/// assert_eq!(limit.to_string(), "1000/day");
/// assert_eq!(limit.period(), Duration::from_secs(86_400));
/// assert_eq!(QuotaLimit::new(10, Duration::from_secs(30)).to_string(), "10/30s");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuotaLimit {
    count: u32,
    period: Duration,
}

impl QuotaLimit {
    /// `count` calls per `period`.
    #[must_use]
    pub const fn new(count: u32, period: Duration) -> Self {
        Self { count, period }
    }

    /// `count` calls per minute.
    #[must_use]
    pub const fn per_minute(count: u32) -> Self {
        Self::new(count, Duration::from_mins(1))
    }

    /// `count` calls per hour.
    #[must_use]
    pub const fn per_hour(count: u32) -> Self {
        Self::new(count, Duration::from_hours(1))
    }

    /// `count` calls per day (a UTC day with a fixed window).
    #[must_use]
    pub const fn per_day(count: u32) -> Self {
        Self::new(count, Duration::from_hours(24))
    }

    /// The calls allowed per period.
    #[must_use]
    pub const fn count(&self) -> u32 {
        self.count
    }

    /// The period.
    #[must_use]
    pub const fn period(&self) -> Duration {
        self.period
    }
}

impl fmt::Display for QuotaLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        resilience_syntax::write_rate(f, self.count, self.period)
    }
}

impl serde::Serialize for QuotaLimit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The declared configuration of a [`Quota`](super::Quota).
///
/// Built in `const` context, so generated code can keep it in a `static`:
///
/// ```
/// use resilience_runtime::quota::{QuotaConfig, QuotaLimit, QuotaWindow};
///
/// const CONFIG: QuotaConfig =
///     QuotaConfig::new(QuotaLimit::per_hour(500)).with_window(QuotaWindow::Sliding);
/// assert_eq!(CONFIG.limit().count(), 500);
/// assert_eq!(QuotaConfig::new(QuotaLimit::per_day(10)).window(), QuotaWindow::Fixed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct QuotaConfig {
    limit: QuotaLimit,
    window: QuotaWindow,
    max_keys: usize,
    idle_ttl: Duration,
    backend: Backend,
    on_backend_error: OnBackendError,
    backend_timeout: Duration,
}

impl QuotaConfig {
    /// The default `max_keys`: 100 000 tracked keys.
    pub const DEFAULT_MAX_KEYS: usize = rules::DEFAULT_MAX_KEYS;
    /// The default `idle_ttl`: 10 minutes.
    pub const DEFAULT_IDLE_TTL: Duration = rules::DEFAULT_IDLE_TTL;
    /// The default `backend_timeout`: 100 milliseconds, as for rate limits.
    pub const DEFAULT_BACKEND_TIMEOUT: Duration = Duration::from_millis(100);

    /// A quota of `limit` with a [`QuotaWindow::Fixed`] window, counted in this process
    /// ([`Backend::Local`]) and, for per-key quotas, at most 100 000 tracked keys, each
    /// forgotten 10 minutes after nothing of it counts.
    #[must_use]
    pub const fn new(limit: QuotaLimit) -> Self {
        Self {
            limit,
            window: QuotaWindow::Fixed,
            max_keys: Self::DEFAULT_MAX_KEYS,
            idle_ttl: Self::DEFAULT_IDLE_TTL,
            backend: Backend::Local,
            on_backend_error: OnBackendError::Local,
            backend_timeout: Self::DEFAULT_BACKEND_TIMEOUT,
        }
    }

    /// With another limit. A running quota takes a new count at once and keeps what it
    /// counted; its period is fixed once it runs.
    #[must_use]
    pub const fn with_limit(mut self, limit: QuotaLimit) -> Self {
        self.limit = limit;
        self
    }

    /// With `window`.
    #[must_use]
    pub const fn with_window(mut self, window: QuotaWindow) -> Self {
        self.window = window;
        self
    }

    /// With at most `max_keys` keys tracked by per-key quotas (at least 1). A full table
    /// forgets a key whose counts have all expired, else the least busy of a small sample,
    /// which then starts over with a full allowance.
    #[must_use]
    pub const fn with_max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self
    }

    /// With keys forgotten `idle_ttl` after nothing of them counts any more.
    #[must_use]
    pub const fn with_idle_ttl(mut self, idle_ttl: Duration) -> Self {
        self.idle_ttl = idle_ttl;
        self
    }

    /// Where the quota counts: in this process, or on a Redis server shared by every
    /// process that names it ([`Backend::Redis`], feature `redis`; see the
    /// [module docs](super#quotas-on-redis)).
    #[must_use]
    pub const fn with_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// What to do while a remote backend cannot decide: let the call through, reject it, or
    /// decide with this process's own count of the same quota.
    #[must_use]
    pub const fn with_on_backend_error(mut self, on_backend_error: OnBackendError) -> Self {
        self.on_backend_error = on_backend_error;
        self
    }

    /// The longest a remote backend may take to connect and to decide before
    /// [`on_backend_error`](Self::on_backend_error) applies.
    #[must_use]
    pub const fn with_backend_timeout(mut self, backend_timeout: Duration) -> Self {
        self.backend_timeout = backend_timeout;
        self
    }

    /// The limit.
    #[must_use]
    pub const fn limit(&self) -> QuotaLimit {
        self.limit
    }

    /// The window.
    #[must_use]
    pub const fn window(&self) -> QuotaWindow {
        self.window
    }

    /// The most keys a per-key quota tracks.
    #[must_use]
    pub const fn max_keys(&self) -> usize {
        self.max_keys
    }

    /// How long a key is kept after nothing of it counts.
    #[must_use]
    pub const fn idle_ttl(&self) -> Duration {
        self.idle_ttl
    }

    /// Where the quota counts.
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
    fn builders_getters_and_display() {
        let config = QuotaConfig::new(QuotaLimit::per_minute(7))
            .with_window(QuotaWindow::Sliding)
            .with_max_keys(3)
            .with_idle_ttl(Duration::from_secs(5))
            .with_limit(QuotaLimit::per_hour(9))
            .with_backend(Backend::Redis)
            .with_on_backend_error(OnBackendError::Deny)
            .with_backend_timeout(Duration::from_millis(20));
        assert_eq!(config.limit(), QuotaLimit::per_hour(9));
        assert_eq!(config.window(), QuotaWindow::Sliding);
        assert_eq!(
            (config.max_keys(), config.idle_ttl()),
            (3, Duration::from_secs(5))
        );
        assert_eq!(
            (
                config.backend(),
                config.on_backend_error(),
                config.backend_timeout()
            ),
            (
                Backend::Redis,
                OnBackendError::Deny,
                Duration::from_millis(20)
            )
        );
        let plain = QuotaConfig::new(QuotaLimit::per_day(1));
        assert_eq!(
            (
                plain.backend(),
                plain.on_backend_error(),
                plain.backend_timeout()
            ),
            (
                Backend::Local,
                OnBackendError::Local,
                Duration::from_millis(100)
            )
        );
        assert_eq!(QuotaLimit::per_minute(100).to_string(), "100/min");
        assert_eq!(
            QuotaLimit::new(5, Duration::from_millis(250)).to_string(),
            "5/250ms"
        );
        let json = serde_json::to_value(config).unwrap();
        assert_eq!(json["limit"], "9/h");
        assert_eq!(json["window"], "sliding");
        assert_eq!(json["backend"], "redis");
        assert_eq!(json["on_backend_error"], "deny");
    }
}

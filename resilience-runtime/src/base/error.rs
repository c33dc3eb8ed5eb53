//! The one error type every layer reports.

use std::fmt;
use std::time::Duration;

/// Why a resilience layer refused or cut short a call.
///
/// Every attribute requires the fn's error type to implement `From<Error>`, so a rejection
/// travels through the user's own error type. `Error` implements [`std::error::Error`], `Send`,
/// `Sync` and `'static`, so `thiserror`'s `#[from]` and `anyhow` work with it.
///
/// A *rejection* ([`CircuitOpen`](Error::CircuitOpen), [`RateLimited`](Error::RateLimited),
/// [`BulkheadFull`](Error::BulkheadFull), [`QuotaExceeded`](Error::QuotaExceeded)) says nothing about the health of the service behind
/// the layer: an outer circuit breaker does not count it as a failure. A
/// [`Timeout`](Error::Timeout) does count.
///
/// ```
/// use resilience_runtime::Error;
/// use std::time::Duration;
///
/// let err = Error::rate_limited("api", Some(Duration::from_millis(200)));
/// assert!(err.is_rejection());
/// assert_eq!(err.retry_after(), Some(Duration::from_millis(200)));
/// assert_eq!(err.to_string(), "rate limit `api` exceeded; retry after 200ms");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The named circuit breaker is open (or forced open, or out of half-open permits).
    #[non_exhaustive]
    CircuitOpen {
        /// The breaker's registry name.
        name: &'static str,
        /// How long until the breaker lets a trial call through, when known.
        retry_after: Option<Duration>,
    },
    /// The named rate limiter had no permit within the allowed wait.
    #[non_exhaustive]
    RateLimited {
        /// The limiter's registry name.
        name: &'static str,
        /// How long until a permit is available, when known.
        retry_after: Option<Duration>,
    },
    /// The named bulkhead was full for longer than its `max_wait`.
    #[non_exhaustive]
    BulkheadFull {
        /// The bulkhead's registry name.
        name: &'static str,
        /// The bulkhead's concurrency limit at the time of the rejection.
        max_concurrent: usize,
    },
    /// The call did not finish in time and was cancelled.
    #[non_exhaustive]
    Timeout {
        /// The time limit that elapsed.
        after: Duration,
    },
    /// The named quota's allowance for its period is used up. A quota never waits: an
    /// outer retry does not retry this, and an outer breaker does not count it.
    #[non_exhaustive]
    QuotaExceeded {
        /// The quota's registry name.
        name: &'static str,
        /// How long until the quota admits a call again (its fixed window ends, or in a
        /// sliding window its oldest counted call stops counting), when known.
        resets_in: Option<Duration>,
    },
}

impl Error {
    /// A [`CircuitOpen`](Error::CircuitOpen) rejection.
    #[must_use]
    pub const fn circuit_open(name: &'static str, retry_after: Option<Duration>) -> Self {
        Self::CircuitOpen { name, retry_after }
    }

    /// A [`RateLimited`](Error::RateLimited) rejection.
    #[must_use]
    pub const fn rate_limited(name: &'static str, retry_after: Option<Duration>) -> Self {
        Self::RateLimited { name, retry_after }
    }

    /// A [`BulkheadFull`](Error::BulkheadFull) rejection.
    #[must_use]
    pub const fn bulkhead_full(name: &'static str, max_concurrent: usize) -> Self {
        Self::BulkheadFull {
            name,
            max_concurrent,
        }
    }

    /// A [`Timeout`](Error::Timeout).
    #[must_use]
    pub const fn timeout(after: Duration) -> Self {
        Self::Timeout { after }
    }

    /// A [`QuotaExceeded`](Error::QuotaExceeded) rejection.
    ///
    /// ```
    /// use resilience_runtime::Error;
    /// use std::time::Duration;
    ///
    /// let err = Error::quota_exceeded("api-daily", Some(Duration::from_secs(90)));
    /// assert!(err.is_rejection());
    /// assert_eq!(err.retry_after(), Some(Duration::from_secs(90)));
    /// assert_eq!(err.to_string(), "quota `api-daily` exceeded; resets in 90s");
    /// ```
    #[must_use]
    pub const fn quota_exceeded(name: &'static str, resets_in: Option<Duration>) -> Self {
        Self::QuotaExceeded { name, resets_in }
    }

    /// True for a layer that refused the call without running it: an open breaker, an
    /// exhausted rate limit or quota, or a full bulkhead. Rejections are not failures of the
    /// service.
    #[must_use]
    pub const fn is_rejection(&self) -> bool {
        !matches!(self, Self::Timeout { .. })
    }

    /// The hint carried by the error, if any: how long until a retry can succeed (for a
    /// quota, its `resets_in`).
    #[must_use]
    pub const fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::CircuitOpen { retry_after, .. } | Self::RateLimited { retry_after, .. } => {
                *retry_after
            }
            Self::QuotaExceeded { resets_in, .. } => *resets_in,
            Self::BulkheadFull { .. } | Self::Timeout { .. } => None,
        }
    }

    /// The registry name of the layer that produced the error (`None` for a timeout).
    #[must_use]
    pub const fn name(&self) -> Option<&'static str> {
        match self {
            Self::CircuitOpen { name, .. }
            | Self::RateLimited { name, .. }
            | Self::BulkheadFull { name, .. }
            | Self::QuotaExceeded { name, .. } => Some(name),
            Self::Timeout { .. } => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CircuitOpen { name, retry_after } => {
                write!(f, "circuit breaker `{name}` is open")?;
                if let Some(after) = retry_after {
                    write!(f, "; retry after {after:?}")?;
                }
                Ok(())
            }
            Self::RateLimited { name, retry_after } => {
                write!(f, "rate limit `{name}` exceeded")?;
                if let Some(after) = retry_after {
                    write!(f, "; retry after {after:?}")?;
                }
                Ok(())
            }
            Self::BulkheadFull {
                name,
                max_concurrent,
            } => write!(
                f,
                "bulkhead `{name}` is full ({max_concurrent} calls in flight)"
            ),
            Self::Timeout { after } => write!(f, "call timed out after {after:?}"),
            Self::QuotaExceeded { name, resets_in } => {
                write!(f, "quota `{name}` exceeded")?;
                if let Some(after) = resets_in {
                    write!(f, "; resets in {after:?}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}

//! Declarations that attributes register at link time.

use crate::bulkhead::BulkheadConfig;
use crate::circuit_breaker::CircuitBreakerConfig;
use crate::rate_limit::RateLimitConfig;
use crate::retry::RetryPolicy;

/// A named configuration declared by an attribute, collected when the registry starts so that
/// sites which only name an instance adopt it whichever site runs first.
///
/// Generated code creates these; there is no need to create one by hand.
#[derive(Debug)]
pub struct Declaration {
    pub(crate) name: &'static str,
    pub(crate) config: DeclaredConfig,
    pub(crate) location: &'static str,
}

#[derive(Debug)]
pub(crate) enum DeclaredConfig {
    CircuitBreaker(CircuitBreakerConfig),
    RateLimiter(RateLimitConfig),
    Bulkhead(BulkheadConfig),
    Retry(RetryPolicy),
}

impl Declaration {
    /// The declared name.
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// The declared kind, as in logs and snapshots.
    pub(crate) fn kind(&self) -> &'static str {
        match self.config {
            DeclaredConfig::CircuitBreaker(_) => "circuit_breaker",
            DeclaredConfig::RateLimiter(_) => "rate_limiter",
            DeclaredConfig::Bulkhead(_) => "bulkhead",
            DeclaredConfig::Retry(_) => "retry",
        }
    }

    /// Declares circuit breaker `name` at `location` (`file:line`).
    #[must_use]
    pub const fn circuit_breaker(
        name: &'static str,
        config: CircuitBreakerConfig,
        location: &'static str,
    ) -> Self {
        Self {
            name,
            config: DeclaredConfig::CircuitBreaker(config),
            location,
        }
    }

    /// Declares rate limiter `name` at `location` (`file:line`).
    #[must_use]
    pub const fn rate_limiter(
        name: &'static str,
        config: RateLimitConfig,
        location: &'static str,
    ) -> Self {
        Self {
            name,
            config: DeclaredConfig::RateLimiter(config),
            location,
        }
    }

    /// Declares bulkhead `name` at `location` (`file:line`).
    #[must_use]
    pub const fn bulkhead(
        name: &'static str,
        config: BulkheadConfig,
        location: &'static str,
    ) -> Self {
        Self {
            name,
            config: DeclaredConfig::Bulkhead(config),
            location,
        }
    }

    /// Declares retry policy `name` at `location` (`file:line`).
    #[must_use]
    pub const fn retry(name: &'static str, config: RetryPolicy, location: &'static str) -> Self {
        Self {
            name,
            config: DeclaredConfig::Retry(config),
            location,
        }
    }
}

inventory::collect!(Declaration);

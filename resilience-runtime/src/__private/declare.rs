//! The declare shims: a call site's first use declares (or adopts) its registry instance.
//! Generated code names them `declare_<kind>`.

use std::sync::Arc;

use crate::bulkhead::{Bulkhead, BulkheadConfig};
use crate::chaos::{Chaos, ChaosConfig};
use crate::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig};
use crate::hedge::{Hedge, HedgeConfig};
use crate::quota::{Quota, QuotaConfig};
use crate::rate_limit::{RateLimitConfig, RateLimiter};
use crate::registry::registry;
use crate::retry::{Retry, RetryConfig};

/// Declares (or adopts) a circuit breaker for a call site.
#[must_use]
pub fn declare_circuit_breaker(
    name: &'static str,
    config: Option<CircuitBreakerConfig>,
    location: &'static str,
) -> Arc<CircuitBreaker> {
    registry().declare(name.into(), config, location)
}

/// Declares (or adopts) a rate limiter for a call site.
#[must_use]
pub fn declare_rate_limiter(
    name: &'static str,
    config: Option<RateLimitConfig>,
    location: &'static str,
) -> Arc<RateLimiter> {
    registry().declare(name.into(), config, location)
}

/// Declares (or adopts) a bulkhead for a call site.
#[must_use]
pub fn declare_bulkhead(
    name: &'static str,
    config: Option<BulkheadConfig>,
    location: &'static str,
) -> Arc<Bulkhead> {
    registry().declare(name.into(), config, location)
}

/// Declares a chaos instance for a call site.
#[must_use]
pub fn declare_chaos(
    name: &'static str,
    config: Option<ChaosConfig>,
    location: &'static str,
) -> Arc<Chaos> {
    registry().declare(name.into(), config, location)
}

/// Declares (or adopts) a retry policy for a call site.
#[must_use]
pub fn declare_retry(
    name: &'static str,
    config: Option<RetryConfig>,
    location: &'static str,
) -> Arc<Retry> {
    registry().declare(name.into(), config, location)
}

/// Declares (or adopts) a hedge for a call site.
#[must_use]
pub fn declare_hedge(
    name: &'static str,
    config: Option<HedgeConfig>,
    location: &'static str,
) -> Arc<Hedge> {
    registry().declare(name.into(), config, location)
}

/// Declares (or adopts) a quota for a call site.
#[must_use]
pub fn declare_quota(
    name: &'static str,
    config: Option<QuotaConfig>,
    location: &'static str,
) -> Arc<Quota> {
    registry().declare(name.into(), config, location)
}

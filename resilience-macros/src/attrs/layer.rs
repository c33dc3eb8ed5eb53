//! One validated layer of the stack, whichever attribute it came from.

use syn::Path;

use super::bulkhead::BulkheadLayer;
use super::chaos::ChaosLayer;
use super::circuit_breaker::CircuitBreakerLayer;
use super::fallback::FallbackLayer;
use super::hedge::HedgeLayer;
use super::kind::Kind;
use super::quota::QuotaLayer;
use super::rate_limit::RateLimitLayer;
use super::retry::RetryLayer;
use super::timeout::TimeoutLayer;

/// One validated layer of the stack.
pub(crate) enum Layer {
    Retry(RetryLayer),
    CircuitBreaker(CircuitBreakerLayer),
    RateLimit(RateLimitLayer),
    Timeout(TimeoutLayer),
    Bulkhead(BulkheadLayer),
    Fallback(FallbackLayer),
    Chaos(ChaosLayer),
    Hedge(HedgeLayer),
    Quota(QuotaLayer),
}

impl Layer {
    /// Which attribute the layer came from.
    pub(crate) const fn kind(&self) -> Kind {
        match self {
            Self::Retry(_) => Kind::Retry,
            Self::CircuitBreaker(_) => Kind::CircuitBreaker,
            Self::RateLimit(_) => Kind::RateLimit,
            Self::Timeout(_) => Kind::Timeout,
            Self::Bulkhead(_) => Kind::Bulkhead,
            Self::Fallback(_) => Kind::Fallback,
            Self::Chaos(_) => Kind::Chaos,
            Self::Hedge(_) => Kind::Hedge,
            Self::Quota(_) => Kind::Quota,
        }
    }

    /// The `crate = "path"` override written on this layer, if any.
    pub(crate) fn krate(&self) -> Option<&Path> {
        match self {
            Self::Retry(layer) => layer.common.krate.as_ref(),
            Self::CircuitBreaker(layer) => layer.common.krate.as_ref(),
            Self::RateLimit(layer) => layer.common.krate.as_ref(),
            Self::Timeout(layer) => layer.krate.as_ref(),
            Self::Bulkhead(layer) => layer.common.krate.as_ref(),
            Self::Fallback(layer) => layer.krate.as_ref(),
            Self::Chaos(layer) => layer.common.krate.as_ref(),
            Self::Hedge(layer) => layer.common.krate.as_ref(),
            Self::Quota(layer) => layer.common.krate.as_ref(),
        }
    }
}

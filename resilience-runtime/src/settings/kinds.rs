//! The kinds of named instance, listed once. The settings read the keys of every kind that
//! configuration addresses from this list, and the registry builds its maps, link-time
//! declarations and dispatch by kind name from it (`registry/kinds.rs`): adding a kind is one
//! line here.

use super::keys::{Configurable, KindSpec};

/// Calls `$then!` with every kind: its field in the registry, its name and type, and the
/// configuration of an instance that is named but declared nowhere. `addressable` kinds are
/// declared by attributes at link time and configured by files, the environment and code;
/// `run_time_only` kinds are declared when their site first runs and configured only there.
macro_rules! with_kinds {
    ($then:ident) => {
        $then! {
            addressable {
                circuit_breakers: CircuitBreaker($crate::circuit_breaker::CircuitBreaker)
                    = $crate::circuit_breaker::CircuitBreakerConfig::new();
                rate_limiters: RateLimiter($crate::rate_limit::RateLimiter)
                    = $crate::rate_limit::RateLimitConfig::new($crate::rate_limit::Rate::per_second(100));
                bulkheads: Bulkhead($crate::bulkhead::Bulkhead)
                    = $crate::bulkhead::BulkheadConfig::new(16);
                retries: Retry($crate::retry::Retry) = $crate::retry::RetryConfig::new();
                hedges: Hedge($crate::hedge::Hedge) = $crate::hedge::HedgeConfig::new(
                    $crate::hedge::HedgeDelay::Percentile($crate::hedge::Percentile::P95));
                quotas: Quota($crate::quota::Quota) = $crate::quota::QuotaConfig::new(
                    $crate::quota::QuotaLimit::per_day(1000));
            }
            run_time_only {
                chaos: Chaos($crate::chaos::Chaos) = $crate::chaos::ChaosConfig::new();
            }
        }
    };
}
pub(crate) use with_kinds;

macro_rules! key_specs {
    (
        addressable { $($field:ident: $name:ident($kind:path) = $undeclared:expr;)* }
        run_time_only { $($other:tt)* }
    ) => {
        /// The keys of every kind configuration addresses, in the list's order.
        pub(crate) static KINDS: &[&KindSpec] = &[$(<$kind as Configurable>::SPEC,)*];
    };
}

with_kinds!(key_specs);

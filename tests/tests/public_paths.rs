//! The types users name in ordinary code resolve from the crate root as well as from their
//! module, and both paths name the same type.

use std::any::TypeId;

use resilience_runtime as root;

fn same<A: 'static, B: 'static>() -> bool {
    TypeId::of::<A>() == TypeId::of::<B>()
}

#[test]
fn user_facing_types_are_reachable_from_the_crate_root() {
    assert!(same::<
        root::CircuitState,
        root::circuit_breaker::CircuitState,
    >());
    assert!(same::<
        root::CircuitBreaker,
        root::circuit_breaker::CircuitBreaker,
    >());
    assert!(same::<
        root::CircuitBreakerConfig,
        root::circuit_breaker::CircuitBreakerConfig,
    >());
    assert!(same::<
        root::CircuitBreakerHandle,
        root::circuit_breaker::CircuitBreakerHandle,
    >());
    assert!(same::<
        root::CircuitBreakerMetrics,
        root::circuit_breaker::CircuitBreakerMetrics,
    >());
    assert!(same::<
        root::SlidingWindow,
        root::circuit_breaker::SlidingWindow,
    >());
    assert!(same::<root::RateLimiter, root::rate_limit::RateLimiter>());
    assert!(same::<
        root::RateLimitConfig,
        root::rate_limit::RateLimitConfig,
    >());
    assert!(same::<
        root::RateLimiterHandle,
        root::rate_limit::RateLimiterHandle,
    >());
    assert!(same::<root::Rate, root::rate_limit::Rate>());
    assert!(same::<root::OnLimit, root::rate_limit::OnLimit>());
    assert!(same::<root::Backend, root::rate_limit::Backend>());
    assert!(same::<root::OnBackendError, root::rate_limit::OnBackendError>());
    assert!(same::<root::Bulkhead, root::bulkhead::Bulkhead>());
    assert!(same::<root::BulkheadConfig, root::bulkhead::BulkheadConfig>());
    assert!(same::<root::BulkheadHandle, root::bulkhead::BulkheadHandle>());
    assert!(same::<root::Retry, root::retry::Retry>());
    assert!(same::<root::RetryConfig, root::retry::RetryConfig>());
    assert!(same::<root::RetryPolicy, root::RetryConfig>());
    assert!(same::<root::RetryHandle, root::retry::RetryHandle>());
    assert!(same::<root::BackoffKind, root::retry::BackoffKind>());
    assert!(same::<root::Jitter, root::retry::Jitter>());
    assert!(same::<root::Preset, root::retry::Preset>());
    assert!(same::<root::Registry, root::registry::Registry>());
    assert!(same::<
        root::RegistrySnapshot,
        root::registry::RegistrySnapshot,
    >());
}

#[test]
fn a_breaker_state_reads_through_the_root_path() {
    let breaker = root::registry()
        .register_circuit_breaker("public-paths-db", root::CircuitBreakerConfig::new());
    assert_eq!(breaker.state(), root::CircuitState::Closed);
}

//! The layers the `tower` and `tower_threads` benches measure, each built as a user builds
//! it, and the trivial service inside them all.

#![allow(dead_code)] // each bench uses its own part

use std::fmt;
use std::future::{Ready, ready};
use std::hint::black_box;
use std::time::Duration;

use resilience_runtime::bulkhead::BulkheadConfig;
use resilience_runtime::circuit_breaker::CircuitBreakerConfig;
use resilience_runtime::hedge::{HedgeConfig, HedgeDelay};
use resilience_runtime::rate_limit::{Rate, RateLimitConfig};
use resilience_runtime::retry::RetryConfig;
use resilience_runtime::tower as ours;
use tower::{Service, service_fn};
use tower_resilience as peer;

/// The inner service's error type; never returned.
#[derive(Debug, Clone)]
pub struct Never;

impl fmt::Display for Never {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("never")
    }
}

impl std::error::Error for Never {}

/// The service inside every layer: answers its request at once.
pub fn inner()
-> impl Service<u64, Response = u64, Error = Never, Future = Ready<Result<u64, Never>>>
+ Clone
+ Send
+ Sync
+ 'static {
    inner_erring()
}

/// [`inner`] with `E` as its error type. With `tower::BoxError`, as a service behind tower's
/// own `Timeout` or `Buffer` has, tower's `Retry` around it returns what ours returns.
pub fn inner_erring<E: Send + Sync + 'static>()
-> impl Service<u64, Response = u64, Error = E, Future = Ready<Result<u64, E>>>
+ Clone
+ Send
+ Sync
+ 'static {
    service_fn(|n: u64| ready(Ok::<_, E>(black_box(n))))
}

pub const CONCURRENT: usize = 64;
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// A rate no call reaches, as a count per second.
pub const RATE: u32 = 1_000_000_000;

pub fn ours_breaker() -> ours::CircuitBreakerLayer {
    ours::CircuitBreakerLayer::new(
        "bench-tower-breaker",
        CircuitBreakerConfig::new().with_failure_threshold(5),
    )
}

pub fn ours_retry() -> ours::RetryLayer {
    ours::RetryLayer::new("bench-tower-retry", RetryConfig::new().with_max_attempts(3))
}

pub fn ours_limit() -> ours::RateLimitLayer {
    ours::RateLimitLayer::new(
        "bench-tower-limit",
        RateLimitConfig::new(Rate::per_second(RATE)).with_burst(RATE),
    )
}

pub fn ours_bulkhead() -> ours::BulkheadLayer {
    ours::BulkheadLayer::new("bench-tower-pool", BulkheadConfig::new(CONCURRENT))
}

pub fn peer_breaker() -> peer::circuitbreaker::CircuitBreakerLayer {
    peer::circuitbreaker::CircuitBreakerLayer::builder()
        .consecutive_failures(5)
        .build()
        .expect("a valid breaker")
}

pub fn peer_retry<E>() -> peer::retry::RetryLayer<u64, u64, E> {
    peer::retry::RetryLayer::builder().max_attempts(3).build()
}

pub fn peer_limit() -> peer::ratelimiter::RateLimiterLayer {
    peer::ratelimiter::RateLimiterLayer::builder()
        .limit_for_period(RATE as usize)
        .refresh_period(Duration::from_secs(1))
        .timeout_duration(Duration::ZERO)
        .build()
        .expect("a valid rate limiter")
}

pub fn peer_bulkhead() -> peer::bulkhead::BulkheadLayer {
    peer::bulkhead::BulkheadLayer::builder()
        .max_concurrent_calls(CONCURRENT)
        .build()
        .expect("a valid bulkhead")
}

pub fn peer_timeout() -> peer::timelimiter::TimeLimiterLayer {
    peer::timelimiter::TimeLimiterLayer::builder()
        .timeout_duration(TIMEOUT)
        .build()
}

/// tower's retry policy for the happy path: up to two more attempts on an error, at once.
#[derive(Debug, Clone, Copy)]
pub struct TwoRetries(pub u8);

impl<E> tower::retry::Policy<u64, u64, E> for TwoRetries {
    type Future = Ready<()>;

    fn retry(&mut self, _: &mut u64, result: &mut Result<u64, E>) -> Option<Self::Future> {
        if result.is_err() && self.0 > 0 {
            self.0 -= 1;
            return Some(ready(()));
        }
        None
    }

    fn clone_request(&mut self, request: &u64) -> Option<u64> {
        Some(*request)
    }
}

pub fn ours_hedge() -> ours::HedgeLayer {
    ours::HedgeLayer::new(
        "bench-tower-hedge",
        HedgeConfig::new(HedgeDelay::Fixed(TIMEOUT)),
    )
}

pub fn peer_hedge() -> peer::hedge::HedgeLayer {
    peer::hedge::HedgeLayer::builder()
        .delay(TIMEOUT)
        .max_hedged_attempts(2)
        .build()
}

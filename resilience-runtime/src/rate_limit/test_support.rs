//! Helpers the limiter's unit tests share, on tokio's paused clock.

pub(super) use std::sync::{Arc, Mutex};
pub(super) use std::time::Duration;

pub(super) use tokio::time::Instant;

pub(super) use super::{OnLimit, Rate, RateLimitConfig, RateLimiter};
pub(super) use crate::Error;

pub(super) const SEC: Duration = Duration::from_secs(1);

pub(super) const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(super) fn limiter(config: RateLimitConfig) -> RateLimiter {
    RateLimiter::new("test", config)
}

/// The `retry_after` of a rejection by the limiter named "test".
pub(super) fn rejected(result: Result<(), Error>) -> Option<Duration> {
    match result {
        Err(Error::RateLimited {
            name: "test",
            retry_after,
        }) => retry_after,
        other => panic!("expected a rate-limit rejection, got {other:?}"),
    }
}

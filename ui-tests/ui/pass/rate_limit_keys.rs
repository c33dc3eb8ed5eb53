//! Every `#[rate_limit]` key in its valid forms: each rate unit, `burst`, the three
//! `on_limit` modes, `max_wait`, `max_queue`, per-key limits with `max_keys` and `idle_ttl`,
//! `backend = "local"`, adopting a limiter by name, and `crate`.

use std::time::Duration;

use resilience_runtime::rate_limit::{Backend, OnLimit};
use resilience_runtime::{rate_limit, registry, Error};
use tokio::time::Instant;

#[derive(Debug, PartialEq)]
enum AppError {
    Layer(Error),
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        Self::Layer(error)
    }
}

fn is_rate_limited(result: &Result<(), AppError>) -> bool {
    matches!(result, Err(AppError::Layer(Error::RateLimited { .. })))
}

#[rate_limit(name = "rl-per-second", rate = "2/s", on_limit = "reject")]
async fn per_second() -> Result<(), AppError> {
    Ok(())
}

#[rate_limit(name = "rl-per-minute", rate = "30/min", burst = 1, on_limit = "wait", max_wait = "2s")]
async fn per_minute() -> Result<(), AppError> {
    Ok(())
}

// Adopts "rl-per-minute": shares its permits.
#[rate_limit(name = "rl-per-minute")]
async fn shares_per_minute() -> Result<(), AppError> {
    Ok(())
}

#[rate_limit(name = "rl-per-hour", rate = "60/h", burst = 1)]
async fn per_hour() -> Result<(), AppError> {
    Ok(())
}

#[rate_limit(name = "rl-per-day", rate = "1000/day")]
async fn per_day() -> Result<(), AppError> {
    Ok(())
}

#[rate_limit(name = "rl-per-250ms", rate = "1/250ms")]
async fn per_quarter_second() -> Result<(), AppError> {
    Ok(())
}

#[rate_limit(name = "rl-keyed", rate = "1/h", on_limit = "reject", key = user.to_owned())]
async fn per_user(user: &str) -> Result<(), AppError> {
    let _ = user;
    Ok(())
}

#[rate_limit(
    name = "rl-queue",
    rate = "10/s",
    burst = 1,
    on_limit = "queue",
    max_queue = 1,
    max_wait = "1s"
)]
async fn queued() -> Result<(), AppError> {
    Ok(())
}

#[rate_limit(
    name = "rl-bounded-keys",
    rate = "5/s",
    key = tenant,
    max_keys = 1000,
    idle_ttl = "30s",
    backend = "local"
)]
async fn bounded_keys(tenant: &str) -> Result<(), AppError> {
    let _ = tenant;
    Ok(())
}

#[rate_limit(rate = "10/s", crate = "resilience_runtime")]
async fn with_crate() -> Result<(), AppError> {
    Ok(())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        // The burst defaults to the rate's N; a rejecting limiter does not wait.
        assert_eq!(per_second().await, Ok(()));
        assert_eq!(per_second().await, Ok(()));
        assert!(is_rate_limited(&per_second().await));
        let config = registry().rate_limiter("rl-per-second").unwrap().config();
        assert_eq!(config.burst(), 2);
        assert_eq!(config.on_limit(), OnLimit::Reject);
        assert_eq!(config.rate().period(), Duration::from_secs(1));

        // 30/min with a burst of 1: the second call waits 2s, within max_wait.
        let started = Instant::now();
        assert_eq!(per_minute().await, Ok(()));
        assert_eq!(shares_per_minute().await, Ok(()));
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        let config = registry().rate_limiter("rl-per-minute").unwrap().config();
        assert_eq!(config.rate().count(), 30);
        assert_eq!(config.rate().period(), Duration::from_secs(60));
        assert_eq!(config.max_wait(), Duration::from_secs(2));

        // 60/h: the next permit is a minute away, beyond the default max_wait of 5s.
        assert_eq!(per_hour().await, Ok(()));
        assert!(is_rate_limited(&per_hour().await));
        let config = registry().rate_limiter("rl-per-hour").unwrap().config();
        assert_eq!(config.rate().period(), Duration::from_secs(3600));

        assert_eq!(per_day().await, Ok(()));
        let config = registry().rate_limiter("rl-per-day").unwrap().config();
        assert_eq!(config.rate().count(), 1000);
        assert_eq!(config.rate().period(), Duration::from_secs(86_400));

        let started = Instant::now();
        assert_eq!(per_quarter_second().await, Ok(()));
        assert_eq!(per_quarter_second().await, Ok(()));
        assert_eq!(started.elapsed(), Duration::from_millis(250));

        // Each key has its own budget.
        assert_eq!(per_user("ann").await, Ok(()));
        assert_eq!(per_user("bob").await, Ok(()));
        assert!(is_rate_limited(&per_user("ann").await));

        assert_eq!(with_crate().await, Ok(()));

        // One call takes the burst, one waits in the queue of one, the third is turned away.
        let started = Instant::now();
        let (first, second, third) = tokio::join!(queued(), queued(), queued());
        assert_eq!((first, second), (Ok(()), Ok(())));
        assert!(is_rate_limited(&third));
        assert_eq!(started.elapsed(), Duration::from_millis(100));
        let config = registry().rate_limiter("rl-queue").unwrap().config();
        assert_eq!((config.on_limit(), config.max_queue()), (OnLimit::Queue, 1));

        assert_eq!(bounded_keys("acme").await, Ok(()));
        let limiter = registry().rate_limiter("rl-bounded-keys").unwrap();
        let config = limiter.config();
        assert_eq!(config.max_keys(), 1000);
        assert_eq!(config.idle_ttl(), Duration::from_secs(30));
        assert_eq!(config.backend(), Backend::Local);
        assert_eq!(limiter.metrics().tracked_keys, 1);
    });
}

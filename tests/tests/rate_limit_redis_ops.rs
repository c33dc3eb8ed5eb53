//! What an operator reads about a Redis backend: incidents counted once however long they
//! last, the last error cleared when the server answers again, reservations handed back
//! counted with the round trips, and `backend_timeout` as an attribute key.
//!
//! Against a real `redis-server` on real time, like `rate_limit_redis.rs` (ignored unless run
//! with `-- --ignored`, which `.ci/run` does). Tests in this file run one at a time: they
//! point the process-wide registry at their own server.
#![cfg(feature = "redis")]

use std::time::Duration;

use resilience_runtime::rate_limit::{
    Backend, BackendStatus, OnBackendError, OnLimit, Rate, RateLimitConfig, RateLimiter,
};
use resilience_runtime::{Error, rate_limit, registry};

#[path = "support/redis_server.rs"]
mod redis_server;
use redis_server::{RedisServer, one_at_a_time, two_threads};

fn status(limiter: &RateLimiter) -> BackendStatus {
    limiter.snapshot().backend.expect("a remote backend")
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn incidents_count_once_and_recovery_clears_the_last_error() {
    let _serial = one_at_a_time();
    let mut server = RedisServer::start();
    let port = server.port();
    two_threads().block_on(async {
        registry().set_redis_url(server.url());
        let limiter = RateLimiter::new(
            "redis-ops-incidents",
            RateLimitConfig::new(Rate::per_second(1000))
                .with_on_limit(OnLimit::Reject)
                .with_backend(Backend::Redis)
                .with_on_backend_error(OnBackendError::Allow)
                .with_backend_timeout(Duration::from_secs(1)),
        );
        limiter.acquire().await.unwrap();
        let healthy = status(&limiter);
        assert!(healthy.available);
        assert_eq!((healthy.errors, healthy.incidents), (0, 0));
        assert_eq!(healthy.last_error, None);

        server.stop();
        // The first failure rests the backend for a second: the calls in that second follow
        // the policy without I/O. Two rests, one incident.
        for _ in 0..2 {
            for _ in 0..5 {
                limiter.acquire().await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
        limiter.acquire().await.unwrap();
        let down = status(&limiter);
        assert!(!down.available);
        assert!(down.errors >= 2, "each try after a rest fails: {down:?}");
        assert_eq!(down.incidents, 1, "one incident however many failures");
        assert!(down.last_error.is_some());

        let server = RedisServer::start_on(port);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        limiter.acquire().await.unwrap();
        let back = status(&limiter);
        assert!(back.available, "{back:?}");
        assert_eq!(back.last_error, None, "recovery clears the last error");
        assert_eq!(back.incidents, 1);
        drop(server);
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn reservations_handed_back_are_round_trips() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    two_threads().block_on(async {
        registry().set_redis_url(server.url());
        let limiter = RateLimiter::new(
            "redis-ops-give-back",
            RateLimitConfig::new(Rate::per_second(1))
                .with_burst(1)
                .with_on_limit(OnLimit::Wait)
                .with_max_wait(Duration::from_secs(5))
                .with_backend(Backend::Redis)
                .with_backend_timeout(Duration::from_secs(1)),
        );
        limiter.acquire().await.unwrap();
        // The next permit is a second away: the caller gives up after 100 ms.
        let abandoned = tokio::time::timeout(Duration::from_millis(100), limiter.acquire()).await;
        assert!(abandoned.is_err(), "the caller gave up waiting");
        let mut handed_back = status(&limiter);
        for _ in 0..100 {
            if handed_back.give_backs == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            handed_back = status(&limiter);
        }
        assert_eq!(handed_back.give_backs, 1, "{handed_back:?}");
        // One decision each, one give-back, and one load of each script on a new server.
        assert_eq!(handed_back.decisions, 2);
        assert_eq!(handed_back.round_trips, 2 + 1 + 2);
        // The reservation came back: the next caller waits for the same second, not two.
        let started = std::time::Instant::now();
        limiter.acquire().await.unwrap();
        assert!(started.elapsed() < Duration::from_millis(1500));
    });
    drop(server);
}

#[rate_limit(
    name = "redis-ops-attribute",
    rate = "100/s",
    on_limit = "reject",
    backend = "redis",
    on_backend_error = "deny",
    backend_timeout = "50ms"
)]
async fn guarded() -> Result<(), Error> {
    Ok(())
}

#[test]
fn backend_timeout_is_an_attribute_key() {
    let config = registry()
        .rate_limiter("redis-ops-attribute")
        .map(|limiter| limiter.config());
    // Declared on first use; the configuration is the attribute's.
    let config = config.unwrap_or_else(|| {
        two_threads().block_on(async {
            let _ = guarded().await;
        });
        registry()
            .rate_limiter("redis-ops-attribute")
            .expect("declared")
            .config()
    });
    assert_eq!(config.backend_timeout(), Duration::from_millis(50));
}

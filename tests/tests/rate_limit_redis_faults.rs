//! What callers of a Redis-backed limiter see when the server misbehaves without going away:
//! it stalls (`DEBUG SLEEP`), it holds its clients (`CLIENT PAUSE`), it is out of memory, it
//! forgot its scripts (`SCRIPT FLUSH`). RELIABILITY.md's Redis section lists each fault with
//! its test; the server going away and coming back is in `rate_limit_redis.rs` and
//! `rate_limit_redis_ops.rs`.
//!
//! Against a real `redis-server` (ignored unless run with `-- --ignored`, which `.ci/run`
//! does). The stalls are measured on tokio's paused clock: the limiter connects on real time,
//! the server is stalled, the clock is paused, and the call under test then ends exactly at
//! its `backend_timeout` (nothing the stalled server does can end it earlier); the clock
//! also skips the second the backend rests after a failure. Tests in this file run one at a
//! time: they point the process-wide registry at their own server.
#![cfg(feature = "redis")]

use std::time::Duration;

use resilience_runtime::rate_limit::{
    Backend, BackendStatus, OnBackendError, OnLimit, Rate, RateLimitConfig, RateLimiter,
};
use resilience_runtime::{Error, registry};
use tokio::time::Instant;

#[path = "support/redis_faults.rs"]
mod redis_faults;
#[path = "support/redis_server.rs"]
mod redis_server;
use redis_faults::{
    flush_scripts, free_memory, pause_writes, run_out_of_memory, skip_the_rest, stall, unpause,
};
use redis_server::{RedisServer, one_at_a_time, runtime};

const BACKEND_TIMEOUT: Duration = Duration::from_millis(100);

fn limiter(name: &'static str, policy: OnBackendError) -> RateLimiter {
    RateLimiter::new(
        name,
        RateLimitConfig::new(Rate::per_second(1000))
            .with_on_limit(OnLimit::Reject)
            .with_backend(Backend::Redis)
            .with_on_backend_error(policy)
            .with_backend_timeout(BACKEND_TIMEOUT),
    )
}

fn status(limiter: &RateLimiter) -> BackendStatus {
    limiter.snapshot().backend.expect("a remote backend")
}

fn is_rejection(result: Result<(), Error>) -> bool {
    matches!(result, Err(Error::RateLimited { .. }))
}

/// The call ended at its `backend_timeout`.
fn assert_held_for_the_timeout(started: Instant) {
    redis_faults::assert_held_for(started, BACKEND_TIMEOUT);
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn a_stalled_server_never_holds_a_call_past_backend_timeout() {
    let _serial = one_at_a_time();
    let server = RedisServer::start_with(&["--enable-debug-command", "local"]);
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        let limiter = limiter("redis-faults-debug-sleep", OnBackendError::Deny);
        limiter.acquire().await.unwrap();
        assert_eq!(status(&limiter).decisions, 1);

        // The server's one thread sleeps for 2 s: every client waits.
        let sleeper = stall(&server, 2);

        tokio::time::pause();
        let started = Instant::now();
        assert!(is_rejection(limiter.acquire().await), "deny: the policy");
        assert_held_for_the_timeout(started);
        let stalled = status(&limiter);
        assert!(!stalled.available);
        assert_eq!((stalled.errors, stalled.fallback_decisions), (1, 1));
        assert_eq!(
            stalled.last_error.as_deref(),
            Some("no answer within 100ms")
        );
        // Resting: the calls that follow take no time and send nothing.
        let resting = Instant::now();
        assert!(is_rejection(limiter.acquire().await));
        assert_eq!(resting.elapsed(), Duration::ZERO);
        tokio::time::resume();

        assert_eq!(sleeper.join().unwrap(), "OK");
        skip_the_rest().await;
        limiter.acquire().await.unwrap();
        let back = status(&limiter);
        assert!(back.available, "{back:?}");
        assert_eq!((back.decisions, back.errors, back.incidents), (2, 1, 1));
        assert_eq!(back.last_error, None);
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn a_paused_server_never_holds_a_call_past_backend_timeout() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        let limiter = limiter("redis-faults-client-pause", OnBackendError::Allow);
        limiter.acquire().await.unwrap();

        // As an operator does before a failover: every client's writes wait (scripts that
        // write among them) until the pause ends.
        pause_writes(&server, 1500);
        tokio::time::pause();
        let started = Instant::now();
        limiter.acquire().await.unwrap();
        assert_held_for_the_timeout(started);
        let paused = status(&limiter);
        assert_eq!((paused.errors, paused.fallback_decisions), (1, 1));
        assert_eq!(paused.last_error.as_deref(), Some("no answer within 100ms"));
        tokio::time::resume();

        unpause(&server);
        skip_the_rest().await;
        limiter.acquire().await.unwrap();
        let back = status(&limiter);
        assert!(back.available, "{back:?}");
        assert_eq!((back.decisions, back.last_error), (2, None));
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn a_server_out_of_memory_leaves_decisions_to_the_policy() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        let limiter = limiter("redis-faults-oom", OnBackendError::Local);
        limiter.acquire().await.unwrap();

        // Full, and told never to evict: every write is refused, the script's SET too.
        run_out_of_memory(&server);

        limiter.acquire().await.unwrap();
        let full = status(&limiter);
        assert!(!full.available);
        assert_eq!(
            (full.decisions, full.errors, full.fallback_decisions),
            (1, 1, 1)
        );
        let error = full.last_error.unwrap();
        assert!(error.contains("OOM"), "{error}");
        // "local": an in-process limit of the same config decides meanwhile.
        assert_eq!(limiter.metrics().permitted, 2);

        free_memory(&server);
        skip_the_rest().await;
        limiter.acquire().await.unwrap();
        let back = status(&limiter);
        assert!(back.available, "{back:?}");
        assert_eq!((back.decisions, back.last_error), (2, None));
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn a_server_that_forgot_its_scripts_is_sent_them_again() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        let limiter = limiter("redis-faults-script-flush", OnBackendError::Deny);
        limiter.acquire().await.unwrap();
        // A new server: EVALSHA, NOSCRIPT, EVAL.
        assert_eq!(status(&limiter).round_trips, 2);
        limiter.acquire().await.unwrap();
        assert_eq!(status(&limiter).round_trips, 3);

        flush_scripts(&server);

        limiter.acquire().await.unwrap();
        let flushed = status(&limiter);
        assert_eq!(
            (
                flushed.decisions,
                flushed.errors,
                flushed.fallback_decisions
            ),
            (3, 0, 0),
            "the script went again with the decision: no error, no fallback"
        );
        // EVALSHA, NOSCRIPT, EVAL: sent again with the decision.
        assert_eq!(flushed.round_trips, 5);
        // And known again: the next decision is one EVALSHA.
        limiter.acquire().await.unwrap();
        assert_eq!(status(&limiter).round_trips, 6);
    });
}

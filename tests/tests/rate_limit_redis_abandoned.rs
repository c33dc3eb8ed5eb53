//! Callers that abandon their wait never starve later ones on a Redis-backed limiter.
//!
//! In wait mode every caller reserves a permit on the server before it waits. A caller that
//! gives up (its own timeout, shorter than `max_wait`) hands its reservation back; when later
//! reservations already wait behind it, its time becomes a hole that the next call takes,
//! so the schedule stays as if the abandoned call never came. Before holes, only the newest
//! reservation could be given back: the stored state ran ever further ahead and, after the
//! first burst, no caller got a permit within its own timeout.
//!
//! Against a real `redis-server` on real time, like `rate_limit_redis.rs` (ignored unless run
//! with `-- --ignored`, which `.ci/run` does). The loops are bounded by a deadline, and the
//! assertions leave wide margins for a loaded machine: the starved limiter admitted nothing
//! at all after its first fraction of a second.
#![cfg(feature = "redis")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use resilience_runtime::rate_limit::{
    Backend, OnBackendError, OnLimit, Rate, RateLimitConfig, RateLimiter,
};
use resilience_runtime::{Error, registry};

#[path = "support/redis_server.rs"]
mod redis_server;
use redis_server::RedisServer;

const RATE: u32 = 200;
const CALLERS: usize = 64;
const CALLER_TIMEOUT: Duration = Duration::from_millis(100);
const RUN: Duration = Duration::from_secs(3);

#[derive(Default)]
struct Tally {
    admitted: AtomicU64,
    /// Admitted after the first second, when the starved limiter admitted none.
    admitted_late: AtomicU64,
    abandoned: AtomicU64,
    rejected: AtomicU64,
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn callers_that_abandon_their_wait_do_not_starve_later_ones() {
    let server = RedisServer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tally = Arc::new(Tally::default());
    runtime.block_on(async {
        registry().set_redis_url(server.url());
        let limiter = Arc::new(RateLimiter::new(
            "redis-abandoned",
            RateLimitConfig::new(Rate::per_second(RATE))
                .with_burst(10)
                .with_on_limit(OnLimit::Wait)
                .with_max_wait(Duration::from_secs(1))
                .with_backend(Backend::Redis)
                .with_on_backend_error(OnBackendError::Deny)
                .with_backend_timeout(Duration::from_secs(2)),
        ));
        let started = Instant::now();
        let callers: Vec<_> = (0..CALLERS)
            .map(|_| {
                let (limiter, tally) = (Arc::clone(&limiter), Arc::clone(&tally));
                tokio::spawn(async move {
                    while started.elapsed() < RUN {
                        match tokio::time::timeout(CALLER_TIMEOUT, limiter.acquire()).await {
                            Ok(Ok(())) => {
                                tally.admitted.fetch_add(1, Ordering::Relaxed);
                                if started.elapsed() > Duration::from_secs(1) {
                                    tally.admitted_late.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            Ok(Err(Error::RateLimited { .. })) => {
                                tally.rejected.fetch_add(1, Ordering::Relaxed);
                                tokio::time::sleep(Duration::from_millis(10)).await;
                            }
                            Ok(Err(other)) => panic!("unexpected error: {other}"),
                            Err(_) => {
                                tally.abandoned.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap();
        }
        let elapsed = started.elapsed();
        let status = limiter.snapshot().backend.unwrap();
        assert_eq!(status.errors, 0, "the server answered every decision");

        let admitted = tally.admitted.load(Ordering::Relaxed);
        let late = tally.admitted_late.load(Ordering::Relaxed);
        let abandoned = tally.abandoned.load(Ordering::Relaxed);
        let rejected = tally.rejected.load(Ordering::Relaxed);
        eprintln!(
            "admitted {admitted} ({late} after the first second), abandoned {abandoned}, \
             rejected {rejected} in {elapsed:?}"
        );
        assert!(
            abandoned > 0,
            "callers gave up waiting: the scenario happened"
        );
        // Never more than the limit: the burst plus the rate over the run.
        let ceiling = 10 + u64::from(RATE) * elapsed.as_millis().div_ceil(1000) as u64;
        assert!(
            admitted <= ceiling,
            "{admitted} admitted, at most {ceiling}"
        );
        // The seconds after the first keep admitting: at least half the rate (it was 0).
        let late_floor = u64::from(RATE) * (RUN.as_secs() - 1) / 2;
        assert!(
            late >= late_floor,
            "{late} admitted after the first second; at least {late_floor} expected"
        );
    });
    drop(server);
}

//! What a fleet breaker (`#[circuit_breaker(backend = "redis")]`) does when its server
//! misbehaves without going away: it stalls (`DEBUG SLEEP`), it holds its clients
//! (`CLIENT PAUSE`), it is out of memory, it forgot its scripts (`SCRIPT FLUSH`). For each:
//! no call waits for the server (each is decided by the process's own breaker), the snapshot's
//! `backend_status` says the link is down within one `sync_interval` and one
//! `backend_timeout`, the breaker decides by its own rules meanwhile, and once the fault ends
//! it re-joins the fleet. RELIABILITY.md's Redis section lists each fault with its test; the
//! server going away and coming back is in `circuit_breaker_redis.rs`.
//!
//! Against a real `redis-server` (ignored unless run with `-- --ignored`, which `.ci/run`
//! does). The stalls run on tokio's paused clock: the breaker joins on real time, the server
//! is stalled, the clock is paused, and then the sync task's exchange can only end at its
//! `backend_timeout` (nothing the stalled server does can end it earlier), while every call
//! made meanwhile takes no time at all; the clock also skips the second the backend rests
//! after a failure. Errors the server answers at once (OOM) are waited for on real time, in
//! bounded polls. Tests in this file run one at a time: they point the process-wide registry
//! at their own server.
#![cfg(feature = "redis")]

use std::time::Duration;

use resilience_runtime::circuit_breaker::{
    Backend, BackendStatus, CircuitBreaker, CircuitBreakerConfig, CircuitBreakerHandle,
    CircuitState, FleetLink,
};
use resilience_runtime::{Error, registry};
use tokio::time::Instant;

#[path = "support/redis_faults.rs"]
mod redis_faults;
#[path = "support/redis_server.rs"]
mod redis_server;
use redis_faults::wait_until_stalled;
use redis_server::{RedisServer, command, one_at_a_time, runtime};

const BACKEND_TIMEOUT: Duration = CircuitBreakerConfig::DEFAULT_BACKEND_TIMEOUT;
const SYNC_INTERVAL: Duration = CircuitBreakerConfig::DEFAULT_SYNC_INTERVAL;

/// How long the backend rests after a failure (the fleet link's `RETRY_AFTER_FAILURE`).
const REST: Duration = Duration::from_secs(1);

/// How often the tests below look at the breaker while a fault lasts.
const POLL: Duration = Duration::from_millis(5);

/// A fleet breaker of the consecutive model: three failures in a row open it.
fn config() -> CircuitBreakerConfig {
    CircuitBreakerConfig::new()
        .with_backend(Backend::Redis)
        .with_failure_threshold(3)
        .with_recovery_timeout(Duration::from_secs(30))
}

fn status(breaker: &CircuitBreaker) -> BackendStatus {
    breaker.snapshot().backend_status.expect("a fleet breaker")
}

/// A breaker of the registry's kind (its sync task runs), joined to the fleet.
async fn joined(name: &'static str) -> CircuitBreakerHandle {
    let breaker = CircuitBreaker::shared(name, config());
    assert_eq!(breaker.sync_fleet().await, FleetLink::Connected);
    breaker
}

/// One call through the breaker; how long it took on tokio's clock.
async fn timed_call(breaker: &CircuitBreaker, ok: bool) -> (Result<(), Error>, Duration) {
    let started = Instant::now();
    let outcome = breaker
        .call(async {
            if ok {
                Ok(())
            } else {
                Err(Error::timeout(Duration::from_secs(1)))
            }
        })
        .await;
    (outcome, started.elapsed())
}

/// On the paused clock: successful calls every [`POLL`] until the sync task falls back (at
/// most two seconds of tokio's time); how long that took. Every call is decided by the
/// process's own breaker and takes no time.
async fn calls_until_fallen_back(breaker: &CircuitBreaker) -> Duration {
    let started = Instant::now();
    let mut decided = 0;
    while status(breaker).link != FleetLink::FallenBack {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "never fell back"
        );
        let (outcome, took) = timed_call(breaker, true).await;
        assert!(outcome.is_ok(), "closed: admitted");
        assert_eq!(took, Duration::ZERO, "a call never waits for the server");
        decided += 1;
        tokio::time::sleep(POLL).await;
    }
    assert!(decided > 0);
    started.elapsed()
}

/// Fallen back: the breaker decides by its own rules, alone: three failures in a row open
/// it, and its rejections, too, take no time.
async fn decides_alone(breaker: &CircuitBreaker) {
    for _ in 0..3 {
        let (outcome, took) = timed_call(breaker, false).await;
        assert!(matches!(outcome, Err(Error::Timeout { .. })), "{outcome:?}");
        assert_eq!(took, Duration::ZERO);
    }
    assert_eq!(
        breaker.state(),
        CircuitState::Open,
        "its own rules opened it"
    );
    let (outcome, took) = timed_call(breaker, true).await;
    assert!(
        matches!(outcome, Err(Error::CircuitOpen { .. })),
        "{outcome:?}"
    );
    assert_eq!(took, Duration::ZERO);
}

/// Skips the backend's rest on tokio's clock (paused for it, then running again).
async fn skip_the_rest() {
    tokio::time::pause();
    tokio::time::advance(REST + Duration::from_millis(1)).await;
    tokio::time::resume();
}

/// After the fault: the sync task re-joins the fleet (bounded polls on real time), whose
/// state (closed: nothing reached it during the fault) wins over the local one.
async fn rejoins(breaker: &CircuitBreaker) {
    for _ in 0..400 {
        if status(breaker).link == FleetLink::Connected {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    let back = status(breaker);
    assert_eq!(back.link, FleetLink::Connected, "{back:?}");
    assert!(back.available);
    assert_eq!(back.last_error, None, "cleared on recovery");
    assert_eq!(back.incidents, 1, "one fault, one incident");
    assert_eq!(breaker.state(), CircuitState::Closed, "the fleet's state");
}

/// A stall found by the sync task: the exchange ends at `backend_timeout`, within one
/// interval of the stall.
fn assert_fell_back_to_a_stall(breaker: &CircuitBreaker, after: Duration) {
    // tokio's timers tick in whole milliseconds; the poll sees the change up to one POLL late.
    let bound = SYNC_INTERVAL + BACKEND_TIMEOUT + POLL + Duration::from_millis(1);
    eprintln!("fell back {after:?} into the stall (bound {bound:?})");
    assert!(after <= bound, "fell back after {after:?}");
    let stalled = status(breaker);
    assert!(!stalled.available);
    assert_eq!((stalled.errors, stalled.incidents), (1, 1));
    assert_eq!(
        stalled.last_error.as_deref(),
        Some("no answer within 100ms")
    );
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_stalled_server_holds_no_call_and_the_breaker_decides_alone_until_it_wakes() {
    let _serial = one_at_a_time();
    let server = RedisServer::start_with(&["--enable-debug-command", "local"]);
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        let breaker = joined("fleet-faults-debug-sleep").await;

        // The server's one thread sleeps for 2 s: every client waits.
        let port = server.port();
        let mut admin = server.admin();
        let sleeper =
            std::thread::spawn(move || command::<String>(&mut admin, &["DEBUG", "SLEEP", "2"]));
        wait_until_stalled(port);

        tokio::time::pause();
        let after = calls_until_fallen_back(&breaker).await;
        assert_fell_back_to_a_stall(&breaker, after);
        decides_alone(&breaker).await;
        tokio::time::resume();

        assert_eq!(sleeper.join().unwrap(), "OK");
        skip_the_rest().await;
        rejoins(&breaker).await;
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_paused_server_holds_no_call_and_the_breaker_decides_alone_until_unpaused() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        let breaker = joined("fleet-faults-client-pause").await;

        // As an operator does before a failover: every client's writes wait (the exchange's
        // script among them) until the pause ends.
        let mut admin = server.admin();
        assert_eq!(
            command::<String>(&mut admin, &["CLIENT", "PAUSE", "10000", "WRITE"]),
            "OK"
        );
        tokio::time::pause();
        let after = calls_until_fallen_back(&breaker).await;
        assert_fell_back_to_a_stall(&breaker, after);
        decides_alone(&breaker).await;
        tokio::time::resume();

        assert_eq!(command::<String>(&mut admin, &["CLIENT", "UNPAUSE"]), "OK");
        skip_the_rest().await;
        rejoins(&breaker).await;
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_server_out_of_memory_leaves_the_breaker_to_decide_alone() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        let breaker = joined("fleet-faults-oom").await;

        // Full, and told never to evict: every write is refused, the script's too.
        let mut admin = server.admin();
        let filler = "x".repeat(2 << 20);
        let _: () = redis::cmd("SET")
            .arg("filler")
            .arg(&filler)
            .query(&mut admin)
            .unwrap();
        let _: () = command(
            &mut admin,
            &["CONFIG", "SET", "maxmemory-policy", "noeviction"],
        );
        let _: () = command(&mut admin, &["CONFIG", "SET", "maxmemory", "1mb"]);

        // The refusal comes at once: the next exchange falls back (bounded polls on real
        // time), while calls go on being decided here.
        let mut decided = 0;
        for _ in 0..400 {
            if status(&breaker).link == FleetLink::FallenBack {
                break;
            }
            assert!(timed_call(&breaker, true).await.0.is_ok());
            decided += 1;
            tokio::time::sleep(POLL).await;
        }
        assert!(decided > 0);
        let full = status(&breaker);
        assert_eq!(full.link, FleetLink::FallenBack, "{full:?}");
        assert_eq!((full.errors, full.incidents), (1, 1));
        let error = full.last_error.expect("the refusal");
        assert!(error.contains("OOM"), "{error}");
        tokio::time::pause();
        decides_alone(&breaker).await;
        tokio::time::resume();

        let _: () = command(&mut admin, &["DEL", "filler"]);
        let _: () = command(&mut admin, &["CONFIG", "SET", "maxmemory", "0"]);
        skip_the_rest().await;
        rejoins(&breaker).await;
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_server_that_forgot_the_script_is_sent_it_again_without_an_incident() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        // Exchanges by hand, so that each one's round trips are known; a second breaker of
        // the name stands for another process.
        let a = CircuitBreaker::new("fleet-faults-script-flush", config());
        let b = CircuitBreaker::new("fleet-faults-script-flush", config());
        // A new server: EVALSHA, NOSCRIPT, EVAL; then one EVALSHA per exchange.
        assert_eq!(a.sync_fleet().await, FleetLink::Connected);
        assert_eq!(status(&a).round_trips, 2);
        assert_eq!(a.sync_fleet().await, FleetLink::Connected);
        assert_eq!(status(&a).round_trips, 3);
        assert_eq!(b.sync_fleet().await, FleetLink::Connected);

        let mut admin = server.admin();
        let _: () = command(&mut admin, &["SCRIPT", "FLUSH"]);

        a.force_open();
        assert_eq!(a.sync_fleet().await, FleetLink::Connected);
        let flushed = status(&a);
        assert_eq!(
            (flushed.syncs, flushed.errors, flushed.incidents),
            (3, 0, 0),
            "the script went again with the exchange: no error, no fallback"
        );
        assert_eq!(flushed.round_trips, 5, "EVALSHA, NOSCRIPT, EVAL");
        assert_eq!(flushed.last_error, None);
        assert_eq!(a.sync_fleet().await, FleetLink::Connected);
        assert_eq!(status(&a).round_trips, 6, "known again: one EVALSHA");

        // The exchange carried the action: it reached the other process.
        assert_eq!(b.sync_fleet().await, FleetLink::Connected);
        assert_eq!(b.state(), CircuitState::ForcedOpen);
        assert_eq!(status(&b).errors, 0);
    });
}

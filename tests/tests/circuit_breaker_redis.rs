//! `#[circuit_breaker(backend = "redis")]`: one breaker shared by a fleet, against a real
//! `redis-server`.
//!
//! Each test runs two breakers of one name, each with its own link to the server (its own
//! process id to the fleet, its own counts and connection), as two processes would (real
//! processes: `circuit_breaker_redis_processes.rs`). Most tests drive the exchanges by hand
//! (`sync_fleet`), so that what each exchange carries is known; one lets the sync tasks run.
//! The server's clock times the fleet's open wait, so the half-open test waits it out on real
//! time (a quarter of a second); the backend's rest after a failure is skipped on tokio's
//! paused clock. No assertion depends on speed.
//!
//! Ignored unless run with `-- --ignored` (`.ci/run` does, after installing `redis-server`);
//! so run, they fail when `redis-server` is not on `PATH`, saying so. Tests in this file run
//! one at a time: they point the process-wide registry at their own server.
#![cfg(feature = "redis")]

use std::time::Duration;

use resilience_runtime::circuit_breaker::{
    Backend, CircuitBreaker, CircuitBreakerConfig, CircuitState, FleetCause, FleetLink,
    TransitionReason,
};
use resilience_runtime::{Error, registry};

#[path = "support/redis_server.rs"]
mod redis_server;
use redis_server::{RedisServer, one_at_a_time, runtime};

/// A fleet breaker by the rate model: 50% of at least 10 calls over the last 20.
fn rated() -> CircuitBreakerConfig {
    CircuitBreakerConfig::new()
        .with_backend(Backend::Redis)
        .with_backend_timeout(Duration::from_millis(500))
        .with_failure_rate(50)
        .with_window_calls(20)
        .with_minimum_calls(10)
}

/// Two "processes" of the breaker `name`.
fn pair(name: &'static str, config: CircuitBreakerConfig) -> (CircuitBreaker, CircuitBreaker) {
    (
        CircuitBreaker::new(name, config),
        CircuitBreaker::new(name, config),
    )
}

fn calls(breaker: &CircuitBreaker, ok: usize, failed: usize) {
    for _ in 0..ok {
        breaker.try_acquire().expect("admitted").record_success();
    }
    for _ in 0..failed {
        breaker.try_acquire().expect("admitted").record_failure();
    }
}

async fn sync(breaker: &CircuitBreaker) {
    assert_eq!(breaker.sync_fleet().await, FleetLink::Connected);
}

fn last_reason(breaker: &CircuitBreaker) -> TransitionReason {
    breaker
        .recent_transitions()
        .last()
        .expect("a transition")
        .reason
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn failures_spread_over_the_fleet_open_it_for_every_process() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    registry().set_redis_url(server.url());
    runtime().block_on(async {
        let (a, b) = pair("fleet-spread", rated());
        // Neither process alone has `minimum_calls` calls; the fleet has 10, 6 failed.
        calls(&a, 3, 3);
        sync(&a).await;
        assert_eq!(a.state(), CircuitState::Closed);
        calls(&b, 1, 3);
        sync(&b).await;
        assert_eq!(b.state(), CircuitState::Open, "the fleet judged 6 of 10");
        assert_eq!(
            last_reason(&b),
            TransitionReason::Fleet {
                cause: FleetCause::FailureRate {
                    failed: 6,
                    calls: 10,
                    threshold: 50
                },
                generation: 1
            }
        );
        sync(&a).await;
        assert_eq!(a.state(), CircuitState::Open);
        // The rejection tells the fleet's open time.
        let Err(Error::CircuitOpen { retry_after, .. }) = a.try_acquire() else {
            panic!("open rejects");
        };
        let left = retry_after.expect("the fleet's open time");
        assert!(left <= Duration::from_secs(60), "{left:?}");
        let status = a.snapshot().backend_status.expect("a fleet breaker");
        assert_eq!(status.link, FleetLink::Connected);
        assert_eq!(status.fleet_generation, Some(1));
        assert!(status.syncs >= 2 && status.last_error.is_none());
        let json = serde_json::to_value(a.snapshot()).unwrap();
        assert_eq!(json["backend"], "redis");
        assert_eq!(json["backend_status"]["link"], "connected");
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn one_replica_failing_alone_cannot_open_the_fleet() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    registry().set_redis_url(server.url());
    runtime().block_on(async {
        let (bad, good) = pair("fleet-one-bad", rated().with_window_calls(100));
        sync(&bad).await;
        sync(&good).await;
        // Below the fleet's minimum_calls, every call a failure: not judged.
        calls(&bad, 0, 9);
        sync(&bad).await;
        assert_eq!(bad.state(), CircuitState::Closed);
        // Past what would open it on its own (12 of 12), but the fleet has 52 calls.
        calls(&good, 40, 0);
        sync(&good).await;
        calls(&bad, 0, 3);
        sync(&bad).await;
        sync(&good).await;
        assert_eq!(bad.state(), CircuitState::Closed, "12 of 52 is below 50%");
        assert_eq!(good.state(), CircuitState::Closed);
        assert_eq!(bad.metrics().failed, 12);
        assert_eq!(bad.metrics().transitions, 0);
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn manual_actions_reach_every_process() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    registry().set_redis_url(server.url());
    runtime().block_on(async {
        let (a, b) = pair("fleet-manual", rated());
        sync(&a).await;
        sync(&b).await;
        a.force_open();
        sync(&a).await;
        sync(&b).await;
        assert_eq!(b.state(), CircuitState::ForcedOpen);
        assert_eq!(
            last_reason(&b),
            TransitionReason::Fleet {
                cause: FleetCause::Manual,
                generation: 1
            }
        );
        b.reset();
        sync(&b).await;
        sync(&a).await;
        assert_eq!(a.state(), CircuitState::Closed);
        a.open_for(Duration::from_secs(30));
        sync(&a).await;
        sync(&b).await;
        assert_eq!(b.state(), CircuitState::Open);
        let Err(Error::CircuitOpen { retry_after, .. }) = b.try_acquire() else {
            panic!("open rejects");
        };
        let left = retry_after.expect("the time left");
        assert!(left > Duration::from_secs(20) && left <= Duration::from_secs(30));
        b.disable();
        sync(&b).await;
        sync(&a).await;
        assert_eq!(a.state(), CircuitState::Disabled);
        a.close();
        sync(&a).await;
        sync(&b).await;
        assert_eq!(b.state(), CircuitState::Closed);
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn one_process_runs_the_trial_and_its_verdict_reaches_all() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    registry().set_redis_url(server.url());
    runtime().block_on(async {
        let config = CircuitBreakerConfig::new()
            .with_backend(Backend::Redis)
            .with_backend_timeout(Duration::from_millis(500))
            .with_failure_threshold(2)
            .with_success_threshold(1)
            .with_recovery_timeout(Duration::from_millis(200));
        let (a, b) = pair("fleet-trial", config);
        calls(&a, 0, 2);
        sync(&a).await;
        sync(&b).await;
        assert_eq!(
            (a.state(), b.state()),
            (CircuitState::Open, CircuitState::Open)
        );

        // The server's clock times the open wait.
        tokio::time::sleep(Duration::from_millis(250)).await;
        sync(&a).await;
        assert_eq!(
            a.state(),
            CircuitState::HalfOpen,
            "the first to ask runs the trial"
        );
        assert!(a.snapshot().backend_status.expect("fleet").holds_trial);
        sync(&b).await;
        assert_eq!(b.state(), CircuitState::Open);
        // Past its own open time, the other process still waits for the fleet.
        assert!(matches!(
            b.try_acquire(),
            Err(Error::CircuitOpen {
                retry_after: None,
                ..
            })
        ));

        // A failed trial reopens the fleet, for longer by nothing (no backoff).
        a.try_acquire().expect("a trial call").record_failure();
        assert_eq!(a.state(), CircuitState::Open);
        sync(&a).await;
        sync(&b).await;
        assert_eq!(b.state(), CircuitState::Open);
        let status = a.snapshot().backend_status.expect("fleet");
        assert_eq!(
            status.fleet_generation,
            Some(3),
            "open, half-open, open again"
        );
        assert!(!status.holds_trial);

        tokio::time::sleep(Duration::from_millis(250)).await;
        sync(&b).await;
        assert_eq!(b.state(), CircuitState::HalfOpen, "this time b asks first");
        sync(&a).await;
        assert_eq!(a.state(), CircuitState::Open);
        b.try_acquire().expect("a trial call").record_success();
        assert_eq!(b.state(), CircuitState::Closed);
        sync(&b).await;
        sync(&a).await;
        assert_eq!(a.state(), CircuitState::Closed);
        assert_eq!(
            last_reason(&a),
            TransitionReason::Fleet {
                cause: FleetCause::TrialClosed,
                generation: 5
            }
        );
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn without_redis_each_process_decides_alone_and_rejoins_after() {
    let _serial = one_at_a_time();
    let mut server = RedisServer::start();
    let port = server.port();
    registry().set_redis_url(server.url());
    runtime().block_on(async {
        let config = CircuitBreakerConfig::new()
            .with_backend(Backend::Redis)
            .with_backend_timeout(Duration::from_millis(500))
            .with_failure_threshold(3);
        let (a, b) = pair("fleet-outage", config);
        sync(&a).await;
        sync(&b).await;
        // Joined, a's own run of failures does not open it: the fleet's does.
        calls(&a, 0, 2);
        assert_eq!(a.state(), CircuitState::Closed);

        server.stop();
        assert_eq!(a.sync_fleet().await, FleetLink::FallenBack);
        assert_eq!(b.sync_fleet().await, FleetLink::FallenBack);
        let status = a.snapshot().backend_status.expect("fleet");
        assert_eq!(status.link, FleetLink::FallenBack);
        assert!(!status.available);
        assert_eq!(status.incidents, 1);
        assert!(status.last_error.is_some());
        let json = serde_json::to_value(a.snapshot()).unwrap();
        assert_eq!(json["backend_status"]["link"], "fallen_back");
        // Fallen back, a's own rules decide: its third failure in a row opens it, alone.
        calls(&a, 0, 1);
        assert_eq!(a.state(), CircuitState::Open);
        assert_eq!(b.state(), CircuitState::Closed);
        // The backend rests after a failure: an exchange now sends nothing.
        assert_eq!(a.sync_fleet().await, FleetLink::FallenBack);
        assert_eq!(a.snapshot().backend_status.expect("fleet").errors, 1);

        let _back = RedisServer::start_on(port);
        tokio::time::pause();
        tokio::time::advance(Duration::from_millis(1_001)).await;
        tokio::time::resume();
        sync(&a).await;
        sync(&b).await;
        let status = a.snapshot().backend_status.expect("fleet");
        assert_eq!(status.link, FleetLink::Connected);
        assert_eq!(status.last_error, None, "cleared on recovery");
        // The restarted server knows nothing: the fleet is closed, and so is a again.
        assert_eq!(a.state(), CircuitState::Closed);
        b.force_open();
        sync(&b).await;
        sync(&a).await;
        assert_eq!(a.state(), CircuitState::ForcedOpen, "rejoined the fleet");
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn sync_tasks_carry_the_state_without_any_call_waiting_for_redis() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    registry().set_redis_url(server.url());
    runtime().block_on(async {
        let config = rated().with_sync_interval(Duration::from_millis(20));
        let a = CircuitBreaker::shared("fleet-tasks", config);
        let b = CircuitBreaker::shared("fleet-tasks", config);
        // The first calls start the tasks; they are decided locally, at once.
        calls(&a, 1, 0);
        calls(&b, 1, 0);
        a.force_open();
        let mut polls = 0;
        while b.state() != CircuitState::ForcedOpen {
            polls += 1;
            assert!(polls < 500, "b never saw the fleet's state");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let status = b.snapshot().backend_status.expect("fleet");
        assert_eq!(status.link, FleetLink::Connected);
        assert!(status.syncs >= 1);
    });
}

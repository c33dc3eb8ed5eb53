//! `#[rate_limit(backend = "redis")]` against a real `redis-server`.
//!
//! Each test starts its own server on a free loopback port (`127.0.0.1` only, no
//! persistence) and kills it when done. The tests that need `redis-server` are `#[ignore]`d
//! with the reason, so a plain `cargo test` lists them as ignored (never as passed) on a
//! machine without it; run them with
//! `cargo test -p resilience-tests --all-features --test rate_limit_redis -- --ignored`
//! (`.ci/run` does, after installing `redis-server`). Run so, they fail when `redis-server`
//! is not on `PATH`, saying so. Tests in this file run one at a time: they point the
//! process-wide registry at their own server.
//!
//! These tests run against real time and a real server, with bounded loops: a few seconds in
//! all. Their assertions do not depend on timing: the limit check below holds whatever the
//! scheduling delays.
#![cfg(feature = "redis")]

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use resilience_runtime::rate_limit::{
    Backend, OnBackendError, OnLimit, Rate, RateLimitConfig, RateLimiter,
};
use resilience_runtime::{Error, rate_limit, registry};

#[path = "support/child_processes.rs"]
mod child_processes;
#[path = "support/redis_server.rs"]
mod redis_server;
use child_processes::Children;
use redis_server::{RedisServer, one_at_a_time, two_threads};

fn retry_after(result: Result<(), Error>) -> Option<Option<Duration>> {
    match result {
        Err(Error::RateLimited { retry_after, .. }) => Some(retry_after),
        _ => None,
    }
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn the_server_decides_with_one_round_trip_per_decision() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    two_threads().block_on(async {
        registry().set_redis_url(server.url());
        let config = RateLimitConfig::new(Rate::per_minute(60))
            .with_burst(3)
            .with_on_limit(OnLimit::Reject)
            .with_backend(Backend::Redis)
            .with_on_backend_error(OnBackendError::Deny);
        // Two instances of one name stand for two processes: they share the server's state.
        let first = RateLimiter::new("redis-shared", config);
        let second = RateLimiter::new("redis-shared", config);
        first.acquire().await.unwrap();
        second.acquire().await.unwrap();
        first.acquire().await.unwrap();
        let waited = retry_after(second.acquire().await).expect("the shared burst is spent");
        assert!(waited.is_some_and(|after| after <= Duration::from_secs(1)));

        // Keys: each has its own limit, shared by both instances.
        for _ in 0..3 {
            first.acquire_key("tenant-a").await.unwrap();
        }
        assert!(retry_after(second.acquire_key("tenant-a").await).is_some());
        second.acquire_key(&("tenant-b", 7u8)).await.unwrap();

        let status = first.snapshot().backend.expect("a remote backend");
        assert!(status.available);
        assert_eq!(
            (status.decisions, status.errors, status.fallback_decisions),
            (5, 0, 0)
        );
        // One round trip per decision, plus one the first time this server met the script.
        assert_eq!(status.round_trips, status.decisions + 1);
        let status = second.snapshot().backend.unwrap();
        assert_eq!(status.round_trips, status.decisions);

        // Wait mode: the permit is reserved on the server and waited for here.
        let waiting = RateLimiter::new(
            "redis-waiting",
            RateLimitConfig::new(Rate::per_second(20))
                .with_burst(1)
                .with_max_wait(Duration::from_secs(2))
                .with_backend(Backend::Redis),
        );
        for _ in 0..3 {
            waiting.acquire().await.unwrap();
        }
        let metrics = waiting.metrics();
        assert_eq!((metrics.permitted, metrics.rejected), (3, 0));
        assert!(metrics.waited >= 1);

        // A waiter dropped before its permit sends its reservation back to the server.
        let config = RateLimitConfig::new(Rate::per_second(1))
            .with_burst(1)
            .with_backend(Backend::Redis);
        let waits = RateLimiter::new("redis-give-back", config);
        let peeks = RateLimiter::new("redis-give-back", config.with_on_limit(OnLimit::Reject));
        waits.acquire().await.unwrap();
        assert!(
            tokio::time::timeout(Duration::from_millis(20), waits.acquire())
                .await
                .is_err()
        );
        assert_eq!(waits.metrics().cancelled, 1);
        // The give-back runs in the background: look (a bounded number of times) until the
        // next free permit is the dropped waiter's again, under a second away, not two.
        let mut given_back = false;
        for _ in 0..100 {
            let next = retry_after(peeks.acquire().await).flatten();
            if next.is_some_and(|after| after <= Duration::from_secs(1)) {
                given_back = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(given_back, "the reservation came back");
        drop(server);
    });
}

/// The attribute form, as users write it.
#[rate_limit(
    name = "redis-attribute",
    rate = "2/min",
    on_limit = "reject",
    key = user,
    backend = "redis",
    on_backend_error = "deny"
)]
async fn per_user(user: u64) -> Result<(), Error> {
    let _ = user;
    Ok(())
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn the_attribute_uses_the_server() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    two_threads().block_on(async {
        registry().set_redis_url(server.url());
        per_user(1).await.unwrap();
        per_user(1).await.unwrap();
        assert!(retry_after(per_user(1).await).is_some());
        per_user(2).await.unwrap();
        let snapshot = registry()
            .rate_limiter("redis-attribute")
            .unwrap()
            .snapshot();
        let status = snapshot.backend.unwrap();
        assert_eq!((status.decisions, status.errors), (4, 0));
        let json = serde_json::to_value(registry().snapshot()).unwrap();
        let limiter = json["rate_limiters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|limiter| limiter["name"] == "redis-attribute")
            .unwrap()
            .clone();
        assert_eq!(limiter["backend"]["backend"], "redis");
        assert_eq!(limiter["backend"]["available"], true);
        drop(server);
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn the_policy_takes_over_when_the_server_stops() {
    let _serial = one_at_a_time();
    let mut server = RedisServer::start();
    two_threads().block_on(async {
        registry().set_redis_url(server.url());
        let config = |policy| {
            RateLimitConfig::new(Rate::per_minute(60))
                .with_burst(2)
                .with_on_limit(OnLimit::Reject)
                .with_backend(Backend::Redis)
                .with_on_backend_error(policy)
        };
        let local = RateLimiter::new("redis-fallback-local", config(OnBackendError::Local));
        let allow = RateLimiter::new("redis-fallback-allow", config(OnBackendError::Allow));
        let deny = RateLimiter::new("redis-fallback-deny", config(OnBackendError::Deny));
        for limiter in [&local, &allow, &deny] {
            limiter.acquire().await.unwrap();
            limiter.acquire().await.unwrap();
            assert!(
                retry_after(limiter.acquire().await).is_some(),
                "the server's limit"
            );
            assert!(limiter.snapshot().backend.unwrap().available);
        }

        server.stop();

        // "local": an in-process limit of the same config takes over (a fresh burst of 2).
        local.acquire().await.unwrap();
        local.acquire().await.unwrap();
        assert!(retry_after(local.acquire().await).is_some());
        // "allow" lets every call through, "deny" refuses every call.
        for _ in 0..5 {
            allow.acquire().await.unwrap();
            assert_eq!(retry_after(deny.acquire().await), Some(None));
        }
        for limiter in [&local, &allow, &deny] {
            let status = limiter.snapshot().backend.unwrap();
            assert!(!status.available);
            assert_eq!(status.decisions, 3);
            // One failed attempt; later calls skip the server for a while, without I/O.
            assert_eq!(status.errors, 1, "{status:?}");
            assert!(status.fallback_decisions >= 3);
            assert!(status.last_error.is_some());
        }
    });
}

/// A server that accepts connections and never answers: the limiter gives up after its
/// backend timeout and decides locally, never holding the call past `max_wait`. On tokio's
/// paused clock, so the time is exact.
#[test]
fn a_silent_server_never_holds_a_call_past_max_wait() {
    let _serial = one_at_a_time();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Accepts (the backlog does) and never reads or writes.
        registry().set_redis_url(format!("redis://127.0.0.1:{port}/"));
        let limiter = RateLimiter::new(
            "redis-silent",
            RateLimitConfig::new(Rate::per_second(1))
                .with_burst(1)
                .with_max_wait(Duration::from_millis(300))
                .with_backend_timeout(Duration::from_millis(50))
                .with_backend(Backend::Redis),
        );
        let started = tokio::time::Instant::now();
        limiter.acquire().await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_millis(50));
        // Local fallback: the next permit is 1s away, beyond what is left of max_wait.
        assert!(retry_after(limiter.acquire().await).is_some());
        assert_eq!(started.elapsed(), Duration::from_millis(50));
        let status = limiter.snapshot().backend.unwrap();
        assert_eq!((status.errors, status.fallback_decisions), (1, 2));
        assert!(status.last_error.unwrap().contains("no answer"));
        drop(listener);
    });
}

// ---- Several processes sharing one limit ----------------------------------------------

const PROCESSES: usize = 3;
/// 200/s: one permit every 5ms, with a burst of 10.
const INTERVAL_MICROS: u64 = 5_000;
const BURST: u64 = 10;

fn shared_config() -> RateLimitConfig {
    RateLimitConfig::new(Rate::per_second(200))
        .with_burst(u32::try_from(BURST).unwrap())
        .with_on_limit(OnLimit::Reject)
        .with_backend(Backend::Redis)
        .with_on_backend_error(OnBackendError::Deny)
        // Generous: on a loaded machine (the whole suite runs in parallel) a round trip can
        // take longer than the default, and this test is about the server's decisions.
        .with_backend_timeout(Duration::from_secs(2))
}

fn micros_now() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_micros(),
    )
    .unwrap()
}

/// Not a test of its own: the body of each child process of
/// [`processes_share_one_limit_with_zero_violations`], which runs this binary again with
/// only this test selected. It does nothing when run normally.
#[test]
fn child_process() {
    let Some((_, out)) = child_processes::child() else {
        return;
    };
    // The child finds its server through the environment, as a deployed service would.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let limiter = Arc::new(RateLimiter::new("redis-multi-process", shared_config()));
    let deadline = std::time::Instant::now() + Duration::from_millis(1_500);
    let admitted = runtime.block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let limiter = Arc::clone(&limiter);
                tokio::spawn(async move {
                    let mut admitted = Vec::new();
                    // Bounded: the deadline, and at most this many calls per task.
                    for _ in 0..20_000 {
                        if std::time::Instant::now() >= deadline {
                            break;
                        }
                        let sent = micros_now();
                        if limiter.acquire().await.is_ok() {
                            admitted.push((sent, micros_now()));
                        }
                    }
                    admitted
                })
            })
            .collect();
        let mut admitted = Vec::new();
        for task in tasks {
            admitted.extend(task.await.unwrap());
        }
        admitted
    });
    let status = limiter.snapshot().backend.unwrap();
    let metrics = limiter.metrics();
    let mut file = std::fs::File::create(out).unwrap();
    writeln!(
        file,
        "status {} {} {}",
        status.errors, status.decisions, metrics.rejected
    )
    .unwrap();
    for (sent, received) in admitted {
        writeln!(file, "{sent} {received}").unwrap();
    }
}

/// What one child reported: its admitted calls as (sent, answered) times in microseconds,
/// its backend errors, decisions and rejections.
struct Report {
    admitted: Vec<(u64, u64)>,
    errors: u64,
    decisions: u64,
    rejected: u64,
}

fn read_report(report: &str) -> Report {
    let mut lines = report.lines();
    let status = lines.next().expect("a status line");
    let numbers: Vec<u64> = status
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect();
    let admitted = lines
        .map(|line| {
            let (sent, received) = line.split_once(' ').unwrap();
            (sent.parse().unwrap(), received.parse().unwrap())
        })
        .collect();
    Report {
        admitted,
        errors: numbers[0],
        decisions: numbers[1],
        rejected: numbers[2],
    }
}

/// Counts violations of the limit: time spans `[a, b]` that hold more admitted calls than
/// `burst + (b - a) / interval`, counting only calls sent at or after `a` and answered by
/// `b`. The server decided each call between its sending and its answer, so whatever the
/// delays, a correct limiter never shows one: a span can only *look* longer than the
/// server's, never shorter. Every start `a` (a call's sending) and end `b` (an answer) is
/// checked: many overlapping windows of every length.
fn violations(mut calls: Vec<(u64, u64)>) -> (usize, usize) {
    calls.sort_unstable();
    let mut windows = 0;
    let mut violations = 0;
    for (start, &(a, _)) in calls.iter().enumerate() {
        let mut answered: Vec<u64> = calls[start..].iter().map(|&(_, b)| b).collect();
        answered.sort_unstable();
        for (count, &b) in answered.iter().enumerate() {
            windows += 1;
            let allowed = BURST + (b - a) / INTERVAL_MICROS;
            if count as u64 + 1 > allowed {
                violations += 1;
            }
        }
    }
    (windows, violations)
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn processes_share_one_limit_with_zero_violations() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    let url = server.url();
    let children = Children::spawn(
        "child_process",
        PROCESSES,
        &[(resilience_runtime::rate_limit::REDIS_URL_VARIABLE, &url)],
    );
    let mut admitted = Vec::new();
    let (mut decisions, mut rejected) = (0, 0);
    for report in children.reports() {
        let report = read_report(&report);
        assert_eq!(report.errors, 0, "every decision was the server's");
        assert!(!report.admitted.is_empty(), "every process got permits");
        decisions += report.decisions;
        rejected += report.rejected;
        admitted.extend(report.admitted);
    }
    assert!(rejected > 0, "the processes contended for the limit");
    let total = admitted.len();
    let (windows, violations) = violations(admitted);
    eprintln!(
        "{PROCESSES} processes: {decisions} decisions, {total} admitted, {rejected} rejected; \
         {windows} windows checked, {violations} violations"
    );
    assert_eq!(violations, 0);
    drop(server);
}

#[test]
fn the_violation_check_catches_over_admission() {
    // Twice the rate: permits every 2.5ms.
    let calls: Vec<(u64, u64)> = (0..100).map(|i| (i * 2_500, i * 2_500 + 10)).collect();
    assert!(violations(calls).1 > 0);
    // Exactly the rate, after the burst: none.
    let calls: Vec<(u64, u64)> = (0..BURST)
        .map(|_| (0, 10))
        .chain((1..100).map(|i| (i * INTERVAL_MICROS, i * INTERVAL_MICROS + 10)))
        .collect();
    assert_eq!(violations(calls).1, 0);
}

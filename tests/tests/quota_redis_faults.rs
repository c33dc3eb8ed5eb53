//! What callers of a Redis-backed quota see when the server misbehaves: it stalls
//! (`DEBUG SLEEP`), it holds its clients (`CLIENT PAUSE`), it is out of memory, it forgot its
//! scripts (`SCRIPT FLUSH`), it refuses the password, or the URL is wrong. Each fault is met
//! by three quotas of one test, one per `on_backend_error`, and then the server is seen to
//! decide again. RELIABILITY.md's Redis section lists each fault with its test; the server
//! going away and coming back is in `quota_redis.rs`.
//!
//! Against a real `redis-server` (ignored unless run with `-- --ignored`, which `.ci/run`
//! does; the bad URLs need no server and run in the plain `cargo test`). The stalls are
//! measured on tokio's paused clock, as in `rate_limit_redis_faults.rs`: the quotas connect
//! on real time, the server is stalled, the clock is paused, and each quota's first call
//! then ends exactly at its `backend_timeout`; the clock also skips the second the backend
//! rests after a failure. Tests in this file run one at a time: they point the process-wide
//! registry at their own server.
#![cfg(feature = "redis")]

use std::time::Duration;

use resilience_runtime::quota::{
    Backend, BackendStatus, OnBackendError, Quota, QuotaConfig, QuotaLimit, QuotaWindow,
};
use resilience_runtime::{Error, registry};
use tokio::time::Instant;

#[path = "support/redis_faults.rs"]
mod redis_faults;
#[path = "support/redis_server.rs"]
mod redis_server;
use redis_faults::{
    assert_held_for, flush_scripts, free_memory, pause_writes, run_out_of_memory, skip_the_rest,
    stall, unpause,
};
use redis_server::{RedisServer, command, free_port, one_at_a_time, runtime};

/// The stalls' bound: the default.
const BACKEND_TIMEOUT: Duration = Duration::from_millis(100);

/// Long, so that a mistake said before it is plainly not a time-out.
const PATIENT: Duration = Duration::from_secs(5);

/// Each quota's allowance: two calls an hour (the test's hour, whatever the wall clock).
const LIMIT: u32 = 2;

/// How long a fault holds the call that meets it.
#[derive(Clone, Copy)]
enum Held {
    /// On the paused clock: exactly the timeout; the calls while the backend rests take no
    /// time.
    ForTheTimeout(Duration),
    /// On the real clock: less than the timeout (the fault is said at once).
    LessThan(Duration),
}

impl Held {
    fn check_first(self, started: Instant) {
        match self {
            Self::ForTheTimeout(timeout) => assert_held_for(started, timeout),
            Self::LessThan(timeout) => assert!(started.elapsed() < timeout, "said at once"),
        }
    }

    fn check_resting(self, started: Instant) {
        if let Self::ForTheTimeout(_) = self {
            assert_eq!(started.elapsed(), Duration::ZERO, "no I/O while resting");
        }
    }
}

/// The three quotas of one fault, each on the server with its own policy.
struct Quotas {
    local: Quota,
    allow: Quota,
    deny: Quota,
}

impl Quotas {
    /// Named `<fault>-local`, `<fault>-allow` and `<fault>-deny`, each with `timeout`.
    fn new(fault: &str, timeout: Duration) -> Self {
        let quota = |policy: OnBackendError| {
            // A quota's name lives as long as the process, as a registry name does.
            let name: &'static str = format!("{fault}-{policy}").leak();
            Quota::new(
                name,
                QuotaConfig::new(QuotaLimit::per_hour(LIMIT))
                    .with_backend(Backend::Redis)
                    .with_on_backend_error(policy)
                    .with_backend_timeout(timeout),
            )
        };
        Self {
            local: quota(OnBackendError::Local),
            allow: quota(OnBackendError::Allow),
            deny: quota(OnBackendError::Deny),
        }
    }

    fn each(&self) -> [&Quota; 3] {
        [&self.local, &self.allow, &self.deny]
    }
}

fn status(quota: &Quota) -> BackendStatus {
    quota.snapshot().backend.expect("a remote backend")
}

/// The `resets_in` of a rejection by the quota; `None` for anything else.
fn resets_in(result: Result<(), Error>) -> Option<Option<Duration>> {
    match result {
        Err(Error::QuotaExceeded { resets_in, .. }) => Some(resets_in),
        _ => None,
    }
}

/// A rejection by a count, which says when it resets (the server's, or this process's).
fn counted_out(result: Result<(), Error>) -> bool {
    matches!(resets_in(result), Some(Some(_)))
}

/// The server counts one call of each quota: one left of each allowance.
async fn the_server_counts_one(quotas: &Quotas) {
    for quota in quotas.each() {
        quota.acquire().await.unwrap();
        let up = status(quota);
        assert!(up.available, "{up:?}");
        assert_eq!((up.decisions, up.errors), (1, 0));
    }
}

/// Under the fault, each policy decides three calls: the first reaches for the server and
/// fails (held as `held` says), the two others find the backend resting and try nothing
/// (one error in all). `"local"` counts in this process (its own allowance of two, then a
/// rejection with its reset time), `"allow"` admits every call, `"deny"` rejects every call
/// without a reset time. `decided` is what the server had decided before; the error of the
/// incident reads `expected`.
async fn the_policies_decide(quotas: &Quotas, decided: u64, held: Held, expected: &str) {
    for quota in quotas.each() {
        let started = Instant::now();
        let first = quota.acquire().await;
        held.check_first(started);
        let resting = Instant::now();
        let second = quota.acquire().await;
        let third = quota.acquire().await;
        held.check_resting(resting);
        let calls = [first, second, third];
        let policy = status(quota).on_backend_error;
        match policy {
            OnBackendError::Local => {
                let [first, second, third] = calls;
                assert!(first.is_ok() && second.is_ok(), "{first:?} {second:?}");
                assert!(counted_out(third), "the process's own count");
            }
            OnBackendError::Allow => assert!(calls.iter().all(Result::is_ok), "{calls:?}"),
            _ => {
                for call in calls {
                    assert_eq!(resets_in(call), Some(None), "deny says no reset time");
                }
            }
        }
        let down = status(quota);
        assert!(!down.available, "{policy}: {down:?}");
        assert_eq!(
            (
                down.decisions,
                down.errors,
                down.incidents,
                down.fallback_decisions
            ),
            (decided, 1, 1, 3),
            "{policy}: {down:?}"
        );
        let error = down.last_error.unwrap_or_default();
        assert!(
            error.contains(expected),
            "{policy}: {expected:?} in {error:?}"
        );
    }
}

/// After the fault and the rest, each quota's calls are the server's again: `left` calls
/// admitted, then a rejection with the server's reset time, whatever the policy; the
/// incident's error cleared.
async fn the_server_decides_again(quotas: &Quotas, decided: u64, left: u32) {
    for quota in quotas.each() {
        for _ in 0..left {
            quota.acquire().await.unwrap();
        }
        assert!(counted_out(quota.acquire().await), "the server's count");
        let back = status(quota);
        assert!(back.available, "{back:?}");
        assert_eq!(back.last_error, None, "recovery clears the last error");
        assert_eq!(
            (back.decisions, back.incidents),
            (decided + u64::from(left) + 1, 1),
            "{back:?}"
        );
    }
}

/// The count the server holds for `quota`'s current fixed window (0 without one).
fn servers_count(server: &RedisServer, quota: &Quota) -> u32 {
    let mut admin = server.admin();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("resilience:quota:*:fixed:{}:*", quota.name()))
        .query(&mut admin)
        .unwrap();
    keys.iter()
        .map(|key| {
            command::<String>(&mut admin, &["GET", key])
                .parse::<u32>()
                .unwrap()
        })
        .sum()
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_stalled_server_never_holds_a_call_past_backend_timeout() {
    let _serial = one_at_a_time();
    let server = RedisServer::start_with(&["--enable-debug-command", "local"]);
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        let quotas = Quotas::new("quota-faults-debug-sleep", BACKEND_TIMEOUT);
        the_server_counts_one(&quotas).await;

        // The server's one thread sleeps for 2 s: every client waits.
        let sleeper = stall(&server, 2);
        tokio::time::pause();
        let held = Held::ForTheTimeout(BACKEND_TIMEOUT);
        the_policies_decide(&quotas, 1, held, "no answer within 100ms").await;
        tokio::time::resume();

        assert_eq!(sleeper.join().unwrap(), "OK");
        // The decisions given up at the timeout were still in the server's input, and it ran
        // them when it woke: each quota's count is its full allowance.
        for quota in quotas.each() {
            assert_eq!(servers_count(&server, quota), LIMIT, "{}", quota.name());
        }
        skip_the_rest().await;
        the_server_decides_again(&quotas, 1, 0).await;
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_paused_server_never_holds_a_call_past_backend_timeout() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        let quotas = Quotas::new("quota-faults-client-pause", BACKEND_TIMEOUT);
        the_server_counts_one(&quotas).await;

        // As an operator does before a failover: a script that counts writes, so it waits.
        pause_writes(&server, 1500);
        tokio::time::pause();
        let held = Held::ForTheTimeout(BACKEND_TIMEOUT);
        the_policies_decide(&quotas, 1, held, "no answer within 100ms").await;
        tokio::time::resume();

        // A decision given up at the timeout is run when the pause ends if the server has
        // not yet seen its connection close; once it has, never.
        redis_faults::script_clients_gone(&server).await;
        unpause(&server);
        for quota in quotas.each() {
            assert_eq!(servers_count(&server, quota), 1, "{}", quota.name());
        }
        skip_the_rest().await;
        the_server_decides_again(&quotas, 1, 1).await;
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_server_out_of_memory_leaves_decisions_to_the_policy() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        let quotas = Quotas::new("quota-faults-oom", BACKEND_TIMEOUT);
        the_server_counts_one(&quotas).await;

        // Every write refused: a script that would count a call fails with OOM, at once.
        run_out_of_memory(&server);
        let at_once = Held::LessThan(BACKEND_TIMEOUT);
        the_policies_decide(&quotas, 1, at_once, "OOM").await;
        for quota in quotas.each() {
            assert_eq!(servers_count(&server, quota), 1, "nothing counted");
        }

        free_memory(&server);
        skip_the_rest().await;
        the_server_decides_again(&quotas, 1, 1).await;
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_full_quota_is_refused_by_a_server_out_of_memory_without_an_error() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        let quotas = Quotas::new("quota-faults-oom-full", BACKEND_TIMEOUT);
        the_server_counts_one(&quotas).await;
        for quota in quotas.each() {
            quota.acquire().await.unwrap();
        }
        // A full window writes nothing: the server can still refuse calls without memory.
        run_out_of_memory(&server);
        for quota in quotas.each() {
            assert!(counted_out(quota.acquire().await), "the server's count");
            let full = status(quota);
            assert!(full.available, "{full:?}");
            assert_eq!((full.decisions, full.errors), (3, 0));
        }
        free_memory(&server);
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_server_that_forgot_its_scripts_is_sent_them_again() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        // Both windows: each has its own script.
        let config = |window| {
            QuotaConfig::new(QuotaLimit::per_hour(10))
                .with_window(window)
                .with_backend(Backend::Redis)
                .with_on_backend_error(OnBackendError::Deny)
                .with_backend_timeout(PATIENT)
        };
        let fixed = Quota::new("quota-faults-flush-fixed", config(QuotaWindow::Fixed));
        let sliding = Quota::new("quota-faults-flush-sliding", config(QuotaWindow::Sliding));
        for quota in [&fixed, &sliding] {
            quota.acquire().await.unwrap();
            // A new server: EVALSHA, NOSCRIPT, EVAL.
            assert_eq!(status(quota).round_trips, 2);
            quota.acquire().await.unwrap();
            assert_eq!(status(quota).round_trips, 3);
        }

        flush_scripts(&server);

        for quota in [&fixed, &sliding] {
            quota.acquire().await.unwrap();
            let flushed = status(quota);
            assert_eq!(
                (
                    flushed.decisions,
                    flushed.errors,
                    flushed.fallback_decisions
                ),
                (3, 0, 0),
                "the script went again with the decision: no error, no fallback"
            );
            // EVALSHA, NOSCRIPT, EVAL: sent again with the decision...
            assert_eq!(flushed.round_trips, 5);
            // ...and known again: the next decision is one EVALSHA.
            quota.acquire().await.unwrap();
            assert_eq!(status(quota).round_trips, 6);
            assert_eq!(quota.remaining(&()), 10, "every decision the server's");
        }
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_refused_password_leaves_decisions_to_the_policy_until_the_right_one() {
    let _serial = one_at_a_time();
    let server = RedisServer::start_with(&["--requirepass", "s3cret-pw"]);
    let port = server.port();
    runtime().block_on(async {
        let at_once = Held::LessThan(PATIENT);
        registry().set_redis_url(format!("redis://:not-it@127.0.0.1:{port}/"));
        let wrong = Quotas::new("quota-faults-wrong-password", PATIENT);
        the_policies_decide(&wrong, 0, at_once, "authentication failed").await;
        for quota in wrong.each() {
            let error = status(quota).last_error.unwrap();
            assert!(
                !error.contains("not-it"),
                "the password never shows: {error}"
            );
        }

        registry().set_redis_url(format!("redis://127.0.0.1:{port}/"));
        let none = Quotas::new("quota-faults-no-password", PATIENT);
        the_policies_decide(&none, 0, at_once, "NOAUTH").await;

        // The right password: the next connection, after the rest, is the server's.
        registry().set_redis_url(format!("redis://:s3cret-pw@127.0.0.1:{port}/"));
        skip_the_rest().await;
        the_server_decides_again(&wrong, 0, LIMIT).await;
    });
}

/// Needs no server: it runs in the plain `cargo test` too.
#[test]
fn a_bad_url_leaves_decisions_to_the_policy_at_once() {
    let _serial = one_at_a_time();
    runtime().block_on(async {
        let at_once = Held::LessThan(PATIENT);
        registry().set_redis_url("127.0.0.1:6379");
        let unparsable = Quotas::new("quota-faults-unparsable-url", PATIENT);
        the_policies_decide(&unparsable, 0, at_once, "is not a Redis URL").await;

        registry().set_redis_url("redis://user:pw@127.0.0.1:notaport/");
        let bad_port = Quotas::new("quota-faults-bad-port", PATIENT);
        the_policies_decide(&bad_port, 0, at_once, "not a valid Redis URL").await;
        for quota in bad_port.each() {
            let error = status(quota).last_error.unwrap();
            assert!(!error.contains(":pw@"), "the password never shows: {error}");
        }

        // A port nothing listens on: refused at once.
        registry().set_redis_url(format!("redis://127.0.0.1:{}/", free_port()));
        let refused = Quotas::new("quota-faults-refused", PATIENT);
        the_policies_decide(&refused, 0, at_once, "refused").await;
    });
}

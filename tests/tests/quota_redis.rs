//! `#[quota(backend = "redis")]` against a real `redis-server`.
//!
//! Each test starts its own server on a free loopback port (`127.0.0.1` only, no
//! persistence) and kills it when done. The tests that need `redis-server` are `#[ignore]`d
//! with the reason, so a plain `cargo test` lists them as ignored on a machine without it;
//! run them with `cargo test -p resilience-tests --all-features --test quota_redis --
//! --ignored` (`.ci/run` does). Tests in this file run one at a time: they point the
//! process-wide registry at their own server. Their loops are bounded and their assertions
//! do not depend on timing; where a test needs time to pass (the second a failed backend
//! rests, a silent server's timeout) it passes on tokio's paused clock.
#![cfg(feature = "redis")]

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use resilience_runtime::quota::{
    Backend, BackendStatus, OnBackendError, Quota, QuotaConfig, QuotaLimit, QuotaWindow,
};
use resilience_runtime::tower::QuotaLayer;
use resilience_runtime::{Error, quota, registry};
use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};

#[path = "support/child_processes.rs"]
mod child_processes;
#[path = "support/redis_server.rs"]
mod redis_server;
use child_processes::Children;
use redis_server::{RedisServer, command, one_at_a_time, runtime};

fn on_redis(limit: QuotaLimit, window: QuotaWindow, policy: OnBackendError) -> QuotaConfig {
    QuotaConfig::new(limit)
        .with_window(window)
        .with_backend(Backend::Redis)
        .with_on_backend_error(policy)
        // Generous: on a loaded machine a round trip can take longer than the default, and
        // these tests are about the server's decisions.
        .with_backend_timeout(Duration::from_secs(2))
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

/// The keys of quota `name` on the server (their bytes shown lossily: a key's own bytes
/// need not be text), with their time to live in milliseconds.
fn keys_of(server: &RedisServer, name: &str) -> Vec<(String, i64)> {
    let mut admin = server.admin();
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS")
        .arg(format!("resilience:quota:*{name}*"))
        .query(&mut admin)
        .unwrap();
    keys.into_iter()
        .map(|key| {
            let ttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut admin).unwrap();
            (String::from_utf8_lossy(&key).into_owned(), ttl)
        })
        .collect()
}

/// Skips the second a failed backend rests, on tokio's clock (paused for it, then running
/// again).
async fn skip_the_rest() {
    tokio::time::pause();
    tokio::time::advance(Duration::from_millis(1001)).await;
    tokio::time::resume();
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn two_instances_of_one_name_share_the_servers_count() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        for (window, name) in [
            (QuotaWindow::Fixed, "redis-quota-shared-fixed"),
            (QuotaWindow::Sliding, "redis-quota-shared-sliding"),
        ] {
            let config = on_redis(QuotaLimit::per_hour(3), window, OnBackendError::Deny);
            // Two instances of one name stand for two processes.
            let first = Quota::new(name, config);
            let second = Quota::new(name, config);
            first.acquire().await.unwrap();
            second.acquire().await.unwrap();
            first.acquire().await.unwrap();
            let resets = resets_in(second.acquire().await)
                .flatten()
                .expect("the shared allowance is used up, with the server's reset time");
            assert!(resets <= Duration::from_secs(3600) + Duration::from_secs(3600 / 31 + 1));
            // Keys have allowances of their own, shared by both instances.
            for _ in 0..3 {
                first.acquire_key("tenant-a").await.unwrap();
            }
            assert!(resets_in(second.acquire_key("tenant-a").await).is_some());
            second.acquire_key(&("tenant-b", 7u8)).await.unwrap();

            let one = status(&first);
            assert!(one.available);
            assert_eq!(
                (one.decisions, one.errors, one.fallback_decisions),
                (5, 0, 0)
            );
            // One round trip per decision, plus one the first time the server met the script.
            assert_eq!(one.round_trips, one.decisions + 1, "{one:?}");
            let two = status(&second);
            assert_eq!((two.decisions, two.round_trips), (4, 4));
            // Counted on the server only: each process's own count is untouched.
            assert_eq!(first.remaining(&()), 3);
            assert_eq!(first.metrics().admitted + second.metrics().admitted, 7);

            // One key per count (the unkeyed quota, tenant-a, tenant-b), each expiring within
            // its window (a sliding one: a period and a bucket).
            let keys = keys_of(&server, name);
            assert_eq!(keys.len(), 3, "{keys:?}");
            let longest = match window {
                QuotaWindow::Fixed => 3_600_000,
                _ => 3_600_000 + 3_600_000 / 31 + 1,
            };
            for (key, ttl) in &keys {
                assert!(*ttl > 0 && *ttl <= longest, "{key}: {ttl} ms");
            }
        }
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_fixed_windows_key_is_named_after_the_windows_start_on_the_servers_clock() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        let config = on_redis(
            QuotaLimit::per_day(5),
            QuotaWindow::Fixed,
            OnBackendError::Deny,
        );
        let quota = Quota::new("redis-quota-day", config);
        quota.acquire().await.unwrap();
        let mut admin = server.admin();
        let time: Vec<String> = command(&mut admin, &["TIME"]);
        let seconds: u64 = time[0].parse().unwrap();
        let day_start = seconds - seconds % 86_400;
        let keys = keys_of(&server, "redis-quota-day");
        assert_eq!(keys.len(), 1, "{keys:?}");
        let (key, ttl) = &keys[0];
        assert!(
            key.ends_with(&format!(":fixed:redis-quota-day:{}", day_start * 1_000_000)),
            "{key}"
        );
        // It expires at the next 00:00 UTC on the server's clock.
        let left_ms = (day_start + 86_400 - seconds) * 1_000;
        let ttl = u64::try_from(*ttl).unwrap();
        assert!(
            ttl <= left_ms && ttl + 2_000 >= left_ms,
            "{ttl} ms, {left_ms} ms left"
        );
        let count: String = command(&mut admin, &["GET", key]);
        assert_eq!(count, "1");
    });
}

/// The attribute form, as users write it.
#[quota(
    name = "redis-quota-attribute",
    limit = "2/h",
    key = user,
    backend = "redis",
    on_backend_error = "deny",
    backend_timeout = "2s"
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
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        per_user(1).await.unwrap();
        per_user(1).await.unwrap();
        assert!(resets_in(per_user(1).await).flatten().is_some());
        per_user(2).await.unwrap();
        let handle = registry().quota("redis-quota-attribute").unwrap();
        let config = handle.config();
        assert_eq!(
            (
                config.backend(),
                config.on_backend_error(),
                config.backend_timeout()
            ),
            (Backend::Redis, OnBackendError::Deny, Duration::from_secs(2))
        );
        assert_eq!((status(&handle).decisions, status(&handle).errors), (4, 0));
        // The server holds the counts: user 1's key and user 2's.
        assert_eq!(keys_of(&server, "redis-quota-attribute").len(), 2);
        let json = serde_json::to_value(registry().snapshot()).unwrap();
        let quota = json["quotas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|quota| quota["name"] == "redis-quota-attribute")
            .unwrap()
            .clone();
        assert_eq!(quota["backend"]["backend"], "redis");
        assert_eq!(quota["backend"]["available"], true);
        assert!(registry().snapshot().to_string().contains("redis (up)"));
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn the_policy_takes_over_when_the_server_stops_and_recovery_clears_the_error() {
    let _serial = one_at_a_time();
    let mut server = RedisServer::start();
    let port = server.port();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        let config = |policy| {
            on_redis(QuotaLimit::per_hour(2), QuotaWindow::Fixed, policy)
                .with_backend_timeout(Duration::from_millis(500))
        };
        let local = Quota::new("redis-quota-local", config(OnBackendError::Local));
        let allow = Quota::new("redis-quota-allow", config(OnBackendError::Allow));
        let deny = Quota::new("redis-quota-deny", config(OnBackendError::Deny));
        for quota in [&local, &allow, &deny] {
            quota.acquire().await.unwrap();
            quota.acquire().await.unwrap();
            assert!(
                resets_in(quota.acquire().await).flatten().is_some(),
                "the server's count"
            );
            assert!(status(quota).available);
        }

        server.stop();

        // "local": this process's own count of the same quota takes over, with its own
        // allowance of 2.
        local.acquire().await.unwrap();
        local.acquire().await.unwrap();
        assert!(resets_in(local.acquire().await).flatten().is_some());
        // "allow" lets every call through, "deny" refuses every call, saying no reset time.
        for _ in 0..5 {
            allow.acquire().await.unwrap();
            assert_eq!(resets_in(deny.acquire().await), Some(None));
        }
        for quota in [&local, &allow, &deny] {
            let down = status(quota);
            assert!(!down.available);
            assert_eq!(down.decisions, 3);
            // One failed attempt; later calls skip the server for a while, without I/O.
            assert_eq!((down.errors, down.incidents), (1, 1), "{down:?}");
            assert!(down.fallback_decisions >= 3);
            assert!(down.last_error.is_some());
        }

        let server = RedisServer::start_on(port);
        skip_the_rest().await;
        // The restarted server forgot the counts (no persistence): a fresh allowance.
        for quota in [&local, &allow, &deny] {
            quota.acquire().await.unwrap();
            let back = status(quota);
            assert!(back.available, "{back:?}");
            assert_eq!(back.last_error, None, "recovery clears the last error");
            assert_eq!((back.decisions, back.incidents), (4, 1));
        }
        drop(server);
    });
}

/// An attribute site that shares its quota with a tower layer of the same name.
#[quota(
    name = "redis-quota-tower",
    limit = "3/h",
    key = user,
    backend = "redis",
    on_backend_error = "deny",
    backend_timeout = "2s"
)]
async fn per_user_beside_tower(user: u64) -> Result<(), Error> {
    let _ = user;
    Ok(())
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_tower_layer_counts_on_the_server_with_the_attribute_site() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        registry().set_redis_url(server.url());
        per_user_beside_tower(1).await.unwrap();
        let layer = QuotaLayer::named("redis-quota-tower").key_by(|user: &u64| *user);
        let served = Arc::new(AtomicUsize::new(0));
        let mut service = ServiceBuilder::new().layer(layer).service(service_fn({
            let served = Arc::clone(&served);
            move |user: u64| {
                served.fetch_add(1, Ordering::SeqCst);
                async move { Ok::<_, BoxError>(user) }
            }
        }));
        assert_eq!(service.ready().await.unwrap().call(1).await.unwrap(), 1);
        assert_eq!(service.ready().await.unwrap().call(1).await.unwrap(), 1);
        // The site's call and the layer's two used user 1's allowance up, on the server.
        let error = service.ready().await.unwrap().call(1).await.unwrap_err();
        let Some(Error::QuotaExceeded {
            resets_in: until_reset,
            ..
        }) = error.downcast_ref::<Error>()
        else {
            panic!("the quota's rejection: {error}");
        };
        assert!(until_reset.is_some(), "the server's reset time");
        assert_eq!(
            served.load(Ordering::SeqCst),
            2,
            "a rejected call is not served"
        );
        assert!(resets_in(per_user_beside_tower(1).await).is_some());
        // Another instance of the name, standing for another process, sees the same count.
        let elsewhere = Quota::new(
            "redis-quota-tower",
            on_redis(
                QuotaLimit::per_hour(3),
                QuotaWindow::Fixed,
                OnBackendError::Deny,
            ),
        );
        assert!(resets_in(elsewhere.acquire_key(&1u64).await).is_some());
        // User 2 has an allowance of its own.
        assert_eq!(service.ready().await.unwrap().call(2).await.unwrap(), 2);

        let handle = registry().quota("redis-quota-tower").unwrap();
        let shared = status(&handle);
        // Every call of the site and the layer was the server's (the other instance's aside).
        assert_eq!((shared.decisions, shared.errors), (6, 0), "{shared:?}");
        // Counted on the server only: this process's own count is untouched.
        assert_eq!(handle.remaining(&1u64), 3);
        assert_eq!(keys_of(&server, "redis-quota-tower").len(), 2);
    });
}

/// A server that accepts connections and never answers: the call ends at `backend_timeout`
/// and the policy decides. On tokio's paused clock, so the time is exact.
#[test]
fn a_silent_server_never_holds_a_call_past_backend_timeout() {
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
        let quota = Quota::new(
            "redis-quota-silent",
            QuotaConfig::new(QuotaLimit::per_minute(1))
                .with_backend(Backend::Redis)
                .with_backend_timeout(Duration::from_millis(50)),
        );
        let started = tokio::time::Instant::now();
        // "local", the default: this process's count admits the first call...
        quota.acquire().await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_millis(50));
        // ...and, the backend resting, refuses the second at once.
        assert!(resets_in(quota.acquire().await).flatten().is_some());
        assert_eq!(started.elapsed(), Duration::from_millis(50));
        let silent = status(&quota);
        assert_eq!((silent.errors, silent.fallback_decisions), (1, 2));
        assert_eq!(silent.last_error.as_deref(), Some("no answer within 50ms"));
        drop(listener);
    });
}

// ---- Several processes sharing one quota ----------------------------------------------

const PROCESSES: usize = 3;
const TASKS: usize = 4;
/// Attempts per task and quota: 3 × 4 × 100 = 1200 for an allowance of 500.
const ATTEMPTS: usize = 100;
const LIMIT: u64 = 500;

/// The quota each process hammers, by window.
fn shared(window: QuotaWindow) -> Quota {
    let name = match window {
        QuotaWindow::Fixed => "redis-quota-processes-fixed",
        _ => "redis-quota-processes-sliding",
    };
    Quota::new(
        name,
        on_redis(QuotaLimit::per_hour(500), window, OnBackendError::Deny),
    )
}

/// Not a test of its own: the body of each child process of
/// [`processes_share_one_quota_exactly`], which runs this binary again with only this test
/// selected. It does nothing when run normally.
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
    let quotas = [
        Arc::new(shared(QuotaWindow::Fixed)),
        Arc::new(shared(QuotaWindow::Sliding)),
    ];
    runtime.block_on(async {
        let tasks: Vec<_> = quotas
            .iter()
            .flat_map(|quota| (0..TASKS).map(move |_| Arc::clone(quota)))
            .map(|quota| {
                tokio::spawn(async move {
                    for _ in 0..ATTEMPTS {
                        // Admitted or refused by the server: the count is in the metrics.
                        let _ = quota.acquire().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    let mut file = std::fs::File::create(out).unwrap();
    for quota in &quotas {
        let status = status(quota);
        let metrics = quota.metrics();
        writeln!(
            file,
            "{} {} {} {}",
            metrics.admitted, metrics.rejected, status.decisions, status.errors
        )
        .unwrap();
    }
}

/// The hour on the server's clock.
fn server_hour(server: &RedisServer) -> u64 {
    let time: Vec<String> = command(&mut server.admin(), &["TIME"]);
    time[0].parse::<u64>().unwrap() / 3600
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn processes_share_one_quota_exactly() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    let url = server.url();
    let hour = server_hour(&server);
    let children = Children::spawn(
        "child_process",
        PROCESSES,
        &[(resilience_runtime::rate_limit::REDIS_URL_VARIABLE, &url)],
    );
    let mut totals = [(0, 0); 2];
    for report in children.reports() {
        for (line, total) in report.lines().zip(totals.iter_mut()) {
            let numbers: Vec<u64> = line
                .split_whitespace()
                .map(|n| n.parse().unwrap())
                .collect();
            let [admitted, rejected, decisions, errors] = numbers[..] else {
                panic!("a report line of four numbers: {line}");
            };
            assert_eq!(errors, 0, "every decision was the server's");
            assert_eq!(decisions, admitted + rejected);
            assert_eq!(decisions, (TASKS * ATTEMPTS) as u64);
            total.0 += admitted;
            total.1 += rejected;
        }
    }
    eprintln!(
        "{PROCESSES} processes × {TASKS} tasks: (admitted, rejected) fixed {:?}, sliding {:?}",
        totals[0], totals[1]
    );
    // The sliding window: exactly the limit, whatever the time.
    assert_eq!(totals[1].0, LIMIT, "sliding");
    // The fixed window: exactly the limit, unless the run crossed the top of an hour (a
    // second window then opened, and its allowance too is never exceeded).
    if server_hour(&server) == hour {
        assert_eq!(totals[0].0, LIMIT, "fixed");
    } else {
        assert!(totals[0].0 <= 2 * LIMIT, "fixed, over an hour's boundary");
    }
    assert_eq!(
        totals[0].0 + totals[0].1,
        (PROCESSES * TASKS * ATTEMPTS) as u64
    );
}

//! `backend = "redis"` against a real Redis Cluster of three primaries on loopback: the one
//! `.ci/run` starts (`REDIS_CLUSTER_TEST_NODES`), else one these tests start themselves.
//! Each decision's keys share a hash tag, so they lie on one slot; the client follows MOVED
//! and ASK; a single node's URL works as a seed; and a limit's slot moved to another node
//! while calls run leaves every call decided by the server, none held past `max_wait`.
//!
//! Against real servers on real time (ignored unless run with `-- --ignored`, which
//! `.ci/run` does), with bounded loops: a few seconds in all. Tests in this file run one at a
//! time: they point the process-wide registry at the cluster and empty it first.
#![cfg(feature = "redis")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use resilience_runtime::rate_limit::{
    Backend, BackendStatus, OnBackendError, OnLimit, Rate, RateLimitConfig, RateLimiter,
};
use resilience_runtime::{Error, registry};

#[path = "support/redis_cluster.rs"]
mod redis_cluster;
#[path = "support/redis_server.rs"]
mod redis_server;
use redis_cluster::RedisCluster;
use redis_server::{one_at_a_time, two_threads};

fn status(limiter: &RateLimiter) -> BackendStatus {
    limiter.snapshot().backend.expect("a remote backend")
}

/// Two permits a minute per key, refused beyond.
fn per_key(name: &'static str) -> RateLimiter {
    RateLimiter::new(
        name,
        RateLimitConfig::new(Rate::per_minute(2))
            .with_on_limit(OnLimit::Reject)
            .with_backend(Backend::Redis)
            .with_on_backend_error(OnBackendError::Deny)
            .with_backend_timeout(Duration::from_secs(2)),
    )
}

/// Each of `keys` gets its two permits and then the server's refusal, with the time until
/// the next: all decided by the cluster.
async fn every_key_is_decided_by_the_server(limiter: &RateLimiter, keys: usize) {
    for key in 0..keys {
        let key = format!("tenant-{key}");
        limiter.acquire_key(&key).await.unwrap();
        limiter.acquire_key(&key).await.unwrap();
        match limiter.acquire_key(&key).await {
            Err(Error::RateLimited {
                retry_after: Some(_),
                ..
            }) => {}
            other => panic!("{key}: the server's refusal, not {other:?}"),
        }
    }
    let status = status(limiter);
    assert_eq!(
        (status.decisions, status.errors, status.fallback_decisions),
        (3 * keys as u64, 0, 0),
        "{status:?}"
    );
}

/// The TAT key of a limit as `rate_limit/redis.rs` documents it: a hash tag of 16 hex digits
/// of FNV-1a over the length-prefixed name and key bytes (a `&str` key's bytes end in 0xff,
/// as its `Hash` writes them), then the role, the name and the key.
fn documented_tat_key(name: &str, key: Option<&[u8]>) -> Vec<u8> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    let parts: Vec<&[u8]> = std::iter::once(name.as_bytes()).chain(key).collect();
    for part in &parts {
        eat(&(part.len() as u64).to_le_bytes());
        eat(part);
    }
    let mut tat = format!("resilience:rate_limit:{{{hash:016x}}}:tat:{name}").into_bytes();
    if let Some(key) = key {
        tat.extend_from_slice(b":key:");
        tat.extend_from_slice(key);
    }
    tat
}

/// The TAT keys of limiter `name` on each node, by port.
fn tat_keys(cluster: &RedisCluster, name: &str) -> Vec<(u16, Vec<Vec<u8>>)> {
    cluster
        .ports()
        .iter()
        .map(|port| {
            let keys: Vec<Vec<u8>> = redis::cmd("KEYS")
                .arg(format!("resilience:rate_limit:{{*}}:tat:{name}*"))
                .query(&mut cluster.admin(*port))
                .unwrap();
            (*port, keys)
        })
        .collect()
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn keyed_limits_spread_over_the_nodes_and_each_decision_is_the_servers() {
    let _serial = one_at_a_time();
    let cluster = RedisCluster::get();
    cluster.reset();
    two_threads().block_on(async {
        registry().set_redis_url(cluster.seeds());
        let limiter = per_key("redis-cluster-keyed");
        every_key_is_decided_by_the_server(&limiter, 24).await;
        // One TAT per key, spread over every node.
        let placed = tat_keys(&cluster, "redis-cluster-keyed");
        let total: usize = placed.iter().map(|(_, keys)| keys.len()).sum();
        assert_eq!(total, 24, "{placed:?}");
        for (port, keys) in &placed {
            assert!(!keys.is_empty(), "node {port} holds none of the limits");
        }
        // Each where the documented layout puts it.
        for key in 0..24 {
            let mut bytes = format!("tenant-{key}").into_bytes();
            bytes.push(0xff);
            let tat = documented_tat_key("redis-cluster-keyed", Some(&bytes));
            let owner = cluster.owner_of(cluster.slot_of(&tat));
            let (_, keys) = placed.iter().find(|(port, _)| *port == owner).unwrap();
            assert!(keys.contains(&tat), "tenant-{key} on node {owner}");
        }
        // The unkeyed limit of a name is one slot too.
        let unkeyed = per_key("redis-cluster-unkeyed");
        unkeyed.acquire().await.unwrap();
        unkeyed.acquire().await.unwrap();
        assert!(unkeyed.acquire().await.is_err());
        assert_eq!(status(&unkeyed).errors, 0);
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn one_node_url_is_a_seed_with_the_switch_or_after_its_first_redirection() {
    let _serial = one_at_a_time();
    let cluster = RedisCluster::get();
    cluster.reset();
    let one_node = format!("redis://127.0.0.1:{}/", cluster.ports()[0]);
    two_threads().block_on(async {
        registry().set_redis_url(one_node.clone());
        // Without the switch: the first key another node serves answers MOVED, and the
        // limiter takes its URL for a seed, in the same decision.
        let learning = per_key("redis-cluster-learns");
        every_key_is_decided_by_the_server(&learning, 12).await;
        assert!(
            cluster.redirections() >= 1,
            "a node redirected the limiter at least once"
        );

        // With RESILIENCE_REDIS_CLUSTER=1: the cluster client from the start.
        // SAFETY: tests in this file run one at a time, and nothing else in it reads or
        // writes the environment meanwhile.
        unsafe { std::env::set_var("RESILIENCE_REDIS_CLUSTER", "1") };
        cluster.reset();
        let switched = per_key("redis-cluster-switch");
        every_key_is_decided_by_the_server(&switched, 12).await;
        assert_eq!(
            cluster.redirections(),
            0,
            "the cluster client knew the slots"
        );
        // SAFETY: as above.
        unsafe { std::env::remove_var("RESILIENCE_REDIS_CLUSTER") };
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_limit_moved_to_another_node_while_calls_run_stays_the_servers() {
    let _serial = one_at_a_time();
    let cluster = RedisCluster::get();
    cluster.reset();
    let max_wait = Duration::from_millis(500);
    let name = "redis-cluster-resharding";
    two_threads().block_on(async {
        registry().set_redis_url(cluster.seeds());
        let limiter = Arc::new(RateLimiter::new(
            name,
            RateLimitConfig::new(Rate::per_second(5000))
                .with_burst(50)
                .with_max_wait(max_wait)
                .with_backend(Backend::Redis)
                .with_on_backend_error(OnBackendError::Deny)
                .with_backend_timeout(max_wait),
        ));
        limiter.acquire_key("moving").await.unwrap();
        // The state expires within a millisecond at this rate: its slot, from the layout.
        let slot = cluster.slot_of(&documented_tat_key(name, Some(b"moving\xff")));
        let owner = cluster.owner_of(slot);
        let target = *cluster.ports().iter().find(|port| **port != owner).unwrap();
        cluster.reset();

        let stop = Arc::new(AtomicBool::new(false));
        let callers: Vec<_> = (0..4)
            .map(|_| {
                let limiter = Arc::clone(&limiter);
                let stop = Arc::clone(&stop);
                tokio::spawn(async move {
                    let (mut calls, mut longest) = (0u64, Duration::ZERO);
                    // Bounded: the stop flag, and at most this many calls.
                    for _ in 0..20_000 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let started = Instant::now();
                        limiter.acquire_key("moving").await.unwrap();
                        longest = longest.max(started.elapsed());
                        calls += 1;
                    }
                    (calls, longest)
                })
            })
            .collect();
        // The move runs here, blocking this thread; the callers run on the runtime's
        // workers meanwhile.
        std::thread::sleep(Duration::from_millis(100));
        cluster.move_slot(slot, owner, target, Duration::from_millis(30));
        // Calls go on a while after the move, on a client whose map still names the source.
        tokio::time::sleep(Duration::from_millis(200)).await;
        stop.store(true, Ordering::Relaxed);
        let (mut calls, mut longest) = (0, Duration::ZERO);
        for caller in callers {
            let (n, held) = caller.await.unwrap();
            calls += n;
            longest = longest.max(held);
        }

        assert_eq!(cluster.owner_of(slot), target, "the slot moved");
        let status = status(&limiter);
        eprintln!(
            "resharding: {calls} calls, longest {longest:?}, {} redirections, {status:?}",
            cluster.redirections()
        );
        assert!(calls > 0);
        assert_eq!(
            (status.errors, status.fallback_decisions),
            (0, 0),
            "every call decided by the server: {status:?}"
        );
        assert!(
            cluster.redirections() >= 1,
            "the calls met the move and followed it"
        );
        // Never past max_wait, but for scheduling on a loaded machine.
        assert!(
            longest < max_wait + Duration::from_millis(250),
            "{longest:?}"
        );
    });
}

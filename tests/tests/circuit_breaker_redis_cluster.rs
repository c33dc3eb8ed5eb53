//! A fleet breaker (`#[circuit_breaker(backend = "redis")]`) on a real Redis Cluster of three
//! primaries on loopback: the one `.ci/run` starts (`REDIS_CLUSTER_TEST_NODES`), else one
//! this test starts itself. The breaker's three keys share its name's hash tag, so each
//! exchange's script touches one slot on one node; two breakers of one name (two processes'
//! worth: each its own link, counts and connection) share one state through it, and a single
//! node's URL that does not serve the slot is taken for the cluster's seed on its first
//! redirection, within the same exchange.
//!
//! Against real servers on real time (ignored unless run with `-- --ignored`, which
//! `.ci/run` does); exchanges are made by hand, so nothing waits on a timer. Tests in this
//! file run one at a time: they point the process-wide registry at the cluster and empty it
//! first.
#![cfg(feature = "redis")]

use std::time::Duration;

use resilience_runtime::circuit_breaker::{
    Backend, BackendStatus, CircuitBreaker, CircuitBreakerConfig, CircuitState, FleetLink,
};
use resilience_runtime::registry;

#[path = "support/redis_cluster.rs"]
mod redis_cluster;
#[path = "support/redis_server.rs"]
mod redis_server;
use redis_cluster::RedisCluster;
use redis_server::{one_at_a_time, runtime};

/// 50% of at least 10 calls over the last 20: a window, so that all three keys exist.
fn rated() -> CircuitBreakerConfig {
    CircuitBreakerConfig::new()
        .with_backend(Backend::Redis)
        .with_backend_timeout(Duration::from_secs(2))
        .with_failure_rate(50)
        .with_window_calls(20)
        .with_minimum_calls(10)
}

fn status(breaker: &CircuitBreaker) -> BackendStatus {
    breaker.snapshot().backend_status.expect("a fleet breaker")
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

/// The fleet breaker `name`'s keys on each node: (port, keys), for the nodes that hold any.
fn keys_of(cluster: &RedisCluster, name: &str) -> Vec<(u16, Vec<String>)> {
    let pattern = format!("resilience:circuit_breaker:*:{name}");
    cluster
        .ports()
        .iter()
        .map(|&port| {
            let mut keys: Vec<String> = redis::cmd("KEYS")
                .arg(&pattern)
                .query(&mut cluster.admin(port))
                .unwrap();
            keys.sort();
            (port, keys)
        })
        .filter(|(_, keys)| !keys.is_empty())
        .collect()
}

/// The node on which `name`'s keys lie, all of them on the one slot it serves: the keys of
/// `roles` (the window's slices exist only while it holds calls).
fn keys_on_one_slot(cluster: &RedisCluster, name: &str, roles: &[&str]) -> u16 {
    let held = keys_of(cluster, name);
    assert_eq!(held.len(), 1, "one node holds every key: {held:?}");
    let (node, keys) = &held[0];
    let found: Vec<&str> = keys
        .iter()
        .map(|key| key.rsplit(':').nth(1).expect("a role"))
        .collect();
    assert_eq!(found, roles, "{keys:?}");
    let slots: Vec<u16> = keys
        .iter()
        .map(|key| cluster.slot_of(key.as_bytes()))
        .collect();
    assert!(slots.iter().all(|slot| *slot == slots[0]), "{slots:?}");
    assert_eq!(cluster.owner_of(slots[0]), *node);
    *node
}

/// Two processes of one breaker share its state through the cluster, its keys on the one
/// node that serves their slot, which is answered.
async fn two_processes_share_one_state(cluster: &RedisCluster, name: &'static str) -> u16 {
    let (a, b) = (
        CircuitBreaker::new(name, rated()),
        CircuitBreaker::new(name, rated()),
    );
    // Neither process alone has `minimum_calls` calls; the fleet has 10, 6 failed.
    calls(&a, 3, 3);
    sync(&a).await;
    assert_eq!(a.state(), CircuitState::Closed);
    let node = keys_on_one_slot(cluster, name, &["buckets", "slices", "state"]);
    calls(&b, 1, 3);
    sync(&b).await;
    assert_eq!(b.state(), CircuitState::Open, "the fleet judged 6 of 10");
    sync(&a).await;
    assert_eq!(a.state(), CircuitState::Open, "the fleet's state reached a");
    b.force_open();
    sync(&b).await;
    sync(&a).await;
    assert_eq!(a.state(), CircuitState::ForcedOpen, "b's action reached a");
    for breaker in [&a, &b] {
        let status = status(breaker);
        assert_eq!((status.errors, status.incidents), (0, 0), "{status:?}");
        assert_eq!(status.fleet_generation, Some(2));
    }
    // Opening emptied the window; what is left stays where it was.
    assert_eq!(keys_on_one_slot(cluster, name, &["buckets", "state"]), node);
    node
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn a_fleet_breaker_exchanges_its_state_through_one_slot_of_a_cluster() {
    let _serial = one_at_a_time();
    let cluster = RedisCluster::get();
    cluster.reset();
    runtime().block_on(async {
        registry().set_redis_url(cluster.seeds());
        two_processes_share_one_state(&cluster, "fleet-cluster-seeds").await;
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn one_node_that_does_not_serve_the_slot_is_taken_for_a_seed() {
    let _serial = one_at_a_time();
    let cluster = RedisCluster::get();
    cluster.reset();
    runtime().block_on(async {
        const NAME: &str = "fleet-cluster-one-node";
        // Where the breaker's keys go: found with the seeds first, then emptied.
        registry().set_redis_url(cluster.seeds());
        let owner = two_processes_share_one_state(&cluster, NAME).await;
        cluster.reset();

        let other = *cluster
            .ports()
            .iter()
            .find(|port| **port != owner)
            .expect("three nodes");
        registry().set_redis_url(format!("redis://127.0.0.1:{other}/"));
        let node = two_processes_share_one_state(&cluster, NAME).await;
        assert_eq!(node, owner);
    });
}

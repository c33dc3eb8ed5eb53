//! `#[quota(backend = "redis")]` against a real Redis Cluster of three primaries on loopback:
//! the one `.ci/run` starts (`REDIS_CLUSTER_TEST_NODES`), else one this test starts itself.
//! A keyed quota's counts spread over the nodes, each decision on one slot (the fixed
//! window's key, built by the script, shares the hash tag of the key it is given).
//!
//! Against real servers on real time (ignored unless run with `-- --ignored`, which `.ci/run`
//! does), with bounded loops. Tests in this file run one at a time: they point the
//! process-wide registry at the cluster and empty it first.
#![cfg(feature = "redis")]

use std::time::Duration;

use resilience_runtime::quota::{
    Backend, OnBackendError, Quota, QuotaConfig, QuotaLimit, QuotaWindow,
};
use resilience_runtime::{Error, registry};

#[path = "support/redis_cluster.rs"]
mod redis_cluster;
#[path = "support/redis_server.rs"]
mod redis_server;
use redis_cluster::RedisCluster;
use redis_server::{one_at_a_time, two_threads};

/// Two calls an hour per key, refused beyond.
fn per_key(name: &'static str, window: QuotaWindow) -> Quota {
    Quota::new(
        name,
        QuotaConfig::new(QuotaLimit::per_hour(2))
            .with_window(window)
            .with_backend(Backend::Redis)
            .with_on_backend_error(OnBackendError::Deny)
            .with_backend_timeout(Duration::from_secs(2)),
    )
}

/// The quota keys of `name` on each node, by port.
fn quota_keys(cluster: &RedisCluster, name: &str) -> Vec<(u16, usize)> {
    cluster
        .ports()
        .iter()
        .map(|port| {
            let keys: Vec<Vec<u8>> = redis::cmd("KEYS")
                .arg(format!("resilience:quota:{{*}}:*:{name}:key:*"))
                .query(&mut cluster.admin(*port))
                .unwrap();
            (*port, keys.len())
        })
        .collect()
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see the file's docs)"]
fn keyed_quotas_spread_over_the_nodes_and_each_decision_is_the_servers() {
    let _serial = one_at_a_time();
    let cluster = RedisCluster::get();
    cluster.reset();
    two_threads().block_on(async {
        registry().set_redis_url(cluster.seeds());
        for (window, name) in [
            (QuotaWindow::Fixed, "redis-cluster-quota-fixed"),
            (QuotaWindow::Sliding, "redis-cluster-quota-sliding"),
        ] {
            let quota = per_key(name, window);
            const KEYS: usize = 24;
            for key in 0..KEYS {
                let key = format!("tenant-{key}");
                quota.acquire_key(&key).await.unwrap();
                quota.acquire_key(&key).await.unwrap();
                match quota.acquire_key(&key).await {
                    Err(Error::QuotaExceeded {
                        resets_in: Some(_), ..
                    }) => {}
                    other => panic!("{key}: the server's refusal, not {other:?}"),
                }
            }
            let status = quota.snapshot().backend.unwrap();
            assert_eq!(
                (status.decisions, status.errors, status.fallback_decisions),
                (3 * KEYS as u64, 0, 0),
                "{status:?}"
            );
            let placed = quota_keys(&cluster, name);
            let total: usize = placed.iter().map(|(_, keys)| keys).sum();
            assert_eq!(total, KEYS, "{placed:?}");
            for (port, keys) in &placed {
                assert!(*keys > 0, "node {port} holds none of {name}'s counts");
            }
            // The unkeyed quota of a name is one slot too.
            let unkeyed = per_key(name, window);
            unkeyed.acquire().await.unwrap();
            unkeyed.acquire().await.unwrap();
            assert!(unkeyed.acquire().await.is_err());
            assert_eq!(unkeyed.snapshot().backend.unwrap().errors, 0);
        }
    });
}

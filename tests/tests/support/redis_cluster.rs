//! A loopback Redis Cluster of three primaries: the one `.ci/run` starts (its seeds in
//! `REDIS_CLUSTER_TEST_NODES`, e.g. `redis://127.0.0.1:7101,redis://127.0.0.1:7102,...`),
//! or, when that is unset, one of the test's own, started here and stopped on drop. Needs
//! `redis_server.rs` included beside it as `redis_server`.
#![allow(dead_code)]

use std::time::Duration;

use super::redis_server::{RedisServer, command, free_port};

/// The variable naming the seeds of a running test cluster.
pub const NODES_VARIABLE: &str = "REDIS_CLUSTER_TEST_NODES";

/// A Redis Cluster's primaries on loopback ports.
pub struct RedisCluster {
    ports: Vec<u16>,
    /// The servers, when this cluster is the test's own.
    _servers: Vec<RedisServer>,
}

const SLOTS: u16 = 16_384;

impl RedisCluster {
    /// The running test cluster, else a new one of three primaries.
    ///
    /// # Panics
    ///
    /// When the variable names no valid seeds, or `redis-server` is not on `PATH`.
    pub fn get() -> Self {
        match std::env::var(NODES_VARIABLE) {
            Ok(nodes) if !nodes.trim().is_empty() => {
                let ports = nodes
                    .split(',')
                    .map(|url| {
                        url.trim()
                            .trim_end_matches('/')
                            .rsplit(':')
                            .next()
                            .and_then(|port| port.parse().ok())
                            .unwrap_or_else(|| panic!("{NODES_VARIABLE}: `{url}` names no port"))
                    })
                    .collect();
                let cluster = Self {
                    ports,
                    _servers: Vec::new(),
                };
                cluster.wait_until_ok();
                cluster
            }
            _ => Self::start(),
        }
    }

    /// Three new primaries, the slots shared out, each told of the others.
    fn start() -> Self {
        let buses: Vec<String> = (0..3).map(|_| free_port().to_string()).collect();
        let servers: Vec<RedisServer> = buses
            .iter()
            .map(|bus| {
                RedisServer::start_with(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-port",
                    bus,
                    "--cluster-node-timeout",
                    "5000",
                ])
            })
            .collect();
        let ports: Vec<u16> = servers.iter().map(RedisServer::port).collect();
        let share = SLOTS / 3;
        for (index, server) in servers.iter().enumerate() {
            let index = u16::try_from(index).unwrap();
            let first = index * share;
            let last = if index == 2 {
                SLOTS - 1
            } else {
                first + share - 1
            };
            let mut admin = server.admin();
            let _: () = command(
                &mut admin,
                &[
                    "CLUSTER",
                    "ADDSLOTSRANGE",
                    &first.to_string(),
                    &last.to_string(),
                ],
            );
            let epoch = (u32::from(index) + 1).to_string();
            let _: () = command(&mut admin, &["CLUSTER", "SET-CONFIG-EPOCH", &epoch]);
        }
        let mut first = servers[0].admin();
        for (port, bus) in ports.iter().zip(&buses).skip(1) {
            let _: () = command(
                &mut first,
                &["CLUSTER", "MEET", "127.0.0.1", &port.to_string(), bus],
            );
        }
        let cluster = Self {
            ports,
            _servers: servers,
        };
        cluster.wait_until_ok();
        cluster
    }

    /// Waits (bounded) until every node sees the whole cluster: every slot served, every
    /// node knowing every other.
    fn wait_until_ok(&self) {
        for _ in 0..400 {
            let ok = self.ports.iter().all(|port| {
                let info: String = command(&mut self.admin(*port), &["CLUSTER", "INFO"]);
                info.contains("cluster_state:ok")
                    && info.contains(&format!("cluster_known_nodes:{}", self.ports.len()))
            });
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("the Redis Cluster on {:?} did not become ready", self.ports);
    }

    /// The seeds, as `RESILIENCE_REDIS_URL` takes them.
    pub fn seeds(&self) -> String {
        self.ports
            .iter()
            .map(|port| format!("redis://127.0.0.1:{port}/"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The primaries' ports.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// A connection to the node on `port`.
    pub fn admin(&self, port: u16) -> redis::Connection {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
        let connection = client
            .get_connection_with_timeout(Duration::from_secs(5))
            .expect("the test reaches its cluster");
        connection
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        connection
    }

    /// Empties every node and resets their statistics, for a test of its own.
    pub fn reset(&self) {
        for port in &self.ports {
            let mut admin = self.admin(*port);
            let _: () = command(&mut admin, &["FLUSHALL"]);
            let _: () = command(&mut admin, &["CONFIG", "RESETSTAT"]);
        }
    }

    /// The slot of `key`.
    pub fn slot_of(&self, key: &[u8]) -> u16 {
        redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(key)
            .query(&mut self.admin(self.ports[0]))
            .unwrap()
    }

    /// The port of the node that serves `slot`, as the nodes see it now.
    pub fn owner_of(&self, slot: u16) -> u16 {
        let ranges: Vec<(u16, u16, (String, u16))> = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query::<Vec<redis::Value>>(&mut self.admin(self.ports[0]))
            .unwrap()
            .into_iter()
            .map(|range| {
                let redis::Value::Array(items) = range else {
                    panic!("CLUSTER SLOTS: a range is an array");
                };
                let first: u16 = redis::from_redis_value(items[0].clone()).unwrap();
                let last: u16 = redis::from_redis_value(items[1].clone()).unwrap();
                let redis::Value::Array(primary) = &items[2] else {
                    panic!("CLUSTER SLOTS: a node is an array");
                };
                let host: String = redis::from_redis_value(primary[0].clone()).unwrap();
                let port: u16 = redis::from_redis_value(primary[1].clone()).unwrap();
                (first, last, (host, port))
            })
            .collect();
        ranges
            .into_iter()
            .find(|(first, last, _)| (*first..=*last).contains(&slot))
            .map(|(_, _, (_, port))| port)
            .unwrap_or_else(|| panic!("no node serves slot {slot}"))
    }

    /// The node id of the node on `port`.
    fn id_of(&self, port: u16) -> String {
        command(&mut self.admin(port), &["CLUSTER", "MYID"])
    }

    /// Moves `slot` with its keys from the node on `from` to the node on `to`, as
    /// `redis-cli --cluster reshard` does: the target imports, the source migrates, the keys
    /// go over, then every node is told the new owner. `pause` is spent in each step, so
    /// that calls meet the slot half-moved.
    pub fn move_slot(&self, slot: u16, from: u16, to: u16, pause: Duration) {
        let slot_arg = slot.to_string();
        let (from_id, to_id) = (self.id_of(from), self.id_of(to));
        let (mut source, mut target) = (self.admin(from), self.admin(to));
        let _: () = command(
            &mut target,
            &["CLUSTER", "SETSLOT", &slot_arg, "IMPORTING", &from_id],
        );
        let _: () = command(
            &mut source,
            &["CLUSTER", "SETSLOT", &slot_arg, "MIGRATING", &to_id],
        );
        std::thread::sleep(pause);
        // Bounded: a limit's keys are few, and each round moves up to 100.
        for _ in 0..100 {
            let keys: Vec<Vec<u8>> = redis::cmd("CLUSTER")
                .arg("GETKEYSINSLOT")
                .arg(slot)
                .arg(100)
                .query(&mut source)
                .unwrap();
            if keys.is_empty() {
                break;
            }
            let mut migrate = redis::cmd("MIGRATE");
            migrate
                .arg("127.0.0.1")
                .arg(to)
                .arg("")
                .arg(0)
                .arg(5000)
                .arg("KEYS");
            for key in &keys {
                migrate.arg(key.as_slice());
            }
            // NOKEY: the keys expired meanwhile; either way they left the source.
            let _: redis::Value = migrate.query(&mut source).unwrap();
            std::thread::sleep(pause);
        }
        for port in &self.ports {
            let _: () = command(
                &mut self.admin(*port),
                &["CLUSTER", "SETSLOT", &slot_arg, "NODE", &to_id],
            );
        }
    }

    /// The redirections (MOVED, ASK) and requests to try again (TRYAGAIN) the nodes have
    /// answered since the last [`reset`](Self::reset).
    pub fn redirections(&self) -> u64 {
        let mut total = 0;
        for port in &self.ports {
            let info: String = command(&mut self.admin(*port), &["INFO", "errorstats"]);
            for line in info.lines() {
                let Some((name, counts)) = line.split_once(':') else {
                    continue;
                };
                if ["errorstat_MOVED", "errorstat_ASK", "errorstat_TRYAGAIN"].contains(&name) {
                    total += counts
                        .trim()
                        .strip_prefix("count=")
                        .and_then(|count| count.parse::<u64>().ok())
                        .unwrap_or(0);
                }
            }
        }
        total
    }
}

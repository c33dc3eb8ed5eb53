//! The fleet's shared state on Redis: its keys and the one script (`exchange.lua`, next to
//! this file) that every exchange runs.
//!
//! # Key layout
//!
//! ```text
//! resilience:circuit_breaker:{<tag>}:state:<name>     state, generation, open period, lease
//! resilience:circuit_breaker:{<tag>}:slices:<name>    the window's one-second slices
//! resilience:circuit_breaker:{<tag>}:buckets:<name>   the window's counts per slice, totals
//! ```
//!
//! `<tag>` is the breaker name's hash tag (`base/redis/hash_tag.rs`), so the three keys lie
//! on one node of a Redis Cluster. Each expires an hour (plus the window and the longest open
//! wait) after the last exchange of any process.
//!
//! # Connection
//!
//! One connection per breaker, opened on the first exchange (URL from
//! [`Registry::set_redis_url`](crate::Registry::set_redis_url), else
//! `RESILIENCE_REDIS_URL`), dropped after any error and opened again by a later exchange; a
//! single URL that answers with a redirection is taken for a cluster's seed, as for rate
//! limits.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use super::exchange::{Exchange, Rules};
use crate::base::redis::failure::Failure;
use crate::base::redis::hash_tag::hash_tag;
use crate::base::redis::lazy::LazyConnection;
use crate::base::redis::script::LuaScript;

const EXCHANGE: &str = include_str!("exchange.lua");

/// The start of every key of a fleet breaker.
const PREFIX: &[u8] = b"resilience:circuit_breaker:";

/// One fleet breaker's view of the server.
pub(crate) struct FleetRedis {
    name: &'static str,
    connection: LazyConnection,
    script: LuaScript,
    keys: [Vec<u8>; 3],
    pub(crate) round_trips: AtomicU64,
}

impl FleetRedis {
    pub(crate) fn new(name: &'static str, timeout: Duration) -> Self {
        let tag = hash_tag(&[name.as_bytes()]);
        let key = |role: &[u8]| {
            let mut bytes = Vec::with_capacity(PREFIX.len() + tag.len() + role.len() + name.len());
            bytes.extend_from_slice(PREFIX);
            bytes.extend_from_slice(&tag);
            bytes.extend_from_slice(role);
            bytes.extend_from_slice(name.as_bytes());
            bytes
        };
        Self {
            name,
            connection: LazyConnection::new(timeout),
            script: LuaScript::new(EXCHANGE),
            keys: [key(b":state:"), key(b":slices:"), key(b":buckets:")],
            round_trips: AtomicU64::new(0),
        }
    }

    /// Forgets the connection after an error; the next exchange opens a new one.
    pub(crate) fn disconnect(&self) {
        self.connection.disconnect();
    }

    /// One exchange: this process's part in, the shared state's reply out.
    pub(crate) async fn exchange(
        &self,
        process: &str,
        exchange: &Exchange,
        rules: &Rules,
    ) -> Result<Vec<i64>, Failure> {
        let keys = self.keys.each_ref().map(Vec::as_slice);
        let args = |command: &mut redis::Cmd| Self::args(command, process, exchange, rules);
        let ran = self
            .script
            .run_with(&self.connection, &keys, args, &self.round_trips)
            .await?;
        if ran.found_cluster {
            tracing::info!(
                target: "resilience_runtime::circuit_breaker",
                name = self.name,
                "the Redis server is a cluster node (it redirected a key): following the \
                 cluster's redirections from now on"
            );
        }
        Ok(ran.reply)
    }

    /// The script's arguments after its keys: the process, its part of the exchange and the
    /// breaker's rules.
    fn args(command: &mut redis::Cmd, process: &str, exchange: &Exchange, rules: &Rules) {
        command.arg(process);
        for arg in exchange.args() {
            command.arg(arg);
        }
        // Arguments 10 to 20: the rules, the backoff factor (17) as text among them.
        let [
            threshold,
            rate,
            slow_rate,
            minimum,
            kind,
            size,
            recovery,
            longest,
            lease,
            expiry,
        ] = rules.ints;
        command
            .arg(threshold)
            .arg(rate)
            .arg(slow_rate)
            .arg(minimum)
            .arg(kind)
            .arg(size)
            .arg(recovery)
            .arg(&rules.backoff)
            .arg(longest)
            .arg(lease)
            .arg(expiry);
    }
}

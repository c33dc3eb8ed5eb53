//! The Redis backend: the GCRA as one Lua script, one round trip per decision.
//!
//! The script (`gcra.lua`, next to this file) reads the server's clock, so clients
//! need not agree on time, and stores the state with an expiry at the moment the limit has
//! fully recovered, so the server keeps no idle keys.
//!
//! # Key layout
//!
//! Each limit is two keys: its TAT (theoretical arrival time) and its holes, the reservations
//! given back while later ones waited behind them (`give_back.lua`), which the next calls
//! take first, so callers that abandon their wait never push later ones back:
//!
//! ```text
//! resilience:rate_limit:{<tag>}:tat:<name>                   the unkeyed limit
//! resilience:rate_limit:{<tag>}:holes:<name>
//! resilience:rate_limit:{<tag>}:tat:<name>:key:<key bytes>   one key's limit
//! resilience:rate_limit:{<tag>}:holes:<name>:key:<key bytes>
//! ```
//!
//! `<tag>` is 16 hex digits hashed from the name and, for a keyed limit, the key's bytes
//! (`base/redis/hash_tag.rs`): in a Redis Cluster only the part in braces decides the slot,
//! so both keys of a limit, which every decision touches, lie on one node, while the keys
//! of one limiter spread over the cluster. Hex holds no brace, so no name or key byte can end
//! the tag early; the name and key bytes after it keep distinct limits in distinct keys
//! even if two tags collide. Processes of one limit must agree on this layout: processes of
//! a release before it (`resilience:rate_limit:<name>`, untagged) keep a separate state.
//!
//! # Connection
//!
//! One connection per limiter carries every decision: to one server (over TCP or a Unix
//! socket a direct one, written and read by the deciding callers themselves; over TLS the
//! client library's multiplexed one), or a cluster connection for a comma-separated list of
//! seeds or `RESILIENCE_REDIS_CLUSTER=1` (`base/redis/`). It is opened on first use (URL from
//! [`Registry::set_redis_url`](crate::Registry::set_redis_url), else `RESILIENCE_REDIS_URL`)
//! and dropped after any error, to be opened again by a later call. A single URL that turns
//! out to be a cluster node (it answers MOVED or ASK) is taken for the cluster's seed: the
//! limiter reconnects with the cluster client and asks again, in the same decision.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::gcra::Gcra;
use super::traffic::Traffic;
use crate::base::clock::Nanos;
use crate::base::redis::connection::Connection;
use crate::base::redis::failure::{Failure, FailureKind};
use crate::base::redis::hash_tag::{TAG_LEN, hash_tag};
use crate::base::redis::lazy::LazyConnection;
use crate::base::redis::script::LuaScript;

const ACQUIRE: &str = include_str!("gcra.lua");
const GIVE_BACK: &str = include_str!("give_back.lua");

/// Where Lua's numbers (doubles) stop being exact integers.
const LUA_MAX: u64 = 1 << 52;

/// The start of every key of a rate limit.
const PREFIX: &[u8] = b"resilience:rate_limit:";

/// Nanoseconds as the script's microseconds, rounded up (intervals: never faster than
/// declared) or down (tolerances: never more burst than declared), within Lua's exact range.
fn micros_up(nanos: Nanos) -> i64 {
    nanos.div_ceil(1_000).clamp(1, LUA_MAX).cast_signed()
}

fn micros_down(nanos: Nanos) -> i64 {
    (nanos / 1_000).min(LUA_MAX).cast_signed()
}

/// One limiter's view of the server.
pub(super) struct RedisLimit {
    name: &'static str,
    /// With `backend_timeout`, which bounds connecting and every reply.
    connection: LazyConnection,
    acquire: LuaScript,
}

impl RedisLimit {
    pub(super) fn new(name: &'static str, timeout: Duration) -> Self {
        Self {
            name,
            connection: LazyConnection::new(timeout),
            acquire: LuaScript::new(ACQUIRE),
        }
    }

    /// The keys of the limit of `key` (the unkeyed limit for `None`); see the module docs.
    fn keys(&self, key: Option<&[u8]>) -> Keys {
        let name = self.name.as_bytes();
        let tag = match key {
            Some(key) => hash_tag(&[name, key]),
            None => hash_tag(&[name]),
        };
        let of = |role: &[u8]| {
            let mut bytes = Vec::with_capacity(
                PREFIX.len()
                    + TAG_LEN
                    + role.len()
                    + name.len()
                    + key.map_or(0, |key| key.len() + 5),
            );
            bytes.extend_from_slice(PREFIX);
            bytes.extend_from_slice(&tag);
            bytes.extend_from_slice(role);
            bytes.extend_from_slice(name);
            if let Some(key) = key {
                bytes.extend_from_slice(b":key:");
                bytes.extend_from_slice(key);
            }
            bytes
        };
        Keys {
            tat: of(b":tat:"),
            holes: of(b":holes:"),
        }
    }

    /// Forgets the connection after an error; the next decision opens a new one.
    pub(super) fn disconnect(&self) {
        self.connection.disconnect();
    }

    /// One decision on the server, for the key whose bytes are `key` (the unkeyed limit for
    /// `None`).
    pub(super) async fn decide(
        &self,
        key: Option<&[u8]>,
        gcra: &Gcra,
        budget: Nanos,
        max_queue: usize,
        traffic: &Arc<Traffic>,
    ) -> Result<Reply, Failure> {
        let keys = self.keys(key);
        let tolerance = micros_down(gcra.tolerance());
        let args = [
            micros_up(gcra.interval()),
            tolerance,
            micros_down(budget),
            i64::try_from(max_queue).unwrap_or(-1),
        ];
        let ran = self
            .acquire
            .run::<Vec<i64>>(&self.connection, &keys.both(), &args, &traffic.round_trips)
            .await?;
        if ran.found_cluster {
            tracing::info!(
                target: "resilience_runtime::rate_limit",
                name = self.name,
                "the Redis server is a cluster node (it redirected a key): following the \
                 cluster's redirections from now on"
            );
        }
        let connection = ran.connection;
        let &[admitted, wait, before, after] = ran.reply.as_slice() else {
            return Err(Failure::new(
                FailureKind::Other,
                "the rate limit script answered with an unexpected shape",
            ));
        };
        let wait = u64::try_from(wait).unwrap_or(0).saturating_mul(1_000);
        if admitted == 0 {
            return Ok(Reply::Rejected { wait });
        }
        Ok(Reply::Reserved {
            wait,
            undo: Undo {
                name: self.name,
                connection,
                keys,
                after,
                before,
                tolerance,
                traffic: Arc::clone(traffic),
            },
        })
    }
}

/// What the server decided; the caller turns it into its verdict.
pub(super) enum Reply {
    /// A permit, usable after `wait`; `undo` returns it if the caller does not wait.
    Reserved { wait: Nanos, undo: Undo },
    /// No permit within the budget; the time until one.
    Rejected { wait: Nanos },
}

/// The keys of one limit: its TAT and its holes.
pub(super) struct Keys {
    tat: Vec<u8>,
    holes: Vec<u8>,
}

impl Keys {
    /// Both, in the order the scripts take them.
    fn both(&self) -> [&[u8]; 2] {
        [&self.tat, &self.holes]
    }
}

/// What it takes to give a reservation back.
pub(super) struct Undo {
    name: &'static str,
    connection: Connection,
    keys: Keys,
    /// The TAT the reservation stored; -1 for one that took a hole.
    after: i64,
    before: i64,
    tolerance: i64,
    traffic: Arc<Traffic>,
}

impl Undo {
    /// Runs the give-back script in the background on the current tokio runtime, if any.
    pub(super) fn send(self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let Self {
                name,
                mut connection,
                keys,
                after,
                before,
                tolerance,
                traffic,
            } = self;
            let lua = LuaScript::new(GIVE_BACK);
            let answer = tokio::time::timeout(
                Duration::from_secs(1),
                lua.once::<i64>(
                    &mut connection,
                    &keys.both(),
                    &[after, before, tolerance],
                    &traffic.round_trips,
                ),
            )
            .await;
            let given_back = matches!(answer, Ok(Ok(1)));
            if given_back {
                traffic.give_backs.fetch_add(1, Ordering::Relaxed);
            }
            tracing::debug!(
                target: "resilience_runtime::rate_limit",
                name,
                given_back,
                "rate limit reservation sent back to the backend"
            );
        });
    }
}

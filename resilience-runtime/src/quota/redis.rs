//! The Redis backend of quotas: one Lua script per decision, run atomically on the server
//! with the server's clock.
//!
//! **Whose clock.** Both scripts read `TIME` on the server: the one clock every process
//! sharing the quota sees, so a fixed window starts and ends at the same instant for all of
//! them, whatever their own clocks say, and `resets_in` is measured on that clock too.
//!
//! **Fixed windows** (`fixed.lua`): the count of the current UTC-aligned window lives in a
//! key named after the window's start, checked before it is counted (never past the limit)
//! and expiring when the window ends: a new window is a new key, and the server keeps no
//! old one.
//!
//! **Sliding windows** (`sliding.lua`): the same 31 buckets per period as in process
//! (`sliding.rs`), as a hash of bucket → count. Buckets rather than a sorted set of
//! admissions: memory stays at most 32 fields per key whatever the limit (a log of
//! admissions would hold up to the limit, a million entries for `"1000000/day"`), a
//! decision costs the same for any limit, and a process that falls back to its own count
//! (`on_backend_error = "local"`) frees slots by the same rule. Exact as in process: never
//! more than the limit in any span of one period; a freed slot comes back at most a
//! thirty-first of the period late, never early.
//!
//! # Key layout
//!
//! ```text
//! resilience:quota:{<tag>}:fixed:<name>:<window start>                  the unkeyed quota
//! resilience:quota:{<tag>}:fixed:<name>:key:<key bytes>:<window start>  one key's
//! resilience:quota:{<tag>}:sliding:<name>                               the unkeyed quota
//! resilience:quota:{<tag>}:sliding:<name>:key:<key bytes>               one key's
//! ```
//!
//! `<window start>` is in microseconds since the Unix epoch (digits only, so it is always
//! what follows the last `:`). `<tag>` is the hash tag of the name and, for a keyed quota,
//! the key's bytes (`base/redis/hash_tag.rs`): each decision touches one slot of a Redis
//! Cluster (the fixed window's key is built by the script from the one it is given, with the
//! same tag), while the keys of one quota spread over the cluster.
//!
//! # Connection
//!
//! One connection per quota, as for rate limits (`base/redis/lazy.rs`): opened on first use
//! (URL from [`Registry::set_redis_url`](crate::Registry::set_redis_url), else
//! `RESILIENCE_REDIS_URL`), dropped after any error and opened again by a later call; a
//! single URL that answers with a redirection is taken for a cluster's seed.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use super::QuotaWindow;
use crate::base::clock::Nanos;
use crate::base::redis::failure::{Failure, FailureKind};
use crate::base::redis::hash_tag::{TAG_LEN, hash_tag};
use crate::base::redis::lazy::LazyConnection;
use crate::base::redis::script::LuaScript;

const FIXED: &str = include_str!("fixed.lua");
const SLIDING: &str = include_str!("sliding.lua");

/// The start of every key of a quota.
const PREFIX: &[u8] = b"resilience:quota:";

/// Where Lua's numbers (doubles) stop being exact integers.
const LUA_MAX: u64 = 1 << 52;

/// What the server decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reply {
    /// Whether the call was counted.
    pub(super) admitted: bool,
    /// The calls that count after the decision.
    pub(super) count: u64,
    /// Until the window resets (fixed) or the oldest call counted stops counting (sliding).
    pub(super) resets_in: Nanos,
}

/// One quota's view of the server.
pub(super) struct RedisQuota {
    name: &'static str,
    role: &'static [u8],
    connection: LazyConnection,
    script: LuaScript,
    /// The period in microseconds, as the scripts take it.
    period: i64,
}

impl RedisQuota {
    pub(super) fn new(
        name: &'static str,
        window: QuotaWindow,
        period: Nanos,
        timeout: Duration,
    ) -> Self {
        let (role, source): (&'static [u8], _) = match window {
            QuotaWindow::Fixed => (b":fixed:", FIXED),
            QuotaWindow::Sliding => (b":sliding:", SLIDING),
        };
        Self {
            name,
            role,
            connection: LazyConnection::new(timeout),
            script: LuaScript::new(source),
            // Rounded up (a period is never shorter than declared), within Lua's exact range.
            period: period.div_ceil(1_000).clamp(1, LUA_MAX).cast_signed(),
        }
    }

    /// The key of `key`'s count (the unkeyed quota's for `None`); see the module docs.
    fn key(&self, key: Option<&[u8]>) -> Vec<u8> {
        let name = self.name.as_bytes();
        let tag = match key {
            Some(key) => hash_tag(&[name, key]),
            None => hash_tag(&[name]),
        };
        let mut bytes = Vec::with_capacity(
            PREFIX.len()
                + TAG_LEN
                + self.role.len()
                + name.len()
                + key.map_or(0, |key| key.len() + 5),
        );
        bytes.extend_from_slice(PREFIX);
        bytes.extend_from_slice(&tag);
        bytes.extend_from_slice(self.role);
        bytes.extend_from_slice(name);
        if let Some(key) = key {
            bytes.extend_from_slice(b":key:");
            bytes.extend_from_slice(key);
        }
        bytes
    }

    /// Forgets the connection after an error; the next decision opens a new one.
    pub(super) fn disconnect(&self) {
        self.connection.disconnect();
    }

    /// One decision on the server against `limit` (at least 1), for the key whose bytes are
    /// `key` (the unkeyed quota for `None`).
    pub(super) async fn decide(
        &self,
        key: Option<&[u8]>,
        limit: u32,
        round_trips: &AtomicU64,
    ) -> Result<Reply, Failure> {
        let count_key = self.key(key);
        let args = [i64::from(limit), self.period];
        let ran = self
            .script
            .run::<Vec<i64>>(&self.connection, &[&count_key], &args, round_trips)
            .await?;
        if ran.found_cluster {
            tracing::info!(
                target: "resilience_runtime::quota",
                name = self.name,
                "the Redis server is a cluster node (it redirected a key): following the \
                 cluster's redirections from now on"
            );
        }
        let &[admitted, count, resets_in] = ran.reply.as_slice() else {
            return Err(Failure::new(
                FailureKind::Other,
                "the quota script answered with an unexpected shape",
            ));
        };
        Ok(Reply {
            admitted: admitted == 1,
            count: u64::try_from(count).unwrap_or(0),
            resets_in: u64::try_from(resets_in).unwrap_or(0).saturating_mul(1_000),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_tag_the_window_the_name_and_the_key() {
        let fixed = RedisQuota::new("api", QuotaWindow::Fixed, 1_500, Duration::from_millis(1));
        assert_eq!(fixed.period, 2);
        let unkeyed = fixed.key(None);
        let tag = hash_tag(&[b"api"]);
        let mut expected = b"resilience:quota:".to_vec();
        expected.extend_from_slice(&tag);
        expected.extend_from_slice(b":fixed:api");
        assert_eq!(unkeyed, expected);
        let keyed = fixed.key(Some(b"tenant-1"));
        assert!(keyed.ends_with(b":fixed:api:key:tenant-1"));
        assert_eq!(&keyed[17..17 + TAG_LEN], &hash_tag(&[b"api", b"tenant-1"]));
        let sliding = RedisQuota::new("api", QuotaWindow::Sliding, 1, Duration::from_millis(1));
        assert_eq!(sliding.period, 1);
        assert!(sliding.key(None).ends_with(b":sliding:api"));
    }
}

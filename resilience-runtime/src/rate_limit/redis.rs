//! The Redis backend: the GCRA as one Lua script, one round trip per decision.
//!
//! The script (`gcra.lua`, next to this file) reads the server's clock, so clients
//! need not agree on time, and stores the state with an expiry at the moment the limit has
//! fully recovered, so the server keeps no idle keys. Keys are
//! `resilience:rate_limit:<name>` for the unkeyed limit and
//! `resilience:rate_limit:<name>:key:<key bytes>` per key, each with a `:holes` sibling: the
//! reservations given back while later ones waited behind them (`give_back.lua`), which the
//! next calls take first, so callers that abandon their wait never push later ones back.
//!
//! One multiplexed connection per limiter carries every decision; it is opened on first use
//! (URL from [`Registry::set_redis_url`](crate::Registry::set_redis_url), else
//! `RESILIENCE_REDIS_URL`) and dropped after any error, to be opened again by a later call.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, ErrorKind, RedisError, RedisResult, Script};
use tokio::sync::Mutex;

use super::gcra::Gcra;
use super::traffic::Traffic;
use crate::base::clock::Nanos;

const ACQUIRE: &str = include_str!("gcra.lua");
const GIVE_BACK: &str = include_str!("give_back.lua");

/// Where Lua's numbers (doubles) stop being exact integers.
const LUA_MAX: u64 = 1 << 52;

/// A script with its source, so a server that does not know it yet is sent the source.
struct Lua {
    script: Script,
    source: &'static str,
}

impl Lua {
    fn new(source: &'static str) -> Self {
        Self {
            script: Script::new(source),
            source,
        }
    }

    /// `EVALSHA`, or `EVAL` when the server does not know the script yet (which also makes
    /// it known for the next time).
    async fn run<T: redis::FromRedisValue>(
        &self,
        connection: &mut MultiplexedConnection,
        keys: &Keys,
        args: &[i64],
        round_trips: &AtomicU64,
    ) -> RedisResult<T> {
        round_trips.fetch_add(1, Ordering::Relaxed);
        match command("EVALSHA", self.script.get_hash(), keys, args)
            .query_async(connection)
            .await
        {
            Err(error) if error.kind() == ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                round_trips.fetch_add(1, Ordering::Relaxed);
                command("EVAL", self.source, keys, args)
                    .query_async(connection)
                    .await
            }
            other => other,
        }
    }
}

fn command(name: &str, script: &str, keys: &Keys, args: &[i64]) -> redis::Cmd {
    let mut command = redis::cmd(name);
    command.arg(script).arg(2).arg(&keys.tat).arg(&keys.holes);
    for arg in args {
        command.arg(*arg);
    }
    command
}

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
    prefix: Vec<u8>,
    connection: Mutex<Option<MultiplexedConnection>>,
    /// `backend_timeout`: bounds connecting and every reply, in the client too, so that its
    /// own defaults (longer, or shorter) never decide instead.
    timeout: Duration,
    acquire: Lua,
}

impl RedisLimit {
    pub(super) fn new(name: &'static str, timeout: Duration) -> Self {
        Self {
            name,
            prefix: format!("resilience:rate_limit:{name}").into_bytes(),
            connection: Mutex::new(None),
            timeout,
            acquire: Lua::new(ACQUIRE),
        }
    }

    fn keys(&self, key: Option<&[u8]>) -> Keys {
        let mut tat = self.prefix.clone();
        if let Some(key) = key {
            tat.extend_from_slice(b":key:");
            tat.extend_from_slice(key);
        }
        let mut holes = tat.clone();
        holes.extend_from_slice(b":holes");
        Keys { tat, holes }
    }

    /// The open connection, or a new one.
    async fn connection(&self) -> RedisResult<MultiplexedConnection> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = &*slot {
            return Ok(connection.clone());
        }
        let url = crate::base::redis_url::get().ok_or_else(|| {
            RedisError::from((
                ErrorKind::InvalidClientConfig,
                "no Redis URL: call registry().set_redis_url(..) or set RESILIENCE_REDIS_URL",
            ))
        })?;
        let connection = Client::open(url)?
            .get_multiplexed_async_connection_with_config(
                &AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(self.timeout))
                    .set_response_timeout(Some(self.timeout)),
            )
            .await?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// Forgets the connection after an error; the next decision opens a new one.
    pub(super) fn disconnect(&self) {
        if let Ok(mut slot) = self.connection.try_lock() {
            *slot = None;
        }
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
    ) -> RedisResult<Reply> {
        let mut connection = self.connection().await?;
        let keys = self.keys(key);
        let tolerance = micros_down(gcra.tolerance());
        let args = [
            micros_up(gcra.interval()),
            tolerance,
            micros_down(budget),
            i64::try_from(max_queue).unwrap_or(-1),
        ];
        let reply: Vec<i64> = self
            .acquire
            .run(&mut connection, &keys, &args, &traffic.round_trips)
            .await?;
        let &[admitted, wait, before, after] = reply.as_slice() else {
            return Err(RedisError::from((
                ErrorKind::UnexpectedReturnType,
                "the rate limit script answered with an unexpected shape",
            )));
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

/// What it takes to give a reservation back.
pub(super) struct Undo {
    name: &'static str,
    connection: MultiplexedConnection,
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
            let lua = Lua::new(GIVE_BACK);
            let answer = tokio::time::timeout(
                Duration::from_secs(1),
                lua.run::<i64>(
                    &mut connection,
                    &keys,
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

//! A Lua script run on an instance's lazily opened connection: `EVALSHA`, the source sent
//! with `EVAL` when the server does not know the script yet, and a single URL's redirection
//! taken as the discovery of a cluster (reconnected with the cluster client and asked again,
//! in the same call).

use std::sync::atomic::{AtomicU64, Ordering};

use redis::{ErrorKind, RedisResult, Script};

use super::connection::Connection;
use super::failure::{self, Failure};
use super::lazy::LazyConnection;

/// A script with its source, so a server that does not know it yet is sent the source.
pub(crate) struct LuaScript {
    script: Script,
    source: &'static str,
}

/// What a run answered, and whether it found that the single URL is a cluster node (for
/// the caller to say so under its own log target).
pub(crate) struct Ran<T> {
    pub(crate) reply: T,
    pub(crate) found_cluster: bool,
}

impl LuaScript {
    pub(crate) fn new(source: &'static str) -> Self {
        Self {
            script: Script::new(source),
            source,
        }
    }

    /// Runs the script on `keys` with `args` over `lazy`'s connection, counting every
    /// request in `round_trips`.
    pub(crate) async fn run<T: redis::FromRedisValue>(
        &self,
        lazy: &LazyConnection,
        keys: &[&[u8]],
        args: &[i64],
        round_trips: &AtomicU64,
    ) -> Result<Ran<T>, Failure> {
        let args = |command: &mut redis::Cmd| {
            for arg in args {
                command.arg(*arg);
            }
        };
        self.run_with(lazy, keys, args, round_trips).await
    }

    /// [`run`](Self::run) with the arguments that follow the keys written by `args`.
    pub(crate) async fn run_with<T: redis::FromRedisValue>(
        &self,
        lazy: &LazyConnection,
        keys: &[&[u8]],
        args: impl Fn(&mut redis::Cmd) + Sync,
        round_trips: &AtomicU64,
    ) -> Result<Ran<T>, Failure> {
        let mut connection = lazy.get().await?;
        let mut reply = self.once(&mut connection, keys, &args, round_trips).await;
        let mut found_cluster = false;
        if let Err(error) = &reply
            && failure::is_redirection(error)
            && !connection.is_cluster()
        {
            found_cluster = lazy.follow_cluster().await;
            connection = lazy.get().await?;
            reply = self.once(&mut connection, keys, &args, round_trips).await;
        }
        match reply {
            Ok(reply) => Ok(Ran {
                reply,
                found_cluster,
            }),
            Err(error) => Err(Failure::from_redis(&error, lazy.timeout())),
        }
    }

    /// `EVALSHA`, or `EVAL` when the server does not know the script yet (which also makes
    /// it known for the next time).
    async fn once<T: redis::FromRedisValue>(
        &self,
        connection: &mut Connection,
        keys: &[&[u8]],
        args: &(impl Fn(&mut redis::Cmd) + Sync),
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

fn command(
    name: &str,
    script: &str,
    keys: &[&[u8]],
    args: &impl Fn(&mut redis::Cmd),
) -> redis::Cmd {
    let mut command = redis::cmd(name);
    command.arg(script).arg(keys.len());
    for key in keys {
        command.arg(*key);
    }
    args(&mut command);
    command
}

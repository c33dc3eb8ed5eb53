//! A Lua script run on an instance's lazily opened connection: `EVALSHA`, the source sent
//! with `EVAL` when the server does not know the script yet, and a single URL's redirection
//! taken as the discovery of a cluster (reconnected with the cluster client and asked again,
//! in the same call).

use std::sync::atomic::{AtomicU64, Ordering};

use redis::{ErrorKind, RedisResult, Script};

use super::connection::Connection;
use super::direct::resp;
use super::failure::{self, Failure};
use super::lazy::LazyConnection;

/// A script with its source, so a server that does not know it yet is sent the source.
pub(crate) struct LuaScript {
    script: Script,
    source: &'static str,
}

/// What a run answered, whether it found that the single URL is a cluster node (for the
/// caller to say so under its own log target), and the connection that answered (for a
/// follow-up on the same one, as a rate limit's give-back).
pub(crate) struct Ran<T> {
    pub(crate) reply: T,
    pub(crate) found_cluster: bool,
    pub(crate) connection: Connection,
}

impl LuaScript {
    pub(crate) fn new(source: &'static str) -> Self {
        Self {
            script: Script::new(source),
            source,
        }
    }

    /// Runs the script on `keys` with the integer arguments `args` over `lazy`'s
    /// connection, counting every request in `round_trips`.
    pub(crate) async fn run<T: redis::FromRedisValue>(
        &self,
        lazy: &LazyConnection,
        keys: &[&[u8]],
        args: &[i64],
        round_trips: &AtomicU64,
    ) -> Result<Ran<T>, Failure> {
        self.run_args(lazy, keys, &Integers(args), round_trips)
            .await
    }

    /// [`run`](Self::run) with the arguments that follow the keys written by `args`.
    pub(crate) async fn run_with<T: redis::FromRedisValue>(
        &self,
        lazy: &LazyConnection,
        keys: &[&[u8]],
        args: impl Fn(&mut redis::Cmd) + Sync,
        round_trips: &AtomicU64,
    ) -> Result<Ran<T>, Failure> {
        self.run_args(lazy, keys, &Written(args), round_trips).await
    }

    async fn run_args<T: redis::FromRedisValue>(
        &self,
        lazy: &LazyConnection,
        keys: &[&[u8]],
        args: &impl Arguments,
        round_trips: &AtomicU64,
    ) -> Result<Ran<T>, Failure> {
        let mut connection = lazy.get().await?;
        let mut reply = self
            .once_args(&mut connection, keys, args, round_trips)
            .await;
        let mut found_cluster = false;
        if let Err(error) = &reply
            && failure::is_redirection(error)
            && !connection.is_cluster()
        {
            found_cluster = lazy.follow_cluster().await;
            connection = lazy.get().await?;
            reply = self
                .once_args(&mut connection, keys, args, round_trips)
                .await;
        }
        match reply {
            Ok(reply) => Ok(Ran {
                reply,
                found_cluster,
                connection,
            }),
            Err(error) => Err(Failure::from_redis(&error, lazy.timeout())),
        }
    }

    /// `EVALSHA`, or `EVAL` when the server does not know the script yet (which also makes
    /// it known for the next time), on `connection` as it is (a redirection is the caller's
    /// to follow), with the integer arguments `args`, counting each request in
    /// `round_trips`.
    pub(crate) async fn once<T: redis::FromRedisValue>(
        &self,
        connection: &mut Connection,
        keys: &[&[u8]],
        args: &[i64],
        round_trips: &AtomicU64,
    ) -> RedisResult<T> {
        self.once_args(connection, keys, &Integers(args), round_trips)
            .await
    }

    async fn once_args<T: redis::FromRedisValue>(
        &self,
        connection: &mut Connection,
        keys: &[&[u8]],
        args: &impl Arguments,
        round_trips: &AtomicU64,
    ) -> RedisResult<T> {
        round_trips.fetch_add(1, Ordering::Relaxed);
        match query(connection, "EVALSHA", self.script.get_hash(), keys, args).await {
            Err(error) if error.kind() == ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                round_trips.fetch_add(1, Ordering::Relaxed);
                query(connection, "EVAL", self.source, keys, args).await
            }
            other => other,
        }
    }
}

/// A script's arguments after its keys, as a `Cmd` takes them and as a direct connection
/// writes them.
trait Arguments: Sync {
    /// Adds the arguments to `command`.
    fn push(&self, command: &mut redis::Cmd);

    /// Writes the whole command (`name` of `script` on `keys`, then the arguments) into
    /// `out` as RESP2.
    fn write_command(&self, out: &mut Vec<u8>, name: &str, script: &str, keys: &[&[u8]]);
}

/// Integer arguments (a rate limit's and a quota's): written straight into a direct
/// connection's bytes, with no `Cmd` built.
struct Integers<'a>(&'a [i64]);

impl Arguments for Integers<'_> {
    fn push(&self, command: &mut redis::Cmd) {
        for arg in self.0 {
            command.arg(*arg);
        }
    }

    fn write_command(&self, out: &mut Vec<u8>, name: &str, script: &str, keys: &[&[u8]]) {
        resp::write_array(out, 3 + keys.len() + self.0.len());
        resp::write_bulk(out, name.as_bytes());
        resp::write_bulk(out, script.as_bytes());
        resp::write_integer(out, keys.len() as i64);
        for key in keys {
            resp::write_bulk(out, key);
        }
        for arg in self.0 {
            resp::write_integer(out, *arg);
        }
    }
}

/// Arguments of any kind written by a closure on the `Cmd` (a fleet exchange's text and
/// numbers); a direct connection is sent the packed command.
struct Written<F>(F);

impl<F: Fn(&mut redis::Cmd) + Sync> Arguments for Written<F> {
    fn push(&self, command: &mut redis::Cmd) {
        (self.0)(command);
    }

    fn write_command(&self, out: &mut Vec<u8>, name: &str, script: &str, keys: &[&[u8]]) {
        command(name, script, keys, self).write_packed_command(out);
    }
}

/// Runs `name` (`EVALSHA` or `EVAL`) of `script` on `keys` with `args`. A direct connection
/// has the command written into its outgoing bytes; the others take a `Cmd`.
async fn query<T: redis::FromRedisValue>(
    connection: &mut Connection,
    name: &str,
    script: &str,
    keys: &[&[u8]],
    args: &impl Arguments,
) -> RedisResult<T> {
    if let Connection::Direct(direct) = connection {
        let reply = direct
            .request(|out| args.write_command(out, name, script, keys))
            .await?;
        return Ok(redis::from_redis_value(reply.extract_error()?)?);
    }
    command(name, script, keys, args)
        .query_async(connection)
        .await
}

fn command(name: &str, script: &str, keys: &[&[u8]], args: &impl Arguments) -> redis::Cmd {
    let mut command = redis::cmd(name);
    command.arg(script).arg(keys.len());
    for key in keys {
        command.arg(*key);
    }
    args.push(&mut command);
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_direct_command_is_written_as_the_library_writes_it() {
        let keys: [&[u8]; 2] = [b"resilience:rate_limit:{0}:tat:a", b""];
        let args = [1, -1, i64::MAX];
        let mut direct = Vec::new();
        Integers(&args).write_command(&mut direct, "EVALSHA", "abc", &keys);
        assert_eq!(
            direct,
            command("EVALSHA", "abc", &keys, &Integers(&args)).get_packed_command()
        );
    }
}

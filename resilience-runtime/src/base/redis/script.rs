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

    /// Runs the script on `keys` with `args` over `lazy`'s connection, counting every
    /// request in `round_trips`.
    pub(crate) async fn run<T: redis::FromRedisValue>(
        &self,
        lazy: &LazyConnection,
        keys: &[&[u8]],
        args: &[i64],
        round_trips: &AtomicU64,
    ) -> Result<Ran<T>, Failure> {
        let mut connection = lazy.get().await?;
        let mut reply = self.once(&mut connection, keys, args, round_trips).await;
        let mut found_cluster = false;
        if let Err(error) = &reply
            && failure::is_redirection(error)
            && !connection.is_cluster()
        {
            found_cluster = lazy.follow_cluster().await;
            connection = lazy.get().await?;
            reply = self.once(&mut connection, keys, args, round_trips).await;
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
    /// to follow), counting each request in `round_trips`.
    pub(crate) async fn once<T: redis::FromRedisValue>(
        &self,
        connection: &mut Connection,
        keys: &[&[u8]],
        args: &[i64],
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

/// Runs `name` (`EVALSHA` or `EVAL`) of `script` on `keys` with `args`. A direct connection
/// has the command written straight into its outgoing bytes; the others take a `Cmd`.
async fn query<T: redis::FromRedisValue>(
    connection: &mut Connection,
    name: &str,
    script: &str,
    keys: &[&[u8]],
    args: &[i64],
) -> RedisResult<T> {
    if let Connection::Direct(direct) = connection {
        let reply = direct
            .request(|out| write_command(out, name, script, keys, args))
            .await?;
        return Ok(redis::from_redis_value(reply.extract_error()?)?);
    }
    command(name, script, keys, args)
        .query_async(connection)
        .await
}

/// The command [`command`] builds, written straight into `out`.
fn write_command(out: &mut Vec<u8>, name: &str, script: &str, keys: &[&[u8]], args: &[i64]) {
    resp::write_array(out, 3 + keys.len() + args.len());
    resp::write_bulk(out, name.as_bytes());
    resp::write_bulk(out, script.as_bytes());
    resp::write_integer(out, keys.len() as i64);
    for key in keys {
        resp::write_bulk(out, key);
    }
    for arg in args {
        resp::write_integer(out, *arg);
    }
}

fn command(name: &str, script: &str, keys: &[&[u8]], args: &[i64]) -> redis::Cmd {
    let mut command = redis::cmd(name);
    command.arg(script).arg(keys.len());
    for key in keys {
        command.arg(*key);
    }
    for arg in args {
        command.arg(*arg);
    }
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
        write_command(&mut direct, "EVALSHA", "abc", &keys, &args);
        assert_eq!(
            direct,
            command("EVALSHA", "abc", &keys, &args).get_packed_command()
        );
    }
}

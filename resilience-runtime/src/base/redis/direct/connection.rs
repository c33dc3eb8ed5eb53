//! A direct connection to one server: opened (the socket, then `AUTH` and `SELECT` as the
//! URL asks), and requests sent on it from the caller's own task.

use std::sync::Arc;
use std::time::Duration;

use redis::{ConnectionAddr, ConnectionInfo, ErrorKind, RedisError, ServerErrorKind, Value};

use super::queue::Reply;
use super::resp;
use super::shared::Shared;
use super::stream::Stream;
use super::ticket::Ticket;

/// A connection to one server over TCP or a Unix socket, carrying any number of concurrent
/// requests; a clone shares it.
#[derive(Clone)]
pub(crate) struct DirectConnection {
    shared: Arc<Shared>,
    /// The database the URL selected.
    db: i64,
}

impl DirectConnection {
    /// Whether `info` is a server this connection reaches: plain TCP or a Unix socket,
    /// speaking RESP2 (TLS and RESP3 stay with the client library's connection).
    pub(crate) fn reaches(info: &ConnectionInfo) -> bool {
        let plain = match info.addr() {
            ConnectionAddr::Tcp(..) => true,
            #[cfg(unix)]
            ConnectionAddr::Unix(_) => true,
            _ => false,
        };
        plain && !info.redis_settings().protocol().supports_resp3()
    }

    /// Connects to `info` and authenticates as it says. `timeout` bounds how long a write
    /// may wait for room in the socket; the caller bounds the whole of opening.
    pub(crate) async fn open(info: &ConnectionInfo, timeout: Duration) -> Result<Self, RedisError> {
        let stream = match info.addr() {
            ConnectionAddr::Tcp(host, port) => Stream::tcp(host, *port).await?,
            #[cfg(unix)]
            ConnectionAddr::Unix(path) => Stream::unix(path).await?,
            _ => {
                return Err(RedisError::from((
                    ErrorKind::InvalidClientConfig,
                    "a direct connection is plain TCP or a Unix socket",
                )));
            }
        };
        let settings = info.redis_settings();
        let connection = Self {
            shared: Shared::new(stream, timeout),
            db: settings.db(),
        };
        connection
            .set_up(settings.username(), settings.password(), settings.db())
            .await?;
        Ok(connection)
    }

    /// The database the URL selected.
    pub(crate) fn db(&self) -> i64 {
        self.db
    }

    /// `AUTH` (with the user if there is one) and `SELECT`, as the URL asks, in one round
    /// trip, checked as the client library checks them. A server that knows no users
    /// (before Redis 6) is asked again with the password alone. The password never shows in
    /// an error.
    async fn set_up(
        &self,
        mut user: Option<&str>,
        password: Option<&str>,
        db: i64,
    ) -> Result<(), RedisError> {
        loop {
            let count = usize::from(password.is_some()) + usize::from(db != 0);
            if count == 0 {
                return Ok(());
            }
            let replies = self
                .request_many(count, |out| {
                    if let Some(password) = password {
                        resp::write_array(out, 2 + usize::from(user.is_some()));
                        resp::write_bulk(out, b"AUTH");
                        if let Some(user) = user {
                            resp::write_bulk(out, user.as_bytes());
                        }
                        resp::write_bulk(out, password.as_bytes());
                    }
                    if db != 0 {
                        resp::write_array(out, 2);
                        resp::write_bulk(out, b"SELECT");
                        resp::write_integer(out, db);
                    }
                })
                .await?;
            let mut replies = replies.into_iter();
            if password.is_some() {
                match authenticated(replies.next()) {
                    Ok(()) => {}
                    Err(Retry::WithoutUser) if user.is_some() => {
                        user = None;
                        continue;
                    }
                    Err(Retry::WithoutUser) => return Err(authentication_failed()),
                    Err(Retry::No(error)) => return Err(error),
                }
            }
            if db != 0
                && let Some(Value::ServerError(error)) = replies.next()
            {
                let refused = "Redis server refused to switch database";
                return Err(match error.details() {
                    Some(detail) => (
                        ServerErrorKind::ResponseError.into(),
                        refused,
                        detail.to_owned(),
                    )
                        .into(),
                    None => (ServerErrorKind::ResponseError.into(), refused).into(),
                });
            }
            return Ok(());
        }
    }

    /// Sends the request `encode` writes (one command) and waits for its reply. A server
    /// error is a [`Value::ServerError`] in the reply, as on the library's connections.
    ///
    /// Dropped before the reply, the request stays in the order and its reply is discarded
    /// when read; nothing else waits on it.
    pub(crate) async fn request(&self, encode: impl FnOnce(&mut Vec<u8>)) -> Reply {
        let id = self.shared.submit(1, encode)?;
        Ticket::new(Arc::clone(&self.shared), id).await
    }

    /// Sends the `count` commands `encode` writes and waits for their replies, in order.
    pub(crate) async fn request_many(
        &self,
        count: usize,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> Result<Vec<Value>, RedisError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let first = self.shared.submit(count, encode)?;
        // Every ticket is made before the first wait, so leaving abandons them all.
        let tickets: Vec<Ticket> = (first..first + count as u64)
            .map(|id| Ticket::new(Arc::clone(&self.shared), id))
            .collect();
        let mut replies = Vec::with_capacity(count);
        for ticket in tickets {
            replies.push(ticket.await?);
        }
        Ok(replies)
    }
}

/// Why `AUTH` did not succeed.
enum Retry {
    /// The server knows no users: asked again with the password alone.
    WithoutUser,
    /// Refused.
    No(RedisError),
}

/// `AUTH`'s reply read as the client library reads it.
fn authenticated(reply: Option<Value>) -> Result<(), Retry> {
    match reply {
        Some(Value::Okay) => Ok(()),
        Some(Value::ServerError(error))
            if error
                .details()
                .is_some_and(|detail| detail.contains("wrong number of arguments for 'auth'")) =>
        {
            Err(Retry::WithoutUser)
        }
        Some(Value::ServerError(_)) => Err(Retry::No(authentication_failed())),
        _ => Err(Retry::No(RedisError::from((
            ServerErrorKind::ResponseError.into(),
            "Redis server refused to authenticate, returns Ok() != Value::Okay",
        )))),
    }
}

/// The client library's words for a refused password (WRONGPASS, or a user that is off).
fn authentication_failed() -> RedisError {
    RedisError::from((
        ErrorKind::AuthenticationFailed,
        "Password authentication failed",
    ))
}

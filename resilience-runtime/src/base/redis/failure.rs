//! What a failed exchange with Redis says to an operator, and whether it means the server is
//! in trouble or only that a key moved between the nodes of a cluster.

use std::time::Duration;

use redis::{ErrorKind, RedisError, ServerErrorKind};

/// A failed exchange with Redis: its description (never a password) and its kind.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    kind: FailureKind,
    message: String,
}

/// What kind of failure it was, for what the caller does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// No answer in time.
    Timeout,
    /// A cluster's redirection the client could not complete in time (MOVED, ASK, TRYAGAIN):
    /// the server is healthy, the key is moving.
    Redirect,
    /// Anything else: refused, reset, TLS, authentication, a script error, a bad URL.
    Other,
}

impl Failure {
    /// A failure with this description.
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// No answer within `after`.
    pub(crate) fn timeout(after: Duration) -> Self {
        Self::new(FailureKind::Timeout, format!("no answer within {after:?}"))
    }

    /// `error` from the client. `timeout` is the client's own bound on connecting and
    /// replies, so that its time-out reads as ours does.
    pub(crate) fn from_redis(error: &RedisError, timeout: Duration) -> Self {
        #[cfg(feature = "redis-tls")]
        if let Some(tls) = super::tls_error::describe(error) {
            return Self::new(FailureKind::Other, tls);
        }
        if error.is_timeout() {
            return Self::timeout(timeout);
        }
        let kind = match error.kind() {
            ErrorKind::Server(
                ServerErrorKind::Moved | ServerErrorKind::Ask | ServerErrorKind::TryAgain,
            ) => FailureKind::Redirect,
            _ => FailureKind::Other,
        };
        Self::new(kind, error.to_string())
    }

    /// The kind of failure.
    pub(crate) fn kind(&self) -> FailureKind {
        self.kind
    }

    /// The description, for `last_error` and the logs (read in place by tests; the backend
    /// takes it with [`into_message`](Self::into_message)).
    #[cfg(test)]
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// The description, owned.
    pub(crate) fn into_message(self) -> String {
        self.message
    }
}

/// Whether `error` is a cluster node's redirection of a key it does not serve.
pub(crate) fn is_redirection(error: &RedisError) -> bool {
    matches!(
        error.kind(),
        ErrorKind::Server(ServerErrorKind::Moved | ServerErrorKind::Ask)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirections_are_not_outages() {
        let moved = RedisError::from((
            ErrorKind::Server(ServerErrorKind::Moved),
            "moved",
            String::from("3999 127.0.0.1:7102"),
        ));
        assert!(is_redirection(&moved));
        let failure = Failure::from_redis(&moved, Duration::from_millis(100));
        assert_eq!(failure.kind(), FailureKind::Redirect);
        let refused = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(!is_redirection(&refused));
        assert_eq!(
            Failure::from_redis(&refused, Duration::from_millis(100)).kind(),
            FailureKind::Other
        );
    }

    #[test]
    fn the_clients_time_out_reads_as_ours() {
        let timed_out = RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut));
        let failure = Failure::from_redis(&timed_out, Duration::from_millis(100));
        assert_eq!(failure.kind(), FailureKind::Timeout);
        assert_eq!(failure.message(), "no answer within 100ms");
    }
}

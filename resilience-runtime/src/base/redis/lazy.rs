//! One instance's connection, opened on first use and dropped after an error, and the
//! discovery that a single URL is a cluster node. Every Redis-backed kind holds one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::connection::Connection;
use super::endpoint::Endpoint;
use super::failure::{Failure, FailureKind};
use super::url;

/// A connection opened on first use (URL from `registry().set_redis_url(..)`, else
/// `RESILIENCE_REDIS_URL`) and opened again after [`disconnect`](Self::disconnect).
pub(crate) struct LazyConnection {
    /// The open connection: every decision clones it under this short lock.
    current: Mutex<Option<Connection>>,
    /// Held while opening, so that callers arriving meanwhile wait for that one connection
    /// rather than each opening their own.
    opening: tokio::sync::Mutex<()>,
    /// A single URL answered with a redirection: it is a cluster node, reached from now on
    /// as the cluster's seed.
    cluster_seen: AtomicBool,
    /// `backend_timeout`: bounds connecting and every reply, in the client too, so that its
    /// own defaults (longer, or shorter) never decide instead.
    timeout: Duration,
}

impl LazyConnection {
    pub(crate) fn new(timeout: Duration) -> Self {
        Self {
            current: Mutex::new(None),
            opening: tokio::sync::Mutex::new(()),
            cluster_seen: AtomicBool::new(false),
            timeout,
        }
    }

    /// `backend_timeout`.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    fn current(&self) -> Option<Connection> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, connection: Option<Connection>) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = connection;
    }

    /// The open connection, or a new one.
    pub(crate) async fn get(&self) -> Result<Connection, Failure> {
        if let Some(connection) = self.current() {
            return Ok(connection);
        }
        let _opening = self.opening.lock().await;
        if let Some(connection) = self.current() {
            return Ok(connection);
        }
        let url = url::get().ok_or_else(|| {
            Failure::new(
                FailureKind::Other,
                "no Redis URL: call registry().set_redis_url(..) or set RESILIENCE_REDIS_URL",
            )
        })?;
        let cluster = url::cluster_requested() || self.cluster_seen.load(Ordering::Relaxed);
        let endpoint = Endpoint::parse(&url, cluster)?;
        let connection = Connection::open(&endpoint, self.timeout).await?;
        self.set(Some(connection.clone()));
        Ok(connection)
    }

    /// Forgets the connection after an error; the next use opens a new one. Calls still
    /// waiting on the old one end with their replies or their own deadlines, and the old
    /// connection closes with the last of them.
    pub(crate) fn disconnect(&self) {
        self.set(None);
    }

    /// A single server answered with a redirection: from now on this connects with the
    /// cluster client, taking the URL for the seed. True the first time, for the caller to
    /// say so under its own log target.
    #[cold]
    pub(crate) async fn follow_cluster(&self) -> bool {
        let first = !self.cluster_seen.swap(true, Ordering::Relaxed);
        let _opening = self.opening.lock().await;
        self.set(None);
        first
    }
}

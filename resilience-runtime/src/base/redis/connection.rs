//! One connection to Redis, whatever the deployment: a multiplexed connection to one server,
//! or a cluster connection that routes each command to the node serving its slot and follows
//! MOVED and ASK. Both carry any number of concurrent commands; a clone shares the
//! connection.
//!
//! `timeout` bounds connecting and every reply in the client too (for a cluster: each node's
//! connection, and a command with all its redirections and retries), so that the client's own
//! defaults never decide instead of the caller's.

use std::time::Duration;

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, Client, Cmd, Pipeline, RedisFuture, Value};

use super::endpoint::Endpoint;
use super::failure::{Failure, FailureKind};

/// A connection to one server or to a cluster.
#[derive(Clone)]
pub(crate) enum Connection {
    /// One server.
    Node(MultiplexedConnection),
    /// A Redis Cluster.
    Cluster(ClusterConnection),
}

impl Connection {
    /// Connects to `endpoint`, within `timeout` for each connection the client opens.
    pub(crate) async fn open(endpoint: &Endpoint, timeout: Duration) -> Result<Self, Failure> {
        if endpoint.is_cluster() {
            open_cluster(endpoint, timeout).await
        } else {
            open_node(endpoint, timeout).await
        }
    }

    /// Whether this is a cluster connection.
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

async fn open_node(endpoint: &Endpoint, timeout: Duration) -> Result<Connection, Failure> {
    let Some(info) = endpoint.nodes().first() else {
        return Err(Failure::new(
            FailureKind::Other,
            "the Redis URL names no server",
        ));
    };
    let client = client(info.clone(), endpoint.is_tls())?;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout));
    let connection = client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|error| Failure::from_redis(&error, timeout))?;
    Ok(Connection::Node(connection))
}

#[cfg(feature = "redis-tls")]
fn client(info: redis::ConnectionInfo, tls: bool) -> Result<Client, Failure> {
    let client = if tls {
        Client::build_with_tls(info, super::tls::certificates()?)
    } else {
        Client::open(info)
    };
    client.map_err(|error| Failure::from_redis(&error, Duration::ZERO))
}

#[cfg(not(feature = "redis-tls"))]
fn client(info: redis::ConnectionInfo, _tls: bool) -> Result<Client, Failure> {
    Client::open(info).map_err(|error| Failure::from_redis(&error, Duration::ZERO))
}

/// How long the cluster client sleeps before retrying a command the cluster asked it to try
/// again (TRYAGAIN while a slot migrates, CLUSTERDOWN): milliseconds, doubling from 2 up to
/// this. Its default starts above a second, far beyond any `backend_timeout`.
const MAX_CLUSTER_RETRY_WAIT_MS: u64 = 20;

async fn open_cluster(endpoint: &Endpoint, timeout: Duration) -> Result<Connection, Failure> {
    let builder = ClusterClientBuilder::new(endpoint.nodes().to_vec())
        .connection_timeout(timeout)
        .response_timeout(timeout)
        .min_retry_wait(1)
        .max_retry_wait(MAX_CLUSTER_RETRY_WAIT_MS)
        .retry_wait_formula(1, 2);
    #[cfg(feature = "redis-tls")]
    let builder = if endpoint.is_tls() {
        builder.certs(super::tls::certificates()?)
    } else {
        builder
    };
    let client = builder
        .build()
        .map_err(|error| Failure::from_redis(&error, timeout))?;
    let connection = client
        .get_async_connection()
        .await
        .map_err(|error| Failure::from_redis(&error, timeout))?;
    tracing::debug!(
        target: "resilience_runtime::redis",
        seeds = %endpoint
            .nodes()
            .iter()
            .map(|node| node.addr().to_string())
            .collect::<Vec<_>>()
            .join(","),
        "connected to the Redis Cluster"
    );
    Ok(Connection::Cluster(connection))
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Node(connection) => connection.req_packed_command(cmd),
            Self::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Node(connection) => connection.req_packed_commands(pipeline, offset, count),
            Self::Cluster(connection) => connection.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Node(connection) => connection.get_db(),
            Self::Cluster(connection) => connection.get_db(),
        }
    }
}

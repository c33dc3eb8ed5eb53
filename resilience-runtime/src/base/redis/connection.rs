//! One connection to Redis, whatever the deployment: a direct connection to one server over
//! TCP or a Unix socket (`direct`: no task between the caller and the socket), the client
//! library's multiplexed connection to one server over TLS or RESP3, or a cluster connection
//! that routes each command to the node serving its slot and follows MOVED and ASK. Each
//! carries any number of concurrent commands; a clone shares the connection.
//!
//! `timeout` bounds connecting (all of it: the socket, AUTH and SELECT), and in the client
//! library every reply too (for a cluster: each node's connection, and a command with all its
//! redirections and retries), so that the client's own defaults never decide instead of the
//! caller's. A direct connection has no defaults of its own: every caller bounds each request
//! with `backend_timeout` (a decision, a fleet exchange, a give-back), and `timeout` bounds
//! how long its write waits for room in the socket.

use std::time::Duration;

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, Client, Cmd, Pipeline, RedisFuture, Value};

use super::direct::DirectConnection;
use super::endpoint::Endpoint;
use super::failure::{Failure, FailureKind};

/// A connection to one server or to a cluster.
#[derive(Clone)]
pub(crate) enum Connection {
    /// One server over TCP or a Unix socket.
    Direct(DirectConnection),
    /// One server over TLS, or speaking RESP3.
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
    if DirectConnection::reaches(info) {
        return match tokio::time::timeout(timeout, DirectConnection::open(info, timeout)).await {
            Ok(Ok(connection)) => Ok(Connection::Direct(connection)),
            Ok(Err(error)) => Err(Failure::from_redis(&error, timeout)),
            Err(_) => Err(Failure::timeout(timeout)),
        };
    }
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

/// Retries of one command (redirections, TRYAGAIN, reconnections): enough that `timeout`,
/// which bounds the command with all of them, is what ends a slot's migration wait.
const CLUSTER_RETRIES: u32 = 64;

async fn open_cluster(endpoint: &Endpoint, timeout: Duration) -> Result<Connection, Failure> {
    let builder = ClusterClientBuilder::new(endpoint.nodes().to_vec())
        .connection_timeout(timeout)
        .response_timeout(timeout)
        .retries(CLUSTER_RETRIES)
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
            Self::Direct(connection) => {
                Box::pin(connection.request(|out| cmd.write_packed_command(out)))
            }
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
            Self::Direct(connection) => Box::pin(async move {
                let mut replies = connection
                    .request_many(offset + count, |out| {
                        out.extend_from_slice(&pipeline.get_packed_pipeline());
                    })
                    .await?;
                Ok(replies.split_off(offset.min(replies.len())))
            }),
            Self::Node(connection) => connection.req_packed_commands(pipeline, offset, count),
            Self::Cluster(connection) => connection.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Direct(connection) => connection.db(),
            Self::Node(connection) => connection.get_db(),
            Self::Cluster(connection) => connection.get_db(),
        }
    }
}

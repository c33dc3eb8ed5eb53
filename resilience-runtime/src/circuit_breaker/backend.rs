//! [`Backend`] and [`BackendStatus`]: where a breaker's state lives, and how a fleet
//! breaker's link to the shared state is doing.

use std::fmt;
use std::time::Duration;

/// Where a breaker's state lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// In this process alone.
    #[default]
    Local,
    /// Shared by every process that names the breaker, through a Redis server: each process
    /// decides its calls locally and exchanges its outcomes and the shared state every
    /// `sync_interval` (see the [fleet section](super#a-breaker-for-the-fleet)). Needs the
    /// crate's `redis` feature; the server's URL comes from
    /// [`Registry::set_redis_url`](crate::Registry::set_redis_url) or `RESILIENCE_REDIS_URL`.
    // Present without the feature (attributes name it either way); docs.rs marks it.
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    Redis,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Local => "local",
            Self::Redis => "redis",
        })
    }
}

/// How a fleet breaker is linked to the fleet's shared state right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FleetLink {
    /// No exchange with the backend has completed yet.
    Connecting,
    /// The last exchange succeeded: the fleet's state decides.
    Connected,
    /// The last exchange failed: this process decides with its own breaker until the backend
    /// answers again (`last_error` says why).
    FallenBack,
    /// This breaker cannot reach the fleet at all and decides alone: built without the `redis`
    /// feature, used outside a tokio runtime, or made with
    /// [`CircuitBreaker::new`](super::CircuitBreaker::new) rather than
    /// [`CircuitBreaker::shared`](super::CircuitBreaker::shared) or the registry (such a
    /// breaker joins the fleet only when [`sync_fleet`](super::CircuitBreaker::sync_fleet) is
    /// called).
    LocalOnly,
}

impl fmt::Display for FleetLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::FallenBack => "fallen_back",
            Self::LocalOnly => "local_only",
        })
    }
}

/// How a fleet breaker's backend is doing, in its
/// [snapshot](super::CircuitBreakerSnapshot::backend_status).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct BackendStatus {
    /// The backend.
    pub backend: Backend,
    /// Whether the fleet decides (connected) or this process does (fallen back, local only).
    pub link: FleetLink,
    /// Whether the last exchange with the backend succeeded (`false` before the first).
    pub available: bool,
    /// How often this process exchanges outcomes and state with the fleet.
    pub sync_interval: Duration,
    /// Exchanges the backend completed.
    pub syncs: u64,
    /// Requests sent to the backend: one per exchange, plus one when the server does not
    /// know the script yet.
    pub round_trips: u64,
    /// Failed exchanges (errors and time-outs).
    pub errors: u64,
    /// Times the backend became unavailable: a run of failures, however long, counts once.
    pub incidents: u64,
    /// The generation of the shared state last read: it grows by one with every change of
    /// the fleet's state.
    pub fleet_generation: Option<u64>,
    /// Whether this process holds the fleet's half-open trial lease: its calls are the
    /// fleet's trial calls.
    pub holds_trial: bool,
    /// The error of the current incident; `None` once the backend answers again.
    pub last_error: Option<String>,
}

//! The glue between a limiter and a remote [`Backend`]: the time budget of a decision, the
//! `on_backend_error` policy, and what the backend reports.
//!
//! A decision that the backend does not answer within its budget (`backend_timeout`, and in
//! the waiting modes also `max_wait`) counts as a failure. After a failure the backend is
//! left alone for a second (`base/backend/health.rs`): calls in that time go straight to the
//! policy, without I/O, so an unreachable server costs one slow call per interval, not one
//! per call. A redirection a cluster client could not complete in time (a key moving between
//! nodes) fails only its own decision: the server is healthy, and the next call asks again.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::gcra::Gcra;
#[cfg(feature = "redis")]
use super::redis::{RedisLimit, Reply, Undo};
use super::traffic::Traffic;
use super::{Backend, BackendStatus, OnBackendError, RateLimitConfig};
use crate::base::backend::health::BackendHealth;
pub(super) use crate::base::backend::remote_key::RemoteKey;
use crate::base::clock::{self, Nanos};
#[cfg(feature = "redis")]
use crate::base::redis::failure::{Failure, FailureKind};

/// What the backend (or the policy standing in for it) decided.
pub(super) enum Verdict {
    /// A permit, usable after `wait`; `give_back` returns it if the caller does not wait.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Permit { wait: Nanos, give_back: GiveBack },
    /// No permit within the budget; the time until one, if any will ever come.
    Reject(Option<Nanos>),
    /// The backend could not decide: apply this policy.
    Unavailable(OnBackendError),
}

/// Returns a reservation the caller will not use.
pub(super) struct GiveBack {
    #[cfg(feature = "redis")]
    undo: Option<Undo>,
}

impl GiveBack {
    #[cfg(feature = "redis")]
    pub(super) fn new(undo: Undo) -> Self {
        Self { undo: Some(undo) }
    }

    /// Sends the reservation back, in the background (best effort).
    pub(super) fn send(self) {
        #[cfg(feature = "redis")]
        if let Some(undo) = self.undo {
            undo.send();
        }
    }
}

/// A limiter's remote backend and its health.
pub(super) struct Remote {
    name: &'static str,
    backend: Backend,
    on_backend_error: OnBackendError,
    timeout: Duration,
    health: BackendHealth,
    traffic: Arc<Traffic>,
    #[cfg(feature = "redis")]
    redis: RedisLimit,
}

impl Remote {
    /// The remote part of a limiter declared with `config`; `None` for a local limiter.
    pub(super) fn new(name: &'static str, config: &RateLimitConfig) -> Option<Self> {
        let backend = config.backend();
        if backend == Backend::Local {
            return None;
        }
        if cfg!(not(feature = "redis")) {
            tracing::error!(
                target: "resilience_runtime::rate_limit",
                name,
                on_backend_error = %config.on_backend_error(),
                "rate limiter declared with backend = \"redis\", but resilience-runtime was \
                 built without its `redis` feature; every decision follows on_backend_error"
            );
        }
        Some(Self {
            name,
            backend,
            on_backend_error: config.on_backend_error(),
            timeout: config.backend_timeout(),
            health: BackendHealth::default(),
            traffic: Arc::default(),
            #[cfg(feature = "redis")]
            redis: RedisLimit::new(name, config.backend_timeout()),
        })
    }

    /// Asks the backend for a permit of `key` (the unkeyed limit for `None`) that conforms
    /// within `budget`, with at most `max_queue` calls already waiting for theirs.
    pub(super) async fn decide(
        &self,
        key: Option<&RemoteKey>,
        gcra: &Gcra,
        budget: Nanos,
        max_queue: usize,
    ) -> Verdict {
        if gcra.is_closed() {
            return Verdict::Reject(None);
        }
        let now = clock::now();
        if self.health.resting(now) {
            return self.fallback();
        }
        // In the waiting modes the answer must come within the wait budget too.
        let limit = if budget > 0 {
            self.timeout.min(clock::to_duration(budget))
        } else {
            self.timeout
        };
        #[cfg(feature = "redis")]
        {
            let key = key.map(|key| key.0.as_slice());
            let request = self
                .redis
                .decide(key, gcra, budget, max_queue, &self.traffic);
            match tokio::time::timeout(limit, request).await {
                Ok(Ok(reply)) => {
                    if let Some(error) = self.health.answered() {
                        self.recovered(&error);
                    }
                    match reply {
                        Reply::Reserved { wait, undo } => Verdict::Permit {
                            wait,
                            give_back: GiveBack::new(undo),
                        },
                        Reply::Rejected { wait } => Verdict::Reject(Some(wait)),
                    }
                }
                Ok(Err(failure)) => {
                    self.redis.disconnect();
                    // A key moving between a cluster's nodes is no outage: the next call
                    // asks again rather than resting the backend.
                    let rest = failure.kind() != FailureKind::Redirect;
                    self.failed(now, failure.into_message(), rest)
                }
                Err(_) => {
                    self.redis.disconnect();
                    self.failed(now, Failure::timeout(limit).into_message(), true)
                }
            }
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = (key, max_queue, limit);
            self.failed(
                now,
                String::from("resilience-runtime was built without its `redis` feature"),
                true,
            )
        }
    }

    /// The first answer after an incident.
    #[cold]
    #[cfg(feature = "redis")]
    fn recovered(&self, error: &str) {
        tracing::info!(
            target: "resilience_runtime::rate_limit",
            name = self.name,
            %error,
            "rate limiter backend is back"
        );
    }

    /// A decision the backend did not make; `rest` leaves the backend alone for a while.
    fn failed(&self, now: Nanos, error: String, rest: bool) -> Verdict {
        if self.health.failed(now, error.clone(), rest) {
            tracing::warn!(
                target: "resilience_runtime::rate_limit",
                name = self.name,
                backend = %self.backend,
                %error,
                policy = %self.on_backend_error,
                "rate limiter backend unavailable; following on_backend_error"
            );
        }
        self.fallback()
    }

    fn fallback(&self) -> Verdict {
        self.health.fell_back();
        Verdict::Unavailable(self.on_backend_error)
    }

    /// What the snapshot shows.
    pub(super) fn status(&self) -> BackendStatus {
        BackendStatus {
            backend: self.backend,
            on_backend_error: self.on_backend_error,
            available: self.health.available(),
            decisions: self.health.decisions(),
            round_trips: self.traffic.round_trips.load(Ordering::Relaxed),
            give_backs: self.traffic.give_backs.load(Ordering::Relaxed),
            errors: self.health.errors(),
            incidents: self.health.incidents(),
            fallback_decisions: self.health.fallbacks(),
            last_error: self.health.last_error(),
        }
    }
}

//! The glue between a quota and its remote [`Backend`]: the time bound of a decision, the
//! backend's health, and what the `on_backend_error` policy is asked to decide.
//!
//! A decision the backend does not answer within `backend_timeout` counts as a failure;
//! after a failure the backend is left alone for a second, calls in that time going straight
//! to the policy without I/O (`base/backend/health.rs`, shared with rate limits). A cluster's
//! redirection the client could not complete in time fails only its own decision.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[cfg(feature = "redis")]
use super::redis::RedisQuota;
use super::{Backend, BackendStatus, OnBackendError, QuotaConfig};
use crate::base::backend::health::BackendHealth;
use crate::base::backend::remote_key::RemoteKey;
use crate::base::clock::{self, Nanos};
#[cfg(feature = "redis")]
use crate::base::redis::failure::{Failure, FailureKind};

/// What the backend (or the policy standing in for it) decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Counted.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Admitted,
    /// Refused: the allowance is used up until `resets_in` from now.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Rejected { resets_in: Nanos },
    /// The backend could not decide: apply this policy.
    Unavailable(OnBackendError),
}

/// A quota's remote backend and its health.
pub(super) struct Remote {
    name: &'static str,
    backend: Backend,
    on_backend_error: OnBackendError,
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    timeout: Duration,
    health: BackendHealth,
    round_trips: AtomicU64,
    #[cfg(feature = "redis")]
    redis: RedisQuota,
}

impl Remote {
    /// The remote part of a quota declared with `config` (period `period`, in nanoseconds);
    /// `None` for a local quota.
    pub(super) fn new(name: &'static str, config: &QuotaConfig, period: Nanos) -> Option<Self> {
        let backend = config.backend();
        if backend == Backend::Local {
            return None;
        }
        if cfg!(not(feature = "redis")) {
            tracing::error!(
                target: "resilience_runtime::quota",
                name,
                on_backend_error = %config.on_backend_error(),
                "quota declared with backend = \"redis\", but resilience-runtime was built \
                 without its `redis` feature; every decision follows on_backend_error"
            );
        }
        #[cfg(not(feature = "redis"))]
        let _ = period;
        Some(Self {
            name,
            backend,
            on_backend_error: config.on_backend_error(),
            timeout: config.backend_timeout(),
            health: BackendHealth::default(),
            round_trips: AtomicU64::new(0),
            #[cfg(feature = "redis")]
            redis: RedisQuota::new(name, config.window(), period, config.backend_timeout()),
        })
    }

    /// Asks the backend to count one call of `key` (the unkeyed quota for `None`) against
    /// `limit` (at least 1).
    pub(super) async fn decide(&self, key: Option<&RemoteKey>, limit: u32) -> Verdict {
        let now = clock::now();
        if self.health.resting(now) {
            return self.fallback();
        }
        #[cfg(feature = "redis")]
        {
            let key = key.map(|key| key.0.as_slice());
            let request = self.redis.decide(key, limit, &self.round_trips);
            match tokio::time::timeout(self.timeout, request).await {
                Ok(Ok(reply)) => {
                    if let Some(error) = self.health.answered() {
                        self.recovered(&error);
                    }
                    if reply.admitted {
                        Verdict::Admitted
                    } else {
                        Verdict::Rejected {
                            resets_in: reply.resets_in,
                        }
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
                    self.failed(now, Failure::timeout(self.timeout).into_message(), true)
                }
            }
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = (key, limit);
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
            target: "resilience_runtime::quota",
            name = self.name,
            %error,
            "quota backend is back"
        );
    }

    /// A decision the backend did not make; `rest` leaves the backend alone for a while.
    #[cold]
    fn failed(&self, now: Nanos, error: String, rest: bool) -> Verdict {
        if self.health.failed(now, error.clone(), rest) {
            tracing::warn!(
                target: "resilience_runtime::quota",
                name = self.name,
                backend = %self.backend,
                %error,
                policy = %self.on_backend_error,
                "quota backend unavailable; following on_backend_error"
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
            round_trips: self.round_trips.load(Ordering::Relaxed),
            errors: self.health.errors(),
            incidents: self.health.incidents(),
            fallback_decisions: self.health.fallbacks(),
            last_error: self.health.last_error(),
        }
    }
}

//! One exchange with the fleet and what follows: the process's part sent, the shared state
//! applied to the local breaker, or, when the backend fails, the local breaker left to decide
//! alone until the backend answers again.

use std::sync::PoisonError;
use std::time::Duration;

use super::super::CircuitBreaker;
use super::super::backend::FleetLink;
use super::super::event::TransitionReason;
use super::super::state::CircuitState;
use super::exchange::{Exchange, Rules, Shared, Verdict};
use super::link::{Lease, Link};
use super::outbox::Outcomes;
use crate::base::clock;
use crate::base::redis::failure::Failure;

/// How long a failed backend is left alone before the next exchange tries it again.
pub(crate) const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

impl CircuitBreaker {
    /// One exchange with the fleet (see [`sync_fleet`](Self::sync_fleet)).
    pub(in super::super) async fn exchange_with_fleet(&self) -> FleetLink {
        let Some(link) = &self.fleet else {
            return FleetLink::LocalOnly;
        };
        let _one_at_a_time = link.exchanging.lock().await;
        let now = clock::now();
        if link.resting(now) {
            return link.link();
        }
        let config = self.config();
        let exchange = self.next_exchange(link, link.link() == FleetLink::FallenBack);
        let rules = Rules::of(&config);
        let timeout = config.backend_timeout();
        let answer = tokio::time::timeout(
            timeout,
            link.redis.exchange(&link.process, &exchange, &rules),
        )
        .await;
        let reply = match answer {
            Ok(Ok(reply)) => Shared::decode(&reply).ok_or_else(|| {
                Failure::new(
                    crate::base::redis::failure::FailureKind::Other,
                    "the fleet breaker's script answered with an unexpected shape",
                )
            }),
            Ok(Err(failure)) => Err(failure),
            Err(_) => Err(Failure::timeout(timeout)),
        };
        match reply {
            Ok(shared) => {
                self.joined(link, &shared);
                self.apply_shared(link, &shared);
            }
            Err(failure) => {
                link.redis.disconnect();
                self.fell_back(link, &exchange, now, failure.into_message());
            }
        }
        link.link()
    }

    /// This process's part of the next exchange. The outcomes are taken whether or not the
    /// exchange succeeds, and those recorded while `fallen_back` are dropped: they were
    /// judged here, and sending them on re-joining would judge them twice (a run of failures
    /// that opened this breaker alone would open the fleet's).
    fn next_exchange(&self, link: &Link, fallen_back: bool) -> Exchange {
        let counts = self.counters.lifetime();
        let taken = link
            .outbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take(counts);
        let outcomes = if fallen_back {
            Outcomes::default()
        } else {
            taken
        };
        let current = self.load();
        let lease = *link.lease.lock().unwrap_or_else(PoisonError::into_inner);
        // The lease's half-open period ended here: its trial calls decided.
        let verdict = lease
            .filter(|lease| lease.local_generation != current.generation())
            .and_then(|lease| match current.state() {
                CircuitState::Closed => Some((Verdict::Closed, lease.fleet_generation)),
                CircuitState::Open => Some((Verdict::Reopened, lease.fleet_generation)),
                _ => None,
            });
        Exchange {
            calls: outcomes.calls,
            failed: outcomes.failed,
            slow: outcomes.slow,
            run: self.consecutive.load(std::sync::atomic::Ordering::Relaxed),
            action: link
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
            verdict,
        }
    }

    /// The backend answered.
    fn joined(&self, link: &Link, shared: &Shared) {
        link.syncs
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let error = link
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if link.link() != FleetLink::Connected {
            tracing::info!(
                target: "resilience_runtime::circuit_breaker",
                name = self.name,
                fleet_state = %shared.state,
                generation = shared.generation,
                previous_error = error.as_deref().unwrap_or("none"),
                "fleet circuit breaker joined the fleet's shared state"
            );
        }
        link.set_link(FleetLink::Connected);
        link.read(shared.generation, shared.holds_trial);
    }

    /// The backend failed: this process decides alone, and the manual action waits for the
    /// next exchange that succeeds.
    fn fell_back(&self, link: &Link, exchange: &Exchange, now: clock::Nanos, error: String) {
        use std::sync::atomic::Ordering::Relaxed;
        let first = link.errors.fetch_add(1, Relaxed) == 0;
        if link.link() == FleetLink::Connected || first {
            link.incidents.fetch_add(1, Relaxed);
            tracing::warn!(
                target: "resilience_runtime::circuit_breaker",
                name = self.name,
                %error,
                "fleet circuit breaker cannot reach the fleet; deciding with this process's \
                 own breaker until it can"
            );
        }
        if let Some(action) = exchange.action {
            let mut pending = link.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.get_or_insert(action);
        }
        link.set_link(FleetLink::FallenBack);
        link.resting_until.store(
            now.saturating_add(clock::to_nanos(RETRY_AFTER_FAILURE)),
            Relaxed,
        );
        *link
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(error);
    }

    /// Moves the local breaker to the state the fleet asks of this process, as one
    /// transition tagged as the fleet's.
    fn apply_shared(&self, link: &Link, shared: &Shared) {
        let target = shared.local_target();
        let reason = TransitionReason::Fleet {
            cause: shared.local_cause(),
            generation: shared.generation,
        };
        let mut current = self.load();
        while current.state() != target {
            let next = match target {
                CircuitState::Open | CircuitState::HalfOpen => {
                    current.next(target).with_streak(shared.streak)
                }
                other => current.next(other),
            };
            let moved = if target == CircuitState::Open {
                // The local open period lasts what is left of the fleet's (frozen as
                // `open_for` does, under the same lock), so rejections tell the fleet's time.
                let _writer = self.in_force.lock().unwrap_or_else(PoisonError::into_inner);
                let left = clock::to_nanos(shared.open_left);
                self.frozen.freeze(next.generation(), Some(left));
                self.transition(current, next, reason)
            } else {
                self.transition(current, next, reason)
            };
            match moved {
                Ok(()) => current = next,
                Err(actual) => current = actual,
            }
        }
        let mut lease = link.lease.lock().unwrap_or_else(PoisonError::into_inner);
        *lease = (shared.holds_trial && current.state() == CircuitState::HalfOpen).then(|| {
            lease
                .filter(|held| held.fleet_generation == shared.generation)
                .unwrap_or(Lease {
                    fleet_generation: shared.generation,
                    local_generation: current.generation(),
                })
        });
    }
}

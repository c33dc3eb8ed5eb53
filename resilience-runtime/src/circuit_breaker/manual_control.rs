//! Manual control of a breaker: reset, close, force open, disable, metrics only. Each is a
//! transition like any other (an event, counted); forced open, disabled and metrics-only hold
//! until the next manual transition.

use std::sync::PoisonError;
use std::time::Duration;

use crate::base::clock;

use super::CircuitBreaker;
use super::event::TransitionReason;
use super::state::CircuitState;

impl CircuitBreaker {
    /// Closes the breaker and clears its window and call counts (the transition count keeps
    /// running). Permits acquired before the reset no longer affect the breaker. Resetting a
    /// closed breaker starts a fresh period but emits no transition event.
    pub fn reset(&self) {
        #[cfg(feature = "redis")]
        self.tell_fleet(super::fleet::ManualAction::Reset);
        let mut current = self.load();
        loop {
            match self.transition(
                current,
                current.next(CircuitState::Closed),
                TransitionReason::Reset,
            ) {
                Ok(()) => break,
                Err(actual) => current = actual,
            }
        }
        self.counters.clear_calls();
        if current.state() == CircuitState::Closed {
            tracing::debug!(
                target: "resilience_runtime::circuit_breaker",
                name = self.name, "circuit breaker reset");
        }
    }

    /// Closes the breaker by hand, from any state, with an empty window; the call counts keep
    /// running (unlike [`reset`](Self::reset)). Does nothing if it is closed already.
    pub fn close(&self) {
        #[cfg(feature = "redis")]
        self.tell_fleet(super::fleet::ManualAction::Close);
        self.move_to(CircuitState::Closed, TransitionReason::ManualClose);
    }

    /// Opens the breaker until another manual transition ([`reset`](Self::reset),
    /// [`close`](Self::close), ...), whatever the outcomes; every call is rejected with
    /// [`Error::CircuitOpen`](crate::Error::CircuitOpen) without a retry hint. Does nothing if
    /// it is forced open already.
    pub fn force_open(&self) {
        #[cfg(feature = "redis")]
        self.tell_fleet(super::fleet::ManualAction::ForceOpen);
        self.move_to(CircuitState::ForcedOpen, TransitionReason::ForcedOpen);
    }

    /// Opens the breaker for `duration`, from any state: calls are rejected with
    /// [`Error::CircuitOpen`](crate::Error::CircuitOpen) and the time left as their retry
    /// hint, then the breaker recovers through half-open as after any opening (trial calls,
    /// then closed or open again, for the configured recovery timeout). For tests of what
    /// callers do while a dependency is down (resilience4j's `transitionToOpenStateFor`).
    ///
    /// ```
    /// use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitState};
    /// use std::time::Duration;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true)
    /// #     .build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::new("doc-open-for", CircuitBreakerConfig::new());
    /// breaker.open_for(Duration::from_secs(5));
    /// assert!(breaker.try_acquire().is_err());
    /// tokio::time::advance(Duration::from_secs(5)).await;
    /// breaker.try_acquire().unwrap().record_success(); // a trial call
    /// assert_eq!(breaker.state(), CircuitState::HalfOpen);
    /// # });
    /// ```
    pub fn open_for(&self, duration: Duration) {
        #[cfg(feature = "redis")]
        self.tell_fleet(super::fleet::ManualAction::OpenFor(duration));
        // Frozen lengths have one writer at a time: the reconfiguring one, under this lock.
        let _writer = self.in_force.lock().unwrap_or_else(PoisonError::into_inner);
        let length = clock::to_nanos(duration);
        let mut current = self.load();
        loop {
            let next = current.next(CircuitState::Open);
            self.frozen.freeze(next.generation(), Some(length));
            match self.transition(current, next, TransitionReason::OpenedFor { duration }) {
                Ok(()) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Moves the breaker to half-open now, from any state, with a fresh set of trial permits:
    /// the next calls are its trial calls (pybreaker's half-open scenarios).
    pub fn half_open(&self) {
        #[cfg(feature = "redis")]
        self.tell_fleet(super::fleet::ManualAction::HalfOpen);
        let mut current = self.load();
        loop {
            let next = current.next(CircuitState::HalfOpen);
            match self.transition(current, next, TransitionReason::ManualHalfOpen) {
                Ok(()) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Switches the breaker off until another manual transition: every call passes and
    /// nothing is recorded, not even in the metrics.
    pub fn disable(&self) {
        #[cfg(feature = "redis")]
        self.tell_fleet(super::fleet::ManualAction::Disable);
        self.move_to(CircuitState::Disabled, TransitionReason::Disabled);
    }

    /// Keeps recording every call as a closed breaker does, with a fresh window, but never
    /// opens, until another manual transition. For trying a configuration on live traffic.
    pub fn metrics_only(&self) {
        #[cfg(feature = "redis")]
        self.tell_fleet(super::fleet::ManualAction::MetricsOnly);
        self.move_to(CircuitState::MetricsOnly, TransitionReason::MetricsOnly);
    }

    /// Moves to `state` unless the breaker is in it already.
    fn move_to(&self, state: CircuitState, reason: TransitionReason) {
        let mut current = self.load();
        while current.state() != state {
            match self.transition(current, current.next(state), reason) {
                Ok(()) => return,
                Err(actual) => current = actual,
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn force_open_until_reset() {
        start().await;
        let breaker = breaker(CircuitBreakerConfig::new().with_recovery_timeout(SEC));
        let before = breaker.try_acquire().expect("closed");
        fail(&breaker);
        breaker.force_open();
        breaker.force_open(); // idempotent
        assert_eq!(breaker.state(), CircuitState::ForcedOpen);
        assert_eq!(retry_after(breaker.try_acquire()), None);
        advance(SEC * 120).await; // no recovery timeout applies
        assert_eq!(retry_after(breaker.try_acquire()), None);
        assert_eq!(breaker.state(), CircuitState::ForcedOpen);

        breaker.reset();
        assert_eq!(breaker.state(), CircuitState::Closed);
        let metrics = breaker.metrics();
        assert_eq!(
            (
                metrics.failed,
                metrics.not_permitted,
                metrics.consecutive_failures
            ),
            (0, 0, 0)
        );
        assert_eq!(metrics.transitions, 2);
        // A permit from before the reset does not count in the new period.
        before.record_failure();
        assert_eq!(breaker.metrics().consecutive_failures, 0);
        succeed(&breaker);

        // Reset of an open breaker closes it at once.
        for _ in 0..5 {
            fail(&breaker);
        }
        assert_eq!(breaker.state(), CircuitState::Open);
        breaker.reset();
        assert_eq!(breaker.state(), CircuitState::Closed);
        assert_eq!(breaker.metrics().transitions, 4);
    }

    #[tokio::test(start_paused = true)]
    async fn disabled_passes_everything_and_records_nothing() {
        start().await;
        let breaker = breaker(CircuitBreakerConfig::new().with_failure_threshold(1));
        let (_subscription, events) = record_events(&breaker);
        breaker.disable();
        breaker.disable(); // already disabled: nothing happens
        assert_eq!(breaker.state(), CircuitState::Disabled);
        for _ in 0..10 {
            fail(&breaker);
            breaker.try_acquire().expect("passes").record_ignored();
        }
        let metrics = breaker.metrics();
        assert_eq!(
            (
                metrics.failed,
                metrics.ignored,
                metrics.consecutive_failures
            ),
            (0, 0, 0)
        );
        assert_eq!(breaker.state(), CircuitState::Disabled);
        breaker.close();
        fail(&breaker);
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(
            *events.lock().unwrap(),
            [
                "closed → disabled (disabled)",
                "disabled → closed (closed by hand)",
                "closed → open (1 consecutive failures)"
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn metrics_only_records_but_never_opens() {
        start().await;
        let breaker = breaker(
            CircuitBreakerConfig::new()
                .with_failure_rate(50)
                .with_window_calls(4)
                .with_minimum_calls(4),
        );
        fail(&breaker);
        breaker.metrics_only();
        assert_eq!(breaker.state(), CircuitState::MetricsOnly);
        assert_eq!(breaker.metrics().calls_in_window, 0, "a fresh window");
        for _ in 0..8 {
            fail(&breaker);
        }
        let metrics = breaker.metrics();
        assert_eq!(breaker.state(), CircuitState::MetricsOnly);
        assert_eq!(metrics.failed, 9);
        assert_eq!(metrics.failure_rate, Some(100.0));
        assert_eq!(metrics.consecutive_failures, 8);
        // Back to closed with a fresh window: it takes new calls to open.
        breaker.close();
        assert_eq!(breaker.metrics().calls_in_window, 0);
        for _ in 0..3 {
            fail(&breaker);
        }
        assert_eq!(breaker.state(), CircuitState::Closed);
        fail(&breaker);
        assert_eq!(breaker.state(), CircuitState::Open);
    }

    #[tokio::test(start_paused = true)]
    async fn manual_transitions_and_no_event_for_the_current_state() {
        start().await;
        let breaker = tripped(CircuitBreakerConfig::new().with_recovery_timeout(SEC * 60));
        let (_subscription, events) = record_events(&breaker);
        breaker.close();
        assert_eq!(breaker.state(), CircuitState::Closed);
        succeed(&breaker);
        breaker.close(); // closed already
        breaker.reset(); // a fresh period, counts cleared, no event
        assert_eq!(breaker.metrics().successful, 0);
        breaker.force_open();
        breaker.force_open();
        breaker.metrics_only();
        breaker.metrics_only();
        breaker.reset();
        assert_eq!(
            *events.lock().unwrap(),
            [
                "open → closed (closed by hand)",
                "closed → forced_open (forced open)",
                "forced_open → metrics_only (metrics only)",
                "metrics_only → closed (reset)"
            ]
        );
        assert_eq!(breaker.metrics().transitions, 5);
    }
}

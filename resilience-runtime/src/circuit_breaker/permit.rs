//! The permission to make one call, and the recording of its outcome.

use std::mem::ManuallyDrop;

use crate::base::clock::Nanos;

use super::CircuitBreaker;

/// Which period a permit was acquired in, and so what its outcome may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum PermitKind {
    /// Closed: counts, and may open the breaker.
    Closed,
    /// A half-open trial call.
    Trial,
    /// Metrics-only: counts, never opens.
    MetricsOnly,
    /// Disabled: records nothing.
    Disabled,
}

/// How a permitted call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Success,
    Failure,
    Ignored,
}

/// Permission from [`CircuitBreaker::try_acquire`] to make one call.
///
/// Record how the call ended with exactly one of [`record_success`](Self::record_success),
/// [`record_failure`](Self::record_failure) or [`record_ignored`](Self::record_ignored).
/// Dropping the permit without recording counts as `record_ignored`, so a cancelled future or a
/// panicking call gives a half-open trial permit back instead of leaking it. A permit of a
/// [disabled](CircuitBreaker::disable) breaker records nothing at all.
///
/// A permit belongs to the breaker period (generation) it was acquired in. An outcome recorded
/// after the breaker changed state, e.g. a slow call that fails after the breaker already
/// opened, still counts in the [metrics](CircuitBreaker::metrics) totals but never changes the
/// state, the window or the consecutive-failure count of the new period.
///
/// ```
/// use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitState};
///
/// let breaker = CircuitBreaker::new("doc-permit", CircuitBreakerConfig::new().with_failure_threshold(1));
/// let permit = breaker.try_acquire().expect("closed");
/// permit.record_failure();
/// assert_eq!(breaker.state(), CircuitState::Open);
/// assert!(breaker.try_acquire().is_err());
/// ```
#[derive(Debug)]
#[must_use = "record the call's outcome on the permit; dropping it counts the call as ignored"]
pub struct CircuitPermit<'a> {
    pub(super) breaker: &'a CircuitBreaker,
    pub(super) period: PermitPeriod,
    /// When the call started; only read when slow calls are tracked.
    pub(super) started: Nanos,
}

/// The generation and kind of a permit, in one word: written with one store, so moving a
/// permit right after acquiring it reads back what was just written in one piece (two
/// narrower stores read back by one wide load stall the CPU's store forwarding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PermitPeriod(u64);

impl PermitPeriod {
    #[inline(always)]
    pub(super) const fn new(generation: u32, kind: PermitKind) -> Self {
        Self(generation as u64 | (kind as u64) << 32)
    }

    #[inline(always)]
    pub(super) const fn generation(self) -> u32 {
        self.0 as u32
    }

    #[inline(always)]
    pub(super) const fn kind(self) -> PermitKind {
        match (self.0 >> 32) as u8 {
            0 => PermitKind::Closed,
            1 => PermitKind::Trial,
            2 => PermitKind::MetricsOnly,
            _ => PermitKind::Disabled,
        }
    }
}

impl CircuitPermit<'_> {
    /// The call succeeded.
    #[inline]
    pub fn record_success(self) {
        self.finish(Outcome::Success);
    }

    /// The call failed: counts toward opening the breaker; in half-open it reopens it.
    #[inline]
    pub fn record_failure(self) {
        self.finish(Outcome::Failure);
    }

    /// The outcome does not count, e.g. an ignored error or an inner layer's rejection. In
    /// half-open the trial permit is given back for another call.
    #[inline]
    pub fn record_ignored(self) {
        self.finish(Outcome::Ignored);
    }

    #[inline]
    fn finish(self, outcome: Outcome) {
        // Recorded here, so not again on drop.
        let permit = ManuallyDrop::new(self);
        // By value, not by reference: the permit then stays in registers.
        permit
            .breaker
            .complete(permit.period, permit.started, outcome);
    }
}

impl Drop for CircuitPermit<'_> {
    fn drop(&mut self) {
        self.breaker
            .complete(self.period, self.started, Outcome::Ignored);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::test_support::*;

    #[tokio::test(start_paused = true)]
    async fn panicking_call_gives_trial_permit_back() {
        start().await;
        let breaker = tripped(
            CircuitBreakerConfig::new()
                .with_recovery_timeout(SEC)
                .with_success_threshold(1),
        );
        advance(SEC).await;
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _permit = breaker.try_acquire().expect("trial");
            panic!("the call panics");
        }));
        assert!(panicked.is_err());
        succeed(&breaker);
        assert_eq!(breaker.state(), CircuitState::Closed);
    }
}

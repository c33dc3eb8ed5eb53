//! The public ways into a breaker: ask for a permit, or run a future under one.

use std::future::Future;

use crate::Error;

use super::CircuitBreaker;
use super::permit::{CircuitPermit, PermitKind, PermitPeriod};
use super::state::CircuitState;

impl CircuitBreaker {
    /// Asks to make one call.
    ///
    /// While the [kill switch](crate::config#the-kill-switch) is engaged every call is
    /// permitted and nothing is recorded.
    ///
    /// Closed, metrics-only, disabled: always permitted. Open: rejected with
    /// `Error::CircuitOpen` whose `retry_after` is the remaining open time, until the open wait
    /// has passed; then this call moves the breaker to half-open and is its first trial call.
    /// Half-open: permitted while trial permits remain, otherwise rejected without a hint; past
    /// `max_wait_in_half_open` this call reopens the breaker and is rejected. Forced open:
    /// rejected without a hint.
    ///
    /// # Errors
    ///
    /// [`Error::CircuitOpen`] when the breaker does not admit the call.
    #[inline(always)]
    pub fn try_acquire(&self) -> Result<CircuitPermit<'_>, Error> {
        if crate::base::kill_switch::engaged() {
            // A pass-through: admitted, and recorded nowhere.
            return Ok(CircuitPermit {
                breaker: self,
                period: PermitPeriod::new(0, PermitKind::Disabled),
                started: 0,
            });
        }
        let current = self.load();
        if current.state() == CircuitState::Closed {
            return Ok(self.permit(current.generation(), PermitKind::Closed));
        }
        self.acquire_outside_closed(current)
    }

    /// Runs `fut` if the breaker admits it and records the outcome: every `Ok` is a success,
    /// every `Err` a failure. A rejection is returned as `E::from(Error::CircuitOpen { .. })`
    /// without polling `fut`. Dropping the returned future mid-call records nothing and gives a
    /// trial permit back.
    ///
    /// # Errors
    ///
    /// The breaker's rejection, or the error `fut` returned.
    pub async fn call<T, E, F>(&self, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        let permit = self.try_acquire()?;
        let result = fut.await;
        match result {
            Ok(_) => permit.record_success(),
            Err(_) => permit.record_failure(),
        }
        result
    }
}

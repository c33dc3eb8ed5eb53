//! The public ways into a breaker: ask for a permit, or run a future under one.

use std::future::Future;

use crate::Error;
use crate::base::call::noted::{self, Noted};

use super::CircuitBreaker;
use super::adapter::record_layer_error;
use super::permit::{CircuitPermit, PermitKind, PermitPeriod};
use super::record_on::RecordOn;
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
        // A fleet breaker starts its sync on its first call inside a runtime; after that
        // this is one relaxed load, and a local breaker's a test of an empty field.
        #[cfg(feature = "redis")]
        if let Some(link) = &self.fleet
            && !link.running()
        {
            self.start_fleet_sync(link);
        }
        let current = self.load();
        if current.state() == CircuitState::Closed {
            return Ok(self.permit(current.generation(), PermitKind::Closed));
        }
        if current.state() == CircuitState::Open
            && let Some(rejection) = self.reject_while_open(current)
        {
            return Err(rejection);
        }
        self.acquire_outside_closed(current)
    }

    /// Runs `fut` if the breaker admits it and records the outcome by the rules the
    /// attribute follows: every `Ok` is a success and every `Err` a failure, except a
    /// rejection by a layer inside it (a full [`Bulkhead::call`](crate::bulkhead::Bulkhead::call),
    /// an open breaker's `call`, a [`Retry::run`](crate::retry::Retry::run) that ended on one),
    /// which is not recorded. A rejection by this breaker is returned as
    /// `E::from(Error::CircuitOpen { .. })` without polling `fut`. Dropping the returned future
    /// mid-call records nothing and gives a trial permit back.
    ///
    /// A layer's rejection is recognised when it ends `fut` in the same poll in which the layer
    /// returned it, as when `fut` is that layer's call or awaits it last; an `Err` that `fut`
    /// built itself is the service's.
    ///
    /// ```
    /// use resilience_runtime::bulkhead::{Bulkhead, BulkheadConfig};
    /// use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitState};
    /// use resilience_runtime::Error;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::new("doc-call-db", CircuitBreakerConfig::new().with_failure_threshold(1));
    /// let pool = Bulkhead::new("doc-call-pool", BulkheadConfig::new(1));
    /// let _busy = pool.try_acquire().unwrap();
    /// let full = breaker.call(pool.call(async { Ok::<_, Error>(()) })).await;
    /// assert!(matches!(full, Err(Error::BulkheadFull { .. })));
    /// assert_eq!(breaker.state(), CircuitState::Closed); // a rejection is not a failure
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// The breaker's rejection, or the error `fut` returned.
    pub async fn call<T, E, F>(&self, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        self.call_on(fut, RecordOn::new()).await
    }

    /// [`call`](Self::call) with the attribute's `record_if` and `ignore_if`: of the service's
    /// own errors, those `ignore_if` accepts are not recorded, those `record_if` rejects count
    /// as successes, and `ignore_if` wins.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    pub async fn call_with<T, E, F>(
        &self,
        fut: F,
        record_if: impl Fn(&E) -> bool,
        ignore_if: impl Fn(&E) -> bool,
    ) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        let on = RecordOn::new().record_if(record_if).ignore_if(ignore_if);
        self.call_on(fut, on).await
    }

    /// [`call`](Self::call) with every way the attribute counts an outcome, given as a
    /// [`RecordOn`]: which errors are failures (`record_if`), which are not counted
    /// (`ignore_if`), and which `Ok` values are failures (`record_if_ok`, e.g. a 503 response
    /// returned as `Ok`). A flagged `Ok` is still returned to the caller as it is; an outer
    /// [`Retry::run_on`](crate::retry::Retry::run_on) tries it again only if its own
    /// `when_ok` says so.
    ///
    /// ```
    /// use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitState, RecordOn};
    /// use resilience_runtime::Error;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::new("doc-call-on", CircuitBreakerConfig::new().with_failure_threshold(1));
    /// let on = RecordOn::new().record_if_ok(|body: &&str| body.is_empty());
    /// let body: Result<&str, Error> = breaker.call_on(async { Ok("") }, on).await;
    /// assert_eq!(body.unwrap(), "");
    /// assert_eq!(breaker.state(), CircuitState::Open);
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    pub async fn call_on<T, E, F, R, I, O>(
        &self,
        fut: F,
        on: RecordOn<T, E, R, I, O>,
    ) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: From<Error>,
        R: Fn(&E) -> bool,
        I: Fn(&E) -> bool,
        O: Fn(&T) -> bool,
    {
        let permit = match self.try_acquire() {
            Ok(permit) => permit,
            Err(rejection) => return Err(noted::convert(rejection)),
        };
        match Noted::new(fut).await {
            Ok(value) => {
                on.record_ok(permit, &value);
                Ok(value)
            }
            Err(failure) => {
                match &failure.layer {
                    Some(layer) => record_layer_error(permit, layer),
                    None => on.record_error(permit, &failure.error),
                }
                Err(failure.pass_on())
            }
        }
    }
}

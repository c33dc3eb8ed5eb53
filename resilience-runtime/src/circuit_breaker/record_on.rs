//! [`RecordOn`]: how a breaker counts an outcome, the plain API's form of the attribute's
//! `record_if`, `ignore_if` and `record_if_ok`, and [`CircuitPermit::record_result`], which
//! records one outcome by it.

use std::fmt;
use std::marker::PhantomData;

use super::adapter::{
    ignore_none, ok_succeeds, record_any, record_service_error, record_service_ok,
};
use super::permit::CircuitPermit;

/// How a breaker counts the outcome of a call it admitted, for
/// [`CircuitBreaker::call_on`](super::CircuitBreaker::call_on) and
/// [`CircuitPermit::record_result`]: the attribute's `record_if`, `ignore_if` and
/// `record_if_ok`, each optional.
///
/// - [`record_if`](Self::record_if): the errors that are failures (default: every error);
///   another error counts as a success;
/// - [`ignore_if`](Self::ignore_if): the errors not counted at all (default: none); it wins
///   over `record_if`;
/// - [`record_if_ok`](Self::record_if_ok): the `Ok` values that are failures, such as a 503
///   response returned as `Ok` (default: none). The value still goes to the caller as it is.
///
/// Slow calls are counted by their duration whatever the outcome. `T` and `E` are the call's
/// `Result<T, E>`; a predicate given as a closure names its argument's type.
///
/// ```
/// use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitState, RecordOn};
/// use resilience_runtime::Error;
///
/// fn server_error(status: &u16) -> bool {
///     *status >= 500
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let breaker = CircuitBreaker::new("doc-record-on", CircuitBreakerConfig::new().with_failure_threshold(2));
/// for _ in 0..2 {
///     let status: Result<u16, Error> = breaker
///         .call_on(async { Ok(503) }, RecordOn::new().record_if_ok(server_error))
///         .await;
///     assert_eq!(status.unwrap(), 503); // returned as it is, counted as a failure
/// }
/// assert_eq!(breaker.state(), CircuitState::Open);
/// # });
/// ```
pub struct RecordOn<T, E, R = fn(&E) -> bool, I = fn(&E) -> bool, O = fn(&T) -> bool> {
    pub(crate) record_if: R,
    pub(crate) ignore_if: I,
    pub(crate) record_if_ok: O,
    outcome: PhantomData<fn(&T, &E)>,
}

impl<T, E> RecordOn<T, E> {
    /// Every error a failure, every `Ok` a success, nothing ignored: what
    /// [`CircuitBreaker::call`](super::CircuitBreaker::call) does.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            record_if: record_any::<E>,
            ignore_if: ignore_none::<E>,
            record_if_ok: ok_succeeds::<T>,
            outcome: PhantomData,
        }
    }
}

impl<T, E> Default for RecordOn<T, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, E, R, I, O> RecordOn<T, E, R, I, O> {
    /// Counts as failures only the errors `record_if` accepts; the others count as successes
    /// (the attribute's `record_if`).
    #[must_use]
    pub fn record_if<R2>(self, record_if: R2) -> RecordOn<T, E, R2, I, O>
    where
        R2: Fn(&E) -> bool,
    {
        RecordOn {
            record_if,
            ignore_if: self.ignore_if,
            record_if_ok: self.record_if_ok,
            outcome: PhantomData,
        }
    }

    /// Does not count the errors `ignore_if` accepts, as if the call had not been made; a
    /// half-open breaker gives the trial permit back (the attribute's `ignore_if`).
    #[must_use]
    pub fn ignore_if<I2>(self, ignore_if: I2) -> RecordOn<T, E, R, I2, O>
    where
        I2: Fn(&E) -> bool,
    {
        RecordOn {
            record_if: self.record_if,
            ignore_if,
            record_if_ok: self.record_if_ok,
            outcome: PhantomData,
        }
    }

    /// Counts as failures the `Ok` values `record_if_ok` accepts (the attribute's
    /// `record_if_ok`); the caller still gets the value.
    #[must_use]
    pub fn record_if_ok<O2>(self, record_if_ok: O2) -> RecordOn<T, E, R, I, O2>
    where
        O2: Fn(&T) -> bool,
    {
        RecordOn {
            record_if: self.record_if,
            ignore_if: self.ignore_if,
            record_if_ok,
            outcome: PhantomData,
        }
    }
}

impl<T, E, R, I, O> RecordOn<T, E, R, I, O>
where
    R: Fn(&E) -> bool,
    I: Fn(&E) -> bool,
    O: Fn(&T) -> bool,
{
    /// Records the service's own `error` on `permit`.
    #[inline]
    pub(crate) fn record_error(&self, permit: CircuitPermit<'_>, error: &E) {
        record_service_error(permit, error, &self.record_if, &self.ignore_if);
    }

    /// Records the service's `value` on `permit`.
    #[inline]
    pub(crate) fn record_ok(&self, permit: CircuitPermit<'_>, value: &T) {
        record_service_ok(permit, value, &self.record_if_ok);
    }
}

impl CircuitPermit<'_> {
    /// Records how the call ended, `outcome` being the service's own, counted as `on` says:
    /// an `Ok` that `record_if_ok` flags is a failure, any other `Ok` a success; of the
    /// errors, those `ignore_if` accepts are not counted, those `record_if` rejects count as
    /// successes, the others as failures.
    ///
    /// A rejection or timeout by another layer is not the service's outcome: record it with
    /// [`record_ignored`](Self::record_ignored) or [`record_failure`](Self::record_failure)
    /// as the breaker's own call methods do.
    ///
    /// ```
    /// use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitState, RecordOn};
    ///
    /// let breaker = CircuitBreaker::new("doc-record-result", CircuitBreakerConfig::new().with_failure_threshold(1));
    /// let on = RecordOn::new().record_if_ok(|status: &u16| *status == 503);
    /// let outcome: Result<u16, std::io::Error> = Ok(503);
    /// breaker.try_acquire().expect("closed").record_result(&outcome, &on);
    /// assert_eq!(breaker.state(), CircuitState::Open);
    /// ```
    #[inline]
    pub fn record_result<T, E, R, I, O>(self, outcome: &Result<T, E>, on: &RecordOn<T, E, R, I, O>)
    where
        R: Fn(&E) -> bool,
        I: Fn(&E) -> bool,
        O: Fn(&T) -> bool,
    {
        match outcome {
            Ok(value) => on.record_ok(self, value),
            Err(error) => on.record_error(self, error),
        }
    }
}

impl<T, E, R: Clone, I: Clone, O: Clone> Clone for RecordOn<T, E, R, I, O> {
    fn clone(&self) -> Self {
        Self {
            record_if: self.record_if.clone(),
            ignore_if: self.ignore_if.clone(),
            record_if_ok: self.record_if_ok.clone(),
            outcome: PhantomData,
        }
    }
}

impl<T, E, R: Copy, I: Copy, O: Copy> Copy for RecordOn<T, E, R, I, O> {}

impl<T, E, R, I, O> fmt::Debug for RecordOn<T, E, R, I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The predicates are code: their types say what they are.
        f.debug_struct("RecordOn")
            .field("record_if", &std::any::type_name::<R>())
            .field("ignore_if", &std::any::type_name::<I>())
            .field("record_if_ok", &std::any::type_name::<O>())
            .finish()
    }
}

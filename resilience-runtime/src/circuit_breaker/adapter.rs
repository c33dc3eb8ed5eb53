//! What a `#[circuit_breaker]` layer calls: feeding an attempt's outcome to its permit, and
//! the defaults of `record_if`, `ignore_if` and `record_if_ok`.

use super::permit::CircuitPermit;
use crate::Error;
use crate::base::call::outcome::{Attempt, Failure};

/// Feeds an outcome to a breaker permit.
///
/// An `Ok` that `record_if_ok` flags is a failure, any other `Ok` a success. A layer's
/// rejection is not the service's failure: its permit is released unrecorded. A timeout is a
/// failure. For the service's own errors `ignore_if` wins over `record_if`; an error that is
/// not recorded counts as a success.
#[inline(always)]
pub fn record_outcome<T, E>(
    permit: CircuitPermit<'_>,
    outcome: &Attempt<T, E>,
    record_if: impl Fn(&E) -> bool,
    ignore_if: impl Fn(&E) -> bool,
    record_if_ok: impl Fn(&T) -> bool,
) {
    match outcome {
        Ok(value) => record_service_ok(permit, value, record_if_ok),
        Err(Failure::Service(error)) => record_service_error(permit, error, record_if, ignore_if),
        Err(Failure::Layer(error)) => record_layer_error(permit, error),
    }
}

/// Feeds the service's `Ok` to a breaker permit: a failure when `record_if_ok` flags it (the
/// value still goes to the caller), a success otherwise. Slow calls count either way.
#[inline(always)]
pub(crate) fn record_service_ok<T>(
    permit: CircuitPermit<'_>,
    value: &T,
    record_if_ok: impl Fn(&T) -> bool,
) {
    if record_if_ok(value) {
        permit.record_failure();
    } else {
        permit.record_success();
    }
}

/// Feeds the service's own error to a breaker permit: `ignore_if` wins over `record_if`; an
/// error that is not recorded counts as a success.
#[inline(always)]
pub(crate) fn record_service_error<E>(
    permit: CircuitPermit<'_>,
    error: &E,
    record_if: impl Fn(&E) -> bool,
    ignore_if: impl Fn(&E) -> bool,
) {
    if ignore_if(error) {
        permit.record_ignored();
    } else if record_if(error) {
        permit.record_failure();
    } else {
        permit.record_success();
    }
}

/// Feeds a layer's error to a breaker permit: a rejection is not the service's failure, so its
/// permit is released unrecorded; a timeout is a failure.
#[inline(always)]
pub(crate) fn record_layer_error(permit: CircuitPermit<'_>, error: &Error) {
    if error.is_rejection() {
        permit.record_ignored();
    } else {
        permit.record_failure();
    }
}

/// Default `record_if`: every error is a failure.
#[inline]
pub fn record_any<E>(_: &E) -> bool {
    true
}

/// Default `record_if_ok`: every `Ok` is a success.
#[inline]
pub fn ok_succeeds<T>(_: &T) -> bool {
    false
}

/// Default `ignore_if`: no error is ignored.
#[inline]
pub fn ignore_none<E>(_: &E) -> bool {
    false
}

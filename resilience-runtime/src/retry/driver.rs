//! What the loop `#[retry]` generates calls, besides `__private::retry_step` (which stays in
//! `__private.rs`, where the compiler's notes about its bounds point): the start of a call's
//! loop and the defaults of `when`, `when_ok` and `retry_after`.

use std::time::Duration;

use super::instance::Retry;
use super::step::RetryCall;

/// Starts one call's retry loop.
#[inline(always)]
pub fn retry_start(retry: &Retry) -> RetryCall {
    RetryCall::start_lazily(retry)
}

/// Default `when`: every error is retried.
#[inline]
pub fn retry_any<E>(_: &E) -> bool {
    true
}

/// Default `when_ok`: every `Ok` is final.
#[inline]
pub fn keep_ok<T>(_: &T) -> bool {
    false
}

/// Default `retry_after`: no server hint.
#[inline]
pub fn no_hint<E>(_: &E) -> Option<Duration> {
    None
}

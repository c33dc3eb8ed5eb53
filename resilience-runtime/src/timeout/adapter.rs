//! What a `#[timeout]` layer calls: the time limit counted from the attempt's start, and the
//! log line of its expiry.

use std::future::Future;
use std::time::Duration;

use super::{Timeout, timeout_unlogged};
use crate::Error;
use crate::base::call::outcome::{Attempt, Failure};
use crate::base::call::start::CallStart;

/// Runs `future` with a time limit counted from `start`; the caller logs the expiry with
/// [`timed_out`].
#[inline]
pub fn timeout<F: Future>(start: CallStart, after: Duration, future: F) -> Timeout<F> {
    timeout_unlogged(start.0, after, future)
}

/// Logs the timeout of the fn named `name` and passes its error on.
#[inline]
pub fn timed_out<T, E>(name: &'static str, error: Error) -> Attempt<T, E> {
    log_timeout(name, &error);
    Err(Failure::Layer(error))
}

/// Out of line and not generic: the logging code stays out of the caller's poll fn, whose
/// successful path it would otherwise slow down.
#[cold]
#[inline(never)]
fn log_timeout(name: &'static str, error: &Error) {
    if let Error::Timeout { after, .. } = error {
        tracing::debug!(
            target: "resilience_runtime::timeout",
            name, after = ?after, "call timed out");
    }
}

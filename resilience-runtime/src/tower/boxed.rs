//! The tower side of [`Error`]: a layer's error travels as a `BoxError` holding it.

use std::fmt;

use ::tower::BoxError;

use crate::Error;

/// A layer's error as a `BoxError`; it allocates, once per rejection or timeout.
#[cold]
pub(super) fn into_box(error: Error) -> BoxError {
    Box::new(error)
}

/// The layer's error `error` holds, if it holds one: an inner layer's rejection or timeout.
#[inline]
pub(super) fn layer_error(error: &BoxError) -> Option<&Error> {
    error.downcast_ref()
}

/// The error of a response future polled again after it returned its output (a caller's
/// mistake; zero-sized, so boxing it allocates nothing).
#[derive(Debug, Clone, Copy)]
pub(super) struct PolledAfterCompletion;

impl fmt::Display for PolledAfterCompletion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a response future was polled after it completed")
    }
}

impl std::error::Error for PolledAfterCompletion {}

/// [`PolledAfterCompletion`] as a `BoxError`.
#[cold]
pub(super) fn polled_after_completion() -> BoxError {
    Box::new(PolledAfterCompletion)
}

//! `#[fallback]`'s adapter: the fallback fn's value as a future, whether the fn is sync or
//! async, and the log line of falling back.

use std::future::Future;

use super::outcome::Failure;
use crate::base::describe::probe::{DescribeWith, describer};

/// Logs that the fn named `name` answers with its fallback `fallback` after `failure`.
#[cold]
#[inline(never)]
pub fn falling_back<E>(
    name: &'static str,
    fallback: &'static str,
    failure: &Failure<E>,
    describe: impl DescribeWith<E>,
) {
    tracing::debug!(
        name,
        fallback,
        error = %failure.describe(describer(describe)),
        "calling the fallback"
    );
}

/// A fallback's value as a future, whether the fallback fn is sync (returns the `Result`) or
/// async (returns a future of it).
pub fn fallback<R, M, V: FallbackValue<R, M>>(value: V) -> impl Future<Output = R> {
    value.into_future()
}

/// Marker: the fallback returned its `Result` directly.
pub struct Ready;
/// Marker: the fallback returned a future.
pub struct Pending;

/// A sync or async fallback's return value.
pub trait FallbackValue<R, M> {
    /// The future of the fallback's `Result`.
    type Future: Future<Output = R>;
    /// Converts.
    fn into_future(self) -> Self::Future;
}

impl<T, E> FallbackValue<Result<T, E>, Ready> for Result<T, E> {
    type Future = std::future::Ready<Result<T, E>>;
    fn into_future(self) -> Self::Future {
        std::future::ready(self)
    }
}

impl<F: Future> FallbackValue<F::Output, Pending> for F {
    type Future = F;
    fn into_future(self) -> F {
        self
    }
}

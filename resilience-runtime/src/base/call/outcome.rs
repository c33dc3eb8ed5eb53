//! The value every layer passes outward, [`Attempt`], and its conversions.
//!
//! An [`Attempt`] keeps the service's own error apart from a layer's [`Error`] until
//! [`finish`] converts to the fn's `Result<T, E>`. That is how an outer breaker tells an inner
//! rejection from a failure, and how an outer retry tells an open circuit (never retried) from
//! a rate limit (waited out).

use std::fmt;
use std::future::Future;

use crate::Error;
use crate::base::describe::DescribeError;

/// Why an attempt failed: the service's error, or a layer's.
#[derive(Debug)]
pub enum Failure<E> {
    /// The body returned `Err`.
    Service(E),
    /// A layer rejected the call or cut it short.
    Layer(Error),
}

/// The value every layer passes outward.
pub type Attempt<T, E> = Result<T, Failure<E>>;

impl<E> Failure<E> {
    /// The failure for a log field: a layer's error by its `Display`, the service's as
    /// `describe` shows it.
    pub fn describe(&self, describe: DescribeError<E>) -> FailureText<'_, E> {
        FailureText {
            failure: self,
            describe,
        }
    }

    /// The failure as the user's error type, a layer's error converted with `convert`.
    #[inline]
    pub fn into_error_with(self, convert: fn(Error) -> E) -> E {
        match self {
            Failure::Service(error) => error,
            Failure::Layer(error) => convert(error),
        }
    }
}

/// A [`Failure`] ready for a log field.
pub struct FailureText<'a, E> {
    failure: &'a Failure<E>,
    describe: DescribeError<E>,
}

impl<E> fmt::Display for FailureText<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.failure {
            Failure::Service(error) => self.describe.of(error).fmt(f),
            Failure::Layer(error) => error.fmt(f),
        }
    }
}

/// Pins the body's output type so that `?` inside it knows what to convert into.
#[inline]
pub fn attempt<R, F: Future<Output = R>>(body: F) -> F {
    body
}

/// Runs a sync body once; `return` inside it ends this attempt only.
#[inline]
pub fn attempt_sync<R, F: FnOnce() -> R>(body: F) -> R {
    body()
}

/// The body's result as an [`Attempt`].
#[inline]
pub fn lift<T, E>(result: Result<T, E>) -> Attempt<T, E> {
    result.map_err(Failure::Service)
}

/// Names a fn's value and error types from its return type, so that generated code can write
/// `fn(&<Result<T, E> as Outcome>::Error) -> bool` for an alias such as `anyhow::Result<T>`
/// too.
pub trait Outcome {
    /// `T` of `Result<T, E>`.
    type Value;
    /// `E` of `Result<T, E>`.
    type Error;
}

impl<T, E> Outcome for Result<T, E> {
    type Value = T;
    type Error = E;
}

/// A layer's error as an [`Attempt`].
#[inline]
pub fn layer_error<T, E>(error: Error) -> Attempt<T, E> {
    Err(Failure::Layer(error))
}

/// The fn's `Result`: a layer's error converts into the user's error type with `convert`
/// (generated code passes `E::from`, named once per site so that an error type without
/// `From<resilience_runtime::Error>` is reported once, at the error type).
#[inline]
pub fn finish<T, E>(outcome: Attempt<T, E>, convert: fn(Error) -> E) -> Result<T, E> {
    outcome.map_err(|failure| failure.into_error_with(convert))
}

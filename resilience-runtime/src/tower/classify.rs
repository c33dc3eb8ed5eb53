//! What the breaker and retry layers ask of a call's outcome: whether an error or a response
//! counts ([`Predicate`]), and a server's hint for the delay before a retry ([`Hint`]).
//!
//! Closures implement both, so `record_if(|error: &BoxError| ..)` and
//! `when_ok(|response: &Response<_>| ..)` take a closure as it is, unboxed: the call path
//! calls it directly. The defaults are the attributes' defaults: every error counts
//! ([`Always`]), no response does ([`Never`]), and no error carries a hint ([`NoHint`]).

use std::time::Duration;

/// A yes-or-no question about a call's error or response, such as "is this a failure?".
///
/// Implemented by every `Fn(&T) -> bool`, and by [`Always`] and [`Never`].
///
/// ```
/// use resilience_runtime::tower::{Always, Never, Predicate};
///
/// let server_error = |status: &u16| *status >= 500;
/// assert!(server_error.test(&503));
/// assert!(Always.test(&200));
/// assert!(!Never.test(&503));
/// ```
pub trait Predicate<T: ?Sized> {
    /// The answer for `value`.
    fn test(&self, value: &T) -> bool;
}

impl<T: ?Sized, F: Fn(&T) -> bool> Predicate<T> for F {
    #[inline]
    fn test(&self, value: &T) -> bool {
        self(value)
    }
}

/// Yes to everything: the default `record_if` of a breaker and `when` of a retry (every
/// error is a failure, and worth retrying).
#[derive(Debug, Clone, Copy, Default)]
pub struct Always;

impl<T: ?Sized> Predicate<T> for Always {
    #[inline]
    fn test(&self, _: &T) -> bool {
        true
    }
}

/// No to everything: the default `ignore_if` and `record_if_ok` of a breaker and `when_ok`
/// of a retry (no error is ignored, no response is a failure).
#[derive(Debug, Clone, Copy, Default)]
pub struct Never;

impl<T: ?Sized> Predicate<T> for Never {
    #[inline]
    fn test(&self, _: &T) -> bool {
        false
    }
}

/// A server's hint, read from an error: how long to wait before the next attempt. It
/// replaces the backoff delay (capped by the retry's `max_delay`), as the attribute's
/// `retry_after` does.
///
/// Implemented by every `Fn(&T) -> Option<Duration>`, and by [`NoHint`].
pub trait Hint<T: ?Sized> {
    /// The delay `value` asks for, if any.
    fn hint(&self, value: &T) -> Option<Duration>;
}

impl<T: ?Sized, F: Fn(&T) -> Option<Duration>> Hint<T> for F {
    #[inline]
    fn hint(&self, value: &T) -> Option<Duration> {
        self(value)
    }
}

/// No hint: the default `retry_after` of a retry, which then sleeps its backoff delay (an
/// inner rate limit's rejection still brings its own `retry_after`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHint;

impl<T: ?Sized> Hint<T> for NoHint {
    #[inline]
    fn hint(&self, _: &T) -> Option<Duration> {
        None
    }
}

//! [`RetryOn`]: which outcomes of an attempt a [`Retry::run_on`](super::Retry::run_on) tries
//! again, the plain API's form of the attribute's `when`, `when_ok` and `retry_after`.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use super::driver::{keep_ok, no_hint, retry_any};

/// Which outcomes of an attempt are tried again, for
/// [`Retry::run_on`](super::Retry::run_on) and
/// [`Retry::run_blocking_on`](super::Retry::run_blocking_on): the attribute's `when`,
/// `when_ok` and `retry_after`, each optional.
///
/// - [`when`](Self::when): the errors worth retrying (default: every error);
/// - [`when_ok`](Self::when_ok): the `Ok` values worth retrying, such as a 503 response
///   returned as `Ok` (default: none). When no attempt is left, the last such `Ok` is
///   returned as it is, and the retry's metrics count the call as failed;
/// - [`retry_after`](Self::retry_after): a server's hint, read from a retryable error, that
///   replaces the backoff delay (capped by `max_delay`). An `Ok` carries no hint: a flagged
///   `Ok` waits the backoff's delay.
///
/// `T` and `E` are the attempt's `Result<T, E>`. A predicate given as a closure names its
/// argument's type (`|status: &u16| ..`), as the closure is checked before the attempt it
/// will judge; a fn's path (`MyError::is_transient`) needs nothing.
///
/// ```
/// use resilience_runtime::retry::{Jitter, Retry, RetryConfig, RetryOn};
///
/// #[derive(Debug, PartialEq)]
/// struct Response {
///     status: u16,
/// }
///
/// fn unavailable(response: &Response) -> bool {
///     response.status == 503
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let retry = Retry::new("doc-retry-on", RetryConfig::new().with_max_attempts(3).with_jitter(Jitter::None));
/// let mut statuses = vec![200, 503, 503];
/// let response: Result<Response, std::io::Error> = retry
///     .run_on(RetryOn::new().when_ok(unavailable), || {
///         let status = statuses.pop().unwrap_or(200);
///         async move { Ok(Response { status }) }
///     })
///     .await;
/// assert_eq!(response.unwrap(), Response { status: 200 }); // two 503s, tried again
/// assert_eq!(retry.metrics().retries, 2);
/// # });
/// ```
pub struct RetryOn<T, E, W = fn(&E) -> bool, K = fn(&T) -> bool, H = fn(&E) -> Option<Duration>> {
    pub(crate) when: W,
    pub(crate) when_ok: K,
    pub(crate) retry_after: H,
    outcome: PhantomData<fn(&T, &E)>,
}

impl<T, E> RetryOn<T, E> {
    /// Every error retried, no `Ok`, no hint: what [`Retry::run`](super::Retry::run) does
    /// with `|_| true`.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            when: retry_any::<E>,
            when_ok: keep_ok::<T>,
            retry_after: no_hint::<E>,
            outcome: PhantomData,
        }
    }
}

impl<T, E> Default for RetryOn<T, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, E, W, K, H> RetryOn<T, E, W, K, H> {
    /// Retries only the errors `when` accepts (the attribute's `when`).
    #[must_use]
    pub fn when<W2>(self, when: W2) -> RetryOn<T, E, W2, K, H>
    where
        W2: Fn(&E) -> bool,
    {
        RetryOn {
            when,
            when_ok: self.when_ok,
            retry_after: self.retry_after,
            outcome: PhantomData,
        }
    }

    /// Retries the `Ok` values `when_ok` accepts, with the backoff's delay and within the
    /// policy's attempts (the attribute's `when_ok`); when none is left the last one is
    /// returned.
    #[must_use]
    pub fn when_ok<K2>(self, when_ok: K2) -> RetryOn<T, E, W, K2, H>
    where
        K2: Fn(&T) -> bool,
    {
        RetryOn {
            when: self.when,
            when_ok,
            retry_after: self.retry_after,
            outcome: PhantomData,
        }
    }

    /// Reads a server's hint from a retryable error: `Some(d)` replaces the next backoff
    /// delay, capped by `max_delay`, without jitter (the attribute's `retry_after`).
    #[must_use]
    pub fn retry_after<H2>(self, retry_after: H2) -> RetryOn<T, E, W, K, H2>
    where
        H2: Fn(&E) -> Option<Duration>,
    {
        RetryOn {
            when: self.when,
            when_ok: self.when_ok,
            retry_after,
            outcome: PhantomData,
        }
    }
}

impl<T, E, W: Clone, K: Clone, H: Clone> Clone for RetryOn<T, E, W, K, H> {
    fn clone(&self) -> Self {
        Self {
            when: self.when.clone(),
            when_ok: self.when_ok.clone(),
            retry_after: self.retry_after.clone(),
            outcome: PhantomData,
        }
    }
}

impl<T, E, W: Copy, K: Copy, H: Copy> Copy for RetryOn<T, E, W, K, H> {}

impl<T, E, W, K, H> fmt::Debug for RetryOn<T, E, W, K, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The predicates are code: their types say what they are.
        f.debug_struct("RetryOn")
            .field("when", &std::any::type_name::<W>())
            .field("when_ok", &std::any::type_name::<K>())
            .field("retry_after", &std::any::type_name::<H>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_retry_every_error_and_no_ok() {
        let on = RetryOn::<u32, &str>::new();
        assert!((on.when)(&"busy"));
        assert!(!(on.when_ok)(&503));
        assert_eq!((on.retry_after)(&"busy"), None);
        let on = on
            .when(|error: &&str| *error == "busy")
            .when_ok(|status: &u32| *status == 503)
            .retry_after(|_: &&str| Some(Duration::from_secs(1)));
        assert!(!(on.when)(&"fatal"));
        assert!((on.when_ok)(&503));
        assert_eq!((on.retry_after)(&"busy"), Some(Duration::from_secs(1)));
        assert!(format!("{on:?}").starts_with("RetryOn { when: "));
    }
}

//! The ways to ask a bulkhead for a slot: at once, waiting on tokio's clock, or blocking the
//! thread; wrapping a call in one; and the rejection when none frees up.

use std::future::Future;

use crate::Error;
use crate::base::admission::Admission;
use crate::base::call::noted::{self, Noted, noted_blocking};

use super::handle::Bulkhead;
use super::handle::REJECTED;
use super::permit::{BulkheadPermit, Verdict};

impl Bulkhead {
    /// Takes a slot if one is free right now, without waiting (whatever `max_wait` says).
    ///
    /// # Errors
    ///
    /// [`Error::BulkheadFull`] when all slots are taken.
    pub fn try_acquire(&self) -> Result<BulkheadPermit<'_>, Error> {
        self.try_take().ok_or_else(|| self.reject())
    }

    /// Takes a slot, waiting up to `max_wait` (on tokio's clock) for one to free up.
    ///
    /// Cancellation-safe: dropping the future while it waits leaves no trace (a wake-up it
    /// was given passes on to the next waiter).
    ///
    /// # Errors
    ///
    /// [`Error::BulkheadFull`] when no slot freed up in time.
    pub async fn acquire(&self) -> Result<BulkheadPermit<'_>, Error> {
        match self.admit_now() {
            Admission::Admitted(permit) => Ok(permit),
            Admission::Rejected(error) => Err(error),
            Admission::Wait => self.wait_async().await,
        }
    }

    /// The decision without waiting: a slot, a rejection (no slot and no `max_wait`), or
    /// [`Admission::Wait`] when the caller may wait for a slot.
    #[inline(always)]
    pub(crate) fn admit_now(&self) -> Admission<BulkheadPermit<'_>> {
        if let Some(permit) = self.try_take() {
            return Admission::Admitted(permit);
        }
        if self.max_wait().is_zero() {
            return Admission::Rejected(self.reject());
        }
        Admission::Wait
    }

    /// Takes a slot, blocking the thread up to `max_wait` (std time) for one to free up. For
    /// sync callers.
    ///
    /// # Errors
    ///
    /// [`Error::BulkheadFull`] when no slot freed up in time.
    pub fn acquire_blocking(&self) -> Result<BulkheadPermit<'_>, Error> {
        match self.admit_now() {
            Admission::Admitted(permit) => Ok(permit),
            Admission::Rejected(error) => Err(error),
            Admission::Wait => self.wait_blocking(),
        }
    }

    /// Runs `fut` holding a slot (see [`acquire`](Bulkhead::acquire)); a rejection becomes the
    /// caller's error type. The slot is released when `fut` finishes, panics or is dropped.
    ///
    /// # Errors
    ///
    /// `fut`'s error, or [`Error::BulkheadFull`] converted into `E`.
    pub async fn call<T, E, F>(&self, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        // A rejection is noted for the layer around this one (see `CircuitBreaker::call`);
        // `fut`'s own outcome, noted or not, passes through as it is.
        let permit = self.acquire().await.map_err(noted::convert)?;
        if permit.started.is_none() {
            return fut.await;
        }
        // An adaptive bulkhead tells an inner layer's rejection (noted) from a failure.
        match Noted::new(fut).await {
            Ok(value) => {
                permit.finish(Verdict::Succeeded);
                Ok(value)
            }
            Err(failure) => {
                permit.finish(
                    failure
                        .layer
                        .as_ref()
                        .map_or(Verdict::Failed, Verdict::of_layer_error),
                );
                Err(failure.pass_on())
            }
        }
    }

    /// Runs `f` holding a slot (see [`acquire_blocking`](Bulkhead::acquire_blocking)).
    ///
    /// # Errors
    ///
    /// `f`'s error, or [`Error::BulkheadFull`] converted into `E`.
    pub fn call_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
        E: From<Error>,
    {
        let permit = self.acquire_blocking().map_err(noted::convert)?;
        if permit.started.is_none() {
            return f();
        }
        match noted_blocking(f) {
            Ok(value) => {
                permit.finish(Verdict::Succeeded);
                Ok(value)
            }
            Err(failure) => {
                permit.finish(
                    failure
                        .layer
                        .as_ref()
                        .map_or(Verdict::Failed, Verdict::of_layer_error),
                );
                Err(failure.pass_on())
            }
        }
    }

    /// The rejection of a call, counted and logged. The error is built inline, in the
    /// caller's result, counted inline, and logged out of line only when the log is on (see
    /// the rate limiter's `reject`).
    #[inline(always)]
    pub(super) fn reject(&self) -> Error {
        let max_concurrent = self.limit();
        self.counted.bump(REJECTED);
        if tracing::enabled!(target: "resilience_runtime::bulkhead", tracing::Level::DEBUG) {
            self.log_rejection(max_concurrent);
        }
        Error::bulkhead_full(self.name, max_concurrent)
    }

    #[cold]
    #[inline(never)]
    fn log_rejection(&self, max_concurrent: usize) {
        tracing::debug!(
            target: "resilience_runtime::bulkhead",
            name = self.name,
            max_concurrent,
            max_wait = ?self.max_wait(),
            "bulkhead full; call rejected"
        );
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn zero_capacity_rejects_everything() {
        let b = bulkhead(0, Duration::ZERO);
        assert!(b.try_acquire().is_err());
        assert!(b.acquire_blocking().is_err());
        assert_eq!(b.metrics().rejected, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn fail_fast_acquire_and_call() {
        let b = bulkhead(1, Duration::ZERO);
        let held = b.acquire().await.unwrap();
        let start = Instant::now();
        assert!(b.acquire().await.is_err());
        let result: Result<(), Error> = b.call(async { Ok(()) }).await;
        assert_eq!(result, Err(Error::bulkhead_full("test", 1)));
        assert_eq!(start.elapsed(), Duration::ZERO);
        drop(held);
        let result: Result<u8, Error> = b.call(async { Ok(5) }).await;
        assert_eq!(result, Ok(5));
        assert_eq!(b.in_flight(), 0);
    }
}

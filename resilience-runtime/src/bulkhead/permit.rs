//! A slot in a bulkhead, held for the length of one call and given back on drop, so a cancelled
//! or panicking call gives it back too.

use std::fmt;

use crate::Error;
use crate::base::call::outcome::{Attempt, Failure};
use crate::base::clock::Nanos;

use super::handle::Bulkhead;

/// When a call timed by an adaptive bulkhead started, and how many were in flight then.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Started {
    pub(crate) at: Nanos,
    pub(crate) in_flight: usize,
    /// One call in this many was timed when it started (see `adaptive/sampling.rs`).
    pub(crate) weight: u32,
}

/// What a finished call tells an adaptive bulkhead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The service answered.
    Succeeded,
    /// The service failed, or the call timed out.
    Failed,
    /// Nothing about the service: an inner layer rejected the call.
    NotASample,
}

impl Verdict {
    /// The verdict on a layer's error: a timeout is the service's slowness, any other error
    /// a rejection by an inner layer (which never reached the service).
    pub(crate) const fn of_layer_error(error: &Error) -> Self {
        match error {
            Error::Timeout { .. } => Self::Failed,
            _ => Self::NotASample,
        }
    }

    /// The verdict on the layers below an attribute's bulkhead.
    pub(crate) const fn of_attempt<T, E>(outcome: &Attempt<T, E>) -> Self {
        match outcome {
            Ok(_) => Self::Succeeded,
            Err(Failure::Service(_)) => Self::Failed,
            Err(Failure::Layer(error)) => Self::of_layer_error(error),
        }
    }
}

/// A slot in a [`Bulkhead`], given back when dropped.
///
/// For an adaptive bulkhead, the call's outcome is what moves the limit: end it with
/// [`succeeded`](Self::succeeded) or [`failed`](Self::failed). A permit just dropped gives its
/// slot back and tells the algorithm nothing (a call cancelled or panicking says nothing
/// certain about the service); a static bulkhead ignores the outcome.
///
/// ```
/// use resilience_runtime::bulkhead::{Adaptive, Bulkhead, BulkheadConfig};
///
/// let pool = Bulkhead::new("manual", BulkheadConfig::new(8).with_adaptive(Adaptive::Aimd));
/// let permit = pool.try_acquire().unwrap();
/// // ... the call ...
/// permit.succeeded();
/// assert_eq!(pool.in_flight(), 0);
/// ```
#[must_use = "the slot is released as soon as the permit is dropped"]
pub struct BulkheadPermit<'a> {
    pub(super) bulkhead: &'a Bulkhead,
    /// Set only by an adaptive bulkhead.
    pub(super) started: Option<Started>,
}

impl BulkheadPermit<'_> {
    /// The bulkhead this permit belongs to.
    #[must_use]
    pub const fn bulkhead(&self) -> &Bulkhead {
        self.bulkhead
    }

    /// Gives the slot back after a call that succeeded: an adaptive bulkhead counts its
    /// latency.
    pub fn succeeded(self) {
        self.finish(Verdict::Succeeded);
    }

    /// Gives the slot back after a call that failed (an error of the service, or a timeout):
    /// an adaptive bulkhead counts it as a sign of overload.
    pub fn failed(self) {
        self.finish(Verdict::Failed);
    }

    /// Gives the slot back, the call's `verdict` told to an adaptive bulkhead first.
    #[inline(always)]
    pub(crate) fn finish(mut self, verdict: Verdict) {
        if let Some(started) = self.started.take()
            && verdict != Verdict::NotASample
        {
            self.bulkhead.record(started, verdict == Verdict::Failed);
        }
    }
}

impl Drop for BulkheadPermit<'_> {
    #[inline]
    fn drop(&mut self) {
        self.bulkhead.release();
    }
}

impl fmt::Debug for BulkheadPermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkheadPermit")
            .field("bulkhead", &self.bulkhead.name)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::panic::AssertUnwindSafe;

    use super::super::test_support::*;

    #[tokio::test(start_paused = true)]
    async fn cancelling_a_running_call_releases_its_slot() {
        let b = bulkhead(1, Duration::ZERO);
        let call = b.call(async {
            sleep(Duration::from_secs(10)).await;
            Ok::<(), Error>(())
        });
        assert!(tokio::time::timeout(MS(5), call).await.is_err());
        assert_eq!(b.in_flight(), 0);
        assert!(b.try_acquire().is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_task_releases_its_slot() {
        let b = Arc::new(bulkhead(1, Duration::ZERO));
        let task = tokio::spawn({
            let b = Arc::clone(&b);
            async move {
                let _permit = b.acquire().await.unwrap();
                sleep(MS(1)).await;
                panic!("boom");
            }
        });
        assert!(task.await.unwrap_err().is_panic());
        assert_eq!(b.in_flight(), 0);

        let panicked = std::panic::catch_unwind(AssertUnwindSafe(|| {
            b.call_blocking(|| -> Result<(), Error> { panic!("boom") })
        }));
        assert!(panicked.is_err());
        assert_eq!(b.in_flight(), 0);
        assert_eq!(b.metrics().permitted, 2);
    }
}

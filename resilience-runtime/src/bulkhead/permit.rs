//! A slot in a bulkhead, held for the length of one call and given back on drop, so a cancelled
//! or panicking call gives it back too.

use std::fmt;

use super::handle::Bulkhead;

/// A slot in a [`Bulkhead`], given back when dropped.
#[must_use = "the slot is released as soon as the permit is dropped"]
pub struct BulkheadPermit<'a> {
    pub(super) bulkhead: &'a Bulkhead,
}

impl BulkheadPermit<'_> {
    /// The bulkhead this permit belongs to.
    #[must_use]
    pub const fn bulkhead(&self) -> &Bulkhead {
        self.bulkhead
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

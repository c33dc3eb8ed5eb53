//! Waiting for a slot of a full bulkhead: async callers park on a [`tokio::sync::Notify`],
//! blocking ones on a `Mutex` + `Condvar`, each registered as a waiter so that a release knows
//! to wake one. Waiting is not FIFO-fair: a caller arriving while a slot is free takes it.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::PoisonError;
use std::sync::atomic::AtomicUsize;
use std::task::Poll;
use std::time::Duration;

use crate::Error;
use crate::base::clock;

use super::handle::Bulkhead;
use super::permit::BulkheadPermit;
use super::sync::SEQ;

impl Bulkhead {
    /// Waits up to `max_wait` (on tokio's clock) for a slot of a full bulkhead, then rejects.
    pub(super) async fn wait_async(&self) -> Result<BulkheadPermit<'_>, Error> {
        // Registered before the first re-check, so a release after that check sees us.
        let _waiter = WaiterGuard::register(&self.async_waiters);
        let max_wait = self.max_wait();
        tracing::debug!(
            target: "resilience_runtime::bulkhead",
            name = self.name, max_wait = ?max_wait, "bulkhead full; waiting");
        let mut deadline = pin!(clock::sleep(max_wait));
        loop {
            let mut notified = pin!(self.notify.notified());
            // Enabled before the re-check, so a `notify_one` from a release between the
            // re-check and the await is not lost (Notify also stores one permit otherwise).
            notified.as_mut().enable();
            if let Some(permit) = self.try_take() {
                return Ok(permit);
            }
            let woken = poll_fn(|cx| {
                if notified.as_mut().poll(cx).is_ready() {
                    Poll::Ready(true)
                } else if deadline.as_mut().poll(cx).is_ready() {
                    Poll::Ready(false)
                } else {
                    Poll::Pending
                }
            })
            .await;
            if !woken {
                // Dropping `notified` forwards a wake-up we got but did not use. One last
                // look: a slot may have freed at the very instant of the deadline.
                return self.try_take().ok_or_else(|| self.reject());
            }
            // Woken: loop and re-check; another caller may have taken the slot first, in
            // which case its release will wake us again.
        }
    }

    /// Blocks the thread up to `max_wait` (std time) for a slot of a full bulkhead, then
    /// rejects.
    pub(super) fn wait_blocking(&self) -> Result<BulkheadPermit<'_>, Error> {
        let _waiter = WaiterGuard::register(&self.blocking_waiters);
        let max_wait = self.max_wait();
        tracing::debug!(
            target: "resilience_runtime::bulkhead",
            name = self.name, max_wait = ?max_wait, "bulkhead full; waiting");
        // `None` when the wait is too long to represent: wait without a deadline.
        let deadline = std::time::Instant::now().checked_add(max_wait);
        // The re-check happens under the lock a releaser takes to notify, so a release cannot
        // slip between the re-check and the wait.
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(permit) = self.try_take() {
                return Ok(permit);
            }
            let remaining = deadline.map_or(Duration::MAX, |deadline| {
                deadline.saturating_duration_since(std::time::Instant::now())
            });
            if remaining.is_zero() {
                drop(guard);
                return Err(self.reject());
            }
            guard = self
                .condvar
                .wait_timeout(guard, remaining)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Wakes every waiter to re-check, after the limit grew.
    pub(super) fn wake_all(&self) {
        self.notify.notify_waiters();
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.condvar.notify_all();
    }

    /// Hands the slot just released to a waiter.
    #[cold]
    pub(super) fn wake_a_waiter(&self) {
        if self.async_waiters.load(SEQ) != 0 {
            self.notify.notify_one();
        }
        if self.blocking_waiters.load(SEQ) != 0 {
            // Taking the lock orders this notify after a waiter's locked re-check.
            let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
            self.condvar.notify_one();
        }
    }
}

/// Counts a waiter for as long as it lives, so a cancelled or panicking waiter unregisters.
struct WaiterGuard<'a>(&'a AtomicUsize);

impl<'a> WaiterGuard<'a> {
    fn register(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, SEQ);
        Self(count)
    }
}

impl Drop for WaiterGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SEQ);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waits_max_wait_then_rejects() {
        let b = bulkhead(1, MS(100));
        let _held = b.try_acquire().unwrap();
        let start = Instant::now();
        assert_eq!(
            b.acquire().await.unwrap_err(),
            Error::bulkhead_full("test", 1)
        );
        assert_eq!(start.elapsed(), MS(100));
        let m = b.metrics();
        assert_eq!((m.permitted, m.rejected, m.waiting), (1, 1, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn waiter_gets_a_freed_slot() {
        let b = bulkhead(1, MS(100));
        let start = Instant::now();
        let holder = async {
            let _permit = b.try_acquire().unwrap();
            sleep(MS(30)).await;
        };
        let waiter = async {
            assert_eq!(b.metrics().waiting, 0);
            let permit = b.acquire().await.unwrap();
            assert_eq!(start.elapsed(), MS(30), "woken as soon as the slot freed");
            drop(permit);
        };
        tokio::join!(holder, waiter);
        let m = b.metrics();
        assert_eq!(
            (m.permitted, m.rejected, m.in_flight, m.waiting),
            (2, 0, 0, 0)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn many_waiters_are_served_one_by_one() {
        let b = bulkhead(2, Duration::from_secs(10));
        let start = Instant::now();
        let done = std::cell::RefCell::new(Vec::new());
        let worker = |i: u64| {
            let (b, done) = (&b, &done);
            async move {
                let _permit = b.acquire().await.unwrap();
                sleep(MS(10)).await;
                done.borrow_mut().push((i, start.elapsed()));
            }
        };
        tokio::join!(worker(0), worker(1), worker(2), worker(3), worker(4));
        let finish_times: Vec<_> = done.borrow().iter().map(|(_, t)| *t).collect();
        assert_eq!(finish_times, [10, 10, 20, 20, 30].map(MS));
        assert_eq!(b.metrics().peak_in_flight, 2);
        assert_eq!(b.metrics().in_flight, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_a_waiting_acquire_unregisters_it() {
        let b = bulkhead(1, Duration::from_secs(10));
        let held = b.try_acquire().unwrap();
        let cut = tokio::time::timeout(MS(20), b.acquire()).await;
        assert!(cut.is_err());
        let m = b.metrics();
        assert_eq!((m.waiting, m.rejected, m.permitted), (0, 0, 1));
        drop(held);
        assert!(b.try_acquire().is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_woken_waiter_that_is_cancelled_passes_the_wakeup_on() {
        let b = bulkhead(1, Duration::from_secs(10));
        let held = b.try_acquire().unwrap();
        let mut first = Box::pin(b.acquire());
        let mut second = Box::pin(b.acquire());
        assert!(pending(first.as_mut()).await);
        assert!(pending(second.as_mut()).await);
        assert_eq!(b.metrics().waiting, 2);
        let start = Instant::now();
        drop(held); // wakes `first`, the oldest waiter...
        drop(first); // ...which is cancelled before it runs.
        let permit = second.await.unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "the wake-up was forwarded, not lost"
        );
        drop(permit);
        assert_eq!(b.metrics().waiting, 0);
    }

    #[test]
    fn blocking_fail_fast_and_timeout() {
        let b = bulkhead(1, Duration::ZERO);
        let held = b.acquire_blocking().unwrap();
        assert!(b.acquire_blocking().is_err());
        drop(held);
        assert_eq!(b.call_blocking(|| Ok::<_, Error>(3)), Ok(3));

        // A (real) millisecond of waiting, then rejection.
        let b = bulkhead(1, MS(1));
        let _held = b.acquire_blocking().unwrap();
        assert_eq!(
            b.acquire_blocking().unwrap_err(),
            Error::bulkhead_full("test", 1)
        );
        assert_eq!(b.metrics().waiting, 0);
    }

    #[test]
    fn blocking_waiter_gets_a_freed_slot() {
        // A deadline far beyond the test; the slot is freed as soon as the waiter is parked.
        let b = bulkhead(1, Duration::from_secs(3600));
        let held = b.acquire_blocking().unwrap();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| b.acquire_blocking().map(drop));
            while b.metrics().waiting == 0 {
                std::thread::yield_now();
            }
            drop(held);
            assert_eq!(waiter.join().unwrap(), Ok(()));
        });
        let m = b.metrics();
        assert_eq!(
            (m.permitted, m.rejected, m.in_flight, m.waiting),
            (2, 0, 0, 0)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn async_release_wakes_a_blocking_waiter() {
        let b = bulkhead(1, Duration::from_secs(3600));
        let held = b.acquire().await.unwrap();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| b.acquire_blocking().map(drop));
            while b.metrics().waiting == 0 {
                std::thread::yield_now();
            }
            drop(held);
            assert_eq!(waiter.join().unwrap(), Ok(()));
        });
    }
}

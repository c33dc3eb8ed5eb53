//! Bulkheads: a cap on concurrent calls, so one slow dependency cannot take every worker.
//!
//! A [`Bulkhead`] hands out at most `max_concurrent` [`BulkheadPermit`]s at a time; a permit
//! gives its slot back when dropped, so cancellation and panics release it too. When the
//! bulkhead is full, a caller waits up to `max_wait` for a slot (default: not at all) and is
//! then rejected with [`Error::BulkheadFull`].
//!
//! The happy path (a free slot) is one compare-and-swap loop on an atomic counter: no lock,
//! no allocation. Waiting callers park on a [`tokio::sync::Notify`] (async) or a
//! `Mutex` + `Condvar` (blocking); a release only touches them when someone is waiting.
//! Waiting is not FIFO-fair: a caller arriving while a slot is free takes it even if others
//! are queued.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::Poll;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Notify;

use crate::Error;
use crate::admission::Admission;
use crate::clock;
use crate::config::kill_switch;
use crate::registry::Named;
use crate::stripes::Stripes;

pub(crate) mod adapter;
#[cfg(all(test, loom))]
mod loom_tests;
mod sync;

use sync::SlotCounter;

// The slot counter and the waiter counters form a Dekker-style handshake (a releaser writes
// the slot counter then reads a waiter counter; a waiter writes its waiter counter then reads
// the slot counter), which needs sequential consistency to rule out both sides missing each
// other. On x86 and ARMv8 SeqCst loads and RMWs cost the same as Acquire/AcqRel ones.
const SEQ: Ordering = Ordering::SeqCst;
const RELAXED: Ordering = Ordering::Relaxed;

/// A shared handle to a [`Bulkhead`].
pub type BulkheadHandle = Arc<Bulkhead>;

/// Slots of [`Bulkhead::counted`].
const PERMITTED: usize = 0;
const REJECTED: usize = 1;

/// The configuration of a [`Bulkhead`]: how many calls may run at once, and how long a call
/// may wait for a slot when it is full.
///
/// ```
/// use resilience_runtime::bulkhead::BulkheadConfig;
/// use std::time::Duration;
///
/// const POOL: BulkheadConfig = BulkheadConfig::new(16).with_max_wait(Duration::from_millis(100));
/// assert_eq!(POOL.max_concurrent(), 16);
/// assert_eq!(POOL.max_wait(), Duration::from_millis(100));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct BulkheadConfig {
    max_concurrent: usize,
    max_wait: Duration,
}

impl BulkheadConfig {
    /// At most `max_concurrent` calls at once, failing fast when full. A limit of 0 rejects
    /// every call.
    #[must_use]
    pub const fn new(max_concurrent: usize) -> Self {
        Self {
            max_concurrent,
            max_wait: Duration::ZERO,
        }
    }

    /// How long a call may wait for a slot before it is rejected (0: reject at once).
    #[must_use]
    pub const fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// The concurrency limit.
    #[must_use]
    pub const fn max_concurrent(&self) -> usize {
        self.max_concurrent
    }

    /// The longest wait for a slot.
    #[must_use]
    pub const fn max_wait(&self) -> Duration {
        self.max_wait
    }
}

/// Counters and gauges of a [`Bulkhead`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct BulkheadMetrics {
    /// Permits handed out since creation.
    pub permitted: u64,
    /// Calls rejected because the bulkhead stayed full (calls cancelled while waiting count
    /// as neither permitted nor rejected).
    pub rejected: u64,
    /// Permits held right now.
    pub in_flight: usize,
    /// The most permits ever held at once.
    pub peak_in_flight: usize,
    /// Callers waiting for a slot right now.
    pub waiting: usize,
}

/// A point-in-time view of a [`Bulkhead`], for status pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BulkheadSnapshot {
    /// The registry name.
    pub name: &'static str,
    /// The configuration.
    pub config: BulkheadConfig,
    /// The counters.
    pub metrics: BulkheadMetrics,
}

/// A named cap on concurrent calls.
///
/// ```
/// use resilience_runtime::bulkhead::{Bulkhead, BulkheadConfig};
///
/// let pool = Bulkhead::new("pool", BulkheadConfig::new(1));
/// let permit = pool.try_acquire().unwrap();
/// assert_eq!(pool.in_flight(), 1);
/// assert!(pool.try_acquire().is_err()); // full, and max_wait is 0
/// drop(permit);
/// assert_eq!(pool.in_flight(), 0);
/// assert!(pool.try_acquire().is_ok());
/// ```
pub struct Bulkhead {
    name: &'static str,
    // The configuration lives in atomics so that it can change while calls are in flight.
    max_concurrent: SlotCounter,
    max_wait_nanos: AtomicU64,
    in_flight: SlotCounter,
    async_waiters: AtomicUsize,
    blocking_waiters: AtomicUsize,
    notify: Notify,
    lock: Mutex<()>,
    condvar: Condvar,
    /// Admitted ([`PERMITTED`]) and rejected ([`REJECTED`]) calls, striped: neither an
    /// admission nor a rejection takes a locked add for its count (see [`Stripes`]).
    counted: Stripes<2>,
    peak: SlotCounter,
}

/// The body of [`Bulkhead::new`], which is `const` except in the loom models.
macro_rules! empty_bulkhead {
    ($name:expr, $config:expr) => {
        Bulkhead {
            name: $name,
            max_concurrent: SlotCounter::new($config.max_concurrent),
            max_wait_nanos: AtomicU64::new(saturating_nanos($config.max_wait)),
            in_flight: SlotCounter::new(0),
            async_waiters: AtomicUsize::new(0),
            blocking_waiters: AtomicUsize::new(0),
            notify: Notify::const_new(),
            lock: Mutex::new(()),
            condvar: Condvar::new(),
            counted: Stripes::new(),
            peak: SlotCounter::new(0),
        }
    };
}

impl Bulkhead {
    /// An empty bulkhead (`const`, so it can live in a `static`).
    #[must_use]
    #[cfg(not(all(test, loom)))]
    pub const fn new(name: &'static str, config: BulkheadConfig) -> Self {
        empty_bulkhead!(name, config)
    }

    /// An empty bulkhead, in the loom models (whose atomics cannot be built in a `const fn`).
    #[must_use]
    #[cfg(all(test, loom))]
    pub fn new(name: &'static str, config: BulkheadConfig) -> Self {
        empty_bulkhead!(name, config)
    }

    /// The registry name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The configuration in force: as declared, or as last changed with
    /// [`set_max_concurrent`](Self::set_max_concurrent) and [`set_max_wait`](Self::set_max_wait).
    #[must_use]
    pub fn config(&self) -> BulkheadConfig {
        BulkheadConfig::new(self.max_concurrent()).with_max_wait(self.max_wait())
    }

    /// Permits held right now.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(RELAXED)
    }

    /// The concurrency limit.
    #[must_use]
    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent.load(RELAXED)
    }

    /// The longest wait for a slot.
    #[must_use]
    pub fn max_wait(&self) -> Duration {
        Duration::from_nanos(self.max_wait_nanos.load(RELAXED))
    }

    /// Changes the concurrency limit while calls run.
    ///
    /// Calls in flight keep their slots and give them back as usual, so nothing leaks: after
    /// lowering the limit below the calls in flight, new calls wait (or are rejected) until
    /// enough of them have finished; after raising it, waiting callers are woken to take the
    /// new slots.
    ///
    /// ```
    /// use resilience_runtime::bulkhead::{Bulkhead, BulkheadConfig};
    ///
    /// let pool = Bulkhead::new("resizable", BulkheadConfig::new(2));
    /// let (a, b) = (pool.try_acquire().unwrap(), pool.try_acquire().unwrap());
    /// pool.set_max_concurrent(1);
    /// drop(a);
    /// assert!(pool.try_acquire().is_err()); // still one in flight, the new limit
    /// drop(b);
    /// assert!(pool.try_acquire().is_ok());
    /// ```
    pub fn set_max_concurrent(&self, max_concurrent: usize) {
        let before = self.max_concurrent.swap(max_concurrent, SEQ);
        tracing::info!(
            name = self.name,
            before,
            after = max_concurrent,
            "bulkhead resized"
        );
        if max_concurrent > before {
            self.wake_all();
        }
    }

    /// Changes how long later callers wait for a slot (callers already waiting keep theirs).
    pub fn set_max_wait(&self, max_wait: Duration) {
        let before = self
            .max_wait_nanos
            .swap(saturating_nanos(max_wait), RELAXED);
        tracing::info!(
            name = self.name,
            before = ?Duration::from_nanos(before),
            after = ?max_wait,
            "bulkhead max_wait changed"
        );
    }

    /// Counters and gauges (each read individually).
    #[must_use]
    pub fn metrics(&self) -> BulkheadMetrics {
        BulkheadMetrics {
            permitted: self.counted.sum(PERMITTED),
            rejected: self.counted.sum(REJECTED),
            in_flight: self.in_flight.load(RELAXED),
            peak_in_flight: self.peak.load(RELAXED),
            waiting: self.async_waiters.load(RELAXED) + self.blocking_waiters.load(RELAXED),
        }
    }

    /// Name, configuration and counters.
    #[must_use]
    pub fn snapshot(&self) -> BulkheadSnapshot {
        BulkheadSnapshot {
            name: self.name,
            config: self.config(),
            metrics: self.metrics(),
        }
    }

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
        let _permit = self.acquire().await?;
        fut.await
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
        let _permit = self.acquire_blocking()?;
        f()
    }

    /// The lock-free fast path: claims a slot with a CAS loop if the count is below the limit.
    #[inline(always)]
    fn try_take(&self) -> Option<BulkheadPermit<'_>> {
        // The kill switch lifts the limit but keeps the count, so that releasing it leaks
        // nothing.
        let max = if kill_switch::engaged() {
            usize::MAX
        } else {
            self.max_concurrent.load(SEQ)
        };
        let mut current = self.in_flight.load(SEQ);
        loop {
            if current >= max {
                return None;
            }
            match self
                .in_flight
                .compare_exchange_weak(current, current + 1, SEQ, SEQ)
            {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        self.counted.bump(PERMITTED);
        let now = current + 1;
        // Read first: the peak rarely changes, and a plain load keeps the cache line shared.
        if now > self.peak.load(RELAXED) {
            self.peak.fetch_max(now, RELAXED);
        }
        Some(BulkheadPermit { bulkhead: self })
    }

    /// The rejection of a call, counted and logged. The error is built inline, in the
    /// caller's result (see the rate limiter's `reject`).
    #[inline(always)]
    fn reject(&self) -> Error {
        let max_concurrent = self.max_concurrent();
        self.note_rejection(max_concurrent);
        Error::bulkhead_full(self.name, max_concurrent)
    }

    #[inline(never)]
    fn note_rejection(&self, max_concurrent: usize) {
        self.counted.bump(REJECTED);
        tracing::debug!(
            name = self.name,
            max_concurrent,
            max_wait = ?self.max_wait(),
            "bulkhead full; call rejected"
        );
    }

    async fn wait_async(&self) -> Result<BulkheadPermit<'_>, Error> {
        // Registered before the first re-check, so a release after that check sees us.
        let _waiter = WaiterGuard::register(&self.async_waiters);
        let max_wait = self.max_wait();
        tracing::debug!(name = self.name, max_wait = ?max_wait, "bulkhead full; waiting");
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

    fn wait_blocking(&self) -> Result<BulkheadPermit<'_>, Error> {
        let _waiter = WaiterGuard::register(&self.blocking_waiters);
        let max_wait = self.max_wait();
        tracing::debug!(name = self.name, max_wait = ?max_wait, "bulkhead full; waiting");
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
    fn wake_all(&self) {
        self.notify.notify_waiters();
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.condvar.notify_all();
    }

    #[inline(always)]
    fn release(&self) {
        self.in_flight.fetch_sub(1, SEQ);
        if self.async_waiters.load(SEQ) != 0 || self.blocking_waiters.load(SEQ) != 0 {
            self.wake_a_waiter();
        }
    }

    /// Hands the slot just released to a waiter.
    #[cold]
    fn wake_a_waiter(&self) {
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

impl fmt::Debug for Bulkhead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bulkhead")
            .field("name", &self.name)
            .field("config", &self.config())
            .field("metrics", &self.metrics())
            .finish()
    }
}

impl Named for Bulkhead {
    const KIND: &'static str = "bulkhead";
    type Config = BulkheadConfig;

    fn create(name: &'static str, config: BulkheadConfig) -> Self {
        Self::new(name, config)
    }
}

/// A duration in nanoseconds, saturating (about 584 years).
const fn saturating_nanos(duration: Duration) -> u64 {
    let nanos = duration.as_nanos();
    if nanos > u64::MAX as u128 {
        u64::MAX
    } else {
        nanos as u64
    }
}

/// A slot in a [`Bulkhead`], given back when dropped.
#[must_use = "the slot is released as soon as the permit is dropped"]
pub struct BulkheadPermit<'a> {
    bulkhead: &'a Bulkhead,
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
    use super::*;
    use std::panic::AssertUnwindSafe;
    use std::sync::atomic::AtomicBool;
    use tokio::time::{Instant, sleep};

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn bulkhead(max: usize, max_wait: Duration) -> Bulkhead {
        Bulkhead::new("test", BulkheadConfig::new(max).with_max_wait(max_wait))
    }

    /// Polls `fut` once; true if it is still pending.
    async fn pending<F: Future>(fut: std::pin::Pin<&mut F>) -> bool {
        let mut fut = fut;
        poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_pending())).await
    }

    #[test]
    fn config_and_named() {
        let config = BulkheadConfig::new(4);
        assert_eq!(config.max_concurrent(), 4);
        assert_eq!(config.max_wait(), Duration::ZERO);
        let b = Bulkhead::create("pool", config.with_max_wait(MS(5)));
        assert_eq!(Bulkhead::KIND, "bulkhead");
        assert_eq!(b.config(), config.with_max_wait(MS(5)));
        assert_eq!((b.name(), b.max_concurrent()), ("pool", 4));
    }

    #[test]
    fn rejects_when_full_and_releases_on_drop() {
        let b = bulkhead(2, Duration::ZERO);
        let p1 = b.try_acquire().unwrap();
        let p2 = b.try_acquire().unwrap();
        assert_eq!(b.in_flight(), 2);
        assert_eq!(
            b.try_acquire().unwrap_err(),
            Error::bulkhead_full("test", 2)
        );
        drop(p1);
        assert_eq!(b.in_flight(), 1);
        let p3 = b.try_acquire().unwrap();
        assert_eq!(p3.bulkhead().name(), "test");
        drop((p2, p3));
        let m = b.metrics();
        assert_eq!(
            (
                m.permitted,
                m.rejected,
                m.in_flight,
                m.peak_in_flight,
                m.waiting
            ),
            (3, 1, 0, 2, 0)
        );
        let json = serde_json::to_value(b.snapshot()).unwrap();
        assert_eq!(json["name"], "test");
        assert_eq!(json["config"]["max_concurrent"], 2);
        assert_eq!(json["metrics"]["rejected"], 1);
    }

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

    /// Async tasks (waiting, failing fast, and cancelled mid-wait) and blocking threads hammer
    /// one bulkhead; the observed concurrency never exceeds the limit and everything drains.
    #[tokio::test(start_paused = true)]
    async fn raising_the_limit_wakes_waiters() {
        let pool = Arc::new(bulkhead(1, Duration::from_secs(10)));
        let held = pool.try_acquire().unwrap();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let pool = Arc::clone(&pool);
                tokio::spawn(async move {
                    let _slot = pool.acquire().await.map_err(drop)?;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    Ok::<_, ()>(tokio::time::Instant::now())
                })
            })
            .collect();
        tokio::task::yield_now().await;
        assert_eq!(pool.metrics().waiting, 2);
        let start = tokio::time::Instant::now();
        pool.set_max_concurrent(3);
        for waiter in waiters {
            // Both took a new slot at once, while the first slot is still held.
            let finished = waiter.await.unwrap().unwrap();
            assert_eq!(finished - start, Duration::from_secs(1));
        }
        assert_eq!(pool.in_flight(), 1);
        drop(held);
        assert_eq!((pool.in_flight(), pool.max_concurrent()), (0, 3));
    }

    #[test]
    fn lowering_the_limit_leaks_no_permit() {
        let pool = bulkhead(4, Duration::ZERO);
        let permits: Vec<_> = (0..4).map(|_| pool.try_acquire().unwrap()).collect();
        pool.set_max_concurrent(2);
        assert_eq!(pool.config().max_concurrent(), 2);
        let mut permits = permits.into_iter();
        drop(permits.next());
        drop(permits.next());
        // Two still in flight: at the new limit, so no new slot yet.
        assert!(pool.try_acquire().is_err());
        drop(permits.next());
        let again = pool.try_acquire().unwrap();
        drop(permits);
        drop(again);
        assert_eq!(pool.in_flight(), 0);
        assert_eq!(pool.try_acquire().map(|_| ()), Ok(()));
        pool.set_max_wait(Duration::from_millis(5));
        assert_eq!(pool.max_wait(), Duration::from_millis(5));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn stress_never_exceeds_the_limit() {
        const MAX: usize = 3;
        const ROUNDS: usize = 500;
        let b = Arc::new(bulkhead(MAX, Duration::from_secs(60)));
        let inside = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let admitted = Arc::new(AtomicU64::new(0));
        let exceeded = Arc::new(AtomicBool::new(false));
        let fast_rejections = Arc::new(AtomicU64::new(0));
        let enter = {
            let (inside, peak, admitted, exceeded) = (
                inside.clone(),
                peak.clone(),
                admitted.clone(),
                exceeded.clone(),
            );
            move || {
                let now = inside.fetch_add(1, SEQ) + 1;
                peak.fetch_max(now, SEQ);
                admitted.fetch_add(1, SEQ);
                if now > MAX {
                    exceeded.store(true, SEQ);
                }
            }
        };
        let leave = {
            let inside = inside.clone();
            move || {
                inside.fetch_sub(1, SEQ);
            }
        };

        let mut tasks = Vec::new();
        for task in 0..8 {
            let (b, enter, leave) = (b.clone(), enter.clone(), leave.clone());
            let fast_rejections = fast_rejections.clone();
            tasks.push(tokio::spawn(async move {
                for round in 0..ROUNDS {
                    let permit = match (task + round) % 4 {
                        0 => b
                            .try_acquire()
                            .inspect_err(|_| {
                                fast_rejections.fetch_add(1, SEQ);
                            })
                            .ok(),
                        // Cancelled (or not) while waiting: must leave no trace.
                        1 => tokio::time::timeout(Duration::from_micros(20), b.acquire())
                            .await
                            .ok()
                            .map(|acquired| acquired.unwrap()),
                        _ => Some(b.acquire().await.unwrap()),
                    };
                    if let Some(_permit) = permit {
                        enter();
                        tokio::task::yield_now().await;
                        leave();
                    }
                }
            }));
        }
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (b, enter, leave) = (b.clone(), enter.clone(), leave.clone());
                std::thread::spawn(move || {
                    for _ in 0..ROUNDS {
                        let _permit = b.acquire_blocking().unwrap();
                        enter();
                        std::thread::yield_now();
                        leave();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        for thread in threads {
            thread.join().unwrap();
        }

        assert!(!exceeded.load(SEQ));
        let m = b.metrics();
        assert!(peak.load(SEQ) <= MAX && m.peak_in_flight <= MAX);
        assert!(m.peak_in_flight >= peak.load(SEQ));
        assert_eq!((m.in_flight, m.waiting), (0, 0));
        // Only `try_acquire` rejects: waits are long, and cancelled waits count as nothing.
        assert_eq!(m.rejected, fast_rejections.load(SEQ));
        assert_eq!(m.permitted, admitted.load(SEQ));
        assert!(admitted.load(SEQ) >= (2 * ROUNDS) as u64);
        assert_eq!(inside.load(SEQ), 0);
    }
}

//! The [`Bulkhead`] itself and its shared handle: creation, what it is configured with, and
//! changing that while calls run.

use std::fmt;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, AtomicUsize};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::base::named::Named;
use crate::base::stripes::Stripes;

use super::adaptive::Controller;
use super::config::BulkheadConfig;
use super::sync::{RELAXED, SEQ, SlotCounter};

/// Stripes of [`Bulkhead`]'s `counted`: admitted and rejected calls.
pub(super) const PERMITTED: usize = 0;
pub(super) const REJECTED: usize = 1;

/// A shared handle to a [`Bulkhead`].
pub type BulkheadHandle = Arc<Bulkhead>;

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
    pub(super) name: &'static str,
    // The configuration lives in atomics so that it can change while calls are in flight.
    pub(super) max_concurrent: SlotCounter,
    /// The limit admission reads: `max_concurrent` for a static bulkhead, the algorithm's
    /// latest for an adaptive one.
    pub(super) limit: SlotCounter,
    /// The algorithm as [`algorithm_code`](super::limit::algorithm_code) writes it (0: static),
    /// read without a lock by admission (whether to time the call) and the reports.
    pub(super) algorithm: AtomicU8,
    pub(super) min_concurrent: AtomicUsize,
    /// An adaptive bulkhead times one call in this many (a power of two; see
    /// `adaptive/sampling.rs`), read without a lock by admission.
    pub(super) sample_stride: AtomicU32,
    /// The algorithm's state, updated by finished calls (a try-lock: see `limit.rs`).
    pub(super) controller: Mutex<Option<Controller>>,
    pub(super) max_wait_nanos: AtomicU64,
    pub(super) in_flight: SlotCounter,
    pub(super) async_waiters: AtomicUsize,
    pub(super) blocking_waiters: AtomicUsize,
    pub(super) notify: Notify,
    pub(super) lock: Mutex<()>,
    pub(super) condvar: Condvar,
    /// Admitted ([`PERMITTED`](PERMITTED)) and rejected
    /// ([`REJECTED`](REJECTED)) calls, striped: neither an admission nor a
    /// rejection takes a locked add for its count (see [`Stripes`]).
    pub(super) counted: Stripes<2>,
    pub(super) peak: SlotCounter,
}

/// The body of [`Bulkhead::new`], which is `const` except in the loom models.
macro_rules! empty_bulkhead {
    ($name:expr, $config:expr) => {
        Bulkhead {
            name: $name,
            max_concurrent: SlotCounter::new($config.max_concurrent()),
            limit: SlotCounter::new(super::limit::starting_limit(&$config)),
            algorithm: AtomicU8::new(super::limit::algorithm_code($config.adaptive())),
            min_concurrent: AtomicUsize::new($config.min_concurrent()),
            sample_stride: AtomicU32::new(1),
            controller: Mutex::new(super::limit::starting_controller(&$config)),
            max_wait_nanos: AtomicU64::new(saturating_nanos($config.max_wait())),
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
    /// [`set_max_concurrent`](Self::set_max_concurrent), [`set_max_wait`](Self::set_max_wait),
    /// [`set_adaptive`](Self::set_adaptive) and
    /// [`set_min_concurrent`](Self::set_min_concurrent).
    #[must_use]
    pub fn config(&self) -> BulkheadConfig {
        let config = BulkheadConfig::new(self.max_concurrent())
            .with_max_wait(self.max_wait())
            .with_min_concurrent(self.min_concurrent.load(RELAXED));
        match self.adaptive() {
            Some(algorithm) => config.with_adaptive(algorithm),
            None => config,
        }
    }

    /// Permits held right now.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(RELAXED)
    }

    /// The configured concurrency limit: for an adaptive bulkhead, the highest its limit goes
    /// ([`limit`](Self::limit) is the one in force).
    #[must_use]
    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent.load(RELAXED)
    }

    /// The longest wait for a slot.
    #[must_use]
    pub fn max_wait(&self) -> Duration {
        Duration::from_nanos(self.max_wait_nanos.load(RELAXED))
    }

    /// Changes the concurrency limit while calls run. An adaptive bulkhead keeps its
    /// algorithm's state: a lower `max_concurrent` clamps the limit in force, a higher one
    /// lets the algorithm grow it.
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
        let limit_before = self.limit.load(SEQ);
        let limit = self.clamp_limit();
        tracing::info!(
            target: "resilience_runtime::bulkhead",
            name = self.name,
            before,
            after = max_concurrent,
            "bulkhead resized"
        );
        if limit > limit_before {
            self.wake_all();
        }
    }

    /// Changes how long later callers wait for a slot (callers already waiting keep theirs).
    /// As with [`BulkheadConfig::with_max_wait`], a wait beyond `u64::MAX` nanoseconds (about
    /// 584 years) is kept as that.
    pub fn set_max_wait(&self, max_wait: Duration) {
        let before = self
            .max_wait_nanos
            .swap(saturating_nanos(max_wait), RELAXED);
        tracing::info!(
            target: "resilience_runtime::bulkhead",
            name = self.name,
            before = ?Duration::from_nanos(before),
            after = ?max_wait,
            "bulkhead max_wait changed"
        );
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::test_support::*;
    use super::*;

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
}

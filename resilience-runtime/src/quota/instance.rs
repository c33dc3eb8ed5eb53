//! [`Quota`]: the shared instance behind `#[quota]`, its construction and what it reports.
//! Deciding is in `admission.rs`, reading what is left in `remaining.rs`.

use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use super::divisor::Divisor;
use super::fixed::{FixedCount, FixedWindows};
use super::live_limit::LiveLimit;
use super::metrics::Counters;
use super::remote::Remote;
use super::sliding::{SlidingCount, SlidingWindows};
use super::slot::Slot;
use super::window_hint::WindowHint;
use super::{QuotaConfig, QuotaLimit, QuotaMetrics, QuotaSnapshot, QuotaWindow};
use crate::base::clock;
use crate::base::keyed::{KeyedStates, QUOTA_TARGET};

/// A shared [`Quota`], as the registry hands it out.
pub type QuotaHandle = Arc<Quota>;

/// Keeps the unkeyed count, written by every call, off the cache line of what calls only
/// read.
#[repr(align(128))]
#[derive(Debug, Default)]
pub(super) struct Padded<T>(pub(super) T);

/// The counts of one quota, by window: the unkeyed quota's and every key's.
pub(super) enum Counts {
    Fixed {
        unkeyed: Padded<FixedCount>,
        keys: KeyedStates<FixedCount>,
    },
    Sliding {
        unkeyed: Padded<SlidingCount>,
        keys: KeyedStates<SlidingCount>,
    },
}

/// An allowance of calls per period, for the whole quota or per key; over it, a call is
/// rejected at once with [`Error::QuotaExceeded`](crate::Error::QuotaExceeded).
///
/// ```
/// use resilience_runtime::quota::{Quota, QuotaConfig, QuotaLimit};
///
/// let quota = Quota::new("doc-quota", QuotaConfig::new(QuotaLimit::per_day(2)));
/// assert!(quota.try_acquire().is_ok());
/// assert!(quota.try_acquire().is_ok());
/// let err = quota.try_acquire().unwrap_err();
/// assert!(err.retry_after().is_some()); // the time until 00:00 UTC
/// assert_eq!(quota.remaining(&()), 0);
/// assert_eq!(quota.remaining(&"client-7"), 2); // every key has its own allowance
/// assert_eq!(quota.metrics().rejected, 1);
/// ```
pub struct Quota {
    pub(super) name: &'static str,
    /// The configuration in force: the declared one with `set_limit` applied.
    current: Mutex<QuotaConfig>,
    /// The count in force, read by every decision.
    pub(super) limit: LiveLimit,
    /// The period in nanoseconds (at least 1).
    pub(super) period: Divisor,
    /// The fixed window calls last fell in (unused by a sliding window).
    pub(super) window: WindowHint,
    pub(super) counts: Counts,
    pub(super) counters: Counters,
    /// The hash of `()`, the unkeyed quota's key.
    unit: u64,
    /// The shared count of a quota with a remote backend; `None` for a local one.
    pub(super) remote: Option<Remote>,
}

impl Quota {
    /// A quota with its whole allowance available.
    #[must_use]
    pub fn new(name: &'static str, config: QuotaConfig) -> Self {
        let nanos = clock::to_nanos(config.limit().period()).max(1);
        let period = Divisor::new(nanos);
        let (max_keys, idle_ttl) = (config.max_keys(), clock::to_nanos(config.idle_ttl()));
        let counts = match config.window() {
            QuotaWindow::Fixed => Counts::Fixed {
                unkeyed: Padded::default(),
                keys: KeyedStates::new(
                    name,
                    QUOTA_TARGET,
                    max_keys,
                    idle_ttl,
                    FixedWindows { period },
                ),
            },
            QuotaWindow::Sliding => Counts::Sliding {
                unkeyed: Padded::default(),
                keys: KeyedStates::new(
                    name,
                    QUOTA_TARGET,
                    max_keys,
                    idle_ttl,
                    SlidingWindows::new(nanos),
                ),
            },
        };
        let mut quota = Self {
            name,
            current: Mutex::new(config),
            limit: LiveLimit::new(config.limit().count()),
            period,
            window: WindowHint::default(),
            counts,
            counters: Counters::new(),
            unit: 0,
            remote: Remote::new(name, &config, nanos),
        };
        quota.unit = quota.hash(&());
        quota
    }

    /// The registry name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The configuration the quota runs with, including [`set_limit`](Self::set_limit).
    #[must_use]
    pub fn config(&self) -> QuotaConfig {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The limit in force: calls per period.
    #[must_use]
    pub fn limit(&self) -> QuotaLimit {
        self.config().limit()
    }

    /// Changes the calls allowed per period, at once and keeping what is counted: raised,
    /// the calls it adds are admitted in the current period; lowered below what is counted,
    /// nothing more is until the counts fall under it. The period stays.
    pub fn set_limit(&self, count: u32) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let limit = QuotaLimit::new(count, current.limit().period());
        *current = current.with_limit(limit);
        self.limit.set(count);
        tracing::info!(
            target: "resilience_runtime::quota",
            name = self.name, limit = %limit, "quota limit changed");
    }

    /// The counters since creation.
    #[must_use]
    pub fn metrics(&self) -> QuotaMetrics {
        let tracked = match &self.counts {
            Counts::Fixed { keys, .. } => keys.len(),
            Counts::Sliding { keys, .. } => keys.len(),
        };
        self.counters.read(tracked)
    }

    /// Name, config, metrics and what is left, for the registry's snapshot.
    #[must_use]
    pub fn snapshot(&self) -> QuotaSnapshot {
        QuotaSnapshot {
            name: self.name,
            config: self.config(),
            metrics: self.metrics(),
            remaining: self.remaining(&()),
            backend: self.remote.as_ref().map(Remote::status),
        }
    }

    /// The 64-bit hash of `key` for this quota's keys.
    #[inline]
    pub(super) fn hash<K: Hash + ?Sized>(&self, key: &K) -> u64 {
        match &self.counts {
            Counts::Fixed { keys, .. } => keys.hash(key),
            Counts::Sliding { keys, .. } => keys.hash(key),
        }
    }

    /// The count `key` is decided against: the unkeyed one for `()`.
    #[inline]
    pub(super) fn slot_of<K: Hash + ?Sized>(&self, key: &K) -> Slot {
        match self.hash(key) {
            hash if hash == self.unit => Slot::Unkeyed,
            hash => Slot::Key(hash),
        }
    }
}

impl fmt::Debug for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Quota")
            .field("name", &self.name)
            .field("config", &self.config())
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

impl crate::base::named::Named for Quota {
    const KIND: &'static str = "quota";
    type Config = QuotaConfig;

    fn create(name: &'static str, config: QuotaConfig) -> Self {
        Self::new(name, config)
    }
}

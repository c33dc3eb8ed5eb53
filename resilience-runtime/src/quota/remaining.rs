//! What a quota has left and when it resets, for handles, tests and status pages: read,
//! never counted.

use std::hash::Hash;
use std::time::Duration;

use super::fixed::window_at;
use super::instance::{Counts, Quota};
use super::slot::Slot;
use crate::base::clock::{self, Nanos};

impl Quota {
    /// The calls `key` may still make in the current period (`&()`: the unkeyed quota);
    /// counts none. A key the quota does not track (yet, or any more) has the whole limit.
    ///
    /// Read in this process, without I/O: for a quota with a remote backend it is this
    /// process's own count (what `on_backend_error = "local"` decides with), not the
    /// server's; the server's count is in each decision's [`Error::QuotaExceeded`](crate::Error::QuotaExceeded).
    ///
    /// ```
    /// use resilience_runtime::quota::{Quota, QuotaConfig, QuotaLimit};
    ///
    /// let quota = Quota::new("doc-remaining", QuotaConfig::new(QuotaLimit::per_hour(3)));
    /// quota.try_acquire_key("alice").unwrap();
    /// assert_eq!(quota.remaining(&"alice"), 2);
    /// assert_eq!(quota.remaining(&"bob"), 3);
    /// assert_eq!(quota.remaining(&()), 3);
    /// ```
    #[must_use]
    pub fn remaining<K: Hash + ?Sized>(&self, key: &K) -> u64 {
        let counted = self.counted(self.slot_of(key), clock::now());
        u64::from(self.limit.load().count).saturating_sub(counted)
    }

    /// How long until `key`'s count resets (`&()`: the unkeyed quota): with a fixed
    /// window, until the current period ends, always known; with a sliding one, until the
    /// oldest call that counts stops counting, `None` when none counts. As
    /// [`remaining`](Self::remaining), read in this process: for a remote backend, its own
    /// count's (a fixed window ends at the same instant by either clock, give or take how
    /// far this host's clock is from the server's).
    ///
    /// ```
    /// use resilience_runtime::quota::{Quota, QuotaConfig, QuotaLimit, QuotaWindow};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let config = QuotaConfig::new(QuotaLimit::per_minute(5)).with_window(QuotaWindow::Sliding);
    /// let quota = Quota::new("doc-resets", config);
    /// assert_eq!(quota.resets_in(&()), None);
    /// quota.try_acquire().unwrap();
    /// let resets_in = quota.resets_in(&()).unwrap();
    /// // One period, and at most a thirty-first of it more.
    /// assert!(resets_in > Duration::from_secs(60) && resets_in <= Duration::from_secs(62));
    /// # }
    /// ```
    #[must_use]
    pub fn resets_in<K: Hash + ?Sized>(&self, key: &K) -> Option<Duration> {
        let (slot, now) = (self.slot_of(key), clock::now());
        let resets = match &self.counts {
            Counts::Fixed { .. } => Some(window_at(self.period, now).1),
            Counts::Sliding { unkeyed, keys } => {
                let windows = *keys.context();
                let next = |state: &super::sliding::SlidingCount| {
                    state.with(|log| {
                        log.count(windows, now);
                        log.next_free(windows, now)
                    })
                };
                match slot {
                    Slot::Unkeyed => next(&unkeyed.0),
                    Slot::Key(hash) => keys.with_existing(hash, next).flatten(),
                }
            }
        };
        resets.map(clock::to_duration)
    }

    /// The calls of `slot` that count at `now`.
    fn counted(&self, slot: Slot, now: Nanos) -> u64 {
        match &self.counts {
            Counts::Fixed { unkeyed, keys } => {
                let (index, _) = window_at(self.period, now);
                let count = match slot {
                    Slot::Unkeyed => unkeyed.0.count(index),
                    Slot::Key(hash) => keys
                        .with_existing(hash, |state| state.count(index))
                        .unwrap_or(0),
                };
                u64::from(count)
            }
            Counts::Sliding { unkeyed, keys } => {
                let windows = *keys.context();
                let count = |state: &super::sliding::SlidingCount| {
                    state.with(|log| log.count(windows, now))
                };
                match slot {
                    Slot::Unkeyed => count(&unkeyed.0),
                    Slot::Key(hash) => keys.with_existing(hash, count).unwrap_or(0),
                }
            }
        }
    }
}

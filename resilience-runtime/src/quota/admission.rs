//! The decision: a call counted against its allowance, or rejected at once.

use std::hash::Hash;

use super::instance::{Counts, Quota};
use super::key::QuotaKeyHash;
use super::sliding::SlidingCount;
use super::slot::Slot;
use crate::Error;
use crate::base::admission::Admission;
use crate::base::clock::{self, Nanos, wall_at};
use crate::base::kill_switch;

impl Quota {
    /// Counts a call against the unkeyed quota, in this process: also for a quota with a
    /// remote backend (its in-process count, what `on_backend_error = "local"` falls back
    /// to); only [`acquire`](Self::acquire) and [`acquire_key`](Self::acquire_key) ask the
    /// backend.
    ///
    /// # Errors
    ///
    /// [`Error::QuotaExceeded`] when the period's allowance is used up, with the time until
    /// the quota admits a call again.
    #[inline(always)]
    pub fn try_acquire(&self) -> Result<(), Error> {
        self.decide(Slot::Unkeyed, clock::now())
    }

    /// [`try_acquire`](Self::try_acquire) against `key`'s own allowance (`()` is the
    /// unkeyed quota). A borrowed key is hashed where it is, without allocating; keys are
    /// told apart by a 64-bit hash, as a rate limit's are.
    ///
    /// # Errors
    ///
    /// As [`try_acquire`](Self::try_acquire).
    #[inline]
    pub fn try_acquire_key<K: Hash + ?Sized>(&self, key: &K) -> Result<(), Error> {
        self.decide(self.slot_of(key), clock::now())
    }

    /// [`try_acquire_key`](Self::try_acquire_key) with the key already hashed, as generated
    /// code calls it.
    #[inline]
    pub(crate) fn try_acquire_hashed(&self, key: &QuotaKeyHash) -> Result<(), Error> {
        self.decide(key.slot, clock::now())
    }

    /// The decision generated code takes first, in place: with a remote backend,
    /// [`Admission::Wait`] (ask it with [`acquire_hashed`](Self::acquire_hashed)).
    #[inline(always)]
    pub(super) fn admit_now(&self, slot: Slot) -> Admission<()> {
        if self.remote.is_some() {
            return Admission::Wait;
        }
        match self.decide(slot, clock::now()) {
            Ok(()) => Admission::Admitted(()),
            Err(error) => Admission::Rejected(error),
        }
    }

    /// The decision for `slot` at `now`.
    #[inline(always)]
    pub(super) fn decide(&self, slot: Slot, now: Nanos) -> Result<(), Error> {
        if kill_switch::engaged() {
            return Ok(());
        }
        match self.count_one(slot, now) {
            Ok(()) => {
                self.counters.admitted();
                Ok(())
            }
            Err(resets_in) => Err(self.reject(slot, resets_in)),
        }
    }

    /// Counts one call of `slot` at `now` if its allowance has room; else the time until it
    /// has (`None`: never, a limit of zero).
    #[inline(always)]
    fn count_one(&self, slot: Slot, now: Nanos) -> Result<(), Option<Nanos>> {
        let limit = self.limit.load();
        // Don't fill the key table for a quota that admits nothing anyway.
        if limit.count == 0 {
            return Err(None);
        }
        match &self.counts {
            Counts::Fixed { unkeyed, keys } => {
                let (index, left) = self.window.find(self.period, wall_at(now));
                let counted = match slot {
                    Slot::Unkeyed => unkeyed.0.admit(index, limit.count),
                    Slot::Key(hash) => {
                        keys.with_state(hash, now, |state| state.admit(index, limit.count))
                    }
                };
                counted.map(drop).map_err(|_| Some(left))
            }
            Counts::Sliding { unkeyed, keys } => {
                let windows = *keys.context();
                let admit = |state: &SlidingCount| state.admit(windows, now, limit);
                let counted = match slot {
                    Slot::Unkeyed => admit(&unkeyed.0),
                    Slot::Key(hash) => keys.with_state(hash, now, admit),
                };
                counted.map(drop).map_err(Some)
            }
        }
    }

    /// The rejection of a call to `slot`, counted and logged; built inline in the caller's
    /// result, counted inline, and logged out of line only when the log is on (see the rate
    /// limiter's `reject`).
    #[inline(always)]
    pub(super) fn reject(&self, slot: Slot, resets_in: Option<Nanos>) -> Error {
        self.counters.rejected();
        if tracing::enabled!(target: "resilience_runtime::quota", tracing::Level::DEBUG) {
            self.log_rejection(slot, resets_in);
        }
        Error::quota_exceeded(self.name, resets_in.map(clock::to_duration))
    }

    #[cold]
    #[inline(never)]
    fn log_rejection(&self, slot: Slot, resets_in: Option<Nanos>) {
        tracing::debug!(
            target: "resilience_runtime::quota",
            name = self.name,
            keyed = matches!(slot, Slot::Key(_)),
            resets_in = ?resets_in.map(clock::to_duration),
            "quota exceeded; call rejected"
        );
    }
}

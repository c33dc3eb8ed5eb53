//! [`Lease`]: admissions a sliding log has already counted and set aside for the calls of its
//! current phase, so that those calls are admitted with one compare-and-swap instead of the
//! log's lock.
//!
//! A log's decision depends on the time only through the bucket it counts in and the first
//! bucket that still counts; between two changes of either (a *phase*) a call is admitted if
//! and only if fewer than the limit count, whatever the instant. So a decision that admits a
//! call at `d` may count `k` more admissions in `d`'s bucket, up to the limit, and leave them
//! here with the instant its phase ends: a call before that instant takes one, and is decided
//! exactly as the log would decide it at `d` (the log decides a call that read the clock
//! before its latest instant as of that instant anyway). Every use of the log under its lock
//! first takes back what is left ([`retire`](Lease::retire)) and uncounts it, so the log
//! holds exactly the calls admitted whenever it is read or decides.
//!
//! The grant word holds the limit's epoch (16 bits: a lowered or raised limit voids a lease)
//! and what is left (48 bits); the phase's end is a second word. A grant writes the end, then
//! publishes the word; a retire empties the word first. A call that took a unit of the word
//! after reading an end therefore read its own grant's end or an earlier one (a grant's end
//! is never before an earlier grant's, the log's time only moving forward), so it never
//! takes a unit of a phase it is past.

use std::sync::atomic::Ordering;

// loom's in the loom models of `sliding.rs`, which explore its races with the log's lock.
#[cfg(all(test, loom))]
use loom::sync::atomic::AtomicU64;
#[cfg(not(all(test, loom)))]
use std::sync::atomic::AtomicU64;

use super::live_limit::Limit;
use crate::base::clock::Nanos;

const LEFT_BITS: u32 = 48;
const LEFT: u64 = (1 << LEFT_BITS) - 1;

/// See the module docs.
#[derive(Debug, Default)]
pub(super) struct Lease {
    grant: AtomicU64,
    /// The instant the granted phase ends.
    until: AtomicU64,
}

const fn epoch_tag(limit: Limit) -> u64 {
    (limit.epoch & 0xffff) as u64
}

impl Lease {
    /// Takes one admission granted under `limit` for a phase `now` is in, if one is left.
    #[inline(always)]
    pub(super) fn take(&self, limit: Limit, now: Nanos) -> bool {
        let mut word = self.grant.load(Ordering::Acquire);
        loop {
            if word & LEFT == 0
                || word >> LEFT_BITS != epoch_tag(limit)
                || now >= self.until.load(Ordering::Acquire)
            {
                return false;
            }
            match self.grant.compare_exchange_weak(
                word,
                word - 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(actual) => word = actual,
            }
        }
    }

    /// Takes back what is left of the grant, for the log to uncount. Under the log's lock.
    #[inline]
    #[allow(clippy::cast_possible_truncation)]
    pub(super) fn retire(&self) -> u32 {
        // At most a grant's count, a u32.
        (self.grant.swap(0, Ordering::AcqRel) & LEFT) as u32
    }

    /// Sets aside `count` admissions, already counted, for calls under `limit` before
    /// `until`. Under the log's lock, after a [`retire`](Self::retire).
    #[inline]
    pub(super) fn grant(&self, limit: Limit, until: Nanos, count: u32) {
        self.until.store(until, Ordering::Release);
        self.grant.store(
            (epoch_tag(limit) << LEFT_BITS) | u64::from(count),
            Ordering::Release,
        );
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit { count: 9, epoch: 2 };

    #[test]
    fn a_grant_is_taken_before_its_end_under_its_limit_then_retired() {
        let lease = Lease::default();
        assert!(!lease.take(LIMIT, 0));
        lease.grant(LIMIT, 100, 2);
        assert!(!lease.take(LIMIT, 100));
        let other = Limit { count: 9, epoch: 3 };
        assert!(!lease.take(other, 50));
        assert!(lease.take(LIMIT, 50));
        assert_eq!(lease.retire(), 1);
        assert!(!lease.take(LIMIT, 50));
        assert_eq!(lease.retire(), 0);
        lease.grant(LIMIT, 200, 1);
        assert!(lease.take(LIMIT, 150));
        assert!(!lease.take(LIMIT, 150));
        assert_eq!(lease.retire(), 0);
    }
}

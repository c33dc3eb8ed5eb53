//! [`Blocked`]: a full sliding log's note that no slot frees before a given instant, read
//! without the log's lock, so that the calls rejected while a quota is used up cost a load and
//! a compare rather than the lock and a search of the buckets.
//!
//! A note holds while its limit is in force: admissions only add to a log, so once a decision
//! found no room until `T`, none frees before `T`; a raised limit (a new epoch) voids it. The
//! word holds the epoch's low 16 bits and `T` in 48 bits of [`UNIT`]s from [`BASE`], two
//! years before the process clock's origin, which reach nine years past it (beyond, no note
//! is made and every call takes the lock). `T` is rounded down for the check (a call in the
//! last unit before `T` takes the lock and is decided exactly) and up for the `resets_in` it
//! reports (late by at most one unit, about a microsecond; never early).

use std::sync::atomic::{AtomicU64, Ordering};

use super::live_limit::Limit;
use crate::base::clock::{Nanos, ORIGIN_NANOS};

/// The resolution of a note: 1 024 ns.
const UNIT_BITS: u32 = 10;
const UNIT: Nanos = 1 << UNIT_BITS;
/// The instant a note's units count from.
const BASE: Nanos = ORIGIN_NANOS - (1 << 56);
const UNITS_BITS: u32 = 48;
const UNITS: u64 = (1 << UNITS_BITS) - 1;

/// See the module docs.
#[derive(Debug, Default)]
pub(super) struct Blocked(AtomicU64);

const fn epoch_tag(limit: Limit) -> u64 {
    (limit.epoch & 0xffff) as u64
}

impl Blocked {
    /// The time from `now` until a slot may free, if a note under `limit` says none does
    /// before then.
    #[inline]
    pub(super) fn resets_in(&self, limit: Limit, now: Nanos) -> Option<Nanos> {
        let word = self.0.load(Ordering::Relaxed);
        let until = BASE + ((word & UNITS) << UNIT_BITS);
        (word >> UNITS_BITS == epoch_tag(limit) && word & UNITS != 0 && now < until)
            .then(|| until + UNIT - now)
    }

    /// Notes that, under `limit`, no slot frees for `resets_in` from `now`.
    #[inline]
    pub(super) fn note(&self, limit: Limit, now: Nanos, resets_in: Nanos) {
        let units = now.saturating_add(resets_in).saturating_sub(BASE) >> UNIT_BITS;
        if units != 0 && units <= UNITS {
            self.0
                .store((epoch_tag(limit) << UNITS_BITS) | units, Ordering::Relaxed);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit { count: 5, epoch: 3 };
    /// An instant on the process clock's scale, a multiple of the unit.
    const NOW: Nanos = ORIGIN_NANOS + (1 << 30);

    #[test]
    fn a_note_holds_until_its_instant_under_its_limit() {
        let blocked = Blocked::default();
        assert_eq!(blocked.resets_in(LIMIT, NOW), None);
        blocked.note(LIMIT, NOW, 10 * UNIT + 400);
        // Noted down to 10 units on, reported up to 11: late by at most a unit.
        assert_eq!(blocked.resets_in(LIMIT, NOW), Some(11 * UNIT));
        assert_eq!(
            blocked.resets_in(LIMIT, NOW + 10 * UNIT - 1),
            Some(UNIT + 1)
        );
        // The last unit before the instant is left to the exact decision.
        assert_eq!(blocked.resets_in(LIMIT, NOW + 10 * UNIT), None);
        // A changed limit voids the note.
        let raised = Limit { count: 6, epoch: 4 };
        assert_eq!(blocked.resets_in(raised, NOW), None);
    }

    #[test]
    fn an_instant_beyond_the_word_is_not_noted() {
        let blocked = Blocked::default();
        blocked.note(LIMIT, u64::MAX - 5, 10);
        assert_eq!(blocked.resets_in(LIMIT, 0), None);
        blocked.note(LIMIT, 5, 10);
        assert_eq!(blocked.resets_in(LIMIT, 0), None);
    }
}

//! A sliding window's admissions, exactly: never more than the limit in any span of one
//! period, in bounded memory.
//!
//! Time is cut into buckets of `width` = ⌈period / 31⌉ and each admission is counted in its
//! bucket. An admission made in bucket `b` counts until `(b + 1) · width + period`: at least
//! one full period after it was made (so no span of one period ever holds more than the
//! limit: the count a decision reads includes every admission of the period before it), and
//! at most one bucket later than that. **A freed slot comes back up to one bucket late**,
//! `period / 31`: 46 minutes for a daily quota, under 2 minutes for an hourly one, 2 seconds
//! for one per minute; never early. The buckets a decision can see span at most 32, so a key
//! costs a ring of 32 counters and a few words (about 200 bytes with its lock and its
//! [`Lease`]), whatever the limit.
//!
//! A decision under the lock that admits a call also sets aside the rest of the room, up to
//! the limit, for the calls of the same phase ([`Lease`]); those are admitted without the
//! lock, as a full log's calls are rejected without it ([`Blocked`]).

use std::sync::PoisonError;
// loom's in the loom models below, which explore the lease's races with the lock.
#[cfg(all(test, loom))]
use loom::sync::Mutex;
#[cfg(not(all(test, loom)))]
use std::sync::Mutex;

use super::blocked::Blocked;
use super::divisor::Divisor;
use super::lease::Lease;
use super::live_limit::Limit;
use crate::base::clock::Nanos;
use crate::base::keyed::KeyState;

/// Counters in the ring: one more than the buckets a period spans.
const SLOTS: usize = 32;
/// Buckets per period.
const BUCKETS: u64 = SLOTS as u64 - 1;

/// A sliding window's period and bucket width, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SlidingWindows {
    period: Nanos,
    /// A bucket's width, as the divisor every decision finds its buckets with.
    width: Divisor,
}

impl SlidingWindows {
    /// Buckets for `period` (0 counts as 1 ns).
    pub(super) const fn new(period: Nanos) -> Self {
        let period = if period == 0 { 1 } else { period };
        Self {
            period,
            width: Divisor::new(period.div_ceil(BUCKETS)),
        }
    }

    /// When an admission counted in `bucket` stops counting.
    const fn frees(&self, bucket: u64) -> Nanos {
        (bucket.saturating_add(1))
            .saturating_mul(self.width.get())
            .saturating_add(self.period)
    }

    /// The first instant after `now` at which the bucket a call counts in, or the first
    /// bucket that still counts, is not `now`'s: the end of `now`'s phase ([`Lease`]).
    const fn phase_end(&self, now: Nanos) -> Nanos {
        let width = self.width.get();
        let next_bucket = self.width.div(now).saturating_add(1).saturating_mul(width);
        let first = self.width.div(now.saturating_sub(self.period));
        let next_first = self.frees(first);
        if next_bucket < next_first {
            next_bucket
        } else {
            next_first
        }
    }
}

/// The counts of one key (or of an unkeyed quota): see the module docs.
#[derive(Debug, Clone, Default)]
pub(super) struct SlidingLog {
    /// The first bucket that may still count; every slot outside `oldest..=newest` is zero.
    oldest: u64,
    /// The newest bucket with an admission.
    newest: u64,
    /// The bucket the last [`Lease`] was counted in.
    leased_in: u64,
    /// The latest time seen: time never moves back for the log.
    latest: Nanos,
    /// The sum of `counts`.
    total: u64,
    counts: [u32; SLOTS],
}

impl SlidingLog {
    /// Forgets the buckets that no longer count at `now`; returns the time the log decides
    /// at (`now`, or a later time already seen).
    fn expire(&mut self, windows: SlidingWindows, now: Nanos) -> Nanos {
        let now = now.max(self.latest);
        self.latest = now;
        // The first bucket `b` with `frees(b) > now`.
        let first = windows.width.div(now.saturating_sub(windows.period));
        if first > self.oldest {
            if first - self.oldest >= SLOTS as u64 {
                self.counts = [0; SLOTS];
                self.total = 0;
            } else {
                for bucket in self.oldest..first {
                    let slot = &mut self.counts[slot_of(bucket)];
                    self.total -= u64::from(*slot);
                    *slot = 0;
                }
            }
            self.oldest = first;
        }
        now
    }

    /// Counts one admission at `now` if fewer than `limit` count: the count after it, or
    /// `Err` with how long until a slot frees.
    pub(super) fn admit(
        &mut self,
        windows: SlidingWindows,
        now: Nanos,
        limit: u32,
    ) -> Result<u64, Nanos> {
        let now = self.expire(windows, now);
        if self.total >= u64::from(limit) {
            return Err(self.next_free(windows, now).unwrap_or(windows.period));
        }
        // `now`'s bucket is at most 31 after `oldest` (module docs), so its slot is its own.
        let bucket = windows.width.div(now);
        let slot = &mut self.counts[slot_of(bucket)];
        *slot = slot.saturating_add(1);
        self.total += 1;
        self.newest = self.newest.max(bucket);
        Ok(self.total)
    }

    /// Counts `extra` more admissions in the bucket of the latest instant (where the last
    /// admission was just counted), for a [`Lease`].
    fn count_leased(&mut self, windows: SlidingWindows, extra: u32) {
        let bucket = windows.width.div(self.latest);
        let slot = &mut self.counts[slot_of(bucket)];
        *slot = slot.saturating_add(extra);
        self.total += u64::from(extra);
        self.leased_in = bucket;
    }

    /// Uncounts the `unused` admissions a [`Lease`] gave back. Its bucket still counts: no
    /// decision, so no expiry, came between the grant and this.
    fn uncount_leased(&mut self, unused: u32) {
        let slot = &mut self.counts[slot_of(self.leased_in)];
        *slot -= unused;
        self.total -= u64::from(unused);
    }

    /// The admissions that count at `now`.
    pub(super) fn count(&mut self, windows: SlidingWindows, now: Nanos) -> u64 {
        self.expire(windows, now);
        self.total
    }

    /// How long from `now` until the oldest admission that counts stops counting.
    pub(super) fn next_free(&self, windows: SlidingWindows, now: Nanos) -> Option<Nanos> {
        (self.oldest..=self.newest.max(self.oldest))
            .take(SLOTS)
            .find(|&bucket| self.counts[slot_of(bucket)] > 0)
            .map(|bucket| windows.frees(bucket).saturating_sub(now))
    }

    /// When every admission made so far stops counting (long ago for none).
    fn all_free_at(&self, windows: SlidingWindows) -> Nanos {
        if self.total == 0 {
            0
        } else {
            windows.frees(self.newest)
        }
    }
}

/// The ring slot of `bucket`.
#[allow(clippy::cast_possible_truncation)]
const fn slot_of(bucket: u64) -> usize {
    // Below SLOTS, so the cast keeps it whole.
    (bucket % SLOTS as u64) as usize
}

/// A [`SlidingLog`] behind a lock, as a keyed map stores it, with the admissions set aside
/// for calls of the current phase ([`Lease`]) and the note that lets calls be rejected while
/// it is full ([`Blocked`]), both read without the lock.
#[derive(Debug, Default)]
pub(super) struct SlidingCount {
    log: Mutex<SlidingLog>,
    lease: Lease,
    blocked: Blocked,
}

impl SlidingCount {
    /// [`SlidingLog::admit`] under `limit` (`Err`: the time until a slot frees), answered from
    /// the lease while it lasts and from the note while one says the log is full.
    #[inline]
    pub(super) fn admit(
        &self,
        windows: SlidingWindows,
        now: Nanos,
        limit: Limit,
    ) -> Result<(), Nanos> {
        if self.lease.take(limit, now) {
            return Ok(());
        }
        if let Some(resets_in) = self.blocked.resets_in(limit, now) {
            return Err(resets_in);
        }
        self.admit_locked(windows, now, limit)
    }

    /// [`admit`](Self::admit) under the log's lock, leasing the room left when it admits:
    /// out of line, so that a quota's decision inlined into its caller carries the lease's
    /// and the note's checks and not the lock.
    #[inline(never)]
    fn admit_locked(&self, windows: SlidingWindows, now: Nanos, limit: Limit) -> Result<(), Nanos> {
        let decided = self.with(|log| {
            let total = log.admit(windows, now, limit.count)?;
            // At most the limit, so within u32.
            let room = u32::try_from(u64::from(limit.count).saturating_sub(total)).unwrap_or(0);
            if room > 0 {
                log.count_leased(windows, room);
                self.lease.grant(limit, windows.phase_end(log.latest), room);
            }
            Ok(())
        });
        if let Err(resets_in) = decided {
            self.blocked.note(limit, now, resets_in);
        }
        decided
    }

    /// Runs `f` on the log, with the lease's unused admissions taken back and uncounted
    /// first, so that `f` sees exactly the calls admitted. The log holds plain counts and
    /// nothing panics while it is held, so a poisoned lock (a panic elsewhere in the thread)
    /// leaves it consistent.
    #[inline]
    pub(super) fn with<R>(&self, f: impl FnOnce(&mut SlidingLog) -> R) -> R {
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        let unused = self.lease.retire();
        if unused > 0 {
            log.uncount_leased(unused);
        }
        f(&mut log)
    }
}

impl KeyState for SlidingCount {
    type Context = SlidingWindows;

    fn free_at(&self, windows: &SlidingWindows, _now: Nanos) -> Nanos {
        self.with(|log| log.all_free_at(*windows))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECOND: Nanos = 1_000_000_000;

    #[test]
    fn a_full_log_frees_a_slot_one_period_and_at_most_a_bucket_after_it_counted() {
        let windows = SlidingWindows::new(31 * SECOND);
        assert_eq!(windows.width.get(), SECOND);
        let mut log = SlidingLog::default();
        let start = 100 * SECOND + SECOND / 2;
        assert_eq!(log.admit(windows, start, 2), Ok(1));
        assert_eq!(log.admit(windows, start + 3 * SECOND, 2), Ok(2));
        // Full: the first admission (bucket 100) frees at 101 s + 31 s.
        let wait = log.admit(windows, start + 4 * SECOND, 2).unwrap_err();
        assert_eq!(start + 4 * SECOND + wait, 132 * SECOND);
        assert_eq!(log.admit(windows, 132 * SECOND - 1, 2), Err(1));
        assert_eq!(log.admit(windows, 132 * SECOND, 2), Ok(2));
        assert_eq!(log.count(windows, 132 * SECOND), 2);
        // Long after, the log is empty and free.
        assert_eq!(log.count(windows, 1_000 * SECOND), 0);
        assert_eq!(log.all_free_at(windows), 0);
    }

    #[test]
    fn time_never_moves_back_and_tiny_periods_work() {
        let windows = SlidingWindows::new(0);
        assert_eq!((windows.period, windows.width.get()), (1, 1));
        let mut log = SlidingLog::default();
        assert_eq!(log.admit(windows, 10, 1), Ok(1));
        // An earlier reading decides as of the latest one.
        assert_eq!(log.admit(windows, 5, 1), Err(2));
        assert_eq!(log.admit(windows, 12, 1), Ok(1));
    }

    #[test]
    fn a_locked_admission_leases_the_room_left_and_a_read_takes_it_back() {
        let windows = SlidingWindows::new(31 * SECOND);
        let count = SlidingCount::default();
        let limit = Limit { count: 4, epoch: 0 };
        let start = 100 * SECOND;
        assert_eq!(count.admit(windows, start, limit), Ok(()));
        // The other three are counted already and left for the phase, up to its end at 101 s.
        assert_eq!(count.log.lock().unwrap().total, 4);
        assert!(count.lease.take(limit, 101 * SECOND - 1));
        assert!(!count.lease.take(limit, 101 * SECOND));
        // A read takes back the two left: the log counts the two calls admitted.
        assert_eq!(count.with(|log| log.count(windows, start)), 2);
        assert_eq!(count.admit(windows, start + 1, limit), Ok(()));
        assert_eq!(count.admit(windows, start + 2, limit), Ok(()));
        assert!(count.admit(windows, start + 3, limit).is_err());
        assert_eq!(count.with(|log| log.count(windows, start + 3)), 4);
    }

    /// Threads racing on one count, with a reader taking the lease back all along and the
    /// limit raised mid-way: every call counts for the whole run (4 s of a 31 s period, over 4
    /// phases), so exactly the raised limit is admitted and the log counts exactly that.
    #[test]
    fn racing_threads_admit_exactly_the_limit_and_the_log_counts_them() {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

        use super::super::live_limit::LiveLimit;

        const THREADS: u64 = 4;
        const ATTEMPTS: u64 = 4_000;
        let windows = SlidingWindows::new(31 * SECOND);
        let (count, limit) = (SlidingCount::default(), LiveLimit::new(5_000));
        let start = 100 * SECOND;
        let (clock, admitted, done) =
            (AtomicU64::new(0), AtomicU64::new(0), AtomicBool::new(false));
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    let counted = count.with(|log| log.count(windows, start));
                    assert!(counted <= 6_000, "{counted} counted");
                    std::thread::yield_now();
                }
            });
            let callers: Vec<_> = (0..THREADS)
                .map(|_| {
                    scope.spawn(|| {
                        for _ in 0..ATTEMPTS {
                            let tick = clock.fetch_add(1, Ordering::Relaxed);
                            if tick == ATTEMPTS {
                                limit.set(6_000);
                            }
                            let now = start + tick * (SECOND / ATTEMPTS);
                            if count.admit(windows, now, limit.load()).is_ok() {
                                admitted.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    })
                })
                .collect();
            for caller in callers {
                caller.join().unwrap();
            }
            done.store(true, Ordering::Relaxed);
        });
        assert_eq!(admitted.load(Ordering::Relaxed), 6_000);
        let end = start + THREADS * SECOND;
        assert_eq!(count.with(|log| log.count(windows, end)), 6_000);
    }

    /// Admitted times of a log fed attempts at `times` (sorted), limit `limit`.
    fn run(windows: SlidingWindows, limit: u32, times: &[Nanos]) -> Vec<(Nanos, bool)> {
        let mut log = SlidingLog::default();
        times
            .iter()
            .map(|&now| (now, log.admit(windows, now, limit).is_ok()))
            .collect()
    }

    proptest! {
        /// Against a brute-force log of every admission: no closed span of one period ever
        /// holds more than the limit; and a call is refused only when the period and one
        /// bucket before it hold the limit (a freed slot is never more than a bucket late).
        #[test]
        fn exact_against_a_brute_force_log(
            period in 1u64..10_000,
            limit in 1u32..20,
            gaps in prop::collection::vec(0u64..3_000, 1..400),
        ) {
            let windows = SlidingWindows::new(period);
            let times: Vec<Nanos> = gaps
                .iter()
                .scan(1_000_000u64, |now, gap| { *now += gap; Some(*now) })
                .collect();
            let decisions = run(windows, limit, &times);
            let admitted: Vec<Nanos> =
                decisions.iter().filter(|(_, ok)| *ok).map(|(t, _)| *t).collect();
            for (i, &start) in admitted.iter().enumerate() {
                let within = admitted[i..].iter().take_while(|&&t| t <= start + period).count();
                prop_assert!(within <= limit as usize, "{within} admissions in [{start}, {start} + {period}]");
            }
            for &(now, ok) in &decisions {
                if !ok {
                    let recent = admitted
                        .iter()
                        .filter(|&&t| t <= now && t + period + windows.width.get() > now)
                        .count();
                    prop_assert!(recent >= limit as usize, "refused at {now} with {recent} recent");
                }
            }
        }

        /// A phase ends at the first instant whose bucket, or first bucket that still counts,
        /// differs from its start's; both only grow, so they hold all through it.
        #[test]
        fn a_phase_ends_where_a_bucket_changes(period in 1u64..1 << 40, now in 0u64..1 << 62) {
            let windows = SlidingWindows::new(period);
            let buckets = |at: Nanos| {
                (windows.width.div(at), windows.width.div(at.saturating_sub(windows.period)))
            };
            let end = windows.phase_end(now);
            prop_assert!(end > now);
            prop_assert_eq!(buckets(end - 1), buckets(now));
            prop_assert_ne!(buckets(end), buckets(now));
        }

        /// The lease that admits and the note that rejects without the lock change no
        /// decision: the same calls are admitted as by the log alone, a rejection's
        /// `resets_in` is the log's or up to a microsecond later, and reads between calls
        /// (which take back the lease) count what the log counts.
        #[test]
        fn the_lock_free_lease_and_rejection_decide_as_the_log(
            period_micros in 10u64..10_000,
            limit in 1u32..20,
            gaps in prop::collection::vec(0u64..300_000, 1..400),
            raise_at in 0usize..400,
            read_every in 1usize..50,
        ) {
            let windows = SlidingWindows::new(period_micros * 1_000);
            let (noted, mut log) = (SlidingCount::default(), SlidingLog::default());
            let mut now = crate::base::clock::ORIGIN_NANOS + 1_000_000_000;
            for (i, gap) in gaps.iter().enumerate() {
                now += gap;
                // Once, the limit is raised (a new epoch) mid-way.
                let limit = if i >= raise_at {
                    Limit { count: limit + 1, epoch: 1 }
                } else {
                    Limit { count: limit, epoch: 0 }
                };
                let expected = log.admit(windows, now, limit.count);
                match (noted.admit(windows, now, limit), expected) {
                    (Ok(()), Ok(_)) => {}
                    (Err(noted), Err(exact)) => {
                        prop_assert!(noted >= exact && noted <= exact + 1_024, "{noted} vs {exact}");
                    }
                    (noted, exact) => prop_assert!(false, "at {now}: {noted:?} vs {exact:?}"),
                }
                if i % read_every == 0 {
                    let counted = noted.with(|noted| noted.count(windows, now));
                    prop_assert_eq!(counted, log.count(windows, now));
                }
            }
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Loom models of a sliding count's lease: every interleaving of calls taking it, a call of
    //! the next phase taking it back under the lock, and a read doing the same.
    //!
    //! Run with `RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`.

    use std::sync::Arc;

    use super::*;
    use crate::base::loom_support::count_admitted;

    const SECOND: Nanos = 1_000_000_000;
    /// The first call's instant; every call of the models counts for the whole model.
    const START: Nanos = 100 * SECOND;

    /// One bucket a second, every call counting for 31 s.
    fn windows() -> SlidingWindows {
        SlidingWindows::new(31 * SECOND)
    }

    /// A count whose first call, admitted under `limit`, leased the rest of the room.
    fn leased(limit: Limit) -> Arc<SlidingCount> {
        let count = Arc::new(SlidingCount::default());
        assert_eq!(count.admit(windows(), START, limit), Ok(()));
        count
    }

    /// Two calls racing, the `i`th at `START + i · step`, after a first one: how many of the
    /// three were admitted, and how many the log counts afterwards.
    fn race(limit: u32, step: Nanos) -> (usize, u64) {
        let limit = Limit {
            count: limit,
            epoch: 0,
        };
        let count = leased(limit);
        let admitted = count_admitted(2, |i| {
            let count = Arc::clone(&count);
            move || {
                count
                    .admit(windows(), START + i as Nanos * step, limit)
                    .is_ok()
            }
        });
        let counted = count.with(|log| log.count(windows(), START + step));
        (admitted + 1, counted)
    }

    #[test]
    fn loom_a_lease_taken_while_the_next_phase_takes_it_back_admits_the_limit() {
        loom::model(|| {
            // One slot left for the two: the lease's, or the locked decision's a second later.
            assert_eq!(race(2, SECOND), (2, 2));
        });
        loom::model(|| {
            // Room for both.
            assert_eq!(race(3, SECOND), (3, 3));
        });
    }

    #[test]
    fn loom_calls_of_the_next_phase_never_take_the_last_phases_lease() {
        loom::model(|| {
            let limit = Limit { count: 3, epoch: 0 };
            let count = leased(limit);
            let next = START + SECOND;
            let admitted = count_admitted(2, |_| {
                let count = Arc::clone(&count);
                move || count.admit(windows(), next, limit).is_ok()
            });
            assert_eq!(admitted, 2);
            // Counted in their own bucket: when the first call stops counting, they still do.
            let first_frees = windows().frees(windows().width.div(START));
            assert_eq!(count.with(|log| log.count(windows(), first_frees)), 2);
        });
    }

    #[test]
    fn loom_a_read_taking_the_lease_back_while_two_calls_race_for_the_last_slot() {
        loom::model(|| {
            let limit = Limit { count: 2, epoch: 0 };
            let count = leased(limit);
            let reader = {
                let count = Arc::clone(&count);
                loom::thread::spawn(move || count.with(|log| log.count(windows(), START)))
            };
            let admitted = count_admitted(2, |_| {
                let count = Arc::clone(&count);
                move || count.admit(windows(), START, limit).is_ok()
            });
            let read = reader.join().unwrap();
            assert!((1..=2).contains(&read), "read {read}");
            assert_eq!(admitted, 1);
            assert_eq!(count.with(|log| log.count(windows(), START)), 2);
        });
    }
}

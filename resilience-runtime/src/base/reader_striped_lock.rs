//! [`ReaderStripedLock`]: `N` values, each behind a reader-writer lock whose readers write
//! only a cache line of their own thread's, for data read on every call and changed rarely
//! (the per-key map's shards).
//!
//! A `std::sync::RwLock` read lock is a read-modify-write of the lock's word, so threads that
//! only read still pass that word's cache line between their cores on every call. Here each
//! of the first [`OWNED_STRIPES`] threads (the thread index of [`crate::base::stripes`]) owns
//! a stripe, one cache line of reader counts (one per part), and a reader marks only its own
//! stripe, with a plain load and store; threads beyond those share one overflow stripe with
//! atomic adds. A reader then checks that no writer is at work on its part; if one is, it
//! unmarks, waits for the writer and tries again. A writer (rare: a new key, a sweep, an
//! eviction) takes the part's writer mutex, raises the part's `writing` flag and waits until
//! no stripe counts a reader of its part.
//!
//! **Why a reader and a writer never both go in.** This is the store-then-load pattern of
//! Dekker's mutual exclusion: the reader stores its mark and loads the flag, the writer stores
//! the flag and loads every mark. Each side puts a `SeqCst` fence between its store and its
//! load. Those fences are totally ordered: if the writer's comes first, the reader's load of
//! the flag sees it raised (or lowered again by a writer that has finished); if the reader's
//! comes first, the writer's load of the mark sees it (or the unmark of a reader that has
//! finished). Either way one side sees the other. The plain `Acquire`/`Release` pairs carry
//! the data: a writer's lowering of the flag (`Release`) to the reader that loads it
//! (`Acquire`), a reader's unmark (`Release`) to the writer that reads the mark back at zero
//! (`Acquire`), so whatever one side did under the lock happens before the other's turn.
//!
//! **Never blocking for long.** A reader never waits while it is marked, so a writer waits
//! only for readers already inside, which hold the lock for a few loads and atomics. Writers
//! exclude each other with a mutex; a waiting reader parks on that mutex too, rather than
//! spinning through a writer's work. [`try_write`](ReaderStripedLock::try_write) gives up at
//! once when another writer holds the part (a sweep never waits for a sweep), and waits only
//! for the readers inside.
//!
//! **Panics.** A panic while a guard is held unmarks the reader or lowers the flag as the
//! guard drops, and a poisoned writer mutex is taken over: as with the per-key map's tables
//! before, a panic never leaves a part unusable (the data must stay consistent on its own).

use std::ops::{Deref, DerefMut};

use self::sync::{AtomicBool, AtomicU32, Mutex, MutexGuard, Ordering, TryLockError, fence};
use self::sync::{ConstPtr, MutPtr, UnsafeCell, relax};

/// The synchronisation primitives: std's, or loom's in the loom models
/// (`RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`).
mod sync {
    #[cfg(all(test, loom))]
    pub(super) use loom::sync::atomic::{AtomicBool, AtomicU32, fence};
    #[cfg(all(test, loom))]
    pub(super) use loom::sync::{Mutex, MutexGuard};
    #[cfg(not(all(test, loom)))]
    pub(super) use std::sync::atomic::{AtomicBool, AtomicU32, fence};
    #[cfg(not(all(test, loom)))]
    pub(super) use std::sync::{Mutex, MutexGuard};
    pub(super) use std::sync::{PoisonError, TryLockError, atomic::Ordering};

    /// Waits a moment in a loop that waits for other threads (loom must be told, or it
    /// explores the loop forever).
    #[cfg(all(test, loom))]
    pub(super) fn relax(_spins: &mut u32) {
        loom::thread::yield_now();
    }

    /// Waits a moment in a loop that waits for other threads: spins first (readers hold
    /// the lock for nanoseconds), then yields the core to whoever we wait for.
    #[cfg(not(all(test, loom)))]
    pub(super) fn relax(spins: &mut u32) {
        if *spins < 64 {
            *spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }

    #[cfg(all(test, loom))]
    pub(super) use loom::cell::{ConstPtr, MutPtr, UnsafeCell};

    /// std's `UnsafeCell` with loom's interface, whose pointers loom tracks for data races.
    #[cfg(not(all(test, loom)))]
    #[derive(Debug)]
    pub(super) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    #[cfg(not(all(test, loom)))]
    impl<T> UnsafeCell<T> {
        pub(super) const fn new(value: T) -> Self {
            Self(std::cell::UnsafeCell::new(value))
        }

        pub(super) fn get(&self) -> ConstPtr<T> {
            ConstPtr(self.0.get())
        }

        pub(super) fn get_mut(&self) -> MutPtr<T> {
            MutPtr(self.0.get())
        }
    }

    #[cfg(not(all(test, loom)))]
    pub(super) struct ConstPtr<T>(*const T);

    #[cfg(not(all(test, loom)))]
    impl<T> ConstPtr<T> {
        /// # Safety
        /// No `&mut` to the value may live as long as the returned reference.
        pub(super) unsafe fn deref(&self) -> &T {
            // SAFETY: the caller's promise, and the pointer came from a live cell.
            unsafe { &*self.0 }
        }
    }

    #[cfg(not(all(test, loom)))]
    pub(super) struct MutPtr<T>(*mut T);

    #[cfg(not(all(test, loom)))]
    impl<T> MutPtr<T> {
        /// # Safety
        /// No other reference to the value may live as long as the returned one.
        #[allow(clippy::mut_from_ref)]
        pub(super) unsafe fn deref(&self) -> &mut T {
            // SAFETY: the caller's promise, and the pointer came from a live cell.
            unsafe { &mut *self.0 }
        }
    }

    /// A poisoned lock's guard taken over, or the poison error's own.
    pub(super) fn unpoisoned<G>(result: Result<G, PoisonError<G>>) -> G {
        result.unwrap_or_else(PoisonError::into_inner)
    }
}

/// Stripes owned by one thread each (those of [`crate::base::stripes`]); two in the loom
/// models, which name each thread's stripe themselves, to keep the models small.
#[cfg(not(all(test, loom)))]
const OWNED_STRIPES: usize = crate::base::stripes::STRIPES;
#[cfg(all(test, loom))]
const OWNED_STRIPES: usize = 2;

/// One stripe: the readers of each part that mark here, alone on their cache line(s) (128
/// bytes: adjacent-line prefetching pairs lines on common x86 parts).
#[repr(align(128))]
struct Stripe<const N: usize>([AtomicU32; N]);

impl<const N: usize> Stripe<N> {
    fn new() -> Self {
        Self(std::array::from_fn(|_| AtomicU32::new(0)))
    }
}

/// One part: its value, and what its writers set. Aligned so that a writer of one part does
/// not disturb the readers of the next.
#[repr(align(128))]
struct Part<T> {
    /// Raised by the writer holding `writer` while it may touch `value`.
    writing: AtomicBool,
    writer: Mutex<()>,
    value: UnsafeCell<T>,
}

/// `N` values of type `T`, each locked on its own; see the module docs.
///
/// ```ignore
/// let lock = ReaderStripedLock::<Vec<u64>, 4>::new(|_| Vec::new());
/// lock.write(2).push(7);
/// assert_eq!(lock.read(2).first(), Some(&7));
/// ```
pub(crate) struct ReaderStripedLock<T, const N: usize> {
    parts: [Part<T>; N],
    owned: [Stripe<N>; OWNED_STRIPES],
    overflow: Stripe<N>,
}

// SAFETY: the lock hands out `&T` to many threads at once (readers) and `&mut T` to one
// (a writer), never both at once: `Sync` for `T: Send + Sync`, as `RwLock`.
unsafe impl<T: Send + Sync, const N: usize> Sync for ReaderStripedLock<T, N> {}
// SAFETY: the lock owns its values; moving it moves them.
unsafe impl<T: Send, const N: usize> Send for ReaderStripedLock<T, N> {}

impl<T, const N: usize> ReaderStripedLock<T, N> {
    /// `N` parts, part `i` holding `value(i)`.
    pub(crate) fn new(mut value: impl FnMut(usize) -> T) -> Self {
        Self {
            parts: std::array::from_fn(|i| Part {
                writing: AtomicBool::new(false),
                writer: Mutex::new(()),
                value: UnsafeCell::new(value(i)),
            }),
            owned: std::array::from_fn(|_| Stripe::new()),
            overflow: Stripe::new(),
        }
    }

    /// Reads part `part` (below `N`), waiting while a writer holds it.
    #[inline]
    pub(crate) fn read(&self, part: usize) -> ReadGuard<'_, T> {
        self.read_on(crate::base::stripes::thread_index(), part)
    }

    /// Reads part `part` as a reader marking stripe `stripe` (an owned stripe's only
    /// marker, or anything from [`OWNED_STRIPES`] on for the overflow stripe).
    #[inline]
    fn read_on(&self, stripe: usize, part: usize) -> ReadGuard<'_, T> {
        let owner = self.owned.get(stripe);
        let stripe = owner.unwrap_or(&self.overflow);
        let shared = &self.parts[part];
        let mark = &stripe.0[part];
        loop {
            match owner {
                // The stripe's only writer: no locked add needed.
                Some(_) => mark.store(
                    mark.load(Ordering::Relaxed).wrapping_add(1),
                    Ordering::Relaxed,
                ),
                None => {
                    mark.fetch_add(1, Ordering::Relaxed);
                }
            }
            // Between the mark and the flag: see the module docs.
            fence(Ordering::SeqCst);
            if !shared.writing.load(Ordering::Acquire) {
                return ReadGuard {
                    value: shared.value.get(),
                    mark,
                    owned: owner.is_some(),
                };
            }
            unmark(mark, owner.is_some());
            // Wait for the writer, parked on its mutex rather than spinning.
            drop(sync::unpoisoned(shared.writer.lock()));
        }
    }

    /// Writes part `part` (below `N`), waiting for its other writer, if any, and for the
    /// readers inside.
    pub(crate) fn write(&self, part: usize) -> WriteGuard<'_, T> {
        let shared = &self.parts[part];
        let writer = sync::unpoisoned(shared.writer.lock());
        self.enter(part, writer)
    }

    /// Writes part `part` (below `N`) if no other writer holds it; waits only for the
    /// readers inside.
    pub(crate) fn try_write(&self, part: usize) -> Option<WriteGuard<'_, T>> {
        let writer = match self.parts[part].writer.try_lock() {
            Ok(writer) => writer,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return None,
        };
        Some(self.enter(part, writer))
    }

    /// Raises `part`'s flag and waits until no reader of it is inside.
    fn enter<'a>(&'a self, part: usize, writer: MutexGuard<'a, ()>) -> WriteGuard<'a, T> {
        let shared = &self.parts[part];
        shared.writing.store(true, Ordering::Relaxed);
        // Between the flag and the marks: see the module docs.
        fence(Ordering::SeqCst);
        for stripe in self.owned.iter().chain(std::iter::once(&self.overflow)) {
            let mut spins = 0;
            // Seen at zero once is enough: a reader marking from then on sees the flag.
            while stripe.0[part].load(Ordering::Acquire) != 0 {
                relax(&mut spins);
            }
        }
        WriteGuard {
            value: shared.value.get_mut(),
            writing: &shared.writing,
            _writer: writer,
        }
    }
}

/// Takes a reader's mark back; `Release` so that its reads happen before the next writer's.
#[inline]
fn unmark(mark: &AtomicU32, owned: bool) {
    if owned {
        mark.store(
            mark.load(Ordering::Relaxed).wrapping_sub(1),
            Ordering::Release,
        );
    } else {
        mark.fetch_sub(1, Ordering::Release);
    }
}

/// A part read; unmarks its reader when dropped.
pub(crate) struct ReadGuard<'a, T> {
    value: ConstPtr<T>,
    mark: &'a AtomicU32,
    owned: bool,
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: while this reader is marked no writer is inside its part (module docs),
        // and readers only share `&T`.
        unsafe { self.value.deref() }
    }
}

impl<T> Drop for ReadGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        unmark(self.mark, self.owned);
    }
}

/// A part written; lowers the part's flag and lets the next writer in when dropped.
pub(crate) struct WriteGuard<'a, T> {
    value: MutPtr<T>,
    writing: &'a AtomicBool,
    /// Released after `drop` has lowered the flag (fields drop after the body).
    _writer: MutexGuard<'a, ()>,
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the writer is alone in its part (module docs).
        unsafe { self.value.deref() }
    }
}

impl<T> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the writer is alone in its part (module docs), and `&mut self` makes this
        // reference the only one it hands out.
        unsafe { self.value.deref() }
    }
}

impl<T> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        // `Release`: a reader that sees the flag lowered sees what this writer wrote.
        self.writing.store(false, Ordering::Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn reads_and_writes_each_part_on_its_own() {
        let lock = ReaderStripedLock::<Vec<u64>, 4>::new(|i| vec![i as u64]);
        lock.write(2).push(7);
        assert_eq!(*lock.read(2), vec![2, 7]);
        assert_eq!(*lock.read(1), vec![1]);
        // A reader of one part does not keep a writer out of another.
        let reading = lock.read(0);
        lock.write(3).clear();
        assert_eq!(reading.len(), 1);
        drop(reading);
        assert!(lock.read(3).is_empty());
    }

    #[test]
    fn nested_reads_on_one_thread_count_each_reader() {
        let lock = ReaderStripedLock::<u64, 2>::new(|_| 5);
        let outer = lock.read(1);
        let inner = lock.read(1);
        drop(inner);
        // Still marked by `outer`: a writer would have to wait.
        let stripe = crate::base::stripes::thread_index();
        let marks = lock.owned.get(stripe).unwrap_or(&lock.overflow).0[1].load(Ordering::Relaxed);
        assert_eq!(marks, 1);
        drop(outer);
        *lock.write(1) += 1;
        assert_eq!(*lock.read(1), 6);
    }

    #[test]
    fn try_write_gives_up_only_on_another_writer() {
        let lock = ReaderStripedLock::<u64, 2>::new(|_| 0);
        let writer = lock.write(0);
        assert!(lock.try_write(0).is_none());
        assert!(lock.try_write(1).is_some());
        drop(writer);
        *lock.try_write(0).unwrap() = 9;
        assert_eq!(*lock.read(0), 9);
    }

    #[test]
    fn a_panic_under_a_guard_leaves_the_part_usable() {
        let lock = ReaderStripedLock::<u64, 1>::new(|_| 1);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut value = lock.write(0);
            *value = 2;
            panic!("while writing");
        }));
        assert!(panicked.is_err());
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _value = lock.read(0);
            panic!("while reading");
        }));
        assert!(panicked.is_err());
        assert!(lock.try_write(0).is_some());
        *lock.write(0) += 1;
        assert_eq!(*lock.read(0), 3);
    }

    #[test]
    fn overflow_readers_share_a_stripe() {
        let lock = ReaderStripedLock::<u64, 1>::new(|_| 4);
        let first = lock.read_on(OWNED_STRIPES, 0);
        let second = lock.read_on(usize::MAX, 0);
        assert_eq!(lock.overflow.0[0].load(Ordering::Relaxed), 2);
        assert_eq!(*first + *second, 8);
        drop((first, second));
        assert_eq!(lock.overflow.0[0].load(Ordering::Relaxed), 0);
        *lock.write(0) = 0;
    }

    /// Readers (more threads than owned stripes, so some share the overflow stripe) check that
    /// a pair written in two steps never changes under them nor shows half a write, while
    /// writers (blocking and trying) keep rewriting it.
    #[test]
    fn stress_readers_never_see_a_write_in_progress() {
        const PARTS: usize = 2;
        let lock = ReaderStripedLock::<(u64, u64), PARTS>::new(|_| (0, 0));
        let reads = AtomicU64::new(0);
        let writes = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for reader in 0..OWNED_STRIPES + 4 {
                let (lock, reads) = (&lock, &reads);
                scope.spawn(move || {
                    for i in 0..2_000 {
                        let pair = lock.read((reader + i) % PARTS);
                        let (first, second) = *pair;
                        assert_eq!(first, second, "half a write seen");
                        std::hint::spin_loop();
                        assert_eq!(*pair, (first, second), "changed under a reader");
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            for writer in 0..3 {
                let (lock, writes) = (&lock, &writes);
                scope.spawn(move || {
                    for i in 0..500 {
                        let part = (writer + i) % PARTS;
                        let guard = if i % 2 == 0 {
                            Some(lock.write(part))
                        } else {
                            lock.try_write(part)
                        };
                        if let Some(mut pair) = guard {
                            pair.0 += 1;
                            std::hint::spin_loop();
                            pair.1 += 1;
                            writes.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(
            reads.load(Ordering::Relaxed),
            2_000 * (OWNED_STRIPES as u64 + 4)
        );
        // Every write that got in is counted once, in one of the parts.
        let total: u64 = (0..PARTS).map(|part| lock.read(part).0).sum();
        assert_eq!(total, writes.load(Ordering::Relaxed));
        assert!(total >= 750, "blocking writes always get in");
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! A reader and a writer of one part, on each kind of stripe: loom's tracked cell fails
    //! the model on any interleaving where both are inside at once.
    //!
    //! Run with `RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`.

    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    fn reader_and_writer(reader_stripe: usize) {
        loom::model(move || {
            let lock = Arc::new(ReaderStripedLock::<u64, 1>::new(|_| 0));
            let reader = {
                let lock = Arc::clone(&lock);
                thread::spawn(move || *lock.read_on(reader_stripe, 0))
            };
            *lock.write(0) += 1;
            let seen = reader.join().unwrap();
            assert!(seen <= 1);
            assert_eq!(*lock.read_on(0, 0), 1);
        });
    }

    #[test]
    fn loom_a_reader_on_its_own_stripe_and_a_writer_never_overlap() {
        reader_and_writer(0);
    }

    #[test]
    fn loom_a_reader_on_the_overflow_stripe_and_a_writer_never_overlap() {
        reader_and_writer(OWNED_STRIPES);
    }

    #[test]
    fn loom_a_try_write_racing_a_reader_and_a_writer_stays_exclusive() {
        loom::model(|| {
            let lock = Arc::new(ReaderStripedLock::<u64, 1>::new(|_| 0));
            let reader = {
                let lock = Arc::clone(&lock);
                thread::spawn(move || *lock.read_on(1, 0))
            };
            let trier = {
                let lock = Arc::clone(&lock);
                thread::spawn(move || lock.try_write(0).map(|mut value| *value += 1).is_some())
            };
            *lock.write(0) += 1;
            let tried = u64::from(trier.join().unwrap());
            assert!(reader.join().unwrap() <= 1 + tried);
            assert_eq!(*lock.read_on(0, 0), 1 + tried);
        });
    }
}

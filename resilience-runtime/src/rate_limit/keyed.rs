//! Per-key GCRA states in a bounded, sharded map.
//!
//! Keys are reduced to a 64-bit hash and only the hash is stored, so hashing a `&str` key
//! allocates nothing and every entry has the same small size (16 bytes plus the map's
//! overhead). The map is split into [`SHARDS`] `RwLock`ed shards: a key already present costs
//! a read lock and the GCRA's atomics; only a new key takes a shard's write lock.
//!
//! **Collisions.** Two keys with the same hash share one limit. With a 64-bit hash the
//! chance is negligible for accidental collisions (about `n² / 2⁶⁵` for `n` live keys: under
//! one in a billion at 100 000 keys). Each limiter seeds its hasher randomly
//! ([`RandomState`]), so callers who choose keys (e.g. client ids in a request) cannot
//! compute collisions in advance to share, and so exhaust, a victim's limit.
//!
//! **Bound.** At most `max_keys` keys are stored. Inserting into a full map first forgets
//! every idle key (TAT ≤ now: its state is indistinguishable from a fresh key's, so nothing
//! is lost); if no key is idle it forgets the least busy key of one shard (smallest TAT),
//! which then starts over with a fresh burst. That is the price of bounded memory: a flood of
//! distinct keys can reset busy keys, never grow the map.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::clock::Nanos;

/// Number of shards; a power of two well above typical core counts keeps write-lock
/// contention on inserts low without making a full sweep expensive.
const SHARDS: usize = 16;

type StateMap = HashMap<u64, AtomicU64, BuildHasherDefault<Prehashed>>;

/// One shard, cache-line aligned so readers of neighbouring shards do not contend on the
/// lock word.
#[repr(align(128))]
#[derive(Default)]
struct Shard(RwLock<StateMap>);

impl Shard {
    // The maps hold plain atomics and no code panics while holding a guard, so a poisoned
    // lock (a panic elsewhere in the thread) leaves consistent data: keep using it.
    fn read(&self) -> RwLockReadGuard<'_, StateMap> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, StateMap> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The map's own hasher: keys are already uniform 64-bit hashes, so use them as they are.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by `u64` keys; fold anything else for completeness.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

/// The shard of a key hash. Multiplying first decorrelates the shard from the bits the
/// shard's own table uses.
fn shard_of(hash: u64) -> usize {
    // The top 4 bits of the product: always < 16, so the cast cannot truncate.
    (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as usize
}

/// The GCRA states of every tracked key of one limiter.
pub(super) struct KeyedStates {
    name: &'static str,
    shards: [Shard; SHARDS],
    /// Stored keys plus insertions in progress; never above `max_keys`.
    len: AtomicUsize,
    max_keys: usize,
    /// A lower bound on the TAT of every stored key, so a full map skips sweeping for idle
    /// keys while none can be idle. Keys' TATs only grow, except when a waiter gives its slot
    /// back, and both that and inserts lower the bound. A sweep racing with an insert may
    /// overwrite a lower value; that only makes a later eviction pick the least busy key of
    /// one shard instead of sweeping, never breaks the bound on the number of keys.
    idle_hint: AtomicU64,
    hasher: RandomState,
}

impl KeyedStates {
    /// An empty map holding at most `max_keys` keys (at least 1). Allocates nothing until
    /// the first key arrives.
    pub(super) fn new(name: &'static str, max_keys: usize) -> Self {
        Self {
            name,
            shards: Default::default(),
            len: AtomicUsize::new(0),
            max_keys: max_keys.max(1),
            idle_hint: AtomicU64::new(0),
            hasher: RandomState::new(),
        }
    }

    /// The 64-bit hash that identifies `key`.
    #[inline]
    pub(super) fn hash<K: Hash + ?Sized>(&self, key: &K) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The number of tracked keys.
    pub(super) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Runs `f` on the state of `hash`, inserting a fresh state (making room if the map is
    /// full) when the key is not tracked yet.
    #[inline]
    pub(super) fn with_state<R>(
        &self,
        hash: u64,
        now: Nanos,
        f: impl FnOnce(&AtomicU64) -> R,
    ) -> R {
        {
            let map = self.shards[shard_of(hash)].read();
            if let Some(state) = map.get(&hash) {
                return f(state);
            }
        }
        self.insert_with(hash, now, f)
    }

    /// Runs `f` on the state of `hash` if the key is still tracked.
    pub(super) fn with_existing<R>(&self, hash: u64, f: impl FnOnce(&AtomicU64) -> R) -> Option<R> {
        self.shards[shard_of(hash)].read().get(&hash).map(f)
    }

    /// Records that some key's TAT went down to `tat` (a waiter gave its slot back).
    pub(super) fn note_lowered(&self, tat: Nanos) {
        self.idle_hint.fetch_min(tat, Ordering::AcqRel);
    }

    #[cold]
    fn insert_with<R>(&self, hash: u64, now: Nanos, f: impl FnOnce(&AtomicU64) -> R) -> R {
        let home = shard_of(hash);
        loop {
            {
                let mut map = self.shards[home].write();
                if let Some(state) = map.get(&hash) {
                    // Another thread inserted it since our read lock.
                    return f(state);
                }
                if self.try_reserve() {
                    let state = map.entry(hash).or_default();
                    let out = f(state);
                    self.note_lowered(state.load(Ordering::Acquire));
                    return out;
                }
            }
            // Full: make room with no lock held (sweeping takes each shard's lock in turn).
            self.make_room(now, home);
        }
    }

    /// Counts one more key if there is room.
    fn try_reserve(&self) -> bool {
        self.len
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max_keys).then_some(n + 1)
            })
            .is_ok()
    }

    #[cold]
    fn make_room(&self, now: Nanos, home: usize) {
        if now >= self.idle_hint.load(Ordering::Acquire) && self.sweep_idle(now) > 0 {
            return;
        }
        if self.evict_least_busy(home) {
            return;
        }
        // Every counted slot is an insertion in progress on another thread (it holds that
        // shard's lock for a moment); let it finish, then retry.
        std::thread::yield_now();
    }

    /// Forgets every idle key; returns how many.
    fn sweep_idle(&self, now: Nanos) -> usize {
        let mut removed = 0;
        let mut earliest = Nanos::MAX;
        for shard in &self.shards {
            let mut map = shard.write();
            let before = map.len();
            map.retain(|_, state| {
                let tat = state.load(Ordering::Acquire);
                let busy = tat > now;
                if busy {
                    earliest = earliest.min(tat);
                }
                busy
            });
            removed += before - map.len();
        }
        self.len.fetch_sub(removed, Ordering::AcqRel);
        // No survivor can turn idle before `earliest`.
        self.idle_hint.store(earliest, Ordering::Release);
        if removed > 0 {
            tracing::debug!(
                name = self.name,
                removed,
                "rate limiter key table full; forgot idle keys"
            );
        }
        removed
    }

    /// Forgets the key with the smallest TAT in the first non-empty shard from `home`;
    /// returns whether one was found.
    fn evict_least_busy(&self, home: usize) -> bool {
        for i in 0..SHARDS {
            let mut map = self.shards[(home + i) % SHARDS].write();
            let victim = map
                .iter()
                .min_by_key(|(_, state)| state.load(Ordering::Acquire))
                .map(|(&hash, _)| hash);
            if let Some(hash) = victim {
                map.remove(&hash);
                self.len.fetch_sub(1, Ordering::AcqRel);
                tracing::debug!(
                    name = self.name,
                    "rate limiter key table full and no key idle; forgot the least busy key"
                );
                return true;
            }
        }
        false
    }

    /// Keys actually stored (test check that `len` matches the maps).
    #[cfg(test)]
    fn stored(&self) -> usize {
        self.shards.iter().map(|shard| shard.read().len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Marks the key busy until `until` (what a permit does to the TAT).
    fn touch(keys: &KeyedStates, key: &str, now: Nanos, until: Nanos) {
        let hash = keys.hash(key);
        keys.with_state(hash, now, |state| {
            state.fetch_max(until, Ordering::AcqRel);
        });
    }

    fn tat(keys: &KeyedStates, key: &str) -> Option<Nanos> {
        keys.with_existing(keys.hash(key), |state| state.load(Ordering::Acquire))
    }

    #[test]
    fn hashing_is_per_key_and_str_string_agree() {
        let keys = KeyedStates::new("t", 10);
        assert_eq!(keys.hash("alice"), keys.hash(&String::from("alice")));
        assert_ne!(keys.hash("alice"), keys.hash("bob"));
        assert_eq!(keys.hash(&(1u32, "x")), keys.hash(&(1u32, "x")));
    }

    #[test]
    fn bounded_when_every_key_is_busy() {
        let keys = KeyedStates::new("t", 8);
        for i in 0..80 {
            touch(&keys, &format!("k{i}"), 10, 1_000);
            assert!(keys.len() <= 8);
            assert_eq!(keys.len(), keys.stored());
        }
        assert_eq!(keys.len(), 8);
        // The newest key always survives its own insertion.
        assert_eq!(tat(&keys, "k79"), Some(1_000));
    }

    #[test]
    fn idle_keys_go_first() {
        let keys = KeyedStates::new("t", 4);
        for i in 0..3 {
            touch(&keys, &format!("idle{i}"), 10, 20);
        }
        touch(&keys, "busy", 10, 1_000);
        assert_eq!(keys.len(), 4);
        // At t=100 the idle keys' TATs (20) are in the past.
        touch(&keys, "new", 100, 200);
        assert_eq!(keys.len(), 2);
        assert_eq!(keys.stored(), 2);
        assert_eq!(tat(&keys, "busy"), Some(1_000));
        assert_eq!(tat(&keys, "new"), Some(200));
        assert_eq!(tat(&keys, "idle0"), None);
    }

    #[test]
    fn max_keys_zero_means_one() {
        let keys = KeyedStates::new("t", 0);
        touch(&keys, "a", 0, 10);
        touch(&keys, "b", 0, 10);
        assert_eq!(keys.len(), 1);
        assert_eq!(tat(&keys, "b"), Some(10));
    }

    #[test]
    fn concurrent_churn_stays_bounded() {
        const MAX: usize = 32;
        let keys = Arc::new(KeyedStates::new("t", MAX));
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let keys = &keys;
                s.spawn(move || {
                    for i in 0..5_000u64 {
                        // Half the keys go idle at once, half stay busy.
                        let now = i;
                        let until = if i % 2 == 0 { now } else { now + 1_000_000 };
                        let hash = keys.hash(&(t, i % 200));
                        keys.with_state(hash, now, |state| {
                            state.fetch_max(until, Ordering::AcqRel);
                        });
                        assert!(keys.len() <= MAX);
                    }
                });
            }
        });
        assert!(keys.len() <= MAX);
        assert_eq!(keys.len(), keys.stored());
    }
}

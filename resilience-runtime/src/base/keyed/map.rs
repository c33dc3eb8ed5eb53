//! Per-key states in a bounded, sharded map: a rate limit's GCRA states, a quota's counts.
//!
//! Keys are reduced to a 64-bit hash and only the hash is stored, so hashing a `&str` key
//! allocates nothing and every entry has the same small size whatever the key's type. The map
//! is split into [`SHARDS`] shards behind a [`ReaderStripedLock`]: a key already present costs
//! a read lock that writes only a cache line of the calling thread's own, and whatever its
//! state costs (a rate limit's atomics), so threads calling with keys of their own share no
//! written line; only a new key, a sweep or an eviction takes a shard's write lock. What a
//! state is, and when it is as good as a fresh one, is its [`KeyState`].
//!
//! **Collisions.** Two keys with the same hash share one state. With a 64-bit hash the
//! chance is negligible for accidental collisions (about `n² / 2⁶⁵` for `n` live keys: under
//! one in a billion at 100 000 keys). Each limiter seeds its hasher randomly
//! ([`RandomState`]), so callers who choose keys (e.g. client ids in a request) cannot
//! compute collisions in advance to share, and so exhaust, a victim's limit.
//!
//! **Memory.** A key costs one hash-table slot (its hash and its state, plus one control
//! byte) and one 8-byte place in its shard's ring, whatever the key's own size:
//! [`bytes_per_key`] (25 bytes for a rate limit's state) at full occupancy. Tables and rings grow by doubling and a
//! hash table keeps at most 7/8 of its slots in use; replacing keys leaves tombstones that can
//! make a full table double once more. The `rate_limit_memory` integration test measures it
//! through the allocator: 32.8 bytes per key at 100 000 keys, 55 at the peak of a flood of a
//! million distinct keys.
//!
//! **Bounded, never blocking, O(1) amortised.** Each shard keeps its keys in a ring (a
//! `VecDeque` of hashes), which is how keys are chosen for removal without a scan:
//! - *Idle keys* (`idle_ttl`): a key whose state is free again ([`KeyState::free_at`] ≤ now:
//!   a limit fully recovered, a quota's window over) has the same state as a key never seen,
//!   so forgetting it loses nothing. A sweep looks at a few keys at
//!   the front of a shard's ring, forgets those recovered for at least `idle_ttl` and moves
//!   the others to the back (a clock). Sweeps are paced so that every key is looked at about
//!   once per `idle_ttl`, run only when a call passes by the shard, and only with
//!   `try_write`: a caller never waits for one.
//! - *Full table* (`max_keys`): a new key first replaces a recovered key among the first
//!   [`EVICTION_SAMPLE`] of its shard's ring; if none of them has recovered, the least busy
//!   of those (earliest `free_at`) is forgotten and starts over fresh. That is the
//!   price of bounded memory: a flood of distinct keys can reset busy keys, never grow the
//!   map. The work is bounded by the sample size and one shard's lock is held at a time.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::state::KeyState;
use crate::base::clock::Nanos;
use crate::base::reader_striped_lock::ReaderStripedLock;

/// A log event under the target of the map's kind: `tracing` needs the target as a literal.
macro_rules! by_kind {
    ($target:expr, $level:ident, $($field:tt)*) => {
        if $target == QUOTA_TARGET {
            tracing::$level!(target: "resilience_runtime::quota", $($field)*)
        } else {
            tracing::$level!(target: "resilience_runtime::rate_limit", $($field)*)
        }
    };
}

/// The log target of a rate limit's keys.
pub(crate) const RATE_LIMIT_TARGET: &str = "resilience_runtime::rate_limit";
/// The log target of a quota's keys.
pub(crate) const QUOTA_TARGET: &str = "resilience_runtime::quota";

/// Number of shards; a power of two well above typical core counts keeps write-lock
/// contention on inserts low, and a writer holds up only the readers of its shard.
const SHARDS: usize = 16;

/// Keys looked at per sweep step.
const SWEEP_BATCH: usize = 32;

/// Keys looked at to choose one to forget when the table is full.
pub(super) const EVICTION_SAMPLE: usize = 8;

/// Bytes of memory one tracked key with state `S` costs at full table occupancy, whatever the
/// key's type (only a 64-bit hash of it is stored); see the module docs.
///
/// They are the key's hash-table slot (hash and state), the slot's control byte, and its
/// place in the ring.
pub(crate) const fn bytes_per_key<S>() -> usize {
    size_of::<(u64, S)>() + 1 + size_of::<u64>()
}

type StateMap<S> = HashMap<u64, S, BuildHasherDefault<Prehashed>>;

/// One shard's keys: their states, their order for sweeping and eviction, and when they are
/// next swept.
struct Table<S> {
    states: StateMap<S>,
    /// Every key of `states` exactly once. Keys leave `states` only from the ring's front.
    ring: VecDeque<u64>,
    /// When the next sweep step is due; read by readers, set under the write lock.
    next_sweep: AtomicU64,
}

impl<S> Default for Table<S> {
    fn default() -> Self {
        Self {
            states: StateMap::default(),
            ring: VecDeque::new(),
            next_sweep: AtomicU64::new(0),
        }
    }
}

impl<S: KeyState> Table<S> {
    fn free_at(&self, hash: u64, context: &S::Context, now: Nanos) -> Nanos {
        self.states
            .get(&hash)
            .map_or(0, |state| state.free_at(context, now))
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

/// Looks at the first `count` keys of `table`'s ring: the first free one (`true`), or
/// the least busy one (`false`), as its ring index and `free_at`.
fn sample<S: KeyState>(
    table: &Table<S>,
    context: &S::Context,
    count: usize,
    now: Nanos,
) -> (Option<(usize, Nanos)>, bool) {
    let mut best: Option<(usize, Nanos)> = None;
    for (index, &hash) in table.ring.iter().take(count).enumerate() {
        let free_at = table.free_at(hash, context, now);
        if best.is_none_or(|(_, least)| free_at < least) {
            best = Some((index, free_at));
        }
        if free_at <= now {
            return (best, true);
        }
    }
    (best, false)
}

/// Whether `candidate` is less busy than `best` (any candidate beats none).
fn less_busy(candidate: Option<(usize, Nanos)>, best: Option<(usize, Nanos)>) -> bool {
    match (candidate, best) {
        (Some((_, free_at)), Some((_, least))) => free_at < least,
        (candidate, _) => candidate.is_some(),
    }
}

/// Forgets the candidate of `table` chosen by [`sample`]; the keys before it in the ring
/// move to the back. Returns whether there was one.
fn evict<S>(table: &mut Table<S>, candidate: Option<(usize, Nanos)>) -> bool {
    let Some((index, _)) = candidate else {
        return false;
    };
    table.ring.rotate_left(index);
    if let Some(hash) = table.ring.pop_front() {
        table.states.remove(&hash);
    }
    true
}

/// The shard of a key hash. Multiplying first decorrelates the shard from the bits the
/// shard's own table uses.
fn shard_of(hash: u64) -> usize {
    // The top 4 bits of the product: always < 16, so the cast cannot truncate.
    (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as usize
}

/// The states of every tracked key of one instance (a rate limiter, a quota).
pub(crate) struct KeyedStates<S: KeyState> {
    name: &'static str,
    /// The log target of the instance's kind (see [`by_kind`]).
    target: &'static str,
    shards: ReaderStripedLock<Table<S>, SHARDS>,
    /// Stored keys; never above `max_keys`. Changed only under the write lock of the shard
    /// that gains or loses the key.
    len: AtomicUsize,
    max_keys: usize,
    idle_ttl: Nanos,
    hasher: RandomState,
    context: S::Context,
}

impl<S: KeyState> KeyedStates<S> {
    /// An empty map holding at most `max_keys` keys (at least 1) and forgetting free keys
    /// `idle_ttl` after they became free, whose states read their free time with `context`.
    /// Allocates nothing until the first key arrives.
    pub(crate) fn new(
        name: &'static str,
        target: &'static str,
        max_keys: usize,
        idle_ttl: Nanos,
        context: S::Context,
    ) -> Self {
        Self {
            name,
            target,
            shards: ReaderStripedLock::new(|_| Table::default()),
            len: AtomicUsize::new(0),
            max_keys: max_keys.max(1),
            idle_ttl,
            hasher: RandomState::new(),
            context,
        }
    }

    /// What the states read their free time with.
    pub(crate) fn context(&self) -> &S::Context {
        &self.context
    }

    /// The 64-bit hash that identifies `key`.
    #[inline]
    pub(crate) fn hash<K: Hash + ?Sized>(&self, key: &K) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The number of tracked keys.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Runs `f` on the state of `hash`, inserting a fresh state (making room if the map is
    /// full) when the key is not tracked yet.
    #[inline]
    pub(crate) fn with_state<R>(&self, hash: u64, now: Nanos, f: impl FnOnce(&S) -> R) -> R {
        let shard = shard_of(hash);
        let (out, sweep_due) = {
            let table = self.shards.read(shard);
            match table.states.get(&hash) {
                Some(state) => (f(state), now >= table.next_sweep.load(Ordering::Relaxed)),
                None => {
                    drop(table);
                    return self.insert_with(hash, now, f);
                }
            }
        };
        if sweep_due {
            self.sweep_if_free(shard, now);
        }
        out
    }

    /// Runs `f` on the state of `hash` if the key is still tracked.
    pub(crate) fn with_existing<R>(&self, hash: u64, f: impl FnOnce(&S) -> R) -> Option<R> {
        self.shards.read(shard_of(hash)).states.get(&hash).map(f)
    }

    #[cold]
    fn sweep_if_free(&self, shard: usize, now: Nanos) {
        if let Some(mut table) = self.shards.try_write(shard) {
            self.sweep(&mut table, now);
        }
    }

    /// One sweep step over the front of `table`'s ring: forgets keys free for at least
    /// `idle_ttl`, moves the others to the back, and schedules the next step so that the
    /// whole ring is looked at about once per `idle_ttl`.
    fn sweep(&self, table: &mut Table<S>, now: Nanos) {
        let mut removed = 0;
        for _ in 0..SWEEP_BATCH.min(table.ring.len()) {
            let Some(hash) = table.ring.pop_front() else {
                break;
            };
            if table
                .free_at(hash, &self.context, now)
                .saturating_add(self.idle_ttl)
                <= now
            {
                table.states.remove(&hash);
                removed += 1;
            } else {
                table.ring.push_back(hash);
            }
        }
        if removed > 0 {
            self.len.fetch_sub(removed, Ordering::AcqRel);
            by_kind!(
                self.target,
                trace,
                name = self.name,
                removed,
                "forgot idle keys"
            );
        }
        let steps_per_round = (table.ring.len() / SWEEP_BATCH).max(1) as u64;
        let pause = (self.idle_ttl / steps_per_round).max(1);
        table
            .next_sweep
            .store(now.saturating_add(pause), Ordering::Relaxed);
    }

    #[cold]
    fn insert_with<R>(&self, hash: u64, now: Nanos, f: impl FnOnce(&S) -> R) -> R {
        let home = shard_of(hash);
        loop {
            {
                let mut table = self.shards.write(home);
                if let Some(state) = table.states.get(&hash) {
                    // Another thread inserted it since our read lock.
                    return f(state);
                }
                if now >= table.next_sweep.load(Ordering::Relaxed) {
                    self.sweep(&mut table, now);
                }
                // Either there is room, or another key gives up its place.
                if self.try_count_one() || self.make_room(&mut table, home, now) {
                    table.ring.push_back(hash);
                    let state = table.states.entry(hash).or_default();
                    return f(state);
                }
            }
            // Every other shard is busy right now and this one is empty: let them finish.
            std::thread::yield_now();
        }
    }

    /// Counts one more key if there is room.
    fn try_count_one(&self) -> bool {
        self.len
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max_keys).then_some(n + 1)
            })
            .is_ok()
    }

    /// Forgets one key to make room for a new key of `home` (whose table the caller holds
    /// locked), leaving `len` as it is for the new key to take over. The candidates are the
    /// first [`EVICTION_SAMPLE`] keys of the home ring, topped up from the rings of the next
    /// shards when the home shard holds fewer (only shards whose lock is free right now:
    /// nothing waits). The first recovered candidate goes, else the least busy. Candidates
    /// looked at and kept move to the back of their ring. Returns whether a key was
    /// forgotten.
    fn make_room(&self, home_table: &mut Table<S>, home: usize, now: Nanos) -> bool {
        let (mut best, found) = sample(home_table, &self.context, EVICTION_SAMPLE, now);
        if found {
            return evict(home_table, best);
        }
        let mut sampled = home_table.ring.len().min(EVICTION_SAMPLE);
        let mut others = Vec::new();
        let mut best_other: Option<usize> = None;
        for offset in 1..SHARDS {
            if sampled >= EVICTION_SAMPLE {
                break;
            }
            let Some(mut table) = self.shards.try_write((home + offset) % SHARDS) else {
                continue;
            };
            let (candidate, found) = sample(&table, &self.context, EVICTION_SAMPLE - sampled, now);
            if found {
                self.note_evicted(candidate, now);
                return evict(&mut table, candidate);
            }
            sampled += table.ring.len().min(EVICTION_SAMPLE - sampled);
            if less_busy(candidate, best) {
                best = candidate;
                best_other = Some(others.len());
            }
            others.push(table);
        }
        self.note_evicted(best, now);
        match best_other {
            Some(index) => evict(&mut others[index], best),
            None => evict(home_table, best),
        }
    }

    fn note_evicted(&self, victim: Option<(usize, Nanos)>, now: Nanos) {
        if victim.is_some_and(|(_, free_at)| free_at > now) {
            by_kind!(
                self.target,
                debug,
                name = self.name,
                "key table full and no key free; forgot the least busy of a sample"
            );
        }
    }

    /// Keys actually stored (test check that `len` matches the maps and rings).
    #[cfg(test)]
    fn stored(&self) -> usize {
        (0..SHARDS)
            .map(|shard| {
                let table = self.shards.read(shard);
                assert_eq!(table.states.len(), table.ring.len());
                table.states.len()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const TTL: Nanos = 1_000;

    type Tats = KeyedStates<AtomicU64>;

    fn map(max_keys: usize, idle_ttl: Nanos) -> Tats {
        KeyedStates::new("t", RATE_LIMIT_TARGET, max_keys, idle_ttl, ())
    }

    /// Marks the key busy until `until` (what a permit does to the TAT).
    fn touch(keys: &Tats, key: &str, now: Nanos, until: Nanos) {
        let hash = keys.hash(key);
        keys.with_state(hash, now, |state| {
            state.fetch_max(until, Ordering::AcqRel);
        });
    }

    fn tat(keys: &Tats, key: &str) -> Option<Nanos> {
        keys.with_existing(keys.hash(key), |state| state.load(Ordering::Acquire))
    }

    #[test]
    fn bytes_per_key_is_at_most_64() {
        assert_eq!(bytes_per_key::<AtomicU64>(), 25);
        // Worst case right after tables and rings doubled: slots at 7/16 occupancy, ring
        // half used.
        let worst = (size_of::<(u64, AtomicU64)>() + 1) * 16 / 7 + size_of::<u64>() * 2;
        assert!(worst <= 64, "{worst} bytes per key");
    }

    #[test]
    fn hashing_is_per_key_and_str_string_agree() {
        let keys = map(10, TTL);
        assert_eq!(keys.hash("alice"), keys.hash(&String::from("alice")));
        assert_ne!(keys.hash("alice"), keys.hash("bob"));
        assert_eq!(keys.hash(&(1u32, "x")), keys.hash(&(1u32, "x")));
    }

    #[test]
    fn bounded_when_every_key_is_busy() {
        let keys = map(8, TTL);
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
    fn recovered_keys_go_before_busy_ones() {
        let keys = map(4, Nanos::MAX);
        touch(&keys, "busy", 10, 1_000);
        for i in 0..3 {
            touch(&keys, &format!("idle{i}"), 10, 20);
        }
        assert_eq!(keys.len(), 4);
        // At t=100 the idle keys' TATs (20) are in the past: new keys replace them.
        for i in 0..3 {
            touch(&keys, &format!("new{i}"), 100, 200);
        }
        assert_eq!(keys.len(), 4);
        assert_eq!(keys.stored(), 4);
        assert_eq!(tat(&keys, "busy"), Some(1_000));
        for i in 0..3 {
            assert_eq!(tat(&keys, &format!("idle{i}")), None);
            assert_eq!(tat(&keys, &format!("new{i}")), Some(200));
        }
    }

    #[test]
    fn idle_keys_are_swept_after_idle_ttl() {
        let keys = map(100, TTL);
        for i in 0..10 {
            touch(&keys, &format!("k{i}"), 0, 50);
        }
        touch(&keys, "long", 0, 10_000);
        assert_eq!(keys.len(), 11);
        // Recovered at 50, but not yet for idle_ttl: nothing is forgotten.
        for i in 0..10 {
            touch(&keys, &format!("k{i}"), 500, 0);
        }
        assert_eq!(keys.len(), 11);
        // Past 50 + idle_ttl: calls that pass by sweep the recovered keys away, one shard at a
        // time; the key still limited stays.
        for round in 0..3 {
            for i in 0..SHARDS * 8 {
                let hash = keys.hash(&("probe", i));
                keys.with_existing(hash, |_| ());
                keys.with_state(keys.hash("long"), 2_000 + round, |_| ());
                // Sweeps run when a shard is passed by; touch every shard.
                keys.sweep_if_free(i % SHARDS, 2_000 + round);
            }
        }
        assert_eq!(keys.len(), 1);
        assert_eq!(keys.stored(), 1);
        assert_eq!(tat(&keys, "long"), Some(10_000));
    }

    #[test]
    fn max_keys_zero_means_one() {
        let keys = map(0, TTL);
        touch(&keys, "a", 0, 10);
        touch(&keys, "b", 0, 10);
        assert_eq!(keys.len(), 1);
        assert_eq!(tat(&keys, "b"), Some(10));
    }

    #[test]
    fn concurrent_churn_stays_bounded() {
        const MAX: usize = 32;
        let keys = Arc::new(map(MAX, 100));
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

//! The ways to ask a limiter for a permit: at once, waiting on tokio's clock, or blocking the
//! thread, for the unkeyed limit or a key's own; and the decision generated code takes first.

use std::future::Future;
use std::hash::Hash;

use super::key::{HashedKey, RateLimitKey};
use super::limiter::RateLimiter;
use super::queue::Slot;
use crate::Error;
use crate::base::admission::Admission;
use crate::base::clock::{self, Nanos};

impl RateLimiter {
    /// Takes a permit if one is available now; never waits, whatever
    /// [`OnLimit`](super::OnLimit) says.
    ///
    /// Always decides in this process, also for a limiter with a remote
    /// [`Backend`](super::Backend): only [`acquire`](Self::acquire) and
    /// [`acquire_key`](Self::acquire_key) ask the backend.
    ///
    /// # Errors
    ///
    /// [`Error::RateLimited`] with the exact time until a permit is available as
    /// `retry_after` (`None` if the limiter never admits anything: a zero rate or burst).
    #[inline]
    pub fn try_acquire(&self) -> Result<(), Error> {
        self.try_slot(Slot::Unkeyed)
    }

    /// Takes a permit, honouring [`OnLimit`](super::OnLimit): in the waiting modes it waits on tokio's clock
    /// when the permit comes within `max_wait` (and, in queue mode, fewer than `max_queue`
    /// calls are waiting), otherwise (and in reject mode) it fails at once.
    ///
    /// The permit is reserved before waiting, so waiters are served in arrival order and
    /// later calls cannot overtake them. Dropping the future while it waits gives the
    /// reservation back (see the [module docs](super)).
    ///
    /// With a remote [`Backend`](super::Backend) the backend decides, and the call is never
    /// held past `max_wait` (in reject mode, past the backend timeout), whatever the backend
    /// does.
    ///
    /// # Errors
    ///
    /// [`Error::RateLimited`] with `retry_after` = the time until a permit would be
    /// available, returned without waiting.
    pub async fn acquire(&self) -> Result<(), Error> {
        match &self.remote {
            None => {
                self.acquire_slot(Slot::Unkeyed, self.wait_budget, clock::now())
                    .await
            }
            Some(remote) => self.acquire_remote(remote, Slot::Unkeyed, None).await,
        }
    }

    /// [`acquire`](Self::acquire) for sync code: waits by blocking the thread. Always decides
    /// in this process.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    pub fn acquire_blocking(&self) -> Result<(), Error> {
        self.acquire_slot_blocking(Slot::Unkeyed)
    }

    /// [`try_acquire`](Self::try_acquire) against `key`'s own limit.
    ///
    /// Any `Hash` value is a key, and a borrowed key (`&str`, a tuple of references) is
    /// hashed where it is, without allocating. Keys are told apart by a 64-bit hash (see the
    /// [module docs](super) on collisions and on the `max_keys` bound).
    ///
    /// # Errors
    ///
    /// As [`try_acquire`](Self::try_acquire).
    #[inline]
    pub fn try_acquire_key<K: Hash + ?Sized>(&self, key: &K) -> Result<(), Error> {
        self.try_slot(Slot::Key(self.keys.hash(key)))
    }

    /// [`acquire`](Self::acquire) against `key`'s own limit.
    ///
    /// The key is hashed (and, for a remote backend, encoded) before this returns, so the
    /// future does not borrow it (and is `Send` even for a key that is not `Sync`).
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    pub fn acquire_key<'a, K: Hash + ?Sized>(
        &'a self,
        key: &K,
    ) -> impl Future<Output = Result<(), Error>> + Send + use<'a, K> {
        self.acquire_hashed(key.hashed_for(self))
    }

    /// [`acquire_key`](Self::acquire_key) with the key already hashed for this limiter.
    pub(crate) async fn acquire_hashed(&self, key: HashedKey) -> Result<(), Error> {
        match &self.remote {
            None => {
                self.acquire_slot(key.slot, self.wait_budget, clock::now())
                    .await
            }
            Some(remote) => self.acquire_remote(remote, key.slot, key.remote).await,
        }
    }

    /// The decision generated code takes without waiting, as of `now`: a permit, a
    /// rejection, or [`Admission::Wait`] when the call must wait for its permit or ask a
    /// remote backend, which [`acquire`](Self::acquire) then does.
    #[inline(always)]
    pub(crate) fn admit_now(&self, now: Nanos) -> Admission<()> {
        self.admit_slot(Slot::Unkeyed, now)
    }

    /// [`admit_now`](Self::admit_now) against `key`'s own limit.
    #[inline]
    pub(crate) fn admit_key_now(&self, key: &HashedKey, now: Nanos) -> Admission<()> {
        self.admit_slot(key.slot, now)
    }

    /// [`acquire_blocking`](Self::acquire_blocking) against `key`'s own limit.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    pub fn acquire_key_blocking<K: Hash + ?Sized>(&self, key: &K) -> Result<(), Error> {
        self.acquire_slot_blocking(Slot::Key(self.keys.hash(key)))
    }

    /// [`acquire_key_blocking`](Self::acquire_key_blocking) with the key already hashed for
    /// this limiter.
    pub(crate) fn acquire_hashed_blocking(&self, key: &HashedKey) -> Result<(), Error> {
        self.acquire_slot_blocking(key.slot)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[tokio::test(start_paused = true)]
    async fn keyed_limits_are_independent() {
        let t0 = Instant::now();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1)).with_burst(1));
        rl.try_acquire_key("alice").unwrap();
        assert_eq!(rejected(rl.try_acquire_key("alice")), Some(SEC));
        rl.try_acquire_key(&String::from("bob")).unwrap();
        rl.try_acquire().unwrap();
        assert_eq!(rl.metrics().tracked_keys, 2);

        let (alice, bob, carol) = tokio::join!(
            async {
                rl.acquire_key("alice").await.unwrap();
                t0.elapsed()
            },
            async {
                rl.acquire_key("bob").await.unwrap();
                t0.elapsed()
            },
            async {
                rl.acquire_key(&("carol", 7)).await.unwrap();
                t0.elapsed()
            },
        );
        assert_eq!((alice, bob, carol), (SEC, SEC, Duration::ZERO));
        assert_eq!(rl.metrics().tracked_keys, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn keys_stay_bounded() {
        let rl = limiter(
            RateLimitConfig::new(Rate::per_second(1))
                .with_burst(1)
                .with_max_keys(8),
        );
        // All keys busy: once full, every new key evicts one, and is itself admitted.
        for i in 0..80u32 {
            rl.try_acquire_key(&i).unwrap();
            assert_eq!(rl.metrics().tracked_keys, (i as usize + 1).min(8));
        }
        // Keys turning idle as time passes: sweeps drop them, the bound holds throughout.
        for i in 80..160u32 {
            rl.try_acquire_key(&i).unwrap();
            assert!(rl.metrics().tracked_keys <= 8);
            if i % 3 == 0 {
                tokio::time::advance(ms(400)).await;
            }
        }
        // The latest key is tracked: still limited, 400ms into its 1s interval.
        assert_eq!(rejected(rl.try_acquire_key(&159u32)), Some(ms(600)));
    }

    #[tokio::test(start_paused = true)]
    async fn recovered_keys_are_evicted_before_busy_ones() {
        let rl = limiter(
            RateLimitConfig::new(Rate::per_second(1))
                .with_burst(1)
                .with_max_keys(8),
        );
        rl.try_acquire_key("hot").unwrap();
        tokio::time::advance(ms(500)).await;
        for i in 0..7u32 {
            rl.try_acquire_key(&i).unwrap();
        }
        tokio::time::advance(ms(1_200)).await; // keys 0..7 have recovered, "hot" has too
        rl.try_acquire_key("hot").unwrap(); // busy again
        for i in 100..107u32 {
            rl.try_acquire_key(&i).unwrap(); // full: recovered keys make room
        }
        assert_eq!(rl.metrics().tracked_keys, 8);
        // "hot" kept its state.
        assert_eq!(rejected(rl.try_acquire_key("hot")), Some(SEC));
    }

    #[test]
    fn blocking_variant_outside_a_runtime() {
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1000)).with_burst(1));
        // The second call of each pair waits about a millisecond of real time.
        rl.acquire_blocking().unwrap();
        rl.acquire_blocking().unwrap();
        rl.acquire_key_blocking("k").unwrap();
        rl.acquire_key_blocking("k").unwrap();
        assert_eq!(rl.metrics().permitted, 4);

        let strict = limiter(
            RateLimitConfig::new(Rate::per_second(1))
                .with_burst(1)
                .with_max_wait(ms(10)),
        );
        strict.acquire_blocking().unwrap();
        let retry_after = rejected(strict.acquire_blocking()).unwrap();
        assert!(retry_after > ms(10) && retry_after <= SEC);
        strict.acquire_key_blocking(&1).unwrap();
        assert!(rejected(strict.acquire_key_blocking(&1)).is_some());

        let reject =
            limiter(RateLimitConfig::new(Rate::per_second(1)).with_on_limit(OnLimit::Reject));
        reject.acquire_blocking().unwrap();
        assert!(rejected(reject.acquire_blocking()).is_some());
    }

    #[test]
    fn futures_are_send_even_for_non_sync_keys() {
        fn assert_send<T: Send>(_: &T) {}
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1)));
        assert_send(&rl.acquire());
        let key = std::rc::Rc::<str>::from("not sync");
        let future = rl.acquire_key(&key);
        drop(key); // the future does not borrow the key
        assert_send(&future);
    }
}

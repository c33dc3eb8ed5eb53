//! [`RateLimiter`]: the shared instance behind `#[rate_limit]`.

use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::gcra::{Gcra, Grant};
use super::keyed::KeyedStates;
use super::metrics::Counters;
use super::{OnLimit, RateLimitConfig, RateLimiterMetrics, RateLimiterSnapshot};
use crate::Error;
use crate::clock::{self, Nanos};

/// A shared [`RateLimiter`], as the registry hands it out.
pub type RateLimiterHandle = Arc<RateLimiter>;

/// Keeps a hot atomic on its own cache line, away from the counters.
#[repr(align(128))]
#[derive(Debug, Default)]
struct Padded<T>(T);

/// A GCRA rate limiter, with optional per-key limits.
///
/// The unkeyed limit ([`try_acquire`](Self::try_acquire), [`acquire`](Self::acquire),
/// [`acquire_blocking`](Self::acquire_blocking)) and each key's limit
/// ([`try_acquire_key`](Self::try_acquire_key) and friends) are independent: every key gets
/// the full [`Rate`](super::Rate) and burst of the config.
///
/// ```
/// use resilience_runtime::rate_limit::{OnLimit, Rate, RateLimitConfig, RateLimiter};
///
/// let limiter = RateLimiter::new(
///     "api",
///     RateLimitConfig::new(Rate::per_second(10)).with_burst(2).with_on_limit(OnLimit::Reject),
/// );
/// assert!(limiter.try_acquire().is_ok());
/// assert!(limiter.try_acquire().is_ok());
/// let err = limiter.try_acquire().unwrap_err();
/// // The next permit is one emission interval (100ms) away, give or take the time the
/// // three calls above took.
/// assert!(err.retry_after().unwrap() <= std::time::Duration::from_millis(100));
/// assert_eq!(limiter.metrics().permitted, 2);
/// ```
pub struct RateLimiter {
    name: &'static str,
    config: RateLimitConfig,
    gcra: Gcra,
    /// How long `acquire` may wait: `max_wait` in wait mode, 0 in reject mode.
    wait_budget: Nanos,
    /// The unkeyed limit's theoretical arrival time.
    state: Padded<AtomicU64>,
    keys: KeyedStates,
    counters: Padded<Counters>,
}

/// Which GCRA state a call uses.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Unkeyed,
    Key(u64),
}

impl RateLimiter {
    /// A limiter with a full burst available.
    #[must_use]
    pub fn new(name: &'static str, config: RateLimitConfig) -> Self {
        let wait_budget = match config.on_limit() {
            OnLimit::Wait => clock::to_nanos(config.max_wait()),
            OnLimit::Reject => 0,
        };
        Self {
            name,
            config,
            gcra: Gcra::new(&config),
            wait_budget,
            state: Padded::default(),
            keys: KeyedStates::new(name, config.max_keys()),
            counters: Padded::default(),
        }
    }

    /// The registry name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The configuration the limiter runs with.
    #[must_use]
    pub fn config(&self) -> RateLimitConfig {
        self.config
    }

    /// Takes a permit if one is available now; never waits, whatever
    /// [`OnLimit`] says.
    ///
    /// # Errors
    ///
    /// [`Error::RateLimited`] with the exact time until a permit is available as
    /// `retry_after` (`None` if the limiter never admits anything: a zero rate or burst).
    #[inline]
    pub fn try_acquire(&self) -> Result<(), Error> {
        self.try_slot(Slot::Unkeyed)
    }

    /// Takes a permit, honouring [`OnLimit`]: in wait mode it waits on tokio's clock when the
    /// permit comes within `max_wait`, otherwise (and in reject mode) it fails at once.
    ///
    /// The permit is reserved before waiting, so waiters are served in order. Dropping the
    /// future while it waits gives the reserved slot back when no later call has reserved
    /// one since (best effort: otherwise the slot goes unused; the limiter never admits more
    /// than its rate).
    ///
    /// # Errors
    ///
    /// [`Error::RateLimited`] with `retry_after` = the time until a permit would be
    /// available, returned without waiting.
    pub async fn acquire(&self) -> Result<(), Error> {
        self.acquire_slot(Slot::Unkeyed).await
    }

    /// [`acquire`](Self::acquire) for sync code: waits by blocking the thread.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    pub fn acquire_blocking(&self) -> Result<(), Error> {
        self.acquire_slot_blocking(Slot::Unkeyed)
    }

    /// [`try_acquire`](Self::try_acquire) against `key`'s own limit.
    ///
    /// Keys are told apart by a 64-bit hash (see the [module docs](super) on collisions
    /// and on the `max_keys` bound).
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
    /// The key is hashed before this returns, so the future does not borrow it (and is
    /// `Send` even for a key that is not `Sync`).
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    pub fn acquire_key<'a, K: Hash + ?Sized>(
        &'a self,
        key: &K,
    ) -> impl Future<Output = Result<(), Error>> + Send + use<'a, K> {
        self.acquire_slot(Slot::Key(self.keys.hash(key)))
    }

    /// [`acquire_blocking`](Self::acquire_blocking) against `key`'s own limit.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    pub fn acquire_key_blocking<K: Hash + ?Sized>(&self, key: &K) -> Result<(), Error> {
        self.acquire_slot_blocking(Slot::Key(self.keys.hash(key)))
    }

    /// The counters since creation.
    #[must_use]
    pub fn metrics(&self) -> RateLimiterMetrics {
        self.counters.0.read(self.keys.len())
    }

    /// Name, config and metrics, for the registry's snapshot.
    #[must_use]
    pub fn snapshot(&self) -> RateLimiterSnapshot {
        RateLimiterSnapshot {
            name: self.name,
            config: self.config,
            metrics: self.metrics(),
        }
    }

    /// Reserves a permit of `slot` conforming within `budget`.
    #[inline]
    fn reserve(&self, slot: Slot, budget: Nanos) -> Result<Grant, Option<Nanos>> {
        let now = clock::now();
        match slot {
            Slot::Unkeyed => self.gcra.reserve(&self.state.0, now, budget),
            // Don't fill the key table for a limiter that admits nothing anyway.
            Slot::Key(_) if self.gcra.is_closed() => Err(None),
            Slot::Key(hash) => self
                .keys
                .with_state(hash, now, |state| self.gcra.reserve(state, now, budget)),
        }
    }

    #[inline]
    fn try_slot(&self, slot: Slot) -> Result<(), Error> {
        if crate::config::kill_switch::engaged() {
            return Ok(());
        }
        match self.reserve(slot, 0) {
            Ok(_) => {
                self.counters.0.permitted();
                Ok(())
            }
            Err(retry_after) => Err(self.reject(slot, retry_after)),
        }
    }

    /// Takes a permit now (`None`) or reserves one to wait for.
    #[inline]
    fn start(&self, slot: Slot) -> Result<Option<Waiter<'_>>, Error> {
        if crate::config::kill_switch::engaged() {
            return Ok(None);
        }
        match self.reserve(slot, self.wait_budget) {
            Ok(grant) if grant.wait == 0 => {
                self.counters.0.permitted();
                Ok(None)
            }
            Ok(grant) => {
                tracing::debug!(
                    name = self.name,
                    keyed = matches!(slot, Slot::Key(_)),
                    wait = ?clock::to_duration(grant.wait),
                    "rate limit reached; waiting for a permit"
                );
                Ok(Some(Waiter {
                    limiter: self,
                    slot,
                    grant,
                    done: false,
                }))
            }
            Err(retry_after) => Err(self.reject(slot, retry_after)),
        }
    }

    async fn acquire_slot(&self, slot: Slot) -> Result<(), Error> {
        if let Some(waiter) = self.start(slot)? {
            clock::sleep(clock::to_duration(waiter.grant.wait)).await;
            waiter.finish();
        }
        Ok(())
    }

    fn acquire_slot_blocking(&self, slot: Slot) -> Result<(), Error> {
        if let Some(waiter) = self.start(slot)? {
            clock::sleep_blocking(clock::to_duration(waiter.grant.wait));
            waiter.finish();
        }
        Ok(())
    }

    #[cold]
    fn reject(&self, slot: Slot, retry_after: Option<Nanos>) -> Error {
        self.counters.0.rejected();
        let retry_after = retry_after.map(clock::to_duration);
        tracing::debug!(
            name = self.name,
            keyed = matches!(slot, Slot::Key(_)),
            ?retry_after,
            "rate limit exceeded; call rejected"
        );
        Error::rate_limited(self.name, retry_after)
    }

    /// Gives a reservation back if it is still the newest; returns whether it was.
    fn give_back(&self, slot: Slot, grant: Grant) -> bool {
        match slot {
            Slot::Unkeyed => Gcra::give_back(&self.state.0, grant),
            Slot::Key(hash) => self
                .keys
                .with_existing(hash, |state| Gcra::give_back(state, grant))
                .is_some_and(|given| {
                    if given {
                        self.keys.note_lowered(grant.before);
                    }
                    given
                }),
        }
    }
}

/// A reserved permit being waited for; dropping it unfinished gives the slot back.
struct Waiter<'a> {
    limiter: &'a RateLimiter,
    slot: Slot,
    grant: Grant,
    done: bool,
}

impl Waiter<'_> {
    /// The wait is over: the permit is used.
    fn finish(mut self) {
        self.done = true;
        self.limiter.counters.0.waited(self.grant.wait);
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let limiter = self.limiter;
        limiter.counters.0.cancelled();
        let given_back = limiter.give_back(self.slot, self.grant);
        tracing::debug!(
            name = limiter.name,
            keyed = matches!(self.slot, Slot::Key(_)),
            given_back,
            "rate limit waiter dropped before its permit"
        );
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("name", &self.name)
            .field("config", &self.config)
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

impl crate::registry::Named for RateLimiter {
    const KIND: &'static str = "rate_limiter";
    type Config = RateLimitConfig;

    fn create(name: &'static str, config: RateLimitConfig) -> Self {
        Self::new(name, config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate_limit::Rate;
    use crate::registry::Named;
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;
    use tokio::time::Instant;

    const SEC: Duration = Duration::from_secs(1);

    const fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn limiter(config: RateLimitConfig) -> RateLimiter {
        RateLimiter::new("test", config)
    }

    /// The `retry_after` of a rejection by the limiter named "test".
    fn rejected(result: Result<(), Error>) -> Option<Duration> {
        match result {
            Err(Error::RateLimited {
                name: "test",
                retry_after,
            }) => retry_after,
            other => panic!("expected a rate-limit rejection, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn burst_then_pacing() {
        let t0 = Instant::now();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(5)).with_burst(3));
        let mut admitted = Vec::new();
        for _ in 0..6 {
            rl.acquire().await.unwrap();
            admitted.push(t0.elapsed());
        }
        assert_eq!(admitted, [0, 0, 0, 200, 400, 600].map(ms));
        let m = rl.metrics();
        assert_eq!((m.permitted, m.waited, m.rejected), (6, 3, 0));
        assert_eq!(m.total_wait, ms(600));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_waiters_are_served_in_reserved_slots() {
        let t0 = Instant::now();
        let rl = Arc::new(limiter(
            RateLimitConfig::new(Rate::per_second(10)).with_burst(1),
        ));
        let tasks: Vec<_> = (0..5)
            .map(|_| {
                let rl = Arc::clone(&rl);
                tokio::spawn(async move {
                    rl.acquire().await.unwrap();
                    t0.elapsed()
                })
            })
            .collect();
        let mut admitted = Vec::new();
        for task in tasks {
            admitted.push(task.await.unwrap());
        }
        admitted.sort();
        assert_eq!(admitted, [0, 100, 200, 300, 400].map(ms));
        let m = rl.metrics();
        assert_eq!((m.permitted, m.waited), (5, 4));
        assert_eq!(m.total_wait, ms(100 + 200 + 300 + 400));
    }

    #[tokio::test(start_paused = true)]
    async fn try_acquire_retry_after_is_exact() {
        let rl = limiter(RateLimitConfig::new(Rate::per_second(10)).with_burst(2));
        rl.try_acquire().unwrap();
        rl.try_acquire().unwrap();
        assert_eq!(rejected(rl.try_acquire()), Some(ms(100)));
        tokio::time::advance(ms(30)).await;
        assert_eq!(rejected(rl.try_acquire()), Some(ms(70)));
        tokio::time::advance(ms(70)).await;
        rl.try_acquire().unwrap();
        assert_eq!(rejected(rl.try_acquire()), Some(ms(100)));
        let m = rl.metrics();
        assert_eq!((m.permitted, m.rejected, m.waited), (3, 3, 0));

        // An emission interval that is not a whole number of nanoseconds rounds up.
        let odd = limiter(RateLimitConfig::new(Rate::new(3, ms(250))));
        for _ in 0..3 {
            odd.try_acquire().unwrap();
        }
        assert_eq!(
            rejected(odd.try_acquire()),
            Some(Duration::from_nanos(83_333_334))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn max_wait_exceeded_rejects_without_waiting() {
        let t0 = Instant::now();
        let rl = limiter(
            RateLimitConfig::new(Rate::per_second(1))
                .with_burst(1)
                .with_max_wait(ms(500)),
        );
        rl.acquire().await.unwrap();
        assert_eq!(rejected(rl.acquire().await), Some(SEC));
        assert_eq!(t0.elapsed(), Duration::ZERO, "rejected without waiting");
        // The rejection reserved nothing: 600ms later the permit is 400ms away.
        tokio::time::advance(ms(600)).await;
        rl.acquire().await.unwrap();
        assert_eq!(t0.elapsed(), SEC);
        let m = rl.metrics();
        assert_eq!((m.permitted, m.rejected, m.waited), (2, 1, 1));
        assert_eq!(m.total_wait, ms(400));
    }

    #[tokio::test(start_paused = true)]
    async fn reject_mode_acquire_never_waits() {
        let t0 = Instant::now();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1)).with_on_limit(OnLimit::Reject));
        rl.acquire().await.unwrap();
        assert_eq!(rejected(rl.acquire().await), Some(SEC));
        rl.acquire_key("k").await.unwrap();
        assert_eq!(rejected(rl.acquire_key("k").await), Some(SEC));
        assert_eq!(t0.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn long_period_hands_out_at_most_burst_at_once() {
        let rl = limiter(RateLimitConfig::new(Rate::per_day(10_000)));
        let burst = || (0..20_000).take_while(|_| rl.try_acquire().is_ok()).count();
        assert_eq!(burst(), 10_000);
        let interval = Duration::from_millis(8_640);
        assert_eq!(rejected(rl.try_acquire()), Some(interval));
        // Beyond the default max_wait (5s): rejected at once even in wait mode.
        assert_eq!(rejected(rl.acquire().await), Some(interval));
        // A month of idleness still yields one burst, not a month's worth.
        tokio::time::advance(Duration::from_hours(30 * 24)).await;
        assert_eq!(burst(), 10_000);
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_waiter_gives_its_slot_back() {
        let t0 = Instant::now();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1)).with_burst(1));
        rl.acquire().await.unwrap();
        // Reserves the slot at 1s, then is dropped at 300ms.
        assert!(tokio::time::timeout(ms(300), rl.acquire()).await.is_err());
        assert_eq!(rl.metrics().cancelled, 1);
        // The next caller gets the given-back slot at 1s, not 2s.
        rl.acquire().await.unwrap();
        assert_eq!(t0.elapsed(), SEC);
        let m = rl.metrics();
        assert_eq!((m.permitted, m.waited, m.cancelled), (2, 1, 1));
        assert_eq!(m.total_wait, ms(700));
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_waiters_give_back_newest_first() {
        let t0 = Instant::now();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1)).with_burst(1));
        rl.acquire().await.unwrap();
        let mut a = Box::pin(rl.acquire());
        let mut b = Box::pin(rl.acquire());
        // One poll each reserves their slots (1s, then 2s).
        assert!(
            tokio::time::timeout(Duration::ZERO, a.as_mut())
                .await
                .is_err()
        );
        assert!(
            tokio::time::timeout(Duration::ZERO, b.as_mut())
                .await
                .is_err()
        );
        drop(b);
        drop(a);
        rl.acquire().await.unwrap();
        assert_eq!(t0.elapsed(), SEC, "both slots were given back");
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_waiter_behind_a_later_reservation_loses_its_slot() {
        let t0 = Instant::now();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1)).with_burst(1));
        rl.acquire().await.unwrap();
        let mut a = Box::pin(rl.acquire());
        let mut b = Box::pin(async {
            rl.acquire().await.unwrap();
            t0.elapsed()
        });
        assert!(
            tokio::time::timeout(Duration::ZERO, a.as_mut())
                .await
                .is_err()
        );
        assert!(
            tokio::time::timeout(Duration::ZERO, b.as_mut())
                .await
                .is_err()
        );
        // `a` (slot 1s) is not the newest: giving it back would let a newcomer share
        // `b`'s slot, so it is lost instead: under-admit, never over-admit.
        drop(a);
        assert_eq!(b.await, 2 * SEC);
        rl.acquire().await.unwrap();
        assert_eq!(t0.elapsed(), 3 * SEC);
        assert_eq!(rl.metrics().cancelled, 1);
    }

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
    async fn dropped_keyed_waiter_gives_its_slot_back() {
        let t0 = Instant::now();
        let rl = limiter(RateLimitConfig::new(Rate::per_second(1)).with_burst(1));
        rl.acquire_key("k").await.unwrap();
        assert!(
            tokio::time::timeout(ms(300), rl.acquire_key("k"))
                .await
                .is_err()
        );
        rl.acquire_key("k").await.unwrap();
        assert_eq!(t0.elapsed(), SEC);
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
    async fn idle_keys_are_evicted_before_busy_ones() {
        let rl = limiter(
            RateLimitConfig::new(Rate::per_second(1))
                .with_burst(1)
                .with_max_keys(8),
        );
        for i in 0..7u32 {
            rl.try_acquire_key(&i).unwrap();
        }
        tokio::time::advance(2 * SEC).await; // keys 0..7 are idle again
        rl.try_acquire_key("hot").unwrap();
        rl.try_acquire_key("new").unwrap(); // full: the idle keys go
        assert_eq!(rl.metrics().tracked_keys, 2);
        // "hot" kept its state.
        assert_eq!(rejected(rl.try_acquire_key("hot")), Some(SEC));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_rate_or_burst_admits_nothing() {
        for config in [
            RateLimitConfig::new(Rate::per_second(0)),
            RateLimitConfig::new(Rate::per_second(5)).with_burst(0),
        ] {
            let rl = limiter(config);
            assert_eq!(rejected(rl.try_acquire()), None);
            assert_eq!(rejected(rl.acquire().await), None);
            assert_eq!(rejected(rl.acquire_key("k").await), None);
            assert_eq!(rl.metrics().tracked_keys, 0);
        }
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

    #[test]
    fn snapshot_and_registry_trait() {
        let config = RateLimitConfig::new(Rate::per_minute(60)).with_on_limit(OnLimit::Reject);
        let rl = RateLimiter::create("api", config);
        assert_eq!(RateLimiter::KIND, "rate_limiter");
        assert_eq!(rl.config(), config);
        assert_eq!(rl.name(), "api");
        rl.try_acquire().unwrap();
        let snapshot = rl.snapshot();
        assert_eq!(snapshot.metrics.permitted, 1);
        let json = serde_json::to_value(&snapshot).unwrap();
        assert_eq!(json["name"], "api");
        assert_eq!(json["config"]["rate"], "60/min");
        assert_eq!(json["config"]["on_limit"], "reject");
        assert_eq!(json["metrics"]["permitted"], 1);
        assert_eq!(json["metrics"]["tracked_keys"], 0);
        assert!(format!("{rl:?}").contains("\"api\""));
    }

    /// Threads hammer the limiter on a paused clock that the main thread steps forward;
    /// after each step every thread drains what is available. The admitted total must be
    /// exactly `burst + elapsed / interval` at every step: never more (no race lets two
    /// threads take one slot) and, since the limiter is drained, never less.
    #[test]
    fn stress_admitted_never_exceeds_burst_plus_rate() {
        const THREADS: usize = 4;
        const STEPS: u64 = 150;
        const STEP: Duration = Duration::from_millis(7);
        const INTERVAL_MS: u64 = 10; // 100/s
        const BURST: u64 = 5;
        const KEYS: [&str; 3] = ["a", "b", "c"];

        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let rl = limiter(
            RateLimitConfig::new(Rate::per_second(100))
                .with_burst(5)
                .with_on_limit(OnLimit::Reject),
        );
        let unkeyed = AtomicU64::new(0);
        let keyed: [AtomicU64; 3] = Default::default();
        let barrier = Barrier::new(THREADS + 1);
        let mut mismatches = Vec::new();

        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    // Read the paused clock of the test runtime.
                    let _clock = rt.enter();
                    for _ in 0..=STEPS {
                        while rl.try_acquire().is_ok() {
                            unkeyed.fetch_add(1, Ordering::Relaxed);
                        }
                        for (key, count) in KEYS.iter().zip(&keyed) {
                            while rl.try_acquire_key(key).is_ok() {
                                count.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        barrier.wait(); // drained
                        barrier.wait(); // clock stepped
                    }
                });
            }
            for step in 0..=STEPS {
                barrier.wait();
                let elapsed_ms = step * u64::try_from(STEP.as_millis()).unwrap();
                let expected = BURST + elapsed_ms / INTERVAL_MS;
                let counts = [&unkeyed, &keyed[0], &keyed[1], &keyed[2]]
                    .map(|count| count.load(Ordering::Relaxed));
                if counts != [expected; 4] {
                    mismatches.push((step, expected, counts));
                }
                rt.block_on(tokio::time::advance(STEP));
                barrier.wait();
            }
        });
        assert!(mismatches.is_empty(), "{mismatches:?}");
        let m = rl.metrics();
        assert_eq!(m.permitted, unkeyed.load(Ordering::Relaxed) * 4);
        assert_eq!(m.tracked_keys, 3);
    }
}

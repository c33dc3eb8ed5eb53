//! [`RateLimiter`]: the shared instance behind `#[rate_limit]`.

use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::Thread;

use super::gcra::{Gcra, Grant};
use super::keyed::KeyedStates;
use super::metrics::Counters;
use super::queue::{Slot, Ticket, WaitQueues};
use super::remote::{GiveBack, Remote, RemoteKey, Verdict};
use super::tuning::Tuning;
use super::{
    OnBackendError, OnLimit, Rate, RateLimitConfig, RateLimiterMetrics, RateLimiterSnapshot,
};
use crate::Error;
use crate::base::admission::Admission;
use crate::base::clock::{self, Nanos};
use crate::base::kill_switch;

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
/// the full [`Rate`] and burst of the config.
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
    /// The configuration in force: the declared one with `set_rate` / `set_burst` applied.
    current: Mutex<RateLimitConfig>,
    tuning: Tuning,
    /// How long `acquire` may wait: `max_wait` in the waiting modes, 0 in reject mode.
    wait_budget: Nanos,
    /// How many calls may wait per limit (unbounded in wait mode).
    max_queue: usize,
    /// The unkeyed limit's theoretical arrival time.
    state: Padded<AtomicU64>,
    keys: KeyedStates,
    queues: WaitQueues,
    counters: Padded<Counters>,
    remote: Option<Remote>,
}

/// What [`RateLimiter::decide_now`] decided.
enum Decision {
    Admitted,
    /// Rejected, with the time until a permit would conform (`None`: never).
    Rejected(Option<Nanos>),
    /// A permit this far away, within the wait budget.
    Queue(Nanos),
}

impl RateLimiter {
    /// A limiter with a full burst available.
    ///
    /// With [`Backend::Redis`](super::Backend::Redis), nothing is connected until the first
    /// decision.
    #[must_use]
    pub fn new(name: &'static str, config: RateLimitConfig) -> Self {
        let (wait_budget, max_queue) = match config.on_limit() {
            OnLimit::Wait => (clock::to_nanos(config.max_wait()), usize::MAX),
            OnLimit::Queue => (
                clock::to_nanos(config.max_wait()),
                usize::try_from(config.max_queue()).unwrap_or(usize::MAX),
            ),
            OnLimit::Reject => (0, 0),
        };
        Self {
            name,
            current: Mutex::new(config),
            tuning: Tuning::new(Gcra::new(&config)),
            wait_budget,
            max_queue,
            state: Padded::default(),
            keys: KeyedStates::new(name, config.max_keys(), clock::to_nanos(config.idle_ttl())),
            queues: WaitQueues::default(),
            counters: Padded::default(),
            remote: Remote::new(name, &config),
        }
    }

    /// The registry name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The configuration the limiter runs with, including changes made with
    /// [`set_rate`](Self::set_rate) and [`set_burst`](Self::set_burst).
    #[must_use]
    pub fn config(&self) -> RateLimitConfig {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the sustained rate, for the unkeyed limit and every key.
    ///
    /// The limiter keeps its state (for each limit, the time at which it would be back to a
    /// full burst) and the new rate applies from the next permit on; calls already waiting
    /// keep the permit time they were given.
    ///
    /// ```
    /// use resilience_runtime::rate_limit::{OnLimit, Rate, RateLimitConfig, RateLimiter};
    ///
    /// let limiter = RateLimiter::new(
    ///     "slow-api",
    ///     RateLimitConfig::new(Rate::per_second(1)).with_on_limit(OnLimit::Reject),
    /// );
    /// limiter.set_rate(Rate::per_second(100));
    /// limiter.set_burst(5);
    /// assert_eq!(limiter.config().rate(), Rate::per_second(100));
    /// assert_eq!(limiter.config().burst(), 5);
    /// ```
    pub fn set_rate(&self, rate: Rate) {
        self.retune(|config| config.with_rate(rate));
    }

    /// Changes the burst, for the unkeyed limit and every key, keeping the state as
    /// [`set_rate`](Self::set_rate) does. A burst of zero admits nothing.
    pub fn set_burst(&self, burst: u32) {
        self.retune(|config| config.with_burst(burst));
    }

    fn retune(&self, change: impl FnOnce(RateLimitConfig) -> RateLimitConfig) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        *current = change(*current);
        self.tuning.store(Gcra::new(&current));
        tracing::info!(
            name = self.name,
            rate = %current.rate(),
            burst = current.burst(),
            "rate limiter retuned"
        );
    }

    /// Takes a permit if one is available now; never waits, whatever
    /// [`OnLimit`] says.
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

    /// Takes a permit, honouring [`OnLimit`]: in the waiting modes it waits on tokio's clock
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
        let slot = Slot::Key(self.keys.hash(key));
        let remote_key = self.remote.as_ref().map(|_| RemoteKey::of(key));
        async move {
            match &self.remote {
                None => {
                    self.acquire_slot(slot, self.wait_budget, clock::now())
                        .await
                }
                Some(remote) => self.acquire_remote(remote, slot, remote_key).await,
            }
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
    pub(crate) fn admit_key_now<K: Hash + ?Sized>(&self, key: &K, now: Nanos) -> Admission<()> {
        self.admit_slot(Slot::Key(self.keys.hash(key)), now)
    }

    #[inline(always)]
    fn admit_slot(&self, slot: Slot, now: Nanos) -> Admission<()> {
        if self.remote.is_some() {
            return Admission::Wait;
        }
        match self.decide_now(slot, self.wait_budget, now) {
            Decision::Admitted => Admission::Admitted(()),
            Decision::Rejected(retry_after) => Admission::Rejected(self.reject(slot, retry_after)),
            Decision::Queue(_) => Admission::Wait,
        }
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
        self.counters.0.read(self.queues.waiting(), self.keys.len())
    }

    /// Name, config, metrics and backend status, for the registry's snapshot.
    #[must_use]
    pub fn snapshot(&self) -> RateLimiterSnapshot {
        RateLimiterSnapshot {
            name: self.name,
            config: self.config(),
            metrics: self.metrics(),
            backend: self.remote.as_ref().map(Remote::status),
        }
    }

    /// Reserves a permit of `slot` conforming within `budget` of `now`.
    #[inline]
    fn reserve(
        &self,
        gcra: &Gcra,
        slot: Slot,
        now: Nanos,
        budget: Nanos,
    ) -> Result<Grant, Option<Nanos>> {
        match slot {
            Slot::Unkeyed => gcra.reserve(&self.state.0, now, budget),
            // Don't fill the key table for a limiter that admits nothing anyway.
            Slot::Key(_) if gcra.is_closed() => Err(None),
            Slot::Key(hash) => self
                .keys
                .with_state(hash, now, |state| gcra.reserve(state, now, budget)),
        }
    }

    #[inline]
    fn try_slot(&self, slot: Slot) -> Result<(), Error> {
        match self.decide_now(slot, 0, clock::now()) {
            Decision::Admitted => Ok(()),
            Decision::Rejected(retry_after) => Err(self.reject(slot, retry_after)),
            // Not with a zero budget; rejected all the same.
            Decision::Queue(wait) => Err(self.reject(slot, Some(wait))),
        }
    }

    /// The decision at `now` without waiting: a permit, a rejection, or a permit `wait`
    /// away (within `budget`) to queue for. Nothing is reserved for a queued call yet.
    #[inline]
    fn decide_now(&self, slot: Slot, budget: Nanos, now: Nanos) -> Decision {
        if kill_switch::engaged() {
            return Decision::Admitted;
        }
        match self.reserve(&self.tuning.load(), slot, now, 0) {
            Ok(_) => {
                self.counters.0.permitted();
                Decision::Admitted
            }
            Err(Some(wait)) if wait <= budget => Decision::Queue(wait),
            Err(retry_after) => Decision::Rejected(retry_after),
        }
    }

    /// Takes a permit now (`None`) or queues for one within `budget` (`Some`).
    #[inline]
    fn start(
        &self,
        slot: Slot,
        budget: Nanos,
        now: Nanos,
        thread: impl FnOnce() -> Option<Thread>,
    ) -> Result<Option<Waiting<'_>>, Error> {
        match self.decide_now(slot, budget, now) {
            Decision::Admitted => Ok(None),
            Decision::Rejected(retry_after) => Err(self.reject(slot, retry_after)),
            Decision::Queue(_) => self.enqueue(slot, budget, thread()),
        }
    }

    /// Reserves a permit to wait for, under the queue's lock so that queued reservations
    /// are in queue order.
    #[cold]
    fn enqueue(
        &self,
        slot: Slot,
        budget: Nanos,
        thread: Option<Thread>,
    ) -> Result<Option<Waiting<'_>>, Error> {
        let queue = self.queues.lock(slot);
        let full = queue.len() >= self.max_queue;
        let now = clock::now();
        // A full queue still lets through a permit that is available right now.
        let budget = if full { 0 } else { budget };
        match self.reserve(&self.tuning.load(), slot, now, budget) {
            Ok(_) if full => {
                drop(queue);
                self.counters.0.permitted();
                Ok(None)
            }
            Ok(grant) if grant.wait == 0 => {
                drop(queue);
                self.counters.0.permitted();
                Ok(None)
            }
            Ok(grant) => {
                let ticket = queue.push(now, grant, thread);
                tracing::debug!(
                    name = self.name,
                    keyed = matches!(slot, Slot::Key(_)),
                    wait = ?clock::to_duration(grant.wait),
                    "rate limit reached; waiting for a permit"
                );
                Ok(Some(Waiting {
                    limiter: self,
                    slot,
                    ticket,
                    started: now,
                    done: false,
                }))
            }
            Err(retry_after) => {
                drop(queue);
                if full {
                    tracing::debug!(
                        name = self.name,
                        max_queue = self.max_queue,
                        "rate limit queue full"
                    );
                }
                Err(self.reject(slot, retry_after))
            }
        }
    }

    /// The in-process decision of `acquire`, waiting at most `budget`.
    async fn acquire_slot(&self, slot: Slot, budget: Nanos, now: Nanos) -> Result<(), Error> {
        if let Some(waiting) = self.start(slot, budget, now, || None)? {
            waiting.ticket.wait().await;
            waiting.finish();
        }
        Ok(())
    }

    fn acquire_slot_blocking(&self, slot: Slot) -> Result<(), Error> {
        let thread = || Some(std::thread::current());
        if let Some(waiting) = self.start(slot, self.wait_budget, clock::now(), thread)? {
            waiting.ticket.wait_blocking();
            waiting.finish();
        }
        Ok(())
    }

    /// A decision by the remote backend, or by the `on_backend_error` policy when the
    /// backend cannot decide in time. Never waits past the wait budget in all.
    async fn acquire_remote(
        &self,
        remote: &Remote,
        slot: Slot,
        key: Option<RemoteKey>,
    ) -> Result<(), Error> {
        if kill_switch::engaged() {
            return Ok(());
        }
        let started = clock::now();
        let gcra = self.tuning.load();
        let verdict = remote
            .decide(key.as_ref(), &gcra, self.wait_budget, self.max_queue)
            .await;
        let spent = clock::now().saturating_sub(started);
        match verdict {
            Verdict::Permit { wait: 0, .. } => {
                self.counters.0.permitted();
                Ok(())
            }
            Verdict::Permit { wait, give_back } => {
                if spent.saturating_add(wait) > self.wait_budget {
                    // The answer came too late to wait for the permit within the budget.
                    give_back.send();
                    return Err(self.reject(slot, Some(wait)));
                }
                let guard = RemoteWait {
                    limiter: self,
                    give_back: Some(give_back),
                };
                clock::sleep(clock::to_duration(wait)).await;
                guard.finish(wait);
                Ok(())
            }
            Verdict::Reject(retry_after) => Err(self.reject(slot, retry_after)),
            Verdict::Unavailable(OnBackendError::Allow) => {
                self.counters.0.permitted();
                Ok(())
            }
            Verdict::Unavailable(OnBackendError::Deny) => Err(self.reject(slot, None)),
            Verdict::Unavailable(OnBackendError::Local) => {
                self.acquire_slot(slot, self.wait_budget.saturating_sub(spent), clock::now())
                    .await
            }
        }
    }

    #[cold]
    /// The rejection of a call to `slot`, counted and logged. The error is built inline, in
    /// the caller's result: built out of line and copied, its narrow fields would be read
    /// back wide before the CPU forwarded them.
    #[inline(always)]
    fn reject(&self, slot: Slot, retry_after: Option<Nanos>) -> Error {
        self.note_rejection(slot, retry_after);
        Error::rate_limited(self.name, retry_after.map(clock::to_duration))
    }

    #[inline(never)]
    fn note_rejection(&self, slot: Slot, retry_after: Option<Nanos>) {
        self.counters.0.rejected();
        tracing::debug!(
            name = self.name,
            keyed = matches!(slot, Slot::Key(_)),
            retry_after = ?retry_after.map(clock::to_duration),
            "rate limit exceeded; call rejected"
        );
    }

    /// Moves `slot`'s state from `after` back to `before` if it is still `after`.
    fn roll_back(&self, slot: Slot, after: Nanos, before: Nanos) -> bool {
        let grant = Grant {
            wait: 0,
            before,
            after,
        };
        match slot {
            Slot::Unkeyed => Gcra::give_back(&self.state.0, grant),
            Slot::Key(hash) => self
                .keys
                .with_existing(hash, |state| Gcra::give_back(state, grant))
                .unwrap_or(false),
        }
    }
}

/// A queued call; dropping it before [`finish`](Self::finish) gives its reservation back.
struct Waiting<'a> {
    limiter: &'a RateLimiter,
    slot: Slot,
    ticket: Arc<Ticket>,
    started: Nanos,
    done: bool,
}

impl Waiting<'_> {
    /// The wait is over: the permit is used.
    fn finish(mut self) {
        self.done = true;
        let limiter = self.limiter;
        limiter.queues.finish(self.slot, &self.ticket);
        let waited = self.ticket.conform().saturating_sub(self.started);
        limiter.counters.0.waited(waited);
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let limiter = self.limiter;
        limiter.counters.0.cancelled();
        let slot = self.slot;
        let given_back = limiter.queues.cancel(slot, &self.ticket, |after, before| {
            limiter.roll_back(slot, after, before)
        });
        tracing::debug!(
            name = limiter.name,
            keyed = matches!(slot, Slot::Key(_)),
            given_back,
            "rate limit waiter dropped before its permit"
        );
    }
}

/// A call waiting for a permit reserved on a remote backend; dropping it before
/// [`finish`](Self::finish) sends the reservation back.
struct RemoteWait<'a> {
    limiter: &'a RateLimiter,
    give_back: Option<GiveBack>,
}

impl RemoteWait<'_> {
    fn finish(mut self, waited: Nanos) {
        self.give_back = None;
        self.limiter.counters.0.waited(waited);
    }
}

impl Drop for RemoteWait<'_> {
    fn drop(&mut self) {
        if let Some(give_back) = self.give_back.take() {
            self.limiter.counters.0.cancelled();
            give_back.send();
        }
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("name", &self.name)
            .field("config", &self.config())
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

impl crate::base::named::Named for RateLimiter {
    const KIND: &'static str = "rate_limiter";
    type Config = RateLimitConfig;

    fn create(name: &'static str, config: RateLimitConfig) -> Self {
        Self::new(name, config)
    }
}

#[cfg(test)]
#[path = "limiter_tests.rs"]
mod tests;

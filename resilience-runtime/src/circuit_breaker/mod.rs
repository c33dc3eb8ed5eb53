//! Circuit breaker: stop calling a failing service, then probe it before trusting it again.
//!
//! The semantics follow resilience4j. A **closed** breaker lets calls through and counts their
//! outcomes, either as consecutive failures or as failure and slow-call rates over a sliding
//! window (see [`CircuitBreakerConfig`]). When the count or a rate crosses its threshold the
//! breaker **opens** and rejects calls with [`Error::CircuitOpen`] carrying the remaining open
//! time, which may grow on repeated openings (`recovery_backoff`). After it the next call moves
//! the breaker to **half-open**, which admits a fixed number of trial calls, reserved
//! atomically; a cancelled or ignored trial call gives its permit back. In the consecutive model
//! enough successes close it again and any failure reopens it; in the rate model it decides
//! once every trial call has completed, by the same rates. `max_wait_in_half_open` bounds how
//! long that may take.
//!
//! Manual control: [`force_open`](CircuitBreaker::force_open),
//! [`close`](CircuitBreaker::close), [`disable`](CircuitBreaker::disable) (pass everything,
//! record nothing), [`metrics_only`](CircuitBreaker::metrics_only) (record, never open) and
//! [`reset`](CircuitBreaker::reset). Every change of state is one [`CircuitEvent`]: a `tracing`
//! event, a call to each [subscriber](CircuitBreaker::subscribe) in order, and an entry among
//! the [recent transitions](CircuitBreaker::recent_transitions).
//!
//! The closed path is lock-free and allocation-free: acquiring a permit is one atomic load,
//! recording a consecutive-model outcome a few more atomic operations. Every state change is a
//! single compare-and-swap on a packed state word that carries a generation, so exactly one
//! thread performs each transition and outcomes from an earlier period cannot change a later
//! one. Loom model tests check the state machine (`RUSTFLAGS="--cfg loom" cargo test -p
//! resilience-runtime --release --lib loom`).
//!
//! ```
//! use resilience_runtime::Error;
//! use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitState};
//! use std::time::Duration;
//!
//! static CONFIG: CircuitBreakerConfig = CircuitBreakerConfig::new()
//!     .with_failure_threshold(2)
//!     .with_recovery_timeout(Duration::from_secs(30));
//! let breaker = CircuitBreaker::new("doc-db", CONFIG);
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! for _ in 0..2 {
//!     let outcome: Result<(), Error> = breaker.call(async { Err(Error::timeout(Duration::from_secs(1))) }).await;
//!     assert!(outcome.is_err());
//! }
//! assert_eq!(breaker.state(), CircuitState::Open);
//! let rejected: Result<(), Error> = breaker.call(async { Ok(()) }).await;
//! assert!(matches!(rejected, Err(Error::CircuitOpen { .. })));
//! # });
//! ```

pub(crate) mod adapter;
mod config;
mod event;
#[cfg(all(test, loom))]
mod loom_tests;
mod metrics;
mod period;
mod permit;
#[cfg(all(test, not(loom)))]
mod reconfigure_tests;
mod settings;
mod state;
mod subscription;
mod sync;
#[cfg(all(test, not(loom)))]
mod tests;
mod window;
mod windows;

use std::fmt;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, SystemTime};

use crate::Error;
use crate::clock::{self, Nanos};

pub use config::{CircuitBreakerConfig, MAX_WINDOW_CALLS, MAX_WINDOW_SECS, SlidingWindow};
pub use event::{CircuitEvent, TransitionReason};
pub use metrics::{CircuitBreakerMetrics, CircuitBreakerSnapshot};
pub use permit::CircuitPermit;
pub use state::CircuitState;
pub use subscription::{RECENT_TRANSITIONS, Subscription};

use metrics::Counters;
use period::FrozenPeriod;
use permit::{Outcome, PermitKind, PermitPeriod};
use settings::{Model, Settings};
use state::{MAX_STREAK, Word};
use subscription::EventLog;
use sync::{AtomicU64, Ordering};
use window::Counts;
use windows::Windows;

/// A closed-state call's outcome, on its way into the window.
#[derive(Debug, Clone, Copy)]
struct Recorded {
    now: Nanos,
    failed: bool,
    slow: bool,
}

/// A shared circuit breaker, as the registry hands it out.
pub type CircuitBreakerHandle = Arc<CircuitBreaker>;

/// A named circuit breaker; see the [module docs](self) for its states.
///
/// Share it as a [`CircuitBreakerHandle`]. Ask for a permit with
/// [`try_acquire`](Self::try_acquire) and record the call's outcome on it, or wrap a future with
/// [`call`](Self::call).
pub struct CircuitBreaker {
    name: &'static str,
    /// The configuration in force; its lock also serialises reconfigurations. Calls never
    /// take it: they read `settings`.
    in_force: std::sync::Mutex<CircuitBreakerConfig>,
    /// The configuration in the units the calls use, changeable while they run.
    settings: Settings,
    /// The length of a timed period that a reconfiguration happened in.
    frozen: FrozenPeriod,
    /// The packed [`Word`]: state, generation and half-open bookkeeping.
    word: AtomicU64,
    /// When the current open (or, with `max_wait_in_half_open`, half-open) period started;
    /// published before the word's pending bit clears. Only ever grows.
    entered_at: AtomicU64,
    /// Failed and slow trial calls of a rate-judged half-open period, tagged with its
    /// generation: `generation << 32 | failed << 16 | slow`.
    trials: AtomicU64,
    consecutive: std::sync::atomic::AtomicU64,
    windows: Windows,
    counters: Counters,
    events: Arc<EventLog>,
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.name)
            .field("state", &self.state())
            .field("config", &self.config())
            .finish_non_exhaustive()
    }
}

impl CircuitBreaker {
    /// A closed breaker named `name` (the registry name, used in errors and logs).
    #[must_use]
    pub fn new(name: &'static str, config: CircuitBreakerConfig) -> Self {
        Self {
            name,
            in_force: std::sync::Mutex::new(config),
            settings: Settings::new(&config),
            frozen: FrozenPeriod::new(),
            word: AtomicU64::new(Word::new(CircuitState::Closed, 0).raw()),
            entered_at: AtomicU64::new(0),
            trials: AtomicU64::new(0),
            consecutive: std::sync::atomic::AtomicU64::new(0),
            windows: Windows::new(&config),
            counters: Counters::default(),
            events: EventLog::new(0),
        }
    }

    /// The breaker's registry name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The configuration the breaker runs with: as declared, or as last
    /// [reconfigured](Self::reconfigure).
    #[must_use]
    pub fn config(&self) -> CircuitBreakerConfig {
        *self.in_force.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Switches to `config` while calls run, keeping the breaker's state.
    ///
    /// - **State**: unchanged. An open breaker stays open until the time it would have
    ///   reopened for trial calls anyway: a new `recovery_timeout`, `recovery_backoff` or
    ///   `max_recovery_timeout` applies from the next opening, and a new
    ///   `max_wait_in_half_open` from the next half-open period. The count of failed
    ///   recoveries that grows the open wait is kept.
    /// - **Counts**: the consecutive-failure count, the metrics and the recent transitions are
    ///   kept. A lower `failure_threshold` that the current run of failures already reaches
    ///   opens the breaker on the next failure.
    /// - **Window**: kept, with its contents, when its kind and size stay the same (a new
    ///   `failure_rate`, `slow_call_rate` or `minimum_calls` judges the calls already in it
    ///   from the next recorded call on). A window of another kind or size starts empty; so
    ///   does the window a breaker that had none (consecutive model) starts keeping.
    /// - **Half-open**: the number of trial calls admitted and the successes that close the
    ///   breaker apply at once, to the trial calls still to come.
    ///
    /// Calls in flight are never blocked: each reads every setting either before or after
    /// the change. The change is logged at `info` level.
    ///
    /// ```
    /// use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitState};
    ///
    /// let breaker = CircuitBreaker::new("doc-reconfigure", CircuitBreakerConfig::new().with_failure_threshold(5));
    /// for _ in 0..2 {
    ///     breaker.try_acquire().unwrap().record_failure();
    /// }
    /// breaker.reconfigure(breaker.config().with_failure_threshold(3));
    /// assert_eq!(breaker.metrics().consecutive_failures, 2); // kept
    /// breaker.try_acquire().unwrap().record_failure();
    /// assert_eq!(breaker.state(), CircuitState::Open);
    /// ```
    pub fn reconfigure(&self, config: CircuitBreakerConfig) {
        let mut in_force = self.in_force.lock().unwrap_or_else(PoisonError::into_inner);
        if *in_force == config {
            return;
        }
        let current = self.load();
        match current.state() {
            CircuitState::Open => self
                .frozen
                .freeze(current.generation(), Some(self.open_wait(current.streak()))),
            CircuitState::HalfOpen => self
                .frozen
                .freeze(current.generation(), self.settings.max_half_open()),
            CircuitState::Closed
            | CircuitState::ForcedOpen
            | CircuitState::Disabled
            | CircuitState::MetricsOnly => {}
        }
        // A window is in place before the rates that judge it are, and goes after them.
        if config.uses_window() {
            self.windows.switch_to(&config);
            self.settings.store(&config);
        } else {
            self.settings.store(&config);
            self.windows.switch_to(&config);
        }
        tracing::info!(
            name = self.name,
            before = ?*in_force,
            after = ?config,
            "circuit breaker reconfigured"
        );
        *in_force = config;
    }

    /// The current state.
    ///
    /// The move from open to half-open happens lazily, on the first
    /// [`try_acquire`](Self::try_acquire) after the recovery timeout, so an idle breaker keeps
    /// reporting [`Open`](CircuitState::Open) after its timeout until the next call arrives.
    /// Likewise `max_wait_in_half_open` reopens a half-open breaker on the next call.
    #[must_use]
    pub fn state(&self) -> CircuitState {
        self.load().state()
    }

    /// The breaker's counts and the rates over its current window.
    #[must_use]
    pub fn metrics(&self) -> CircuitBreakerMetrics {
        let counts = self.windows.counts(clock::now());
        let minimum_calls = self.settings.minimum_calls();
        let judged = counts.filter(|counts| counts.calls > 0 && counts.calls >= minimum_calls);
        let rate = |part: fn(&Counts) -> u64| {
            // Precision loss only matters beyond 2^52 calls in a window.
            judged.map(|counts| part(&counts) as f64 * 100.0 / counts.calls as f64)
        };
        let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
        let word = self.load();
        CircuitBreakerMetrics {
            successful: self.counters.successful(),
            failed: load(&self.counters.failed),
            slow: load(&self.counters.slow),
            not_permitted: self.counters.not_permitted(),
            ignored: load(&self.counters.ignored),
            consecutive_failures: load(&self.consecutive),
            failure_rate: rate(|counts| counts.failed),
            slow_call_rate: self
                .settings
                .slow_after()
                .and_then(|_| rate(|counts| counts.slow)),
            calls_in_window: counts.map_or(0, |counts| counts.calls),
            transitions: load(&self.counters.transitions),
            open_wait: match word.state() {
                CircuitState::Open => Some(self.open_length(word)),
                CircuitState::HalfOpen => Some(self.open_wait(word.streak())),
                _ => None,
            }
            .map(clock::to_duration),
        }
    }

    /// The call counts since creation, across resets, for metrics exporters.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) fn lifetime_counts(&self) -> metrics::LifetimeCounts {
        self.counters.lifetime()
    }

    /// The name, state, configuration, metrics and recent transitions, for the registry's
    /// snapshot.
    #[must_use]
    pub fn snapshot(&self) -> CircuitBreakerSnapshot {
        CircuitBreakerSnapshot {
            name: self.name,
            state: self.state(),
            config: self.config(),
            metrics: self.metrics(),
            recent_transitions: self.recent_transitions(),
        }
    }

    /// The last [`RECENT_TRANSITIONS`] state changes, oldest first.
    #[must_use]
    pub fn recent_transitions(&self) -> Vec<CircuitEvent> {
        self.events.recent()
    }

    /// Calls `callback` with every state change from now on, until the returned
    /// [`Subscription`] is dropped.
    ///
    /// Events arrive in the order the transitions happened, on the thread that made the
    /// transition (or another thread delivering at that moment), never under a lock: a
    /// callback may call into the breaker. Keep callbacks short; a callback that panics is
    /// logged and skipped, and the call that made the transition goes on unaffected. Only
    /// transitions touch subscribers: a closed breaker's calls never do.
    ///
    /// ```
    /// use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitState};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let breaker = CircuitBreaker::new("doc-events", CircuitBreakerConfig::new().with_failure_threshold(1));
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let sink = Arc::clone(&seen);
    /// let subscription = breaker.subscribe(move |event| sink.lock().unwrap().push(event.to_string()));
    ///
    /// breaker.try_acquire().unwrap().record_failure();
    /// assert_eq!(
    ///     *seen.lock().unwrap(),
    ///     ["circuit breaker `doc-events`: closed → open (1 consecutive failures)"]
    /// );
    /// drop(subscription); // unsubscribes
    /// breaker.reset();
    /// assert_eq!(seen.lock().unwrap().len(), 1);
    /// assert_eq!(breaker.recent_transitions().len(), 2);
    /// ```
    pub fn subscribe(
        &self,
        callback: impl Fn(&CircuitEvent) + Send + Sync + 'static,
    ) -> Subscription {
        self.events.subscribe(Arc::new(callback))
    }

    /// Closes the breaker and clears its window and call counts (the transition count keeps
    /// running). Permits acquired before the reset no longer affect the breaker. Resetting a
    /// closed breaker starts a fresh period but emits no transition event.
    pub fn reset(&self) {
        let mut current = self.load();
        loop {
            match self.transition(
                current,
                current.next(CircuitState::Closed),
                TransitionReason::Reset,
            ) {
                Ok(()) => break,
                Err(actual) => current = actual,
            }
        }
        self.counters.clear_calls();
        if current.state() == CircuitState::Closed {
            tracing::debug!(name = self.name, "circuit breaker reset");
        }
    }

    /// Closes the breaker by hand, from any state, with an empty window; the call counts keep
    /// running (unlike [`reset`](Self::reset)). Does nothing if it is closed already.
    pub fn close(&self) {
        self.move_to(CircuitState::Closed, TransitionReason::ManualClose);
    }

    /// Opens the breaker until another manual transition ([`reset`](Self::reset),
    /// [`close`](Self::close), ...), whatever the outcomes; every call is rejected with
    /// [`Error::CircuitOpen`] without a retry hint. Does nothing if it is forced open already.
    pub fn force_open(&self) {
        self.move_to(CircuitState::ForcedOpen, TransitionReason::ForcedOpen);
    }

    /// Switches the breaker off until another manual transition: every call passes and
    /// nothing is recorded, not even in the metrics.
    pub fn disable(&self) {
        self.move_to(CircuitState::Disabled, TransitionReason::Disabled);
    }

    /// Keeps recording every call as a closed breaker does, with a fresh window, but never
    /// opens, until another manual transition. For trying a configuration on live traffic.
    pub fn metrics_only(&self) {
        self.move_to(CircuitState::MetricsOnly, TransitionReason::MetricsOnly);
    }

    /// Moves to `state` unless the breaker is in it already.
    fn move_to(&self, state: CircuitState, reason: TransitionReason) {
        let mut current = self.load();
        while current.state() != state {
            match self.transition(current, current.next(state), reason) {
                Ok(()) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Asks to make one call.
    ///
    /// While the [kill switch](crate::config#the-kill-switch) is engaged every call is
    /// permitted and nothing is recorded.
    ///
    /// Closed, metrics-only, disabled: always permitted. Open: rejected with
    /// `Error::CircuitOpen` whose `retry_after` is the remaining open time, until the open wait
    /// has passed; then this call moves the breaker to half-open and is its first trial call.
    /// Half-open: permitted while trial permits remain, otherwise rejected without a hint; past
    /// `max_wait_in_half_open` this call reopens the breaker and is rejected. Forced open:
    /// rejected without a hint.
    ///
    /// # Errors
    ///
    /// [`Error::CircuitOpen`] when the breaker does not admit the call.
    #[inline(always)]
    pub fn try_acquire(&self) -> Result<CircuitPermit<'_>, Error> {
        if crate::config::kill_switch::engaged() {
            // A pass-through: admitted, and recorded nowhere.
            return Ok(CircuitPermit {
                breaker: self,
                period: PermitPeriod::new(0, PermitKind::Disabled),
                started: 0,
            });
        }
        let current = self.load();
        if current.state() == CircuitState::Closed {
            return Ok(self.permit(current.generation(), PermitKind::Closed));
        }
        self.acquire_outside_closed(current)
    }

    #[cold]
    fn acquire_outside_closed(&self, mut current: Word) -> Result<CircuitPermit<'_>, Error> {
        loop {
            match current.state() {
                CircuitState::Closed => {
                    return Ok(self.permit(current.generation(), PermitKind::Closed));
                }
                CircuitState::MetricsOnly => {
                    return Ok(self.permit(current.generation(), PermitKind::MetricsOnly));
                }
                CircuitState::Disabled => {
                    return Ok(self.permit(current.generation(), PermitKind::Disabled));
                }
                CircuitState::ForcedOpen => return Err(self.reject(current, None)),
                CircuitState::Open => {
                    let wait = self.open_length(current);
                    let remaining = self.remaining(current, wait);
                    if remaining > 0 {
                        return Err(self.reject(current, Some(clock::to_duration(remaining))));
                    }
                    // The caller that wins this swap makes the transition and takes the first
                    // trial permit in the same step.
                    let next = current
                        .next(CircuitState::HalfOpen)
                        .with_streak(current.streak())
                        .with_used(1);
                    let reason = TransitionReason::RecoveryTimeout {
                        waited: clock::to_duration(wait),
                    };
                    match self.transition(current, next, reason) {
                        Ok(()) => return Ok(self.permit(next.generation(), PermitKind::Trial)),
                        Err(actual) => current = actual,
                    }
                }
                CircuitState::HalfOpen => {
                    if let Some(max) = self.half_open_limit(current)
                        && self.remaining(current, max) == 0
                    {
                        let next = self.reopened(current);
                        let reason = TransitionReason::HalfOpenTimeout {
                            waited: clock::to_duration(max),
                        };
                        match self.transition(current, next, reason) {
                            Ok(()) => {
                                let wait = self.open_wait(next.streak());
                                return Err(self.reject(next, Some(clock::to_duration(wait))));
                            }
                            Err(actual) => {
                                current = actual;
                                continue;
                            }
                        }
                    }
                    let used = current.used();
                    if used >= self.settings.half_open_max() {
                        return Err(self.reject(current, None));
                    }
                    match self.word.compare_exchange_weak(
                        current.raw(),
                        current.with_used(used + 1).raw(),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => return Ok(self.permit(current.generation(), PermitKind::Trial)),
                        Err(actual) => current = Word::from_raw(actual),
                    }
                }
            }
        }
    }

    /// Runs `fut` if the breaker admits it and records the outcome: every `Ok` is a success,
    /// every `Err` a failure. A rejection is returned as `E::from(Error::CircuitOpen { .. })`
    /// without polling `fut`. Dropping the returned future mid-call records nothing and gives a
    /// trial permit back.
    ///
    /// # Errors
    ///
    /// The breaker's rejection, or the error `fut` returned.
    pub async fn call<T, E, F>(&self, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        let permit = self.try_acquire()?;
        let result = fut.await;
        match result {
            Ok(_) => permit.record_success(),
            Err(_) => permit.record_failure(),
        }
        result
    }

    #[inline]
    fn load(&self) -> Word {
        Word::from_raw(self.word.load(Ordering::Acquire))
    }

    #[inline(always)]
    fn permit(&self, generation: u32, kind: PermitKind) -> CircuitPermit<'_> {
        CircuitPermit {
            breaker: self,
            period: PermitPeriod::new(generation, kind),
            // Only slow-call tracking needs the start time; the plain closed path reads no clock.
            started: if self.settings.slow_after().is_some() {
                clock::now()
            } else {
                0
            },
        }
    }

    /// The rejection of a call in `current`, counted and logged. The error is built inline,
    /// in the caller's result (see the rate limiter's `reject`).
    #[inline(always)]
    fn reject(&self, current: Word, retry_after: Option<Duration>) -> Error {
        self.note_rejection(current, retry_after);
        Error::circuit_open(self.name, retry_after)
    }

    #[inline(never)]
    fn note_rejection(&self, current: Word, retry_after: Option<Duration>) {
        self.counters.rejected();
        tracing::debug!(
            name = self.name,
            state = %current.state(),
            retry_after = ?retry_after,
            "circuit breaker rejected a call"
        );
    }

    /// How long the open period with `streak` earlier failed recoveries lasts: the recovery
    /// timeout, grown by the backoff factor per failed recovery, capped at the maximum.
    fn open_wait(&self, streak: u32) -> Nanos {
        let recovery = self.settings.recovery();
        let Some(factor) = self.settings.backoff() else {
            return recovery;
        };
        let max_recovery = self.settings.max_recovery();
        // The streak is at most 255, so the exponent fits; the product may be infinite, and
        // the cap (or the saturating cast) takes care of that.
        let grown = recovery as f64 * factor.powi(streak.min(MAX_STREAK) as i32);
        if grown >= max_recovery as f64 {
            max_recovery
        } else {
            grown as Nanos
        }
    }

    /// How long the open period of `current` lasts: fixed if the breaker was reconfigured
    /// during it, else by the settings.
    fn open_length(&self, current: Word) -> Nanos {
        match self.frozen.get(current.generation()) {
            Some(length) => length.unwrap_or(Nanos::MAX),
            None => self.open_wait(current.streak()),
        }
    }

    /// The longest the half-open period of `current` may last, if limited.
    fn half_open_limit(&self, current: Word) -> Option<Nanos> {
        self.frozen
            .get(current.generation())
            .unwrap_or_else(|| self.settings.max_half_open())
    }

    /// Time left of a timed period of `length` that `current` is in; 0 when it is over.
    fn remaining(&self, current: Word, length: Nanos) -> Nanos {
        if current.pending() {
            // Just entered, its start not yet published.
            return length.max(1);
        }
        let entered_at = self.entered_at.load(Ordering::Acquire);
        let elapsed = clock::now().saturating_sub(entered_at);
        length.saturating_sub(elapsed)
    }

    /// The open word after a failed recovery from half-open word `current`.
    fn reopened(&self, current: Word) -> Word {
        current
            .next(CircuitState::Open)
            .with_streak(current.streak().saturating_add(1))
    }

    /// Swaps `from` for `to` (a word of the next generation) and does what entering `to`
    /// requires. Fails with the actual word when another thread changed it first.
    fn transition(&self, from: Word, to: Word, reason: TransitionReason) -> Result<(), Word> {
        // A timed word starts pending until its start time is published, so no reader can pair
        // it with the previous period's time.
        let timed = to.state() == CircuitState::Open
            || (to.state() == CircuitState::HalfOpen && self.settings.max_half_open().is_some());
        let to = to.with_pending(timed);
        self.word
            .compare_exchange(from.raw(), to.raw(), Ordering::AcqRel, Ordering::Acquire)
            .map_err(Word::from_raw)?;
        if timed {
            self.publish_entry(to);
        }
        match to.state() {
            CircuitState::Closed | CircuitState::MetricsOnly => {
                // A new recording period judges only its own calls.
                self.consecutive.store(0, Ordering::Relaxed);
                self.windows.clear();
            }
            CircuitState::Open
            | CircuitState::HalfOpen
            | CircuitState::ForcedOpen
            | CircuitState::Disabled => {}
        }
        let changed = from.state() != to.state();
        let event = changed.then(|| {
            Counters::bump(&self.counters.transitions);
            if matches!(to.state(), CircuitState::Open | CircuitState::ForcedOpen) {
                tracing::warn!(
                    name = self.name,
                    from = %from.state(),
                    to = %to.state(),
                    reason = %reason,
                    "circuit breaker changed state"
                );
            } else {
                tracing::info!(
                    name = self.name,
                    from = %from.state(),
                    to = %to.state(),
                    reason = %reason,
                    "circuit breaker changed state"
                );
            }
            CircuitEvent {
                name: self.name,
                from: from.state(),
                to: to.state(),
                reason,
                at: SystemTime::now(),
            }
        });
        self.events.publish(to.generation(), event);
        Ok(())
    }

    /// Publishes when the timed period of pending word `to` started, then clears its pending
    /// bit, unless the breaker has moved on to another period meanwhile.
    fn publish_entry(&self, to: Word) {
        // `fetch_max`: a delayed publisher of an older period never moves a newer one back.
        self.entered_at.fetch_max(clock::now(), Ordering::AcqRel);
        let mut current = to;
        // Half-open permits may change the word meanwhile; the generation says whose it is.
        while current.pending() && current.generation() == to.generation() {
            match self.word.compare_exchange_weak(
                current.raw(),
                current.with_pending(false).raw(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = Word::from_raw(actual),
            }
        }
    }

    /// Records the outcome of a permit's call. A closed breaker's success without slow-call
    /// tracking or a time window (the common case) is recorded inline.
    #[inline(always)]
    fn complete(&self, period: PermitPeriod, started: Nanos, outcome: Outcome) {
        if outcome == Outcome::Success
            && period.kind() == PermitKind::Closed
            && !self.settings.needs_clock()
        {
            self.counters.succeeded();
            if !self.record_plain_success(period.generation()) {
                self.record_late_success(period.generation());
            }
            return;
        }
        self.complete_slowly(period.generation(), period.kind(), started, outcome);
    }

    /// [`complete`](Self::complete) for everything but the common case.
    #[inline(never)]
    fn complete_slowly(&self, generation: u32, kind: PermitKind, started: Nanos, outcome: Outcome) {
        if kind == PermitKind::Disabled {
            return; // A disabled breaker records nothing.
        }
        let failed = match outcome {
            Outcome::Success => false,
            Outcome::Failure => true,
            Outcome::Ignored => {
                Counters::bump(&self.counters.ignored);
                if kind == PermitKind::Trial {
                    self.release_trial(generation);
                }
                return;
            }
        };
        let model = self.settings.model();
        let now = if model.needs_clock { clock::now() } else { 0 };
        // `started` is 0 when the call started before slow-call tracking was switched on.
        let slow = started != 0
            && self
                .settings
                .slow_after()
                .is_some_and(|limit| now.saturating_sub(started) > limit);
        if failed {
            Counters::bump(&self.counters.failed);
        } else {
            self.counters.succeeded();
        }
        if slow {
            Counters::bump(&self.counters.slow);
        }
        match kind {
            PermitKind::Trial if model.trials_by_rate() => {
                self.record_rated_trial(generation, failed, slow);
            }
            PermitKind::Trial => self.record_trial(generation, failed, slow),
            PermitKind::Closed | PermitKind::MetricsOnly | PermitKind::Disabled => {
                self.record_closed(generation, model, Recorded { now, failed, slow });
            }
        }
    }

    /// Records a success of a closed breaker in its period without reading the clock (no
    /// time window, no slow-call tracking): it ends a run of failures and takes its turn in a
    /// count window. False when the permit is from an earlier period, for
    /// [`record_closed`](Self::record_closed).
    #[inline(always)]
    fn record_plain_success(&self, generation: u32) -> bool {
        let current = self.load();
        if current.generation() != generation || current.state() != CircuitState::Closed {
            return false;
        }
        self.end_failure_run();
        if let Some(window) = self.windows.current()
            && let Some(counts) = window.record(0, false, false)
        {
            self.open_if_judged(current, self.settings.model(), counts);
        }
        true
    }

    /// A success ends a run of consecutive failures.
    #[inline(always)]
    fn end_failure_run(&self) {
        // Load first so a run of successes does not keep writing the shared line.
        if self.consecutive.load(Ordering::Relaxed) != 0 {
            self.consecutive.store(0, Ordering::Relaxed);
        }
    }

    /// A success [`record_plain_success`](Self::record_plain_success) left alone.
    #[cold]
    fn record_late_success(&self, generation: u32) {
        let call = Recorded {
            now: 0,
            failed: false,
            slow: false,
        };
        self.record_closed(generation, self.settings.model(), call);
    }

    /// Opens the breaker from `current` if the window's `counts` say so; whether they did.
    #[cold]
    fn open_if_judged(&self, current: Word, model: Model, counts: Counts) -> bool {
        let Some(reason) = self.judge(model, counts) else {
            return false;
        };
        // Losing the swap means another thread opened (or reset) the breaker already.
        let _ = self.transition(current, current.next(CircuitState::Open), reason);
        true
    }

    #[inline(never)]
    fn record_closed(&self, generation: u32, model: Model, call: Recorded) {
        let current = self.load();
        let may_open = current.state() == CircuitState::Closed;
        if current.generation() != generation
            || !(may_open || current.state() == CircuitState::MetricsOnly)
        {
            // From an earlier period: counted in the totals only. It still takes its turn in
            // a count window, which empties that slot.
            if let Some(window) = self.windows.current() {
                window.skip();
            }
            return;
        }
        let consecutive = if call.failed {
            self.consecutive.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            self.end_failure_run();
            0
        };
        if let Some(window) = self.windows.current()
            && let Some(counts) = window.record(call.now, call.failed, call.slow)
            && may_open
            && self.open_if_judged(current, model, counts)
        {
            return;
        }
        if may_open
            && call.failed
            && model.failure_rate.is_none()
            && consecutive >= u64::from(model.failure_threshold)
        {
            let reason = TransitionReason::ConsecutiveFailures {
                failures: consecutive,
            };
            let _ = self.transition(current, current.next(CircuitState::Open), reason);
        }
    }

    /// The reason to open, if the window's rates cross a threshold.
    fn judge(&self, model: Model, counts: Counts) -> Option<TransitionReason> {
        if counts.calls == 0 || counts.calls < self.settings.minimum_calls() {
            return None;
        }
        let reached = |part: u64, threshold: u8| part * 100 >= u64::from(threshold) * counts.calls;
        if let Some(threshold) = model.failure_rate
            && reached(counts.failed, threshold)
        {
            return Some(TransitionReason::FailureRate {
                failed: counts.failed,
                calls: counts.calls,
                threshold,
            });
        }
        if let Some(threshold) = model.slow_call_rate
            && reached(counts.slow, threshold)
        {
            return Some(TransitionReason::SlowCallRate {
                slow: counts.slow,
                calls: counts.calls,
                threshold,
            });
        }
        None
    }

    /// A trial call finished (consecutive model): a failure or a slow call reopens, enough
    /// successes close.
    fn record_trial(&self, generation: u32, failed: bool, slow: bool) {
        let mut current = self.load();
        loop {
            if current.state() != CircuitState::HalfOpen || current.generation() != generation {
                return; // From an earlier period: counted in the totals only.
            }
            let (next, reason) = if failed || slow {
                let reason = if failed {
                    TransitionReason::TrialFailure
                } else {
                    TransitionReason::TrialSlowCall
                };
                (self.reopened(current), reason)
            } else {
                let successes = current.successes() + 1;
                if successes < self.settings.success_threshold() {
                    match self.count_trial(current, successes) {
                        Ok(()) => return,
                        Err(actual) => {
                            current = actual;
                            continue;
                        }
                    }
                }
                (
                    current.next(CircuitState::Closed),
                    TransitionReason::TrialSuccesses { successes },
                )
            };
            match self.transition(current, next, reason) {
                Ok(()) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Stores `count` as the half-open tally of `current` (successes in the consecutive
    /// model, completed trial calls in the rate model), unless the word changed meanwhile:
    /// then the word it holds now.
    fn count_trial(&self, current: Word, count: u32) -> Result<(), Word> {
        self.word
            .compare_exchange_weak(
                current.raw(),
                current.with_successes(count).raw(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .map(drop)
            .map_err(Word::from_raw)
    }

    /// A trial call finished (rate model): counted until every permitted trial call has
    /// completed; the last one decides by the trial calls' rates.
    fn record_rated_trial(&self, generation: u32, failed: bool, slow: bool) {
        if failed || slow {
            self.tally_trial(generation, failed, slow);
        }
        let mut current = self.load();
        loop {
            if current.state() != CircuitState::HalfOpen || current.generation() != generation {
                return; // From an earlier period: counted in the totals only.
            }
            let completed = current.successes() + 1;
            if completed < self.settings.half_open_max() {
                match self.count_trial(current, completed) {
                    Ok(()) => return,
                    Err(actual) => {
                        current = actual;
                        continue;
                    }
                }
            }
            // Every other trial call's tally was added before its count, which this thread
            // has read through the word.
            let (failed, slow) = self.trial_tally(generation);
            let calls = u64::from(completed);
            let reached = |part: u64, threshold: u8| part * 100 >= u64::from(threshold) * calls;
            let model = self.settings.model();
            let (failure_rate, slow_rate) = (model.failure_rate, model.slow_call_rate);
            let (next, reason) = if let Some(threshold) = failure_rate
                && reached(failed, threshold)
            {
                let reason = TransitionReason::TrialFailureRate {
                    failed,
                    calls,
                    threshold,
                };
                (self.reopened(current), reason)
            } else if let Some(threshold) = slow_rate
                && reached(slow, threshold)
            {
                let reason = TransitionReason::TrialSlowCallRate {
                    slow,
                    calls,
                    threshold,
                };
                (self.reopened(current), reason)
            } else {
                let reason = TransitionReason::TrialRatesBelowThresholds {
                    failed,
                    slow,
                    calls,
                };
                (current.next(CircuitState::Closed), reason)
            };
            match self.transition(current, next, reason) {
                Ok(()) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Adds a failed or slow trial call to the tally of half-open period `generation`.
    fn tally_trial(&self, generation: u32, failed: bool, slow: bool) {
        let delta = u64::from(failed) << 16 | u64::from(slow);
        let tag = u64::from(generation) << 32;
        let mut tally = self.trials.load(Ordering::Acquire);
        loop {
            let next = if tally >> 32 == u64::from(generation) {
                tally + delta
            } else {
                // Another period's tally: replace it, but only while this period is current,
                // and only if no newer period wrote meanwhile (the swap fails then).
                let current = self.load();
                if current.state() != CircuitState::HalfOpen || current.generation() != generation {
                    return;
                }
                tag | delta
            };
            match self.trials.compare_exchange_weak(
                tally,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => tally = actual,
            }
        }
    }

    /// Failed and slow trial calls of half-open period `generation`.
    fn trial_tally(&self, generation: u32) -> (u64, u64) {
        let tally = self.trials.load(Ordering::Acquire);
        if tally >> 32 == u64::from(generation) {
            ((tally >> 16) & 0xffff, tally & 0xffff)
        } else {
            (0, 0)
        }
    }

    /// Gives a trial permit of `generation` back, if that half-open period is still current.
    fn release_trial(&self, generation: u32) {
        let mut current = self.load();
        while current.state() == CircuitState::HalfOpen && current.generation() == generation {
            match self.word.compare_exchange_weak(
                current.raw(),
                current.with_used(current.used().saturating_sub(1)).raw(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = Word::from_raw(actual),
            }
        }
    }

    /// Live subscriptions, for tests.
    #[cfg(test)]
    fn subscribers(&self) -> usize {
        self.events.subscribers()
    }
}

impl crate::registry::Named for CircuitBreaker {
    const KIND: &'static str = "circuit_breaker";
    type Config = CircuitBreakerConfig;

    fn create(name: &'static str, config: Self::Config) -> Self {
        Self::new(name, config)
    }
}

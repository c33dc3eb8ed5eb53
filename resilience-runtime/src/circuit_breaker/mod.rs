//! Circuit breaker: stop calling a failing service, then probe it before trusting it again.
//!
//! The semantics follow resilience4j. A **closed** breaker lets calls through and counts their
//! outcomes, either as consecutive failures or as failure and slow-call rates over a sliding
//! window (see [`CircuitBreakerConfig`]). When the count or a rate crosses its threshold the
//! breaker **opens** and rejects calls with [`Error::CircuitOpen`] carrying the remaining open
//! time. After the recovery timeout the next call moves it to **half-open**, which admits a fixed
//! number of trial calls: enough successes close it again, any failure reopens it for a new
//! recovery timeout. [`force_open`](CircuitBreaker::force_open) and
//! [`reset`](CircuitBreaker::reset) are manual overrides.
//!
//! The closed path is lock-free and allocation-free: acquiring a permit is one atomic load,
//! recording a consecutive-model outcome one more atomic operation. Every state change is a
//! single compare-and-swap on a packed state word that carries a generation, so exactly one
//! thread performs each transition and outcomes from an earlier period cannot change a later one.
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

mod config;
mod metrics;
mod permit;
mod state;
#[cfg(test)]
mod tests;
mod window;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::Error;
use crate::clock::{self, Nanos};

pub use config::{CircuitBreakerConfig, MAX_WINDOW_CALLS, MAX_WINDOW_SECS, SlidingWindow};
pub use metrics::{CircuitBreakerMetrics, CircuitBreakerSnapshot};
pub use permit::CircuitPermit;
pub use state::CircuitState;

use metrics::Counters;
use permit::Outcome;
use state::{Reason, Word};
use window::{Counts, Window};

/// A shared circuit breaker, as the registry hands it out.
pub type CircuitBreakerHandle = Arc<CircuitBreaker>;

/// A named circuit breaker; see the [module docs](self) for its states.
///
/// Share it as a [`CircuitBreakerHandle`]. Ask for a permit with
/// [`try_acquire`](Self::try_acquire) and record the call's outcome on it, or wrap a future with
/// [`call`](Self::call).
pub struct CircuitBreaker {
    name: &'static str,
    config: CircuitBreakerConfig,
    // Derived from `config` once, in the units the hot path uses.
    minimum_calls: u64,
    recovery: Nanos,
    slow_after: Option<Nanos>,
    half_open_max: u32,
    success_threshold: u32,
    /// The packed [`Word`]: state, generation and half-open bookkeeping.
    word: AtomicU64,
    /// When the current open period started; published before the word's pending bit clears.
    opened_at: AtomicU64,
    consecutive: AtomicU64,
    window: Option<Window>,
    counters: Counters,
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.name)
            .field("state", &self.state())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl CircuitBreaker {
    /// A closed breaker named `name` (the registry name, used in errors and logs).
    #[must_use]
    pub fn new(name: &'static str, config: CircuitBreakerConfig) -> Self {
        Self {
            name,
            config,
            minimum_calls: u64::from(config.minimum_calls()),
            recovery: clock::to_nanos(config.recovery_timeout()),
            slow_after: config.slow_call_duration().map(clock::to_nanos),
            half_open_max: config.half_open_max_calls(),
            success_threshold: config.effective_success_threshold(),
            word: AtomicU64::new(Word::new(CircuitState::Closed, 0).raw()),
            opened_at: AtomicU64::new(0),
            consecutive: AtomicU64::new(0),
            window: Window::new(&config),
            counters: Counters::default(),
        }
    }

    /// The breaker's registry name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The configuration the breaker runs with.
    #[must_use]
    pub fn config(&self) -> CircuitBreakerConfig {
        self.config
    }

    /// The current state.
    ///
    /// The move from open to half-open happens lazily, on the first
    /// [`try_acquire`](Self::try_acquire) after the recovery timeout, so an idle breaker keeps
    /// reporting [`Open`](CircuitState::Open) after its timeout until the next call arrives.
    #[must_use]
    pub fn state(&self) -> CircuitState {
        self.load().state()
    }

    /// The breaker's counts and the rates over its current window.
    #[must_use]
    pub fn metrics(&self) -> CircuitBreakerMetrics {
        let counts = self
            .window
            .as_ref()
            .map(|window| window.counts(clock::now()));
        let judged = counts.filter(|counts| counts.calls > 0 && counts.calls >= self.minimum_calls);
        let rate = |part: fn(&Counts) -> u64| {
            // Precision loss only matters beyond 2^52 calls in a window.
            judged.map(|counts| part(&counts) as f64 * 100.0 / counts.calls as f64)
        };
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        CircuitBreakerMetrics {
            successful: load(&self.counters.successful),
            failed: load(&self.counters.failed),
            slow: load(&self.counters.slow),
            not_permitted: load(&self.counters.not_permitted),
            ignored: load(&self.counters.ignored),
            consecutive_failures: load(&self.consecutive),
            failure_rate: rate(|counts| counts.failed),
            slow_call_rate: self.slow_after.and_then(|_| rate(|counts| counts.slow)),
            calls_in_window: counts.map_or(0, |counts| counts.calls),
            transitions: load(&self.counters.transitions),
        }
    }

    /// The name, state, configuration and metrics, for the registry's snapshot.
    #[must_use]
    pub fn snapshot(&self) -> CircuitBreakerSnapshot {
        CircuitBreakerSnapshot {
            name: self.name,
            state: self.state(),
            config: self.config,
            metrics: self.metrics(),
        }
    }

    /// Closes the breaker and clears its window and call counts (the transition count keeps
    /// running). Permits acquired before the reset no longer affect the breaker.
    pub fn reset(&self) {
        let mut current = self.load();
        loop {
            match self.transition(current, current.next(CircuitState::Closed), Reason::Reset) {
                Ok(()) => break,
                Err(actual) => current = actual,
            }
        }
        self.counters.clear_calls();
        if current.state() == CircuitState::Closed {
            tracing::debug!(name = self.name, "circuit breaker reset");
        }
    }

    /// Opens the breaker until [`reset`](Self::reset), whatever the outcomes; every call is
    /// rejected with [`Error::CircuitOpen`] without a retry hint.
    pub fn force_open(&self) {
        let mut current = self.load();
        while current.state() != CircuitState::ForcedOpen {
            match self.transition(
                current,
                current.next(CircuitState::ForcedOpen),
                Reason::ForcedOpen,
            ) {
                Ok(()) => break,
                Err(actual) => current = actual,
            }
        }
    }

    /// Asks to make one call.
    ///
    /// Closed: always permitted. Open: rejected with `Error::CircuitOpen` whose `retry_after`
    /// is the remaining open time, until the recovery timeout has passed; then this call moves
    /// the breaker to half-open and is its first trial call. Half-open: permitted while trial
    /// permits remain, otherwise rejected without a hint. Forced open: rejected without a hint.
    ///
    /// # Errors
    ///
    /// [`Error::CircuitOpen`] when the breaker does not admit the call.
    pub fn try_acquire(&self) -> Result<CircuitPermit<'_>, Error> {
        let mut current = self.load();
        loop {
            match current.state() {
                CircuitState::Closed => return Ok(self.permit(current.generation(), false)),
                CircuitState::Open => {
                    // A pending word has just opened and not yet published when.
                    let remaining = if current.pending() {
                        self.recovery.max(1)
                    } else {
                        let opened_at = self.opened_at.load(Ordering::Relaxed);
                        let elapsed = clock::now().saturating_sub(opened_at);
                        self.recovery.saturating_sub(elapsed)
                    };
                    if remaining > 0 {
                        return Err(self.reject(current, Some(clock::to_duration(remaining))));
                    }
                    // The caller that wins this swap makes the transition and takes the first
                    // trial permit in the same step.
                    let next = current.next(CircuitState::HalfOpen).with_used(1);
                    let reason = Reason::RecoveryTimeout(self.config.recovery_timeout());
                    match self.transition(current, next, reason) {
                        Ok(()) => return Ok(self.permit(next.generation(), true)),
                        Err(actual) => current = actual,
                    }
                }
                CircuitState::HalfOpen => {
                    let used = current.used();
                    if used >= self.half_open_max {
                        return Err(self.reject(current, None));
                    }
                    match self.word.compare_exchange_weak(
                        current.raw(),
                        current.with_used(used + 1).raw(),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => return Ok(self.permit(current.generation(), true)),
                        Err(actual) => current = Word::from_raw(actual),
                    }
                }
                CircuitState::ForcedOpen => return Err(self.reject(current, None)),
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

    fn load(&self) -> Word {
        Word::from_raw(self.word.load(Ordering::Acquire))
    }

    fn permit(&self, generation: u32, half_open: bool) -> CircuitPermit<'_> {
        CircuitPermit {
            breaker: self,
            generation,
            half_open,
            // Only slow-call tracking needs the start time; the plain closed path reads no clock.
            started: if self.slow_after.is_some() {
                clock::now()
            } else {
                0
            },
            armed: true,
        }
    }

    fn reject(&self, current: Word, retry_after: Option<Duration>) -> Error {
        Counters::bump(&self.counters.not_permitted);
        tracing::debug!(
            name = self.name,
            state = %current.state(),
            retry_after = ?retry_after,
            "circuit breaker rejected a call"
        );
        Error::circuit_open(self.name, retry_after)
    }

    /// Swaps `from` for `to` (a word of the next generation) and does what entering `to`
    /// requires. Fails with the actual word when another thread changed it first.
    fn transition(&self, from: Word, to: Word, reason: Reason) -> Result<(), Word> {
        // An open word starts pending until its open time is published, so no reader can pair
        // it with the previous period's time.
        let opening = to.state() == CircuitState::Open;
        let to = to.with_pending(opening);
        self.word
            .compare_exchange(from.raw(), to.raw(), Ordering::AcqRel, Ordering::Acquire)
            .map_err(Word::from_raw)?;
        match to.state() {
            CircuitState::Open => {
                // `fetch_max`: a delayed publisher of an older period never shortens a newer one.
                self.opened_at.fetch_max(clock::now(), Ordering::Relaxed);
                // Fails only if the breaker already moved on, and then the word is not ours.
                let _ = self.word.compare_exchange(
                    to.raw(),
                    to.with_pending(false).raw(),
                    Ordering::Release,
                    Ordering::Relaxed,
                );
            }
            CircuitState::Closed => {
                // A new closed period judges only its own calls.
                self.consecutive.store(0, Ordering::Relaxed);
                if let Some(window) = &self.window {
                    window.clear();
                }
            }
            CircuitState::HalfOpen | CircuitState::ForcedOpen => {}
        }
        if from.state() != to.state() {
            Counters::bump(&self.counters.transitions);
            tracing::warn!(
                name = self.name,
                from = %from.state(),
                to = %to.state(),
                reason = %reason,
                "circuit breaker changed state"
            );
        }
        Ok(())
    }

    /// Records the outcome of a permit's call.
    fn complete(&self, permit: &CircuitPermit<'_>, outcome: Outcome) {
        let failed = match outcome {
            Outcome::Success => false,
            Outcome::Failure => true,
            Outcome::Ignored => {
                Counters::bump(&self.counters.ignored);
                if permit.half_open {
                    self.release_trial(permit.generation);
                }
                return;
            }
        };
        let needs_clock =
            self.slow_after.is_some() || self.window.as_ref().is_some_and(Window::needs_clock);
        let now = if needs_clock { clock::now() } else { 0 };
        let slow = self
            .slow_after
            .is_some_and(|limit| now.saturating_sub(permit.started) > limit);
        Counters::bump(if failed {
            &self.counters.failed
        } else {
            &self.counters.successful
        });
        if slow {
            Counters::bump(&self.counters.slow);
        }
        if permit.half_open {
            self.record_trial(permit.generation, failed, slow);
        } else {
            self.record_closed(permit.generation, now, failed, slow);
        }
    }

    fn record_closed(&self, generation: u32, now: Nanos, failed: bool, slow: bool) {
        let current = self.load();
        if current != Word::new(CircuitState::Closed, generation) {
            return; // From an earlier period: counted in the totals only.
        }
        let consecutive = if failed {
            self.consecutive.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            // Load first so a run of successes does not keep writing the shared line.
            if self.consecutive.load(Ordering::Relaxed) != 0 {
                self.consecutive.store(0, Ordering::Relaxed);
            }
            0
        };
        if let Some(window) = &self.window {
            let counts = window.record(now, failed, slow);
            if let Some(reason) = self.judge(counts) {
                // Losing the swap means another thread opened (or reset) the breaker already.
                let _ = self.transition(current, current.next(CircuitState::Open), reason);
                return;
            }
        }
        if self.config.failure_rate().is_none()
            && failed
            && consecutive >= u64::from(self.config.failure_threshold())
        {
            let reason = Reason::ConsecutiveFailures(consecutive);
            let _ = self.transition(current, current.next(CircuitState::Open), reason);
        }
    }

    /// The reason to open, if the window's rates cross a threshold.
    fn judge(&self, counts: Counts) -> Option<Reason> {
        if counts.calls == 0 || counts.calls < self.minimum_calls {
            return None;
        }
        let reached = |part: u64, threshold: u8| part * 100 >= u64::from(threshold) * counts.calls;
        if let Some(threshold) = self.config.failure_rate()
            && reached(counts.failed, threshold)
        {
            return Some(Reason::FailureRate {
                failed: counts.failed,
                calls: counts.calls,
                threshold,
            });
        }
        if let Some(threshold) = self.config.slow_call_rate()
            && reached(counts.slow, threshold)
        {
            return Some(Reason::SlowCallRate {
                slow: counts.slow,
                calls: counts.calls,
                threshold,
            });
        }
        None
    }

    /// A trial call finished: a failure or a slow call reopens, enough successes close.
    fn record_trial(&self, generation: u32, failed: bool, slow: bool) {
        let mut current = self.load();
        loop {
            if current.state() != CircuitState::HalfOpen || current.generation() != generation {
                return; // From an earlier period: counted in the totals only.
            }
            let (next, reason) = if failed || slow {
                let reason = if failed {
                    Reason::HalfOpenFailure
                } else {
                    Reason::HalfOpenSlowCall
                };
                (current.next(CircuitState::Open), reason)
            } else {
                let successes = current.successes() + 1;
                if successes < self.success_threshold {
                    match self.word.compare_exchange_weak(
                        current.raw(),
                        current.with_successes(successes).raw(),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => return,
                        Err(actual) => {
                            current = Word::from_raw(actual);
                            continue;
                        }
                    }
                }
                (
                    current.next(CircuitState::Closed),
                    Reason::HalfOpenSuccesses(successes),
                )
            };
            match self.transition(current, next, reason) {
                Ok(()) => return,
                Err(actual) => current = actual,
            }
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
}

impl crate::registry::Named for CircuitBreaker {
    const KIND: &'static str = "circuit_breaker";
    type Config = CircuitBreakerConfig;

    fn create(name: &'static str, config: Self::Config) -> Self {
        Self::new(name, config)
    }

    fn config(&self) -> Self::Config {
        self.config
    }
}

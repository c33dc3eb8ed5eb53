//! The circuit breaker's public face: the [`CircuitBreaker`] and its handle, what it reports
//! (state, metrics, snapshot, recent transitions), subscriptions to its events, and the entry
//! points a call goes through ([`try_acquire`](CircuitBreaker::try_acquire) and
//! [`call`](CircuitBreaker::call)).
//!
//! The state machine behind them lives next door: `acquire` admits calls outside the closed
//! state, `record` and `trial` take outcomes in, `transition` changes state.

use std::fmt;
use std::sync::{Arc, PoisonError};

use crate::base::clock;

#[cfg(not(feature = "redis"))]
use super::backend::Backend;
use super::backend::{BackendStatus, FleetLink};
use super::config::CircuitBreakerConfig;
use super::event::CircuitEvent;
use super::metrics::{self, CircuitBreakerMetrics, CircuitBreakerSnapshot, Counters};
use super::period::FrozenPeriod;
use super::sliding_window::Counts;
use super::state::{CircuitState, Word};
use super::subscription::{EventLog, Subscription};
use super::sync::{AtomicU64, Ordering};
use super::tuning::Tuning;
use super::window_switch::Windows;

/// A shared circuit breaker, as the registry hands it out.
pub type CircuitBreakerHandle = Arc<CircuitBreaker>;

/// A named circuit breaker; see the [module docs](super) for its states.
///
/// Share it as a [`CircuitBreakerHandle`]. Ask for a permit with
/// [`try_acquire`](Self::try_acquire) and record the call's outcome on it, or wrap a future with
/// [`call`](Self::call).
pub struct CircuitBreaker {
    pub(super) name: &'static str,
    /// The configuration in force; its lock also serialises reconfigurations. Calls never
    /// take it: they read `tuning`.
    pub(super) in_force: std::sync::Mutex<CircuitBreakerConfig>,
    /// The configuration in the units the calls use, changeable while they run.
    pub(super) tuning: Tuning,
    /// The length of a timed period that a reconfiguration happened in.
    pub(super) frozen: FrozenPeriod,
    /// The packed [`Word`]: state, generation and half-open bookkeeping.
    pub(super) word: AtomicU64,
    /// When the current open (or, with `max_wait_in_half_open`, half-open) period started;
    /// published before the word's pending bit clears. Only ever grows.
    pub(super) entered_at: AtomicU64,
    /// Failed and slow trial calls of a rate-judged half-open period, tagged with its
    /// generation: `generation << 32 | failed << 16 | slow`.
    pub(super) trials: AtomicU64,
    pub(super) consecutive: std::sync::atomic::AtomicU64,
    pub(super) windows: Windows,
    pub(super) counters: Counters,
    pub(super) events: Arc<EventLog>,
    /// A fleet breaker's link to the shared state; `None` for a local one.
    #[cfg(feature = "redis")]
    pub(super) fleet: Option<Box<super::fleet::Link>>,
    /// The breaker's own handle, for a fleet breaker's sync task; set when it is made
    /// [`shared`](Self::shared).
    #[cfg(feature = "redis")]
    pub(super) me: std::sync::OnceLock<std::sync::Weak<CircuitBreaker>>,
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
            tuning: Tuning::new(&config),
            frozen: FrozenPeriod::new(),
            word: AtomicU64::new(Word::new(CircuitState::Closed, 0).raw()),
            entered_at: AtomicU64::new(0),
            trials: AtomicU64::new(0),
            consecutive: std::sync::atomic::AtomicU64::new(0),
            windows: Windows::new(&config),
            counters: Counters::default(),
            events: EventLog::new(0),
            #[cfg(feature = "redis")]
            fleet: super::fleet::Link::of(name, &config),
            #[cfg(feature = "redis")]
            me: std::sync::OnceLock::new(),
        }
    }

    /// A shared breaker named `name`: the same as `Arc::new(CircuitBreaker::new(..))`, and
    /// for a fleet breaker ([`Backend::Redis`](super::Backend::Redis)) what lets it sync with
    /// the fleet on its own, in a task its first call inside a tokio runtime starts. The
    /// registry makes its breakers this way.
    ///
    /// ```
    /// use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig};
    ///
    /// let breaker = CircuitBreaker::shared("doc-shared", CircuitBreakerConfig::new());
    /// assert!(breaker.try_acquire().is_ok());
    /// ```
    #[must_use]
    pub fn shared(name: &'static str, config: CircuitBreakerConfig) -> CircuitBreakerHandle {
        Arc::new_cyclic(|_me| {
            let breaker = Self::new(name, config);
            #[cfg(feature = "redis")]
            if breaker.fleet.is_some() {
                let _ = breaker.me.set(_me.clone());
            }
            breaker
        })
    }

    /// One exchange with the fleet, now: this process's outcomes since the last one and its
    /// latest manual transition go to the shared state, and the shared state comes back and
    /// is applied here (see the [fleet section](super#a-breaker-for-the-fleet)). The sync
    /// task does this every `sync_interval`; call it to make sure the fleet has everything
    /// (before a shutdown), or to sync a breaker made with [`new`](Self::new) rather than
    /// [`shared`](Self::shared). Waits at most `backend_timeout`; returns the link as it then
    /// is: a local breaker's, or any breaker's without the `redis` feature, is
    /// [`LocalOnly`](FleetLink::LocalOnly).
    pub async fn sync_fleet(&self) -> FleetLink {
        #[cfg(feature = "redis")]
        {
            if let Some(link) = &self.fleet
                && !link.running()
            {
                self.wake_fleet_sync(link);
            }
            self.exchange_with_fleet().await
        }
        #[cfg(not(feature = "redis"))]
        {
            FleetLink::LocalOnly
        }
    }

    /// Whether the fleet decides this breaker's state right now: a fleet breaker whose last
    /// exchange succeeded. Its own rules then never open it, nor move it to half-open.
    #[inline]
    pub(super) fn fleet_decides(&self) -> bool {
        #[cfg(feature = "redis")]
        {
            self.fleet.as_ref().is_some_and(|link| link.joined())
        }
        #[cfg(not(feature = "redis"))]
        {
            false
        }
    }

    /// Hands a manual transition made here to the fleet, for a fleet breaker.
    #[cfg(feature = "redis")]
    pub(super) fn tell_fleet(&self, action: super::fleet::ManualAction) {
        if let Some(link) = &self.fleet {
            link.note(action);
            self.wake_fleet_sync(link);
        }
    }

    /// The backend's status for the snapshot; `None` for a local breaker.
    fn backend_status(&self, config: &CircuitBreakerConfig) -> Option<BackendStatus> {
        #[cfg(feature = "redis")]
        {
            self.fleet.as_ref().map(|link| link.status(config))
        }
        #[cfg(not(feature = "redis"))]
        {
            (config.backend() == Backend::Redis).then(|| BackendStatus {
                backend: Backend::Redis,
                link: FleetLink::LocalOnly,
                available: false,
                sync_interval: config.sync_interval(),
                syncs: 0,
                round_trips: 0,
                errors: 0,
                incidents: 0,
                fleet_generation: None,
                holds_trial: false,
                last_error: Some(String::from(
                    "resilience-runtime was built without its `redis` feature",
                )),
            })
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
        let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
        let word = self.load();
        let slow_tracked = self.tuning.slow_after().is_some();
        let (failure_rate, slow_call_rate, calls_in_window, trial_permits_left) = if word.state()
            == CircuitState::HalfOpen
        {
            // Half-open judges its trial calls only, so they are what it shows.
            let trials = self.trial_counts(word);
            let failure_rate = trials.rates.map(|(failed, _)| failed);
            let slow_call_rate = trials.rates.filter(|_| slow_tracked).map(|(_, slow)| slow);
            (
                failure_rate,
                slow_call_rate,
                trials.calls,
                Some(trials.permits_left),
            )
        } else {
            let counts = self.windows.counts(clock::now());
            let minimum_calls = self.tuning.minimum_calls();
            let judged = counts.filter(|counts| counts.calls > 0 && counts.calls >= minimum_calls);
            let rate = |part: fn(&Counts) -> u64| {
                // Precision loss only matters beyond 2^52 calls in a window.
                judged.map(|counts| part(&counts) as f64 * 100.0 / counts.calls as f64)
            };
            let slow_call_rate = rate(|counts| counts.slow).filter(|_| slow_tracked);
            let calls = counts.map_or(0, |counts| counts.calls);
            (rate(|counts| counts.failed), slow_call_rate, calls, None)
        };
        CircuitBreakerMetrics {
            successful: self.counters.successful(),
            failed: load(&self.counters.failed),
            slow: load(&self.counters.slow),
            not_permitted: self.counters.not_permitted(),
            ignored: load(&self.counters.ignored),
            consecutive_failures: load(&self.consecutive),
            failure_rate,
            slow_call_rate,
            calls_in_window,
            trial_permits_left,
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
        let config = self.config();
        CircuitBreakerSnapshot {
            name: self.name,
            state: self.state(),
            config,
            metrics: self.metrics(),
            recent_transitions: self.recent_transitions(),
            backend: config.backend(),
            backend_status: self.backend_status(&config),
        }
    }

    /// The last [`RECENT_TRANSITIONS`](super::RECENT_TRANSITIONS) state changes, oldest first.
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

    /// Live subscriptions, for tests.
    #[cfg(all(test, not(loom)))]
    pub(super) fn subscribers(&self) -> usize {
        self.events.subscribers()
    }
}

impl crate::base::named::Named for CircuitBreaker {
    const KIND: &'static str = "circuit_breaker";
    type Config = CircuitBreakerConfig;

    fn create(name: &'static str, config: Self::Config) -> Self {
        Self::new(name, config)
    }

    fn shared(name: &'static str, config: Self::Config) -> Arc<Self> {
        Self::shared(name, config)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::super::test_support::*;
    use super::*;

    #[test]
    fn handles_permits_and_calls_are_send() {
        fn assert_send_sync<T: Send + Sync>(_: &T) {}
        fn assert_send<T: Send>(_: &T) {}
        let breaker: CircuitBreakerHandle =
            std::sync::Arc::new(CircuitBreaker::new("send", CircuitBreakerConfig::new()));
        assert_send_sync(&breaker);
        let permit = breaker.try_acquire().expect("closed");
        assert_send(&permit);
        drop(permit);
        let call = breaker.call(async { Ok::<(), Error>(()) });
        assert_send(&call);
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_call_gives_trial_permit_back() {
        start().await;
        let breaker = tripped(
            CircuitBreakerConfig::new()
                .with_recovery_timeout(SEC)
                .with_success_threshold(1),
        );
        advance(SEC).await;
        let outcome = tokio::time::timeout(
            SEC,
            breaker.call(std::future::pending::<Result<(), Error>>()),
        )
        .await;
        assert!(outcome.is_err(), "the call never finishes");
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        let result: Result<u8, Error> = breaker.call(async { Ok(7) }).await;
        assert_eq!(result, Ok(7));
        assert_eq!(breaker.state(), CircuitState::Closed);
        let metrics = breaker.metrics();
        assert_eq!((metrics.ignored, metrics.successful), (1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn call_records_outcomes_and_converts_rejections() {
        #[derive(Debug, PartialEq)]
        enum AppError {
            Breaker(Error),
            Service,
        }
        impl From<Error> for AppError {
            fn from(err: Error) -> Self {
                Self::Breaker(err)
            }
        }

        start().await;
        let breaker = breaker(
            CircuitBreakerConfig::new()
                .with_failure_threshold(1)
                .with_recovery_timeout(SEC),
        );
        assert_eq!(breaker.call(async { Ok::<_, AppError>(1) }).await, Ok(1));
        assert_eq!(
            breaker
                .call(async { Err::<(), _>(AppError::Service) })
                .await,
            Err(AppError::Service)
        );
        let polled = AtomicBool::new(false);
        let rejected = breaker
            .call(async {
                polled.store(true, Ordering::Relaxed);
                Ok::<(), AppError>(())
            })
            .await;
        assert_eq!(
            rejected,
            Err(AppError::Breaker(Error::circuit_open("test", Some(SEC))))
        );
        assert!(
            !polled.load(Ordering::Relaxed),
            "a rejected future is never polled"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn snapshot_serializes() {
        start().await;
        let breaker = breaker(
            CircuitBreakerConfig::new()
                .with_failure_rate(50)
                .with_window_calls(10),
        );
        fail(&breaker);
        let snapshot = breaker.snapshot();
        assert_eq!(snapshot.name, "test");
        assert_eq!(snapshot.state, CircuitState::Closed);
        assert_eq!(snapshot.config, breaker.config());
        let json = serde_json::to_value(&snapshot).expect("serializes");
        assert_eq!(json["state"], "closed");
        assert_eq!(json["config"]["failure_rate"], 50);
        assert_eq!(json["config"]["window"]["calls"], 10);
        assert_eq!(json["metrics"]["failed"], 1);
        assert_eq!(json["metrics"]["calls_in_window"], 1);
        assert!(json["metrics"]["failure_rate"].is_null());
    }

    #[test]
    fn named_trait_builds_from_config() {
        use crate::base::named::Named;
        let config = CircuitBreakerConfig::new().with_failure_threshold(9);
        let breaker = <CircuitBreaker as Named>::create("named", config);
        assert_eq!(<CircuitBreaker as Named>::KIND, "circuit_breaker");
        assert_eq!(breaker.config(), config);
        assert_eq!(breaker.name(), "named");
    }
}

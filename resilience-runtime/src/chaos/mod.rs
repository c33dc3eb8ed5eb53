//! Chaos: injected errors, latency and outages, to test how your service and its resilience
//! layers behave when a dependency misbehaves.
//!
//! `#[chaos(..)]` (see [`macro@crate::chaos`]) goes *innermost*, below `#[retry]` and
//! `#[circuit_breaker]`, so those layers see the injected faults as the dependency's own:
//!
//! ```
//! use resilience_runtime::{chaos, registry, retry};
//!
//! #[derive(Debug, thiserror::Error)]
//! enum ApiError {
//!     #[error("service unavailable")]
//!     Unavailable,
//!     #[error(transparent)]
//!     Resilience(#[from] resilience_runtime::Error),
//! }
//!
//! fn unavailable() -> ApiError {
//!     ApiError::Unavailable
//! }
//!
//! #[retry(max_attempts = 5, initial_delay = "10ms")]
//! #[chaos(name = "doc-chaos-api", error_rate = 0.2, error = unavailable,
//!         latency = "200ms", latency_rate = 0.1, seed = 7)]
//! async fn fetch(id: u32) -> Result<u32, ApiError> {
//!     Ok(id)
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! chaos::set_enabled(true); // or the `chaos` feature, or RESILIENCE_CHAOS=1
//! for id in 0..100 {
//!     assert_eq!(fetch(id).await.unwrap(), id); // the retry absorbs the injected errors
//! }
//! let injected = registry().chaos("doc-chaos-api").unwrap().metrics();
//! assert!(injected.errors_injected > 0 && injected.latencies_injected > 0);
//! # }
//! ```
//!
//! # Armed only on purpose
//!
//! A chaos layer does nothing (one relaxed atomic load per call: no clock, no generator,
//! no counter) unless chaos is *armed* in the process:
//!
//! - by the `chaos` cargo feature of this crate: enable it only where tests are built,
//!   `resilience-runtime = { version = "..", features = ["chaos"] }` under
//!   `[dev-dependencies]` (with Cargo's resolver 2 or later, the default since edition
//!   2021, a dev-dependency's features reach test, example and bench builds only);
//! - or by `RESILIENCE_CHAOS=1` (also `true`, `yes`, `on`) in the environment.
//!   `RESILIENCE_CHAOS=0` (`false`, `no`, `off`) disarms it even with the feature;
//! - [`set_enabled`] from code overrides both.
//!
//! The feature and the variable are read once, at the first call of any chaos layer. Arming
//! is logged once at `warn` level, so nobody runs chaos unknowingly. The kill switch
//! ([`config::set_disabled`](crate::config::set_disabled), `RESILIENCE_DISABLED=1`) turns
//! chaos layers into pass-throughs too.
//!
//! # Faults
//!
//! Each armed call, in this order:
//!
//! 1. **Outage** (`outage` every `period`): a call in the first `outage` of each `period`,
//!    counted on tokio's clock from the instance's creation (its site's first call), fails
//!    with the injected error at once, without running the body.
//! 2. **Latency** (`latency`, for a fraction `latency_rate` of calls, default all): the call
//!    sleeps on tokio's clock before the body runs, so paused-clock tests see it instantly.
//!    Dropping the call while it sleeps cancels it cleanly.
//! 3. **Error** (`error_rate`): the call fails with the injected error instead of running
//!    the body (after its injected latency, if it drew one: a slow failure).
//!
//! The injected error is built by the user's `fn() -> E` (`error = path`), so outer layers
//! see the service's own error type: a retry's `when` and a breaker's `record_if` apply to
//! it as to a real failure.
//!
//! # Reproducible runs
//!
//! Every decision comes from a per-instance SplitMix64 generator: one lock-free draw per
//! armed call, whose 64 bits decide both the error (high half) and the latency (low half).
//! The generator starts from the instance's seed XOR a hash (FNV-1a) of its name, where the
//! seed is `RESILIENCE_CHAOS_SEED` if set, else the attribute's `seed`, else 0. So without
//! any seed the injections are still the same on every run, and two instances with the same
//! seed still inject independently. Same seed, same name and same call order give the same
//! injections (outages also depend on the time, which a paused tokio clock fixes);
//! [`Chaos::reset`] rewinds the generator to replay a run.
//!
//! # Inspection
//!
//! Every instance is in the [`registry`](crate::registry()) under its name:
//! [`Registry::chaos`](crate::Registry::chaos) returns it, and
//! [`snapshot()`](crate::Registry::snapshot) lists each with its configuration, seed and
//! counts ([`ChaosMetrics`]). Each injection is a `tracing` event at `debug` level with the
//! instance's `name`.
//!
//! Chaos instances are configured by the attribute (or
//! [`Registry::register_chaos`](crate::Registry::register_chaos)) only: configuration
//! files and `RESILIENCE_<KIND>_<NAME>_<KEY>` variables do not address them.

mod arming;
mod config;
mod generator;
mod metrics;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::base::clock::{self, Nanos};
use crate::base::kill_switch;
use crate::base::named::Named;

pub(crate) use arming::reread_env;
pub use arming::{ENABLE_VARIABLE, SEED_VARIABLE, is_enabled, set_enabled};
pub use config::ChaosConfig;
pub use metrics::{ChaosMetrics, ChaosSnapshot};

use generator::Generator;
use metrics::Counters;

/// A shared handle to a named [`Chaos`] instance.
pub type ChaosHandle = Arc<Chaos>;

/// A named source of injected faults, with its generator and counters.
///
/// ```
/// use resilience_runtime::chaos::{self, Chaos, ChaosConfig, Fault};
///
/// chaos::set_enabled(true);
/// let chaos = Chaos::new("doc-always-fails", ChaosConfig::new().with_error_rate(1.0));
/// assert_eq!(chaos.inject().fault(), Some(Fault::Error));
/// let result: Result<u32, &str> = chaos.call_blocking(|| "injected", || Ok(1));
/// assert_eq!(result, Err("injected"));
/// assert_eq!(chaos.metrics().errors_injected, 2);
/// ```
pub struct Chaos {
    name: &'static str,
    config: ChaosConfig,
    generator: Generator,
    /// Draws below these (on 32 bits) inject.
    error_threshold: u64,
    latency_threshold: u64,
    latency: Duration,
    outage: Nanos,
    period: Nanos,
    /// Where outage periods are counted from.
    started: AtomicU64,
    counters: Counters,
}

impl Chaos {
    /// A chaos instance with zeroed counters, its outage periods counted from now.
    ///
    /// Its seed is `RESILIENCE_CHAOS_SEED`, else `config`'s seed, else 0, mixed with a hash of
    /// `name` (see the [module docs](self#reproducible-runs)).
    #[must_use]
    pub fn new(name: &'static str, config: ChaosConfig) -> Self {
        let seed =
            arming::seed_override().or(config.seed()).unwrap_or(0) ^ generator::name_hash(name);
        let (outage, period) = config.outage().map_or((0, 0), |(outage, period)| {
            (clock::to_nanos(outage), clock::to_nanos(period))
        });
        let latency = if config.injects_latency() {
            config.latency()
        } else {
            Duration::ZERO
        };
        Self {
            name,
            config,
            generator: Generator::new(seed),
            error_threshold: generator::threshold(config.error_rate()),
            latency_threshold: generator::threshold(config.latency_rate()),
            latency,
            outage,
            period,
            started: AtomicU64::new(clock::now()),
            counters: Counters::default(),
        }
    }

    /// The registry name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The faults it injects.
    #[must_use]
    pub const fn config(&self) -> ChaosConfig {
        self.config
    }

    /// The seed its generator runs with (after `RESILIENCE_CHAOS_SEED` and the name).
    #[must_use]
    pub const fn seed(&self) -> u64 {
        self.generator.seed()
    }

    /// What it injected so far.
    #[must_use]
    pub fn metrics(&self) -> ChaosMetrics {
        self.counters.read()
    }

    /// Name, configuration, seed, whether chaos is armed, and the counts.
    #[must_use]
    pub fn snapshot(&self) -> ChaosSnapshot {
        ChaosSnapshot {
            name: self.name,
            config: self.config,
            seed: self.seed(),
            armed: arming::armed(),
            metrics: self.metrics(),
        }
    }

    /// Starts over: the generator rewinds to its first draw, the counters are zeroed and
    /// outage periods are counted from now. The same calls then get the same injections.
    pub fn reset(&self) {
        self.generator.rewind();
        self.counters.clear();
        self.started.store(clock::now(), Relaxed);
        tracing::info!(name = self.name, "chaos reset");
    }

    /// Decides the faults of one call and counts them. Disarmed (or under the kill switch),
    /// this is [`Injection::NONE`] at the cost of one relaxed atomic load (two with the
    /// switch): no clock read, no draw, nothing counted.
    #[inline]
    pub fn inject(&self) -> Injection {
        if !arming::armed() {
            return Injection::NONE;
        }
        self.inject_armed()
    }

    #[inline(never)]
    fn inject_armed(&self) -> Injection {
        if kill_switch::engaged() {
            return Injection::NONE;
        }
        self.counters.calls.fetch_add(1, Relaxed);
        // One draw per call whatever happens, so that call n's draw depends only on n.
        let draw = if self.error_threshold > 0 || !self.latency.is_zero() {
            self.generator.next()
        } else {
            0
        };
        if self.period > 0 {
            let elapsed = clock::now().saturating_sub(self.started.load(Relaxed));
            if elapsed % self.period < self.outage {
                self.counters.outage_calls.fetch_add(1, Relaxed);
                tracing::debug!(name = self.name, "chaos: outage, failing the call");
                return Injection {
                    latency: Duration::ZERO,
                    fault: Some(Fault::Outage),
                };
            }
        }
        let mut injection = Injection::NONE;
        if !self.latency.is_zero() && (draw & 0xFFFF_FFFF) < self.latency_threshold {
            self.counters.latencies.fetch_add(1, Relaxed);
            self.counters
                .latency_nanos
                .fetch_add(clock::to_nanos(self.latency), Relaxed);
            tracing::debug!(name = self.name, latency = ?self.latency, "chaos: injecting latency");
            injection.latency = self.latency;
        }
        if (draw >> 32) < self.error_threshold {
            self.counters.errors.fetch_add(1, Relaxed);
            tracing::debug!(name = self.name, "chaos: injecting an error");
            injection.fault = Some(Fault::Error);
        }
        injection
    }

    /// Runs `body` through this instance: after the injected latency, if any, fails with
    /// `error()` when a fault is injected, else awaits `body`.
    ///
    /// # Errors
    ///
    /// `error()` for an injected fault, else `body`'s error.
    pub async fn call<T, E, F>(&self, error: impl FnOnce() -> E, body: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        let injection = self.inject();
        clock::sleep(injection.latency()).await;
        if injection.fails() {
            return Err(error());
        }
        body.await
    }

    /// [`call`](Self::call) for blocking code: the latency blocks the thread.
    ///
    /// # Errors
    ///
    /// `error()` for an injected fault, else `body`'s error.
    pub fn call_blocking<T, E>(
        &self,
        error: impl FnOnce() -> E,
        body: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let injection = self.inject();
        clock::sleep_blocking(injection.latency());
        if injection.fails() {
            return Err(error());
        }
        body()
    }
}

impl fmt::Debug for Chaos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chaos")
            .field("name", &self.name)
            .field("config", &self.config)
            .field("seed", &self.seed())
            .field("metrics", &self.metrics())
            .finish()
    }
}

impl Named for Chaos {
    const KIND: &'static str = "chaos";
    type Config = ChaosConfig;

    fn create(name: &'static str, config: ChaosConfig) -> Self {
        Self::new(name, config)
    }
}

/// The faults decided for one call by [`Chaos::inject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Injection {
    latency: Duration,
    fault: Option<Fault>,
}

impl Injection {
    /// Nothing injected.
    pub const NONE: Self = Self {
        latency: Duration::ZERO,
        fault: None,
    };

    /// The delay before the call runs (zero: none).
    #[must_use]
    #[inline]
    pub const fn latency(&self) -> Duration {
        self.latency
    }

    /// Whether the call is delayed.
    #[must_use]
    #[inline]
    pub const fn delays(&self) -> bool {
        !self.latency.is_zero()
    }

    /// The fault that fails the call, if any.
    #[must_use]
    #[inline]
    pub const fn fault(&self) -> Option<Fault> {
        self.fault
    }

    /// Whether the call fails with the injected error instead of running.
    #[must_use]
    #[inline]
    pub const fn fails(&self) -> bool {
        self.fault.is_some()
    }
}

/// Why an injected call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fault {
    /// Drawn at `error_rate`.
    Error,
    /// The call fell in an outage.
    Outage,
}

#[cfg(test)]
mod tests;

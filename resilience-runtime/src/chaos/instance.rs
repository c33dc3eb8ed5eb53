//! [`Chaos`]: a named source of injected faults, its construction, what it reports, and its
//! reset.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use super::ChaosConfig;
use super::arming;
use super::generator::{self, Generator};
use super::metrics::{ChaosMetrics, ChaosSnapshot, Counters};
use crate::base::clock::{self, Nanos};
use crate::base::named::Named;

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
    pub(super) name: &'static str,
    pub(super) config: ChaosConfig,
    pub(super) generator: Generator,
    /// Draws below these (on 32 bits) inject.
    pub(super) error_threshold: u64,
    pub(super) latency_threshold: u64,
    pub(super) latency: Duration,
    pub(super) outage: Nanos,
    pub(super) period: Nanos,
    /// Where outage periods are counted from.
    pub(super) started: AtomicU64,
    pub(super) counters: Counters,
}

impl Chaos {
    /// A chaos instance with zeroed counters, its outage periods counted from now.
    ///
    /// Its seed is `RESILIENCE_CHAOS_SEED`, else `config`'s seed, else 0, mixed with a hash of
    /// `name` (see the [module docs](super#reproducible-runs)).
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
        tracing::info!(target: "resilience_runtime::chaos", name = self.name, "chaos reset");
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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn a_snapshot_shows_the_config_seed_and_counts() {
        let config = ChaosConfig::new().with_error_rate(1.0).with_seed(3);
        let chaos = armed("unit-snapshot", config);
        let _ = chaos.inject();
        let snapshot = chaos.snapshot();
        assert_eq!(snapshot.name, "unit-snapshot");
        assert_eq!(snapshot.config, config);
        assert_eq!(snapshot.seed, chaos.seed());
        assert!(snapshot.armed);
        assert_eq!(snapshot.metrics.errors_injected, 1);
        let json = serde_json::to_value(&snapshot).unwrap();
        assert_eq!(json["metrics"]["errors_injected"], 1);
        assert_eq!(json["config"]["error_rate"], 1.0);
        assert!(format!("{chaos:?}").contains("unit-snapshot"));
    }
}

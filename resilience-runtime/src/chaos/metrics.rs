//! What a [`Chaos`](super::Chaos) instance injected: relaxed counters and their snapshot.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde::Serialize;

use super::ChaosConfig;
use crate::base::clock;

/// Counts of a [`Chaos`](super::Chaos) instance since its creation (or last
/// [`reset`](super::Chaos::reset)). Calls made while chaos is disarmed are not seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct ChaosMetrics {
    /// Calls through the layer while armed.
    pub calls: u64,
    /// Calls failed with the injected error by `error_rate` (the body did not run).
    pub errors_injected: u64,
    /// Calls failed with the injected error because they fell in an outage.
    pub outage_calls: u64,
    /// Calls delayed by `latency`.
    pub latencies_injected: u64,
    /// The sum of the injected delays.
    pub injected_latency: Duration,
}

/// A point-in-time view of a [`Chaos`](super::Chaos) instance, for status pages and test
/// reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ChaosSnapshot {
    /// The registry name.
    pub name: &'static str,
    /// The faults it injects.
    pub config: ChaosConfig,
    /// The seed its generator runs with (after `RESILIENCE_CHAOS_SEED` and the name).
    pub seed: u64,
    /// Whether chaos is armed in this process right now.
    pub armed: bool,
    /// The counts.
    pub metrics: ChaosMetrics,
}

/// The live counters.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) calls: AtomicU64,
    pub(super) errors: AtomicU64,
    pub(super) outage_calls: AtomicU64,
    pub(super) latencies: AtomicU64,
    pub(super) latency_nanos: AtomicU64,
}

impl Counters {
    pub(super) fn read(&self) -> ChaosMetrics {
        ChaosMetrics {
            calls: self.calls.load(Relaxed),
            errors_injected: self.errors.load(Relaxed),
            outage_calls: self.outage_calls.load(Relaxed),
            latencies_injected: self.latencies.load(Relaxed),
            injected_latency: clock::to_duration(self.latency_nanos.load(Relaxed)),
        }
    }

    pub(super) fn clear(&self) {
        for counter in [
            &self.calls,
            &self.errors,
            &self.outage_calls,
            &self.latencies,
            &self.latency_nanos,
        ] {
            counter.store(0, Relaxed);
        }
    }
}

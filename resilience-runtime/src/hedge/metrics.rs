//! What a [`Hedge`](super::Hedge) counts and shows: [`HedgeMetrics`], [`HedgeSnapshot`].

use std::time::Duration;

use serde::Serialize;

use super::config::HedgeConfig;

/// Counters of a [`Hedge`](super::Hedge) since it was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct HedgeMetrics {
    /// Calls started.
    pub calls: u64,
    /// Extra attempts started (each is one more request to the service behind).
    pub hedges_started: u64,
    /// Calls whose `Ok` came from an extra attempt rather than the first.
    pub hedges_won: u64,
}

/// The latencies a [`Hedge`](super::Hedge) has seen lately (its successful calls, from the
/// call's start to its `Ok`; a call answered without waiting counts as zero), as the
/// percentiles a `delay` may name; `None` until enough calls were seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct HedgeLatencies {
    /// The latencies the histogram holds now.
    pub samples: u64,
    /// The 90th percentile.
    pub p90: Option<Duration>,
    /// The 95th percentile.
    pub p95: Option<Duration>,
    /// The 99th percentile.
    pub p99: Option<Duration>,
}

/// A point-in-time view of a [`Hedge`](super::Hedge), for status pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HedgeSnapshot {
    /// The registry name.
    pub name: &'static str,
    /// The configuration in force.
    pub config: HedgeConfig,
    /// The delay a call starting now waits before its first hedge (`None`: it does not
    /// hedge, a percentile not being known yet).
    pub delay_in_force: Option<Duration>,
    /// The counters.
    pub metrics: HedgeMetrics,
    /// The latencies seen lately.
    pub latencies: HedgeLatencies,
}

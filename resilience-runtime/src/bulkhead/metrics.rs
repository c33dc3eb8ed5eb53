//! What a bulkhead reports: its counters and gauges, and the snapshot for status pages.

use serde::Serialize;

use super::config::BulkheadConfig;
use super::handle::{Bulkhead, PERMITTED, REJECTED};
use super::sync::RELAXED;

/// Counters and gauges of a [`Bulkhead`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct BulkheadMetrics {
    /// Permits handed out since creation.
    pub permitted: u64,
    /// Calls rejected because the bulkhead stayed full (calls cancelled while waiting count
    /// as neither permitted nor rejected).
    pub rejected: u64,
    /// Permits held right now.
    pub in_flight: usize,
    /// The most permits ever held at once.
    pub peak_in_flight: usize,
    /// Callers waiting for a slot right now.
    pub waiting: usize,
    /// The limit in force: `max_concurrent`, or where an adaptive bulkhead's algorithm has
    /// moved it ([`Bulkhead::limit`]).
    pub limit: usize,
}

/// A point-in-time view of a [`Bulkhead`], for status pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BulkheadSnapshot {
    /// The registry name.
    pub name: &'static str,
    /// The configuration.
    pub config: BulkheadConfig,
    /// The counters.
    pub metrics: BulkheadMetrics,
}

impl Bulkhead {
    /// Counters and gauges (each read individually).
    #[must_use]
    pub fn metrics(&self) -> BulkheadMetrics {
        BulkheadMetrics {
            permitted: self.counted.sum(PERMITTED),
            rejected: self.counted.sum(REJECTED),
            in_flight: self.in_flight.load(RELAXED),
            peak_in_flight: self.peak.load(RELAXED),
            waiting: self.async_waiters.load(RELAXED) + self.blocking_waiters.load(RELAXED),
            limit: self.limit(),
        }
    }

    /// Name, configuration and counters.
    #[must_use]
    pub fn snapshot(&self) -> BulkheadSnapshot {
        BulkheadSnapshot {
            name: self.name,
            config: self.config(),
            metrics: self.metrics(),
        }
    }
}

//! What the registry shows: a serializable snapshot with a terminal table.

use std::fmt;

use serde::Serialize;

use crate::bulkhead::BulkheadSnapshot;
use crate::circuit_breaker::CircuitBreakerSnapshot;
use crate::rate_limit::RateLimiterSnapshot;
use crate::retry::RetrySnapshot;

/// Every named instance with its configuration, state and counters, from
/// [`Registry::snapshot`](super::Registry::snapshot).
///
/// Serializes with `serde` (e.g. to JSON for a status endpoint); `Display` prints tables.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct RegistrySnapshot {
    /// Circuit breakers, by name.
    pub circuit_breakers: Vec<CircuitBreakerSnapshot>,
    /// Rate limiters, by name.
    pub rate_limiters: Vec<RateLimiterSnapshot>,
    /// Bulkheads, by name.
    pub bulkheads: Vec<BulkheadSnapshot>,
    /// Named retry policies, by name.
    pub retries: Vec<RetrySnapshot>,
    /// Names declared twice with different configurations.
    pub conflicts: Vec<Conflict>,
}

/// Two declarations of one name with different configurations. The first is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Conflict {
    /// `"circuit_breaker"`, `"rate_limiter"`, `"bulkhead"` or `"retry"`.
    pub kind: &'static str,
    /// The contested name.
    pub name: String,
    /// The configuration in force.
    pub kept: String,
    /// Where the kept configuration was declared.
    pub kept_at: &'static str,
    /// The configuration that was not applied.
    pub ignored: String,
    /// Where the ignored configuration was declared.
    pub ignored_at: &'static str,
}

impl fmt::Display for RegistrySnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{self:#?}")
    }
}

//! The result of a dry run: what one source of configuration would configure.

use std::collections::BTreeMap;

use super::report::ConfigIssue;
use crate::base::clock::ClockSource;
use crate::bulkhead::BulkheadConfig;
use crate::circuit_breaker::CircuitBreakerConfig;
use crate::hedge::HedgeConfig;
use crate::quota::QuotaConfig;
use crate::rate_limit::RateLimitConfig;
use crate::retry::RetryConfig;

/// What one source of configuration says, read and checked as [`load`](crate::config::load),
/// [`apply`](crate::config::apply) or the environment at startup would, but applied to nothing.
///
/// Each named instance has the configuration an instance of that name created now, with no
/// declaration (the built-in defaults), would run with: the defaults, then the source's keys.
/// Instances are keyed by their exact name (TOML) or their normalised name (environment:
/// `INVENTORY_DB`).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct DryRun {
    /// Circuit breakers, by name.
    pub circuit_breakers: BTreeMap<String, CircuitBreakerConfig>,
    /// Rate limiters, by name.
    pub rate_limiters: BTreeMap<String, RateLimitConfig>,
    /// Bulkheads, by name.
    pub bulkheads: BTreeMap<String, BulkheadConfig>,
    /// Retry policies, by name.
    pub retries: BTreeMap<String, RetryConfig>,
    /// Hedges, by name.
    pub hedges: BTreeMap<String, HedgeConfig>,
    /// Quotas, by name.
    pub quotas: BTreeMap<String, QuotaConfig>,
    /// The kill switch, when the source sets it.
    pub disabled: Option<bool>,
    /// The clock source, when the source sets it.
    pub clock: Option<ClockSource>,
    /// Problems that would hold nothing back (with the environment: each name is unknown,
    /// since no instance exists here).
    pub warnings: Vec<ConfigIssue>,
}

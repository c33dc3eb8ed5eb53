//! [`ConfigOverrides`]: configuration from code, with the same keys, values and checks as a
//! file.

use super::batch::{Batch, Incoming};
use super::value::{ConfigValue, Raw};
use crate::base::clock::ClockSource;

/// Keys to set on named instances, the kill switch and the clock source, applied with
/// [`apply`](crate::config::apply).
///
/// Keys and values are those of the attributes and of the configuration file, checked the
/// same way, all before anything applies. Durations may be given as a [`Duration`] or as a
/// string in the attribute grammar.
///
/// [`Duration`]: std::time::Duration
///
/// ```
/// use resilience_runtime::config::{self, ConfigOverrides};
/// use resilience_runtime::registry;
/// use resilience_runtime::bulkhead::BulkheadConfig;
/// use std::time::Duration;
///
/// registry().register_bulkhead("doc-overrides-pool", BulkheadConfig::new(4));
/// let report = config::apply(
///     ConfigOverrides::new()
///         .bulkhead("doc-overrides-pool", "max_concurrent", 8)
///         .bulkhead("doc-overrides-pool", "max_wait", Duration::from_millis(50)),
/// )
/// .unwrap();
/// assert_eq!(report.reconfigured.len(), 1);
/// assert_eq!(registry().bulkhead("doc-overrides-pool").unwrap().max_concurrent(), 8);
///
/// // One bad value rejects the whole set: nothing applies.
/// let error = config::apply(
///     ConfigOverrides::new()
///         .bulkhead("doc-overrides-pool", "max_concurrent", 2)
///         .bulkhead("doc-overrides-pool", "max_wait", "50 ms"),
/// )
/// .unwrap_err();
/// assert!(error.to_string().contains("bulkhead.\"doc-overrides-pool\".max_wait"));
/// assert_eq!(registry().bulkhead("doc-overrides-pool").unwrap().max_concurrent(), 8);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct ConfigOverrides {
    entries: Vec<(&'static str, String, String, ConfigValue)>,
    disabled: Option<bool>,
    clock: Option<ClockSource>,
}

impl ConfigOverrides {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    fn with(
        mut self,
        kind: &'static str,
        name: impl Into<String>,
        key: &str,
        value: impl Into<ConfigValue>,
    ) -> Self {
        self.entries
            .push((kind, name.into(), key.to_owned(), value.into()));
        self
    }

    /// Sets `key` of the circuit breaker named `name`.
    pub fn circuit_breaker(
        self,
        name: impl Into<String>,
        key: &str,
        value: impl Into<ConfigValue>,
    ) -> Self {
        self.with("circuit_breaker", name, key, value)
    }

    /// Sets `key` of the rate limiter named `name`.
    pub fn rate_limiter(
        self,
        name: impl Into<String>,
        key: &str,
        value: impl Into<ConfigValue>,
    ) -> Self {
        self.with("rate_limiter", name, key, value)
    }

    /// Sets `key` of the bulkhead named `name`.
    pub fn bulkhead(
        self,
        name: impl Into<String>,
        key: &str,
        value: impl Into<ConfigValue>,
    ) -> Self {
        self.with("bulkhead", name, key, value)
    }

    /// Sets `key` of the retry policy named `name`.
    pub fn retry(self, name: impl Into<String>, key: &str, value: impl Into<ConfigValue>) -> Self {
        self.with("retry", name, key, value)
    }

    /// Sets `key` of the quota named `name`.
    pub fn quota(self, name: impl Into<String>, key: &str, value: impl Into<ConfigValue>) -> Self {
        self.with("quota", name, key, value)
    }

    /// Sets `key` of the hedge named `name`.
    pub fn hedge(self, name: impl Into<String>, key: &str, value: impl Into<ConfigValue>) -> Self {
        self.with("hedge", name, key, value)
    }

    /// Engages (`true`) or releases (`false`) the kill switch.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = Some(disabled);
        self
    }

    /// Sets the clock every policy reads (see the [`clock`](crate::clock) module).
    pub fn clock(mut self, source: ClockSource) -> Self {
        self.clock = Some(source);
        self
    }

    pub(crate) fn into_batch(self) -> Batch {
        Batch {
            entries: self
                .entries
                .into_iter()
                .map(|(kind, name, key, value)| Incoming {
                    at: format!("{kind}.{name:?}.{key}"),
                    kind: kind.to_owned(),
                    name,
                    key,
                    raw: Raw::Value(value),
                })
                .collect(),
            disabled: self.disabled,
            clock: self.clock,
            issues: Vec::new(),
        }
    }
}

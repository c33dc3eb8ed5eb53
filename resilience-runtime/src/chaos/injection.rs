//! What one call gets injected: an [`Injection`] and, when it fails, its [`Fault`].

use std::time::Duration;

/// The faults decided for one call by [`Chaos::inject`](super::Chaos::inject).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Injection {
    pub(super) latency: Duration,
    pub(super) fault: Option<Fault>,
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

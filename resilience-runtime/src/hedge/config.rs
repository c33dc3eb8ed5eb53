//! A hedge's configuration: when the next attempt starts, and how many extra attempts a call
//! may start.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use resilience_syntax::rules::hedge as rules;

/// A percentile of the latencies a hedge has seen, for [`HedgeDelay::Percentile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Percentile {
    /// The 90th percentile: about one call in ten is hedged.
    P90,
    /// The 95th percentile: about one call in twenty.
    P95,
    /// The 99th percentile: about one call in a hundred.
    P99,
}

impl Percentile {
    /// The word `delay` names it by: `"p90"`, `"p95"` or `"p99"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::P90 => "p90",
            Self::P95 => "p95",
            Self::P99 => "p99",
        }
    }

    /// The percentile named by `word` (`"p90"`, `"p95"`, `"p99"`).
    #[must_use]
    pub fn named(word: &str) -> Option<Self> {
        [Self::P90, Self::P95, Self::P99]
            .into_iter()
            .find(|percentile| percentile.as_str() == word)
    }

    /// The fraction of calls at or below it: 0.90, 0.95 or 0.99, in thousandths.
    pub(crate) const fn per_mille(self) -> u64 {
        match self {
            Self::P90 => 900,
            Self::P95 => 950,
            Self::P99 => 990,
        }
    }
}

impl fmt::Display for Percentile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long an attempt runs without an answer before a hedge starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum HedgeDelay {
    /// A fixed delay.
    Fixed(Duration),
    /// A percentile of the latencies of the instance's recent successful calls (see
    /// [`Hedge::delay`](super::Hedge::delay) for what is used before enough are seen).
    Percentile(Percentile),
}

impl fmt::Display for HedgeDelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(delay) => f.write_str(&resilience_syntax::format_duration(*delay)),
            Self::Percentile(percentile) => percentile.fmt(f),
        }
    }
}

/// The configuration of a [`Hedge`](super::Hedge): the delay before each extra attempt and
/// how many extra attempts one call may start.
///
/// ```
/// use resilience_runtime::hedge::{HedgeConfig, HedgeDelay, Percentile};
/// use std::time::Duration;
///
/// const SEARCH: HedgeConfig =
///     HedgeConfig::new(HedgeDelay::Fixed(Duration::from_millis(50))).with_max_hedges(2);
/// assert_eq!(SEARCH.max_hedges(), 2);
/// assert_eq!(HedgeConfig::new(HedgeDelay::Percentile(Percentile::P95)).max_hedges(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct HedgeConfig {
    delay: HedgeDelay,
    max_hedges: u32,
}

impl HedgeConfig {
    /// Hedges after `delay`, at most one extra attempt per call.
    #[must_use]
    pub const fn new(delay: HedgeDelay) -> Self {
        Self {
            delay,
            max_hedges: rules::DEFAULT_MAX_HEDGES,
        }
    }

    /// At most `max_hedges` extra attempts per call, each `delay` after the one before.
    /// Kept within 0 to [`MAX_HEDGES`](Self::MAX_HEDGES) (0: never hedge); the attribute and
    /// configuration take 1 to 4.
    #[must_use]
    pub const fn with_max_hedges(mut self, max_hedges: u32) -> Self {
        self.max_hedges = if max_hedges > Self::MAX_HEDGES {
            Self::MAX_HEDGES
        } else {
            max_hedges
        };
        self
    }

    /// A different delay, the same number of hedges.
    #[must_use]
    pub const fn with_delay(mut self, delay: HedgeDelay) -> Self {
        self.delay = delay;
        self
    }

    /// The most extra attempts a call may start: 4.
    pub const MAX_HEDGES: u32 = rules::MAX_MAX_HEDGES;

    /// The delay before each extra attempt.
    #[must_use]
    pub const fn delay(&self) -> HedgeDelay {
        self.delay
    }

    /// The most extra attempts per call.
    #[must_use]
    pub const fn max_hedges(&self) -> u32 {
        self.max_hedges
    }
}

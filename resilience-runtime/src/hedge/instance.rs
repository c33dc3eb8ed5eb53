//! [`Hedge`]: a named hedging policy with its latency histogram and counters, as the registry
//! keeps it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::base::named::Named;
use crate::base::stripes::Stripes;

use super::config::{HedgeConfig, HedgeDelay, Percentile};
use super::histogram::LatencyHistogram;
use super::metrics::{HedgeLatencies, HedgeMetrics, HedgeSnapshot};
use super::tuning::Tuning;

/// A shared handle to a named [`Hedge`].
pub type HedgeHandle = Arc<Hedge>;

/// A named hedging policy: its delay and number of hedges, the latencies of its recent
/// successful calls (for a percentile delay) and its counters.
///
/// Every call site and [`tower::HedgeLayer`](crate::tower) that names the same hedge shares
/// one instance, so the latencies and counters add up across them.
///
/// ```
/// use resilience_runtime::hedge::{Hedge, HedgeConfig, HedgeDelay};
/// use std::time::Duration;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let hedge = Hedge::new("doc-search", HedgeConfig::new(HedgeDelay::Fixed(Duration::from_millis(50))));
/// // The first attempt takes a second; the hedge, started after 50 ms, answers in 10 ms.
/// let answer: Result<&str, ()> = hedge
///     .run(|attempt| async move {
///         let latency = if attempt == 0 { 1_000 } else { 10 };
///         tokio::time::sleep(Duration::from_millis(latency)).await;
///         Ok(if attempt == 0 { "slow" } else { "hedged" })
///     })
///     .await;
/// assert_eq!(answer, Ok("hedged"));
/// assert_eq!(hedge.metrics().hedges_won, 1);
/// # });
/// ```
pub struct Hedge {
    name: &'static str,
    tuning: Tuning,
    pub(super) histogram: LatencyHistogram,
    /// Calls, striped: the one count every call makes.
    calls: Stripes<1>,
    pub(super) hedges_started: AtomicU64,
    pub(super) hedges_won: AtomicU64,
}

impl Hedge {
    /// A named hedge with no latencies seen and zeroed counters.
    #[must_use]
    pub const fn new(name: &'static str, config: HedgeConfig) -> Self {
        Self {
            name,
            tuning: Tuning::new(config),
            histogram: LatencyHistogram::new(),
            calls: Stripes::new(),
            hedges_started: AtomicU64::new(0),
            hedges_won: AtomicU64::new(0),
        }
    }

    /// The registry name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The configuration in force: as declared, or as last [replaced](Self::set_config).
    #[must_use]
    #[inline]
    pub fn config(&self) -> HedgeConfig {
        self.tuning.load()
    }

    /// Replaces the configuration while calls run: calls that start from now on follow it;
    /// calls in flight finish with the one they started with. The latencies seen and the
    /// counters are kept. Logged at `info` level.
    ///
    /// ```
    /// use resilience_runtime::hedge::{Hedge, HedgeConfig, HedgeDelay, Percentile};
    ///
    /// let hedge = Hedge::new("doc-set-config", HedgeConfig::new(HedgeDelay::Percentile(Percentile::P95)));
    /// hedge.set_config(HedgeConfig::new(HedgeDelay::Percentile(Percentile::P99)).with_max_hedges(2));
    /// assert_eq!(hedge.config().max_hedges(), 2);
    /// ```
    pub fn set_config(&self, config: HedgeConfig) {
        let before = self.config();
        if before == config {
            return;
        }
        self.tuning.store(config);
        tracing::info!(
            target: "resilience_runtime::hedge",
            name = self.name, before = %Shown(before), after = %Shown(config),
            "hedge reconfigured");
    }

    /// The delay before a hedge, for a call starting now: the fixed delay, or the percentile
    /// of the latencies seen. A percentile is known once the hedge has seen 128 successful
    /// calls; until then this is `None` and calls run their first attempt alone (no hedge
    /// is guessed at). The percentile is recomputed every 32 calls from the last 512 to 1024.
    #[must_use]
    #[inline]
    pub fn delay(&self) -> Option<Duration> {
        self.delay_of(self.config())
    }

    #[inline]
    pub(super) fn delay_of(&self, config: HedgeConfig) -> Option<Duration> {
        match config.delay() {
            HedgeDelay::Fixed(delay) => Some(delay),
            HedgeDelay::Percentile(percentile) => self.histogram.percentile(percentile),
        }
    }

    /// The latencies seen lately, as percentiles.
    #[must_use]
    pub fn latencies(&self) -> HedgeLatencies {
        HedgeLatencies {
            samples: self.histogram.samples(),
            p90: self.histogram.percentile(Percentile::P90),
            p95: self.histogram.percentile(Percentile::P95),
            p99: self.histogram.percentile(Percentile::P99),
        }
    }

    /// Counts a call starting.
    #[inline]
    pub(super) fn count_call(&self) {
        self.calls.bump(0);
    }

    /// The counters (each read on its own).
    #[must_use]
    pub fn metrics(&self) -> HedgeMetrics {
        HedgeMetrics {
            calls: self.calls.sum(0),
            hedges_started: self.hedges_started.load(Relaxed),
            hedges_won: self.hedges_won.load(Relaxed),
        }
    }

    /// Name, configuration, delay in force, counters and latencies.
    #[must_use]
    pub fn snapshot(&self) -> HedgeSnapshot {
        HedgeSnapshot {
            name: self.name,
            config: self.config(),
            delay_in_force: self.delay(),
            metrics: self.metrics(),
            latencies: self.latencies(),
        }
    }
}

/// A configuration as logs show it: `delay=p95 max_hedges=1`.
struct Shown(HedgeConfig);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "delay={} max_hedges={}",
            self.0.delay(),
            self.0.max_hedges()
        )
    }
}

impl fmt::Debug for Hedge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hedge")
            .field("name", &self.name)
            .field("config", &self.config())
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

impl Named for Hedge {
    const KIND: &'static str = "hedge";
    type Config = HedgeConfig;

    fn create(name: &'static str, config: HedgeConfig) -> Self {
        Self::new(name, config)
    }
}

//! A breaker's tuning: the part of its configuration its calls read, kept in atomics so that
//! it can change while calls run
//! ([`CircuitBreaker::reconfigure`](super::CircuitBreaker::reconfigure)).
//!
//! Each setting is one relaxed atomic, read where it is needed, so the closed path costs what
//! plain fields did: one load for the trip model (threshold, rates and flags packed into one
//! word, so they always agree with each other) and one for the slow-call limit. A call that
//! races a reconfiguration may read one setting before the change and another after it; each
//! setting on its own is always a value of the old or the new configuration, and the breaker's
//! state is never touched.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::base::clock::{self, Nanos};

use super::config::{CircuitBreakerConfig, SlidingWindow};

/// "None" for settings kept as nanoseconds: no call is slower and no wait longer than this.
const NONE: Nanos = Nanos::MAX;

const RATE_SHIFT: u32 = 32;
const SLOW_RATE_SHIFT: u32 = 40;
const NEEDS_CLOCK: u64 = 1 << 48;

/// The trip model: what decides, from one atomic word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Model {
    /// Consecutive failures that open the breaker (consecutive model).
    pub(super) failure_threshold: u32,
    /// The failure-rate threshold in percent; also selects the rate model.
    pub(super) failure_rate: Option<u8>,
    /// The slow-call-rate threshold in percent, with slow-call tracking on.
    pub(super) slow_call_rate: Option<u8>,
    /// Recording reads the clock: slow calls are tracked, or the window is a time window.
    pub(super) needs_clock: bool,
}

impl Model {
    fn of(config: &CircuitBreakerConfig) -> Self {
        Self {
            failure_threshold: config.failure_threshold(),
            failure_rate: config.failure_rate(),
            slow_call_rate: config.slow_call_rate(),
            needs_clock: config.slow_call_duration().is_some()
                || (config.uses_window() && matches!(config.window(), SlidingWindow::Time(_))),
        }
    }

    /// In half-open, trial calls are judged together by the rates rather than one by one.
    #[inline]
    pub(super) fn trials_by_rate(self) -> bool {
        self.failure_rate.is_some()
    }

    fn pack(self) -> u64 {
        u64::from(self.failure_threshold)
            | u64::from(self.failure_rate.unwrap_or(0)) << RATE_SHIFT
            | u64::from(self.slow_call_rate.unwrap_or(0)) << SLOW_RATE_SHIFT
            | if self.needs_clock { NEEDS_CLOCK } else { 0 }
    }

    #[inline]
    fn unpack(word: u64) -> Self {
        // Rates are 1..=100 when set, so 0 means unset; each field is masked to its width.
        let rate = |shift: u32| Some((word >> shift) as u8).filter(|rate| *rate != 0);
        Self {
            failure_threshold: word as u32,
            failure_rate: rate(RATE_SHIFT),
            slow_call_rate: rate(SLOW_RATE_SHIFT),
            needs_clock: word & NEEDS_CLOCK != 0,
        }
    }
}

/// A breaker's tuning: its settings, derived from its configuration in the units the calls use.
#[derive(Debug)]
pub(super) struct Tuning {
    model: AtomicU64,
    minimum_calls: AtomicU64,
    slow_after: AtomicU64,
    recovery: AtomicU64,
    max_recovery: AtomicU64,
    /// `f64` bits of the growth factor; 0 when the open wait does not grow.
    backoff: AtomicU64,
    max_half_open: AtomicU64,
    /// `half_open_max_calls << 32 | effective success threshold`.
    half_open: AtomicU64,
}

impl Tuning {
    pub(super) fn new(config: &CircuitBreakerConfig) -> Self {
        let settings = Self {
            model: AtomicU64::new(0),
            minimum_calls: AtomicU64::new(0),
            slow_after: AtomicU64::new(NONE),
            recovery: AtomicU64::new(0),
            max_recovery: AtomicU64::new(NONE),
            backoff: AtomicU64::new(0),
            max_half_open: AtomicU64::new(NONE),
            half_open: AtomicU64::new(0),
        };
        settings.store(config);
        settings
    }

    /// Switches to `config`'s settings, one at a time.
    pub(super) fn store(&self, config: &CircuitBreakerConfig) {
        let nanos_or_none = |duration: Option<std::time::Duration>| {
            duration.map_or(NONE, |duration| clock::to_nanos(duration).min(NONE - 1))
        };
        self.model.store(Model::of(config).pack(), Relaxed);
        self.minimum_calls
            .store(u64::from(config.minimum_calls()), Relaxed);
        self.slow_after
            .store(nanos_or_none(config.slow_call_duration()), Relaxed);
        self.recovery
            .store(clock::to_nanos(config.recovery_timeout()), Relaxed);
        self.max_recovery.store(
            config.max_recovery_timeout().map_or(NONE, clock::to_nanos),
            Relaxed,
        );
        let backoff = config.recovery_backoff().filter(|factor| *factor > 1.0);
        self.backoff.store(backoff.map_or(0, f64::to_bits), Relaxed);
        self.max_half_open
            .store(nanos_or_none(config.max_wait_in_half_open()), Relaxed);
        self.half_open.store(
            u64::from(config.half_open_max_calls()) << 32
                | u64::from(config.effective_success_threshold()),
            Relaxed,
        );
    }

    /// Whether recording reads the clock (the model's `needs_clock`, without unpacking it).
    #[inline(always)]
    pub(super) fn needs_clock(&self) -> bool {
        self.model.load(Relaxed) & NEEDS_CLOCK != 0
    }

    #[inline]
    pub(super) fn model(&self) -> Model {
        Model::unpack(self.model.load(Relaxed))
    }

    /// Calls that take longer than this are slow; `None` without slow-call tracking.
    #[inline]
    pub(super) fn slow_after(&self) -> Option<Nanos> {
        Some(self.slow_after.load(Relaxed)).filter(|limit| *limit != NONE)
    }

    pub(super) fn minimum_calls(&self) -> u64 {
        self.minimum_calls.load(Relaxed)
    }

    pub(super) fn recovery(&self) -> Nanos {
        self.recovery.load(Relaxed)
    }

    pub(super) fn max_recovery(&self) -> Nanos {
        self.max_recovery.load(Relaxed)
    }

    pub(super) fn backoff(&self) -> Option<f64> {
        Some(f64::from_bits(self.backoff.load(Relaxed))).filter(|factor| *factor > 1.0)
    }

    pub(super) fn max_half_open(&self) -> Option<Nanos> {
        Some(self.max_half_open.load(Relaxed)).filter(|limit| *limit != NONE)
    }

    /// Trial calls a half-open breaker admits.
    pub(super) fn half_open_max(&self) -> u32 {
        (self.half_open.load(Relaxed) >> 32) as u32
    }

    /// Trial successes that close a half-open breaker (consecutive model).
    pub(super) fn success_threshold(&self) -> u32 {
        self.half_open.load(Relaxed) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn model_round_trips_through_its_word() {
        let configs = [
            CircuitBreakerConfig::new(),
            CircuitBreakerConfig::new().with_failure_threshold(u32::MAX),
            CircuitBreakerConfig::new()
                .with_failure_rate(100)
                .with_slow_call_duration(Duration::from_secs(1))
                .with_slow_call_rate(1),
            CircuitBreakerConfig::new()
                .with_failure_rate(50)
                .with_window_duration(Duration::from_secs(60)),
        ];
        for config in configs {
            let model = Model::of(&config);
            assert_eq!(Model::unpack(model.pack()), model, "{config:?}");
        }
    }

    #[test]
    fn settings_follow_the_config() {
        let config = CircuitBreakerConfig::new()
            .with_recovery_timeout(Duration::from_secs(3))
            .with_recovery_backoff(2.0)
            .with_max_recovery_timeout(Duration::from_secs(30))
            .with_success_threshold(3)
            .with_half_open_max_calls(5)
            .with_max_wait_in_half_open(Duration::from_secs(9));
        let settings = Tuning::new(&CircuitBreakerConfig::new());
        assert_eq!(settings.slow_after(), None);
        assert_eq!(settings.backoff(), None);
        assert_eq!(settings.max_half_open(), None);
        settings.store(&config);
        assert_eq!(settings.recovery(), 3_000_000_000);
        assert_eq!(settings.max_recovery(), 30_000_000_000);
        assert_eq!(settings.backoff(), Some(2.0));
        assert_eq!(settings.max_half_open(), Some(9_000_000_000));
        assert_eq!(
            (settings.half_open_max(), settings.success_threshold()),
            (5, 3)
        );
        settings.store(&config.with_slow_call_duration(Duration::ZERO));
        assert_eq!(settings.slow_after(), Some(0));
    }
}

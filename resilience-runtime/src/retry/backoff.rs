//! [`BackoffKind`]: how the delay between attempts grows, and the arithmetic of its schedules.
//!
//! Pure functions over durations: no state, no clock. Every result is capped by the caller's
//! `cap` (the policy's `max_delay`), and no input makes them panic or overflow: durations
//! saturate, floats that run off to infinity (or NaN) become the cap.

use std::time::Duration;

use serde::Serialize;

use crate::base::clock;

/// How the delay between attempts grows.
///
/// See [`RetryConfig::base_delay`](super::RetryConfig::base_delay) for the exact formulas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackoffKind {
    /// `initial_delay * multiplier^(n - 1)` before retry `n`.
    #[default]
    Exponential,
    /// `initial_delay * n` before retry `n`.
    Linear,
    /// `initial_delay` before every retry.
    Fixed,
    /// AWS-style "decorrelated jitter": a random delay in `[initial_delay, previous * 3]`, where
    /// `previous` is the last delay (starting at `initial_delay`). Already random, so the
    /// policy's [`Jitter`](super::Jitter) is not applied on top.
    Decorrelated,
}

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// `initial * multiplier^(retry - 1)`, capped at `cap`.
pub(super) fn exponential(
    initial: Duration,
    multiplier: f64,
    retry: u32,
    cap: Duration,
) -> Duration {
    if initial.is_zero() {
        // 0 * inf would be NaN; zero grows to zero whatever the multiplier.
        return Duration::ZERO;
    }
    // A multiplier below 1 (or NaN) would shrink the delay; the macro rejects it, the runtime
    // treats it as a constant backoff rather than panicking.
    let multiplier = if multiplier >= 1.0 { multiplier } else { 1.0 };
    let exponent = i32::try_from(retry.max(1) - 1).unwrap_or(i32::MAX);
    // Nanoseconds as f64 are exact up to 2^53 ns (~104 days), so common schedules are exact.
    let nanos = initial.as_nanos() as f64 * multiplier.powi(exponent);
    let cap_nanos = cap.as_nanos() as f64;
    // `!(x < cap)` also catches infinity and NaN.
    if nanos < cap_nanos {
        from_nanos_u128(nanos.round() as u128).min(cap)
    } else {
        cap
    }
}

/// `initial * retry`, capped at `cap`.
pub(super) fn linear(initial: Duration, retry: u32, cap: Duration) -> Duration {
    initial.saturating_mul(retry.max(1)).min(cap)
}

/// "Decorrelated jitter": `min(cap, random in [initial, previous * 3])`.
pub(super) fn decorrelated(initial: Duration, previous: Duration, cap: Duration) -> Duration {
    let high = previous.saturating_mul(3).max(initial);
    random_between(initial, high).min(cap)
}

/// A uniformly random duration in `[low, high]` (nanosecond resolution, saturating at ~584
/// years). Requires `low <= high`.
pub(super) fn random_between(low: Duration, high: Duration) -> Duration {
    let (low, high) = (clock::to_nanos(low), clock::to_nanos(high));
    if low >= high {
        return clock::to_duration(low);
    }
    clock::to_duration(rand::random_range(low..=high))
}

fn from_nanos_u128(nanos: u128) -> Duration {
    let secs = u64::try_from(nanos / NANOS_PER_SEC).unwrap_or(u64::MAX);
    // The remainder is below 10^9, so it fits in u32.
    let subsec = (nanos % NANOS_PER_SEC) as u32;
    Duration::new(secs, subsec)
}

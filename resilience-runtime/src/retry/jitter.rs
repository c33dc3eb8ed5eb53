//! [`Jitter`]: the randomisation of each backoff delay, and its arithmetic.
//!
//! Like the schedules in [`backoff`](super::backoff), pure functions that never panic or
//! overflow, capped by the caller's `cap`.

use std::time::Duration;

use serde::Serialize;

use super::backoff::random_between;
use crate::base::clock;

/// Randomisation applied to each backoff delay `d`, so that many clients that failed together
/// do not retry together.
///
/// The jittered delay is always capped at the policy's `max_delay`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// Uniformly random in `[0, d]`.
    #[default]
    Full,
    /// `d / 2` plus a uniformly random part in `[0, d / 2]`.
    Equal,
    /// Uniformly random in `[d * (1 - f), d * (1 + f)]` for the factor `f`, which should lie in
    /// `(0, 1]`; values outside are clamped into `[0, 1]` (NaN means no jitter).
    Proportional(f64),
    /// Exactly `d`.
    None,
}

/// Applies `jitter` to `delay`, then caps the result at `cap`.
pub(super) fn apply_jitter(delay: Duration, jitter: Jitter, cap: Duration) -> Duration {
    let jittered = match jitter {
        Jitter::Full => random_between(Duration::ZERO, delay),
        Jitter::Equal => {
            let half = delay / 2;
            // `delay - half`, not `half`, so an odd nanosecond count still tops out at `delay`.
            half + random_between(Duration::ZERO, delay - half)
        }
        Jitter::Proportional(factor) => {
            let factor = sanitize_factor(factor);
            let nanos = clock::to_nanos(delay);
            // Float-to-int `as` saturates, so this cannot overflow.
            let spread = (nanos as f64 * factor) as u64;
            clock::to_duration(rand::random_range(
                nanos.saturating_sub(spread)..=nanos.saturating_add(spread),
            ))
        }
        Jitter::None => delay,
    };
    jittered.min(cap)
}

/// Clamps a proportional jitter factor into `[0, 1]`; NaN means no jitter.
fn sanitize_factor(factor: f64) -> f64 {
    if factor.is_nan() {
        0.0
    } else {
        factor.clamp(0.0, 1.0)
    }
}

//! What a transition reports: the event, and why the breaker changed state.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::fleet_cause::FleetCause;
use super::state::CircuitState;

/// One state change of a [`CircuitBreaker`](super::CircuitBreaker).
///
/// Delivered to [subscribers](super::CircuitBreaker::subscribe) in the order the transitions
/// happened, logged as a `tracing` event, and kept among the
/// [recent transitions](super::CircuitBreaker::recent_transitions). Serializes with the reason
/// as text and the time as milliseconds since the Unix epoch:
///
/// ```json
/// {"name":"inventory-db","from":"closed","to":"open",
///  "reason":"failure rate 60% ≥ 50% over 10 calls","at_unix_ms":1735689600000}
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct CircuitEvent {
    /// The breaker's registry name.
    pub name: &'static str,
    /// The state before the transition.
    pub from: CircuitState,
    /// The state after it.
    pub to: CircuitState,
    /// Why it happened.
    pub reason: TransitionReason,
    /// When it happened, by the wall clock.
    #[serde(rename = "at_unix_ms", serialize_with = "unix_millis")]
    pub at: SystemTime,
}

impl fmt::Display for CircuitEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "circuit breaker `{}`: {} → {} ({})",
            self.name, self.from, self.to, self.reason
        )
    }
}

fn unix_millis<S: serde::Serializer>(at: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    let millis = at.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    });
    serializer.serialize_u64(millis)
}

/// Why a breaker changed state. `Display` renders it for people, e.g.
/// `"failure rate 60% ≥ 50% over 10 calls"`; it also serializes as that text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransitionReason {
    /// Closed → open: `failures` consecutive failures reached `failure_threshold`.
    ConsecutiveFailures {
        /// Failures in a row.
        failures: u64,
    },
    /// Closed → open: the failure rate over the window reached its threshold.
    FailureRate {
        /// Failed calls in the window.
        failed: u64,
        /// Calls in the window.
        calls: u64,
        /// The threshold, in percent.
        threshold: u8,
    },
    /// Closed → open: the slow-call rate over the window reached its threshold.
    SlowCallRate {
        /// Slow calls in the window.
        slow: u64,
        /// Calls in the window.
        calls: u64,
        /// The threshold, in percent.
        threshold: u8,
    },
    /// Open → half-open: the open wait elapsed and a call arrived.
    RecoveryTimeout {
        /// How long this open period lasted at least (the recovery timeout, grown by
        /// `recovery_backoff` after repeated openings).
        waited: Duration,
    },
    /// Half-open → closed (consecutive model): enough trial calls succeeded.
    TrialSuccesses {
        /// Successful trial calls.
        successes: u32,
    },
    /// Half-open → open (consecutive model): a trial call failed.
    TrialFailure,
    /// Half-open → open (consecutive model): a trial call was slow.
    TrialSlowCall,
    /// Half-open → open (rate model): the trial calls' failure rate reached the threshold.
    TrialFailureRate {
        /// Failed trial calls.
        failed: u64,
        /// Trial calls.
        calls: u64,
        /// The threshold, in percent.
        threshold: u8,
    },
    /// Half-open → open (rate model): the trial calls' slow-call rate reached the threshold.
    TrialSlowCallRate {
        /// Slow trial calls.
        slow: u64,
        /// Trial calls.
        calls: u64,
        /// The threshold, in percent.
        threshold: u8,
    },
    /// Half-open → closed (rate model): every permitted trial call completed and the rates
    /// stayed below their thresholds.
    TrialRatesBelowThresholds {
        /// Failed trial calls.
        failed: u64,
        /// Slow trial calls.
        slow: u64,
        /// Trial calls.
        calls: u64,
    },
    /// Half-open → open: no decision within `max_wait_in_half_open`.
    HalfOpenTimeout {
        /// The longest a half-open period may last.
        waited: Duration,
    },
    /// [`force_open`](super::CircuitBreaker::force_open).
    ForcedOpen,
    /// [`open_for`](super::CircuitBreaker::open_for).
    OpenedFor {
        /// How long it stays open before half-open.
        duration: Duration,
    },
    /// [`half_open`](super::CircuitBreaker::half_open).
    ManualHalfOpen,
    /// [`close`](super::CircuitBreaker::close).
    ManualClose,
    /// [`reset`](super::CircuitBreaker::reset).
    Reset,
    /// [`disable`](super::CircuitBreaker::disable).
    Disabled,
    /// [`metrics_only`](super::CircuitBreaker::metrics_only).
    MetricsOnly,
    /// A fleet breaker applied the fleet's shared state (see the
    /// [fleet section](super#a-breaker-for-the-fleet)).
    Fleet {
        /// Why the fleet's state is what it is.
        cause: FleetCause,
        /// The shared state's generation.
        generation: u64,
    },
}

impl serde::Serialize for TransitionReason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `part / whole` as a percentage: whole numbers plainly, others with one decimal.
struct Percent(u64, u64);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self(part, whole) = *self;
        if whole == 0 {
            return f.write_str("0");
        }
        let hundredfold = u128::from(part) * 100;
        let whole = u128::from(whole);
        if hundredfold % whole == 0 {
            write!(f, "{}", hundredfold / whole)
        } else {
            let tenths = (hundredfold * 10 + whole / 2) / whole;
            write!(f, "{}.{}", tenths / 10, tenths % 10)
        }
    }
}

impl fmt::Display for TransitionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::ConsecutiveFailures { failures } => write!(f, "{failures} consecutive failures"),
            Self::FailureRate {
                failed,
                calls,
                threshold,
            } => write!(
                f,
                "failure rate {}% ≥ {threshold}% over {calls} calls",
                Percent(failed, calls)
            ),
            Self::SlowCallRate {
                slow,
                calls,
                threshold,
            } => write!(
                f,
                "slow-call rate {}% ≥ {threshold}% over {calls} calls",
                Percent(slow, calls)
            ),
            Self::RecoveryTimeout { waited } => write!(f, "open for {waited:?}"),
            Self::TrialSuccesses { successes } => write!(f, "{successes} successful trial calls"),
            Self::TrialFailure => f.write_str("trial call failed"),
            Self::TrialSlowCall => f.write_str("trial call was slow"),
            Self::TrialFailureRate {
                failed,
                calls,
                threshold,
            } => write!(
                f,
                "trial failure rate {}% ≥ {threshold}% over {calls} calls",
                Percent(failed, calls)
            ),
            Self::TrialSlowCallRate {
                slow,
                calls,
                threshold,
            } => write!(
                f,
                "trial slow-call rate {}% ≥ {threshold}% over {calls} calls",
                Percent(slow, calls)
            ),
            Self::TrialRatesBelowThresholds {
                failed,
                slow,
                calls,
            } => write!(
                f,
                "trial calls within thresholds: {failed} of {calls} failed, {slow} slow"
            ),
            Self::HalfOpenTimeout { waited } => {
                write!(f, "no decision within {waited:?} in half-open")
            }
            Self::ForcedOpen => f.write_str("forced open"),
            Self::OpenedFor { duration } => write!(f, "opened by hand for {duration:?}"),
            Self::ManualHalfOpen => f.write_str("half-open by hand"),
            Self::ManualClose => f.write_str("closed by hand"),
            Self::Reset => f.write_str("reset"),
            Self::Disabled => f.write_str("disabled"),
            Self::MetricsOnly => f.write_str("metrics only"),
            Self::Fleet { cause, generation } => {
                write!(f, "from the fleet: {cause} (generation {generation})")
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn reasons_read_well() {
        let rate = TransitionReason::FailureRate {
            failed: 6,
            calls: 10,
            threshold: 50,
        };
        assert_eq!(rate.to_string(), "failure rate 60% ≥ 50% over 10 calls");
        let slow = TransitionReason::SlowCallRate {
            slow: 2,
            calls: 3,
            threshold: 50,
        };
        assert_eq!(slow.to_string(), "slow-call rate 66.7% ≥ 50% over 3 calls");
        assert_eq!(
            TransitionReason::ConsecutiveFailures { failures: 5 }.to_string(),
            "5 consecutive failures"
        );
        assert_eq!(
            TransitionReason::TrialFailureRate {
                failed: 1,
                calls: 2,
                threshold: 50
            }
            .to_string(),
            "trial failure rate 50% ≥ 50% over 2 calls"
        );
        assert_eq!(
            TransitionReason::TrialRatesBelowThresholds {
                failed: 1,
                slow: 0,
                calls: 4
            }
            .to_string(),
            "trial calls within thresholds: 1 of 4 failed, 0 slow"
        );
        assert_eq!(
            TransitionReason::RecoveryTimeout { waited: SEC * 30 }.to_string(),
            "open for 30s"
        );
        assert_eq!(
            serde_json::to_value(rate).unwrap(),
            "failure rate 60% ≥ 50% over 10 calls"
        );
    }
}

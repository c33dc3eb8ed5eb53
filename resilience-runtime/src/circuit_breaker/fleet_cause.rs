//! [`FleetCause`]: why the fleet's shared state changed, as a process applying it reports.

use std::fmt;
use std::time::Duration;

/// Why a fleet breaker's shared state is what a process applied (the cause of
/// [`TransitionReason::Fleet`](super::TransitionReason::Fleet)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FleetCause {
    /// The fleet's run of failures, unbroken by any process's success, reached
    /// `failure_threshold`.
    ConsecutiveFailures {
        /// Failures in a row across the fleet.
        failures: u64,
    },
    /// The failure rate over the fleet's window reached its threshold.
    FailureRate {
        /// Failed calls in the fleet's window.
        failed: u64,
        /// Calls in the fleet's window.
        calls: u64,
        /// The threshold, in percent.
        threshold: u8,
    },
    /// The slow-call rate over the fleet's window reached its threshold.
    SlowCallRate {
        /// Slow calls in the fleet's window.
        slow: u64,
        /// Calls in the fleet's window.
        calls: u64,
        /// The threshold, in percent.
        threshold: u8,
    },
    /// The fleet's open wait elapsed: one process won the trial lease.
    RecoveryTimeout {
        /// How long the fleet stayed open.
        waited: Duration,
    },
    /// The trial calls of the process holding the lease closed the breaker.
    TrialClosed,
    /// The trial calls of the process holding the lease reopened the breaker.
    TrialReopened,
    /// The process holding the trial lease did not decide in time; another took it.
    TrialLeaseExpired,
    /// The fleet is half-open and its trial calls run in another process: this one rejects
    /// calls meanwhile.
    TrialElsewhere,
    /// A manual action (`force_open`, `reset`, ...) in some process of the fleet.
    Manual,
}

impl FleetCause {
    /// The cause the fleet's script reports as `code` with its numbers `a`, `b`, `c`.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(super) fn decode(code: i64, a: i64, b: i64, c: i64) -> Self {
        let count = |value: i64| u64::try_from(value).unwrap_or(0);
        let threshold = u8::try_from(c).unwrap_or(100);
        match code {
            1 => Self::ConsecutiveFailures { failures: count(a) },
            2 => Self::FailureRate {
                failed: count(a),
                calls: count(b),
                threshold,
            },
            3 => Self::SlowCallRate {
                slow: count(a),
                calls: count(b),
                threshold,
            },
            4 => Self::RecoveryTimeout {
                waited: Duration::from_millis(count(a)),
            },
            5 => Self::TrialClosed,
            6 => Self::TrialReopened,
            7 => Self::TrialLeaseExpired,
            _ => Self::Manual,
        }
    }
}

impl fmt::Display for FleetCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::ConsecutiveFailures { failures } => {
                write!(f, "{failures} consecutive failures across the fleet")
            }
            Self::FailureRate {
                failed,
                calls,
                threshold,
            } => write!(
                f,
                "fleet failure rate {failed} of {calls} calls ≥ {threshold}%"
            ),
            Self::SlowCallRate {
                slow,
                calls,
                threshold,
            } => write!(
                f,
                "fleet slow-call rate {slow} of {calls} calls ≥ {threshold}%"
            ),
            Self::RecoveryTimeout { waited } => {
                write!(f, "fleet open for {waited:?}; this process runs the trial")
            }
            Self::TrialClosed => f.write_str("the fleet's trial calls succeeded"),
            Self::TrialReopened => f.write_str("the fleet's trial calls failed"),
            Self::TrialLeaseExpired => {
                f.write_str("the fleet's trial lease expired; this process runs the trial")
            }
            Self::TrialElsewhere => f.write_str("the fleet's trial runs in another process"),
            Self::Manual => f.write_str("set by hand in the fleet"),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn script_codes_decode_to_causes() {
        assert_eq!(
            FleetCause::decode(2, 6, 10, 50),
            FleetCause::FailureRate {
                failed: 6,
                calls: 10,
                threshold: 50
            }
        );
        assert_eq!(
            FleetCause::decode(1, 5, 0, 0),
            FleetCause::ConsecutiveFailures { failures: 5 }
        );
        assert_eq!(
            FleetCause::decode(4, 1_500, 0, 0).to_string(),
            "fleet open for 1.5s; this process runs the trial"
        );
        assert_eq!(FleetCause::decode(8, 1, 0, 0), FleetCause::Manual);
        // Garbage never panics.
        assert_eq!(FleetCause::decode(-3, -1, -1, -1), FleetCause::Manual);
        assert_eq!(
            FleetCause::decode(3, -1, -1, 999),
            FleetCause::SlowCallRate {
                slow: 0,
                calls: 0,
                threshold: 100
            }
        );
    }
}

//! What one exchange with the fleet carries, both ways, as plain values: the process's part
//! ([`Exchange`]: outcomes, a manual action, a trial verdict), the breaker's rules in the
//! script's units ([`Rules`]), and the shared state that comes back ([`Shared`]) with the
//! local state it asks for. No I/O here, so each piece is tested on its own.

use std::time::Duration;

use super::super::config::{CircuitBreakerConfig, SlidingWindow};
use super::super::fleet_cause::FleetCause;
use super::super::state::CircuitState;

/// Where Lua's numbers (doubles) stop being exact integers.
const LUA_MAX: u64 = 1 << 52;

/// How long the process holding the trial lease may take to decide when the breaker sets no
/// `max_wait_in_half_open`: after it, another process may take the trial over.
pub(crate) const DEFAULT_TRIAL_LEASE: Duration = Duration::from_secs(10);

/// How long the shared state outlives the last exchange of any process: a fleet gone for
/// longer starts closed.
const IDLE_EXPIRY: Duration = Duration::from_secs(3_600);

/// A manual transition made in this process, for the fleet to take over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ManualAction {
    ForceOpen,
    Close,
    Reset,
    OpenFor(Duration),
    HalfOpen,
    Disable,
    MetricsOnly,
}

impl ManualAction {
    /// The script's action code and its argument in milliseconds.
    pub(crate) fn code(self) -> (i64, i64) {
        match self {
            Self::ForceOpen => (1, 0),
            Self::Close => (2, 0),
            Self::Reset => (3, 0),
            Self::OpenFor(duration) => (4, millis(duration)),
            Self::HalfOpen => (5, 0),
            Self::Disable => (6, 0),
            Self::MetricsOnly => (7, 0),
        }
    }
}

/// How the trial calls of this process's lease ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Closed,
    Reopened,
}

/// This process's part of one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Exchange {
    /// Recorded calls since the last exchange (successes and failures).
    pub(crate) calls: u64,
    pub(crate) failed: u64,
    pub(crate) slow: u64,
    /// The process's current run of failures since its last success.
    pub(crate) run: u64,
    pub(crate) action: Option<ManualAction>,
    /// The verdict on the trial lease of this fleet generation.
    pub(crate) verdict: Option<(Verdict, u64)>,
}

impl Exchange {
    /// The script's arguments 2 to 9.
    pub(crate) fn args(&self) -> [i64; 8] {
        let (action, action_ms) = self.action.map_or((0, 0), ManualAction::code);
        let (verdict, generation) = match self.verdict {
            None => (0, 0),
            Some((Verdict::Closed, generation)) => (1, generation),
            Some((Verdict::Reopened, generation)) => (2, generation),
        };
        [
            lua(self.calls),
            lua(self.failed),
            lua(self.slow),
            lua(self.run),
            action,
            action_ms,
            verdict,
            lua(generation),
        ]
    }
}

/// The breaker's rules in the script's units: its arguments 10 to 20, the backoff factor
/// (argument 17) apart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rules {
    /// Failure threshold, failure rate, slow-call rate, minimum calls, window kind and size,
    /// recovery, longest open wait, trial lease and expiry (all milliseconds).
    pub(crate) ints: [i64; 10],
    /// The backoff factor, as text (the script's one fractional number); "0" for none.
    pub(crate) backoff: String,
}

impl Rules {
    pub(crate) fn of(config: &CircuitBreakerConfig) -> Self {
        let failure_rate = config.failure_rate().map_or(0, i64::from);
        let slow_rate = config.slow_call_rate().map_or(0, i64::from);
        let (window_kind, window_size) = match config.window() {
            _ if failure_rate == 0 && slow_rate == 0 => (2, 0),
            SlidingWindow::Calls(calls) => (0, i64::from(calls)),
            SlidingWindow::Time(duration) => (1, lua(duration.as_secs())),
        };
        let recovery = millis(config.recovery_timeout());
        let longest = config.max_recovery_timeout().map_or(lua(LUA_MAX), millis);
        let lease = config
            .max_wait_in_half_open()
            .unwrap_or(DEFAULT_TRIAL_LEASE);
        let window = match config.window() {
            SlidingWindow::Time(duration) => duration,
            SlidingWindow::Calls(_) => Duration::ZERO,
        };
        let longest_wait = config
            .max_recovery_timeout()
            .unwrap_or_else(|| config.recovery_timeout());
        let expiry = IDLE_EXPIRY
            .saturating_add(window)
            .saturating_add(longest_wait);
        Self {
            ints: [
                i64::from(config.failure_threshold()),
                failure_rate,
                slow_rate,
                i64::from(config.minimum_calls()),
                window_kind,
                window_size,
                recovery,
                longest,
                millis(lease).max(1),
                millis(expiry),
            ],
            backoff: config
                .recovery_backoff()
                .filter(|factor| *factor > 1.0)
                .map_or_else(|| String::from("0"), |factor| factor.to_string()),
        }
    }
}

/// `value` within Lua's exact integers.
fn lua(value: u64) -> i64 {
    value.min(LUA_MAX).cast_signed()
}

fn millis(duration: Duration) -> i64 {
    lua(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

/// The fleet's shared state, as one exchange returned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shared {
    pub(crate) state: CircuitState,
    pub(crate) generation: u64,
    /// What is left of the fleet's open wait.
    pub(crate) open_left: Duration,
    /// This process holds the trial lease.
    pub(crate) holds_trial: bool,
    pub(crate) streak: u32,
    pub(crate) cause: FleetCause,
}

impl Shared {
    /// The script's reply; `None` for a reply of another shape.
    pub(crate) fn decode(reply: &[i64]) -> Option<Self> {
        let &[state, generation, left, mine, streak, cause, a, b, c, ..] = reply else {
            return None;
        };
        let state = match state {
            0 => CircuitState::Closed,
            1 => CircuitState::Open,
            2 => CircuitState::HalfOpen,
            3 => CircuitState::ForcedOpen,
            4 => CircuitState::Disabled,
            5 => CircuitState::MetricsOnly,
            _ => return None,
        };
        Some(Self {
            state,
            generation: u64::try_from(generation).unwrap_or(0),
            open_left: Duration::from_millis(u64::try_from(left).unwrap_or(0)),
            holds_trial: mine == 1,
            streak: u32::try_from(streak).unwrap_or(0),
            cause: FleetCause::decode(cause, a, b, c),
        })
    }

    /// The state this process's breaker takes: the fleet's, except that a half-open fleet
    /// whose trial runs elsewhere is open here (its calls are not the trial's).
    pub(crate) fn local_target(&self) -> CircuitState {
        match self.state {
            CircuitState::HalfOpen if !self.holds_trial => CircuitState::Open,
            state => state,
        }
    }

    /// Why this process moves to [`local_target`](Self::local_target).
    pub(crate) fn local_cause(&self) -> FleetCause {
        if self.state == CircuitState::HalfOpen && !self.holds_trial {
            FleetCause::TrialElsewhere
        } else {
            self.cause
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn an_exchange_encodes_outcomes_actions_and_verdicts() {
        let exchange = Exchange {
            calls: 10,
            failed: 4,
            slow: 1,
            run: 2,
            action: Some(ManualAction::OpenFor(Duration::from_millis(1_500))),
            verdict: Some((Verdict::Reopened, 7)),
        };
        assert_eq!(exchange.args(), [10, 4, 1, 2, 4, 1_500, 2, 7]);
        assert_eq!(Exchange::default().args(), [0; 8]);
        let huge = Exchange {
            calls: u64::MAX,
            ..Exchange::default()
        };
        assert_eq!(huge.args()[0], 1 << 52, "within Lua's exact integers");
    }

    #[test]
    fn rules_follow_the_breakers_configuration() {
        let consecutive = Rules::of(&CircuitBreakerConfig::new().with_failure_threshold(3));
        // No rate: no window to keep.
        assert_eq!(&consecutive.ints[..6], &[3, 0, 0, 100, 2, 0]);
        assert_eq!(consecutive.backoff, "0");
        let rated = Rules::of(
            &CircuitBreakerConfig::new()
                .with_failure_rate(50)
                .with_window_duration(Duration::from_secs(10))
                .with_minimum_calls(20)
                .with_recovery_timeout(Duration::from_secs(2))
                .with_recovery_backoff(2.0)
                .with_max_recovery_timeout(Duration::from_secs(30))
                .with_max_wait_in_half_open(Duration::from_secs(4)),
        );
        assert_eq!(
            &rated.ints[..10],
            &[5, 50, 0, 20, 1, 10, 2_000, 30_000, 4_000, 3_640_000]
        );
        assert_eq!(rated.backoff, "2");
        let counted = Rules::of(
            &CircuitBreakerConfig::new()
                .with_failure_rate(25)
                .with_window_calls(40),
        );
        // minimum_calls is capped by the count window, as locally.
        assert_eq!(&counted.ints[..6], &[5, 25, 0, 40, 0, 40]);
        assert_eq!(counted.ints[8], 10_000, "the default trial lease");
    }

    #[test]
    fn replies_decode_and_say_what_this_process_becomes() {
        let reply = [2, 12, 0, 0, 1, 4, 5_000, 0, 0, 0, 0, 0];
        let shared = Shared::decode(&reply).expect("a reply");
        assert_eq!(shared.state, CircuitState::HalfOpen);
        assert_eq!(shared.generation, 12);
        assert!(!shared.holds_trial);
        assert_eq!(shared.local_target(), CircuitState::Open);
        assert_eq!(shared.local_cause(), FleetCause::TrialElsewhere);

        let mine = Shared::decode(&[2, 12, 0, 1, 1, 4, 5_000, 0, 0, 0, 0, 0]).expect("a reply");
        assert_eq!(mine.local_target(), CircuitState::HalfOpen);
        assert_eq!(
            mine.local_cause(),
            FleetCause::RecoveryTimeout {
                waited: Duration::from_secs(5)
            }
        );

        let open = Shared::decode(&[1, 3, 1_250, 0, 0, 2, 6, 10, 50, 10, 6, 0]).expect("a reply");
        assert_eq!(open.local_target(), CircuitState::Open);
        assert_eq!(open.open_left, Duration::from_millis(1_250));

        assert_eq!(Shared::decode(&[9, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(Shared::decode(&[0, 1]), None);
    }
}

//! The breaker's states, the packed atomic word that holds them, and why they change.

use std::fmt;
use std::time::Duration;

/// The state of a [`CircuitBreaker`](super::CircuitBreaker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CircuitState {
    /// Calls pass; outcomes are counted.
    Closed,
    /// Calls are rejected until the recovery timeout has passed.
    Open,
    /// A limited number of trial calls pass; their outcomes decide between closed and open.
    HalfOpen,
    /// Opened by hand with [`force_open`](super::CircuitBreaker::force_open): calls are rejected
    /// until [`reset`](super::CircuitBreaker::reset).
    ForcedOpen,
}

impl CircuitState {
    /// The state's name as it appears in logs and snapshots, e.g. `"half_open"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
            Self::ForcedOpen => "forced_open",
        }
    }

    const fn bits(self) -> u64 {
        match self {
            Self::Closed => 0,
            Self::Open => 1,
            Self::HalfOpen => 2,
            Self::ForcedOpen => 3,
        }
    }

    const fn from_bits(bits: u64) -> Self {
        match bits & STATE_MASK {
            0 => Self::Closed,
            1 => Self::Open,
            2 => Self::HalfOpen,
            _ => Self::ForcedOpen,
        }
    }
}

impl fmt::Display for CircuitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// Layout of the state word, low bits first:
// [0, 2) state · [2] open-time pending · [3, 17) half-open permits in use ·
// [17, 31) half-open successes · [32, 64) generation.
// Everything a transition must decide atomically lives in this one word, so every transition is
// a single compare-and-swap, and the generation makes outcomes of an earlier period detectable.
const STATE_MASK: u64 = 0b11;
const PENDING: u64 = 1 << 2;
const FIELD_BITS: u32 = 14;
const FIELD_MASK: u64 = (1 << FIELD_BITS) - 1;
const USED_SHIFT: u32 = 3;
const SUCCESS_SHIFT: u32 = USED_SHIFT + FIELD_BITS;
const GENERATION_SHIFT: u32 = 32;

/// The most half-open permits (and successes) the state word can count.
pub(super) const MAX_HALF_OPEN_CALLS: u32 = FIELD_MASK as u32;

/// A decoded copy of the breaker's packed state word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Word(u64);

impl Word {
    /// `state` in `generation` with no half-open bookkeeping.
    pub(super) const fn new(state: CircuitState, generation: u32) -> Self {
        Self(state.bits() | ((generation as u64) << GENERATION_SHIFT))
    }

    pub(super) const fn from_raw(raw: u64) -> Self {
        Self(raw)
    }

    pub(super) const fn raw(self) -> u64 {
        self.0
    }

    pub(super) const fn state(self) -> CircuitState {
        CircuitState::from_bits(self.0)
    }

    pub(super) const fn generation(self) -> u32 {
        (self.0 >> GENERATION_SHIFT) as u32
    }

    /// The first word of the period after this one.
    pub(super) const fn next(self, state: CircuitState) -> Self {
        Self::new(state, self.generation().wrapping_add(1))
    }

    /// Open, but the time it opened is not yet published: readers treat it as just opened.
    pub(super) const fn pending(self) -> bool {
        self.0 & PENDING != 0
    }

    pub(super) const fn with_pending(self, pending: bool) -> Self {
        if pending {
            Self(self.0 | PENDING)
        } else {
            Self(self.0 & !PENDING)
        }
    }

    /// Half-open permits handed out and not given back (successes keep theirs).
    pub(super) const fn used(self) -> u32 {
        ((self.0 >> USED_SHIFT) & FIELD_MASK) as u32
    }

    pub(super) const fn with_used(self, used: u32) -> Self {
        let cleared = self.0 & !(FIELD_MASK << USED_SHIFT);
        Self(cleared | (((used as u64) & FIELD_MASK) << USED_SHIFT))
    }

    /// Successful trial calls in the current half-open period.
    pub(super) const fn successes(self) -> u32 {
        ((self.0 >> SUCCESS_SHIFT) & FIELD_MASK) as u32
    }

    pub(super) const fn with_successes(self, successes: u32) -> Self {
        let cleared = self.0 & !(FIELD_MASK << SUCCESS_SHIFT);
        Self(cleared | (((successes as u64) & FIELD_MASK) << SUCCESS_SHIFT))
    }
}

/// Why the breaker changed state; rendered lazily into the transition's `tracing` event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Reason {
    ConsecutiveFailures(u64),
    FailureRate {
        failed: u64,
        calls: u64,
        threshold: u8,
    },
    SlowCallRate {
        slow: u64,
        calls: u64,
        threshold: u8,
    },
    RecoveryTimeout(Duration),
    HalfOpenSuccesses(u32),
    HalfOpenFailure,
    HalfOpenSlowCall,
    ForcedOpen,
    Reset,
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

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::ConsecutiveFailures(n) => write!(f, "{n} consecutive failures"),
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
            Self::RecoveryTimeout(timeout) => write!(f, "recovery timeout {timeout:?} elapsed"),
            Self::HalfOpenSuccesses(n) => write!(f, "{n} successful trial calls"),
            Self::HalfOpenFailure => f.write_str("trial call failed"),
            Self::HalfOpenSlowCall => f.write_str("trial call was slow"),
            Self::ForcedOpen => f.write_str("forced open"),
            Self::Reset => f.write_str("reset"),
        }
    }
}

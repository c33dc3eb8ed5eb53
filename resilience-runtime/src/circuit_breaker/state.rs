//! The breaker's states and the packed atomic word that holds them.

use std::fmt;

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
    /// until another manual transition ([`reset`](super::CircuitBreaker::reset),
    /// [`close`](super::CircuitBreaker::close), ...).
    ForcedOpen,
    /// Switched off by hand with [`disable`](super::CircuitBreaker::disable): every call passes
    /// and nothing is recorded.
    Disabled,
    /// Set by hand with [`metrics_only`](super::CircuitBreaker::metrics_only): every call passes
    /// and is recorded as in the closed state, but the breaker never opens.
    MetricsOnly,
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
            Self::Disabled => "disabled",
            Self::MetricsOnly => "metrics_only",
        }
    }

    const fn bits(self) -> u64 {
        match self {
            Self::Closed => 0,
            Self::Open => 1,
            Self::HalfOpen => 2,
            Self::ForcedOpen => 3,
            Self::Disabled => 4,
            Self::MetricsOnly => 5,
        }
    }

    const fn from_bits(bits: u64) -> Self {
        match bits & STATE_MASK {
            0 => Self::Closed,
            1 => Self::Open,
            2 => Self::HalfOpen,
            3 => Self::ForcedOpen,
            4 => Self::Disabled,
            // Only the six values above are ever stored.
            _ => Self::MetricsOnly,
        }
    }
}

impl fmt::Display for CircuitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// Layout of the state word, low bits first:
// [0, 3) state · [3] entry time pending · [4, 18) half-open permits in use ·
// [18, 32) half-open successes (consecutive model) or recorded trial calls (rate model) ·
// [32, 40) consecutive openings · [40, 64) generation.
// Everything a transition must decide atomically lives in this one word, so every transition is
// a single compare-and-swap, and the generation makes outcomes of an earlier period detectable.
const STATE_MASK: u64 = 0b111;
const PENDING: u64 = 1 << 3;
const FIELD_BITS: u32 = 14;
const FIELD_MASK: u64 = (1 << FIELD_BITS) - 1;
const USED_SHIFT: u32 = 4;
const SUCCESS_SHIFT: u32 = USED_SHIFT + FIELD_BITS;
const STREAK_SHIFT: u32 = 32;
const STREAK_MASK: u64 = 0xff;
const GENERATION_SHIFT: u32 = 40;
const GENERATION_BITS: u32 = 64 - GENERATION_SHIFT;

/// The most half-open permits (and successes) the state word can count.
pub(super) const MAX_HALF_OPEN_CALLS: u32 = FIELD_MASK as u32;

/// The most consecutive openings the word counts; the open wait stops growing there.
pub(super) const MAX_STREAK: u32 = STREAK_MASK as u32;

/// Generations count modulo this (24 bits): an outcome would have to arrive exactly
/// 16 777 216 transitions late to be taken for a current one.
pub(super) const GENERATION_MASK: u32 = (1 << GENERATION_BITS) - 1;

/// A decoded copy of the breaker's packed state word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Word(u64);

impl Word {
    /// `state` in `generation` with no other bookkeeping.
    pub(super) const fn new(state: CircuitState, generation: u32) -> Self {
        Self(state.bits() | (((generation & GENERATION_MASK) as u64) << GENERATION_SHIFT))
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
        Self::new(state, next_generation(self.generation()))
    }

    /// Open or half-open, but the time it was entered is not yet published: readers treat it
    /// as just entered.
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

    /// Half-open permits handed out and not given back (recorded calls keep theirs).
    pub(super) const fn used(self) -> u32 {
        ((self.0 >> USED_SHIFT) & FIELD_MASK) as u32
    }

    pub(super) const fn with_used(self, used: u32) -> Self {
        let cleared = self.0 & !(FIELD_MASK << USED_SHIFT);
        Self(cleared | (((used as u64) & FIELD_MASK) << USED_SHIFT))
    }

    /// Successful trial calls (consecutive model) or recorded trial calls (rate model) in the
    /// current half-open period.
    pub(super) const fn successes(self) -> u32 {
        ((self.0 >> SUCCESS_SHIFT) & FIELD_MASK) as u32
    }

    pub(super) const fn with_successes(self, successes: u32) -> Self {
        let cleared = self.0 & !(FIELD_MASK << SUCCESS_SHIFT);
        Self(cleared | (((successes as u64) & FIELD_MASK) << SUCCESS_SHIFT))
    }

    /// Openings since the breaker was last closed, minus one: 0 for the first open period, 1
    /// after one failed recovery, and so on. Open and half-open words carry it.
    pub(super) const fn streak(self) -> u32 {
        ((self.0 >> STREAK_SHIFT) & STREAK_MASK) as u32
    }

    pub(super) const fn with_streak(self, streak: u32) -> Self {
        let streak = if streak > MAX_STREAK {
            MAX_STREAK
        } else {
            streak
        };
        let cleared = self.0 & !(STREAK_MASK << STREAK_SHIFT);
        Self(cleared | ((streak as u64) << STREAK_SHIFT))
    }
}

/// The generation after `generation`, modulo the word's 24 bits.
pub(super) const fn next_generation(generation: u32) -> u32 {
    generation.wrapping_add(1) & GENERATION_MASK
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::state;
    use super::*;

    #[test]
    fn state_word_round_trips() {
        let word = Word::new(CircuitState::HalfOpen, state::GENERATION_MASK)
            .with_used(state::MAX_HALF_OPEN_CALLS)
            .with_successes(3)
            .with_streak(300)
            .with_pending(true);
        assert_eq!(word.state(), CircuitState::HalfOpen);
        assert_eq!(word.generation(), state::GENERATION_MASK);
        assert_eq!(word.used(), state::MAX_HALF_OPEN_CALLS);
        assert_eq!(word.successes(), 3);
        assert_eq!(word.streak(), state::MAX_STREAK, "the streak saturates");
        assert!(word.pending());
        let next = word.next(CircuitState::Closed);
        assert_eq!(next, Word::new(CircuitState::Closed, 0));
        for state in [
            CircuitState::Closed,
            CircuitState::Open,
            CircuitState::HalfOpen,
            CircuitState::ForcedOpen,
            CircuitState::Disabled,
            CircuitState::MetricsOnly,
        ] {
            let word = Word::new(state, 7).with_streak(2).with_used(1);
            assert_eq!((word.state(), word.generation()), (state, 7));
        }
        assert_eq!(CircuitState::HalfOpen.to_string(), "half_open");
        assert_eq!(CircuitState::ForcedOpen.to_string(), "forced_open");
        assert_eq!(CircuitState::MetricsOnly.to_string(), "metrics_only");
    }
}

//! What an operator can do to a breaker by hand, by its name in the path.

use crate::circuit_breaker::CircuitBreakerHandle;

/// A manual action on a breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// Closed, with its counts cleared.
    Reset,
    /// Open until told otherwise.
    ForceOpen,
    /// Admits and records nothing.
    Disable,
    /// Closed, keeping its counts.
    Close,
    /// Admits everything and only counts.
    MetricsOnly,
}

impl Action {
    /// Every action, as it appears in the path.
    pub(super) const NAMES: [&'static str; 5] =
        ["reset", "force-open", "disable", "close", "metrics-only"];

    /// The action named `name` in a path, e.g. `"force-open"`.
    pub(super) fn parse(name: &str) -> Option<Self> {
        match name {
            "reset" => Some(Self::Reset),
            "force-open" => Some(Self::ForceOpen),
            "disable" => Some(Self::Disable),
            "close" => Some(Self::Close),
            "metrics-only" => Some(Self::MetricsOnly),
            _ => None,
        }
    }

    /// Does it to `breaker`.
    pub(super) fn apply(self, breaker: &CircuitBreakerHandle) {
        match self {
            Self::Reset => breaker.reset(),
            Self::ForceOpen => breaker.force_open(),
            Self::Disable => breaker.disable(),
            Self::Close => breaker.close(),
            Self::MetricsOnly => breaker.metrics_only(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_by_their_path_names() {
        for name in Action::NAMES {
            assert!(Action::parse(name).is_some(), "{name}");
        }
        assert_eq!(Action::parse("force_open"), None);
        assert_eq!(Action::parse("Reset"), None);
        assert_eq!(Action::parse(""), None);
    }
}

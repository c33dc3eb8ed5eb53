//! Which resilience attribute a layer is, and how a sibling attribute's path is recognised.

use syn::Path;

/// Which resilience attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Retry,
    CircuitBreaker,
    RateLimit,
    Timeout,
    Bulkhead,
    Fallback,
    Chaos,
    Hedge,
    Quota,
}

impl Kind {
    pub(super) const ALL: [Self; 9] = [
        Self::Retry,
        Self::CircuitBreaker,
        Self::RateLimit,
        Self::Timeout,
        Self::Bulkhead,
        Self::Fallback,
        Self::Chaos,
        Self::Hedge,
        Self::Quota,
    ];

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Retry => "retry",
            Self::CircuitBreaker => "circuit_breaker",
            Self::RateLimit => "rate_limit",
            Self::Timeout => "timeout",
            Self::Bulkhead => "bulkhead",
            Self::Fallback => "fallback",
            Self::Chaos => "chaos",
            Self::Hedge => "hedge",
            Self::Quota => "quota",
        }
    }

    /// Recognises a sibling attribute: `#[retry]`, or `#[resilience_runtime::retry]` and the
    /// like (any path through a crate whose name mentions `resilience`, or through `krate`).
    pub(crate) fn of_path(path: &Path, krate: Option<&Path>) -> Option<Self> {
        let last = path.segments.last()?.ident.to_string();
        let kind = Self::ALL.into_iter().find(|kind| kind.name() == last)?;
        if path.segments.len() == 1 && path.leading_colon.is_none() {
            return Some(kind);
        }
        let prefix: Vec<String> = path
            .segments
            .iter()
            .take(path.segments.len() - 1)
            .map(|segment| segment.ident.to_string())
            .collect();
        let through_krate = krate.is_some_and(|krate| {
            krate
                .segments
                .iter()
                .map(|segment| segment.ident.to_string())
                .eq(prefix.iter().cloned())
        });
        let through_us = prefix.iter().any(|segment| segment.contains("resilience"));
        (through_krate || through_us).then_some(kind)
    }
}

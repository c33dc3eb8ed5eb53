//! Declarations that attributes register at link time.

use super::kinds::DeclaredConfig;
use crate::bulkhead::BulkheadConfig;
use crate::circuit_breaker::CircuitBreakerConfig;
use crate::hedge::HedgeConfig;
use crate::quota::QuotaConfig;
use crate::rate_limit::RateLimitConfig;
use crate::retry::RetryConfig;
use crate::settings::env::KnownNames;

/// A named configuration declared by an attribute, collected when the registry starts so that
/// sites which only name an instance adopt it whichever site runs first.
///
/// Generated code creates these; there is no need to create one by hand.
#[derive(Debug)]
pub struct Declaration {
    pub(crate) name: &'static str,
    pub(crate) config: DeclaredConfig,
    pub(crate) location: &'static str,
}

impl Declaration {
    /// The declared name.
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// The declared kind, as in logs and snapshots.
    pub(crate) fn kind(&self) -> &'static str {
        self.config.kind()
    }

    /// Declares circuit breaker `name` at `location` (`file:line`).
    #[must_use]
    pub const fn circuit_breaker(
        name: &'static str,
        config: CircuitBreakerConfig,
        location: &'static str,
    ) -> Self {
        Self {
            name,
            config: DeclaredConfig::CircuitBreaker(config),
            location,
        }
    }

    /// Declares rate limiter `name` at `location` (`file:line`).
    #[must_use]
    pub const fn rate_limiter(
        name: &'static str,
        config: RateLimitConfig,
        location: &'static str,
    ) -> Self {
        Self {
            name,
            config: DeclaredConfig::RateLimiter(config),
            location,
        }
    }

    /// Declares bulkhead `name` at `location` (`file:line`).
    #[must_use]
    pub const fn bulkhead(
        name: &'static str,
        config: BulkheadConfig,
        location: &'static str,
    ) -> Self {
        Self {
            name,
            config: DeclaredConfig::Bulkhead(config),
            location,
        }
    }

    /// Declares hedge `name` at `location` (`file:line`).
    #[must_use]
    pub const fn hedge(name: &'static str, config: HedgeConfig, location: &'static str) -> Self {
        Self {
            name,
            config: DeclaredConfig::Hedge(config),
            location,
        }
    }

    /// Declares quota `name` at `location` (`file:line`).
    #[must_use]
    pub const fn quota(name: &'static str, config: QuotaConfig, location: &'static str) -> Self {
        Self {
            name,
            config: DeclaredConfig::Quota(config),
            location,
        }
    }

    /// Declares retry policy `name` at `location` (`file:line`).
    #[must_use]
    pub const fn retry(name: &'static str, config: RetryConfig, location: &'static str) -> Self {
        Self {
            name,
            config: DeclaredConfig::Retry(config),
            location,
        }
    }
}

/// Every declaration made with the attributes, in source order.
pub(crate) fn declarations() -> Vec<&'static Declaration> {
    let mut declarations: Vec<&Declaration> = inventory::iter::<Declaration>().collect();
    declarations.sort_by(|a, b| source_order(a.location).cmp(&source_order(b.location)));
    declarations
}

/// `file:line` sorted by file, then numerically by line.
pub(super) fn source_order(location: &str) -> (&str, u32) {
    match location.rsplit_once(':') {
        Some((file, line)) => (file, line.parse().unwrap_or(0)),
        None => (location, 0),
    }
}

/// The names `declarations` declare, by kind.
pub(super) fn declared_names(declarations: &[&'static Declaration]) -> KnownNames {
    let mut known = KnownNames::new();
    for declaration in declarations {
        known
            .entry(declaration.kind())
            .or_default()
            .insert(declaration.name().to_owned());
    }
    known
}

inventory::collect!(Declaration);

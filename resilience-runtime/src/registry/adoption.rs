//! Sites that name an instance without declaring it, recorded at link time, so that a name
//! nothing declares (usually a typo) is reported when the registry starts.

use super::declaration::source_order;
use crate::base::named::Named;
use crate::bulkhead::Bulkhead;
use crate::circuit_breaker::CircuitBreaker;
use crate::hedge::Hedge;
use crate::quota::Quota;
use crate::rate_limit::RateLimiter;
use crate::retry::Retry;

/// An attribute site that adopts instance `name` of a kind declared elsewhere.
///
/// Generated code creates these; there is no need to create one by hand.
#[derive(Debug)]
pub struct Adoption {
    pub(crate) kind: &'static str,
    pub(crate) name: &'static str,
    pub(crate) location: &'static str,
}

impl Adoption {
    const fn of<P: Named>(name: &'static str, location: &'static str) -> Self {
        Self {
            kind: P::KIND,
            name,
            location,
        }
    }

    /// A site at `location` (`file:line`) adopting retry policy `name`.
    #[must_use]
    pub const fn retry(name: &'static str, location: &'static str) -> Self {
        Self::of::<Retry>(name, location)
    }

    /// A site at `location` (`file:line`) adopting circuit breaker `name`.
    #[must_use]
    pub const fn circuit_breaker(name: &'static str, location: &'static str) -> Self {
        Self::of::<CircuitBreaker>(name, location)
    }

    /// A site at `location` (`file:line`) adopting rate limiter `name`.
    #[must_use]
    pub const fn rate_limiter(name: &'static str, location: &'static str) -> Self {
        Self::of::<RateLimiter>(name, location)
    }

    /// A site at `location` (`file:line`) adopting hedge `name`.
    #[must_use]
    pub const fn hedge(name: &'static str, location: &'static str) -> Self {
        Self::of::<Hedge>(name, location)
    }

    /// A site at `location` (`file:line`) adopting quota `name`.
    #[must_use]
    pub const fn quota(name: &'static str, location: &'static str) -> Self {
        Self::of::<Quota>(name, location)
    }

    /// A site at `location` (`file:line`) adopting bulkhead `name`.
    #[must_use]
    pub const fn bulkhead(name: &'static str, location: &'static str) -> Self {
        Self::of::<Bulkhead>(name, location)
    }
}

inventory::collect!(Adoption);

/// Every adoption made with the attributes, in source order.
pub(crate) fn adoptions() -> Vec<&'static Adoption> {
    let mut adoptions: Vec<&Adoption> = inventory::iter::<Adoption>().collect();
    adoptions.sort_by(|a, b| source_order(a.location).cmp(&source_order(b.location)));
    adoptions
}

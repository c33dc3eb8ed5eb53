//! The kinds that keep a named instance in the runtime's registry, and the runtime items each
//! one's generated code names. Every item is written out here so that grep finds its caller.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Path;

/// A kind with a registry instance (`#[timeout]` and `#[fallback]` have none).
#[derive(Clone, Copy)]
pub(super) enum Registered {
    Retry,
    CircuitBreaker,
    RateLimit,
    Bulkhead,
    Chaos,
}

impl Registered {
    /// The instance's type, as the site's cached handle holds it.
    pub(super) fn instance_type(self, krate: &Path) -> TokenStream {
        match self {
            Self::Retry => quote!(#krate::retry::Retry),
            Self::CircuitBreaker => quote!(#krate::circuit_breaker::CircuitBreaker),
            Self::RateLimit => quote!(#krate::rate_limit::RateLimiter),
            Self::Bulkhead => quote!(#krate::bulkhead::Bulkhead),
            Self::Chaos => quote!(#krate::chaos::Chaos),
        }
    }

    /// The fn that declares (or adopts) the instance when the site first runs.
    pub(super) fn declare(self, krate: &Path) -> TokenStream {
        match self {
            Self::Retry => quote!(#krate::__private::declare_retry),
            Self::CircuitBreaker => quote!(#krate::__private::declare_circuit_breaker),
            Self::RateLimit => quote!(#krate::__private::declare_rate_limiter),
            Self::Bulkhead => quote!(#krate::__private::declare_bulkhead),
            Self::Chaos => quote!(#krate::__private::declare_chaos),
        }
    }

    /// The constructor of the instance's link-time `Declaration`, if the kind has one.
    pub(super) fn declaration(self, krate: &Path) -> Option<TokenStream> {
        match self {
            Self::Retry => Some(quote!(#krate::__private::Declaration::retry)),
            Self::CircuitBreaker => Some(quote!(#krate::__private::Declaration::circuit_breaker)),
            Self::RateLimit => Some(quote!(#krate::__private::Declaration::rate_limiter)),
            Self::Bulkhead => Some(quote!(#krate::__private::Declaration::bulkhead)),
            // Chaos sites always declare their configuration, so none is needed at link time.
            Self::Chaos => None,
        }
    }
}

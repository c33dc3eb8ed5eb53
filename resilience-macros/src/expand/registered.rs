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
    Hedge,
    Quota,
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
            Self::Hedge => quote!(#krate::hedge::Hedge),
            Self::Quota => quote!(#krate::quota::Quota),
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
            Self::Hedge => quote!(#krate::__private::declare_hedge),
            Self::Quota => quote!(#krate::__private::declare_quota),
        }
    }

    /// The constructor of the instance's link-time `Declaration`, if the kind has one.
    pub(super) fn declaration(self, krate: &Path) -> Option<TokenStream> {
        match self {
            Self::Retry => Some(quote!(#krate::__private::Declaration::retry)),
            Self::CircuitBreaker => Some(quote!(#krate::__private::Declaration::circuit_breaker)),
            Self::RateLimit => Some(quote!(#krate::__private::Declaration::rate_limiter)),
            Self::Bulkhead => Some(quote!(#krate::__private::Declaration::bulkhead)),
            Self::Hedge => Some(quote!(#krate::__private::Declaration::hedge)),
            Self::Quota => Some(quote!(#krate::__private::Declaration::quota)),
            // Chaos sites always declare their configuration, so none is needed at link time.
            Self::Chaos => None,
        }
    }

    /// The constructor of the link-time `Adoption` of a site that only names its instance.
    pub(super) fn adoption(self, krate: &Path) -> Option<TokenStream> {
        match self {
            Self::Retry => Some(quote!(#krate::__private::Adoption::retry)),
            Self::CircuitBreaker => Some(quote!(#krate::__private::Adoption::circuit_breaker)),
            Self::RateLimit => Some(quote!(#krate::__private::Adoption::rate_limiter)),
            Self::Bulkhead => Some(quote!(#krate::__private::Adoption::bulkhead)),
            Self::Hedge => Some(quote!(#krate::__private::Adoption::hedge)),
            Self::Quota => Some(quote!(#krate::__private::Adoption::quota)),
            // Chaos sites always declare their configuration.
            Self::Chaos => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use crate::attrs::Kind;

    /// The expansion of `#[kind(args)]` on a small async fn, as text.
    fn expand(kind: Kind, args: TokenStream) -> String {
        let item = quote!(
            async fn call() -> Result<u32, Error> {
                Ok(1)
            }
        );
        crate::expand_attribute(kind, args, item).to_string()
    }

    #[test]
    fn each_kind_names_its_own_instance_type_and_declare_fn() {
        let cases = [
            (
                Kind::Retry,
                quote!(name = "r", max_attempts = 3),
                quote!(::resilience_runtime::retry::Retry),
                quote!(::resilience_runtime::__private::declare_retry),
            ),
            (
                Kind::CircuitBreaker,
                quote!(name = "c", failure_threshold = 3),
                quote!(::resilience_runtime::circuit_breaker::CircuitBreaker),
                quote!(::resilience_runtime::__private::declare_circuit_breaker),
            ),
            (
                Kind::RateLimit,
                quote!(name = "l", rate = "10/s"),
                quote!(::resilience_runtime::rate_limit::RateLimiter),
                quote!(::resilience_runtime::__private::declare_rate_limiter),
            ),
            (
                Kind::Bulkhead,
                quote!(name = "b", max_concurrent = 2),
                quote!(::resilience_runtime::bulkhead::Bulkhead),
                quote!(::resilience_runtime::__private::declare_bulkhead),
            ),
            (
                Kind::Chaos,
                quote!(name = "x", latency = "1ms"),
                quote!(::resilience_runtime::chaos::Chaos),
                quote!(::resilience_runtime::__private::declare_chaos),
            ),
            (
                Kind::Hedge,
                quote!(name = "h", delay = "50ms"),
                quote!(::resilience_runtime::hedge::Hedge),
                quote!(::resilience_runtime::__private::declare_hedge),
            ),
            (
                Kind::Quota,
                quote!(name = "q", limit = "10/day"),
                quote!(::resilience_runtime::quota::Quota),
                quote!(::resilience_runtime::__private::declare_quota),
            ),
        ];
        for (kind, args, instance_type, declare) in cases {
            let code = expand(kind, args);
            let site = quote!(::resilience_runtime::__private::Site<#instance_type>).to_string();
            assert!(code.contains(&site), "{kind:?}: {code}");
            assert!(code.contains(&declare.to_string()), "{kind:?}: {code}");
        }
    }

    #[test]
    fn a_named_config_is_declared_at_link_time_except_for_chaos() {
        let cases = [
            (
                Kind::Retry,
                quote!(name = "r", max_attempts = 3),
                Some(quote!(::resilience_runtime::__private::Declaration::retry)),
            ),
            (
                Kind::CircuitBreaker,
                quote!(name = "c", failure_threshold = 3),
                Some(quote!(
                    ::resilience_runtime::__private::Declaration::circuit_breaker
                )),
            ),
            (
                Kind::RateLimit,
                quote!(name = "l", rate = "10/s"),
                Some(quote!(
                    ::resilience_runtime::__private::Declaration::rate_limiter
                )),
            ),
            (
                Kind::Bulkhead,
                quote!(name = "b", max_concurrent = 2),
                Some(quote!(
                    ::resilience_runtime::__private::Declaration::bulkhead
                )),
            ),
            (
                Kind::Hedge,
                quote!(name = "h", delay = "p95"),
                Some(quote!(::resilience_runtime::__private::Declaration::hedge)),
            ),
            (
                Kind::Quota,
                quote!(name = "q", limit = "10/h"),
                Some(quote!(::resilience_runtime::__private::Declaration::quota)),
            ),
            (Kind::Chaos, quote!(name = "x", latency = "1ms"), None),
        ];
        for (kind, args, constructor) in cases {
            let code = expand(kind, args);
            match constructor {
                Some(constructor) => {
                    assert!(code.contains("inventory :: submit !"), "{kind:?}: {code}");
                    assert!(code.contains(&constructor.to_string()), "{kind:?}: {code}");
                }
                None => assert!(!code.contains("inventory"), "{kind:?}: {code}"),
            }
        }
    }

    #[test]
    fn an_unnamed_site_is_not_declared_at_link_time_and_an_unconfigured_one_is_adopted() {
        let unnamed = expand(Kind::Bulkhead, quote!(max_concurrent = 2));
        let unconfigured = expand(Kind::Bulkhead, quote!(name = "b"));
        assert!(!unnamed.contains("inventory"), "{unnamed}");
        assert!(!unconfigured.contains("Declaration"), "{unconfigured}");
        let adoption = quote!(::resilience_runtime::__private::Adoption::bulkhead).to_string();
        assert!(unconfigured.contains(&adoption), "{unconfigured}");
    }
}

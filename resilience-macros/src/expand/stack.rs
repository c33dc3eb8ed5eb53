//! The fused wrapper: every layer of the stack around the body, as one block expression.
//!
//! Every layer's code evaluates to an `Attempt<T, E>` (`Result<T, Failure<E>>`), which keeps a
//! layer's own error apart from the service's until the outermost layer hands the fn's
//! `Result<T, E>` back.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::hygiene::local;
use super::site::Site;
use super::{
    bulkhead, chaos, circuit_breaker, fallback, hedge, quota, rate_limit, retry, span, timeout,
};
use crate::attrs::Layer;
use crate::plan::Plan;

/// The whole stack around `body` (a braced block), innermost layer first.
pub(super) fn stack(plan: &Plan, fn_ident: &Ident, body: TokenStream) -> TokenStream {
    let site = Site::new(plan, fn_ident);
    let krate = site.krate;
    let mut items = Vec::new();
    let mut code = innermost(&site, body);
    for (index, layer) in plan.layers.iter().enumerate().rev() {
        let wrapped = match layer {
            Layer::Retry(layer) => retry::wrap(&site, index, layer, code),
            Layer::CircuitBreaker(layer) => circuit_breaker::wrap(&site, index, layer, code),
            Layer::RateLimit(layer) => rate_limit::wrap(&site, index, layer, code),
            Layer::Timeout(layer) => timeout::wrap(&site, index, layer, code),
            Layer::Bulkhead(layer) => bulkhead::wrap(&site, index, layer, code),
            Layer::Fallback(layer) => fallback::wrap(&site, index, layer, code),
            Layer::Chaos(layer) => chaos::wrap(&site, index, layer, code),
            Layer::Hedge(layer) => hedge::wrap(&site, index, layer, code),
            Layer::Quota(layer) => quota::wrap(&site, index, layer, code),
        };
        items.push(wrapped.items);
        code = wrapped.code;
    }
    items.reverse();
    // The one place that names `E: From<resilience_runtime::Error>`: a direct path to
    // `From::from`, spanned at the error type, so an error type without the conversion gets
    // one error there, in the compiler's own words about `From`. Every layer converts
    // through this fn pointer.
    let convert = error_conversion(&site);
    let (outcome, conversion) = (local("outcome"), super::hygiene::conversion());
    let code = span::around_call(&site, code);
    quote! {
        {
            #(#items)*
            let #conversion: fn(#krate::Error) -> _ = #convert;
            let #outcome = #code;
            #krate::__private::finish(#outcome, #conversion)
        }
    }
}

/// `<E as From<resilience_runtime::Error>>::from`, every token spanned at the fn's error type
/// (`E` is inferred from the body), so that is where an unmet bound is shown.
fn error_conversion(site: &Site<'_>) -> TokenStream {
    let krate = site.krate;
    quote_spanned! {site.plan.error_span=>
        <_ as ::core::convert::From<#krate::Error>>::from
    }
}

/// The user's body, run once per attempt. `return` and `?` end the attempt, not the stack.
fn innermost(site: &Site<'_>, body: TokenStream) -> TokenStream {
    let krate = site.krate;
    let ty = site.body_type_or_inferred();
    let span = site
        .plan
        .body_type
        .as_ref()
        .map_or_else(Span::call_site, Spanned::span);
    if site.is_async() {
        let attempt = quote_spanned! {span=>
            #krate::__private::attempt::<#ty, _>(async #body)
        };
        let attempt = site.awaited(attempt);
        quote_spanned! {span=>
            #krate::__private::lift(#attempt)
        }
    } else {
        quote_spanned! {span=>
            #krate::__private::lift(#krate::__private::attempt_sync::<#ty, _>(|| #body))
        }
    }
}

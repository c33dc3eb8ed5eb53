//! `#[rate_limit]`: admits the call, waits for a permit, or rejects it.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::admission::admit_or_wait;
use super::config;
use super::handle::site_handle;
use super::hygiene::{exit_label, local};
use super::registered::Registered;
use super::site::{LayerCode, Site};
use crate::attrs::RateLimitLayer;

/// An item that fails to compile, with the reason, when the runtime lacks its `redis`
/// feature. The panic is written here, spanned at `"redis"` (`at`), so rustc points there and
/// names no runtime fn.
pub(super) fn needs_redis_feature(krate: &syn::Path, at: proc_macro2::Span) -> TokenStream {
    let check = quote_spanned! {at=>
        if !#krate::__private::REDIS_BACKEND {
            ::core::panic!(
                "`backend = \"redis\"` needs the `redis` feature of resilience-runtime: \
                 depend on it with `features = [\"redis\"]`"
            );
        }
    };
    quote! {
        const _: () = { #check };
    }
}

/// Wraps `inner` (the layers below) in the limiter's admission.
pub(super) fn wrap(
    site: &Site<'_>,
    index: usize,
    layer: &RateLimitLayer,
    inner: TokenStream,
) -> LayerCode {
    let krate = site.krate;
    let config = layer.declares().then(|| config::rate_limit(krate, layer));
    let handle = site_handle(site, index, Registered::RateLimit, &layer.common, config);
    let mut items = handle.items;
    if let Some(at) = layer.redis_backend() {
        items.extend(needs_redis_feature(krate, at));
    }
    let (limiter, start, key) = (local("limiter"), local("start"), local("key"));
    let exit = exit_label(index);
    let is_async = site.is_async();
    // The decision is taken in place; only a call that must wait awaits a (boxed) future, or
    // in a sync fn blocks.
    let start = if is_async && site.plan.limit_reads_timeout_start(index) {
        quote!(::core::option::Option::Some(#start))
    } else {
        quote!(::core::option::Option::None)
    };
    let admit = match &layer.key {
        Some(_) => quote!(#krate::__private::rate_limit_admit_key(#limiter, #start, &#key)),
        None => quote!(#krate::__private::rate_limit_admit(#limiter, #start)),
    };
    let wait = match (&layer.key, is_async) {
        (Some(_), true) => {
            site.awaited(quote!(#krate::__private::rate_limit_wait_key(#limiter, #key)))
        }
        (Some(_), false) => quote!(#krate::__private::rate_limit_block_key(#limiter, &#key)),
        (None, true) => site.awaited(quote!(#krate::__private::rate_limit_wait(#limiter))),
        (None, false) => quote!(#limiter.acquire_blocking()),
    };
    let admission = admit_or_wait(krate, &exit, admit, wait);
    // The key is hashed once, where the user wrote it: a key that is not `Hash` is one error
    // there, in words about keys, and the call's future holds the hash, not the key.
    let admission = match &layer.key {
        Some(key_expr) => {
            let hashed = quote_spanned! {key_expr.span()=>
                #krate::rate_limit::RateLimitKey::hashed_for(&(#key_expr), #limiter)
            };
            quote!({
                let #key = #hashed;
                #admission
            })
        }
        None => admission,
    };
    let get = &handle.get;
    let code = quote! {
        {
            let #limiter = #get;
            #exit: {
                #admission;
                #inner
            }
        }
    };
    LayerCode { items, code }
}

//! `#[quota]`: counts the call against its allowance, or rejects it at once; in an async fn,
//! a quota with a remote backend asks it on the slow path.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::admission::admit_or_wait;
use super::config;
use super::handle::site_handle;
use super::hygiene::{exit_label, local};
use super::registered::Registered;
use super::site::{LayerCode, Site};
use crate::attrs::QuotaLayer;

/// Wraps `inner` (the layers below) in the quota's decision. A quota never waits for its
/// allowance; an async fn's decision may ask a remote backend (a boxed future on the slow
/// path), a sync fn's is always taken in this process.
pub(super) fn wrap(
    site: &Site<'_>,
    index: usize,
    layer: &QuotaLayer,
    inner: TokenStream,
) -> LayerCode {
    let krate = site.krate;
    let config = layer.declares().then(|| config::quota(krate, layer));
    let handle = site_handle(site, index, Registered::Quota, &layer.common, config);
    let mut items = handle.items;
    if let Some(at) = layer.redis_backend() {
        items.extend(super::rate_limit::needs_redis_feature(krate, at));
    }
    let (quota, key, error) = (local("quota"), local("key"), local("error"));
    let exit = exit_label(index);
    let decision = if site.is_async() {
        let (decide, ask) = match &layer.key {
            Some(_) => (
                quote!(#krate::__private::quota_decide_key(#quota, &#key)),
                site.awaited(quote!(#krate::__private::quota_ask_key(#quota, #key))),
            ),
            None => (
                quote!(#krate::__private::quota_decide(#quota)),
                site.awaited(quote!(#krate::__private::quota_ask(#quota))),
            ),
        };
        let admission = admit_or_wait(krate, &exit, decide, ask);
        quote!(#admission;)
    } else {
        let admit = match &layer.key {
            Some(_) => quote!(#krate::__private::quota_admit_key(#quota, &#key)),
            None => quote!(#krate::__private::quota_admit(#quota)),
        };
        quote! {
            if let ::core::result::Result::Err(#error) = #admit {
                break #exit #krate::__private::layer_error(#error);
            }
        }
    };
    // The key is hashed once, where the user wrote it: a key that is not `Hash` is one error
    // there, in words about quotas.
    let decision = match &layer.key {
        Some(key_expr) => {
            let hashed = quote_spanned! {key_expr.span()=>
                #krate::quota::QuotaKey::hashed_for(&(#key_expr), #quota)
            };
            quote!({
                let #key = #hashed;
                #decision
            })
        }
        None => decision,
    };
    let get = &handle.get;
    let code = quote! {
        {
            let #quota = #get;
            #exit: {
                #decision
                #inner
            }
        }
    };
    LayerCode { items, code }
}

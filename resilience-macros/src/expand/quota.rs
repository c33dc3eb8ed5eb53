//! `#[quota]`: counts the call against its allowance, or rejects it at once.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::config;
use super::handle::site_handle;
use super::hygiene::{exit_label, local};
use super::registered::Registered;
use super::site::{LayerCode, Site};
use crate::attrs::QuotaLayer;

/// Wraps `inner` (the layers below) in the quota's decision. A quota never waits, so the
/// decision is the same in a sync fn and an async one.
pub(super) fn wrap(
    site: &Site<'_>,
    index: usize,
    layer: &QuotaLayer,
    inner: TokenStream,
) -> LayerCode {
    let krate = site.krate;
    let config = layer.declares().then(|| config::quota(krate, layer));
    let handle = site_handle(site, index, Registered::Quota, &layer.common, config);
    let (quota, key, error) = (local("quota"), local("key"), local("error"));
    let exit = exit_label(index);
    let admit = match &layer.key {
        Some(_) => quote!(#krate::__private::quota_admit_key(#quota, &#key)),
        None => quote!(#krate::__private::quota_admit(#quota)),
    };
    let decision = quote! {
        if let ::core::result::Result::Err(#error) = #admit {
            break #exit #krate::__private::layer_error(#error);
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
    LayerCode {
        items: handle.items,
        code,
    }
}

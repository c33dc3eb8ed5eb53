//! `#[bulkhead]`: holds one of the bulkhead's permits while the layers below run, and gives
//! it back with their outcome (which an adaptive bulkhead learns from).

use proc_macro2::TokenStream;
use quote::quote;

use super::admission::admit_or_wait;
use super::config;
use super::handle::site_handle;
use super::hygiene::{exit_label, local};
use super::registered::Registered;
use super::site::{LayerCode, Site};
use crate::attrs::BulkheadLayer;

/// Wraps `inner` (the layers below) in the bulkhead's permit.
pub(super) fn wrap(
    site: &Site<'_>,
    index: usize,
    layer: &BulkheadLayer,
    inner: TokenStream,
) -> LayerCode {
    let krate = site.krate;
    let config = layer.declares().then(|| config::bulkhead(krate, layer));
    let handle = site_handle(site, index, Registered::Bulkhead, &layer.common, config);
    let (bulkhead, permit, outcome) = (local("bulkhead"), local("permit"), local("outcome"));
    let exit = exit_label(index);
    let wait = if site.is_async() {
        site.awaited(quote!(#krate::__private::bulkhead_wait(#bulkhead)))
    } else {
        quote!(#bulkhead.acquire_blocking())
    };
    let admission = admit_or_wait(
        krate,
        &exit,
        quote!(#krate::__private::bulkhead_admit(#bulkhead)),
        wait,
    );
    let get = &handle.get;
    let code = quote! {
        {
            let #bulkhead = #get;
            #exit: {
                let #permit = #admission;
                let #outcome = #inner;
                #krate::__private::bulkhead_finish(#permit, &#outcome);
                #outcome
            }
        }
    };
    LayerCode {
        items: handle.items,
        code,
    }
}

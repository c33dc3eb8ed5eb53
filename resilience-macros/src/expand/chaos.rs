//! `#[chaos]`: injects latency and errors before the layers below run.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::config;
use super::handle::site_handle;
use super::hygiene::{local, local_at};
use super::registered::Registered;
use super::site::{LayerCode, Site};
use crate::attrs::ChaosLayer;

/// Wraps `inner` (the layers below) in the chaos instance's injection.
pub(super) fn wrap(
    site: &Site<'_>,
    index: usize,
    layer: &ChaosLayer,
    inner: TokenStream,
) -> LayerCode {
    let krate = site.krate;
    let config = config::chaos(krate, layer);
    let handle = site_handle(site, index, Registered::Chaos, &layer.common, Some(config));
    let injection = local("injection");
    let sleep = if site.is_async() {
        site.awaited(quote!(#krate::__private::sleep(#injection.latency())))
    } else {
        quote!(#krate::__private::sleep_blocking(#injection.latency()))
    };
    let delay = layer.latency.is_some().then(|| {
        quote! {
            if #injection.delays() {
                #sleep;
            }
        }
    });
    // The injected error is the service's: outer layers see it as a failure of the body.
    // Where the fn's error type can be named, the path is first coerced to `fn() -> E`, so
    // that a fn of another type is reported at the path, in those terms.
    let outcome = match &layer.error {
        Some(path) => {
            let build = local_at("build", path.span());
            let typed = site.plan.body_type.as_ref().map_or_else(
                || quote_spanned!(path.span()=> let #build = #path;),
                |ty| {
                    quote_spanned! {path.span()=>
                        let #build: fn() -> <#ty as #krate::__private::Outcome>::Error = #path;
                    }
                },
            );
            quote! {
                if #injection.fails() {
                    #typed
                    #krate::__private::lift(::core::result::Result::Err(#build()))
                } else {
                    #inner
                }
            }
        }
        None => inner,
    };
    let get = &handle.get;
    let code = quote! {
        {
            let #injection = #get.inject();
            #delay
            #outcome
        }
    };
    LayerCode {
        items: handle.items,
        code,
    }
}

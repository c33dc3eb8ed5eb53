//! `#[timeout]`: cancels the layers below when they run past the duration.

use proc_macro2::TokenStream;
use quote::quote;

use super::hygiene::local;
use super::name::fn_name;
use super::site::{LayerCode, Site};
use crate::attrs::TimeoutLayer;
use crate::value::duration_tokens;

/// Wraps `inner` (the layers below) in the runtime's timeout.
pub(super) fn wrap(
    site: &Site<'_>,
    index: usize,
    layer: &TimeoutLayer,
    inner: TokenStream,
) -> LayerCode {
    let krate = site.krate;
    let after = duration_tokens(layer.duration);
    let (outcome, error, start) = (local("outcome"), local("error"), local("start"));
    // The name is only made when the call times out.
    let name = fn_name(site, index);
    let get_name = &name.get;
    // `start` is also read by a rate limit right below (see `Plan::limit_reads_timeout_start`).
    let timed = site.awaited(quote!(#krate::__private::timeout(#start, #after, async { #inner })));
    let code = quote! {
        {
            let #start = #krate::__private::call_start();
            match #timed {
                ::core::result::Result::Ok(#outcome) => #outcome,
                ::core::result::Result::Err(#error) => #krate::__private::timed_out(#get_name, #error),
            }
        }
    };
    LayerCode {
        items: name.items,
        code,
    }
}

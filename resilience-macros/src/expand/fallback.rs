//! `#[fallback]`: hands the error of the layers below to a fallback fn.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::describe::describe_error;
use super::hygiene::{local, local_at};
use super::name::fn_name;
use super::site::{LayerCode, Site};
use crate::attrs::FallbackLayer;

/// Wraps `inner` (the layers below) so that its error is recovered by the fallback fn.
pub(super) fn wrap(
    site: &Site<'_>,
    index: usize,
    layer: &FallbackLayer,
    inner: TokenStream,
) -> LayerCode {
    let krate = site.krate;
    let path = &layer.path;
    let name = fn_name(site, index);
    let fallback_name = quote!(#path).to_string().replace(' ', "");
    let at_path = path.span();
    let (outcome, other) = (local("outcome"), local("other"));
    // `into_error` needs `E: From<resilience_runtime::Error>`: blamed at the error type, as
    // in `finish`. A fallback that takes another argument type, or returns another type than
    // the fn, is blamed on `error` and `recovered`, both shown at the path.
    let failure = local_at("failure", site.plan.error_span);
    let (error, recovered) = (local_at("error", at_path), local_at("recovered", at_path));
    let ty = site.body_type_or_inferred();
    let call = quote_spanned! {at_path=> #path(#error)};
    let recover = if site.is_async() {
        // The awaited expression starts with a local, not with the crate path, so that its
        // span (where a mismatch is shown) is the path's alone.
        let pending = local_at("pending", at_path);
        quote! {
            let #pending = #krate::__private::fallback(#call);
            let #recovered: #ty = #pending.await;
        }
    } else {
        quote!(let #recovered: #ty = #call;)
    };
    let describe = describe_error(site);
    let get_name = &name.get;
    let code = quote! {
        {
            let #outcome = #inner;
            match #outcome {
                ::core::result::Result::Err(#failure) => {
                    #krate::__private::falling_back(#get_name, #fallback_name, &#failure, #describe);
                    let #error = #krate::__private::into_error(#failure);
                    #recover
                    #krate::__private::lift(#recovered)
                }
                #other => #other,
            }
        }
    };
    LayerCode {
        items: name.items,
        code,
    }
}

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
///
/// The fallback takes `(error)` or the fn's arguments followed by the error; the macro cannot
/// see which, so before the layers below run it prepares the fallback with references to every
/// argument and the runtime's `SyncFallback`/`AsyncFallback` impls, picked by type inference,
/// keep clones of them or nothing. That one trait bound, spanned at the path, is where a
/// fallback of the wrong type is reported.
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
    // in `finish`.
    let failure = local_at("failure", site.plan.error_span);
    let (error, recovery) = (local("error"), local_at("recovery", at_path));
    let ty = site.body_type_or_inferred();
    let error_ty = site.plan.body_type.as_ref().map_or_else(
        || quote!(_),
        |ty| quote!(<#ty as #krate::__private::Outcome>::Error),
    );
    let refs = match &site.plan.arguments {
        Some(arguments) if !arguments.is_empty() => quote!((#(&#arguments,)*)),
        _ => quote!(()),
    };
    let (prepare, recovered) = if site.is_async() {
        (
            quote_spanned! {at_path=>
                <_ as #krate::__private::AsyncFallback<_, #error_ty, #ty, _>>::prepare(&#path, #refs)
            },
            quote!(#recovery.recover(#error).await),
        )
    } else {
        (
            quote_spanned! {at_path=>
                <_ as #krate::__private::SyncFallback<_, #error_ty, #ty, _>>::prepare(&#path, #refs)
            },
            quote!(#recovery.recover(#error)),
        )
    };
    let describe = describe_error(site);
    let get_name = &name.get;
    let code = quote! {
        {
            let #recovery = #prepare;
            let #outcome = #inner;
            match #outcome {
                ::core::result::Result::Err(#failure) => {
                    #krate::__private::falling_back(#get_name, #fallback_name, &#failure, #describe);
                    let #error = #krate::__private::into_error(#failure);
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

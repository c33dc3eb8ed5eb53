//! `#[fallback]`: hands the error of the layers below to a fallback fn.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::describe::describe_error;
use super::hygiene::{conversion, local, local_at};
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
    let failure = local("failure");
    // A fallback returning another type than the fn is blamed on `recovered`'s initialiser,
    // whose every token is shown at the path. On an async fn those tokens carry the path's own
    // span (these two locals too, so they resolve at the call site: hence names no user code
    // writes), so rustc shows the mismatch as the user's code, without macro notes. On a sync fn
    // they stay the macro's, so rustc does not suggest rewriting the path (`Ok(path)`) for a
    // fallback that returns the item.
    let (error, recovery) = if site.is_async() {
        (
            Ident::new("__resilience_fallback_error", at_path),
            Ident::new("__resilience_fallback", at_path),
        )
    } else {
        (local_at("error", at_path), local_at("recovery", at_path))
    };
    let recovered = local_at("recovered", at_path);
    let value = local_at("recovered_value", at_path);
    let ty = site.body_type_or_inferred();
    let error_ty = site.error_type();
    let conversion = conversion();
    // Each argument resolves as written, but is shown at the path: a fallback whose
    // arguments differ from the fn's is one mismatch there.
    let refs = match &site.plan.arguments {
        Some(arguments) if !arguments.is_empty() => {
            let arguments = arguments.iter().map(|argument| {
                let mut argument = argument.clone();
                argument.set_span(argument.span().located_at(at_path));
                argument
            });
            quote_spanned!(at_path=> (#(&#arguments,)*))
        }
        _ => quote_spanned!(at_path=> ()),
    };
    let (prepare, recover) = if site.is_async() {
        (
            quote_spanned! {at_path=>
                <_ as #krate::__private::AsyncFallback<_, #error_ty, _, _>>::prepare(&#path, #refs)
            },
            site.awaited(quote_spanned!(at_path=> #recovery.recover(#error))),
        )
    } else {
        (
            quote_spanned! {at_path=>
                <_ as #krate::__private::SyncFallback<_, #error_ty, _, _>>::prepare(&#path, #refs)
            },
            quote_spanned!(at_path=> #recovery.recover(#error)),
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
                    let #error = #krate::__private::into_error(#failure, #conversion);
                    // Bound first, by a name at the fallback's path: a value of the wrong type is
                    // reported there.
                    let #value = #recover;
                    let #recovered: #ty = #value;
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

//! A user's predicate on the fn's error (`when`, `retry_after`, `record_if`, `ignore_if`) or
//! on its `Ok` value (`when_ok`, `record_if_ok`), checked where it is written.

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::Path;
use syn::spanned::Spanned;

use super::hygiene::local_at;

/// The user's predicate `path` coerced to `ty` (`fn(&E) -> ..` or `fn(&T) -> bool`), spanned
/// at the path: a fn of another type is one mismatch there, in the fn's own types.
pub(super) fn predicate(path: &Path, ty: &TokenStream) -> TokenStream {
    let predicate = local_at("predicate", path.span());
    quote_spanned! {path.span()=>
        {
            let #predicate: #ty = #path;
            #predicate
        }
    }
}

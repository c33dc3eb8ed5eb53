//! The resilience attributes below the expanding one, which it fuses into its stack.

use syn::spanned::Spanned;
use syn::{Attribute, Path};

use crate::attrs::{AttrInput, Kind};

/// The argument that marks a sibling attribute as already fused into the stack.
const FUSED_MARKER: &str = "__resilience_fused";

/// Collects the resilience attributes below the expanding one, in source order, and marks
/// each as fused: it stays on the fn, so its import is used, and expands to nothing more.
pub(crate) fn take_siblings(attrs: &mut [Attribute], krate: Option<&Path>) -> Vec<AttrInput> {
    let mut siblings = Vec::new();
    for attr in attrs.iter_mut() {
        let Some(kind) = Kind::of_path(attr.path(), krate) else {
            continue;
        };
        let args = match &attr.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            syn::Meta::Path(_) => proc_macro2::TokenStream::new(),
            syn::Meta::NameValue(value) => quote::ToTokens::to_token_stream(&value.value),
        };
        if is_fused(&args) {
            continue;
        }
        siblings.push(AttrInput {
            kind,
            span: attr.path().span(),
            args,
        });
        let path = attr.path().clone();
        let marker = proc_macro2::Ident::new(FUSED_MARKER, attr.path().span());
        attr.meta = syn::parse_quote!(#path(#marker));
    }
    siblings
}

/// Whether an attribute's arguments are the fused marker.
pub(crate) fn is_fused(args: &proc_macro2::TokenStream) -> bool {
    let mut tokens = args.clone().into_iter();
    matches!(
        (tokens.next(), tokens.next()),
        (Some(proc_macro2::TokenTree::Ident(ident)), None) if ident == FUSED_MARKER
    )
}

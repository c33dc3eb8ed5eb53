//! `#[fallback(path)]`.

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Meta, Path};

use super::error::error_at;
use super::items::from_items;

#[derive(FromMeta)]
struct FallbackArgs {
    #[darling(rename = "crate")]
    krate: Option<Path>,
}

/// A validated `#[fallback]`: the fn to call with the error.
pub(crate) struct FallbackLayer {
    pub(crate) path: Path,
    pub(crate) krate: Option<Path>,
}

pub(super) fn parse(items: &[NestedMeta], span: Span) -> darling::Result<FallbackLayer> {
    let Some((NestedMeta::Meta(Meta::Path(path)), rest)) = items.split_first() else {
        let at = items.first().map_or(span, Spanned::span);
        return Err(error_at(
            at,
            "`#[fallback]` takes the path of a fn that receives the error, e.g. `#[fallback(cached_stock)]`",
        ));
    };
    // A second path would otherwise read as an unknown key.
    if let Some(NestedMeta::Meta(Meta::Path(extra))) = rest
        .iter()
        .find(|item| matches!(item, NestedMeta::Meta(Meta::Path(_))))
    {
        return Err(error_at(
            extra.span(),
            "`#[fallback]` takes one fallback fn; to try several, call them in turn from it",
        ));
    }
    let args: FallbackArgs = from_items(rest)?;
    Ok(FallbackLayer {
        path: path.clone(),
        krate: args.krate,
    })
}

//! `#[hedge]`: runs the layers below again, alongside, when they do not answer within the
//! delay; the first `Ok` wins.

use proc_macro2::TokenStream;
use quote::quote;

use super::config;
use super::handle::site_handle;
use super::hygiene::local;
use super::registered::Registered;
use super::site::{LayerCode, Site};
use super::span;
use crate::attrs::{HedgeLayer, Layer};

/// Wraps `inner` (the layers below) in the hedged call. Each attempt is a fresh future of
/// `inner`, made by a closure that borrows what `inner` borrows, so the attempts run inside
/// the call's own future and nothing outlives it. Inside a `#[retry]` of the same stack, each
/// hedge spends one retry of that retry's budget (the nearest enclosing retry's handle is in
/// scope as its local); otherwise every hedge may start (`AlwaysHedge`).
pub(super) fn wrap(
    site: &Site<'_>,
    index: usize,
    layer: &HedgeLayer,
    inner: TokenStream,
) -> LayerCode {
    let krate = site.krate;
    let config = layer.declares().then(|| config::hedge(krate, layer));
    let handle = site_handle(site, index, Registered::Hedge, &layer.common, config);
    let (hedge, attempt) = (local("hedge"), local("hedge_attempt"));
    let attempt_future = span::hedge_attempt(site, &attempt, inner);
    let get = &handle.get;
    let within_retry = site.plan.layers[..index]
        .iter()
        .any(|outer| matches!(outer, Layer::Retry(_)));
    let may_hedge = if within_retry {
        let retry = local("retry");
        quote!(#krate::__private::hedge_within_retry(#retry))
    } else {
        quote!(#krate::hedge::AlwaysHedge)
    };
    let hedged = site.awaited(quote! {
        #krate::__private::hedge_call(
            #hedge,
            |#attempt: u32| #attempt_future,
            #may_hedge,
        )
    });
    let code = quote! {
        {
            let #hedge = #get;
            #hedged
        }
    };
    LayerCode {
        items: handle.items,
        code,
    }
}

//! `#[retry]`: runs the layers below again, with backoff, until the policy stops.

use proc_macro2::TokenStream;
use quote::quote;

use super::config;
use super::describe::describe_error;
use super::handle::site_handle;
use super::hygiene::{conversion, local};
use super::predicate::predicate;
use super::registered::Registered;
use super::site::{LayerCode, Site};
use super::span;
use crate::attrs::RetryLayer;

/// Wraps `inner` (the layers below) in the retry loop.
pub(super) fn wrap(
    site: &Site<'_>,
    index: usize,
    layer: &RetryLayer,
    inner: TokenStream,
) -> LayerCode {
    let krate = site.krate;
    let config = layer.declares().then(|| config::retry(krate, layer));
    let handle = site_handle(site, index, Registered::Retry, &layer.common, config);
    let when = layer.when.as_ref().map_or_else(
        || quote!(#krate::__private::retry_any),
        |when| predicate(when, &site.predicate_type(&quote!(bool))),
    );
    let when_ok = layer.when_ok.as_ref().map_or_else(
        || quote!(#krate::__private::keep_ok),
        |when_ok| predicate(when_ok, &site.ok_predicate_type(&quote!(bool))),
    );
    // `retry_after` reads errors only: a flagged `Ok` waits the backoff's delay.
    let hint = layer.retry_after.as_ref().map_or_else(
        || quote!(#krate::__private::no_hint),
        |hint| {
            let output = quote!(::core::option::Option<::core::time::Duration>);
            predicate(hint, &site.predicate_type(&output))
        },
    );
    let sleep = if site.is_async() {
        quote!(#krate::__private::sleep)
    } else {
        quote!(#krate::__private::sleep_blocking)
    };
    let (retry, state, outcome, delay, conversion) = (
        local("retry"),
        local("state"),
        local("outcome"),
        local("delay"),
        conversion(),
    );
    let on = quote! {
        #krate::retry::RetryOn::new().when(#when).when_ok(#when_ok).retry_after(#hint)
    };
    let pause = site.awaited(quote!(#sleep(#delay)));
    let describe = describe_error(site);
    let get = &handle.get;
    let attempt = local("attempt");
    let inner = span::around_attempt(site, &attempt, inner);
    let code = quote! {
        {
            let #retry = #get;
            let mut #state = #krate::__private::retry_start(#retry);
            let mut #attempt: u32 = 0;
            loop {
                #attempt += 1;
                let #outcome = #inner;
                match #krate::__private::retry_step(#retry, &mut #state, #outcome, #on, #describe, #conversion) {
                    ::core::ops::ControlFlow::Break(#outcome) => break #outcome,
                    ::core::ops::ControlFlow::Continue(#delay) => #pause,
                }
            }
        }
    };
    LayerCode {
        items: handle.items,
        code,
    }
}

//! `#[circuit_breaker]`: asks the breaker for a permit, and records the outcome on it.

use proc_macro2::TokenStream;
use quote::quote;

use super::config;
use super::handle::site_handle;
use super::hygiene::local;
use super::predicate::predicate;
use super::registered::Registered;
use super::site::{LayerCode, Site};
use crate::attrs::CircuitBreakerLayer;

/// Wraps `inner` (the layers below) in the breaker's permit.
pub(super) fn wrap(
    site: &Site<'_>,
    index: usize,
    layer: &CircuitBreakerLayer,
    inner: TokenStream,
) -> LayerCode {
    let krate = site.krate;
    let config = layer
        .declares()
        .then(|| config::circuit_breaker(krate, layer));
    let handle = site_handle(
        site,
        index,
        Registered::CircuitBreaker,
        &layer.common,
        config,
    );
    let predicate_type = site.predicate_type(&quote!(bool));
    let record_if = layer.record_if.as_ref().map_or_else(
        || quote!(#krate::__private::record_any),
        |path| predicate(path, &predicate_type),
    );
    let ignore_if = layer.ignore_if.as_ref().map_or_else(
        || quote!(#krate::__private::ignore_none),
        |path| predicate(path, &predicate_type),
    );
    let record_if_ok = layer.record_if_ok.as_ref().map_or_else(
        || quote!(#krate::__private::ok_succeeds),
        |path| predicate(path, &site.ok_predicate_type(&quote!(bool))),
    );
    let (breaker, permit, outcome, error) = (
        local("breaker"),
        local("permit"),
        local("outcome"),
        local("error"),
    );
    let get = &handle.get;
    let code = quote! {
        {
            let #breaker = #get;
            match #breaker.try_acquire() {
                ::core::result::Result::Ok(#permit) => {
                    let #outcome = #inner;
                    #krate::__private::record_outcome(#permit, &#outcome, #record_if, #ignore_if, #record_if_ok);
                    #outcome
                }
                ::core::result::Result::Err(#error) => #krate::__private::layer_error(#error),
            }
        }
    };
    let mut items = handle.items;
    if let Some(at) = layer.redis_backend() {
        items.extend(super::rate_limit::needs_redis_feature(krate, at));
    }
    LayerCode { items, code }
}

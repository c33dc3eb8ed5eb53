//! Attribute macros for [`resilience-runtime`](https://docs.rs/resilience-runtime).
//!
//! Use them through `resilience_runtime`, which re-exports every attribute and documents each
//! key. Each attribute wraps the body of an `async fn` (or, except `#[timeout]` and
//! `#[hedge]`, a sync fn) returning `Result<T, E>` with `E: From<resilience_runtime::Error>`;
//! the signature is kept.
//! Stacked attributes fuse into one wrapper: the topmost is the outermost layer.
//!
//! The crate is a pipeline, run by `expand_attribute` for every attribute: `attrs` parses
//! and validates each attribute of the stack, `plan` checks the stack against the fn, and
//! `expand` writes the code, one file per layer kind.

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::{ToTokens, quote};
use syn::ItemFn;

mod attrs;
mod expand;
mod item;
mod plan;
mod value;

use attrs::{AttrInput, Kind, Layer};

/// Retries the fn's body with backoff. See `resilience_runtime::retry` for the keys.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_attribute(Kind::Retry, args.into(), item.into()).into()
}

/// Guards the fn with a named circuit breaker. See `resilience_runtime::circuit_breaker`.
#[proc_macro_attribute]
pub fn circuit_breaker(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_attribute(Kind::CircuitBreaker, args.into(), item.into()).into()
}

/// Limits the rate of calls. See `resilience_runtime::rate_limit`.
#[proc_macro_attribute]
pub fn rate_limit(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_attribute(Kind::RateLimit, args.into(), item.into()).into()
}

/// Cancels the body after a duration. See `resilience_runtime::timeout`.
#[proc_macro_attribute]
pub fn timeout(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_attribute(Kind::Timeout, args.into(), item.into()).into()
}

/// Allows a number of calls per period, rejecting the rest at once. See
/// `resilience_runtime::quota`.
#[proc_macro_attribute]
pub fn quota(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_attribute(Kind::Quota, args.into(), item.into()).into()
}

/// Limits concurrent calls. See `resilience_runtime::bulkhead`.
#[proc_macro_attribute]
pub fn bulkhead(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_attribute(Kind::Bulkhead, args.into(), item.into()).into()
}

/// Calls a fallback fn with the error of the layers below. See `resilience_runtime::fallback`.
#[proc_macro_attribute]
pub fn fallback(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_attribute(Kind::Fallback, args.into(), item.into()).into()
}

/// Injects errors, latency and outages when chaos is armed. See `resilience_runtime::chaos`.
#[proc_macro_attribute]
pub fn chaos(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_attribute(Kind::Chaos, args.into(), item.into()).into()
}

/// Runs a second attempt when the first is slow; the first `Ok` wins. See
/// `resilience_runtime::hedge`.
#[proc_macro_attribute]
pub fn hedge(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_attribute(Kind::Hedge, args.into(), item.into()).into()
}

/// The pipeline shared by every attribute: parse → validate → plan → expand.
///
/// On any error the original fn is emitted (without its resilience attributes) next to the
/// errors, so one mistake gives one error and the rest of the crate still type-checks.
fn expand_attribute(
    kind: Kind,
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    if item::is_fused(&args) {
        // Already part of the stack that an attribute above this one expanded.
        return item;
    }
    let mut item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error = darling::Error::custom(format!(
                "`#[{}]` goes on a fn or method with a body",
                kind.name()
            ))
            .with_span(&Span::call_site())
            .write_errors();
            return quote!(#error #item);
        }
    };
    let mut errors = darling::Error::accumulator();
    let layers = parse_stack(kind, args, &mut item, &mut errors);
    let plan = errors.handle(plan::plan(layers, &item));
    match (errors.finish(), plan) {
        (Ok(()), Some(plan)) => expand::expand(&plan, item),
        (Err(error), _) => {
            let error = error.write_errors();
            quote!(#error #item)
        }
        (Ok(()), None) => item.into_token_stream(),
    }
}

/// Parses and validates the expanding attribute and the resilience attributes below it, which
/// are fused into this expansion, outermost first. A layer with errors is left out.
fn parse_stack(
    kind: Kind,
    args: proc_macro2::TokenStream,
    item: &mut ItemFn,
    errors: &mut darling::error::Accumulator,
) -> Vec<Layer> {
    let first = AttrInput {
        kind,
        span: Span::call_site(),
        args,
    };
    let first = errors.handle(attrs::parse(&first));
    let krate = first.as_ref().and_then(Layer::krate).cloned();
    let siblings = item::take_siblings(&mut item.attrs, krate.as_ref());
    let mut layers: Vec<Layer> = first.into_iter().collect();
    for sibling in &siblings {
        if let Some(layer) = errors.handle(attrs::parse(sibling)) {
            layers.push(layer);
        }
    }
    layers
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::{Kind, expand_attribute};

    #[test]
    fn an_error_keeps_the_original_fn_next_to_it() {
        let item = quote!(
            fn call() -> Result<u32, Error> {
                Ok(1)
            }
        );
        let code = expand_attribute(Kind::Retry, quote!(max_attempts = 0), item.clone());
        let code = code.to_string();
        assert!(code.starts_with(":: core :: compile_error !"), "{code}");
        assert!(code.ends_with(&item.to_string()), "{code}");
    }

    #[test]
    fn a_fused_attribute_passes_the_fn_through() {
        let item = quote!(
            fn call() -> Result<u32, Error> {
                Ok(1)
            }
        );
        let code = expand_attribute(Kind::Bulkhead, quote!(__resilience_fused), item.clone());
        assert_eq!(code.to_string(), item.to_string());
    }

    #[test]
    fn the_signature_is_kept_and_siblings_are_marked_fused() {
        let item = quote! {
            #[bulkhead(max_concurrent = 2)]
            pub async fn call(id: u32) -> Result<u32, Error> { Ok(id) }
        };
        let code = expand_attribute(Kind::Retry, quote!(max_attempts = 3), item).to_string();
        let kept = quote! {
            #[bulkhead(__resilience_fused)]
            pub async fn call(id: u32) -> Result<u32, Error>
        };
        assert!(code.starts_with(&kept.to_string()), "{code}");
        assert!(code.contains("declare_retry"), "{code}");
        assert!(code.contains("declare_bulkhead"), "{code}");
    }
}
